/* SPDX-License-Identifier: Apache-2.0
 * Copyright 2026 The lastmile developers
 *
 * lm-bench-probe: the latency probe of bench/run-signaling-bench (--probe c).
 *
 * One clinic and one doctor WebSocket client on plain sockets (handshake by
 * hand, masked client frames as RFC 6455 requires), authenticated with
 * `hello`, paired through the protocol (consult.request / presence / queue /
 * consult.accept -> consult.start on both), then `ice` from the clinic to the
 * doctor at --rate messages/s. Each message carries a sequence number in the
 * candidate's foundation ("candidate:SEQ ..."); the send time is kept in a
 * table indexed by it, and the one-way latency is the CLOCK_MONOTONIC time
 * the forwarded message was read on the doctor's socket minus its send time.
 * One thread, a blocking ppoll() between sends: no busy waiting, no event
 * loop, no garbage collector, so what it measures is the server, the kernel's
 * loopback path and one wake-up of this process.
 *
 *   lm-bench-probe --url ws://127.0.0.1:PORT/ws [--rate 50] [--warmup 1]
 *       [--duration 20] [--drain 2] [--cpu N] [--timeout S]
 *       [--clinic-token T --doctor-token T]
 *
 * Tokens come from the options or from LM_BENCH_CLINIC_TOKEN and
 * LM_BENCH_DOCTOR_TOKEN (better: they do not show in ps). Prints the result
 * as JSON on stdout and a one-line summary on stderr. Connects to 127.0.0.1
 * only; every wait is bounded, and the whole run by --timeout (SIGALRM).
 * Exit status 0 when it measured, 1 if the run failed (or got no sample),
 * 2 for bad usage.
 */

#define _GNU_SOURCE
#include <glib.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define STEP_TIMEOUT_NS (10 * (gint64) 1000000000)
#define MAX_MESSAGE (4 * 1024 * 1024)

static gint64
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static G_NORETURN void G_GNUC_PRINTF (1, 2)
fail (const char *fmt, ...)
{
  va_list ap;
  fputs ("lm-bench-probe: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  exit (1);
}

/* ------------------------------------------------------------------------ */
/* A WebSocket client on one socket. */

typedef struct {
  const char *name;
  int fd;
  guint8 *buf;           /* bytes read, not yet parsed: buf[off .. len) */
  size_t off, len, cap;
  GString *frag;         /* a fragmented message being joined */
  bool in_frag;
  char *peer;            /* from welcome */
  guint errors;
  GHashTable *error_codes; /* code -> count */
} Ws;

static void
ws_init (Ws *ws, const char *name)
{
  memset (ws, 0, sizeof *ws);
  ws->name = name;
  ws->fd = -1;
  ws->cap = 65536;
  ws->buf = g_malloc (ws->cap);
  ws->frag = g_string_new (NULL);
  ws->error_codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Waits for `events` on fd until `deadline` (CLOCK_MONOTONIC ns). */
static bool
wait_fd (int fd, short events, gint64 deadline)
{
  for (;;)
    {
      gint64 left = deadline - now_ns ();
      if (left <= 0)
        return false;
      struct pollfd p = { .fd = fd, .events = events };
      struct timespec ts = { left / 1000000000, left % 1000000000 };
      int r = ppoll (&p, 1, &ts, NULL);
      if (r > 0)
        return true;
      if (r < 0 && errno != EINTR)
        fail ("poll: %s", g_strerror (errno));
    }
}

static void
write_all (Ws *ws, const guint8 *data, size_t n)
{
  gint64 deadline = now_ns () + STEP_TIMEOUT_NS;
  while (n > 0)
    {
      ssize_t w = send (ws->fd, data, n, MSG_NOSIGNAL);
      if (w > 0)
        {
          data += w;
          n -= (size_t) w;
        }
      else if (w < 0 && (errno == EAGAIN || errno == EINTR))
        {
          if (!wait_fd (ws->fd, POLLOUT, deadline))
            fail ("%s: send timed out", ws->name);
        }
      else
        fail ("%s: send: %s", ws->name, w < 0 ? g_strerror (errno) : "0 bytes");
    }
}

/* One masked client frame, header and payload in one send(). */
static void
ws_send_frame (Ws *ws, guint8 opcode, const char *payload, size_t n)
{
  guint8 stack[512];
  size_t hdr = 2 + 4 + (n > 65535 ? 8 : n > 125 ? 2 : 0);
  guint8 *f = hdr + n <= sizeof stack ? stack : g_malloc (hdr + n);
  size_t i = 0;

  f[i++] = 0x80 | opcode;
  if (n <= 125)
    f[i++] = 0x80 | (guint8) n;
  else if (n <= 65535)
    {
      f[i++] = 0x80 | 126;
      f[i++] = (guint8) (n >> 8);
      f[i++] = (guint8) n;
    }
  else
    {
      f[i++] = 0x80 | 127;
      for (int s = 56; s >= 0; s -= 8)
        f[i++] = (guint8) ((guint64) n >> s);
    }
  guint32 key = g_random_int ();
  guint8 mask[4] = { key >> 24, key >> 16, key >> 8, key };
  memcpy (f + i, mask, 4);
  i += 4;
  for (size_t j = 0; j < n; j++)
    f[i + j] = (guint8) payload[j] ^ mask[j & 3];
  write_all (ws, f, i + n);
  if (f != stack)
    g_free (f);
}

static void
ws_send_text (Ws *ws, const char *text, size_t n)
{
  ws_send_frame (ws, 0x1, text, n);
}

/* Reads what the socket has (non-blocking). Returns bytes read, 0 if none. */
static size_t
ws_fill (Ws *ws)
{
  if (ws->off > 0)
    {
      memmove (ws->buf, ws->buf + ws->off, ws->len - ws->off);
      ws->len -= ws->off;
      ws->off = 0;
    }
  if (ws->cap - ws->len < 16384)
    {
      if (ws->cap >= 2 * MAX_MESSAGE)
        fail ("%s: more than %d bytes unparsed", ws->name, 2 * MAX_MESSAGE);
      ws->cap *= 2;
      ws->buf = g_realloc (ws->buf, ws->cap);
    }
  for (;;)
    {
      ssize_t r = recv (ws->fd, ws->buf + ws->len, ws->cap - ws->len, MSG_DONTWAIT);
      if (r > 0)
        {
          ws->len += (size_t) r;
          return (size_t) r;
        }
      if (r == 0)
        fail ("%s: the server closed the connection", ws->name);
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN)
        return 0;
      fail ("%s: recv: %s", ws->name, g_strerror (errno));
    }
}

/* The next complete text message in the buffer, or FALSE if more bytes are
 * needed. Answers pings, ignores pongs, fails on close and on frames a
 * server must not send (masked, reserved bits). The pointer stays valid until
 * the next ws_fill() or ws_next(). */
static bool
ws_next (Ws *ws, const char **msg, size_t *msg_len)
{
  for (;;)
    {
      const guint8 *p = ws->buf + ws->off;
      size_t avail = ws->len - ws->off;
      if (avail < 2)
        return false;
      bool fin = p[0] & 0x80;
      guint8 opcode = p[0] & 0x0f;
      if (p[0] & 0x70)
        fail ("%s: frame with reserved bits set", ws->name);
      if (p[1] & 0x80)
        fail ("%s: masked frame from the server", ws->name);
      guint64 n = p[1] & 0x7f;
      size_t hdr = 2;
      if (n == 126)
        {
          if (avail < 4)
            return false;
          n = ((guint64) p[2] << 8) | p[3];
          hdr = 4;
        }
      else if (n == 127)
        {
          if (avail < 10)
            return false;
          n = 0;
          for (int i = 0; i < 8; i++)
            n = (n << 8) | p[2 + i];
          hdr = 10;
        }
      if (n > MAX_MESSAGE)
        fail ("%s: frame of %" G_GUINT64_FORMAT " bytes", ws->name, n);
      if (avail < hdr + n)
        return false;
      const char *payload = (const char *) p + hdr;
      ws->off += hdr + (size_t) n;

      switch (opcode)
        {
        case 0x9: /* ping */
          ws_send_frame (ws, 0xA, payload, (size_t) n);
          continue;
        case 0xA: /* pong */
          continue;
        case 0x8: /* close */
          {
            int code = n >= 2 ? ((guint8) payload[0] << 8 | (guint8) payload[1]) : 0;
            fail ("%s: the server closed the WebSocket: %d %.*s", ws->name, code,
                  n >= 2 ? (int) n - 2 : 0, n >= 2 ? payload + 2 : "");
          }
        case 0x1: /* text */
        case 0x2: /* binary */
          if (ws->in_frag)
            fail ("%s: new message inside a fragmented one", ws->name);
          if (fin)
            {
              *msg = payload;
              *msg_len = (size_t) n;
              return true;
            }
          ws->in_frag = true;
          g_string_truncate (ws->frag, 0);
          g_string_append_len (ws->frag, payload, (gssize) n);
          continue;
        case 0x0: /* continuation */
          if (!ws->in_frag)
            fail ("%s: continuation without a message", ws->name);
          if (ws->frag->len + n > MAX_MESSAGE)
            fail ("%s: message over %d bytes", ws->name, MAX_MESSAGE);
          g_string_append_len (ws->frag, payload, (gssize) n);
          if (fin)
            {
              ws->in_frag = false;
              *msg = ws->frag->str;
              *msg_len = ws->frag->len;
              return true;
            }
          continue;
        default:
          fail ("%s: unknown opcode %u", ws->name, opcode);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Just enough JSON: the string value of the first member called `key` (the
 * messages read here have no escapes in the values that are looked at). */

static bool
json_str (const char *m, size_t n, const char *key, const char **val, size_t *val_len)
{
  size_t kl = strlen (key);
  const char *end = m + n;
  const char *p = m;
  while (p < end)
    {
      const char *q = memmem (p, (size_t) (end - p), key, kl);
      if (!q)
        return false;
      p = q + kl;
      if (q == m || q[-1] != '"' || p >= end || *p != '"')
        continue;
      p++;
      while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
      if (p >= end || *p != ':')
        continue;
      p++;
      while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
      if (p >= end || *p != '"')
        return false;
      const char *v = ++p;
      while (p < end && *p != '"')
        {
          if (*p == '\\')
            p++;
          p++;
        }
      if (p >= end)
        return false;
      *val = v;
      *val_len = (size_t) (p - v);
      return true;
    }
  return false;
}

static bool
json_str_is (const char *m, size_t n, const char *key, const char *want)
{
  const char *v;
  size_t vl;
  return json_str (m, n, key, &v, &vl) && vl == strlen (want) && memcmp (v, want, vl) == 0;
}

static char *
json_str_dup (const char *m, size_t n, const char *key)
{
  const char *v;
  size_t vl;
  return json_str (m, n, key, &v, &vl) ? g_strndup (v, vl) : NULL;
}

static void
count_error (Ws *ws, const char *m, size_t n)
{
  char *code = json_str_dup (m, n, "code");
  if (!code)
    code = g_strdup ("?");
  ws->errors++;
  guint c = GPOINTER_TO_UINT (g_hash_table_lookup (ws->error_codes, code));
  g_hash_table_replace (ws->error_codes, code, GUINT_TO_POINTER (c + 1));
}

/* Waits (at most STEP_TIMEOUT_NS) for the next message of `type` on ws and
 * returns a copy; other messages are skipped, an `error` fails the run. */
static char *
ws_wait_for (Ws *ws, const char *type, size_t *out_len)
{
  gint64 deadline = now_ns () + STEP_TIMEOUT_NS;
  for (;;)
    {
      const char *m;
      size_t n;
      while (ws_next (ws, &m, &n))
        {
          if (json_str_is (m, n, "type", type))
            {
              if (out_len)
                *out_len = n;
              return g_strndup (m, n);
            }
          if (json_str_is (m, n, "type", "error"))
            fail ("%s: waiting for %s, got %.*s", ws->name, type, (int) MIN (n, 400), m);
        }
      if (!wait_fd (ws->fd, POLLIN, deadline))
        fail ("%s: no %s within %d s", ws->name, type, (int) (STEP_TIMEOUT_NS / 1000000000));
      ws_fill (ws);
    }
}

/* ------------------------------------------------------------------------ */
/* Connecting. */

static void
parse_url (const char *url, char **path, guint16 *port)
{
  const char *prefix = "ws://127.0.0.1:";
  if (!g_str_has_prefix (url, prefix))
    {
      fprintf (stderr, "lm-bench-probe: --url must be ws://127.0.0.1:PORT/PATH\n");
      exit (2);
    }
  const char *p = url + strlen (prefix);
  char *end;
  errno = 0;
  unsigned long v = strtoul (p, &end, 10);
  if (errno || end == p || v == 0 || v > 65535 || (*end != '/' && *end != '\0'))
    {
      fprintf (stderr, "lm-bench-probe: bad port in --url %s\n", url);
      exit (2);
    }
  *port = (guint16) v;
  *path = g_strdup (*end ? end : "/");
}

static void
ws_connect (Ws *ws, guint16 port, const char *path)
{
  gint64 deadline = now_ns () + STEP_TIMEOUT_NS;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    fail ("socket: %s", g_strerror (errno));
  int one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      if (errno != EINPROGRESS)
        fail ("%s: connect: %s", ws->name, g_strerror (errno));
      if (!wait_fd (fd, POLLOUT, deadline))
        fail ("%s: connect timed out", ws->name);
      int err = 0;
      socklen_t el = sizeof err;
      getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &el);
      if (err)
        fail ("%s: connect: %s", ws->name, g_strerror (err));
    }
  ws->fd = fd;

  guint8 raw[16];
  for (int i = 0; i < 16; i += 4)
    {
      guint32 r = g_random_int ();
      memcpy (raw + i, &r, 4);
    }
  char *key = g_base64_encode (raw, sizeof raw);
  char *req = g_strdup_printf ("GET %s HTTP/1.1\r\n"
                               "Host: 127.0.0.1:%u\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Key: %s\r\n"
                               "Sec-WebSocket-Version: 13\r\n"
                               "\r\n", path, port, key);
  write_all (ws, (const guint8 *) req, strlen (req));
  g_free (req);

  /* The response head; whatever follows it is frames, left in buf. */
  char *head_end = NULL;
  while (!head_end)
    {
      if (!wait_fd (fd, POLLIN, deadline))
        fail ("%s: no handshake answer", ws->name);
      ws_fill (ws);
      if (ws->len > 16384)
        fail ("%s: handshake answer too long", ws->name);
      head_end = memmem (ws->buf, ws->len, "\r\n\r\n", 4);
    }
  size_t head_len = (size_t) (head_end - (char *) ws->buf) + 4;
  char *head = g_strndup ((char *) ws->buf, head_len);
  ws->off = head_len;
  if (!g_str_has_prefix (head, "HTTP/1.1 101"))
    fail ("%s: handshake refused: %.*s", ws->name, (int) strcspn (head, "\r"), head);

  GChecksum *sha = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha, (const guchar *) key, (gssize) strlen (key));
  g_checksum_update (sha, (const guchar *) WS_GUID, (gssize) strlen (WS_GUID));
  guint8 digest[20];
  gsize dl = sizeof digest;
  g_checksum_get_digest (sha, digest, &dl);
  g_checksum_free (sha);
  char *want = g_base64_encode (digest, dl);
  bool ok = false;
  char **lines = g_strsplit (head, "\r\n", -1);
  for (char **l = lines; *l; l++)
    if (g_ascii_strncasecmp (*l, "sec-websocket-accept:", 21) == 0)
      ok = strcmp (g_strstrip (*l + 21), want) == 0;
  if (!ok)
    fail ("%s: missing or wrong Sec-WebSocket-Accept", ws->name);
  g_strfreev (lines);
  g_free (want);
  g_free (head);
  g_free (key);
}

static void
ws_hello (Ws *ws, const char *token)
{
  char *m = g_strdup_printf ("{\"type\":\"hello\",\"token\":\"%s\"}", token);
  ws_send_text (ws, m, strlen (m));
  g_free (m);
  size_t n;
  char *w = ws_wait_for (ws, "welcome", &n);
  ws->peer = json_str_dup (w, n, "peer");
  if (!ws->peer)
    fail ("%s: welcome without peer: %s", ws->name, w);
  g_free (w);
}

/* ------------------------------------------------------------------------ */

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* The same quantile as bench/signaling-load.mjs: a[ceil(p n) - 1]. */
static double
quantile (const double *a, size_t n, double p)
{
  if (!n)
    return NAN;
  size_t i = (size_t) ceil (p * (double) n);
  return a[MIN (n - 1, i ? i - 1 : 0)];
}

static double
cpu_seconds (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
         + (double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static bool
token_ok (const char *t)
{
  size_t n = t ? strlen (t) : 0;
  if (n < 1 || n > 256)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isalnum (t[i]) && !strchr ("_.~-", t[i]))
      return false;
  return true;
}

static void
print_codes (GString *s, Ws *ws)
{
  GHashTableIter it;
  gpointer k, v;
  bool first = true;
  g_string_append_c (s, '{');
  g_hash_table_iter_init (&it, ws->error_codes);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      g_string_append_printf (s, "%s\"%s\":%u", first ? "" : ",", (char *) k, GPOINTER_TO_UINT (v));
      first = false;
    }
  g_string_append_c (s, '}');
}

int
main (int argc, char **argv)
{
  char *url = NULL, *clinic_token = NULL, *doctor_token = NULL;
  double rate = 50, warmup = 1, duration = 20, drain = 2;
  int cpu = -1, timeout = 0;
  GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, "ws://127.0.0.1:PORT/ws (required)", "URL" },
    { "clinic-token", 0, 0, G_OPTION_ARG_STRING, &clinic_token, "Clinic token (or LM_BENCH_CLINIC_TOKEN)", "T" },
    { "doctor-token", 0, 0, G_OPTION_ARG_STRING, &doctor_token, "Doctor token (or LM_BENCH_DOCTOR_TOKEN)", "T" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "ice messages per second, clinic to doctor (default 50)", "N" },
    { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup, "Seconds sent but not sampled (default 1)", "S" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration, "Seconds sampled (default 20)", "S" },
    { "drain", 0, 0, G_OPTION_ARG_DOUBLE, &drain, "Seconds to wait for the last messages (default 2)", "S" },
    { "cpu", 0, 0, G_OPTION_ARG_INT, &cpu, "Pin to this CPU (default: not pinned)", "N" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Give up after S seconds (default warmup + duration + drain + 40)", "S" },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new ("- one-way latency of forwarded ice messages");
  g_option_context_add_main_entries (ctx, entries, NULL);
  GError *error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "lm-bench-probe: %s\n", error->message);
      return 2;
    }
  g_option_context_free (ctx);
  if (!clinic_token)
    clinic_token = g_strdup (g_getenv ("LM_BENCH_CLINIC_TOKEN"));
  if (!doctor_token)
    doctor_token = g_strdup (g_getenv ("LM_BENCH_DOCTOR_TOKEN"));
  if (!url || !token_ok (clinic_token) || !token_ok (doctor_token))
    {
      fprintf (stderr, "lm-bench-probe: --url and two tokens ([A-Za-z0-9_.~-], 1-256 bytes) are required\n");
      return 2;
    }
  if (!(rate > 0 && rate <= 10000) || !(warmup >= 0 && warmup <= 600) || !(duration > 0 && duration <= 3600)
      || !(drain >= 0 && drain <= 60) || timeout < 0)
    {
      fprintf (stderr, "lm-bench-probe: --rate 0-10000, --warmup 0-600, --duration 0-3600, --drain 0-60\n");
      return 2;
    }
  char *path;
  guint16 port;
  parse_url (url, &path, &port);

  /* Bounded whatever happens: SIGALRM's default action ends the process. */
  alarm (timeout ? (unsigned) timeout : (unsigned) (warmup + duration + drain + 40));

  if (cpu >= 0)
    {
      cpu_set_t set;
      CPU_ZERO (&set);
      CPU_SET (cpu, &set);
      if (sched_setaffinity (0, sizeof set, &set) < 0)
        fail ("sched_setaffinity(%d): %s", cpu, g_strerror (errno));
    }

  Ws clinic, doctor;
  ws_init (&clinic, "clinic");
  ws_init (&doctor, "doctor");
  ws_connect (&clinic, port, path);
  ws_connect (&doctor, port, path);
  ws_hello (&clinic, clinic_token);
  ws_hello (&doctor, doctor_token);

  /* Pairing, as the load generator does it. */
  char buf[1024];
  snprintf (buf, sizeof buf, "{\"type\":\"consult.request\",\"id\":1,\"specialty\":\"general\","
            "\"urgency\":\"routine\",\"patient_ref\":\"BENCH\"}");
  ws_send_text (&clinic, buf, strlen (buf));
  size_t n;
  char *m = ws_wait_for (&clinic, "consult.queued", &n);
  char *consultation = json_str_dup (m, n, "consultation");
  if (!consultation)
    fail ("consult.queued without consultation: %s", m);
  g_free (m);
  snprintf (buf, sizeof buf, "{\"type\":\"presence\",\"status\":\"available\"}");
  ws_send_text (&doctor, buf, strlen (buf));
  g_free (ws_wait_for (&doctor, "queue", NULL));
  snprintf (buf, sizeof buf, "{\"type\":\"consult.accept\",\"id\":2,\"consultation\":\"%s\"}", consultation);
  ws_send_text (&doctor, buf, strlen (buf));
  Ws *both[2] = { &clinic, &doctor };
  for (int i = 0; i < 2; i++)
    {
      m = ws_wait_for (both[i], "consult.start", &n);
      if (!json_str_is (m, n, "consultation", consultation) || !memmem (m, n, clinic.peer, strlen (clinic.peer))
          || !memmem (m, n, doctor.peer, strlen (doctor.peer)))
        fail ("%s: consult.start is not for this pair: %s", both[i]->name, m);
      g_free (m);
    }

  /* The run. Message k is due at t0 + k / rate; late sends catch up at once. */
  size_t total = (size_t) llround (rate * (warmup + duration));
  size_t first_sampled = (size_t) llround (rate * warmup);
  gint64 *sent_at = g_new0 (gint64, total);
  double *lat = g_new (double, total);
  size_t nlat = 0, sent = 0, received = 0, received_sampled = 0, bad = 0, dup = 0;
  guint8 *seen = g_new0 (guint8, total);
  char prefix[256], suffix[256];
  snprintf (prefix, sizeof prefix, "{\"type\":\"ice\",\"consultation\":\"%s\",\"to\":\"%s\","
            "\"candidate\":{\"candidate\":\"candidate:", consultation, doctor.peer);
  snprintf (suffix, sizeof suffix, " 1 udp 2122260223 127.0.0.1 40000 typ host generation 0 ufrag bnch "
            "network-id 1\",\"sdpMLineIndex\":0,\"sdpMid\":\"0\"}}");
  const char *marker = "\"candidate:";
  size_t marker_len = strlen (marker);

  double cpu0 = cpu_seconds ();
  gint64 t0 = now_ns () + 1000000;
  gint64 period = (gint64) (1e9 / rate);
  gint64 drain_end = 0;
  for (;;)
    {
      gint64 now = now_ns ();
      if (sent < total && now >= t0 + (gint64) sent * period)
        {
          int k = snprintf (buf, sizeof buf, "%s%zu%s", prefix, sent, suffix);
          sent_at[sent] = now_ns ();
          ws_send_text (&clinic, buf, (size_t) k);
          sent++;
          continue;
        }
      if (sent == total)
        {
          if (!drain_end)
            drain_end = now + (gint64) (drain * 1e9);
          if (received == total || now >= drain_end)
            break;
        }
      gint64 until = sent < total ? t0 + (gint64) sent * period : drain_end;
      gint64 left = MAX (0, until - now);
      struct timespec ts = { left / 1000000000, left % 1000000000 };
      struct pollfd p[2] = { { .fd = doctor.fd, .events = POLLIN }, { .fd = clinic.fd, .events = POLLIN } };
      int r = ppoll (p, 2, &ts, NULL);
      if (r < 0 && errno != EINTR)
        fail ("poll: %s", g_strerror (errno));
      if (r <= 0)
        continue;
      if (p[0].revents)
        {
          ws_fill (&doctor);
          gint64 t = now_ns ();
          const char *msg;
          size_t len;
          while (ws_next (&doctor, &msg, &len))
            {
              const char *c = memmem (msg, len, marker, marker_len);
              if (!json_str_is (msg, len, "type", "ice"))
                {
                  if (json_str_is (msg, len, "type", "error"))
                    count_error (&doctor, msg, len);
                  continue;
                }
              if (!c || !json_str_is (msg, len, "from", clinic.peer))
                {
                  bad++;
                  continue;
                }
              const char *d = c + marker_len, *end = msg + len;
              size_t seq = 0;
              bool digits = false;
              while (d < end && *d >= '0' && *d <= '9' && seq < total)
                {
                  seq = seq * 10 + (size_t) (*d++ - '0');
                  digits = true;
                }
              if (!digits || seq >= sent || seen[seq])
                {
                  bad += !digits || seq >= sent;
                  dup += digits && seq < sent;
                  continue;
                }
              seen[seq] = 1;
              received++;
              if (seq >= first_sampled)
                {
                  received_sampled++;
                  lat[nlat++] = (double) (t - sent_at[seq]) / 1e6;
                }
            }
        }
      if (p[1].revents)
        {
          ws_fill (&clinic);
          const char *msg;
          size_t len;
          while (ws_next (&clinic, &msg, &len))
            if (json_str_is (msg, len, "type", "error"))
              count_error (&clinic, msg, len);
        }
    }
  double cpu_used = cpu_seconds () - cpu0;
  double run_s = (double) (now_ns () - t0) / 1e9;

  qsort (lat, nlat, sizeof *lat, cmp_double);
  double sum = 0;
  for (size_t i = 0; i < nlat; i++)
    sum += lat[i];
  double mean = nlat ? sum / (double) nlat : NAN;
  double p50 = quantile (lat, nlat, 0.5), p90 = quantile (lat, nlat, 0.9), p99 = quantile (lat, nlat, 0.99),
         p999 = quantile (lat, nlat, 0.999), max = nlat ? lat[nlat - 1] : NAN;
  size_t sampled_sent = total - first_sampled;

  GString *j = g_string_new (NULL);
  g_string_append_printf (j, "{\"tool\":\"lm-bench-probe\",\"url\":\"%s\",\"rate\":%g,\"warmup_s\":%g,"
                          "\"duration_s\":%g,\"cpu\":%d,\"sent\":%zu,\"received\":%zu,\"lost\":%zu,"
                          "\"sampled_sent\":%zu,\"sampled_received\":%zu,\"duplicates\":%zu,\"bad\":%zu,"
                          "\"errors\":%u,\"error_codes\":{\"clinic\":",
                          url, rate, warmup, duration, cpu, sent, received, sent - received, sampled_sent,
                          received_sampled, dup, bad, clinic.errors + doctor.errors);
  print_codes (j, &clinic);
  g_string_append (j, ",\"doctor\":");
  print_codes (j, &doctor);
  g_string_append_printf (j, "},\"client_cpu_pct\":%.1f,"
                          "\"latency_ms\":{\"n\":%zu,\"mean\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
                          "\"p999\":%.3f,\"max\":%.3f}}\n",
                          run_s > 0 ? 100.0 * cpu_used / run_s : 0.0, nlat, mean, p50, p90, p99, p999, max);
  fputs (j->str, stdout);
  fflush (stdout);
  fprintf (stderr, "lm-bench-probe: %zu samples at %g/s: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f ms; "
           "lost %zu of %zu; errors %u; own CPU %.1f %%\n",
           nlat, rate, p50, p90, p99, max, sent - received, sent, clinic.errors + doctor.errors,
           run_s > 0 ? 100.0 * cpu_used / run_s : 0.0);
  g_string_free (j, TRUE);
  close (clinic.fd);
  close (doctor.fd);
  /* Losses are reported, not fatal; a run with no sample at all is. */
  return nlat > 0 ? 0 : 1;
}

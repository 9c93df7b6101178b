/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include <string.h>

#include "lms-ws.h"

/* The WebSocket frame reader on byte tables. Every input is fed three
 * ways (whole, one byte at a time, split in two at every offset) and must
 * give the same messages and the same verdict: the network cuts frames
 * wherever it likes. */

#define DEFAULT_MAX (1024 * 1024)

typedef struct {
  const char *name;
  const char *hex;              /* spaces ignored */
  const char *events;           /* what the reader delivers, '|' between */
  gushort code;                 /* 0: fed to the end without error */
  guint64 max_payload;          /* 0: DEFAULT_MAX */
} Case;

/* Events as text: T text, B binary, C close, P ping, O pong; then the
 * payload, bytes outside printable ASCII as \xNN. */
static const Case valid_cases[] = {
  { "rfc-masked-hello", "81 85 37fa213d 7f9f4d5158", "T:Hello" },
  { "empty-text", "81 80 00000000", "T:" },
  { "binary", "82 83 00000000 000102", "B:\\x00\\x01\\x02" },
  { "two-in-one-read", "81 81 00000000 61 81 81 01010101 63", "T:a|T:b" },
  { "rfc-masked-pong", "8a 85 37fa213d 7f9f4d5158", "O:Hello" },
  { "ping-empty", "89 80 00000000", "P:" },
  { "ping-125", "89 fd 00000000 <x*125>", "P:<x*125>" },
  { "close-with-code", "88 85 00000000 03e8 627965", "C:\\x03\\xe8bye" },
  { "close-empty", "88 80 00000000", "C:" },
  { "fragmented", "01 83 00000000 48656c 80 82 00000000 6c6f", "T:Hello" },
  { "fragmented-three", "02 81 00000000 01 00 81 00000000 02 80 81 00000000 03",
    "B:\\x01\\x02\\x03" },
  { "fragmented-empty-parts", "01 80 00000000 00 80 00000000 80 80 00000000", "T:" },
  { "control-inside-fragmented",
    "01 81 00000000 61 89 81 00000000 70 00 81 00000000 62 8a 80 00000000 80 81 00000000 63",
    "P:p|O:|T:abc" },
  { "close-inside-fragmented", "01 81 00000000 61 88 82 00000000 03e9", "C:\\x03\\xe9" },
  { "length-16-bit-small", "81 fe 0005 00000000 48656c6c6f", "T:Hello" },
  { "length-64-bit-small", "81 ff 0000000000000005 00000000 48656c6c6f", "T:Hello" },
  { "at-limit", "81 90 00000000 <z*16>", "T:<z*16>", 0, 16 },
  { "fragments-at-limit", "01 88 00000000 <a*8> 80 88 00000000 <b*8>", "T:<a*8><b*8>", 0, 16 },
  { "then-new-message", "01 81 00000000 61 80 81 00000000 62 81 81 00000000 63", "T:ab|T:c" },
};

static const Case invalid_cases[] = {
  { "rfc-unmasked-hello", "81 05 48656c6c6f", "", 1002 },
  { "unmasked-ping", "89 00", "", 1002 },
  { "rsv1", "c1 85 00000000 48656c6c6f", "", 1002 },
  { "rsv2", "a1 80 00000000", "", 1002 },
  { "rsv3", "91 80 00000000", "", 1002 },
  { "opcode-3", "83 80 00000000", "", 1002 },
  { "opcode-7", "87 80 00000000", "", 1002 },
  { "opcode-b", "8b 80 00000000", "", 1002 },
  { "opcode-f", "8f 80 00000000", "", 1002 },
  { "continuation-first", "80 81 00000000 61", "", 1002 },
  { "text-inside-fragmented", "01 81 00000000 61 81 81 00000000 62", "", 1002 },
  { "binary-inside-fragmented", "02 81 00000000 61 02 81 00000000 62", "", 1002 },
  { "fragmented-ping", "09 80 00000000", "", 1002 },
  { "fragmented-close", "08 80 00000000", "", 1002 },
  { "ping-126", "89 fe 007e 00000000", "", 1002 },
  { "close-127", "88 ff 0000000000000001 00000000 00", "", 1002 },
  { "length-msb-set", "82 ff 8000000000000000 00000000", "", 1002 },
  { "length-all-ones", "82 ff ffffffffffffffff 00000000", "", 1002 },
  { "over-limit", "81 91 00000000 <z*17>", "", 1009, 16 },
  { "over-limit-header-only", "81 91 00000000", "", 1009, 16 },
  { "over-limit-16-bit", "82 fe 0100 00000000", "", 1009, 255 },
  { "over-limit-64-bit", "82 ff 0000000100000000 00000000", "", 1009 },
  { "fragments-over-limit", "01 88 00000000 <a*8> 80 89 00000000 <b*9>", "", 1009, 16 },
  { "after-good-frames", "81 81 00000000 61 89 80 00000000 83 80 00000000", "T:a|P:", 1002 },
};

/* Hex digits, and <C*N> for N bytes of the character C. */
static GByteArray *
parse_hex (const char *hex)
{
  GByteArray *bytes = g_byte_array_new ();
  const char *p = hex;

  while (*p)
    {
      if (*p == ' ')
        p++;
      else if (*p == '<')
        {
          char c = p[1];
          char *end;
          guint64 n = g_ascii_strtoull (p + 3, &end, 10);

          g_assert_cmpint (p[2], ==, '*');
          g_assert_cmpint (*end, ==, '>');
          for (guint64 i = 0; i < n; i++)
            g_byte_array_append (bytes, (guint8 *) &c, 1);
          p = end + 1;
        }
      else
        {
          guint8 b;

          g_assert_true (g_ascii_isxdigit (p[0]) && g_ascii_isxdigit (p[1]));
          b = (g_ascii_xdigit_value (p[0]) << 4) | g_ascii_xdigit_value (p[1]);
          g_byte_array_append (bytes, &b, 1);
          p += 2;
        }
    }
  return bytes;
}

/* The <C*N> shorthand in expected events too. */
static char *
expand (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p;)
    {
      if (p[0] == '<' && p[1] && p[2] == '*')
        {
          char *end;
          guint64 n = g_ascii_strtoull (p + 3, &end, 10);

          for (guint64 i = 0; i < n; i++)
            g_string_append_c (out, p[1]);
          p = end + 1;
        }
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

typedef struct {
  GString *log;
  guint calls;
  guint stop_after;             /* 0: never stop */
} Recorder;

static gboolean
record (gpointer user_data, LmsWsOpcode opcode, guint8 *payload, gsize len)
{
  Recorder *rec = user_data;
  static const struct { LmsWsOpcode op; char c; } names[] = {
    { LMS_WS_OP_TEXT, 'T' }, { LMS_WS_OP_BINARY, 'B' }, { LMS_WS_OP_CLOSE, 'C' },
    { LMS_WS_OP_PING, 'P' }, { LMS_WS_OP_PONG, 'O' },
  };
  char name = '?';

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (names[i].op == opcode)
      name = names[i].c;
  if (rec->log->len > 0)
    g_string_append_c (rec->log, '|');
  g_string_append_printf (rec->log, "%c:", name);
  for (gsize i = 0; i < len; i++)
    {
      if (payload[i] >= 0x20 && payload[i] < 0x7f && payload[i] != '\\')
        g_string_append_c (rec->log, payload[i]);
      else
        g_string_append_printf (rec->log, "\\x%02x", payload[i]);
    }
  rec->calls++;
  return rec->stop_after == 0 || rec->calls < rec->stop_after;
}

typedef enum { FEED_WHOLE, FEED_BYTES, FEED_SPLIT } FeedMode;

/* Feeds `input` in pieces; returns the close code, 0 for none. Every piece
 * is a fresh copy, as a read into a reused buffer would be. */
static gushort
feed_pieces (const GByteArray *input, const gsize *cuts, guint n_cuts, guint64 max,
             GString *log)
{
  LmsWsReader reader;
  Recorder rec = { log, 0, 0 };
  gushort code = 0;
  const char *reason = NULL;
  gsize start = 0;

  lms_ws_reader_init (&reader, max);
  for (guint i = 0; i <= n_cuts; i++)
    {
      gsize end = i < n_cuts ? cuts[i] : input->len;
      g_autofree guint8 *piece = g_malloc (MAX (end - start, 1));
      LmsWsFeed r;

      memcpy (piece, input->data + start, end - start);
      r = lms_ws_reader_feed (&reader, piece, end - start, record, &rec, &code, &reason);

      start = end;
      if (r == LMS_WS_FEED_ERROR)
        {
          g_assert_nonnull (reason);
          g_assert_cmpuint (code, !=, 0);
          break;
        }
      g_assert_cmpint (r, ==, LMS_WS_FEED_OK);
    }
  lms_ws_reader_clear (&reader);
  return code;
}

static void
check_feed (const Case *c, FeedMode mode)
{
  g_autoptr (GByteArray) input = parse_hex (c->hex);
  g_autofree char *expected = expand (c->events);
  guint64 max = c->max_payload ? c->max_payload : DEFAULT_MAX;

  if (mode == FEED_WHOLE || mode == FEED_BYTES)
    {
      g_autoptr (GString) log = g_string_new (NULL);
      g_autofree gsize *cuts = g_new (gsize, input->len + 1);
      guint n_cuts = 0;

      if (mode == FEED_BYTES)
        for (gsize i = 1; i < input->len; i++)
          cuts[n_cuts++] = i;
      g_assert_cmpuint (feed_pieces (input, cuts, n_cuts, max, log), ==, c->code);
      g_assert_cmpstr (log->str, ==, expected);
      return;
    }
  for (gsize at = 0; at <= input->len; at++)
    {
      g_autoptr (GString) log = g_string_new (NULL);

      g_assert_cmpuint (feed_pieces (input, &at, 1, max, log), ==, c->code);
      g_assert_cmpstr (log->str, ==, expected);
    }
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;

  check_feed (c, FEED_WHOLE);
  check_feed (c, FEED_BYTES);
  check_feed (c, FEED_SPLIT);
}

/* A masked frame of `len` bytes with a given length encoding (7, 16 or 64
 * bits), the payload counting up so that a misplaced byte shows. */
static GByteArray *
build_frame (guint8 first, guint64 len, int bits, const guint8 mask[4])
{
  GByteArray *frame = g_byte_array_new ();
  guint8 head[2] = { first, 0x80 };

  if (bits == 7)
    head[1] |= len;
  else
    head[1] |= bits == 16 ? 126 : 127;
  g_byte_array_append (frame, head, 2);
  for (int i = bits / 8 - 1; bits > 7 && i >= 0; i--)
    {
      guint8 b = (len >> (8 * i)) & 0xff;

      g_byte_array_append (frame, &b, 1);
    }
  g_byte_array_append (frame, mask, 4);
  for (guint64 i = 0; i < len; i++)
    {
      guint8 b = (guint8) (i * 7) ^ mask[i & 3];

      g_byte_array_append (frame, &b, 1);
    }
  return frame;
}

typedef struct {
  guint64 len;
  int bits;
} Boundary;

static const Boundary boundaries[] = {
  { 0, 7 }, { 125, 7 }, { 126, 16 }, { 65535, 16 }, { 65536, 64 }, { 70000, 64 },
};

typedef struct {
  guint64 len;
  gboolean ok;
} Delivered;

static gboolean
check_counting (gpointer user_data, LmsWsOpcode opcode, guint8 *payload, gsize len)
{
  Delivered *d = user_data;

  d->len = len;
  d->ok = opcode == LMS_WS_OP_BINARY;
  for (gsize i = 0; i < len && d->ok; i++)
    d->ok = payload[i] == (guint8) (i * 7);
  return TRUE;
}

static void
test_length_boundaries (void)
{
  static const guint8 mask[4] = { 0xa5, 0x5a, 0x01, 0xfe };

  for (guint i = 0; i < G_N_ELEMENTS (boundaries); i++)
    {
      const Boundary *b = &boundaries[i];
      g_autoptr (GByteArray) frame = build_frame (0x82, b->len, b->bits, mask);
      gsize steps[] = { frame->len, 1000, 1 };

      g_test_message ("payload %" G_GUINT64_FORMAT " in %d bits", b->len, b->bits);
      for (guint s = 0; s < G_N_ELEMENTS (steps); s++)
        {
          LmsWsReader reader;
          Delivered d = { G_MAXUINT64, FALSE };
          gushort code = 0;
          const char *reason = NULL;

          if (steps[s] == 1 && b->len > 70000)
            continue;
          lms_ws_reader_init (&reader, 65536);
          for (gsize at = 0; at < frame->len; at += steps[s])
            {
              gsize n = MIN (steps[s], frame->len - at);
              g_autofree guint8 *piece = g_memdup2 (frame->data + at, n);

              if (lms_ws_reader_feed (&reader, piece, n, check_counting, &d, &code, &reason)
                  != LMS_WS_FEED_OK)
                break;
            }
          if (b->len <= 65536)
            {
              g_assert_cmpuint (code, ==, 0);
              g_assert_cmpuint (d.len, ==, b->len);
              g_assert_true (d.ok);
              g_assert_null (reader.partial);
            }
          else
            {
              g_assert_cmpuint (code, ==, LMS_WS_CLOSE_TOO_BIG);
              g_assert_cmpuint (d.len, ==, G_MAXUINT64);
            }
          lms_ws_reader_clear (&reader);
        }
    }
}

/* The limit is known from the header: nothing of the payload is kept. */
static void
test_oversize_from_header (void)
{
  LmsWsReader reader;
  guint8 head[] = { 0x81, 0xff, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4 };
  Recorder rec = { g_string_new (NULL), 0, 0 };
  gushort code = 0;
  const char *reason = NULL;

  lms_ws_reader_init (&reader, DEFAULT_MAX);
  g_assert_cmpint (lms_ws_reader_feed (&reader, head, sizeof head, record, &rec, &code, &reason),
                   ==, LMS_WS_FEED_ERROR);
  g_assert_cmpuint (code, ==, 1009);
  g_assert_cmpstr (reason, ==, "message too big");
  g_assert_cmpuint (reader.partial_cap, <=, 14);
  lms_ws_reader_clear (&reader);
  g_string_free (rec.log, TRUE);
}

/* A callback that returns FALSE (the connection closed) stops the reader
 * at once: what follows is not delivered. */
static void
test_stop (void)
{
  g_autoptr (GByteArray) input = parse_hex ("81 81 00000000 61 88 80 00000000 81 81 00000000 62");
  LmsWsReader reader;
  Recorder rec = { g_string_new (NULL), 0, 2 };
  gushort code = 0;
  const char *reason = NULL;

  lms_ws_reader_init (&reader, DEFAULT_MAX);
  g_assert_cmpint (lms_ws_reader_feed (&reader, input->data, input->len, record, &rec, &code,
                                       &reason), ==, LMS_WS_FEED_STOPPED);
  g_assert_cmpstr (rec.log->str, ==, "T:a|C:");
  lms_ws_reader_clear (&reader);
  g_string_free (rec.log, TRUE);
}

static void
test_frame_header (void)
{
  static const struct {
    guint64 len;
    const char *hex;
  } rows[] = {
    { 0, "8100" }, { 125, "817d" }, { 126, "817e007e" }, { 65535, "817effff" },
    { 65536, "817f0000000000010000" }, { G_GUINT64_CONSTANT (1) << 40, "817f0000010000000000" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      guint8 header[10];
      gsize n = lms_ws_frame_header (header, LMS_WS_OP_TEXT, rows[i].len);
      g_autoptr (GByteArray) expected = parse_hex (rows[i].hex);

      g_assert_cmpmem (header, n, expected->data, expected->len);
    }
}

/* Random bytes and damaged good frames: any verdict will do, but no crash,
 * no assertion and no leak (run under ASan to see the last two). */
static void
test_garbage (void)
{
  for (guint round = 0; round < 20000; round++)
    {
      LmsWsReader reader;
      Recorder rec = { g_string_new (NULL), 0, 0 };
      gsize len = g_test_rand_int_range (0, 80);
      g_autofree guint8 *data = g_malloc (len + 1);
      gushort code = 0;
      const char *reason = NULL;

      if (round % 2 == 0 || len < 2)
        for (gsize i = 0; i < len; i++)
          data[i] = g_test_rand_int_range (0, 256);
      else
        {
          /* A plausible header: masked, small length, maybe fragmented. */
          const Case *c = &valid_cases[round % G_N_ELEMENTS (valid_cases)];
          g_autoptr (GByteArray) good = parse_hex (c->hex);

          len = MIN (len, good->len);
          memcpy (data, good->data, len);
          if (len > 0)
            data[g_test_rand_int_range (0, len)] ^= 1 << g_test_rand_int_range (0, 8);
        }
      lms_ws_reader_init (&reader, 64);
      for (gsize at = 0; at < len;)
        {
          gsize step = g_test_rand_int_range (1, 8);    /* not inside MIN: evaluated twice */
          gsize n = MIN (step, len - at);

          if (lms_ws_reader_feed (&reader, data + at, n, record, &rec, &code, &reason)
              == LMS_WS_FEED_ERROR)
            break;
          at += n;
        }
      lms_ws_reader_clear (&reader);
      g_string_free (rec.log, TRUE);
    }
}

static void
test_accept_key (void)
{
  g_autofree char *accept = lms_ws_accept_key ("dGhlIHNhbXBsZSBub25jZQ==");

  /* RFC 6455, section 1.3. */
  g_assert_cmpstr (accept, ==, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

typedef struct {
  const char *name;
  const char *method;
  const char *upgrade;
  const char *connection;
  const char *version;
  const char *key;
  guint status;
} Upgrade;

static const Upgrade upgrades[] = {
  { "good", "GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", 101 },
  { "mixed-case", "GET", "WebSocket", "keep-alive, upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", 101 },
  { "post", "POST", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", 400 },
  { "no-upgrade", "GET", NULL, "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", 426 },
  { "upgrade-h2c", "GET", "h2c", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", 426 },
  { "no-connection", "GET", "websocket", NULL, "13", "dGhlIHNhbXBsZSBub25jZQ==", 400 },
  { "version-8", "GET", "websocket", "Upgrade", "8", "dGhlIHNhbXBsZSBub25jZQ==", 426 },
  { "no-version", "GET", "websocket", "Upgrade", NULL, "dGhlIHNhbXBsZSBub25jZQ==", 426 },
  { "no-key", "GET", "websocket", "Upgrade", "13", NULL, 400 },
  { "short-key", "GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZQ==", 400 },
  { "bad-key-char", "GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZ!==", 400 },
  { "key-no-padding", "GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQAA", 400 },
};

static void
test_upgrade (gconstpointer data)
{
  const Upgrade *u = data;
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autofree char *accept = NULL;
  const char *reason = NULL;
  guint status = 0;
  gboolean ok;

  if (u->upgrade)
    soup_message_headers_append (headers, "Upgrade", u->upgrade);
  if (u->connection)
    soup_message_headers_append (headers, "Connection", u->connection);
  if (u->version)
    soup_message_headers_append (headers, "Sec-WebSocket-Version", u->version);
  if (u->key)
    soup_message_headers_append (headers, "Sec-WebSocket-Key", u->key);
  ok = lms_ws_check_upgrade (u->method, headers, &accept, &status, &reason);
  g_assert_cmpuint (status, ==, u->status);
  g_assert_cmpint (ok, ==, u->status == 101);
  if (ok)
    g_assert_cmpstr (accept, ==, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  else
    g_assert_nonnull (reason);
  soup_message_headers_unref (headers);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (valid_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ws/frame/valid/%s", valid_cases[i].name);

      g_test_add_data_func (path, &valid_cases[i], test_case);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ws/frame/invalid/%s", invalid_cases[i].name);

      g_test_add_data_func (path, &invalid_cases[i], test_case);
    }
  g_test_add_func ("/ws/frame/length-boundaries", test_length_boundaries);
  g_test_add_func ("/ws/frame/oversize-from-header", test_oversize_from_header);
  g_test_add_func ("/ws/frame/stop", test_stop);
  g_test_add_func ("/ws/frame/header", test_frame_header);
  g_test_add_func ("/ws/frame/garbage", test_garbage);
  g_test_add_func ("/ws/upgrade/accept-key", test_accept_key);
  for (guint i = 0; i < G_N_ELEMENTS (upgrades); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ws/upgrade/%s", upgrades[i].name);

      g_test_add_data_func (path, &upgrades[i], test_upgrade);
    }
  return g_test_run ();
}

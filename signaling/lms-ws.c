/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-ws.h"

#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* One epoll set for every WebSocket, one GSource for the set: GLib's main
 * loop polls one descriptor however many peers are connected (with a
 * GSource per socket, every iteration walked all of them: see
 * docs/benchmarks.md). Level-triggered, so a socket not read to the end
 * is simply reported again. */

#define SCRATCH_BYTES (64 * 1024)
#define MAX_EVENTS 256
#define CLOSE_TIMEOUT_US (2 * G_USEC_PER_SEC)
#define PLAIN_READ_ROUNDS 4

typedef enum {
  STATE_OPEN,
  STATE_CLOSING,                /* close frame sent, waiting for the peer's */
  STATE_DOOMED,                 /* to be torn down at the end of dispatch */
  STATE_CLOSED,                 /* torn down; only memory left */
} State;

struct _LmsWsLoop {
  GSource source;
  int epfd;
  GQueue closing;               /* LmsWs, oldest deadline first */
  GPtrArray *doomed;            /* LmsWs */
  guint8 *scratch;              /* one read buffer for every connection */
  gboolean dispatching;
  struct epoll_event events[MAX_EVENTS];
};

struct _LmsWs {
  LmsWsLoop *loop;
  GIOStream *stream;
  GSocket *socket;
  int fd;
  guint8 state;
  guint tls : 1;                /* read and write through the TLS streams */
  guint kick : 1;               /* read once: libsoup may hold bytes already read */
  guint via_stream : 1;         /* plain socket, still draining libsoup's buffer */
  guint close_sent : 1;
  guint close_received : 1;
  guint discard_input : 1;      /* after a protocol error */
  guint in_closing : 1;
  guint32 armed;                /* epoll events */
  LmsWsReader reader;
  guint8 *out;                  /* unsent bytes out[out_off, out_len) */
  gsize out_off;
  gsize out_len;
  gsize out_cap;
  gsize max_output;
  gint64 last_input_us;
  gint64 deadline_us;
  GList link;                   /* in loop->closing */
  const LmsWsCallbacks *callbacks;
  gpointer user_data;
};

static void handle_events (LmsWs *ws, guint32 events);

/* --- The loop */

static void
doom (LmsWs *ws)
{
  LmsWsLoop *loop = ws->loop;

  if (ws->state >= STATE_DOOMED)
    return;
  if (ws->in_closing)
    {
      g_queue_unlink (&loop->closing, &ws->link);
      ws->in_closing = FALSE;
    }
  ws->state = STATE_DOOMED;
  g_ptr_array_add (loop->doomed, ws);
  g_source_set_ready_time (&loop->source, 0);
}

static void
close_io (LmsWs *ws)
{
  epoll_ctl (ws->loop->epfd, EPOLL_CTL_DEL, ws->fd, NULL);
  /* The socket first: a TLS close_notify then fails at once instead of
   * waiting on a peer that does not read. */
  g_socket_close (ws->socket, NULL);
  g_io_stream_close (ws->stream, NULL, NULL);
  lms_ws_reader_clear (&ws->reader);
  g_clear_pointer (&ws->out, g_free);
  ws->out_off = ws->out_len = ws->out_cap = 0;
  ws->state = STATE_CLOSED;
}

static void
bury_doomed (LmsWsLoop *loop)
{
  /* A `closed` callback may doom or free others: take one at a time. */
  while (loop->doomed->len > 0)
    {
      LmsWs *ws = g_ptr_array_steal_index_fast (loop->doomed, loop->doomed->len - 1);

      close_io (ws);
      ws->callbacks->closed (ws, ws->user_data);
    }
}

static void
expire_closing (LmsWsLoop *loop, gint64 now)
{
  while (loop->closing.head)
    {
      LmsWs *ws = loop->closing.head->data;

      if (ws->deadline_us > now)
        break;
      doom (ws);
    }
}

static gboolean
loop_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  LmsWsLoop *loop = (LmsWsLoop *) source;
  int n;

  /* Can-recurse only spares GLib's block/unblock of the descriptor around
   * each dispatch (two eventfd writes and a spurious wake-up every time);
   * a nested main loop inside a handler must still not re-enter here. */
  if (loop->dispatching)
    return G_SOURCE_CONTINUE;
  loop->dispatching = TRUE;
  do
    n = epoll_wait (loop->epfd, loop->events, MAX_EVENTS, 0);
  while (n < 0 && errno == EINTR);
  for (int i = 0; i < n; i++)
    {
      LmsWs *ws = loop->events[i].data.ptr;

      /* Torn down only below, so every pointer here is still valid. */
      if (ws->state < STATE_DOOMED)
        handle_events (ws, loop->events[i].events);
    }
  expire_closing (loop, g_get_monotonic_time ());
  bury_doomed (loop);
  if (loop->closing.head)
    g_source_set_ready_time (source, ((LmsWs *) loop->closing.head->data)->deadline_us);
  else
    g_source_set_ready_time (source, -1);
  loop->dispatching = FALSE;
  return G_SOURCE_CONTINUE;
}

static void
loop_finalize (GSource *source)
{
  LmsWsLoop *loop = (LmsWsLoop *) source;

  if (loop->epfd >= 0)
    close (loop->epfd);
  g_clear_pointer (&loop->doomed, g_ptr_array_unref);
  g_free (loop->scratch);
}

static GSourceFuncs loop_funcs = {
  .dispatch = loop_dispatch,
  .finalize = loop_finalize,
};

LmsWsLoop *
lms_ws_loop_new (GError **error)
{
  GSource *source = g_source_new (&loop_funcs, sizeof (LmsWsLoop));
  LmsWsLoop *loop = (LmsWsLoop *) source;
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();

  loop->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (loop->epfd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "epoll_create1: %s", g_strerror (saved));
      g_source_unref (source);
      return NULL;
    }
  g_queue_init (&loop->closing);
  loop->doomed = g_ptr_array_new ();
  loop->scratch = g_malloc (SCRATCH_BYTES);
  g_source_set_name (source, "lastmile websockets");
  g_source_set_can_recurse (source, TRUE);
  g_source_add_unix_fd (source, loop->epfd, G_IO_IN);
  g_source_attach (source, context);
  return loop;
}

void
lms_ws_loop_free (LmsWsLoop *loop)
{
  if (!loop)
    return;
  g_source_destroy (&loop->source);
  g_source_unref (&loop->source);
}

/* --- Output */

static void
arm (LmsWs *ws, guint32 events)
{
  struct epoll_event ev = { .data.ptr = ws };

  /* The first EPOLLOUT is what starts a new connection's first read. */
  if (ws->kick)
    events |= EPOLLOUT;
  ev.events = events;
  if (ws->armed == events || ws->state >= STATE_DOOMED)
    return;
  if (epoll_ctl (ws->loop->epfd, EPOLL_CTL_MOD, ws->fd, &ev) < 0)
    {
      g_debug ("websocket fd %d: epoll_ctl: %s", ws->fd, g_strerror (errno));
      doom (ws);
      return;
    }
  ws->armed = events;
}

static void
out_append (LmsWs *ws, const guint8 *data, gsize len)
{
  if (ws->out_off > 0 && ws->out_off == ws->out_len)
    ws->out_off = ws->out_len = 0;
  if (ws->out_len + len > ws->out_cap)
    {
      /* Move the unsent tail to the front before growing. */
      if (ws->out_off > 0)
        {
          memmove (ws->out, ws->out + ws->out_off, ws->out_len - ws->out_off);
          ws->out_len -= ws->out_off;
          ws->out_off = 0;
        }
      if (ws->out_len + len > ws->out_cap)
        {
          ws->out_cap = MAX (ws->out_len + len, ws->out_cap * 2);
          ws->out = g_realloc (ws->out, ws->out_cap);
        }
    }
  memcpy (ws->out + ws->out_len, data, len);
  ws->out_len += len;
}

static void
maybe_finish (LmsWs *ws)
{
  if (ws->close_sent && ws->close_received && ws->out_off == ws->out_len)
    doom (ws);
}

/* Bytes written, 0 when the socket is full, -1 on failure. */
static gssize
write_some (LmsWs *ws, const guint8 *data, gsize len)
{
  gssize n;

  if (ws->tls)
    {
      g_autoptr (GError) error = NULL;
      GOutputStream *out = g_io_stream_get_output_stream (ws->stream);

      n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (out), data, len,
                                                      NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return 0;
      if (n < 0)
        g_debug ("websocket fd %d: write: %s", ws->fd, error->message);
      return n;
    }
  do
    n = send (ws->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return 0;
  if (n < 0)
    g_debug ("websocket fd %d: send: %s", ws->fd, g_strerror (errno));
  return n;
}

static void
flush (LmsWs *ws)
{
  while (ws->out_off < ws->out_len)
    {
      gssize n = write_some (ws, ws->out + ws->out_off, ws->out_len - ws->out_off);

      if (n < 0)
        {
          doom (ws);
          return;
        }
      if (n == 0)
        {
          arm (ws, EPOLLIN | EPOLLOUT);
          return;
        }
      ws->out_off += n;
    }
  /* Nothing queued: give the memory back, most sockets are idle. */
  g_clear_pointer (&ws->out, g_free);
  ws->out_off = ws->out_len = ws->out_cap = 0;
  arm (ws, EPOLLIN);
  maybe_finish (ws);
}

/* The common case, a plain socket with nothing queued: header and payload
 * in one sendmsg, nothing copied unless the socket is full. */
static gboolean
send_direct (LmsWs *ws, const guint8 *header, gsize header_len, const guint8 *payload,
             gsize len)
{
  struct iovec iov[2] = { { (void *) header, header_len }, { (void *) payload, len } };
  struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1 };
  gssize n;

  do
    n = sendmsg (ws->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    {
      g_debug ("websocket fd %d: send: %s", ws->fd, g_strerror (errno));
      doom (ws);
      return FALSE;
    }
  if (n < 0)
    n = 0;
  if ((gsize) n < header_len)
    {
      out_append (ws, header + n, header_len - n);
      out_append (ws, payload, len);
    }
  else if ((gsize) n < header_len + len)
    out_append (ws, payload + (n - header_len), len - (n - header_len));
  else
    return TRUE;
  arm (ws, EPOLLIN | EPOLLOUT);
  return TRUE;
}

static gboolean
queue_frame (LmsWs *ws, LmsWsOpcode opcode, const guint8 *payload, gsize len)
{
  guint8 header[10];
  gsize header_len = lms_ws_frame_header (header, opcode, len);

  if (ws->state >= STATE_DOOMED)
    return FALSE;
  if (!ws->tls && ws->out_off == ws->out_len)
    return send_direct (ws, header, header_len, payload, len);
  out_append (ws, header, header_len);
  out_append (ws, payload, len);
  flush (ws);
  return ws->state < STATE_DOOMED;
}

static void
send_close (LmsWs *ws, gushort code, const char *reason)
{
  guint8 payload[125];
  gsize len = 0;
  LmsWsLoop *loop = ws->loop;

  if (ws->close_sent || ws->state >= STATE_DOOMED)
    return;
  if (code != 0)
    {
      gsize reason_len = reason ? MIN (strlen (reason), sizeof payload - 2) : 0;

      payload[0] = code >> 8;
      payload[1] = code & 0xff;
      if (reason_len > 0)
        memcpy (payload + 2, reason, reason_len);
      len = 2 + reason_len;
    }
  ws->close_sent = TRUE;
  ws->state = STATE_CLOSING;
  ws->deadline_us = g_get_monotonic_time () + CLOSE_TIMEOUT_US;
  g_queue_push_tail_link (&loop->closing, &ws->link);
  ws->in_closing = TRUE;
  if (loop->closing.length == 1)
    g_source_set_ready_time (&loop->source, ws->deadline_us);
  queue_frame (ws, LMS_WS_OP_CLOSE, payload, len);
}

gboolean
lms_ws_is_open (const LmsWs *ws)
{
  return ws && ws->state == STATE_OPEN;
}

void
lms_ws_close (LmsWs *ws, gushort code, const char *reason)
{
  if (lms_ws_is_open (ws))
    send_close (ws, code, reason);
}

void
lms_ws_abort (LmsWs *ws)
{
  if (ws)
    doom (ws);
}

gboolean
lms_ws_send_text (LmsWs *ws, const char *text, gsize len)
{
  if (!lms_ws_is_open (ws))
    return TRUE;
  if (ws->out_len - ws->out_off + len > ws->max_output)
    {
      /* A peer that does not read would grow this without bound. */
      send_close (ws, LMS_WS_CLOSE_POLICY_VIOLATION, "not reading");
      return FALSE;
    }
  queue_frame (ws, LMS_WS_OP_TEXT, (const guint8 *) text, len);
  return TRUE;
}

void
lms_ws_ping (LmsWs *ws)
{
  if (lms_ws_is_open (ws))
    queue_frame (ws, LMS_WS_OP_PING, NULL, 0);
}

gint64
lms_ws_get_last_input_us (const LmsWs *ws)
{
  return ws->last_input_us;
}

/* --- Input */

static gboolean
valid_close_code (gushort code)
{
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
         || (code >= 3000 && code <= 4999);
}

static void
received_close (LmsWs *ws, const guint8 *payload, gsize len)
{
  gushort code = len >= 2 ? (payload[0] << 8) | payload[1] : 0;

  ws->close_received = TRUE;
  ws->discard_input = TRUE;
  if (len == 1 || (len >= 2 && !valid_close_code (code)))
    send_close (ws, LMS_WS_CLOSE_PROTOCOL_ERROR, "invalid close frame");
  else
    send_close (ws, code, NULL);
  maybe_finish (ws);
}

static gboolean
on_frame (gpointer user_data, LmsWsOpcode opcode, guint8 *payload, gsize len)
{
  LmsWs *ws = user_data;

  switch (opcode)
    {
    case LMS_WS_OP_TEXT:
    case LMS_WS_OP_BINARY:
      /* After our close frame, messages are no longer answered. */
      if (ws->state == STATE_OPEN)
        ws->callbacks->message (ws, opcode == LMS_WS_OP_BINARY, payload, len, ws->user_data);
      return ws->state < STATE_DOOMED;
    case LMS_WS_OP_PING:
      if (ws->state == STATE_OPEN)
        queue_frame (ws, LMS_WS_OP_PONG, payload, len);
      return ws->state < STATE_DOOMED;
    case LMS_WS_OP_CLOSE:
      received_close (ws, payload, len);
      return FALSE;
    default:
      return TRUE;
    }
}

static void
consume (LmsWs *ws, guint8 *data, gsize len)
{
  gushort code = 0;
  const char *reason = NULL;

  ws->last_input_us = g_get_monotonic_time ();
  if (ws->discard_input)
    return;
  if (lms_ws_reader_feed (&ws->reader, data, len, on_frame, ws, &code, &reason)
      != LMS_WS_FEED_ERROR)
    return;
  g_debug ("websocket fd %d: closing with %u: %s", ws->fd, code, reason);
  ws->discard_input = TRUE;
  lms_ws_reader_clear (&ws->reader);
  send_close (ws, code, reason);
}

/* Bytes read, 0 at the end of the stream, -1 on failure, -2 when there is
 * nothing more to read now. */
static gssize
read_some (LmsWs *ws, guint8 *buffer, gsize size)
{
  gssize n;

  if (ws->tls || ws->via_stream)
    {
      g_autoptr (GError) error = NULL;
      GInputStream *in = g_io_stream_get_input_stream (ws->stream);

      n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (in), buffer, size,
                                                    NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return -2;
      if (n < 0)
        g_debug ("websocket fd %d: read: %s", ws->fd, error->message);
      return n;
    }
  do
    n = recv (ws->fd, buffer, size, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return -2;
  if (n < 0)
    g_debug ("websocket fd %d: recv: %s", ws->fd, g_strerror (errno));
  return n;
}

/* TLS keeps decrypted records of its own, which epoll cannot see: read
 * those until the stream would block. A plain socket is read a few times
 * at most; level-triggered epoll reports what is left. */
static void
read_ready (LmsWs *ws)
{
  guint8 *scratch = ws->loop->scratch;

  for (int round = 0; ws->state < STATE_DOOMED; round++)
    {
      gssize n;

      if (!ws->tls && !ws->via_stream && round >= PLAIN_READ_ROUNDS)
        return;
      n = read_some (ws, scratch, SCRATCH_BYTES);
      if (n == -2)
        {
          /* libsoup's buffer is empty now: the socket itself from here. */
          ws->via_stream = FALSE;
          return;
        }
      if (n <= 0)
        {
          doom (ws);
          return;
        }
      consume (ws, scratch, n);
      /* A short read emptied the socket: no need to hear EAGAIN say so. */
      if (!ws->tls && !ws->via_stream && n < SCRATCH_BYTES)
        return;
    }
}

static void
handle_events (LmsWs *ws, guint32 events)
{
  gboolean kick = ws->kick;

  ws->kick = FALSE;
  if (events & EPOLLOUT)
    flush (ws);
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || kick)
    read_ready (ws);
}

LmsWs *
lms_ws_new (LmsWsLoop *loop, GIOStream *stream, GSocket *socket, gboolean tls,
            guint64 max_payload, gsize max_output,
            const LmsWsCallbacks *callbacks, gpointer user_data)
{
  LmsWs *ws = g_new0 (LmsWs, 1);
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };

  ws->loop = loop;
  ws->stream = g_object_ref (stream);
  ws->socket = g_object_ref (socket);
  ws->fd = g_socket_get_fd (socket);
  ws->tls = tls;
  ws->via_stream = !tls;
  ws->kick = TRUE;
  ws->link.data = ws;
  ws->max_output = max_output;
  ws->callbacks = callbacks;
  ws->user_data = user_data;
  ws->last_input_us = g_get_monotonic_time ();
  lms_ws_reader_init (&ws->reader, max_payload);
  /* Each message is one small write that should leave now: without this,
   * Nagle holds it until the previous one is acknowledged, and the
   * peer's delayed ACK makes that up to 40 ms or more. */
  if (g_socket_get_protocol (socket) == G_SOCKET_PROTOCOL_TCP
      && !g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL))
    g_debug ("websocket fd %d: could not set TCP_NODELAY", ws->fd);
  /* EPOLLOUT reports at once on a new socket: that first event reads
   * whatever libsoup or TLS buffered after the handshake. */
  ev.data.ptr = ws;
  ws->armed = ev.events;
  if (epoll_ctl (loop->epfd, EPOLL_CTL_ADD, ws->fd, &ev) < 0)
    {
      g_debug ("websocket fd %d: epoll_ctl: %s", ws->fd, g_strerror (errno));
      doom (ws);
    }
  return ws;
}

void
lms_ws_free (LmsWs *ws)
{
  if (!ws)
    return;
  if (ws->state == STATE_DOOMED)
    g_ptr_array_remove_fast (ws->loop->doomed, ws);
  if (ws->in_closing)
    g_queue_unlink (&ws->loop->closing, &ws->link);
  if (ws->state != STATE_CLOSED)
    close_io (ws);
  g_clear_object (&ws->stream);
  g_clear_object (&ws->socket);
  g_free (ws);
}

/* --- The upgrade */

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

char *
lms_ws_accept_key (const char *key)
{
  g_autoptr (GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize len = sizeof digest;

  g_checksum_update (sha1, (const guchar *) key, strlen (key));
  g_checksum_update (sha1, (const guchar *) WS_GUID, strlen (WS_GUID));
  g_checksum_get_digest (sha1, digest, &len);
  return g_base64_encode (digest, len);
}

/* 16 bytes in base64: 22 characters and "==". */
static gboolean
valid_key (const char *key)
{
  if (!key || strlen (key) != 24 || !g_str_has_suffix (key, "=="))
    return FALSE;
  for (int i = 0; i < 22; i++)
    if (!g_ascii_isalnum (key[i]) && key[i] != '+' && key[i] != '/')
      return FALSE;
  return TRUE;
}

gboolean
lms_ws_check_upgrade (const char *method, SoupMessageHeaders *headers,
                      char **accept, guint *status, const char **reason)
{
  const char *version = soup_message_headers_get_one (headers, "Sec-WebSocket-Version");
  const char *key = soup_message_headers_get_one (headers, "Sec-WebSocket-Key");

  *status = SOUP_STATUS_BAD_REQUEST;
  if (g_strcmp0 (method, "GET") != 0)
    *reason = "a WebSocket upgrade is a GET request\n";
  else if (!soup_message_headers_header_contains (headers, "Upgrade", "websocket"))
    {
      *status = LMS_WS_UPGRADE_REQUIRED;
      *reason = "this is the lastmile WebSocket endpoint: connect with a WebSocket client\n";
    }
  else if (!soup_message_headers_header_contains (headers, "Connection", "upgrade"))
    *reason = "a WebSocket upgrade needs \"Connection: Upgrade\"\n";
  else if (g_strcmp0 (version, "13") != 0)
    {
      *status = LMS_WS_UPGRADE_REQUIRED;
      *reason = "unsupported WebSocket version: only 13 (RFC 6455) is spoken here\n";
    }
  else if (!valid_key (key))
    *reason = "Sec-WebSocket-Key must be 16 bytes in base64\n";
  else
    {
      *status = SOUP_STATUS_SWITCHING_PROTOCOLS;
      *reason = NULL;
      *accept = lms_ws_accept_key (key);
      return TRUE;
    }
  return FALSE;
}

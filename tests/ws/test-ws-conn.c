/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lms-ws.h"

/* LmsWs over a socketpair: the test plays the client on the other end,
 * writing masked frames and reading the server's, and waits on the main
 * context (never a fixed sleep) for each effect. */

#define TIMEOUT_MS 5000

typedef struct {
  LmsWsLoop *loop;
  LmsWs *ws;
  int peer;                     /* the client's end */
  GPtrArray *messages;          /* char *, "T:..." or "B:..." */
  gboolean closed;
  gint64 closed_at_us;
} Fixture;

static void
on_message (LmsWs *ws, gboolean binary, const guint8 *data, gsize len, gpointer user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->messages, g_strdup_printf ("%c:%.*s", binary ? 'B' : 'T', (int) len, data));
}

static void
on_closed (LmsWs *ws, gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_true (ws == f->ws);
  f->closed = TRUE;
  f->closed_at_us = g_get_monotonic_time ();
  g_clear_pointer (&f->ws, lms_ws_free);
}

static const LmsWsCallbacks callbacks = { on_message, on_closed };

static void
start (Fixture *f, gsize max_output, const void *early, gsize early_len)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketConnection) connection = NULL;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  f->peer = fds[1];
  /* Bytes the client sent before the server took the socket over. */
  if (early_len > 0)
    g_assert_cmpint (write (f->peer, early, early_len), ==, early_len);
  socket = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  connection = g_socket_connection_factory_create_connection (socket);
  f->ws = lms_ws_new (f->loop, G_IO_STREAM (connection), socket, FALSE, 1024, max_output,
                      &callbacks, f);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->loop = lms_ws_loop_new (&error);
  g_assert_no_error (error);
  f->messages = g_ptr_array_new_with_free_func (g_free);
  f->peer = -1;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->ws, lms_ws_free);
  if (f->peer >= 0)
    close (f->peer);
  g_clear_pointer (&f->loop, lms_ws_loop_free);
  g_ptr_array_unref (f->messages);
}

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_peer_readable (gint fd, GIOCondition condition, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context until `done` or the deadline. */
static gboolean
wait_for (gboolean (*done) (Fixture *f), Fixture *f)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (TIMEOUT_MS, on_deadline, &expired);

  while (!done (f) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return done (f);
}

static gboolean
is_closed (Fixture *f)
{
  return f->closed;
}

static gboolean
has_message (Fixture *f)
{
  return f->messages->len > 0;
}

/* Reads exactly `len` bytes on the client side, running the server's main
 * context while it waits; FALSE at the end of the stream. */
static gboolean
peer_read (Fixture *f, guint8 *buffer, gsize len)
{
  gsize got = 0;

  while (got < len)
    {
      gssize n = recv (f->peer, buffer + got, len - got, MSG_DONTWAIT);
      gboolean readable = FALSE, expired = FALSE;
      guint watch, timer;

      if (n == 0)
        return FALSE;
      if (n > 0)
        {
          got += n;
          continue;
        }
      g_assert_true (errno == EAGAIN || errno == EWOULDBLOCK);
      watch = g_unix_fd_add (f->peer, G_IO_IN | G_IO_HUP, on_peer_readable, &readable);
      timer = g_timeout_add (TIMEOUT_MS, on_deadline, &expired);
      while (!readable && !expired)
        g_main_context_iteration (NULL, TRUE);
      if (!readable)
        g_source_remove (watch);
      if (!expired)
        g_source_remove (timer);
      g_assert_false (expired);
    }
  return TRUE;
}

typedef struct {
  guint8 opcode;
  gboolean fin;
  GByteArray *payload;
} Frame;

static void
frame_clear (Frame *frame)
{
  g_clear_pointer (&frame->payload, g_byte_array_unref);
}

/* A server frame: never masked. */
static gboolean
peer_read_frame (Fixture *f, Frame *frame)
{
  guint8 head[2];
  guint64 len;

  if (!peer_read (f, head, 2))
    return FALSE;
  g_assert_cmpint (head[0] & 0x70, ==, 0);
  g_assert_cmpint (head[1] & 0x80, ==, 0);
  frame->fin = (head[0] & 0x80) != 0;
  frame->opcode = head[0] & 0x0f;
  len = head[1] & 0x7f;
  if (len >= 126)
    {
      guint8 ext[8];
      gsize n = len == 126 ? 2 : 8;

      g_assert_true (peer_read (f, ext, n));
      len = 0;
      for (gsize i = 0; i < n; i++)
        len = (len << 8) | ext[i];
    }
  frame->payload = g_byte_array_sized_new (len);
  g_byte_array_set_size (frame->payload, len);
  g_assert_true (len == 0 || peer_read (f, frame->payload->data, len));
  return TRUE;
}

static void
peer_send (Fixture *f, guint8 first, const void *payload, gsize len, gboolean masked)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint8 head[2] = { first, masked ? 0x80 : 0 };
  guint8 mask[4] = { 0x0f, 0xf0, 0x55, 0xaa };
  const guint8 *p = payload;

  g_assert_cmpuint (len, <, 65536);
  if (len < 126)
    {
      head[1] |= len;
      g_byte_array_append (bytes, head, 2);
    }
  else
    {
      guint8 ext[2] = { len >> 8, len & 0xff };

      head[1] |= 126;
      g_byte_array_append (bytes, head, 2);
      g_byte_array_append (bytes, ext, 2);
    }
  if (masked)
    g_byte_array_append (bytes, mask, 4);
  for (gsize i = 0; i < len; i++)
    {
      guint8 b = masked ? p[i] ^ mask[i & 3] : p[i];

      g_byte_array_append (bytes, &b, 1);
    }
  g_assert_cmpint (write (f->peer, bytes->data, bytes->len), ==, bytes->len);
}

static void
assert_close_frame (Fixture *f, gushort code, const char *reason)
{
  Frame frame = { 0 };

  g_assert_true (peer_read_frame (f, &frame));
  g_assert_cmpuint (frame.opcode, ==, LMS_WS_OP_CLOSE);
  g_assert_cmpuint (frame.payload->len, >=, 2);
  g_assert_cmpuint ((frame.payload->data[0] << 8) | frame.payload->data[1], ==, code);
  g_assert_cmpmem (frame.payload->data + 2, frame.payload->len - 2, reason, strlen (reason));
  frame_clear (&frame);
}

static void
test_text_both_ways (Fixture *f, gconstpointer data)
{
  Frame frame = { 0 };

  start (f, 1 << 20, NULL, 0);
  lms_ws_send_text (f->ws, "hello", 5);
  g_assert_true (peer_read_frame (f, &frame));
  g_assert_cmpuint (frame.opcode, ==, LMS_WS_OP_TEXT);
  g_assert_true (frame.fin);
  g_assert_cmpmem (frame.payload->data, frame.payload->len, "hello", 5);
  frame_clear (&frame);

  /* Fragmented, with a ping between the pieces. */
  peer_send (f, 0x01, "{\"a\":", 5, TRUE);
  peer_send (f, 0x89, "p1", 2, TRUE);
  peer_send (f, 0x80, "1}", 2, TRUE);
  g_assert_true (wait_for (has_message, f));
  g_assert_cmpstr (f->messages->pdata[0], ==, "T:{\"a\":1}");
  g_assert_true (peer_read_frame (f, &frame));
  g_assert_cmpuint (frame.opcode, ==, LMS_WS_OP_PONG);
  g_assert_cmpmem (frame.payload->data, frame.payload->len, "p1", 2);
  frame_clear (&frame);
  g_assert_false (f->closed);
}

/* Bytes that arrived before the socket was handed over (libsoup may have
 * read them with the request) are delivered without waiting for more. */
static void
test_bytes_before_takeover (Fixture *f, gconstpointer data)
{
  static const guint8 early[] = { 0x81, 0x82, 0, 0, 0, 0, 'h', 'i' };

  start (f, 1 << 20, early, sizeof early);
  g_assert_true (wait_for (has_message, f));
  g_assert_cmpstr (f->messages->pdata[0], ==, "T:hi");
}

static void
test_large_message (Fixture *f, gconstpointer data)
{
  g_autofree char *big = g_malloc (70000);
  Frame frame = { 0 };

  memset (big, 'x', 70000);
  start (f, 1 << 20, NULL, 0);
  lms_ws_send_text (f->ws, big, 70000);
  g_assert_true (peer_read_frame (f, &frame));
  g_assert_cmpuint (frame.payload->len, ==, 70000);
  frame_clear (&frame);
}

/* The client closes: the server answers with the same code and drops the
 * socket. */
static void
test_client_close (Fixture *f, gconstpointer data)
{
  static const guint8 code[] = { 0x03, 0xe8 };
  guint8 b;

  start (f, 1 << 20, NULL, 0);
  peer_send (f, 0x88, code, 2, TRUE);
  assert_close_frame (f, 1000, "");
  g_assert_true (wait_for (is_closed, f));
  g_assert_false (peer_read (f, &b, 1));
}

/* The server closes and the client answers. */
static void
test_server_close (Fixture *f, gconstpointer data)
{
  static const guint8 code[] = { 0x03, 0xf0 };

  start (f, 1 << 20, NULL, 0);
  lms_ws_close (f->ws, 1008, "no hello");
  g_assert_false (lms_ws_is_open (f->ws));
  /* Nothing more goes out after the close frame. */
  lms_ws_send_text (f->ws, "late", 4);
  assert_close_frame (f, 1008, "no hello");
  /* Messages after our close are not delivered. */
  peer_send (f, 0x81, "x", 1, TRUE);
  peer_send (f, 0x88, code, 2, TRUE);
  g_assert_true (wait_for (is_closed, f));
  g_assert_cmpuint (f->messages->len, ==, 0);
}

/* A client that never answers the close frame is dropped after 2 s. */
static void
test_close_timeout (Fixture *f, gconstpointer data)
{
  gint64 start_us;

  start (f, 1 << 20, NULL, 0);
  start_us = g_get_monotonic_time ();
  lms_ws_close (f->ws, 1001, "server shutting down");
  assert_close_frame (f, 1001, "server shutting down");
  g_assert_true (wait_for (is_closed, f));
  g_assert_cmpint (f->closed_at_us - start_us, >=, 2 * G_USEC_PER_SEC - 100000);
}

static void
test_unmasked (Fixture *f, gconstpointer data)
{
  start (f, 1 << 20, NULL, 0);
  peer_send (f, 0x81, "hi", 2, FALSE);
  assert_close_frame (f, 1002, "client frames must be masked");
  g_assert_cmpint (shutdown (f->peer, SHUT_WR), ==, 0);
  g_assert_true (wait_for (is_closed, f));
  g_assert_cmpuint (f->messages->len, ==, 0);
}

static void
test_too_big (Fixture *f, gconstpointer data)
{
  g_autofree char *big = g_malloc0 (1025);

  start (f, 1 << 20, NULL, 0);
  peer_send (f, 0x81, big, 1024, TRUE);
  g_assert_true (wait_for (has_message, f));
  peer_send (f, 0x81, big, 1025, TRUE);
  assert_close_frame (f, 1009, "message too big");
  g_assert_cmpint (shutdown (f->peer, SHUT_WR), ==, 0);
  g_assert_true (wait_for (is_closed, f));
  g_assert_cmpuint (f->messages->len, ==, 1);
}

/* A client that does not read: its queue stops at the cap, it is told
 * "not reading" after what it had not read, and dropped. */
static void
test_not_reading (Fixture *f, gconstpointer data)
{
  g_autofree char *chunk = g_malloc (4096);
  gboolean refused = FALSE;
  guint sent = 0;

  memset (chunk, 'y', 4096);
  start (f, 64 * 1024, NULL, 0);
  /* The kernel's socket buffers take some first; bounded all the same. */
  while (!refused && sent < 100000)
    {
      refused = !lms_ws_send_text (f->ws, chunk, 4096);
      sent++;
    }
  g_assert_true (refused);
  g_assert_false (lms_ws_is_open (f->ws));
  for (;;)
    {
      Frame frame = { 0 };

      g_assert_true (peer_read_frame (f, &frame));
      if (frame.opcode == LMS_WS_OP_CLOSE)
        {
          g_assert_cmpmem (frame.payload->data + 2, frame.payload->len - 2, "not reading", 11);
          frame_clear (&frame);
          break;
        }
      g_assert_cmpuint (frame.opcode, ==, LMS_WS_OP_TEXT);
      g_assert_cmpuint (frame.payload->len, ==, 4096);
      sent--;
      frame_clear (&frame);
    }
  /* Every message before the refusal arrived whole; the refused one not. */
  g_assert_cmpuint (sent, ==, 1);
  g_assert_true (wait_for (is_closed, f));
}

static void
test_peer_gone (Fixture *f, gconstpointer data)
{
  start (f, 1 << 20, NULL, 0);
  close (f->peer);
  f->peer = -1;
  g_assert_true (wait_for (is_closed, f));
}

/* Freed while open (the server shutting down): no callback. */
static void
test_free_open (Fixture *f, gconstpointer data)
{
  guint8 b;

  start (f, 1 << 20, NULL, 0);
  lms_ws_send_text (f->ws, "x", 1);
  g_clear_pointer (&f->ws, lms_ws_free);
  g_assert_false (f->closed);
  g_assert_true (peer_read (f, &b, 1));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/ws/conn/text-both-ways", test_text_both_ways);
  ADD ("/ws/conn/bytes-before-takeover", test_bytes_before_takeover);
  ADD ("/ws/conn/large-message", test_large_message);
  ADD ("/ws/conn/client-close", test_client_close);
  ADD ("/ws/conn/server-close", test_server_close);
  ADD ("/ws/conn/close-timeout", test_close_timeout);
  ADD ("/ws/conn/unmasked", test_unmasked);
  ADD ("/ws/conn/too-big", test_too_big);
  ADD ("/ws/conn/not-reading", test_not_reading);
  ADD ("/ws/conn/peer-gone", test_peer_gone);
  ADD ("/ws/conn/free-open", test_free_open);
#undef ADD
  return g_test_run ();
}

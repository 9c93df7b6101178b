/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lm-test-peer.h"

#include <string.h>

#include "lm-test-json.h"

struct _LmTestPeer {
  char *label;
  SoupSession *session;
  SoupWebsocketConnection *conn;
  GError *connect_error;
  gboolean connect_done;
  GQueue received;      /* JsonObject */
  gboolean closed;
  gushort close_code;
  char *close_reason;
  char *id;
  char *resume;
  guint next_sync;
};

static void
on_message (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  LmTestPeer *peer = user_data;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    g_error ("%s: the server sent a binary frame", peer->label);
  g_debug ("%s <- %.*s", peer->label, (int) len, data);
  g_queue_push_tail (&peer->received, lm_test_json_parse_object (data, len));
}

static void
on_closed (SoupWebsocketConnection *conn, gpointer user_data)
{
  LmTestPeer *peer = user_data;

  peer->closed = TRUE;
  peer->close_code = soup_websocket_connection_get_close_code (conn);
  peer->close_reason = g_strdup (soup_websocket_connection_get_close_data (conn));
  g_test_message ("%s: closed, code %u reason \"%s\"", peer->label,
                  peer->close_code, peer->close_reason ? peer->close_reason : "");
}

static void
on_error (SoupWebsocketConnection *conn, GError *error, gpointer user_data)
{
  LmTestPeer *peer = user_data;

  g_test_message ("%s: websocket error: %s", peer->label, error->message);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LmTestPeer *peer = user_data;

  peer->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source),
                                                      result,
                                                      &peer->connect_error);
  peer->connect_done = TRUE;
}

static gboolean
connect_done (gpointer user_data)
{
  return ((LmTestPeer *) user_data)->connect_done;
}

LmTestPeer *
lm_test_peer_new (LmTestServer *server, const char *label)
{
  LmTestPeer *peer = g_new0 (LmTestPeer, 1);
  g_autofree char *url = lm_test_server_get_ws_url (server);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  peer->label = g_strdup (label);
  g_queue_init (&peer->received);
  peer->session = lm_test_server_new_session (server);
  soup_session_websocket_connect_async (peer->session, msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, NULL,
                                        on_connected, peer);
  if (!lm_test_wait_for (connect_done, peer, LM_TEST_TIMEOUT_MS))
    g_error ("%s: no WebSocket handshake with %s within %u ms", label, url,
             LM_TEST_TIMEOUT_MS);
  if (peer->connect_error != NULL)
    g_error ("%s: connecting to %s: %s", label, url,
             peer->connect_error->message);

  /* Big enough for any queue or record the server may send. */
  soup_websocket_connection_set_max_incoming_payload_size (peer->conn,
                                                           16 * 1024 * 1024);
  soup_websocket_connection_set_keepalive_interval (peer->conn, 0);
  g_signal_connect (peer->conn, "message", G_CALLBACK (on_message), peer);
  g_signal_connect (peer->conn, "closed", G_CALLBACK (on_closed), peer);
  g_signal_connect (peer->conn, "error", G_CALLBACK (on_error), peer);
  return peer;
}

static gboolean
is_closed (gpointer user_data)
{
  return ((LmTestPeer *) user_data)->closed;
}

void
lm_test_peer_free (LmTestPeer *peer)
{
  if (peer == NULL)
    return;
  if (peer->conn != NULL)
    {
      if (!peer->closed
          && soup_websocket_connection_get_state (peer->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        {
          soup_websocket_connection_close (peer->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
          lm_test_wait_for (is_closed, peer, LM_TEST_TIMEOUT_MS);
        }
      g_signal_handlers_disconnect_by_data (peer->conn, peer);
      g_clear_object (&peer->conn);
    }
  g_queue_clear_full (&peer->received, (GDestroyNotify) json_object_unref);
  g_clear_error (&peer->connect_error);
  g_clear_object (&peer->session);
  g_free (peer->close_reason);
  g_free (peer->id);
  g_free (peer->resume);
  g_free (peer->label);
  g_free (peer);
}

static void
send_text (LmTestPeer *peer, const char *text)
{
  g_debug ("%s -> %s", peer->label, text);
  if (peer->closed)
    g_error ("%s: cannot send on a closed connection: %s", peer->label, text);
  soup_websocket_connection_send_text (peer->conn, text);
}

void
lm_test_peer_send (LmTestPeer *peer, const char *format, ...)
{
  g_autofree char *quoted = g_strdup (format);
  g_autofree char *text = NULL;
  va_list ap;

  g_strdelimit (quoted, "'", '"');
  va_start (ap, format);
  text = g_strdup_vprintf (quoted, ap);
  va_end (ap);
  send_text (peer, text);
}

void
lm_test_peer_send_quoted (LmTestPeer *peer, const char *text)
{
  g_autofree char *quoted = g_strdup (text);

  g_strdelimit (quoted, "'", '"');
  send_text (peer, quoted);
}

void
lm_test_peer_send_raw (LmTestPeer   *peer,
                       gboolean      binary,
                       gconstpointer data,
                       gsize         len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);

  if (peer->closed)
    g_error ("%s: cannot send on a closed connection", peer->label);
  soup_websocket_connection_send_message (peer->conn,
                                          binary ? SOUP_WEBSOCKET_DATA_BINARY
                                                 : SOUP_WEBSOCKET_DATA_TEXT,
                                          bytes);
}

typedef struct {
  LmTestPeer *peer;
  const char *type;
  const char *member;
  const char *value;
  GList *found;
  JsonObject *error;
  gboolean ignore_errors;
} Match;

static gboolean
matches (JsonObject *msg, const Match *match)
{
  JsonNode *node;

  if (g_strcmp0 (json_object_get_string_member_with_default (msg, "type", NULL),
                 match->type) != 0)
    return FALSE;
  if (match->member == NULL)
    return TRUE;
  node = json_object_get_member (msg, match->member);
  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_STRING
         && g_strcmp0 (json_node_get_string (node), match->value) == 0;
}

static gboolean
find_match (gpointer user_data)
{
  Match *match = user_data;

  for (GList *l = match->peer->received.head; l != NULL; l = l->next)
    {
      if (matches (l->data, match))
        {
          match->found = l;
          return TRUE;
        }
      /* An error the test did not ask for ends the wait at once. */
      if (!match->ignore_errors && g_strcmp0 (match->type, "error") != 0
          && g_strcmp0 (json_object_get_string_member_with_default (l->data, "type", NULL),
                        "error") == 0)
        {
          match->error = l->data;
          return TRUE;
        }
    }
  /* Nothing more can come on a closed connection. */
  return match->peer->closed;
}

static char *
describe_queue (LmTestPeer *peer)
{
  GString *text = g_string_new (NULL);

  for (GList *l = peer->received.head; l != NULL; l = l->next)
    {
      g_autofree char *one = lm_test_json_to_string (l->data);

      g_string_append_printf (text, "\n  %s", one);
    }
  if (text->len == 0)
    g_string_append (text, " nothing");
  return g_string_free (text, FALSE);
}

static JsonObject *
expect_full (LmTestPeer *peer,
             const char *type,
             const char *member,
             const char *value,
             guint       timeout_ms,
             gboolean    required)
{
  Match match = { peer, type, member, value, NULL, NULL, !required };
  JsonObject *msg;

  lm_test_wait_for (find_match, &match, timeout_ms);
  if (match.found == NULL)
    {
      g_autofree char *queued = NULL;

      if (!required)
        return NULL;
      queued = describe_queue (peer);
      if (match.error != NULL)
        g_error ("%s: got an error while waiting for \"%s\"; queued:%s",
                 peer->label, type, queued);
      g_error ("%s: no \"%s\"%s%s%s%s%s within %u ms%s; queued:%s", peer->label,
               type, member ? " with " : "", member ? member : "",
               member ? "=\"" : "", member ? value : "", member ? "\"" : "",
               timeout_ms,
               peer->closed ? " (connection closed)" : "", queued);
    }
  msg = match.found->data;
  g_queue_delete_link (&peer->received, match.found);
  return msg;
}

JsonObject *
lm_test_peer_expect (LmTestPeer *peer, const char *type)
{
  return expect_full (peer, type, NULL, NULL, LM_TEST_TIMEOUT_MS, TRUE);
}

JsonObject *
lm_test_peer_expect_with (LmTestPeer *peer,
                          const char *type,
                          const char *member,
                          const char *value)
{
  return expect_full (peer, type, member, value, LM_TEST_TIMEOUT_MS, TRUE);
}

JsonObject *
lm_test_peer_wait_with (LmTestPeer *peer,
                        const char *type,
                        const char *member,
                        const char *value,
                        guint       timeout_ms)
{
  return expect_full (peer, type, member, value, timeout_ms, FALSE);
}

GList *
lm_test_peer_take_all (LmTestPeer *peer, const char *type)
{
  GList *taken = NULL;
  GList *l = peer->received.head;

  while (l != NULL)
    {
      GList *next = l->next;

      if (type == NULL
          || g_strcmp0 (json_object_get_string_member_with_default (l->data, "type", NULL),
                        type) == 0)
        {
          taken = g_list_prepend (taken, l->data);
          g_queue_delete_link (&peer->received, l);
        }
      l = next;
    }
  return g_list_reverse (taken);
}

JsonObject *
lm_test_peer_expect_error (LmTestPeer *peer, const char *code)
{
  JsonObject *error = lm_test_peer_expect (peer, "error");
  const char *message = lm_test_json_get_string (error, "message");

  if (g_strcmp0 (lm_test_json_get_string (error, "code"), code) != 0)
    {
      g_autofree char *text = lm_test_json_to_string (error);
      g_error ("%s: expected error code \"%s\", got %s", peer->label, code, text);
    }
  g_assert_cmpuint (strlen (message), >, 0);
  return error;
}

void
lm_test_peer_sync (LmTestPeer *peer)
{
  g_autofree char *id = g_strdup_printf ("sync-%u", peer->next_sync++);
  g_autoptr(JsonObject) pong = NULL;

  lm_test_peer_send (peer, "{'type':'ping','id':'%s'}", id);
  pong = lm_test_peer_expect_with (peer, "pong", "id", id);
}

guint
lm_test_peer_count (LmTestPeer *peer, const char *type)
{
  guint n = 0;

  for (GList *l = peer->received.head; l != NULL; l = l->next)
    if (type == NULL
        || g_strcmp0 (json_object_get_string_member_with_default (l->data, "type", NULL),
                      type) == 0)
      n++;
  return n;
}

void
lm_test_peer_assert_none (LmTestPeer *peer, const char *type)
{
  if (lm_test_peer_count (peer, type) > 0)
    {
      g_autofree char *queued = describe_queue (peer);
      g_error ("%s: unexpected \"%s\" message; queued:%s", peer->label,
               type ? type : "any", queued);
    }
}

void
lm_test_peer_clear (LmTestPeer *peer)
{
  g_queue_clear_full (&peer->received, (GDestroyNotify) json_object_unref);
}

static JsonObject *
hello (LmTestPeer *peer, const char *token, const char *resume)
{
  JsonObject *welcome;

  if (resume != NULL)
    lm_test_peer_send (peer, "{'type':'hello','token':'%s','resume':'%s'}",
                       token, resume);
  else
    lm_test_peer_send (peer, "{'type':'hello','token':'%s'}", token);
  welcome = lm_test_peer_expect (peer, "welcome");
  g_free (peer->id);
  peer->id = g_strdup (lm_test_json_get_string (welcome, "peer"));
  g_free (peer->resume);
  peer->resume = g_strdup (lm_test_json_get_string (welcome, "resume"));
  g_assert_cmpuint (strlen (peer->id), >, 0);
  g_assert_cmpuint (strlen (peer->resume), >, 0);
  return welcome;
}

JsonObject *
lm_test_peer_hello (LmTestPeer *peer, const char *token)
{
  return hello (peer, token, NULL);
}

JsonObject *
lm_test_peer_hello_resume (LmTestPeer *peer,
                           const char *token,
                           const char *resume)
{
  return hello (peer, token, resume);
}

const char *
lm_test_peer_get_id (LmTestPeer *peer)
{
  g_assert_nonnull (peer->id);
  return peer->id;
}

const char *
lm_test_peer_get_resume (LmTestPeer *peer)
{
  g_assert_nonnull (peer->resume);
  return peer->resume;
}

void
lm_test_peer_drop (LmTestPeer *peer)
{
  GIOStream *stream = soup_websocket_connection_get_io_stream (peer->conn);
  g_autoptr(GError) error = NULL;

  /* Closing the stream under the connection sends a FIN without any
   * WebSocket close frame. */
  g_io_stream_close (stream, NULL, &error);
  g_assert_no_error (error);
  lm_test_wait_for (is_closed, peer, LM_TEST_TIMEOUT_MS);
  peer->closed = TRUE;
}

void
lm_test_peer_close (LmTestPeer *peer)
{
  soup_websocket_connection_close (peer->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  if (!lm_test_wait_for (is_closed, peer, LM_TEST_TIMEOUT_MS))
    g_error ("%s: the server did not complete the close handshake", peer->label);
}

gboolean
lm_test_peer_is_closed (LmTestPeer *peer)
{
  return peer->closed;
}

gushort
lm_test_peer_wait_closed (LmTestPeer *peer, char **reason)
{
  if (!lm_test_wait_for (is_closed, peer, LM_TEST_TIMEOUT_MS))
    g_error ("%s: the server did not close the connection within %u ms",
             peer->label, LM_TEST_TIMEOUT_MS);
  if (reason != NULL)
    *reason = g_strdup (peer->close_reason);
  return peer->close_code;
}

char *
lm_test_peer_request (LmTestPeer *clinic,
                      const char *specialty,
                      const char *urgency,
                      const char *patient_ref,
                      gint64     *position)
{
  g_autoptr(JsonObject) queued = NULL;

  lm_test_peer_send (clinic, "{'type':'consult.request','id':'req',"
                     "'specialty':'%s','urgency':'%s','patient_ref':'%s'}",
                     specialty, urgency, patient_ref);
  queued = lm_test_peer_expect (clinic, "consult.queued");
  lm_test_json_assert_id_string (queued, "req");
  if (position != NULL)
    *position = lm_test_json_get_int (queued, "position");
  return g_strdup (lm_test_json_get_string (queued, "consultation"));
}

JsonObject *
lm_test_peer_set_available (LmTestPeer *doctor)
{
  g_autoptr(JsonObject) ack = NULL;

  lm_test_peer_send (doctor, "{'type':'presence','id':'avail','status':'available'}");
  ack = lm_test_peer_expect_with (doctor, "ack", "id", "avail");
  return lm_test_peer_expect (doctor, "queue");
}

JsonObject *
lm_test_peer_accept (LmTestPeer  *doctor,
                     LmTestPeer  *clinic,
                     const char  *consultation,
                     JsonObject **clinic_start)
{
  JsonObject *start;
  JsonObject *other;

  lm_test_peer_send (doctor, "{'type':'consult.accept','id':'accept',"
                     "'consultation':'%s'}", consultation);
  start = lm_test_peer_expect_with (doctor, "consult.start", "consultation",
                                    consultation);
  lm_test_json_assert_id_string (start, "accept");
  other = lm_test_peer_expect_with (clinic, "consult.start", "consultation",
                                    consultation);
  if (clinic_start != NULL)
    *clinic_start = other;
  else
    json_object_unref (other);
  return start;
}

static void
read_exactly (GInputStream *in, void *buffer, gsize len)
{
  g_autoptr(GError) error = NULL;
  gsize got = 0;

  if (!g_input_stream_read_all (in, buffer, len, &got, NULL, &error))
    g_error ("raw websocket: %s", error->message);
  if (got != len)
    g_error ("raw websocket: the server closed the TCP connection without a close frame");
}

static void
write_frame (GOutputStream *out, guint8 opcode, const char *payload, gsize len)
{
  g_autoptr(GError) error = NULL;
  GByteArray *frame = g_byte_array_new ();
  guint8 head[2] = { 0x80 | opcode, 0x80 };
  guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };

  if (len < 126)
    {
      head[1] |= len;
      g_byte_array_append (frame, head, 2);
    }
  else
    {
      guint8 ext[2] = { len >> 8, len & 0xff };

      g_assert_cmpuint (len, <, 65536);
      head[1] |= 126;
      g_byte_array_append (frame, head, 2);
      g_byte_array_append (frame, ext, 2);
    }
  g_byte_array_append (frame, mask, 4);
  for (gsize i = 0; i < len; i++)
    {
      guint8 b = payload[i] ^ mask[i % 4];

      g_byte_array_append (frame, &b, 1);
    }
  if (!g_output_stream_write_all (out, frame->data, frame->len, NULL, NULL, &error))
    g_error ("raw websocket: %s", error->message);
  g_byte_array_unref (frame);
}

gushort
lm_test_raw_close_code (LmTestServer *server, const char *text, char **reason)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *request = NULL;
  GString *response = g_string_new (NULL);
  GInputStream *in;
  GOutputStream *out;

  uri = g_uri_parse (lm_test_server_get_url (server), G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_uri_get_scheme (uri), ==, "http");
  g_socket_client_set_timeout (client, LM_TEST_TIMEOUT_MS / 1000);
  connection = g_socket_client_connect_to_host (client, g_uri_get_host (uri),
                                                g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  request = g_strdup_printf ("GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n",
                             g_uri_get_host (uri), g_uri_get_port (uri));
  g_output_stream_write_all (out, request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  while (!g_str_has_suffix (response->str, "\r\n\r\n"))
    {
      char c;

      read_exactly (in, &c, 1);
      g_string_append_c (response, c);
    }
  if (!g_str_has_prefix (response->str, "HTTP/1.1 101"))
    g_error ("raw websocket: no upgrade: %s", response->str);
  g_string_free (response, TRUE);

  if (text != NULL)
    write_frame (out, 0x1, text, strlen (text));

  for (;;)
    {
      guint8 head[2];
      guint64 len;
      g_autofree guint8 *payload = NULL;

      read_exactly (in, head, 2);
      len = head[1] & 0x7f;
      g_assert_false (head[1] & 0x80);   /* servers do not mask */
      if (len == 126)
        {
          guint8 ext[2];

          read_exactly (in, ext, 2);
          len = (ext[0] << 8) | ext[1];
        }
      else if (len == 127)
        {
          guint8 ext[8];

          read_exactly (in, ext, 8);
          len = 0;
          for (int i = 0; i < 8; i++)
            len = (len << 8) | ext[i];
        }
      g_assert_cmpuint (len, <, 16 * 1024 * 1024);
      payload = g_malloc (len + 1);
      read_exactly (in, payload, len);
      payload[len] = '\0';
      if ((head[0] & 0x0f) == 0x8)
        {
          gushort code = len >= 2 ? (payload[0] << 8) | payload[1] : 0;

          if (reason != NULL)
            *reason = g_strdup (len > 2 ? (const char *) payload + 2 : "");
          return code;
        }
      g_test_message ("raw websocket <- opcode %u: %s", head[0] & 0x0f, payload);
    }
}

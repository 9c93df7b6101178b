/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-hub.h"

#include "lm-error.h"

void
lms_conn_send (LmsConn *conn, JsonObject *message)
{
  g_autofree char *text = NULL;

  if (!conn || soup_websocket_connection_get_state (conn->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  text = lm_message_to_string (message);
  soup_websocket_connection_send_text (conn->ws, text);
}

void
lms_session_send (LmsSession *session, JsonObject *message)
{
  if (session)
    lms_conn_send (session->conn, message);
}

void
lms_conn_send_error (LmsConn *conn, JsonNode *id, const GError *error)
{
  g_autofree char *text = NULL;

  if (soup_websocket_connection_get_state (conn->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  conn->hub->metrics.messages_error++;
  text = lm_message_build_error_from_gerror (id, error);
  soup_websocket_connection_send_text (conn->ws, text);
}

void
lms_conn_close (LmsConn *conn, gushort code, const char *reason)
{
  SoupWebsocketState state = soup_websocket_connection_get_state (conn->ws);

  if (state == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (conn->ws, code, reason);
}

/* A token bucket: `rate_burst` messages at once, refilled at
 * `rate_per_second`. */
static gboolean
take_token (LmsConn *conn)
{
  const LmsOptions *options = conn->hub->options;
  gint64 now = g_get_monotonic_time ();

  conn->tokens = MIN (options->rate_burst,
                      conn->tokens + (now - conn->refilled_us) * options->rate_per_second / G_USEC_PER_SEC);
  conn->refilled_us = now;
  if (conn->tokens < 1)
    return FALSE;
  conn->tokens -= 1;
  return TRUE;
}

static void
refuse_flood (LmsConn *conn)
{
  LmsHub *hub = conn->hub;
  gint64 now = g_get_monotonic_time ();

  hub->metrics.messages_rate_limited++;
  conn->dropped++;
  if (conn->dropped >= (guint64) hub->options->flood_close)
    {
      g_message ("%s: closing after %" G_GUINT64_FORMAT " rate-limited messages",
                 conn->session ? conn->session->peer : conn->remote, conn->dropped);
      lms_conn_close (conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "rate limit exceeded");
      return;
    }
  /* One error a second is enough to tell a client it is too fast; an error
   * per dropped message would double the flood. */
  if (now - conn->rate_error_us >= G_USEC_PER_SEC)
    {
      g_autoptr (GError) error = NULL;

      conn->rate_error_us = now;
      g_set_error (&error, LM_ERROR, LM_ERROR_RATE_LIMITED,
                   "too many messages: at most %d at once and %g per second; messages are being dropped",
                   hub->options->rate_burst, hub->options->rate_per_second);
      lms_conn_send_error (conn, NULL, error);
    }
}

void
lms_conn_on_message (LmsConn *conn, GBytes *bytes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LmMessage) msg = NULL;
  g_autoptr (JsonNode) id = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (!take_token (conn))
    {
      refuse_flood (conn);
      return;
    }
  msg = lm_message_parse_with_id (data, len, conn->hub->options->max_message_bytes, &id, &error);
  if (!msg)
    {
      lms_conn_send_error (conn, id, error);
      return;
    }
  lms_handlers_dispatch (conn, msg);
}

void
lms_conn_free (LmsConn *conn)
{
  g_clear_handle_id (&conn->hello_timeout_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (conn->ws, conn);
  g_clear_object (&conn->ws);
  g_free (conn->remote);
  g_free (conn);
}

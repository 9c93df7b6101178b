/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-hub.h"

#include <string.h>

#include "lm-error.h"

static void
send_text (LmsConn *conn, const char *text)
{
  if (!lms_ws_send_text (conn->ws, text, strlen (text)))
    g_message ("%s: closing, the peer does not read what it is sent",
               conn->session ? conn->session->peer : conn->remote);
}

void
lms_conn_send (LmsConn *conn, JsonObject *message)
{
  g_autofree char *text = NULL;

  if (!conn || !lms_ws_is_open (conn->ws))
    return;
  text = lm_message_to_string (message);
  send_text (conn, text);
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

  if (!lms_ws_is_open (conn->ws))
    return;
  conn->hub->metrics.messages_error++;
  text = lm_message_build_error_from_gerror (id, error);
  send_text (conn, text);
}

void
lms_conn_close (LmsConn *conn, gushort code, const char *reason)
{
  lms_ws_close (conn->ws, code, reason);
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
lms_conn_on_message (LmsConn *conn, const char *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LmMessage) msg = NULL;
  g_autoptr (JsonNode) id = NULL;

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
  if (!conn)
    return;
  g_clear_pointer (&conn->ws, lms_ws_free);
  g_free (conn->remote);
  g_free (conn);
}

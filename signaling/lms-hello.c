/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-hub.h"

#include "lm-error.h"

static void
send_welcome (LmsHub *hub, LmsConn *conn, LmMessage *msg, const char *resume, gboolean resumed)
{
  LmsSession *session = conn->session;
  g_autoptr (JsonObject) welcome = lm_message_new ("welcome", msg->id);
  JsonArray *specialties = json_array_new ();

  for (guint i = 0; session->account->specialties[i]; i++)
    json_array_add_string_element (specialties, session->account->specialties[i]);
  json_object_set_string_member (welcome, "peer", session->peer);
  json_object_set_string_member (welcome, "role", lm_role_to_string (session->account->role));
  json_object_set_string_member (welcome, "name", session->account->name);
  json_object_set_array_member (welcome, "specialties", specialties);
  json_object_set_array_member (welcome, "ice_servers",
                                lms_ice_servers_json (hub->options, session->peer));
  json_object_set_string_member (welcome, "resume", resume);
  json_object_set_boolean_member (welcome, "resumed", resumed);
  json_object_set_int_member (welcome, "grace_s", hub->options->grace_s);
  lms_conn_send (conn, welcome);
}

/* Moves an earlier session onto this connection; a connection the session
 * still had (a client that reconnected before the server noticed the old
 * socket was dead) is closed. */
static void
resume_session (LmsHub *hub, LmsConn *conn, LmsSession *session)
{
  LmsConn *old = session->conn;

  if (old)
    {
      old->session = NULL;
      lms_conn_close (old, SOUP_WEBSOCKET_CLOSE_NORMAL, "session resumed on another connection");
    }
  lms_session_attach (session, conn);
  g_message ("%s (%s) resumed from %s", session->peer, session->account->name, conn->remote);
  if (session->consultation)
    {
      LmsConsultation *c = session->consultation;
      g_autoptr (JsonObject) back = lm_message_new ("peer.back", NULL);
      g_autoptr (JsonObject) detail = json_object_new ();

      json_object_set_string_member (detail, "peer", session->peer);
      lms_hub_log (hub, c, "peer.back", session->account->name, detail, NULL);
      json_object_set_string_member (back, "consultation", c->id);
      json_object_set_string_member (back, "peer", session->peer);
      lms_consultation_broadcast (c, session, back);
    }
}

gboolean
lms_handle_hello (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  g_autoptr (LmsAccount) account = NULL;
  g_autofree char *resume = NULL;
  const char *resume_secret = lm_message_get_string (msg, "resume");
  LmsSession *session;

  account = lms_db_account_authenticate (hub->db, lm_message_get_string (msg, "token"), error);
  if (!account)
    {
      g_message ("%s: hello refused: %s", conn->remote, (*error)->message);
      return FALSE;
    }

  session = lms_session_find_resumable (hub, account, resume_secret);
  if (session)
    {
      resume = g_strdup (resume_secret);
      resume_session (hub, conn, session);
      send_welcome (hub, conn, msg, resume, TRUE);
      lms_handlers_resend_state (hub, session);
      return TRUE;
    }

  session = lms_session_new (hub, g_steal_pointer (&account), &resume);
  lms_session_attach (session, conn);
  g_debug ("%s: %s (%s) joined as %s", conn->remote, session->account->name,
           lm_role_to_string (session->account->role), session->peer);
  send_welcome (hub, conn, msg, resume, FALSE);
  return TRUE;
}

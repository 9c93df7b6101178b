/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-hub.h"

#include "lm-token.h"

LmsSession *
lms_session_new (LmsHub *hub, LmsAccount *account, char **resume_secret)
{
  LmsSession *session = g_new0 (LmsSession, 1);
  g_autofree char *uuid = g_uuid_string_random ();

  session->peer = g_strconcat ("p-", uuid, NULL);
  session->account = account;
  *resume_secret = lm_token_generate ("r_");
  session->resume_hash = lm_token_hash (*resume_secret);
  g_hash_table_insert (hub->sessions, session->peer, session);
  return session;
}

LmsSession *
lms_session_find_resumable (LmsHub *hub, const LmsAccount *account, const char *resume_secret)
{
  g_autofree char *hash = NULL;
  GHashTableIter iter;
  LmsSession *session;

  if (!resume_secret)
    return NULL;
  hash = lm_token_hash (resume_secret);
  /* A linear scan happens only on resumption, which is rare; an index by
   * hash would cost memory on every session. */
  g_hash_table_iter_init (&iter, hub->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (lm_token_equal (session->resume_hash, hash) &&
        g_strcmp0 (session->account->name, account->name) == 0)
      return session;
  return NULL;
}

void
lms_session_attach (LmsSession *session, LmsConn *conn)
{
  g_clear_handle_id (&session->grace_id, g_source_remove);
  session->conn = conn;
  conn->session = session;
  lms_live_changed (conn->hub);
}

void
lms_session_free (LmsSession *session)
{
  if (!session)
    return;
  g_clear_handle_id (&session->grace_id, g_source_remove);
  g_free (session->peer);
  g_free (session->resume_hash);
  g_clear_pointer (&session->served, g_ptr_array_unref);
  lms_account_free (session->account);
  g_free (session);
}

gboolean
lms_session_has_specialty (const LmsSession *session, const char *specialty)
{
  char **specialties = session->account->specialties;

  return specialties[0] == NULL || g_strcmp0 (specialty, "general") == 0 ||
         g_strv_contains ((const char * const *) specialties, specialty);
}

typedef struct {
  LmsHub *hub;
  char *peer;
} GraceData;

static void
grace_data_free (gpointer data)
{
  GraceData *grace = data;

  g_free (grace->peer);
  g_free (grace);
}

/* The session did not come back in time: end what it was part of and
 * forget it. */
static gboolean
on_grace_expired (gpointer user_data)
{
  GraceData *grace = user_data;
  LmsHub *hub = grace->hub;
  LmsSession *session = g_hash_table_lookup (hub->sessions, grace->peer);
  g_autoptr (GError) error = NULL;

  if (!session)
    return G_SOURCE_REMOVE;
  session->grace_id = 0;
  if (session->consultation)
    {
      LmsConsultation *c = session->consultation;
      LmsStatus status = c->status == LMS_STATUS_WAITING ? LMS_STATUS_CANCELLED
                                                          : LMS_STATUS_DISCONNECTED;

      g_message ("consultation %s: %s did not come back within %d s", c->id,
                 session->peer, hub->options->grace_s);
      if (!lms_consultation_end (hub, c, status, "disconnected", NULL, NULL, &error))
        g_warning ("consultation %s: %s", c->id, error->message);
    }
  lms_live_forget (hub, session);
  g_hash_table_remove (hub->sessions, session->peer);
  return G_SOURCE_REMOVE;
}

void
lms_session_detach (LmsHub *hub, LmsSession *session)
{
  GraceData *grace;

  session->conn = NULL;
  lms_live_changed (hub);
  /* Media through a relay stops with it: there is nothing to wait for. */
  if (session->registered)
    lms_relay_lost (hub, session);
  if (session->consultation)
    {
      LmsConsultation *c = session->consultation;
      g_autoptr (JsonObject) away = lm_message_new ("peer.away", NULL);
      g_autoptr (JsonObject) detail = json_object_new ();

      json_object_set_string_member (detail, "peer", session->peer);
      lms_hub_log (hub, c, "peer.away", session->account->name, detail, NULL);
      json_object_set_string_member (away, "consultation", c->id);
      json_object_set_string_member (away, "peer", session->peer);
      json_object_set_int_member (away, "grace_s", hub->options->grace_s);
      lms_consultation_broadcast (c, session, away);
    }

  grace = g_new0 (GraceData, 1);
  grace->hub = hub;
  grace->peer = g_strdup (session->peer);
  session->grace_id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, hub->options->grace_s,
                                                  on_grace_expired, grace, grace_data_free);
}

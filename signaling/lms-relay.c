/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* Relay mode: relays register, the server hands each new consultation to
 * the least loaded one, doctors can join a consultation through it, and
 * the clinic's consent switches recording on. */
#include "lms-hub.h"

#include "lm-error.h"

#define DEFAULT_RELAY_CONSULTATIONS 50

static JsonObject *
member_json (LmsSession *member)
{
  JsonObject *peer = json_object_new ();

  json_object_set_string_member (peer, "peer", member->peer);
  json_object_set_string_member (peer, "role", lm_role_to_string (member->account->role));
  json_object_set_string_member (peer, "name", member->account->name);
  return peer;
}

gboolean
lms_handle_relay_register (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  LmsSession *relay = conn->session;
  g_autoptr (JsonObject) ack = lm_message_new ("ack", msg->id);

  relay->registered = TRUE;
  relay->max_consultations = lm_message_get_int (msg, "max_consultations",
                                                 DEFAULT_RELAY_CONSULTATIONS);
  relay->max_participants = MIN (LMS_MAX_PARTICIPANTS,
                                 lm_message_get_int (msg, "max_participants", LMS_MAX_PARTICIPANTS));
  if (!relay->served)
    relay->served = g_ptr_array_new ();
  g_message ("relay %s (%s) registered: up to %d consultations of %d participants",
             relay->peer, relay->account->name, relay->max_consultations, relay->max_participants);
  lms_conn_send (conn, ack);
  /* Doctors whose accept was refused for want of a relay try again on a
   * new queue. */
  lms_queue_changed (hub);
  return TRUE;
}

gboolean
lms_relay_choose (LmsHub *hub, LmsSession **chosen, GError **error)
{
  const char *policy = hub->options->media_policy;
  GHashTableIter iter;
  LmsSession *session;

  *chosen = NULL;
  if (g_str_equal (policy, "direct"))
    return TRUE;
  g_hash_table_iter_init (&iter, hub->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (session->registered && session->conn &&
        session->served->len < (guint) session->max_consultations &&
        (!*chosen || session->served->len < (*chosen)->served->len))
      *chosen = session;
  if (!*chosen && g_str_equal (policy, "relay"))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_CONFLICT,
                   "no media relay has room (the server's media policy is relay); try again shortly");
      return FALSE;
    }
  return TRUE;
}

static void
send_relay_open (LmsConsultation *c)
{
  g_autoptr (JsonObject) open = lm_message_new ("relay.open", NULL);

  json_object_set_string_member (open, "consultation", c->id);
  json_object_set_array_member (open, "peers", lms_consultation_peers_json (c));
  json_object_set_boolean_member (open, "record", c->record);
  lms_session_send (c->relay, open);
}

void
lms_relay_attach (LmsHub *hub, LmsConsultation *c, LmsSession *relay)
{
  c->relay = relay;
  g_ptr_array_add (relay->served, c);
  g_message ("consultation %s: media through relay %s (%s)", c->id, relay->peer,
             relay->account->name);
  send_relay_open (c);
}

void
lms_relay_detach (LmsConsultation *c)
{
  if (c->relay && c->relay->served)
    g_ptr_array_remove (c->relay->served, c);
  c->relay = NULL;
}

void
lms_relay_lost (LmsHub *hub, LmsSession *relay)
{
  relay->registered = FALSE;
  if (!relay->served)
    return;
  while (relay->served->len > 0)
    {
      LmsConsultation *c = relay->served->pdata[relay->served->len - 1];
      g_autoptr (GError) error = NULL;

      g_message ("consultation %s: relay %s lost", c->id, relay->account->name);
      lms_relay_detach (c);
      if (!lms_consultation_end (hub, c, LMS_STATUS_DISCONNECTED, "relay_lost", NULL, NULL, &error))
        g_warning ("consultation %s: %s", c->id, error->message);
    }
}

static LmsConsultation *
doctor_consultation (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  const char *id = lm_message_get_string (msg, "consultation");
  LmsConsultation *c = g_hash_table_lookup (hub->consultations, id);

  if (!c || c->status != LMS_STATUS_ACTIVE)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_NOT_FOUND,
                   "consultation '%s' is not active", id);
      return NULL;
    }
  if (!lms_consultation_has_member (c, conn->session))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_FORBIDDEN,
                   "you are not a member of consultation '%s'", id);
      return NULL;
    }
  return c;
}

static guint
participant_limit (LmsConsultation *c)
{
  return c->relay ? MIN (LMS_MAX_PARTICIPANTS, c->relay->max_participants) : 2;
}

gboolean
lms_handle_consult_invite (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  LmsConsultation *c = doctor_consultation (hub, conn, msg, error);
  const char *doctor = lm_message_get_string (msg, "doctor");
  g_autoptr (JsonObject) detail = json_object_new ();
  GHashTableIter iter;
  LmsSession *session;
  guint told = 0;

  if (!c)
    return FALSE;
  if (!c->relay)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_CONFLICT,
                   "consultation '%s' is in direct mode: more participants need a relay", c->id);
      return FALSE;
    }
  if (c->members->len >= participant_limit (c))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_CONFLICT,
                   "consultation '%s' has its %u participants already", c->id, participant_limit (c));
      return FALSE;
    }
  g_hash_table_iter_init (&iter, hub->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (session->conn && !session->consultation && session->account->role == LM_ROLE_DOCTOR &&
        g_str_equal (session->account->name, doctor))
      {
        g_autoptr (JsonObject) invited = lm_message_new ("consult.invited", NULL);

        json_object_set_string_member (invited, "consultation", c->id);
        json_object_set_string_member (invited, "by", conn->session->account->name);
        json_object_set_string_member (invited, "clinic", c->clinic_name);
        lms_session_send (session, invited);
        told++;
      }
  if (told == 0)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_NOT_FOUND,
                   "doctor '%s' is not online or is in another consultation", doctor);
      return FALSE;
    }
  json_object_set_string_member (detail, "doctor", doctor);
  if (!lms_hub_log (hub, c, "consult.invited", conn->session->account->name, detail, error))
    return FALSE;
  g_hash_table_add (c->invited, g_strdup (doctor));
  if (msg->id)
    {
      g_autoptr (JsonObject) ack = lm_message_new ("ack", msg->id);
      lms_conn_send (conn, ack);
    }
  return TRUE;
}

static void
announce (LmsConsultation *c, LmsSession *except, const char *member_type,
          const char *relay_type, LmsSession *subject, gboolean as_object)
{
  g_autoptr (JsonObject) to_members = lm_message_new (member_type, NULL);
  g_autoptr (JsonObject) to_relay = lm_message_new (relay_type, NULL);

  json_object_set_string_member (to_members, "consultation", c->id);
  json_object_set_string_member (to_relay, "consultation", c->id);
  if (as_object)
    {
      json_object_set_object_member (to_members, "peer", member_json (subject));
      json_object_set_object_member (to_relay, "peer", member_json (subject));
    }
  else
    {
      json_object_set_string_member (to_members, "peer", subject->peer);
      json_object_set_string_member (to_relay, "peer", subject->peer);
    }
  lms_consultation_broadcast (c, except, to_members);
  lms_session_send (c->relay, to_relay);
}

gboolean
lms_relay_join (LmsHub *hub, LmsConsultation *c, LmsSession *doctor, JsonNode *id,
                GError **error)
{
  g_autoptr (JsonObject) detail = json_object_new ();

  if (c->members->len >= participant_limit (c))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_CONFLICT,
                   "consultation '%s' has its %u participants already", c->id, participant_limit (c));
      return FALSE;
    }
  json_object_set_string_member (detail, "peer", doctor->peer);
  if (!lms_hub_log (hub, c, "consult.joined", doctor->account->name, detail, error))
    return FALSE;
  g_hash_table_remove (c->invited, doctor->account->name);
  g_ptr_array_add (c->members, doctor);
  doctor->consultation = c;
  g_message ("consultation %s: %s joined (%u participants)", c->id, doctor->account->name,
             c->members->len);
  lms_consultation_send_start (c, doctor, id, FALSE);
  announce (c, doctor, "peer.joined", "relay.join", doctor, TRUE);
  lms_queue_changed (hub);
  return TRUE;
}

static guint
count_doctors (LmsConsultation *c)
{
  guint n = 0;

  for (guint i = 0; i < c->members->len; i++)
    if (((LmsSession *) c->members->pdata[i])->account->role == LM_ROLE_DOCTOR)
      n++;
  return n;
}

gboolean
lms_handle_consult_leave (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  LmsConsultation *c = doctor_consultation (hub, conn, msg, error);
  LmsSession *doctor = conn->session;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (JsonObject) ended = NULL;

  if (!c)
    return FALSE;
  if (count_doctors (c) <= 1)
    return lms_consultation_end (hub, c, LMS_STATUS_COMPLETED, "left", doctor, msg->id, error);

  json_object_set_string_member (detail, "peer", doctor->peer);
  if (!lms_hub_log (hub, c, "consult.left", doctor->account->name, detail, error))
    return FALSE;
  g_ptr_array_remove (c->members, doctor);
  doctor->consultation = NULL;
  g_message ("consultation %s: %s left (%u participants)", c->id, doctor->account->name,
             c->members->len);
  announce (c, NULL, "peer.left", "relay.leave", doctor, FALSE);
  ended = lm_message_new ("consult.ended", msg->id);
  json_object_set_string_member (ended, "consultation", c->id);
  json_object_set_string_member (ended, "reason", "left");
  json_object_set_string_member (ended, "by", doctor->peer);
  lms_conn_send (conn, ended);
  lms_queue_changed (hub);
  return TRUE;
}

gboolean
lms_handle_consult_record (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  const char *id = lm_message_get_string (msg, "consultation");
  LmsConsultation *c = g_hash_table_lookup (hub->consultations, id);
  gboolean consent = FALSE;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (JsonObject) record = NULL;
  JsonNode *node = json_object_get_member (msg->body, "consent");

  if (!c)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_NOT_FOUND,
                   "consultation '%s' does not exist or has ended", id);
      return FALSE;
    }
  if (!lms_consultation_has_member (c, conn->session))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_FORBIDDEN,
                   "you are not a member of consultation '%s'", id);
      return FALSE;
    }
  consent = json_node_get_boolean (node);
  if (c->status == LMS_STATUS_ACTIVE && !c->relay)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_CONFLICT,
                   "consultation '%s' is in direct mode: only a relay can record", c->id);
      return FALSE;
    }
  json_object_set_boolean_member (detail, "consent", consent);
  json_object_set_string_member (detail, "by", conn->session->account->name);
  if (!lms_hub_log (hub, c, "recording.consent", conn->session->account->name, detail, error))
    return FALSE;
  c->record = consent;
  g_message ("consultation %s: recording consent %s by %s", c->id,
             consent ? "given" : "withdrawn", conn->session->account->name);
  if (c->relay)
    {
      record = lm_message_new ("relay.record", NULL);
      json_object_set_string_member (record, "consultation", c->id);
      json_object_set_boolean_member (record, "record", consent);
      lms_session_send (c->relay, record);
    }
  if (msg->id)
    {
      g_autoptr (JsonObject) ack = lm_message_new ("ack", msg->id);
      lms_conn_send (conn, ack);
    }
  return TRUE;
}

gboolean
lms_handle_relay_recording (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  const char *id = lm_message_get_string (msg, "consultation");
  g_autofree char *relay = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  gint64 bytes = (gint64) lm_message_get_double (msg, "bytes", 0);
  double duration_s = lm_message_get_double (msg, "duration_s", 0);
  const char *path = lm_message_get_string (msg, "path");

  /* The consultation may have ended already: recordings are closed when
   * it ends. The log says which relay served it. */
  if (!lms_db_consultation_relay (hub->db, id, &relay, error))
    return FALSE;
  if (g_strcmp0 (relay, conn->session->account->name) != 0)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_FORBIDDEN,
                   "consultation '%s' was not served by this relay", id);
      return FALSE;
    }
  json_object_set_string_member (detail, "path", path);
  json_object_set_int_member (detail, "bytes", bytes);
  json_object_set_double_member (detail, "duration_s", duration_s);
  if (!lms_db_begin (hub->db, error) ||
      !lms_db_recording_add (hub->db, id, path, bytes, duration_s, error) ||
      !lms_db_event_append (hub->db, id, "recording.saved", relay, detail, error) ||
      !lms_db_commit (hub->db, error))
    {
      lms_db_rollback (hub->db);
      return FALSE;
    }
  if (msg->id)
    {
      g_autoptr (JsonObject) ack = lm_message_new ("ack", msg->id);
      lms_conn_send (conn, ack);
    }
  return TRUE;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-hub.h"

#include "lm-error.h"

/* One handler per message type. A handler returns FALSE with an error in
 * the LM_ERROR domain; the dispatcher sends it to the peer. Events are
 * written before any reply, so an answered message is always logged. */
typedef gboolean (*Handler) (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error);

static void
send_ack (LmsConn *conn, LmMessage *msg)
{
  g_autoptr (JsonObject) ack = NULL;

  if (!msg->id)
    return;
  ack = lm_message_new ("ack", msg->id);
  lms_conn_send (conn, ack);
}

/* The consultation `msg` names, which must be open and have the sender as
 * a member. */
static LmsConsultation *
member_consultation (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  const char *id = lm_message_get_string (msg, "consultation");
  LmsConsultation *c = g_hash_table_lookup (hub->consultations, id);

  if (!c)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_NOT_FOUND,
                   "consultation '%s' does not exist or has ended", id);
      return NULL;
    }
  if (!lms_consultation_has_member (c, conn->session) && c->relay != conn->session)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_FORBIDDEN,
                   "you are not a member of consultation '%s'", id);
      return NULL;
    }
  return c;
}

static gboolean
handle_ping (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  g_autoptr (JsonObject) pong = lm_message_new ("pong", msg->id);

  lms_conn_send (conn, pong);
  return TRUE;
}

static gboolean
handle_consult_request (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  LmsSession *session = conn->session;
  LmsConsultation *c;
  LmsUrgency urgency = LMS_URGENCY_ROUTINE;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (JsonObject) queued = NULL;
  int position;

  if (session->consultation)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_CONFLICT,
                   "this clinic already has consultation '%s' open", session->consultation->id);
      return FALSE;
    }
  if (hub->queue->len >= (guint) hub->options->max_queue)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_RATE_LIMITED,
                   "the waiting queue is full (%u requests); try again shortly", hub->queue->len);
      return FALSE;
    }
  lms_urgency_from_string (lm_message_get_string (msg, "urgency"), &urgency);
  c = lms_consultation_new (hub, session, urgency, lm_message_get_string (msg, "specialty"),
                            lm_message_get_string (msg, "patient_ref"));
  lms_queue_add (hub, c);
  position = lms_queue_position (hub, c);

  json_object_set_string_member (detail, "specialty", c->specialty);
  json_object_set_string_member (detail, "urgency", lms_urgency_to_string (urgency));
  json_object_set_string_member (detail, "patient_ref", c->patient_ref);
  if (!lms_db_begin (hub->db, error) ||
      !lms_consultation_save (hub, c, error) ||
      !lms_hub_log (hub, c, "consult.requested", session->account->name, detail, error) ||
      !lms_hub_log (hub, c, "consult.queued", "server", NULL, error) ||
      !lms_db_commit (hub->db, error))
    {
      lms_db_rollback (hub->db);
      lms_queue_remove (hub, c);
      lms_consultation_free (c);
      return FALSE;
    }
  g_hash_table_insert (hub->consultations, c->id, c);
  session->consultation = c;
  c->last_position = position;
  g_message ("consultation %s: requested by %s (%s, %s), position %d", c->id,
             session->account->name, c->specialty, lms_urgency_to_string (urgency), position);

  queued = lm_message_new ("consult.queued", msg->id);
  json_object_set_string_member (queued, "consultation", c->id);
  json_object_set_int_member (queued, "position", position);
  json_object_set_int_member (queued, "estimated_wait_s",
                              lms_queue_estimated_wait_s (hub, c, position));
  lms_conn_send (conn, queued);
  lms_queue_changed (hub);
  return TRUE;
}

static gboolean
handle_consult_cancel (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  LmsConsultation *c = member_consultation (hub, conn, msg, error);

  if (!c)
    return FALSE;
  if (c->status != LMS_STATUS_WAITING)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_CONFLICT,
                   "consultation '%s' has started: end it with consult.end", c->id);
      return FALSE;
    }
  return lms_consultation_end (hub, c, LMS_STATUS_CANCELLED, "cancelled", conn->session,
                               msg->id, error);
}

static gboolean
handle_presence (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  LmsSession *session = conn->session;
  gboolean available = g_strcmp0 (lm_message_get_string (msg, "status"), "available") == 0;
  gboolean changed = session->available != available;

  session->available = available;
  send_ack (conn, msg);
  if (changed)
    g_message ("%s (%s) is %s", session->peer, session->account->name,
               available ? "available" : "away");
  /* A change reaches every idle available doctor, this one included, and
   * moves the clinics' estimates; a repeated "available" just resends. */
  if (changed)
    lms_queue_changed (hub);
  else if (available && !session->consultation)
    lms_queue_send_to_doctor (hub, session, NULL);
  return TRUE;
}

static gboolean
check_acceptable (LmsHub *hub, LmsSession *doctor, LmsConsultation *c, const char *id,
                  GError **error)
{
  if (doctor->consultation)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_CONFLICT,
                   "you are already in consultation '%s'", doctor->consultation->id);
      return FALSE;
    }
  if (!c)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_NOT_FOUND,
                   "consultation '%s' does not exist or has ended", id);
      return FALSE;
    }
  if (c->status != LMS_STATUS_WAITING)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_CONFLICT,
                   "consultation '%s' was already accepted by another doctor", id);
      return FALSE;
    }
  if (!lms_session_has_specialty (doctor, c->specialty))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_FORBIDDEN,
                   "consultation '%s' asks for %s, which is not one of your specialties",
                   id, c->specialty);
      return FALSE;
    }
  return TRUE;
}

static gboolean
handle_consult_accept (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  LmsSession *doctor = conn->session;
  const char *id = lm_message_get_string (msg, "consultation");
  LmsConsultation *c = g_hash_table_lookup (hub->consultations, id);
  g_autoptr (JsonObject) detail = json_object_new ();
  LmsSession *relay = NULL;

  if (c && c->status == LMS_STATUS_ACTIVE && !doctor->consultation &&
      g_hash_table_contains (c->invited, doctor->account->name))
    return lms_relay_join (hub, c, doctor, msg->id, error);
  if (!check_acceptable (hub, doctor, c, id, error) ||
      !lms_relay_choose (hub, &relay, error))
    return FALSE;

  g_free (c->media_mode);
  c->media_mode = g_strdup (relay ? "relay" : "direct");
  c->relay_name = relay ? g_strdup (relay->account->name) : NULL;
  c->status = LMS_STATUS_ACTIVE;
  c->started_ms = g_get_real_time () / 1000;
  c->doctor_name = g_strdup (doctor->account->name);
  json_object_set_string_member (detail, "doctor", doctor->account->name);
  json_object_set_double_member (detail, "wait_s", (c->started_ms - c->requested_ms) / 1000.0);
  if (!lms_db_begin (hub->db, error) ||
      !lms_hub_log (hub, c, "consult.accepted", doctor->account->name, detail, error) ||
      !lms_hub_log (hub, c, "consult.started", "server", NULL, error) ||
      !lms_consultation_save (hub, c, error) ||
      !lms_db_commit (hub->db, error))
    {
      lms_db_rollback (hub->db);
      c->status = LMS_STATUS_WAITING;
      c->started_ms = 0;
      g_clear_pointer (&c->doctor_name, g_free);
      g_clear_pointer (&c->relay_name, g_free);
      return FALSE;
    }

  lms_queue_remove (hub, c);
  lms_queue_record_wait (hub, c->started_ms - c->requested_ms);
  lms_metrics_observe_wait (&hub->metrics, (c->started_ms - c->requested_ms) / 1000.0);
  g_ptr_array_add (c->members, doctor);
  doctor->consultation = c;
  g_message ("consultation %s: accepted by %s after %.1f s", c->id, doctor->account->name,
             (c->started_ms - c->requested_ms) / 1000.0);

  if (relay)
    lms_relay_attach (hub, c, relay);
  for (guint i = 0; i < c->members->len; i++)
    lms_consultation_send_start (c, c->members->pdata[i],
                                 c->members->pdata[i] == doctor ? msg->id : NULL, FALSE);
  lms_queue_changed (hub);
  return TRUE;
}

/* sdp and ice: forwarded as they are, with "from" added and the sender's
 * request id removed so the receiver cannot mistake it for its own. */
static gboolean
handle_forward (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  LmsConsultation *c = member_consultation (hub, conn, msg, error);
  const char *to = lm_message_get_string (msg, "to");
  LmsSession *target;
  g_autofree char *text = NULL;

  if (!c)
    return FALSE;
  target = lms_consultation_find_target (c, conn->session, to);
  if (!target)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_FORBIDDEN,
                   "'%s' is not another member of consultation '%s'", to, c->id);
      return FALSE;
    }
  if (c->status != LMS_STATUS_ACTIVE)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_NOT_FOUND,
                   "consultation '%s' has not started", c->id);
      return FALSE;
    }
  if (!target->conn)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_NOT_FOUND,
                   "peer '%s' is away; resend when it is back", to);
      return FALSE;
    }
  send_ack (conn, msg);
  /* msg->id lives in the body: it is gone after this. */
  json_object_remove_member (msg->body, "id");
  msg->id = NULL;
  json_object_set_string_member (msg->body, "from", conn->session->peer);
  lms_conn_send (target->conn, msg->body);
  return TRUE;
}

static gboolean
handle_consult_end (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  LmsConsultation *c = member_consultation (hub, conn, msg, error);
  LmsStatus status;

  if (!c)
    return FALSE;
  /* A relay ends a consultation only when it cannot carry it. */
  if (conn->session == c->relay)
    status = LMS_STATUS_FAILED;
  else if (c->status == LMS_STATUS_WAITING)
    status = LMS_STATUS_CANCELLED;
  else
    status = lms_status_for_end_reason (lm_message_get_string (msg, "reason"));
  return lms_consultation_end (hub, c, status, lm_message_get_string (msg, "reason"),
                               conn->session, msg->id, error);
}

static gboolean
handle_stats (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  LmsConsultation *c = member_consultation (hub, conn, msg, error);

  if (!c)
    return FALSE;
  lms_consultation_add_stats (hub, c, conn->session, msg);
  lms_live_changed (hub);
  send_ack (conn, msg);
  return TRUE;
}

void
lms_handlers_resend_state (LmsHub *hub, LmsSession *session)
{
  LmsConsultation *c = session->consultation;

  if (c && c->status == LMS_STATUS_WAITING)
    {
      g_autoptr (JsonObject) position = lm_message_new ("queue.position", NULL);
      int pos = lms_queue_position (hub, c);

      json_object_set_string_member (position, "consultation", c->id);
      json_object_set_int_member (position, "position", pos);
      json_object_set_int_member (position, "estimated_wait_s",
                                  lms_queue_estimated_wait_s (hub, c, pos));
      lms_session_send (session, position);
    }
  else if (c)
    lms_consultation_send_start (c, session, NULL, TRUE);
  else if (session->available)
    lms_queue_send_to_doctor (hub, session, NULL);
}

static const struct {
  const char *type;
  Handler handler;
} handlers[] = {
  { "hello", lms_handle_hello },
  { "ping", handle_ping },
  { "consult.request", handle_consult_request },
  { "consult.cancel", handle_consult_cancel },
  { "presence", handle_presence },
  { "consult.accept", handle_consult_accept },
  { "sdp", handle_forward },
  { "ice", handle_forward },
  { "consult.end", handle_consult_end },
  { "stats", handle_stats },
  { "relay.register", lms_handle_relay_register },
  { "relay.recording", lms_handle_relay_recording },
  { "consult.invite", lms_handle_consult_invite },
  { "consult.leave", lms_handle_consult_leave },
  { "consult.record", lms_handle_consult_record },
  { "live.subscribe", lms_handle_live_subscribe },
};

static Handler
find_handler (const char *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
    if (g_strcmp0 (handlers[i].type, type) == 0)
      return handlers[i].handler;
  return NULL;
}

void
lms_handlers_dispatch (LmsConn *conn, LmMessage *msg)
{
  LmsHub *hub = conn->hub;
  g_autoptr (GError) error = NULL;
  gboolean is_hello = g_strcmp0 (msg->type, "hello") == 0;
  LmRole sender = conn->session ? conn->session->account->role : LM_ROLE_ANY;
  Handler handler = find_handler (msg->type);

  if (!conn->session && !is_hello)
    g_set_error (&error, LM_ERROR, LM_ERROR_UNAUTHORIZED,
                 "send hello with your token first");
  else if (conn->session && is_hello)
    g_set_error (&error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                 "hello was already accepted on this connection");
  else if (!lm_message_validate (msg, sender, &error))
    ;
  else if (!handler)
    g_set_error (&error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                 "'%s' is sent by the server, not to it", msg->type);
  else
    handler (hub, conn, msg, &error);

  if (error)
    {
      g_debug ("%s: %s refused: %s", conn->session ? conn->session->peer : conn->remote,
               msg->type, error->message);
      lms_conn_send_error (conn, msg->id, error);
      /* Only a refused token closes the socket: whoever holds no valid
       * token has nothing more to say. */
      if (is_hello && g_error_matches (error, LM_ERROR, LM_ERROR_UNAUTHORIZED))
        lms_conn_close (conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "unauthorized");
    }
  else
    hub->metrics.messages_ok++;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-hub.h"

#include <math.h>

#include "lm-error.h"

static const char *const status_names[] = {
  [LMS_STATUS_WAITING] = "waiting",
  [LMS_STATUS_ACTIVE] = "active",
  [LMS_STATUS_COMPLETED] = "completed",
  [LMS_STATUS_CANCELLED] = "cancelled",
  [LMS_STATUS_DISCONNECTED] = "disconnected",
  [LMS_STATUS_FAILED] = "failed",
};

static const char *const urgency_names[] = {
  [LMS_URGENCY_EMERGENCY] = "emergency",
  [LMS_URGENCY_URGENT] = "urgent",
  [LMS_URGENCY_ROUTINE] = "routine",
};

/* Figures kept per member, in LmsMemberQuality.sum order. */
static const char *const quality_figures[] = { "rtt_ms", "loss_pct", "bitrate_kbps", "fps" };

#define STATS_LOG_INTERVAL_US (30 * G_USEC_PER_SEC)

static void
replace_str (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

const char *
lms_status_to_string (LmsStatus status)
{
  return status_names[status];
}

LmsStatus
lms_status_for_end_reason (const char *reason)
{
  if (g_str_has_prefix (reason, "bad_") || g_str_has_suffix (reason, "_failed") ||
      g_str_has_suffix (reason, "_error"))
    return LMS_STATUS_FAILED;
  return LMS_STATUS_COMPLETED;
}

const char *
lms_urgency_to_string (LmsUrgency urgency)
{
  return urgency_names[urgency];
}

gboolean
lms_urgency_from_string (const char *str, LmsUrgency *urgency)
{
  for (guint i = 0; i < G_N_ELEMENTS (urgency_names); i++)
    if (g_strcmp0 (str, urgency_names[i]) == 0)
      {
        *urgency = i;
        return TRUE;
      }
  return FALSE;
}

static void
member_quality_free (gpointer data)
{
  LmsMemberQuality *q = data;

  g_free (q->local_candidate_type);
  g_free (q->remote_candidate_type);
  g_free (q);
}

LmsConsultation *
lms_consultation_new (LmsHub *hub, LmsSession *clinic, LmsUrgency urgency,
                      const char *specialty, const char *patient_ref)
{
  LmsConsultation *c = g_new0 (LmsConsultation, 1);
  g_autofree char *uuid = g_uuid_string_random ();

  c->id = g_strconcat ("c-", uuid, NULL);
  c->status = LMS_STATUS_WAITING;
  c->urgency = urgency;
  c->specialty = g_strdup (specialty);
  c->patient_ref = g_strdup (patient_ref);
  c->clinic_name = g_strdup (clinic->account->name);
  c->media_mode = g_strdup ("direct");
  c->requested_ms = g_get_real_time () / 1000;
  c->seq = hub->next_seq++;
  c->members = g_ptr_array_new ();
  c->offered_to = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  c->quality = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, member_quality_free);
  c->last_position = 0;
  c->invited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_ptr_array_add (c->members, clinic);
  return c;
}

void
lms_consultation_free (LmsConsultation *c)
{
  if (!c)
    return;
  g_free (c->id);
  g_free (c->specialty);
  g_free (c->patient_ref);
  g_free (c->clinic_name);
  g_free (c->doctor_name);
  g_free (c->media_mode);
  g_free (c->end_reason);
  g_free (c->relay_name);
  g_hash_table_unref (c->invited);
  g_ptr_array_unref (c->members);
  g_hash_table_unref (c->offered_to);
  g_hash_table_unref (c->quality);
  g_free (c);
}

gboolean
lms_consultation_has_member (LmsConsultation *c, LmsSession *session)
{
  return g_ptr_array_find (c->members, session, NULL);
}

LmsSession *
lms_consultation_find_target (LmsConsultation *c, LmsSession *sender, const char *peer)
{
  LmsSession *target = lms_consultation_find_member (c, peer);

  if (!target && c->relay && g_strcmp0 (c->relay->peer, peer) == 0)
    target = c->relay;
  return target == sender ? NULL : target;
}

void
lms_consultation_send_start (LmsConsultation *c, LmsSession *member, JsonNode *id,
                             gboolean resumed)
{
  g_autoptr (JsonObject) start = lm_message_new ("consult.start", id);
  JsonObject *media = json_object_new ();

  json_object_set_string_member (start, "consultation", c->id);
  json_object_set_array_member (start, "peers", lms_consultation_peers_json (c));
  json_object_set_string_member (media, "mode", c->media_mode);
  if (c->relay)
    {
      /* The relay offers to every member. */
      json_object_set_string_member (media, "relay", c->relay->peer);
      json_object_set_boolean_member (media, "offer", FALSE);
    }
  else
    json_object_set_boolean_member (media, "offer", member->account->role == LM_ROLE_CLINIC);
  json_object_set_object_member (start, "media", media);
  if (resumed)
    json_object_set_boolean_member (start, "resumed", TRUE);
  lms_session_send (member, start);
}

LmsSession *
lms_consultation_find_member (LmsConsultation *c, const char *peer)
{
  for (guint i = 0; i < c->members->len; i++)
    {
      LmsSession *member = c->members->pdata[i];

      if (g_strcmp0 (member->peer, peer) == 0)
        return member;
    }
  return NULL;
}

JsonArray *
lms_consultation_peers_json (LmsConsultation *c)
{
  JsonArray *peers = json_array_new ();

  for (guint i = 0; i < c->members->len; i++)
    {
      LmsSession *member = c->members->pdata[i];
      JsonObject *peer = json_object_new ();

      json_object_set_string_member (peer, "peer", member->peer);
      json_object_set_string_member (peer, "role", lm_role_to_string (member->account->role));
      json_object_set_string_member (peer, "name", member->account->name);
      json_array_add_object_element (peers, peer);
    }
  return peers;
}

JsonObject *
lms_consultation_quality_json (LmsConsultation *c)
{
  JsonObject *quality = json_object_new ();
  GHashTableIter iter;
  const char *name;
  LmsMemberQuality *q;

  g_hash_table_iter_init (&iter, c->quality);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &q))
    {
      JsonObject *member = json_object_new ();

      json_object_set_int_member (member, "samples", q->samples);
      for (guint i = 0; i < G_N_ELEMENTS (quality_figures); i++)
        if (q->count[i] > 0)
          json_object_set_double_member (member, quality_figures[i],
                                         round (q->sum[i] / q->count[i] * 100) / 100);
        else
          json_object_set_null_member (member, quality_figures[i]);
      json_object_set_string_member (member, "local_candidate_type", q->local_candidate_type);
      json_object_set_string_member (member, "remote_candidate_type", q->remote_candidate_type);
      json_object_set_object_member (quality, name, member);
    }
  return quality;
}

gboolean
lms_consultation_save (LmsHub *hub, LmsConsultation *c, GError **error)
{
  g_autoptr (JsonObject) quality = lms_consultation_quality_json (c);
  g_autofree char *quality_json = NULL;
  LmsConsultationRow row = {
    .id = c->id,
    .clinic = c->clinic_name,
    .doctor = c->doctor_name,
    .specialty = c->specialty,
    .urgency = lms_urgency_to_string (c->urgency),
    .patient_ref = c->patient_ref,
    .status = lms_status_to_string (c->status),
    .end_reason = c->end_reason,
    .media_mode = c->media_mode,
    .relay = c->relay_name,
    .requested_ms = c->requested_ms,
    .started_ms = c->started_ms,
    .ended_ms = c->ended_ms,
  };

  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), quality);

  quality_json = json_to_string (node, FALSE);
  row.quality_json = quality_json;
  return lms_db_consultation_save (hub->db, &row, error);
}

/* Keeps running sums so the summary is the mean over the consultation;
 * writes a `stats` event at most every 30 s per member. */
void
lms_consultation_add_stats (LmsHub *hub, LmsConsultation *c, LmsSession *member,
                            const LmMessage *msg)
{
  g_autofree char *name = g_strdup (member->account->name);
  const char *leg = lm_message_get_string (msg, "leg");
  LmsMemberQuality *q;
  gint64 now = g_get_monotonic_time ();
  const char *type;

  /* A relay reports each member's leg; its figures are kept apart from
   * what the members say of themselves. */
  if (member == c->relay && leg)
    {
      LmsSession *leg_member = lms_consultation_find_member (c, leg);

      g_free (name);
      name = g_strconcat ("relay:", leg_member ? leg_member->account->name : leg, NULL);
    }
  q = g_hash_table_lookup (c->quality, name);
  if (!q)
    {
      q = g_new0 (LmsMemberQuality, 1);
      g_hash_table_insert (c->quality, g_strdup (name), q);
    }
  q->samples++;
  for (guint i = 0; i < G_N_ELEMENTS (quality_figures); i++)
    if (json_object_has_member (msg->body, quality_figures[i]))
      {
        q->sum[i] += lm_message_get_double (msg, quality_figures[i], 0);
        q->count[i]++;
      }
  if ((type = lm_message_get_string (msg, "local_candidate_type")))
    replace_str (&q->local_candidate_type, type);
  if ((type = lm_message_get_string (msg, "remote_candidate_type")))
    replace_str (&q->remote_candidate_type, type);

  if (q->logged_us == 0 || now - q->logged_us >= STATS_LOG_INTERVAL_US)
    {
      g_autoptr (JsonObject) detail = json_object_new ();

      q->logged_us = now;
      for (guint i = 0; i < G_N_ELEMENTS (quality_figures); i++)
        if (json_object_has_member (msg->body, quality_figures[i]))
          json_object_set_double_member (detail, quality_figures[i],
                                         lm_message_get_double (msg, quality_figures[i], 0));
      if (q->local_candidate_type)
        json_object_set_string_member (detail, "local_candidate_type", q->local_candidate_type);
      if (q->remote_candidate_type)
        json_object_set_string_member (detail, "remote_candidate_type", q->remote_candidate_type);
      lms_hub_log (hub, c, "stats", name, detail, NULL);
      lms_consultation_save (hub, c, NULL);
    }
}

void
lms_consultation_broadcast (LmsConsultation *c, LmsSession *except, JsonObject *message)
{
  for (guint i = 0; i < c->members->len; i++)
    if (c->members->pdata[i] != except)
      lms_session_send (c->members->pdata[i], message);
}

gboolean
lms_consultation_end (LmsHub *hub, LmsConsultation *c, LmsStatus status,
                      const char *reason, LmsSession *by,
                      JsonNode *id, GError **error)
{
  const char *by_peer = by ? by->peer : "server";
  g_autoptr (JsonObject) detail = json_object_new ();
  gboolean ok;

  c->status = status;
  c->ended_ms = g_get_real_time () / 1000;
  replace_str (&c->end_reason, reason);

  json_object_set_string_member (detail, "reason", reason);
  json_object_set_string_member (detail, "by", by_peer);
  json_object_set_string_member (detail, "status", lms_status_to_string (status));
  ok = lms_db_begin (hub->db, error) &&
       lms_hub_log (hub, c, "consult.ended", by ? by->account->name : "server", detail, error) &&
       lms_consultation_save (hub, c, error) &&
       lms_db_commit (hub->db, error);
  if (!ok)
    lms_db_rollback (hub->db);

  g_message ("consultation %s: ended (%s, %s) by %s", c->id,
             lms_status_to_string (status), reason, by_peer);
  /* Members are told even if the log failed: the consultation is over
   * either way, and the failure is reported to the caller. */
  for (guint i = 0; i < c->members->len; i++)
    {
      LmsSession *member = c->members->pdata[i];
      g_autoptr (JsonObject) ended = lm_message_new ("consult.ended", member == by ? id : NULL);

      json_object_set_string_member (ended, "consultation", c->id);
      json_object_set_string_member (ended, "reason", reason);
      json_object_set_string_member (ended, "by", by_peer);
      lms_session_send (member, ended);
      member->consultation = NULL;
    }
  if (c->relay)
    {
      g_autoptr (JsonObject) ended = lm_message_new ("consult.ended", NULL);

      json_object_set_string_member (ended, "consultation", c->id);
      json_object_set_string_member (ended, "reason", reason);
      json_object_set_string_member (ended, "by", by_peer);
      lms_session_send (c->relay, ended);
      lms_relay_detach (c);
    }
  if (g_ptr_array_find (hub->queue, c, NULL))
    lms_queue_remove (hub, c);
  g_hash_table_remove (hub->consultations, c->id);
  lms_queue_changed (hub);
  return ok;
}

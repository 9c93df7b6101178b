/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-hub.h"

#include <math.h>

#define RECENT_WAITS 20
#define DEFAULT_WAIT_S 120.0

/* Emergency before urgent before routine, then longest waiting first. */
static gint
compare_waiting (gconstpointer a, gconstpointer b)
{
  const LmsConsultation *x = *(LmsConsultation * const *) a;
  const LmsConsultation *y = *(LmsConsultation * const *) b;

  if (x->urgency != y->urgency)
    return x->urgency < y->urgency ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
lms_queue_add (LmsHub *hub, LmsConsultation *c)
{
  g_ptr_array_add (hub->queue, c);
  g_ptr_array_sort (hub->queue, compare_waiting);
}

void
lms_queue_remove (LmsHub *hub, LmsConsultation *c)
{
  g_ptr_array_remove (hub->queue, c);
}

int
lms_queue_position (LmsHub *hub, LmsConsultation *c)
{
  guint index;

  return g_ptr_array_find (hub->queue, c, &index) ? (int) index + 1 : 0;
}

void
lms_queue_record_wait (LmsHub *hub, gint64 wait_ms)
{
  g_array_append_val (hub->recent_waits_ms, wait_ms);
  if (hub->recent_waits_ms->len > RECENT_WAITS)
    g_array_remove_index (hub->recent_waits_ms, 0);
}

static guint
count_available_doctors (LmsHub *hub, const char *specialty)
{
  GHashTableIter iter;
  LmsSession *session;
  guint n = 0;

  g_hash_table_iter_init (&iter, hub->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (session->available && session->conn && lms_session_has_specialty (session, specialty))
      n++;
  return n;
}

double
lms_queue_estimated_wait_s (LmsHub *hub, LmsConsultation *c, int position)
{
  double mean_s = DEFAULT_WAIT_S;
  guint doctors = MAX (1, count_available_doctors (hub, c->specialty));

  if (hub->recent_waits_ms->len > 0)
    {
      gint64 sum = 0;

      for (guint i = 0; i < hub->recent_waits_ms->len; i++)
        sum += g_array_index (hub->recent_waits_ms, gint64, i);
      mean_s = sum / 1000.0 / hub->recent_waits_ms->len;
    }
  return round (position * mean_s / doctors);
}

/* The waiting list as one doctor sees it; logs the first offer of each
 * request to each doctor. */
JsonArray *
lms_queue_waiting_json (LmsHub *hub, LmsSession *doctor)
{
  JsonArray *waiting = json_array_new ();
  gint64 now_ms = g_get_real_time () / 1000;

  for (guint i = 0; i < hub->queue->len; i++)
    {
      LmsConsultation *c = hub->queue->pdata[i];
      JsonObject *entry;

      if (doctor && !lms_session_has_specialty (doctor, c->specialty))
        continue;
      entry = json_object_new ();
      json_object_set_string_member (entry, "consultation", c->id);
      json_object_set_string_member (entry, "clinic", c->clinic_name);
      json_object_set_string_member (entry, "specialty", c->specialty);
      json_object_set_string_member (entry, "urgency", lms_urgency_to_string (c->urgency));
      json_object_set_string_member (entry, "patient_ref", c->patient_ref);
      json_object_set_int_member (entry, "waiting_s", (now_ms - c->requested_ms) / 1000);
      json_array_add_object_element (waiting, entry);

      if (doctor && !g_hash_table_contains (c->offered_to, doctor->account->name))
        {
          g_autoptr (JsonObject) detail = json_object_new ();

          g_hash_table_add (c->offered_to, g_strdup (doctor->account->name));
          json_object_set_string_member (detail, "doctor", doctor->account->name);
          lms_hub_log (hub, c, "consult.offered", doctor->account->name, detail, NULL);
        }
    }
  return waiting;
}

void
lms_queue_send_to_doctor (LmsHub *hub, LmsSession *doctor, JsonNode *id)
{
  g_autoptr (JsonObject) message = lm_message_new ("queue", id);

  json_object_set_array_member (message, "waiting", lms_queue_waiting_json (hub, doctor));
  lms_session_send (doctor, message);
}

static void
send_positions (LmsHub *hub)
{
  for (guint i = 0; i < hub->queue->len; i++)
    {
      LmsConsultation *c = hub->queue->pdata[i];
      int position = i + 1;
      g_autoptr (JsonObject) message = NULL;

      if (c->last_position == position)
        continue;
      c->last_position = position;
      message = lm_message_new ("queue.position", NULL);
      json_object_set_string_member (message, "consultation", c->id);
      json_object_set_int_member (message, "position", position);
      json_object_set_int_member (message, "estimated_wait_s",
                                  lms_queue_estimated_wait_s (hub, c, position));
      lms_consultation_broadcast (c, NULL, message);
    }
}

void
lms_queue_changed (LmsHub *hub)
{
  GHashTableIter iter;
  LmsSession *session;
  gboolean in_transaction;

  /* The offers logged below share one transaction: one fsync per change
   * of the queue, not one per doctor. */
  in_transaction = lms_db_begin (hub->db, NULL);
  g_hash_table_iter_init (&iter, hub->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (session->available && session->conn && !session->consultation)
      lms_queue_send_to_doctor (hub, session, NULL);
  if (in_transaction && !lms_db_commit (hub->db, NULL))
    lms_db_rollback (hub->db);
  send_positions (hub);
  lms_live_changed (hub);
}

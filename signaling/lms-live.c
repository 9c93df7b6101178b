/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-hub.h"

static char *
iso_time (gint64 ms)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (ms / 1000);

  return g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
}

static JsonObject *
queue_json (LmsHub *hub)
{
  JsonObject *queue = json_object_new ();
  gint64 now_ms = g_get_real_time () / 1000;
  gint64 oldest = 0;

  for (guint i = 0; i < hub->queue->len; i++)
    {
      LmsConsultation *c = hub->queue->pdata[i];
      oldest = MAX (oldest, now_ms - c->requested_ms);
    }
  json_object_set_int_member (queue, "length", hub->queue->len);
  json_object_set_int_member (queue, "oldest_wait_s", oldest / 1000);
  json_object_set_array_member (queue, "waiting", lms_queue_waiting_json (hub, NULL));
  return queue;
}

static JsonArray *
active_json (LmsHub *hub)
{
  JsonArray *active = json_array_new ();
  GHashTableIter iter;
  LmsConsultation *c;

  g_hash_table_iter_init (&iter, hub->consultations);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    {
      JsonObject *entry;
      g_autofree char *started = NULL;

      if (c->status != LMS_STATUS_ACTIVE)
        continue;
      entry = json_object_new ();
      started = iso_time (c->started_ms);
      json_object_set_string_member (entry, "consultation", c->id);
      json_object_set_string_member (entry, "clinic", c->clinic_name);
      json_object_set_string_member (entry, "doctor", c->doctor_name);
      json_object_set_string_member (entry, "specialty", c->specialty);
      json_object_set_string_member (entry, "urgency", lms_urgency_to_string (c->urgency));
      json_object_set_string_member (entry, "media_mode", c->media_mode);
      json_object_set_string_member (entry, "started_at", started);
      json_object_set_array_member (entry, "peers", lms_consultation_peers_json (c));
      json_object_set_object_member (entry, "quality", lms_consultation_quality_json (c));
      json_array_add_object_element (active, entry);
    }
  return active;
}

/* Names online per role; a name appears once however many devices use
 * the account. */
static JsonObject *
online_json (LmsHub *hub)
{
  JsonObject *online = json_object_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *clinics = json_array_new ();
  JsonArray *doctors = json_array_new ();
  JsonArray *relays = json_array_new ();
  GHashTableIter iter;
  LmsSession *session;

  g_hash_table_iter_init (&iter, hub->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    {
      const char *name = session->account->name;

      if (!session->conn || !g_hash_table_add (seen, (gpointer) name))
        continue;
      switch (session->account->role)
        {
        case LM_ROLE_CLINIC:
          json_array_add_string_element (clinics, name);
          break;
        case LM_ROLE_DOCTOR:
          {
            JsonObject *doctor = json_object_new ();

            json_object_set_string_member (doctor, "name", name);
            json_object_set_string_member (doctor, "status",
                                           session->consultation ? "busy" :
                                           session->available ? "available" : "away");
            json_array_add_object_element (doctors, doctor);
          }
          break;
        case LM_ROLE_RELAY:
          json_array_add_string_element (relays, name);
          break;
        default:
          break;
        }
    }
  json_object_set_array_member (online, "clinics", clinics);
  json_object_set_array_member (online, "doctors", doctors);
  json_object_set_array_member (online, "relays", relays);
  return online;
}

JsonObject *
lms_live_json (LmsHub *hub)
{
  JsonObject *live = json_object_new ();

  json_object_set_object_member (live, "queue", queue_json (hub));
  json_object_set_array_member (live, "active", active_json (hub));
  json_object_set_object_member (live, "online", online_json (hub));
  return live;
}

#define LIVE_INTERVAL_MS 500

static gboolean
on_live_timer (gpointer user_data)
{
  LmsHub *hub = user_data;
  g_autoptr (JsonObject) message = NULL;

  hub->live_timer_id = 0;
  if (hub->live_subscribers->len == 0)
    return G_SOURCE_REMOVE;
  message = lms_live_json (hub);
  json_object_set_string_member (message, "type", "live");
  for (guint i = 0; i < hub->live_subscribers->len; i++)
    lms_session_send (hub->live_subscribers->pdata[i], message);
  return G_SOURCE_REMOVE;
}

void
lms_live_changed (LmsHub *hub)
{
  /* Changes within the interval are sent together. */
  if (hub->live_subscribers->len > 0 && hub->live_timer_id == 0)
    hub->live_timer_id = g_timeout_add (LIVE_INTERVAL_MS, on_live_timer, hub);
}

void
lms_live_forget (LmsHub *hub, LmsSession *session)
{
  g_ptr_array_remove (hub->live_subscribers, session);
}

gboolean
lms_handle_live_subscribe (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error)
{
  g_autoptr (JsonObject) live = lms_live_json (hub);
  g_autoptr (JsonObject) message = lm_message_new ("live", msg->id);
  g_autoptr (JsonObject) detail = json_object_new ();
  GList *members = json_object_get_members (live);

  json_object_set_string_member (detail, "path", "ws:live.subscribe");
  if (!lms_hub_log (hub, NULL, "admin.read", conn->session->account->name, detail, error))
    {
      g_list_free (members);
      return FALSE;
    }
  for (GList *l = members; l; l = l->next)
    json_object_set_member (message, l->data,
                            json_node_copy (json_object_get_member (live, l->data)));
  g_list_free (members);
  if (!g_ptr_array_find (hub->live_subscribers, conn->session, NULL))
    g_ptr_array_add (hub->live_subscribers, conn->session);
  lms_conn_send (conn, message);
  return TRUE;
}

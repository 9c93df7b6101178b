/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-server.h"

static const char *const statuses[] = {
  "waiting", "active", "completed", "cancelled", "disconnected", "failed",
};

static void
append_peers (GString *out, LmsHub *hub)
{
  const LmRole roles[] = { LM_ROLE_CLINIC, LM_ROLE_DOCTOR, LM_ROLE_ADMIN, LM_ROLE_RELAY };
  guint counts[G_N_ELEMENTS (roles)] = { 0 };
  GHashTableIter iter;
  LmsSession *session;

  g_hash_table_iter_init (&iter, hub->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
      if (session->conn && session->account->role == roles[i])
        counts[i]++;
  g_string_append (out, "# HELP lastmile_peers Authenticated sessions online, by role.\n"
                        "# TYPE lastmile_peers gauge\n");
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    g_string_append_printf (out, "lastmile_peers{role=\"%s\"} %u\n",
                            lm_role_to_string (roles[i]), counts[i]);
}

static void
append_consultations (GString *out, LmsDb *db)
{
  g_autoptr (GHashTable) counts = lms_db_count_by_status (db, NULL);

  g_string_append (out, "# HELP lastmile_consultations Consultations in the log, by status.\n"
                        "# TYPE lastmile_consultations gauge\n");
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    g_string_append_printf (out, "lastmile_consultations{status=\"%s\"} %d\n", statuses[i],
                            counts ? GPOINTER_TO_INT (g_hash_table_lookup (counts, statuses[i])) : 0);
}

static void
append_wait_histogram (GString *out, const LmsMetrics *m)
{
  guint64 cumulative = 0;

  g_string_append (out, "# HELP lastmile_wait_seconds Time from request to acceptance.\n"
                        "# TYPE lastmile_wait_seconds histogram\n");
  for (guint i = 0; i < LMS_WAIT_HISTOGRAM_BUCKETS; i++)
    {
      cumulative += m->wait_buckets[i];
      g_string_append_printf (out, "lastmile_wait_seconds_bucket{le=\"%g\"} %" G_GUINT64_FORMAT "\n",
                              lms_wait_bucket_bounds[i], cumulative);
    }
  g_string_append_printf (out, "lastmile_wait_seconds_bucket{le=\"+Inf\"} %" G_GUINT64_FORMAT "\n"
                               "lastmile_wait_seconds_sum %.3f\n"
                               "lastmile_wait_seconds_count %" G_GUINT64_FORMAT "\n",
                          m->wait_count, m->wait_sum_s, m->wait_count);
}

void
lms_metrics_observe_wait (LmsMetrics *m, double wait_s)
{
  guint i = 0;

  while (i < LMS_WAIT_HISTOGRAM_BUCKETS && wait_s > lms_wait_bucket_bounds[i])
    i++;
  m->wait_buckets[i]++;
  m->wait_sum_s += wait_s;
  m->wait_count++;
}

static void
on_metrics (SoupServer *soup, SoupServerMessage *msg, const char *path,
            GHashTable *query, gpointer user_data)
{
  LmsServer *server = user_data;
  LmsHub *hub = server->hub;
  const LmsMetrics *m = &hub->metrics;
  GString *out = g_string_new (NULL);
  gsize len;

  g_string_append_printf (out,
      "# HELP lastmile_connections Open WebSocket connections.\n"
      "# TYPE lastmile_connections gauge\n"
      "lastmile_connections %u\n"
      "# HELP lastmile_queue_length Consultations waiting for a doctor.\n"
      "# TYPE lastmile_queue_length gauge\n"
      "lastmile_queue_length %u\n",
      g_hash_table_size (hub->conns), hub->queue->len);
  append_peers (out, hub);
  append_consultations (out, server->db);
  append_wait_histogram (out, m);
  g_string_append_printf (out,
      "# HELP lastmile_messages_total Messages received, by outcome.\n"
      "# TYPE lastmile_messages_total counter\n"
      "lastmile_messages_total{result=\"ok\"} %" G_GUINT64_FORMAT "\n"
      "lastmile_messages_total{result=\"error\"} %" G_GUINT64_FORMAT "\n"
      "lastmile_messages_total{result=\"rate_limited\"} %" G_GUINT64_FORMAT "\n",
      m->messages_ok, m->messages_error, m->messages_rate_limited);
  len = out->len;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE, g_string_free (out, FALSE), len);
}

void
lms_metrics_register (LmsServer *server)
{
  soup_server_add_handler (server->soup, "/metrics", on_metrics, server, NULL);
}

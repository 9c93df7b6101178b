/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-hub.h"

#include "lm-error.h"

const double lms_wait_bucket_bounds[LMS_WAIT_HISTOGRAM_BUCKETS] = {
  5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600,
};

#define PURGE_INTERVAL_S 3600
/* A ping to a connection that sent nothing for this long... */
#define LMS_KEEPALIVE_S 30
/* ...and the socket dropped after this long without a byte. */
#define LMS_DEAD_PEER_S 75
/* Output queued for a peer that does not read, before it is closed. */
#define LMS_MAX_OUTPUT_BYTES (4 * 1024 * 1024)

static gboolean on_tick (gpointer user_data);

gboolean
lms_hub_log (LmsHub *hub, LmsConsultation *c, const char *kind,
             const char *actor, JsonObject *detail, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (lms_db_event_append (hub->db, c ? c->id : NULL, kind, actor, detail, &local_error))
    return TRUE;
  g_warning ("consultation %s: could not log %s: %s", c ? c->id : "-", kind,
             local_error->message);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
on_purge (gpointer user_data)
{
  LmsHub *hub = user_data;
  g_autoptr (GError) error = NULL;
  gint64 before = g_get_real_time () / 1000 - (gint64) hub->options->retention_days * 86400000;
  gint64 removed = lms_db_purge (hub->db, before, &error);

  if (removed < 0)
    g_warning ("retention purge failed: %s", error->message);
  else if (removed > 0)
    g_message ("retention: purged %" G_GINT64_FORMAT " consultations older than %d days",
               removed, hub->options->retention_days);
  return G_SOURCE_CONTINUE;
}

LmsHub *
lms_hub_new (LmsOptions *options, LmsDb *db, GError **error)
{
  g_autoptr (LmsHub) hub = g_new0 (LmsHub, 1);
  g_autoptr (GArray) waits = NULL;
  gint64 closed;

  hub->options = options;
  hub->db = db;
  hub->conns = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) lms_conn_free, NULL);
  hub->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) lms_session_free);
  hub->consultations = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                              (GDestroyNotify) lms_consultation_free);
  hub->queue = g_ptr_array_new ();
  hub->recent_waits_ms = g_array_new (FALSE, FALSE, sizeof (gint64));
  hub->live_subscribers = g_ptr_array_new ();

  /* Whatever was open when the server last stopped cannot be resumed:
   * its sessions lived in memory. Close it in the log, with the reason. */
  closed = lms_db_close_open_consultations (db, "server_restart", g_get_real_time () / 1000, error);
  if (closed < 0)
    return NULL;
  if (closed > 0)
    g_message ("closed %" G_GINT64_FORMAT " consultations left open by the previous run", closed);

  waits = lms_db_recent_waits (db, 20, error);
  if (!waits)
    return NULL;
  for (guint i = waits->len; i > 0; i--)
    lms_queue_record_wait (hub, g_array_index (waits, gint64, i - 1));

  hub->ws_loop = lms_ws_loop_new (error);
  if (!hub->ws_loop)
    return NULL;
  hub->tick_id = g_timeout_add_seconds (1, on_tick, hub);

  if (options->retention_days > 0)
    {
      on_purge (hub);
      hub->purge_id = g_timeout_add_seconds (PURGE_INTERVAL_S, on_purge, hub);
    }
  if (!lms_hub_log (hub, NULL, "server.started", "server", NULL, error))
    return NULL;
  return g_steal_pointer (&hub);
}

void
lms_hub_free (LmsHub *hub)
{
  if (!hub)
    return;
  g_clear_handle_id (&hub->purge_id, g_source_remove);
  g_clear_handle_id (&hub->live_timer_id, g_source_remove);
  g_clear_handle_id (&hub->tick_id, g_source_remove);
  g_clear_pointer (&hub->live_subscribers, g_ptr_array_unref);
  /* Connections before the loop that holds their sockets. */
  g_clear_pointer (&hub->conns, g_hash_table_unref);
  g_clear_pointer (&hub->ws_loop, lms_ws_loop_free);
  g_clear_pointer (&hub->consultations, g_hash_table_unref);
  g_clear_pointer (&hub->sessions, g_hash_table_unref);
  g_clear_pointer (&hub->queue, g_ptr_array_unref);
  g_clear_pointer (&hub->recent_waits_ms, g_array_unref);
  g_free (hub);
}

static void
on_ws_message (LmsWs *ws, gboolean binary, const guint8 *data, gsize len, gpointer user_data)
{
  LmsConn *conn = user_data;

  if (binary)
    {
      g_autoptr (GError) error = g_error_new (LM_ERROR, LM_ERROR_BAD_REQUEST,
                                              "binary frames are not accepted: send JSON as text");
      lms_conn_send_error (conn, NULL, error);
      return;
    }
  lms_conn_on_message (conn, (const char *) data, len);
}

static void
on_ws_closed (LmsWs *ws, gpointer user_data)
{
  LmsConn *conn = user_data;
  LmsHub *hub = conn->hub;
  LmsSession *session = conn->session;

  if (session)
    {
      g_debug ("%s (%s) disconnected", session->peer, session->account->name);
      session->conn = NULL;
      conn->session = NULL;
      lms_session_detach (hub, session);
    }
  g_hash_table_remove (hub->conns, conn);
}

static const LmsWsCallbacks ws_callbacks = {
  .message = on_ws_message,
  .closed = on_ws_closed,
};

/* Checks every connection once a second, each against its own deadlines:
 * one timer for all instead of two GSources per socket. Pings go out in
 * 30 slots, so 5,000 idle peers cost about 170 pings a tick, not 5,000
 * in one. */
static void
check_connection (LmsHub *hub, LmsConn *conn, gint64 now, guint slot)
{
  gint64 idle = now - lms_ws_get_last_input_us (conn->ws);

  if (!lms_ws_is_open (conn->ws))
    return;
  if (!conn->session && now - conn->connected_us >= hub->options->hello_timeout_s * G_USEC_PER_SEC)
    {
      g_message ("%s: no hello within %d s", conn->remote, hub->options->hello_timeout_s);
      lms_conn_close (conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "no hello");
    }
  else if (idle >= LMS_DEAD_PEER_S * G_USEC_PER_SEC)
    {
      g_message ("%s: nothing received for %d s, dropping the connection",
                 conn->session ? conn->session->peer : conn->remote, LMS_DEAD_PEER_S);
      lms_ws_abort (conn->ws);
    }
  else if (conn->ping_slot == slot && idle >= (LMS_KEEPALIVE_S - 1) * G_USEC_PER_SEC)
    lms_ws_ping (conn->ws);
}

static gboolean
on_tick (gpointer user_data)
{
  LmsHub *hub = user_data;
  gint64 now = g_get_monotonic_time ();
  guint slot = hub->ticks++ % LMS_KEEPALIVE_S;
  GHashTableIter iter;
  LmsConn *conn;

  /* Closing and aborting are deferred to the WebSocket loop, so nothing
   * leaves the table while it is walked. */
  g_hash_table_iter_init (&iter, hub->conns);
  while (g_hash_table_iter_next (&iter, (gpointer *) &conn, NULL))
    check_connection (hub, conn, now, slot);
  return G_SOURCE_CONTINUE;
}

void
lms_hub_add_connection (LmsHub *hub, GIOStream *stream, GSocket *socket, gboolean tls,
                        const char *remote)
{
  LmsConn *conn = g_new0 (LmsConn, 1);
  /* Frames past the message limit are still read, so the peer gets a
   * too_large error; only far larger ones close the socket (1009). */
  guint64 frame_limit = MAX ((guint64) hub->options->max_message_bytes * 16, 1024 * 1024);

  conn->hub = hub;
  conn->remote = g_strdup (remote);
  conn->tokens = hub->options->rate_burst;
  conn->refilled_us = conn->connected_us = g_get_monotonic_time ();
  conn->ping_slot = hub->accepted++ % LMS_KEEPALIVE_S;
  conn->ws = lms_ws_new (hub->ws_loop, stream, socket, tls, frame_limit, LMS_MAX_OUTPUT_BYTES,
                         &ws_callbacks, conn);
  g_hash_table_add (hub->conns, conn);

  if (g_hash_table_size (hub->conns) > (guint) hub->options->max_connections)
    {
      g_message ("%s: refused, %d connections already", remote, hub->options->max_connections);
      /* 1013 "try again later" would say it best; 1011 is what clients
       * of earlier versions were told. */
      lms_conn_close (conn, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "server full: try again later");
    }
}

void
lms_hub_shutdown (LmsHub *hub)
{
  GHashTableIter iter;
  LmsConn *conn;
  g_autoptr (GPtrArray) open = g_ptr_array_new ();
  LmsConsultation *c;

  g_hash_table_iter_init (&iter, hub->consultations);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    g_ptr_array_add (open, c);

  for (guint i = 0; i < open->len; i++)
    {
      g_autoptr (GError) error = NULL;

      if (!lms_consultation_end (hub, open->pdata[i], LMS_STATUS_DISCONNECTED, "server_restart",
                                 NULL, NULL, &error))
        g_warning ("could not log the end of a consultation: %s", error->message);
    }
  g_hash_table_iter_init (&iter, hub->conns);
  while (g_hash_table_iter_next (&iter, (gpointer *) &conn, NULL))
    {
      conn->session = NULL;
      lms_conn_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
    }
  lms_hub_log (hub, NULL, "server.stopped", "server", NULL, NULL);
}

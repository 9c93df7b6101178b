/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-db-private.h"

#include "lm-error.h"

gboolean
lms_db_event_append (LmsDb       *db,
                     const char  *consultation,
                     const char  *kind,
                     const char  *actor,
                     JsonObject  *detail,
                     GError     **error)
{
  sqlite3_stmt *stmt = db->insert_event;
  g_autofree char *detail_json = NULL;
  int rc;

  if (detail)
    {
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), detail);
      detail_json = json_to_string (node, FALSE);
    }
  lms_db_bind_text (stmt, 1, consultation);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / 1000);
  lms_db_bind_text (stmt, 3, kind);
  lms_db_bind_text (stmt, 4, actor);
  lms_db_bind_text (stmt, 5, detail_json);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    {
      lms_db_set_error (db, error, "append event");
      return FALSE;
    }
  return TRUE;
}

gboolean
lms_db_consultation_save (LmsDb *db, const LmsConsultationRow *row, GError **error)
{
  sqlite3_stmt *stmt;

  stmt = lms_db_prepare (db,
      "INSERT OR REPLACE INTO consultations (id, clinic, doctor, specialty, urgency,"
      " patient_ref, status, requested_ms, started_ms, ended_ms, end_reason,"
      " media_mode, quality, relay) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", error);
  if (!stmt)
    return FALSE;
  lms_db_bind_text (stmt, 1, row->id);
  lms_db_bind_text (stmt, 2, row->clinic);
  lms_db_bind_text (stmt, 3, row->doctor);
  lms_db_bind_text (stmt, 4, row->specialty);
  lms_db_bind_text (stmt, 5, row->urgency);
  lms_db_bind_text (stmt, 6, row->patient_ref);
  lms_db_bind_text (stmt, 7, row->status);
  sqlite3_bind_int64 (stmt, 8, row->requested_ms);
  lms_db_bind_time (stmt, 9, row->started_ms);
  lms_db_bind_time (stmt, 10, row->ended_ms);
  lms_db_bind_text (stmt, 11, row->end_reason);
  lms_db_bind_text (stmt, 12, row->media_mode);
  lms_db_bind_text (stmt, 13, row->quality_json);
  lms_db_bind_text (stmt, 14, row->relay);
  return lms_db_step_done (db, stmt, "save consultation", error);
}

gboolean
lms_db_recording_add (LmsDb *db, const char *consultation, const char *path,
                      gint64 bytes, double duration_s, GError **error)
{
  sqlite3_stmt *stmt = lms_db_prepare (db,
      "INSERT INTO recordings (consultation, path, bytes, duration_s, time_ms) "
      "VALUES (?, ?, ?, ?, ?)", error);

  if (!stmt)
    return FALSE;
  lms_db_bind_text (stmt, 1, consultation);
  lms_db_bind_text (stmt, 2, path);
  sqlite3_bind_int64 (stmt, 3, bytes);
  sqlite3_bind_double (stmt, 4, duration_s);
  sqlite3_bind_int64 (stmt, 5, g_get_real_time () / 1000);
  return lms_db_step_done (db, stmt, "add recording", error);
}

gboolean
lms_db_consultation_relay (LmsDb *db, const char *id, char **relay, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = lms_db_prepare (db,
      "SELECT relay FROM consultations WHERE id = ?", error);
  int rc;

  if (!stmt)
    return FALSE;
  lms_db_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_NOT_FOUND, "no consultation has the id '%s'", id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    {
      lms_db_set_error (db, error, "read consultation");
      return FALSE;
    }
  *relay = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  return TRUE;
}

gint64
lms_db_close_open_consultations (LmsDb *db, const char *reason, gint64 now_ms, GError **error)
{
  g_autoptr (sqlite3_stmt) select = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *update;
  int rc;

  select = lms_db_prepare (db,
      "SELECT id FROM consultations WHERE status IN ('waiting', 'active')", error);
  if (!select)
    return -1;
  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (select, 0)));
  if (rc != SQLITE_DONE)
    {
      lms_db_set_error (db, error, "find open consultations");
      return -1;
    }
  if (ids->len == 0)
    return 0;

  if (!lms_db_begin (db, error))
    return -1;
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr (JsonObject) detail = json_object_new ();

      json_object_set_string_member (detail, "reason", reason);
      json_object_set_string_member (detail, "by", "server");
      if (!lms_db_event_append (db, ids->pdata[i], "consult.ended", "server", detail, error))
        goto fail;
    }
  update = lms_db_prepare (db,
      "UPDATE consultations SET status = 'disconnected', end_reason = ?, ended_ms = ? "
      "WHERE status IN ('waiting', 'active')", error);
  if (!update)
    goto fail;
  lms_db_bind_text (update, 1, reason);
  sqlite3_bind_int64 (update, 2, now_ms);
  if (!lms_db_step_done (db, update, "close open consultations", error) ||
      !lms_db_commit (db, error))
    goto fail;
  return ids->len;

fail:
  lms_db_rollback (db);
  return -1;
}

gint64
lms_db_purge (LmsDb *db, gint64 before_ms, GError **error)
{
  sqlite3_stmt *stmt;
  gint64 removed;

  if (!lms_db_begin (db, error))
    return -1;
  stmt = lms_db_prepare (db,
      "DELETE FROM events WHERE (consultation IS NULL AND time_ms < ?1) OR consultation IN "
      "(SELECT id FROM consultations WHERE ended_ms IS NOT NULL AND ended_ms < ?1)", error);
  if (!stmt)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, before_ms);
  if (!lms_db_step_done (db, stmt, "purge events", error))
    goto fail;
  stmt = lms_db_prepare (db,
      "DELETE FROM recordings WHERE consultation IN "
      "(SELECT id FROM consultations WHERE ended_ms IS NOT NULL AND ended_ms < ?)", error);
  if (!stmt)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, before_ms);
  if (!lms_db_step_done (db, stmt, "purge recordings", error))
    goto fail;
  stmt = lms_db_prepare (db,
      "DELETE FROM consultations WHERE ended_ms IS NOT NULL AND ended_ms < ?", error);
  if (!stmt)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, before_ms);
  if (!lms_db_step_done (db, stmt, "purge consultations", error))
    goto fail;
  removed = sqlite3_changes (db->handle);
  if (!lms_db_commit (db, error))
    goto fail;
  return removed;

fail:
  lms_db_rollback (db);
  return -1;
}

GArray *
lms_db_recent_waits (LmsDb *db, guint n, GError **error)
{
  g_autoptr (GArray) waits = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = lms_db_prepare (db,
      "SELECT started_ms - requested_ms FROM consultations WHERE started_ms IS NOT NULL "
      "ORDER BY started_ms DESC LIMIT ?", error);
  if (!stmt)
    return NULL;
  sqlite3_bind_int (stmt, 1, n);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 wait = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (waits, wait);
    }
  if (rc != SQLITE_DONE)
    {
      lms_db_set_error (db, error, "recent waits");
      return NULL;
    }
  return g_steal_pointer (&waits);
}

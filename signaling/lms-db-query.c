/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-db-private.h"

#include "lm-error.h"

#define RECORD_COLUMNS \
  "id, clinic, doctor, specialty, urgency, patient_ref, status, requested_ms," \
  " started_ms, ended_ms, end_reason, media_mode, quality, relay"

static void
set_time_member (JsonObject *object, const char *member, sqlite3_stmt *stmt, int col)
{
  g_autoptr (GDateTime) time = NULL;
  g_autofree char *iso = NULL;

  if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
    {
      json_object_set_null_member (object, member);
      return;
    }
  time = g_date_time_new_from_unix_utc (sqlite3_column_int64 (stmt, col) / 1000);
  iso = g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
  json_object_set_string_member (object, member, iso);
}

static void
set_text_member (JsonObject *object, const char *member, sqlite3_stmt *stmt, int col)
{
  if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
    json_object_set_null_member (object, member);
  else
    json_object_set_string_member (object, member, (const char *) sqlite3_column_text (stmt, col));
}

static void
set_span_member (JsonObject *object, const char *member, sqlite3_stmt *stmt, int from, int to)
{
  if (sqlite3_column_type (stmt, from) == SQLITE_NULL ||
      sqlite3_column_type (stmt, to) == SQLITE_NULL)
    json_object_set_null_member (object, member);
  else
    json_object_set_double_member (object, member,
        (sqlite3_column_int64 (stmt, to) - sqlite3_column_int64 (stmt, from)) / 1000.0);
}

static JsonNode *
json_column (sqlite3_stmt *stmt, int col)
{
  JsonNode *node = NULL;

  if (sqlite3_column_type (stmt, col) != SQLITE_NULL)
    node = json_from_string ((const char *) sqlite3_column_text (stmt, col), NULL);
  return node ? node : json_node_new (JSON_NODE_NULL);
}

/* One row of RECORD_COLUMNS as a RECORD (docs/protocol.md). */
static JsonObject *
record_from_row (sqlite3_stmt *stmt)
{
  JsonObject *record = json_object_new ();
  static const char *const text_members[] = {
    "id", "clinic", "doctor", "specialty", "urgency", "patient_ref", "status",
  };

  for (guint i = 0; i < G_N_ELEMENTS (text_members); i++)
    set_text_member (record, text_members[i], stmt, i);
  set_time_member (record, "requested_at", stmt, 7);
  set_time_member (record, "started_at", stmt, 8);
  set_time_member (record, "ended_at", stmt, 9);
  /* A request that never started waited until it ended. */
  if (sqlite3_column_type (stmt, 8) != SQLITE_NULL)
    set_span_member (record, "wait_s", stmt, 7, 8);
  else
    set_span_member (record, "wait_s", stmt, 7, 9);
  set_span_member (record, "duration_s", stmt, 8, 9);
  set_text_member (record, "end_reason", stmt, 10);
  set_text_member (record, "media_mode", stmt, 11);
  if (sqlite3_column_type (stmt, 12) == SQLITE_NULL)
    json_object_set_object_member (record, "quality", json_object_new ());
  else
    json_object_set_member (record, "quality", json_column (stmt, 12));
  set_text_member (record, "relay", stmt, 13);
  return record;
}

JsonArray *
lms_db_consultations_find (LmsDb *db, const LmsQuery *query, GError **error)
{
  g_autoptr (JsonArray) records = json_array_new ();
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  /* NULL parameters disable their condition, so one statement serves
   * every combination of filters. */
  stmt = lms_db_prepare (db,
      "SELECT " RECORD_COLUMNS " FROM consultations WHERE"
      " (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR clinic = ?2) AND"
      " (?3 IS NULL OR doctor = ?3) AND (?4 IS NULL OR requested_ms >= ?4) AND"
      " (?5 IS NULL OR requested_ms < ?5)"
      " ORDER BY requested_ms DESC, id LIMIT ?6", error);
  if (!stmt)
    return NULL;
  lms_db_bind_text (stmt, 1, query->status);
  lms_db_bind_text (stmt, 2, query->clinic);
  lms_db_bind_text (stmt, 3, query->doctor);
  lms_db_bind_time (stmt, 4, query->since_ms);
  lms_db_bind_time (stmt, 5, query->until_ms);
  sqlite3_bind_int (stmt, 6, query->limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    json_array_add_object_element (records, record_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      lms_db_set_error (db, error, "find consultations");
      return NULL;
    }
  return g_steal_pointer (&records);
}

static JsonArray *
events_of (LmsDb *db, const char *id, GError **error)
{
  g_autoptr (JsonArray) events = json_array_new ();
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = lms_db_prepare (db,
      "SELECT time_ms, kind, actor, detail FROM events WHERE consultation = ? ORDER BY seq",
      error);
  if (!stmt)
    return NULL;
  lms_db_bind_text (stmt, 1, id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *event = json_object_new ();
      gint64 ms = sqlite3_column_int64 (stmt, 0);
      g_autoptr (GDateTime) seconds = g_date_time_new_from_unix_utc (ms / 1000);
      g_autoptr (GDateTime) time = g_date_time_add (seconds, (ms % 1000) * 1000);
      g_autofree char *iso = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S.%fZ");

      json_object_set_string_member (event, "time", iso);
      set_text_member (event, "kind", stmt, 1);
      set_text_member (event, "actor", stmt, 2);
      json_object_set_member (event, "detail", json_column (stmt, 3));
      json_array_add_object_element (events, event);
    }
  if (rc != SQLITE_DONE)
    {
      lms_db_set_error (db, error, "read events");
      return NULL;
    }
  return g_steal_pointer (&events);
}

static JsonArray *
recordings_of (LmsDb *db, const char *id, GError **error)
{
  g_autoptr (JsonArray) recordings = json_array_new ();
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = lms_db_prepare (db,
      "SELECT path, bytes, duration_s FROM recordings WHERE consultation = ? ORDER BY rowid",
      error);
  if (!stmt)
    return NULL;
  lms_db_bind_text (stmt, 1, id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *recording = json_object_new ();

      set_text_member (recording, "path", stmt, 0);
      json_object_set_int_member (recording, "bytes", sqlite3_column_int64 (stmt, 1));
      json_object_set_double_member (recording, "duration_s", sqlite3_column_double (stmt, 2));
      json_array_add_object_element (recordings, recording);
    }
  if (rc != SQLITE_DONE)
    {
      lms_db_set_error (db, error, "read recordings");
      return NULL;
    }
  return g_steal_pointer (&recordings);
}

JsonObject *
lms_db_consultation_get (LmsDb *db, const char *id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonObject) record = NULL;
  JsonArray *events;
  int rc;

  stmt = lms_db_prepare (db, "SELECT " RECORD_COLUMNS " FROM consultations WHERE id = ?", error);
  if (!stmt)
    return NULL;
  lms_db_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        g_set_error (error, LM_ERROR, LM_ERROR_NOT_FOUND, "no consultation has the id '%s'", id);
      else
        lms_db_set_error (db, error, "read consultation");
      return NULL;
    }
  record = record_from_row (stmt);
  events = events_of (db, id, error);
  if (!events)
    return NULL;
  json_object_set_array_member (record, "events", events);
  events = recordings_of (db, id, error);
  if (!events)
    return NULL;
  json_object_set_array_member (record, "recordings", events);
  return g_steal_pointer (&record);
}

GHashTable *
lms_db_count_by_status (LmsDb *db, GError **error)
{
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = lms_db_prepare (db, "SELECT status, count(*) FROM consultations GROUP BY status", error);
  if (!stmt)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_insert (counts, g_strdup ((const char *) sqlite3_column_text (stmt, 0)),
                         GINT_TO_POINTER (sqlite3_column_int (stmt, 1)));
  if (rc != SQLITE_DONE)
    {
      lms_db_set_error (db, error, "count consultations");
      return NULL;
    }
  return g_steal_pointer (&counts);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-db-private.h"

#include "lm-error.h"

/* Events are append-only: the trigger refuses updates, so even a bug in the
 * server cannot rewrite history. Deletion is left to retention purges. */
static const char schema_sql[] =
  "CREATE TABLE IF NOT EXISTS meta ("
  "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS accounts ("
  "  name TEXT PRIMARY KEY,"
  "  role TEXT NOT NULL CHECK (role IN ('clinic','doctor','admin','relay')),"
  "  specialties TEXT NOT NULL DEFAULT '[]',"
  "  token_hash TEXT NOT NULL UNIQUE,"
  "  created_ms INTEGER NOT NULL,"
  "  revoked_ms INTEGER);"
  "CREATE TABLE IF NOT EXISTS consultations ("
  "  id TEXT PRIMARY KEY,"
  "  clinic TEXT NOT NULL, doctor TEXT,"
  "  specialty TEXT NOT NULL, urgency TEXT NOT NULL, patient_ref TEXT NOT NULL,"
  "  status TEXT NOT NULL,"
  "  requested_ms INTEGER NOT NULL, started_ms INTEGER, ended_ms INTEGER,"
  "  end_reason TEXT, media_mode TEXT, quality TEXT, relay TEXT);"
  "CREATE INDEX IF NOT EXISTS consultations_by_time ON consultations (requested_ms);"
  "CREATE INDEX IF NOT EXISTS consultations_by_status ON consultations (status);"
  "CREATE TABLE IF NOT EXISTS events ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  consultation TEXT,"
  "  time_ms INTEGER NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  actor TEXT,"
  "  detail TEXT);"
  "CREATE INDEX IF NOT EXISTS events_by_consultation ON events (consultation, seq);"
  "CREATE TABLE IF NOT EXISTS recordings ("
  "  consultation TEXT NOT NULL, path TEXT NOT NULL, bytes INTEGER NOT NULL,"
  "  duration_s REAL NOT NULL, time_ms INTEGER NOT NULL);"
  "CREATE INDEX IF NOT EXISTS recordings_by_consultation ON recordings (consultation);"
  "CREATE TRIGGER IF NOT EXISTS events_append_only BEFORE UPDATE ON events"
  "  BEGIN SELECT RAISE (ABORT, 'the event log is append-only'); END;"
  "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');";

void
lms_db_set_error (LmsDb *db, GError **error, const char *what)
{
  g_set_error (error, LM_ERROR, LM_ERROR_INTERNAL, "database %s: %s: %s",
               db->path, what, sqlite3_errmsg (db->handle));
}

sqlite3_stmt *
lms_db_prepare (LmsDb *db, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db->handle, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      lms_db_set_error (db, error, "prepare");
      return NULL;
    }
  return stmt;
}

void
lms_db_bind_text (sqlite3_stmt *stmt, int index, const char *value)
{
  if (value)
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

void
lms_db_bind_time (sqlite3_stmt *stmt, int index, gint64 value)
{
  if (value > 0)
    sqlite3_bind_int64 (stmt, index, value);
  else
    sqlite3_bind_null (stmt, index);
}

gboolean
lms_db_step_done (LmsDb *db, sqlite3_stmt *stmt, const char *what, GError **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      lms_db_set_error (db, error, what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
exec (LmsDb *db, const char *sql, GError **error)
{
  char *msg = NULL;

  if (sqlite3_exec (db->handle, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_INTERNAL, "database %s: %s",
                   db->path, msg ? msg : sqlite3_errmsg (db->handle));
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

LmsDb *
lms_db_open (const char *path, GError **error)
{
  g_autoptr (LmsDb) db = g_new0 (LmsDb, 1);

  db->path = g_strdup (path);
  if (sqlite3_open_v2 (path, &db->handle,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      lms_db_set_error (db, error, "open");
      return NULL;
    }
  sqlite3_busy_timeout (db->handle, 5000);
  if (!exec (db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", error) ||
      !exec (db, schema_sql, error))
    return NULL;

  db->insert_event = lms_db_prepare (db,
      "INSERT INTO events (consultation, time_ms, kind, actor, detail) "
      "VALUES (?, ?, ?, ?, ?)", error);
  if (!db->insert_event)
    return NULL;
  return g_steal_pointer (&db);
}

void
lms_db_free (LmsDb *db)
{
  if (!db)
    return;
  g_clear_pointer (&db->insert_event, sqlite3_finalize);
  g_clear_pointer (&db->handle, sqlite3_close);
  g_free (db->path);
  g_free (db);
}

gboolean
lms_db_begin (LmsDb *db, GError **error)
{
  return exec (db, "BEGIN IMMEDIATE", error);
}

gboolean
lms_db_commit (LmsDb *db, GError **error)
{
  return exec (db, "COMMIT", error);
}

void
lms_db_rollback (LmsDb *db)
{
  if (!sqlite3_get_autocommit (db->handle))
    sqlite3_exec (db->handle, "ROLLBACK", NULL, NULL, NULL);
}

gboolean
lms_db_check (LmsDb *db)
{
  return exec (db, "SELECT count(*) FROM meta", NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* The session log and accounts in SQLite, in-process: what the black-box
 * tests cannot reach (the trigger, retention, recovery after a crash). */
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "lm-error.h"
#include "lms-db.h"

typedef struct {
  char *dir;
  char *path;
  LmsDb *db;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("lastmile-db-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "test.db", NULL);
  f->db = lms_db_open (f->path, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);

  lms_db_free (f->db);
  g_unlink (f->path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* A second, raw connection to the same file, as an operator's sqlite3
 * shell would be. */
static sqlite3 *
raw_open (Fixture *f)
{
  sqlite3 *handle = NULL;

  g_assert_cmpint (sqlite3_open (f->path, &handle), ==, SQLITE_OK);
  return handle;
}

static char *
raw_text (sqlite3 *handle, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return text;
}

static void
save (Fixture *f, const char *id, const char *status, gint64 requested, gint64 ended)
{
  g_autoptr (GError) error = NULL;
  LmsConsultationRow row = {
    .id = id, .clinic = "clinic-a", .doctor = ended ? "dr-b" : NULL,
    .specialty = "general", .urgency = "routine", .patient_ref = "P-1",
    .status = status, .requested_ms = requested,
    .started_ms = ended ? requested + 1000 : 0, .ended_ms = ended,
  };

  g_assert_true (lms_db_consultation_save (f->db, &row, &error));
  g_assert_no_error (error);
  g_assert_true (lms_db_event_append (f->db, id, "consult.requested", "clinic-a", NULL, &error));
}

static void
test_wal_mode (Fixture *f, gconstpointer data)
{
  sqlite3 *raw = raw_open (f);
  g_autofree char *mode = raw_text (raw, "PRAGMA journal_mode");

  g_assert_cmpstr (mode, ==, "wal");
  sqlite3_close (raw);
}

static void
test_accounts (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *const specialties[] = { "paediatrics", NULL };
  g_autofree char *token = lms_db_account_add (f->db, "dr-a", LM_ROLE_DOCTOR, specialties, &error);
  g_autoptr (LmsAccount) account = NULL;
  g_autofree char *again = NULL;
  g_autofree char *file = NULL;
  gsize len;

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (token), >=, 3 + 22);   /* prefix + at least 128 bits */
  account = lms_db_account_authenticate (f->db, token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (account->name, ==, "dr-a");
  g_assert_cmpint (account->role, ==, LM_ROLE_DOCTOR);
  g_assert_cmpstrv (account->specialties, specialties);

  again = lms_db_account_add (f->db, "dr-a", LM_ROLE_CLINIC, NULL, &error);
  g_assert_null (again);
  g_assert_error (error, LM_ERROR, LM_ERROR_CONFLICT);
  g_clear_error (&error);

  g_assert_null (lms_db_account_add (f->db, "bad name", LM_ROLE_CLINIC, NULL, &error));
  g_assert_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  /* Only the hash is stored, in the database or its write-ahead log. */
  g_assert_true (g_file_get_contents (f->path, &file, &len, NULL));
  g_assert_null (g_strstr_len (file, len, token));

  g_assert_true (lms_db_account_revoke (f->db, "dr-a", &error));
  g_assert_null (lms_db_account_authenticate (f->db, token, &error));
  g_assert_error (error, LM_ERROR, LM_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  g_assert_false (lms_db_account_revoke (f->db, "dr-a", &error));
  g_assert_error (error, LM_ERROR, LM_ERROR_NOT_FOUND);
}

static void
test_events_append_only (Fixture *f, gconstpointer data)
{
  sqlite3 *raw;
  char *message = NULL;
  g_autofree char *kind = NULL;

  save (f, "c-1", "completed", 1000, 5000);
  raw = raw_open (f);
  g_assert_cmpint (sqlite3_exec (raw, "UPDATE events SET kind = 'forged'", NULL, NULL, &message),
                   !=, SQLITE_OK);
  g_assert_nonnull (strstr (message, "append-only"));
  sqlite3_free (message);
  kind = raw_text (raw, "SELECT kind FROM events WHERE consultation = 'c-1'");
  g_assert_cmpstr (kind, ==, "consult.requested");
  sqlite3_close (raw);
}

static void
test_close_open (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) waiting = NULL;
  g_autoptr (JsonObject) done = NULL;
  JsonArray *events;
  JsonObject *last;

  save (f, "c-waiting", "waiting", 1000, 0);
  save (f, "c-done", "completed", 1000, 9000);
  g_assert_cmpint (lms_db_close_open_consultations (f->db, "server_restart", 20000, &error), ==, 1);
  g_assert_no_error (error);

  waiting = lms_db_consultation_get (f->db, "c-waiting", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (waiting, "status"), ==, "disconnected");
  g_assert_cmpstr (json_object_get_string_member (waiting, "end_reason"), ==, "server_restart");
  events = json_object_get_array_member (waiting, "events");
  last = json_array_get_object_element (events, json_array_get_length (events) - 1);
  g_assert_cmpstr (json_object_get_string_member (last, "kind"), ==, "consult.ended");

  done = lms_db_consultation_get (f->db, "c-done", &error);
  g_assert_cmpstr (json_object_get_string_member (done, "status"), ==, "completed");
}

static void
test_purge (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) kept = NULL;
  g_autoptr (JsonObject) gone = NULL;
  sqlite3 *raw;
  g_autofree char *orphans = NULL;

  save (f, "c-old", "completed", 1000, 2000);
  save (f, "c-new", "completed", 50000, 60000);
  save (f, "c-open", "waiting", 1000, 0);
  g_assert_cmpint (lms_db_purge (f->db, 10000, &error), ==, 1);
  g_assert_no_error (error);

  gone = lms_db_consultation_get (f->db, "c-old", &error);
  g_assert_null (gone);
  g_assert_error (error, LM_ERROR, LM_ERROR_NOT_FOUND);
  g_clear_error (&error);
  kept = lms_db_consultation_get (f->db, "c-new", &error);
  g_assert_no_error (error);
  g_clear_pointer (&kept, json_object_unref);
  kept = lms_db_consultation_get (f->db, "c-open", &error);
  g_assert_no_error (error);

  raw = raw_open (f);
  orphans = raw_text (raw, "SELECT count(*) FROM events WHERE consultation = 'c-old'");
  g_assert_cmpstr (orphans, ==, "0");
  sqlite3_close (raw);
}

static void
test_find_filters (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  LmsQuery query = { .limit = 100 };
  g_autoptr (JsonArray) all = NULL;
  g_autoptr (JsonArray) completed = NULL;
  g_autoptr (JsonArray) window = NULL;
  g_autoptr (JsonArray) one = NULL;

  save (f, "c-1", "completed", 1000, 3000);
  save (f, "c-2", "cancelled", 2000, 4000);
  save (f, "c-3", "completed", 3000, 8000);

  all = lms_db_consultations_find (f->db, &query, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (all), ==, 3);
  /* Newest first. */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (all, 0), "id"),
                   ==, "c-3");

  query.status = "completed";
  completed = lms_db_consultations_find (f->db, &query, &error);
  g_assert_cmpuint (json_array_get_length (completed), ==, 2);

  query = (LmsQuery) { .since_ms = 1500, .until_ms = 2500, .limit = 100 };
  window = lms_db_consultations_find (f->db, &query, &error);
  g_assert_cmpuint (json_array_get_length (window), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (window, 0), "id"),
                   ==, "c-2");

  query = (LmsQuery) { .limit = 1 };
  one = lms_db_consultations_find (f->db, &query, &error);
  g_assert_cmpuint (json_array_get_length (one), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/db/wal-mode", test_wal_mode);
  ADD ("/db/accounts", test_accounts);
  ADD ("/db/events-append-only", test_events_append_only);
  ADD ("/db/close-open-consultations", test_close_open);
  ADD ("/db/purge", test_purge);
  ADD ("/db/find-filters", test_find_filters);
  return g_test_run ();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <sqlite3.h>

#include "lms-db.h"

struct _LmsDb {
  sqlite3 *handle;
  char *path;
  sqlite3_stmt *insert_event;
};

/* Sets an LM_ERROR_INTERNAL error naming `what` and SQLite's message. */
void lms_db_set_error (LmsDb *db, GError **error, const char *what);

/* Prepares `sql`; NULL with an error on failure. */
sqlite3_stmt *lms_db_prepare (LmsDb *db, const char *sql, GError **error);

/* Binds text, or NULL when `value` is NULL. */
void lms_db_bind_text (sqlite3_stmt *stmt, int index, const char *value);

/* Binds an integer, or NULL when `value` is 0 and `zero_is_null`. */
void lms_db_bind_time (sqlite3_stmt *stmt, int index, gint64 value);

/* Runs a statement that returns no rows, then finalizes it. */
gboolean lms_db_step_done (LmsDb *db, sqlite3_stmt *stmt, const char *what, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

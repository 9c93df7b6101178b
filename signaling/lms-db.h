/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <json-glib/json-glib.h>

#include "lm-role.h"

G_BEGIN_DECLS

/* The session log and the accounts, in one SQLite database in WAL mode with
 * synchronous=FULL: a call that returns TRUE has reached the disk. Used
 * from the main thread only. */
typedef struct _LmsDb LmsDb;

LmsDb *lms_db_open (const char *path, GError **error);
void lms_db_free (LmsDb *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmsDb, lms_db_free)

/* Groups several writes into one transaction (one fsync). */
gboolean lms_db_begin (LmsDb *db, GError **error);
gboolean lms_db_commit (LmsDb *db, GError **error);
void lms_db_rollback (LmsDb *db);

/* TRUE when a trivial query succeeds (for /healthz). */
gboolean lms_db_check (LmsDb *db);

/* Accounts (lms-db-accounts.c). */
typedef struct {
  char *name;
  LmRole role;
  char **specialties;   /* never NULL, may be empty */
  gint64 created_ms;
  gboolean revoked;
} LmsAccount;

void lms_account_free (LmsAccount *account);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmsAccount, lms_account_free)

/* TRUE if `name` is 1-64 bytes of [A-Za-z0-9_.-]. */
gboolean lms_account_name_is_valid (const char *name);

/* Returns the new account's token; only its hash is stored. */
char *lms_db_account_add (LmsDb              *db,
                          const char         *name,
                          LmRole              role,
                          const char * const *specialties,
                          GError            **error);
/* LM_ERROR_UNAUTHORIZED for an unknown or revoked token. */
LmsAccount *lms_db_account_authenticate (LmsDb *db, const char *token, GError **error);
GPtrArray *lms_db_account_list (LmsDb *db, GError **error);   /* of LmsAccount */
gboolean lms_db_account_revoke (LmsDb *db, const char *name, GError **error);

/* The log (lms-db-log.c). */
gboolean lms_db_event_append (LmsDb       *db,
                              const char  *consultation,
                              const char  *kind,
                              const char  *actor,
                              JsonObject  *detail,
                              GError     **error);

typedef struct {
  const char *id;
  const char *clinic;
  const char *doctor;
  const char *specialty;
  const char *urgency;
  const char *patient_ref;
  const char *status;
  const char *end_reason;
  const char *media_mode;
  const char *quality_json;
  const char *relay;
  gint64 requested_ms;
  gint64 started_ms;   /* 0: not yet */
  gint64 ended_ms;     /* 0: not yet */
} LmsConsultationRow;

/* Inserts or replaces the consultation's row. */
gboolean lms_db_consultation_save (LmsDb *db, const LmsConsultationRow *row, GError **error);

/* A recording the relay finished for the consultation. */
gboolean lms_db_recording_add (LmsDb *db, const char *consultation, const char *path,
                               gint64 bytes, double duration_s, GError **error);

/* The name of the relay that served the consultation (NULL in direct
 * mode); LM_ERROR_NOT_FOUND if there is no such consultation. */
gboolean lms_db_consultation_relay (LmsDb *db, const char *id, char **relay, GError **error);

/* Marks every waiting or active consultation ended with `reason`, logging
 * a consult.ended event for each; returns how many, or -1. */
gint64 lms_db_close_open_consultations (LmsDb *db, const char *reason, gint64 now_ms, GError **error);

/* Deletes consultations that ended before `before_ms` and their events,
 * and events without a consultation older than that. Returns the number
 * of consultations removed, or -1. */
gint64 lms_db_purge (LmsDb *db, gint64 before_ms, GError **error);

/* The waits (ms) of the last `n` accepted consultations, newest first. */
GArray *lms_db_recent_waits (LmsDb *db, guint n, GError **error);

/* Queries for the admin API (lms-db-query.c). */
typedef struct {
  const char *status;
  const char *clinic;
  const char *doctor;
  gint64 since_ms;     /* 0: no bound */
  gint64 until_ms;     /* 0: no bound */
  guint limit;
} LmsQuery;

/* Records (docs/protocol.md "A RECORD"), newest first. */
JsonArray *lms_db_consultations_find (LmsDb *db, const LmsQuery *query, GError **error);
/* One record with its "events"; LM_ERROR_NOT_FOUND if there is none. */
JsonObject *lms_db_consultation_get (LmsDb *db, const char *id, GError **error);
/* status -> count, for /metrics. */
GHashTable *lms_db_count_by_status (LmsDb *db, GError **error);

G_END_DECLS

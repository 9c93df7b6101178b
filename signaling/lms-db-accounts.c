/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-db-private.h"

#include "lm-error.h"
#include "lm-token.h"

void
lms_account_free (LmsAccount *account)
{
  if (!account)
    return;
  g_free (account->name);
  g_strfreev (account->specialties);
  g_free (account);
}

gboolean
lms_account_name_is_valid (const char *name)
{
  gsize len = name ? strlen (name) : 0;

  if (len == 0 || len > 64)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '.' && *p != '-')
      return FALSE;
  return TRUE;
}

static char *
specialties_to_json (const char * const *specialties)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; specialties && specialties[i]; i++)
    json_builder_add_string_value (builder, specialties[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static char **
specialties_from_json (const char *text)
{
  g_autoptr (JsonNode) root = json_from_string (text, NULL);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  if (root && JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (node) &&
              json_node_get_value_type (node) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (node));
        }
    }
  return g_strv_builder_end (builder);
}

static LmsAccount *
account_from_row (sqlite3_stmt *stmt)
{
  LmsAccount *account = g_new0 (LmsAccount, 1);

  account->name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  lm_role_from_string ((const char *) sqlite3_column_text (stmt, 1), &account->role);
  account->specialties = specialties_from_json ((const char *) sqlite3_column_text (stmt, 2));
  account->created_ms = sqlite3_column_int64 (stmt, 3);
  account->revoked = sqlite3_column_type (stmt, 4) != SQLITE_NULL;
  return account;
}

char *
lms_db_account_add (LmsDb              *db,
                    const char         *name,
                    LmRole              role,
                    const char * const *specialties,
                    GError            **error)
{
  g_autofree char *token = lm_token_generate ("lm_");
  g_autofree char *hash = lm_token_hash (token);
  g_autofree char *specialties_json = NULL;
  sqlite3_stmt *stmt;

  if (!lms_account_name_is_valid (name))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                   "account name '%s' is not valid: use 1 to 64 letters, digits, '_', '.' or '-'",
                   name ? name : "");
      return NULL;
    }
  for (guint i = 0; specialties && specialties[i]; i++)
    if (!lms_account_name_is_valid (specialties[i]))
      {
        g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                     "specialty '%s' is not valid: use 1 to 64 letters, digits, '_', '.' or '-'",
                     specialties[i]);
        return NULL;
      }

  specialties_json = specialties_to_json (specialties);
  stmt = lms_db_prepare (db,
      "INSERT INTO accounts (name, role, specialties, token_hash, created_ms) "
      "VALUES (?, ?, ?, ?, ?)", error);
  if (!stmt)
    return NULL;
  lms_db_bind_text (stmt, 1, name);
  lms_db_bind_text (stmt, 2, lm_role_to_string (role));
  lms_db_bind_text (stmt, 3, specialties_json);
  lms_db_bind_text (stmt, 4, hash);
  sqlite3_bind_int64 (stmt, 5, g_get_real_time () / 1000);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      if (sqlite3_extended_errcode (db->handle) == SQLITE_CONSTRAINT_PRIMARYKEY)
        g_set_error (error, LM_ERROR, LM_ERROR_CONFLICT,
                     "an account named '%s' exists already", name);
      else
        lms_db_set_error (db, error, "add account");
      sqlite3_finalize (stmt);
      return NULL;
    }
  sqlite3_finalize (stmt);
  return g_steal_pointer (&token);
}

LmsAccount *
lms_db_account_authenticate (LmsDb *db, const char *token, GError **error)
{
  g_autofree char *hash = lm_token_hash (token ? token : "");
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = lms_db_prepare (db,
      "SELECT name, role, specialties, created_ms, revoked_ms FROM accounts "
      "WHERE token_hash = ?", error);
  if (!stmt)
    return NULL;
  lms_db_bind_text (stmt, 1, hash);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 4) == SQLITE_NULL)
    return account_from_row (stmt);

  g_set_error (error, LM_ERROR, LM_ERROR_UNAUTHORIZED,
               "the token is not valid: unknown or revoked");
  return NULL;
}

GPtrArray *
lms_db_account_list (LmsDb *db, GError **error)
{
  g_autoptr (GPtrArray) accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) lms_account_free);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = lms_db_prepare (db,
      "SELECT name, role, specialties, created_ms, revoked_ms FROM accounts "
      "ORDER BY role, name", error);
  if (!stmt)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (accounts, account_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      lms_db_set_error (db, error, "list accounts");
      return NULL;
    }
  return g_steal_pointer (&accounts);
}

gboolean
lms_db_account_revoke (LmsDb *db, const char *name, GError **error)
{
  sqlite3_stmt *stmt;

  stmt = lms_db_prepare (db,
      "UPDATE accounts SET revoked_ms = ? WHERE name = ? AND revoked_ms IS NULL", error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / 1000);
  lms_db_bind_text (stmt, 2, name);
  if (!lms_db_step_done (db, stmt, "revoke account", error))
    return FALSE;
  if (sqlite3_changes (db->handle) == 0)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_NOT_FOUND,
                   "no active account is named '%s'", name);
      return FALSE;
    }
  return TRUE;
}

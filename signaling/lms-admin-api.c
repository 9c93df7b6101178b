/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-server.h"

#include "lm-error.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 1000

typedef struct {
  LmsServer *server;
  SoupServerMessage *msg;
  GHashTable *query;
  LmsAccount *admin;
} Request;

typedef gboolean (*Route) (Request *request, const char *arg, GError **error);

static LmsAccount *
authenticate_admin (LmsServer *server, SoupServerMessage *msg, GError **error)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  LmsAccount *account;

  if (!header || !g_str_has_prefix (header, "Bearer ") || !header[7])
    {
      g_set_error (error, LM_ERROR, LM_ERROR_UNAUTHORIZED,
                   "send an admin token as 'Authorization: Bearer TOKEN'");
      return NULL;
    }
  account = lms_db_account_authenticate (server->db, header + 7, error);
  if (account && account->role != LM_ROLE_ADMIN)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_FORBIDDEN,
                   "the account '%s' is a %s account; the admin API needs an admin account",
                   account->name, lm_role_to_string (account->role));
      g_clear_pointer (&account, lms_account_free);
    }
  return account;
}

/* "2026-11-28", "2026-11-28T10:00:00", with or without a zone (UTC when
 * none is given). */
static gboolean
parse_time (const char *name, const char *text, gint64 *ms, GError **error)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) time = NULL;
  g_autofree char *full = NULL;

  if (!text)
    return TRUE;
  full = strchr (text, 'T') ? g_strdup (text) : g_strconcat (text, "T00:00:00", NULL);
  time = g_date_time_new_from_iso8601 (full, utc);
  if (!time)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                   "'%s' must be an ISO 8601 date or date-time such as 2026-11-28 or "
                   "2026-11-28T14:30:00Z, not '%s'", name, text);
      return FALSE;
    }
  *ms = g_date_time_to_unix (time) * 1000;
  return TRUE;
}

static gboolean
parse_query (GHashTable *params, LmsQuery *query, GError **error)
{
  static const char *const known[] = { "status", "clinic", "doctor", "since", "until", "limit" };
  static const char *const statuses[] = {
    "waiting", "active", "completed", "cancelled", "disconnected", "failed", NULL
  };
  const char *get[G_N_ELEMENTS (known)] = { NULL };
  GHashTableIter iter;
  const char *key;

  if (params)
    {
      g_hash_table_iter_init (&iter, params);
      while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
        if (!g_strv_contains (known, key))
          {
            g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                         "unknown filter '%s': use status, clinic, doctor, since, until or limit", key);
            return FALSE;
          }
      for (guint i = 0; i < G_N_ELEMENTS (known); i++)
        get[i] = g_hash_table_lookup (params, known[i]);
    }
  *query = (LmsQuery) { .status = get[0], .clinic = get[1], .doctor = get[2], .limit = DEFAULT_LIMIT };
  if (query->status && !g_strv_contains (statuses, query->status))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                   "'status' must be one of waiting, active, completed, cancelled, disconnected, failed");
      return FALSE;
    }
  if (!parse_time ("since", get[3], &query->since_ms, error) ||
      !parse_time ("until", get[4], &query->until_ms, error))
    return FALSE;
  if (get[5])
    {
      guint64 limit;

      if (!g_ascii_string_to_unsigned (get[5], 10, 1, MAX_LIMIT, &limit, NULL))
        {
          g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                       "'limit' must be a whole number from 1 to %d", MAX_LIMIT);
          return FALSE;
        }
      query->limit = limit;
    }
  return TRUE;
}

static void
log_read (Request *request, const char *consultation)
{
  g_autoptr (JsonObject) detail = json_object_new ();
  GUri *uri = soup_server_message_get_uri (request->msg);
  const char *query = g_uri_get_query (uri);
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (detail, "path", g_uri_get_path (uri));
  if (query)
    json_object_set_string_member (detail, "query", query);
  if (!lms_db_event_append (request->server->db, consultation, "admin.read",
                            request->admin->name, detail, &error))
    g_warning ("could not log an admin read: %s", error->message);
}

static gboolean
route_list (Request *request, const char *arg, GError **error)
{
  LmsQuery query;
  g_autoptr (JsonArray) records = NULL;
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (JsonNode) node = NULL;

  if (!parse_query (request->query, &query, error) ||
      !(records = lms_db_consultations_find (request->server->db, &query, error)))
    return FALSE;
  log_read (request, NULL);
  json_object_set_array_member (body, "consultations", g_steal_pointer (&records));
  node = json_node_init_object (json_node_alloc (), body);
  lms_server_reply_json (request->msg, SOUP_STATUS_OK, node);
  return TRUE;
}

static gboolean
route_get (Request *request, const char *id, GError **error)
{
  g_autoptr (JsonObject) record = lms_db_consultation_get (request->server->db, id, error);
  g_autoptr (JsonNode) node = NULL;

  if (!record)
    return FALSE;
  log_read (request, id);
  node = json_node_init_object (json_node_alloc (), record);
  lms_server_reply_json (request->msg, SOUP_STATUS_OK, node);
  return TRUE;
}

/* RFC 4180: quote every field that holds a comma, quote, CR or LF. */
static void
append_csv_field (GString *out, const char *value)
{
  if (!value)
    return;
  if (!strpbrk (value, ",\"\r\n"))
    {
      g_string_append (out, value);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = value; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static const char *const csv_columns[] = {
  "id", "clinic", "doctor", "specialty", "urgency", "patient_ref", "status", "requested_at",
  "started_at", "ended_at", "wait_s", "duration_s", "end_reason", "media_mode", "quality",
};

static void
append_csv_record (GString *out, JsonObject *record)
{
  for (guint i = 0; i < G_N_ELEMENTS (csv_columns); i++)
    {
      JsonNode *node = json_object_get_member (record, csv_columns[i]);
      g_autofree char *text = NULL;

      if (i > 0)
        g_string_append_c (out, ',');
      if (!node || JSON_NODE_HOLDS_NULL (node))
        continue;
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        text = g_strdup (json_node_get_string (node));
      else if (JSON_NODE_HOLDS_VALUE (node))
        text = g_strdup_printf ("%.3f", json_node_get_double (node));
      else
        text = json_to_string (node, FALSE);
      append_csv_field (out, text);
    }
  g_string_append (out, "\r\n");
}

static gboolean
route_csv (Request *request, const char *arg, GError **error)
{
  LmsQuery query;
  g_autoptr (JsonArray) records = NULL;
  GString *out = g_string_new (NULL);
  gsize len;

  if (!parse_query (request->query, &query, error) ||
      !(records = lms_db_consultations_find (request->server->db, &query, error)))
    {
      g_string_free (out, TRUE);
      return FALSE;
    }
  log_read (request, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (csv_columns); i++)
    g_string_append_printf (out, "%s%s", i ? "," : "", csv_columns[i]);
  g_string_append (out, "\r\n");
  for (guint i = 0; i < json_array_get_length (records); i++)
    append_csv_record (out, json_array_get_object_element (records, i));
  len = out->len;
  soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (request->msg),
                                "Content-Disposition", "attachment; filename=\"consultations.csv\"");
  soup_server_message_set_response (request->msg, "text/csv; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_string_free (out, FALSE), len);
  return TRUE;
}


static gboolean
route_live (Request *request, const char *arg, GError **error)
{
  g_autoptr (JsonObject) live = lms_live_json (request->server->hub);
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), live);

  log_read (request, NULL);
  lms_server_reply_json (request->msg, SOUP_STATUS_OK, node);
  return TRUE;
}

/* Exact paths first, then "prefix/{arg}" routes. */
static const struct {
  const char *path;
  gboolean takes_arg;
  Route route;
} routes[] = {
  { "/api/v1/consultations", FALSE, route_list },
  { "/api/v1/consultations.csv", FALSE, route_csv },
  { "/api/v1/live", FALSE, route_live },
  { "/api/v1/consultations/", TRUE, route_get },
};

static gboolean
dispatch (Request *request, const char *path, GError **error)
{
  const char *method = soup_server_message_get_method (request->msg);

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const char *arg = NULL;

      if (routes[i].takes_arg && g_str_has_prefix (path, routes[i].path))
        {
          arg = path + strlen (routes[i].path);
          if (!*arg || strchr (arg, '/'))
            continue;
        }
      else if (routes[i].takes_arg || g_strcmp0 (path, routes[i].path) != 0)
        continue;
      if (g_strcmp0 (method, "GET") != 0)
        {
          g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST, "%s only answers GET", path);
          return FALSE;
        }
      request->admin = authenticate_admin (request->server, request->msg, error);
      if (!request->admin)
        return FALSE;
      return routes[i].route (request, arg, error);
    }
  g_set_error (error, LM_ERROR, LM_ERROR_NOT_FOUND, "there is no API at %s", path);
  return FALSE;
}

static void
on_api (SoupServer *soup, SoupServerMessage *msg, const char *path,
        GHashTable *query, gpointer user_data)
{
  Request request = { .server = user_data, .msg = msg, .query = query };
  g_autoptr (GError) error = NULL;

  if (!dispatch (&request, path, &error))
    lms_server_reply_error (msg, error);
  g_clear_pointer (&request.admin, lms_account_free);
}

void
lms_admin_api_register (LmsServer *server)
{
  soup_server_add_handler (server->soup, "/api", on_api, server, NULL);
}

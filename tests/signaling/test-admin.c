/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* The admin HTTP API: who may read, filters, CSV, the live view, the
 * logging of reads, /healthz and /metrics. */

#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

typedef struct {
  LmTestServer *server;
  char *clinic_a_token;
  char *clinic_b_token;
  char *clinic_c_token;
  char *dr_x_token;
  char *dr_y_token;
  char *admin_token;
  char *relay_token;
  /* From build_history(). */
  LmTestPeer *clinic_a;
  LmTestPeer *clinic_b;
  LmTestPeer *clinic_c;
  LmTestPeer *dr_x;
  LmTestPeer *dr_y;
  LmTestPeer *relay;
  char *completed;      /* clinic-a with dr-x */
  char *waiting;        /* clinic-b */
  char *cancelled;      /* clinic-a */
  char *active;         /* clinic-c with dr-y */
} Fixture;

#define PATIENT_WITH_QUOTES "KSM,\\\"7\\\""     /* JSON for KSM,"7" */

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = lm_test_server_new (FALSE);
  f->clinic_a_token = lm_test_server_add_account (f->server, "clinic", "clinic-a", NULL);
  f->clinic_b_token = lm_test_server_add_account (f->server, "clinic", "clinic-b", NULL);
  f->clinic_c_token = lm_test_server_add_account (f->server, "clinic", "clinic-c", NULL);
  f->dr_x_token = lm_test_server_add_account (f->server, "doctor", "dr-x", NULL);
  f->dr_y_token = lm_test_server_add_account (f->server, "doctor", "dr-y", "cardiology", NULL);
  f->admin_token = lm_test_server_add_account (f->server, "admin", "admin-1", NULL);
  f->relay_token = lm_test_server_add_account (f->server, "relay", "relay-1", NULL);
  lm_test_server_start (f->server, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->clinic_a, lm_test_peer_free);
  g_clear_pointer (&f->clinic_b, lm_test_peer_free);
  g_clear_pointer (&f->clinic_c, lm_test_peer_free);
  g_clear_pointer (&f->dr_x, lm_test_peer_free);
  g_clear_pointer (&f->dr_y, lm_test_peer_free);
  g_clear_pointer (&f->relay, lm_test_peer_free);
  lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
  g_free (f->clinic_a_token);
  g_free (f->clinic_b_token);
  g_free (f->clinic_c_token);
  g_free (f->dr_x_token);
  g_free (f->dr_y_token);
  g_free (f->admin_token);
  g_free (f->relay_token);
  g_free (f->completed);
  g_free (f->waiting);
  g_free (f->cancelled);
  g_free (f->active);
}

static LmTestPeer *
connect_as (Fixture *f, const char *label, const char *token)
{
  LmTestPeer *peer = lm_test_peer_new (f->server, label);
  g_autoptr(JsonObject) welcome = lm_test_peer_hello (peer, token);

  return peer;
}

/* Four consultations, requested in this order: completed, waiting,
 * cancelled, active. */
static void
build_history (Fixture *f)
{
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) queue2 = NULL;
  g_autoptr(JsonObject) start = NULL;
  g_autoptr(JsonObject) start2 = NULL;
  g_autoptr(JsonObject) ended = NULL;
  g_autoptr(JsonObject) ended2 = NULL;

  f->clinic_a = connect_as (f, "clinic-a", f->clinic_a_token);
  f->clinic_b = connect_as (f, "clinic-b", f->clinic_b_token);
  f->clinic_c = connect_as (f, "clinic-c", f->clinic_c_token);
  f->dr_x = connect_as (f, "dr-x", f->dr_x_token);
  f->dr_y = connect_as (f, "dr-y", f->dr_y_token);
  f->relay = connect_as (f, "relay", f->relay_token);

  queue = lm_test_peer_set_available (f->dr_x);
  f->completed = lm_test_peer_request (f->clinic_a, "general", "urgent", "A-1", NULL);
  start = lm_test_peer_accept (f->dr_x, f->clinic_a, f->completed, NULL);
  f->waiting = lm_test_peer_request (f->clinic_b, "general", "routine",
                                     PATIENT_WITH_QUOTES, NULL);
  lm_test_peer_send (f->clinic_a, "{'type':'consult.end','consultation':'%s','reason':'completed'}",
                     f->completed);
  ended = lm_test_peer_expect (f->dr_x, "consult.ended");
  f->cancelled = lm_test_peer_request (f->clinic_a, "paediatrics", "routine", "A-2", NULL);
  lm_test_peer_send (f->clinic_a, "{'type':'consult.cancel','consultation':'%s'}", f->cancelled);
  ended2 = lm_test_peer_expect_with (f->clinic_a, "consult.ended", "consultation", f->cancelled);
  f->active = lm_test_peer_request (f->clinic_c, "cardiology", "emergency", "C-1", NULL);
  queue2 = lm_test_peer_set_available (f->dr_y);
  start2 = lm_test_peer_accept (f->dr_y, f->clinic_c, f->active, NULL);
}

/* Access: every role but admin is refused, with the documented codes. */
typedef struct {
  const char *who;
  guint status;
  const char *code;
} Access;

static const Access access_cases[] = {
  { "none", 401, "unauthorized" },
  { "bad", 401, "unauthorized" },
  { "clinic", 403, "forbidden" },
  { "doctor", 403, "forbidden" },
  { "relay", 403, "forbidden" },
  { "admin", 200, NULL },
};

static const char *
token_of (Fixture *f, const char *who)
{
  if (g_str_equal (who, "none"))
    return NULL;
  if (g_str_equal (who, "bad"))
    return "lm_not-a-real-token";
  if (g_str_equal (who, "clinic"))
    return f->clinic_a_token;
  if (g_str_equal (who, "doctor"))
    return f->dr_x_token;
  if (g_str_equal (who, "relay"))
    return f->relay_token;
  return f->admin_token;
}

static void
test_access (Fixture *f, gconstpointer data)
{
  const char *which = data;
  g_autofree char *path = NULL;
  g_autofree char *consultation = NULL;
  g_autoptr(LmTestPeer) clinic = connect_as (f, "clinic-a", f->clinic_a_token);

  consultation = lm_test_peer_request (clinic, "general", "routine", "A-1", NULL);
  if (g_str_equal (which, "record"))
    path = g_strdup_printf ("/api/v1/consultations/%s", consultation);
  else if (g_str_equal (which, "list"))
    path = g_strdup ("/api/v1/consultations");
  else if (g_str_equal (which, "csv"))
    path = g_strdup ("/api/v1/consultations.csv");
  else
    path = g_strdup ("/api/v1/live");

  for (guint i = 0; i < G_N_ELEMENTS (access_cases); i++)
    {
      const Access *a = &access_cases[i];
      g_autoptr(GBytes) body = NULL;
      guint status = 0;
      gsize len;
      const char *text;

      body = lm_test_server_http_get (f->server, path, token_of (f, a->who), &status, NULL);
      text = g_bytes_get_data (body, &len);
      g_test_message ("GET %s as %s: %u %.*s", path, a->who, status, (int) MIN (len, 200), text);
      g_assert_cmpuint (status, ==, a->status);
      if (a->code != NULL)
        {
          g_autoptr(JsonObject) reply = lm_test_json_parse_object (text, len);
          JsonObject *error = lm_test_json_get_object (reply, "error");

          g_assert_cmpstr (lm_test_json_get_string (error, "code"), ==, a->code);
          g_assert_cmpuint (strlen (lm_test_json_get_string (error, "message")), >, 0);
        }
      else if (!g_str_equal (which, "csv"))
        {
          g_autoptr(JsonObject) reply = lm_test_json_parse_object (text, len);
        }
    }
}

/* GET the list with `query` and assert the ids, in order (NULL-terminated). */
static void
assert_list (Fixture *f, const char *query, ...)
{
  g_autofree char *path = g_strconcat ("/api/v1/consultations", query, NULL);
  g_autoptr(JsonObject) reply = lm_test_server_http_get_json (f->server, path,
                                                              f->admin_token, 200);
  JsonArray *list = lm_test_json_get_array (reply, "consultations");
  g_autoptr(GPtrArray) got = g_ptr_array_new ();
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  g_autofree char *got_text = NULL;
  g_autofree char *expected_text = NULL;
  const char *id;
  va_list ap;

  va_start (ap, query);
  while ((id = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (expected, (gpointer) id);
  va_end (ap);
  g_ptr_array_add (expected, NULL);
  for (guint i = 0; i < json_array_get_length (list); i++)
    g_ptr_array_add (got, (gpointer) lm_test_json_get_string (
                                       json_array_get_object_element (list, i), "id"));
  g_ptr_array_add (got, NULL);
  got_text = g_strjoinv (" ", (char **) got->pdata);
  expected_text = g_strjoinv (" ", (char **) expected->pdata);
  if (!g_str_equal (got_text, expected_text))
    g_error ("GET %s: got [%s], expected [%s]", path, got_text, expected_text);
}

static void
assert_bad_filter (Fixture *f, const char *query)
{
  g_autofree char *path = g_strconcat ("/api/v1/consultations", query, NULL);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) reply = NULL;
  guint status = 0;
  gsize len;
  const char *text;

  body = lm_test_server_http_get (f->server, path, f->admin_token, &status, NULL);
  text = g_bytes_get_data (body, &len);
  g_test_message ("GET %s: %u %.*s", path, status, (int) len, text);
  g_assert_cmpuint (status, ==, 400);
  reply = lm_test_json_parse_object (text, len);
  g_assert_cmpstr (lm_test_json_get_string (lm_test_json_get_object (reply, "error"), "code"),
                   ==, "bad_request");
}

static char *
utc_date (int days_from_today)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) then = g_date_time_add_days (now, days_from_today);

  return g_date_time_format (then, "%Y-%m-%d");
}

static void
test_filters (Fixture *f, gconstpointer data)
{
  g_autofree char *yesterday = utc_date (-1);
  g_autofree char *tomorrow = utc_date (1);
  g_autofree char *q = NULL;

  build_history (f);
  /* Newest first. */
  assert_list (f, "", f->active, f->cancelled, f->waiting, f->completed, NULL);
  assert_list (f, "?status=completed", f->completed, NULL);
  assert_list (f, "?status=waiting", f->waiting, NULL);
  assert_list (f, "?status=cancelled", f->cancelled, NULL);
  assert_list (f, "?status=active", f->active, NULL);
  assert_list (f, "?status=disconnected", NULL);
  assert_list (f, "?clinic=clinic-a", f->cancelled, f->completed, NULL);
  assert_list (f, "?clinic=clinic-b", f->waiting, NULL);
  assert_list (f, "?clinic=nobody", NULL);
  assert_list (f, "?doctor=dr-x", f->completed, NULL);
  assert_list (f, "?doctor=dr-y", f->active, NULL);
  assert_list (f, "?clinic=clinic-a&status=completed", f->completed, NULL);
  assert_list (f, "?limit=2", f->active, f->cancelled, NULL);
  assert_list (f, "?limit=1", f->active, NULL);
  assert_list (f, "?limit=1000", f->active, f->cancelled, f->waiting, f->completed, NULL);
  q = g_strdup_printf ("?since=%s", yesterday);
  assert_list (f, q, f->active, f->cancelled, f->waiting, f->completed, NULL);
  g_free (q);
  q = g_strdup_printf ("?since=%s", tomorrow);
  assert_list (f, q, NULL);
  g_free (q);
  q = g_strdup_printf ("?until=%s", tomorrow);
  assert_list (f, q, f->active, f->cancelled, f->waiting, f->completed, NULL);
  g_free (q);
  q = g_strdup_printf ("?until=%s", yesterday);
  assert_list (f, q, NULL);
  assert_list (f, "?since=2000-01-01T00:00:00Z", f->active, f->cancelled, f->waiting,
               f->completed, NULL);
  assert_list (f, "?since=2000-01-01T00:00:00", f->active, f->cancelled, f->waiting,
               f->completed, NULL);
  assert_list (f, "?until=2000-01-01T00:00:00%2B03:00", NULL);

  assert_bad_filter (f, "?status=bogus");
  assert_bad_filter (f, "?limit=0");
  assert_bad_filter (f, "?limit=1001");
  assert_bad_filter (f, "?limit=ten");
  assert_bad_filter (f, "?since=yesterday");
  assert_bad_filter (f, "?until=2026-13-45");
}

/* Filter values are data, never SQL. */
static void
test_filter_injection (Fixture *f, gconstpointer data)
{
  static const char *const queries[] = {
    "?clinic=%27%20OR%20%271%27%3D%271",
    "?clinic=clinic-a%27%20OR%201%3D1%20--",
    "?doctor=%22%20OR%201%3D1%20--",
    "?clinic=clinic-a%25",
    "?clinic=%25",
  };

  build_history (f);
  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *path = g_strconcat ("/api/v1/consultations", queries[i], NULL);
      g_autoptr(GBytes) body = NULL;
      g_autoptr(JsonObject) reply = NULL;
      guint status = 0;
      gsize len;
      const char *text;

      body = lm_test_server_http_get (f->server, path, f->admin_token, &status, NULL);
      text = g_bytes_get_data (body, &len);
      g_test_message ("GET %s: %u %.*s", path, status, (int) MIN (len, 300), text);
      reply = lm_test_json_parse_object (text, len);
      if (status == 200)
        g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (reply, "consultations")),
                          ==, 0);
      else
        g_assert_cmpuint (status, ==, 400);
    }
  assert_bad_filter (f, "?since=2000-01-01%27%20OR%201%3D1");
  assert_bad_filter (f, "?status=completed%27%20OR%201%3D1%20--");
  /* And the database is still whole. */
  assert_list (f, "", f->active, f->cancelled, f->waiting, f->completed, NULL);
}

static void
test_record (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) waiting = NULL;
  g_autoptr(JsonObject) active = NULL;
  g_autoptr(JsonObject) cancelled = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) missing = NULL;
  guint status = 0;
  gsize len;
  const char *text;

  build_history (f);
  path = g_strdup_printf ("/api/v1/consultations/%s", f->waiting);
  waiting = lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
  g_assert_cmpstr (lm_test_json_get_string (waiting, "status"), ==, "waiting");
  g_assert_cmpstr (lm_test_json_get_string (waiting, "patient_ref"), ==, "KSM,\"7\"");
  g_assert_true (lm_test_json_is_null (waiting, "doctor"));
  g_assert_true (lm_test_json_is_null (waiting, "started_at"));
  g_assert_true (lm_test_json_is_null (waiting, "ended_at"));
  g_assert_true (lm_test_json_is_null (waiting, "duration_s"));
  g_assert_nonnull (lm_test_json_get_array (waiting, "events"));

  g_free (path);
  path = g_strdup_printf ("/api/v1/consultations/%s", f->active);
  active = lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
  g_assert_cmpstr (lm_test_json_get_string (active, "status"), ==, "active");
  g_assert_cmpstr (lm_test_json_get_string (active, "doctor"), ==, "dr-y");
  g_assert_nonnull (lm_test_json_get_string (active, "started_at"));
  g_assert_true (lm_test_json_is_null (active, "ended_at"));

  g_free (path);
  path = g_strdup_printf ("/api/v1/consultations/%s", f->cancelled);
  cancelled = lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
  g_assert_cmpstr (lm_test_json_get_string (cancelled, "status"), ==, "cancelled");
  g_assert_cmpstr (lm_test_json_get_string (cancelled, "end_reason"), ==, "cancelled");

  /* An unknown id. */
  body = lm_test_server_http_get (f->server, "/api/v1/consultations/c-nothing",
                                  f->admin_token, &status, NULL);
  text = g_bytes_get_data (body, &len);
  g_assert_cmpuint (status, ==, 404);
  missing = lm_test_json_parse_object (text, len);
  g_assert_cmpstr (lm_test_json_get_string (lm_test_json_get_object (missing, "error"), "code"),
                   ==, "not_found");
}

/* RFC 4180: the next field of `*p`, advancing it; *end_of_row set at the
 * end of a record. */
static char *
csv_field (const char **p, gboolean *end_of_row)
{
  GString *field = g_string_new (NULL);
  const char *s = *p;

  if (*s == '"')
    {
      s++;
      for (;;)
        {
          if (*s == '\0')
            g_error ("unterminated quoted CSV field");
          if (*s == '"' && s[1] == '"')
            {
              g_string_append_c (field, '"');
              s += 2;
            }
          else if (*s == '"')
            {
              s++;
              break;
            }
          else
            g_string_append_c (field, *s++);
        }
    }
  else
    while (*s != '\0' && *s != ',' && *s != '\r' && *s != '\n')
      {
        g_assert_true (*s != '"');   /* quotes only in quoted fields */
        g_string_append_c (field, *s++);
      }
  *end_of_row = *s != ',';
  if (*s == ',')
    s++;
  else if (*s == '\r' && s[1] == '\n')
    s += 2;
  else if (*s == '\n')
    s++;
  else
    g_assert_true (*s == '\0');
  *p = s;
  return g_string_free (field, FALSE);
}

/* Rows of fields. */
static GPtrArray *
csv_parse (const char *text)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  const char *p = text;

  while (*p != '\0')
    {
      GPtrArray *row = g_ptr_array_new_with_free_func (g_free);
      gboolean end = FALSE;

      while (!end)
        g_ptr_array_add (row, csv_field (&p, &end));
      g_ptr_array_add (rows, row);
    }
  return rows;
}

static int
column (GPtrArray *header, const char *name)
{
  for (guint i = 0; i < header->len; i++)
    if (g_str_equal (g_ptr_array_index (header, i), name))
      return i;
  g_error ("CSV header has no column \"%s\"", name);
  return -1;
}

static void
test_csv (Fixture *f, gconstpointer data)
{
  static const char *const columns[] = {
    "id", "clinic", "doctor", "specialty", "urgency", "patient_ref", "status",
    "requested_at", "started_at", "ended_at", "wait_s", "duration_s", "end_reason",
  };
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *text = NULL;
  GPtrArray *header;
  guint status = 0;
  gboolean found = FALSE;

  build_history (f);
  body = lm_test_server_http_get (f->server, "/api/v1/consultations.csv", f->admin_token,
                                  &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_test_message ("CSV:\n%s", text);
  rows = csv_parse (text);
  g_assert_cmpuint (rows->len, ==, 5);
  header = g_ptr_array_index (rows, 0);
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    column (header, columns[i]);
  for (guint r = 1; r < rows->len; r++)
    {
      GPtrArray *row = g_ptr_array_index (rows, r);

      g_assert_cmpuint (row->len, ==, header->len);
      if (g_str_equal (g_ptr_array_index (row, column (header, "id")), f->waiting))
        {
          found = TRUE;
          g_assert_cmpstr (g_ptr_array_index (row, column (header, "patient_ref")), ==,
                           "KSM,\"7\"");
          g_assert_cmpstr (g_ptr_array_index (row, column (header, "status")), ==, "waiting");
          g_assert_cmpstr (g_ptr_array_index (row, column (header, "clinic")), ==, "clinic-b");
        }
    }
  g_assert_true (found);
  /* The quoting as it travels. */
  g_assert_nonnull (strstr (text, "\"KSM,\"\"7\"\"\""));

  /* The same filters as the JSON list. */
  g_clear_pointer (&body, g_bytes_unref);
  g_clear_pointer (&rows, g_ptr_array_unref);
  g_free (text);
  body = lm_test_server_http_get (f->server, "/api/v1/consultations.csv?status=active",
                                  f->admin_token, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  rows = csv_parse (text);
  g_assert_cmpuint (rows->len, ==, 2);
  header = g_ptr_array_index (rows, 0);
  {
    GPtrArray *row = g_ptr_array_index (rows, 1);

    g_assert_cmpstr (g_ptr_array_index (row, column (header, "id")), ==, f->active);
  }
}

static gboolean
has_admin_read (JsonObject *record, const char *needle)
{
  JsonArray *events = lm_test_json_get_array (record, "events");

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonNode *detail = json_object_get_member (event, "detail");
      g_autofree char *detail_text = detail ? json_to_string (detail, FALSE) : g_strdup ("");

      if (g_str_equal (lm_test_json_get_string (event, "kind"), "admin.read")
          && g_strcmp0 (lm_test_json_get_string (event, "actor"), "admin-1") == 0
          && strstr (detail_text, needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_reads_logged (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *text = NULL;

  build_history (f);
  path = g_strdup_printf ("/api/v1/consultations/%s", f->completed);
  first = lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
  second = lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
  text = lm_test_json_to_string (second);
  g_test_message ("record after a read: %s", text);
  /* Who read, and what path. */
  g_assert_true (has_admin_read (second, path));
}

static void
test_live (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) live = NULL;
  JsonObject *queue;
  JsonArray *active;
  JsonObject *online;
  JsonArray *doctors;
  JsonObject *entry;
  gboolean saw_x = FALSE, saw_y = FALSE;

  build_history (f);
  live = lm_test_server_http_get_json (f->server, "/api/v1/live", f->admin_token, 200);
  queue = lm_test_json_get_object (live, "queue");
  g_assert_cmpint (lm_test_json_get_int (queue, "length"), ==, 1);
  g_assert_cmpfloat (lm_test_json_get_number (queue, "oldest_wait_s"), >=, 0);
  g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (queue, "waiting")), ==, 1);
  g_assert_cmpstr (lm_test_json_get_string (json_array_get_object_element (
                                              lm_test_json_get_array (queue, "waiting"), 0),
                                            "consultation"), ==, f->waiting);

  active = lm_test_json_get_array (live, "active");
  g_assert_cmpuint (json_array_get_length (active), ==, 1);
  entry = json_array_get_object_element (active, 0);
  g_assert_cmpstr (lm_test_json_get_string (entry, "consultation"), ==, f->active);
  g_assert_cmpstr (lm_test_json_get_string (entry, "clinic"), ==, "clinic-c");
  g_assert_cmpstr (lm_test_json_get_string (entry, "doctor"), ==, "dr-y");
  g_assert_cmpstr (lm_test_json_get_string (entry, "specialty"), ==, "cardiology");
  g_assert_cmpstr (lm_test_json_get_string (entry, "urgency"), ==, "emergency");
  g_assert_cmpstr (lm_test_json_get_string (entry, "media_mode"), ==, "direct");
  g_assert_nonnull (lm_test_json_get_string (entry, "started_at"));
  g_assert_true (json_object_has_member (entry, "quality"));

  online = lm_test_json_get_object (live, "online");
  g_assert_true (lm_test_json_array_has_string (lm_test_json_get_array (online, "clinics"),
                                                "clinic-a"));
  g_assert_true (lm_test_json_array_has_string (lm_test_json_get_array (online, "clinics"),
                                                "clinic-b"));
  g_assert_true (lm_test_json_array_has_string (lm_test_json_get_array (online, "clinics"),
                                                "clinic-c"));
  g_assert_true (lm_test_json_array_has_string (lm_test_json_get_array (online, "relays"),
                                                "relay-1"));
  doctors = lm_test_json_get_array (online, "doctors");
  for (guint i = 0; i < json_array_get_length (doctors); i++)
    {
      JsonObject *doctor = json_array_get_object_element (doctors, i);
      const char *name = lm_test_json_get_string (doctor, "name");

      g_assert_nonnull (lm_test_json_get_string (doctor, "status"));
      saw_x |= g_str_equal (name, "dr-x");
      saw_y |= g_str_equal (name, "dr-y");
    }
  g_assert_true (saw_x && saw_y);
}

static void
test_healthz (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) health = NULL;
  g_autoptr(JsonObject) health2 = NULL;

  health = lm_test_server_http_get_json (f->server, "/healthz", NULL, 200);
  g_assert_cmpstr (lm_test_json_get_string (health, "status"), ==, "ok");
  /* A token is not needed, and a bad one does not matter. */
  health2 = lm_test_server_http_get_json (f->server, "/healthz", "lm_bogus", 200);
  g_assert_cmpstr (lm_test_json_get_string (health2, "status"), ==, "ok");
}

/* The value of the sample line that starts with `series` followed by a
 * space; fails when absent. */
static double
metric_value (const char *text, const char *series)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], series) && lines[i][strlen (series)] == ' ')
      return g_ascii_strtod (lines[i] + strlen (series) + 1, NULL);
  g_error ("no sample \"%s\" in /metrics:\n%s", series, text);
  return 0;
}

static void
test_metrics (Fixture *f, gconstpointer data)
{
  static const char *const names[] = {
    "lastmile_connections", "lastmile_peers{role=", "lastmile_queue_length",
    "lastmile_consultations{status=", "lastmile_wait_seconds_bucket{le=",
    "lastmile_wait_seconds_sum", "lastmile_wait_seconds_count",
    "lastmile_messages_total{result=",
    "# TYPE lastmile_wait_seconds histogram",
  };
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;
  guint status = 0;

  build_history (f);
  body = lm_test_server_http_get (f->server, "/metrics", NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_test_message ("metrics:\n%s", text);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strstr (text, names[i]) == NULL)
      g_error ("/metrics lacks %s", names[i]);
  g_assert_cmpfloat (metric_value (text, "lastmile_queue_length"), ==, 1);
  g_assert_cmpfloat (metric_value (text, "lastmile_connections"), >=, 6);
  g_assert_cmpfloat (metric_value (text, "lastmile_peers{role=\"clinic\"}"), ==, 3);
  g_assert_cmpfloat (metric_value (text, "lastmile_peers{role=\"doctor\"}"), ==, 2);
  g_assert_cmpfloat (metric_value (text, "lastmile_peers{role=\"relay\"}"), ==, 1);
  g_assert_cmpfloat (metric_value (text, "lastmile_wait_seconds_count"), >=, 2);
  g_assert_cmpfloat (metric_value (text, "lastmile_wait_seconds_bucket{le=\"+Inf\"}"), ==,
                     metric_value (text, "lastmile_wait_seconds_count"));
  g_assert_cmpfloat (metric_value (text, "lastmile_consultations{status=\"waiting\"}"), ==, 1);
  g_assert_cmpfloat (metric_value (text, "lastmile_consultations{status=\"active\"}"), ==, 1);
  g_assert_cmpfloat (metric_value (text, "lastmile_consultations{status=\"completed\"}"), ==, 1);
  g_assert_cmpfloat (metric_value (text, "lastmile_consultations{status=\"cancelled\"}"), ==, 1);
  g_assert_cmpfloat (metric_value (text, "lastmile_messages_total{result=\"ok\"}"), >, 0);
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  g_test_add ("/signaling/admin/access/list", Fixture, "list",
              fixture_setup, test_access, fixture_teardown);
  g_test_add ("/signaling/admin/access/record", Fixture, "record",
              fixture_setup, test_access, fixture_teardown);
  g_test_add ("/signaling/admin/access/csv", Fixture, "csv",
              fixture_setup, test_access, fixture_teardown);
  g_test_add ("/signaling/admin/access/live", Fixture, "live",
              fixture_setup, test_access, fixture_teardown);
  g_test_add ("/signaling/admin/filters", Fixture, NULL,
              fixture_setup, test_filters, fixture_teardown);
  g_test_add ("/signaling/admin/filter-injection", Fixture, NULL,
              fixture_setup, test_filter_injection, fixture_teardown);
  g_test_add ("/signaling/admin/record", Fixture, NULL,
              fixture_setup, test_record, fixture_teardown);
  g_test_add ("/signaling/admin/csv", Fixture, NULL,
              fixture_setup, test_csv, fixture_teardown);
  g_test_add ("/signaling/admin/reads-logged", Fixture, NULL,
              fixture_setup, test_reads_logged, fixture_teardown);
  g_test_add ("/signaling/admin/live", Fixture, NULL,
              fixture_setup, test_live, fixture_teardown);
  g_test_add ("/signaling/admin/healthz", Fixture, NULL,
              fixture_setup, test_healthz, fixture_teardown);
  g_test_add ("/signaling/admin/metrics", Fixture, NULL,
              fixture_setup, test_metrics, fixture_teardown);
  return g_test_run ();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* Clean stops on SIGTERM and SIGINT, and a session log that outlives the
 * process. */

#include <signal.h>
#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

typedef struct {
  LmTestServer *server;
  char *clinic_token;
  char *doctor_token;
  char *admin_token;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = lm_test_server_new (FALSE);
  f->clinic_token = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  f->doctor_token = lm_test_server_add_account (f->server, "doctor", "dr-1", NULL);
  f->admin_token = lm_test_server_add_account (f->server, "admin", "admin-1", NULL);
  lm_test_server_start (f->server, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (lm_test_server_is_running (f->server))
    lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
  g_free (f->clinic_token);
  g_free (f->doctor_token);
  g_free (f->admin_token);
}

static LmTestPeer *
connect_as (Fixture *f, const char *label, const char *token)
{
  LmTestPeer *peer = lm_test_peer_new (f->server, label);
  g_autoptr(JsonObject) welcome = lm_test_peer_hello (peer, token);

  return peer;
}

/* A consultation between clinic-1 and dr-1, ended when `end`. */
static char *
run_consultation (Fixture *f, gboolean end, LmTestPeer **clinic_out, LmTestPeer **doctor_out)
{
  LmTestPeer *clinic = connect_as (f, "clinic", f->clinic_token);
  LmTestPeer *doctor = connect_as (f, "doctor", f->doctor_token);
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) start = NULL;
  char *consultation;

  consultation = lm_test_peer_request (clinic, "general", "urgent", "P-1", NULL);
  queue = lm_test_peer_set_available (doctor);
  start = lm_test_peer_accept (doctor, clinic, consultation, NULL);
  if (end)
    {
      g_autoptr(JsonObject) ended = NULL;

      lm_test_peer_send (doctor, "{'type':'consult.end','consultation':'%s','reason':'completed'}",
                         consultation);
      ended = lm_test_peer_expect (clinic, "consult.ended");
    }
  *clinic_out = clinic;
  *doctor_out = doctor;
  return consultation;
}

static JsonObject *
get_record (Fixture *f, const char *consultation)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/consultations/%s", consultation);

  return lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
}

/* The event kinds of a record but the reads of it, space-separated. */
static char *
event_kinds (JsonObject *record)
{
  JsonArray *events = lm_test_json_get_array (record, "events");
  GString *kinds = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      const char *kind = lm_test_json_get_string (json_array_get_object_element (events, i),
                                                  "kind");

      if (!g_str_equal (kind, "admin.read"))
        g_string_append_printf (kinds, "%s ", kind);
    }
  return g_string_free (kinds, FALSE);
}

static void
test_log_survives (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) clinic = NULL;
  g_autoptr(LmTestPeer) doctor = NULL;
  g_autofree char *consultation = NULL;
  g_autoptr(JsonObject) before = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autoptr(JsonObject) list = NULL;
  g_autofree char *kinds_before = NULL;
  g_autofree char *kinds_after = NULL;
  static const char *const same[] = {
    "id", "clinic", "doctor", "specialty", "urgency", "patient_ref", "status",
    "requested_at", "started_at", "ended_at", "end_reason",
  };

  consultation = run_consultation (f, TRUE, &clinic, &doctor);
  before = get_record (f, consultation);
  g_clear_pointer (&clinic, lm_test_peer_free);
  g_clear_pointer (&doctor, lm_test_peer_free);

  lm_test_server_stop (f->server);        /* asserts exit code 0 */
  lm_test_server_start (f->server, NULL);

  after = get_record (f, consultation);
  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    g_assert_cmpstr (lm_test_json_get_string (after, same[i]), ==,
                     lm_test_json_get_string (before, same[i]));
  kinds_before = event_kinds (before);
  kinds_after = event_kinds (after);
  g_assert_cmpstr (kinds_after, ==, kinds_before);
  g_assert_nonnull (strstr (kinds_after, "consult.ended"));
  list = lm_test_server_http_get_json (f->server, "/api/v1/consultations", f->admin_token, 200);
  g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (list, "consultations")),
                    ==, 1);

  /* The accounts survive too. */
  clinic = connect_as (f, "clinic-after", f->clinic_token);
  lm_test_peer_sync (clinic);
}

static void
test_open_consultation (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) clinic = NULL;
  g_autoptr(LmTestPeer) doctor = NULL;
  g_autofree char *consultation = NULL;
  g_autoptr(JsonObject) after = NULL;
  const char *status;

  consultation = run_consultation (f, FALSE, &clinic, &doctor);
  lm_test_server_stop (f->server);
  lm_test_peer_wait_closed (clinic, NULL);
  lm_test_peer_wait_closed (doctor, NULL);
  /* Both members were told before the sockets closed. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonObject) ended = lm_test_peer_expect (i == 0 ? clinic : doctor,
                                                         "consult.ended");

      g_assert_cmpstr (lm_test_json_get_string (ended, "consultation"), ==, consultation);
      g_assert_cmpstr (lm_test_json_get_string (ended, "reason"), ==, "server_restart");
      g_assert_cmpstr (lm_test_json_get_string (ended, "by"), ==, "server");
    }
  lm_test_server_start (f->server, NULL);

  /* Open when the server stopped: ended, by the server, for that reason. */
  after = get_record (f, consultation);
  status = lm_test_json_get_string (after, "status");
  g_assert_cmpstr (status, !=, "active");
  g_assert_cmpstr (status, !=, "waiting");
  g_assert_cmpstr (lm_test_json_get_string (after, "end_reason"), ==, "server_restart");
  g_assert_nonnull (lm_test_json_get_string (after, "ended_at"));
}

static void
test_sigint (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) clinic = connect_as (f, "clinic", f->clinic_token);

  lm_test_server_stop_with_signal (f->server, SIGINT);   /* asserts exit code 0 */
  lm_test_peer_wait_closed (clinic, NULL);
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  g_test_add ("/signaling/restart/log-survives", Fixture, NULL,
              fixture_setup, test_log_survives, fixture_teardown);
  g_test_add ("/signaling/restart/open-consultation", Fixture, NULL,
              fixture_setup, test_open_consultation, fixture_teardown);
  g_test_add ("/signaling/restart/sigint", Fixture, NULL,
              fixture_setup, test_sigint, fixture_teardown);
  return g_test_run ();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* Dropped sockets: peer.away, resuming within the grace period (peer.back,
 * the state sent again), and the end after it. */

#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

typedef struct {
  LmTestServer *server;
  char *clinic_token;
  char *clinic2_token;
  char *doctor_token;
  char *admin_token;
  LmTestPeer *clinic;
  LmTestPeer *doctor;
  char *consultation;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = lm_test_server_new (FALSE);
  f->clinic_token = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  f->clinic2_token = lm_test_server_add_account (f->server, "clinic", "clinic-2", NULL);
  f->doctor_token = lm_test_server_add_account (f->server, "doctor", "dr-1", NULL);
  f->admin_token = lm_test_server_add_account (f->server, "admin", "admin-1", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->clinic, lm_test_peer_free);
  g_clear_pointer (&f->doctor, lm_test_peer_free);
  if (lm_test_server_is_running (f->server))
    lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
  g_free (f->clinic_token);
  g_free (f->clinic2_token);
  g_free (f->doctor_token);
  g_free (f->admin_token);
  g_free (f->consultation);
}

/* Connects both; with `start`, puts them in an active consultation. */
static void
connect_both (Fixture *f, gboolean start, gint64 grace_s)
{
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) welcome2 = NULL;

  f->clinic = lm_test_peer_new (f->server, "clinic");
  welcome = lm_test_peer_hello (f->clinic, f->clinic_token);
  g_assert_cmpint (lm_test_json_get_int (welcome, "grace_s"), ==, grace_s);
  f->doctor = lm_test_peer_new (f->server, "doctor");
  welcome2 = lm_test_peer_hello (f->doctor, f->doctor_token);
  if (start)
    {
      g_autoptr(JsonObject) queue = NULL;
      g_autoptr(JsonObject) started = NULL;

      f->consultation = lm_test_peer_request (f->clinic, "general", "urgent", "P-1", NULL);
      queue = lm_test_peer_set_available (f->doctor);
      started = lm_test_peer_accept (f->doctor, f->clinic, f->consultation, NULL);
    }
}

static JsonObject *
get_record (Fixture *f)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/consultations/%s", f->consultation);

  return lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
}

static gboolean
has_event (JsonObject *record, const char *kind)
{
  JsonArray *events = lm_test_json_get_array (record, "events");

  for (guint i = 0; i < json_array_get_length (events); i++)
    if (g_str_equal (lm_test_json_get_string (json_array_get_object_element (events, i),
                                              "kind"), kind))
      return TRUE;
  return FALSE;
}

static void
expect_away (LmTestPeer *other, const char *consultation, const char *peer_id,
             gint64 grace_s)
{
  g_autoptr(JsonObject) away = lm_test_peer_expect (other, "peer.away");

  g_assert_cmpstr (lm_test_json_get_string (away, "consultation"), ==, consultation);
  g_assert_cmpstr (lm_test_json_get_string (away, "peer"), ==, peer_id);
  g_assert_cmpint (lm_test_json_get_int (away, "grace_s"), ==, grace_s);
}

static void
send_sdp (LmTestPeer *from, const char *id, const char *consultation, const char *to)
{
  lm_test_peer_send (from, "{'type':'sdp','id':'%s','consultation':'%s','to':'%s',"
                     "'sdp':{'type':'offer','sdp':'v=0\\r\\n'}}", id, consultation, to);
}

/* The clinic (or, with `doctor_drops`, the doctor) loses its socket and
 * comes back on a new one within the grace period. */
static void
check_resume (Fixture *f, gboolean doctor_drops, gboolean clean_close)
{
  LmTestPeer **dropped = doctor_drops ? &f->doctor : &f->clinic;
  LmTestPeer *other;
  const char *token = doctor_drops ? f->doctor_token : f->clinic_token;
  g_autofree char *old_id = NULL;
  g_autofree char *resume = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) start = NULL;
  g_autoptr(JsonObject) back = NULL;
  g_autoptr(JsonObject) sdp = NULL;
  g_autoptr(JsonObject) sdp2 = NULL;
  g_autoptr(JsonObject) record = NULL;

  lm_test_server_start (f->server, NULL);
  connect_both (f, TRUE, 30);
  other = doctor_drops ? f->clinic : f->doctor;
  old_id = g_strdup (lm_test_peer_get_id (*dropped));
  resume = g_strdup (lm_test_peer_get_resume (*dropped));

  if (clean_close)
    lm_test_peer_close (*dropped);
  else
    lm_test_peer_drop (*dropped);
  g_clear_pointer (dropped, lm_test_peer_free);
  expect_away (other, f->consultation, old_id, 30);

  /* Meanwhile, messages to it are refused, naming it away. */
  send_sdp (other, "while-away", f->consultation, old_id);
  error = lm_test_peer_expect_error (other, "not_found");
  lm_test_json_assert_id_string (error, "while-away");
  g_assert_nonnull (strstr (lm_test_json_get_string (error, "message"), "away"));

  /* Back on a new socket: same peer, the consultation sent again. */
  *dropped = lm_test_peer_new (f->server, doctor_drops ? "doctor-again" : "clinic-again");
  welcome = lm_test_peer_hello_resume (*dropped, token, resume);
  g_assert_true (lm_test_json_get_bool (welcome, "resumed"));
  g_assert_cmpstr (lm_test_json_get_string (welcome, "peer"), ==, old_id);
  start = lm_test_peer_expect (*dropped, "consult.start");
  g_assert_cmpstr (lm_test_json_get_string (start, "consultation"), ==, f->consultation);
  g_assert_true (lm_test_json_get_bool (start, "resumed"));
  g_assert_true (lm_test_json_get_bool (lm_test_json_get_object (start, "media"), "offer")
                 == !doctor_drops);
  back = lm_test_peer_expect (other, "peer.back");
  g_assert_cmpstr (lm_test_json_get_string (back, "consultation"), ==, f->consultation);
  g_assert_cmpstr (lm_test_json_get_string (back, "peer"), ==, old_id);

  /* Forwarding works again, both ways. */
  send_sdp (other, "after", f->consultation, old_id);
  sdp = lm_test_peer_expect (*dropped, "sdp");
  g_assert_cmpstr (lm_test_json_get_string (sdp, "from"), ==, lm_test_peer_get_id (other));
  send_sdp (*dropped, "after2", f->consultation, lm_test_peer_get_id (other));
  sdp2 = lm_test_peer_expect (other, "sdp");
  g_assert_cmpstr (lm_test_json_get_string (sdp2, "from"), ==, old_id);
  lm_test_peer_sync (f->clinic);
  lm_test_peer_sync (f->doctor);
  lm_test_peer_assert_none (f->clinic, "error");
  lm_test_peer_assert_none (f->doctor, "error");
  lm_test_peer_assert_none (f->clinic, "consult.ended");
  lm_test_peer_assert_none (f->doctor, "consult.ended");

  record = get_record (f);
  g_assert_cmpstr (lm_test_json_get_string (record, "status"), ==, "active");
  g_assert_true (has_event (record, "peer.away"));
  g_assert_true (has_event (record, "peer.back"));
}

static void
test_clinic_drops (Fixture *f, gconstpointer data)
{
  check_resume (f, FALSE, FALSE);
}

static void
test_doctor_drops (Fixture *f, gconstpointer data)
{
  check_resume (f, TRUE, FALSE);
}

static void
test_clinic_closes (Fixture *f, gconstpointer data)
{
  check_resume (f, FALSE, TRUE);
}

static void
test_grace_expires (Fixture *f, gconstpointer data)
{
  g_autofree char *old_id = NULL;
  g_autofree char *resume = NULL;
  g_autoptr(JsonObject) ended = NULL;
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(JsonObject) welcome = NULL;

  lm_test_server_start (f->server, "--grace", "1", NULL);
  connect_both (f, TRUE, 1);
  old_id = g_strdup (lm_test_peer_get_id (f->clinic));
  resume = g_strdup (lm_test_peer_get_resume (f->clinic));
  lm_test_peer_drop (f->clinic);
  g_clear_pointer (&f->clinic, lm_test_peer_free);
  expect_away (f->doctor, f->consultation, old_id, 1);

  ended = lm_test_peer_expect (f->doctor, "consult.ended");
  g_assert_cmpstr (lm_test_json_get_string (ended, "consultation"), ==, f->consultation);
  g_assert_cmpstr (lm_test_json_get_string (ended, "reason"), ==, "disconnected");
  g_assert_cmpstr (lm_test_json_get_string (ended, "by"), ==, "server");

  record = get_record (f);
  g_assert_cmpstr (lm_test_json_get_string (record, "status"), ==, "disconnected");
  g_assert_cmpstr (lm_test_json_get_string (record, "end_reason"), ==, "disconnected");
  g_assert_nonnull (lm_test_json_get_string (record, "ended_at"));

  /* Too late: the old resume secret gives a new session, not an error. */
  f->clinic = lm_test_peer_new (f->server, "clinic-late");
  welcome = lm_test_peer_hello_resume (f->clinic, f->clinic_token, resume);
  g_assert_false (lm_test_json_get_bool (welcome, "resumed"));
  g_assert_cmpstr (lm_test_json_get_string (welcome, "peer"), !=, old_id);
  lm_test_peer_sync (f->clinic);
  lm_test_peer_assert_none (f->clinic, "consult.start");
  lm_test_peer_assert_none (f->clinic, "error");
}

static void
test_waiting_request (Fixture *f, gconstpointer data)
{
  g_autofree char *old_id = NULL;
  g_autofree char *resume = NULL;
  g_autofree char *consultation = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) position = NULL;
  g_autoptr(JsonObject) queue = NULL;
  JsonArray *waiting;

  lm_test_server_start (f->server, NULL);
  connect_both (f, FALSE, 30);
  consultation = lm_test_peer_request (f->clinic, "general", "routine", "P-1", NULL);
  old_id = g_strdup (lm_test_peer_get_id (f->clinic));
  resume = g_strdup (lm_test_peer_get_resume (f->clinic));
  lm_test_peer_drop (f->clinic);
  g_clear_pointer (&f->clinic, lm_test_peer_free);

  /* It keeps its place while away. */
  queue = lm_test_peer_set_available (f->doctor);
  waiting = lm_test_json_get_array (queue, "waiting");
  g_assert_cmpuint (json_array_get_length (waiting), ==, 1);
  g_assert_cmpstr (lm_test_json_get_string (json_array_get_object_element (waiting, 0),
                                            "consultation"), ==, consultation);

  f->clinic = lm_test_peer_new (f->server, "clinic-again");
  welcome = lm_test_peer_hello_resume (f->clinic, f->clinic_token, resume);
  g_assert_true (lm_test_json_get_bool (welcome, "resumed"));
  g_assert_cmpstr (lm_test_json_get_string (welcome, "peer"), ==, old_id);
  position = lm_test_peer_expect (f->clinic, "queue.position");
  g_assert_cmpstr (lm_test_json_get_string (position, "consultation"), ==, consultation);
  g_assert_cmpint (lm_test_json_get_int (position, "position"), ==, 1);
}

/* A waiting clinic that does not come back loses its place. */
static void
test_waiting_grace_expires (Fixture *f, gconstpointer data)
{
  g_autofree char *consultation = NULL;
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) record = NULL;

  lm_test_server_start (f->server, "--grace", "1", NULL);
  connect_both (f, FALSE, 1);
  consultation = lm_test_peer_request (f->clinic, "general", "routine", "P-1", NULL);
  f->consultation = g_strdup (consultation);
  queue = lm_test_peer_set_available (f->doctor);
  g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (queue, "waiting")), ==, 1);
  lm_test_peer_drop (f->clinic);
  g_clear_pointer (&f->clinic, lm_test_peer_free);

  /* The doctor is sent the queue without it once the grace period ends. */
  for (;;)
    {
      g_clear_pointer (&queue, json_object_unref);
      queue = lm_test_peer_expect (f->doctor, "queue");
      if (json_array_get_length (lm_test_json_get_array (queue, "waiting")) == 0)
        break;
    }
  record = get_record (f);
  {
    g_autofree char *text = lm_test_json_to_string (record);

    g_test_message ("record: %s", text);
  }
  g_assert_cmpstr (lm_test_json_get_string (record, "end_reason"), ==, "disconnected");
  /* The document does not say which status a request that never started
   * ends with: either word that means "over without a consultation". */
  if (!g_str_equal (lm_test_json_get_string (record, "status"), "cancelled"))
    g_assert_cmpstr (lm_test_json_get_string (record, "status"), ==, "disconnected");
}

/* An available doctor that resumes is sent the queue again. */
static void
test_available_doctor (Fixture *f, gconstpointer data)
{
  g_autofree char *old_id = NULL;
  g_autofree char *resume = NULL;
  g_autofree char *consultation = NULL;
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) again = NULL;
  JsonArray *waiting;

  lm_test_server_start (f->server, NULL);
  connect_both (f, FALSE, 30);
  queue = lm_test_peer_set_available (f->doctor);
  consultation = lm_test_peer_request (f->clinic, "general", "routine", "P-1", NULL);
  old_id = g_strdup (lm_test_peer_get_id (f->doctor));
  resume = g_strdup (lm_test_peer_get_resume (f->doctor));
  lm_test_peer_drop (f->doctor);
  g_clear_pointer (&f->doctor, lm_test_peer_free);

  f->doctor = lm_test_peer_new (f->server, "doctor-again");
  welcome = lm_test_peer_hello_resume (f->doctor, f->doctor_token, resume);
  g_assert_true (lm_test_json_get_bool (welcome, "resumed"));
  g_assert_cmpstr (lm_test_json_get_string (welcome, "peer"), ==, old_id);
  again = lm_test_peer_expect (f->doctor, "queue");
  waiting = lm_test_json_get_array (again, "waiting");
  g_assert_cmpuint (json_array_get_length (waiting), ==, 1);
  g_assert_cmpstr (lm_test_json_get_string (json_array_get_object_element (waiting, 0),
                                            "consultation"), ==, consultation);
}

static void
test_unknown_resume (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) stranger = NULL;
  g_autoptr(LmTestPeer) thief = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) welcome2 = NULL;

  lm_test_server_start (f->server, NULL);
  connect_both (f, TRUE, 30);

  /* An unknown secret: a new session, no error. */
  stranger = lm_test_peer_new (f->server, "stranger");
  welcome = lm_test_peer_hello_resume (stranger, f->clinic2_token, "r_not-a-real-secret");
  g_assert_false (lm_test_json_get_bool (welcome, "resumed"));
  lm_test_peer_sync (stranger);
  lm_test_peer_assert_none (stranger, "error");

  /* Another account's secret takes nothing over. */
  thief = lm_test_peer_new (f->server, "thief");
  welcome2 = lm_test_peer_hello_resume (thief, f->clinic2_token,
                                        lm_test_peer_get_resume (f->clinic));
  g_assert_false (lm_test_json_get_bool (welcome2, "resumed"));
  g_assert_cmpstr (lm_test_json_get_string (welcome2, "peer"), !=,
                   lm_test_peer_get_id (f->clinic));
  lm_test_peer_sync (thief);
  lm_test_peer_assert_none (thief, "consult.start");
  lm_test_peer_sync (f->clinic);
  lm_test_peer_sync (f->doctor);
  lm_test_peer_assert_none (f->doctor, "peer.away");
  lm_test_peer_assert_none (f->doctor, "peer.back");
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  g_test_add ("/signaling/resume/clinic-drops", Fixture, NULL,
              fixture_setup, test_clinic_drops, fixture_teardown);
  g_test_add ("/signaling/resume/doctor-drops", Fixture, NULL,
              fixture_setup, test_doctor_drops, fixture_teardown);
  g_test_add ("/signaling/resume/clinic-closes", Fixture, NULL,
              fixture_setup, test_clinic_closes, fixture_teardown);
  g_test_add ("/signaling/resume/grace-expires", Fixture, NULL,
              fixture_setup, test_grace_expires, fixture_teardown);
  g_test_add ("/signaling/resume/waiting-request", Fixture, NULL,
              fixture_setup, test_waiting_request, fixture_teardown);
  g_test_add ("/signaling/resume/waiting-grace-expires", Fixture, NULL,
              fixture_setup, test_waiting_grace_expires, fixture_teardown);
  g_test_add ("/signaling/resume/available-doctor", Fixture, NULL,
              fixture_setup, test_available_doctor, fixture_teardown);
  g_test_add ("/signaling/resume/unknown-secret", Fixture, NULL,
              fixture_setup, test_unknown_resume, fixture_teardown);
  return g_test_run ();
}

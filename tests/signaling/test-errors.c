/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* The error codes bad_request, unauthorized, forbidden, not_found and
 * conflict; after each one the connection (but for a bad token) and every
 * other user go on working. */

#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

typedef struct {
  LmTestServer *server;
  char *clinic_token;
  char *clinic2_token;
  char *doctor_token;
  char *doctor2_token;
  char *admin_token;
  char *relay_token;
  LmTestPeer *clinic;
  LmTestPeer *doctor;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) welcome2 = NULL;

  f->server = lm_test_server_new (FALSE);
  f->clinic_token = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  f->clinic2_token = lm_test_server_add_account (f->server, "clinic", "clinic-2", NULL);
  f->doctor_token = lm_test_server_add_account (f->server, "doctor", "dr-1", NULL);
  f->doctor2_token = lm_test_server_add_account (f->server, "doctor", "dr-2", NULL);
  f->admin_token = lm_test_server_add_account (f->server, "admin", "admin-1", NULL);
  f->relay_token = lm_test_server_add_account (f->server, "relay", "relay-1", NULL);
  lm_test_server_start (f->server, NULL);
  f->clinic = lm_test_peer_new (f->server, "clinic");
  welcome = lm_test_peer_hello (f->clinic, f->clinic_token);
  f->doctor = lm_test_peer_new (f->server, "doctor");
  welcome2 = lm_test_peer_hello (f->doctor, f->doctor_token);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->clinic, lm_test_peer_free);
  g_clear_pointer (&f->doctor, lm_test_peer_free);
  lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
  g_free (f->clinic_token);
  g_free (f->clinic2_token);
  g_free (f->doctor_token);
  g_free (f->doctor2_token);
  g_free (f->admin_token);
  g_free (f->relay_token);
}

/* The peer and everybody else still work after an error. */
static void
assert_still_usable (Fixture *f, LmTestPeer *peer)
{
  if (peer != NULL)
    {
      lm_test_peer_sync (peer);
      lm_test_peer_assert_none (peer, "error");
    }
  lm_test_peer_sync (f->clinic);
  lm_test_peer_sync (f->doctor);
  lm_test_peer_assert_none (f->clinic, "error");
  lm_test_peer_assert_none (f->doctor, "error");
}

static LmTestPeer *
connect_as (Fixture *f, const char *label, const char *token)
{
  LmTestPeer *peer = lm_test_peer_new (f->server, label);
  g_autoptr(JsonObject) welcome = lm_test_peer_hello (peer, token);

  return peer;
}

/* bad_request, as a table: what the clinic sends, the id the error must
 * echo (NULL: the id itself is unusable or absent), and a word its message
 * must name. */
typedef struct {
  const char *name;
  const char *text;
  gboolean binary;
  const char *id;
  const char *names;
} BadRequest;

#define LONG65 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG1025 LONG64 LONG64 LONG64 LONG64 LONG64 LONG64 LONG64 LONG64 \
                 LONG64 LONG64 LONG64 LONG64 LONG64 LONG64 LONG64 LONG64 "a"

static const BadRequest bad_requests[] = {
  { "invalid-json", "{\"type\": \"ping\", \"id\": \"j1\"", FALSE, NULL, NULL },
  { "not-json", "hello there", FALSE, NULL, NULL },
  { "empty", "", FALSE, NULL, NULL },
  { "array", "[{\"type\": \"ping\"}]", FALSE, NULL, NULL },
  { "string", "\"ping\"", FALSE, NULL, NULL },
  { "number", "42", FALSE, NULL, NULL },
  { "no-type", "{\"id\": \"t1\"}", FALSE, "t1", "type" },
  { "type-not-string", "{\"type\": 5, \"id\": \"t2\"}", FALSE, "t2", "type" },
  { "unknown-type", "{\"type\": \"consult.teleport\", \"id\": \"t3\"}", FALSE, "t3",
    "consult.teleport" },
  { "binary-frame", "{\"type\": \"ping\", \"id\": \"t4\"}", TRUE, NULL, NULL },
  { "id-too-long", "{\"type\": \"ping\", \"id\": \"" LONG65 "\"}", FALSE, NULL, "id" },
  { "id-object", "{\"type\": \"ping\", \"id\": {\"n\": 1}}", FALSE, NULL, "id" },
  { "id-float", "{\"type\": \"ping\", \"id\": 1.5}", FALSE, NULL, "id" },
  { "missing-specialty",
    "{\"type\": \"consult.request\", \"id\": \"r1\", \"urgency\": \"routine\","
    " \"patient_ref\": \"P-1\"}", FALSE, "r1", "specialty" },
  { "missing-urgency",
    "{\"type\": \"consult.request\", \"id\": \"r2\", \"specialty\": \"general\","
    " \"patient_ref\": \"P-1\"}", FALSE, "r2", "urgency" },
  { "missing-patient-ref",
    "{\"type\": \"consult.request\", \"id\": \"r3\", \"specialty\": \"general\","
    " \"urgency\": \"routine\"}", FALSE, "r3", "patient_ref" },
  { "specialty-wrong-type",
    "{\"type\": \"consult.request\", \"id\": 4, \"specialty\": 5,"
    " \"urgency\": \"routine\", \"patient_ref\": \"P-1\"}", FALSE, NULL, "specialty" },
  { "urgency-wrong-type",
    "{\"type\": \"consult.request\", \"id\": \"r5\", \"specialty\": \"general\","
    " \"urgency\": true, \"patient_ref\": \"P-1\"}", FALSE, "r5", "urgency" },
  { "urgency-unknown",
    "{\"type\": \"consult.request\", \"id\": \"r6\", \"specialty\": \"general\","
    " \"urgency\": \"whenever\", \"patient_ref\": \"P-1\"}", FALSE, "r6", "urgency" },
  { "specialty-empty",
    "{\"type\": \"consult.request\", \"id\": \"r7\", \"specialty\": \"\","
    " \"urgency\": \"routine\", \"patient_ref\": \"P-1\"}", FALSE, "r7", "specialty" },
  { "specialty-too-long",
    "{\"type\": \"consult.request\", \"id\": \"r8\", \"specialty\": \"" LONG65 "\","
    " \"urgency\": \"routine\", \"patient_ref\": \"P-1\"}", FALSE, "r8", "specialty" },
  { "patient-ref-too-long",
    "{\"type\": \"consult.request\", \"id\": \"r9\", \"specialty\": \"general\","
    " \"urgency\": \"routine\", \"patient_ref\": \"" LONG65 "\"}", FALSE, "r9",
    "patient_ref" },
  { "lone-surrogate",
    "{\"type\": \"consult.request\", \"id\": \"r10\", \"specialty\": \"general\","
    " \"urgency\": \"routine\", \"patient_ref\": \"\\ud800\"}", FALSE, NULL, NULL },
  { "cancel-no-consultation", "{\"type\": \"consult.cancel\", \"id\": \"k1\"}",
    FALSE, "k1", "consultation" },
  { "end-bad-reason",
    "{\"type\": \"consult.end\", \"id\": \"k2\", \"consultation\": \"c-x\","
    " \"reason\": \"no spaces allowed\"}", FALSE, "k2", "reason" },
  { "end-no-reason",
    "{\"type\": \"consult.end\", \"id\": \"k3\", \"consultation\": \"c-x\"}",
    FALSE, "k3", "reason" },
  { "ice-mline-out-of-range",
    "{\"type\": \"ice\", \"id\": \"k4\", \"consultation\": \"c-x\", \"to\": \"p-x\","
    " \"candidate\": {\"candidate\": \"\", \"sdpMLineIndex\": 256}}", FALSE, "k4",
    "sdpMLineIndex" },
  { "ice-candidate-not-object",
    "{\"type\": \"ice\", \"id\": \"k5\", \"consultation\": \"c-x\", \"to\": \"p-x\","
    " \"candidate\": \"candidate:1\"}", FALSE, "k5", "candidate" },
  { "sdp-bad-type",
    "{\"type\": \"sdp\", \"id\": \"k6\", \"consultation\": \"c-x\", \"to\": \"p-x\","
    " \"sdp\": {\"type\": \"counteroffer\", \"sdp\": \"v=0\"}}", FALSE, "k6", NULL },
  { "stats-loss-out-of-range",
    "{\"type\": \"stats\", \"id\": \"k7\", \"consultation\": \"c-x\", \"loss_pct\": 150}",
    FALSE, "k7", "loss_pct" },
  { "ice-candidate-too-long",
    "{\"type\": \"ice\", \"id\": \"k9\", \"consultation\": \"c-x\", \"to\": \"p-x\","
    " \"candidate\": {\"candidate\": \"" LONG1025 "\", \"sdpMLineIndex\": 0}}", FALSE, "k9",
    "candidate" },
  { "ice-mid-not-string",
    "{\"type\": \"ice\", \"id\": \"k10\", \"consultation\": \"c-x\", \"to\": \"p-x\","
    " \"candidate\": {\"candidate\": \"\", \"sdpMLineIndex\": 0, \"sdpMid\": 0}}", FALSE,
    "k10", "sdpMid" },
  { "end-reason-too-long",
    "{\"type\": \"consult.end\", \"id\": \"k11\", \"consultation\": \"c-x\","
    " \"reason\": \"" LONG65 "\"}", FALSE, "k11", "reason" },
  { "stats-bad-candidate-type",
    "{\"type\": \"stats\", \"id\": \"k12\", \"consultation\": \"c-x\","
    " \"local_candidate_type\": \"teleport\"}", FALSE, "k12", "local_candidate_type" },
  { "stats-negative-fps",
    "{\"type\": \"stats\", \"id\": \"k13\", \"consultation\": \"c-x\", \"fps\": -5}",
    FALSE, "k13", "fps" },
  { "stats-negative-rtt",
    "{\"type\": \"stats\", \"id\": \"k8\", \"consultation\": \"c-x\", \"rtt_ms\": -1}",
    FALSE, "k8", "rtt_ms" },
};

static void
test_bad_request (Fixture *f, gconstpointer data)
{
  const BadRequest *bad = data;
  g_autoptr(JsonObject) error = NULL;

  lm_test_peer_send_raw (f->clinic, bad->binary, bad->text, strlen (bad->text));
  error = lm_test_peer_expect_error (f->clinic, "bad_request");
  if (bad->id != NULL)
    lm_test_json_assert_id_string (error, bad->id);
  if (bad->names != NULL
      && strstr (lm_test_json_get_string (error, "message"), bad->names) == NULL)
    g_error ("the error message \"%s\" does not name \"%s\"",
             lm_test_json_get_string (error, "message"), bad->names);
  assert_still_usable (f, NULL);
}

static void
test_bad_token (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) intruder = lm_test_peer_new (f->server, "intruder");
  g_autoptr(JsonObject) error = NULL;
  g_autofree char *reason = NULL;

  lm_test_peer_send (intruder, "{'type':'hello','id':'h1','token':'lm_not-a-real-token'}");
  error = lm_test_peer_expect_error (intruder, "unauthorized");
  lm_test_json_assert_id_string (error, "h1");
  g_assert_cmpuint (lm_test_peer_wait_closed (intruder, &reason), ==, 1008);
  g_assert_cmpstr (reason, ==, "unauthorized");
  assert_still_usable (f, NULL);
}

static void
test_before_hello (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) early = lm_test_peer_new (f->server, "early");
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(JsonObject) error2 = NULL;
  g_autoptr(JsonObject) welcome = NULL;

  lm_test_peer_send (early, "{'type':'ping','id':'b1'}");
  error = lm_test_peer_expect_error (early, "unauthorized");
  lm_test_json_assert_id_string (error, "b1");
  lm_test_peer_send (early, "{'type':'consult.request','id':'b2','specialty':'general',"
                     "'urgency':'routine','patient_ref':'P-1'}");
  error2 = lm_test_peer_expect_error (early, "unauthorized");
  lm_test_json_assert_id_string (error2, "b2");
  g_assert_false (lm_test_peer_is_closed (early));

  /* Still open: a hello now works. */
  welcome = lm_test_peer_hello (early, f->clinic2_token);
  g_assert_cmpstr (lm_test_json_get_string (welcome, "role"), ==, "clinic");
  assert_still_usable (f, early);
}

typedef struct {
  const char *name;
  const char *role;
  const char *text;
} Forbidden;

static const Forbidden forbidden[] = {
  { "clinic-presence", "clinic", "{'type':'presence','id':'f1','status':'available'}" },
  { "clinic-accept", "clinic", "{'type':'consult.accept','id':'f1','consultation':'c-x'}" },
  { "doctor-request", "doctor", "{'type':'consult.request','id':'f1','specialty':'general',"
    "'urgency':'routine','patient_ref':'P-1'}" },
  { "doctor-cancel", "doctor", "{'type':'consult.cancel','id':'f1','consultation':'c-x'}" },
  { "admin-request", "admin", "{'type':'consult.request','id':'f1','specialty':'general',"
    "'urgency':'routine','patient_ref':'P-1'}" },
  { "admin-presence", "admin", "{'type':'presence','id':'f1','status':'available'}" },
  { "relay-request", "relay", "{'type':'consult.request','id':'f1','specialty':'general',"
    "'urgency':'routine','patient_ref':'P-1'}" },
  { "relay-accept", "relay", "{'type':'consult.accept','id':'f1','consultation':'c-x'}" },
};

static void
test_forbidden_role (Fixture *f, gconstpointer data)
{
  const Forbidden *forbid = data;
  g_autoptr(LmTestPeer) peer = NULL;
  g_autoptr(JsonObject) error = NULL;
  const char *token;

  if (g_str_equal (forbid->role, "clinic"))
    token = f->clinic2_token;
  else if (g_str_equal (forbid->role, "doctor"))
    token = f->doctor2_token;
  else if (g_str_equal (forbid->role, "admin"))
    token = f->admin_token;
  else
    token = f->relay_token;
  peer = connect_as (f, forbid->role, token);
  lm_test_peer_send_quoted (peer, forbid->text);
  error = lm_test_peer_expect_error (peer, "forbidden");
  lm_test_json_assert_id_string (error, "f1");
  assert_still_usable (f, peer);
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(JsonObject) ended = NULL;
  g_autofree char *consultation = NULL;

  queue = lm_test_peer_set_available (f->doctor);
  lm_test_peer_send (f->doctor, "{'type':'consult.accept','id':'n1','consultation':'c-nothing'}");
  error = lm_test_peer_expect_error (f->doctor, "not_found");
  lm_test_json_assert_id_string (error, "n1");
  g_clear_pointer (&error, json_object_unref);
  assert_still_usable (f, NULL);

  /* A cancelled request is no longer there to accept. */
  consultation = lm_test_peer_request (f->clinic, "general", "routine", "P-1", NULL);
  lm_test_peer_send (f->clinic, "{'type':'consult.cancel','consultation':'%s'}", consultation);
  ended = lm_test_peer_expect (f->clinic, "consult.ended");
  g_assert_cmpstr (lm_test_json_get_string (ended, "reason"), ==, "cancelled");
  lm_test_peer_send (f->doctor, "{'type':'consult.accept','id':'n2','consultation':'%s'}",
                     consultation);
  error = lm_test_peer_expect_error (f->doctor, "not_found");
  lm_test_json_assert_id_string (error, "n2");
  assert_still_usable (f, NULL);
}

static void
test_conflict_second_accept (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) doctor2 = connect_as (f, "doctor-2", f->doctor2_token);
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) queue2 = NULL;
  g_autoptr(JsonObject) start = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autofree char *consultation = NULL;

  consultation = lm_test_peer_request (f->clinic, "general", "emergency", "P-1", NULL);
  queue = lm_test_peer_set_available (f->doctor);
  queue2 = lm_test_peer_set_available (doctor2);
  start = lm_test_peer_accept (f->doctor, f->clinic, consultation, NULL);

  lm_test_peer_send (doctor2, "{'type':'consult.accept','id':'c2','consultation':'%s'}",
                     consultation);
  error = lm_test_peer_expect_error (doctor2, "conflict");
  lm_test_json_assert_id_string (error, "c2");
  lm_test_peer_sync (doctor2);
  lm_test_peer_assert_none (doctor2, "consult.start");
  assert_still_usable (f, doctor2);
}

static void
test_conflict_second_request (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) error = NULL;
  g_autofree char *consultation = NULL;

  consultation = lm_test_peer_request (f->clinic, "general", "routine", "P-1", NULL);
  lm_test_peer_send (f->clinic, "{'type':'consult.request','id':'again','specialty':'general',"
                     "'urgency':'routine','patient_ref':'P-2'}");
  error = lm_test_peer_expect_error (f->clinic, "conflict");
  lm_test_json_assert_id_string (error, "again");
  assert_still_usable (f, NULL);
}

static void
test_conflict_busy_doctor (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) clinic2 = connect_as (f, "clinic-2", f->clinic2_token);
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) start = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(JsonObject) error2 = NULL;
  g_autofree char *c1 = NULL;
  g_autofree char *c2 = NULL;

  c1 = lm_test_peer_request (f->clinic, "general", "routine", "P-1", NULL);
  c2 = lm_test_peer_request (clinic2, "general", "routine", "P-2", NULL);
  queue = lm_test_peer_set_available (f->doctor);
  start = lm_test_peer_accept (f->doctor, f->clinic, c1, NULL);

  lm_test_peer_send (f->doctor, "{'type':'consult.accept','id':'busy','consultation':'%s'}", c2);
  error = lm_test_peer_expect_error (f->doctor, "conflict");
  lm_test_json_assert_id_string (error, "busy");

  /* Cancelling the active consultation is a conflict too. */
  lm_test_peer_send (f->clinic, "{'type':'consult.cancel','id':'cx','consultation':'%s'}", c1);
  error2 = lm_test_peer_expect_error (f->clinic, "conflict");
  lm_test_json_assert_id_string (error2, "cx");
  assert_still_usable (f, clinic2);
}

/* A clinic cannot withdraw another clinic's request. */
static void
test_foreign_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) clinic2 = connect_as (f, "clinic-2", f->clinic2_token);
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(JsonObject) queue = NULL;
  g_autofree char *consultation = NULL;
  JsonArray *waiting;

  consultation = lm_test_peer_request (f->clinic, "general", "routine", "P-1", NULL);
  lm_test_peer_send (clinic2, "{'type':'consult.cancel','id':'steal','consultation':'%s'}",
                     consultation);
  error = lm_test_peer_expect_error (clinic2, "forbidden");
  lm_test_json_assert_id_string (error, "steal");
  lm_test_peer_sync (f->clinic);
  lm_test_peer_assert_none (f->clinic, "consult.ended");
  queue = lm_test_peer_set_available (f->doctor);
  waiting = lm_test_json_get_array (queue, "waiting");
  g_assert_cmpuint (json_array_get_length (waiting), ==, 1);
  assert_still_usable (f, clinic2);
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  for (guint i = 0; i < G_N_ELEMENTS (bad_requests); i++)
    {
      g_autofree char *path = g_strdup_printf ("/signaling/errors/bad_request/%s",
                                               bad_requests[i].name);
      g_test_add (path, Fixture, &bad_requests[i], fixture_setup, test_bad_request,
                  fixture_teardown);
    }
  g_test_add ("/signaling/errors/unauthorized/bad-token", Fixture, NULL,
              fixture_setup, test_bad_token, fixture_teardown);
  g_test_add ("/signaling/errors/unauthorized/before-hello", Fixture, NULL,
              fixture_setup, test_before_hello, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (forbidden); i++)
    {
      g_autofree char *path = g_strdup_printf ("/signaling/errors/forbidden/%s",
                                               forbidden[i].name);
      g_test_add (path, Fixture, &forbidden[i], fixture_setup, test_forbidden_role,
                  fixture_teardown);
    }
  g_test_add ("/signaling/errors/not_found/accept", Fixture, NULL,
              fixture_setup, test_not_found, fixture_teardown);
  g_test_add ("/signaling/errors/conflict/second-accept", Fixture, NULL,
              fixture_setup, test_conflict_second_accept, fixture_teardown);
  g_test_add ("/signaling/errors/conflict/second-request", Fixture, NULL,
              fixture_setup, test_conflict_second_request, fixture_teardown);
  g_test_add ("/signaling/errors/conflict/busy-doctor", Fixture, NULL,
              fixture_setup, test_conflict_busy_doctor, fixture_teardown);
  g_test_add ("/signaling/errors/forbidden/foreign-cancel", Fixture, NULL,
              fixture_setup, test_foreign_cancel, fixture_teardown);
  return g_test_run ();
}

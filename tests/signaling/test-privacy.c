/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* What the server must never write to its log: tokens and the TURN secret
 * at any level, SDP bodies and candidates above debug level. */

#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

#define TURN_SECRET "turn-secret-never-logged"
#define SDP_MARKER "o=- 4242 SDPBODYMARKER IN IP4"
#define CANDIDATE_MARKER "candidate:7 1 UDP 99 198.51.100.77 40077 typ host"

typedef struct {
  LmTestServer *server;
  char *clinic_token;
  char *doctor_token;
  char *admin_token;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  gboolean debug = GPOINTER_TO_INT (data);
  const char *env[] = { debug ? "G_MESSAGES_DEBUG=all" : "G_MESSAGES_DEBUG=", NULL };

  f->server = lm_test_server_new (FALSE);
  f->clinic_token = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  f->doctor_token = lm_test_server_add_account (f->server, "doctor", "dr-1", NULL);
  f->admin_token = lm_test_server_add_account (f->server, "admin", "admin-1", NULL);
  lm_test_server_capture_stderr (f->server, env);
  lm_test_server_start (f->server, "--turn-uri", "turn:127.0.0.1:3478",
                        "--turn-secret", TURN_SECRET, NULL);
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

static void
test_log (Fixture *f, gconstpointer data)
{
  gboolean debug = GPOINTER_TO_INT (data);
  g_autoptr(LmTestPeer) clinic = lm_test_peer_new (f->server, "clinic");
  g_autoptr(LmTestPeer) doctor = lm_test_peer_new (f->server, "doctor");
  g_autoptr(LmTestPeer) intruder = lm_test_peer_new (f->server, "intruder");
  g_autoptr(JsonObject) w1 = NULL;
  g_autoptr(JsonObject) w2 = NULL;
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) start = NULL;
  g_autoptr(JsonObject) sdp = NULL;
  g_autoptr(JsonObject) ice = NULL;
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) ended = NULL;
  g_autofree char *consultation = NULL;
  g_autofree char *log = NULL;
  g_autofree char *err = NULL;
  g_autofree char *wrong_token = g_strconcat (f->clinic_token, "x", NULL);

  w1 = lm_test_peer_hello (clinic, f->clinic_token);
  w2 = lm_test_peer_hello (doctor, f->doctor_token);
  consultation = lm_test_peer_request (clinic, "general", "urgent", "P-1", NULL);
  queue = lm_test_peer_set_available (doctor);
  start = lm_test_peer_accept (doctor, clinic, consultation, NULL);
  lm_test_peer_send (clinic, "{'type':'sdp','consultation':'%s','to':'%s',"
                     "'sdp':{'type':'offer','sdp':'v=0\\r\\n" SDP_MARKER " 0.0.0.0\\r\\n'}}",
                     consultation, lm_test_peer_get_id (doctor));
  sdp = lm_test_peer_expect (doctor, "sdp");
  lm_test_peer_send (clinic, "{'type':'ice','consultation':'%s','to':'%s',"
                     "'candidate':{'candidate':'" CANDIDATE_MARKER "','sdpMLineIndex':0}}",
                     consultation, lm_test_peer_get_id (doctor));
  ice = lm_test_peer_expect (doctor, "ice");
  /* A refused token is not logged either. */
  lm_test_peer_send (intruder, "{'type':'hello','token':'%s'}", wrong_token);
  refused = lm_test_peer_expect_error (intruder, "unauthorized");
  list = lm_test_server_http_get_json (f->server, "/api/v1/consultations", f->admin_token, 200);
  lm_test_peer_send (doctor, "{'type':'consult.end','consultation':'%s','reason':'completed'}",
                     consultation);
  ended = lm_test_peer_expect (clinic, "consult.ended");

  g_clear_pointer (&clinic, lm_test_peer_free);
  g_clear_pointer (&doctor, lm_test_peer_free);
  g_clear_pointer (&intruder, lm_test_peer_free);
  lm_test_server_stop (f->server);
  /* GLib writes debug and info messages to stdout, the rest to stderr. */
  err = lm_test_server_get_stderr (f->server);
  log = g_strconcat (err, "\n",
                     lm_test_server_get_stdout (f->server), NULL);

  /* The log says something, so its silence below means something. */
  g_assert_nonnull (strstr (log, consultation));
  g_assert_null (strstr (log, f->clinic_token));
  g_assert_null (strstr (log, f->doctor_token));
  g_assert_null (strstr (log, f->admin_token));
  g_assert_null (strstr (log, wrong_token));
  g_assert_null (strstr (log, TURN_SECRET));
  if (!debug)
    {
      g_assert_null (strstr (log, SDP_MARKER));
      g_assert_null (strstr (log, CANDIDATE_MARKER));
    }
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  g_test_add ("/signaling/privacy/log", Fixture, GINT_TO_POINTER (FALSE),
              fixture_setup, test_log, fixture_teardown);
  g_test_add ("/signaling/privacy/debug-log", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_log, fixture_teardown);
  return g_test_run ();
}

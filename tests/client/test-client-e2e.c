/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* lastmile-client end to end on loopback: the real lastmile-signaling
 * (LASTMILE_SIGNALING) and the real clients (LASTMILE_CLIENT) as
 * subprocesses, checked through their reports, exit codes and the admin
 * API's record of the consultation. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

#define CLIENT_TIMEOUT_MS 60000
#define DURATION_S "5"

typedef struct {
  LmTestServer *server;
  char *dir;
  char *clinic_token;
  char *doctor_token;
  char *admin_token;
} Fixture;

typedef struct {
  GSubprocess *process;
  gboolean finished;
  char *out;
  char *err;
  char *report_path;
} Client;

static void
fixture_start (Fixture *f, gboolean tls)
{
  g_autoptr (GError) error = NULL;

  f->server = lm_test_server_new (tls);
  f->dir = g_dir_make_tmp ("lmc-e2e-XXXXXX", &error);
  g_assert_no_error (error);
  f->clinic_token = lm_test_server_add_account (f->server, "clinic", "clinic-e2e", NULL);
  f->doctor_token = lm_test_server_add_account (f->server, "doctor", "dr-e2e", NULL);
  f->admin_token = lm_test_server_add_account (f->server, "admin", "admin-e2e", NULL);
  lm_test_server_start (f->server, NULL);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  fixture_start (f, FALSE);
}

static void
fixture_setup_tls (Fixture *f, gconstpointer data)
{
  fixture_start (f, TRUE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  lm_test_server_free (f->server);
  g_free (f->clinic_token);
  g_free (f->doctor_token);
  g_free (f->admin_token);
  g_free (f->dir);
}

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Client *client = user_data;
  g_autoptr (GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &client->out,
                                        &client->err, &error);
  g_assert_no_error (error);
  client->finished = TRUE;
}

/* Starts lastmile-client against `url` (NULL: the fixture's server)
 * with `token` and the NULL-terminated extra arguments. */
static Client *
client_start_url (Fixture *f, const char *url, const char *name, const char *token, va_list args)
{
  Client *client = g_new0 (Client, 1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  const char *binary = g_getenv ("LASTMILE_CLIENT");
  const char *arg;

  g_assert_nonnull (binary);
  client->report_path = g_strdup_printf ("%s/%s.json", f->dir, name);
  g_ptr_array_add (argv, g_strdup (binary));
  g_ptr_array_add (argv, g_strdup ("--server"));
  g_ptr_array_add (argv, url ? g_strdup (url) : lm_test_server_get_ws_url (f->server));
  g_ptr_array_add (argv, g_strdup ("--token"));
  g_ptr_array_add (argv, g_strdup (token));
  g_ptr_array_add (argv, g_strdup ("--report"));
  g_ptr_array_add (argv, g_strdup (client->report_path));
  g_ptr_array_add (argv, g_strdup ("--headless"));
  g_ptr_array_add (argv, g_strdup ("--video=test"));
  g_ptr_array_add (argv, g_strdup ("--audio=test"));
  while ((arg = va_arg (args, const char *)))
    g_ptr_array_add (argv, g_strdup (arg));
  g_ptr_array_add (argv, NULL);

  client->process = g_subprocess_newv ((const char * const *) argv->pdata,
                                       G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                       G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (client->process, NULL, NULL, on_communicated, client);
  return client;
}

static Client *
client_start (Fixture *f, const char *name, const char *token, ...) G_GNUC_NULL_TERMINATED;

static Client *
client_start (Fixture *f, const char *name, const char *token, ...)
{
  Client *client;
  va_list args;

  va_start (args, token);
  client = client_start_url (f, NULL, name, token, args);
  va_end (args);
  return client;
}

static Client *
client_start_unreachable (Fixture *f, const char *name, const char *token, ...) G_GNUC_NULL_TERMINATED;

/* Port 1 on loopback: nothing listens there. */
static Client *
client_start_unreachable (Fixture *f, const char *name, const char *token, ...)
{
  Client *client;
  va_list args;

  va_start (args, token);
  client = client_start_url (f, "ws://127.0.0.1:1/ws", name, token, args);
  va_end (args);
  return client;
}

static gboolean
client_finished (gpointer user_data)
{
  Client *client = user_data;

  return client->finished;
}

/* Waits for the exit; returns the exit code. */
static int
client_wait (Client *client, const char *name)
{
  if (!lm_test_wait_for (client_finished, client, CLIENT_TIMEOUT_MS))
    g_error ("%s did not exit in time", name);
  g_test_message ("%s stdout:\n%s", name, client->out);
  if (!g_subprocess_get_if_exited (client->process)) {
    g_test_message ("%s stderr:\n%s", name, client->err);
    g_error ("%s was killed by a signal", name);
  }
  if (g_subprocess_get_exit_status (client->process) != 0)
    g_test_message ("%s stderr:\n%s", name, client->err);
  return g_subprocess_get_exit_status (client->process);
}

static void
client_free (Client *client)
{
  if (client->report_path)
    g_unlink (client->report_path);
  g_free (client->report_path);
  g_free (client->out);
  g_free (client->err);
  g_clear_object (&client->process);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

static JsonObject *
client_report (Client *client)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (client->report_path, &text, NULL, &error);
  g_assert_no_error (error);
  return lm_test_json_parse_object (text, -1);
}

static const char *const report_keys[] = {
  "consultation", "role", "ice_connected_ms", "first_frame_ms", "video_frames_sent",
  "video_frames_received", "audio_buffers_sent", "audio_buffers_received", "bytes_sent",
  "bytes_received", "rtt_ms", "loss_pct", "local_candidate_type", "remote_candidate_type",
  "end_reason",
};

static void
assert_report_shape (JsonObject *report, const char *role)
{
  for (guint i = 0; i < G_N_ELEMENTS (report_keys); i++)
    g_assert_true (json_object_has_member (report, report_keys[i]));
  g_assert_cmpstr (lm_test_json_get_string (report, "role"), ==, role);
  g_assert_cmpstr (lm_test_json_get_string (report, "end_reason"), ==, "completed");
  g_assert_cmpstr (lm_test_json_get_string (report, "local_candidate_type"), ==, "host");
  g_assert_cmpstr (lm_test_json_get_string (report, "remote_candidate_type"), ==, "host");
  g_assert_cmpint (lm_test_json_get_int (report, "ice_connected_ms"), >, 0);
  g_assert_cmpint (lm_test_json_get_int (report, "first_frame_ms"), >=,
                   lm_test_json_get_int (report, "ice_connected_ms"));
  g_assert_cmpint (lm_test_json_get_int (report, "bytes_sent"), >, 0);
  g_assert_cmpint (lm_test_json_get_int (report, "bytes_received"), >, 0);
  g_assert_cmpfloat (lm_test_json_get_number (report, "loss_pct"), <, 5);
}

/* What one side sent, the other received: at least 90% of the video
 * frames, and audio flowing. */
static void
assert_flow (JsonObject *from, JsonObject *to, const char *what)
{
  gint64 frames_sent = lm_test_json_get_int (from, "video_frames_sent");
  gint64 frames_received = lm_test_json_get_int (to, "video_frames_received");
  gint64 audio_sent = lm_test_json_get_int (from, "audio_buffers_sent");
  gint64 audio_received = lm_test_json_get_int (to, "audio_buffers_received");

  g_test_message ("%s: %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " frames, %" G_GINT64_FORMAT
                  "/%" G_GINT64_FORMAT " audio buffers", what, frames_received, frames_sent,
                  audio_received, audio_sent);
  /* 5 s at 30 fps is 150 frames; leave room for a loaded machine. */
  g_assert_cmpint (frames_sent, >=, 100);
  g_assert_cmpint (frames_received * 10, >=, frames_sent * 9);
  /* 20 ms Opus packets: 250 in 5 s. */
  g_assert_cmpint (audio_sent, >=, 150);
  g_assert_cmpint (audio_received * 10, >=, audio_sent * 9);
}

static void
assert_quality (JsonObject *quality, const char *member)
{
  JsonObject *figures = lm_test_json_get_object (quality, member);

  g_assert_cmpint (lm_test_json_get_int (figures, "samples"), >=, 1);
  g_assert_cmpfloat (lm_test_json_get_number (figures, "fps"), >, 10);
  g_assert_cmpfloat (lm_test_json_get_number (figures, "bitrate_kbps"), >, 0);
  g_assert_cmpstr (lm_test_json_get_string (figures, "local_candidate_type"), ==, "host");
}

static void
test_consultation (Fixture *f, gconstpointer data)
{
  g_autoptr (Client) doctor = NULL;
  g_autoptr (Client) clinic = NULL;
  g_autoptr (JsonObject) doctor_report = NULL;
  g_autoptr (JsonObject) clinic_report = NULL;
  g_autoptr (JsonObject) record = NULL;
  g_autofree char *path = NULL;
  const char *id;

  doctor = client_start (f, "doctor", f->doctor_token, "--accept-first",
                         "--duration=" DURATION_S, NULL);
  clinic = client_start (f, "clinic", f->clinic_token, "--patient-ref=E2E-1",
                         "--specialty=general", "--urgency=urgent", "--duration=" DURATION_S, NULL);
  g_assert_cmpint (client_wait (clinic, "clinic"), ==, 0);
  g_assert_cmpint (client_wait (doctor, "doctor"), ==, 0);

  clinic_report = client_report (clinic);
  doctor_report = client_report (doctor);
  assert_report_shape (clinic_report, "clinic");
  assert_report_shape (doctor_report, "doctor");
  id = lm_test_json_get_string (clinic_report, "consultation");
  g_assert_cmpstr (lm_test_json_get_string (doctor_report, "consultation"), ==, id);
  g_test_message ("doctor: ICE connected %" G_GINT64_FORMAT " ms, first frame %" G_GINT64_FORMAT " ms",
                  lm_test_json_get_int (doctor_report, "ice_connected_ms"),
                  lm_test_json_get_int (doctor_report, "first_frame_ms"));
  assert_flow (clinic_report, doctor_report, "clinic to doctor");
  assert_flow (doctor_report, clinic_report, "doctor to clinic");
  g_assert_nonnull (strstr (clinic->out, id));

  path = g_strdup_printf ("/api/v1/consultations/%s", id);
  record = lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
  g_assert_cmpstr (lm_test_json_get_string (record, "status"), ==, "completed");
  g_assert_cmpstr (lm_test_json_get_string (record, "end_reason"), ==, "completed");
  g_assert_cmpstr (lm_test_json_get_string (record, "patient_ref"), ==, "E2E-1");
  assert_quality (lm_test_json_get_object (record, "quality"), "clinic-e2e");
  assert_quality (lm_test_json_get_object (record, "quality"), "dr-e2e");
}

/* ---- Failures with their exit codes ---- */

static void
test_unauthorized (Fixture *f, gconstpointer data)
{
  g_autoptr (Client) client = client_start (f, "bad-token", "lm_not_a_real_token",
                                            "--patient-ref=X", NULL);

  g_assert_cmpint (client_wait (client, "client"), ==, 4);
  g_assert_nonnull (strstr (client->err, "refused the token"));
}

static void
test_unreachable (Fixture *f, gconstpointer data)
{
  g_autoptr (Client) client = client_start_unreachable (f, "unreachable", f->clinic_token,
                                                       "--patient-ref=X", NULL);

  g_assert_cmpint (client_wait (client, "client"), ==, 3);
  g_assert_nonnull (strstr (client->err, "cannot reach"));
}

static void
test_bad_args (Fixture *f, gconstpointer data)
{
  g_autoptr (Client) client = client_start (f, "bad-args", f->clinic_token,
                                            "--resolution=huge", NULL);

  g_assert_cmpint (client_wait (client, "client"), ==, 2);
  g_assert_nonnull (strstr (client->err, "--resolution"));
}

static void
test_clinic_needs_patient_ref (Fixture *f, gconstpointer data)
{
  g_autoptr (Client) client = client_start (f, "no-ref", f->clinic_token, NULL);

  g_assert_cmpint (client_wait (client, "client"), ==, 2);
  g_assert_nonnull (strstr (client->err, "--patient-ref"));
}

static void
test_tls_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (Client) client = client_start (f, "tls", f->doctor_token, NULL);

  g_assert_cmpint (client_wait (client, "client"), ==, 5);
  g_assert_nonnull (strstr (client->err, "unknown certificate authority"));
}

static gboolean
doctor_online (gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (JsonObject) live = lm_test_server_http_get_json (f->server, "/api/v1/live",
                                                              f->admin_token, 200);
  JsonArray *doctors = lm_test_json_get_array (lm_test_json_get_object (live, "online"), "doctors");

  return json_array_get_length (doctors) == 1;
}

/* With the test CA the same doctor connects, goes available, and leaves
 * cleanly on SIGTERM. */
static void
test_tls_ca_file (Fixture *f, gconstpointer data)
{
  g_autofree char *ca = g_strdup_printf ("--ca-file=%s", lm_test_server_get_cert_path (f->server));
  g_autoptr (Client) client = client_start (f, "tls", f->doctor_token, ca, "--accept-first", NULL);

  g_assert_true (lm_test_wait_for (doctor_online, f, CLIENT_TIMEOUT_MS));
  g_subprocess_send_signal (client->process, SIGTERM);
  g_assert_cmpint (client_wait (client, "client"), ==, 0);
}

static gboolean
queue_has_one (gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (JsonObject) live = lm_test_server_http_get_json (f->server, "/api/v1/live",
                                                              f->admin_token, 200);

  return lm_test_json_get_int (lm_test_json_get_object (live, "queue"), "length") == 1;
}

/* A waiting clinic told to stop withdraws its request first. */
static void
test_sigterm_cancels (Fixture *f, gconstpointer data)
{
  g_autoptr (Client) clinic = client_start (f, "clinic", f->clinic_token, "--patient-ref=E2E-2", NULL);
  g_autoptr (JsonObject) report = NULL;
  g_autoptr (JsonObject) record = NULL;
  g_autofree char *path = NULL;

  g_assert_true (lm_test_wait_for (queue_has_one, f, CLIENT_TIMEOUT_MS));
  g_subprocess_send_signal (clinic->process, SIGTERM);
  g_assert_cmpint (client_wait (clinic, "clinic"), ==, 0);

  report = client_report (clinic);
  g_assert_cmpstr (lm_test_json_get_string (report, "end_reason"), ==, "cancelled");
  path = g_strdup_printf ("/api/v1/consultations/%s", lm_test_json_get_string (report, "consultation"));
  record = lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
  g_assert_cmpstr (lm_test_json_get_string (record, "status"), ==, "cancelled");
}

/* A doctor that answers with nonsense: the clinic ends the consultation
 * with a reason instead of aborting. */
typedef struct {
  const char *name;
  const char *message;   /* @ID@: consultation, @TO@: the clinic's peer id */
  const char *reason;
} Nonsense;

static const Nonsense nonsense[] = {
  { "sdp", "{\"type\":\"sdp\",\"consultation\":\"@ID@\",\"to\":\"@TO@\","
           "\"sdp\":{\"type\":\"answer\",\"sdp\":\"v=0\\r\\nnonsense\"}}", "bad_sdp" },
  { "candidate", "{\"type\":\"ice\",\"consultation\":\"@ID@\",\"to\":\"@TO@\","
                 "\"candidate\":{\"candidate\":\"candidate:x y z\",\"sdpMLineIndex\":0}}",
    "bad_candidate" },
};

static void
test_bad_peer (Fixture *f, gconstpointer data)
{
  const Nonsense *n = data;
  g_autoptr (LmTestPeer) doctor = lm_test_peer_new (f->server, "fake-doctor");
  g_autoptr (Client) clinic = NULL;
  g_autoptr (JsonObject) queue = NULL;
  g_autoptr (JsonObject) start = NULL;
  g_autoptr (JsonObject) ended = NULL;
  g_autoptr (JsonObject) report = NULL;
  JsonArray *waiting;
  const char *id, *clinic_peer = NULL;
  JsonArray *peers;
  GString *message;

  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) available = NULL;

  welcome = lm_test_peer_hello (doctor, f->doctor_token);
  available = lm_test_peer_set_available (doctor);
  clinic = client_start (f, "clinic", f->clinic_token, "--patient-ref=E2E-3", NULL);
  /* The client connects and asks once its DTLS certificate is made. */
  queue = lm_test_peer_wait_with (doctor, "queue", NULL, NULL, CLIENT_TIMEOUT_MS);
  g_assert_nonnull (queue);
  waiting = lm_test_json_get_array (queue, "waiting");
  g_assert_cmpuint (json_array_get_length (waiting), ==, 1);
  id = lm_test_json_get_string (json_array_get_object_element (waiting, 0), "consultation");
  lm_test_peer_send (doctor, "{\"type\":\"consult.accept\",\"consultation\":\"%s\"}", id);
  start = lm_test_peer_expect (doctor, "consult.start");
  peers = lm_test_json_get_array (start, "peers");
  for (guint i = 0; i < json_array_get_length (peers); i++) {
    JsonObject *member = json_array_get_object_element (peers, i);

    if (g_str_equal (lm_test_json_get_string (member, "role"), "clinic"))
      clinic_peer = lm_test_json_get_string (member, "peer");
  }
  g_assert_nonnull (clinic_peer);
  message = g_string_new (n->message);
  g_string_replace (message, "@ID@", id, 0);
  g_string_replace (message, "@TO@", clinic_peer, 0);
  lm_test_peer_send_quoted (doctor, message->str);
  g_string_free (message, TRUE);

  ended = lm_test_peer_wait_with (doctor, "consult.ended", "reason", n->reason, CLIENT_TIMEOUT_MS);
  g_assert_nonnull (ended);
  g_assert_cmpint (client_wait (clinic, "clinic"), ==, 1);
  report = client_report (clinic);
  g_assert_cmpstr (lm_test_json_get_string (report, "end_reason"), ==, n->reason);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/client/e2e/consultation", Fixture, NULL,
              fixture_setup, test_consultation, fixture_teardown);
  g_test_add ("/client/e2e/unauthorized", Fixture, NULL,
              fixture_setup, test_unauthorized, fixture_teardown);
  g_test_add ("/client/e2e/unreachable", Fixture, NULL,
              fixture_setup, test_unreachable, fixture_teardown);
  g_test_add ("/client/e2e/bad-args", Fixture, NULL,
              fixture_setup, test_bad_args, fixture_teardown);
  g_test_add ("/client/e2e/clinic-needs-patient-ref", Fixture, NULL,
              fixture_setup, test_clinic_needs_patient_ref, fixture_teardown);
  g_test_add ("/client/e2e/tls-refused", Fixture, NULL,
              fixture_setup_tls, test_tls_refused, fixture_teardown);
  g_test_add ("/client/e2e/tls-ca-file", Fixture, NULL,
              fixture_setup_tls, test_tls_ca_file, fixture_teardown);
  g_test_add ("/client/e2e/sigterm-cancels", Fixture, NULL,
              fixture_setup, test_sigterm_cancels, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (nonsense); i++) {
    g_autofree char *path = g_strdup_printf ("/client/e2e/bad-peer/%s", nonsense[i].name);

    g_test_add (path, Fixture, &nonsense[i], fixture_setup, test_bad_peer, fixture_teardown);
  }
  return g_test_run ();
}

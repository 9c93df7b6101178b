/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* lastmile-client end to end on loopback: the real lastmile-signaling
 * (LASTMILE_SIGNALING) and the real clients (LASTMILE_CLIENT) as
 * subprocesses, checked through their reports, exit codes and the admin
 * API's record of the consultation. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

#define CLIENT_TIMEOUT_MS 60000
#define DURATION_S "5"
/* The second doctor joins a second or two into the clinic's call. */
#define THREE_DURATION_S "8"
/* Three encoders and a relay on two cores: small pictures. */
#define RELAY_MEDIA "--resolution=320x240", "--fps=15", "--max-bitrate=300"

typedef struct {
  LmTestServer *server;
  char *dir;
  char *clinic_token;
  char *doctor_token;
  char *admin_token;
  char *doctor_b_token;       /* relay tests */
  GSubprocess *relay;
  GDataInputStream *relay_err;
  GCancellable *relay_cancellable;
  GString *relay_log;
  gboolean relay_registered;
  gboolean relay_exited;
} Fixture;

typedef struct {
  GSubprocess *process;
  gboolean finished;
  char *out;
  char *err;
  char *report_path;
} Client;

static void relay_stop (Fixture *f);
static void rm_rf (const char *path);

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
rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree char *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      rm_rf (child);
    else
      g_unlink (child);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (path);
}

/* ---- lastmile-relay (LASTMILE_RELAY) ---- */

static void relay_read_line (Fixture *f);

/* Should the test abort, the relay goes with it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* The relay's log (stderr), kept for the test log; it is ready once it
 * says it registered with the server. */
static void
on_relay_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                    &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (line == NULL) {
    f->relay_exited = TRUE;
    return;
  }
  g_string_append_printf (f->relay_log, "%s\n", line);
  if (strstr (line, "registered: up to"))
    f->relay_registered = TRUE;
  relay_read_line (f);
}

static void
relay_read_line (Fixture *f)
{
  g_data_input_stream_read_line_async (f->relay_err, G_PRIORITY_DEFAULT, f->relay_cancellable,
                                       on_relay_line, f);
}

static gboolean
relay_ready (gpointer user_data)
{
  Fixture *f = user_data;

  return f->relay_registered || f->relay_exited;
}

/* The server in relay mode, a relay, and a second doctor to invite. */
static void
fixture_setup_relay (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autofree char *url = NULL;
  g_autofree char *records = NULL;
  g_autofree char *relay_token = NULL;
  const char *binary = g_getenv ("LASTMILE_RELAY");

  g_assert_nonnull (binary);
  f->server = lm_test_server_new (FALSE);
  f->dir = g_dir_make_tmp ("lmc-e2e-XXXXXX", &error);
  g_assert_no_error (error);
  f->clinic_token = lm_test_server_add_account (f->server, "clinic", "clinic-e2e", NULL);
  f->doctor_token = lm_test_server_add_account (f->server, "doctor", "dr-e2e", NULL);
  f->doctor_b_token = lm_test_server_add_account (f->server, "doctor", "dr-b-e2e", NULL);
  f->admin_token = lm_test_server_add_account (f->server, "admin", "admin-e2e", NULL);
  relay_token = lm_test_server_add_account (f->server, "relay", "relay-e2e", NULL);
  lm_test_server_start (f->server, "--media-policy", "relay", NULL);

  url = lm_test_server_get_ws_url (f->server);
  records = g_build_filename (f->dir, "recordings", NULL);
  g_mkdir (records, 0700);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "GST_DEBUG", "lmr*:4", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  /* Per-leg figures every second, so that a 5 s call has some. */
  f->relay = g_subprocess_launcher_spawn (launcher, &error, binary, "--server", url,
                                          "--token", relay_token, "--record-dir", records,
                                          "--stats-interval=1", NULL);
  g_assert_no_error (error);
  f->relay_log = g_string_new (NULL);
  f->relay_cancellable = g_cancellable_new ();
  f->relay_err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (f->relay));
  relay_read_line (f);
  g_assert_true (lm_test_wait_for (relay_ready, f, CLIENT_TIMEOUT_MS));
  if (!f->relay_registered)
    g_error ("lastmile-relay did not register:\n%s", f->relay_log->str);
}

static void
on_relay_waited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  f->relay_exited = TRUE;
}

static gboolean
relay_exited (gpointer user_data)
{
  Fixture *f = user_data;

  return f->relay_exited;
}

static void
relay_stop (Fixture *f)
{
  if (f->relay == NULL)
    return;
  g_cancellable_cancel (f->relay_cancellable);
  f->relay_exited = FALSE;
  g_subprocess_wait_async (f->relay, NULL, on_relay_waited, f);
  g_subprocess_send_signal (f->relay, SIGTERM);
  if (!lm_test_wait_for (relay_exited, f, CLIENT_TIMEOUT_MS))
    g_error ("lastmile-relay did not stop");
  if (g_test_verbose ())
    g_test_message ("relay log:\n%s", f->relay_log->str);
  g_clear_object (&f->relay);
  g_clear_object (&f->relay_err);
  g_clear_object (&f->relay_cancellable);
  g_string_free (f->relay_log, TRUE);
}

static void
fixture_setup_tls (Fixture *f, gconstpointer data)
{
  fixture_start (f, TRUE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  relay_stop (f);
  lm_test_server_free (f->server);
  g_free (f->clinic_token);
  g_free (f->doctor_token);
  g_free (f->admin_token);
  g_free (f->doctor_b_token);
  rm_rf (f->dir);
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
  /* RTCP round trip: known within a few seconds of a call. */
  g_test_message ("%s: rtt %.2f ms", role, lm_test_json_get_number (report, "rtt_ms"));
  g_assert_cmpfloat (lm_test_json_get_number (report, "rtt_ms"), >, 0);
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
assert_quality_fps (JsonObject *quality, const char *member, double min_fps)
{
  JsonObject *figures = lm_test_json_get_object (quality, member);

  g_assert_cmpint (lm_test_json_get_int (figures, "samples"), >=, 1);
  g_assert_cmpfloat (lm_test_json_get_number (figures, "fps"), >, min_fps);
  g_assert_cmpfloat (lm_test_json_get_number (figures, "bitrate_kbps"), >, 0);
  g_assert_cmpstr (lm_test_json_get_string (figures, "local_candidate_type"), ==, "host");
}

static void
assert_quality (JsonObject *quality, const char *member)
{
  assert_quality_fps (quality, member, 10);
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

/* ---- Through lastmile-relay ---- */

static gboolean doctor_online (gpointer user_data);

/* The report's `peers` entry for the participant called `name`. */
static JsonObject *
report_peer (JsonObject *report, const char *name)
{
  JsonArray *peers = lm_test_json_get_array (report, "peers");

  for (guint i = 0; i < json_array_get_length (peers); i++) {
    JsonObject *peer = json_array_get_object_element (peers, i);

    if (g_strcmp0 (lm_test_json_get_string (peer, "name"), name) == 0)
      return peer;
  }
  g_error ("the report has no peers entry for %s", name);
  return NULL;
}

/* What `from` (named `name` in the other reports) sent reached `to`
 * through the relay: at least half of the video frames (a relay and three
 * clients share a loaded CI machine's cores) and `min_frames`, audio, and
 * never more than was sent. */
static void
assert_relayed (JsonObject *from, const char *name, JsonObject *to, const char *to_name,
                gint64 min_frames)
{
  JsonObject *peer = report_peer (to, name);
  gint64 frames = lm_test_json_get_int (peer, "video_frames_received");
  gint64 audio = lm_test_json_get_int (peer, "audio_buffers_received");

  g_test_message ("from %s to %s: %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " frames, %"
                  G_GINT64_FORMAT "/%" G_GINT64_FORMAT " audio buffers", name, to_name, frames,
                  lm_test_json_get_int (from, "video_frames_sent"), audio,
                  lm_test_json_get_int (from, "audio_buffers_sent"));
  g_assert_cmpint (frames, >=, min_frames);
  g_assert_cmpint (frames * 2, >=, lm_test_json_get_int (from, "video_frames_sent"));
  g_assert_cmpint (frames, <=, lm_test_json_get_int (from, "video_frames_sent"));
  g_assert_cmpint (audio, >, 0);
  g_assert_cmpint (audio, <=, lm_test_json_get_int (from, "audio_buffers_sent"));
}

static gboolean
has_event (JsonObject *record, const char *kind)
{
  JsonArray *events = lm_test_json_get_array (record, "events");

  for (guint i = 0; i < json_array_get_length (events); i++)
    if (g_strcmp0 (lm_test_json_get_string (json_array_get_object_element (events, i), "kind"),
                   kind) == 0)
      return TRUE;
  return FALSE;
}

static void
test_relay_consultation (Fixture *f, gconstpointer data)
{
  g_autoptr (Client) doctor = NULL;
  g_autoptr (Client) clinic = NULL;
  g_autoptr (JsonObject) doctor_report = NULL;
  g_autoptr (JsonObject) clinic_report = NULL;
  g_autoptr (JsonObject) record = NULL;
  g_autofree char *path = NULL;
  JsonObject *quality;
  const char *id;

  doctor = client_start (f, "doctor", f->doctor_token, "--accept-first", RELAY_MEDIA,
                         "--duration=" DURATION_S, NULL);
  clinic = client_start (f, "clinic", f->clinic_token, "--patient-ref=E2E-R1", RELAY_MEDIA,
                         "--consent-recording", "--duration=" DURATION_S, NULL);
  g_assert_cmpint (client_wait (clinic, "clinic"), ==, 0);
  g_assert_cmpint (client_wait (doctor, "doctor"), ==, 0);

  clinic_report = client_report (clinic);
  doctor_report = client_report (doctor);
  id = lm_test_json_get_string (clinic_report, "consultation");
  g_assert_cmpstr (lm_test_json_get_string (doctor_report, "consultation"), ==, id);
  g_assert_cmpstr (lm_test_json_get_string (clinic_report, "end_reason"), ==, "completed");
  g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (clinic_report, "peers")), ==, 1);
  g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (doctor_report, "peers")), ==, 1);
  assert_relayed (clinic_report, "clinic-e2e", doctor_report, "dr-e2e", 30);
  assert_relayed (doctor_report, "dr-e2e", clinic_report, "clinic-e2e", 30);
  g_assert_nonnull (strstr (clinic->out, "through a relay"));

  path = g_strdup_printf ("/api/v1/consultations/%s", id);
  record = lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
  g_assert_cmpstr (lm_test_json_get_string (record, "media_mode"), ==, "relay");
  g_assert_cmpstr (lm_test_json_get_string (record, "relay"), ==, "relay-e2e");
  g_assert_cmpstr (lm_test_json_get_string (record, "status"), ==, "completed");
  g_assert_true (has_event (record, "recording.consent"));
  quality = lm_test_json_get_object (record, "quality");
  /* 15 fps sent; a loaded machine decodes fewer. */
  assert_quality_fps (quality, "clinic-e2e", 3);
  assert_quality_fps (quality, "dr-e2e", 3);
  g_assert_cmpint (lm_test_json_get_int (lm_test_json_get_object (quality, "relay:clinic-e2e"),
                                         "samples"), >=, 1);
  g_assert_cmpint (lm_test_json_get_int (lm_test_json_get_object (quality, "relay:dr-e2e"),
                                         "samples"), >=, 1);
}

/* Three participants: the doctor invites a second doctor, who accepts
 * without asking; everyone receives both others until the clinic ends. */
static void
test_relay_three (Fixture *f, gconstpointer data)
{
  g_autoptr (Client) doctor = NULL;
  g_autoptr (Client) doctor_b = NULL;
  g_autoptr (Client) clinic = NULL;
  g_autoptr (JsonObject) doctor_report = NULL;
  g_autoptr (JsonObject) doctor_b_report = NULL;
  g_autoptr (JsonObject) clinic_report = NULL;
  g_autoptr (JsonObject) record = NULL;
  g_autofree char *path = NULL;

  doctor_b = client_start (f, "doctor-b", f->doctor_b_token, "--accept-invites", RELAY_MEDIA, NULL);
  g_assert_true (lm_test_wait_for (doctor_online, f, CLIENT_TIMEOUT_MS));
  doctor = client_start (f, "doctor", f->doctor_token, "--accept-first", "--invite=dr-b-e2e",
                         RELAY_MEDIA, NULL);
  clinic = client_start (f, "clinic", f->clinic_token, "--patient-ref=E2E-R3", RELAY_MEDIA,
                         "--duration=" THREE_DURATION_S, NULL);
  g_assert_cmpint (client_wait (clinic, "clinic"), ==, 0);
  g_assert_cmpint (client_wait (doctor, "doctor"), ==, 0);
  g_assert_cmpint (client_wait (doctor_b, "doctor-b"), ==, 0);

  clinic_report = client_report (clinic);
  doctor_report = client_report (doctor);
  doctor_b_report = client_report (doctor_b);
  g_assert_nonnull (strstr (doctor_b->out, "invites you"));
  g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (clinic_report, "peers")), ==, 2);
  g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (doctor_report, "peers")), ==, 2);
  g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (doctor_b_report, "peers")), ==, 2);
  assert_relayed (clinic_report, "clinic-e2e", doctor_report, "dr-e2e", 30);
  assert_relayed (clinic_report, "clinic-e2e", doctor_b_report, "dr-b-e2e", 20);
  assert_relayed (doctor_report, "dr-e2e", clinic_report, "clinic-e2e", 30);
  assert_relayed (doctor_report, "dr-e2e", doctor_b_report, "dr-b-e2e", 20);
  assert_relayed (doctor_b_report, "dr-b-e2e", clinic_report, "clinic-e2e", 20);
  assert_relayed (doctor_b_report, "dr-b-e2e", doctor_report, "dr-e2e", 20);

  path = g_strdup_printf ("/api/v1/consultations/%s",
                          lm_test_json_get_string (clinic_report, "consultation"));
  record = lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
  g_assert_true (has_event (record, "consult.invited"));
  g_assert_true (has_event (record, "consult.joined"));
  g_assert_cmpstr (lm_test_json_get_string (record, "status"), ==, "completed");
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
  /* With lastmile-relay built (meson's lmr_exe). */
  if (g_getenv ("LASTMILE_RELAY")) {
    g_test_add ("/client/e2e/relay/consultation", Fixture, NULL,
                fixture_setup_relay, test_relay_consultation, fixture_teardown);
    g_test_add ("/client/e2e/relay/three", Fixture, NULL,
                fixture_setup_relay, test_relay_three, fixture_teardown);
  }
  for (guint i = 0; i < G_N_ELEMENTS (nonsense); i++) {
    g_autofree char *path = g_strdup_printf ("/client/e2e/bad-peer/%s", nonsense[i].name);

    g_test_add (path, Fixture, &nonsense[i], fixture_setup, test_bad_peer, fixture_teardown);
  }
  return g_test_run ();
}

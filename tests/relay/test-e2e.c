/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* The real lastmile-signaling (--media-policy relay) and lastmile-relay
 * as subprocesses; the clinic and the doctor are this test: signaling
 * through the test harness, media from webrtcbin peers built like
 * lastmile-client's (lmr-test-peer.h). */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <signal.h>
#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"
#include "lmr-test-peer.h"

#define DEADLINE_MS 30000
#define N_MEMBERS 2

typedef struct {
  LmTestServer *server;
  char *clinic_token;
  char *doctor_token;
  char *relay_token;
  char *admin_token;
  char *record_dir;
  GSubprocess *relay;
  gboolean relay_exited;
  guint tick;                        /* wakes waits up for other threads' counters */
  LmTestPeer *signal[N_MEMBERS];     /* clinic, doctor */
  LmrTestPeer *media[N_MEMBERS];
  JsonArray *streams[N_MEMBERS];     /* of the relay's last offer */
  char *consultation;
  char *relay_peer;
} Fixture;

/* ---- The relay process ---- */

static gboolean
relay_registered (gpointer user_data)
{
  Fixture *f = user_data;
  g_autofree char *log = lm_test_server_get_stderr (f->server);

  return strstr (log, "(relay-1) registered") != NULL;
}

static void
start_relay (Fixture *f)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *url = lm_test_server_get_ws_url (f->server);
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "GST_DEBUG", "lmr*:3", TRUE);
  f->relay = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LASTMILE_RELAY"),
                                          "--server", url, "--token", f->relay_token,
                                          "--record-dir", f->record_dir, "--stats-interval", "1",
                                          NULL);
  g_assert_no_error (error);
  g_assert_true (lm_test_wait_for (relay_registered, f, DEADLINE_MS));
}

static void
on_relay_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  f->relay_exited = TRUE;
}

static gboolean
relay_exited (gpointer user_data)
{
  return ((Fixture *) user_data)->relay_exited;
}

static void
stop_relay (Fixture *f)
{
  g_subprocess_wait_async (f->relay, NULL, on_relay_exited, f);
  g_subprocess_send_signal (f->relay, SIGTERM);
  g_assert_true (lm_test_wait_for (relay_exited, f, DEADLINE_MS));
  g_assert_true (g_subprocess_get_if_exited (f->relay));
  g_assert_cmpint (g_subprocess_get_exit_status (f->relay), ==, 0);
}

/* ---- Members ---- */

static guint
index_of (Fixture *f, LmrTestPeer *peer)
{
  for (guint i = 0; i < N_MEMBERS; i++)
    if (f->media[i] == peer)
      return i;
  g_assert_not_reached ();
}

static void
send_json (LmTestPeer *peer, JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree char *text = json_to_string (node, FALSE);

  lm_test_peer_send_raw (peer, FALSE, text, strlen (text));
}

static JsonObject *
to_relay (Fixture *f, const char *type)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "type", type);
  json_object_set_string_member (message, "consultation", f->consultation);
  json_object_set_string_member (message, "to", f->relay_peer);
  return message;
}

static void
on_answer (LmrTestPeer *peer, const char *sdp, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (JsonObject) message = to_relay (f, "sdp");
  JsonObject *description = json_object_new ();

  json_object_set_string_member (description, "type", "answer");
  json_object_set_string_member (description, "sdp", sdp);
  json_object_set_object_member (message, "sdp", description);
  send_json (f->signal[index_of (f, peer)], message);
}

static void
on_candidate (LmrTestPeer *peer, guint mline, const char *candidate, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (JsonObject) message = to_relay (f, "ice");
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "candidate", candidate);
  json_object_set_int_member (object, "sdpMLineIndex", mline);
  json_object_set_object_member (message, "candidate", object);
  send_json (f->signal[index_of (f, peer)], message);
}

static const LmrTestPeerCallbacks callbacks = { on_answer, on_candidate };

/* Hands what the relay sent each member to its media. */
static void
pump (Fixture *f)
{
  for (guint i = 0; i < N_MEMBERS; i++) {
    GList *sdps = lm_test_peer_take_all (f->signal[i], "sdp");
    GList *ices = lm_test_peer_take_all (f->signal[i], "ice");

    for (GList *l = sdps; l; l = l->next) {
      JsonObject *sdp = lm_test_json_get_object (l->data, "sdp");

      g_assert_cmpstr (lm_test_json_get_string (l->data, "from"), ==, f->relay_peer);
      g_assert_cmpstr (lm_test_json_get_string (sdp, "type"), ==, "offer");
      g_clear_pointer (&f->streams[i], json_array_unref);
      f->streams[i] = json_array_ref (lm_test_json_get_array (l->data, "streams"));
      lmr_test_peer_set_offer (f->media[i], lm_test_json_get_string (sdp, "sdp"));
    }
    for (GList *l = ices; l; l = l->next) {
      JsonObject *candidate = lm_test_json_get_object (l->data, "candidate");

      lmr_test_peer_add_candidate (f->media[i], lm_test_json_get_int (candidate, "sdpMLineIndex"),
                                   lm_test_json_get_string (candidate, "candidate"));
    }
    g_list_free_full (sdps, (GDestroyNotify) json_object_unref);
    g_list_free_full (ices, (GDestroyNotify) json_object_unref);
  }
}

/* Video frames `to` decoded of `from`'s stream, on the section the
 * relay's streams name for `from`, and `from`'s by its width. */
static guint64
video_frames (Fixture *f, guint to, guint from)
{
  const char *from_peer = lm_test_peer_get_id (f->signal[from]);

  for (guint i = 0; f->streams[to] && i < json_array_get_length (f->streams[to]); i++) {
    JsonObject *stream = json_array_get_object_element (f->streams[to], i);
    guint ssrc;
    int width, frame_ms;
    guint64 frames;

    if (g_strcmp0 (lm_test_json_get_string (stream, "peer"), from_peer) != 0 ||
        g_strcmp0 (lm_test_json_get_string (stream, "kind"), "video") != 0)
      continue;
    frames = lmr_test_peer_frames (f->media[to], lm_test_json_get_string (stream, "mid"), &ssrc,
                                   &width, &frame_ms);
    g_assert_true (frames == 0 || width == 0 || width == lmr_test_peer_width (from));
    return frames;
  }
  return 0;
}

typedef struct {
  Fixture *f;
  guint64 target[N_MEMBERS];
} Flow;

static gboolean
flowing (gpointer user_data)
{
  Flow *flow = user_data;

  pump (flow->f);
  return video_frames (flow->f, 0, 1) >= flow->target[0] &&
         video_frames (flow->f, 1, 0) >= flow->target[1];
}

/* Both members decode `more` frames of the other's video. */
static void
wait_media (Fixture *f, guint64 more)
{
  Flow flow = { f, { video_frames (f, 0, 1) + more, video_frames (f, 1, 0) + more } };

  g_assert_true (lm_test_wait_for (flowing, &flow, DEADLINE_MS));
}

static void
start_consultation (Fixture *f)
{
  g_autoptr (JsonObject) queue = NULL;
  g_autoptr (JsonObject) doctor_start = NULL;
  g_autoptr (JsonObject) clinic_start = NULL;
  JsonObject *media;

  f->signal[0] = lm_test_peer_new (f->server, "clinic");
  json_object_unref (lm_test_peer_hello (f->signal[0], f->clinic_token));
  f->signal[1] = lm_test_peer_new (f->server, "dr-1");
  json_object_unref (lm_test_peer_hello (f->signal[1], f->doctor_token));
  for (guint i = 0; i < N_MEMBERS; i++)
    f->media[i] = lmr_test_peer_new (lm_test_peer_get_id (f->signal[i]), i, &callbacks, f);

  f->consultation = lm_test_peer_request (f->signal[0], "general", "urgent", "P-1", NULL);
  queue = lm_test_peer_set_available (f->signal[1]);
  doctor_start = lm_test_peer_accept (f->signal[1], f->signal[0], f->consultation, &clinic_start);
  media = lm_test_json_get_object (clinic_start, "media");
  g_assert_cmpstr (lm_test_json_get_string (media, "mode"), ==, "relay");
  f->relay_peer = g_strdup (lm_test_json_get_string (media, "relay"));
}

static void
end_consultation (Fixture *f)
{
  g_autoptr (JsonObject) ended = NULL;

  lm_test_peer_send (f->signal[0], "{'type':'consult.end','id':'end','consultation':'%s',"
                     "'reason':'completed'}", f->consultation);
  ended = lm_test_peer_expect (f->signal[0], "consult.ended");
}

static JsonObject *
get_record (Fixture *f)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/consultations/%s", f->consultation);

  return lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
}

typedef struct {
  Fixture *f;
  guint n;
} Recordings;

static gboolean
recordings_saved (gpointer user_data)
{
  Recordings *r = user_data;
  g_autoptr (JsonObject) record = get_record (r->f);

  return json_array_get_length (lm_test_json_get_array (record, "recordings")) >= r->n;
}

static guint
count_files (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

/* ---- Fixture ---- */

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->server = lm_test_server_new (FALSE);
  f->clinic_token = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  f->doctor_token = lm_test_server_add_account (f->server, "doctor", "dr-1", NULL);
  f->relay_token = lm_test_server_add_account (f->server, "relay", "relay-1", NULL);
  f->admin_token = lm_test_server_add_account (f->server, "admin", "admin-1", NULL);
  f->tick = g_timeout_add (20, on_tick, NULL);
  f->record_dir = g_dir_make_tmp ("lmr-e2e-XXXXXX", &error);
  g_assert_no_error (error);
  lm_test_server_capture_stderr (f->server, NULL);
  lm_test_server_start (f->server, "--media-policy", "relay", NULL);
  start_relay (f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr (GDir) dir = g_dir_open (f->record_dir, 0, NULL);
  const char *name;

  if (f->relay && !f->relay_exited)
    stop_relay (f);
  g_clear_handle_id (&f->tick, g_source_remove);
  g_clear_object (&f->relay);
  for (guint i = 0; i < N_MEMBERS; i++) {
    g_clear_pointer (&f->media[i], lmr_test_peer_free);
    g_clear_pointer (&f->signal[i], lm_test_peer_free);
    g_clear_pointer (&f->streams[i], json_array_unref);
  }
  if (lm_test_server_is_running (f->server))
    lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree char *path = g_build_filename (f->record_dir, name, NULL);

    g_unlink (path);
  }
  g_rmdir (f->record_dir);
  g_free (f->record_dir);
  g_free (f->clinic_token);
  g_free (f->doctor_token);
  g_free (f->relay_token);
  g_free (f->admin_token);
  g_free (f->consultation);
  g_free (f->relay_peer);
}

/* ---- Tests ---- */

static void
check_file (JsonObject *recording)
{
  const char *path = lm_test_json_get_string (recording, "path");
  g_autofree char *uri = gst_filename_to_uri (path, NULL);
  g_autoptr (GstDiscoverer) discoverer = gst_discoverer_new (10 * GST_SECOND, NULL);
  g_autoptr (GstDiscovererInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  GList *video, *audio;
  double duration_s;

  info = gst_discoverer_discover_uri (discoverer, uri, &error);
  g_assert_no_error (error);
  video = gst_discoverer_info_get_video_streams (info);
  audio = gst_discoverer_info_get_audio_streams (info);
  g_assert_cmpuint (g_list_length (video), ==, 1);
  g_assert_cmpuint (g_list_length (audio), ==, 1);
  gst_discoverer_stream_info_list_free (video);
  gst_discoverer_stream_info_list_free (audio);
  duration_s = gst_discoverer_info_get_duration (info) / (double) GST_SECOND;
  g_test_message ("%s: %.2f s", path, duration_s);
  g_assert_cmpfloat (duration_s, >=, 2.0);
  g_assert_cmpfloat (ABS (duration_s - json_object_get_double_member (recording, "duration_s")), <, 0.5);
}

static void
test_consent_recording (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonObject) ack = NULL;
  g_autoptr (JsonObject) record = NULL;
  Recordings two = { f, 2 };
  JsonArray *recordings;
  JsonObject *quality;

  start_consultation (f);
  wait_media (f, 15);
  lm_test_peer_send (f->signal[0], "{'type':'consult.record','id':'rec','consultation':'%s',"
                     "'consent':true}", f->consultation);
  ack = lm_test_peer_expect_with (f->signal[0], "ack", "id", "rec");
  /* About three seconds of video at 15 frames a second, then the end. */
  wait_media (f, 45);
  end_consultation (f);
  g_assert_true (lm_test_wait_for (recordings_saved, &two, DEADLINE_MS));

  record = get_record (f);
  recordings = lm_test_json_get_array (record, "recordings");
  g_assert_cmpuint (json_array_get_length (recordings), ==, 2);
  for (guint i = 0; i < 2; i++)
    check_file (json_array_get_object_element (recordings, i));
  g_assert_cmpuint (count_files (f->record_dir), ==, 2);
  /* The relay's per-leg figures are in the quality summary. */
  quality = lm_test_json_get_object (record, "quality");
  g_assert_true (json_object_has_member (quality, "relay:clinic-1"));
  g_assert_true (json_object_has_member (quality, "relay:dr-1"));
}

static void
test_no_consent (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonObject) record = NULL;

  start_consultation (f);
  wait_media (f, 30);
  end_consultation (f);
  stop_relay (f);
  record = get_record (f);
  g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (record, "recordings")), ==, 0);
  g_assert_cmpuint (count_files (f->record_dir), ==, 0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  lm_test_init (&argc, &argv);
  g_test_add ("/relay/e2e/consent-recording", Fixture, NULL, fixture_setup,
              test_consent_recording, fixture_teardown);
  g_test_add ("/relay/e2e/no-consent", Fixture, NULL, fixture_setup, test_no_consent,
              fixture_teardown);
  return g_test_run ();
}

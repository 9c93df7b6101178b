/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* An LmrRoom with members that are webrtcbin peers built like
 * lastmile-client's, the relay's messages handed over in-process. */
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <gst/sdp/sdp.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "lm-protocol.h"
#include "lmr-error.h"
#include "lmr-room.h"
#include "lmr-test-peer.h"

#define DEADLINE_S 30
#define MIN_FRAMES 15
#define CONSULTATION "c-test"

typedef struct {
  LmrRoom *room;
  GPtrArray *peers;          /* LmrTestPeer */
  GHashTable *streams;       /* peer id → JsonArray of the last offer */
  GHashTable *offers;        /* peer id → GstSDPMessage of the last offer */
  GHashTable *stats;         /* leg → last stats JsonObject */
  GPtrArray *recordings;     /* relay.recording JsonObject */
  GPtrArray *candidates;     /* the relay's candidate strings */
  guint n_offers;
  gboolean closing;          /* members' late answers and candidates are moot */
  gboolean closed;
  char *record_dir;
} Fixture;

/* ---- Plumbing between room and peers ---- */

static LmrTestPeer *
find_peer (Fixture *fx, const char *id)
{
  for (guint i = 0; i < fx->peers->len; i++)
    if (g_str_equal (lmr_test_peer_get_id (fx->peers->pdata[i]), id))
      return fx->peers->pdata[i];
  return NULL;
}

static void
on_room_send (JsonObject *message, gpointer user_data)
{
  Fixture *fx = user_data;
  const char *type = json_object_get_string_member (message, "type");
  const char *to = json_object_get_string_member_with_default (message, "to", NULL);
  g_autofree char *text = lm_message_to_string (message);
  g_autoptr (LmMessage) parsed = NULL;
  g_autoptr (GError) error = NULL;
  LmrTestPeer *peer = to ? find_peer (fx, to) : NULL;

  /* Whatever the relay sends must pass the server's schema. */
  parsed = lm_message_parse (text, strlen (text), 65536, &error);
  g_assert_no_error (error);
  g_assert_true (lm_message_validate (parsed, LM_ROLE_RELAY, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (message, "consultation"), ==, CONSULTATION);

  if (g_str_equal (type, "sdp")) {
    JsonObject *sdp = json_object_get_object_member (message, "sdp");

    g_assert_nonnull (peer);
    g_assert_cmpstr (json_object_get_string_member (sdp, "type"), ==, "offer");
    GstSDPMessage *offer = NULL;

    g_hash_table_insert (fx->streams, g_strdup (to),
                         json_array_ref (json_object_get_array_member (message, "streams")));
    g_assert_cmpint (gst_sdp_message_new_from_text (json_object_get_string_member (sdp, "sdp"),
                                                    &offer), ==, GST_SDP_OK);
    g_hash_table_insert (fx->offers, g_strdup (to), offer);
    fx->n_offers++;
    lmr_test_peer_set_offer (peer, json_object_get_string_member (sdp, "sdp"));
  } else if (g_str_equal (type, "ice")) {
    JsonObject *candidate = json_object_get_object_member (message, "candidate");

    g_assert_nonnull (peer);
    g_ptr_array_add (fx->candidates, g_strdup (json_object_get_string_member (candidate, "candidate")));
    lmr_test_peer_add_candidate (peer, json_object_get_int_member (candidate, "sdpMLineIndex"),
                                 json_object_get_string_member (candidate, "candidate"));
  } else if (g_str_equal (type, "stats")) {
    g_hash_table_insert (fx->stats, g_strdup (json_object_get_string_member (message, "leg")),
                         json_object_ref (message));
  } else if (g_str_equal (type, "relay.recording")) {
    g_ptr_array_add (fx->recordings, json_object_ref (message));
  } else {
    g_error ("unexpected message from the room: %s", text);
  }
}

static void
on_peer_answer (LmrTestPeer *peer, const char *sdp, gpointer user_data)
{
  Fixture *fx = user_data;
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (object, "type", "answer");
  json_object_set_string_member (object, "sdp", sdp);
  if (fx->room && !fx->closing)
    lmr_room_handle_sdp (fx->room, lmr_test_peer_get_id (peer), object, &error);
  g_assert_no_error (error);
}

static void
on_peer_candidate (LmrTestPeer *peer, guint mline, const char *candidate, gpointer user_data)
{
  Fixture *fx = user_data;
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (object, "candidate", candidate);
  json_object_set_int_member (object, "sdpMLineIndex", mline);
  if (fx->room && !fx->closing)
    lmr_room_handle_ice (fx->room, lmr_test_peer_get_id (peer), object, &error);
  g_assert_no_error (error);
}

static const LmrTestPeerCallbacks peer_callbacks = { on_peer_answer, on_peer_candidate };

static void
on_room_closed (LmrRoom *room, gpointer user_data)
{
  Fixture *fx = user_data;

  fx->closed = TRUE;
}

/* ---- Fixture ---- */

static void
sdp_message_free (gpointer data)
{
  gst_sdp_message_free (data);
}

static void
open_room_with (Fixture *fx, const char *record_dir, const LmrMediaConfig *config)
{
  LmrMediaConfig media = *config;
  LmrRoomSetup setup = {
    .consultation = CONSULTATION,
    .media = &media,
    .record_dir = record_dir,
    .stats_interval_s = 1,
    .max_participants = 4,
    .send = on_room_send,
    .closed = on_room_closed,
    .user_data = fx,
  };
  g_autoptr (GError) error = NULL;

  fx->room = lmr_room_new (&setup, &error);
  g_assert_no_error (error);
}

static void
open_room (Fixture *fx, const char *record_dir)
{
  LmrMediaConfig media = LMR_MEDIA_CONFIG_INIT;

  open_room_with (fx, record_dir, &media);
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) lmr_test_peer_free);
  fx->streams = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) json_array_unref);
  fx->offers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      sdp_message_free);
  fx->stats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) json_object_unref);
  fx->recordings = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  fx->candidates = g_ptr_array_new_with_free_func (g_free);
  fx->record_dir = g_dir_make_tmp ("lmr-test-XXXXXX", &error);
  g_assert_no_error (error);
  open_room (fx, fx->record_dir);
}

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until `done` holds, failing at the deadline.
 * The tick wakes the loop up for counters that streaming threads move. */
static void
wait_for (Fixture *fx, gboolean (*done) (Fixture *fx, gconstpointer data), gconstpointer data,
          const char *what)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add_seconds (DEADLINE_S, on_deadline, &expired);
  guint tick = g_timeout_add (20, on_tick, NULL);

  while (!done (fx, data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  if (expired) {
    for (guint i = 0; i < fx->peers->len; i++) {
      g_autofree char *received = lmr_test_peer_describe (fx->peers->pdata[i]);
      JsonArray *streams = g_hash_table_lookup (fx->streams, lmr_test_peer_get_id (fx->peers->pdata[i]));
      g_autoptr (JsonNode) node = streams ? json_node_init_array (json_node_alloc (), streams) : NULL;
      g_autofree char *offered = node ? json_to_string (node, FALSE) : NULL;

      g_printerr ("# %s; offered %s\n", received, offered ? offered : "nothing");
    }
    g_error ("timed out waiting for %s", what);
  }
  g_source_remove (deadline);
}

static gboolean
room_closed (Fixture *fx, gconstpointer data)
{
  return fx->closed;
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  fx->closing = TRUE;
  if (fx->room) {
    lmr_room_close (fx->room);
    wait_for (fx, room_closed, NULL, "the room to close");
  }
  g_clear_pointer (&fx->room, lmr_room_free);
  g_ptr_array_unref (fx->peers);
  g_hash_table_unref (fx->streams);
  g_hash_table_unref (fx->stats);
  g_hash_table_unref (fx->offers);
  g_ptr_array_unref (fx->recordings);
  g_ptr_array_unref (fx->candidates);
  if (fx->record_dir) {
    g_autoptr (GDir) dir = g_dir_open (fx->record_dir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name (dir))) {
      g_autofree char *path = g_build_filename (fx->record_dir, name, NULL);

      g_unlink (path);
    }
    g_rmdir (fx->record_dir);
    g_free (fx->record_dir);
  }
}

static void
join (Fixture *fx, guint first, guint n)
{
  g_autoptr (JsonArray) peers = json_array_new ();
  g_autoptr (GError) error = NULL;

  for (guint i = first; i < first + n; i++) {
    g_autofree char *id = g_strdup_printf ("p-%u", i);
    JsonObject *member = json_object_new ();

    g_ptr_array_add (fx->peers, lmr_test_peer_new (id, i, &peer_callbacks, fx));
    json_object_set_string_member (member, "peer", id);
    json_object_set_string_member (member, "role", i == 0 ? "clinic" : "doctor");
    json_object_set_string_member (member, "name", i == 0 ? "clinic-one" : id);
    json_array_add_object_element (peers, member);
  }
  g_assert_true (lmr_room_add_members (fx->room, peers, &error));
  g_assert_no_error (error);
}

/* ---- What each member receives ---- */

typedef struct {
  guint receiver;
  guint sender;
  const char *kind;
  guint64 min_frames;
} Flow;

/* The SSRC the relay announced for section `mid` of its last offer. */
static guint
offered_ssrc (Fixture *fx, LmrTestPeer *to, const char *mid)
{
  GstSDPMessage *offer = g_hash_table_lookup (fx->offers, lmr_test_peer_get_id (to));

  for (guint i = 0; offer && i < gst_sdp_message_medias_len (offer); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer, i);
    const char *ssrc = gst_sdp_media_get_attribute_val (media, "ssrc");

    if (g_strcmp0 (gst_sdp_media_get_attribute_val (media, "mid"), mid) == 0 && ssrc)
      return (guint) g_ascii_strtoull (ssrc, NULL, 10);
  }
  return 0;
}

/* Frames of `sender`'s `kind` that `receiver` decoded on the section the
 * relay's `streams` names for them: they must come with the SSRC the
 * offer announced for that section, and be the sender's (its width, its
 * Opus frame length), so that a stream under another's name fails. */
static guint64
frames_between (Fixture *fx, guint receiver, guint sender, const char *kind)
{
  LmrTestPeer *to = fx->peers->pdata[receiver];
  LmrTestPeer *from = fx->peers->pdata[sender];
  JsonArray *streams = g_hash_table_lookup (fx->streams, lmr_test_peer_get_id (to));
  gboolean video = g_str_equal (kind, "video");

  for (guint i = 0; streams && i < json_array_get_length (streams); i++) {
    JsonObject *stream = json_array_get_object_element (streams, i);
    const char *mid = json_object_get_string_member (stream, "mid");
    guint ssrc = 0;
    int width, frame_ms;
    guint64 frames;

    if (!g_str_equal (json_object_get_string_member (stream, "peer"), lmr_test_peer_get_id (from)) ||
        !g_str_equal (json_object_get_string_member (stream, "kind"), kind))
      continue;
    frames = lmr_test_peer_frames (to, mid, &ssrc, &width, &frame_ms);
    if (frames == 0)
      return 0;
    if (ssrc != offered_ssrc (fx, to, mid))
      g_error ("p-%u got SSRC %u on %s, not the SSRC %u announced", receiver, ssrc, mid,
               offered_ssrc (fx, to, mid));
    if (video && width != 0 && width != lmr_test_peer_width (sender))
      g_error ("p-%u decoded video %d wide on p-%u's section %s", receiver, width, sender, mid);
    if (!video && frame_ms != 0 && frame_ms != lmr_test_peer_frame_ms (sender))
      g_error ("p-%u decoded %d ms Opus frames on p-%u's section %s", receiver, frame_ms, sender, mid);
    return frames;
  }
  return 0;
}

static gboolean
flow_reached (Fixture *fx, gconstpointer data)
{
  const Flow *flow = data;

  return frames_between (fx, flow->receiver, flow->sender, flow->kind) >= flow->min_frames;
}

static void
wait_for_flow (Fixture *fx, guint receiver, guint sender, const char *kind, guint64 more)
{
  Flow flow = { receiver, sender, kind, frames_between (fx, receiver, sender, kind) + more };
  g_autofree char *what = g_strdup_printf ("p-%u to receive %" G_GUINT64_FORMAT " %s frames from p-%u",
                                           receiver, flow.min_frames, kind, sender);

  wait_for (fx, flow_reached, &flow, what);
}

static void
wait_all_flows (Fixture *fx, guint n, guint64 more)
{
  for (guint to = 0; to < n; to++)
    for (guint from = 0; from < n; from++)
      if (to != from) {
        wait_for_flow (fx, to, from, "video", more);
        wait_for_flow (fx, to, from, "audio", more);
      }
}

static gboolean
stats_for_all (Fixture *fx, gconstpointer data)
{
  guint n = GPOINTER_TO_UINT (data);

  for (guint i = 0; i < n; i++) {
    JsonObject *stats = g_hash_table_lookup (fx->stats, lmr_test_peer_get_id (fx->peers->pdata[i]));

    if (stats == NULL || json_object_get_int_member (stats, "packets_received") == 0 ||
        json_object_get_int_member (stats, "packets_sent") == 0 ||
        json_object_get_double_member (stats, "bitrate_kbps") <= 0)
      return FALSE;
  }
  return TRUE;
}

/* ---- Tests ---- */

static void
test_two_party (Fixture *fx, gconstpointer data)
{
  join (fx, 0, 2);
  wait_all_flows (fx, 2, MIN_FRAMES);
  /* Each offer names the member's own sections and the other's. */
  for (guint i = 0; i < 2; i++) {
    JsonArray *streams = g_hash_table_lookup (fx->streams, lmr_test_peer_get_id (fx->peers->pdata[i]));

    g_assert_cmpuint (json_array_get_length (streams), ==, 4);
  }
  wait_for (fx, stats_for_all, GUINT_TO_POINTER (2), "per-leg stats");
}

static const char *
mid_of (Fixture *fx, guint receiver, guint sender, const char *kind)
{
  JsonArray *streams = g_hash_table_lookup (fx->streams, lmr_test_peer_get_id (fx->peers->pdata[receiver]));

  for (guint i = 0; streams && i < json_array_get_length (streams); i++) {
    JsonObject *stream = json_array_get_object_element (streams, i);

    if (g_str_equal (json_object_get_string_member (stream, "peer"),
                     lmr_test_peer_get_id (fx->peers->pdata[sender])) &&
        g_str_equal (json_object_get_string_member (stream, "kind"), kind))
      return json_object_get_string_member (stream, "mid");
  }
  g_assert_not_reached ();
}

typedef struct {
  guint peer;
  guint count;
} KeyRequests;

static gboolean
key_requests_reached (Fixture *fx, gconstpointer data)
{
  const KeyRequests *k = data;

  return lmr_test_peer_key_requests (fx->peers->pdata[k->peer]) >= k->count;
}

static void
test_keyframe_request (Fixture *fx, gconstpointer data)
{
  KeyRequests k = { 0, 0 };
  guint passed, dropped;

  join (fx, 0, 2);
  wait_all_flows (fx, 2, MIN_FRAMES);
  /* Nothing else asks p-0 for a keyframe now: no join, no recording, and
   * its encoder makes none by itself. */
  k.count = lmr_test_peer_key_requests (fx->peers->pdata[0]) + 1;
  lmr_test_peer_request_keyframe (fx->peers->pdata[1], mid_of (fx, 1, 0, "video"));
  wait_for (fx, key_requests_reached, &k, "p-1's keyframe request to reach p-0's encoder");
  lmr_room_keyframe_counts (fx->room, "p-0", &passed, &dropped);
  g_assert_cmpuint (passed, >=, 1);
}

static gboolean
peer_connected (Fixture *fx, gconstpointer data)
{
  return lmr_test_peer_is_connected (fx->peers->pdata[GPOINTER_TO_UINT (data)]);
}

static void
test_three_party_late_join (Fixture *fx, gconstpointer data)
{
  guint requests_before[2];
  guint64 decoded_before;

  join (fx, 0, 2);
  wait_all_flows (fx, 2, MIN_FRAMES);
  for (guint i = 0; i < 2; i++)
    requests_before[i] = lmr_test_peer_key_requests (fx->peers->pdata[i]);

  /* The senders make no periodic keyframe: the newcomer decodes their
   * video only if its keyframe requests reach them through the relay. */
  join (fx, 2, 1);
  wait_for (fx, peer_connected, GUINT_TO_POINTER (2), "p-2 to connect");
  wait_all_flows (fx, 3, MIN_FRAMES);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpuint (lmr_test_peer_key_requests (fx->peers->pdata[i]), >, requests_before[i]);

  /* The doctor who leaves stops being forwarded; the others go on. */
  decoded_before = frames_between (fx, 0, 2, "video");
  {
    g_autoptr (GError) error = NULL;

    g_assert_true (lmr_room_remove_member (fx->room, "p-2", &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (lmr_room_get_n_members (fx->room), ==, 2);
  wait_for_flow (fx, 0, 1, "video", MIN_FRAMES);
  wait_for_flow (fx, 1, 0, "audio", MIN_FRAMES);
  g_assert_cmpuint (frames_between (fx, 0, 2, "video"), <=, decoded_before + 5);
}

static gboolean
recordings_reported (Fixture *fx, gconstpointer data)
{
  return fx->recordings->len >= GPOINTER_TO_UINT (data);
}

static guint
count_files (const char *dir_path)
{
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

/* The same through the gst-discoverer-1.0 tool (gstreamer1.0-plugins-base-apps)
 * when it is installed: "Duration: H:MM:SS.NNNNNNNNN", a "video #1: VP8"
 * and an "audio #2: Opus" stream. */
static void
check_with_discoverer_tool (const char *path, double duration_s)
{
  g_autofree char *tool = g_find_program_in_path ("gst-discoverer-1.0");
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { tool, path, NULL };
  const char *line;
  guint h, m;
  double s;
  int status;

  if (tool == NULL)
    return;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_regex_match_simple ("video #[0-9]+: VP8", out, 0, 0));
  g_assert_true (g_regex_match_simple ("audio #[0-9]+: Opus", out, 0, 0));
  line = strstr (out, "Duration: ");
  g_assert_nonnull (line);
  g_assert_cmpint (sscanf (line, "Duration: %u:%u:%lf", &h, &m, &s), ==, 3);
  g_assert_cmpfloat (ABS (h * 3600 + m * 60 + s - duration_s), <, 0.5);
}

static void
check_recording (JsonObject *recording)
{
  const char *path = json_object_get_string_member (recording, "path");
  double duration_s = json_object_get_double_member (recording, "duration_s");
  g_autoptr (GstDiscoverer) discoverer = NULL;
  g_autoptr (GstDiscovererInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = gst_filename_to_uri (path, NULL);
  GList *video, *audio;
  GStatBuf st;
  double discovered_s;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (json_object_get_int_member (recording, "bytes"), ==, st.st_size);
  g_assert_true (g_str_has_suffix (path, ".webm"));

  discoverer = gst_discoverer_new (10 * GST_SECOND, &error);
  g_assert_no_error (error);
  info = gst_discoverer_discover_uri (discoverer, uri, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gst_discoverer_info_get_result (info), ==, GST_DISCOVERER_OK);
  video = gst_discoverer_info_get_video_streams (info);
  audio = gst_discoverer_info_get_audio_streams (info);
  g_assert_cmpuint (g_list_length (video), ==, 1);
  g_assert_cmpuint (g_list_length (audio), ==, 1);
  gst_discoverer_stream_info_list_free (video);
  gst_discoverer_stream_info_list_free (audio);
  discovered_s = gst_discoverer_info_get_duration (info) / (double) GST_SECOND;
  g_test_message ("%s: %.2f s reported, %.2f s discovered", path, duration_s, discovered_s);
  g_assert_cmpfloat (duration_s, >=, 2.0);
  g_assert_cmpfloat (ABS (discovered_s - duration_s), <, 0.5);
  check_with_discoverer_tool (path, duration_s);
}

static void
test_recording (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  join (fx, 0, 2);
  wait_all_flows (fx, 2, 5);
  g_assert_true (lmr_room_set_recording (fx->room, TRUE, &error));
  g_assert_no_error (error);
  /* About three seconds of media at 15 frames a second. */
  wait_all_flows (fx, 2, 45);
  g_assert_true (lmr_room_set_recording (fx->room, FALSE, &error));
  wait_for (fx, recordings_reported, GUINT_TO_POINTER (2), "two relay.recording");
  g_assert_cmpuint (count_files (fx->record_dir), ==, 2);
  for (guint i = 0; i < fx->recordings->len; i++)
    check_recording (fx->recordings->pdata[i]);
}

static void
test_recording_closed_at_end (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  /* Consent from the start (relay.open with record: true). */
  g_assert_true (lmr_room_set_recording (fx->room, TRUE, &error));
  join (fx, 0, 2);
  wait_all_flows (fx, 2, 50);
  fx->closing = TRUE;
  lmr_room_close (fx->room);
  wait_for (fx, room_closed, NULL, "the room to close");
  g_assert_cmpuint (fx->recordings->len, ==, 2);
  for (guint i = 0; i < fx->recordings->len; i++)
    check_recording (fx->recordings->pdata[i]);
}

static void
test_no_consent_no_file (Fixture *fx, gconstpointer data)
{
  join (fx, 0, 2);
  wait_all_flows (fx, 2, MIN_FRAMES);
  fx->closing = TRUE;
  lmr_room_close (fx->room);
  wait_for (fx, room_closed, NULL, "the room to close");
  g_assert_cmpuint (fx->recordings->len, ==, 0);
  g_assert_cmpuint (count_files (fx->record_dir), ==, 0);
}

static void
test_no_record_dir (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  lmr_room_free (fx->room);
  open_room (fx, NULL);
  g_assert_false (lmr_room_set_recording (fx->room, TRUE, &error));
  g_assert_error (error, LMR_ERROR, LMR_ERROR_FAILED);
}

static gboolean
gathered (Fixture *fx, gconstpointer data)
{
  guint ends = 0;

  for (guint i = 0; i < fx->candidates->len; i++)
    if (((char *) fx->candidates->pdata[i])[0] == '\0')
      ends++;
  return ends >= GPOINTER_TO_UINT (data);
}

static void
test_ports_and_address (Fixture *fx, gconstpointer data)
{
  LmrMediaConfig media = LMR_MEDIA_CONFIG_INIT;
  guint hosts = 0;

  media.min_port = 47100 + g_test_rand_int_range (0, 100) * 10;
  media.max_port = media.min_port + 9;
  media.public_address = (char *) "198.51.100.7";
  lmr_room_free (fx->room);
  open_room_with (fx, NULL, &media);
  join (fx, 0, 2);
  wait_for (fx, gathered, GUINT_TO_POINTER (2), "both legs to gather");
  for (guint i = 0; i < fx->candidates->len; i++) {
    g_auto (GStrv) fields = g_strsplit (fx->candidates->pdata[i], " ", -1);
    guint64 port;

    if (g_strv_length (fields) < 8)
      continue;
    g_assert_true (g_ascii_string_to_unsigned (fields[5], 10, 0, 65535, &port, NULL));
    g_assert_cmpuint (port, >=, media.min_port);
    g_assert_cmpuint (port, <=, media.max_port);
    if (g_str_equal (fields[7], "host") && strchr (fields[4], ':') == NULL) {
      g_assert_cmpstr (fields[4], ==, "198.51.100.7");
      hosts++;
    }
  }
  g_assert_cmpuint (hosts, >=, 2);
}

static void
test_limits (Fixture *fx, gconstpointer data)
{
  g_autoptr (JsonArray) peers = json_array_new ();
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < 5; i++) {
    JsonObject *member = json_object_new ();
    g_autofree char *id = g_strdup_printf ("p-%u", i);

    json_object_set_string_member (member, "peer", id);
    json_array_add_object_element (peers, member);
  }
  g_assert_false (lmr_room_add_members (fx->room, peers, &error));
  g_assert_error (error, LMR_ERROR, LMR_ERROR_FULL);
  g_assert_cmpuint (lmr_room_get_n_members (fx->room), ==, 0);
  g_clear_error (&error);

  json_object_set_string_member (answer, "type", "answer");
  json_object_set_string_member (answer, "sdp", "v=0");
  g_assert_false (lmr_room_handle_sdp (fx->room, "p-9", answer, &error));
  g_assert_error (error, LMR_ERROR, LMR_ERROR_PEER);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/relay/room/two-party", test_two_party);
  ADD ("/relay/room/keyframe-request", test_keyframe_request);
  ADD ("/relay/room/three-party-late-join", test_three_party_late_join);
  ADD ("/relay/room/recording", test_recording);
  ADD ("/relay/room/recording-closed-at-end", test_recording_closed_at_end);
  ADD ("/relay/room/no-consent-no-file", test_no_consent_no_file);
  ADD ("/relay/room/no-record-dir", test_no_record_dir);
  ADD ("/relay/room/limits", test_limits);
  ADD ("/relay/room/ports-and-address", test_ports_and_address);
  return g_test_run ();
}

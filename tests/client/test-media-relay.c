/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* LmcMedia as a member of a relayed consultation, against a fake relay in
 * the same process: a webrtcbin that offers, as lastmile-relay does
 * (docs/protocol.md, "Relay mode"), two receiving sections for the
 * member's own video and audio and one sending section per other
 * participant's stream, each announced with its SSRC; then renegotiates
 * when a participant joins. The member answers every offer, receives each
 * stream on its own webrtcbin pad and counts it under the section's mid. */
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <string.h>

#include "lmc-media.h"

#define DEADLINE_S 20
#define VIDEO_CAPS "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"
#define AUDIO_CAPS "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000," \
                   "encoding-params=(string)2"
#define MIN_FRAMES 30

typedef struct {
  GstElement *pipeline;
  GstElement *webrtc;
  GMainContext *context;
  LmcMedia *member;
  gint received;              /* atomic: buffers of the member's media */
  guint n_streams;
  guint n_offers;
} Relay;

typedef struct {
  Relay relay;
  LmcMedia *member;
  guint n_remote_streams;
  gboolean answered;
  GPtrArray *mids;            /* from REMOTE_STREAM events */
  GArray *baseline;           /* frames per mid at a point in the test */
} Fixture;

/* ---- The fake relay ---- */

typedef struct {
  Relay *relay;
  guint mline;
  char *candidate;
} Candidate;

static gboolean
deliver_candidate (gpointer data)
{
  Candidate *c = data;
  g_autoptr (GError) error = NULL;

  if (c->relay->member &&
      !lmc_media_add_remote_candidate (c->relay->member, c->mline, c->candidate, &error))
    g_error ("the member refused the relay's candidate: %s", error->message);
  return G_SOURCE_REMOVE;
}

static void
candidate_free (gpointer data)
{
  Candidate *c = data;

  g_free (c->candidate);
  g_free (c);
}

/* webrtcbin's thread: hop to the test's context, where LmcMedia lives. */
static void
on_relay_candidate (GstElement *webrtc, guint mline, char *candidate, gpointer user_data)
{
  Relay *relay = user_data;
  Candidate *c = g_new0 (Candidate, 1);

  c->relay = relay;
  c->mline = mline;
  c->candidate = g_strdup (candidate);
  g_main_context_invoke_full (relay->context, G_PRIORITY_DEFAULT, deliver_candidate, c,
                              candidate_free);
}

static GstPadProbeReturn
on_member_media (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Relay *relay = user_data;

  g_atomic_int_inc (&relay->received);
  return GST_PAD_PROBE_OK;
}

static void
on_relay_pad_added (GstElement *webrtc, GstPad *pad, gpointer user_data)
{
  Relay *relay = user_data;
  GstElement *sink;
  g_autoptr (GstPad) sinkpad = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "async", FALSE, "sync", FALSE, NULL);
  gst_bin_add (GST_BIN (relay->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_member_media, relay, NULL);
  g_assert_cmpint (gst_pad_link (pad, sinkpad), ==, GST_PAD_LINK_OK);
}

static void
relay_add_receiver (Relay *relay, const char *caps_str)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_str);
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;

  g_signal_emit_by_name (relay->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
  g_assert_nonnull (trans);
}

/* Another participant's video: a test pattern under its own SSRC, which
 * the offer announces so that the member can tell the streams apart, and
 * its own payload type, as lastmile-relay gives each section. */
static void
relay_add_participant_video (Relay *relay)
{
  guint32 ssrc = 0x10000 + relay->n_streams;
  guint pt = 98 + 2 * relay->n_streams++;
  g_autofree char *desc = g_strdup_printf (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120,framerate=15/1 ! "
    "vp8enc deadline=1 cpu-used=8 keyframe-max-dist=15 ! rtpvp8pay pt=%u ssrc=%u", pt, ssrc);
  g_autofree char *caps_str = g_strdup_printf (
    "application/x-rtp,media=video,encoding-name=VP8,payload=%u,clock-rate=90000,"
    "rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true,ssrc=(uint)%u", pt, ssrc);
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_str);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;
  GstPad *sink;
  GstElement *bin;

  bin = gst_parse_bin_from_description (desc, TRUE, &error);
  g_assert_no_error (error);
  gst_bin_add (GST_BIN (relay->pipeline), bin);
  sink = gst_element_request_pad (relay->webrtc,
                                  gst_element_get_pad_template (relay->webrtc, "sink_%u"),
                                  NULL, caps);
  g_assert_nonnull (sink);
  g_object_get (sink, "transceiver", &trans, NULL);
  g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                "codec-preferences", caps, NULL);
  src = gst_element_get_static_pad (bin, "src");
  g_assert_cmpint (gst_pad_link (src, sink), ==, GST_PAD_LINK_OK);
  gst_object_unref (sink);
  gst_element_sync_state_with_parent (bin);
}

static void
relay_init (Relay *relay)
{
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  relay->context = g_main_context_ref_thread_default ();
  relay->pipeline = gst_pipeline_new ("fake-relay");
  relay->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  g_object_set (relay->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  g_object_get (relay->webrtc, "ice-agent", &ice, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  g_object_set (agent, "upnp", FALSE, NULL);
  gst_bin_add (GST_BIN (relay->pipeline), relay->webrtc);
  g_signal_connect (relay->webrtc, "on-ice-candidate", G_CALLBACK (on_relay_candidate), relay);
  g_signal_connect (relay->webrtc, "pad-added", G_CALLBACK (on_relay_pad_added), relay);
  relay_add_receiver (relay, VIDEO_CAPS);
  relay_add_receiver (relay, AUDIO_CAPS);
  relay_add_participant_video (relay);
  relay_add_participant_video (relay);
  g_assert_cmpint (gst_element_set_state (relay->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
}

static void
relay_clear (Relay *relay)
{
  gst_element_set_state (relay->pipeline, GST_STATE_NULL);
  gst_clear_object (&relay->pipeline);
  g_main_context_unref (relay->context);
}

/* Makes an offer, applies it locally and hands it to the member. */
static void
relay_offer (Relay *relay)
{
  GstPromise *promise = gst_promise_new ();
  GstWebRTCSessionDescription *offer = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  g_signal_emit_by_name (relay->webrtc, "create-offer", NULL, promise);
  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  gst_structure_get (gst_promise_get_reply (promise), "offer",
                     GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  gst_promise_unref (promise);
  g_assert_nonnull (offer);
  g_signal_emit_by_name (relay->webrtc, "set-local-description", offer, NULL);
  text = gst_sdp_message_as_text (offer->sdp);
  gst_webrtc_session_description_free (offer);
  relay->n_offers++;
  g_assert_true (lmc_media_set_remote_description (relay->member, "offer", text, &error));
  g_assert_no_error (error);
}

/* The answer keeps every section (none rejected with port 0) and the
 * relay's webrtcbin takes it. */
static void
relay_set_answer (Relay *relay, const char *text)
{
  GstSDPMessage *sdp = NULL;
  GstWebRTCSessionDescription *answer;
  GstPromise *promise = gst_promise_new ();
  const GstStructure *reply;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    g_assert_cmpuint (gst_sdp_media_get_port (gst_sdp_message_get_media (sdp, i)), !=, 0);
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  g_signal_emit_by_name (relay->webrtc, "set-remote-description", answer, promise);
  gst_webrtc_session_description_free (answer);
  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  reply = gst_promise_get_reply (promise);
  g_assert_false (reply && gst_structure_has_field (reply, "error"));
  gst_promise_unref (promise);
}

/* ---- The member ---- */

static void
on_member_event (LmcMedia *media, const LmcMediaEvent *event, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (GError) error = NULL;

  switch (event->kind) {
    case LMC_MEDIA_EVENT_LOCAL_SDP:
      g_assert_cmpstr (event->sdp_type, ==, "answer");
      relay_set_answer (&f->relay, event->text);
      f->answered = TRUE;
      break;
    case LMC_MEDIA_EVENT_LOCAL_CANDIDATE:
      if (event->text[0])
        g_signal_emit_by_name (f->relay.webrtc, "add-ice-candidate", event->mline, event->text);
      break;
    case LMC_MEDIA_EVENT_REMOTE_STREAM:
      g_assert_true (event->video);
      g_ptr_array_add (f->mids, g_strdup (event->text));
      f->n_remote_streams++;
      break;
    case LMC_MEDIA_EVENT_ICE_CONNECTED:
    case LMC_MEDIA_EVENT_CONNECTED:
    case LMC_MEDIA_EVENT_FIRST_FRAME:
    case LMC_MEDIA_EVENT_STATS:
      break;
    case LMC_MEDIA_EVENT_ERROR:
      g_error ("unexpected media error %s: %s", event->reason, event->error->message);
      break;
  }
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  LmcMediaConfig config = {
    .video = LMC_VIDEO_SOURCE_TEST,
    .audio = LMC_AUDIO_SOURCE_TEST,
    .width = 320,
    .height = 240,
    .fps = 15,
    .max_bitrate_kbps = 300,
    .latency_ms = 50,
  };
  g_autoptr (GError) error = NULL;

  f->mids = g_ptr_array_new_with_free_func (g_free);
  f->baseline = g_array_new (FALSE, TRUE, sizeof (guint64));
  relay_init (&f->relay);
  f->member = lmc_media_new (&config, "relayed-member", on_member_event, f, &error);
  g_assert_no_error (error);
  f->relay.member = f->member;
  g_assert_true (lmc_media_start (f->member, FALSE, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  lmc_media_stop (f->member);
  f->relay.member = NULL;
  g_clear_object (&f->member);
  relay_clear (&f->relay);
  g_ptr_array_unref (f->mids);
  g_array_unref (f->baseline);
}

typedef gboolean (*Condition) (Fixture *f);

static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
wait_for (Fixture *f, Condition condition, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  guint tick = g_timeout_add (10, on_tick, NULL);

  while (!condition (f)) {
    if (g_get_monotonic_time () > deadline)
      g_error ("timed out waiting for %s", what);
    g_main_context_iteration (NULL, TRUE);
  }
  g_source_remove (tick);
}

static guint64
frames_of (Fixture *f, const char *mid)
{
  g_autoptr (GArray) streams = lmc_media_get_stream_stats (f->member);

  for (guint i = 0; i < streams->len; i++) {
    LmcMediaStreamStats *s = &g_array_index (streams, LmcMediaStreamStats, i);

    if (g_strcmp0 (s->mid, mid) == 0)
      return s->frames;
  }
  return 0;
}

/* Every remote stream has MIN_FRAMES more frames than at the baseline. */
static gboolean
streams_have_frames (Fixture *f)
{
  if (f->mids->len < f->relay.n_streams)
    return FALSE;
  for (guint i = 0; i < f->mids->len; i++) {
    guint64 base = i < f->baseline->len ? g_array_index (f->baseline, guint64, i) : 0;

    if (frames_of (f, g_ptr_array_index (f->mids, i)) < base + MIN_FRAMES)
      return FALSE;
  }
  return g_atomic_int_get (&f->relay.received) > MIN_FRAMES;
}

static void
take_baseline (Fixture *f)
{
  g_array_set_size (f->baseline, 0);
  for (guint i = 0; i < f->mids->len; i++) {
    guint64 frames = frames_of (f, g_ptr_array_index (f->mids, i));

    g_array_append_val (f->baseline, frames);
  }
}

static gboolean
answered (Fixture *f)
{
  return f->answered;
}

static void
test_relay_streams (Fixture *f, gconstpointer data)
{
  g_autoptr (GArray) streams = NULL;
  LmcMediaStats stats;
  guint64 sum = 0;

  relay_offer (&f->relay);
  wait_for (f, streams_have_frames, "frames on both remote streams");
  g_assert_cmpuint (f->n_remote_streams, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->mids, 0), !=, g_ptr_array_index (f->mids, 1));

  /* A third participant joins: the relay offers again, the member answers
   * (keeping the sections it answered before) and gets a third stream
   * while the first two go on. */
  f->answered = FALSE;
  relay_add_participant_video (&f->relay);
  relay_offer (&f->relay);
  wait_for (f, answered, "the answer to the second offer");
  take_baseline (f);
  wait_for (f, streams_have_frames, "frames on all three remote streams");
  g_assert_cmpuint (f->n_remote_streams, ==, 3);

  lmc_media_freeze_counters (f->member);
  lmc_media_get_stats (f->member, &stats);
  streams = lmc_media_get_stream_stats (f->member);
  for (guint i = 0; i < streams->len; i++) {
    LmcMediaStreamStats *s = &g_array_index (streams, LmcMediaStreamStats, i);

    g_test_message ("mid %s: %" G_GUINT64_FORMAT " frames", s->mid, s->frames);
    if (s->video)
      sum += s->frames;
  }
  g_assert_cmpuint (streams->len, ==, 3);
  g_assert_cmpuint (stats.video_frames_received, ==, sum);
  g_assert_cmpuint (stats.video_frames_sent, >, 0);
}

int
main (int argc, char **argv)
{
  GThread *prewarm;
  int result;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  prewarm = lmc_media_prewarm (NULL, NULL);

  g_test_add ("/media/relay/streams", Fixture, NULL,
              fixture_setup, test_relay_streams, fixture_teardown);
  result = g_test_run ();
  g_thread_join (prewarm);
  return result;
}

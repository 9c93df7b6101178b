/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-test-peer.h"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include "lmr-hop.h"

#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define VIDEO_RTP_CAPS \
  "application/x-rtp,media=video,encoding-name=VP8,payload=96" \
  ",clock-rate=90000,rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true" \
  ",rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-transport-cc=(boolean)true" \
  ",extmap-1=(string)" TWCC_URI
#define AUDIO_RTP_CAPS \
  "application/x-rtp,media=audio,encoding-name=OPUS,payload=111" \
  ",clock-rate=48000,encoding-params=(string)2,useinbandfec=(string)1" \
  ",usedtx=(string)1,rtcp-fb-transport-cc=(boolean)true,extmap-1=(string)" TWCC_URI

typedef struct {
  GstPad *depayloader;      /* its sink pad */
  guint ssrc;
  guint64 frames;
  int width;                /* of the decoded video */
  GstClockTime duration;    /* of a decoded audio buffer */
} Received;

struct _LmrTestPeer {
  char *id;
  guint index;
  LmrTestPeerCallbacks callbacks;
  gpointer user_data;
  GMainContext *context;
  GstElement *pipeline;
  GstElement *webrtc;

  GMutex lock;
  GHashTable *received;   /* mid → Received */
  guint key_requests;
  gboolean connected;
  gboolean closing;
};

static void
received_free (gpointer data)
{
  Received *received = data;

  g_clear_object (&received->depayloader);
  g_free (received);
}

/* ---- Hops to the main context ---- */

typedef struct {
  LmrTestPeer *peer;
  gboolean answer;
  guint mline;
  char *text;
} Hop;

static void
hop_free (gpointer data)
{
  Hop *hop = data;

  g_free (hop->text);
  g_free (hop);
}

static gboolean
hop_dispatch (gpointer data)
{
  Hop *hop = data;
  LmrTestPeer *peer = hop->peer;

  if (peer->closing)
    return G_SOURCE_REMOVE;
  if (hop->answer)
    peer->callbacks.answer (peer, hop->text, peer->user_data);
  else
    peer->callbacks.candidate (peer, hop->mline, hop->text, peer->user_data);
  return G_SOURCE_REMOVE;
}

static void
hop (LmrTestPeer *peer, gboolean answer, guint mline, char *text)
{
  Hop *h = g_new0 (Hop, 1);

  h->peer = peer;
  h->answer = answer;
  h->mline = mline;
  h->text = text;
  lmr_hop (peer->context, hop_dispatch, h, hop_free);
}

/* ---- webrtcbin ---- */

static void
on_answer_created (GstPromise *promise, gpointer user_data)
{
  LmrTestPeer *peer = user_data;
  GstWebRTCSessionDescription *answer = NULL;
  const GstStructure *reply;

  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  reply = gst_promise_get_reply (promise);
  gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  g_assert_nonnull (answer);
  gst_promise_unref (promise);
  g_signal_emit_by_name (peer->webrtc, "set-local-description", answer, NULL);
  hop (peer, TRUE, 0, gst_sdp_message_as_text (answer->sdp));
  gst_webrtc_session_description_free (answer);
}

static void
on_offer_set (GstPromise *promise, gpointer user_data)
{
  LmrTestPeer *peer = user_data;
  const GstStructure *reply;

  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  reply = gst_promise_get_reply (promise);
  g_assert_false (reply && gst_structure_has_field (reply, "error"));
  gst_promise_unref (promise);
  g_signal_emit_by_name (peer->webrtc, "create-answer", NULL,
                         gst_promise_new_with_change_func (on_answer_created, peer, NULL));
}

static void
on_ice_candidate (GstElement *webrtc, guint mline, char *candidate, gpointer user_data)
{
  hop (user_data, FALSE, mline, g_strdup (candidate));
}

static void
on_connection_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  LmrTestPeer *peer = user_data;
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  g_mutex_lock (&peer->lock);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    peer->connected = TRUE;
  g_mutex_unlock (&peer->lock);
}

/* Like the client: NACK on the sections webrtcbin makes for an offer. */
static void
on_new_transceiver (GstElement *webrtc, GstWebRTCRTPTransceiver *trans, gpointer user_data)
{
  g_object_set (trans, "do-nack", TRUE, NULL);
}

typedef struct {
  LmrTestPeer *peer;
  char *mid;
} Counter;

static void
counter_free (gpointer data)
{
  Counter *counter = data;

  g_free (counter->mid);
  g_free (counter);
}

static GstPadProbeReturn
on_decoded (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Counter *counter = user_data;
  Received *received;

  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const GstStructure *s = caps ? gst_caps_get_structure (caps, 0) : NULL;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  g_mutex_lock (&counter->peer->lock);
  received = g_hash_table_lookup (counter->peer->received, counter->mid);
  if (received) {
    received->frames++;
    if (s)
      gst_structure_get_int (s, "width", &received->width);
    if (GST_BUFFER_DURATION_IS_VALID (buffer))
      received->duration = GST_BUFFER_DURATION (buffer);
  }
  g_mutex_unlock (&counter->peer->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *webrtc, GstPad *pad, gpointer user_data)
{
  LmrTestPeer *peer = user_data;
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstElement) decoder = NULL;
  g_autoptr (GstPad) decoded = NULL;
  g_autoptr (GstPad) sink = NULL;
  g_autofree char *mid = NULL;
  const GstStructure *s;
  Received *received;
  Counter *counter;
  GstElement *bin;
  guint ssrc = 0;
  gboolean video;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  g_object_get (pad, "transceiver", &trans, NULL);
  g_object_get (trans, "mid", &mid, NULL);
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  s = gst_caps_get_structure (caps, 0);
  gst_structure_get_uint (s, "ssrc", &ssrc);
  video = g_strcmp0 (gst_structure_get_string (s, "media"), "video") == 0;

  bin = gst_parse_bin_from_description (
      video ? "rtpvp8depay request-keyframe=true wait-for-keyframe=true ! vp8dec name=decoder ! "
              "fakesink sync=false async=false"
            : "rtpopusdepay ! opusdec name=decoder ! fakesink sync=false async=false",
      TRUE, NULL);
  g_assert_nonnull (bin);
  gst_bin_add (GST_BIN (peer->pipeline), bin);
  decoder = gst_bin_get_by_name (GST_BIN (bin), "decoder");
  decoded = gst_element_get_static_pad (decoder, "src");

  g_mutex_lock (&peer->lock);
  received = g_hash_table_lookup (peer->received, mid ? mid : "");
  if (received == NULL) {
    received = g_new0 (Received, 1);
    g_hash_table_insert (peer->received, g_strdup (mid ? mid : ""), received);
  }
  received->ssrc = ssrc;
  sink = gst_element_get_static_pad (bin, "sink");
  g_set_object (&received->depayloader, sink);
  g_mutex_unlock (&peer->lock);

  counter = g_new0 (Counter, 1);
  counter->peer = peer;
  counter->mid = g_strdup (mid ? mid : "");
  gst_pad_add_probe (decoded, GST_PAD_PROBE_TYPE_BUFFER, on_decoded, counter, counter_free);
  gst_element_sync_state_with_parent (bin);
  g_assert_cmpint (gst_pad_link (pad, sink), ==, GST_PAD_LINK_OK);
}

static GstPadProbeReturn
on_encoder_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LmrTestPeer *peer = user_data;

  if (gst_video_event_is_force_key_unit (GST_PAD_PROBE_INFO_EVENT (info))) {
    g_mutex_lock (&peer->lock);
    peer->key_requests++;
    g_mutex_unlock (&peer->lock);
  }
  return GST_PAD_PROBE_OK;
}

static void
add_sender (LmrTestPeer *peer, const char *desc, const char *rtp_caps)
{
  g_autoptr (GError) error = NULL;
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, &error);
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;
  g_autoptr (GstCaps) caps = gst_caps_from_string (rtp_caps);
  g_autoptr (GstElement) encoder = NULL;

  g_assert_no_error (error);
  gst_bin_add (GST_BIN (peer->pipeline), bin);
  encoder = gst_bin_get_by_name (GST_BIN (bin), "vencoder");
  if (encoder) {
    g_autoptr (GstPad) pad = gst_element_get_static_pad (encoder, "src");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_encoder_event, peer, NULL);
  }
  sink = gst_element_request_pad_simple (peer->webrtc, "sink_%u");
  src = gst_element_get_static_pad (bin, "src");
  g_assert_cmpint (gst_pad_link (src, sink), ==, GST_PAD_LINK_OK);
  g_object_get (sink, "transceiver", &trans, NULL);
  g_object_set (trans, "codec-preferences", caps, "do-nack", TRUE, NULL);
}

LmrTestPeer *
lmr_test_peer_new (const char                 *id,
                   guint                       index,
                   const LmrTestPeerCallbacks *callbacks,
                   gpointer                    user_data)
{
  LmrTestPeer *peer = g_new0 (LmrTestPeer, 1);
  g_autofree char *video = NULL;
  g_autofree char *audio = NULL;
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  peer->id = g_strdup (id);
  peer->index = index;
  peer->callbacks = *callbacks;
  peer->user_data = user_data;
  peer->context = g_main_context_ref_thread_default ();
  g_mutex_init (&peer->lock);
  peer->received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, received_free);

  peer->pipeline = gst_pipeline_new (id);
  peer->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  g_assert_nonnull (peer->webrtc);
  gst_bin_add (GST_BIN (peer->pipeline), peer->webrtc);
  g_object_set (peer->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", 50, NULL);
  g_object_get (peer->webrtc, "ice-agent", &ice, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  g_object_set (agent, "upnp", FALSE, NULL);
  g_signal_connect (peer->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), peer);
  g_signal_connect (peer->webrtc, "notify::connection-state", G_CALLBACK (on_connection_state), peer);
  g_signal_connect (peer->webrtc, "on-new-transceiver", G_CALLBACK (on_new_transceiver), peer);
  g_signal_connect (peer->webrtc, "pad-added", G_CALLBACK (on_pad_added), peer);

  /* No periodic keyframe: only requested ones. */
  video = g_strdup_printf (
      "videotestsrc is-live=true pattern=ball ! video/x-raw,width=%d,height=120,framerate=15/1 ! "
      "vp8enc name=vencoder deadline=1 cpu-used=8 threads=1 end-usage=cbr lag-in-frames=0 "
      "error-resilient=default keyframe-max-dist=100000 target-bitrate=150000 ! "
      "rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit", lmr_test_peer_width (index));
  audio = g_strdup_printf (
      "audiotestsrc is-live=true wave=sine freq=440 volume=0.1 ! "
      "audio/x-raw,rate=48000,channels=1 ! opusenc audio-type=voice bitrate=32000 frame-size=%d ! "
      "rtpopuspay pt=111", lmr_test_peer_frame_ms (index));
  add_sender (peer, video, VIDEO_RTP_CAPS);
  add_sender (peer, audio, AUDIO_RTP_CAPS);
  g_assert_cmpint (gst_element_set_state (peer->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  return peer;
}

void
lmr_test_peer_free (LmrTestPeer *peer)
{
  if (peer == NULL)
    return;
  peer->closing = TRUE;
  gst_element_set_state (peer->pipeline, GST_STATE_NULL);
  gst_object_unref (peer->pipeline);
  g_hash_table_unref (peer->received);
  g_mutex_clear (&peer->lock);
  g_main_context_unref (peer->context);
  g_free (peer->id);
  g_free (peer);
}

const char *
lmr_test_peer_get_id (LmrTestPeer *peer)
{
  return peer->id;
}

int
lmr_test_peer_width (guint index)
{
  return 160 + 32 * (int) index;
}

int
lmr_test_peer_frame_ms (guint index)
{
  static const int frame_ms[] = { 20, 10, 40, 60 };

  return frame_ms[index % G_N_ELEMENTS (frame_ms)];
}

guint
lmr_test_peer_get_index (LmrTestPeer *peer)
{
  return peer->index;
}

void
lmr_test_peer_set_offer (LmrTestPeer *peer,
                         const char  *sdp)
{
  GstSDPMessage *msg = NULL;
  GstWebRTCSessionDescription *desc;

  g_assert_cmpint (gst_sdp_message_new_from_text (sdp, &msg), ==, GST_SDP_OK);
  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, msg);
  g_signal_emit_by_name (peer->webrtc, "set-remote-description", desc,
                         gst_promise_new_with_change_func (on_offer_set, peer, NULL));
  gst_webrtc_session_description_free (desc);
}

void
lmr_test_peer_add_candidate (LmrTestPeer *peer,
                             guint        mline,
                             const char  *candidate)
{
  if (candidate[0] != '\0')
    g_signal_emit_by_name (peer->webrtc, "add-ice-candidate", mline, candidate);
}

guint64
lmr_test_peer_frames (LmrTestPeer *peer,
                      const char  *mid,
                      guint       *ssrc,
                      int         *width,
                      int         *frame_ms)
{
  Received *received;
  guint64 frames = 0;

  g_mutex_lock (&peer->lock);
  received = g_hash_table_lookup (peer->received, mid);
  *ssrc = received ? received->ssrc : 0;
  *width = received ? received->width : 0;
  *frame_ms = received ? (int) (received->duration / GST_MSECOND) : 0;
  if (received)
    frames = received->frames;
  g_mutex_unlock (&peer->lock);
  return frames;
}

guint
lmr_test_peer_key_requests (LmrTestPeer *peer)
{
  guint n;

  g_mutex_lock (&peer->lock);
  n = peer->key_requests;
  g_mutex_unlock (&peer->lock);
  return n;
}

gboolean
lmr_test_peer_is_connected (LmrTestPeer *peer)
{
  gboolean connected;

  g_mutex_lock (&peer->lock);
  connected = peer->connected;
  g_mutex_unlock (&peer->lock);
  return connected;
}

char *
lmr_test_peer_describe (LmrTestPeer *peer)
{
  GString *out = g_string_new (peer->id);
  GHashTableIter iter;
  gpointer key, value;

  g_mutex_lock (&peer->lock);
  g_string_append_printf (out, " (%u key requests):", peer->key_requests);
  g_hash_table_iter_init (&iter, peer->received);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_string_append_printf (out, " %s: ssrc %u, %" G_GUINT64_FORMAT " frames, width %d;",
                            (char *) key, ((Received *) value)->ssrc, ((Received *) value)->frames,
                            ((Received *) value)->width);
  g_mutex_unlock (&peer->lock);
  return g_string_free (out, FALSE);
}

void
lmr_test_peer_request_keyframe (LmrTestPeer *peer,
                                const char  *mid)
{
  g_autoptr (GstPad) pad = NULL;
  Received *received;

  g_mutex_lock (&peer->lock);
  received = g_hash_table_lookup (peer->received, mid);
  if (received && received->depayloader)
    pad = gst_object_ref (received->depayloader);
  g_mutex_unlock (&peer->lock);
  g_assert_nonnull (pad);
  /* What a depayloader does when it lost a frame: webrtcbin's rtpsession
   * turns it into a PLI or FIR to the relay. */
  gst_pad_push_event (pad, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                         TRUE, 0));
}

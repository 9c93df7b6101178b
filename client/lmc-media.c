/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-media.h"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

#include "lmc-candidate.h"
#include "lmc-error.h"
#include "lmc-media-counters.h"
#include "lmc-media-private.h"
#include "lmc-sdp.h"

GST_DEBUG_CATEGORY_STATIC (lmc_media_debug);
#define GST_CAT_DEFAULT lmc_media_debug

#define VIDEO_PT 96
#define AUDIO_PT 111
#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define MAX_REMOTE_CANDIDATES 256
#define MAX_REMOTE_OFFERS 100
#define MAX_MLINES 16
#define STUN_PACING_MS 10
/* The round trip comes from RTCP report blocks (RFC 3550 LSR/DLSR), which
 * only regular RTCP packets carry. In GStreamer 1.22 a receiver sends
 * transport-wide CC feedback as early RTCP at every video frame, and the
 * early packets keep pushing the next regular one back: after the first
 * report (often without an LSR, hence no RTT) none followed in a 10 s
 * call. Feedback on a 100 ms clock leaves room for regular reports, which
 * come every second or so (RFC 3550's 5 s minimum does not bind AVPF). */
#define RTCP_MIN_INTERVAL_NS (1 * GST_SECOND)
#define TWCC_FEEDBACK_INTERVAL_NS (100 * GST_MSECOND)

/* Both sides build their transceivers from these caps before any offer is
 * made or applied: only then does the answer keep NACK, PLI and TWCC. */
#define VIDEO_RTP_CAPS \
  "application/x-rtp,media=video,encoding-name=VP8,payload=" G_STRINGIFY (VIDEO_PT) \
  ",clock-rate=90000,rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true" \
  ",rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-transport-cc=(boolean)true" \
  ",extmap-1=(string)" TWCC_URI
#define AUDIO_RTP_CAPS \
  "application/x-rtp,media=audio,encoding-name=OPUS,payload=" G_STRINGIFY (AUDIO_PT) \
  ",clock-rate=48000,encoding-params=(string)2,useinbandfec=(string)1" \
  ",usedtx=(string)1,rtcp-fb-transport-cc=(boolean)true,extmap-1=(string)" TWCC_URI

struct _LmcMedia {
  GObject parent_instance;

  GMainContext *context;
  char *log_id;
  LmcMediaConfig config;
  LmcMediaEventFunc func;
  gpointer user_data;

  GstElement *pipeline;
  GstElement *webrtc;
  GstElement *video_encoder;
  NiceAgent *agent;
  gulong pair_handler;
  guint bus_watch;
  LmcCounters *counters;
  GPtrArray *send_transceivers;   /* ours, made before any negotiation */

  /* Main context only. */
  gboolean offerer;
  gboolean started;
  gboolean stopped;               /* no more events */
  gboolean pipeline_stopped;
  gboolean remote_set;            /* the offerer has the answer */
  gboolean answering;             /* an offer is applied, its answer not yet made */
  char *pending_offer;            /* the latest offer that came meanwhile */
  guint n_remote_offers;
  guint n_remote_mlines;
  guint n_remote_candidates;
  GTask *close_task;
  GSource *close_timeout;

  /* Shared with webrtcbin's and the streaming threads. */
  GMutex lock;
  LmcMediaStats stats;            /* network figures only: counts are in counters */
  GArray *video_ssrcs_in;
  GPtrArray *sessions;            /* webrtcbin's rtpsession elements */
  GstSDPMessage *applied_offer;   /* the remote offer being answered */
  gint offer_started;             /* atomic */
  gint ice_connected;             /* atomic */
  gint connected;                 /* atomic */
};

G_DEFINE_FINAL_TYPE (LmcMedia, lmc_media, G_TYPE_OBJECT)

static void answer_done (LmcMedia *self);

/* ---- Hopping from webrtcbin's threads to the main context ---- */

typedef struct {
  LmcMedia *self;
  LmcMediaEventKind kind;
  char *sdp_type;
  char *text;
  guint mline;
  gboolean video;
  gint64 time_us;
  LmcMediaStats stats;
  char *reason;
  GError *error;
} Hop;

static void
hop_free (gpointer data)
{
  Hop *hop = data;

  g_object_unref (hop->self);
  g_free (hop->sdp_type);
  g_free (hop->text);
  g_free (hop->reason);
  g_clear_error (&hop->error);
  g_free (hop);
}

static gboolean
hop_dispatch (gpointer data)
{
  Hop *hop = data;
  LmcMedia *self = hop->self;
  LmcMediaEvent event = {
    .kind = hop->kind,
    .sdp_type = hop->sdp_type,
    .text = hop->text,
    .mline = hop->mline,
    .video = hop->video,
    .time_us = hop->time_us,
    .stats = &hop->stats,
    .reason = hop->reason,
    .error = hop->error,
  };

  if (!self->stopped && self->func)
    self->func (self, &event, self->user_data);
  if (hop->kind == LMC_MEDIA_EVENT_LOCAL_SDP && !self->offerer)
    answer_done (self);
  return G_SOURCE_REMOVE;
}

static Hop *
hop_new (LmcMedia *self, LmcMediaEventKind kind)
{
  Hop *hop = g_new0 (Hop, 1);

  hop->self = g_object_ref (self);
  hop->kind = kind;
  hop->time_us = g_get_monotonic_time ();
  return hop;
}

static void
hop_send (Hop *hop)
{
  g_main_context_invoke_full (hop->self->context, G_PRIORITY_DEFAULT,
                              hop_dispatch, hop, hop_free);
}

static void
hop_error (LmcMedia *self, const char *reason, GError *error)
{
  Hop *hop = hop_new (self, LMC_MEDIA_EVENT_ERROR);

  GST_WARNING ("[%s] %s: %s", self->log_id, reason, error->message);
  hop->reason = g_strdup (reason);
  hop->error = error;
  hop_send (hop);
}

static GError *
error_from_promise (GstPromise *promise, const char *what)
{
  const GstStructure *reply;
  GError *error = NULL;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return g_error_new (LMC_ERROR, LMC_ERROR_MEDIA, "%s was interrupted", what);
  reply = gst_promise_get_reply (promise);
  if (reply && gst_structure_has_field (reply, "error")) {
    gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
    if (error)
      g_prefix_error (&error, "%s: ", what);
    else
      error = g_error_new (LMC_ERROR, LMC_ERROR_MEDIA, "%s failed", what);
  }
  return error;
}

/* ---- Receiving ---- */

static void
on_first_frame (gpointer user_data)
{
  LmcMedia *self = user_data;

  GST_INFO ("[%s] first remote video frame decoded", self->log_id);
  hop_send (hop_new (self, LMC_MEDIA_EVENT_FIRST_FRAME));
}

static GstElement *
make_receive_bin (LmcMedia *self, const char *kind, const char *encoding, GError **error)
{
  g_autofree char *desc = NULL;
  gboolean display = self->config.display;

  if (g_str_equal (kind, "video") && g_strcmp0 (encoding, "VP8") == 0)
    desc = g_strdup_printf ("rtpvp8depay request-keyframe=true wait-for-keyframe=true ! "
                            "vp8dec name=decoder ! %s",
                            display ? "queue max-size-buffers=3 ! videoconvert ! autovideosink"
                                    : "fakesink sync=false async=false");
  else if (g_str_equal (kind, "audio") && g_strcmp0 (encoding, "OPUS") == 0)
    desc = g_strdup_printf ("rtpopusdepay ! opusdec name=decoder use-inband-fec=true plc=true ! %s",
                            display ? "queue ! audioconvert ! audioresample ! autoaudiosink"
                                    : "fakesink sync=false async=false");
  else
    desc = g_strdup ("fakesink sync=false async=false");

  return gst_parse_bin_from_description (desc, TRUE, error);
}

/* The mid of the transceiver behind one of webrtcbin's pads. */
static char *
pad_mid (GstPad *pad)
{
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;
  char *mid = NULL;

  g_object_get (pad, "transceiver", &trans, NULL);
  if (trans)
    g_object_get (trans, "mid", &mid, NULL);
  return mid;
}

static void
remember_video_ssrc (LmcMedia *self, const GstStructure *s)
{
  guint ssrc = 0;

  if (s == NULL || !gst_structure_get_uint (s, "ssrc", &ssrc))
    return;
  g_mutex_lock (&self->lock);
  g_array_append_val (self->video_ssrcs_in, ssrc);
  g_mutex_unlock (&self->lock);
}

static void
on_webrtc_pad_added (GstElement *webrtc, GstPad *pad, gpointer user_data)
{
  LmcMedia *self = user_data;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstElement) decoder = NULL;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstPad) decoded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *mid = NULL;
  const GstStructure *s;
  const char *kind, *encoding;
  GstElement *bin;
  gboolean is_video;
  Hop *hop;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;

  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  s = caps && !gst_caps_is_empty (caps) ? gst_caps_get_structure (caps, 0) : NULL;
  kind = s ? gst_structure_get_string (s, "media") : NULL;
  encoding = s ? gst_structure_get_string (s, "encoding-name") : NULL;
  kind = kind ? kind : "unknown";
  is_video = g_str_equal (kind, "video");
  mid = pad_mid (pad);
  GST_INFO ("[%s] receiving %s %s on mid %s", self->log_id, kind, encoding ? encoding : "?",
            mid ? mid : "?");

  bin = make_receive_bin (self, kind, encoding, &error);
  if (bin == NULL) {
    hop_error (self, "media_error", g_steal_pointer (&error));
    return;
  }
  gst_bin_add (GST_BIN (self->pipeline), bin);
  decoder = gst_bin_get_by_name (GST_BIN (bin), "decoder");
  if (decoder)
    decoded = gst_element_get_static_pad (decoder, "src");
  if (is_video)
    remember_video_ssrc (self, s);
  if (g_str_equal (kind, "video") || g_str_equal (kind, "audio"))
    lmc_counters_watch_stream (self->counters, mid ? mid : "", is_video, pad, decoded);

  gst_element_sync_state_with_parent (bin);
  sink = gst_element_get_static_pad (bin, "sink");
  if (sink == NULL || gst_pad_link (pad, sink) != GST_PAD_LINK_OK) {
    hop_error (self, "media_error",
               g_error_new (LMC_ERROR, LMC_ERROR_MEDIA, "cannot link the received %s stream", kind));
    return;
  }
  hop = hop_new (self, LMC_MEDIA_EVENT_REMOTE_STREAM);
  hop->text = g_strdup (mid ? mid : "");
  hop->video = is_video;
  hop_send (hop);
}

/* gst_sdp_media_attributes_to_caps() copies every attribute, the
 * section's SSRCs and the peer's fingerprint included: webrtcbin would
 * write them back into the answer. Keep the header extensions only. */
static gboolean
keep_codec_field (GQuark field, GValue *value, gpointer user_data)
{
  const char *name = g_quark_to_string (field);

  return !g_str_has_prefix (name, "a-") && !g_str_has_prefix (name, "ssrc-") &&
         !g_str_has_prefix (name, "x-");
}

/* The caps of section `mline` of `offer` for its first media format, with
 * its feedback and header extensions, as webrtcbin reads an offer. */
static GstCaps *
offer_media_caps (const GstSDPMessage *offer, guint mline)
{
  const GstSDPMedia *media = offer ? gst_sdp_message_get_media (offer, mline) : NULL;

  for (guint i = 0; media && i < gst_sdp_media_formats_len (media); i++) {
    guint64 pt;
    GstCaps *caps;
    GstStructure *s;
    const char *encoding;

    if (!g_ascii_string_to_unsigned (gst_sdp_media_get_format (media, i), 10, 0, 127, &pt, NULL))
      continue;
    caps = gst_sdp_media_get_caps_from_media (media, (gint) pt);
    if (caps == NULL)
      continue;
    caps = gst_caps_make_writable (caps);
    s = gst_caps_get_structure (caps, 0);
    encoding = gst_structure_get_string (s, "encoding-name");
    if (g_strcmp0 (encoding, "VP8") != 0 && g_strcmp0 (encoding, "OPUS") != 0) {
      gst_caps_unref (caps);
      continue;
    }
    gst_structure_set_name (s, "application/x-rtp");
    gst_sdp_media_attributes_to_caps (media, caps);
    gst_structure_filter_and_map_in_place (gst_caps_get_structure (caps, 0), keep_codec_field, NULL);
    return caps;
  }
  return NULL;
}

/* NACK and retransmission for video only: Opus has its own in-band FEC,
 * and Chromium refuses an offer with an RTX stream for audio. */
static gboolean
caps_are_video (GstCaps *caps)
{
  const GstStructure *s =
    caps && gst_caps_get_size (caps) > 0 ? gst_caps_get_structure (caps, 0) : NULL;

  return s && g_strcmp0 (gst_structure_get_string (s, "media"), "video") == 0;
}

/* Transceivers webrtcbin made for media sections of a remote offer take
 * the offer's direction (sendonly from a relay), which it would then
 * answer with "inactive"; without codec preferences webrtcbin answers
 * them through yet another transceiver of its own, which a later offer
 * no longer finds. Make them receivers of what the offer sends, whose
 * payload type is the section's own (a relay gives each forwarded stream
 * one). */
static void
prepare_receive_transceivers (LmcMedia *self)
{
  g_autoptr (GArray) transceivers = NULL;
  g_autoptr (GstSDPMessage) offer = NULL;

  g_mutex_lock (&self->lock);
  if (self->applied_offer)
    gst_sdp_message_copy (self->applied_offer, &offer);
  g_mutex_unlock (&self->lock);

  g_signal_emit_by_name (self->webrtc, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len; i++) {
    GstWebRTCRTPTransceiver *trans = g_array_index (transceivers, GstWebRTCRTPTransceiver *, i);
    g_autoptr (GstCaps) caps = NULL;
    guint mline = G_MAXUINT;

    if (g_ptr_array_find (self->send_transceivers, trans, NULL))
      continue;
    g_object_get (trans, "mlineindex", &mline, NULL);
    caps = mline != G_MAXUINT ? offer_media_caps (offer, mline) : NULL;
    if (caps == NULL)
      continue;
    g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY,
                  "codec-preferences", caps, "do-nack", caps_are_video (caps), NULL);
  }
}

/* ---- Sending ---- */

static char *
video_send_description (const LmcMediaConfig *config)
{
  const char *source = config->video == LMC_VIDEO_SOURCE_V4L2
                       ? "v4l2src name=source"
                       : "videotestsrc name=source is-live=true pattern=smpte horizontal-speed=4";
  const char *self_view = config->display
                          ? "tee name=selfview ! queue max-size-buffers=1 leaky=downstream ! "
                            "videoconvert ! autovideosink sync=false selfview. ! "
                          : "";

  return g_strdup_printf (
      "%s ! videoconvert ! videoscale ! videorate ! "
      "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! %s"
      "queue max-size-buffers=2 max-size-bytes=0 max-size-time=0 leaky=downstream ! "
      "vp8enc name=encoder deadline=1 cpu-used=8 threads=1 end-usage=cbr lag-in-frames=0 "
      "error-resilient=default keyframe-max-dist=60 target-bitrate=%d ! "
      "rtpvp8pay name=payloader pt=%d mtu=1200 picture-id-mode=15-bit",
      source, config->width, config->height, config->fps, self_view,
      config->max_bitrate_kbps * 1000, VIDEO_PT);
}

static char *
audio_send_description (const LmcMediaConfig *config)
{
  const char *source = config->audio == LMC_AUDIO_SOURCE_TEST
                       ? "audiotestsrc name=source is-live=true wave=sine freq=440 "
                         "volume=0.1 samplesperbuffer=960"
                       : "autoaudiosrc name=source";

  return g_strdup_printf (
      "%s ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! "
      "queue max-size-time=100000000 max-size-buffers=0 max-size-bytes=0 leaky=downstream ! "
      "opusenc name=encoder audio-type=voice bitrate=32000 inband-fec=true dtx=true "
      "packet-loss-percentage=10 frame-size=20 ! rtpopuspay name=payloader pt=%d dtx=true",
      source, AUDIO_PT);
}

static gboolean
set_transceiver (LmcMedia *self, GstPad *pad, GstCaps *caps, GError **error)
{
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;

  g_object_get (pad, "transceiver", &trans, NULL);
  if (trans == NULL) {
    g_set_error_literal (error, LMC_ERROR, LMC_ERROR_MEDIA, "webrtcbin made no transceiver");
    return FALSE;
  }
  g_object_set (trans, "codec-preferences", caps, "do-nack", caps_are_video (caps), NULL);
  g_ptr_array_add (self->send_transceivers, g_steal_pointer (&trans));
  return TRUE;
}

/* desc → payloader → a new webrtcbin sink pad with its transceiver. The
 * pad is asked for with its caps, so that its transceiver has a kind from
 * the start: a remote offer's video and audio sections then find ours
 * whatever their order. */
static gboolean
add_send_branch (LmcMedia    *self,
                 const char  *desc,
                 const char  *rtp_caps,
                 gboolean     is_video,
                 GError     **error)
{
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstElement) source = NULL;
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstCaps) caps = gst_caps_from_string (rtp_caps);
  GstPadTemplate *templ;
  GstElement *bin;

  bin = gst_parse_bin_from_description (desc, TRUE, error);
  if (bin == NULL)
    return FALSE;
  gst_bin_add (GST_BIN (self->pipeline), bin);

  source = gst_bin_get_by_name (GST_BIN (bin), "source");
  if (is_video && self->config.video == LMC_VIDEO_SOURCE_V4L2 && self->config.video_device)
    g_object_set (source, "device", self->config.video_device, NULL);
  if (is_video) {
    encoder = gst_bin_get_by_name (GST_BIN (bin), "encoder");
    self->video_encoder = gst_object_ref (encoder);
  }

  templ = gst_element_get_pad_template (self->webrtc, "sink_%u");
  sink = gst_element_request_pad (self->webrtc, templ, NULL, caps);
  src = gst_element_get_static_pad (bin, "src");
  if (sink == NULL || src == NULL || gst_pad_link (src, sink) != GST_PAD_LINK_OK) {
    g_set_error (error, LMC_ERROR, LMC_ERROR_MEDIA, "cannot link the %s encoder to webrtcbin",
                 is_video ? "video" : "audio");
    return FALSE;
  }
  return set_transceiver (self, sink, caps, error);
}

static void
add_receive_only (LmcMedia *self, const char *rtp_caps)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (rtp_caps);
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;

  g_signal_emit_by_name (self->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
  if (trans)
    g_object_set (trans, "do-nack", caps_are_video (caps), NULL);
}

/* ---- Negotiation (webrtcbin's threads) ---- */

static void
send_local_description (LmcMedia *self, GstWebRTCSessionDescription *desc)
{
  Hop *hop = hop_new (self, LMC_MEDIA_EVENT_LOCAL_SDP);

  g_signal_emit_by_name (self->webrtc, "set-local-description", desc, NULL);
  hop->sdp_type = g_strdup (gst_webrtc_sdp_type_to_string (desc->type));
  hop->text = gst_sdp_message_as_text (desc->sdp);
  GST_DEBUG ("[%s] local %s:\n%s", self->log_id, hop->sdp_type, hop->text);
  hop_send (hop);
}

static void
on_description_created (GstPromise *promise, gpointer user_data)
{
  LmcMedia *self = user_data;
  const char *field = self->offerer ? "offer" : "answer";
  GstWebRTCSessionDescription *desc = NULL;
  GError *error = error_from_promise (promise, self->offerer ? "create-offer" : "create-answer");

  if (error == NULL) {
    gst_structure_get (gst_promise_get_reply (promise), field,
                       GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
    if (desc == NULL)
      error = g_error_new (LMC_ERROR, LMC_ERROR_MEDIA, "webrtcbin made no %s", field);
  }
  gst_promise_unref (promise);

  if (error) {
    hop_error (self, "media_error", error);
    return;
  }
  send_local_description (self, desc);
  gst_webrtc_session_description_free (desc);
}

static void
on_webrtc_negotiation_needed (GstElement *webrtc, gpointer user_data)
{
  LmcMedia *self = user_data;
  GstPromise *promise;

  /* The offerer makes one offer (a direct consultation); as the answerer,
   * webrtcbin also asks when a relay's offer added streams: ignored. */
  if (!self->offerer || !g_atomic_int_compare_and_exchange (&self->offer_started, 0, 1))
    return;
  promise = gst_promise_new_with_change_func (on_description_created, self, NULL);
  g_signal_emit_by_name (webrtc, "create-offer", NULL, promise);
}

static void
on_remote_description_set (GstPromise *promise, gpointer user_data)
{
  LmcMedia *self = user_data;
  GError *error = error_from_promise (promise, "set-remote-description");

  gst_promise_unref (promise);
  if (error) {
    error->domain = LMC_ERROR;
    error->code = LMC_ERROR_PEER;
    hop_error (self, "bad_sdp", error);
    return;
  }
  if (!self->offerer) {
    GstPromise *answer = gst_promise_new_with_change_func (on_description_created, self, NULL);

    prepare_receive_transceivers (self);
    g_signal_emit_by_name (self->webrtc, "create-answer", NULL, answer);
  }
}

static void
on_webrtc_ice_candidate (GstElement *webrtc, guint mline, char *candidate, gpointer user_data)
{
  LmcMedia *self = user_data;
  Hop *hop = hop_new (self, LMC_MEDIA_EVENT_LOCAL_CANDIDATE);

  hop->mline = mline;
  hop->text = g_strdup (candidate);
  hop_send (hop);
}

static void
on_webrtc_gathering_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  LmcMedia *self = user_data;
  GstWebRTCICEGatheringState state;
  Hop *hop;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  hop = hop_new (self, LMC_MEDIA_EVENT_LOCAL_CANDIDATE);
  hop->text = g_strdup ("");
  hop_send (hop);
}

static void
on_webrtc_ice_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  LmcMedia *self = user_data;
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  GST_DEBUG ("[%s] ICE connection state %d", self->log_id, state);
  if ((state == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
       state == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED) &&
      g_atomic_int_compare_and_exchange (&self->ice_connected, 0, 1)) {
    GST_INFO ("[%s] ICE connected", self->log_id);
    hop_send (hop_new (self, LMC_MEDIA_EVENT_ICE_CONNECTED));
  } else if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED) {
    hop_error (self, "ice_failed",
               g_error_new_literal (LMC_ERROR, LMC_ERROR_MEDIA, "ICE failed: no working candidate pair"));
  }
}

static void
on_webrtc_connection_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  LmcMedia *self = user_data;
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED &&
      g_atomic_int_compare_and_exchange (&self->connected, 0, 1)) {
    /* Everything encoded before DTLS was up was dropped: start the
     * stream with a key frame instead of waiting for the next one. */
    if (self->video_encoder) {
      g_autoptr (GstPad) pad = gst_element_get_static_pad (self->video_encoder, "src");

      gst_pad_send_event (pad, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                            TRUE, 0));
    }
    GST_INFO ("[%s] connected (ICE and DTLS)", self->log_id);
    hop_send (hop_new (self, LMC_MEDIA_EVENT_CONNECTED));
  } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    hop_error (self, "connection_failed",
               g_error_new_literal (LMC_ERROR, LMC_ERROR_MEDIA, "the peer connection failed"));
  }
}

static void
on_agent_selected_pair (NiceAgent *agent, guint stream_id, guint component_id,
                        NiceCandidate *local, NiceCandidate *remote, gpointer user_data)
{
  LmcMedia *self = user_data;

  g_mutex_lock (&self->lock);
  self->stats.local_candidate_type = lmc_media_nice_type_to_string (local->type);
  self->stats.remote_candidate_type = lmc_media_nice_type_to_string (remote->type);
  g_mutex_unlock (&self->lock);
  GST_INFO ("[%s] selected pair %s -> %s", self->log_id,
            lmc_media_nice_type_to_string (local->type),
            lmc_media_nice_type_to_string (remote->type));
}

/* ---- Statistics ---- */

/* The RTT from the RTCP report blocks the rtpsessions hold: webrtcbin
 * 1.22's remote-inbound-rtp entries are missing on some sides and say 0
 * for a report block without an LSR. */
static double
sessions_rtt (LmcMedia *self)
{
  g_autoptr (GPtrArray) sessions = g_ptr_array_new_with_free_func (gst_object_unref);
  double sum = 0;
  guint n = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->sessions->len; i++)
    g_ptr_array_add (sessions, gst_object_ref (g_ptr_array_index (self->sessions, i)));
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < sessions->len; i++) {
    GstStructure *stats = NULL;
    double rtt;

    g_object_get (g_ptr_array_index (sessions, i), "stats", &stats, NULL);
    rtt = lmc_media_stats_session_rtt (stats);
    GST_LOG ("[%s] session stats (rtt %.3f ms): %" GST_PTR_FORMAT, self->log_id, rtt, stats);
    gst_clear_structure (&stats);
    if (rtt > 0) {
      sum += rtt;
      n++;
    }
  }
  return n > 0 ? sum / n : -1;
}

static void
on_stats_ready (GstPromise *promise, gpointer user_data)
{
  LmcMedia *self = user_data;
  const GstStructure *reply = NULL;
  LmcMediaStatsNet net;
  g_autoptr (GArray) ssrcs = NULL;
  double rtt = sessions_rtt (self);
  Hop *hop;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);

  g_mutex_lock (&self->lock);
  ssrcs = g_array_copy (self->video_ssrcs_in);
  g_mutex_unlock (&self->lock);

  lmc_media_stats_parse (reply, (const guint *) ssrcs->data, ssrcs->len, &net);

  g_mutex_lock (&self->lock);
  if (net.valid) {
    self->stats.packets_received = net.packets_received;
    self->stats.packets_lost = net.packets_lost;
  }
  /* A report block without an LSR gives no RTT: keep the last one. */
  if (rtt > 0)
    self->stats.rtt_ms = rtt;
  else if (net.rtt_ms > 0)
    self->stats.rtt_ms = net.rtt_ms;
  hop = hop_new (self, LMC_MEDIA_EVENT_STATS);
  hop->stats = self->stats;
  g_mutex_unlock (&self->lock);
  lmc_counters_get (self->counters, &hop->stats);
  hop->stats.time_us = hop->time_us;
  hop_send (hop);
}

void
lmc_media_request_stats (LmcMedia *self)
{
  GstPromise *promise;

  g_return_if_fail (LMC_IS_MEDIA (self));
  if (self->stopped || !self->started)
    return;
  promise = gst_promise_new_with_change_func (on_stats_ready, g_object_ref (self), g_object_unref);
  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
  gst_promise_unref (promise);
}

void
lmc_media_get_stats (LmcMedia *self, LmcMediaStats *stats)
{
  g_return_if_fail (LMC_IS_MEDIA (self));
  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
  lmc_counters_get (self->counters, stats);
  stats->time_us = g_get_monotonic_time ();
}

GArray *
lmc_media_get_stream_stats (LmcMedia *self)
{
  g_return_val_if_fail (LMC_IS_MEDIA (self), NULL);
  return lmc_counters_get_streams (self->counters);
}

void
lmc_media_freeze_counters (LmcMedia *self)
{
  g_return_if_fail (LMC_IS_MEDIA (self));
  lmc_counters_freeze (self->counters);
}

/* ---- Bus ---- */

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  LmcMedia *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (message, &error, &debug);
      GST_WARNING ("[%s] pipeline error from %s: %s (%s)", self->log_id,
                   GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message, debug ? debug : "");
      if (!self->stopped && self->func) {
        LmcMediaEvent event = { .kind = LMC_MEDIA_EVENT_ERROR, .reason = "media_error",
                                .error = error };

        self->func (self, &event, self->user_data);
      }
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (message, &error, &debug);
      GST_WARNING ("[%s] pipeline warning from %s: %s", self->log_id,
                   GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* ---- Set-up ---- */

/* webrtcbin builds its transports and RTP sessions as negotiation goes:
 * count what leaves at each nicesink, and let each rtpsession send the
 * regular reports that measure the round trip (see RTCP_MIN_INTERVAL_NS). */
static void
on_webrtc_deep_element_added (GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer user_data)
{
  LmcMedia *self = user_data;
  GstElementFactory *factory = gst_element_get_factory (element);
  const char *name = factory ? gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory)) : NULL;

  if (g_strcmp0 (name, "nicesink") == 0) {
    g_autoptr (GstPad) pad = gst_element_get_static_pad (element, "sink");

    if (pad)
      lmc_counters_watch_network_out (self->counters, pad);
  } else if (g_strcmp0 (name, "rtpsession") == 0) {
    g_autoptr (GObject) session = NULL;

    g_object_set (element, "rtcp-min-interval", (guint64) RTCP_MIN_INTERVAL_NS, NULL);
    g_object_get (element, "internal-session", &session, NULL);
    if (session && g_object_class_find_property (G_OBJECT_GET_CLASS (session),
                                                 "twcc-feedback-interval"))
      g_object_set (session, "twcc-feedback-interval", (guint64) TWCC_FEEDBACK_INTERVAL_NS, NULL);
    g_mutex_lock (&self->lock);
    g_ptr_array_add (self->sessions, gst_object_ref (element));
    g_mutex_unlock (&self->lock);
  }
}

static void
configure_ice (LmcMedia *self)
{
  g_autoptr (GObject) ice = NULL;
  const LmcMediaConfig *config = &self->config;

  g_object_get (self->webrtc, "ice-agent", &ice, NULL);
  if (ice && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "ice-tcp"))
    g_object_set (ice, "ice-tcp", FALSE, NULL);
  if (ice && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &self->agent, NULL);
  if (self->agent) {
    g_object_set (self->agent, "upnp", FALSE, NULL);
    /* libnice paces connectivity checks 20 ms apart; 10 ms (RFC 8445
     * allows 5) cut ICE on loopback from ~125 to ~90 ms. */
    g_object_set (self->agent, "stun-pacing-timer", STUN_PACING_MS, NULL);
    self->pair_handler = g_signal_connect (self->agent, "new-selected-pair-full",
                                           G_CALLBACK (on_agent_selected_pair), self);
  }

  if (config->stun_servers && config->stun_servers[0])
    g_object_set (self->webrtc, "stun-server", config->stun_servers[0], NULL);
  for (guint i = 0; config->turn_servers && config->turn_servers[i]; i++) {
    gboolean ok = FALSE;

    g_signal_emit_by_name (self->webrtc, "add-turn-server", config->turn_servers[i], &ok);
    if (!ok)
      GST_WARNING ("[%s] webrtcbin refused TURN server %u", self->log_id, i);
  }
  if (config->relay_only)
    g_object_set (self->webrtc, "ice-transport-policy",
                  GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
}

static gboolean
build_pipeline (LmcMedia *self, GError **error)
{
  g_autofree char *video_desc = video_send_description (&self->config);
  g_autoptr (GstBus) bus = NULL;

  self->pipeline = gst_pipeline_new (self->log_id);
  self->webrtc = gst_element_factory_make ("webrtcbin", "webrtc");
  if (self->webrtc == NULL) {
    g_set_error_literal (error, LMC_ERROR, LMC_ERROR_MEDIA,
                         "webrtcbin is missing (install gstreamer1.0-plugins-bad and gstreamer1.0-nice)");
    return FALSE;
  }
  gst_object_ref (self->webrtc);
  gst_bin_add (GST_BIN (self->pipeline), self->webrtc);
  g_object_set (self->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", self->config.latency_ms, NULL);
  configure_ice (self);

  g_signal_connect (self->webrtc, "on-negotiation-needed",
                    G_CALLBACK (on_webrtc_negotiation_needed), self);
  g_signal_connect (self->webrtc, "on-ice-candidate", G_CALLBACK (on_webrtc_ice_candidate), self);
  g_signal_connect (self->webrtc, "notify::ice-gathering-state",
                    G_CALLBACK (on_webrtc_gathering_state), self);
  g_signal_connect (self->webrtc, "notify::ice-connection-state",
                    G_CALLBACK (on_webrtc_ice_state), self);
  g_signal_connect (self->webrtc, "notify::connection-state",
                    G_CALLBACK (on_webrtc_connection_state), self);
  g_signal_connect (self->webrtc, "pad-added", G_CALLBACK (on_webrtc_pad_added), self);
  g_signal_connect (self->webrtc, "deep-element-added",
                    G_CALLBACK (on_webrtc_deep_element_added), self);

  if (!add_send_branch (self, video_desc, VIDEO_RTP_CAPS, TRUE, error))
    return FALSE;
  if (self->config.audio == LMC_AUDIO_SOURCE_NONE) {
    add_receive_only (self, AUDIO_RTP_CAPS);
  } else {
    g_autofree char *audio_desc = audio_send_description (&self->config);

    if (!add_send_branch (self, audio_desc, AUDIO_RTP_CAPS, FALSE, error))
      return FALSE;
  }

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);
  return TRUE;
}

LmcMedia *
lmc_media_new (const LmcMediaConfig *config,
               const char           *log_id,
               LmcMediaEventFunc     func,
               gpointer              user_data,
               GError              **error)
{
  g_autoptr (LmcMedia) self = g_object_new (LMC_TYPE_MEDIA, NULL);

  self->log_id = g_strdup (log_id ? log_id : "media");
  self->counters = lmc_counters_new (VIDEO_PT, AUDIO_PT, on_first_frame, self);
  lmc_media_config_copy (config, &self->config);
  self->func = func;
  self->user_data = user_data;
  if (!build_pipeline (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
lmc_media_start (LmcMedia  *self,
                 gboolean   offerer,
                 GError   **error)
{
  g_return_val_if_fail (LMC_IS_MEDIA (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  self->offerer = offerer;
  self->started = TRUE;
  GST_INFO ("[%s] starting media as %s", self->log_id, offerer ? "offerer" : "answerer");
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error_literal (error, LMC_ERROR, LMC_ERROR_MEDIA,
                         "the media pipeline does not start (is the camera or microphone busy?)");
    return FALSE;
  }
  return TRUE;
}

static gboolean
apply_remote_description (LmcMedia *self, int sdp_type, const char *sdp, GError **error)
{
  GstSDPMessage *msg = lmc_sdp_parse (sdp, error);
  GstWebRTCSessionDescription *desc;
  GstPromise *promise;

  if (msg == NULL)
    return FALSE;
  GST_DEBUG ("[%s] remote %s:\n%s", self->log_id, gst_webrtc_sdp_type_to_string (sdp_type), sdp);
  self->n_remote_mlines = MAX (self->n_remote_mlines, gst_sdp_message_medias_len (msg));
  if (sdp_type == GST_WEBRTC_SDP_TYPE_OFFER) {
    self->answering = TRUE;
    g_mutex_lock (&self->lock);
    g_clear_pointer (&self->applied_offer, gst_sdp_message_free);
    gst_sdp_message_copy (msg, &self->applied_offer);
    g_mutex_unlock (&self->lock);
  }
  desc = gst_webrtc_session_description_new (sdp_type, msg);
  promise = gst_promise_new_with_change_func (on_remote_description_set, self, NULL);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", desc, promise);
  gst_webrtc_session_description_free (desc);
  return TRUE;
}

/* Our answer is made: an offer that came meanwhile is next. */
static void
answer_done (LmcMedia *self)
{
  g_autofree char *offer = g_steal_pointer (&self->pending_offer);
  g_autoptr (GError) error = NULL;

  self->answering = FALSE;
  if (offer == NULL || self->stopped)
    return;
  GST_INFO ("[%s] applying the offer that came during the last answer", self->log_id);
  if (!apply_remote_description (self, GST_WEBRTC_SDP_TYPE_OFFER, offer, &error))
    hop_error (self, "bad_sdp", g_steal_pointer (&error));
}

static gboolean
check_remote_type (LmcMedia *self, const char *type, int sdp_type, GError **error)
{
  gboolean is_offer = sdp_type == GST_WEBRTC_SDP_TYPE_OFFER;

  if (is_offer == self->offerer || (self->offerer && self->remote_set)) {
    g_set_error (error, LMC_ERROR, LMC_ERROR_PEER, "unexpected SDP %s: this side is the %s",
                 type, self->offerer ? "offerer" : "answerer");
    return FALSE;
  }
  if (is_offer && ++self->n_remote_offers > MAX_REMOTE_OFFERS) {
    g_set_error (error, LMC_ERROR, LMC_ERROR_PEER, "more than %d offers in one consultation",
                 MAX_REMOTE_OFFERS);
    return FALSE;
  }
  return TRUE;
}

gboolean
lmc_media_set_remote_description (LmcMedia    *self,
                                  const char  *type,
                                  const char  *sdp,
                                  GError     **error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  int sdp_type;

  g_return_val_if_fail (LMC_IS_MEDIA (self), FALSE);

  if (!lmc_sdp_type_from_string (type, &sdp_type)) {
    g_set_error (error, LMC_ERROR, LMC_ERROR_PEER, "unsupported SDP type \"%s\"", type ? type : "");
    return FALSE;
  }
  if (!check_remote_type (self, type, sdp_type, error))
    return FALSE;
  if (!self->answering) {
    if (!apply_remote_description (self, sdp_type, sdp, error))
      return FALSE;
    self->remote_set = self->offerer;
    return TRUE;
  }

  /* Checked now, applied once the current answer is made. */
  msg = lmc_sdp_parse (sdp, error);
  if (msg == NULL)
    return FALSE;
  self->n_remote_mlines = MAX (self->n_remote_mlines, gst_sdp_message_medias_len (msg));
  g_free (self->pending_offer);
  self->pending_offer = g_strdup (sdp);
  return TRUE;
}

gboolean
lmc_media_add_remote_candidate (LmcMedia    *self,
                                guint        mline,
                                const char  *candidate,
                                GError     **error)
{
  guint limit;

  g_return_val_if_fail (LMC_IS_MEDIA (self), FALSE);

  if (candidate == NULL || candidate[0] == '\0')
    return TRUE;   /* end of candidates: nothing to do for libnice */
  if (!lmc_candidate_parse (candidate, NULL, error))
    return FALSE;
  limit = self->remote_set ? self->n_remote_mlines : MAX_MLINES;
  if (mline >= limit) {
    g_set_error (error, LMC_ERROR, LMC_ERROR_PEER,
                 "bad ICE candidate: sdpMLineIndex %u, the description has %u m-lines", mline, limit);
    return FALSE;
  }
  if (++self->n_remote_candidates > MAX_REMOTE_CANDIDATES) {
    if (self->n_remote_candidates == MAX_REMOTE_CANDIDATES + 1)
      GST_WARNING ("[%s] more than %d remote candidates: ignoring the rest",
                   self->log_id, MAX_REMOTE_CANDIDATES);
    return TRUE;
  }
  g_signal_emit_by_name (self->webrtc, "add-ice-candidate", mline, candidate);
  return TRUE;
}

static void
stop_pipeline (LmcMedia *self)
{
  if (self->pipeline_stopped)
    return;
  self->pipeline_stopped = TRUE;
  GST_INFO ("[%s] stopping media", self->log_id);
  if (self->pipeline)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  if (self->agent && self->pair_handler)
    g_clear_signal_handler (&self->pair_handler, self->agent);
}

static void
finish_close (LmcMedia *self, gboolean confirmed)
{
  GTask *task = g_steal_pointer (&self->close_task);

  if (self->close_timeout) {
    g_source_destroy (self->close_timeout);
    g_clear_pointer (&self->close_timeout, g_source_unref);
  }
  stop_pipeline (self);
  if (task == NULL)
    return;
  if (confirmed)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                             "the ICE agent did not confirm the release of its allocations in time");
  g_object_unref (task);
}

static void
on_agent_closed (GObject *agent, GAsyncResult *result, gpointer user_data)
{
  LmcMedia *self = user_data;

  if (self->close_task) {
    GST_INFO ("[%s] the ICE agent released its server allocations", self->log_id);
    finish_close (self, TRUE);
  }
  g_object_unref (self);
}

static gboolean
on_close_timeout (gpointer user_data)
{
  LmcMedia *self = user_data;

  GST_WARNING ("[%s] the ICE agent did not release its TURN allocations in time", self->log_id);
  finish_close (self, FALSE);
  return G_SOURCE_REMOVE;
}

void
lmc_media_close_async (LmcMedia            *self,
                       guint                timeout_ms,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (LMC_IS_MEDIA (self));
  g_return_if_fail (self->close_task == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lmc_media_close_async);
  self->stopped = TRUE;
  if (self->pipeline_stopped || self->agent == NULL || !self->started) {
    stop_pipeline (self);
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  /* libnice refreshes TURN allocations until they are closed: without
   * this the server keeps them (and the agent warns at exit). The reply
   * comes on this thread's context, where the task was made. */
  self->close_task = task;
  self->close_timeout = g_timeout_source_new (timeout_ms);
  g_source_set_callback (self->close_timeout, on_close_timeout, self, NULL);
  g_source_attach (self->close_timeout, self->context);
  nice_agent_close_async (self->agent, on_agent_closed, g_object_ref (self));
}

gboolean
lmc_media_close_finish (LmcMedia      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
lmc_media_stop (LmcMedia *self)
{
  g_return_if_fail (LMC_IS_MEDIA (self));

  self->stopped = TRUE;
  finish_close (self, FALSE);
}

/* ---- Prewarm ---- */

typedef struct {
  GMainContext *context;
  GSourceFunc ready;
  gpointer user_data;
} Prewarm;

static gpointer
prewarm_thread (gpointer data)
{
  Prewarm *prewarm = data;
  GstElement *dtls = gst_element_factory_make ("dtlsdec", NULL);

  /* Creating the first dtlsdec generates the process-wide certificate. */
  if (dtls)
    gst_object_unref (dtls);
  if (prewarm->ready)
    g_main_context_invoke (prewarm->context, prewarm->ready, prewarm->user_data);
  g_main_context_unref (prewarm->context);
  g_free (prewarm);
  return NULL;
}

GThread *
lmc_media_prewarm (GSourceFunc ready, gpointer user_data)
{
  Prewarm *prewarm = g_new0 (Prewarm, 1);

  prewarm->context = g_main_context_ref_thread_default ();
  prewarm->ready = ready;
  prewarm->user_data = user_data;
  return g_thread_new ("lmc-prewarm", prewarm_thread, prewarm);
}

/* ---- GObject ---- */

static void
lmc_media_dispose (GObject *object)
{
  LmcMedia *self = LMC_MEDIA (object);

  if (self->pipeline)
    lmc_media_stop (self);
  g_clear_pointer (&self->sessions, g_ptr_array_unref);
  g_clear_pointer (&self->send_transceivers, g_ptr_array_unref);
  g_clear_object (&self->agent);
  g_clear_object (&self->video_encoder);
  g_clear_object (&self->webrtc);
  g_clear_object (&self->pipeline);
  G_OBJECT_CLASS (lmc_media_parent_class)->dispose (object);
}

static void
lmc_media_finalize (GObject *object)
{
  LmcMedia *self = LMC_MEDIA (object);

  g_free (self->log_id);
  g_free (self->pending_offer);
  g_clear_pointer (&self->applied_offer, gst_sdp_message_free);
  lmc_counters_free (self->counters);
  g_array_unref (self->video_ssrcs_in);
  lmc_media_config_clear (&self->config);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (lmc_media_parent_class)->finalize (object);
}

static void
lmc_media_class_init (LmcMediaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lmc_media_dispose;
  object_class->finalize = lmc_media_finalize;
  GST_DEBUG_CATEGORY_INIT (lmc_media_debug, "lmc-media", 0, "lastmile client media engine");
}

static void
lmc_media_init (LmcMedia *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->stats.rtt_ms = -1;
  self->video_ssrcs_in = g_array_new (FALSE, FALSE, sizeof (guint));
  self->sessions = g_ptr_array_new_with_free_func (gst_object_unref);
  self->send_transceivers = g_ptr_array_new_with_free_func (gst_object_unref);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-leg.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

#include "lmr-candidate.h"
#include "lmr-error.h"
#include "lmr-hop.h"
#include "lmr-keyframe.h"
#include "lmr-sdp.h"

GST_DEBUG_CATEGORY_STATIC (lmr_leg_debug);
#define GST_CAT_DEFAULT lmr_leg_debug

/* The codecs and feedback of lastmile-client (client/lmc-media.c), which
 * sends video at PT 96 and audio at PT 111: the relay offers those for the
 * member's own sections. Each forwarded stream goes out on a section with
 * a payload type of its own (lmr-rewrite.h): video from 98 up in steps of
 * two (webrtcbin gives each its RTX type, the odd one above), audio from
 * 112 up. Audio has no NACK (so no RTX): Opus's in-band FEC covers it,
 * and Chromium refuses an offer with an RTX stream for audio. */
#define VIDEO_PT 96
#define AUDIO_PT 111
#define FIRST_VIDEO_SEND_PT 98
#define LAST_VIDEO_SEND_PT 108
#define FIRST_AUDIO_SEND_PT 112
#define LAST_AUDIO_SEND_PT 127
#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define VIDEO_RTP_CAPS \
  "application/x-rtp,media=video,encoding-name=VP8,payload=%u" \
  ",clock-rate=90000,rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true" \
  ",rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-transport-cc=(boolean)true" \
  ",extmap-1=(string)" TWCC_URI
#define AUDIO_RTP_CAPS \
  "application/x-rtp,media=audio,encoding-name=OPUS,payload=%u" \
  ",clock-rate=48000,encoding-params=(string)2,useinbandfec=(string)1" \
  ",usedtx=(string)1,rtcp-fb-transport-cc=(boolean)true,extmap-1=(string)" TWCC_URI
#define STUN_PACING_MS 10
#define MAX_SLOTS 16

typedef struct {
  GstWebRTCRTPTransceiver *transceiver;
  GstPad *sink;          /* NULL for the two receiving sections */
  LmrKind kind;
  guint pt;
  gboolean active;
} Slot;

struct _LmrLeg {
  GObject parent_instance;

  GMainContext *context;
  char *log_id;
  LmrMediaConfig config;
  LmrLegEventFunc func;
  gpointer user_data;

  GstBin *pipeline;
  GstElement *webrtc;
  GstElement *tees[LMR_N_KINDS];
  LmrKeyframeLimiter *limiter;
  NiceAgent *agent;
  gulong pair_handler;

  /* Main context only. */
  GPtrArray *slots;
  gboolean offering;       /* an offer is out, no answer yet */
  gboolean renegotiate;    /* negotiate again once it is answered */
  gboolean closed;
  guint n_offered;         /* sections in the offer that is out */
  guint n_remote_candidates;
  gboolean expects[LMR_N_KINDS];

  /* Shared with webrtcbin's and the streaming threads. */
  GMutex lock;
  GstPad *source_pads[LMR_N_KINDS];
  const char *local_candidate_type;
  const char *remote_candidate_type;
  gint connected;          /* atomic */
};

G_DEFINE_FINAL_TYPE (LmrLeg, lmr_leg, G_TYPE_OBJECT)

const char *
lmr_kind_to_string (LmrKind kind)
{
  return kind == LMR_KIND_VIDEO ? "video" : "audio";
}

static GstCaps *
rtp_caps (LmrKind kind, guint pt)
{
  g_autofree char *text = g_strdup_printf (kind == LMR_KIND_VIDEO ? VIDEO_RTP_CAPS : AUDIO_RTP_CAPS, pt);

  return gst_caps_from_string (text);
}

static void
slot_free (gpointer data)
{
  Slot *slot = data;

  g_clear_object (&slot->transceiver);
  g_clear_object (&slot->sink);
  g_free (slot);
}

/* ---- Hopping from webrtcbin's threads to the main context ---- */

typedef struct {
  LmrLeg *self;
  LmrLegEventKind kind;
  char *text;
  GStrv mids;
  guint mline;
  LmrKind media;
  LmrLegStats stats;
  GError *error;
} Hop;

static void
hop_free (gpointer data)
{
  Hop *hop = data;

  g_object_unref (hop->self);
  g_free (hop->text);
  g_strfreev (hop->mids);
  g_clear_error (&hop->error);
  g_free (hop);
}

static void
handle_negotiated (LmrLeg *self)
{
  self->offering = FALSE;
  GST_INFO ("[%s] negotiated (%u sections)", self->log_id, self->n_offered);
  if (self->renegotiate) {
    self->renegotiate = FALSE;
    lmr_leg_negotiate (self);
  }
}

static gboolean
hop_dispatch (gpointer data)
{
  Hop *hop = data;
  LmrLeg *self = hop->self;
  LmrLegEvent event = {
    .kind = hop->kind,
    .text = hop->text,
    .mids = (const char *const *) hop->mids,
    .mline = hop->mline,
    .media = hop->media,
    .stats = &hop->stats,
    .error = hop->error,
  };

  if (self->closed)
    return G_SOURCE_REMOVE;
  if (hop->kind == LMR_LEG_EVENT_NEGOTIATED) {
    event.mline = self->n_offered;   /* the sections now negotiated */
    handle_negotiated (self);
  }
  if (self->func)
    self->func (self, &event, self->user_data);
  return G_SOURCE_REMOVE;
}

static Hop *
hop_new (LmrLeg *self, LmrLegEventKind kind)
{
  Hop *hop = g_new0 (Hop, 1);

  hop->self = g_object_ref (self);
  hop->kind = kind;
  return hop;
}

static void
hop_send (Hop *hop)
{
  lmr_hop (hop->self->context, hop_dispatch, hop, hop_free);
}

static void
hop_failed (LmrLeg *self, GError *error)
{
  Hop *hop = hop_new (self, LMR_LEG_EVENT_FAILED);

  GST_WARNING ("[%s] %s", self->log_id, error->message);
  hop->error = error;
  hop_send (hop);
}

static GError *
error_from_promise (GstPromise *promise, const char *what)
{
  const GstStructure *reply;
  GError *error = NULL;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return g_error_new (LMR_ERROR, LMR_ERROR_MEDIA, "%s was interrupted", what);
  reply = gst_promise_get_reply (promise);
  if (reply && gst_structure_has_field (reply, "error")) {
    gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
    if (error)
      g_prefix_error (&error, "%s: ", what);
    else
      error = g_error_new (LMR_ERROR, LMR_ERROR_MEDIA, "%s failed", what);
  }
  return error;
}

/* ---- Negotiation (webrtcbin's threads) ---- */

static GStrv
mids_of (const GstSDPMessage *sdp)
{
  guint n = gst_sdp_message_medias_len (sdp);
  GStrv mids = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++) {
    const char *mid = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, i), "mid");

    mids[i] = g_strdup (mid ? mid : "");
  }
  return mids;
}

static void
on_offer_created (GstPromise *promise, gpointer user_data)
{
  LmrLeg *self = user_data;
  GstWebRTCSessionDescription *desc = NULL;
  GError *error = error_from_promise (promise, "create-offer");
  Hop *hop;

  if (error == NULL) {
    gst_structure_get (gst_promise_get_reply (promise), "offer",
                       GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
    if (desc == NULL)
      error = g_error_new_literal (LMR_ERROR, LMR_ERROR_MEDIA, "webrtcbin made no offer");
  }
  gst_promise_unref (promise);
  if (error) {
    hop_failed (self, error);
    g_object_unref (self);
    return;
  }

  g_signal_emit_by_name (self->webrtc, "set-local-description", desc, NULL);
  hop = hop_new (self, LMR_LEG_EVENT_OFFER);
  hop->text = gst_sdp_message_as_text (desc->sdp);
  hop->mids = mids_of (desc->sdp);
  GST_DEBUG ("[%s] offer:\n%s", self->log_id, hop->text);
  hop_send (hop);
  gst_webrtc_session_description_free (desc);
  g_object_unref (self);
}

static void
on_remote_description_set (GstPromise *promise, gpointer user_data)
{
  LmrLeg *self = user_data;
  GError *error = error_from_promise (promise, "set-remote-description");

  gst_promise_unref (promise);
  if (error) {
    error->domain = LMR_ERROR;
    error->code = LMR_ERROR_PEER;
    hop_failed (self, error);
  } else {
    hop_send (hop_new (self, LMR_LEG_EVENT_NEGOTIATED));
  }
  g_object_unref (self);
}

static void
on_webrtc_ice_candidate (GstElement *webrtc, guint mline, char *candidate, gpointer user_data)
{
  LmrLeg *self = user_data;
  Hop *hop = hop_new (self, LMR_LEG_EVENT_CANDIDATE);

  hop->mline = mline;
  hop->text = lmr_candidate_rewrite_host (candidate, self->config.public_address);
  if (hop->text == NULL)
    hop->text = g_strdup (candidate);
  hop_send (hop);
}

static void
on_webrtc_gathering_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  LmrLeg *self = user_data;
  GstWebRTCICEGatheringState state;
  Hop *hop;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  hop = hop_new (self, LMR_LEG_EVENT_CANDIDATE);
  hop->text = g_strdup ("");
  hop_send (hop);
}

static void
on_webrtc_connection_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  LmrLeg *self = user_data;
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  GST_DEBUG ("[%s] connection state %d", self->log_id, state);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED &&
      g_atomic_int_compare_and_exchange (&self->connected, 0, 1)) {
    GST_INFO ("[%s] connected (ICE and DTLS)", self->log_id);
    hop_send (hop_new (self, LMR_LEG_EVENT_CONNECTED));
  } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    hop_failed (self, g_error_new_literal (LMR_ERROR, LMR_ERROR_PEER,
                                           "the connection with the member failed (ICE or DTLS)"));
  }
}

static void
on_agent_selected_pair (NiceAgent *agent, guint stream_id, guint component_id,
                        NiceCandidate *local, NiceCandidate *remote, gpointer user_data)
{
  LmrLeg *self = user_data;

  g_mutex_lock (&self->lock);
  self->local_candidate_type = lmr_stats_candidate_type (local->type);
  self->remote_candidate_type = lmr_stats_candidate_type (remote->type);
  g_mutex_unlock (&self->lock);
  GST_INFO ("[%s] selected pair %s -> %s", self->log_id,
            lmr_stats_candidate_type (local->type), lmr_stats_candidate_type (remote->type));
}

/* ---- Receiving (a streaming thread) ---- */

/* Which of the member's streams this is, from its caps (the payload type
 * map of the negotiated sections). Not from the pad's transceiver:
 * webrtcbin 1.22 assigns a bundled stream to a section only when the
 * answer announced its SSRC (a=ssrc), which an answer made before the
 * member's encoders started does not, and otherwise puts every stream on
 * the first section. */
static gboolean
kind_of_pad (GstPad *pad, LmrKind *kind)
{
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const GstStructure *s;
  const char *media;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (caps == NULL || gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    return FALSE;
  s = gst_caps_get_structure (caps, 0);
  media = gst_structure_get_string (s, "media");
  if (g_strcmp0 (media, "video") == 0)
    *kind = LMR_KIND_VIDEO;
  else if (g_strcmp0 (media, "audio") == 0)
    *kind = LMR_KIND_AUDIO;
  else
    return FALSE;
  return TRUE;
}

static void
on_webrtc_pad_added (GstElement *webrtc, GstPad *pad, gpointer user_data)
{
  LmrLeg *self = user_data;
  g_autoptr (GstPad) tee_sink = NULL;
  g_autoptr (GstPad) previous = NULL;
  LmrKind kind;
  Hop *hop;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  if (!kind_of_pad (pad, &kind)) {
    GST_WARNING ("[%s] a stream that is neither audio nor video: not forwarded", self->log_id);
    return;
  }
  /* Linked here, on the streaming thread, before the first packet is
   * pushed: an unlinked pad would stop the jitterbuffer's task. */
  tee_sink = gst_element_get_static_pad (self->tees[kind], "sink");
  previous = gst_pad_get_peer (tee_sink);
  if (previous) {
    GST_INFO ("[%s] the member's %s stream changed", self->log_id, lmr_kind_to_string (kind));
    gst_pad_unlink (previous, tee_sink);
  }
  if (gst_pad_link (pad, tee_sink) != GST_PAD_LINK_OK) {
    hop_failed (self, g_error_new (LMR_ERROR, LMR_ERROR_MEDIA, "cannot forward the member's %s",
                                   lmr_kind_to_string (kind)));
    return;
  }
  g_mutex_lock (&self->lock);
  g_set_object (&self->source_pads[kind], pad);
  g_mutex_unlock (&self->lock);
  GST_INFO ("[%s] receiving the member's %s", self->log_id, lmr_kind_to_string (kind));
  hop = hop_new (self, LMR_LEG_EVENT_SOURCE);
  hop->media = kind;
  hop_send (hop);
}

static void
on_webrtc_pad_removed (GstElement *webrtc, GstPad *pad, gpointer user_data)
{
  LmrLeg *self = user_data;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < LMR_N_KINDS; i++)
    if (self->source_pads[i] == pad)
      g_clear_object (&self->source_pads[i]);
  g_mutex_unlock (&self->lock);
}

/* ---- Forwarding without waiting ---- */

/* webrtcbin puts a clocksync (sync=TRUE) before each sending section: it
 * holds every packet until the clock reaches its timestamp plus the
 * upstream latency, which for a forwarded stream is the source leg's
 * jitterbuffer latency. Forwarded packets leave as they come. */
static void
on_deep_element_added (GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer user_data)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  if (factory && g_str_equal (GST_OBJECT_NAME (factory), "clocksync"))
    g_object_set (element, "sync", FALSE, NULL);
}

/* ---- Statistics ---- */

static void
on_stats_ready (GstPromise *promise, gpointer user_data)
{
  LmrLeg *self = user_data;
  const GstStructure *reply = NULL;
  Hop *hop = hop_new (self, LMR_LEG_EVENT_STATS);

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  lmr_stats_parse (reply, &hop->stats);
  gst_promise_unref (promise);
  hop->stats.time_us = g_get_monotonic_time ();
  g_mutex_lock (&self->lock);
  hop->stats.local_candidate_type = self->local_candidate_type;
  hop->stats.remote_candidate_type = self->remote_candidate_type;
  g_mutex_unlock (&self->lock);
  hop_send (hop);
  g_object_unref (self);
}

void
lmr_leg_request_stats (LmrLeg *self)
{
  GstPromise *promise;

  g_return_if_fail (LMR_IS_LEG (self));
  if (self->closed)
    return;
  promise = gst_promise_new_with_change_func (on_stats_ready, g_object_ref (self), NULL);
  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
}

/* ---- Set-up ---- */

static gboolean
set_if_exists (gpointer object, const char *property, guint value)
{
  if (object == NULL || !g_object_class_find_property (G_OBJECT_GET_CLASS (object), property))
    return FALSE;
  g_object_set (object, property, value, NULL);
  return TRUE;
}

static void
configure_ice (LmrLeg *self)
{
  g_autoptr (GObject) ice = NULL;

  g_object_get (self->webrtc, "ice-agent", &ice, NULL);
  set_if_exists (ice, "ice-tcp", FALSE);
  if (self->config.min_port && self->config.max_port &&
      (!set_if_exists (ice, "min-rtp-port", self->config.min_port) ||
       !set_if_exists (ice, "max-rtp-port", self->config.max_port)))
    GST_WARNING ("[%s] this webrtcbin cannot limit its ports", self->log_id);
  if (ice && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &self->agent, NULL);
  if (self->agent) {
    g_object_set (self->agent, "upnp", FALSE, "stun-pacing-timer", STUN_PACING_MS, NULL);
    self->pair_handler = g_signal_connect (self->agent, "new-selected-pair-full",
                                           G_CALLBACK (on_agent_selected_pair), self);
  }
  if (self->config.stun_server)
    g_object_set (self->webrtc, "stun-server", self->config.stun_server, NULL);
}

static GstWebRTCRTPTransceiver *
add_receive_slot (LmrLeg *self, LmrKind kind)
{
  guint pt = kind == LMR_KIND_VIDEO ? VIDEO_PT : AUDIO_PT;
  g_autoptr (GstCaps) caps = rtp_caps (kind, pt);
  GstWebRTCRTPTransceiver *trans = NULL;
  Slot *slot;

  g_signal_emit_by_name (self->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
  if (trans == NULL)
    return NULL;
  g_object_set (trans, "do-nack", kind == LMR_KIND_VIDEO, NULL);
  slot = g_new0 (Slot, 1);
  slot->transceiver = trans;
  slot->kind = kind;
  slot->pt = pt;
  slot->active = TRUE;
  g_ptr_array_add (self->slots, slot);
  return trans;
}

static gboolean
add_tee (LmrLeg *self, LmrKind kind, GError **error)
{
  g_autofree char *name = g_strdup_printf ("%s-%s", self->log_id, lmr_kind_to_string (kind));
  GstElement *tee = gst_element_factory_make ("tee", name);

  if (tee == NULL) {
    g_set_error_literal (error, LMR_ERROR, LMR_ERROR_MEDIA, "the tee element is missing");
    return FALSE;
  }
  /* No receiver yet must not stop the member's stream. */
  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  self->tees[kind] = gst_object_ref (tee);
  gst_bin_add (self->pipeline, tee);
  return TRUE;
}

static gboolean
build (LmrLeg *self, GError **error)
{
  g_autofree char *name = g_strdup_printf ("%s-webrtc", self->log_id);
  g_autoptr (GstPad) video_sink = NULL;

  self->webrtc = gst_element_factory_make ("webrtcbin", name);
  if (self->webrtc == NULL) {
    g_set_error_literal (error, LMR_ERROR, LMR_ERROR_MEDIA,
                         "webrtcbin is missing (install gstreamer1.0-plugins-bad and gstreamer1.0-nice)");
    return FALSE;
  }
  gst_object_ref_sink (self->webrtc);
  g_object_set (self->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", self->config.latency_ms, NULL);
  configure_ice (self);
  g_signal_connect (self->webrtc, "on-ice-candidate", G_CALLBACK (on_webrtc_ice_candidate), self);
  g_signal_connect (self->webrtc, "notify::ice-gathering-state",
                    G_CALLBACK (on_webrtc_gathering_state), self);
  g_signal_connect (self->webrtc, "notify::connection-state",
                    G_CALLBACK (on_webrtc_connection_state), self);
  g_signal_connect (self->webrtc, "pad-added", G_CALLBACK (on_webrtc_pad_added), self);
  g_signal_connect (self->webrtc, "pad-removed", G_CALLBACK (on_webrtc_pad_removed), self);
  g_signal_connect (self->webrtc, "deep-element-added", G_CALLBACK (on_deep_element_added), NULL);

  if (!add_receive_slot (self, LMR_KIND_VIDEO) || !add_receive_slot (self, LMR_KIND_AUDIO)) {
    g_set_error_literal (error, LMR_ERROR, LMR_ERROR_MEDIA, "webrtcbin made no transceiver");
    return FALSE;
  }
  if (!add_tee (self, LMR_KIND_VIDEO, error) || !add_tee (self, LMR_KIND_AUDIO, error))
    return FALSE;
  video_sink = gst_element_get_static_pad (self->tees[LMR_KIND_VIDEO], "sink");
  self->limiter = lmr_keyframe_limiter_new (video_sink, self->config.keyframe_interval_ms,
                                            self->log_id);
  gst_bin_add (self->pipeline, self->webrtc);
  for (guint i = 0; i < LMR_N_KINDS; i++)
    gst_element_sync_state_with_parent (self->tees[i]);
  gst_element_sync_state_with_parent (self->webrtc);
  return TRUE;
}

LmrLeg *
lmr_leg_new (GstBin               *pipeline,
             const LmrMediaConfig *config,
             const char           *log_id,
             LmrLegEventFunc       func,
             gpointer              user_data,
             GError              **error)
{
  g_autoptr (LmrLeg) self = g_object_new (LMR_TYPE_LEG, NULL);

  self->pipeline = gst_object_ref (pipeline);
  self->log_id = g_strdup (log_id);
  lmr_media_config_copy (config, &self->config);
  self->func = func;
  self->user_data = user_data;
  if (!build (self, error)) {
    lmr_leg_close (self);
    return NULL;
  }
  return g_steal_pointer (&self);
}

/* ---- Slots ---- */

static guint
free_pt (LmrLeg *self, LmrKind kind)
{
  guint first = kind == LMR_KIND_VIDEO ? FIRST_VIDEO_SEND_PT : FIRST_AUDIO_SEND_PT;
  guint last = kind == LMR_KIND_VIDEO ? LAST_VIDEO_SEND_PT : LAST_AUDIO_SEND_PT;
  guint step = kind == LMR_KIND_VIDEO ? 2 : 1;

  for (guint pt = first; pt <= last; pt += step) {
    gboolean used = FALSE;

    for (guint i = 0; i < self->slots->len && !used; i++)
      used = ((Slot *) self->slots->pdata[i])->pt == pt;
    if (!used)
      return pt;
  }
  return 0;
}

GstPad *
lmr_leg_add_send_slot (LmrLeg   *self,
                       LmrKind   kind,
                       guint32   ssrc,
                       guint    *pt,
                       GError  **error)
{
  g_autoptr (GstCaps) caps = NULL;
  GstWebRTCRTPTransceiver *trans = NULL;
  GstPad *sink;
  Slot *slot;

  g_return_val_if_fail (LMR_IS_LEG (self), NULL);
  *pt = free_pt (self, kind);
  if (self->slots->len >= MAX_SLOTS || *pt == 0) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_FULL, "this leg has no room for another %s section",
                 lmr_kind_to_string (kind));
    return NULL;
  }
  caps = rtp_caps (kind, *pt);
  /* Announced in the offer as a=ssrc, so that the member's webrtcbin
   * knows which section the stream belongs to. */
  gst_caps_set_simple (caps, "ssrc", G_TYPE_UINT, ssrc, NULL);
  sink = gst_element_request_pad_simple (self->webrtc, "sink_%u");
  if (sink)
    g_object_get (sink, "transceiver", &trans, NULL);
  if (trans == NULL) {
    g_clear_object (&sink);
    g_set_error_literal (error, LMR_ERROR, LMR_ERROR_MEDIA, "webrtcbin made no transceiver");
    return NULL;
  }
  g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                "codec-preferences", caps, "do-nack", kind == LMR_KIND_VIDEO, NULL);
  slot = g_new0 (Slot, 1);
  slot->transceiver = trans;
  slot->sink = sink;
  slot->kind = kind;
  slot->pt = *pt;
  slot->active = TRUE;
  g_ptr_array_add (self->slots, slot);
  return sink;
}

void
lmr_leg_stop_send_slot (LmrLeg *self,
                        GstPad *sink)
{
  g_return_if_fail (LMR_IS_LEG (self));
  for (guint i = 0; i < self->slots->len; i++) {
    Slot *slot = self->slots->pdata[i];

    if (slot->sink == sink && slot->active) {
      slot->active = FALSE;
      g_object_set (slot->transceiver, "direction",
                    GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, NULL);
    }
  }
}

guint
lmr_leg_get_n_slots (LmrLeg *self)
{
  g_return_val_if_fail (LMR_IS_LEG (self), 0);
  return self->slots->len;
}

GstElement *
lmr_leg_get_tee (LmrLeg  *self,
                 LmrKind  kind)
{
  g_return_val_if_fail (LMR_IS_LEG (self), NULL);
  return self->tees[kind];
}

gboolean
lmr_leg_has_source (LmrLeg  *self,
                    LmrKind  kind)
{
  gboolean has;

  g_return_val_if_fail (LMR_IS_LEG (self), FALSE);
  g_mutex_lock (&self->lock);
  has = self->source_pads[kind] != NULL;
  g_mutex_unlock (&self->lock);
  return has;
}

gboolean
lmr_leg_expects_source (LmrLeg  *self,
                        LmrKind  kind)
{
  g_return_val_if_fail (LMR_IS_LEG (self), FALSE);
  return self->expects[kind];
}

gboolean
lmr_leg_is_connected (LmrLeg *self)
{
  g_return_val_if_fail (LMR_IS_LEG (self), FALSE);
  return g_atomic_int_get (&self->connected);
}

/* ---- Negotiation (main context) ---- */

void
lmr_leg_negotiate (LmrLeg *self)
{
  GstPromise *promise;

  g_return_if_fail (LMR_IS_LEG (self));
  if (self->closed)
    return;
  if (self->offering) {
    self->renegotiate = TRUE;
    return;
  }
  self->offering = TRUE;
  self->n_offered = self->slots->len;
  GST_INFO ("[%s] offering %u sections", self->log_id, self->n_offered);
  promise = gst_promise_new_with_change_func (on_offer_created, g_object_ref (self), NULL);
  g_signal_emit_by_name (self->webrtc, "create-offer", NULL, promise);
}

gboolean
lmr_leg_set_answer (LmrLeg      *self,
                    const char  *sdp,
                    GError     **error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  GstWebRTCSessionDescription *desc;
  GstPromise *promise;

  g_return_val_if_fail (LMR_IS_LEG (self), FALSE);
  if (!self->offering) {
    g_set_error_literal (error, LMR_ERROR, LMR_ERROR_PEER, "an answer while no offer is out");
    return FALSE;
  }
  msg = lmr_sdp_parse_answer (sdp, self->n_offered, error);
  if (msg == NULL)
    return FALSE;
  GST_DEBUG ("[%s] answer:\n%s", self->log_id, sdp);
  self->expects[LMR_KIND_VIDEO] = lmr_sdp_media_sends (msg, 0);
  self->expects[LMR_KIND_AUDIO] = lmr_sdp_media_sends (msg, 1);
  /* Candidates that name a section now need an answer that has it. */
  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, g_steal_pointer (&msg));
  promise = gst_promise_new_with_change_func (on_remote_description_set, g_object_ref (self), NULL);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", desc, promise);
  gst_webrtc_session_description_free (desc);
  return TRUE;
}

gboolean
lmr_leg_add_candidate (LmrLeg      *self,
                       guint        mline,
                       const char  *candidate,
                       GError     **error)
{
  g_return_val_if_fail (LMR_IS_LEG (self), FALSE);

  if (candidate == NULL || candidate[0] == '\0')
    return TRUE;   /* end of candidates: nothing to do for libnice */
  if (!lmr_candidate_check (candidate, error))
    return FALSE;
  if (mline >= MAX (self->n_offered, 1)) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_PEER,
                 "bad ICE candidate: sdpMLineIndex %u, the offer has %u sections", mline,
                 self->n_offered);
    return FALSE;
  }
  if (++self->n_remote_candidates > self->config.max_remote_candidates) {
    if (self->n_remote_candidates == self->config.max_remote_candidates + 1)
      GST_WARNING ("[%s] more than %u remote candidates: ignoring the rest", self->log_id,
                   self->config.max_remote_candidates);
    return TRUE;
  }
  g_signal_emit_by_name (self->webrtc, "add-ice-candidate", mline, candidate);
  return TRUE;
}

/* ---- Keyframes ---- */

void
lmr_leg_request_keyframe (LmrLeg *self)
{
  g_return_if_fail (LMR_IS_LEG (self));
  if (!self->closed && lmr_leg_has_source (self, LMR_KIND_VIDEO))
    lmr_keyframe_limiter_request (self->limiter);
}

void
lmr_leg_keyframe_counts (LmrLeg *self,
                         guint  *passed,
                         guint  *dropped)
{
  g_return_if_fail (LMR_IS_LEG (self));
  lmr_keyframe_limiter_counts (self->limiter, passed, dropped);
}

/* ---- Closing ---- */

static void
remove_element (LmrLeg *self, GstElement *element)
{
  if (element == NULL || GST_OBJECT_PARENT (element) != GST_OBJECT (self->pipeline))
    return;
  gst_element_set_locked_state (element, TRUE);
  gst_element_set_state (element, GST_STATE_NULL);
  gst_bin_remove (self->pipeline, element);
}

void
lmr_leg_close (LmrLeg *self)
{
  g_return_if_fail (LMR_IS_LEG (self));
  if (self->closed)
    return;
  self->closed = TRUE;
  GST_INFO ("[%s] closing", self->log_id);
  if (self->agent && self->pair_handler)
    g_clear_signal_handler (&self->pair_handler, self->agent);
  if (self->webrtc)
    g_signal_handlers_disconnect_by_data (self->webrtc, self);
  g_clear_pointer (&self->limiter, lmr_keyframe_limiter_free);
  remove_element (self, self->webrtc);
  for (guint i = 0; i < LMR_N_KINDS; i++)
    remove_element (self, self->tees[i]);
}

/* ---- GObject ---- */

static void
lmr_leg_dispose (GObject *object)
{
  LmrLeg *self = LMR_LEG (object);

  if (!self->closed)
    lmr_leg_close (self);
  g_clear_pointer (&self->slots, g_ptr_array_unref);
  g_clear_object (&self->agent);
  g_clear_object (&self->webrtc);
  for (guint i = 0; i < LMR_N_KINDS; i++) {
    g_clear_object (&self->tees[i]);
    g_clear_object (&self->source_pads[i]);
  }
  g_clear_object (&self->pipeline);
  G_OBJECT_CLASS (lmr_leg_parent_class)->dispose (object);
}

static void
lmr_leg_finalize (GObject *object)
{
  LmrLeg *self = LMR_LEG (object);

  g_free (self->log_id);
  lmr_media_config_clear (&self->config);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (lmr_leg_parent_class)->finalize (object);
}

static void
lmr_leg_class_init (LmrLegClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lmr_leg_dispose;
  object_class->finalize = lmr_leg_finalize;
  GST_DEBUG_CATEGORY_INIT (lmr_leg_debug, "lmr-leg", 0, "lastmile relay leg");
}

static void
lmr_leg_init (LmrLeg *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->slots = g_ptr_array_new_with_free_func (slot_free);
}

/* SPDX-License-Identifier: Apache-2.0
 * Copyright 2026 The lastmile developers
 *
 * lm-bench-relay: capacity, added loss and added latency of lastmile-relay
 * (the driver of bench/run-relay-bench; docs/benchmarks.md, "Relay").
 *
 * Starts the real lastmile-signaling (--media-policy relay, 127.0.0.1 port
 * 0, temporary database, through the test harness of tests/signaling) and
 * the real lastmile-relay (optionally pinned with `taskset -c CPU`), then
 * steps the number of concurrent two-party consultations through --steps
 * (consultations are added, never torn down, so RSS growth per consultation
 * is read off the same process). Each member is a webrtcbin built like
 * lastmile-client's (max-bundle, VP8 PT 96 with NACK/PLI/FIR/TWCC, Opus PT
 * 111 with TWCC) that answers the relay's offer over the signaling server.
 *
 * Media is encoded once: at start-up a --clip-seconds clip of 640x480 30 fps
 * VP8 (vp8enc real-time settings as the client's, CBR --video-kbps,
 * a keyframe every 2 s) and 48 kHz Opus (32 kbit/s, 20 ms frames) is encoded
 * as fast as possible into memory. One pacer thread then pushes those frames,
 * in a loop, into every member's appsrc (video every 1/30 s, audio every
 * 20 ms, each member at its own random phase so that the relay does not see
 * all senders in lock-step), stamped with the pipeline's running time; the
 * members' payloaders, RTP sessions, SRTP and ICE do the rest. No encoder
 * runs while measuring, so the generator's CPU goes into the RTP/SRTP path
 * only. Keyframe requests from the relay reach the appsrc and are ignored
 * (the clip has a keyframe every 60 frames).
 *
 * Per step, after every member receives both of its peer's streams and
 * --warmup seconds, over --duration seconds:
 *  - relay CPU: utime + stime of the relay process from /proc/PID/stat,
 *    as a share of one core (the same for this process, "driver CPU");
 *  - added loss: per received stream, at webrtcbin's output (after the
 *    member's jitterbuffer and NACK/RTX), 1 - received / (highest extended
 *    sequence number - the one at the window's start). Senders and relay
 *    share the machine, so every loss is the relay's or the receiver's;
 *  - added latency per packet: the time a packet leaves the sender's
 *    nicesink (SRTP, just before sendmsg) to the time it comes out of the
 *    receiver's nicesrc (just after recvmsg), both g_get_monotonic_time() in
 *    this process, matched on (RTP timestamp, sequence number), which the
 *    relay keeps (it rewrites SSRC and payload type only). So it is the
 *    relay's whole path plus two loopback hops plus the wake-up of the
 *    receiving thread here;
 *  - relay RSS (VmRSS) and threads, growth from the idle relay.
 * One JSON object per step is appended to --json FILE and a summary line
 * goes to stdout. Stepping stops after the first step whose loss exceeds
 * --max-loss or whose relay CPU reaches --max-cpu.
 *
 *   LASTMILE_SIGNALING=... LASTMILE_RELAY=... lm-bench-relay
 *       [--steps 1,5,10] [--duration 20] [--warmup 5] [--relay-cpu 1]
 *       [--latency 50] [--max-loss 0.5] [--max-cpu 95] [--json FILE]
 *       [--timeout 900]
 *
 * Signaling is on 127.0.0.1; ICE host candidates are this machine's own
 * addresses (libnice leaves loopback out when another interface is up), so
 * no packet leaves the host. Every wait is bounded and the whole run by
 * --timeout (SIGALRM); the server and the relay die with this process
 * (PR_SET_PDEATHSIG). Exit status 0 when every step measured, 1 otherwise.
 */

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

G_STATIC_ASSERT (sizeof (gpointer) == sizeof (gint64));

#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define VIDEO_RTP_CAPS "application/x-rtp,media=video,encoding-name=VP8,payload=96," \
  "clock-rate=90000,rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true," \
  "rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-transport-cc=(boolean)true,extmap-1=(string)" TWCC_URI
#define AUDIO_RTP_CAPS "application/x-rtp,media=audio,encoding-name=OPUS,payload=111," \
  "clock-rate=48000,encoding-params=(string)2,useinbandfec=(string)1,usedtx=(string)1," \
  "rtcp-fb-transport-cc=(boolean)true,extmap-1=(string)" TWCC_URI

#define VIDEO_FRAME_US (G_USEC_PER_SEC / 30.0)
#define AUDIO_FRAME_US 20000.0

/* Options. */
static char *opt_steps = "1,5,10,15,20,30";
static int opt_duration = 20;
static int opt_warmup = 5;
static int opt_relay_cpu = -1;
static int opt_latency = 50;
static double opt_max_loss = 0.5;
static double opt_max_cpu = 95.0;
static int opt_clip_seconds = 10;
static int opt_video_kbps = 550;   /* the clip comes out at ~500 kbit/s */
static char *opt_json;
static int opt_timeout = 900;

/* The pre-encoded clip. */
typedef struct {
  GPtrArray *frames;   /* GstBuffer */
  GstCaps *caps;
  guint64 bytes;
} Clip;

static Clip video_clip, audio_clip;

/* One received stream (a pad webrtcbin added). */
typedef struct {
  gboolean video;
  gboolean have;
  guint64 ext_max;     /* highest extended sequence number */
  guint64 received;
  guint64 ext_start, received_start;
} RecvStream;

typedef struct {
  guint index;
  LmTestPeer *sig;
  char *consultation, *relay_id;
  GstElement *pipe, *webrtc;
  GstAppSrc *video_src, *audio_src;
  /* Pacer state (pacer thread only, once active). */
  gint64 video_start, audio_start;
  guint64 video_sent, audio_sent;
  gint active;
  GPtrArray *streams;  /* RecvStream, under `lock` */
} Member;

static GMutex lock;            /* the tables below and every RecvStream */
static GHashTable *send_times; /* (ts << 16 | seq) -> send time, µs */
static GArray *delays;         /* gint64 µs, while `measuring` */
static gboolean measuring;

static Member *members;
static guint n_members;        /* set up so far (2 per consultation) */
static GstClock *clock_;
static gint pacer_stop;
static gint64 pacer_max_late_us; /* worst pacer lateness in the window */
static GMutex pacer_lock;

/* ---- the clip ---- */

static void
encode_clip (Clip *clip, const char *description)
{
  g_autoptr (GError) error = NULL;
  GstElement *pipe = gst_parse_launch (description, &error);
  GstSample *sample;

  if (pipe == NULL)
    g_error ("encoder pipeline: %s", error->message);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  clip->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 30 * GST_SECOND))) {
    GstBuffer *buffer = gst_sample_get_buffer (sample);
    if (clip->caps == NULL)
      clip->caps = gst_caps_ref (gst_sample_get_caps (sample));
    clip->bytes += gst_buffer_get_size (buffer);
    g_ptr_array_add (clip->frames, gst_buffer_ref (buffer));
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  if (clip->frames->len == 0 || clip->caps == NULL)
    g_error ("the encoder produced nothing: %s", description);
}

static void
encode_clips (void)
{
  int frames = 30 * opt_clip_seconds;
  g_autofree char *video = g_strdup_printf (
      "videotestsrc num-buffers=%d pattern=zone-plate kt2=2 kx2=4 ky2=4 "
      "! video/x-raw,width=640,height=480,framerate=30/1 "
      "! vp8enc deadline=1 cpu-used=8 threads=1 end-usage=cbr target-bitrate=%d "
      "keyframe-max-dist=60 lag-in-frames=0 error-resilient=default "
      "! appsink name=sink sync=false max-buffers=0",
      frames, opt_video_kbps * 1000);
  g_autofree char *audio = g_strdup_printf (
      "audiotestsrc num-buffers=%d samplesperbuffer=960 wave=sine "
      "! audio/x-raw,rate=48000,channels=1 "
      "! opusenc bitrate=32000 frame-size=20 "
      "! appsink name=sink sync=false max-buffers=0",
      50 * opt_clip_seconds);

  encode_clip (&video_clip, video);
  encode_clip (&audio_clip, audio);
}

/* ---- latency: send and receive times of SRTP packets ---- */

static guint
key_hash (gconstpointer key)
{
  guint64 k = (guint64) (guintptr) key;
  return (guint) (k ^ (k >> 29));
}

static gboolean
rtp_key (const guint8 *data, gsize size, guint64 *key)
{
  /* Not STUN or DTLS (first byte), not RTCP (payload types 192-223). */
  if (size < 12 || (data[0] & 0xc0) != 0x80 || (data[1] >= 192 && data[1] <= 223))
    return FALSE;
  guint16 seq = GST_READ_UINT16_BE (data + 2);
  guint32 ts = GST_READ_UINT32_BE (data + 4);
  *key = ((guint64) ts << 16) | seq;
  return TRUE;
}

static void
on_wire_buffer (GstBuffer *buffer, gboolean sending)
{
  gint64 now = g_get_monotonic_time ();
  GstMapInfo map;
  guint64 key;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  if (rtp_key (map.data, map.size, &key)) {
    gpointer k = (gpointer) (guintptr) key;
    g_mutex_lock (&lock);
    if (sending) {
      g_hash_table_insert (send_times, k, (gpointer) (gintptr) now);
    } else {
      gpointer sent;
      if (g_hash_table_lookup_extended (send_times, k, NULL, &sent)) {
        gint64 delay = now - (gint64) (gintptr) sent;
        if (measuring)
          g_array_append_val (delays, delay);
        g_hash_table_remove (send_times, k);
      }
    }
    g_mutex_unlock (&lock);
  }
  gst_buffer_unmap (buffer, &map);
}

static gboolean
on_wire_list_item (GstBuffer **buffer, guint idx, gpointer sending)
{
  on_wire_buffer (*buffer, GPOINTER_TO_INT (sending));
  return TRUE;
}

static GstPadProbeReturn
wire_probe (GstPad *pad, GstPadProbeInfo *info, gpointer sending)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    on_wire_buffer (GST_PAD_PROBE_INFO_BUFFER (info), GPOINTER_TO_INT (sending));
  else
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), on_wire_list_item, sending);
  return GST_PAD_PROBE_OK;
}

static void
on_deep_element_added (GstBin *bin, GstBin *sub, GstElement *element, gpointer data)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  const char *name = factory ? GST_OBJECT_NAME (factory) : "";
  gboolean sending = g_str_equal (name, "nicesink");

  if (!sending && !g_str_equal (name, "nicesrc"))
    return;
  GstPad *pad = gst_element_get_static_pad (element, sending ? "sink" : "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     wire_probe, GINT_TO_POINTER (sending), NULL);
  gst_object_unref (pad);
}

static gboolean
prune_old (gpointer key, gpointer value, gpointer cutoff)
{
  return (gint64) (gintptr) value < *(gint64 *) cutoff;
}

static gboolean
prune_send_times (gpointer data)
{
  /* Packets lost (or RTCP-only keys that never come back) are forgotten. */
  gint64 cutoff = g_get_monotonic_time () - 2 * G_USEC_PER_SEC;
  g_mutex_lock (&lock);
  g_hash_table_foreach_remove (send_times, prune_old, &cutoff);
  g_mutex_unlock (&lock);
  return G_SOURCE_CONTINUE;
}

/* ---- loss: sequence numbers at webrtcbin's output ---- */

static GstPadProbeReturn
count_received (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  RecvStream *stream = data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (!gst_rtp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  guint16 seq = gst_rtp_buffer_get_seq (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  g_mutex_lock (&lock);
  if (!stream->have) {
    stream->have = TRUE;
    stream->ext_max = 65536 + seq;
  } else {
    gint16 diff = (gint16) (seq - (guint16) stream->ext_max);
    if (diff > 0)
      stream->ext_max += diff;
  }
  stream->received++;
  g_mutex_unlock (&lock);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *webrtc, GstPad *pad, gpointer data)
{
  Member *member = data;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (member->pipe), sink);
  gst_element_sync_state_with_parent (sink);

  RecvStream *stream = g_new0 (RecvStream, 1);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  const char *media = gst_structure_get_string (gst_caps_get_structure (caps, 0), "media");
  stream->video = g_strcmp0 (media, "video") == 0;
  g_mutex_lock (&lock);
  g_ptr_array_add (member->streams, stream);
  g_mutex_unlock (&lock);

  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_received, stream, NULL);
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

/* ---- signaling: answers and candidates go out from the main context ---- */

typedef struct {
  Member *member;
  char *text;          /* SDP of the answer, or the candidate */
  guint mline;
  gboolean answer;
} Outgoing;

static gboolean
send_outgoing (gpointer data)
{
  Outgoing *out = data;
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, out->answer ? "sdp" : "ice");
  json_builder_set_member_name (b, "consultation");
  json_builder_add_string_value (b, out->member->consultation);
  json_builder_set_member_name (b, "to");
  json_builder_add_string_value (b, out->member->relay_id);
  json_builder_set_member_name (b, out->answer ? "sdp" : "candidate");
  json_builder_begin_object (b);
  if (out->answer) {
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, "answer");
    json_builder_set_member_name (b, "sdp");
    json_builder_add_string_value (b, out->text);
  } else {
    json_builder_set_member_name (b, "candidate");
    json_builder_add_string_value (b, out->text);
    json_builder_set_member_name (b, "sdpMLineIndex");
    json_builder_add_int_value (b, out->mline);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);

  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = json_to_string (root, FALSE);
  lm_test_peer_send_raw (out->member->sig, FALSE, text, strlen (text));
  g_free (out->text);
  g_free (out);
  return G_SOURCE_REMOVE;
}

static void
post_outgoing (Member *member, gboolean answer, guint mline, char *text)
{
  Outgoing *out = g_new0 (Outgoing, 1);
  out->member = member;
  out->answer = answer;
  out->mline = mline;
  out->text = text;
  /* webrtcbin's threads never touch the peers: hop to the main context. */
  GSource *source = g_idle_source_new ();
  g_source_set_callback (source, send_outgoing, out, NULL);
  g_source_attach (source, NULL);
  g_source_unref (source);
}

static void
on_ice_candidate (GstElement *webrtc, guint mline, char *candidate, gpointer member)
{
  post_outgoing (member, FALSE, mline, g_strdup (candidate));
}

static void
on_answer_created (GstPromise *promise, gpointer data)
{
  Member *member = data;
  GstWebRTCSessionDescription *answer = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    gst_structure_get (gst_promise_get_reply (promise), "answer",
                       GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  gst_promise_unref (promise);
  if (answer == NULL) {
    g_printerr ("member %u: no answer\n", member->index);
    return;
  }
  g_signal_emit_by_name (member->webrtc, "set-local-description", answer, NULL);
  post_outgoing (member, TRUE, 0, gst_sdp_message_as_text (answer->sdp));
  gst_webrtc_session_description_free (answer);
}

static void
on_offer_set (GstPromise *promise, gpointer data)
{
  Member *member = data;

  gst_promise_unref (promise);
  g_signal_emit_by_name (member->webrtc, "create-answer", NULL,
                         gst_promise_new_with_change_func (on_answer_created, member, NULL));
}

/* Hands the relay's offers and candidates to the members' webrtcbins. */
static void
pump_signaling (void)
{
  for (guint i = 0; i < n_members; i++) {
    Member *m = &members[i];
    GList *list = lm_test_peer_take_all (m->sig, "sdp");
    for (GList *l = list; l; l = l->next) {
      JsonObject *sdp = lm_test_json_get_object (l->data, "sdp");
      GstSDPMessage *message;
      gst_sdp_message_new_from_text (lm_test_json_get_string (sdp, "sdp"), &message);
      GstWebRTCSessionDescription *offer =
        gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, message);
      g_signal_emit_by_name (m->webrtc, "set-remote-description", offer,
                             gst_promise_new_with_change_func (on_offer_set, m, NULL));
      gst_webrtc_session_description_free (offer);
    }
    g_list_free_full (list, (GDestroyNotify) json_object_unref);

    list = lm_test_peer_take_all (m->sig, "ice");
    for (GList *l = list; l; l = l->next) {
      JsonObject *c = lm_test_json_get_object (l->data, "candidate");
      const char *candidate = lm_test_json_get_string (c, "candidate");
      if (candidate[0] != '\0')
        g_signal_emit_by_name (m->webrtc, "add-ice-candidate",
                               (guint) lm_test_json_get_int (c, "sdpMLineIndex"), candidate);
    }
    g_list_free_full (list, (GDestroyNotify) json_object_unref);
    g_list_free_full (lm_test_peer_take_all (m->sig, NULL), (GDestroyNotify) json_object_unref);
  }
}

static void
run_for (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end) {
    g_main_context_iteration (NULL, TRUE);
    pump_signaling ();
  }
}

/* ---- members ---- */

static GstAppSrc *
add_sender (Member *member, const Clip *clip, const char *payloader, const char *rtp_caps)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *description = g_strdup_printf ("appsrc name=src ! %s", payloader);
  GstElement *bin = gst_parse_bin_from_description (description, TRUE, &error);

  if (bin == NULL)
    g_error ("%s: %s", description, error->message);
  GstElement *src = gst_bin_get_by_name (GST_BIN (bin), "src");
  /* Live, timestamped by the pacer; while webrtcbin blocks the sink pad
   * (until negotiated) the oldest frames are dropped. */
  g_object_set (src, "caps", clip->caps, "is-live", TRUE, "format", GST_FORMAT_TIME,
                "max-buffers", (guint64) 30, "leaky-type", 2 /* downstream */, NULL);
  gst_bin_add (GST_BIN (member->pipe), bin);

  GstPad *sink = gst_element_request_pad_simple (member->webrtc, "sink_%u");
  GstPad *srcpad = gst_element_get_static_pad (bin, "src");
  gst_pad_link (srcpad, sink);
  GstWebRTCRTPTransceiver *trans;
  g_object_get (sink, "transceiver", &trans, NULL);
  g_autoptr (GstCaps) caps = gst_caps_from_string (rtp_caps);
  g_object_set (trans, "codec-preferences", caps, "do-nack", TRUE, NULL);
  gst_object_unref (trans);
  gst_object_unref (srcpad);
  gst_object_unref (sink);
  return GST_APP_SRC (src);
}

static void
on_new_transceiver (GstElement *webrtc, GstWebRTCRTPTransceiver *trans, gpointer data)
{
  g_object_set (trans, "do-nack", TRUE, NULL);
}

static void
start_media (Member *member)
{
  g_autofree char *name = g_strdup_printf ("member-%u", member->index);
  GObject *ice, *agent;

  member->streams = g_ptr_array_new_with_free_func (g_free);
  member->pipe = gst_pipeline_new (name);
  member->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  g_signal_connect (member->pipe, "deep-element-added", G_CALLBACK (on_deep_element_added), NULL);
  gst_bin_add (GST_BIN (member->pipe), member->webrtc);
  g_object_set (member->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", 50, NULL);
  g_object_get (member->webrtc, "ice-agent", &ice, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  g_object_set (agent, "upnp", FALSE, NULL);
  g_object_unref (agent);
  g_object_unref (ice);
  g_signal_connect (member->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), member);
  g_signal_connect (member->webrtc, "pad-added", G_CALLBACK (on_pad_added), member);
  g_signal_connect (member->webrtc, "on-new-transceiver", G_CALLBACK (on_new_transceiver), member);

  member->video_src = add_sender (member, &video_clip,
      "rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit", VIDEO_RTP_CAPS);
  member->audio_src = add_sender (member, &audio_clip, "rtpopuspay pt=111", AUDIO_RTP_CAPS);
  gst_element_set_state (member->pipe, GST_STATE_PLAYING);

  gint64 now = g_get_monotonic_time ();
  member->video_start = now + g_random_int_range (0, (gint32) VIDEO_FRAME_US);
  member->audio_start = now + g_random_int_range (0, (gint32) AUDIO_FRAME_US);
  g_atomic_int_set (&member->active, 1);
}

/* ---- the pacer: pushes the clip's frames into every member's appsrc ---- */

static void
push_frame (Member *member, GstAppSrc *src, const Clip *clip, guint64 n, double frame_us)
{
  GstBuffer *frame = g_ptr_array_index (clip->frames, n % clip->frames->len);
  GstBuffer *buffer = gst_buffer_copy (frame);   /* shares the memory */
  GstClockTime now = gst_clock_get_time (clock_);
  GstClockTime base = gst_element_get_base_time (member->pipe);

  GST_BUFFER_PTS (buffer) = now > base ? now - base : 0;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buffer) = (GstClockTime) (frame_us * GST_USECOND);
  gst_app_src_push_buffer (src, buffer);
}

static gpointer
pacer_thread (gpointer data)
{
  while (!g_atomic_int_get (&pacer_stop)) {
    gint64 now = g_get_monotonic_time ();
    guint count = g_atomic_int_get ((gint *) &n_members);
    gint64 worst = 0;

    for (guint i = 0; i < count; i++) {
      Member *m = &members[i];
      if (!g_atomic_int_get (&m->active))
        continue;
      gint64 due;
      while ((due = m->video_start + (gint64) (m->video_sent * VIDEO_FRAME_US)) <= now) {
        worst = MAX (worst, now - due);
        push_frame (m, m->video_src, &video_clip, m->video_sent++, VIDEO_FRAME_US);
      }
      while ((due = m->audio_start + (gint64) (m->audio_sent * AUDIO_FRAME_US)) <= now) {
        worst = MAX (worst, now - due);
        push_frame (m, m->audio_src, &audio_clip, m->audio_sent++, AUDIO_FRAME_US);
      }
    }
    g_mutex_lock (&pacer_lock);
    pacer_max_late_us = MAX (pacer_max_late_us, worst);
    g_mutex_unlock (&pacer_lock);
    g_usleep (1000);
  }
  return NULL;
}

/* ---- /proc ---- */

static double
cpu_seconds (GPid pid)
{
  g_autofree char *path = pid ? g_strdup_printf ("/proc/%d/stat", pid) : g_strdup ("/proc/self/stat");
  g_autofree char *text = NULL;
  unsigned long utime = 0, stime = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  const char *p = strrchr (text, ')');
  /* Fields 14 and 15 of stat(5); p + 2 is field 3. */
  if (p == NULL || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                           &utime, &stime) != 2)
    return 0;
  return (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}

static gint64
status_field (GPid pid, const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  const char *line = strstr (text, field);
  return line ? g_ascii_strtoll (line + strlen (field), NULL, 10) : -1;
}

static double
load_average (void)
{
  g_autofree char *text = NULL;
  return g_file_get_contents ("/proc/loadavg", &text, NULL, NULL) ? g_ascii_strtod (text, NULL) : -1;
}

/* ---- one step ---- */

static gboolean
all_flowing (void)
{
  gboolean ok = TRUE;
  g_mutex_lock (&lock);
  for (guint i = 0; i < n_members && ok; i++) {
    guint flowing = 0;
    for (guint j = 0; j < members[i].streams->len; j++)
      flowing += ((RecvStream *) members[i].streams->pdata[j])->have;
    ok = flowing >= 2;
  }
  g_mutex_unlock (&lock);
  return ok;
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static double
percentile_ms (double q)
{
  if (delays->len == 0)
    return -1;
  guint i = MIN (delays->len - 1, (guint) (q * delays->len));
  return g_array_index (delays, gint64, i) / 1000.0;
}

typedef struct {
  guint64 expected, received;
} LossCount;

static double
loss_pct (const LossCount *c)
{
  return c->expected ? 100.0 * (1.0 - (double) c->received / c->expected) : -1;
}

/* Measures one window; returns FALSE when stepping should stop. */
static gboolean
measure_step (guint consultations, GPid relay_pid, gint64 rss_idle_kb,
              guint prev_consultations, gint64 prev_rss_kb, gint64 *rss_out, FILE *json)
{
  run_for (opt_warmup);

  g_mutex_lock (&lock);
  for (guint i = 0; i < n_members; i++)
    for (guint j = 0; j < members[i].streams->len; j++) {
      RecvStream *s = members[i].streams->pdata[j];
      s->ext_start = s->ext_max;
      s->received_start = s->received;
    }
  g_array_set_size (delays, 0);
  measuring = TRUE;
  g_mutex_unlock (&lock);
  g_mutex_lock (&pacer_lock);
  pacer_max_late_us = 0;
  g_mutex_unlock (&pacer_lock);

  double relay0 = cpu_seconds (relay_pid), self0 = cpu_seconds (0);
  gint64 t0 = g_get_monotonic_time ();
  run_for (opt_duration);
  double relay1 = cpu_seconds (relay_pid), self1 = cpu_seconds (0);
  gint64 t1 = g_get_monotonic_time ();

  LossCount all = { 0 }, video = { 0 };
  g_mutex_lock (&lock);
  measuring = FALSE;
  for (guint i = 0; i < n_members; i++)
    for (guint j = 0; j < members[i].streams->len; j++) {
      RecvStream *s = members[i].streams->pdata[j];
      guint64 expected = s->ext_max - s->ext_start, received = s->received - s->received_start;
      all.expected += expected;
      all.received += received;
      if (s->video) {
        video.expected += expected;
        video.received += received;
      }
    }
  g_array_sort (delays, compare_gint64);
  double p50 = percentile_ms (0.50), p99 = percentile_ms (0.99), p999 = percentile_ms (0.999);
  double max = percentile_ms (1.0);
  guint samples = delays->len;
  g_mutex_unlock (&lock);

  double window = (t1 - t0) / (double) G_USEC_PER_SEC;
  double relay_cpu = 100.0 * (relay1 - relay0) / window;
  double driver_cpu = 100.0 * (self1 - self0) / window;
  gint64 rss = status_field (relay_pid, "VmRSS:");
  gint64 threads = status_field (relay_pid, "Threads:");
  double per_consultation_kb = (double) (rss - rss_idle_kb) / consultations;
  double marginal_kb = prev_consultations
    ? (double) (rss - prev_rss_kb) / (consultations - prev_consultations) : per_consultation_kb;
  double loss = loss_pct (&all);
  gint64 pacer_late;
  g_mutex_lock (&pacer_lock);
  pacer_late = pacer_max_late_us;
  g_mutex_unlock (&pacer_lock);

  printf ("N=%u relay_cpu=%.1f%% (%.2f%%/consultation) driver_cpu=%.1f%% loss=%.3f%% "
          "(video %.3f%%, %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " pkts, %.0f pkt/s forwarded) "
          "latency p50=%.2f p99=%.2f p99.9=%.2f max=%.1f ms (n=%u) rss=%.1f MB "
          "(+%.0f KB/consultation from idle, +%.0f KB marginal) threads=%" G_GINT64_FORMAT
          " pacer_late_max=%.1f ms load=%.2f\n",
          consultations, relay_cpu, relay_cpu / consultations, driver_cpu, loss,
          loss_pct (&video), all.received, all.expected, all.received / window,
          p50, p99, p999, max, samples, rss / 1024.0, per_consultation_kb, marginal_kb,
          threads, pacer_late / 1000.0, load_average ());
  fflush (stdout);

  if (json) {
    fprintf (json,
             "{\"consultations\": %u, \"window_s\": %.2f, \"relay_cpu_pct\": %.2f, "
             "\"driver_cpu_pct\": %.2f, \"loss_pct\": %.4f, \"video_loss_pct\": %.4f, "
             "\"packets_expected\": %" G_GUINT64_FORMAT ", \"packets_received\": %" G_GUINT64_FORMAT ", "
             "\"packets_per_s\": %.1f, \"latency_samples\": %u, \"latency_p50_ms\": %.3f, "
             "\"latency_p99_ms\": %.3f, \"latency_p999_ms\": %.3f, \"latency_max_ms\": %.3f, "
             "\"relay_rss_kb\": %" G_GINT64_FORMAT ", \"relay_rss_idle_kb\": %" G_GINT64_FORMAT ", "
             "\"rss_per_consultation_kb\": %.1f, \"rss_marginal_kb\": %.1f, "
             "\"relay_threads\": %" G_GINT64_FORMAT ", \"pacer_late_max_ms\": %.2f, "
             "\"load1\": %.2f, \"relay_latency_opt_ms\": %d, \"relay_cpu\": %d}\n",
             consultations, window, relay_cpu, driver_cpu, loss, loss_pct (&video),
             all.expected, all.received, all.received / window, samples, p50, p99, p999, max,
             rss, rss_idle_kb, per_consultation_kb, marginal_kb, threads, pacer_late / 1000.0,
             load_average (), opt_latency, opt_relay_cpu);
    fflush (json);
  }
  *rss_out = rss;
  if (loss > opt_max_loss) {
    printf ("stop: loss %.3f%% > %.2f%%\n", loss, opt_max_loss);
    return FALSE;
  }
  if (relay_cpu >= opt_max_cpu) {
    printf ("stop: relay CPU %.1f%% >= %.0f%% of its core\n", relay_cpu, opt_max_cpu);
    return FALSE;
  }
  return TRUE;
}

/* ---- main ---- */

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
relay_child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
spawn_relay (const char *url, const char *token, guint max_consultations)
{
  const char *binary = g_getenv ("LASTMILE_RELAY");
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;

  if (binary == NULL || !g_file_test (binary, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("LASTMILE_RELAY must name the lastmile-relay binary");
  if (opt_relay_cpu >= 0) {
    /* taskset execs the relay: same PID, and the mask covers all its threads. */
    g_ptr_array_add (argv, g_strdup ("taskset"));
    g_ptr_array_add (argv, g_strdup ("-c"));
    g_ptr_array_add (argv, g_strdup_printf ("%d", opt_relay_cpu));
  }
  g_ptr_array_add (argv, g_strdup (binary));
  g_ptr_array_add (argv, g_strdup ("--server"));
  g_ptr_array_add (argv, g_strdup (url));
  g_ptr_array_add (argv, g_strdup ("--token"));
  g_ptr_array_add (argv, g_strdup (token));
  g_ptr_array_add (argv, g_strdup ("--latency"));
  g_ptr_array_add (argv, g_strdup_printf ("%d", opt_latency));
  g_ptr_array_add (argv, g_strdup ("--max-consultations"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", max_consultations));
  g_ptr_array_add (argv, NULL);
  if (g_getenv ("GST_DEBUG") == NULL)
    g_subprocess_launcher_setenv (launcher, "GST_DEBUG", "lmr*:2", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, relay_child_setup, NULL, NULL);
  GSubprocess *relay = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  if (relay == NULL)
    g_error ("starting the relay: %s", error->message);
  return relay;
}

static void
stop_relay (GSubprocess *relay)
{
  g_subprocess_send_signal (relay, SIGTERM);
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_subprocess_get_identifier (relay) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (10000);
  if (g_subprocess_get_identifier (relay)) {
    g_printerr ("relay did not stop within 10 s: killed\n");
    g_subprocess_force_exit (relay);
  }
  g_subprocess_wait (relay, NULL, NULL);
}

static GArray *
parse_steps (const char *text)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  GArray *steps = g_array_new (FALSE, FALSE, sizeof (guint));
  guint last = 0;

  for (guint i = 0; parts[i]; i++) {
    guint64 n;
    if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 1, 500, &n, NULL) || n <= last)
      return g_array_free (steps, TRUE), NULL;
    last = (guint) n;
    g_array_append_val (steps, last);
  }
  return steps->len ? steps : (g_array_free (steps, TRUE), NULL);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "steps", 0, 0, G_OPTION_ARG_STRING, &opt_steps, "Concurrent consultations, increasing (1,5,10,15,20,30)", "N,N,..." },
    { "duration", 0, 0, G_OPTION_ARG_INT, &opt_duration, "Measured seconds per step (20)", "S" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &opt_warmup, "Seconds before each window (5)", "S" },
    { "relay-cpu", 0, 0, G_OPTION_ARG_INT, &opt_relay_cpu, "Pin the relay to this CPU with taskset (-1: no)", "CPU" },
    { "latency", 0, 0, G_OPTION_ARG_INT, &opt_latency, "The relay's --latency (50)", "MS" },
    { "max-loss", 0, 0, G_OPTION_ARG_DOUBLE, &opt_max_loss, "Stop after a step with more loss (0.5)", "PCT" },
    { "max-cpu", 0, 0, G_OPTION_ARG_DOUBLE, &opt_max_cpu, "Stop after a step with the relay this busy (95)", "PCT" },
    { "clip-seconds", 0, 0, G_OPTION_ARG_INT, &opt_clip_seconds, "Length of the looped clip (10)", "S" },
    { "video-kbps", 0, 0, G_OPTION_ARG_INT, &opt_video_kbps, "vp8enc target bitrate (550: the clip measures ~500)", "KBPS" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &opt_json, "Append one JSON object per step", "FILE" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout, "Abort the whole run after this (900)", "S" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- lastmile-relay capacity benchmark");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_autoptr (GArray) steps = parse_steps (opt_steps);
  if (steps == NULL || opt_duration < 1 || opt_warmup < 0 || opt_clip_seconds < 2 || opt_timeout < 10) {
    g_printerr ("bad --steps, --duration, --warmup, --clip-seconds or --timeout\n");
    return 2;
  }
  alarm (opt_timeout);   /* default action: terminate; children follow (PDEATHSIG) */
  lm_test_init (&argc, &argv);
  g_log_set_debug_enabled (FALSE);

  guint max_n = g_array_index (steps, guint, steps->len - 1);
  FILE *json = NULL;
  if (opt_json && !(json = fopen (opt_json, "a"))) {
    g_printerr ("%s: cannot open\n", opt_json);
    return 2;
  }

  gint64 t = g_get_monotonic_time ();
  encode_clips ();
  double clip_s = opt_clip_seconds;
  printf ("clip: %u VP8 frames 640x480 at %.0f kbit/s, %u Opus frames at %.0f kbit/s, encoded in %.1f s\n",
          video_clip.frames->len, video_clip.bytes * 8 / clip_s / 1000,
          audio_clip.frames->len, audio_clip.bytes * 8 / clip_s / 1000,
          (g_get_monotonic_time () - t) / 1e6);

  clock_ = gst_system_clock_obtain ();
  send_times = g_hash_table_new (key_hash, g_direct_equal);
  delays = g_array_new (FALSE, FALSE, sizeof (gint64));
  members = g_new0 (Member, 2 * max_n);

  g_autoptr (LmTestServer) server = lm_test_server_new (FALSE);
  g_autofree char *relay_token = lm_test_server_add_account (server, "relay", "bench-relay", NULL);
  char **clinic_tokens = g_new0 (char *, max_n + 1), **doctor_tokens = g_new0 (char *, max_n + 1);
  for (guint i = 0; i < max_n; i++) {
    g_autofree char *clinic = g_strdup_printf ("bench-clinic-%u", i);
    g_autofree char *doctor = g_strdup_printf ("bench-doctor-%u", i);
    clinic_tokens[i] = lm_test_server_add_account (server, "clinic", clinic, NULL);
    doctor_tokens[i] = lm_test_server_add_account (server, "doctor", doctor, NULL);
  }
  lm_test_server_start (server, "--media-policy", "relay", NULL);
  g_autofree char *url = lm_test_server_get_ws_url (server);
  GSubprocess *relay = spawn_relay (url, relay_token, max_n + 1);
  GPid relay_pid = atoi (g_subprocess_get_identifier (relay));
  /* run_for() checks the time and the peers' queues at least every 10 ms. */
  g_timeout_add (10, tick, NULL);
  g_timeout_add_seconds (1, prune_send_times, NULL);
  run_for (3);   /* the relay registers (its DTLS certificate is made first) */
  gint64 rss_idle = status_field (relay_pid, "VmRSS:");
  printf ("relay pid %d%s: idle RSS %.1f MB, %" G_GINT64_FORMAT " threads; load %.2f\n",
          relay_pid, opt_relay_cpu >= 0 ? " (pinned)" : "", rss_idle / 1024.0,
          status_field (relay_pid, "Threads:"), load_average ());
  fflush (stdout);

  GThread *pacer = g_thread_new ("pacer", pacer_thread, NULL);
  gboolean complete = TRUE;
  guint consultations = 0, prev = 0;
  gint64 prev_rss = rss_idle;

  for (guint s = 0; s < steps->len; s++) {
    guint target = g_array_index (steps, guint, s);
    for (; consultations < target; consultations++) {
      Member *c = &members[n_members], *d = &members[n_members + 1];
      c->index = n_members;
      d->index = n_members + 1;
      c->sig = lm_test_peer_new (server, "clinic");
      json_object_unref (lm_test_peer_hello (c->sig, clinic_tokens[consultations]));
      d->sig = lm_test_peer_new (server, "doctor");
      json_object_unref (lm_test_peer_hello (d->sig, doctor_tokens[consultations]));
      start_media (c);
      start_media (d);
      g_atomic_int_add ((gint *) &n_members, 2);
      c->consultation = lm_test_peer_request (c->sig, "general", "routine", "bench", NULL);
      d->consultation = g_strdup (c->consultation);
      json_object_unref (lm_test_peer_set_available (d->sig));
      JsonObject *clinic_start = NULL;
      JsonObject *doctor_start = lm_test_peer_accept (d->sig, c->sig, c->consultation, &clinic_start);
      c->relay_id = g_strdup (lm_test_json_get_string (
          lm_test_json_get_object (clinic_start, "media"), "relay"));
      d->relay_id = g_strdup (c->relay_id);
      json_object_unref (clinic_start);
      json_object_unref (doctor_start);
      pump_signaling ();
    }
    gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
    while (!all_flowing () && g_get_monotonic_time () < end)
      run_for (0.1);
    if (!all_flowing ()) {
      printf ("N=%u: not every member received both streams within 30 s\n", consultations);
      complete = FALSE;
      break;
    }
    gint64 rss;
    if (!measure_step (consultations, relay_pid, rss_idle, prev, prev_rss, &rss, json))
      break;   /* a limit was reached: that is the result, not a failure */
    prev = consultations;
    prev_rss = rss;
  }

  g_atomic_int_set (&pacer_stop, 1);
  g_thread_join (pacer);
  for (guint i = 0; i < n_members; i++)
    gst_element_set_state (members[i].pipe, GST_STATE_NULL);
  stop_relay (relay);
  g_object_unref (relay);
  lm_test_server_stop (server);
  if (json)
    fclose (json);
  return complete ? 0 : 1;
}

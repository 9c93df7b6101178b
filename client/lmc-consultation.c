/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-consultation.h"

#include <gst/gst.h>

#include "lm-protocol.h"
#include "lmc-error.h"
#include "lmc-media.h"
#include "lmc-participants.h"

GST_DEBUG_CATEGORY_STATIC (lmc_consultation_debug);
#define GST_CAT_DEFAULT lmc_consultation_debug

/* How long to wait for the last statistics, then for consult.ended, then
 * for the ICE agent to release its TURN allocations. */
#define FINAL_STATS_TIMEOUT_MS 1000
#define ENDED_TIMEOUT_MS 5000
#define CLOSE_TIMEOUT_MS 2000

typedef enum {
  STATE_ACTIVE,
  STATE_ENDING,       /* hung up here: waiting for the last statistics */
  STATE_END_SENT,     /* consult.end sent: waiting for consult.ended */
  STATE_FINALIZING,   /* consult.ended came: waiting for the last statistics */
  STATE_CLOSING,      /* figures final: releasing TURN allocations */
  STATE_DONE,
} State;

struct _LmcConsultation {
  const LmcOptions *options;
  LmcUi *ui;
  char *id;
  char *role;
  char *remote_peer;
  gboolean relay;
  gboolean offerer;
  LmcParticipants *participants;
  GArray *final_streams;    /* LmcMediaStreamStats at the end */
  GCancellable *cancellable;
  gboolean invited;
  gboolean leaving;
  LmcConsultationSendFunc send;
  LmcConsultationDoneFunc done;
  gpointer user_data;

  LmcMedia *media;
  State state;
  gint64 start_us;
  gint64 ice_connected_us;
  gint64 connected_us;
  gint64 first_frame_us;
  LmcMediaStats last;       /* the previous sample, for rates */
  LmcMediaStats final;
  gboolean have_final;
  char *local_reason;
  char *end_reason;

  guint stats_timer;
  guint duration_timer;
  guint ice_timer;
  guint wait_timer;
};

static void finalize_consultation (LmcConsultation *self);
static void send_end (LmcConsultation *self);

const char *
lmc_consultation_get_id (LmcConsultation *self)
{
  return self->id;
}

const char *
lmc_consultation_get_remote_peer (LmcConsultation *self)
{
  return self->remote_peer;
}

gboolean
lmc_consultation_is_done (LmcConsultation *self)
{
  return self->state == STATE_DONE;
}

const char *
lmc_consultation_get_end_reason (LmcConsultation *self)
{
  return self->end_reason ? self->end_reason : self->local_reason;
}

gboolean
lmc_consultation_ended_well (LmcConsultation *self)
{
  const char *reason = lmc_consultation_get_end_reason (self);

  return g_strcmp0 (reason, "completed") == 0 || g_strcmp0 (reason, "left") == 0;
}

/* A name to print for a peer id. */
static const char *
peer_name (LmcConsultation *self, const char *peer)
{
  const char *name = lmc_participants_get_name (self->participants, peer);

  return name ? name : "another participant";
}

static JsonObject *
new_message (LmcConsultation *self, const char *type, const char *id)
{
  g_autoptr (JsonNode) id_node = NULL;
  JsonObject *message;

  if (id) {
    id_node = json_node_new (JSON_NODE_VALUE);
    json_node_set_string (id_node, id);
  }
  message = lm_message_new (type, id_node);
  json_object_set_string_member (message, "consultation", self->id);
  return message;
}

static void
send_and_unref (LmcConsultation *self, JsonObject *message)
{
  self->send (message, self->user_data);
  json_object_unref (message);
}

/* ---- Statistics ---- */

static void
send_stats (LmcConsultation *self, const LmcMediaStats *now)
{
  JsonObject *message = new_message (self, "stats", NULL);
  const LmcMediaStats *before = &self->last;
  double seconds = (now->time_us - before->time_us) / (double) G_USEC_PER_SEC;
  guint64 received = now->packets_received - MIN (before->packets_received, now->packets_received);
  guint64 lost = now->packets_lost - MIN (before->packets_lost, now->packets_lost);
  double loss = received + lost > 0 ? 100.0 * lost / (received + lost) : 0;
  double kbps = 0, fps = 0;

  if (seconds > 0.1) {
    kbps = (now->bytes_received - MIN (before->bytes_received, now->bytes_received)) * 8 / 1000.0 / seconds;
    fps = (now->video_frames_received - MIN (before->video_frames_received, now->video_frames_received)) / seconds;
  }
  if (now->rtt_ms >= 0)
    json_object_set_double_member (message, "rtt_ms", now->rtt_ms);
  json_object_set_double_member (message, "loss_pct", MIN (loss, 100.0));
  json_object_set_double_member (message, "bitrate_kbps", kbps);
  json_object_set_double_member (message, "fps", fps);
  json_object_set_int_member (message, "bytes_sent", (gint64) now->bytes_sent);
  json_object_set_int_member (message, "bytes_received", (gint64) now->bytes_received);
  if (now->local_candidate_type)
    json_object_set_string_member (message, "local_candidate_type", now->local_candidate_type);
  if (now->remote_candidate_type)
    json_object_set_string_member (message, "remote_candidate_type", now->remote_candidate_type);
  send_and_unref (self, message);

  lmc_ui_status (self->ui, self->id, "quality: rtt %.1f ms, loss %.1f%%, %.0f kbit/s, %.1f fps, %s/%s",
                 MAX (now->rtt_ms, 0), loss, kbps, fps,
                 now->local_candidate_type ? now->local_candidate_type : "?",
                 now->remote_candidate_type ? now->remote_candidate_type : "?");
  self->last = *now;
}

static gboolean
on_stats_timer (gpointer user_data)
{
  LmcConsultation *self = user_data;

  lmc_media_request_stats (self->media);
  return G_SOURCE_CONTINUE;
}

static void
on_final_stats (LmcConsultation *self, const LmcMediaStats *stats)
{
  g_clear_handle_id (&self->wait_timer, g_source_remove);
  self->final = *stats;
  self->have_final = TRUE;
  if (self->state == STATE_ENDING) {
    send_stats (self, stats);
    send_end (self);
  } else if (self->state == STATE_FINALIZING) {
    finalize_consultation (self);
  }
}

static gboolean
on_final_stats_timeout (gpointer user_data)
{
  LmcConsultation *self = user_data;
  LmcMediaStats stats;

  self->wait_timer = 0;
  GST_WARNING ("[%s] no final statistics from webrtcbin in time", self->id);
  lmc_media_get_stats (self->media, &stats);
  on_final_stats (self, &stats);
  return G_SOURCE_REMOVE;
}

static void
request_final_stats (LmcConsultation *self)
{
  lmc_media_freeze_counters (self->media);
  g_clear_handle_id (&self->stats_timer, g_source_remove);
  g_clear_handle_id (&self->wait_timer, g_source_remove);
  self->wait_timer = g_timeout_add (FINAL_STATS_TIMEOUT_MS, on_final_stats_timeout, self);
  lmc_media_request_stats (self->media);
}

/* ---- Ending ---- */

static gboolean
on_ended_timeout (gpointer user_data)
{
  LmcConsultation *self = user_data;

  self->wait_timer = 0;
  lmc_ui_warning (self->ui, self->id, "the server did not confirm the end; stopping anyway");
  finalize_consultation (self);
  return G_SOURCE_REMOVE;
}

/* A doctor leaving a consultation that other doctors are still in leaves
 * only: the others go on (docs/protocol.md, consult.leave). */
static gboolean
should_leave (LmcConsultation *self)
{
  return self->relay && g_strcmp0 (self->role, "doctor") == 0 &&
         lmc_participants_count (self->participants, "doctor") > 0;
}

static void
send_end (LmcConsultation *self)
{
  JsonObject *message;

  if (should_leave (self)) {
    self->leaving = TRUE;
    lmc_ui_status (self->ui, self->id, "leaving; the other doctors stay (%s)", self->local_reason);
    message = new_message (self, "consult.leave", "leave");
  } else {
    message = new_message (self, "consult.end", "end");
    json_object_set_string_member (message, "reason", self->local_reason);
  }
  send_and_unref (self, message);
  self->state = STATE_END_SENT;
  self->wait_timer = g_timeout_add (ENDED_TIMEOUT_MS, on_ended_timeout, self);
}

void
lmc_consultation_hangup (LmcConsultation *self, const char *reason)
{
  if (self->state != STATE_ACTIVE)
    return;
  GST_INFO ("[%s] ending: %s", self->id, reason);
  lmc_ui_status (self->ui, self->id, "ending the consultation (%s)", reason);
  self->local_reason = g_strdup (reason);
  self->state = STATE_ENDING;
  request_final_stats (self);
}

void
lmc_consultation_handle_ended (LmcConsultation *self, const char *reason)
{
  if (self->state == STATE_CLOSING || self->state == STATE_DONE || self->end_reason)
    return;
  self->end_reason = g_strdup (reason);
  switch (self->state) {
    case STATE_ACTIVE:
      self->state = STATE_FINALIZING;
      request_final_stats (self);
      break;
    case STATE_ENDING:
      self->state = STATE_FINALIZING;   /* the statistics are on their way */
      break;
    case STATE_END_SENT:
      finalize_consultation (self);
      break;
    case STATE_FINALIZING:
    case STATE_CLOSING:
    case STATE_DONE:
      break;
  }
}

static void
on_media_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LmcConsultation *self;
  g_autoptr (GError) error = NULL;

  if (!lmc_media_close_finish (LMC_MEDIA (source), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* freed meanwhile */
  self = user_data;
  if (error)
    GST_WARNING ("[%s] %s", self->id, error->message);
  self->state = STATE_DONE;
  lmc_ui_status (self->ui, self->id, "consultation ended: %s",
                 lmc_consultation_get_end_reason (self));
  self->done (self, self->user_data);
}

/* The figures are final; the ICE agent then gives its TURN allocations
 * back before the pipeline stops (bounded by CLOSE_TIMEOUT_MS). */
static void
finalize_consultation (LmcConsultation *self)
{
  if (self->state == STATE_CLOSING || self->state == STATE_DONE)
    return;
  self->state = STATE_CLOSING;
  g_clear_handle_id (&self->stats_timer, g_source_remove);
  g_clear_handle_id (&self->duration_timer, g_source_remove);
  g_clear_handle_id (&self->ice_timer, g_source_remove);
  g_clear_handle_id (&self->wait_timer, g_source_remove);
  lmc_media_freeze_counters (self->media);
  if (!self->have_final) {
    lmc_media_get_stats (self->media, &self->final);
    self->have_final = TRUE;
  }
  self->final_streams = lmc_media_get_stream_stats (self->media);
  lmc_media_close_async (self->media, CLOSE_TIMEOUT_MS, self->cancellable, on_media_closed, self);
}

/* ---- Media events ---- */

static gboolean
on_duration_timer (gpointer user_data)
{
  LmcConsultation *self = user_data;

  self->duration_timer = 0;
  lmc_consultation_hangup (self, "completed");
  return G_SOURCE_REMOVE;
}

static gboolean
on_ice_timeout (gpointer user_data)
{
  LmcConsultation *self = user_data;

  self->ice_timer = 0;
  lmc_ui_warning (self->ui, self->id, "media did not connect within %d s", self->options->ice_timeout);
  lmc_consultation_hangup (self, "ice_timeout");
  return G_SOURCE_REMOVE;
}

/* --invite: asked once the call is up, so the new doctor joins a call
 * that works. */
static void
send_invite (LmcConsultation *self)
{
  JsonObject *message;

  if (self->invited || self->options->invite == NULL || g_strcmp0 (self->role, "doctor") != 0)
    return;
  self->invited = TRUE;
  message = new_message (self, "consult.invite", "invite");
  json_object_set_string_member (message, "doctor", self->options->invite);
  lmc_ui_status (self->ui, self->id, "inviting %s", self->options->invite);
  send_and_unref (self, message);
}

static void
send_record_consent (LmcConsultation *self)
{
  JsonObject *message = new_message (self, "consult.record", "record");

  json_object_set_boolean_member (message, "consent", TRUE);
  lmc_ui_status (self->ui, self->id, "the patient consents to recording");
  send_and_unref (self, message);
}

static void
on_connected (LmcConsultation *self, gint64 time_us)
{
  LmcMediaStats zero = { .time_us = time_us };

  self->connected_us = time_us;
  self->last = zero;
  g_clear_handle_id (&self->ice_timer, g_source_remove);
  lmc_ui_status (self->ui, self->id, "media connected after %.0f ms",
                 (time_us - self->start_us) / 1000.0);
  self->stats_timer = g_timeout_add_seconds (self->options->stats_interval, on_stats_timer, self);
  if (self->options->duration > 0)
    self->duration_timer = g_timeout_add_seconds (self->options->duration, on_duration_timer, self);
  send_invite (self);
}

static void
on_remote_stream (LmcConsultation *self, const LmcMediaEvent *event)
{
  const char *peer = lmc_participants_peer_for_mid (self->participants, event->text);

  lmc_ui_status (self->ui, self->id, "receiving %s from %s", event->video ? "video" : "audio",
                 peer ? peer_name (self, peer) : "an unknown participant");
}

static void
send_local_sdp (LmcConsultation *self, const LmcMediaEvent *event)
{
  JsonObject *message = new_message (self, "sdp", NULL);
  JsonObject *sdp = json_object_new ();

  json_object_set_string_member (message, "to", self->remote_peer);
  json_object_set_string_member (sdp, "type", event->sdp_type);
  json_object_set_string_member (sdp, "sdp", event->text);
  json_object_set_object_member (message, "sdp", sdp);
  send_and_unref (self, message);
}

static void
send_local_candidate (LmcConsultation *self, const LmcMediaEvent *event)
{
  JsonObject *message = new_message (self, "ice", NULL);
  JsonObject *candidate = json_object_new ();

  json_object_set_string_member (message, "to", self->remote_peer);
  json_object_set_string_member (candidate, "candidate", event->text);
  json_object_set_int_member (candidate, "sdpMLineIndex", event->mline);
  json_object_set_object_member (message, "candidate", candidate);
  send_and_unref (self, message);
}

static void
on_media_event (LmcMedia *media, const LmcMediaEvent *event, gpointer user_data)
{
  LmcConsultation *self = user_data;

  switch (event->kind) {
    case LMC_MEDIA_EVENT_LOCAL_SDP:
      if (self->state == STATE_ACTIVE)
        send_local_sdp (self, event);
      break;
    case LMC_MEDIA_EVENT_LOCAL_CANDIDATE:
      if (self->state == STATE_ACTIVE)
        send_local_candidate (self, event);
      break;
    case LMC_MEDIA_EVENT_ICE_CONNECTED:
      self->ice_connected_us = event->time_us;
      break;
    case LMC_MEDIA_EVENT_CONNECTED:
      on_connected (self, event->time_us);
      break;
    case LMC_MEDIA_EVENT_FIRST_FRAME:
      self->first_frame_us = event->time_us;
      lmc_ui_status (self->ui, self->id, "first remote video frame after %.0f ms",
                     (event->time_us - self->start_us) / 1000.0);
      break;
    case LMC_MEDIA_EVENT_REMOTE_STREAM:
      on_remote_stream (self, event);
      break;
    case LMC_MEDIA_EVENT_STATS:
      if (self->state == STATE_ACTIVE)
        send_stats (self, event->stats);
      else if (self->state == STATE_ENDING || self->state == STATE_FINALIZING)
        on_final_stats (self, event->stats);
      break;
    case LMC_MEDIA_EVENT_ERROR:
      lmc_ui_warning (self->ui, self->id, "%s: %s", event->reason, event->error->message);
      lmc_consultation_hangup (self, event->reason);
      break;
  }
}

/* ---- The peer's negotiation ---- */

void
lmc_consultation_handle_sdp (LmcConsultation *self, JsonObject *sdp, JsonArray *streams)
{
  g_autoptr (GError) error = NULL;
  const char *type = json_object_get_string_member_with_default (sdp, "type", NULL);
  const char *text = json_object_get_string_member_with_default (sdp, "sdp", NULL);

  if (self->state != STATE_ACTIVE)
    return;
  if (streams && self->relay) {
    g_autoptr (GArray) counts = lmc_media_get_stream_stats (self->media);

    lmc_participants_set_streams (self->participants, streams, counts);
  }
  if (!lmc_media_set_remote_description (self->media, type, text, &error)) {
    lmc_ui_warning (self->ui, self->id, "the peer sent unusable SDP: %s", error->message);
    lmc_consultation_hangup (self, "bad_sdp");
  }
}

void
lmc_consultation_handle_ice (LmcConsultation *self, JsonObject *candidate)
{
  g_autoptr (GError) error = NULL;
  const char *text = json_object_get_string_member_with_default (candidate, "candidate", NULL);
  gint64 mline = json_object_get_int_member_with_default (candidate, "sdpMLineIndex", -1);

  if (self->state != STATE_ACTIVE)
    return;
  if (mline < 0 || mline > 255) {
    g_set_error (&error, LMC_ERROR, LMC_ERROR_PEER, "bad ICE candidate: sdpMLineIndex out of range");
  } else if (lmc_media_add_remote_candidate (self->media, (guint) mline, text, &error)) {
    return;
  }
  lmc_ui_warning (self->ui, self->id, "the peer sent an unusable candidate: %s", error->message);
  lmc_consultation_hangup (self, "bad_candidate");
}

/* ---- Members coming and going (relay mode) ---- */

void
lmc_consultation_peer_joined (LmcConsultation *self, JsonObject *peer)
{
  const char *id = json_object_get_string_member_with_default (peer, "peer", NULL);
  const char *role = json_object_get_string_member_with_default (peer, "role", NULL);
  const char *name = json_object_get_string_member_with_default (peer, "name", NULL);

  lmc_participants_join (self->participants, id, role, name);
  lmc_ui_status (self->ui, self->id, "%s (%s) joined", peer_name (self, id), role ? role : "?");
}

void
lmc_consultation_peer_left (LmcConsultation *self, const char *peer)
{
  if (lmc_participants_leave (self->participants, peer))
    lmc_ui_status (self->ui, self->id, "%s left", peer_name (self, peer));
}

/* ---- Life cycle ---- */

LmcConsultation *
lmc_consultation_new (const LmcConsultationSetup  *setup,
                      GError                     **error)
{
  g_autoptr (LmcConsultation) self = g_new0 (LmcConsultation, 1);
  LmcMediaConfig config;

  static gsize debug_once = 0;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (lmc_consultation_debug, "lmc-consultation", 0,
                             "lastmile client consultation");
    g_once_init_leave (&debug_once, 1);
  }

  self->options = setup->options;
  self->ui = setup->ui;
  self->id = g_strdup (setup->id);
  self->role = g_strdup (setup->role);
  self->remote_peer = g_strdup (setup->remote_peer);
  self->relay = setup->relay;
  self->offerer = setup->offerer;
  self->cancellable = g_cancellable_new ();
  self->participants = lmc_participants_new (setup->self_peer);
  lmc_participants_add_json (self->participants, setup->peers);
  if (!self->relay)
    lmc_participants_set_default_peer (self->participants, setup->remote_peer);
  self->start_us = setup->start_us;
  self->send = setup->send;
  self->done = setup->done;
  self->user_data = setup->user_data;

  lmc_media_config_copy (&setup->options->media, &config);
  g_strfreev (config.stun_servers);
  g_strfreev (config.turn_servers);
  config.stun_servers = g_strdupv (setup->stun_servers);
  config.turn_servers = g_strdupv (setup->turn_servers);
  self->media = lmc_media_new (&config, self->id, on_media_event, self, error);
  lmc_media_config_clear (&config);
  if (self->media == NULL)
    return NULL;
  if (!lmc_media_start (self->media, self->offerer, error))
    return NULL;
  self->ice_timer = g_timeout_add_seconds (setup->options->ice_timeout, on_ice_timeout, self);
  if (self->options->consent_recording && g_strcmp0 (self->role, "clinic") == 0)
    send_record_consent (self);
  return g_steal_pointer (&self);
}

void
lmc_consultation_free (LmcConsultation *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->stats_timer, g_source_remove);
  g_clear_handle_id (&self->duration_timer, g_source_remove);
  g_clear_handle_id (&self->ice_timer, g_source_remove);
  g_clear_handle_id (&self->wait_timer, g_source_remove);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->media)
    lmc_media_stop (self->media);
  g_clear_object (&self->media);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->participants, lmc_participants_free);
  g_clear_pointer (&self->final_streams, g_array_unref);
  g_free (self->id);
  g_free (self->role);
  g_free (self->remote_peer);
  g_free (self->local_reason);
  g_free (self->end_reason);
  g_free (self);
}

static gint64
ms_since_start (LmcConsultation *self, gint64 time_us)
{
  return time_us > 0 ? (time_us - self->start_us) / 1000 : -1;
}

void
lmc_consultation_fill_report (LmcConsultation *self, LmcReport *report)
{
  LmcMediaStats stats = self->final;
  guint64 total;

  if (!self->have_final)
    lmc_media_get_stats (self->media, &stats);
  total = stats.packets_received + stats.packets_lost;

  g_free (report->consultation);
  report->consultation = g_strdup (self->id);
  report->ice_connected_ms = ms_since_start (self, self->ice_connected_us);
  report->first_frame_ms = ms_since_start (self, self->first_frame_us);
  report->video_frames_sent = stats.video_frames_sent;
  report->video_frames_received = stats.video_frames_received;
  report->audio_buffers_sent = stats.audio_buffers_sent;
  report->audio_buffers_received = stats.audio_buffers_received;
  report->bytes_sent = stats.bytes_sent;
  report->bytes_received = stats.bytes_received;
  report->rtt_ms = stats.rtt_ms;
  report->loss_pct = total > 0 ? 100.0 * stats.packets_lost / total : -1;
  g_free (report->local_candidate_type);
  report->local_candidate_type = g_strdup (stats.local_candidate_type);
  g_free (report->remote_candidate_type);
  report->remote_candidate_type = g_strdup (stats.remote_candidate_type);
  g_free (report->end_reason);
  report->end_reason = g_strdup (lmc_consultation_get_end_reason (self));
  g_ptr_array_set_size (report->peers, 0);
  if (self->final_streams) {
    lmc_participants_fill_report (self->participants, self->final_streams, report);
  } else {
    g_autoptr (GArray) counts = lmc_media_get_stream_stats (self->media);

    lmc_participants_fill_report (self->participants, counts, report);
  }
}

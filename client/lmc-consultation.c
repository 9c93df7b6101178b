/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-consultation.h"

#include <gst/gst.h>

#include "lm-protocol.h"
#include "lmc-error.h"
#include "lmc-media.h"

GST_DEBUG_CATEGORY_STATIC (lmc_consultation_debug);
#define GST_CAT_DEFAULT lmc_consultation_debug

/* How long to wait for the last statistics, then for consult.ended. */
#define FINAL_STATS_TIMEOUT_MS 1000
#define ENDED_TIMEOUT_MS 5000

typedef enum {
  STATE_ACTIVE,
  STATE_ENDING,       /* hung up here: waiting for the last statistics */
  STATE_END_SENT,     /* consult.end sent: waiting for consult.ended */
  STATE_FINALIZING,   /* consult.ended came: waiting for the last statistics */
  STATE_DONE,
} State;

struct _LmcConsultation {
  const LmcOptions *options;
  LmcUi *ui;
  char *id;
  char *remote_peer;
  gboolean offerer;
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

static void
send_end (LmcConsultation *self)
{
  JsonObject *message = new_message (self, "consult.end", "end");

  json_object_set_string_member (message, "reason", self->local_reason);
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
  if (self->state == STATE_DONE || self->end_reason)
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
    case STATE_DONE:
      break;
  }
}

static void
finalize_consultation (LmcConsultation *self)
{
  if (self->state == STATE_DONE)
    return;
  self->state = STATE_DONE;
  g_clear_handle_id (&self->stats_timer, g_source_remove);
  g_clear_handle_id (&self->duration_timer, g_source_remove);
  g_clear_handle_id (&self->ice_timer, g_source_remove);
  g_clear_handle_id (&self->wait_timer, g_source_remove);
  if (!self->have_final) {
    lmc_media_get_stats (self->media, &self->final);
    self->have_final = TRUE;
  }
  lmc_media_stop (self->media);
  lmc_ui_status (self->ui, self->id, "consultation ended: %s",
                 lmc_consultation_get_end_reason (self));
  self->done (self, self->user_data);
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
lmc_consultation_handle_sdp (LmcConsultation *self, JsonObject *sdp)
{
  g_autoptr (GError) error = NULL;
  const char *type = json_object_get_string_member_with_default (sdp, "type", NULL);
  const char *text = json_object_get_string_member_with_default (sdp, "sdp", NULL);

  if (self->state != STATE_ACTIVE)
    return;
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
  self->remote_peer = g_strdup (setup->remote_peer);
  self->offerer = setup->offerer;
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
  if (self->media)
    lmc_media_stop (self->media);
  g_clear_object (&self->media);
  g_free (self->id);
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
}

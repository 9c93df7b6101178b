/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-report.h"

#include <json-glib/json-glib.h>

static void
report_peer_free (gpointer data)
{
  LmcReportPeer *peer = data;

  g_free (peer->peer);
  g_free (peer->name);
  g_free (peer);
}

void
lmc_report_init (LmcReport *report)
{
  *report = (LmcReport) {
    .ice_connected_ms = -1,
    .first_frame_ms = -1,
    .rtt_ms = -1,
    .loss_pct = -1,
    .peers = g_ptr_array_new_with_free_func (report_peer_free),
  };
}

void
lmc_report_add_peer (LmcReport  *report,
                     const char *peer,
                     const char *name,
                     guint64     video_frames_received,
                     guint64     audio_buffers_received)
{
  LmcReportPeer *entry = g_new0 (LmcReportPeer, 1);

  entry->peer = g_strdup (peer);
  entry->name = g_strdup (name);
  entry->video_frames_received = video_frames_received;
  entry->audio_buffers_received = audio_buffers_received;
  g_ptr_array_add (report->peers, entry);
}

void
lmc_report_clear (LmcReport *report)
{
  g_clear_pointer (&report->consultation, g_free);
  g_clear_pointer (&report->role, g_free);
  g_clear_pointer (&report->local_candidate_type, g_free);
  g_clear_pointer (&report->remote_candidate_type, g_free);
  g_clear_pointer (&report->end_reason, g_free);
  g_clear_pointer (&report->peers, g_ptr_array_unref);
}

static void
add_string (JsonBuilder *b, const char *key, const char *value)
{
  json_builder_set_member_name (b, key);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_ms (JsonBuilder *b, const char *key, gint64 value)
{
  json_builder_set_member_name (b, key);
  if (value >= 0)
    json_builder_add_int_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_count (JsonBuilder *b, const char *key, guint64 value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, (gint64) MIN (value, (guint64) G_MAXINT64));
}

/* Two decimals are plenty and keep the file readable. */
static void
add_figure (JsonBuilder *b, const char *key, double value)
{
  json_builder_set_member_name (b, key);
  if (value >= 0)
    json_builder_add_double_value (b, (gint64) (value * 100 + 0.5) / 100.0);
  else
    json_builder_add_null_value (b);
}

static void
add_peers (JsonBuilder *b, GPtrArray *peers)
{
  json_builder_set_member_name (b, "peers");
  json_builder_begin_array (b);
  for (guint i = 0; peers && i < peers->len; i++) {
    LmcReportPeer *peer = g_ptr_array_index (peers, i);

    json_builder_begin_object (b);
    add_string (b, "peer", peer->peer);
    add_string (b, "name", peer->name);
    add_count (b, "video_frames_received", peer->video_frames_received);
    add_count (b, "audio_buffers_received", peer->audio_buffers_received);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

char *
lmc_report_to_json (const LmcReport *report)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  add_string (b, "consultation", report->consultation);
  add_string (b, "role", report->role);
  add_ms (b, "ice_connected_ms", report->ice_connected_ms);
  add_ms (b, "first_frame_ms", report->first_frame_ms);
  add_count (b, "video_frames_sent", report->video_frames_sent);
  add_count (b, "video_frames_received", report->video_frames_received);
  add_count (b, "audio_buffers_sent", report->audio_buffers_sent);
  add_count (b, "audio_buffers_received", report->audio_buffers_received);
  add_count (b, "bytes_sent", report->bytes_sent);
  add_count (b, "bytes_received", report->bytes_received);
  add_figure (b, "rtt_ms", report->rtt_ms);
  add_figure (b, "loss_pct", report->loss_pct);
  add_string (b, "local_candidate_type", report->local_candidate_type);
  add_string (b, "remote_candidate_type", report->remote_candidate_type);
  add_string (b, "end_reason", report->end_reason);
  add_peers (b, report->peers);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  return g_strconcat (text, "\n", NULL);
}

gboolean
lmc_report_write (const LmcReport  *report,
                  const char       *path,
                  GError          **error)
{
  g_autofree char *text = lmc_report_to_json (report);

  return g_file_set_contents (path, text, -1, error);
}

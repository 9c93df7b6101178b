/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-media-private.h"

#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

typedef struct {
  const guint *video_ssrcs;
  guint n_video_ssrcs;
  gboolean have_video;
  guint64 received_all, lost_all;
  guint64 received_video, lost_video;
  double rtt_ms;
} Collect;

/* get-stats mixes guint64, gint64 and uint for the same kind of figure. */
static guint64
get_count (const GstStructure *s, const char *field)
{
  const GValue *value = gst_structure_get_value (s, field);
  GValue converted = G_VALUE_INIT;
  gint64 result = 0;

  if (value == NULL)
    return 0;
  g_value_init (&converted, G_TYPE_INT64);
  if (g_value_transform (value, &converted))
    result = g_value_get_int64 (&converted);
  g_value_unset (&converted);
  return result > 0 ? (guint64) result : 0;
}

static void
collect_inbound (const GstStructure *s, Collect *c)
{
  guint64 received = get_count (s, "packets-received");
  guint64 lost = get_count (s, "packets-lost");
  guint ssrc = 0;

  c->received_all += received;
  c->lost_all += lost;
  if (!gst_structure_get_uint (s, "ssrc", &ssrc))
    return;
  for (guint i = 0; i < c->n_video_ssrcs; i++) {
    if (c->video_ssrcs[i] == ssrc) {
      c->have_video = TRUE;
      c->received_video += received;
      c->lost_video += lost;
      return;
    }
  }
}

static gboolean
collect_entry (GQuark field, const GValue *value, gpointer user_data)
{
  Collect *c = user_data;
  const GstStructure *s;
  GstWebRTCStatsType type;
  double rtt;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  s = gst_value_get_structure (value);
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL))
    return TRUE;

  if (type == GST_WEBRTC_STATS_INBOUND_RTP)
    collect_inbound (s, c);
  else if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP &&
           gst_structure_get_double (s, "round-trip-time", &rtt) && rtt >= 0)
    c->rtt_ms = MAX (c->rtt_ms, rtt * 1000.0);
  return TRUE;
}

void
lmc_media_stats_parse (const GstStructure *reply,
                       const guint        *video_ssrcs,
                       guint               n_video_ssrcs,
                       LmcMediaStatsNet   *net)
{
  Collect c = { .video_ssrcs = video_ssrcs, .n_video_ssrcs = n_video_ssrcs, .rtt_ms = -1 };

  *net = (LmcMediaStatsNet) { .rtt_ms = -1 };
  if (reply == NULL)
    return;
  gst_structure_foreach (reply, collect_entry, &c);
  net->valid = TRUE;
  net->packets_received = c.have_video ? c.received_video : c.received_all;
  net->packets_lost = c.have_video ? c.lost_video : c.lost_all;
  net->rtt_ms = c.rtt_ms;
}

/* rtpsession keeps, per source, the last report block received about
 * this side's streams; rb-round-trip is the RFC 3550 A - LSR - DLSR in
 * 1/65536 s, 0 when the block had no LSR (no sender report had reached
 * the peer yet), which is not a measurement. */
double
lmc_media_stats_session_rtt (const GstStructure *session_stats)
{
  const GValue *value;
  GValueArray *sources;
  double sum = 0;
  guint n = 0;

  if (session_stats == NULL)
    return -1;
  value = gst_structure_get_value (session_stats, "source-stats");
  /* rtpsession hands out a GValueArray (deprecated since GLib 2.32). */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (value == NULL || !G_VALUE_HOLDS (value, g_value_array_get_type ()))
    return -1;
  sources = g_value_get_boxed (value);
  for (guint i = 0; sources && i < sources->n_values; i++) {
    const GValue *entry = g_value_array_get_nth (sources, i);
    const GstStructure *s;
    gboolean have_rb = FALSE;
    guint rtt = 0;

    if (!GST_VALUE_HOLDS_STRUCTURE (entry))
      continue;
    s = gst_value_get_structure (entry);
    if (gst_structure_get_boolean (s, "have-rb", &have_rb) && have_rb &&
        gst_structure_get_uint (s, "rb-round-trip", &rtt) && rtt > 0) {
      sum += rtt * 1000.0 / 65536.0;
      n++;
    }
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
  return n > 0 ? sum / n : -1;
}

const char *
lmc_media_nice_type_to_string (int type)
{
  switch (type) {
    case NICE_CANDIDATE_TYPE_HOST:
      return "host";
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return "srflx";
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return "prflx";
    case NICE_CANDIDATE_TYPE_RELAYED:
      return "relay";
    default:
      return NULL;
  }
}

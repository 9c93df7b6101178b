/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-media-private.h"

#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

typedef struct {
  guint video_ssrc;
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
  if (c->video_ssrc && gst_structure_get_uint (s, "ssrc", &ssrc) && ssrc == c->video_ssrc) {
    c->have_video = TRUE;
    c->received_video = received;
    c->lost_video = lost;
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
                       guint               video_ssrc,
                       LmcMediaStatsNet   *net)
{
  Collect c = { .video_ssrc = video_ssrc, .rtt_ms = -1 };

  *net = (LmcMediaStatsNet) { .rtt_ms = -1 };
  if (reply == NULL)
    return;
  gst_structure_foreach (reply, collect_entry, &c);
  net->valid = TRUE;
  net->packets_received = c.have_video ? c.received_video : c.received_all;
  net->packets_lost = c.have_video ? c.lost_video : c.lost_all;
  net->rtt_ms = c.rtt_ms;
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

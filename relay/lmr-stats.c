/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-stats.h"

#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

/* get-stats mixes guint64, gint64, uint and int for the same kind of figure. */
static gint64
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
  return result;
}

static gboolean
add_entry (GQuark field, const GValue *value, gpointer user_data)
{
  LmrLegStats *stats = user_data;
  const GstStructure *s;
  GstWebRTCStatsType type;
  double rtt;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  s = gst_value_get_structure (value);
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL))
    return TRUE;

  switch (type) {
    case GST_WEBRTC_STATS_OUTBOUND_RTP:
      stats->bytes_sent += MAX (get_count (s, "bytes-sent"), 0);
      stats->packets_sent += MAX (get_count (s, "packets-sent"), 0);
      break;
    case GST_WEBRTC_STATS_INBOUND_RTP:
      stats->bytes_received += MAX (get_count (s, "bytes-received"), 0);
      stats->packets_received += MAX (get_count (s, "packets-received"), 0);
      stats->packets_lost += get_count (s, "packets-lost");
      break;
    case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP:
      if (gst_structure_get_double (s, "round-trip-time", &rtt) && rtt > 0)
        stats->rtt_ms = MAX (stats->rtt_ms, rtt * 1000.0);
      break;
    default:
      break;
  }
  return TRUE;
}

void
lmr_stats_parse (const GstStructure *reply,
                 LmrLegStats        *stats)
{
  stats->bytes_sent = stats->packets_sent = 0;
  stats->bytes_received = stats->packets_received = 0;
  stats->packets_lost = 0;
  stats->rtt_ms = -1;
  if (reply)
    gst_structure_foreach (reply, add_entry, stats);
}

void
lmr_stats_rates (const LmrLegStats *before,
                 const LmrLegStats *now,
                 LmrLegRates       *rates)
{
  double seconds = (now->time_us - before->time_us) / (double) G_USEC_PER_SEC;
  guint64 received = now->packets_received - MIN (before->packets_received, now->packets_received);
  gint64 lost = MAX (now->packets_lost - before->packets_lost, 0);

  *rates = (LmrLegRates) { 0 };
  if (received + lost > 0)
    rates->loss_pct = MIN (100.0 * lost / (double) (received + lost), 100.0);
  if (seconds > 0.1) {
    rates->kbps_received = (now->bytes_received - MIN (before->bytes_received, now->bytes_received))
                           * 8 / 1000.0 / seconds;
    rates->kbps_sent = (now->bytes_sent - MIN (before->bytes_sent, now->bytes_sent))
                       * 8 / 1000.0 / seconds;
  }
}

const char *
lmr_stats_candidate_type (int nice_type)
{
  switch (nice_type) {
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

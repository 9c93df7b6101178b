/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* The cumulative figures of one leg (relay ↔ one member). */
typedef struct {
  guint64 bytes_sent;          /* RTP towards the member */
  guint64 packets_sent;
  guint64 bytes_received;      /* RTP from the member */
  guint64 packets_received;
  gint64 packets_lost;         /* from the member, as RTCP counts them */
  double rtt_ms;               /* < 0 until a receiver report came back */
  const char *local_candidate_type;    /* static strings, NULL when unknown */
  const char *remote_candidate_type;
  gint64 time_us;              /* monotonic time of the sample */
} LmrLegStats;

/* Adds up webrtcbin's get-stats reply (GStreamer 1.22): outbound-rtp for
 * what was sent, inbound-rtp for what was received and lost (RTX streams
 * are extra inbound entries; every kind says "audio" under max-bundle, so
 * kinds are not looked at), remote-inbound-rtp for the round trip. The
 * candidate types and time are left as they are. */
void lmr_stats_parse (const GstStructure *reply,
                      LmrLegStats        *stats);

/* The figures of one interval: loss in % of what the member sent, and
 * the bit rates in both directions. */
typedef struct {
  double loss_pct;
  double kbps_received;
  double kbps_sent;
} LmrLegRates;

void lmr_stats_rates (const LmrLegStats *before,
                      const LmrLegStats *now,
                      LmrLegRates       *rates);

/* libnice's NiceCandidateType as "host", "srflx", "prflx", "relay". */
const char *lmr_stats_candidate_type (int nice_type);

G_END_DECLS

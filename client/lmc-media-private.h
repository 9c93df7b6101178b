/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* What get-stats adds to the media engine's own counters. */
typedef struct {
  gboolean valid;
  guint64 packets_received;
  guint64 packets_lost;
  double rtt_ms;            /* < 0 when no RTCP report has come yet */
} LmcMediaStatsNet;

/* Reads webrtcbin's get-stats reply (GStreamer 1.22). Received packets
 * and losses come from the inbound-rtp entry of `video_ssrc` when there
 * is one (every entry says kind=audio under max-bundle, so the kind
 * cannot be trusted), otherwise from all inbound-rtp entries; the RTT
 * from remote-inbound-rtp (the peer's receiver reports). */
void lmc_media_stats_parse (const GstStructure *reply,
                            guint               video_ssrc,
                            LmcMediaStatsNet   *net);

/* libnice's NiceCandidateType as "host", "srflx", "prflx", "relay". */
const char *lmc_media_nice_type_to_string (int type);

G_END_DECLS

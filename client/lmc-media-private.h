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
 * and losses come from the inbound-rtp entries of `video_ssrcs` when
 * there are some (every entry says kind=audio under max-bundle, so the
 * kind cannot be trusted), otherwise from all inbound-rtp entries; the
 * RTT from remote-inbound-rtp (the peer's receiver reports). */
void lmc_media_stats_parse (const GstStructure *reply,
                            const guint        *video_ssrcs,
                            guint               n_video_ssrcs,
                            LmcMediaStatsNet   *net);

/* The round-trip time in ms from an rtpsession's "stats" (the RTCP
 * report blocks the peer sent about this side's streams: RFC 3550's
 * A - LSR - DLSR), averaged over the sources that have one; < 0 when no
 * report block with an LSR has come yet. */
double lmc_media_stats_session_rtt (const GstStructure *session_stats);

/* libnice's NiceCandidateType as "host", "srflx", "prflx", "relay". */
const char *lmc_media_nice_type_to_string (int type);

G_END_DECLS

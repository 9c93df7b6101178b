/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gst/gst.h>

#include "lmc-media.h"

G_BEGIN_DECLS

/* The media engine's frame and packet counters, fed by pad probes on
 * GStreamer's streaming threads and read from the main thread.
 *
 * Sent media is counted where it is handed to the network (the sink pad
 * of webrtcbin's nicesink): SRTP leaves RTP headers in the clear, so one
 * RTP packet of the video payload type with the marker bit set is one
 * video frame sent, one of the audio payload type one audio buffer.
 * Whatever webrtcbin drops before DTLS is up is therefore never counted.
 * Received media is counted per stream (m-line): RTP packets and bytes
 * where webrtcbin hands them out, video frames after the decoder.
 *
 * Once frozen nothing is counted any more, and media RTP is no longer let
 * through to the network, so that what the peer receives after this side
 * stopped counting was counted as sent: received <= sent on every path. */
typedef struct _LmcCounters LmcCounters;

/* Runs once, on a streaming thread, at the first decoded video frame. */
typedef void (*LmcCountersFirstFrameFunc) (gpointer user_data);

LmcCounters *lmc_counters_new (guint                     video_pt,
                               guint                     audio_pt,
                               LmcCountersFirstFrameFunc first_frame,
                               gpointer                  user_data);

/* Only once nothing streams any more (the pipeline is in NULL). */
void lmc_counters_free (LmcCounters *counters);

/* Counts (and after the freeze drops) the RTP that leaves through `pad`. */
void lmc_counters_watch_network_out (LmcCounters *counters,
                                     GstPad      *pad);

/* Counts one received stream: RTP packets and bytes at `rtp_pad`, decoded
 * frames at `decoded_pad` (video only; NULL for audio). Several pads may
 * share one mid (a stream whose sender changed): their counts add up. */
void lmc_counters_watch_stream (LmcCounters *counters,
                                const char  *mid,
                                gboolean     video,
                                GstPad      *rtp_pad,
                                GstPad      *decoded_pad);

void lmc_counters_freeze (LmcCounters *counters);

/* Fills the frame, buffer and byte counts of `stats`; the received ones
 * are the sums over all streams. */
void lmc_counters_get (LmcCounters   *counters,
                       LmcMediaStats *stats);

/* LmcMediaStreamStats, one per mid, in the order the streams appeared. */
GArray *lmc_counters_get_streams (LmcCounters *counters);

typedef enum {
  LMC_PACKET_OTHER,   /* STUN, DTLS, too short, not version 2 */
  LMC_PACKET_RTP,
  LMC_PACKET_RTCP,
} LmcPacketKind;

/* RFC 7983 demultiplexing of what goes over an ICE transport, then RTP
 * and RTCP told apart by the payload type byte (RFC 5761). For RTP,
 * *pt and *marker receive the payload type and the marker bit. */
LmcPacketKind lmc_packet_classify (const guint8 *data,
                                   gsize         size,
                                   guint        *pt,
                                   gboolean     *marker);

G_END_DECLS

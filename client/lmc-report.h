/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One remote participant's media as this side received it. */
typedef struct {
  char *peer;
  char *name;
  guint64 video_frames_received;
  guint64 audio_buffers_received;
} LmcReportPeer;

/* What --report FILE holds: one JSON object whose key names are a
 * contract (benchmarks and tests read them). Unknown figures are null.
 * The top-level received figures are sums over the remote participants;
 * `peers` has one entry per remote participant (one in a direct
 * consultation), including those that left. */
typedef struct {
  char *consultation;
  char *role;
  gint64 ice_connected_ms;       /* consult.start → ICE connected; < 0 unknown */
  gint64 first_frame_ms;         /* consult.start → first decoded remote frame */
  guint64 video_frames_sent;
  guint64 video_frames_received;
  guint64 audio_buffers_sent;
  guint64 audio_buffers_received;
  guint64 bytes_sent;
  guint64 bytes_received;
  double rtt_ms;                 /* < 0 unknown */
  double loss_pct;               /* < 0 unknown */
  char *local_candidate_type;    /* host, srflx, prflx, relay or NULL */
  char *remote_candidate_type;
  char *end_reason;
  GPtrArray *peers;              /* LmcReportPeer */
} LmcReport;

/* Appends a participant (copies the strings). */
void lmc_report_add_peer (LmcReport  *report,
                          const char *peer,
                          const char *name,
                          guint64     video_frames_received,
                          guint64     audio_buffers_received);

void lmc_report_init (LmcReport *report);
void lmc_report_clear (LmcReport *report);

/* The JSON text, pretty-printed, with a final newline. */
char *lmc_report_to_json (const LmcReport *report);

/* Writes the JSON atomically (a temporary file renamed over `path`). */
gboolean lmc_report_write (const LmcReport  *report,
                           const char       *path,
                           GError          **error);

G_END_DECLS

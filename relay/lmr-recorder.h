/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Writes one member's forwarded video and audio into a WebM file as they
 * arrive: depayloaded, never decoded. Timestamps start at 0 at the first
 * packet, audio and video on the same clock. Stopping sends EOS through
 * the muxer so that the file gets its duration and cues, then reports. */

#define LMR_TYPE_RECORDER (lmr_recorder_get_type ())
G_DECLARE_FINAL_TYPE (LmrRecorder, lmr_recorder, LMR, RECORDER, GObject)

/* `bytes` and `duration_s` describe the closed file; `error` is set when
 * it could not be finished (it may then be missing or truncated). A
 * recorder that never saw a packet removes its empty file and reports
 * `path` NULL. Runs on the main context of lmr_recorder_new(). */
typedef void (*LmrRecorderDoneFunc) (LmrRecorder  *recorder,
                                     const char   *path,
                                     guint64       bytes,
                                     double        duration_s,
                                     const GError *error,
                                     gpointer      user_data);

/* Creates `path` (mode 0600, failing if it exists) and starts recording
 * the streams of the tees given (either may be NULL, not both). */
LmrRecorder *lmr_recorder_new (GstBin              *pipeline,
                               const char          *path,
                               const char          *log_id,
                               GstElement          *video_tee,
                               GstElement          *audio_tee,
                               LmrRecorderDoneFunc  done,
                               gpointer             user_data,
                               GError             **error);

/* Finishes the file; `done` follows once (at most a few seconds later). */
void lmr_recorder_stop (LmrRecorder *self);

/* Makes `dir`/`stem`.webm, or `stem`-2.webm and so on if taken, with
 * mode 0600, and returns its path. Characters other than [A-Za-z0-9_.-]
 * in `stem` become '_'. */
char *lmr_recorder_create_file (const char  *dir,
                                const char  *stem,
                                GError     **error);

G_END_DECLS

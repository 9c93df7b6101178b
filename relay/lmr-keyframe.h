/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Keyframe requests travel upstream as GstForceKeyUnit events: a
 * receiver's PLI or FIR makes its leg's rtpsession send one up the
 * forwarding branch, and the sending member's rtpsession turns it back
 * into a PLI. The limiter sits on one forwarded stream and lets through
 * at most one request per interval, however many receivers ask. */
typedef struct _LmrKeyframeLimiter LmrKeyframeLimiter;

/* Watches the upstream events crossing `pad` (the sink pad of the tee
 * that fans a member's stream out) until lmr_keyframe_limiter_free(). */
LmrKeyframeLimiter *lmr_keyframe_limiter_new (GstPad     *pad,
                                              guint       interval_ms,
                                              const char *log_id);

void lmr_keyframe_limiter_free (LmrKeyframeLimiter *limiter);

/* Asks the sending member for a keyframe (subject to the limit). */
void lmr_keyframe_limiter_request (LmrKeyframeLimiter *limiter);

/* Requests passed towards the sender and dropped so far. */
void lmr_keyframe_limiter_counts (LmrKeyframeLimiter *limiter,
                                  guint              *passed,
                                  guint              *dropped);

G_END_DECLS

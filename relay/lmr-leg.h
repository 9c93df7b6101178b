/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gst/gst.h>

#include "lmr-media-config.h"
#include "lmr-stats.h"

G_BEGIN_DECLS

/* One member's leg: a webrtcbin in the room's pipeline that the relay
 * negotiates as the offerer. Its first two media sections receive the
 * member's own video and audio, which come out into one tee per kind;
 * the sections added with lmr_leg_add_send_slot() carry another member's
 * stream to this member. Nothing is decoded. Everything webrtcbin reports
 * on its own threads reaches the caller as an LmrLegEvent on the
 * GMainContext that was the thread-default one when lmr_leg_new() ran. */

typedef enum {
  LMR_KIND_VIDEO,
  LMR_KIND_AUDIO,
  LMR_N_KINDS,
} LmrKind;

const char *lmr_kind_to_string (LmrKind kind);

typedef enum {
  LMR_LEG_EVENT_OFFER,        /* text: the SDP offer to send, mids: one per media section */
  LMR_LEG_EVENT_CANDIDATE,    /* mline, text: a local candidate ("" = end of candidates) */
  LMR_LEG_EVENT_NEGOTIATED,   /* mline: the answer to an offer of that many sections is applied */
  LMR_LEG_EVENT_CONNECTED,    /* ICE and DTLS are up */
  LMR_LEG_EVENT_SOURCE,       /* kind: the member's stream of that kind started */
  LMR_LEG_EVENT_STATS,        /* stats */
  LMR_LEG_EVENT_FAILED,       /* error: the leg cannot go on */
} LmrLegEventKind;

typedef struct {
  LmrLegEventKind kind;
  const char *text;
  const char *const *mids;
  guint mline;
  LmrKind media;
  const LmrLegStats *stats;
  const GError *error;
} LmrLegEvent;

#define LMR_TYPE_LEG (lmr_leg_get_type ())
G_DECLARE_FINAL_TYPE (LmrLeg, lmr_leg, LMR, LEG, GObject)

typedef void (*LmrLegEventFunc) (LmrLeg            *leg,
                                 const LmrLegEvent *event,
                                 gpointer           user_data);

/* Adds the leg's webrtcbin and tees to `pipeline` (and brings them to its
 * state). `log_id` names consultation and member in every log line. */
LmrLeg *lmr_leg_new (GstBin               *pipeline,
                     const LmrMediaConfig *config,
                     const char           *log_id,
                     LmrLegEventFunc       func,
                     gpointer              user_data,
                     GError              **error);

/* A new media section that sends another member's `kind` to this member
 * under `ssrc` (announced in the offer) and a payload type of its own
 * (*pt): rewrite the stream's to them (lmr-rewrite.h). Returns webrtcbin's sink pad for it (owned by the leg);
 * link the stream to it only once the NEGOTIATED event followed, since
 * webrtcbin blocks a sink pad until its section is negotiated. The
 * section's index is the number of sections before it. Fails with
 * LMR_ERROR_FULL past 16 sections or 6 video sections. */
GstPad *lmr_leg_add_send_slot (LmrLeg   *self,
                               LmrKind   kind,
                               guint32   ssrc,
                               guint    *pt,
                               GError  **error);

/* Stops sending on the section whose sink pad this is (its stream has
 * gone): the section becomes inactive at the next negotiation. */
void lmr_leg_stop_send_slot (LmrLeg *self,
                             GstPad *sink);

/* Number of media sections: 2 plus the send slots. */
guint lmr_leg_get_n_slots (LmrLeg *self);

/* The tee that fans out the member's own stream of `kind` (owned by the
 * leg), and whether that stream flows. */
GstElement *lmr_leg_get_tee (LmrLeg  *self,
                             LmrKind  kind);
gboolean lmr_leg_has_source (LmrLeg  *self,
                             LmrKind  kind);

/* Whether the member's answer said it sends `kind` (FALSE before the
 * answer). */
gboolean lmr_leg_expects_source (LmrLeg  *self,
                                 LmrKind  kind);

/* Makes an offer now, or as soon as the one outstanding is answered. */
void lmr_leg_negotiate (LmrLeg *self);

gboolean lmr_leg_is_connected (LmrLeg *self);

/* The member's answer. Fails at once for SDP that does not parse or does
 * not match the offer; webrtcbin's own refusal arrives as FAILED. */
gboolean lmr_leg_set_answer (LmrLeg      *self,
                             const char  *sdp,
                             GError     **error);

/* One trickled candidate of the member; "" ends them. Fails for one that
 * does not parse or names a section that does not exist. Past the
 * configured number the rest are ignored. */
gboolean lmr_leg_add_candidate (LmrLeg      *self,
                                guint        mline,
                                const char  *candidate,
                                GError     **error);

/* Asks the member for a keyframe of its video (at most one a second). */
void lmr_leg_request_keyframe (LmrLeg *self);

/* Keyframe requests passed on to the member and dropped by the limit. */
void lmr_leg_keyframe_counts (LmrLeg *self,
                              guint  *passed,
                              guint  *dropped);

/* A STATS event follows. */
void lmr_leg_request_stats (LmrLeg *self);

/* Takes the leg out of the pipeline; no event follows. Unlink whatever
 * links its tees and sink pads to other elements first. */
void lmr_leg_close (LmrLeg *self);

G_END_DECLS

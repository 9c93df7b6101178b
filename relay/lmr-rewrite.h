/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A forwarded stream goes out under the payload type of the section that
 * carries it and under an SSRC the relay chose when it offered that
 * section, which the offer announces (a=ssrc): webrtcbin 1.22, as
 * lastmile-client's answerer, routes a bundled stream to its section only
 * by an SSRC the SDP announced (otherwise everything lands on the first
 * section), and browsers also demultiplex by payload type. This rewrites
 * the RTP header (and the caps) of what crosses `pad` accordingly; the
 * receiver's RTCP about that SSRC ends at the relay's leg, which turns a
 * keyframe request into an upstream event that needs no SSRC. */
void lmr_rewrite_attach (GstPad  *pad,
                         guint    pt,
                         guint32  ssrc);

G_END_DECLS

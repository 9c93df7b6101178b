/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

/* Parses a member's answer to the relay's offer of `n_mlines` media
 * sections, and checks what webrtcbin would otherwise reject late or not
 * at all: version 0, the same number of media sections, each audio or
 * video over DTLS-SRTP with ICE credentials and a DTLS fingerprint (at
 * media or session level). Fails with LMR_ERROR_PEER naming the problem. */
GstSDPMessage *lmr_sdp_parse_answer (const char  *text,
                                     guint        n_mlines,
                                     GError     **error);

/* Whether the answer's media section `index` says the member sends on it
 * (sendonly or sendrecv, sendrecv being the default). */
gboolean lmr_sdp_media_sends (const GstSDPMessage *answer,
                              guint                index);

G_END_DECLS

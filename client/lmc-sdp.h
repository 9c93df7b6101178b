/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

/* Parses a peer's session description and checks what webrtcbin needs
 * and would otherwise reject late or not at all: version 0, 1-16 media
 * sections of kind audio, video or application over DTLS-SRTP, each with
 * ICE credentials and a DTLS fingerprint (at media or session level).
 * Fails with LMC_ERROR_PEER and a message naming what is wrong. */
GstSDPMessage *lmc_sdp_parse (const char  *text,
                              GError     **error);

/* "offer", "answer", "pranswer" to GstWebRTCSDPType values; FALSE for
 * anything else ("rollback" included: this client never rolls back). */
gboolean lmc_sdp_type_from_string (const char *str,
                                   int        *type);

G_END_DECLS

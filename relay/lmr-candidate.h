/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Checks a member's trickled ICE candidate ("candidate:..." as RFC 8839
 * writes it, an "a=" prefix allowed) before it reaches libnice, which
 * drops bad ones without a word. Fails with LMR_ERROR_PEER naming the
 * field. */
gboolean lmr_candidate_check (const char  *line,
                              GError     **error);

/* For --public-address: a copy of `line` with the connection address of
 * a UDP host candidate of the same address family as `public_address`
 * replaced by it (the relay sits behind a 1:1 NAT that keeps ports);
 * NULL when the candidate is left as it is. */
char *lmr_candidate_rewrite_host (const char *line,
                                  const char *public_address);

G_END_DECLS

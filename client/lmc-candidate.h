/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  LMC_CANDIDATE_HOST,
  LMC_CANDIDATE_SRFLX,
  LMC_CANDIDATE_PRFLX,
  LMC_CANDIDATE_RELAY,
} LmcCandidateType;

/* Checks a trickled ICE candidate attribute ("candidate:..." as RFC 8839
 * writes it, an "a=" prefix allowed) before it reaches libnice, which
 * drops bad ones silently. Fails with LMC_ERROR_PEER naming the field. */
gboolean lmc_candidate_parse (const char        *line,
                              LmcCandidateType  *type,
                              GError           **error);

/* "host", "srflx", "prflx", "relay". */
const char *lmc_candidate_type_to_string (LmcCandidateType type);

G_END_DECLS

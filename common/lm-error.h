/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The wire protocol's error codes (docs/protocol.md, "Errors"). One GError
 * domain for everything a peer or a config file can get wrong. */
#define LM_ERROR (lm_error_quark ())
GQuark lm_error_quark (void);

typedef enum {
  LM_ERROR_BAD_REQUEST,
  LM_ERROR_UNAUTHORIZED,
  LM_ERROR_FORBIDDEN,
  LM_ERROR_NOT_FOUND,
  LM_ERROR_CONFLICT,
  LM_ERROR_RATE_LIMITED,
  LM_ERROR_TOO_LARGE,
  LM_ERROR_INTERNAL,    /* never sent as such: reported as a server fault */
} LmErrorCode;

/* "bad_request", "unauthorized", ...; never NULL. */
const char *lm_error_code_to_string (LmErrorCode code);

/* The inverse; FALSE for an unknown string. */
gboolean lm_error_code_from_string (const char *str, LmErrorCode *code);

G_END_DECLS

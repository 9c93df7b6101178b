/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The relay's error domain. The first codes are also the program's exit
 * codes (lastmile-relay --help). */
#define LMR_ERROR (lmr_error_quark ())
GQuark lmr_error_quark (void);

typedef enum {
  LMR_ERROR_FAILED = 1,        /* anything else */
  LMR_ERROR_BAD_ARGS = 2,      /* command line or config file */
  LMR_ERROR_UNREACHABLE = 3,   /* cannot reach the server */
  LMR_ERROR_UNAUTHORIZED = 4,  /* the server refused the token, or it is not a relay's */
  LMR_ERROR_PEER,              /* a member sent something unusable */
  LMR_ERROR_MEDIA,             /* the local pipeline failed */
  LMR_ERROR_FULL,              /* a limit was reached */
} LmrErrorCode;

/* 0 for NULL, the code for the first four, 1 otherwise. */
int lmr_error_exit_code (const GError *error);

G_END_DECLS

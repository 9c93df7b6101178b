/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The client's error domain. The first codes are also the program's exit
 * codes (see lmc_error_exit_code and `lastmile-client --help`). */
#define LMC_ERROR (lmc_error_quark ())
GQuark lmc_error_quark (void);

typedef enum {
  LMC_ERROR_FAILED = 1,         /* a consultation that did not complete */
  LMC_ERROR_BAD_ARGS = 2,       /* command line or config file */
  LMC_ERROR_UNREACHABLE = 3,    /* cannot reach the server, or lost it */
  LMC_ERROR_UNAUTHORIZED = 4,   /* the server refused the token */
  LMC_ERROR_TLS = 5,            /* the server's certificate was refused */
  LMC_ERROR_PEER,               /* the peer sent something unusable */
  LMC_ERROR_MEDIA,              /* the local pipeline failed */
  LMC_ERROR_PROTOCOL,           /* the server refused a request */
} LmcErrorCode;

enum {
  LMC_EXIT_OK = 0,
  LMC_EXIT_FAILED = 1,
  LMC_EXIT_BAD_ARGS = 2,
  LMC_EXIT_UNREACHABLE = 3,
  LMC_EXIT_UNAUTHORIZED = 4,
  LMC_EXIT_TLS = 5,
};

/* The exit code for an error: its code for LMC_ERROR's first five, 1 for
 * everything else, 0 for NULL. */
int lmc_error_exit_code (const GError *error);

G_END_DECLS

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-error.h"

G_DEFINE_QUARK (lmc-error-quark, lmc_error)

int
lmc_error_exit_code (const GError *error)
{
  if (error == NULL)
    return LMC_EXIT_OK;
  if (error->domain != LMC_ERROR)
    return LMC_EXIT_FAILED;

  switch ((LmcErrorCode) error->code) {
    case LMC_ERROR_BAD_ARGS:
      return LMC_EXIT_BAD_ARGS;
    case LMC_ERROR_UNREACHABLE:
      return LMC_EXIT_UNREACHABLE;
    case LMC_ERROR_UNAUTHORIZED:
      return LMC_EXIT_UNAUTHORIZED;
    case LMC_ERROR_TLS:
      return LMC_EXIT_TLS;
    case LMC_ERROR_FAILED:
    case LMC_ERROR_PEER:
    case LMC_ERROR_MEDIA:
    case LMC_ERROR_PROTOCOL:
    default:
      return LMC_EXIT_FAILED;
  }
}

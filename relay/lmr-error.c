/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-error.h"

G_DEFINE_QUARK (lmr-error-quark, lmr_error)

int
lmr_error_exit_code (const GError *error)
{
  if (error == NULL)
    return 0;
  if (error->domain == LMR_ERROR && error->code >= LMR_ERROR_FAILED &&
      error->code <= LMR_ERROR_UNAUTHORIZED)
    return error->code;
  return LMR_ERROR_FAILED;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lm-error.h"

G_DEFINE_QUARK (lastmile-error-quark, lm_error)

/* Indexed by LmErrorCode. "internal" is not in docs/protocol.md: it only
 * stands for a fault of the server itself. */
static const char *const code_names[] = {
  [LM_ERROR_BAD_REQUEST] = "bad_request",
  [LM_ERROR_UNAUTHORIZED] = "unauthorized",
  [LM_ERROR_FORBIDDEN] = "forbidden",
  [LM_ERROR_NOT_FOUND] = "not_found",
  [LM_ERROR_CONFLICT] = "conflict",
  [LM_ERROR_RATE_LIMITED] = "rate_limited",
  [LM_ERROR_TOO_LARGE] = "too_large",
  [LM_ERROR_INTERNAL] = "internal",
};

const char *
lm_error_code_to_string (LmErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (code_names))
    return code_names[LM_ERROR_INTERNAL];
  return code_names[code];
}

gboolean
lm_error_code_from_string (const char  *str,
                           LmErrorCode *code)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (code_names); i++)
    {
      if (g_str_equal (str, code_names[i]))
        {
          if (code != NULL)
            *code = (LmErrorCode) i;
          return TRUE;
        }
    }
  return FALSE;
}

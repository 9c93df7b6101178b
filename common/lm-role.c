/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lm-role.h"

static const struct {
  LmRole role;
  const char *name;
} roles[] = {
  { LM_ROLE_CLINIC, "clinic" },
  { LM_ROLE_DOCTOR, "doctor" },
  { LM_ROLE_ADMIN, "admin" },
  { LM_ROLE_RELAY, "relay" },
};

const char *
lm_role_to_string (LmRole role)
{
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      if (roles[i].role == role)
        return roles[i].name;
    }
  return "none";
}

gboolean
lm_role_from_string (const char *str,
                     LmRole     *role)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      if (g_str_equal (str, roles[i].name))
        {
          if (role != NULL)
            *role = roles[i].role;
          return TRUE;
        }
    }
  return FALSE;
}

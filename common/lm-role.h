/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  LM_ROLE_NONE = 0,
  LM_ROLE_CLINIC = 1 << 0,
  LM_ROLE_DOCTOR = 1 << 1,
  LM_ROLE_ADMIN = 1 << 2,
  LM_ROLE_RELAY = 1 << 3,
} LmRole;

#define LM_ROLE_ANY (LM_ROLE_CLINIC | LM_ROLE_DOCTOR | LM_ROLE_ADMIN | LM_ROLE_RELAY)

/* "clinic", "doctor", "admin", "relay"; "none" for LM_ROLE_NONE. */
const char *lm_role_to_string (LmRole role);

/* FALSE (and *role untouched) for anything but the four names. */
gboolean lm_role_from_string (const char *str, LmRole *role);

G_END_DECLS

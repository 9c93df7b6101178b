/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lm-error.h"
#include "lm-role.h"

static const struct {
  LmErrorCode code;
  const char *name;
} codes[] = {
  { LM_ERROR_BAD_REQUEST, "bad_request" },
  { LM_ERROR_UNAUTHORIZED, "unauthorized" },
  { LM_ERROR_FORBIDDEN, "forbidden" },
  { LM_ERROR_NOT_FOUND, "not_found" },
  { LM_ERROR_CONFLICT, "conflict" },
  { LM_ERROR_RATE_LIMITED, "rate_limited" },
  { LM_ERROR_TOO_LARGE, "too_large" },
  { LM_ERROR_INTERNAL, "internal" },
};

static void
test_error_codes (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      LmErrorCode code = LM_ERROR_INTERNAL;

      g_assert_cmpstr (lm_error_code_to_string (codes[i].code), ==, codes[i].name);
      g_assert_true (lm_error_code_from_string (codes[i].name, &code));
      g_assert_cmpint (code, ==, codes[i].code);
    }
}

static void
test_error_codes_unknown (void)
{
  LmErrorCode code = LM_ERROR_CONFLICT;

  g_assert_false (lm_error_code_from_string ("Bad_Request", &code));
  g_assert_false (lm_error_code_from_string ("", &code));
  g_assert_false (lm_error_code_from_string (NULL, &code));
  g_assert_cmpint (code, ==, LM_ERROR_CONFLICT);
  g_assert_nonnull (lm_error_code_to_string ((LmErrorCode) 1000));
  g_assert_nonnull (lm_error_code_to_string ((LmErrorCode) -1));
  g_assert_cmpstr (g_quark_to_string (LM_ERROR), ==, "lastmile-error-quark");
}

static const struct {
  LmRole role;
  const char *name;
} roles[] = {
  { LM_ROLE_CLINIC, "clinic" },
  { LM_ROLE_DOCTOR, "doctor" },
  { LM_ROLE_ADMIN, "admin" },
  { LM_ROLE_RELAY, "relay" },
};

static void
test_roles (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      LmRole role = LM_ROLE_NONE;

      g_assert_cmpstr (lm_role_to_string (roles[i].role), ==, roles[i].name);
      g_assert_true (lm_role_from_string (roles[i].name, &role));
      g_assert_cmpint (role, ==, roles[i].role);
    }
}

static void
test_roles_unknown (void)
{
  LmRole role = LM_ROLE_ADMIN;

  g_assert_cmpstr (lm_role_to_string (LM_ROLE_NONE), ==, "none");
  g_assert_cmpstr (lm_role_to_string (LM_ROLE_ANY), ==, "none");
  g_assert_false (lm_role_from_string ("none", &role));
  g_assert_false (lm_role_from_string ("Doctor", &role));
  g_assert_false (lm_role_from_string ("", &role));
  g_assert_false (lm_role_from_string (NULL, &role));
  g_assert_cmpint (role, ==, LM_ROLE_ADMIN);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/codes/error/known", test_error_codes);
  g_test_add_func ("/codes/error/unknown", test_error_codes_unknown);
  g_test_add_func ("/codes/role/known", test_roles);
  g_test_add_func ("/codes/role/unknown", test_roles_unknown);

  return g_test_run ();
}

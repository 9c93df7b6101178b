/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A new random secret: `prefix` then 32 bytes (256 bits) from the kernel's
 * CSPRNG (getrandom), base64url without padding. Aborts only if the kernel
 * has no entropy source at all. */
char *lm_token_generate (const char *prefix);

/* Lower-case hex SHA-256 of the token: what the database keeps. */
char *lm_token_hash (const char *token);

/* Constant-time comparison of two NUL-terminated strings. */
gboolean lm_token_equal (const char *a, const char *b);

/* TURN REST credentials as coturn's `use-auth-secret` checks them:
 * username = "EXPIRY:USER" with EXPIRY = now_unix + ttl_s, credential =
 * base64(HMAC-SHA1(secret, username)). */
void lm_turn_credentials (const char *secret,
                          const char *user,
                          gint64      now_unix,
                          gint64      ttl_s,
                          char      **username,
                          char      **credential);

G_END_DECLS

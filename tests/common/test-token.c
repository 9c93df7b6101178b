/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include <string.h>

#include "lm-token.h"

/* 32 random bytes in base64url without padding. */
#define ENCODED_LEN 43

static void
assert_base64url (const char *str)
{
  g_assert_cmpuint (strlen (str), ==, ENCODED_LEN);
  for (const char *c = str; *c != '\0'; c++)
    g_assert_true (g_ascii_isalnum (*c) || *c == '-' || *c == '_');
}

static void
test_generate (void)
{
  g_autofree char *token = lm_token_generate ("lm_");
  g_autofree char *bare = lm_token_generate (NULL);
  g_autofree char *empty = lm_token_generate ("");

  g_assert_true (g_str_has_prefix (token, "lm_"));
  assert_base64url (token + 3);
  assert_base64url (bare);
  assert_base64url (empty);
}

static void
test_generate_unique (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint counts[256] = { 0 };

  for (int i = 0; i < 1000; i++)
    {
      char *token = lm_token_generate ("r_");

      for (const char *c = token + 2; *c != '\0'; c++)
        counts[(guint8) *c]++;
      g_assert_true (g_hash_table_add (seen, token));
    }
  /* 43,000 characters over an alphabet of 64: every one shows up. */
  for (const char *c = "AZaz09-_"; *c != '\0'; c++)
    g_assert_cmpuint (counts[(guint8) *c], >, 0);
}

static const struct {
  const char *token;
  const char *sha256;
} hash_vectors[] = {
  /* printf %s '' | sha256sum */
  { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
  /* printf %s 'lm_abc' | sha256sum */
  { "lm_abc", "783b293d4412e19db44a8e0259004898436bde73ff7b64608a73cf0878b95300" },
};

static void
test_hash (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (hash_vectors); i++)
    {
      g_autofree char *hash = lm_token_hash (hash_vectors[i].token);

      g_assert_cmpstr (hash, ==, hash_vectors[i].sha256);
    }
}

static const struct {
  const char *a;
  const char *b;
  gboolean equal;
} equal_rows[] = {
  { "lm_abcdef", "lm_abcdef", TRUE },
  { "", "", TRUE },
  { "lm_abcdef", "lm_abcdeg", FALSE },
  { "lm_abcdef", "Lm_abcdef", FALSE },
  { "lm_abcdef", "lm_abcde", FALSE },
  { "lm_abcde", "lm_abcdef", FALSE },
  { "lm_abcdef", "", FALSE },
  { "", "lm_abcdef", FALSE },
  { "a", "aa", FALSE },
  { "aa", "a", FALSE },
  { NULL, "a", FALSE },
  { "a", NULL, FALSE },
  { NULL, NULL, FALSE },
};

static void
test_equal (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (equal_rows); i++)
    {
      g_test_message ("row %u: '%s' '%s'", i,
                      equal_rows[i].a ? equal_rows[i].a : "(null)",
                      equal_rows[i].b ? equal_rows[i].b : "(null)");
      g_assert_cmpint (lm_token_equal (equal_rows[i].a, equal_rows[i].b), ==,
                       equal_rows[i].equal);
    }
}

static const struct {
  const char *secret;
  const char *user;
  gint64 now;
  gint64 ttl;
  const char *username;
  const char *credential;
} turn_vectors[] = {
  /* printf %s '1764432000:p-42' | openssl dgst -sha1 -hmac 'north-star-secret' -binary | base64 */
  { "north-star-secret", "p-42", 1764345600, 86400, "1764432000:p-42", "0X0EG1Gw83oQu/9/dBs3XxuvnL8=" },
  /* printf %s '1:u' | openssl dgst -sha1 -hmac 'k' -binary | base64 */
  { "k", "u", 0, 1, "1:u", "uFoBHtXs24EzyqhpXLIQJa/UiKA=" },
};

static void
test_turn_credentials (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (turn_vectors); i++)
    {
      g_autofree char *username = NULL;
      g_autofree char *credential = NULL;

      lm_turn_credentials (turn_vectors[i].secret, turn_vectors[i].user,
                           turn_vectors[i].now, turn_vectors[i].ttl,
                           &username, &credential);
      g_assert_cmpstr (username, ==, turn_vectors[i].username);
      g_assert_cmpstr (credential, ==, turn_vectors[i].credential);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/token/generate/format", test_generate);
  g_test_add_func ("/token/generate/unique", test_generate_unique);
  g_test_add_func ("/token/hash", test_hash);
  g_test_add_func ("/token/equal", test_equal);
  g_test_add_func ("/token/turn-credentials", test_turn_credentials);

  return g_test_run ();
}

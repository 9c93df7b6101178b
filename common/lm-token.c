/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lm-token.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define TOKEN_RANDOM_BYTES 32
#define SHA1_BYTES 20

static void
fill_random (guint8 *buf,
             gsize   len)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = getrandom (buf + done, len - done, 0);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          g_error ("getrandom failed: %s", g_strerror (errno));
        }
      done += (gsize) n;
    }
}

/* RFC 4648 section 5, no padding: safe in URLs, headers and config files. */
static char *
base64url_encode (const guint8 *data,
                  gsize         len)
{
  char *out = g_base64_encode (data, len);
  char *end = out + strlen (out);

  for (char *c = out; c < end; c++)
    {
      if (*c == '+')
        *c = '-';
      else if (*c == '/')
        *c = '_';
    }
  while (end > out && end[-1] == '=')
    *--end = '\0';
  return out;
}

char *
lm_token_generate (const char *prefix)
{
  guint8 bytes[TOKEN_RANDOM_BYTES];
  g_autofree char *encoded = NULL;
  char *token;

  fill_random (bytes, sizeof bytes);
  encoded = base64url_encode (bytes, sizeof bytes);
  token = g_strconcat (prefix != NULL ? prefix : "", encoded, NULL);
  explicit_bzero (bytes, sizeof bytes);
  explicit_bzero (encoded, strlen (encoded));
  return token;
}

char *
lm_token_hash (const char *token)
{
  g_return_val_if_fail (token != NULL, NULL);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

/* The time depends only on the length of `a` (the peer's input), never on
 * where the strings differ. */
gboolean
lm_token_equal (const char *a,
                const char *b)
{
  gsize len_a, len_b;
  volatile guint8 diff;

  if (a == NULL || b == NULL)
    return FALSE;

  len_a = strlen (a);
  len_b = strlen (b);
  diff = len_a != len_b;
  for (gsize i = 0; i < len_a; i++)
    {
      guint8 byte_b = (guint8) b[i < len_b ? i : 0];

      diff |= (guint8) a[i] ^ byte_b;
    }
  return diff == 0;
}

void
lm_turn_credentials (const char *secret,
                     const char *user,
                     gint64      now_unix,
                     gint64      ttl_s,
                     char      **username,
                     char      **credential)
{
  g_autoptr(GHmac) hmac = NULL;
  guint8 digest[SHA1_BYTES];
  gsize digest_len = sizeof digest;
  g_autofree char *name = NULL;

  g_return_if_fail (secret != NULL && user != NULL);
  g_return_if_fail (username != NULL && credential != NULL);

  name = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", now_unix + ttl_s, user);
  hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  g_hmac_update (hmac, (const guchar *) name, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);

  *credential = g_base64_encode (digest, digest_len);
  *username = g_steal_pointer (&name);
}

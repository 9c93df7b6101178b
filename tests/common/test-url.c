/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* The --server URL of the client and the relay, as a table. */
#include "lm-error.h"
#include "lm-url.h"

#include <string.h>

typedef struct {
  const char *name;
  const char *input;
  const char *expected;   /* NULL: refused */
  gboolean tls;
  const char *message;    /* a part of the refusal */
} Case;

static const Case cases[] = {
  { "ws-host-only", "ws://example.org", "http://example.org/ws", FALSE, NULL },
  { "ws-root", "ws://127.0.0.1:8080/", "http://127.0.0.1:8080/ws", FALSE, NULL },
  { "wss-path", "wss://signal.example.org:8443/lastmile/ws", "https://signal.example.org:8443/lastmile/ws", TRUE, NULL },
  { "http", "http://10.0.0.1:8080", "http://10.0.0.1:8080/ws", FALSE, NULL },
  { "https-query", "https://h/ws?x=1", "https://h/ws?x=1", TRUE, NULL },
  { "ipv6", "ws://[::1]:8080", "http://[::1]:8080/ws", FALSE, NULL },
  { "empty", "", NULL, FALSE, "is not a URL" },
  { "no-scheme", "example.org:8080", NULL, FALSE, "not ws, wss, http or https" },
  { "ftp", "ftp://example.org", NULL, FALSE, "not ws, wss, http or https" },
  { "no-host", "ws:///ws", NULL, FALSE, "has no host" },
  { "token-in-url", "wss://lm_secret@example.org", NULL, FALSE, "--token" },
};

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GError) error = NULL;
  gboolean tls = !c->tls;
  g_autofree char *normal = lm_url_normalize_server (c->input, &tls, &error);

  if (c->expected)
    {
      g_assert_no_error (error);
      g_assert_cmpstr (normal, ==, c->expected);
      g_assert_cmpint (tls, ==, c->tls);
    }
  else
    {
      g_assert_null (normal);
      g_assert_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST);
      g_assert_nonnull (strstr (error->message, c->message));
      g_assert_nonnull (strstr (error->message, "--server"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/url/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_case);
    }
  return g_test_run ();
}

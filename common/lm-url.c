/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lm-url.h"

#include "lm-error.h"

char *
lm_url_normalize_server (const char  *url,
                         gboolean    *tls,
                         GError     **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *scheme, *path, *http_scheme;

  uri = g_uri_parse (url ? url : "", G_URI_FLAGS_NONE, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST, "--server: \"%s\" is not a URL (%s)",
                   url ? url : "", local_error->message);
      return NULL;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_str_equal (scheme, "ws") || g_str_equal (scheme, "http"))
    http_scheme = "http";
  else if (g_str_equal (scheme, "wss") || g_str_equal (scheme, "https"))
    http_scheme = "https";
  else
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                   "--server: scheme \"%s\" is not ws, wss, http or https", scheme);
      return NULL;
    }
  if (g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST, "--server: \"%s\" has no host", url);
      return NULL;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error_literal (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                           "--server: put the token in --token, not in the URL");
      return NULL;
    }
  path = g_uri_get_path (uri);
  if (path[0] == '\0' || g_str_equal (path, "/"))
    path = "/ws";
  if (tls)
    *tls = g_str_equal (http_scheme, "https");
  return g_uri_join (G_URI_FLAGS_NONE, http_scheme, NULL, g_uri_get_host (uri),
                     g_uri_get_port (uri), path, g_uri_get_query (uri), NULL);
}

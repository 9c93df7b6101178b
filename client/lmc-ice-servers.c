/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-ice-servers.h"

#include <gst/gst.h>
#include <string.h>

#include "lmc-error.h"

GST_DEBUG_CATEGORY_STATIC (lmc_ice_servers_debug);
#define GST_CAT_DEFAULT lmc_ice_servers_debug

#define MAX_URIS 16

static void
ensure_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (lmc_ice_servers_debug, "lmc-ice-servers", 0,
                             "lastmile client ICE server list");
    g_once_init_leave (&once, 1);
  }
}

/* Everything but unreserved characters is escaped in user and password. */
static char *
escape (const char *s)
{
  return g_uri_escape_string (s, NULL, FALSE);
}

/* Whether the query of "host:port?query" names a transport. */
static gboolean
has_transport (const char *rest)
{
  const char *query = strchr (rest, '?');
  g_auto (GStrv) params = NULL;

  if (query == NULL)
    return FALSE;
  params = g_strsplit (query + 1, "&", -1);
  for (guint i = 0; params[i]; i++)
    if (g_str_has_prefix (params[i], "transport="))
      return TRUE;
  return FALSE;
}

char *
lmc_ice_server_uri (const char *url,
                    const char *username,
                    const char *credential)
{
  const char *rest;
  g_autofree char *user = NULL;
  g_autofree char *pass = NULL;

  if (url == NULL)
    return NULL;
  if (g_str_has_prefix (url, "stun:")) {
    rest = url + strlen ("stun:");
    rest += g_str_has_prefix (rest, "//") ? 2 : 0;
    return *rest && !strchr (rest, '@') ? g_strconcat ("stun://", rest, NULL) : NULL;
  }

  const char *scheme = g_str_has_prefix (url, "turns:") ? "turns" :
                       g_str_has_prefix (url, "turn:") ? "turn" : NULL;
  if (scheme == NULL || username == NULL || credential == NULL)
    return NULL;
  rest = url + strlen (scheme) + 1;
  rest += g_str_has_prefix (rest, "//") ? 2 : 0;
  if (*rest == '\0' || strchr (rest, '@'))
    return NULL;
  user = escape (username);
  pass = escape (credential);
  /* webrtcbin allocates over UDP and over TCP for a turn: URI without a
   * transport: one allocation is enough, and UDP is the one media wants. */
  if (g_str_equal (scheme, "turn") && !has_transport (rest))
    return g_strdup_printf ("turn://%s:%s@%s%stransport=udp", user, pass, rest,
                            strchr (rest, '?') ? "&" : "?");
  return g_strdup_printf ("%s://%s:%s@%s", scheme, user, pass, rest);
}

static gboolean
add_entry (JsonNode *node, GPtrArray *stun, GPtrArray *turn, GError **error)
{
  JsonObject *server;
  JsonArray *urls;
  const char *username, *credential;

  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error_literal (error, LMC_ERROR, LMC_ERROR_PROTOCOL, "an ice_servers entry is not an object");
    return FALSE;
  }
  server = json_node_get_object (node);
  if (!json_object_has_member (server, "urls") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (server, "urls"))) {
    g_set_error_literal (error, LMC_ERROR, LMC_ERROR_PROTOCOL, "an ice_servers entry has no urls list");
    return FALSE;
  }
  urls = json_object_get_array_member (server, "urls");
  username = json_object_get_string_member_with_default (server, "username", NULL);
  credential = json_object_get_string_member_with_default (server, "credential", NULL);

  for (guint i = 0; i < json_array_get_length (urls); i++) {
    JsonNode *url_node = json_array_get_element (urls, i);
    const char *url = JSON_NODE_HOLDS_VALUE (url_node) &&
                      json_node_get_value_type (url_node) == G_TYPE_STRING
                      ? json_node_get_string (url_node) : NULL;
    char *uri = lmc_ice_server_uri (url, username, credential);

    if (uri == NULL) {
      GST_WARNING ("skipping ICE server URL %u of an entry: unsupported or without credentials", i);
      continue;
    }
    if (stun->len + turn->len >= MAX_URIS) {
      g_free (uri);
      GST_WARNING ("more than %d ICE server URLs: ignoring the rest", MAX_URIS);
      break;
    }
    g_ptr_array_add (g_str_has_prefix (uri, "stun") ? stun : turn, uri);
  }
  return TRUE;
}

gboolean
lmc_ice_servers_from_json (JsonArray   *servers,
                           char      ***stun,
                           char      ***turn,
                           GError     **error)
{
  g_autoptr (GPtrArray) stun_list = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) turn_list = g_ptr_array_new_with_free_func (g_free);

  ensure_debug_category ();
  for (guint i = 0; servers && i < json_array_get_length (servers); i++)
    if (!add_entry (json_array_get_element (servers, i), stun_list, turn_list, error))
      return FALSE;

  g_ptr_array_add (stun_list, NULL);
  g_ptr_array_add (turn_list, NULL);
  *stun = (char **) g_ptr_array_steal (stun_list, NULL);
  *turn = (char **) g_ptr_array_steal (turn_list, NULL);
  return TRUE;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-hub.h"

#include "lm-token.h"

static JsonArray *
urls_array (const char *uri)
{
  JsonArray *urls = json_array_new ();

  json_array_add_string_element (urls, uri);
  return urls;
}

/* The browser's RTCIceServer list: STUN entries as they are, TURN entries
 * with credentials made for this peer when a secret is configured. */
JsonArray *
lms_ice_servers_json (const LmsOptions *options, const char *peer)
{
  JsonArray *servers = json_array_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; options->stun_uris && options->stun_uris[i]; i++)
    {
      JsonObject *server = json_object_new ();

      json_object_set_array_member (server, "urls", urls_array (options->stun_uris[i]));
      json_array_add_object_element (servers, server);
    }
  for (guint i = 0; options->turn_uris && options->turn_uris[i]; i++)
    {
      JsonObject *server = json_object_new ();

      json_object_set_array_member (server, "urls", urls_array (options->turn_uris[i]));
      if (options->turn_secret)
        {
          g_autofree char *username = NULL;
          g_autofree char *credential = NULL;

          lm_turn_credentials (options->turn_secret, peer, now, options->turn_ttl_s,
                               &username, &credential);
          json_object_set_string_member (server, "username", username);
          json_object_set_string_member (server, "credential", credential);
        }
      json_array_add_object_element (servers, server);
    }
  return servers;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* The web pages (doctor console, admin dashboard), served from GResource. */
#include "lms-server.h"

#include <string.h>

#include "lms-web-resources.h"

#define RESOURCE_ROOT "/org/lastmile/web/"
#define ASSET_PREFIX "/web/"
#define MAX_ASSET_PATH 128

/* The pages load nothing but their own scripts and styles, build the DOM
 * without HTML strings (so Trusted Types can forbid them all) and talk
 * only to this server ('self' covers ws:/wss: on the same host). */
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
            "media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; "       \
            "form-action 'none'; frame-ancestors 'none'; "                                    \
            "require-trusted-types-for 'script'; trusted-types 'none'"

typedef struct {
  const char *path;
  const char *resource;
  const char *permissions;
} Page;

/* Only the doctor console may ask for the camera and the microphone. */
static const Page pages[] = {
  { "/", "index.html", "camera=(), microphone=(), geolocation=()" },
  { "/doctor", "doctor.html", "camera=(self), microphone=(self), geolocation=()" },
  { "/admin", "admin.html", "camera=(), microphone=(), geolocation=()" },
};

static const struct {
  const char *suffix;
  const char *type;
} content_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".svg", "image/svg+xml" },
};

static const char *
content_type_of (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (content_types); i++)
    if (g_str_has_suffix (name, content_types[i].suffix))
      return content_types[i].type;
  return NULL;
}

/* Asset names are plain: letters, digits, '-', '_', one '/' level at
 * most and a known suffix; nothing that could climb out of the root. */
static gboolean
is_asset_name (const char *name)
{
  guint slashes = 0;

  if (!*name || strlen (name) > MAX_ASSET_PATH || strstr (name, "..") || name[0] == '.')
    return FALSE;
  for (const char *p = name; *p; p++)
    {
      if (*p == '/' && (++slashes > 1 || p[1] == '/' || p[1] == '.'))
        return FALSE;
      if (!g_ascii_isalnum (*p) && !strchr ("-_./", *p))
        return FALSE;
    }
  return content_type_of (name) != NULL;
}

static void
reply_text (SoupServerMessage *msg, guint status, const char *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                    text, strlen (text));
}

static void
set_security_headers (SoupMessageHeaders *headers, const char *permissions)
{
  soup_message_headers_replace (headers, "Content-Security-Policy", CSP);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Cross-Origin-Opener-Policy", "same-origin");
  soup_message_headers_replace (headers, "Cross-Origin-Resource-Policy", "same-origin");
  soup_message_headers_replace (headers, "Permissions-Policy", permissions);
}

/* Assets have stable names, so the browser must revalidate them
 * (no-cache); the ETag makes that a 304 until the server is rebuilt. */
static void
serve_resource (SoupServerMessage *msg, const char *name, const char *permissions)
{
  g_autofree char *path = g_strconcat (RESOURCE_ROOT, name, NULL);
  g_autoptr (GBytes) bytes = g_resource_lookup_data (lms_web_get_resource (), path,
                                                     G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *digest = NULL;
  g_autofree char *etag = NULL;
  const char *if_none_match;

  if (!bytes)
    {
      reply_text (msg, SOUP_STATUS_NOT_FOUND, "not found\n");
      return;
    }
  digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  etag = g_strdup_printf ("\"%.32s\"", digest);
  set_security_headers (headers, permissions);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "ETag", etag);
  if_none_match = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                "If-None-Match");
  if (g_strcmp0 (if_none_match, etag) == 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, content_type_of (name), SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* Registered at "/": libsoup hands over every path that no more specific
 * handler (/ws, /api, /healthz, /metrics) claimed. Pages live only at
 * their own paths, which carry their own Permissions-Policy. */
static void
on_web (SoupServer *soup, SoupServerMessage *msg, const char *path,
        GHashTable *query, gpointer user_data)
{
  const char *method = soup_server_message_get_method (msg);

  if (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET, HEAD");
      reply_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    if (g_str_equal (path, pages[i].path))
      {
        serve_resource (msg, pages[i].resource, pages[i].permissions);
        return;
      }
  if (g_str_has_prefix (path, ASSET_PREFIX) && !g_str_has_suffix (path, ".html") &&
      is_asset_name (path + strlen (ASSET_PREFIX)))
    {
      serve_resource (msg, path + strlen (ASSET_PREFIX), pages[0].permissions);
      return;
    }
  reply_text (msg, SOUP_STATUS_NOT_FOUND, "not found\n");
}

void
lms_web_register (LmsServer *server)
{
  soup_server_add_handler (server->soup, "/", on_web, server, NULL);
}

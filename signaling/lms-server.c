/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-server.h"

#include <netinet/in.h>
#include <string.h>

#include "lm-error.h"

static const struct {
  LmErrorCode code;
  guint status;
} http_status_of[] = {
  { LM_ERROR_BAD_REQUEST, SOUP_STATUS_BAD_REQUEST },
  { LM_ERROR_UNAUTHORIZED, SOUP_STATUS_UNAUTHORIZED },
  { LM_ERROR_FORBIDDEN, SOUP_STATUS_FORBIDDEN },
  { LM_ERROR_NOT_FOUND, SOUP_STATUS_NOT_FOUND },
  { LM_ERROR_CONFLICT, SOUP_STATUS_CONFLICT },
  { LM_ERROR_RATE_LIMITED, 429 },
  { LM_ERROR_TOO_LARGE, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE },
};

void
lms_server_reply_json (SoupServerMessage *msg, guint status, JsonNode *body)
{
  gsize len;
  char *text = json_to_string (body, FALSE);

  len = strlen (text);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

void
lms_server_reply_error (SoupServerMessage *msg, const GError *error)
{
  guint status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  const char *code = "internal";

  if (error->domain == LM_ERROR)
    {
      code = lm_error_code_to_string (error->code);
      for (guint i = 0; i < G_N_ELEMENTS (http_status_of); i++)
        if (http_status_of[i].code == (LmErrorCode) error->code)
          status = http_status_of[i].status;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, error->message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer realm=\"lastmile\"");
  lms_server_reply_json (msg, status, body);
}

static char *
format_remote (GSocketAddress *address)
{
  GInetSocketAddress *inet;
  g_autofree char *ip = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("unknown");
  inet = G_INET_SOCKET_ADDRESS (address);
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (inet));
}

/* The 101 is on the wire: the socket is ours from here (libsoup's own
 * WebSocket handler takes it at the same point). */
static void
on_upgrade_wrote_informational (SoupServerMessage *msg, gpointer user_data)
{
  LmsServer *server = user_data;
  g_autofree char *remote = format_remote (soup_server_message_get_remote_address (msg));
  gboolean tls = g_strcmp0 (g_uri_get_scheme (soup_server_message_get_uri (msg)), "https") == 0;
  GSocket *gsocket = soup_server_message_get_socket (msg);
  g_autoptr (GSocket) socket = gsocket ? g_object_ref (gsocket) : NULL;
  g_autoptr (GIOStream) stream = NULL;

  g_signal_handlers_disconnect_by_func (msg, on_upgrade_wrote_informational, user_data);
  /* May free msg. */
  stream = soup_server_message_steal_connection (msg);
  if (!stream || !socket)
    return;
  lms_hub_add_connection (server->hub, stream, socket, tls, remote);
}

/* /ws: the handshake of RFC 6455, without extensions (permessage-deflate
 * would cost about 100 KB a connection for small JSON messages). */
static void
on_ws_request (SoupServer *soup, SoupServerMessage *msg, const char *path,
               GHashTable *query, gpointer user_data)
{
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  g_autofree char *accept = NULL;
  const char *reason;
  guint status;

  if (!lms_ws_check_upgrade (soup_server_message_get_method (msg),
                             soup_server_message_get_request_headers (msg),
                             &accept, &status, &reason))
    {
      if (status == LMS_WS_UPGRADE_REQUIRED)
        {
          soup_message_headers_replace (response, "Upgrade", "websocket");
          soup_message_headers_replace (response, "Sec-WebSocket-Version", "13");
        }
      soup_server_message_set_status (msg, status,
                                      status == LMS_WS_UPGRADE_REQUIRED ? "Upgrade Required" : NULL);
      soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC,
                                        reason, strlen (reason));
      return;
    }
  soup_message_headers_replace (response, "Upgrade", "websocket");
  soup_message_headers_replace (response, "Connection", "Upgrade");
  soup_message_headers_replace (response, "Sec-WebSocket-Accept", accept);
  soup_server_message_set_status (msg, SOUP_STATUS_SWITCHING_PROTOCOLS, NULL);
  g_signal_connect (msg, "wrote-informational", G_CALLBACK (on_upgrade_wrote_informational),
                    user_data);
}

static void
on_healthz (SoupServer *soup, SoupServerMessage *msg, const char *path,
            GHashTable *query, gpointer user_data)
{
  LmsServer *server = user_data;
  gboolean ok = lms_db_check (server->db);
  g_autoptr (JsonNode) body = json_from_string (ok ? "{\"status\":\"ok\"}"
                                                   : "{\"status\":\"database unavailable\"}", NULL);

  lms_server_reply_json (msg, ok ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE, body);
}

/* The default backlog of 10 drops connections when many clients come back
 * at once (after a restart, all of them): 4,096, capped by the kernel's
 * net.core.somaxconn. */
#define LISTEN_BACKLOG 4096

static GSocket *
listening_socket (GSocketAddress *address, GError **error)
{
  g_autoptr (GSocket) socket = g_socket_new (g_socket_address_get_family (address),
                                             G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);

  if (!socket)
    return NULL;
  /* As libsoup does: an IPv6 address means IPv6 only. */
  if (g_socket_address_get_family (address) == G_SOCKET_FAMILY_IPV6
      && !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, error))
    return NULL;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static gboolean
listen_on (LmsServer *server, GError **error)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (server->options->address);
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GSocket) socket = NULL;
  SoupServerListenOptions flags = server->options->tls_cert ? SOUP_SERVER_LISTEN_HTTPS : 0;
  GSList *uris;

  if (!address)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                   "--address '%s' is not an IPv4 or IPv6 address", server->options->address);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (address, server->options->port);
  socket = listening_socket (socket_address, error);
  if (!socket || !soup_server_listen_socket (server->soup, socket, flags, error))
    return FALSE;
  uris = soup_server_get_uris (server->soup);
  if (uris)
    server->url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

LmsServer *
lms_server_new (LmsOptions *options, GError **error)
{
  g_autoptr (LmsServer) server = g_new0 (LmsServer, 1);
  g_autoptr (GTlsCertificate) certificate = NULL;

  server->options = options;
  server->db = lms_db_open (options->db, error);
  if (!server->db)
    return NULL;
  server->hub = lms_hub_new (options, server->db, error);
  if (!server->hub)
    return NULL;
  if (options->tls_cert)
    {
      certificate = g_tls_certificate_new_from_files (options->tls_cert, options->tls_key, error);
      if (!certificate)
        {
          g_prefix_error (error, "--tls-cert %s / --tls-key %s: ", options->tls_cert,
                          options->tls_key);
          return NULL;
        }
    }
  server->soup = soup_server_new ("server-header", "lastmile-signaling ",
                                  "tls-certificate", certificate, NULL);
  soup_server_add_handler (server->soup, "/ws", on_ws_request, server, NULL);
  soup_server_add_handler (server->soup, "/healthz", on_healthz, server, NULL);
  lms_admin_api_register (server);
  lms_metrics_register (server);
  lms_web_register (server);
  if (!listen_on (server, error))
    return NULL;
  return g_steal_pointer (&server);
}

static gboolean
on_shutdown_timeout (gpointer user_data)
{
  guint *timeout_id = user_data;

  *timeout_id = 0;
  return G_SOURCE_REMOVE;
}

void
lms_server_shutdown (LmsServer *server, guint timeout_ms)
{
  guint timeout_id = g_timeout_add (timeout_ms, on_shutdown_timeout, &timeout_id);

  lms_hub_shutdown (server->hub);
  /* Let the close frames go out; each peer's reply ends its socket. */
  while (g_hash_table_size (server->hub->conns) > 0 && timeout_id != 0)
    g_main_context_iteration (NULL, TRUE);
  g_clear_handle_id (&timeout_id, g_source_remove);
  soup_server_disconnect (server->soup);
}

void
lms_server_free (LmsServer *server)
{
  if (!server)
    return;
  g_clear_object (&server->soup);
  g_clear_pointer (&server->hub, lms_hub_free);
  g_clear_pointer (&server->db, lms_db_free);
  g_free (server->url);
  g_free (server);
}

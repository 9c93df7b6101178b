/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include "lms-hub.h"

G_BEGIN_DECLS

/* The HTTP side: one SoupServer carrying the WebSocket at /ws, the admin
 * API, /healthz and /metrics. */
typedef struct {
  LmsOptions *options;
  LmsDb *db;
  LmsHub *hub;
  SoupServer *soup;
  char *url;
} LmsServer;

/* Opens the database, builds the hub and starts listening. */
LmsServer *lms_server_new (LmsOptions *options, GError **error);
void lms_server_free (LmsServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmsServer, lms_server_free)

/* Ends consultations, closes sockets and waits (up to `timeout_ms`) for
 * the close handshakes to go out. */
void lms_server_shutdown (LmsServer *server, guint timeout_ms);

/* lms-admin-api.c */
void lms_admin_api_register (LmsServer *server);
/* lms-web.c: the doctor console and the admin dashboard. */
void lms_web_register (LmsServer *server);
/* lms-metrics.c */
void lms_metrics_register (LmsServer *server);

/* Sends `body` as JSON with `status`. */
void lms_server_reply_json (SoupServerMessage *msg, guint status, JsonNode *body);
void lms_server_reply_error (SoupServerMessage *msg, const GError *error);

G_END_DECLS

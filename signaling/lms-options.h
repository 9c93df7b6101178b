/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Everything the server can be told, by flag or by the [signaling] group
 * of the config file (same names). */
typedef struct {
  char *config;
  char *address;
  int port;
  char *db;
  char *tls_cert;
  char *tls_key;
  char **stun_uris;
  char **turn_uris;
  char *turn_secret;
  int turn_ttl_s;
  int grace_s;
  int max_message_bytes;
  int rate_burst;
  double rate_per_second;
  int flood_close;
  int hello_timeout_s;
  int max_connections;
  int max_queue;
  int retention_days;
  char *media_policy;           /* "direct", "relay" or "auto" */
} LmsOptions;

void lms_options_init (LmsOptions *options);
void lms_options_clear (LmsOptions *options);

/* A GOptionEntry table whose arg_data point into `options`; free with
 * g_free. */
GOptionEntry *lms_options_entries (LmsOptions *options);

/* Fills in defaults and checks ranges after parsing; the error names the
 * option. */
gboolean lms_options_check (LmsOptions *options, GError **error);

G_END_DECLS

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

#include "lmr-media-config.h"

G_BEGIN_DECLS

/* The command line of lastmile-relay, also readable from the [relay]
 * group of a key file (--config FILE), keys being the long option names. */
typedef struct {
  /* As given. */
  char *server;
  char *token;
  char *ca_file;
  char *config;
  char *public_address;
  char *port_range;
  char *record_dir;
  int max_consultations;
  int max_participants;
  int latency;
  int stats_interval;
  int keyframe_interval;

  /* Derived by lmr_options_check. */
  char *http_url;           /* the WebSocket URL as http(s)://host:port/path */
  LmrMediaConfig media;     /* without the STUN server: that comes from welcome */
} LmrOptions;

void lmr_options_init (LmrOptions *options);
void lmr_options_clear (LmrOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LmrOptions, lmr_options_clear)

/* Parses argv (the --config file first, flags overriding it) and checks
 * every value. Fails with LMR_ERROR_BAD_ARGS naming the option. */
gboolean lmr_options_parse (LmrOptions  *options,
                            int         *argc,
                            char      ***argv,
                            GError     **error);

/* Checks and derives the fields once they are set (tests fill the struct
 * and call this). */
gboolean lmr_options_check (LmrOptions  *options,
                            GError     **error);

/* "40000-40999" → 40000, 40999; FALSE unless 1024 ≤ MIN ≤ MAX ≤ 65535. */
gboolean lmr_options_parse_port_range (const char *str,
                                       guint      *min,
                                       guint      *max);

/* "ws://h:p" → "http://h:p/ws", "wss://h" → "https://h/ws"; http(s)
 * kept; a path other than "/" kept. NULL (and an error) otherwise. */
char *lmr_options_normalize_url (const char  *url,
                                 GError     **error);

G_END_DECLS

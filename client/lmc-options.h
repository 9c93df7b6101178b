/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

#include "lmc-media.h"

G_BEGIN_DECLS

/* The command line of lastmile-client, also readable from a GKeyFile
 * group [client] whose keys are the long option names (--config FILE). */
typedef struct {
  /* As given. */
  char *server;
  char *token;
  char *ca_file;
  char *config;
  char *specialty;
  char *urgency;
  char *patient_ref;
  gboolean accept_first;
  char *invite;           /* doctor: invite this doctor once media flows */
  gboolean accept_invites;
  gboolean consent_recording;
  char *video;
  char *audio;
  char *resolution;
  int fps;
  int max_bitrate;
  gboolean headless;
  int duration;
  char *report;
  int latency;
  int stats_interval;
  int ice_timeout;
  gboolean relay_only;

  /* Derived by lmc_options_parse. */
  char *http_url;         /* the WebSocket URL as http(s)://host:port/path */
  gboolean tls;
  LmcMediaConfig media;   /* without ICE servers: those come from welcome */
} LmcOptions;

void lmc_options_init (LmcOptions *options);
void lmc_options_clear (LmcOptions *options);

/* Parses argv (and the --config file first, flags overriding it) and
 * checks every value. Fails with LMC_ERROR_BAD_ARGS and a message naming
 * the option. --help prints and exits, as GOption does. */
gboolean lmc_options_parse (LmcOptions  *options,
                            int         *argc,
                            char      ***argv,
                            GError     **error);

/* Checks and derives the fields after they were set (lmc_options_parse
 * calls it; tests call it on filled structs). */
gboolean lmc_options_check (LmcOptions  *options,
                            GError     **error);

/* "ws://h:p" → "http://h:p/ws", "wss://h" → "https://h/ws"; http(s)
 * kept; a path other than "/" kept. NULL (and an error) otherwise. */
char *lmc_options_normalize_url (const char  *url,
                                 gboolean    *tls,
                                 GError     **error);

/* "640x480" → 640, 480; FALSE outside 16x16 to 3840x2160 or odd sizes. */
gboolean lmc_options_parse_resolution (const char *str,
                                       int        *width,
                                       int        *height);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LmcOptions, lmc_options_clear)

G_END_DECLS

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-options.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <string.h>

#include "lm-config.h"
#include "lmr-error.h"
#include "lm-url.h"

#define MAX_PARTICIPANTS 4

static const char description[] =
  "lastmile-relay connects to the signaling server with the token of a relay\n"
  "account, announces how many consultations it takes, and then serves the\n"
  "consultations the server hands it: it offers media to every member and\n"
  "forwards each member's audio and video to the others, without decoding.\n"
  "With the clinic's consent (the server's relay.record) it also writes each\n"
  "member's media to a WebM file in --record-dir.\n"
  "\n"
  "--public-address is the address members reach the relay at when it sits\n"
  "behind a 1:1 NAT that keeps ports (a cloud VM's public IP): it replaces\n"
  "the address of the relay's host candidates. --port-range limits the UDP\n"
  "ports: each member's leg takes one port per local address.\n"
  "\n"
  "The token may also come from the environment variable LASTMILE_TOKEN.\n"
  "Every option can be set in the [relay] group of a --config file; flags\n"
  "override the file. Logs go to stderr through GStreamer's debug system\n"
  "(lmr-* categories at INFO unless GST_DEBUG says otherwise).\n"
  "\n"
  "Exit status:\n"
  "  0  stopped by SIGINT or SIGTERM\n"
  "  1  failed\n"
  "  2  bad command line or config file\n"
  "  3  --server is not a lastmile WebSocket endpoint\n"
  "  4  the server refused the token, or it is not a relay's\n"
  "A lost or unreachable server is not an exit: the relay connects again.\n";

void
lmr_options_init (LmrOptions *options)
{
  LmrMediaConfig media = LMR_MEDIA_CONFIG_INIT;

  *options = (LmrOptions) {
    .max_consultations = 50,
    .max_participants = MAX_PARTICIPANTS,
    .latency = media.latency_ms,
    .stats_interval = 5,
    .keyframe_interval = media.keyframe_interval_ms,
    .media = media,
  };
}

void
lmr_options_clear (LmrOptions *options)
{
  g_clear_pointer (&options->server, g_free);
  g_clear_pointer (&options->token, g_free);
  g_clear_pointer (&options->ca_file, g_free);
  g_clear_pointer (&options->config, g_free);
  g_clear_pointer (&options->public_address, g_free);
  g_clear_pointer (&options->port_range, g_free);
  g_clear_pointer (&options->record_dir, g_free);
  g_clear_pointer (&options->http_url, g_free);
  lmr_media_config_clear (&options->media);
}

static gboolean
bad (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad (GError **error, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (LMR_ERROR, LMR_ERROR_BAD_ARGS, format, args));
  va_end (args);
  return FALSE;
}

char *
lmr_options_normalize_url (const char  *url,
                           GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  char *normal = lm_url_normalize_server (url, NULL, &local_error);

  if (normal == NULL)
    bad (error, "%s", local_error->message);
  return normal;
}

gboolean
lmr_options_parse_port_range (const char *str,
                              guint      *min,
                              guint      *max)
{
  g_auto (GStrv) parts = NULL;
  guint64 lo, hi;

  if (str == NULL)
    return FALSE;
  parts = g_strsplit (str, "-", 3);
  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1024, 65535, &lo, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1024, 65535, &hi, NULL) || lo > hi)
    return FALSE;
  *min = (guint) lo;
  *max = (guint) hi;
  return TRUE;
}

static gboolean
check_strings (LmrOptions *options, GError **error)
{
  const char *env_token = g_getenv ("LASTMILE_TOKEN");

  if (options->server == NULL)
    return bad (error, "--server is required");
  if (options->token == NULL && env_token && env_token[0])
    options->token = g_strdup (env_token);
  if (options->token == NULL || options->token[0] == '\0')
    return bad (error, "--token is required (or LASTMILE_TOKEN)");
  if (strlen (options->token) > 256)
    return bad (error, "--token is longer than 256 bytes");
  if (options->ca_file && !g_file_test (options->ca_file, G_FILE_TEST_IS_REGULAR))
    return bad (error, "--ca-file: %s is not a readable file", options->ca_file);
  if (options->public_address) {
    g_autoptr (GInetAddress) address = g_inet_address_new_from_string (options->public_address);

    if (address == NULL)
      return bad (error, "--public-address: \"%s\" is not an IP address", options->public_address);
  }
  if (options->record_dir && !g_file_test (options->record_dir, G_FILE_TEST_IS_DIR))
    return bad (error, "--record-dir: %s is not a directory", options->record_dir);
  return TRUE;
}

static gboolean
check_numbers (LmrOptions *options, GError **error)
{
  LmrMediaConfig *media = &options->media;

  if (options->max_consultations < 1 || options->max_consultations > 100000)
    return bad (error, "--max-consultations must be 1-100000");
  if (options->max_participants < 2 || options->max_participants > MAX_PARTICIPANTS)
    return bad (error, "--max-participants must be 2-%d", MAX_PARTICIPANTS);
  if (options->latency < 0 || options->latency > 1000)
    return bad (error, "--latency must be 0-1000 ms");
  if (options->stats_interval < 0 || options->stats_interval > 300)
    return bad (error, "--stats-interval must be 0 (none) to 300 s");
  if (options->keyframe_interval < 100 || options->keyframe_interval > 10000)
    return bad (error, "--keyframe-interval must be 100-10000 ms");
  media->min_port = media->max_port = 0;
  if (options->port_range &&
      !lmr_options_parse_port_range (options->port_range, &media->min_port, &media->max_port))
    return bad (error, "--port-range: \"%s\" is not MIN-MAX with 1024 <= MIN <= MAX <= 65535",
                options->port_range);
  media->latency_ms = (guint) options->latency;
  media->keyframe_interval_ms = (guint) options->keyframe_interval;
  g_free (media->public_address);
  media->public_address = g_strdup (options->public_address);
  return TRUE;
}

gboolean
lmr_options_check (LmrOptions  *options,
                   GError     **error)
{
  g_clear_pointer (&options->http_url, g_free);
  if (!check_strings (options, error) || !check_numbers (options, error))
    return FALSE;
  options->http_url = lmr_options_normalize_url (options->server, error);
  return options->http_url != NULL;
}

gboolean
lmr_options_parse (LmrOptions  *options,
                   int         *argc,
                   char      ***argv,
                   GError     **error)
{
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &options->server,
      "Signaling server (ws://, wss://, http:// or https://HOST[:PORT][/ws])", "URL" },
    { "token", 't', 0, G_OPTION_ARG_STRING, &options->token,
      "Token of a relay account", "TOKEN" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &options->ca_file,
      "Trust only these CA certificates (PEM) for wss:// instead of the system's", "FILE" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options->config,
      "Read options from the [relay] group of this key file", "FILE" },
    { "public-address", 0, 0, G_OPTION_ARG_STRING, &options->public_address,
      "Address written into the relay's host candidates (behind a 1:1 NAT)", "ADDR" },
    { "port-range", 0, 0, G_OPTION_ARG_STRING, &options->port_range,
      "UDP ports for media (default: any)", "MIN-MAX" },
    { "record-dir", 0, 0, G_OPTION_ARG_FILENAME, &options->record_dir,
      "Where recordings go (default: none; relay.record is then refused)", "DIR" },
    { "max-consultations", 0, 0, G_OPTION_ARG_INT, &options->max_consultations,
      "Consultations served at once (default 50)", "N" },
    { "max-participants", 0, 0, G_OPTION_ARG_INT, &options->max_participants,
      "Members of one consultation, 2-4 (default 4)", "N" },
    { "latency", 0, 0, G_OPTION_ARG_INT, &options->latency,
      "Jitter buffer of received streams: how long a gap waits for a retransmission (default 50)",
      "MS" },
    { "stats-interval", 0, 0, G_OPTION_ARG_INT, &options->stats_interval,
      "Seconds between per-leg figures sent to the server and logged (default 5, 0: none)", "S" },
    { "keyframe-interval", 0, 0, G_OPTION_ARG_INT, &options->keyframe_interval,
      "At most one keyframe request per stream this often (default 1000)", "MS" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- lastmile media relay");
  g_autoptr (GError) local_error = NULL;
  const char *config_path = lm_config_find_path (*argc, *argv);

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  g_option_context_set_description (context, description);

  if (config_path && !lm_config_load (config_path, "relay", entries, &local_error))
    return bad (error, "%s", local_error->message);
  if (!g_option_context_parse (context, argc, argv, &local_error))
    return bad (error, "%s", local_error->message);
  if (*argc > 1)
    return bad (error, "unexpected argument \"%s\"", (*argv)[1]);
  return lmr_options_check (options, error);
}

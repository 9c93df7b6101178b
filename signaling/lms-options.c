/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-options.h"

#include "lm-error.h"

void
lms_options_init (LmsOptions *options)
{
  *options = (LmsOptions) {
    .port = 8080,
    .turn_ttl_s = 86400,
    .grace_s = 30,
    .max_message_bytes = 65536,
    .rate_burst = 200,
    .rate_per_second = 50,
    .flood_close = 2000,
    .hello_timeout_s = 10,
    .max_connections = 20000,
    .max_queue = 1000,
    .retention_days = 0,
  };
}

void
lms_options_clear (LmsOptions *options)
{
  g_clear_pointer (&options->config, g_free);
  g_clear_pointer (&options->address, g_free);
  g_clear_pointer (&options->db, g_free);
  g_clear_pointer (&options->tls_cert, g_free);
  g_clear_pointer (&options->tls_key, g_free);
  g_clear_pointer (&options->stun_uris, g_strfreev);
  g_clear_pointer (&options->turn_uris, g_strfreev);
  g_clear_pointer (&options->turn_secret, g_free);
  g_clear_pointer (&options->media_policy, g_free);
}

GOptionEntry *
lms_options_entries (LmsOptions *o)
{
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config,
      "Read settings from the [signaling] group of FILE (flags override it)", "FILE" },
    { "address", 0, 0, G_OPTION_ARG_STRING, &o->address,
      "Listen on ADDR (default 0.0.0.0)", "ADDR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &o->port,
      "Listen on port N (default 8080; 0 picks a free port)", "N" },
    { "db", 'd', 0, G_OPTION_ARG_FILENAME, &o->db,
      "SQLite database with accounts and the session log (default lastmile.db)", "FILE" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_cert,
      "PEM certificate (chain): serve https and wss", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_key,
      "PEM private key for --tls-cert", "FILE" },
    { "stun-uri", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->stun_uris,
      "STUN server for clients, e.g. stun:stun.example.org:3478 (repeatable)", "URI" },
    { "turn-uri", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->turn_uris,
      "TURN server for clients, e.g. turn:turn.example.org:3478 (repeatable)", "URI" },
    { "turn-secret", 0, 0, G_OPTION_ARG_STRING, &o->turn_secret,
      "coturn static-auth-secret: hand out time-limited TURN credentials", "SECRET" },
    { "turn-ttl", 0, 0, G_OPTION_ARG_INT, &o->turn_ttl_s,
      "Seconds a TURN credential stays valid (default 86400)", "S" },
    { "grace", 0, 0, G_OPTION_ARG_INT, &o->grace_s,
      "Seconds a dropped session is kept for resumption (default 30)", "S" },
    { "max-message-bytes", 0, 0, G_OPTION_ARG_INT, &o->max_message_bytes,
      "Largest accepted message (default 65536)", "N" },
    { "rate-burst", 0, 0, G_OPTION_ARG_INT, &o->rate_burst,
      "Messages a connection may send at once (default 200)", "N" },
    { "rate-per-second", 0, 0, G_OPTION_ARG_DOUBLE, &o->rate_per_second,
      "Sustained messages per second per connection (default 50)", "N" },
    { "flood-close", 0, 0, G_OPTION_ARG_INT, &o->flood_close,
      "Close a connection after N rate-limited messages (default 2000)", "N" },
    { "hello-timeout", 0, 0, G_OPTION_ARG_INT, &o->hello_timeout_s,
      "Seconds a new connection has to send hello (default 10)", "S" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &o->max_connections,
      "Most WebSocket connections at once (default 20000)", "N" },
    { "max-queue", 0, 0, G_OPTION_ARG_INT, &o->max_queue,
      "Most waiting consultations (default 1000)", "N" },
    { "retention-days", 0, 0, G_OPTION_ARG_INT, &o->retention_days,
      "Purge consultations ended more than D days ago (default 0: keep all)", "D" },
    { "media-policy", 0, 0, G_OPTION_ARG_STRING, &o->media_policy,
      "direct, relay, or auto: relay when a relay is connected (default auto)", "POLICY" },
    { NULL }
  };

  return g_memdup2 (entries, sizeof entries);
}

typedef struct {
  const char *name;
  gint64 value;
  gint64 min;
  gint64 max;
} Range;

/* String defaults are filled in after parsing: GOption does not free a
 * string it overwrites. */
gboolean
lms_options_check (LmsOptions *o, GError **error)
{
  const Range ranges[] = {
    { "port", o->port, 0, 65535 },
    { "turn-ttl", o->turn_ttl_s, 60, 30 * 86400 },
    { "grace", o->grace_s, 0, 3600 },
    { "max-message-bytes", o->max_message_bytes, 1024, 16 * 1024 * 1024 },
    { "rate-burst", o->rate_burst, 1, 1000000 },
    { "flood-close", o->flood_close, 1, G_MAXINT },
    { "hello-timeout", o->hello_timeout_s, 1, 3600 },
    { "max-connections", o->max_connections, 1, 1000000 },
    { "max-queue", o->max_queue, 1, 1000000 },
    { "retention-days", o->retention_days, 0, 36500 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (ranges); i++)
    if (ranges[i].value < ranges[i].min || ranges[i].value > ranges[i].max)
      {
        g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                     "--%s must be from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                     ", not %" G_GINT64_FORMAT,
                     ranges[i].name, ranges[i].min, ranges[i].max, ranges[i].value);
        return FALSE;
      }
  if (!(o->rate_per_second > 0 && o->rate_per_second <= 1e6))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                   "--rate-per-second must be above 0 and at most 1000000");
      return FALSE;
    }
  if ((o->tls_cert == NULL) != (o->tls_key == NULL))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                   "--tls-cert and --tls-key go together: give both or neither");
      return FALSE;
    }
  if (o->turn_secret && !o->turn_uris)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                   "--turn-secret needs at least one --turn-uri");
      return FALSE;
    }
  if (!o->address)
    o->address = g_strdup ("0.0.0.0");
  if (!o->media_policy)
    o->media_policy = g_strdup ("auto");
  if (!g_str_equal (o->media_policy, "direct") && !g_str_equal (o->media_policy, "relay") &&
      !g_str_equal (o->media_policy, "auto"))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                   "--media-policy must be direct, relay or auto, not '%s'", o->media_policy);
      return FALSE;
    }
  if (!o->db)
    o->db = g_strdup ("lastmile.db");
  if (!*o->address || !*o->db)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST, "--address and --db must not be empty");
      return FALSE;
    }
  return TRUE;
}

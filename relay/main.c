/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include <glib-unix.h>
#include <gst/gst.h>
#include <locale.h>
#include <sys/stat.h>
#include <signal.h>

#include "lmr-error.h"
#include "lmr-options.h"
#include "lmr-relay.h"

typedef struct {
  GMainLoop *loop;
  LmrRelay *relay;
  int exit_code;
} App;

static void
on_relay_done (LmrRelay *relay, const GError *error, gpointer user_data)
{
  App *app = user_data;

  if (error)
    g_printerr ("lastmile-relay: %s\n", error->message);
  app->exit_code = lmr_error_exit_code (error);
  g_main_loop_quit (app->loop);
}

static gboolean
on_media_ready (gpointer user_data)
{
  App *app = user_data;

  lmr_relay_set_media_ready (app->relay);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer user_data)
{
  App *app = user_data;

  lmr_relay_stop (app->relay);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_auto (LmrOptions) options = { 0 };
  g_autoptr (GError) error = NULL;
  App app = { 0 };
  guint sigint, sigterm;
  GThread *prewarm;

  setlocale (LC_ALL, "");
  /* Recordings are medical data: nothing the relay writes is for others. */
  umask (077);
  lmr_options_init (&options);
  if (!lmr_options_parse (&options, &argc, &argv, &error)) {
    g_printerr ("lastmile-relay: %s\n(see lastmile-relay --help)\n", error->message);
    return lmr_error_exit_code (error);
  }
  gst_init (NULL, NULL);
  /* The relay's own log lines (per-leg figures, consultations served)
   * are INFO; GST_DEBUG still overrides. */
  if (g_getenv ("GST_DEBUG") == NULL)
    gst_debug_set_threshold_from_string ("lmr-*:INFO", FALSE);

  app.loop = g_main_loop_new (NULL, FALSE);
  app.relay = lmr_relay_new (&options, on_relay_done, &app);
  /* The DTLS certificate is made while the WebSocket connects; the relay
   * registers once it is ready. */
  prewarm = lmr_relay_prewarm (on_media_ready, &app);
  sigint = g_unix_signal_add (SIGINT, on_signal, &app);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &app);

  lmr_relay_start (app.relay);
  g_main_loop_run (app.loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  lmr_relay_free (app.relay);
  g_thread_join (prewarm);
  g_main_loop_unref (app.loop);
  return app.exit_code;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include <glib-unix.h>
#include <gst/gst.h>
#include <locale.h>
#include <signal.h>

#include "lmc-error.h"
#include "lmc-media.h"
#include "lmc-options.h"
#include "lmc-session.h"
#include "lmc-ui.h"

typedef struct {
  GMainLoop *loop;
  LmcSession *session;
  int exit_code;
} App;

static void
on_session_done (LmcSession *session, const GError *error, gpointer user_data)
{
  App *app = user_data;

  if (error)
    g_printerr ("lastmile-client: %s\n", error->message);
  app->exit_code = lmc_error_exit_code (error);
  g_main_loop_quit (app->loop);
}

static gboolean
on_media_ready (gpointer user_data)
{
  App *app = user_data;

  lmc_session_set_media_ready (app->session);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer user_data)
{
  App *app = user_data;

  lmc_session_hangup (app->session);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_auto (LmcOptions) options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (LmcUi) ui = NULL;
  App app = { 0 };
  guint sigint, sigterm;
  GThread *prewarm;

  setlocale (LC_ALL, "");
  lmc_options_init (&options);
  if (!lmc_options_parse (&options, &argc, &argv, &error)) {
    g_printerr ("lastmile-client: %s\n(see lastmile-client --help)\n", error->message);
    return lmc_error_exit_code (error);
  }
  gst_init (NULL, NULL);
  lmc_media_config_resolve_auto (&options.media);
  ui = lmc_ui_new ();
  app.loop = g_main_loop_new (NULL, FALSE);
  app.session = lmc_session_new (&options, ui, on_session_done, &app);
  /* The DTLS certificate is made while the WebSocket connects. */
  prewarm = lmc_media_prewarm (on_media_ready, &app);
  sigint = g_unix_signal_add (SIGINT, on_signal, &app);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &app);

  lmc_session_start (app.session);
  g_main_loop_run (app.loop);

  if (!lmc_session_write_report (app.session, &error)) {
    g_printerr ("lastmile-client: cannot write the report: %s\n", error->message);
    if (app.exit_code == 0)
      app.exit_code = LMC_EXIT_FAILED;
  }
  g_source_remove (sigint);
  g_source_remove (sigterm);
  lmc_session_free (app.session);
  g_thread_join (prewarm);
  g_main_loop_unref (app.loop);
  return app.exit_code;
}

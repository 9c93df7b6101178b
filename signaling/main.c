/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>

#include "lm-config.h"
#include "lms-accounts-cli.h"
#include "lms-server.h"

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/* Index of the "account" command word, or argc. */
static int
find_command (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "account"))
      return i;
  return argc;
}

static gboolean
parse_options (LmsOptions *options, int *argc, char ***argv, GError **error)
{
  g_autofree GOptionEntry *entries = lms_options_entries (options);
  g_autoptr (GOptionContext) context = g_option_context_new ("[account add|list|revoke ...]");
  const char *config = lm_config_find_path (*argc, *argv);

  g_option_context_set_summary (context,
      "lastmile signaling server: authenticates devices, queues consultation requests,\n"
      "pairs clinics with doctors, forwards WebRTC negotiation and keeps the session log.\n"
      "Run 'lastmile-signaling account --help' for account management.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (config && !lm_config_load (config, "signaling", entries, error))
    return FALSE;
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (*argc > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "unexpected argument '%s'", (*argv)[1]);
      return FALSE;
    }
  return lms_options_check (options, error);
}

static int
serve (LmsOptions *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LmsServer) server = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint sigint, sigterm;

  server = lms_server_new (options, &error);
  if (!server)
    {
      g_printerr ("lastmile-signaling: %s\n", error->message);
      return 1;
    }
  if (!options->tls_cert)
    g_printerr ("lastmile-signaling: serving plain http and ws (no --tls-cert given): "
                "use TLS anywhere but a test bench\n");
  /* Signals first: whoever reads the line below may stop us at once. */
  sigint = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_print ("lastmile-signaling: listening on %s\n", server->url);
  fflush (stdout);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  g_message ("shutting down");
  lms_server_shutdown (server, 2000);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  LmsOptions options;
  int command = find_command (argc, argv);
  int main_argc = command;
  int status;

  setlocale (LC_ALL, "");
  lms_options_init (&options);
  if (!parse_options (&options, &main_argc, &argv, &error))
    {
      g_printerr ("lastmile-signaling: %s\nTry 'lastmile-signaling --help'.\n", error->message);
      lms_options_clear (&options);
      return 2;
    }
  if (command < argc)
    status = lms_accounts_cli (options.db, argc - command, argv + command);
  else
    status = serve (&options);
  lms_options_clear (&options);
  return status;
}

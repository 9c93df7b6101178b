/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lm-test-server.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "lm-test-json.h"

struct _LmTestServer {
  char *binary;
  char *dir;
  char *db_path;
  char *cert_path;
  char *key_path;
  GTlsDatabase *tls_database;

  GSubprocess *process;
  GDataInputStream *stdout_stream;
  GString *stdout_text;
  gboolean stdout_eof;
  gboolean exited;
  char *url;

  SoupSession *http_session;

  /* From lm_test_server_capture_stderr(). */
  char *stderr_path;
  char **env;
};

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
lm_test_wait_for (LmTestCondition condition,
                  gpointer        user_data,
                  guint           timeout_ms)
{
  gboolean expired = FALSE;
  guint deadline_id;

  if (condition (user_data))
    return TRUE;
  deadline_id = g_timeout_add (timeout_ms, on_deadline, &expired);
  while (!condition (user_data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (deadline_id);
  return condition (user_data);
}

static void
drop_debug (const char *domain, GLogLevelFlags level, const char *message,
            gpointer user_data)
{
}

void
lm_test_init (int *argc, char ***argv)
{
  g_test_init (argc, argv, NULL);
  /* GTest shows debug messages; libsoup's frame-by-frame ones drown the
   * peers' traffic, which is what a failing test needs to show. */
  g_log_set_handler ("libsoup", G_LOG_LEVEL_DEBUG, drop_debug, NULL);
}

static void
die_with_parent (gpointer user_data)
{
  /* A test that aborts must not leave its server running. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
spawn_full (const char * const *argv,
            GSubprocessFlags    flags,
            const char         *stderr_path,
            const char * const *env)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  if (stderr_path != NULL)
    g_subprocess_launcher_set_stderr_file_path (launcher, stderr_path);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, pair[0], pair[1] ? pair[1] : "", TRUE);
    }
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (process == NULL)
    g_error ("cannot run %s: %s", argv[0], error->message);
  return process;
}

static GSubprocess *
spawn (const char * const *argv, GSubprocessFlags flags)
{
  return spawn_full (argv, flags, NULL, NULL);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR)
              && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static void
make_certificate (LmTestServer *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) openssl = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  server->cert_path = g_build_filename (server->dir, "cert.pem", NULL);
  server->key_path = g_build_filename (server->dir, "key.pem", NULL);
  {
    const char *argv[] = {
      "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
      "-keyout", server->key_path, "-out", server->cert_path,
      "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1", NULL
    };

    /* A missing openssl is a failure, not a skip. */
    openssl = spawn (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  }
  g_subprocess_communicate_utf8 (openssl, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (openssl))
    g_error ("openssl req failed: %s", err);

  server->tls_database = g_tls_file_database_new (server->cert_path, &error);
  g_assert_no_error (error);
}

LmTestServer *
lm_test_server_new (gboolean tls)
{
  LmTestServer *server = g_new0 (LmTestServer, 1);
  g_autoptr(GError) error = NULL;
  const char *binary = g_getenv ("LASTMILE_SIGNALING");

  if (binary == NULL || *binary == '\0')
    g_error ("LASTMILE_SIGNALING must name the lastmile-signaling binary");
  if (!g_file_test (binary, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("LASTMILE_SIGNALING=%s is not an executable", binary);
  server->binary = g_strdup (binary);
  server->dir = g_dir_make_tmp ("lastmile-signaling-test-XXXXXX", &error);
  g_assert_no_error (error);
  server->db_path = g_build_filename (server->dir, "lastmile.db", NULL);
  server->stdout_text = g_string_new (NULL);
  if (tls)
    make_certificate (server);
  return server;
}

static gboolean
process_done (gpointer user_data)
{
  LmTestServer *server = user_data;

  return server->exited && server->stdout_eof;
}

void
lm_test_server_free (LmTestServer *server)
{
  if (server == NULL)
    return;
  if (server->process != NULL)
    {
      /* Only reached when a test failed before stopping its server. */
      g_subprocess_force_exit (server->process);
      if (!lm_test_wait_for (process_done, server, LM_TEST_TIMEOUT_MS))
        {
          g_warning ("server did not exit; leaking its state");
          return;
        }
      g_clear_object (&server->stdout_stream);
      g_clear_object (&server->process);
    }
  g_clear_object (&server->http_session);
  g_clear_object (&server->tls_database);
  remove_tree (server->dir);
  g_string_free (server->stdout_text, TRUE);
  g_free (server->stderr_path);
  g_strfreev (server->env);
  g_free (server->url);
  g_free (server->cert_path);
  g_free (server->key_path);
  g_free (server->db_path);
  g_free (server->dir);
  g_free (server->binary);
  g_free (server);
}

void
lm_test_server_capture_stderr (LmTestServer       *server,
                               const char * const *env)
{
  g_assert_null (server->process);
  g_free (server->stderr_path);
  server->stderr_path = g_build_filename (server->dir, "stderr.log", NULL);
  g_strfreev (server->env);
  server->env = g_strdupv ((char **) env);
}

char *
lm_test_server_get_stderr (LmTestServer *server)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_assert_nonnull (server->stderr_path);
  g_file_get_contents (server->stderr_path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

const char *
lm_test_server_get_stdout (LmTestServer *server)
{
  return server->stdout_text->str;
}

const char *
lm_test_server_get_dir (LmTestServer *server)
{
  return server->dir;
}

const char *
lm_test_server_get_db_path (LmTestServer *server)
{
  return server->db_path;
}

const char *
lm_test_server_get_cert_path (LmTestServer *server)
{
  return server->cert_path;
}

const char *
lm_test_server_get_key_path (LmTestServer *server)
{
  return server->key_path;
}

static int
exit_code_of (GSubprocess *process)
{
  if (g_subprocess_get_if_exited (process))
    return g_subprocess_get_exit_status (process);
  if (g_subprocess_get_if_signaled (process))
    g_test_message ("process killed by signal %d",
                    g_subprocess_get_term_sig (process));
  return -1;
}

int
lm_test_server_run (LmTestServer       *server,
                    const char * const *args,
                    char              **out,
                    char              **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out_text = NULL;
  g_autofree char *err_text = NULL;

  g_ptr_array_add (argv, server->binary);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = spawn ((const char * const *) argv->pdata,
                   G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out_text, &err_text,
                                 &error);
  g_assert_no_error (error);
  if (err_text != NULL && *err_text != '\0')
    g_test_message ("stderr of %s: %s", (const char *) argv->pdata[1], err_text);
  if (out != NULL)
    *out = g_steal_pointer (&out_text);
  if (err != NULL)
    *err = g_steal_pointer (&err_text);
  return exit_code_of (process);
}

int
lm_test_server_cli (LmTestServer *server, char **out, char **err, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (args, (gpointer) "--db");
  g_ptr_array_add (args, server->db_path);
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return lm_test_server_run (server, (const char * const *) args->pdata,
                             out, err);
}

char *
lm_test_server_add_account (LmTestServer *server,
                            const char   *role,
                            const char   *name,
                            ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *specialty;
  va_list ap;
  int code;

  g_ptr_array_add (args, (gpointer) "--db");
  g_ptr_array_add (args, server->db_path);
  g_ptr_array_add (args, (gpointer) "account");
  g_ptr_array_add (args, (gpointer) "add");
  g_ptr_array_add (args, (gpointer) "--role");
  g_ptr_array_add (args, (gpointer) role);
  g_ptr_array_add (args, (gpointer) "--name");
  g_ptr_array_add (args, (gpointer) name);
  va_start (ap, name);
  while ((specialty = va_arg (ap, const char *)) != NULL)
    {
      g_ptr_array_add (args, (gpointer) "--specialty");
      g_ptr_array_add (args, (gpointer) specialty);
    }
  va_end (ap);
  g_ptr_array_add (args, NULL);

  code = lm_test_server_run (server, (const char * const *) args->pdata,
                             &out, &err);
  g_assert_cmpint (code, ==, 0);
  /* The token alone on one line. */
  g_assert_true (g_str_has_suffix (out, "\n"));
  out[strlen (out) - 1] = '\0';
  g_assert_cmpuint (strlen (out), >, 0);
  g_assert_null (strpbrk (out, " \t\r\n"));
  return g_steal_pointer (&out);
}

static void read_next_line (LmTestServer *server);

static void
on_stdout_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LmTestServer *server = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *found;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                    result, NULL, &error);
  if (line == NULL)
    {
      if (error != NULL)
        g_test_message ("server stdout: %s", error->message);
      server->stdout_eof = TRUE;
      return;
    }
  g_test_message ("server stdout: %s", line);
  g_string_append (server->stdout_text, line);
  g_string_append_c (server->stdout_text, '\n');
  found = strstr (line, "listening on ");
  if (found != NULL && server->url == NULL)
    {
      const char *start = found + strlen ("listening on ");
      gsize len = strcspn (start, " \t\r\n");

      server->url = g_strndup (start, len);
    }
  read_next_line (server);
}

static void
read_next_line (LmTestServer *server)
{
  g_data_input_stream_read_line_async (server->stdout_stream,
                                       G_PRIORITY_DEFAULT, NULL,
                                       on_stdout_line, server);
}

static void
on_process_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LmTestServer *server = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error);
  g_assert_no_error (error);
  server->exited = TRUE;
}

static gboolean
listening_or_exited (gpointer user_data)
{
  LmTestServer *server = user_data;

  return server->url != NULL || server->exited;
}

void
lm_test_server_start_argv (LmTestServer *server, const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *command = NULL;

  g_assert_null (server->process);
  g_clear_pointer (&server->url, g_free);
  g_string_truncate (server->stdout_text, 0);
  server->exited = FALSE;
  server->stdout_eof = FALSE;

  g_ptr_array_add (argv, server->binary);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  command = g_strjoinv (" ", (char **) argv->pdata);
  g_test_message ("starting %s", command);

  /* stderr is inherited: the server's log lands in the test log. */
  server->process = spawn_full ((const char * const *) argv->pdata,
                                G_SUBPROCESS_FLAGS_STDOUT_PIPE, server->stderr_path,
                                (const char * const *) server->env);
  server->stdout_stream =
    g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  read_next_line (server);
  g_subprocess_wait_async (server->process, NULL, on_process_exited, server);

  if (!lm_test_wait_for (listening_or_exited, server, LM_TEST_TIMEOUT_MS))
    g_error ("%s printed no \"listening on\" line within %u ms; stdout: %s",
             command, LM_TEST_TIMEOUT_MS, server->stdout_text->str);
  if (server->url == NULL)
    g_error ("%s exited (code %d) before listening; stdout: %s", command,
             exit_code_of (server->process), server->stdout_text->str);
  g_test_message ("server at %s", server->url);
}

void
lm_test_server_start (LmTestServer *server, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (args, (gpointer) "--db");
  g_ptr_array_add (args, server->db_path);
  g_ptr_array_add (args, (gpointer) "--address");
  g_ptr_array_add (args, (gpointer) "127.0.0.1");
  g_ptr_array_add (args, (gpointer) "--port");
  g_ptr_array_add (args, (gpointer) "0");
  if (server->cert_path != NULL)
    {
      g_ptr_array_add (args, (gpointer) "--tls-cert");
      g_ptr_array_add (args, server->cert_path);
      g_ptr_array_add (args, (gpointer) "--tls-key");
      g_ptr_array_add (args, server->key_path);
    }
  va_start (ap, server);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  lm_test_server_start_argv (server, (const char * const *) args->pdata);
}

void
lm_test_server_stop_with_signal (LmTestServer *server, int signum)
{
  g_assert_nonnull (server->process);
  g_subprocess_send_signal (server->process, signum);
  if (!lm_test_wait_for (process_done, server, LM_TEST_TIMEOUT_MS))
    g_error ("server did not exit within %u ms of signal %d",
             LM_TEST_TIMEOUT_MS, signum);
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  g_clear_object (&server->stdout_stream);
  g_clear_object (&server->process);
  if (server->stderr_path != NULL)
    {
      g_autofree char *log = lm_test_server_get_stderr (server);

      g_test_message ("server stderr:\n%s", log);
    }
  /* Connections to the old process are useless now. */
  g_clear_object (&server->http_session);
}

void
lm_test_server_stop (LmTestServer *server)
{
  lm_test_server_stop_with_signal (server, SIGTERM);
}

gboolean
lm_test_server_is_running (LmTestServer *server)
{
  return server->process != NULL && !server->exited;
}

const char *
lm_test_server_get_url (LmTestServer *server)
{
  g_assert_nonnull (server->url);
  return server->url;
}

char *
lm_test_server_get_ws_url (LmTestServer *server)
{
  const char *url = lm_test_server_get_url (server);
  const char *rest;
  const char *scheme;

  if (g_str_has_prefix (url, "https://"))
    {
      scheme = "wss://";
      rest = url + strlen ("https://");
    }
  else
    {
      g_assert_true (g_str_has_prefix (url, "http://"));
      scheme = "ws://";
      rest = url + strlen ("http://");
    }
  return g_strconcat (scheme, rest, g_str_has_suffix (rest, "/") ? "" : "/",
                      "ws", NULL);
}

SoupSession *
lm_test_server_new_session (LmTestServer *server)
{
  SoupSession *session = soup_session_new ();

  if (server->tls_database != NULL)
    soup_session_set_tls_database (session, server->tls_database);
  return session;
}

typedef struct {
  GBytes *body;
  GError *error;
  gboolean done;
} HttpResult;

static void
on_http_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HttpResult *http = user_data;

  http->body = soup_session_send_and_read_finish (SOUP_SESSION (source),
                                                  result, &http->error);
  http->done = TRUE;
}

static gboolean
http_done (gpointer user_data)
{
  return ((HttpResult *) user_data)->done;
}

GBytes *
lm_test_server_http_get (LmTestServer *server,
                         const char   *path,
                         const char   *token,
                         guint        *status,
                         char        **content_type)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *uri = NULL;
  const char *base = lm_test_server_get_url (server);
  HttpResult http = { 0 };

  if (server->http_session == NULL)
    server->http_session = lm_test_server_new_session (server);
  if (g_str_has_suffix (base, "/") && path[0] == '/')
    path++;
  uri = g_strconcat (base, path, NULL);
  msg = soup_message_new ("GET", uri);
  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_append (soup_message_get_request_headers (msg),
                                   "Authorization", value);
    }
  soup_session_send_and_read_async (server->http_session, msg,
                                    G_PRIORITY_DEFAULT, NULL, on_http_done,
                                    &http);
  if (!lm_test_wait_for (http_done, &http, LM_TEST_TIMEOUT_MS))
    g_error ("GET %s: no answer within %u ms", uri, LM_TEST_TIMEOUT_MS);
  if (http.error != NULL)
    g_error ("GET %s: %s", uri, http.error->message);
  if (status != NULL)
    *status = soup_message_get_status (msg);
  if (content_type != NULL)
    *content_type = g_strdup (soup_message_headers_get_content_type (
                                soup_message_get_response_headers (msg), NULL));
  return http.body;
}

JsonObject *
lm_test_server_http_get_json (LmTestServer *server,
                              const char   *path,
                              const char   *token,
                              guint         expected_status)
{
  g_autoptr(GBytes) body = NULL;
  guint status = 0;
  gsize len;
  const char *data;

  body = lm_test_server_http_get (server, path, token, &status, NULL);
  data = g_bytes_get_data (body, &len);
  if (status != expected_status)
    g_error ("GET %s: status %u, expected %u; body: %.*s", path, status,
             expected_status, (int) len, data);
  return lm_test_json_parse_object (data, len);
}

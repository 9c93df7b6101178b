/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* The command line: --help, accounts (add, list, revoke), tokens kept only
 * hashed, and --config. */

#include <glib/gstdio.h>
#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

typedef struct {
  LmTestServer *server;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = lm_test_server_new (FALSE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (lm_test_server_is_running (f->server))
    lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
}

static void
test_help (Fixture *f, gconstpointer data)
{
  const char *args[] = { "--help", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (lm_test_server_run (f->server, args, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "Usage"));
  g_assert_nonnull (strstr (out, "--db"));
  g_assert_nonnull (strstr (out, "--port"));
}

/* The line of `list` that names `name`; fails unless exactly one does. */
static char *
line_of (const char *list, const char *name)
{
  g_auto(GStrv) lines = g_strsplit (list, "\n", -1);
  char *found = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit_set (lines[i], " \t,;|", -1);

      for (guint w = 0; words[w] != NULL; w++)
        if (g_str_equal (words[w], name))
          {
            if (found != NULL)
              g_error ("more than one line names %s in:\n%s", name, list);
            found = g_strdup (lines[i]);
            break;
          }
    }
  if (found == NULL)
    g_error ("no line names %s in:\n%s", name, list);
  return found;
}

static char *
list_accounts (Fixture *f)
{
  char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (lm_test_server_cli (f->server, &out, &err, "account", "list", NULL), ==, 0);
  g_test_message ("account list:\n%s", out);
  return out;
}

static void
test_accounts (Fixture *f, gconstpointer data)
{
  g_autofree char *clinic = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  g_autofree char *doctor = lm_test_server_add_account (f->server, "doctor", "dr-1",
                                                        "paediatrics", "cardiology", NULL);
  g_autofree char *admin = lm_test_server_add_account (f->server, "admin", "admin-1", NULL);
  g_autofree char *relay = lm_test_server_add_account (f->server, "relay", "relay-1", NULL);
  g_autofree char *list = NULL;
  g_autofree char *line = NULL;
  const char *const tokens[] = { clinic, doctor, admin, relay };
  const char *const names[] = { "clinic-1", "dr-1", "admin-1", "relay-1" };
  const char *const roles[] = { "clinic", "doctor", "admin", "relay" };
  guint lines = 0;

  for (guint i = 0; i < 4; i++)
    for (guint j = i + 1; j < 4; j++)
      g_assert_cmpstr (tokens[i], !=, tokens[j]);

  list = list_accounts (f);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *l = line_of (list, names[i]);

      g_assert_nonnull (strstr (l, roles[i]));
      g_assert_nonnull (strstr (l, "active"));
      g_assert_null (strstr (l, "revoked"));
      g_assert_null (strstr (list, tokens[i]));
    }
  line = line_of (list, "dr-1");
  g_assert_nonnull (strstr (line, "paediatrics"));
  g_assert_nonnull (strstr (line, "cardiology"));
  for (const char *p = list; *p != '\0'; p++)
    if (*p == '\n')
      lines++;
  /* One line per account (a header line at most besides). */
  g_assert_cmpuint (lines, >=, 4);
  g_assert_cmpuint (lines, <=, 5);
}

static void
test_bad_role (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (lm_test_server_cli (f->server, &out, &err, "account", "add",
                                       "--role", "superuser", "--name", "x", NULL), !=, 0);
  g_assert_cmpuint (strlen (err), >, 0);
}

static void
expect_refused (Fixture *f, const char *token)
{
  g_autoptr(LmTestPeer) peer = lm_test_peer_new (f->server, "revoked");
  g_autoptr(JsonObject) error = NULL;
  g_autofree char *reason = NULL;

  lm_test_peer_send (peer, "{'type':'hello','token':'%s'}", token);
  error = lm_test_peer_expect_error (peer, "unauthorized");
  g_assert_cmpuint (lm_test_peer_wait_closed (peer, &reason), ==, 1008);
  g_assert_cmpstr (reason, ==, "unauthorized");
}

static void
test_revoke (Fixture *f, gconstpointer data)
{
  g_autofree char *clinic = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  g_autofree char *doctor = lm_test_server_add_account (f->server, "doctor", "dr-1", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *list = NULL;
  g_autofree char *line = NULL;
  g_autofree char *other = NULL;
  g_autoptr(LmTestPeer) peer = NULL;
  g_autoptr(JsonObject) welcome = NULL;

  g_assert_cmpint (lm_test_server_cli (f->server, &out, &err, "account", "revoke", "dr-1",
                                       NULL), ==, 0);
  list = list_accounts (f);
  line = line_of (list, "dr-1");
  g_assert_nonnull (strstr (line, "revoked"));
  other = line_of (list, "clinic-1");
  g_assert_nonnull (strstr (other, "active"));

  /* An unknown name: an error on stderr. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lm_test_server_cli (f->server, &out, &err, "account", "revoke", "nobody",
                                       NULL), !=, 0);
  g_assert_cmpuint (strlen (err), >, 0);

  lm_test_server_start (f->server, NULL);
  expect_refused (f, doctor);
  peer = lm_test_peer_new (f->server, "clinic");
  welcome = lm_test_peer_hello (peer, clinic);
  lm_test_peer_sync (peer);
}

static void
test_revoke_while_running (Fixture *f, gconstpointer data)
{
  g_autofree char *clinic = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  g_autofree char *doctor = lm_test_server_add_account (f->server, "doctor", "dr-1", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(LmTestPeer) peer = NULL;
  g_autoptr(JsonObject) welcome = NULL;

  lm_test_server_start (f->server, NULL);
  peer = lm_test_peer_new (f->server, "doctor");
  welcome = lm_test_peer_hello (peer, doctor);
  g_assert_cmpint (lm_test_server_cli (f->server, &out, &err, "account", "revoke", "dr-1",
                                       NULL), ==, 0);
  /* The running server refuses the token from then on. */
  expect_refused (f, doctor);
}

static gboolean
file_contains (const char *path, const char *needle)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  gsize n = strlen (needle);

  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  /* Binary: strstr() would stop at the first NUL. */
  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

static void
test_token_not_stored (Fixture *f, gconstpointer data)
{
  g_autofree char *clinic = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  g_autofree char *admin = lm_test_server_add_account (f->server, "admin", "admin-1", NULL);
  g_autoptr(LmTestPeer) peer = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) list = NULL;
  const char *dir = lm_test_server_get_dir (f->server);
  const char *name;
  GDir *d;
  guint checked = 0;

  /* Used, so that anything the server keeps about it is written. */
  lm_test_server_start (f->server, NULL);
  peer = lm_test_peer_new (f->server, "clinic");
  welcome = lm_test_peer_hello (peer, clinic);
  list = lm_test_server_http_get_json (f->server, "/api/v1/consultations", admin, 200);
  g_clear_pointer (&peer, lm_test_peer_free);

  /* The database and its journal, while running and after the stop. */
  for (int pass = 0; pass < 2; pass++)
    {
      if (pass == 1)
        lm_test_server_stop (f->server);
      d = g_dir_open (dir, 0, NULL);
      g_assert_nonnull (d);
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);

          if (!g_str_has_prefix (name, "lastmile.db"))
            continue;
          checked++;
          g_assert_false (file_contains (path, clinic));
          g_assert_false (file_contains (path, admin));
          /* Nor the secret part without its prefix. */
          g_assert_false (file_contains (path, strchr (clinic, '_') ? strchr (clinic, '_') + 1
                                                                    : clinic));
        }
      g_dir_close (d);
    }
  g_assert_cmpuint (checked, >=, 2);
}

static void
test_config_file (Fixture *f, gconstpointer data)
{
  g_autofree char *clinic = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  g_autofree char *config = g_build_filename (lm_test_server_get_dir (f->server),
                                              "signaling.conf", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LmTestPeer) peer = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) too_large = NULL;
  g_autoptr(JsonObject) pong = NULL;
  GString *big = g_string_new ("{\"type\":\"ping\",\"id\":\"big\",\"pad\":\"");

  contents = g_strdup_printf ("# a config file\n[other]\nport=1\n\n"
                              "[signaling]\ndb=%s\naddress=127.0.0.1\nport=0\n"
                              "max-message-bytes=1024\ngrace=7\n",
                              lm_test_server_get_db_path (f->server));
  g_file_set_contents (config, contents, -1, &error);
  g_assert_no_error (error);
  while (big->len < 1100)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}");

  /* The file alone. */
  {
    const char *args[] = { "--config", config, NULL };

    lm_test_server_start_argv (f->server, args);
  }
  peer = lm_test_peer_new (f->server, "clinic");
  welcome = lm_test_peer_hello (peer, clinic);
  g_assert_cmpint (lm_test_json_get_int (welcome, "grace_s"), ==, 7);
  lm_test_peer_send_raw (peer, FALSE, big->str, big->len);
  too_large = lm_test_peer_expect_error (peer, "too_large");
  g_clear_pointer (&peer, lm_test_peer_free);
  lm_test_server_stop (f->server);

  /* A flag wins over the file. */
  {
    const char *args[] = { "--config", config, "--max-message-bytes", "4096", NULL };

    lm_test_server_start_argv (f->server, args);
  }
  peer = lm_test_peer_new (f->server, "clinic");
  g_clear_pointer (&welcome, json_object_unref);
  welcome = lm_test_peer_hello (peer, clinic);
  lm_test_peer_send_raw (peer, FALSE, big->str, big->len);
  pong = lm_test_peer_expect_with (peer, "pong", "id", "big");
  g_string_free (big, TRUE);
}

static void
test_config_unknown_key (Fixture *f, gconstpointer data)
{
  g_autofree char *config = g_build_filename (lm_test_server_get_dir (f->server),
                                              "bad.conf", NULL);
  g_autofree char *contents = g_strdup_printf ("[signaling]\ndb=%s\nno-such-option=1\n",
                                               lm_test_server_get_db_path (f->server));
  const char *args[] = { "--config", config, "--port", "0", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_true (g_file_set_contents (config, contents, -1, NULL));
  g_assert_cmpint (lm_test_server_run (f->server, args, &out, &err), !=, 0);
  g_assert_nonnull (strstr (err, "no-such-option"));
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  g_test_add ("/signaling/cli/help", Fixture, NULL,
              fixture_setup, test_help, fixture_teardown);
  g_test_add ("/signaling/cli/accounts", Fixture, NULL,
              fixture_setup, test_accounts, fixture_teardown);
  g_test_add ("/signaling/cli/bad-role", Fixture, NULL,
              fixture_setup, test_bad_role, fixture_teardown);
  g_test_add ("/signaling/cli/revoke", Fixture, NULL,
              fixture_setup, test_revoke, fixture_teardown);
  g_test_add ("/signaling/cli/revoke-while-running", Fixture, NULL,
              fixture_setup, test_revoke_while_running, fixture_teardown);
  g_test_add ("/signaling/cli/token-not-stored", Fixture, NULL,
              fixture_setup, test_token_not_stored, fixture_teardown);
  g_test_add ("/signaling/cli/config-file", Fixture, NULL,
              fixture_setup, test_config_file, fixture_teardown);
  g_test_add ("/signaling/cli/config-unknown-key", Fixture, NULL,
              fixture_setup, test_config_unknown_key, fixture_teardown);
  return g_test_run ();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include <glib/gstdio.h>
#include <string.h>

#include "lm-config.h"
#include "lm-error.h"

#define SOURCE "test.conf"

typedef struct {
  gboolean verbose;
  gboolean tls;          /* set by the reversed "no-tls" */
  int port;
  gint64 big;
  double ratio;
  char *name;
  char *db;
  char **origins;
  char **dirs;
  GOptionEntry entries[12];
} Fixture;

static gboolean
on_callback (const char *option_name,
             const char *value,
             gpointer    data,
             GError    **error)
{
  return TRUE;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  const GOptionEntry entries[] = {
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &f->verbose, "", NULL },
    { "no-tls", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &f->tls, "", NULL },
    { "port", 'p', 0, G_OPTION_ARG_INT, &f->port, "", "PORT" },
    { "big", 0, 0, G_OPTION_ARG_INT64, &f->big, "", "N" },
    { "ratio", 0, 0, G_OPTION_ARG_DOUBLE, &f->ratio, "", "X" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &f->name, "", "NAME" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &f->db, "", "FILE" },
    { "origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &f->origins, "", "URL" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &f->dirs, "", "DIR" },
    { "callback", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) on_callback, "", NULL },
    { "no-data", 0, 0, G_OPTION_ARG_INT, NULL, "", NULL },
    G_OPTION_ENTRY_NULL
  };

  G_STATIC_ASSERT (sizeof entries == sizeof f->entries);
  f->tls = TRUE;
  f->port = 8443;
  f->big = -1;
  f->ratio = 0.5;
  memcpy (f->entries, entries, sizeof entries);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_free (f->name);
  g_free (f->db);
  g_strfreev (f->origins);
  g_strfreev (f->dirs);
}

static gboolean
load (Fixture    *f,
      const char *text,
      GError    **error)
{
  return lm_config_load_data (text, strlen (text), SOURCE, "signaling", f->entries, error);
}

static void
test_every_type (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *text =
    "# lastmile\n"
    "[signaling]\n"
    "verbose=true\n"
    "no-tls = true\n"
    "port = 9000\n"
    "big=-9223372036854775808\n"
    "ratio=2.5e-3\n"
    "name=clinic kisumu \\n3\n"
    "db=/var/lib/lastmile/db.sqlite\n"
    "origin=https://a.example;https://b.example\\;x;\n"
    "dir=/a;/b\n";

  g_assert_true (load (f, text, &error));
  g_assert_no_error (error);
  g_assert_true (f->verbose);
  g_assert_false (f->tls);
  g_assert_cmpint (f->port, ==, 9000);
  g_assert_cmpint (f->big, ==, G_MININT64);
  g_assert_cmpfloat (f->ratio, ==, 2.5e-3);
  g_assert_cmpstr (f->name, ==, "clinic kisumu \n3");
  g_assert_cmpstr (f->db, ==, "/var/lib/lastmile/db.sqlite");
  g_assert_cmpuint (g_strv_length (f->origins), ==, 2);
  g_assert_cmpstr (f->origins[0], ==, "https://a.example");
  g_assert_cmpstr (f->origins[1], ==, "https://b.example;x");
  g_assert_cmpuint (g_strv_length (f->dirs), ==, 2);
  g_assert_cmpstr (f->dirs[1], ==, "/b");
}

static void
test_false_and_empty (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->verbose = TRUE;
  f->tls = FALSE;
  g_assert_true (load (f, "[signaling]\nverbose=false\nno-tls=false\norigin=\nname=\n", &error));
  g_assert_no_error (error);
  g_assert_false (f->verbose);
  g_assert_true (f->tls);
  g_assert_nonnull (f->origins);
  g_assert_cmpuint (g_strv_length (f->origins), ==, 0);
  g_assert_cmpstr (f->name, ==, "");
}

/* Keys not in the file keep their values; a repeated key counts once. */
static void
test_untouched_and_repeated (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (load (f, "[signaling]\nname=a\nname=b\nport=1\nport=2\n", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (f->name, ==, "b");
  g_assert_cmpint (f->port, ==, 2);
  g_assert_cmpint (f->big, ==, -1);
  g_assert_cmpfloat (f->ratio, ==, 0.5);
  g_assert_false (f->verbose);
  g_assert_true (f->tls);
  g_assert_null (f->origins);
}

static void
test_group_isolation (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *text =
    "[relay]\nport=1\ncolour=blue\nverbose=maybe\n"
    "[signaling]\nport=3\n"
    "[client]\nport=abc\n";

  g_assert_true (load (f, text, &error));
  g_assert_no_error (error);
  g_assert_cmpint (f->port, ==, 3);
  g_assert_false (f->verbose);
}

static void
test_no_group (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (load (f, "[relay]\nport=1\n", &error));
  g_assert_no_error (error);
  g_assert_cmpint (f->port, ==, 8443);

  g_assert_true (load (f, "", &error));
  g_assert_true (load (f, "# only a comment\n", &error));
  g_assert_no_error (error);
  g_assert_cmpint (f->port, ==, 8443);
}

/* A file with an error changes nothing, even keys before the bad one. */
static void
test_all_or_nothing (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (load (f, "[signaling]\nport=1\nname=x\norigin=a;b\nverbose=maybe\n", &error));
  g_assert_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST);
  g_assert_cmpint (f->port, ==, 8443);
  g_assert_null (f->name);
  g_assert_null (f->origins);
}

/* Only `len` bytes are read. */
static void
test_length (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *text = "[signaling]\nport=12\nport=abc";

  g_assert_true (lm_config_load_data (text, strlen ("[signaling]\nport=12\n"), SOURCE,
                                      "signaling", f->entries, &error));
  g_assert_no_error (error);
  g_assert_cmpint (f->port, ==, 12);
}

typedef struct {
  const char *name;
  const char *text;
  const char *message;
} BadCase;

static const BadCase bad_cases[] = {
  { "unknown-key", "[signaling]\ncolour=blue\n", SOURCE ": [signaling] colour: unknown key" },
  { "unknown-short-name", "[signaling]\np=1\n", SOURCE ": [signaling] p: unknown key" },
  { "int-letters", "[signaling]\nport=abc\n", SOURCE ": [signaling] port: 'abc' is not an integer" },
  { "int-empty", "[signaling]\nport=\n", "[signaling] port: '' is not an integer" },
  { "int-fraction", "[signaling]\nport=1.5\n", "[signaling] port: '1.5' is not an integer" },
  { "int-suffix", "[signaling]\nport=80x\n", "[signaling] port: '80x' is not an integer" },
  { "int-hex", "[signaling]\nport=0x50\n", "[signaling] port: '0x50' is not an integer" },
  { "int-too-big", "[signaling]\nport=2147483648\n", "[signaling] port: '2147483648' is out of range" },
  { "int-too-small", "[signaling]\nport=-2147483649\n", "[signaling] port: '-2147483649' is out of range" },
  { "int64-too-big", "[signaling]\nbig=9223372036854775808\n", "[signaling] big: '9223372036854775808' is out of range" },
  { "int64-exponent", "[signaling]\nbig=1e3\n", "[signaling] big: '1e3' is not an integer" },
  { "double-letters", "[signaling]\nratio=half\n", "[signaling] ratio: 'half' is not a number" },
  { "double-empty", "[signaling]\nratio=\n", "[signaling] ratio: '' is not a number" },
  { "double-suffix", "[signaling]\nratio=0.5s\n", "[signaling] ratio: '0.5s' is not a number" },
  { "double-nan", "[signaling]\nratio=nan\n", "[signaling] ratio: 'nan' is not a number" },
  { "double-inf", "[signaling]\nratio=inf\n", "[signaling] ratio: 'inf' is not a number" },
  { "double-overflow", "[signaling]\nratio=1e999\n", "[signaling] ratio: '1e999' is not a number" },
  { "bool-yes", "[signaling]\nverbose=yes\n", "[signaling] verbose: 'yes' is not true or false" },
  { "bool-one", "[signaling]\nverbose=1\n", "[signaling] verbose: '1' is not true or false" },
  { "bool-case", "[signaling]\nverbose=True\n", "[signaling] verbose: 'True' is not true or false" },
  { "bool-empty", "[signaling]\nno-tls=\n", "[signaling] no-tls: '' is not true or false" },
  { "string-utf8", "[signaling]\nname=\xff\n", "[signaling] name: " },
  { "array-utf8", "[signaling]\norigin=a;\xfe\n", "[signaling] origin: " },
  { "callback", "[signaling]\ncallback=x\n", "[signaling] callback: cannot be set in a config file" },
  { "no-arg-data", "[signaling]\nno-data=1\n", "[signaling] no-data: cannot be set in a config file" },
  { "syntax-line", "[signaling]\nport 80\n", SOURCE ": " },
  { "syntax-group", "[signaling\nport=80\n", SOURCE ": " },
  { "syntax-no-group", "port=80\n", SOURCE ": " },
  { "syntax-elsewhere", "[relay]\nnonsense\n[signaling]\nport=80\n", SOURCE ": " },
};

static void
test_bad (Fixture       *f,
          gconstpointer  data)
{
  const BadCase *row = data;
  g_autoptr(GError) error = NULL;

  g_assert_false (load (f, row->text, &error));
  g_assert_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST);
  if (strstr (error->message, row->message) == NULL)
    g_error ("%s: \"%s\" does not contain \"%s\"", row->name, error->message, row->message);
  g_assert_cmpint (f->port, ==, 8443);
  g_assert_null (f->name);
}

static void
test_file (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const char *text = "[signaling]\nport=7000\nname=from-file\n";
  int fd;

  fd = g_file_open_tmp ("lm-config-XXXXXX.conf", &path, &error);
  g_assert_no_error (error);
  g_close (fd, NULL);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);

  g_assert_true (lm_config_load (path, "signaling", f->entries, &error));
  g_assert_no_error (error);
  g_assert_cmpint (f->port, ==, 7000);
  g_assert_cmpstr (f->name, ==, "from-file");

  g_file_set_contents (path, "[signaling]\nport=x\n", -1, &error);
  g_assert_no_error (error);
  g_assert_false (lm_config_load (path, "signaling", f->entries, &error));
  g_assert_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, ": [signaling] port: 'x' is not an integer"));

  g_unlink (path);
}

static void
test_missing_file (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *path = "/nonexistent/lastmile/test.conf";

  g_assert_false (lm_config_load (path, "signaling", f->entries, &error));
  g_assert_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_cmpint (f->port, ==, 8443);
}

typedef struct {
  const char *argv[5];
  const char *expected;
} FindCase;

static const FindCase find_cases[] = {
  { { "prog", NULL }, NULL },
  { { "prog", "--config", "/etc/a.conf", NULL }, "/etc/a.conf" },
  { { "prog", "--port", "1", "--config=/etc/b.conf", NULL }, "/etc/b.conf" },
  { { "prog", "--config=", NULL }, "" },
  { { "prog", "--config", NULL }, NULL },
  { { "prog", "--configure", "x", NULL }, NULL },
  { { "prog", "--", "--config", "x", NULL }, NULL },
  { { "prog", "-c", "x", NULL }, NULL },
  { { "--config", "x", NULL }, NULL },
  { { "prog", "--config", "first", "--config=second" }, "first" },
};

static void
test_find_path (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (find_cases); i++)
    {
      char **argv = (char **) find_cases[i].argv;
      int argc = 0;

      while (argc < (int) G_N_ELEMENTS (find_cases[i].argv) && argv[argc] != NULL)
        argc++;
      g_test_message ("row %u", i);
      g_assert_cmpstr (lm_config_find_path (argc, argv), ==, find_cases[i].expected);
    }
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/config/every-type", test_every_type);
  ADD ("/config/false-and-empty", test_false_and_empty);
  ADD ("/config/untouched-and-repeated", test_untouched_and_repeated);
  ADD ("/config/group-isolation", test_group_isolation);
  ADD ("/config/no-group", test_no_group);
  ADD ("/config/all-or-nothing", test_all_or_nothing);
  ADD ("/config/length", test_length);
  ADD ("/config/file", test_file);
  ADD ("/config/missing-file", test_missing_file);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config/bad/%s", bad_cases[i].name);

      g_test_add (path, Fixture, &bad_cases[i], fixture_set_up, test_bad, fixture_tear_down);
    }
  g_test_add_func ("/config/find-path", test_find_path);

  return g_test_run ();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-ui.h"

#include <gio/gunixinputstream.h>
#include <stdio.h>
#include <string.h>

#define MAX_SHOWN 20
#define MAX_LINE 256

struct _LmcUi {
  GDataInputStream *input;
  GCancellable *cancellable;
  LmcUiLineFunc func;
  gpointer user_data;
};

LmcUi *
lmc_ui_new (void)
{
  return g_new0 (LmcUi, 1);
}

void
lmc_ui_free (LmcUi *ui)
{
  if (ui == NULL)
    return;
  lmc_ui_stop_input (ui);
  g_free (ui);
}

char *
lmc_ui_sanitize (const char *text, gsize max_chars)
{
  g_autofree char *valid = g_utf8_make_valid (text ? text : "", -1);
  GString *out = g_string_new (NULL);
  gsize n = 0;

  for (const char *p = valid; *p && n < max_chars; p = g_utf8_next_char (p), n++) {
    gunichar c = g_utf8_get_char (p);

    if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
      g_string_append_c (out, '?');
    else
      g_string_append_unichar (out, c);
  }
  if (*valid && n == max_chars && strlen (valid) > out->len)
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

static void
print_line (FILE *stream, const char *consultation, const char *format, va_list args)
{
  g_autofree char *text = g_strdup_vprintf (format, args);
  g_autofree char *id = consultation ? lmc_ui_sanitize (consultation, 64) : NULL;

  if (id)
    fprintf (stream, "lastmile-client: [%s] %s\n", id, text);
  else
    fprintf (stream, "lastmile-client: %s\n", text);
  fflush (stream);
}

void
lmc_ui_status (LmcUi *ui, const char *consultation, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_line (stdout, consultation, format, args);
  va_end (args);
}

void
lmc_ui_warning (LmcUi *ui, const char *consultation, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_line (stderr, consultation, format, args);
  va_end (args);
}

void
lmc_ui_prompt (LmcUi *ui, const char *text)
{
  printf ("%s", text);
  fflush (stdout);
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return "";
}

void
lmc_ui_show_queue (LmcUi *ui, JsonArray *waiting, gboolean prompt)
{
  guint n = waiting ? json_array_get_length (waiting) : 0;

  if (n == 0) {
    printf ("queue: empty, waiting for requests\n");
    fflush (stdout);
    return;
  }
  printf ("queue: %u waiting\n", n);
  for (guint i = 0; i < MIN (n, MAX_SHOWN); i++) {
    JsonNode *node = json_array_get_element (waiting, i);
    JsonObject *entry;
    g_autofree char *urgency = NULL, *specialty = NULL, *clinic = NULL, *ref = NULL;

    if (!JSON_NODE_HOLDS_OBJECT (node))
      continue;
    entry = json_node_get_object (node);
    urgency = lmc_ui_sanitize (member_string (entry, "urgency"), 16);
    specialty = lmc_ui_sanitize (member_string (entry, "specialty"), 64);
    clinic = lmc_ui_sanitize (member_string (entry, "clinic"), 64);
    ref = lmc_ui_sanitize (member_string (entry, "patient_ref"), 64);
    printf ("  %2u. %-9s %-16s %-20s patient %-12s waiting %.0f s\n", i + 1, urgency, specialty,
            clinic, ref, json_object_get_double_member_with_default (entry, "waiting_s", 0));
  }
  if (n > MAX_SHOWN)
    printf ("  … and %u more\n", n - MAX_SHOWN);
  if (prompt)
    printf ("accept which request? [1-%u] ", MIN (n, MAX_SHOWN));
  fflush (stdout);
}

int
lmc_ui_parse_choice (const char *line, guint n)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (line ? line : ""));
  guint64 value;

  if (n == 0 || !g_ascii_string_to_unsigned (trimmed, 10, 1, n, &value, NULL))
    return -1;
  return (int) value - 1;
}

static void read_next_line (LmcUi *ui);

static void
on_line_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LmcUi *ui = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  gsize length;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                    &length, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* ui may be gone */
  if (line == NULL) {
    /* EOF or unreadable: no more choices from stdin. */
    lmc_ui_stop_input (ui);
    return;
  }
  if (length <= MAX_LINE && ui->func)
    ui->func (line, ui->user_data);
  if (ui->input)
    read_next_line (ui);
}

static void
read_next_line (LmcUi *ui)
{
  g_data_input_stream_read_line_async (ui->input, G_PRIORITY_DEFAULT, ui->cancellable,
                                       on_line_read, ui);
}

void
lmc_ui_watch_input (LmcUi *ui, LmcUiLineFunc func, gpointer user_data)
{
  g_autoptr (GInputStream) stdin_stream = NULL;

  if (ui->input)
    return;
  ui->func = func;
  ui->user_data = user_data;
  ui->cancellable = g_cancellable_new ();
  stdin_stream = g_unix_input_stream_new (0, FALSE);
  ui->input = g_data_input_stream_new (stdin_stream);
  read_next_line (ui);
}

void
lmc_ui_stop_input (LmcUi *ui)
{
  if (ui->cancellable)
    g_cancellable_cancel (ui->cancellable);
  g_clear_object (&ui->cancellable);
  g_clear_object (&ui->input);
  ui->func = NULL;
}

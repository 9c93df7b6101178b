/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What the person at the terminal sees: status lines on stdout, problems
 * on stderr, the doctor's queue and the prompt that reads a choice from
 * stdin. Strings that came from the network are printed with control
 * characters replaced, so a peer cannot drive the terminal. */
typedef struct _LmcUi LmcUi;

typedef void (*LmcUiLineFunc) (const char *line, gpointer user_data);

LmcUi *lmc_ui_new (void);
void lmc_ui_free (LmcUi *ui);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmcUi, lmc_ui_free)

/* "lastmile-client: [CONSULTATION] text" (no brackets without one). */
void lmc_ui_status (LmcUi *ui, const char *consultation, const char *format, ...) G_GNUC_PRINTF (3, 4);
void lmc_ui_warning (LmcUi *ui, const char *consultation, const char *format, ...) G_GNUC_PRINTF (3, 4);

/* A question on stdout, without a newline: the answer is typed after it. */
void lmc_ui_prompt (LmcUi *ui, const char *text);

/* Prints the queue as a numbered list, with a prompt when `prompt`. */
void lmc_ui_show_queue (LmcUi *ui, JsonArray *waiting, gboolean prompt);

/* Reads stdin line by line on the main context until stopped or EOF. */
void lmc_ui_watch_input (LmcUi *ui, LmcUiLineFunc func, gpointer user_data);
void lmc_ui_stop_input (LmcUi *ui);

/* The 0-based index chosen by a line such as "2" among n entries, or -1. */
int lmc_ui_parse_choice (const char *line, guint n);

/* A copy safe to print: valid UTF-8, control characters as '?', at most
 * max_chars characters. */
char *lmc_ui_sanitize (const char *text, gsize max_chars);

G_END_DECLS

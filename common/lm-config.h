/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every command-line option is also a config key: a GKeyFile group (the
 * program's, e.g. "signaling") whose keys are the long option names.
 * Typical use in a main():
 *
 *   const char *path = lm_config_find_path (argc, argv);   // --config FILE
 *   if (path && !lm_config_load (path, "signaling", entries, &error)) ...
 *   g_option_context_parse (...);   // flags override the file
 *
 * Supported GOptionArg kinds: NONE (boolean), INT, INT64, DOUBLE, STRING,
 * FILENAME, STRING_ARRAY, FILENAME_ARRAY. Arrays in the file are
 * ';'-separated lists and are replaced, not appended to, by flags. */

/* The value of "--config FILE" or "--config=FILE" in argv, or NULL. */
const char *lm_config_find_path (int argc, char **argv);

/* Loads `path` and stores each key of `group` into the matching entry's
 * arg_data. Fails (LM_ERROR_BAD_REQUEST, message naming file, group and
 * key) on an unreadable file, a syntax error, an unknown key, or a value
 * of the wrong type. Other groups are ignored, so one file can hold the
 * settings of several programs. */
gboolean lm_config_load (const char         *path,
                         const char         *group,
                         const GOptionEntry *entries,
                         GError            **error);

/* The same from a string, for tests and fuzzing. */
gboolean lm_config_load_data (const char         *data,
                              gsize               len,
                              const char         *source_name,
                              const char         *group,
                              const GOptionEntry *entries,
                              GError            **error);

G_END_DECLS

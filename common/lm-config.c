/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lm-config.h"

#include <math.h>
#include <string.h>

#include "lm-error.h"

/* Where a bad value was found, for the error message. */
typedef struct {
  const char *source;
  const char *group;
  const char *key;
} Where;

typedef gboolean (*StoreFunc) (GKeyFile           *file,
                               const Where        *where,
                               const GOptionEntry *entry,
                               gboolean            commit,
                               GError            **error);

G_GNUC_PRINTF (3, 4)
static gboolean
fail (GError     **error,
      const Where *where,
      const char  *format,
      ...)
{
  va_list args;
  g_autofree char *detail = NULL;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST, "%s: [%s] %s: %s",
               where->source, where->group, where->key, detail);
  return FALSE;
}

/* The value as written, without GKeyFile's own, laxer, conversions. */
static char *
get_raw (GKeyFile    *file,
         const Where *where)
{
  char *value = g_key_file_get_value (file, where->group, where->key, NULL);

  return value != NULL ? g_strstrip (value) : g_strdup ("");
}

static gboolean
store_boolean (GKeyFile           *file,
               const Where        *where,
               const GOptionEntry *entry,
               gboolean            commit,
               GError            **error)
{
  g_autofree char *raw = get_raw (file, where);
  gboolean value;

  if (g_str_equal (raw, "true"))
    value = TRUE;
  else if (g_str_equal (raw, "false"))
    value = FALSE;
  else
    return fail (error, where, "'%s' is not true or false", raw);

  /* A reversed flag ("--no-x") stores FALSE when given. */
  if (entry->flags & G_OPTION_FLAG_REVERSE)
    value = !value;
  if (commit)
    *(gboolean *) entry->arg_data = value;
  return TRUE;
}

static gboolean
parse_int64 (const Where *where,
             const char  *raw,
             gint64       min,
             gint64       max,
             gint64      *out,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (g_ascii_string_to_signed (raw, 10, min, max, out, &local_error))
    return TRUE;
  if (g_error_matches (local_error, G_NUMBER_PARSER_ERROR,
                       G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
    return fail (error, where, "'%s' is out of range", raw);
  return fail (error, where, "'%s' is not an integer", raw);
}

static gboolean
store_int (GKeyFile           *file,
           const Where        *where,
           const GOptionEntry *entry,
           gboolean            commit,
           GError            **error)
{
  g_autofree char *raw = get_raw (file, where);
  gint64 value;

  if (!parse_int64 (where, raw, G_MININT, G_MAXINT, &value, error))
    return FALSE;
  if (commit)
    *(int *) entry->arg_data = (int) value;
  return TRUE;
}

static gboolean
store_int64 (GKeyFile           *file,
             const Where        *where,
             const GOptionEntry *entry,
             gboolean            commit,
             GError            **error)
{
  g_autofree char *raw = get_raw (file, where);
  gint64 value;

  if (!parse_int64 (where, raw, G_MININT64, G_MAXINT64, &value, error))
    return FALSE;
  if (commit)
    *(gint64 *) entry->arg_data = value;
  return TRUE;
}

static gboolean
store_double (GKeyFile           *file,
              const Where        *where,
              const GOptionEntry *entry,
              gboolean            commit,
              GError            **error)
{
  g_autofree char *raw = get_raw (file, where);
  char *end = NULL;
  double value;

  value = g_ascii_strtod (raw, &end);
  if (raw[0] == '\0' || end == NULL || *end != '\0' || !isfinite (value))
    return fail (error, where, "'%s' is not a number", raw);
  if (commit)
    *(double *) entry->arg_data = value;
  return TRUE;
}

static gboolean
store_string (GKeyFile           *file,
              const Where        *where,
              const GOptionEntry *entry,
              gboolean            commit,
              GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = NULL;

  value = g_key_file_get_string (file, where->group, where->key, &local_error);
  if (value == NULL)
    return fail (error, where, "%s", local_error->message);
  if (entry->arg == G_OPTION_ARG_FILENAME)
    {
      g_autofree char *utf8 = g_steal_pointer (&value);

      value = g_filename_from_utf8 (utf8, -1, NULL, NULL, &local_error);
      if (value == NULL)
        return fail (error, where, "%s", local_error->message);
    }
  /* The previous value is not freed: it may be a static default. */
  if (commit)
    *(char **) entry->arg_data = g_steal_pointer (&value);
  return TRUE;
}

static gboolean
store_string_array (GKeyFile           *file,
                    const Where        *where,
                    const GOptionEntry *entry,
                    gboolean            commit,
                    GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) value = NULL;

  value = g_key_file_get_string_list (file, where->group, where->key, NULL, &local_error);
  if (value == NULL)
    return fail (error, where, "%s", local_error->message);
  if (entry->arg == G_OPTION_ARG_FILENAME_ARRAY)
    {
      for (char **item = value; *item != NULL; item++)
        {
          char *filename = g_filename_from_utf8 (*item, -1, NULL, NULL, &local_error);

          if (filename == NULL)
            return fail (error, where, "%s", local_error->message);
          g_free (*item);
          *item = filename;
        }
    }
  if (commit)
    *(char ***) entry->arg_data = g_steal_pointer (&value);
  return TRUE;
}

static const struct {
  GOptionArg arg;
  StoreFunc store;
} stores[] = {
  { G_OPTION_ARG_NONE, store_boolean },
  { G_OPTION_ARG_INT, store_int },
  { G_OPTION_ARG_INT64, store_int64 },
  { G_OPTION_ARG_DOUBLE, store_double },
  { G_OPTION_ARG_STRING, store_string },
  { G_OPTION_ARG_FILENAME, store_string },
  { G_OPTION_ARG_STRING_ARRAY, store_string_array },
  { G_OPTION_ARG_FILENAME_ARRAY, store_string_array },
};

static StoreFunc
find_store (GOptionArg arg)
{
  for (guint i = 0; i < G_N_ELEMENTS (stores); i++)
    {
      if (stores[i].arg == arg)
        return stores[i].store;
    }
  return NULL;
}

static const GOptionEntry *
find_entry (const GOptionEntry *entries,
            const char         *key)
{
  for (const GOptionEntry *entry = entries; entry->long_name != NULL; entry++)
    {
      if (g_str_equal (entry->long_name, key))
        return entry;
    }
  return NULL;
}

/* With commit FALSE only checks every key, so that a bad file changes
 * nothing; with commit TRUE (after a successful check) stores them. */
static gboolean
apply_group (GKeyFile           *file,
             const char         *source,
             const char         *group,
             const GOptionEntry *entries,
             gboolean            commit,
             GError            **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys (file, group, NULL, NULL);

  for (char **key = keys; key != NULL && *key != NULL; key++)
    {
      const Where where = { source, group, *key };
      const GOptionEntry *entry = find_entry (entries, *key);
      StoreFunc store;

      /* GKeyFile lists a repeated key once per line but keeps the last
       * value: store it once, or the first copy would leak. */
      if (g_strv_contains ((const char *const *) key + 1, *key))
        continue;
      if (entry == NULL)
        return fail (error, &where, "unknown key");
      store = find_store (entry->arg);
      if (store == NULL || entry->arg_data == NULL)
        return fail (error, &where, "cannot be set in a config file");
      if (!store (file, &where, entry, commit, error))
        return FALSE;
    }
  return TRUE;
}

const char *
lm_config_find_path (int    argc,
                     char **argv)
{
  for (int i = 1; i < argc && argv[i] != NULL; i++)
    {
      if (g_str_equal (argv[i], "--"))
        break;
      if (g_str_equal (argv[i], "--config"))
        return i + 1 < argc ? argv[i + 1] : NULL;
      if (g_str_has_prefix (argv[i], "--config="))
        return argv[i] + strlen ("--config=");
    }
  return NULL;
}

gboolean
lm_config_load_data (const char         *data,
                     gsize               len,
                     const char         *source_name,
                     const char         *group,
                     const GOptionEntry *entries,
                     GError            **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (source_name != NULL && group != NULL && entries != NULL, FALSE);

  if (len > 0 && !g_key_file_load_from_data (file, data, len, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST, "%s: %s",
                   source_name, local_error->message);
      return FALSE;
    }
  if (!g_key_file_has_group (file, group))
    return TRUE;

  return apply_group (file, source_name, group, entries, FALSE, error) &&
         apply_group (file, source_name, group, entries, TRUE, error);
}

gboolean
lm_config_load (const char         *path,
                const char         *group,
                const GOptionEntry *entries,
                GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_file_get_contents (path, &data, &len, &local_error))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST, "%s: %s",
                   path, local_error->message);
      return FALSE;
    }
  return lm_config_load_data (data, len, path, group, entries, error);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-candidate.h"

#include <string.h>

#include "lmc-error.h"

#define MAX_CANDIDATE_BYTES 1024

static const char *const type_names[] = { "host", "srflx", "prflx", "relay" };

const char *
lmc_candidate_type_to_string (LmcCandidateType type)
{
  if ((guint) type >= G_N_ELEMENTS (type_names))
    return "unknown";
  return type_names[type];
}

static gboolean
is_ice_chars (const char *s, gsize max_len)
{
  gsize len = strlen (s);

  if (len == 0 || len > max_len)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && *s != '+' && *s != '/')
      return FALSE;
  return TRUE;
}

static gboolean
parse_uint (const char *s, guint64 max, guint64 *out)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (s, 10, 0, max, &value, NULL))
    return FALSE;
  *out = value;
  return TRUE;
}

/* An IPv4 or IPv6 literal, or a host name such as an mDNS "….local". */
static gboolean
is_address (const char *s)
{
  gsize len = strlen (s);

  if (len == 0 || len > 255)
    return FALSE;
  if (g_hostname_is_ip_address (s))
    return TRUE;
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && *s != '-' && *s != '.')
      return FALSE;
  return TRUE;
}

static gboolean
fail (GError **error, const char *what, const char *value)
{
  g_set_error (error, LMC_ERROR, LMC_ERROR_PEER,
               "bad ICE candidate: %s %s%s%s", what,
               value ? "\"" : "", value ? value : "", value ? "\"" : "");
  return FALSE;
}

static gboolean
parse_type (const char *s, LmcCandidateType *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++) {
    if (g_str_equal (s, type_names[i])) {
      *type = (LmcCandidateType) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* Extension attributes come in name/value pairs; raddr and rport are
 * checked like the address and port. */
static gboolean
parse_extensions (char **fields, GError **error)
{
  for (guint i = 0; fields[i]; i += 2) {
    guint64 port;

    if (fields[i + 1] == NULL)
      return fail (error, "attribute without a value", fields[i]);
    if (g_str_equal (fields[i], "raddr") && !is_address (fields[i + 1]))
      return fail (error, "related address", fields[i + 1]);
    if (g_str_equal (fields[i], "rport") && !parse_uint (fields[i + 1], 65535, &port))
      return fail (error, "related port", fields[i + 1]);
  }
  return TRUE;
}

gboolean
lmc_candidate_parse (const char        *line,
                     LmcCandidateType  *type,
                     GError           **error)
{
  g_auto (GStrv) fields = NULL;
  guint64 value;
  LmcCandidateType parsed;

  if (line == NULL)
    return fail (error, "missing", NULL);
  if (strlen (line) > MAX_CANDIDATE_BYTES)
    return fail (error, "longer than 1024 bytes", NULL);
  if (g_str_has_prefix (line, "a="))
    line += 2;
  if (!g_str_has_prefix (line, "candidate:"))
    return fail (error, "does not start with", "candidate:");

  fields = g_strsplit_set (line + strlen ("candidate:"), " ", -1);
  if (g_strv_length (fields) < 8)
    return fail (error, "has too few fields", NULL);
  if (!is_ice_chars (fields[0], 32))
    return fail (error, "foundation", fields[0]);
  if (!parse_uint (fields[1], 256, &value) || value == 0)
    return fail (error, "component", fields[1]);
  if (g_ascii_strcasecmp (fields[2], "udp") != 0 &&
      g_ascii_strcasecmp (fields[2], "tcp") != 0)
    return fail (error, "transport", fields[2]);
  if (!parse_uint (fields[3], G_MAXUINT32, &value))
    return fail (error, "priority", fields[3]);
  if (!is_address (fields[4]))
    return fail (error, "address", fields[4]);
  if (!parse_uint (fields[5], 65535, &value))
    return fail (error, "port", fields[5]);
  if (!g_str_equal (fields[6], "typ"))
    return fail (error, "expected \"typ\", got", fields[6]);
  if (!parse_type (fields[7], &parsed))
    return fail (error, "type", fields[7]);
  if (!parse_extensions (fields + 8, error))
    return FALSE;

  if (type)
    *type = parsed;
  return TRUE;
}

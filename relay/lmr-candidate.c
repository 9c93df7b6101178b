/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-candidate.h"

#include <gio/gio.h>
#include <string.h>

#include "lmr-error.h"

/* candidate:FOUNDATION COMPONENT TRANSPORT PRIORITY ADDRESS PORT typ TYPE ... */
enum { F_FOUNDATION, F_COMPONENT, F_TRANSPORT, F_PRIORITY, F_ADDRESS, F_PORT, F_TYP, F_TYPE, N_FIELDS };

#define MAX_ADDRESS_LEN 255

static const char *
skip_prefix (const char *line)
{
  if (g_str_has_prefix (line, "a="))
    line += 2;
  return g_str_has_prefix (line, "candidate:") ? line + strlen ("candidate:") : NULL;
}

static gboolean
bad (GError **error, const char *what)
{
  g_set_error (error, LMR_ERROR, LMR_ERROR_PEER, "bad ICE candidate: %s", what);
  return FALSE;
}

static gboolean
valid_type (const char *type)
{
  return g_str_equal (type, "host") || g_str_equal (type, "srflx") ||
         g_str_equal (type, "prflx") || g_str_equal (type, "relay");
}

gboolean
lmr_candidate_check (const char  *line,
                     GError     **error)
{
  const char *rest = line ? skip_prefix (line) : NULL;
  g_auto (GStrv) fields = NULL;
  guint64 value;

  if (rest == NULL)
    return bad (error, "it does not start with \"candidate:\"");
  if (!g_utf8_validate (rest, -1, NULL))
    return bad (error, "it is not UTF-8");
  fields = g_strsplit (rest, " ", -1);
  if (g_strv_length (fields) < N_FIELDS)
    return bad (error, "fewer than 8 fields");
  if (fields[F_FOUNDATION][0] == '\0' || strlen (fields[F_FOUNDATION]) > 32)
    return bad (error, "foundation");
  if (!g_ascii_string_to_unsigned (fields[F_COMPONENT], 10, 1, 256, &value, NULL))
    return bad (error, "component");
  if (g_ascii_strcasecmp (fields[F_TRANSPORT], "udp") != 0 &&
      g_ascii_strcasecmp (fields[F_TRANSPORT], "tcp") != 0)
    return bad (error, "transport");
  if (!g_ascii_string_to_unsigned (fields[F_PRIORITY], 10, 0, G_MAXUINT32, &value, NULL))
    return bad (error, "priority");
  if (fields[F_ADDRESS][0] == '\0' || strlen (fields[F_ADDRESS]) > MAX_ADDRESS_LEN)
    return bad (error, "address");
  if (!g_ascii_string_to_unsigned (fields[F_PORT], 10, 0, 65535, &value, NULL))
    return bad (error, "port");
  if (!g_str_equal (fields[F_TYP], "typ") || !valid_type (fields[F_TYPE]))
    return bad (error, "type");
  return TRUE;
}

char *
lmr_candidate_rewrite_host (const char *line,
                            const char *public_address)
{
  const char *rest = line && public_address ? skip_prefix (line) : NULL;
  g_autoptr (GInetAddress) public = NULL;
  g_autoptr (GInetAddress) local = NULL;
  g_auto (GStrv) fields = NULL;
  g_autofree char *joined = NULL;

  if (rest == NULL)
    return NULL;
  fields = g_strsplit (rest, " ", -1);
  if (g_strv_length (fields) < N_FIELDS || !g_str_equal (fields[F_TYPE], "host") ||
      g_ascii_strcasecmp (fields[F_TRANSPORT], "udp") != 0)
    return NULL;
  public = g_inet_address_new_from_string (public_address);
  local = g_inet_address_new_from_string (fields[F_ADDRESS]);
  if (public == NULL || local == NULL ||
      g_inet_address_get_family (public) != g_inet_address_get_family (local) ||
      g_inet_address_get_is_link_local (local))
    return NULL;
  g_free (fields[F_ADDRESS]);
  fields[F_ADDRESS] = g_strdup (public_address);
  joined = g_strjoinv (" ", fields);
  return g_strconcat ("candidate:", joined, NULL);
}

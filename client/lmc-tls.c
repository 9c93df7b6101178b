/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-tls.h"

#include "lmc-error.h"

static const struct {
  GTlsCertificateFlags flag;
  const char *text;
} flag_texts[] = {
  { G_TLS_CERTIFICATE_UNKNOWN_CA, "it is signed by an unknown certificate authority" },
  { G_TLS_CERTIFICATE_BAD_IDENTITY, "it is not valid for this host name" },
  { G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet" },
  { G_TLS_CERTIFICATE_EXPIRED, "it has expired" },
  { G_TLS_CERTIFICATE_REVOKED, "it has been revoked" },
  { G_TLS_CERTIFICATE_INSECURE, "its algorithm is insecure" },
  { G_TLS_CERTIFICATE_GENERIC_ERROR, "it could not be checked" },
};

char *
lmc_tls_describe_flags (GTlsCertificateFlags flags)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (flag_texts); i++) {
    if (flags & flag_texts[i].flag) {
      if (text->len)
        g_string_append (text, "; ");
      g_string_append (text, flag_texts[i].text);
    }
  }
  if (text->len == 0)
    g_string_append (text, "it was refused");
  return g_string_free (text, FALSE);
}

GTlsDatabase *
lmc_tls_database_new (const char  *ca_file,
                      GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  GTlsDatabase *db = g_tls_file_database_new (ca_file, &local_error);

  if (db == NULL)
    g_set_error (error, LMC_ERROR, LMC_ERROR_TLS, "--ca-file %s: %s", ca_file,
                 local_error->message);
  return db;
}

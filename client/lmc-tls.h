/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A sentence saying why a certificate was refused, e.g. "it is signed by
 * an unknown certificate authority; it is not valid for this host name". */
char *lmc_tls_describe_flags (GTlsCertificateFlags flags);

/* The CAs of --ca-file (PEM) as a database that replaces the system's.
 * Fails with LMC_ERROR_TLS. */
GTlsDatabase *lmc_tls_database_new (const char  *ca_file,
                                    GError     **error);

G_END_DECLS

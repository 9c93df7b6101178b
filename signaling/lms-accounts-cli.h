/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* `lastmile-signaling [--db FILE] account add|list|revoke ...`: argv
 * starts at "account". Returns the process exit status. */
int lms_accounts_cli (const char *db_path, int argc, char **argv);

G_END_DECLS

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The signaling server's WebSocket URL as a program's --server gives it:
 * ws://, wss://, http:// or https://HOST[:PORT][/PATH], the path "/ws"
 * when none is given. Returns the http:// or https:// form libsoup
 * connects to and sets *tls (when not NULL) for https. Fails with
 * LM_ERROR_BAD_REQUEST and a sentence naming --server for anything else,
 * a URL without a host, or one carrying user info (tokens belong in
 * --token). */
char *lm_url_normalize_server (const char  *url,
                               gboolean    *tls,
                               GError     **error);

G_END_DECLS

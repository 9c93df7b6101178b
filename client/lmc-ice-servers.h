/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Turns welcome's RTCIceServer list into webrtcbin's URIs:
 * "stun:h:p" → "stun://h:p", "turn:h:p?transport=udp" with username U
 * and credential C → "turn://U:C@h:p?transport=udp" (U and C
 * percent-escaped: coturn's time-limited credentials contain ':' '/' '='
 * and webrtcbin silently drops a TURN URI it cannot parse); a turn: URL
 * without "?transport=" gets "transport=udp", since webrtcbin would make
 * a UDP and a TCP allocation for it. Entries with
 * another scheme, or TURN without credentials, are skipped with a
 * warning; a malformed entry fails with LMC_ERROR_PROTOCOL. At most 16
 * URIs are kept. Both arrays are NULL-terminated (possibly empty). */
gboolean lmc_ice_servers_from_json (JsonArray   *servers,
                                    char      ***stun,
                                    char      ***turn,
                                    GError     **error);

/* The same for one URL of a server entry; NULL for a scheme webrtcbin
 * cannot use. */
char *lmc_ice_server_uri (const char *url,
                          const char *username,
                          const char *credential);

G_END_DECLS

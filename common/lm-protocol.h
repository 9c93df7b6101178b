/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <json-glib/json-glib.h>

#include "lm-error.h"
#include "lm-role.h"

G_BEGIN_DECLS

/* One parsed protocol message (docs/protocol.md). `body` is the whole JSON
 * object, `type` points into it, `id` is the request id node or NULL. */
typedef struct {
  JsonObject *body;
  const char *type;
  JsonNode *id;
} LmMessage;

/* Parses one text frame. Fails with LM_ERROR_TOO_LARGE past max_bytes
 * (checked before any parsing, since json-glib has no depth limit) and
 * LM_ERROR_BAD_REQUEST for invalid UTF-8, invalid JSON, a non-object, a
 * missing or non-string "type", or an "id" that is neither a string of at
 * most 64 bytes nor an integer. Does not look at the other members. */
LmMessage *lm_message_parse (const char *data,
                             gsize       len,
                             gsize       max_bytes,
                             GError    **error);

/* The same, and *id (when not NULL) receives a copy of the request's "id",
 * or NULL: set whenever the frame is a JSON object with a valid "id", even
 * when parsing then fails on "type", so that the error can echo it. Free
 * it with json_node_unref(). */
LmMessage *lm_message_parse_with_id (const char *data,
                                     gsize       len,
                                     gsize       max_bytes,
                                     JsonNode  **id,
                                     GError    **error);

/* Checks the message against the schema of its type: known type, the
 * sender's role allowed (pass LM_ROLE_ANY to skip that check), every
 * required member present with the right JSON type, strings within their
 * length and character limits, enums within their values, numbers in
 * range. Unknown members are ignored. The error message names the field.
 * Role failures are LM_ERROR_FORBIDDEN, everything else BAD_REQUEST. */
gboolean lm_message_validate (const LmMessage *msg,
                              LmRole           sender,
                              GError         **error);

/* Which roles may send `type` to the server; LM_ROLE_NONE for types only
 * the server sends, or unknown types. */
LmRole lm_message_type_senders (const char *type);

/* TRUE if `type` names any message in the protocol, either direction. */
gboolean lm_message_type_is_known (const char *type);

void lm_message_free (LmMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmMessage, lm_message_free)

/* Accessors for validated messages: NULL / the default when the member is
 * absent or of another type, so they are safe on unvalidated input too. */
const char *lm_message_get_string (const LmMessage *msg, const char *member);
gint64 lm_message_get_int (const LmMessage *msg, const char *member, gint64 default_value);
double lm_message_get_double (const LmMessage *msg, const char *member, double default_value);
JsonObject *lm_message_get_object (const LmMessage *msg, const char *member);

/* Builders. lm_message_new() returns an object holding "type" (and a copy
 * of `id` when not NULL); fill it with json_object_set_*_member() and
 * serialise it with lm_message_to_string(). */
JsonObject *lm_message_new (const char *type, JsonNode *id);
char *lm_message_to_string (JsonObject *object);

/* A complete `error` message, serialised. */
char *lm_message_build_error (JsonNode    *id,
                              LmErrorCode  code,
                              const char  *message);

/* The same, from a GError in the LM_ERROR domain (any other domain is
 * reported as bad_request with the error's message). */
char *lm_message_build_error_from_gerror (JsonNode     *id,
                                          const GError *error);

G_END_DECLS

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

/* Internal to common/: the table behind lm_message_validate(). */

#include <json-glib/json-glib.h>

#include "lm-role.h"

G_BEGIN_DECLS

typedef enum {
  LM_FIELD_STRING,
  LM_FIELD_INT,     /* a JSON integer */
  LM_FIELD_NUMBER,  /* a JSON integer or fraction */
  LM_FIELD_BOOL,
  LM_FIELD_OBJECT,
  LM_FIELD_ARRAY,
  LM_FIELD_ID,      /* a request id: a string of at most 64 bytes or an integer */
} LmFieldKind;

typedef enum {
  LM_CHARSET_ANY,
  LM_CHARSET_NAME,  /* [A-Za-z0-9_.-] */
} LmCharset;

typedef struct _LmFieldSchema LmFieldSchema;

struct _LmFieldSchema {
  const char *name;
  LmFieldKind kind;
  gboolean required;
  gsize min_len;               /* STRING, in bytes */
  gsize max_len;               /* STRING, in bytes; 0: only the message limit */
  LmCharset charset;           /* STRING */
  const char *const *values;   /* STRING: the allowed values, NULL-terminated */
  double min;                  /* INT, NUMBER: both ends included */
  double max;
  const LmFieldSchema *fields; /* OBJECT: its members, ended by a NULL name */
  const LmFieldSchema *items;  /* ARRAY: every element's schema, or NULL */
};

typedef struct {
  const char *type;
  LmRole senders;              /* LM_ROLE_NONE: only the server sends it */
  const LmFieldSchema *fields; /* ended by a NULL name */
} LmMessageSchema;

#define LM_REQUEST_ID_MAX_BYTES 64

/* A string of at most LM_REQUEST_ID_MAX_BYTES or an integer. */
gboolean lm_schema_is_request_id (JsonNode *node);

/* NULL for an unknown type. */
const LmMessageSchema *lm_schema_lookup (const char *type);

/* Checks `object` against `fields`; the error (LM_ERROR_BAD_REQUEST) names
 * the first field that is wrong. */
gboolean lm_schema_check_object (const LmFieldSchema *fields,
                                 JsonObject          *object,
                                 GError             **error);

G_END_DECLS

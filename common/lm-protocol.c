/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lm-protocol.h"

#include <string.h>

#include "lm-schema.h"

/* json-glib 1.6 parses recursively with no depth limit: deeper input is
 * refused before it reaches the parser. The protocol itself needs 4. */
#define MAX_DEPTH 32

/* How much of a peer-chosen type name, or of a json-glib error message
 * quoting the input, goes back into an error message. */
#define MAX_ECHOED_TYPE 64
#define MAX_ECHOED_DETAIL 120

/* Text holding peer input, cut to a length fit for an error message, on a
 * character boundary (the input is valid UTF-8 by the time it is echoed). */
static char *
echo_string (const char *str,
             gsize       max_bytes)
{
  const char *end;

  if (strlen (str) <= max_bytes)
    return g_strdup (str);
  end = g_utf8_find_prev_char (str, str + max_bytes + 1);
  if (end == NULL)
    end = str;
  return g_strdup_printf ("%.*s…", (int) (end - str), str);
}

/* ---- Parsing ---- */

/* One pass over the raw text, before json-glib sees it. It bounds the
 * nesting depth, and refuses what json-glib 1.6 would let through: "\u0000"
 * (silently read as the end of the string), anything after the first
 * complete object or array (ignored), single-quoted strings and comments.
 * Plain JSON has neither of the last two, and refusing them keeps this
 * scanner's idea of where strings are the same as the parser's. */
static gboolean
scan_structure (const char *data,
                gsize       len,
                GError    **error)
{
  gboolean in_string = FALSE;
  gboolean closed = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (closed && !g_ascii_isspace (c))
        goto not_json;

      if (in_string)
        {
          if (c == '"')
            in_string = FALSE;
          else if (c == '\\' && i + 1 < len)
            {
              if (len - i >= 6 && memcmp (data + i + 1, "u0000", 5) == 0)
                {
                  g_set_error_literal (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                                       "message contains a \\u0000 character");
                  return FALSE;
                }
              i++;
            }
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          if (++depth > MAX_DEPTH)
            {
              g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                           "message is nested more than %d levels deep", MAX_DEPTH);
              return FALSE;
            }
          break;
        case ']':
        case '}':
          if (depth > 0 && --depth == 0)
            closed = TRUE;
          break;
        case '\'':
        case '/':
          goto not_json;
        default:
          break;
        }
    }
  return TRUE;

not_json:
  g_set_error_literal (error, LM_ERROR, LM_ERROR_BAD_REQUEST, "message is not valid JSON");
  return FALSE;
}

static gboolean
check_bytes (const char *data,
             gsize       len,
             gsize       max_bytes,
             GError    **error)
{
  if (len > max_bytes)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_TOO_LARGE,
                   "message is %" G_GSIZE_FORMAT " bytes, more than the limit of %"
                   G_GSIZE_FORMAT, len, max_bytes);
      return FALSE;
    }
  if (len == 0)
    {
      g_set_error_literal (error, LM_ERROR, LM_ERROR_BAD_REQUEST, "message is empty");
      return FALSE;
    }
  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error_literal (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                           "message contains a NUL byte");
      return FALSE;
    }
  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error_literal (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                           "message is not valid UTF-8");
      return FALSE;
    }
  return scan_structure (data, len, error);
}

static JsonNode *
parse_json (const char *data,
            gsize       len,
            GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (len > G_MAXSSIZE ||
      !json_parser_load_from_data (parser, data, (gssize) len, &local_error))
    {
      g_autofree char *detail = NULL;

      detail = echo_string (local_error != NULL ? local_error->message : "too long",
                            MAX_ECHOED_DETAIL);
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST, "message is not valid JSON: %s",
                   detail);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                           "message is not a JSON object");
      return NULL;
    }
  return json_node_ref (root);
}

LmMessage *
lm_message_parse_with_id (const char *data,
                          gsize       len,
                          gsize       max_bytes,
                          JsonNode  **id,
                          GError    **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree LmMessage *msg = NULL;
  JsonObject *body;
  JsonNode *type;
  JsonNode *id_node;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (id != NULL)
    *id = NULL;
  if (!check_bytes (data, len, max_bytes, error))
    return NULL;
  root = parse_json (data, len, error);
  if (root == NULL)
    return NULL;

  body = json_node_get_object (root);
  id_node = json_object_get_member (body, "id");
  if (id_node != NULL && !lm_schema_is_request_id (id_node))
    {
      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                   "field 'id' must be a string of at most %d bytes or an integer",
                   LM_REQUEST_ID_MAX_BYTES);
      return NULL;
    }
  if (id != NULL && id_node != NULL)
    *id = json_node_copy (id_node);

  type = json_object_get_member (body, "type");
  if (type == NULL)
    {
      g_set_error_literal (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                           "field 'type' is missing");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (type) || json_node_get_value_type (type) != G_TYPE_STRING)
    {
      g_set_error_literal (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                           "field 'type' must be a string");
      return NULL;
    }

  msg = g_new0 (LmMessage, 1);
  msg->body = json_object_ref (body);
  msg->type = json_node_get_string (type);
  msg->id = id_node;
  return g_steal_pointer (&msg);
}

LmMessage *
lm_message_parse (const char *data,
                  gsize       len,
                  gsize       max_bytes,
                  GError    **error)
{
  return lm_message_parse_with_id (data, len, max_bytes, NULL, error);
}

void
lm_message_free (LmMessage *msg)
{
  if (msg == NULL)
    return;
  g_clear_pointer (&msg->body, json_object_unref);
  g_free (msg);
}

/* ---- Validation ---- */

static const char *
role_with_article (LmRole role)
{
  switch (role)
    {
    case LM_ROLE_CLINIC:
      return "a clinic";
    case LM_ROLE_DOCTOR:
      return "a doctor";
    case LM_ROLE_ADMIN:
      return "an admin";
    case LM_ROLE_RELAY:
      return "a relay";
    default:
      return "a peer without a role";
    }
}

gboolean
lm_message_validate (const LmMessage *msg,
                     LmRole           sender,
                     GError         **error)
{
  const LmMessageSchema *schema;

  g_return_val_if_fail (msg != NULL, FALSE);

  schema = lm_schema_lookup (msg->type);
  if (schema == NULL)
    {
      g_autofree char *type = echo_string (msg->type, MAX_ECHOED_TYPE);

      g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
                   "unknown message type '%s'", type);
      return FALSE;
    }

  if (sender != LM_ROLE_ANY && (schema->senders & sender) == 0)
    {
      g_set_error (error, LM_ERROR, LM_ERROR_FORBIDDEN, "%s may not send '%s'",
                   role_with_article (sender), schema->type);
      return FALSE;
    }

  return lm_schema_check_object (schema->fields, msg->body, error);
}

LmRole
lm_message_type_senders (const char *type)
{
  const LmMessageSchema *schema = lm_schema_lookup (type);

  return schema != NULL ? schema->senders : LM_ROLE_NONE;
}

gboolean
lm_message_type_is_known (const char *type)
{
  return lm_schema_lookup (type) != NULL;
}

/* ---- Accessors ---- */

static JsonNode *
get_value (const LmMessage *msg,
           const char      *member,
           GType            type)
{
  JsonNode *node;

  if (msg == NULL || msg->body == NULL || member == NULL)
    return NULL;
  node = json_object_get_member (msg->body, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

const char *
lm_message_get_string (const LmMessage *msg,
                       const char      *member)
{
  JsonNode *node = get_value (msg, member, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : NULL;
}

gint64
lm_message_get_int (const LmMessage *msg,
                    const char      *member,
                    gint64           default_value)
{
  JsonNode *node = get_value (msg, member, G_TYPE_INT64);

  return node != NULL ? json_node_get_int (node) : default_value;
}

double
lm_message_get_double (const LmMessage *msg,
                       const char      *member,
                       double           default_value)
{
  JsonNode *node = get_value (msg, member, G_TYPE_DOUBLE);

  if (node == NULL)
    node = get_value (msg, member, G_TYPE_INT64);
  return node != NULL ? json_node_get_double (node) : default_value;
}

JsonObject *
lm_message_get_object (const LmMessage *msg,
                       const char      *member)
{
  JsonNode *node;

  if (msg == NULL || msg->body == NULL || member == NULL)
    return NULL;
  node = json_object_get_member (msg->body, member);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

/* ---- Builders ---- */

JsonObject *
lm_message_new (const char *type,
                JsonNode   *id)
{
  JsonObject *object;

  g_return_val_if_fail (type != NULL, NULL);

  object = json_object_new ();
  json_object_set_string_member (object, "type", type);
  if (id != NULL)
    json_object_set_member (object, "id", json_node_copy (id));
  return object;
}

char *
lm_message_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  root = json_node_init_object (json_node_alloc (), object);
  return json_to_string (root, FALSE);
}

char *
lm_message_build_error (JsonNode    *id,
                        LmErrorCode  code,
                        const char  *message)
{
  g_autoptr(JsonObject) object = lm_message_new ("error", id);

  /* A fault of the server is the server's to log: the peer only learns
   * that there was one. */
  if (code == LM_ERROR_INTERNAL || (guint) code > LM_ERROR_INTERNAL)
    {
      code = LM_ERROR_INTERNAL;
      message = "internal server error";
    }
  json_object_set_string_member (object, "code", lm_error_code_to_string (code));
  json_object_set_string_member (object, "message", message != NULL ? message : "");
  return lm_message_to_string (object);
}

char *
lm_message_build_error_from_gerror (JsonNode     *id,
                                    const GError *error)
{
  LmErrorCode code = LM_ERROR_BAD_REQUEST;

  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == LM_ERROR)
    code = (LmErrorCode) error->code;
  return lm_message_build_error (id, code, error->message);
}

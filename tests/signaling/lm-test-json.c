/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lm-test-json.h"

#include <string.h>

JsonNode *
lm_test_json_parse (const char *data, gssize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();

  if (!json_parser_load_from_data (parser, data, len, error))
    return NULL;
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                           "empty document");
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}

JsonObject *
lm_test_json_parse_object (const char *data, gssize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = lm_test_json_parse (data, len, &error);

  if (node == NULL)
    g_error ("not JSON (%s): %.*s", error->message,
             (int) (len < 0 ? (gssize) strlen (data) : len), data);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    g_error ("not a JSON object: %.*s",
             (int) (len < 0 ? (gssize) strlen (data) : len), data);
  return json_object_ref (json_node_get_object (node));
}

char *
lm_test_json_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

static JsonNode *
get_member (JsonObject *object, const char *member, JsonNodeType type,
            const char *what)
{
  JsonNode *node;

  g_assert_nonnull (object);
  node = json_object_get_member (object, member);
  if (node == NULL || JSON_NODE_TYPE (node) != type)
    {
      g_autofree char *text = lm_test_json_to_string (object);
      g_error ("member \"%s\" is %s, expected %s, in %s", member,
               node == NULL ? "missing" : json_node_type_name (node), what, text);
    }
  return node;
}

const char *
lm_test_json_get_string (JsonObject *object, const char *member)
{
  JsonNode *node = get_member (object, member, JSON_NODE_VALUE, "a string");

  if (json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_autofree char *text = lm_test_json_to_string (object);
      g_error ("member \"%s\" is not a string in %s", member, text);
    }
  return json_node_get_string (node);
}

gint64
lm_test_json_get_int (JsonObject *object, const char *member)
{
  JsonNode *node = get_member (object, member, JSON_NODE_VALUE, "an integer");

  if (json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_autofree char *text = lm_test_json_to_string (object);
      g_error ("member \"%s\" is not an integer in %s", member, text);
    }
  return json_node_get_int (node);
}

double
lm_test_json_get_number (JsonObject *object, const char *member)
{
  JsonNode *node = get_member (object, member, JSON_NODE_VALUE, "a number");
  GType type = json_node_get_value_type (node);

  if (type == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  if (type != G_TYPE_DOUBLE)
    {
      g_autofree char *text = lm_test_json_to_string (object);
      g_error ("member \"%s\" is not a number in %s", member, text);
    }
  return json_node_get_double (node);
}

gboolean
lm_test_json_get_bool (JsonObject *object, const char *member)
{
  JsonNode *node = get_member (object, member, JSON_NODE_VALUE, "a boolean");

  if (json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_autofree char *text = lm_test_json_to_string (object);
      g_error ("member \"%s\" is not a boolean in %s", member, text);
    }
  return json_node_get_boolean (node);
}

JsonObject *
lm_test_json_get_object (JsonObject *object, const char *member)
{
  return json_node_get_object (get_member (object, member, JSON_NODE_OBJECT,
                                           "an object"));
}

JsonArray *
lm_test_json_get_array (JsonObject *object, const char *member)
{
  return json_node_get_array (get_member (object, member, JSON_NODE_ARRAY,
                                          "an array"));
}

gboolean
lm_test_json_is_null (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_NULL (node);
}

void
lm_test_json_assert_id_int (JsonObject *object, gint64 id)
{
  g_assert_cmpint (lm_test_json_get_int (object, "id"), ==, id);
}

void
lm_test_json_assert_id_string (JsonObject *object, const char *id)
{
  g_assert_cmpstr (lm_test_json_get_string (object, "id"), ==, id);
}

gboolean
lm_test_json_array_has_string (JsonArray *array, const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_STRING
          && g_strcmp0 (json_node_get_string (node), value) == 0)
        return TRUE;
    }
  return FALSE;
}

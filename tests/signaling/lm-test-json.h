/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Accessors that fail the test, naming the member, when it is absent or of
 * another JSON type: a server reply of the wrong shape is a test failure,
 * never a crash inside the test. */

/* Parses `len` bytes as JSON; NULL (and *error set) when not JSON. */
JsonNode *lm_test_json_parse (const char *data, gssize len, GError **error);

/* The same, asserting the text is a JSON object. */
JsonObject *lm_test_json_parse_object (const char *data, gssize len);

char *lm_test_json_to_string (JsonObject *object);

const char *lm_test_json_get_string (JsonObject *object, const char *member);
gint64 lm_test_json_get_int (JsonObject *object, const char *member);
double lm_test_json_get_number (JsonObject *object, const char *member);
gboolean lm_test_json_get_bool (JsonObject *object, const char *member);
JsonObject *lm_test_json_get_object (JsonObject *object, const char *member);
JsonArray *lm_test_json_get_array (JsonObject *object, const char *member);

/* TRUE if `member` is present and JSON null. */
gboolean lm_test_json_is_null (JsonObject *object, const char *member);

/* Asserts `object` has an "id" equal to the given integer / string. */
void lm_test_json_assert_id_int (JsonObject *object, gint64 id);
void lm_test_json_assert_id_string (JsonObject *object, const char *id);

/* TRUE if `array` holds a string equal to `value`. */
gboolean lm_test_json_array_has_string (JsonArray *array, const char *value);

G_END_DECLS

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lm-schema.h"

#include <math.h>
#include <string.h>

#include "lm-error.h"

/* ---- The schema of every message in docs/protocol.md ---- */

#define REQ TRUE
#define OPT FALSE
#define NO_MAX HUGE_VAL
/* Ids the server hands out (consultation, peer): the protocol sets no
 * length, but a peer must not make us log or hash megabytes. */
#define REF_MAX 128
#define MEMBERS (LM_ROLE_CLINIC | LM_ROLE_DOCTOR | LM_ROLE_RELAY)

#define STRING(n, req, lo, hi) \
  { .name = n, .kind = LM_FIELD_STRING, .required = req, .min_len = lo, .max_len = hi }
#define NAME(n, req, lo, hi) \
  { .name = n, .kind = LM_FIELD_STRING, .required = req, .min_len = lo, .max_len = hi, \
    .charset = LM_CHARSET_NAME }
#define ENUM(n, req, vals) \
  { .name = n, .kind = LM_FIELD_STRING, .required = req, .values = vals }
#define INT(n, req, lo, hi) \
  { .name = n, .kind = LM_FIELD_INT, .required = req, .min = lo, .max = hi }
#define NUMBER(n, req, lo, hi) \
  { .name = n, .kind = LM_FIELD_NUMBER, .required = req, .min = lo, .max = hi }
#define BOOL(n, req) \
  { .name = n, .kind = LM_FIELD_BOOL, .required = req }
#define OBJECT(n, req, members) \
  { .name = n, .kind = LM_FIELD_OBJECT, .required = req, .fields = members }
#define ARRAY(n, req, item) \
  { .name = n, .kind = LM_FIELD_ARRAY, .required = req, .items = item }
#define END { NULL }

#define CONSULTATION STRING ("consultation", REQ, 1, REF_MAX)

static const char *const urgencies[] = { "routine", "urgent", "emergency", NULL };
static const char *const statuses[] = { "available", "away", NULL };
static const char *const sdp_types[] = { "offer", "answer", "pranswer", "rollback", NULL };
static const char *const candidate_types[] = { "host", "srflx", "prflx", "relay", NULL };
static const char *const roles[] = { "clinic", "doctor", "admin", "relay", NULL };
static const char *const error_codes[] = {
  "bad_request", "unauthorized", "forbidden", "not_found", "conflict",
  "rate_limited", "too_large", "internal", NULL
};

static const LmFieldSchema no_fields[] = { END };

/* Sent by peers */

static const LmFieldSchema hello_fields[] = {
  STRING ("token", REQ, 0, 256),
  STRING ("resume", OPT, 0, 128),
  END
};

static const LmFieldSchema consult_request_fields[] = {
  STRING ("specialty", REQ, 1, 64),
  ENUM ("urgency", REQ, urgencies),
  STRING ("patient_ref", REQ, 1, 64),
  END
};

static const LmFieldSchema consultation_only_fields[] = {
  CONSULTATION,
  END
};

static const LmFieldSchema presence_fields[] = {
  ENUM ("status", REQ, statuses),
  END
};

static const LmFieldSchema session_description_fields[] = {
  ENUM ("type", REQ, sdp_types),
  STRING ("sdp", REQ, 0, 0),
  END
};

static const char *const media_kinds[] = { "audio", "video", NULL };

static const LmFieldSchema stream_fields[] = {
  STRING ("mid", REQ, 1, 64),
  ENUM ("kind", REQ, media_kinds),
  STRING ("peer", REQ, 1, REF_MAX),
  END
};

static const LmFieldSchema stream_entry = OBJECT ("", REQ, stream_fields);

static const LmFieldSchema sdp_fields[] = {
  CONSULTATION,
  STRING ("to", REQ, 1, REF_MAX),
  OBJECT ("sdp", REQ, session_description_fields),
  ARRAY ("streams", OPT, &stream_entry),
  END
};

static const LmFieldSchema candidate_fields[] = {
  STRING ("candidate", REQ, 0, 1024),
  INT ("sdpMLineIndex", REQ, 0, 255),
  STRING ("sdpMid", OPT, 0, 0),
  END
};

static const LmFieldSchema ice_fields[] = {
  CONSULTATION,
  STRING ("to", REQ, 1, REF_MAX),
  OBJECT ("candidate", REQ, candidate_fields),
  END
};

static const LmFieldSchema consult_end_fields[] = {
  CONSULTATION,
  NAME ("reason", REQ, 1, 64),
  END
};

static const LmFieldSchema stats_fields[] = {
  CONSULTATION,
  STRING ("leg", OPT, 1, REF_MAX),
  NUMBER ("packets_sent", OPT, 0, NO_MAX),
  NUMBER ("packets_received", OPT, 0, NO_MAX),
  NUMBER ("rtt_ms", OPT, 0, NO_MAX),
  NUMBER ("loss_pct", OPT, 0, 100),
  NUMBER ("bitrate_kbps", OPT, 0, NO_MAX),
  NUMBER ("fps", OPT, 0, NO_MAX),
  NUMBER ("bytes_sent", OPT, 0, NO_MAX),
  NUMBER ("bytes_received", OPT, 0, NO_MAX),
  ENUM ("local_candidate_type", OPT, candidate_types),
  ENUM ("remote_candidate_type", OPT, candidate_types),
  END
};

static const LmFieldSchema relay_register_fields[] = {
  INT ("max_consultations", OPT, 1, 100000),
  INT ("max_participants", OPT, 2, 16),
  END
};

static const LmFieldSchema consult_invite_fields[] = {
  CONSULTATION,
  NAME ("doctor", REQ, 1, 64),
  END
};

static const LmFieldSchema consult_record_fields[] = {
  CONSULTATION,
  BOOL ("consent", REQ),
  END
};

static const LmFieldSchema relay_recording_fields[] = {
  CONSULTATION,
  STRING ("path", REQ, 1, 4096),
  NUMBER ("bytes", REQ, 0, NO_MAX),
  NUMBER ("duration_s", REQ, 0, NO_MAX),
  END
};

/* Sent by the server */

static const LmFieldSchema any_string = STRING ("", REQ, 0, 0);

static const LmFieldSchema ice_server_fields[] = {
  ARRAY ("urls", REQ, &any_string),
  STRING ("username", OPT, 0, 0),
  STRING ("credential", OPT, 0, 0),
  END
};

static const LmFieldSchema ice_server = OBJECT ("", REQ, ice_server_fields);

static const LmFieldSchema welcome_fields[] = {
  STRING ("peer", REQ, 1, 0),
  ENUM ("role", REQ, roles),
  STRING ("name", REQ, 0, 0),
  ARRAY ("specialties", REQ, &any_string),
  ARRAY ("ice_servers", REQ, &ice_server),
  STRING ("resume", REQ, 0, 0),
  BOOL ("resumed", REQ),
  INT ("grace_s", REQ, 0, NO_MAX),
  END
};

static const LmFieldSchema error_fields[] = {
  ENUM ("code", REQ, error_codes),
  STRING ("message", REQ, 0, 0),
  END
};

static const LmFieldSchema ack_fields[] = {
  { .name = "id", .kind = LM_FIELD_ID, .required = REQ },
  END
};

static const LmFieldSchema consult_queued_fields[] = {
  CONSULTATION,
  INT ("position", REQ, 1, NO_MAX),
  END
};

static const LmFieldSchema queue_position_fields[] = {
  CONSULTATION,
  INT ("position", REQ, 1, NO_MAX),
  NUMBER ("estimated_wait_s", REQ, 0, NO_MAX),
  END
};

static const LmFieldSchema waiting_fields[] = {
  CONSULTATION,
  STRING ("clinic", REQ, 0, 0),
  STRING ("specialty", REQ, 1, 64),
  ENUM ("urgency", REQ, urgencies),
  STRING ("patient_ref", REQ, 1, 64),
  NUMBER ("waiting_s", REQ, 0, NO_MAX),
  END
};

static const LmFieldSchema waiting_entry = OBJECT ("", REQ, waiting_fields);

static const LmFieldSchema queue_fields[] = {
  ARRAY ("waiting", REQ, &waiting_entry),
  END
};

static const LmFieldSchema member_fields[] = {
  STRING ("peer", REQ, 1, 0),
  ENUM ("role", REQ, roles),
  STRING ("name", REQ, 0, 0),
  END
};

static const LmFieldSchema member_entry = OBJECT ("", REQ, member_fields);

static const LmFieldSchema media_fields[] = {
  STRING ("mode", REQ, 1, 0),
  BOOL ("offer", REQ),
  STRING ("relay", OPT, 1, 0),
  END
};

static const LmFieldSchema consult_start_fields[] = {
  CONSULTATION,
  ARRAY ("peers", REQ, &member_entry),
  OBJECT ("media", REQ, media_fields),
  BOOL ("resumed", OPT),
  END
};

static const LmFieldSchema consult_ended_fields[] = {
  CONSULTATION,
  NAME ("reason", REQ, 1, 64),
  STRING ("by", REQ, 1, 0),
  END
};

static const LmFieldSchema peer_away_fields[] = {
  CONSULTATION,
  STRING ("peer", REQ, 1, 0),
  INT ("grace_s", REQ, 0, NO_MAX),
  END
};

static const LmFieldSchema peer_back_fields[] = {
  CONSULTATION,
  STRING ("peer", REQ, 1, 0),
  END
};

static const LmFieldSchema relay_open_fields[] = {
  CONSULTATION,
  ARRAY ("peers", REQ, &member_entry),
  BOOL ("record", REQ),
  END
};

static const LmFieldSchema peer_member_fields[] = {
  CONSULTATION,
  OBJECT ("peer", REQ, member_fields),
  END
};

static const LmFieldSchema relay_record_fields[] = {
  CONSULTATION,
  BOOL ("record", REQ),
  END
};

static const LmFieldSchema consult_invited_fields[] = {
  CONSULTATION,
  STRING ("by", REQ, 1, 0),
  STRING ("clinic", REQ, 1, 0),
  END
};

static const LmFieldSchema live_fields[] = {
  OBJECT ("queue", REQ, no_fields),
  ARRAY ("active", REQ, NULL),
  OBJECT ("online", REQ, no_fields),
  END
};

static const LmMessageSchema messages[] = {
  { "hello", LM_ROLE_ANY, hello_fields },
  { "ping", LM_ROLE_ANY, no_fields },
  { "consult.request", LM_ROLE_CLINIC, consult_request_fields },
  { "consult.cancel", LM_ROLE_CLINIC, consultation_only_fields },
  { "presence", LM_ROLE_DOCTOR, presence_fields },
  { "consult.accept", LM_ROLE_DOCTOR, consultation_only_fields },
  { "sdp", MEMBERS, sdp_fields },
  { "ice", MEMBERS, ice_fields },
  { "consult.end", MEMBERS, consult_end_fields },
  { "stats", MEMBERS, stats_fields },
  { "relay.register", LM_ROLE_RELAY, relay_register_fields },
  { "consult.invite", LM_ROLE_DOCTOR, consult_invite_fields },
  { "consult.leave", LM_ROLE_DOCTOR, consultation_only_fields },
  { "consult.record", LM_ROLE_CLINIC, consult_record_fields },
  { "relay.recording", LM_ROLE_RELAY, relay_recording_fields },
  { "live.subscribe", LM_ROLE_ADMIN, no_fields },

  { "welcome", LM_ROLE_NONE, welcome_fields },
  { "error", LM_ROLE_NONE, error_fields },
  { "ack", LM_ROLE_NONE, ack_fields },
  { "pong", LM_ROLE_NONE, no_fields },
  { "consult.queued", LM_ROLE_NONE, consult_queued_fields },
  { "queue.position", LM_ROLE_NONE, queue_position_fields },
  { "queue", LM_ROLE_NONE, queue_fields },
  { "consult.start", LM_ROLE_NONE, consult_start_fields },
  { "consult.ended", LM_ROLE_NONE, consult_ended_fields },
  { "peer.away", LM_ROLE_NONE, peer_away_fields },
  { "peer.back", LM_ROLE_NONE, peer_back_fields },
  { "relay.open", LM_ROLE_NONE, relay_open_fields },
  { "relay.join", LM_ROLE_NONE, peer_member_fields },
  { "relay.leave", LM_ROLE_NONE, peer_back_fields },
  { "relay.record", LM_ROLE_NONE, relay_record_fields },
  { "consult.invited", LM_ROLE_NONE, consult_invited_fields },
  { "peer.joined", LM_ROLE_NONE, peer_member_fields },
  { "peer.left", LM_ROLE_NONE, peer_back_fields },
  { "live", LM_ROLE_NONE, live_fields },
};

const LmMessageSchema *
lm_schema_lookup (const char *type)
{
  if (type == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      if (g_str_equal (messages[i].type, type))
        return &messages[i];
    }
  return NULL;
}

/* ---- The checker ---- */

typedef gboolean (*CheckFunc) (const LmFieldSchema *field,
                               JsonNode            *node,
                               const char          *path,
                               GError             **error);

static gboolean check_node (const LmFieldSchema *field,
                            JsonNode            *node,
                            const char          *path,
                            GError             **error);

static gboolean check_members (const LmFieldSchema *fields,
                               JsonObject          *object,
                               const char          *prefix,
                               GError             **error);

G_GNUC_PRINTF (3, 4)
static gboolean
fail (GError    **error,
      const char *path,
      const char *format,
      ...)
{
  va_list args;
  g_autofree char *detail = NULL;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST,
               "field '%s' %s", path, detail);
  return FALSE;
}

static GType
value_type (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
}

static gboolean
in_values (const char *const *values,
           const char        *str)
{
  for (const char *const *v = values; *v != NULL; v++)
    {
      if (g_str_equal (*v, str))
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '.' || c == '-';
}

static gboolean
fail_length (const LmFieldSchema *field,
             const char          *path,
             GError             **error)
{
  if (field->max_len == 0)
    return fail (error, path, "must not be empty");
  if (field->min_len == 0)
    return fail (error, path, "must be at most %" G_GSIZE_FORMAT " bytes long",
                 field->max_len);
  return fail (error, path, "must be %" G_GSIZE_FORMAT " to %" G_GSIZE_FORMAT " bytes long",
               field->min_len, field->max_len);
}

static gboolean
check_string (const LmFieldSchema *field,
              JsonNode            *node,
              const char          *path,
              GError             **error)
{
  const char *str;
  gsize len;

  if (value_type (node) != G_TYPE_STRING || json_node_get_string (node) == NULL)
    {
      if (field->values != NULL)
        goto bad_value;
      return fail (error, path, "must be a string");
    }

  str = json_node_get_string (node);
  if (field->values != NULL && !in_values (field->values, str))
    goto bad_value;

  len = strlen (str);
  if (len < field->min_len || (field->max_len > 0 && len > field->max_len))
    return fail_length (field, path, error);

  if (field->charset == LM_CHARSET_NAME)
    {
      for (const char *c = str; *c != '\0'; c++)
        {
          if (!is_name_char (*c))
            return fail (error, path, "may only hold the characters A-Z a-z 0-9 _ . -");
        }
    }
  return TRUE;

bad_value:
  {
    g_autofree char *list = g_strjoinv (", ", (char **) field->values);
    return fail (error, path, "must be one of %s", list);
  }
}

static gboolean
check_int (const LmFieldSchema *field,
           JsonNode            *node,
           const char          *path,
           GError             **error)
{
  if (value_type (node) == G_TYPE_INT64)
    {
      gint64 value = json_node_get_int (node);

      if (value >= field->min && value <= field->max)
        return TRUE;
    }

  if (isinf (field->max))
    return fail (error, path, "must be an integer of at least %" G_GINT64_FORMAT,
                 (gint64) field->min);
  return fail (error, path, "must be an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
               (gint64) field->min, (gint64) field->max);
}

static gboolean
check_number (const LmFieldSchema *field,
              JsonNode            *node,
              const char          *path,
              GError             **error)
{
  GType type = value_type (node);

  if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE)
    {
      /* json_node_get_double() converts an integer node. */
      double value = json_node_get_double (node);

      if (isfinite (value) && value >= field->min && value <= field->max)
        return TRUE;
    }

  if (isinf (field->max))
    return fail (error, path, "must be a number of at least %g", field->min);
  return fail (error, path, "must be a number from %g to %g", field->min, field->max);
}

static gboolean
check_bool (const LmFieldSchema *field,
            JsonNode            *node,
            const char          *path,
            GError             **error)
{
  if (value_type (node) == G_TYPE_BOOLEAN)
    return TRUE;
  return fail (error, path, "must be true or false");
}

static gboolean
check_object (const LmFieldSchema *field,
              JsonNode            *node,
              const char          *path,
              GError             **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, path, "must be an object");
  return check_members (field->fields, json_node_get_object (node), path, error);
}

static gboolean
check_array (const LmFieldSchema *field,
             JsonNode            *node,
             const char          *path,
             GError             **error)
{
  JsonArray *array;
  guint n;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail (error, path, "must be an array");
  if (field->items == NULL)
    return TRUE;

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *item_path = g_strdup_printf ("%s[%u]", path, i);

      if (!check_node (field->items, json_array_get_element (array, i), item_path, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
lm_schema_is_request_id (JsonNode *node)
{
  switch (value_type (node))
    {
    case G_TYPE_INT64:
      return TRUE;
    case G_TYPE_STRING:
      return strlen (json_node_get_string (node)) <= LM_REQUEST_ID_MAX_BYTES;
    default:
      return FALSE;
    }
}

static gboolean
check_id (const LmFieldSchema *field,
          JsonNode            *node,
          const char          *path,
          GError             **error)
{
  if (lm_schema_is_request_id (node))
    return TRUE;
  return fail (error, path, "must be a string of at most %d bytes or an integer",
               LM_REQUEST_ID_MAX_BYTES);
}

static const CheckFunc checkers[] = {
  [LM_FIELD_STRING] = check_string,
  [LM_FIELD_INT] = check_int,
  [LM_FIELD_NUMBER] = check_number,
  [LM_FIELD_BOOL] = check_bool,
  [LM_FIELD_OBJECT] = check_object,
  [LM_FIELD_ARRAY] = check_array,
  [LM_FIELD_ID] = check_id,
};

static gboolean
check_node (const LmFieldSchema *field,
            JsonNode            *node,
            const char          *path,
            GError             **error)
{
  g_assert ((guint) field->kind < G_N_ELEMENTS (checkers));
  return checkers[field->kind] (field, node, path, error);
}

static gboolean
check_members (const LmFieldSchema *fields,
               JsonObject          *object,
               const char          *prefix,
               GError             **error)
{
  for (const LmFieldSchema *field = fields; field->name != NULL; field++)
    {
      JsonNode *node = json_object_get_member (object, field->name);
      g_autofree char *path = NULL;

      path = prefix != NULL ? g_strconcat (prefix, ".", field->name, NULL)
                            : g_strdup (field->name);
      if (node == NULL)
        {
          if (field->required)
            return fail (error, path, "is missing");
          continue;
        }
      if (!check_node (field, node, path, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
lm_schema_check_object (const LmFieldSchema *fields,
                        JsonObject          *object,
                        GError             **error)
{
  return check_members (fields, object, NULL, error);
}

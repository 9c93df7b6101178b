/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-relay.h"

#include <gst/gst.h>
#include <libsoup/soup.h>
#include <string.h>

#include "lm-protocol.h"
#include "lmr-error.h"
#include "lmr-hop.h"
#include "lmr-room.h"

GST_DEBUG_CATEGORY_STATIC (lmr_relay_debug);
#define GST_CAT_DEFAULT lmr_relay_debug

/* The server's message limit is 64 KiB; forwarded SDP grows by "from". */
#define MAX_MESSAGE_BYTES (256 * 1024)
#define MAX_FRAME_BYTES (1024 * 1024)
#define MAX_OUTBOX 1000
#define KEEPALIVE_S 15
#define IO_TIMEOUT_S 20
#define FIRST_BACKOFF_MS 1000
#define MAX_BACKOFF_MS 30000
#define STOP_TIMEOUT_MS 10000
#define CLOSE_TIMEOUT_MS 2000
#define REGISTER_ID "register"

typedef enum {
  STATE_IDLE,
  STATE_CONNECTING,
  STATE_HELLO,       /* hello sent, waiting for welcome */
  STATE_READY,       /* welcomed */
  STATE_STOPPING,    /* closing the rooms, then the socket */
  STATE_DONE,
} State;

typedef struct {
  LmrRoom *room;
  gboolean closing;
} Entry;

struct _LmrRelay {
  const LmrOptions *options;
  LmrRelayDoneFunc done;
  gpointer user_data;

  SoupSession *soup;
  SoupWebsocketConnection *ws;
  GCancellable *cancellable;
  State state;
  gboolean media_ready;
  gboolean registered;
  char *peer;
  char *stun_server;

  GHashTable *rooms;         /* consultation → Entry */
  GQueue outbox;             /* relay.recording reports waiting for a connection */
  guint backoff_ms;
  guint reconnect_timer;
  guint stop_timer;
  GError *error;
};

typedef void (*Handler) (LmrRelay *self, const LmMessage *msg);

static void connect_websocket (LmrRelay *self);
static void maybe_finish_stop (LmrRelay *self);

/* ---- Sending ---- */

static gboolean
is_open (LmrRelay *self)
{
  return self->ws && soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN;
}

static void
send_message (LmrRelay *self, JsonObject *message)
{
  g_autofree char *text = NULL;

  if (!is_open (self)) {
    GST_DEBUG ("not connected: dropping a %s message",
               json_object_get_string_member_with_default (message, "type", "?"));
    return;
  }
  text = lm_message_to_string (message);
  soup_websocket_connection_send_text (self->ws, text);
}

static void
flush_outbox (LmrRelay *self)
{
  JsonObject *message;

  while (is_open (self) && self->state >= STATE_READY &&
         (message = g_queue_pop_head (&self->outbox))) {
    send_message (self, message);
    json_object_unref (message);
  }
}

/* Recordings are reported even if the socket was down when they closed:
 * the server accepts relay.recording after the consultation ended. */
static void
on_room_send (JsonObject *message, gpointer user_data)
{
  LmrRelay *self = user_data;
  const char *type = json_object_get_string_member_with_default (message, "type", "");

  if (g_str_equal (type, "relay.recording") && (!is_open (self) || self->state < STATE_READY)) {
    if (self->outbox.length < MAX_OUTBOX)
      g_queue_push_tail (&self->outbox, json_object_ref (message));
    else
      GST_ERROR ("too many recording reports waiting: dropping one");
    return;
  }
  send_message (self, message);
}

static void
send_consult_end (LmrRelay *self, const char *consultation, const char *reason)
{
  g_autoptr (JsonObject) message = lm_message_new ("consult.end", NULL);

  json_object_set_string_member (message, "consultation", consultation);
  json_object_set_string_member (message, "reason", reason);
  send_message (self, message);
}

/* ---- Finishing ---- */

static void
complete (LmrRelay *self)
{
  if (self->state == STATE_DONE)
    return;
  self->state = STATE_DONE;
  g_clear_handle_id (&self->stop_timer, g_source_remove);
  g_clear_handle_id (&self->reconnect_timer, g_source_remove);
  self->done (self, self->error, self->user_data);
}

/* Takes `error`: the relay cannot go on. */
static void
fail (LmrRelay *self, LmrErrorCode code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
fail (LmrRelay *self, LmrErrorCode code, const char *format, ...)
{
  va_list args;

  if (self->state == STATE_DONE)
    return;
  va_start (args, format);
  g_clear_error (&self->error);
  self->error = g_error_new_valist (LMR_ERROR, code, format, args);
  va_end (args);
  GST_ERROR ("%s", self->error->message);
  lmr_relay_stop (self);
}

/* ---- Rooms ---- */

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  lmr_room_free (entry->room);
  g_free (entry);
}

static guint
n_open_rooms (LmrRelay *self)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!((Entry *) value)->closing)
      n++;
  return n;
}

static void
on_room_closed (LmrRoom *room, gpointer user_data)
{
  LmrRelay *self = user_data;

  g_hash_table_remove (self->rooms, lmr_room_get_id (room));
  maybe_finish_stop (self);
}

static void
close_room (Entry *entry)
{
  if (entry->closing)
    return;
  entry->closing = TRUE;
  lmr_room_close (entry->room);
}

static void
close_all_rooms (LmrRelay *self)
{
  g_autoptr (GList) entries = g_hash_table_get_values (self->rooms);

  for (GList *l = entries; l; l = l->next)
    close_room (l->data);
}

/* The consultation of a message, when the relay serves it. */
static Entry *
find_entry (LmrRelay *self, const LmMessage *msg)
{
  const char *id = lm_message_get_string (msg, "consultation");
  Entry *entry = id ? g_hash_table_lookup (self->rooms, id) : NULL;

  if (entry == NULL || entry->closing) {
    GST_WARNING ("[%s] %s for a consultation this relay does not serve: ignored",
                 id ? id : "?", msg->type);
    return NULL;
  }
  return entry;
}

/* ---- Handlers ---- */

static void
handle_relay_open (LmrRelay *self, const LmMessage *msg)
{
  const char *id = lm_message_get_string (msg, "consultation");
  JsonArray *peers = json_object_get_array_member (msg->body, "peers");
  g_autoptr (GError) error = NULL;
  LmrMediaConfig media;
  LmrRoomSetup setup = {
    .consultation = id,
    .media = &media,
    .record_dir = self->options->record_dir,
    .stats_interval_s = (guint) self->options->stats_interval,
    .max_participants = (guint) self->options->max_participants,
    .send = on_room_send,
    .closed = on_room_closed,
    .user_data = self,
  };
  Entry *entry;

  if (g_hash_table_contains (self->rooms, id)) {
    GST_WARNING ("[%s] relay.open for a consultation already served: ignored", id);
    return;
  }
  if (self->state != STATE_READY || n_open_rooms (self) >= (guint) self->options->max_consultations) {
    GST_WARNING ("[%s] no room for another consultation (%u served)", id, n_open_rooms (self));
    send_consult_end (self, id, "relay_full");
    return;
  }
  media = self->options->media;
  media.stun_server = self->options->media.public_address ? NULL : self->stun_server;
  entry = g_new0 (Entry, 1);
  entry->room = lmr_room_new (&setup, &error);
  if (entry->room == NULL || !lmr_room_add_members (entry->room, peers, &error)) {
    GST_ERROR ("[%s] cannot serve the consultation: %s", id, error->message);
    g_clear_pointer (&entry->room, lmr_room_free);
    g_free (entry);
    send_consult_end (self, id, error->code == LMR_ERROR_FULL ? "relay_full" : "relay_error");
    return;
  }
  g_hash_table_insert (self->rooms, g_strdup (id), entry);
  GST_INFO ("[%s] serving: %u members, %u consultations now", id, json_array_get_length (peers),
            n_open_rooms (self));
  if (json_object_get_boolean_member_with_default (msg->body, "record", FALSE) &&
      !lmr_room_set_recording (entry->room, TRUE, &error))
    GST_ERROR ("[%s] the clinic consented to recording, but %s", id, error->message);
}

static void
handle_relay_join (LmrRelay *self, const LmMessage *msg)
{
  Entry *entry = find_entry (self, msg);
  g_autoptr (JsonArray) peers = NULL;
  g_autoptr (GError) error = NULL;

  if (entry == NULL)
    return;
  peers = json_array_new ();
  json_array_add_object_element (peers, json_object_ref (lm_message_get_object (msg, "peer")));
  if (!lmr_room_add_members (entry->room, peers, &error))
    GST_ERROR ("[%s] relay.join: %s", lmr_room_get_id (entry->room), error->message);
}

static void
handle_relay_leave (LmrRelay *self, const LmMessage *msg)
{
  Entry *entry = find_entry (self, msg);
  g_autoptr (GError) error = NULL;

  if (entry && !lmr_room_remove_member (entry->room, lm_message_get_string (msg, "peer"), &error))
    GST_WARNING ("[%s] relay.leave: %s", lmr_room_get_id (entry->room), error->message);
}

static void
handle_relay_record (LmrRelay *self, const LmMessage *msg)
{
  Entry *entry = find_entry (self, msg);
  g_autoptr (GError) error = NULL;
  gboolean record = json_object_get_boolean_member_with_default (msg->body, "record", FALSE);

  if (entry && !lmr_room_set_recording (entry->room, record, &error))
    GST_ERROR ("[%s] the clinic consented to recording, but %s", lmr_room_get_id (entry->room),
               error->message);
}

static void
handle_sdp (LmrRelay *self, const LmMessage *msg)
{
  Entry *entry = find_entry (self, msg);
  g_autoptr (GError) error = NULL;

  if (entry && !lmr_room_handle_sdp (entry->room, lm_message_get_string (msg, "from"),
                                     lm_message_get_object (msg, "sdp"), &error))
    GST_WARNING ("[%s] sdp: %s", lmr_room_get_id (entry->room), error->message);
}

static void
handle_ice (LmrRelay *self, const LmMessage *msg)
{
  Entry *entry = find_entry (self, msg);
  g_autoptr (GError) error = NULL;

  if (entry && !lmr_room_handle_ice (entry->room, lm_message_get_string (msg, "from"),
                                     lm_message_get_object (msg, "candidate"), &error))
    GST_WARNING ("[%s] ice: %s", lmr_room_get_id (entry->room), error->message);
}

static void
handle_consult_ended (LmrRelay *self, const LmMessage *msg)
{
  Entry *entry = find_entry (self, msg);

  if (entry == NULL)
    return;
  GST_INFO ("[%s] ended (%s)", lmr_room_get_id (entry->room), lm_message_get_string (msg, "reason"));
  close_room (entry);
}

static void
send_register (LmrRelay *self)
{
  g_autoptr (JsonNode) id = json_node_new (JSON_NODE_VALUE);
  g_autoptr (JsonObject) message = NULL;

  json_node_set_string (id, REGISTER_ID);
  message = lm_message_new ("relay.register", id);
  json_object_set_int_member (message, "max_consultations", self->options->max_consultations);
  json_object_set_int_member (message, "max_participants", self->options->max_participants);
  send_message (self, message);
}

/* "stun:host:port" of welcome's ice_servers → webrtcbin's "stun://host:port". */
static char *
first_stun_server (JsonArray *servers)
{
  for (guint i = 0; servers && i < json_array_get_length (servers); i++) {
    JsonNode *node = json_array_get_element (servers, i);
    JsonObject *server = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    JsonArray *urls = server && json_object_has_member (server, "urls") &&
                      JSON_NODE_HOLDS_ARRAY (json_object_get_member (server, "urls"))
                      ? json_object_get_array_member (server, "urls") : NULL;

    for (guint j = 0; urls && j < json_array_get_length (urls); j++) {
      JsonNode *url = json_array_get_element (urls, j);
      const char *text = JSON_NODE_HOLDS_VALUE (url) &&
                         json_node_get_value_type (url) == G_TYPE_STRING
                         ? json_node_get_string (url) : NULL;

      if (text && g_str_has_prefix (text, "stun:") && !strchr (text, '?') && strlen (text) < 256)
        return g_strconcat ("stun://", text + strlen ("stun:"), NULL);
    }
  }
  return NULL;
}

static void
handle_welcome (LmrRelay *self, const LmMessage *msg)
{
  const char *role = lm_message_get_string (msg, "role");

  if (self->state != STATE_HELLO)
    return;
  if (g_strcmp0 (role, "relay") != 0) {
    fail (self, LMR_ERROR_UNAUTHORIZED, "the token is for a %s account, not a relay",
          role ? role : "unknown");
    return;
  }
  self->state = STATE_READY;
  self->backoff_ms = 0;
  g_free (self->peer);
  self->peer = g_strdup (lm_message_get_string (msg, "peer"));
  g_free (self->stun_server);
  self->stun_server = first_stun_server (json_object_get_array_member (msg->body, "ice_servers"));
  GST_INFO ("connected to %s as %s (%s)", self->options->http_url, self->peer,
            lm_message_get_string (msg, "name"));
  flush_outbox (self);
  if (self->media_ready)
    send_register (self);
}

static void
handle_ack (LmrRelay *self, const LmMessage *msg)
{
  if (msg->id && JSON_NODE_HOLDS_VALUE (msg->id) &&
      json_node_get_value_type (msg->id) == G_TYPE_STRING &&
      g_str_equal (json_node_get_string (msg->id), REGISTER_ID)) {
    self->registered = TRUE;
    GST_INFO ("registered: up to %d consultations of %d participants",
              self->options->max_consultations, self->options->max_participants);
  }
}

static void
handle_error (LmrRelay *self, const LmMessage *msg)
{
  const char *code = lm_message_get_string (msg, "code");
  const char *text = lm_message_get_string (msg, "message");
  gboolean about_register = msg->id && JSON_NODE_HOLDS_VALUE (msg->id) &&
                            json_node_get_value_type (msg->id) == G_TYPE_STRING &&
                            g_str_equal (json_node_get_string (msg->id), REGISTER_ID);

  if (g_strcmp0 (code, "unauthorized") == 0)
    fail (self, LMR_ERROR_UNAUTHORIZED, "the server refused the token: %s", text);
  else if (about_register)
    fail (self, LMR_ERROR_FAILED, "the server refused relay.register (%s): %s", code, text);
  else if (g_strcmp0 (code, "not_found") == 0)
    GST_INFO ("server: %s", text);   /* a message crossed consult.ended */
  else
    GST_WARNING ("server error %s: %s", code, text);
}

static void
handle_ignored (LmrRelay *self, const LmMessage *msg)
{
}

static const struct {
  const char *type;
  Handler handler;
} handlers[] = {
  { "welcome", handle_welcome },
  { "ack", handle_ack },
  { "error", handle_error },
  { "relay.open", handle_relay_open },
  { "relay.join", handle_relay_join },
  { "relay.leave", handle_relay_leave },
  { "relay.record", handle_relay_record },
  { "sdp", handle_sdp },
  { "ice", handle_ice },
  { "consult.ended", handle_consult_ended },
  { "pong", handle_ignored },
  { "peer.away", handle_ignored },
  { "peer.back", handle_ignored },
};

/* Before welcome only welcome and error mean anything. */
static gboolean
allowed_now (LmrRelay *self, const char *type)
{
  return self->state == STATE_READY || self->state == STATE_STOPPING ||
         g_str_equal (type, "welcome") || g_str_equal (type, "error");
}

static void
dispatch (LmrRelay *self, const LmMessage *msg)
{
  if (!allowed_now (self, msg->type))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++) {
    if (g_str_equal (handlers[i].type, msg->type)) {
      handlers[i].handler (self, msg);
      return;
    }
  }
  GST_DEBUG ("ignoring a %s message", msg->type);
}

/* ---- The WebSocket ---- */

static void
on_ws_message (SoupWebsocketConnection *ws, gint type, GBytes *bytes, gpointer user_data)
{
  LmrRelay *self = user_data;
  g_autoptr (LmMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (self->state == STATE_DONE)
    return;
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    GST_WARNING ("ignoring a binary frame from the server");
    return;
  }
  msg = lm_message_parse (data, len, MAX_MESSAGE_BYTES, &error);
  if (msg == NULL || !lm_message_validate (msg, LM_ROLE_ANY, &error)) {
    GST_WARNING ("ignoring a bad message from the server: %s", error->message);
    return;
  }
  GST_DEBUG ("received %s", msg->type);
  dispatch (self, msg);
}

static gboolean
on_reconnect_timer (gpointer user_data)
{
  LmrRelay *self = user_data;

  self->reconnect_timer = 0;
  connect_websocket (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (LmrRelay *self)
{
  self->backoff_ms = self->backoff_ms ? MIN (self->backoff_ms * 2, MAX_BACKOFF_MS) : FIRST_BACKOFF_MS;
  self->state = STATE_IDLE;
  GST_INFO ("connecting again in %u ms", self->backoff_ms);
  self->reconnect_timer = g_timeout_add (self->backoff_ms, on_reconnect_timer, self);
}

static void
drop_websocket (LmrRelay *self)
{
  if (self->ws == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->ws, self);
  g_clear_object (&self->ws);
}

static void
on_ws_closed (SoupWebsocketConnection *ws, gpointer user_data)
{
  LmrRelay *self = user_data;
  gushort code = soup_websocket_connection_get_close_code (ws);
  const char *data = soup_websocket_connection_get_close_data (ws);

  GST_INFO ("WebSocket closed: %u %s", code, data ? data : "");
  self->registered = FALSE;
  drop_websocket (self);
  if (self->state == STATE_STOPPING) {
    complete (self);
    return;
  }
  if (code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION && g_strcmp0 (data, "unauthorized") == 0) {
    fail (self, LMR_ERROR_UNAUTHORIZED, "the server refused the token");
    return;
  }
  /* The server ends every consultation of a relay it loses. */
  GST_WARNING ("lost the connection to the server (%u): closing %u consultations", code,
               g_hash_table_size (self->rooms));
  close_all_rooms (self);
  schedule_reconnect (self);
}

static void
send_hello (LmrRelay *self)
{
  g_autoptr (JsonNode) id = json_node_new (JSON_NODE_VALUE);
  g_autoptr (JsonObject) message = NULL;

  json_node_set_string (id, "hello");
  message = lm_message_new ("hello", id);
  json_object_set_string_member (message, "token", self->options->token);
  self->state = STATE_HELLO;
  send_message (self, message);
}

static void
on_ws_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LmrRelay *self = user_data;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* stopping: self may be gone */
  if (ws == NULL) {
    if (self->state == STATE_STOPPING) {
      complete (self);
      return;
    }
    if (error->domain == SOUP_WEBSOCKET_ERROR) {
      fail (self, LMR_ERROR_UNREACHABLE, "%s is not a lastmile WebSocket endpoint: %s",
            self->options->http_url, error->message);
      return;
    }
    GST_WARNING ("cannot reach %s: %s", self->options->http_url, error->message);
    schedule_reconnect (self);
    return;
  }
  drop_websocket (self);
  self->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size (ws, MAX_FRAME_BYTES);
  soup_websocket_connection_set_keepalive_interval (ws, KEEPALIVE_S);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);
  if (self->state == STATE_STOPPING) {
    maybe_finish_stop (self);
    return;
  }
  send_hello (self);
}

static void
connect_websocket (LmrRelay *self)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", self->options->http_url);

  if (msg == NULL) {
    fail (self, LMR_ERROR_BAD_ARGS, "--server: cannot use %s", self->options->http_url);
    return;
  }
  self->state = STATE_CONNECTING;
  soup_session_websocket_connect_async (self->soup, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->cancellable, on_ws_connected, self);
}

/* ---- Public ---- */

LmrRelay *
lmr_relay_new (const LmrOptions *options,
               LmrRelayDoneFunc  done,
               gpointer          user_data)
{
  LmrRelay *self = g_new0 (LmrRelay, 1);
  static gsize debug_once = 0;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (lmr_relay_debug, "lmr-relay", 0, "lastmile relay signaling");
    g_once_init_leave (&debug_once, 1);
  }
  self->options = options;
  self->done = done;
  self->user_data = user_data;
  self->cancellable = g_cancellable_new ();
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  g_queue_init (&self->outbox);
  return self;
}

void
lmr_relay_start (LmrRelay *self)
{
  g_autoptr (GError) error = NULL;

  self->soup = soup_session_new_with_options ("timeout", IO_TIMEOUT_S,
                                              "user-agent", "lastmile-relay/0.1", NULL);
  if (self->options->ca_file) {
    g_autoptr (GTlsDatabase) db = g_tls_file_database_new (self->options->ca_file, &error);

    if (db == NULL) {
      fail (self, LMR_ERROR_BAD_ARGS, "--ca-file %s: %s", self->options->ca_file, error->message);
      return;
    }
    soup_session_set_tls_database (self->soup, db);
  }
  connect_websocket (self);
}

void
lmr_relay_set_media_ready (LmrRelay *self)
{
  self->media_ready = TRUE;
  if (self->state == STATE_READY && is_open (self))
    send_register (self);
}

guint
lmr_relay_get_n_rooms (LmrRelay *self)
{
  return g_hash_table_size (self->rooms);
}

static gboolean
on_close_timeout (gpointer user_data)
{
  LmrRelay *self = user_data;

  self->stop_timer = 0;
  complete (self);
  return G_SOURCE_REMOVE;
}

/* Once every room has closed (and reported its recordings): the socket. */
static void
maybe_finish_stop (LmrRelay *self)
{
  if (self->state != STATE_STOPPING || g_hash_table_size (self->rooms) > 0)
    return;
  flush_outbox (self);
  if (is_open (self)) {
    soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    g_clear_handle_id (&self->stop_timer, g_source_remove);
    self->stop_timer = g_timeout_add (CLOSE_TIMEOUT_MS, on_close_timeout, self);
  } else if (self->ws == NULL || soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_CLOSED) {
    complete (self);
  }
}

static gboolean
on_stop_timeout (gpointer user_data)
{
  LmrRelay *self = user_data;

  self->stop_timer = 0;
  GST_WARNING ("%u consultations did not close in time", g_hash_table_size (self->rooms));
  g_hash_table_remove_all (self->rooms);
  maybe_finish_stop (self);
  if (self->state != STATE_DONE && !is_open (self))
    complete (self);
  return G_SOURCE_REMOVE;
}

void
lmr_relay_stop (LmrRelay *self)
{
  if (self->state == STATE_DONE)
    return;
  if (self->state == STATE_STOPPING) {
    complete (self);   /* second call: give up waiting */
    return;
  }
  GST_INFO ("stopping: closing %u consultations", g_hash_table_size (self->rooms));
  g_clear_handle_id (&self->reconnect_timer, g_source_remove);
  /* A connection still being made is of no use any more. */
  if (self->state == STATE_CONNECTING || self->state == STATE_IDLE)
    g_cancellable_cancel (self->cancellable);
  self->state = STATE_STOPPING;
  self->stop_timer = g_timeout_add (STOP_TIMEOUT_MS, on_stop_timeout, self);
  close_all_rooms (self);
  maybe_finish_stop (self);
}

void
lmr_relay_free (LmrRelay *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reconnect_timer, g_source_remove);
  g_clear_handle_id (&self->stop_timer, g_source_remove);
  g_hash_table_unref (self->rooms);
  g_queue_clear_full (&self->outbox, (GDestroyNotify) json_object_unref);
  drop_websocket (self);
  g_clear_object (&self->soup);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->error);
  g_free (self->peer);
  g_free (self->stun_server);
  g_free (self);
}

/* ---- Prewarm ---- */

typedef struct {
  GMainContext *context;
  GSourceFunc ready;
  gpointer user_data;
} Prewarm;

static gpointer
prewarm_thread (gpointer data)
{
  Prewarm *prewarm = data;
  GstElement *dtls = gst_element_factory_make ("dtlsdec", NULL);

  /* Creating the first dtlsdec generates the process-wide certificate. */
  if (dtls)
    gst_object_unref (dtls);
  if (prewarm->ready)
    lmr_hop (prewarm->context, prewarm->ready, prewarm->user_data, NULL);
  g_main_context_unref (prewarm->context);
  g_free (prewarm);
  return NULL;
}

GThread *
lmr_relay_prewarm (GSourceFunc ready, gpointer user_data)
{
  Prewarm *prewarm = g_new0 (Prewarm, 1);

  prewarm->context = g_main_context_ref_thread_default ();
  prewarm->ready = ready;
  prewarm->user_data = user_data;
  return g_thread_new ("lmr-prewarm", prewarm_thread, prewarm);
}

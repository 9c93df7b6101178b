/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-session.h"

#include <gst/gst.h>
#include <libsoup/soup.h>

#include "lm-protocol.h"
#include "lmc-consultation.h"
#include "lmc-error.h"
#include "lmc-ice-servers.h"
#include "lmc-report.h"
#include "lmc-tls.h"

GST_DEBUG_CATEGORY_STATIC (lmc_session_debug);
#define GST_CAT_DEFAULT lmc_session_debug

/* The server's message limit is 64 KiB; forwarded SDP grows by "from". */
#define MAX_MESSAGE_BYTES (256 * 1024)
#define MAX_FRAME_BYTES (1024 * 1024)
#define KEEPALIVE_S 15
#define IO_TIMEOUT_S 20
#define CLOSE_TIMEOUT_MS 2000
#define CANCEL_TIMEOUT_MS 3000
#define RECONNECT_DELAY_MS 1000
#define MAX_RESUME_S 60

typedef enum {
  STATE_CONNECTING,
  STATE_HELLO,      /* hello sent, waiting for welcome */
  STATE_READY,      /* welcomed: requesting, waiting, choosing or consulting */
  STATE_CLOSING,
  STATE_DONE,
} State;

struct _LmcSession {
  const LmcOptions *options;
  LmcUi *ui;
  LmcSessionDoneFunc done;
  gpointer user_data;

  SoupSession *soup;
  SoupMessage *connect_msg;
  SoupWebsocketConnection *ws;
  GCancellable *cancellable;
  GTlsCertificateFlags tls_errors;
  State state;

  LmRole role;
  char *peer;
  char *resume;
  gint64 grace_s;
  char **stun_servers;
  char **turn_servers;

  char *waiting_id;           /* the clinic's queued request */
  JsonArray *queue;           /* the doctor's last queue */
  char *invitation;           /* a consultation another doctor invited us to */
  gboolean accepting;
  gboolean cancelling;
  gboolean hung_up;
  gboolean media_ready;
  gboolean welcomed;
  LmcConsultation *consultation;
  LmcReport report;

  gint64 reconnect_deadline_us;
  guint reconnect_timer;
  guint close_timer;
  GError *error;
};

typedef void (*Handler) (LmcSession *self, const LmMessage *msg);

static void connect_websocket (LmcSession *self);
static void finish (LmcSession *self, GError *error);

/* ---- Sending ---- */

static void
send_message (LmcSession *self, JsonObject *message)
{
  g_autofree char *text = NULL;

  if (self->ws == NULL ||
      soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
    GST_DEBUG ("not connected: dropping a %s message",
               json_object_get_string_member_with_default (message, "type", "?"));
    return;
  }
  text = lm_message_to_string (message);
  soup_websocket_connection_send_text (self->ws, text);
}

static JsonObject *
new_request (const char *type, const char *id)
{
  g_autoptr (JsonNode) id_node = NULL;

  if (id) {
    id_node = json_node_new (JSON_NODE_VALUE);
    json_node_set_string (id_node, id);
  }
  return lm_message_new (type, id_node);
}

static void
send_request (LmcSession *self, JsonObject *message)
{
  send_message (self, message);
  json_object_unref (message);
}

static void
on_consultation_send (JsonObject *message, gpointer user_data)
{
  send_message (user_data, message);
}

/* ---- Finishing ---- */

static void
complete (LmcSession *self)
{
  if (self->state == STATE_DONE)
    return;
  self->state = STATE_DONE;
  g_clear_handle_id (&self->close_timer, g_source_remove);
  g_clear_handle_id (&self->reconnect_timer, g_source_remove);
  self->done (self, self->error, self->user_data);
}

static gboolean
on_close_timeout (gpointer user_data)
{
  LmcSession *self = user_data;

  self->close_timer = 0;
  complete (self);
  return G_SOURCE_REMOVE;
}

/* Takes `error`; NULL for a good end. Closes the socket, then completes. */
static void
finish (LmcSession *self, GError *error)
{
  if (self->state == STATE_CLOSING || self->state == STATE_DONE) {
    g_clear_error (&error);
    return;
  }
  self->state = STATE_CLOSING;
  self->error = error;
  lmc_ui_stop_input (self->ui);
  g_clear_handle_id (&self->reconnect_timer, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  if (self->consultation && !lmc_consultation_is_done (self->consultation))
    lmc_consultation_handle_ended (self->consultation, "client_exit");

  if (self->ws && soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN) {
    soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    self->close_timer = g_timeout_add (CLOSE_TIMEOUT_MS, on_close_timeout, self);
  } else {
    complete (self);
  }
}

static void
fail (LmcSession *self, LmcErrorCode code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
fail (LmcSession *self, LmcErrorCode code, const char *format, ...)
{
  va_list args;
  GError *error;

  va_start (args, format);
  error = g_error_new_valist (LMC_ERROR, code, format, args);
  va_end (args);
  finish (self, error);
}

static void
on_consultation_done (LmcConsultation *consultation, gpointer user_data)
{
  LmcSession *self = user_data;
  const char *reason = lmc_consultation_get_end_reason (consultation);

  if (lmc_consultation_ended_well (consultation))
    finish (self, NULL);
  else
    fail (self, LMC_ERROR_FAILED, "the consultation ended: %s", reason ? reason : "unknown");
}

/* ---- Clinic ---- */

static void
send_consult_request (LmcSession *self)
{
  JsonObject *message = new_request ("consult.request", "request");

  json_object_set_string_member (message, "specialty", self->options->specialty);
  json_object_set_string_member (message, "urgency", self->options->urgency);
  json_object_set_string_member (message, "patient_ref", self->options->patient_ref);
  send_request (self, message);
}

static void
handle_consult_queued (LmcSession *self, const LmMessage *msg)
{
  g_free (self->waiting_id);
  self->waiting_id = g_strdup (lm_message_get_string (msg, "consultation"));
  lmc_ui_status (self->ui, self->waiting_id, "request queued at position %" G_GINT64_FORMAT,
                 lm_message_get_int (msg, "position", 0));
  if (self->hung_up)
    lmc_session_hangup (self);
}

static void
handle_queue_position (LmcSession *self, const LmMessage *msg)
{
  lmc_ui_status (self->ui, lm_message_get_string (msg, "consultation"),
                 "queue position %" G_GINT64_FORMAT ", estimated wait %.0f s",
                 lm_message_get_int (msg, "position", 0),
                 lm_message_get_double (msg, "estimated_wait_s", 0));
}

/* ---- Doctor ---- */

static void
accept_entry (LmcSession *self, guint index)
{
  JsonObject *entry, *message;
  const char *id;

  if (self->queue == NULL || index >= json_array_get_length (self->queue))
    return;
  entry = json_array_get_object_element (self->queue, index);
  id = json_object_get_string_member_with_default (entry, "consultation", NULL);
  if (id == NULL)
    return;
  message = new_request ("consult.accept", "accept");
  json_object_set_string_member (message, "consultation", id);
  self->accepting = TRUE;
  lmc_ui_status (self->ui, id, "accepting");
  send_request (self, message);
}

static void
accept_invitation (LmcSession *self)
{
  g_autofree char *id = g_steal_pointer (&self->invitation);
  JsonObject *message = new_request ("consult.accept", "accept");

  json_object_set_string_member (message, "consultation", id);
  self->accepting = TRUE;
  lmc_ui_status (self->ui, id, "joining");
  send_request (self, message);
}

/* An invitation waits for y or n; anything else is a queue choice. */
static gboolean
answer_invitation (LmcSession *self, const char *line)
{
  g_autofree char *answer = g_strstrip (g_ascii_strdown (line, -1));

  if (self->invitation == NULL)
    return FALSE;
  if (g_str_equal (answer, "y") || g_str_equal (answer, "yes")) {
    accept_invitation (self);
    return TRUE;
  }
  if (g_str_equal (answer, "n") || g_str_equal (answer, "no")) {
    lmc_ui_status (self->ui, self->invitation, "invitation declined");
    g_clear_pointer (&self->invitation, g_free);
    return TRUE;
  }
  return FALSE;
}

static void
on_input_line (const char *line, gpointer user_data)
{
  LmcSession *self = user_data;
  guint n = self->queue ? json_array_get_length (self->queue) : 0;
  int choice;

  if (self->accepting || self->consultation || self->state != STATE_READY)
    return;
  if (answer_invitation (self, line))
    return;
  choice = lmc_ui_parse_choice (line, n);
  if (choice < 0) {
    lmc_ui_warning (self->ui, NULL, "type a number from the list (1-%u)", n);
    return;
  }
  accept_entry (self, (guint) choice);
}

static void
handle_queue (LmcSession *self, const LmMessage *msg)
{
  JsonObject *body = msg->body;
  gboolean interactive = !self->options->accept_first;

  g_clear_pointer (&self->queue, json_array_unref);
  self->queue = json_array_ref (json_object_get_array_member (body, "waiting"));
  if (self->consultation)
    return;
  lmc_ui_show_queue (self->ui, self->queue, interactive && !self->accepting &&
                     json_array_get_length (self->queue) > 0);
  if (!interactive && !self->accepting && json_array_get_length (self->queue) > 0)
    accept_entry (self, 0);
}

static void
handle_consult_invited (LmcSession *self, const LmMessage *msg)
{
  const char *id = lm_message_get_string (msg, "consultation");
  g_autofree char *by = lmc_ui_sanitize (lm_message_get_string (msg, "by"), 64);
  g_autofree char *clinic = lmc_ui_sanitize (lm_message_get_string (msg, "clinic"), 64);

  if (self->role != LM_ROLE_DOCTOR || self->consultation || self->accepting)
    return;
  g_free (self->invitation);
  self->invitation = g_strdup (id);
  lmc_ui_status (self->ui, id, "%s invites you to a consultation with %s", by, clinic);
  if (self->options->accept_invites) {
    accept_invitation (self);
    return;
  }
  lmc_ui_prompt (self->ui, "join it? [y/n] ");
  lmc_ui_watch_input (self->ui, on_input_line, self);
}

/* ---- Both ---- */

static gboolean
load_ice_servers (LmcSession *self, const LmMessage *msg)
{
  g_autoptr (GError) error = NULL;
  JsonArray *servers = json_object_get_array_member (msg->body, "ice_servers");

  g_clear_pointer (&self->stun_servers, g_strfreev);
  g_clear_pointer (&self->turn_servers, g_strfreev);
  if (!lmc_ice_servers_from_json (servers, &self->stun_servers, &self->turn_servers, &error)) {
    fail (self, LMC_ERROR_PROTOCOL, "welcome: %s", error->message);
    return FALSE;
  }
  return TRUE;
}

static void
handle_welcome_resumed (LmcSession *self, const LmMessage *msg)
{
  gboolean resumed = json_object_get_boolean_member_with_default (msg->body, "resumed", FALSE);
  const char *id = self->consultation ? lmc_consultation_get_id (self->consultation) : NULL;

  if (resumed) {
    lmc_ui_status (self->ui, id, "reconnected to the server");
    return;
  }
  lmc_ui_warning (self->ui, id, "reconnected, but the server had dropped the session");
  if (self->consultation)
    lmc_consultation_handle_ended (self->consultation, "disconnected");
  else
    fail (self, LMC_ERROR_UNREACHABLE, "the server dropped the session");
}

static void go_live (LmcSession *self);

static void
handle_welcome (LmcSession *self, const LmMessage *msg)
{
  const char *role = lm_message_get_string (msg, "role");
  gboolean reconnect = self->peer != NULL;

  if (self->state != STATE_HELLO)
    return;
  self->state = STATE_READY;
  g_free (self->resume);
  self->resume = g_strdup (lm_message_get_string (msg, "resume"));
  self->grace_s = lm_message_get_int (msg, "grace_s", 0);
  if (reconnect) {
    handle_welcome_resumed (self, msg);
    return;
  }
  self->peer = g_strdup (lm_message_get_string (msg, "peer"));
  if (!lm_role_from_string (role, &self->role) ||
      (self->role != LM_ROLE_CLINIC && self->role != LM_ROLE_DOCTOR)) {
    fail (self, LMC_ERROR_BAD_ARGS, "the token is for a %s account, not a clinic or a doctor",
          role ? role : "unknown");
    return;
  }
  g_free (self->report.role);
  self->report.role = g_strdup (role);
  if (!load_ice_servers (self, msg))
    return;
  lmc_ui_status (self->ui, NULL, "connected as %s", role);
  self->welcomed = TRUE;
  if (self->media_ready)
    go_live (self);
}

/* Asks for a consultation (clinic) or goes available (doctor): only once
 * the media engine is ready, so that no consultation waits for it. */
static void
go_live (LmcSession *self)
{
  if (self->role == LM_ROLE_CLINIC) {
    if (self->options->patient_ref == NULL) {
      fail (self, LMC_ERROR_BAD_ARGS, "--patient-ref is required for a clinic account");
      return;
    }
    send_consult_request (self);
  } else {
    JsonObject *message = new_request ("presence", "presence");

    json_object_set_string_member (message, "status", "available");
    send_request (self, message);
    if (!self->options->accept_first)
      lmc_ui_watch_input (self->ui, on_input_line, self);
  }
}

/* The member media is negotiated with: the relay, or the other member. */
static const char *
media_peer (LmcSession *self, JsonObject *media, JsonArray *peers, gboolean relay)
{
  if (relay)
    return json_object_get_string_member_with_default (media, "relay", NULL);
  for (guint i = 0; peers && i < json_array_get_length (peers); i++) {
    JsonNode *node = json_array_get_element (peers, i);
    const char *peer;

    if (!JSON_NODE_HOLDS_OBJECT (node))
      continue;
    peer = json_object_get_string_member_with_default (json_node_get_object (node), "peer", NULL);
    if (peer && g_strcmp0 (peer, self->peer) != 0)
      return peer;
  }
  return NULL;
}

static void
handle_consult_start (LmcSession *self, const LmMessage *msg)
{
  g_autoptr (GError) error = NULL;
  JsonObject *media = lm_message_get_object (msg, "media");
  JsonArray *peers = json_object_get_array_member (msg->body, "peers");
  const char *id = lm_message_get_string (msg, "consultation");
  const char *mode = json_object_get_string_member_with_default (media, "mode", "");
  gboolean relay = g_str_equal (mode, "relay");
  LmcConsultationSetup setup = {
    .options = self->options,
    .ui = self->ui,
    .id = id,
    .self_peer = self->peer,
    .role = lm_role_to_string (self->role),
    .peers = peers,
    .relay = relay,
    .remote_peer = media_peer (self, media, peers, relay),
    .offerer = !relay && json_object_get_boolean_member_with_default (media, "offer", FALSE),
    .stun_servers = self->stun_servers,
    .turn_servers = self->turn_servers,
    .start_us = g_get_monotonic_time (),
    .send = on_consultation_send,
    .done = on_consultation_done,
    .user_data = self,
  };

  if (self->consultation) {
    if (g_strcmp0 (lmc_consultation_get_id (self->consultation), id) != 0)
      GST_WARNING ("[%s] consult.start while in another consultation: ignored", id);
    return;   /* a resumed session's repeat */
  }
  self->accepting = FALSE;
  g_clear_pointer (&self->invitation, g_free);
  lmc_ui_stop_input (self->ui);
  if (!relay && !g_str_equal (mode, "direct")) {
    fail (self, LMC_ERROR_PROTOCOL, "media mode \"%s\" is not supported by this client", mode);
    return;
  }
  if (setup.remote_peer == NULL || g_strcmp0 (setup.remote_peer, self->peer) == 0) {
    fail (self, LMC_ERROR_PROTOCOL, "consult.start names no %s", relay ? "relay" : "other member");
    return;
  }
  lmc_ui_status (self->ui, id, "consultation started (%s)",
                 relay ? "through a relay" : setup.offerer ? "offering" : "answering");
  self->consultation = lmc_consultation_new (&setup, &error);
  if (self->consultation == NULL)
    fail (self, LMC_ERROR_MEDIA, "cannot start media: %s", error->message);
}

/* sdp and ice must come from the other member of our consultation. */
static LmcConsultation *
check_sender (LmcSession *self, const LmMessage *msg)
{
  const char *id = lm_message_get_string (msg, "consultation");
  const char *from = lm_message_get_string (msg, "from");

  if (self->consultation == NULL || g_strcmp0 (lmc_consultation_get_id (self->consultation), id) != 0 ||
      g_strcmp0 (lmc_consultation_get_remote_peer (self->consultation), from) != 0) {
    GST_WARNING ("[%s] %s from an unexpected sender or consultation: ignored",
                 id ? id : "?", msg->type);
    return NULL;
  }
  return self->consultation;
}

static void
handle_sdp (LmcSession *self, const LmMessage *msg)
{
  LmcConsultation *consultation = check_sender (self, msg);
  JsonNode *streams = json_object_get_member (msg->body, "streams");

  if (consultation)
    lmc_consultation_handle_sdp (consultation, lm_message_get_object (msg, "sdp"),
                                 streams && JSON_NODE_HOLDS_ARRAY (streams)
                                 ? json_node_get_array (streams) : NULL);
}

static void
handle_ice (LmcSession *self, const LmMessage *msg)
{
  LmcConsultation *consultation = check_sender (self, msg);

  if (consultation)
    lmc_consultation_handle_ice (consultation, lm_message_get_object (msg, "candidate"));
}

static void
handle_consult_ended (LmcSession *self, const LmMessage *msg)
{
  const char *id = lm_message_get_string (msg, "consultation");
  const char *reason = lm_message_get_string (msg, "reason");

  if (self->consultation && g_strcmp0 (lmc_consultation_get_id (self->consultation), id) == 0) {
    lmc_consultation_handle_ended (self->consultation, reason);
  } else if (self->waiting_id && g_strcmp0 (self->waiting_id, id) == 0) {
    g_free (self->report.end_reason);
    self->report.end_reason = g_strdup (reason);
    g_free (self->report.consultation);
    self->report.consultation = g_strdup (id);
    lmc_ui_status (self->ui, id, "request ended: %s", reason);
    if (self->cancelling)
      finish (self, NULL);
    else
      fail (self, LMC_ERROR_FAILED, "the request ended before a doctor took it: %s", reason);
  }
}

/* The consultation a server event is about, if it is ours. */
static LmcConsultation *
our_consultation (LmcSession *self, const LmMessage *msg)
{
  const char *id = lm_message_get_string (msg, "consultation");

  if (self->consultation && g_strcmp0 (lmc_consultation_get_id (self->consultation), id) == 0)
    return self->consultation;
  return NULL;
}

static void
handle_peer_joined (LmcSession *self, const LmMessage *msg)
{
  LmcConsultation *consultation = our_consultation (self, msg);

  if (consultation)
    lmc_consultation_peer_joined (consultation, lm_message_get_object (msg, "peer"));
}

static void
handle_peer_left (LmcSession *self, const LmMessage *msg)
{
  LmcConsultation *consultation = our_consultation (self, msg);

  if (consultation)
    lmc_consultation_peer_left (consultation, lm_message_get_string (msg, "peer"));
}

static void
handle_peer_away (LmcSession *self, const LmMessage *msg)
{
  lmc_ui_status (self->ui, lm_message_get_string (msg, "consultation"),
                 "the other side lost its connection; waiting up to %" G_GINT64_FORMAT " s",
                 lm_message_get_int (msg, "grace_s", 0));
}

static void
handle_peer_back (LmcSession *self, const LmMessage *msg)
{
  lmc_ui_status (self->ui, lm_message_get_string (msg, "consultation"), "the other side is back");
}

static void
handle_error (LmcSession *self, const LmMessage *msg)
{
  const char *code = lm_message_get_string (msg, "code");
  const char *id = msg->id && JSON_NODE_HOLDS_VALUE (msg->id) &&
                   json_node_get_value_type (msg->id) == G_TYPE_STRING
                   ? json_node_get_string (msg->id) : "";
  g_autofree char *text = lmc_ui_sanitize (lm_message_get_string (msg, "message"), 200);

  if (g_strcmp0 (code, "unauthorized") == 0) {
    fail (self, LMC_ERROR_UNAUTHORIZED, "the server refused the token: %s", text);
  } else if (g_str_equal (id, "request") || g_str_equal (id, "presence")) {
    fail (self, LMC_ERROR_PROTOCOL, "the server refused the request (%s): %s", code, text);
  } else if (g_str_equal (id, "accept")) {
    self->accepting = FALSE;
    lmc_ui_warning (self->ui, NULL, "could not accept (%s): %s", code, text);
    if (self->queue && !self->consultation)
      lmc_ui_show_queue (self->ui, self->queue, !self->options->accept_first);
  } else if (g_str_equal (id, "invite")) {
    lmc_ui_warning (self->ui, NULL, "the invitation was refused (%s): %s", code, text);
  } else if (g_str_equal (id, "record")) {
    lmc_ui_warning (self->ui, NULL, "the recording consent was refused (%s): %s", code, text);
  } else {
    lmc_ui_warning (self->ui, NULL, "server error %s: %s", code, text);
  }
}

static void
handle_ack (LmcSession *self, const LmMessage *msg)
{
  const char *id = msg->id && JSON_NODE_HOLDS_VALUE (msg->id) &&
                   json_node_get_value_type (msg->id) == G_TYPE_STRING
                   ? json_node_get_string (msg->id) : "";
  const char *consultation = self->consultation ? lmc_consultation_get_id (self->consultation) : NULL;

  if (g_str_equal (id, "invite"))
    lmc_ui_status (self->ui, consultation, "the invitation was delivered");
  else if (g_str_equal (id, "record"))
    lmc_ui_status (self->ui, consultation, "the server logged the consent to record");
}

static void
handle_ignored (LmcSession *self, const LmMessage *msg)
{
}

static const struct {
  const char *type;
  Handler handler;
} handlers[] = {
  { "welcome", handle_welcome },
  { "error", handle_error },
  { "consult.queued", handle_consult_queued },
  { "queue.position", handle_queue_position },
  { "queue", handle_queue },
  { "consult.start", handle_consult_start },
  { "sdp", handle_sdp },
  { "ice", handle_ice },
  { "consult.ended", handle_consult_ended },
  { "peer.away", handle_peer_away },
  { "peer.back", handle_peer_back },
  { "peer.joined", handle_peer_joined },
  { "peer.left", handle_peer_left },
  { "consult.invited", handle_consult_invited },
  { "ack", handle_ack },
  { "pong", handle_ignored },
};

static void
dispatch (LmcSession *self, const LmMessage *msg)
{
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++) {
    if (g_str_equal (handlers[i].type, msg->type)) {
      handlers[i].handler (self, msg);
      return;
    }
  }
  GST_WARNING ("ignoring a '%s' message", msg->type);
}

/* ---- The WebSocket ---- */

static void
on_ws_message (SoupWebsocketConnection *ws, gint type, GBytes *bytes, gpointer user_data)
{
  LmcSession *self = user_data;
  g_autoptr (LmMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (self->state == STATE_CLOSING || self->state == STATE_DONE)
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
  LmcSession *self = user_data;

  self->reconnect_timer = 0;
  connect_websocket (self);
  return G_SOURCE_REMOVE;
}

/* A lost socket during a consultation: media goes on peer to peer, so
 * come back with hello.resume while the server keeps the session. */
static gboolean
try_reconnect (LmcSession *self)
{
  gint64 now = g_get_monotonic_time ();

  if (self->consultation == NULL || lmc_consultation_is_done (self->consultation) ||
      self->resume == NULL || self->state == STATE_CLOSING || self->state == STATE_DONE)
    return FALSE;
  if (self->reconnect_deadline_us == 0)
    self->reconnect_deadline_us = now + MIN (self->grace_s, MAX_RESUME_S) * G_USEC_PER_SEC;
  if (now >= self->reconnect_deadline_us)
    return FALSE;
  self->state = STATE_CONNECTING;
  self->reconnect_timer = g_timeout_add (RECONNECT_DELAY_MS, on_reconnect_timer, self);
  return TRUE;
}

static void
on_ws_closed (SoupWebsocketConnection *ws, gpointer user_data)
{
  LmcSession *self = user_data;
  gushort code = soup_websocket_connection_get_close_code (ws);
  const char *data = soup_websocket_connection_get_close_data (ws);

  GST_INFO ("WebSocket closed: %u %s", code, data ? data : "");
  if (self->state == STATE_CLOSING || self->state == STATE_DONE) {
    complete (self);
    return;
  }
  if (code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION && g_strcmp0 (data, "unauthorized") == 0) {
    fail (self, LMC_ERROR_UNAUTHORIZED, "the server refused the token");
    return;
  }
  lmc_ui_warning (self->ui, NULL, "lost the connection to the server (%u)", code);
  if (try_reconnect (self))
    return;
  if (self->consultation && !lmc_consultation_is_done (self->consultation))
    lmc_consultation_handle_ended (self->consultation, "disconnected");
  else
    fail (self, LMC_ERROR_UNREACHABLE, "lost the connection to the server (close code %u)", code);
}

static void
send_hello (LmcSession *self)
{
  JsonObject *message = new_request ("hello", "hello");

  json_object_set_string_member (message, "token", self->options->token);
  if (self->resume)
    json_object_set_string_member (message, "resume", self->resume);
  self->state = STATE_HELLO;
  send_request (self, message);
}

static gboolean
on_accept_certificate (SoupMessage *msg, GTlsCertificate *certificate,
                       GTlsCertificateFlags errors, gpointer user_data)
{
  LmcSession *self = user_data;

  self->tls_errors = errors;
  return FALSE;
}

static void
report_connect_error (LmcSession *self, const GError *error)
{
  const char *url = self->options->http_url;

  if (self->tls_errors) {
    g_autofree char *why = lmc_tls_describe_flags (self->tls_errors);

    fail (self, LMC_ERROR_TLS, "refused the server's TLS certificate at %s: %s", url, why);
  } else if (error->domain == G_TLS_ERROR) {
    fail (self, LMC_ERROR_TLS, "TLS with %s failed: %s", url, error->message);
  } else if (error->domain == SOUP_WEBSOCKET_ERROR) {
    fail (self, LMC_ERROR_UNREACHABLE, "%s is not a lastmile WebSocket endpoint (HTTP %u): %s", url,
          soup_message_get_status (self->connect_msg), error->message);
  } else {
    fail (self, LMC_ERROR_UNREACHABLE, "cannot reach %s: %s", url, error->message);
  }
}

static void
on_ws_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LmcSession *self = user_data;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* finishing: self may be gone */
  g_clear_object (&self->connect_msg);
  if (ws == NULL) {
    if (try_reconnect (self))
      return;
    if (self->consultation && !lmc_consultation_is_done (self->consultation))
      lmc_consultation_handle_ended (self->consultation, "disconnected");
    else
      report_connect_error (self, error);
    return;
  }
  if (self->ws) {
    g_signal_handlers_disconnect_by_data (self->ws, self);
    g_object_unref (self->ws);
  }
  self->ws = ws;
  self->reconnect_deadline_us = 0;
  soup_websocket_connection_set_max_incoming_payload_size (ws, MAX_FRAME_BYTES);
  soup_websocket_connection_set_keepalive_interval (ws, KEEPALIVE_S);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);
  send_hello (self);
}

static void
connect_websocket (LmcSession *self)
{
  self->state = STATE_CONNECTING;
  self->tls_errors = 0;
  g_clear_object (&self->connect_msg);
  self->connect_msg = soup_message_new ("GET", self->options->http_url);
  if (self->connect_msg == NULL) {
    fail (self, LMC_ERROR_BAD_ARGS, "--server: cannot use %s", self->options->http_url);
    return;
  }
  g_signal_connect (self->connect_msg, "accept-certificate",
                    G_CALLBACK (on_accept_certificate), self);
  soup_session_websocket_connect_async (self->soup, self->connect_msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, self->cancellable,
                                        on_ws_connected, self);
}

/* ---- Public ---- */

LmcSession *
lmc_session_new (const LmcOptions   *options,
                 LmcUi              *ui,
                 LmcSessionDoneFunc  done,
                 gpointer            user_data)
{
  LmcSession *self = g_new0 (LmcSession, 1);
  static gsize debug_once = 0;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (lmc_session_debug, "lmc-session", 0, "lastmile client signaling");
    g_once_init_leave (&debug_once, 1);
  }
  self->options = options;
  self->ui = ui;
  self->done = done;
  self->user_data = user_data;
  self->cancellable = g_cancellable_new ();
  lmc_report_init (&self->report);
  return self;
}

void
lmc_session_start (LmcSession *self)
{
  g_autoptr (GError) error = NULL;

  self->soup = soup_session_new_with_options ("timeout", IO_TIMEOUT_S,
                                              "user-agent", "lastmile-client/" "0.1", NULL);
  if (self->options->ca_file) {
    g_autoptr (GTlsDatabase) db = lmc_tls_database_new (self->options->ca_file, &error);

    if (db == NULL) {
      finish (self, g_steal_pointer (&error));
      return;
    }
    soup_session_set_tls_database (self->soup, db);
  }
  connect_websocket (self);
}

void
lmc_session_set_media_ready (LmcSession *self)
{
  if (self->media_ready)
    return;
  self->media_ready = TRUE;
  if (self->welcomed && self->state == STATE_READY)
    go_live (self);
}

void
lmc_session_hangup (LmcSession *self)
{
  if (self->state == STATE_CLOSING) {
    complete (self);   /* a second Ctrl-C: stop waiting */
    return;
  }
  if (self->state == STATE_DONE)
    return;
  if (self->hung_up && !self->cancelling && self->consultation == NULL && self->waiting_id == NULL) {
    finish (self, NULL);
    return;
  }
  self->hung_up = TRUE;
  if (self->consultation && !lmc_consultation_is_done (self->consultation)) {
    lmc_consultation_hangup (self->consultation, "completed");
  } else if (self->waiting_id && !self->cancelling) {
    JsonObject *message = new_request ("consult.cancel", "cancel");

    json_object_set_string_member (message, "consultation", self->waiting_id);
    self->cancelling = TRUE;
    lmc_ui_status (self->ui, self->waiting_id, "withdrawing the request");
    send_request (self, message);
    self->close_timer = g_timeout_add (CANCEL_TIMEOUT_MS, on_close_timeout, self);
  } else if (self->role == LM_ROLE_CLINIC && self->state == STATE_READY && self->waiting_id == NULL) {
    /* The request is on its way: cancel it once consult.queued names it. */
  } else {
    finish (self, NULL);
  }
}

gboolean
lmc_session_write_report (LmcSession *self, GError **error)
{
  if (self->options->report == NULL)
    return TRUE;
  if (self->consultation)
    lmc_consultation_fill_report (self->consultation, &self->report);
  if (self->report.end_reason == NULL && self->error)
    self->report.end_reason = g_strdup ("client_error");
  return lmc_report_write (&self->report, self->options->report, error);
}

void
lmc_session_free (LmcSession *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->close_timer, g_source_remove);
  g_clear_handle_id (&self->reconnect_timer, g_source_remove);
  g_clear_pointer (&self->consultation, lmc_consultation_free);
  if (self->ws) {
    g_signal_handlers_disconnect_by_data (self->ws, self);
    g_clear_object (&self->ws);
  }
  g_clear_object (&self->connect_msg);
  g_clear_object (&self->soup);
  g_clear_object (&self->cancellable);
  g_free (self->peer);
  g_free (self->resume);
  g_strfreev (self->stun_servers);
  g_strfreev (self->turn_servers);
  g_free (self->waiting_id);
  g_free (self->invitation);
  g_clear_pointer (&self->queue, json_array_unref);
  lmc_report_clear (&self->report);
  g_clear_error (&self->error);
  g_free (self);
}

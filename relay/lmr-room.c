/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-room.h"

#include <gst/gst.h>
#include <string.h>

#include "lm-protocol.h"
#include "lmr-error.h"
#include "lmr-leg.h"
#include "lmr-rewrite.h"
#include "lmr-recorder.h"

GST_DEBUG_CATEGORY_STATIC (lmr_room_debug);
#define GST_CAT_DEFAULT lmr_room_debug

#define MAX_PEER_BYTES 128

typedef struct {
  LmrRoom *room;
  char *peer;
  char *role;
  char *name;
  char *log_id;
  LmrLeg *leg;
  GPtrArray *section_peers;  /* whose media each section carries; NULL once stopped */
  GArray *section_kinds;     /* LmrKind of each section */
  GStrv mids;                /* of the last offer */
  LmrLegStats last_stats;
  gboolean have_stats;
  gboolean renegotiate;
  guint32 ssrcs[LMR_N_KINDS]; /* under which its media are forwarded */
  LmrRecorder *recorder;     /* owned by room->recorders */
} Member;

/* One kind of one member's media going to another member. */
typedef struct {
  Member *from;
  Member *to;
  LmrKind kind;
  GstPad *sink;              /* the section's sink pad on to's leg */
  guint section;
  guint pt;                  /* the section's payload type */
  GstPad *tee_pad;           /* on from's tee, once linked */
} Route;

struct _LmrRoom {
  char *id;
  LmrMediaConfig media;
  char *record_dir;
  guint stats_interval_s;
  guint max_participants;
  LmrRoomSendFunc send;
  LmrRoomClosedFunc closed_func;
  gpointer user_data;

  GstElement *pipeline;
  guint bus_watch;
  guint stats_timer;
  guint close_idle;
  GPtrArray *members;        /* Member */
  GPtrArray *routes;         /* Route */
  GPtrArray *recorders;      /* LmrRecorder, recording or finishing */
  gboolean recording;
  gboolean closing;
  gboolean closed;
};

static void finish_close (LmrRoom *self);

/* ---- Members and routes ---- */

static void
member_free (Member *member)
{
  if (member->leg) {
    lmr_leg_close (member->leg);
    g_object_unref (member->leg);
  }
  g_ptr_array_unref (member->section_peers);
  g_array_unref (member->section_kinds);
  g_strfreev (member->mids);
  g_free (member->peer);
  g_free (member->role);
  g_free (member->name);
  g_free (member->log_id);
  g_free (member);
}

static Member *
find_member (LmrRoom *self, const char *peer)
{
  for (guint i = 0; peer && i < self->members->len; i++) {
    Member *member = self->members->pdata[i];

    if (g_str_equal (member->peer, peer))
      return member;
  }
  return NULL;
}

static void
unlink_route (Route *route)
{
  GstElement *tee;

  if (route->tee_pad == NULL)
    return;
  tee = lmr_leg_get_tee (route->from->leg, route->kind);
  gst_pad_unlink (route->tee_pad, route->sink);
  gst_element_release_request_pad (tee, route->tee_pad);
  g_clear_object (&route->tee_pad);
}

static void
route_free (gpointer data)
{
  Route *route = data;

  unlink_route (route);
  g_free (route);
}

static void
link_route (LmrRoom *self, Route *route)
{
  GstElement *tee = lmr_leg_get_tee (route->from->leg, route->kind);

  route->tee_pad = gst_element_request_pad_simple (tee, "src_%u");
  if (route->tee_pad)
    lmr_rewrite_attach (route->tee_pad, route->pt, route->from->ssrcs[route->kind]);
  if (route->tee_pad == NULL || gst_pad_link (route->tee_pad, route->sink) != GST_PAD_LINK_OK) {
    GST_WARNING ("[%s] cannot forward %s's %s to %s", self->id, route->from->name,
                 lmr_kind_to_string (route->kind), route->to->name);
    if (route->tee_pad)
      gst_element_release_request_pad (tee, route->tee_pad);
    g_clear_object (&route->tee_pad);
    return;
  }
  GST_INFO ("[%s] forwarding %s's %s to %s", self->id, route->from->name,
            lmr_kind_to_string (route->kind), route->to->name);
  if (route->kind == LMR_KIND_VIDEO && lmr_leg_is_connected (route->to->leg))
    lmr_leg_request_keyframe (route->from->leg);
}

static gboolean
add_route (LmrRoom *self, Member *from, Member *to, LmrKind kind, GError **error)
{
  guint pt = 0;
  GstPad *sink = lmr_leg_add_send_slot (to->leg, kind, from->ssrcs[kind], &pt, error);
  Route *route;

  if (sink == NULL)
    return FALSE;
  route = g_new0 (Route, 1);
  route->pt = pt;
  route->from = from;
  route->to = to;
  route->kind = kind;
  route->sink = sink;
  route->section = lmr_leg_get_n_slots (to->leg) - 1;
  g_ptr_array_add (to->section_peers, g_strdup (from->peer));
  g_array_append_val (to->section_kinds, kind);
  g_ptr_array_add (self->routes, route);
  to->renegotiate = TRUE;
  return TRUE;
}

/* ---- Messages to the server ---- */

static JsonObject *
new_message (LmrRoom *self, const char *type)
{
  JsonObject *message = lm_message_new (type, NULL);

  json_object_set_string_member (message, "consultation", self->id);
  return message;
}

static void
send_and_unref (LmrRoom *self, JsonObject *message)
{
  self->send (message, self->user_data);
  json_object_unref (message);
}

static JsonArray *
streams_json (Member *member, const char *const *mids)
{
  JsonArray *streams = json_array_new ();

  for (guint i = 0; i < member->section_peers->len && mids && mids[i]; i++) {
    const char *peer = member->section_peers->pdata[i];
    JsonObject *stream;

    if (peer == NULL)
      continue;
    stream = json_object_new ();
    json_object_set_string_member (stream, "mid", mids[i]);
    json_object_set_string_member (stream, "kind",
                                   lmr_kind_to_string (g_array_index (member->section_kinds, LmrKind, i)));
    json_object_set_string_member (stream, "peer", peer);
    json_array_add_object_element (streams, stream);
  }
  return streams;
}

static void
send_offer (LmrRoom *self, Member *member, const LmrLegEvent *event)
{
  JsonObject *message = new_message (self, "sdp");
  JsonObject *sdp = json_object_new ();

  g_strfreev (member->mids);
  member->mids = g_strdupv ((GStrv) event->mids);
  json_object_set_string_member (message, "to", member->peer);
  json_object_set_string_member (sdp, "type", "offer");
  json_object_set_string_member (sdp, "sdp", event->text);
  json_object_set_object_member (message, "sdp", sdp);
  json_object_set_array_member (message, "streams", streams_json (member, event->mids));
  GST_INFO ("[%s] offer to %s: %u sections", self->id, member->name, g_strv_length (member->mids));
  send_and_unref (self, message);
}

static void
send_candidate (LmrRoom *self, Member *member, const LmrLegEvent *event)
{
  JsonObject *message = new_message (self, "ice");
  JsonObject *candidate = json_object_new ();

  json_object_set_string_member (message, "to", member->peer);
  json_object_set_string_member (candidate, "candidate", event->text);
  json_object_set_int_member (candidate, "sdpMLineIndex", event->mline);
  if (member->mids && event->mline < g_strv_length (member->mids))
    json_object_set_string_member (candidate, "sdpMid", member->mids[event->mline]);
  json_object_set_object_member (message, "candidate", candidate);
  send_and_unref (self, message);
}

static void
send_stats (LmrRoom *self, Member *member, const LmrLegStats *now)
{
  JsonObject *message = new_message (self, "stats");
  LmrLegRates rates = { 0 };

  if (member->have_stats)
    lmr_stats_rates (&member->last_stats, now, &rates);
  json_object_set_string_member (message, "leg", member->peer);
  if (now->rtt_ms >= 0)
    json_object_set_double_member (message, "rtt_ms", now->rtt_ms);
  json_object_set_double_member (message, "loss_pct", rates.loss_pct);
  json_object_set_double_member (message, "bitrate_kbps", rates.kbps_received);
  json_object_set_int_member (message, "bytes_sent", (gint64) now->bytes_sent);
  json_object_set_int_member (message, "bytes_received", (gint64) now->bytes_received);
  json_object_set_int_member (message, "packets_sent", (gint64) now->packets_sent);
  json_object_set_int_member (message, "packets_received", (gint64) now->packets_received);
  if (now->local_candidate_type)
    json_object_set_string_member (message, "local_candidate_type", now->local_candidate_type);
  if (now->remote_candidate_type)
    json_object_set_string_member (message, "remote_candidate_type", now->remote_candidate_type);
  send_and_unref (self, message);

  GST_INFO ("[%s] leg %s: rtt %.1f ms, loss %.2f%%, in %.0f kbit/s, out %.0f kbit/s, "
            "%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " packets in/out, %s/%s",
            self->id, member->name, MAX (now->rtt_ms, 0), rates.loss_pct, rates.kbps_received,
            rates.kbps_sent, now->packets_received, now->packets_sent,
            now->local_candidate_type ? now->local_candidate_type : "?",
            now->remote_candidate_type ? now->remote_candidate_type : "?");
  member->last_stats = *now;
  member->have_stats = TRUE;
}

/* ---- Recording ---- */

static void
on_recorder_done (LmrRecorder  *recorder,
                  const char   *path,
                  guint64       bytes,
                  double        duration_s,
                  const GError *error,
                  gpointer      user_data)
{
  LmrRoom *self = user_data;

  for (guint i = 0; i < self->members->len; i++) {
    Member *member = self->members->pdata[i];

    if (member->recorder == recorder)
      member->recorder = NULL;
  }
  if (error)
    GST_WARNING ("[%s] recording %s: %s", self->id, path ? path : "?", error->message);
  if (path) {
    JsonObject *message = new_message (self, "relay.recording");

    json_object_set_string_member (message, "path", path);
    json_object_set_int_member (message, "bytes", (gint64) bytes);
    json_object_set_double_member (message, "duration_s", duration_s);
    send_and_unref (self, message);
  }
  g_ptr_array_remove (self->recorders, recorder);
  if (self->closing && self->recorders->len == 0)
    finish_close (self);
}

static char *
recording_stem (LmrRoom *self, Member *member)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");

  return g_strdup_printf ("%s-%s-%s", self->id, member->name, stamp);
}

/* Starts the member's file once every stream its answer announced flows. */
static void
maybe_record (LmrRoom *self, Member *member)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *path = NULL;
  gboolean has[LMR_N_KINDS];
  LmrRecorder *recorder;

  if (!self->recording || self->closing || member->recorder || !self->record_dir)
    return;
  for (guint k = 0; k < LMR_N_KINDS; k++) {
    has[k] = lmr_leg_has_source (member->leg, k);
    if (lmr_leg_expects_source (member->leg, k) && !has[k])
      return;
  }
  if (!has[LMR_KIND_VIDEO] && !has[LMR_KIND_AUDIO])
    return;
  stem = recording_stem (self, member);
  path = lmr_recorder_create_file (self->record_dir, stem, &error);
  if (path)
    recorder = lmr_recorder_new (GST_BIN (self->pipeline), path, member->log_id,
                                 has[LMR_KIND_VIDEO] ? lmr_leg_get_tee (member->leg, LMR_KIND_VIDEO) : NULL,
                                 has[LMR_KIND_AUDIO] ? lmr_leg_get_tee (member->leg, LMR_KIND_AUDIO) : NULL,
                                 on_recorder_done, self, &error);
  if (path == NULL || recorder == NULL) {
    GST_ERROR ("[%s] cannot record %s: %s", self->id, member->name, error->message);
    return;
  }
  member->recorder = recorder;
  g_ptr_array_add (self->recorders, recorder);
}

static void
stop_recorder (Member *member)
{
  LmrRecorder *recorder = member->recorder;

  if (recorder == NULL)
    return;
  member->recorder = NULL;
  lmr_recorder_stop (recorder);
}

/* ---- Leg events ---- */

static void
link_negotiated_routes (LmrRoom *self, Member *member, guint n_sections)
{
  for (guint i = 0; i < self->routes->len; i++) {
    Route *route = self->routes->pdata[i];

    if (route->to == member && route->tee_pad == NULL && route->section < n_sections)
      link_route (self, route);
  }
}

/* A receiver that just connected needs a keyframe of everything it gets. */
static void
request_keyframes_for (LmrRoom *self, Member *member)
{
  for (guint i = 0; i < self->routes->len; i++) {
    Route *route = self->routes->pdata[i];

    if (route->to == member && route->kind == LMR_KIND_VIDEO && route->tee_pad)
      lmr_leg_request_keyframe (route->from->leg);
  }
}

static void
on_leg_event (LmrLeg *leg, const LmrLegEvent *event, gpointer user_data)
{
  Member *member = user_data;
  LmrRoom *self = member->room;

  switch (event->kind) {
    case LMR_LEG_EVENT_OFFER:
      send_offer (self, member, event);
      break;
    case LMR_LEG_EVENT_CANDIDATE:
      send_candidate (self, member, event);
      break;
    case LMR_LEG_EVENT_NEGOTIATED:
      link_negotiated_routes (self, member, event->mline);
      maybe_record (self, member);
      break;
    case LMR_LEG_EVENT_CONNECTED:
      GST_INFO ("[%s] %s connected", self->id, member->name);
      request_keyframes_for (self, member);
      break;
    case LMR_LEG_EVENT_SOURCE:
      GST_INFO ("[%s] %s's %s flows", self->id, member->name, lmr_kind_to_string (event->media));
      maybe_record (self, member);
      break;
    case LMR_LEG_EVENT_STATS:
      send_stats (self, member, event->stats);
      break;
    case LMR_LEG_EVENT_FAILED:
      GST_WARNING ("[%s] leg of %s: %s", self->id, member->name, event->error->message);
      break;
  }
}

/* ---- Joining and leaving ---- */

/* A random SSRC that no other forwarded stream of the room uses. */
static guint32
new_ssrc (LmrRoom *self)
{
  for (;;) {
    guint32 ssrc = g_random_int ();
    gboolean taken = ssrc == 0;

    for (guint i = 0; i < self->members->len && !taken; i++)
      for (guint k = 0; k < LMR_N_KINDS; k++)
        taken = taken || ((Member *) self->members->pdata[i])->ssrcs[k] == ssrc;
    if (!taken)
      return ssrc;
  }
}

static gboolean
check_peer (JsonNode *node, const char **peer, GError **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

  *peer = object ? json_object_get_string_member_with_default (object, "peer", NULL) : NULL;
  if (*peer == NULL || (*peer)[0] == '\0' || strlen (*peer) > MAX_PEER_BYTES) {
    g_set_error_literal (error, LMR_ERROR, LMR_ERROR_PEER, "a member without a valid \"peer\"");
    return FALSE;
  }
  return TRUE;
}

static Member *
add_member (LmrRoom *self, JsonObject *object, GError **error)
{
  Member *member = g_new0 (Member, 1);
  const char *name = json_object_get_string_member_with_default (object, "name", "");

  member->room = self;
  member->peer = g_strdup (json_object_get_string_member (object, "peer"));
  member->role = g_strdup (json_object_get_string_member_with_default (object, "role", ""));
  member->name = g_strdup (name[0] ? name : member->peer);
  member->log_id = g_strdup_printf ("%s/%s", self->id, member->name);
  member->section_peers = g_ptr_array_new_with_free_func (g_free);
  member->section_kinds = g_array_new (FALSE, FALSE, sizeof (LmrKind));
  for (guint k = 0; k < LMR_N_KINDS; k++)
    member->ssrcs[k] = new_ssrc (self);
  /* Sections 0 and 1 receive the member's own video and audio. */
  for (LmrKind k = 0; k < LMR_N_KINDS; k++) {
    g_ptr_array_add (member->section_peers, g_strdup (member->peer));
    g_array_append_val (member->section_kinds, k);
  }
  member->leg = lmr_leg_new (GST_BIN (self->pipeline), &self->media, member->log_id,
                             on_leg_event, member, error);
  if (member->leg == NULL) {
    member_free (member);
    return NULL;
  }
  member->renegotiate = TRUE;
  g_ptr_array_add (self->members, member);
  GST_INFO ("[%s] %s (%s) joined: %u participants", self->id, member->name, member->role,
            self->members->len);
  return member;
}

static gboolean
connect_member (LmrRoom *self, Member *newcomer, GError **error)
{
  for (guint i = 0; i < self->members->len; i++) {
    Member *other = self->members->pdata[i];

    if (other == newcomer)
      continue;
    for (guint k = 0; k < LMR_N_KINDS; k++)
      if (!add_route (self, other, newcomer, k, error) ||
          !add_route (self, newcomer, other, k, error))
        return FALSE;
  }
  return TRUE;
}

static void
negotiate_changed (LmrRoom *self)
{
  for (guint i = 0; i < self->members->len; i++) {
    Member *member = self->members->pdata[i];

    if (member->renegotiate) {
      member->renegotiate = FALSE;
      lmr_leg_negotiate (member->leg);
    }
  }
}

static void remove_member (LmrRoom *self, Member *member);

gboolean
lmr_room_add_members (LmrRoom    *self,
                      JsonArray  *peers,
                      GError    **error)
{
  guint n = json_array_get_length (peers);
  g_autoptr (GPtrArray) added = g_ptr_array_new ();
  const char *peer;

  if (self->closing) {
    g_set_error_literal (error, LMR_ERROR, LMR_ERROR_FAILED, "the consultation is closing");
    return FALSE;
  }
  if (self->members->len + n > self->max_participants) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_FULL,
                 "%u participants would be more than this relay's %u", self->members->len + n,
                 self->max_participants);
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    if (!check_peer (json_array_get_element (peers, i), &peer, error))
      return FALSE;
    if (find_member (self, peer)) {
      g_set_error (error, LMR_ERROR, LMR_ERROR_PEER, "%s is already a member", peer);
      return FALSE;
    }
    for (guint j = 0; j < i; j++)
      if (g_str_equal (peer, json_object_get_string_member (json_array_get_object_element (peers, j), "peer"))) {
        g_set_error (error, LMR_ERROR, LMR_ERROR_PEER, "%s is listed twice", peer);
        return FALSE;
      }
  }
  for (guint i = 0; i < n; i++) {
    Member *member = add_member (self, json_array_get_object_element (peers, i), error);

    if (member == NULL || !connect_member (self, member, error)) {
      for (guint j = 0; j < added->len; j++)
        remove_member (self, added->pdata[j]);
      if (member)
        remove_member (self, member);
      return FALSE;
    }
    g_ptr_array_add (added, member);
  }
  negotiate_changed (self);
  return TRUE;
}

static void
remove_member (LmrRoom *self, Member *member)
{
  stop_recorder (member);
  for (guint i = self->routes->len; i > 0; i--) {
    Route *route = self->routes->pdata[i - 1];

    if (route->from == member) {
      unlink_route (route);
      lmr_leg_stop_send_slot (route->to->leg, route->sink);
      g_clear_pointer (&route->to->section_peers->pdata[route->section], g_free);
      route->to->renegotiate = TRUE;
      g_ptr_array_remove_index (self->routes, i - 1);
    } else if (route->to == member) {
      g_ptr_array_remove_index (self->routes, i - 1);
    }
  }
  GST_INFO ("[%s] %s left", self->id, member->name);
  g_ptr_array_remove (self->members, member);
}

gboolean
lmr_room_remove_member (LmrRoom     *self,
                        const char  *peer,
                        GError     **error)
{
  Member *member = find_member (self, peer);

  if (member == NULL) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_PEER, "%s is not a member", peer ? peer : "?");
    return FALSE;
  }
  remove_member (self, member);
  if (!self->closing)
    negotiate_changed (self);
  return TRUE;
}

/* ---- From the members ---- */

gboolean
lmr_room_handle_sdp (LmrRoom     *self,
                     const char  *from,
                     JsonObject  *sdp,
                     GError     **error)
{
  Member *member = find_member (self, from);
  const char *type = json_object_get_string_member_with_default (sdp, "type", "");
  const char *text = json_object_get_string_member_with_default (sdp, "sdp", NULL);

  if (member == NULL) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_PEER, "sdp from %s, who is not a member",
                 from ? from : "?");
    return FALSE;
  }
  if (!g_str_equal (type, "answer")) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_PEER,
                 "sdp of type \"%s\" from %s: the relay offers, members answer", type, member->name);
    return FALSE;
  }
  if (!lmr_leg_set_answer (member->leg, text, error)) {
    g_prefix_error (error, "%s: ", member->name);
    return FALSE;
  }
  return TRUE;
}

gboolean
lmr_room_handle_ice (LmrRoom     *self,
                     const char  *from,
                     JsonObject  *candidate,
                     GError     **error)
{
  Member *member = find_member (self, from);
  const char *text = json_object_get_string_member_with_default (candidate, "candidate", NULL);
  gint64 mline = json_object_get_int_member_with_default (candidate, "sdpMLineIndex", -1);

  if (member == NULL) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_PEER, "ice from %s, who is not a member",
                 from ? from : "?");
    return FALSE;
  }
  if (text == NULL || mline < 0 || mline > G_MAXUINT8) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_PEER, "ice from %s without candidate or sdpMLineIndex",
                 member->name);
    return FALSE;
  }
  return lmr_leg_add_candidate (member->leg, (guint) mline, text, error);
}

gboolean
lmr_room_set_recording (LmrRoom   *self,
                        gboolean   record,
                        GError   **error)
{
  if (record && self->record_dir == NULL) {
    g_set_error_literal (error, LMR_ERROR, LMR_ERROR_FAILED,
                         "this relay has no --record-dir: it cannot record");
    return FALSE;
  }
  if (record == self->recording)
    return TRUE;
  self->recording = record;
  GST_INFO ("[%s] recording %s", self->id, record ? "on" : "off");
  for (guint i = 0; i < self->members->len; i++) {
    Member *member = self->members->pdata[i];

    if (record)
      maybe_record (self, member);
    else
      stop_recorder (member);
  }
  return TRUE;
}

/* ---- Life cycle ---- */

static gboolean
on_stats_timer (gpointer user_data)
{
  LmrRoom *self = user_data;

  for (guint i = 0; i < self->members->len; i++)
    lmr_leg_request_stats (((Member *) self->members->pdata[i])->leg);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  LmrRoom *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (message, &error, &debug);
      GST_WARNING ("[%s] pipeline error from %s: %s (%s)", self->id,
                   GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message, debug ? debug : "");
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (message, &error, &debug);
      GST_WARNING ("[%s] pipeline warning from %s: %s", self->id,
                   GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

LmrRoom *
lmr_room_new (const LmrRoomSetup  *setup,
              GError             **error)
{
  g_autoptr (LmrRoom) self = g_new0 (LmrRoom, 1);
  g_autoptr (GstBus) bus = NULL;
  static gsize debug_once = 0;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (lmr_room_debug, "lmr-room", 0, "lastmile relay consultation");
    g_once_init_leave (&debug_once, 1);
  }
  self->id = g_strdup (setup->consultation);
  lmr_media_config_copy (setup->media, &self->media);
  self->record_dir = g_strdup (setup->record_dir);
  self->stats_interval_s = setup->stats_interval_s;
  self->max_participants = setup->max_participants;
  self->send = setup->send;
  self->closed_func = setup->closed;
  self->user_data = setup->user_data;
  self->members = g_ptr_array_new_with_free_func ((GDestroyNotify) member_free);
  self->routes = g_ptr_array_new_with_free_func (route_free);
  self->recorders = g_ptr_array_new_with_free_func (g_object_unref);

  self->pipeline = gst_pipeline_new (self->id);
  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error_literal (error, LMR_ERROR, LMR_ERROR_MEDIA, "the pipeline does not start");
    return NULL;
  }
  if (self->stats_interval_s)
    self->stats_timer = g_timeout_add_seconds (self->stats_interval_s, on_stats_timer, self);
  GST_INFO ("[%s] opened", self->id);
  return g_steal_pointer (&self);
}

const char *
lmr_room_get_id (LmrRoom *self)
{
  return self->id;
}

guint
lmr_room_get_n_members (LmrRoom *self)
{
  return self->members->len;
}

void
lmr_room_keyframe_counts (LmrRoom    *self,
                          const char *peer,
                          guint      *passed,
                          guint      *dropped)
{
  Member *member = find_member (self, peer);

  *passed = *dropped = 0;
  if (member)
    lmr_leg_keyframe_counts (member->leg, passed, dropped);
}

static void
teardown (LmrRoom *self)
{
  g_clear_handle_id (&self->stats_timer, g_source_remove);
  g_ptr_array_set_size (self->routes, 0);
  g_ptr_array_set_size (self->members, 0);
  if (self->pipeline)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
}

static gboolean
on_close_idle (gpointer user_data)
{
  LmrRoom *self = user_data;

  self->close_idle = 0;
  GST_INFO ("[%s] closed", self->id);
  if (self->closed_func)
    self->closed_func (self, self->user_data);
  return G_SOURCE_REMOVE;
}

static void
finish_close (LmrRoom *self)
{
  if (self->closed)
    return;
  self->closed = TRUE;
  teardown (self);
  self->close_idle = g_idle_add (on_close_idle, self);
}

void
lmr_room_close (LmrRoom *self)
{
  if (self->closing)
    return;
  self->closing = TRUE;
  self->recording = FALSE;
  GST_INFO ("[%s] closing", self->id);
  g_clear_handle_id (&self->stats_timer, g_source_remove);
  for (guint i = 0; i < self->members->len; i++)
    stop_recorder (self->members->pdata[i]);
  if (self->recorders->len == 0)
    finish_close (self);
}

void
lmr_room_free (LmrRoom *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->close_idle, g_source_remove);
  teardown (self);
  g_clear_pointer (&self->recorders, g_ptr_array_unref);
  g_clear_pointer (&self->routes, g_ptr_array_unref);
  g_clear_pointer (&self->members, g_ptr_array_unref);
  g_clear_object (&self->pipeline);
  lmr_media_config_clear (&self->media);
  g_free (self->record_dir);
  g_free (self->id);
  g_free (self);
}

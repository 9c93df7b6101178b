/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <json-glib/json-glib.h>

#include "lmr-media-config.h"

G_BEGIN_DECLS

/* One consultation on the relay: a pipeline with one leg per member
 * (lmr-leg.h) and, for every ordered pair of members, each kind of the
 * first's media fanned out to a media section of the second's leg. The
 * relay offers to every member; a member who joins later gets an offer
 * and everybody else a new one. With the clinic's consent each member's
 * media is also written to a file (lmr-recorder.h). Everything runs on
 * the thread-default main context of lmr_room_new(). */
typedef struct _LmrRoom LmrRoom;

/* A protocol message to send to the server (the room keeps ownership). */
typedef void (*LmrRoomSendFunc) (JsonObject *message, gpointer user_data);

/* lmr_room_close() has finished: the room may be freed. */
typedef void (*LmrRoomClosedFunc) (LmrRoom *room, gpointer user_data);

typedef struct {
  const char *consultation;
  const LmrMediaConfig *media;
  const char *record_dir;          /* NULL: this relay never records */
  guint stats_interval_s;          /* 0: no stats */
  guint max_participants;
  LmrRoomSendFunc send;
  LmrRoomClosedFunc closed;
  gpointer user_data;
} LmrRoomSetup;

LmrRoom *lmr_room_new (const LmrRoomSetup  *setup,
                       GError             **error);
void lmr_room_free (LmrRoom *room);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmrRoom, lmr_room_free)

const char *lmr_room_get_id (LmrRoom *room);

/* relay.open's and relay.join's members ({peer, role, name} objects):
 * each gets a leg and an offer; the members already there get a new
 * offer with the newcomers' media. Fails (and adds nobody) past the
 * participant limit or for a peer already there. */
gboolean lmr_room_add_members (LmrRoom    *room,
                               JsonArray  *peers,
                               GError    **error);

/* relay.leave: the member's leg goes, the others stop receiving its
 * media (their sections become inactive at a new offer). */
gboolean lmr_room_remove_member (LmrRoom     *room,
                                 const char  *peer,
                                 GError     **error);

/* A member's `sdp` (an answer) and `ice` messages. */
gboolean lmr_room_handle_sdp (LmrRoom     *room,
                              const char  *from,
                              JsonObject  *sdp,
                              GError     **error);
gboolean lmr_room_handle_ice (LmrRoom     *room,
                              const char  *from,
                              JsonObject  *candidate,
                              GError     **error);

/* relay.record: starts writing (once the members' media flow) or closes
 * the files, each reported as relay.recording. Fails when the relay has
 * no --record-dir. */
gboolean lmr_room_set_recording (LmrRoom   *room,
                                 gboolean   record,
                                 GError   **error);

/* Closes the recordings, then the pipeline; `closed` follows. */
void lmr_room_close (LmrRoom *room);

/* For tests and logs. */
guint lmr_room_get_n_members (LmrRoom *room);
void lmr_room_keyframe_counts (LmrRoom    *room,
                               const char *peer,
                               guint      *passed,
                               guint      *dropped);

G_END_DECLS

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <json-glib/json-glib.h>

#include "lmc-report.h"

G_BEGIN_DECLS

/* The other members of a consultation (from consult.start, peer.joined and
 * peer.left) and which received stream carries whose media (a relay's
 * `streams`, or everything from the one other member of a direct
 * consultation). Turns the media engine's per-mid counts into figures per
 * participant. Everything here came from the network: sizes are bounded
 * and nothing is trusted to be unique or present. */
typedef struct _LmcParticipants LmcParticipants;

/* `self_peer` is this session's own id: it is never a participant. */
LmcParticipants *lmc_participants_new (const char *self_peer);
void lmc_participants_free (LmcParticipants *participants);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmcParticipants, lmc_participants_free)

/* consult.start's `peers`: entries that are not objects with a string
 * `peer` are skipped. */
void lmc_participants_add_json (LmcParticipants *participants,
                                JsonArray       *peers);

/* A member that joined (TRUE) or one already known, now present again
 * (FALSE). Past 16 participants the rest are ignored (FALSE). */
gboolean lmc_participants_join (LmcParticipants *participants,
                                const char      *peer,
                                const char      *role,
                                const char      *name);

/* FALSE for a peer that is not a present participant. */
gboolean lmc_participants_leave (LmcParticipants *participants,
                                 const char      *peer);

/* The participant's name, or NULL. */
const char *lmc_participants_get_name (LmcParticipants *participants,
                                       const char      *peer);

/* Present participants of `role` (NULL: any role). */
guint lmc_participants_count (LmcParticipants *participants,
                              const char      *role);

/* The peer whose media an unmapped mid carries (a direct consultation's
 * other member); NULL to leave unmapped streams to no one. */
void lmc_participants_set_default_peer (LmcParticipants *participants,
                                        const char      *peer);

/* A relay offer's `streams` ([{mid, kind, peer}]). `counts` is the media
 * engine's LmcMediaStreamStats array now: a mid that changes hands keeps
 * what it carried so far for its previous peer. Entries naming no known
 * participant are ignored. */
void lmc_participants_set_streams (LmcParticipants *participants,
                                   JsonArray       *streams,
                                   GArray          *counts);

/* Whose media the stream `mid` carries, or NULL. */
const char *lmc_participants_peer_for_mid (LmcParticipants *participants,
                                           const char      *mid);

/* One `peers` entry per participant (in the order they became known),
 * with what `counts` (LmcMediaStreamStats) says each one sent. */
void lmc_participants_fill_report (LmcParticipants *participants,
                                   GArray          *counts,
                                   LmcReport       *report);

G_END_DECLS

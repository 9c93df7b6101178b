/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <json-glib/json-glib.h>

#include "lmc-options.h"
#include "lmc-report.h"
#include "lmc-ui.h"

G_BEGIN_DECLS

/* One consultation from consult.start to consult.ended: drives the media
 * engine from the peer's sdp/ice, sends the local ones, the periodic
 * stats and consult.end, and keeps the figures for the report. It talks
 * to the server only through `send`; `done` runs once, when the media
 * has stopped and the figures are final. */
typedef struct _LmcConsultation LmcConsultation;

/* `message` is a complete protocol object, transfer none. */
typedef void (*LmcConsultationSendFunc) (JsonObject *message, gpointer user_data);
typedef void (*LmcConsultationDoneFunc) (LmcConsultation *consultation, gpointer user_data);

typedef struct {
  const LmcOptions *options;  /* borrowed; outlives the consultation */
  LmcUi *ui;                  /* borrowed */
  const char *id;
  const char *self_peer;
  const char *role;           /* this side's: "clinic" or "doctor" */
  JsonArray *peers;           /* consult.start's members, borrowed */
  gboolean relay;             /* media through a relay (which offers) */
  const char *remote_peer;    /* the peer media is negotiated with: the
                               * other member, or the relay */
  gboolean offerer;
  char **stun_servers;
  char **turn_servers;
  gint64 start_us;            /* monotonic time consult.start arrived */
  LmcConsultationSendFunc send;
  LmcConsultationDoneFunc done;
  gpointer user_data;
} LmcConsultationSetup;

LmcConsultation *lmc_consultation_new (const LmcConsultationSetup  *setup,
                                       GError                     **error);
void lmc_consultation_free (LmcConsultation *consultation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmcConsultation, lmc_consultation_free)

const char *lmc_consultation_get_id (LmcConsultation *consultation);
const char *lmc_consultation_get_remote_peer (LmcConsultation *consultation);

/* The peer's `sdp` and `ice` members (and a relay offer's `streams`,
 * NULL otherwise). Nonsense ends the consultation with reason bad_sdp or
 * bad_candidate. */
void lmc_consultation_handle_sdp (LmcConsultation *consultation,
                                  JsonObject      *sdp,
                                  JsonArray       *streams);
void lmc_consultation_handle_ice (LmcConsultation *consultation, JsonObject *candidate);

/* peer.joined's `peer` object and peer.left's `peer` id. */
void lmc_consultation_peer_joined (LmcConsultation *consultation, JsonObject *peer);
void lmc_consultation_peer_left (LmcConsultation *consultation, const char *peer);

/* Ends it from this side: final stats, then consult.end with `reason`
 * (a doctor while other doctors remain: consult.leave), then done once
 * consult.ended arrives (or after a timeout). */
void lmc_consultation_hangup (LmcConsultation *consultation, const char *reason);

/* The server's consult.ended (or the session's own "disconnected"). */
void lmc_consultation_handle_ended (LmcConsultation *consultation, const char *reason);

gboolean lmc_consultation_is_done (LmcConsultation *consultation);

/* Why it ended: the server's reason, else the local one, else NULL. */
const char *lmc_consultation_get_end_reason (LmcConsultation *consultation);

/* Whether it ended as it should: completed, or this doctor left. */
gboolean lmc_consultation_ended_well (LmcConsultation *consultation);

/* Fills every figure of the report but `role`. */
void lmc_consultation_fill_report (LmcConsultation *consultation, LmcReport *report);

G_END_DECLS

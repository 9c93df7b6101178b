/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

#include "lmr-options.h"

G_BEGIN_DECLS

/* lastmile-relay's session with the signaling server: the WebSocket,
 * hello and relay.register, then one LmrRoom per consultation the server
 * hands over (relay.open, relay.join, relay.leave, relay.record, sdp, ice,
 * consult.ended), the rooms' messages back to the server, and a new
 * connection after a lost one. Runs on the thread-default main context
 * of the thread that calls lmr_relay_start(). */
typedef struct _LmrRelay LmrRelay;

/* `error` is NULL after lmr_relay_stop(); otherwise why the relay cannot
 * go on (its LMR_ERROR code is the exit code). */
typedef void (*LmrRelayDoneFunc) (LmrRelay *relay, const GError *error, gpointer user_data);

LmrRelay *lmr_relay_new (const LmrOptions *options,
                         LmrRelayDoneFunc  done,
                         gpointer          user_data);
void lmr_relay_free (LmrRelay *relay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmrRelay, lmr_relay_free)

/* Connects and says hello; registers once lmr_relay_set_media_ready()
 * was called too (the DTLS certificate is made), so that no consultation
 * waits for it. */
void lmr_relay_start (LmrRelay *relay);
void lmr_relay_set_media_ready (LmrRelay *relay);

/* Closes every consultation (recordings are finished and reported), then
 * the connection; `done` follows. A second call gives up waiting. */
void lmr_relay_stop (LmrRelay *relay);

/* Consultations being served, for tests and logs. */
guint lmr_relay_get_n_rooms (LmrRelay *relay);

/* Generates the process's DTLS certificate (RSA, 0.1-0.7 s) in a thread;
 * `ready` then runs on the caller's thread-default main context. Join
 * the thread before exiting. */
GThread *lmr_relay_prewarm (GSourceFunc ready, gpointer user_data);

G_END_DECLS

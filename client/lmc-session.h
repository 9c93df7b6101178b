/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

#include "lmc-options.h"
#include "lmc-ui.h"

G_BEGIN_DECLS

/* The signaling side of lastmile-client: the WebSocket to the server,
 * hello/welcome, the clinic's request or the doctor's queue and choice,
 * and the one consultation that follows (docs/protocol.md). Runs on the
 * thread-default main context of the thread that calls start. */
typedef struct _LmcSession LmcSession;

/* `error` is NULL when the session ended as it should (consultation
 * completed, request withdrawn); its LMC_ERROR code is the exit code. */
typedef void (*LmcSessionDoneFunc) (LmcSession *session, const GError *error, gpointer user_data);

LmcSession *lmc_session_new (const LmcOptions   *options,
                             LmcUi              *ui,
                             LmcSessionDoneFunc  done,
                             gpointer            user_data);
void lmc_session_free (LmcSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmcSession, lmc_session_free)

void lmc_session_start (LmcSession *session);

/* The media engine is ready (DTLS certificate made): until then the
 * session connects and says hello but neither requests a consultation
 * nor goes available. */
void lmc_session_set_media_ready (LmcSession *session);

/* Ctrl-C / SIGTERM: ends the consultation (consult.end) or withdraws the
 * waiting request (consult.cancel), then closes. A second call gives up
 * waiting and finishes at once. */
void lmc_session_hangup (LmcSession *session);

/* Writes --report FILE (called once at exit; a no-op without --report). */
gboolean lmc_session_write_report (LmcSession *session, GError **error);

G_END_DECLS

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A member's media as lastmile-client builds it (client/lmc-media.c: VP8
 * PT 96 and Opus PT 111 into one sendrecv transceiver each, NACK, PLI,
 * TWCC, max-bundle), as the answerer of the relay's offers. It sends
 * test video without periodic keyframes, so that a receiver decodes only
 * if its keyframe requests reach this sender, and counts, per media
 * section, the frames it decodes. Callbacks run on the main context. */
typedef struct _LmrTestPeer LmrTestPeer;

typedef struct {
  void (*answer) (LmrTestPeer *peer, const char *sdp, gpointer user_data);
  void (*candidate) (LmrTestPeer *peer, guint mline, const char *candidate, gpointer user_data);
} LmrTestPeerCallbacks;

/* `id` is its peer id. Its video is lmr_test_peer_width (index) pixels
 * wide and its Opus frames last lmr_test_peer_frame_ms (index), so that a
 * receiver can tell whose stream it decodes. */
LmrTestPeer *lmr_test_peer_new (const char                 *id,
                                guint                       index,
                                const LmrTestPeerCallbacks *callbacks,
                                gpointer                    user_data);
void lmr_test_peer_free (LmrTestPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmrTestPeer, lmr_test_peer_free)

const char *lmr_test_peer_get_id (LmrTestPeer *peer);
guint lmr_test_peer_get_index (LmrTestPeer *peer);
int lmr_test_peer_width (guint index);
int lmr_test_peer_frame_ms (guint index);

/* An offer from the relay: answered through the answer callback. */
void lmr_test_peer_set_offer (LmrTestPeer *peer,
                              const char  *sdp);
void lmr_test_peer_add_candidate (LmrTestPeer *peer,
                                  guint        mline,
                                  const char  *candidate);

/* Decoded frames (video) or buffers (audio) received on the section with
 * this mid so far, the SSRC they came with (0 when none came), the width
 * of the decoded video and the length of a decoded audio buffer. */
guint64 lmr_test_peer_frames (LmrTestPeer *peer,
                              const char  *mid,
                              guint       *ssrc,
                              int         *width,
                              int         *frame_ms);

/* GstForceKeyUnit events that reached its video encoder from downstream
 * (the relay's keyframe requests turned into PLI and back). */
guint lmr_test_peer_key_requests (LmrTestPeer *peer);

gboolean lmr_test_peer_is_connected (LmrTestPeer *peer);

/* Asks for a keyframe of the stream received on section `mid`, as its
 * depayloader does after a loss. */
void lmr_test_peer_request_keyframe (LmrTestPeer *peer,
                                     const char  *mid);

/* What it received, for failure messages. */
char *lmr_test_peer_describe (LmrTestPeer *peer);

G_END_DECLS

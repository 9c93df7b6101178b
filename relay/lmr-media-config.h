/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How every leg's webrtcbin is set up. */
typedef struct {
  guint latency_ms;           /* jitterbuffer latency of received streams */
  guint min_port;             /* UDP ports for ICE, 0: any */
  guint max_port;
  char *public_address;       /* written into host candidates, NULL: as gathered */
  char *stun_server;          /* stun://host:port, NULL: none */
  guint keyframe_interval_ms; /* at most one keyframe request per stream this often */
  guint max_remote_candidates;
} LmrMediaConfig;

#define LMR_MEDIA_CONFIG_INIT { .latency_ms = 50, .keyframe_interval_ms = 1000, \
                                .max_remote_candidates = 64 }

void lmr_media_config_copy (const LmrMediaConfig *src, LmrMediaConfig *dest);
void lmr_media_config_clear (LmrMediaConfig *config);

G_END_DECLS

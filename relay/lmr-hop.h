/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs `func` on `context`'s thread, always later. Not
 * g_main_context_invoke_full(): for the global default context, that one
 * runs `func` at once on the calling (streaming) thread whenever the main
 * thread does not hold the context at that moment, as between two
 * g_main_context_iteration() calls; a state change made there deadlocks. */
void lmr_hop (GMainContext   *context,
              GSourceFunc     func,
              gpointer        data,
              GDestroyNotify  notify);

G_END_DECLS

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-hop.h"

void
lmr_hop (GMainContext   *context,
         GSourceFunc     func,
         gpointer        data,
         GDestroyNotify  notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "lmr-hop");
  g_source_attach (source, context);
  g_source_unref (source);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-media-config.h"

void
lmr_media_config_copy (const LmrMediaConfig *src, LmrMediaConfig *dest)
{
  *dest = *src;
  dest->public_address = g_strdup (src->public_address);
  dest->stun_server = g_strdup (src->stun_server);
}

void
lmr_media_config_clear (LmrMediaConfig *config)
{
  g_clear_pointer (&config->public_address, g_free);
  g_clear_pointer (&config->stun_server, g_free);
}

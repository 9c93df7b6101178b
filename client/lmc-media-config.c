/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-media.h"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (lmc_media_config_debug);
#define GST_CAT_DEFAULT lmc_media_config_debug

static void
ensure_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (lmc_media_config_debug, "lmc-media-config", 0,
                             "lastmile client media settings");
    g_once_init_leave (&once, 1);
  }
}

void
lmc_media_config_clear (LmcMediaConfig *config)
{
  if (config == NULL)
    return;
  g_clear_pointer (&config->video_device, g_free);
  g_clear_pointer (&config->stun_servers, g_strfreev);
  g_clear_pointer (&config->turn_servers, g_strfreev);
}

void
lmc_media_config_copy (const LmcMediaConfig *src,
                       LmcMediaConfig       *dest)
{
  *dest = *src;
  dest->video_device = g_strdup (src->video_device);
  dest->stun_servers = g_strdupv (src->stun_servers);
  dest->turn_servers = g_strdupv (src->turn_servers);
}

static gboolean
has_audio_source (void)
{
  g_autoptr (GstDeviceMonitor) monitor = gst_device_monitor_new ();
  GList *devices;
  gboolean found;

  gst_device_monitor_add_filter (monitor, "Audio/Source", NULL);
  devices = gst_device_monitor_get_devices (monitor);
  found = devices != NULL;
  g_list_free_full (devices, gst_object_unref);
  return found;
}

void
lmc_media_config_resolve_auto (LmcMediaConfig *config)
{
  ensure_debug_category ();

  if (config->video == LMC_VIDEO_SOURCE_AUTO) {
    const char *device = config->video_device ? config->video_device : "/dev/video0";

    config->video = g_file_test (device, G_FILE_TEST_EXISTS)
                    ? LMC_VIDEO_SOURCE_V4L2 : LMC_VIDEO_SOURCE_TEST;
    GST_INFO ("video auto: %s", config->video == LMC_VIDEO_SOURCE_V4L2
              ? device : "no camera, test pattern");
  }
  if (config->audio == LMC_AUDIO_SOURCE_AUTO && !has_audio_source ()) {
    config->audio = LMC_AUDIO_SOURCE_TEST;
    GST_INFO ("audio auto: no microphone, test tone");
  }
}

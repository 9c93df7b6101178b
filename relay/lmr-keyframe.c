/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-keyframe.h"

#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (lmr_keyframe_debug);
#define GST_CAT_DEFAULT lmr_keyframe_debug

struct _LmrKeyframeLimiter {
  GstPad *pad;
  gulong probe;
  gint64 interval_us;
  char *log_id;

  GMutex lock;
  gint64 last_us;     /* 0: never */
  guint passed;
  guint dropped;
};

static GstPadProbeReturn
on_upstream_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LmrKeyframeLimiter *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gint64 now = g_get_monotonic_time ();
  gboolean pass;

  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;

  g_mutex_lock (&self->lock);
  pass = self->last_us == 0 || now - self->last_us >= self->interval_us;
  if (pass) {
    self->last_us = now;
    self->passed++;
  } else {
    self->dropped++;
  }
  g_mutex_unlock (&self->lock);

  if (pass) {
    GST_DEBUG ("[%s] keyframe request passed on to the sender", self->log_id);
    /* A request that a receiver's PLI or FIR raised names the SSRC the
     * relay forwards under, which the sender's leg does not know: left
     * without one, the leg's SSRC demuxer fills in the member's. */
    if (gst_structure_has_field (gst_event_get_structure (event), "ssrc")) {
      event = gst_event_make_writable (event);
      gst_structure_remove_fields (gst_event_writable_structure (event), "ssrc", "payload", NULL);
      GST_PAD_PROBE_INFO_DATA (info) = event;
    }
    return GST_PAD_PROBE_OK;
  }
  GST_LOG ("[%s] keyframe request dropped (one went less than %" G_GINT64_FORMAT " ms ago)",
           self->log_id, self->interval_us / 1000);
  /* Handled: the sender of the event sees success, nothing goes upstream. */
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = NULL;
  return GST_PAD_PROBE_HANDLED;
}

LmrKeyframeLimiter *
lmr_keyframe_limiter_new (GstPad     *pad,
                          guint       interval_ms,
                          const char *log_id)
{
  LmrKeyframeLimiter *self = g_new0 (LmrKeyframeLimiter, 1);
  static gsize debug_once = 0;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (lmr_keyframe_debug, "lmr-keyframe", 0, "lastmile relay keyframe requests");
    g_once_init_leave (&debug_once, 1);
  }
  g_mutex_init (&self->lock);
  self->pad = gst_object_ref (pad);
  self->interval_us = (gint64) interval_ms * 1000;
  self->log_id = g_strdup (log_id);
  self->probe = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event,
                                   self, NULL);
  return self;
}

void
lmr_keyframe_limiter_free (LmrKeyframeLimiter *self)
{
  if (self == NULL)
    return;
  gst_pad_remove_probe (self->pad, self->probe);
  gst_object_unref (self->pad);
  g_free (self->log_id);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
lmr_keyframe_limiter_request (LmrKeyframeLimiter *self)
{
  gst_pad_push_event (self->pad,
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
}

void
lmr_keyframe_limiter_counts (LmrKeyframeLimiter *self,
                             guint              *passed,
                             guint              *dropped)
{
  g_mutex_lock (&self->lock);
  if (passed)
    *passed = self->passed;
  if (dropped)
    *dropped = self->dropped;
  g_mutex_unlock (&self->lock);
}

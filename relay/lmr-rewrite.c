/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-rewrite.h"

#include <gst/rtp/rtp.h>

#define RTP_HEADER_MIN 12

typedef struct {
  guint pt;
  guint32 ssrc;
} Rewrite;

static GstBuffer *
rewrite_buffer (GstBuffer *buffer, const Rewrite *rewrite)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (gst_buffer_get_size (buffer) < RTP_HEADER_MIN)
    return buffer;
  /* The tee hands the same packet to every branch: this copies it. */
  buffer = gst_buffer_make_writable (buffer);
  if (gst_rtp_buffer_map (buffer, GST_MAP_READWRITE, &rtp)) {
    gst_rtp_buffer_set_payload_type (&rtp, rewrite->pt);
    gst_rtp_buffer_set_ssrc (&rtp, rewrite->ssrc);
    gst_rtp_buffer_unmap (&rtp);
  }
  return buffer;
}

static gboolean
rewrite_in_list (GstBuffer **buffer, guint idx, gpointer user_data)
{
  *buffer = rewrite_buffer (*buffer, user_data);
  return TRUE;
}

/* Caps queries from upstream would meet the section's payload type and
 * fail: the stream is rewritten on its way, so whatever it is is fine. */
static GstPadProbeReturn
on_query (GstPadProbeInfo *info)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstCaps *filter = NULL;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ACCEPT_CAPS:
      gst_query_set_accept_caps_result (query, TRUE);
      return GST_PAD_PROBE_HANDLED;
    case GST_QUERY_CAPS:
      gst_query_parse_caps (query, &filter);
      if (filter) {
        gst_query_set_caps_result (query, filter);
      } else {
        g_autoptr (GstCaps) any = gst_caps_new_any ();

        gst_query_set_caps_result (query, any);
      }
      return GST_PAD_PROBE_HANDLED;
    default:
      return GST_PAD_PROBE_OK;
  }
}

static GstPadProbeReturn
on_data (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  const Rewrite *rewrite = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM)
    return on_query (info);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GST_PAD_PROBE_INFO_DATA (info) = rewrite_buffer (GST_PAD_PROBE_INFO_BUFFER (info), rewrite);
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = gst_buffer_list_make_writable (GST_PAD_PROBE_INFO_BUFFER_LIST (info));

    gst_buffer_list_foreach (list, rewrite_in_list, user_data);
    GST_PAD_PROBE_INFO_DATA (info) = list;
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    GstCaps *caps;

    if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
      return GST_PAD_PROBE_OK;
    gst_event_parse_caps (event, &caps);
    caps = gst_caps_copy (caps);
    gst_caps_set_simple (caps, "payload", G_TYPE_INT, (int) rewrite->pt,
                         "ssrc", G_TYPE_UINT, rewrite->ssrc, NULL);
    gst_event_unref (event);
    GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (caps);
    gst_caps_unref (caps);
  }
  return GST_PAD_PROBE_OK;
}

void
lmr_rewrite_attach (GstPad  *pad,
                    guint    pt,
                    guint32  ssrc)
{
  Rewrite *rewrite = g_new (Rewrite, 1);

  rewrite->pt = pt;
  rewrite->ssrc = ssrc;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                     GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
                     on_data, rewrite, g_free);
}

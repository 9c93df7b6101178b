/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-media-counters.h"

#define RTP_HEADER_BYTES 12
#define MAX_STREAMS 64

typedef struct {
  char *mid;
  gboolean video;
  guint64 frames;
  guint64 bytes;
} Stream;

struct _LmcCounters {
  guint video_pt;
  guint audio_pt;
  LmcCountersFirstFrameFunc first_frame;
  gpointer user_data;

  GMutex lock;
  gboolean frozen;
  gboolean seen_first_frame;
  guint64 video_frames_sent;
  guint64 audio_buffers_sent;
  guint64 bytes_sent;
  GPtrArray *streams;         /* Stream*, never removed before free */
};

typedef enum {
  PROBE_NETWORK_OUT,
  PROBE_STREAM_RTP,
  PROBE_STREAM_DECODED,
} ProbeKind;

typedef struct {
  LmcCounters *counters;
  ProbeKind kind;
  Stream *stream;
} Probe;

LmcPacketKind
lmc_packet_classify (const guint8 *data,
                     gsize         size,
                     guint        *pt,
                     gboolean     *marker)
{
  if (size < RTP_HEADER_BYTES || (data[0] & 0xc0) != 0x80)
    return LMC_PACKET_OTHER;
  /* RTCP packet types 192-223 occupy what would be RTP payload types
   * 64-95 with the marker bit set. */
  if (data[1] >= 192 && data[1] <= 223)
    return LMC_PACKET_RTCP;
  *pt = data[1] & 0x7f;
  *marker = (data[1] & 0x80) != 0;
  return LMC_PACKET_RTP;
}

static void
stream_free (gpointer data)
{
  Stream *stream = data;

  g_free (stream->mid);
  g_free (stream);
}

LmcCounters *
lmc_counters_new (guint                     video_pt,
                  guint                     audio_pt,
                  LmcCountersFirstFrameFunc first_frame,
                  gpointer                  user_data)
{
  LmcCounters *counters = g_new0 (LmcCounters, 1);

  counters->video_pt = video_pt;
  counters->audio_pt = audio_pt;
  counters->first_frame = first_frame;
  counters->user_data = user_data;
  g_mutex_init (&counters->lock);
  counters->streams = g_ptr_array_new_with_free_func (stream_free);
  return counters;
}

void
lmc_counters_free (LmcCounters *counters)
{
  if (counters == NULL)
    return;
  g_ptr_array_unref (counters->streams);
  g_mutex_clear (&counters->lock);
  g_free (counters);
}

/* ---- Sent ---- */

typedef struct {
  LmcCounters *counters;
  gboolean drop_media;
} Outgoing;

/* Counts one buffer on its way to the network; TRUE when it is media RTP. */
static gboolean
count_outgoing_locked (LmcCounters *counters, GstBuffer *buffer)
{
  GstMapInfo map;
  guint pt = 0;
  gboolean marker = FALSE;
  LmcPacketKind kind;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return FALSE;
  kind = lmc_packet_classify (map.data, map.size, &pt, &marker);
  gst_buffer_unmap (buffer, &map);
  if (kind != LMC_PACKET_RTP)
    return FALSE;
  if (counters->frozen)
    return TRUE;
  counters->bytes_sent += gst_buffer_get_size (buffer);
  if (pt == counters->video_pt && marker)
    counters->video_frames_sent++;
  else if (pt == counters->audio_pt)
    counters->audio_buffers_sent++;
  return TRUE;
}

static gboolean
count_list_item (GstBuffer **buffer, guint idx, gpointer user_data)
{
  Outgoing *out = user_data;

  if (count_outgoing_locked (out->counters, *buffer) && out->drop_media)
    gst_clear_buffer (buffer);
  return TRUE;
}

static GstPadProbeReturn
on_network_out (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Probe *probe = user_data;
  LmcCounters *counters = probe->counters;
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;

  g_mutex_lock (&counters->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    Outgoing out = { counters, counters->frozen };
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    if (out.drop_media) {
      list = gst_buffer_list_make_writable (list);
      GST_PAD_PROBE_INFO_DATA (info) = list;
    }
    gst_buffer_list_foreach (list, count_list_item, &out);
    if (gst_buffer_list_length (list) == 0)
      ret = GST_PAD_PROBE_DROP;
  } else if (count_outgoing_locked (counters, GST_PAD_PROBE_INFO_BUFFER (info)) &&
             counters->frozen) {
    ret = GST_PAD_PROBE_DROP;
  }
  g_mutex_unlock (&counters->lock);
  return ret;
}

static void
add_probe (LmcCounters *counters, GstPad *pad, ProbeKind kind, Stream *stream,
           GstPadProbeCallback callback)
{
  Probe *probe = g_new0 (Probe, 1);

  probe->counters = counters;
  probe->kind = kind;
  probe->stream = stream;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     callback, probe, g_free);
}

void
lmc_counters_watch_network_out (LmcCounters *counters,
                                GstPad      *pad)
{
  add_probe (counters, pad, PROBE_NETWORK_OUT, NULL, on_network_out);
}

/* ---- Received ---- */

static GstPadProbeReturn
on_stream_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Probe *probe = user_data;
  LmcCounters *counters = probe->counters;
  Stream *stream = probe->stream;
  guint64 n = 1, bytes;
  gboolean first = FALSE;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    n = gst_buffer_list_length (list);
    bytes = gst_buffer_list_calculate_size (list);
  } else {
    bytes = gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  }

  g_mutex_lock (&counters->lock);
  if (probe->kind == PROBE_STREAM_RTP) {
    if (!counters->frozen) {
      stream->bytes += bytes;
      if (!stream->video)
        stream->frames += n;
    }
  } else {
    if (!counters->frozen)
      stream->frames += n;
    first = !counters->seen_first_frame;
    counters->seen_first_frame = TRUE;
  }
  g_mutex_unlock (&counters->lock);

  if (first && counters->first_frame)
    counters->first_frame (counters->user_data);
  return GST_PAD_PROBE_OK;
}

static Stream *
find_or_add_stream_locked (LmcCounters *counters, const char *mid, gboolean video)
{
  Stream *stream;

  for (guint i = 0; i < counters->streams->len; i++) {
    stream = g_ptr_array_index (counters->streams, i);
    if (g_strcmp0 (stream->mid, mid) == 0 && stream->video == video)
      return stream;
  }
  if (counters->streams->len >= MAX_STREAMS)
    return NULL;
  stream = g_new0 (Stream, 1);
  stream->mid = g_strdup (mid);
  stream->video = video;
  g_ptr_array_add (counters->streams, stream);
  return stream;
}

void
lmc_counters_watch_stream (LmcCounters *counters,
                           const char  *mid,
                           gboolean     video,
                           GstPad      *rtp_pad,
                           GstPad      *decoded_pad)
{
  Stream *stream;

  g_mutex_lock (&counters->lock);
  stream = find_or_add_stream_locked (counters, mid, video);
  g_mutex_unlock (&counters->lock);
  if (stream == NULL)
    return;
  add_probe (counters, rtp_pad, PROBE_STREAM_RTP, stream, on_stream_buffer);
  if (video && decoded_pad)
    add_probe (counters, decoded_pad, PROBE_STREAM_DECODED, stream, on_stream_buffer);
}

/* ---- Reading ---- */

void
lmc_counters_freeze (LmcCounters *counters)
{
  g_mutex_lock (&counters->lock);
  counters->frozen = TRUE;
  g_mutex_unlock (&counters->lock);
}

void
lmc_counters_get (LmcCounters   *counters,
                  LmcMediaStats *stats)
{
  g_mutex_lock (&counters->lock);
  stats->video_frames_sent = counters->video_frames_sent;
  stats->audio_buffers_sent = counters->audio_buffers_sent;
  stats->bytes_sent = counters->bytes_sent;
  stats->video_frames_received = 0;
  stats->audio_buffers_received = 0;
  stats->bytes_received = 0;
  for (guint i = 0; i < counters->streams->len; i++) {
    Stream *stream = g_ptr_array_index (counters->streams, i);

    if (stream->video)
      stats->video_frames_received += stream->frames;
    else
      stats->audio_buffers_received += stream->frames;
    stats->bytes_received += stream->bytes;
  }
  g_mutex_unlock (&counters->lock);
}

static void
stream_stats_clear (gpointer data)
{
  LmcMediaStreamStats *stats = data;

  g_free (stats->mid);
}

GArray *
lmc_counters_get_streams (LmcCounters *counters)
{
  GArray *array = g_array_new (FALSE, TRUE, sizeof (LmcMediaStreamStats));

  g_array_set_clear_func (array, stream_stats_clear);
  g_mutex_lock (&counters->lock);
  for (guint i = 0; i < counters->streams->len; i++) {
    Stream *stream = g_ptr_array_index (counters->streams, i);
    LmcMediaStreamStats stats = {
      .mid = g_strdup (stream->mid),
      .video = stream->video,
      .frames = stream->frames,
      .bytes = stream->bytes,
    };

    g_array_append_val (array, stats);
  }
  g_mutex_unlock (&counters->lock);
  return array;
}

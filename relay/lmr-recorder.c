/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gst/video/video.h>

#include "lmr-error.h"
#include "lmr-hop.h"

GST_DEBUG_CATEGORY_STATIC (lmr_recorder_debug);
#define GST_CAT_DEFAULT lmr_recorder_debug

#define EOS_TIMEOUT_S 5
#define MAX_NAME_TRIES 100
/* A stalled disk drops recorded packets rather than stall forwarding. */
#define QUEUE "queue leaky=downstream max-size-buffers=0 max-size-bytes=0 max-size-time=3000000000"

enum { VIDEO, AUDIO, N_BRANCHES };

typedef struct {
  LmrRecorder *self;
  GstSegment segment;
} Branch;

struct _LmrRecorder {
  GObject parent_instance;

  GMainContext *context;
  char *log_id;
  char *path;
  LmrRecorderDoneFunc done;
  gpointer user_data;

  GstBin *pipeline;
  GstElement *bin;
  GstElement *tees[N_BRANCHES];
  GstPad *tee_pads[N_BRANCHES];
  GstPad *sinks[N_BRANCHES];
  Branch branches[N_BRANCHES];
  guint eos_timer;
  gboolean stopping;
  gboolean finished;

  /* Shared with the streaming threads. */
  GMutex lock;
  GstClockTime base;      /* running time of the first packet */
  GstClockTime end;       /* the latest timestamp written, from base */
};

G_DEFINE_FINAL_TYPE (LmrRecorder, lmr_recorder, G_TYPE_OBJECT)

/* ---- Timestamps (streaming threads) ---- */

static gboolean
rebase_buffer (Branch *branch, GstBuffer **buffer)
{
  LmrRecorder *self = branch->self;
  GstClockTime rt = gst_segment_to_running_time (&branch->segment, GST_FORMAT_TIME,
                                                 GST_BUFFER_PTS (*buffer));
  gboolean keep = TRUE;

  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return FALSE;
  g_mutex_lock (&self->lock);
  if (!GST_CLOCK_TIME_IS_VALID (self->base))
    self->base = rt;
  if (rt < self->base) {
    keep = FALSE;
  } else {
    rt -= self->base;
    self->end = GST_CLOCK_TIME_IS_VALID (self->end) ? MAX (self->end, rt) : rt;
  }
  g_mutex_unlock (&self->lock);
  if (!keep)
    return FALSE;
  *buffer = gst_buffer_make_writable (*buffer);
  GST_BUFFER_PTS (*buffer) = rt;
  GST_BUFFER_DTS (*buffer) = GST_CLOCK_TIME_NONE;
  return TRUE;
}

static GstPadProbeReturn
on_branch_data (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Branch *branch = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

    if (!rebase_buffer (branch, &buffer)) {
      return GST_PAD_PROBE_DROP;
    }
    GST_PAD_PROBE_INFO_DATA (info) = buffer;
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    GstSegment segment;

    if (GST_EVENT_TYPE (event) != GST_EVENT_SEGMENT)
      return GST_PAD_PROBE_OK;
    /* Keep the stream's segment to compute running times, and give the
     * muxer one that starts at 0. */
    gst_event_copy_segment (event, &branch->segment);
    gst_segment_init (&segment, GST_FORMAT_TIME);
    gst_event_unref (event);
    GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_segment (&segment);
  }
  return GST_PAD_PROBE_OK;
}

/* ---- Finishing (main context) ---- */

static void
finish (LmrRecorder *self, GError *error)
{
  g_autoptr (GError) owned = error;
  g_autoptr (LmrRecorder) keep = g_object_ref (self);
  GStatBuf st;
  guint64 bytes = 0;
  double duration_s = 0;
  gboolean empty;

  if (self->finished)
    return;
  self->finished = TRUE;
  g_clear_handle_id (&self->eos_timer, g_source_remove);
  if (self->bin) {
    gst_element_set_locked_state (self->bin, TRUE);
    gst_element_set_state (self->bin, GST_STATE_NULL);
    gst_bin_remove (self->pipeline, self->bin);
    self->bin = NULL;
  }
  g_mutex_lock (&self->lock);
  empty = !GST_CLOCK_TIME_IS_VALID (self->base);
  if (!empty && GST_CLOCK_TIME_IS_VALID (self->end))
    duration_s = self->end / (double) GST_SECOND;
  g_mutex_unlock (&self->lock);

  if (g_stat (self->path, &st) == 0)
    bytes = st.st_size;
  if (empty && owned == NULL) {
    GST_INFO ("[%s] nothing was recorded: removing %s", self->log_id, self->path);
    g_unlink (self->path);
    self->done (self, NULL, 0, 0, NULL, self->user_data);
    return;
  }
  GST_INFO ("[%s] recording closed: %s, %" G_GUINT64_FORMAT " bytes, %.1f s%s%s", self->log_id,
            self->path, bytes, duration_s, owned ? ": " : "", owned ? owned->message : "");
  self->done (self, self->path, bytes, duration_s, owned, self->user_data);
}

static gboolean
on_eos_reached (gpointer data)
{
  LmrRecorder *self = data;

  finish (self, NULL);
  return G_SOURCE_REMOVE;
}

static GstPadProbeReturn
on_sink_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LmrRecorder *self = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    lmr_hop (self->context, on_eos_reached, g_object_ref (self), g_object_unref);
  return GST_PAD_PROBE_OK;
}

static gboolean
on_eos_timeout (gpointer data)
{
  LmrRecorder *self = data;

  self->eos_timer = 0;
  finish (self, g_error_new (LMR_ERROR, LMR_ERROR_MEDIA,
                             "the file was not finished within %d s", EOS_TIMEOUT_S));
  return G_SOURCE_REMOVE;
}

void
lmr_recorder_stop (LmrRecorder *self)
{
  g_return_if_fail (LMR_IS_RECORDER (self));
  if (self->stopping)
    return;
  self->stopping = TRUE;
  GST_INFO ("[%s] stopping the recording", self->log_id);
  for (guint i = 0; i < N_BRANCHES; i++) {
    if (self->tee_pads[i]) {
      g_autoptr (GstPad) peer = gst_pad_get_peer (self->tee_pads[i]);

      if (peer)
        gst_pad_unlink (self->tee_pads[i], peer);
      gst_element_release_request_pad (self->tees[i], self->tee_pads[i]);
      g_clear_object (&self->tee_pads[i]);
    }
    if (self->sinks[i])
      gst_pad_send_event (self->sinks[i], gst_event_new_eos ());
  }
  self->eos_timer = g_timeout_add_seconds (EOS_TIMEOUT_S, on_eos_timeout, self);
}

/* ---- Set-up ---- */

static GstPad *
branch_sink (LmrRecorder *self, const char *queue_name)
{
  g_autoptr (GstElement) queue = gst_bin_get_by_name (GST_BIN (self->bin), queue_name);
  g_autoptr (GstPad) target = gst_element_get_static_pad (queue, "sink");
  GstPad *ghost = gst_ghost_pad_new (queue_name, target);

  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (self->bin, ghost);
  return gst_object_ref (ghost);
}

static gboolean
build (LmrRecorder *self, GstElement *video_tee, GstElement *audio_tee, GError **error)
{
  g_autoptr (GString) desc = g_string_new ("webmmux name=mux ! filesink name=file async=false ");
  g_autoptr (GstElement) file = NULL;
  g_autoptr (GstPad) file_sink = NULL;
  GstElement *tees[N_BRANCHES] = { video_tee, audio_tee };

  if (video_tee)
    g_string_append (desc, QUEUE " name=video ! rtpvp8depay request-keyframe=true "
                     "wait-for-keyframe=true ! mux. ");
  if (audio_tee)
    g_string_append (desc, QUEUE " name=audio ! rtpopusdepay ! mux. ");
  self->bin = gst_parse_bin_from_description (desc->str, FALSE, error);
  if (self->bin == NULL)
    return FALSE;
  file = gst_bin_get_by_name (GST_BIN (self->bin), "file");
  g_object_set (file, "location", self->path, NULL);
  file_sink = gst_element_get_static_pad (file, "sink");
  gst_pad_add_probe (file_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_event, self, NULL);

  for (guint i = 0; i < N_BRANCHES; i++) {
    if (tees[i] == NULL)
      continue;
    self->sinks[i] = branch_sink (self, i == VIDEO ? "video" : "audio");
    self->branches[i].self = self;
    gst_segment_init (&self->branches[i].segment, GST_FORMAT_TIME);
    gst_pad_add_probe (self->sinks[i], GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       on_branch_data, &self->branches[i], NULL);
  }

  gst_bin_add (self->pipeline, self->bin);
  gst_element_sync_state_with_parent (self->bin);
  for (guint i = 0; i < N_BRANCHES; i++) {
    if (tees[i] == NULL)
      continue;
    self->tees[i] = gst_object_ref (tees[i]);
    self->tee_pads[i] = gst_element_request_pad_simple (tees[i], "src_%u");
    if (gst_pad_link (self->tee_pads[i], self->sinks[i]) != GST_PAD_LINK_OK) {
      g_set_error_literal (error, LMR_ERROR, LMR_ERROR_MEDIA, "cannot link the recorder");
      return FALSE;
    }
  }
  /* Without a keyframe the depayloader drops video until the next one. */
  if (video_tee) {
    g_autoptr (GstPad) tee_sink = gst_element_get_static_pad (video_tee, "sink");

    gst_pad_push_event (tee_sink, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                               TRUE, 0));
  }
  return TRUE;
}

LmrRecorder *
lmr_recorder_new (GstBin              *pipeline,
                  const char          *path,
                  const char          *log_id,
                  GstElement          *video_tee,
                  GstElement          *audio_tee,
                  LmrRecorderDoneFunc  done,
                  gpointer             user_data,
                  GError             **error)
{
  g_autoptr (LmrRecorder) self = NULL;

  g_return_val_if_fail (video_tee || audio_tee, NULL);
  self = g_object_new (LMR_TYPE_RECORDER, NULL);
  self->pipeline = gst_object_ref (pipeline);
  self->path = g_strdup (path);
  self->log_id = g_strdup (log_id);
  self->done = done;
  self->user_data = user_data;
  if (!build (self, video_tee, audio_tee, error)) {
    self->finished = TRUE;
    return NULL;
  }
  GST_INFO ("[%s] recording into %s", self->log_id, self->path);
  return g_steal_pointer (&self);
}

char *
lmr_recorder_create_file (const char  *dir,
                          const char  *stem,
                          GError     **error)
{
  g_autofree char *safe = g_strdup (stem);

  g_strcanon (safe, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "_.-", '_');
  for (guint i = 1; i <= MAX_NAME_TRIES; i++) {
    g_autofree char *name = i == 1 ? g_strdup_printf ("%s.webm", safe)
                                   : g_strdup_printf ("%s-%u.webm", safe, i);
    char *path = g_build_filename (dir, name, NULL);
    int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd >= 0) {
      g_close (fd, NULL);
      return path;
    }
    if (errno != EEXIST) {
      int saved = errno;

      g_set_error (error, LMR_ERROR, LMR_ERROR_MEDIA, "cannot create %s: %s", path,
                   g_strerror (saved));
      g_free (path);
      return NULL;
    }
    g_free (path);
  }
  g_set_error (error, LMR_ERROR, LMR_ERROR_MEDIA, "cannot find a free file name for %s in %s",
               safe, dir);
  return NULL;
}

/* ---- GObject ---- */

static void
lmr_recorder_dispose (GObject *object)
{
  LmrRecorder *self = LMR_RECORDER (object);

  g_clear_handle_id (&self->eos_timer, g_source_remove);
  if (self->bin && self->pipeline) {
    gst_element_set_locked_state (self->bin, TRUE);
    gst_element_set_state (self->bin, GST_STATE_NULL);
    gst_bin_remove (self->pipeline, self->bin);
    self->bin = NULL;
  }
  for (guint i = 0; i < N_BRANCHES; i++) {
    if (self->tee_pads[i])
      gst_element_release_request_pad (self->tees[i], self->tee_pads[i]);
    g_clear_object (&self->tee_pads[i]);
    g_clear_object (&self->tees[i]);
    g_clear_object (&self->sinks[i]);
  }
  g_clear_object (&self->pipeline);
  G_OBJECT_CLASS (lmr_recorder_parent_class)->dispose (object);
}

static void
lmr_recorder_finalize (GObject *object)
{
  LmrRecorder *self = LMR_RECORDER (object);

  g_free (self->log_id);
  g_free (self->path);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (lmr_recorder_parent_class)->finalize (object);
}

static void
lmr_recorder_class_init (LmrRecorderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lmr_recorder_dispose;
  object_class->finalize = lmr_recorder_finalize;
  GST_DEBUG_CATEGORY_INIT (lmr_recorder_debug, "lmr-recorder", 0, "lastmile relay recording");
}

static void
lmr_recorder_init (LmrRecorder *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->base = GST_CLOCK_TIME_NONE;
  self->end = GST_CLOCK_TIME_NONE;
}

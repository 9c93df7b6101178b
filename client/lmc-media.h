/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The media engine of one consultation: sources and real-time encoders into
 * webrtcbin, webrtcbin's received streams into decoders and a window or a
 * counting sink. Everything webrtcbin reports on its own threads reaches
 * the caller as an LmcMediaEvent on the GMainContext that was the
 * thread-default one when lmc_media_new() ran. */

typedef enum {
  LMC_VIDEO_SOURCE_TEST,
  LMC_VIDEO_SOURCE_V4L2,
  LMC_VIDEO_SOURCE_AUTO,
} LmcVideoSource;

typedef enum {
  LMC_AUDIO_SOURCE_TEST,
  LMC_AUDIO_SOURCE_AUTO,    /* the system's microphone */
  LMC_AUDIO_SOURCE_NONE,    /* receive audio only */
} LmcAudioSource;

typedef struct {
  LmcVideoSource video;
  char *video_device;       /* v4l2 device, NULL for the default */
  LmcAudioSource audio;
  int width;
  int height;
  int fps;
  int max_bitrate_kbps;
  gboolean display;         /* remote video and self-view in windows */
  guint latency_ms;         /* jitterbuffer latency */
  char **stun_servers;      /* stun://host:port */
  char **turn_servers;      /* turn://user:pass@host:port, escaped */
  gboolean relay_only;
} LmcMediaConfig;

void lmc_media_config_clear (LmcMediaConfig *config);
void lmc_media_config_copy (const LmcMediaConfig *src, LmcMediaConfig *dest);

/* Replaces AUTO sources by what the machine has: a V4L2 camera and a
 * microphone when present, the test sources otherwise. */
void lmc_media_config_resolve_auto (LmcMediaConfig *config);

typedef enum {
  LMC_MEDIA_EVENT_LOCAL_SDP,        /* sdp_type, text */
  LMC_MEDIA_EVENT_LOCAL_CANDIDATE,  /* mline, text ("" = end of candidates) */
  LMC_MEDIA_EVENT_ICE_CONNECTED,    /* time_us */
  LMC_MEDIA_EVENT_CONNECTED,        /* time_us: ICE and DTLS up, media flows */
  LMC_MEDIA_EVENT_FIRST_FRAME,      /* time_us: first decoded remote frame */
  LMC_MEDIA_EVENT_REMOTE_STREAM,    /* text (mid), video: a remote stream started */
  LMC_MEDIA_EVENT_STATS,            /* stats */
  LMC_MEDIA_EVENT_ERROR,            /* reason, error */
} LmcMediaEventKind;

/* Cumulative figures of one consultation. Sent media is counted as it is
 * handed to the network (RTP packets of the video payload type that end
 * a frame, of the audio payload type, their bytes with SRTP); received
 * media per stream: decoded video frames, audio RTP packets and RTP bytes
 * as webrtcbin hands them out. After lmc_media_freeze_counters() the
 * counts stop and media RTP is no longer sent, so what one side counts as
 * received never exceeds what the other counted as sent. */
typedef struct {
  guint64 video_frames_sent;
  guint64 video_frames_received;
  guint64 audio_buffers_sent;
  guint64 audio_buffers_received;
  guint64 bytes_sent;
  guint64 bytes_received;
  guint64 packets_received;   /* RTP, from the jitterbuffers */
  guint64 packets_lost;
  double rtt_ms;              /* RTCP report blocks (RFC 3550); < 0 when unknown */
  const char *local_candidate_type;   /* static strings, NULL when unknown */
  const char *remote_candidate_type;
  gint64 time_us;             /* monotonic time of the sample */
} LmcMediaStats;

/* One received stream (an m-line of the remote description). */
typedef struct {
  char *mid;
  gboolean video;
  guint64 frames;             /* decoded video frames, or audio RTP packets */
  guint64 bytes;              /* RTP bytes */
} LmcMediaStreamStats;

typedef struct {
  LmcMediaEventKind kind;
  const char *sdp_type;
  const char *text;
  guint mline;
  gboolean video;
  gint64 time_us;
  const LmcMediaStats *stats;
  const char *reason;         /* machine-readable, for consult.end */
  const GError *error;
} LmcMediaEvent;

#define LMC_TYPE_MEDIA (lmc_media_get_type ())
G_DECLARE_FINAL_TYPE (LmcMedia, lmc_media, LMC, MEDIA, GObject)

typedef void (*LmcMediaEventFunc) (LmcMedia            *media,
                                   const LmcMediaEvent *event,
                                   gpointer             user_data);

/* Generates the process's DTLS certificate now (100-700 ms of RSA key
 * generation) so that no consultation waits for it. Runs in the returned
 * thread, which must be joined before the process exits (OpenSSL's exit
 * handlers must not run under it). `ready`, if not NULL, then runs once
 * on the caller's thread-default main context. */
GThread *lmc_media_prewarm (GSourceFunc ready, gpointer user_data);

/* `log_id` names the consultation in every log line. */
LmcMedia *lmc_media_new (const LmcMediaConfig *config,
                         const char           *log_id,
                         LmcMediaEventFunc     func,
                         gpointer              user_data,
                         GError              **error);

/* Starts the pipeline; the offerer then emits LOCAL_SDP with its offer.
 * The answerer answers every offer it is given (a relay renegotiates
 * when participants come and go); the offerer makes one offer. */
gboolean lmc_media_start (LmcMedia  *self,
                          gboolean   offerer,
                          GError   **error);

/* The peer's description. Fails at once for SDP that does not parse or is
 * of the wrong type for this side; a description webrtcbin rejects later
 * arrives as an ERROR event with reason "bad_sdp". An offer that comes
 * while the previous one is still being answered waits for that answer
 * (only the latest waits). Media sections the offer adds become receive
 * streams: each one's frames are counted under its mid, and a
 * REMOTE_STREAM event announces it when its media starts. */
gboolean lmc_media_set_remote_description (LmcMedia    *self,
                                           const char  *type,
                                           const char  *sdp,
                                           GError     **error);

/* One trickled candidate; "" ends the peer's candidates. Fails for a
 * candidate that does not parse or names an m-line that does not exist. */
gboolean lmc_media_add_remote_candidate (LmcMedia    *self,
                                         guint        mline,
                                         const char  *candidate,
                                         GError     **error);

/* Asks webrtcbin for fresh statistics: a STATS event follows. */
void lmc_media_request_stats (LmcMedia *self);

/* The counters now (network figures from the last STATS). */
void lmc_media_get_stats (LmcMedia *self, LmcMediaStats *stats);

/* The received streams, one LmcMediaStreamStats per mid, in the order
 * they started. Free with g_array_unref(). */
GArray *lmc_media_get_stream_stats (LmcMedia *self);

/* Stops counting (and sending media), so that both sides of an ending
 * consultation compare the same stretch of media. */
void lmc_media_freeze_counters (LmcMedia *self);

/* Releases what the ICE agent holds on servers (its TURN allocations,
 * with refresh requests of lifetime 0), then stops the pipeline. No event
 * is delivered once called. `callback` runs on the main context when the
 * agent confirmed, or after `timeout_ms`: then finish fails with
 * G_IO_ERROR_TIMED_OUT (the pipeline is stopped either way). */
void lmc_media_close_async (LmcMedia            *self,
                            guint                timeout_ms,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data);
gboolean lmc_media_close_finish (LmcMedia      *self,
                                 GAsyncResult  *result,
                                 GError       **error);

/* Stops the pipeline now, without waiting for the ICE agent (a close in
 * progress completes at once with G_IO_ERROR_TIMED_OUT); no event is
 * delivered afterwards. */
void lmc_media_stop (LmcMedia *self);

G_END_DECLS

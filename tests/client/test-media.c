/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* Two media engines in one process, offer and answer handed over
 * directly: what lastmile-client does once signaling has connected them. */
#include <gst/gst.h>

#include "lmc-error.h"
#include "lmc-media.h"

#define DEADLINE_S 20

typedef struct _Fixture Fixture;

typedef struct {
  Fixture *fixture;
  LmcMedia *media;
  LmcMedia *peer;
  gint64 connected_us;
  gint64 first_frame_us;
  guint n_candidates;
  gboolean gathering_done;
  gboolean expect_error;
  char *error_reason;
  LmcMediaStats stats;
  gboolean have_stats;
} Side;

struct _Fixture {
  Side offerer;
  Side answerer;
  gint64 start_us;
};

static LmcMediaConfig
test_config (LmcAudioSource audio)
{
  return (LmcMediaConfig) {
    .video = LMC_VIDEO_SOURCE_TEST,
    .audio = audio,
    .width = 320,
    .height = 240,
    .fps = 30,
    .max_bitrate_kbps = 500,
    .latency_ms = 50,
  };
}

static void
on_event (LmcMedia *media, const LmcMediaEvent *event, gpointer user_data)
{
  Side *side = user_data;
  g_autoptr (GError) error = NULL;

  switch (event->kind) {
    case LMC_MEDIA_EVENT_LOCAL_SDP:
      g_assert_true (lmc_media_set_remote_description (side->peer, event->sdp_type,
                                                       event->text, &error));
      g_assert_no_error (error);
      break;
    case LMC_MEDIA_EVENT_LOCAL_CANDIDATE:
      if (event->text[0] == '\0')
        side->gathering_done = TRUE;
      else
        side->n_candidates++;
      g_assert_true (lmc_media_add_remote_candidate (side->peer, event->mline, event->text, &error));
      g_assert_no_error (error);
      break;
    case LMC_MEDIA_EVENT_ICE_CONNECTED:
      break;
    case LMC_MEDIA_EVENT_CONNECTED:
      side->connected_us = event->time_us;
      break;
    case LMC_MEDIA_EVENT_FIRST_FRAME:
      side->first_frame_us = event->time_us;
      break;
    case LMC_MEDIA_EVENT_STATS:
      side->stats = *event->stats;
      side->have_stats = TRUE;
      break;
    case LMC_MEDIA_EVENT_ERROR:
      if (!side->expect_error)
        g_error ("unexpected media error %s: %s", event->reason, event->error->message);
      g_free (side->error_reason);
      side->error_reason = g_strdup (event->reason);
      break;
  }
}

static void
side_init (Fixture *f, Side *side, const char *name, LmcAudioSource audio)
{
  LmcMediaConfig config = test_config (audio);
  g_autoptr (GError) error = NULL;

  side->fixture = f;
  side->media = lmc_media_new (&config, name, on_event, side, &error);
  g_assert_no_error (error);
  g_assert_nonnull (side->media);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  LmcAudioSource answerer_audio = GPOINTER_TO_INT (data);

  f->start_us = g_get_monotonic_time ();
  side_init (f, &f->offerer, "test-offerer", LMC_AUDIO_SOURCE_TEST);
  side_init (f, &f->answerer, "test-answerer", answerer_audio);
  f->offerer.peer = f->answerer.media;
  f->answerer.peer = f->offerer.media;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  lmc_media_stop (f->offerer.media);
  lmc_media_stop (f->answerer.media);
  g_clear_object (&f->offerer.media);
  g_clear_object (&f->answerer.media);
  g_free (f->offerer.error_reason);
  g_free (f->answerer.error_reason);
}

typedef gboolean (*Condition) (Fixture *f);

static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until the condition holds; the tick wakes it
 * for conditions on counters that streaming threads update. */
static void
wait_for (Fixture *f, Condition condition, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  guint tick = g_timeout_add (10, on_tick, NULL);

  while (!condition (f)) {
    if (g_get_monotonic_time () > deadline)
      g_error ("timed out waiting for %s", what);
    g_main_context_iteration (NULL, TRUE);
  }
  g_source_remove (tick);
}

static void
start_both (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (lmc_media_start (f->answerer.media, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (lmc_media_start (f->offerer.media, TRUE, &error));
  g_assert_no_error (error);
}

static gboolean
both_have_frames (Fixture *f)
{
  LmcMediaStats a, b;

  lmc_media_get_stats (f->offerer.media, &a);
  lmc_media_get_stats (f->answerer.media, &b);
  return a.video_frames_received >= 60 && b.video_frames_received >= 60;
}

static gboolean
both_have_stats (Fixture *f)
{
  return f->offerer.have_stats && f->answerer.have_stats;
}

static void
test_media_call (Fixture *f, gconstpointer data)
{
  LmcMediaStats a, b;

  start_both (f);
  wait_for (f, both_have_frames, "60 frames each way");

  g_assert_cmpint (f->offerer.connected_us, >, 0);
  g_assert_cmpint (f->answerer.first_frame_us, >, 0);
  g_test_message ("connected after %.0f ms, answerer's first frame after %.0f ms",
                  (f->answerer.connected_us - f->start_us) / 1000.0,
                  (f->answerer.first_frame_us - f->start_us) / 1000.0);

  lmc_media_request_stats (f->offerer.media);
  lmc_media_request_stats (f->answerer.media);
  wait_for (f, both_have_stats, "statistics");
  lmc_media_freeze_counters (f->offerer.media);
  lmc_media_freeze_counters (f->answerer.media);

  lmc_media_get_stats (f->offerer.media, &a);
  lmc_media_get_stats (f->answerer.media, &b);
  g_assert_cmpuint (a.video_frames_sent, >, 0);
  g_assert_cmpuint (a.audio_buffers_sent, >, 0);
  g_assert_cmpuint (b.audio_buffers_received, >, 0);
  g_assert_cmpuint (a.audio_buffers_received, >, 0);
  g_assert_cmpuint (b.bytes_received, >, 0);
  g_assert_cmpuint (a.bytes_sent, >, 0);
  g_assert_cmpstr (b.local_candidate_type, ==, "host");
  g_assert_cmpstr (b.remote_candidate_type, ==, "host");
  g_assert_cmpuint (f->answerer.stats.packets_received, >, 0);
}

/* With --audio none the answerer still hears the offerer. */
static void
test_media_receive_only_audio (Fixture *f, gconstpointer data)
{
  LmcMediaStats a, b;

  start_both (f);
  wait_for (f, both_have_frames, "60 frames each way");
  lmc_media_get_stats (f->offerer.media, &a);
  lmc_media_get_stats (f->answerer.media, &b);
  g_assert_cmpuint (b.audio_buffers_sent, ==, 0);
  g_assert_cmpuint (b.audio_buffers_received, >, 0);
  g_assert_cmpuint (a.audio_buffers_received, ==, 0);
}

/* ---- A peer that sends nonsense ---- */

typedef struct {
  const char *name;
  const char *type;
  const char *sdp;
} BadSdp;

static const BadSdp bad_sdps[] = {
  { "empty", "offer", "" },
  { "garbage", "offer", "hello world" },
  { "no-media", "offer", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" },
  { "no-fingerprint", "offer",
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n"
    "a=ice-pwd:abcdabcdabcdabcdabcdabcd\r\na=rtpmap:96 VP8/90000\r\n" },
  { "plain-rtp", "offer",
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\n" },
  { "wrong-type", "answer",
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\n" },
  { "rollback", "rollback", "" },
  { "unknown-type", "banana", "v=0\r\n" },
};

static void
test_media_bad_sdp (gconstpointer data)
{
  const BadSdp *bad = data;
  LmcMediaConfig config = test_config (LMC_AUDIO_SOURCE_TEST);
  g_autoptr (LmcMedia) media = NULL;
  g_autoptr (GError) error = NULL;

  media = lmc_media_new (&config, "bad-sdp", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (lmc_media_start (media, FALSE, &error));
  g_assert_false (lmc_media_set_remote_description (media, bad->type, bad->sdp, &error));
  g_assert_error (error, LMC_ERROR, LMC_ERROR_PEER);
  lmc_media_stop (media);
}

typedef struct {
  const char *name;
  guint mline;
  const char *candidate;
} BadCandidate;

static const BadCandidate bad_candidates[] = {
  { "garbage", 0, "hello" },
  { "no-typ", 0, "candidate:1 1 UDP 2015363327 127.0.0.1 40000 host" },
  { "bad-port", 0, "candidate:1 1 UDP 2015363327 127.0.0.1 99999 typ host" },
  { "bad-type", 0, "candidate:1 1 UDP 2015363327 127.0.0.1 4000 typ banana" },
  { "bad-transport", 0, "candidate:1 1 SCTP 2015363327 127.0.0.1 4000 typ host" },
  { "bad-address", 0, "candidate:1 1 UDP 2015363327 127.0.0.1;rm 4000 typ host" },
  { "bad-mline", 99, "candidate:1 1 UDP 2015363327 127.0.0.1 4000 typ host" },
};

static void
test_media_bad_candidate (gconstpointer data)
{
  const BadCandidate *bad = data;
  LmcMediaConfig config = test_config (LMC_AUDIO_SOURCE_TEST);
  g_autoptr (LmcMedia) media = NULL;
  g_autoptr (GError) error = NULL;

  media = lmc_media_new (&config, "bad-candidate", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (lmc_media_add_remote_candidate (media, bad->mline, bad->candidate, &error));
  g_assert_error (error, LMC_ERROR, LMC_ERROR_PEER);
}

/* SDP that parses and looks complete but that webrtcbin refuses: the
 * refusal arrives later, as an ERROR event naming bad_sdp. */
static gboolean
answerer_has_error (Fixture *f)
{
  return f->answerer.error_reason != NULL;
}

static void
test_media_rejected_sdp (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *sdp =
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE video0 video1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:video0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdabcdabcdabcdabcdabcd\r\na=setup:actpass\r\n"
    "a=fingerprint:sha-256 00:11\r\na=sendrecv\r\na=rtpmap:96 VP8/90000\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:video1\r\n"
    "a=ice-ufrag:efgh\r\na=ice-pwd:efghefghefghefghefghefgh\r\na=setup:actpass\r\n"
    "a=fingerprint:sha-256 00:11\r\na=sendrecv\r\na=rtpmap:96 VP8/90000\r\n";

  f->answerer.expect_error = TRUE;
  g_assert_true (lmc_media_start (f->answerer.media, FALSE, &error));
  g_assert_true (lmc_media_set_remote_description (f->answerer.media, "offer", sdp, &error));
  g_assert_no_error (error);
  wait_for (f, answerer_has_error, "webrtcbin to refuse the offer");
  g_assert_cmpstr (f->answerer.error_reason, ==, "bad_sdp");
}

int
main (int argc, char **argv)
{
  GThread *prewarm;
  int result;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  prewarm = lmc_media_prewarm (NULL, NULL);

  g_test_add ("/media/call", Fixture, GINT_TO_POINTER (LMC_AUDIO_SOURCE_TEST),
              fixture_setup, test_media_call, fixture_teardown);
  g_test_add ("/media/receive-only-audio", Fixture, GINT_TO_POINTER (LMC_AUDIO_SOURCE_NONE),
              fixture_setup, test_media_receive_only_audio, fixture_teardown);
  g_test_add ("/media/rejected-sdp", Fixture, GINT_TO_POINTER (LMC_AUDIO_SOURCE_TEST),
              fixture_setup, test_media_rejected_sdp, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (bad_sdps); i++) {
    g_autofree char *path = g_strdup_printf ("/media/bad-sdp/%s", bad_sdps[i].name);

    g_test_add_data_func (path, &bad_sdps[i], test_media_bad_sdp);
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad_candidates); i++) {
    g_autofree char *path = g_strdup_printf ("/media/bad-candidate/%s", bad_candidates[i].name);

    g_test_add_data_func (path, &bad_candidates[i], test_media_bad_candidate);
  }
  result = g_test_run ();
  g_thread_join (prewarm);
  return result;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* Two media engines in one process, offer and answer handed over
 * directly: what lastmile-client does once signaling has connected them. */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <nice/interfaces.h>

#include "lmc-error.h"
#include "lmc-media.h"

#define DEADLINE_S 20
#define CLOSE_TIMEOUT_MS 2000
#define TURN_USER "lm"
#define TURN_PASSWORD "secret"

typedef struct _Fixture Fixture;

typedef struct {
  Fixture *fixture;
  LmcMedia *media;
  LmcMedia *peer;
  gint64 connected_us;
  gint64 first_frame_us;
  guint n_candidates;
  guint n_remote_streams;
  gboolean gathering_done;
  gboolean expect_error;
  char *error_reason;
  LmcMediaStats stats;
  gboolean have_stats;
} Side;

/* A coturn (TURNSERVER) on this machine, for the relayed call. */
typedef struct {
  GSubprocess *process;
  GDataInputStream *out;
  GCancellable *cancellable;
  GString *log;
  char *address;
  guint port;
  gboolean ready;
} Turn;

struct _Fixture {
  Side offerer;
  Side answerer;
  gint64 start_us;
  gint64 next_stats_us;
  Turn turn;
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
    case LMC_MEDIA_EVENT_REMOTE_STREAM:
      side->n_remote_streams++;
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
side_init_config (Fixture *f, Side *side, const char *name, const LmcMediaConfig *config)
{
  g_autoptr (GError) error = NULL;

  side->fixture = f;
  side->media = lmc_media_new (config, name, on_event, side, &error);
  g_assert_no_error (error);
  g_assert_nonnull (side->media);
}

static void
side_init (Fixture *f, Side *side, const char *name, LmcAudioSource audio)
{
  LmcMediaConfig config = test_config (audio);

  side_init_config (f, side, name, &config);
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
  if (f->offerer.media)
    lmc_media_stop (f->offerer.media);
  if (f->answerer.media)
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

static gboolean
on_moment_over (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* 300 ms of main-context iterations (in-flight packets land). */
static void
wait_a_moment (Fixture *f)
{
  gboolean over = FALSE;

  g_timeout_add (300, on_moment_over, &over);
  while (!over)
    g_main_context_iteration (NULL, TRUE);
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

  /* Let what was sent before the freeze arrive: nothing more is sent. */
  wait_a_moment (f);
  lmc_media_get_stats (f->offerer.media, &a);
  lmc_media_get_stats (f->answerer.media, &b);
  g_test_message ("offerer sent %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
                  " audio; answerer received %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT,
                  a.video_frames_sent, a.audio_buffers_sent, b.video_frames_received,
                  b.audio_buffers_received);
  g_assert_cmpuint (b.video_frames_received, <=, a.video_frames_sent);
  g_assert_cmpuint (a.video_frames_received, <=, b.video_frames_sent);
  g_assert_cmpuint (b.audio_buffers_received, <=, a.audio_buffers_sent);
  g_assert_cmpuint (a.audio_buffers_received, <=, b.audio_buffers_sent);
  g_assert_cmpuint (b.video_frames_received + 5, >=, a.video_frames_sent);
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

/* The round trip is known on both sides within a few seconds: RTCP
 * reports come every second or so, the second one carries an LSR. */
static gboolean
both_have_rtt (Fixture *f)
{
  if (f->offerer.have_stats && f->offerer.stats.rtt_ms > 0 &&
      f->answerer.have_stats && f->answerer.stats.rtt_ms > 0)
    return TRUE;
  if (g_get_monotonic_time () >= f->next_stats_us) {
    f->next_stats_us = g_get_monotonic_time () + 250 * G_TIME_SPAN_MILLISECOND;
    lmc_media_request_stats (f->offerer.media);
    lmc_media_request_stats (f->answerer.media);
  }
  return FALSE;
}

static void
test_media_rtt (Fixture *f, gconstpointer data)
{
  gint64 connected_us;

  start_both (f);
  wait_for (f, both_have_frames, "60 frames each way");
  connected_us = MAX (f->offerer.connected_us, f->answerer.connected_us);
  wait_for (f, both_have_rtt, "a round-trip time on both sides");
  g_test_message ("RTT %.3f / %.3f ms, known %.1f s after connecting",
                  f->offerer.stats.rtt_ms, f->answerer.stats.rtt_ms,
                  (g_get_monotonic_time () - connected_us) / (double) G_USEC_PER_SEC);
  g_assert_cmpfloat (f->offerer.stats.rtt_ms, <, 1000);
  g_assert_cmpfloat (f->answerer.stats.rtt_ms, <, 1000);
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

/* ---- Through TURN: the allocations are released at the end ---- */

static guint
free_udp_port (const char *ip)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new_from_string (ip, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* libnice gathers on the machine's interfaces, loopback only when there
 * is nothing else, and Linux does not route from those to 127.0.0.1: the
 * TURN server listens where the candidates are. */
static char *
turn_address (void)
{
  GList *ips = nice_interfaces_get_local_ips (FALSE);
  char *address = NULL;

  for (GList *l = ips; l && address == NULL; l = l->next)
    if (g_hostname_is_ip_address (l->data) && strchr (l->data, ':') == NULL)
      address = g_strdup (l->data);
  g_list_free_full (ips, g_free);
  return address ? address : g_strdup ("127.0.0.1");
}

static void turn_read_line (Turn *turn);

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
on_turn_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Turn *turn = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *ready = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                    &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || line == NULL)
    return;
  g_string_append_printf (turn->log, "%s\n", line);
  ready = g_strdup_printf ("UDP listener opened on: %s:%u", turn->address, turn->port);
  if (strstr (line, ready))
    turn->ready = TRUE;
  turn_read_line (turn);
}

static void
turn_read_line (Turn *turn)
{
  g_data_input_stream_read_line_async (turn->out, G_PRIORITY_DEFAULT, turn->cancellable,
                                       on_turn_line, turn);
}

static gboolean
turn_ready (Fixture *f)
{
  return f->turn.ready;
}

static void
turn_start (Fixture *f)
{
  Turn *turn = &f->turn;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autofree char *dir = g_dir_make_tmp ("lmc-turn-XXXXXX", &error);
  g_autofree char *port = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *relay = NULL;
  g_autofree char *db = NULL;
  g_autofree char *pid = NULL;
  g_autofree char *found = g_find_program_in_path ("turnserver");
  const char *binary = g_getenv ("TURNSERVER") ? g_getenv ("TURNSERVER") : found;

  g_assert_no_error (error);
  /* coturn is part of the test setup (.ci/setup): its absence is a failure. */
  if (!binary)
    g_error ("turnserver (Debian package coturn) is not installed");
  turn->address = turn_address ();
  turn->port = free_udp_port (turn->address);
  listen = g_strdup_printf ("--listening-ip=%s", turn->address);
  relay = g_strdup_printf ("--relay-ip=%s", turn->address);
  turn->log = g_string_new (NULL);
  turn->cancellable = g_cancellable_new ();
  port = g_strdup_printf ("--listening-port=%u", turn->port);
  db = g_strdup_printf ("--userdb=%s/turndb", dir);
  pid = g_strdup_printf ("--pidfile=%s/turn.pid", dir);
  /* Loopback peers, for a machine with nothing but loopback. coturn
   * dies with the test, should the test abort. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  turn->process = g_subprocess_launcher_spawn (launcher,
                                    &error, binary, "-n", "-v", listen, relay, port, "--lt-cred-mech",
                                    "--user=" TURN_USER ":" TURN_PASSWORD, "--realm=lastmile.test",
                                    "--no-tls", "--no-dtls", "--no-cli", "--no-tcp-relay",
                                    "--allow-loopback-peers", "--log-file=stdout", "--simple-log",
                                    "--min-port=50000", "--max-port=59999", db, pid, NULL);
  g_assert_no_error (error);
  turn->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (turn->process));
  turn_read_line (turn);
  wait_for (f, turn_ready, "coturn to listen");
  g_object_set_data_full (G_OBJECT (turn->process), "dir", g_steal_pointer (&dir), g_free);
}

static void
turn_stop (Turn *turn)
{
  const char *dir;
  g_autofree char *db = NULL;
  g_autofree char *pid = NULL;

  if (turn->process == NULL)
    return;
  g_cancellable_cancel (turn->cancellable);
  g_subprocess_send_signal (turn->process, SIGTERM);
  g_subprocess_wait (turn->process, NULL, NULL);
  dir = g_object_get_data (G_OBJECT (turn->process), "dir");
  db = g_strdup_printf ("%s/turndb", dir);
  pid = g_strdup_printf ("%s/turn.pid", dir);
  g_remove (db);
  g_remove (pid);
  g_rmdir (dir);
  g_clear_object (&turn->out);
  g_clear_object (&turn->process);
  g_clear_object (&turn->cancellable);
  g_string_free (turn->log, TRUE);
  g_free (turn->address);
}

static void
fixture_setup_turn (Fixture *f, gconstpointer data)
{
  LmcMediaConfig config = test_config (LMC_AUDIO_SOURCE_TEST);
  g_autofree char *uri = NULL;

  turn_start (f);
  uri = g_strdup_printf ("turn://" TURN_USER ":" TURN_PASSWORD "@%s:%u?transport=udp",
                         f->turn.address, f->turn.port);
  config.turn_servers = (char *[]) { uri, NULL };
  config.relay_only = TRUE;
  f->start_us = g_get_monotonic_time ();
  side_init_config (f, &f->offerer, "turn-offerer", &config);
  side_init_config (f, &f->answerer, "turn-answerer", &config);
  f->offerer.peer = f->answerer.media;
  f->answerer.peer = f->offerer.media;
}

static void
fixture_teardown_turn (Fixture *f, gconstpointer data)
{
  fixture_teardown (f, data);
  turn_stop (&f->turn);
}

typedef struct {
  gboolean done;
  GError *error;
  gint64 time_us;
} Closing;

static void
on_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Closing *closing = user_data;

  lmc_media_close_finish (LMC_MEDIA (source), result, &closing->error);
  closing->time_us = g_get_monotonic_time ();
  closing->done = TRUE;
}

static Closing closings[2];

static gboolean
both_closed (Fixture *f)
{
  return closings[0].done && closings[1].done;
}

static guint
count_lines (const char *log, const char *a, const char *b)
{
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i]; i++)
    if (strstr (lines[i], a) && (b == NULL || strstr (lines[i], b)))
      n++;
  return n;
}

static gboolean
turn_released_all (Fixture *f)
{
  const char *log = f->turn.log->str;

  return count_lines (log, "refreshed,", "lifetime=0") >=
         count_lines (log, "ALLOCATE processed, success", NULL);
}

static void
test_media_turn_close (Fixture *f, gconstpointer data)
{
  LmcMediaStats a, b;
  gint64 close_us;
  guint allocated, released;

  start_both (f);
  wait_for (f, both_have_frames, "60 frames each way through TURN");
  lmc_media_get_stats (f->offerer.media, &a);
  lmc_media_get_stats (f->answerer.media, &b);
  g_assert_cmpstr (a.local_candidate_type, ==, "relay");
  g_assert_cmpstr (b.local_candidate_type, ==, "relay");

  memset (closings, 0, sizeof closings);
  lmc_media_freeze_counters (f->offerer.media);
  lmc_media_freeze_counters (f->answerer.media);
  close_us = g_get_monotonic_time ();
  lmc_media_close_async (f->offerer.media, CLOSE_TIMEOUT_MS, NULL, on_closed, &closings[0]);
  lmc_media_close_async (f->answerer.media, CLOSE_TIMEOUT_MS, NULL, on_closed, &closings[1]);
  wait_for (f, both_closed, "both media engines to close");
  g_assert_no_error (closings[0].error);
  g_assert_no_error (closings[1].error);
  g_test_message ("TURN allocations released in %.0f / %.0f ms",
                  (closings[0].time_us - close_us) / 1000.0, (closings[1].time_us - close_us) / 1000.0);

  /* coturn's own account: each allocation refreshed to lifetime 0. Once
   * the agents are gone, libnice would have warned (fatal in a test)
   * about any refresh left. */
  g_clear_object (&f->offerer.media);
  g_clear_object (&f->answerer.media);
  wait_for (f, turn_released_all, "coturn to log the allocations' release");
  allocated = count_lines (f->turn.log->str, "ALLOCATE processed, success", NULL);
  released = count_lines (f->turn.log->str, "refreshed,", "lifetime=0");
  g_test_message ("coturn: %u allocations, %u released", allocated, released);
  g_assert_cmpuint (allocated, ==, 2);
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
  g_test_add ("/media/rtt", Fixture, GINT_TO_POINTER (LMC_AUDIO_SOURCE_TEST),
              fixture_setup, test_media_rtt, fixture_teardown);
  g_test_add ("/media/turn-close", Fixture, NULL,
              fixture_setup_turn, test_media_turn_close, fixture_teardown_turn);
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

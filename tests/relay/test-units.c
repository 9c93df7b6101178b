/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* The relay's parts that need no network: what it accepts from members
 * and from its command line, and how it names files and adds figures. */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <string.h>

#include "lmr-candidate.h"
#include "lmr-error.h"
#include "lmr-keyframe.h"
#include "lmr-options.h"
#include "lmr-recorder.h"
#include "lmr-sdp.h"
#include "lmr-stats.h"

/* ---- Candidates ---- */

typedef struct {
  const char *line;
  gboolean valid;
} CandidateCase;

static const CandidateCase candidate_cases[] = {
  { "candidate:1 1 UDP 2015363327 192.168.1.5 40012 typ host", TRUE },
  { "a=candidate:1 1 udp 2015363327 192.168.1.5 40012 typ host", TRUE },
  { "candidate:3 1 UDP 1677721855 203.0.113.7 5000 typ srflx raddr 10.0.0.2 rport 40012", TRUE },
  { "candidate:4 1 TCP 1015021823 10.0.0.2 9 typ host tcptype active", TRUE },
  { "candidate:5 1 UDP 2015363327 abcd.local 40012 typ host", TRUE },
  { "", FALSE },
  { "candidate:", FALSE },
  { "1 1 UDP 2015363327 192.168.1.5 40012 typ host", FALSE },
  { "candidate:1 1 UDP 2015363327 192.168.1.5 40012", FALSE },
  { "candidate:1 0 UDP 2015363327 192.168.1.5 40012 typ host", FALSE },
  { "candidate:1 1 SCTP 2015363327 192.168.1.5 40012 typ host", FALSE },
  { "candidate:1 1 UDP 99999999999 192.168.1.5 40012 typ host", FALSE },
  { "candidate:1 1 UDP 2015363327 192.168.1.5 70000 typ host", FALSE },
  { "candidate:1 1 UDP 2015363327 192.168.1.5 40012 typ nat", FALSE },
  { "candidate:1 1 UDP 2015363327 192.168.1.5 40012 type host", FALSE },
  { "candidate:1 1 UDP 2015363327  40012 typ host", FALSE },
  { "candidate:\xff 1 UDP 2015363327 192.168.1.5 40012 typ host", FALSE },
};

static void
test_candidate_check (gconstpointer data)
{
  const CandidateCase *c = data;
  g_autoptr (GError) error = NULL;
  gboolean ok = lmr_candidate_check (c->line, &error);

  g_assert_cmpint (ok, ==, c->valid);
  if (!ok)
    g_assert_error (error, LMR_ERROR, LMR_ERROR_PEER);
}

static void
test_candidate_rewrite (void)
{
  g_autofree char *v4 = lmr_candidate_rewrite_host (
      "candidate:1 1 UDP 2015363327 10.0.0.5 40012 typ host", "203.0.113.9");
  g_autofree char *v6 = lmr_candidate_rewrite_host (
      "candidate:2 1 UDP 2015363327 fe80::1 40012 typ host", "203.0.113.9");
  g_autofree char *srflx = lmr_candidate_rewrite_host (
      "candidate:3 1 UDP 1677721855 198.51.100.1 5000 typ srflx raddr 10.0.0.5 rport 40012",
      "203.0.113.9");
  g_autofree char *tcp = lmr_candidate_rewrite_host (
      "candidate:4 1 TCP 1015021823 10.0.0.5 9 typ host tcptype active", "203.0.113.9");
  g_autofree char *none = lmr_candidate_rewrite_host (
      "candidate:1 1 UDP 2015363327 10.0.0.5 40012 typ host", NULL);

  g_assert_cmpstr (v4, ==, "candidate:1 1 UDP 2015363327 203.0.113.9 40012 typ host");
  g_assert_null (v6);
  g_assert_null (srflx);
  g_assert_null (tcp);
  g_assert_null (none);
}

/* ---- SDP answers ---- */

#define SESSION "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define CREDS "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" \
  "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
#define VIDEO(dir) "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n" CREDS "a=" dir "\r\na=mid:video0\r\n"
#define AUDIO(dir) "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n" CREDS "a=" dir "\r\na=mid:audio1\r\n"

typedef struct {
  const char *name;
  const char *sdp;
  guint n_mlines;
  gboolean valid;
} SdpCase;

static const SdpCase sdp_cases[] = {
  { "good", SESSION VIDEO ("sendonly") AUDIO ("sendonly"), 2, TRUE },
  { "session-level-credentials",
    "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" CREDS
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:video0\r\n", 1, TRUE },
  { "garbage", "hello", 2, FALSE },
  { "empty", "", 2, FALSE },
  { "wrong-version", "v=1\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" VIDEO ("sendonly"), 1, FALSE },
  { "fewer-sections", SESSION VIDEO ("sendonly"), 2, FALSE },
  { "more-sections", SESSION VIDEO ("sendonly") AUDIO ("sendonly") AUDIO ("recvonly"), 2, FALSE },
  { "not-srtp", SESSION "m=video 9 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\n" CREDS, 1, FALSE },
  { "application", SESSION "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" CREDS, 1, FALSE },
  { "no-fingerprint", SESSION "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n", 1, FALSE },
};

static void
test_sdp_answer (gconstpointer data)
{
  const SdpCase *c = data;
  g_autoptr (GError) error = NULL;
  GstSDPMessage *msg = lmr_sdp_parse_answer (c->sdp, c->n_mlines, &error);

  g_assert_cmpint (msg != NULL, ==, c->valid);
  if (msg)
    gst_sdp_message_free (msg);
  else
    g_assert_error (error, LMR_ERROR, LMR_ERROR_PEER);
}

static void
test_sdp_directions (void)
{
  g_autoptr (GError) error = NULL;
  GstSDPMessage *msg = lmr_sdp_parse_answer (SESSION VIDEO ("sendonly") AUDIO ("inactive"), 2, &error);

  g_assert_no_error (error);
  g_assert_true (lmr_sdp_media_sends (msg, 0));
  g_assert_false (lmr_sdp_media_sends (msg, 1));
  g_assert_false (lmr_sdp_media_sends (msg, 2));
  gst_sdp_message_free (msg);
}

/* ---- Figures ---- */

static void
test_stats_rates (void)
{
  LmrLegStats before = { .bytes_sent = 1000, .bytes_received = 2000, .packets_received = 100,
                         .packets_lost = 2, .time_us = 0 };
  LmrLegStats now = { .bytes_sent = 126000, .bytes_received = 252000, .packets_received = 290,
                      .packets_lost = 12, .time_us = 2 * G_USEC_PER_SEC };
  LmrLegStats reset = now;
  LmrLegRates rates;

  lmr_stats_rates (&before, &now, &rates);
  g_assert_cmpfloat_with_epsilon (rates.kbps_sent, 500.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (rates.kbps_received, 1000.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (rates.loss_pct, 5.0, 1e-6);

  /* Counters that go back (a new stream) give no negative figures. */
  reset.packets_received = 10;
  reset.packets_lost = 0;
  reset.bytes_received = 10;
  reset.time_us = 4 * G_USEC_PER_SEC;
  lmr_stats_rates (&now, &reset, &rates);
  g_assert_cmpfloat (rates.loss_pct, ==, 0);
  g_assert_cmpfloat (rates.kbps_received, ==, 0);
}

static void
test_stats_parse (void)
{
  GstStructure *reply = gst_structure_new_empty ("application/x-webrtc-stats");
  GstStructure *in = gst_structure_new ("in", "type", GST_TYPE_WEBRTC_STATS_TYPE,
                                        GST_WEBRTC_STATS_INBOUND_RTP, "packets-received", G_TYPE_UINT64,
                                        (guint64) 90, "bytes-received", G_TYPE_UINT64, (guint64) 9000,
                                        "packets-lost", G_TYPE_INT64, (gint64) 10, NULL);
  GstStructure *out = gst_structure_new ("out", "type", GST_TYPE_WEBRTC_STATS_TYPE,
                                         GST_WEBRTC_STATS_OUTBOUND_RTP, "packets-sent", G_TYPE_UINT64,
                                         (guint64) 80, "bytes-sent", G_TYPE_UINT64, (guint64) 8000, NULL);
  GstStructure *rr = gst_structure_new ("rr", "type", GST_TYPE_WEBRTC_STATS_TYPE,
                                        GST_WEBRTC_STATS_REMOTE_INBOUND_RTP, "round-trip-time",
                                        G_TYPE_DOUBLE, 0.042, NULL);
  LmrLegStats stats = { 0 };

  gst_structure_set (reply, "in", GST_TYPE_STRUCTURE, in, "out", GST_TYPE_STRUCTURE, out,
                     "rr", GST_TYPE_STRUCTURE, rr, NULL);
  lmr_stats_parse (reply, &stats);
  g_assert_cmpuint (stats.packets_received, ==, 90);
  g_assert_cmpuint (stats.bytes_received, ==, 9000);
  g_assert_cmpint (stats.packets_lost, ==, 10);
  g_assert_cmpuint (stats.packets_sent, ==, 80);
  g_assert_cmpuint (stats.bytes_sent, ==, 8000);
  g_assert_cmpfloat_with_epsilon (stats.rtt_ms, 42.0, 1e-9);
  lmr_stats_parse (NULL, &stats);
  g_assert_cmpuint (stats.packets_received, ==, 0);
  g_assert_cmpfloat (stats.rtt_ms, <, 0);
  gst_structure_free (in);
  gst_structure_free (out);
  gst_structure_free (rr);
  gst_structure_free (reply);
}

/* ---- Recording files ---- */

static void
test_recording_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("lmr-units-XXXXXX", &error);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *missing = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  first = lmr_recorder_create_file (dir, "c-1-../dr x", &error);
  g_assert_no_error (error);
  second = lmr_recorder_create_file (dir, "c-1-../dr x", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (first, dir));
  g_assert_true (g_str_has_suffix (first, "/c-1-.._dr_x.webm"));
  g_assert_true (g_str_has_suffix (second, "/c-1-.._dr_x-2.webm"));
  g_assert_cmpint (g_stat (first, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  missing = g_build_filename (dir, "nowhere", NULL);
  g_assert_null (lmr_recorder_create_file (missing, "x", &error));
  g_assert_error (error, LMR_ERROR, LMR_ERROR_MEDIA);
  g_unlink (first);
  g_unlink (second);
  g_rmdir (dir);
}

/* ---- Keyframe requests ---- */

static GstPadProbeReturn
on_upstream_key_unit (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  guint *count = user_data;

  if (gst_video_event_is_force_key_unit (event)) {
    (*count)++;
    /* What the sender's leg gets names no SSRC of the receiver's leg. */
    g_assert_false (gst_structure_has_field (gst_event_get_structure (event), "ssrc"));
  }
  return GST_PAD_PROBE_OK;
}

static void
test_keyframe_limiter (void)
{
  GstElement *src = gst_element_factory_make ("fakesrc", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) src_pad = gst_element_get_static_pad (src, "src");
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");
  LmrKeyframeLimiter *limiter;
  guint arrived = 0, passed, dropped;

  g_assert_cmpint (gst_pad_link (src_pad, sink_pad), ==, GST_PAD_LINK_OK);
  gst_pad_set_active (src_pad, TRUE);
  gst_pad_set_active (sink_pad, TRUE);
  gst_pad_add_probe (src_pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_key_unit, &arrived, NULL);
  limiter = lmr_keyframe_limiter_new (sink_pad, 60000, "test");

  /* Five receivers ask at once, the way a leg's rtpsession does (with
   * the SSRC it forwards under): one request goes on. */
  for (guint i = 0; i < 5; i++) {
    GstEvent *event = gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0);

    gst_structure_set (gst_event_writable_structure (event), "ssrc", G_TYPE_UINT, 1234 + i, NULL);
    /* The first one goes to fakesrc, which does nothing with it. */
    gst_pad_push_event (sink_pad, event);
  }
  lmr_keyframe_limiter_request (limiter);
  lmr_keyframe_limiter_counts (limiter, &passed, &dropped);
  g_assert_cmpuint (arrived, ==, 1);
  g_assert_cmpuint (passed, ==, 1);
  g_assert_cmpuint (dropped, ==, 5);
  /* Other upstream events are left alone. */
  gst_pad_push_event (sink_pad, gst_event_new_reconfigure ());
  g_assert_cmpuint (arrived, ==, 1);
  lmr_keyframe_limiter_free (limiter);
  gst_pad_set_active (src_pad, FALSE);
  gst_pad_set_active (sink_pad, FALSE);
  gst_object_unref (src);
  gst_object_unref (sink);
}

/* ---- Options ---- */

typedef struct {
  const char *name;
  const char *const argv[12];
  gboolean valid;
} OptionCase;

static const OptionCase option_cases[] = {
  { "minimal", { "--server", "ws://127.0.0.1:8080", "--token", "lm_x" }, TRUE },
  { "everything", { "--server", "wss://lastmile.example", "--token", "lm_x", "--port-range",
                    "40000-40100", "--public-address", "203.0.113.9" }, TRUE },
  { "no-server", { "--token", "lm_x" }, FALSE },
  { "no-token", { "--server", "ws://h" }, FALSE },
  { "bad-scheme", { "--server", "ftp://h", "--token", "x" }, FALSE },
  { "token-in-url", { "--server", "ws://u:p@h", "--token", "x" }, FALSE },
  { "bad-range", { "--server", "ws://h", "--token", "x", "--port-range", "500-600" }, FALSE },
  { "reversed-range", { "--server", "ws://h", "--token", "x", "--port-range", "50000-40000" }, FALSE },
  { "bad-address", { "--server", "ws://h", "--token", "x", "--public-address", "relay.example" }, FALSE },
  { "participants", { "--server", "ws://h", "--token", "x", "--max-participants", "5" }, FALSE },
  { "record-dir", { "--server", "ws://h", "--token", "x", "--record-dir", "/nonexistent/x" }, FALSE },
  { "stray", { "--server", "ws://h", "--token", "x", "extra" }, FALSE },
};

static void
test_options (gconstpointer data)
{
  const OptionCase *c = data;
  g_auto (LmrOptions) options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  char **argv;
  int argc;
  gboolean ok;

  g_ptr_array_add (args, (char *) "lastmile-relay");
  for (guint i = 0; c->argv[i]; i++)
    g_ptr_array_add (args, (char *) c->argv[i]);
  g_ptr_array_add (args, NULL);
  argc = args->len - 1;
  argv = (char **) args->pdata;
  lmr_options_init (&options);
  ok = lmr_options_parse (&options, &argc, &argv, &error);
  g_assert_cmpint (ok, ==, c->valid);
  if (!ok)
    g_assert_error (error, LMR_ERROR, LMR_ERROR_BAD_ARGS);
}

static void
test_options_derived (void)
{
  g_auto (LmrOptions) options = { 0 };
  g_autoptr (GError) error = NULL;
  guint min = 0, max = 0;

  lmr_options_init (&options);
  options.server = g_strdup ("wss://lastmile.example:8443/");
  options.token = g_strdup ("lm_x");
  options.port_range = g_strdup ("40000-40999");
  options.public_address = g_strdup ("203.0.113.9");
  g_assert_true (lmr_options_check (&options, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (options.http_url, ==, "https://lastmile.example:8443/ws");
  g_assert_cmpuint (options.media.min_port, ==, 40000);
  g_assert_cmpuint (options.media.max_port, ==, 40999);
  g_assert_cmpstr (options.media.public_address, ==, "203.0.113.9");
  g_assert_cmpuint (options.media.keyframe_interval_ms, ==, 1000);
  g_assert_true (lmr_options_parse_port_range ("1024-1024", &min, &max));
  g_assert_false (lmr_options_parse_port_range ("1024-", &min, &max));
  g_assert_false (lmr_options_parse_port_range ("1-2-3", &min, &max));
}

static void
test_options_config_file (void)
{
  g_auto (LmrOptions) options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *config_arg = NULL;
  int fd = g_file_open_tmp ("lmr-config-XXXXXX.ini", &path, &error);
  char *args[] = { (char *) "lastmile-relay", NULL, (char *) "--max-consultations", (char *) "7", NULL };
  char **argv = args;
  int argc = 4;

  g_assert_no_error (error);
  g_close (fd, NULL);
  g_assert_true (g_file_set_contents (path, "[relay]\nserver=ws://127.0.0.1:1\ntoken=lm_file\n"
                                      "max-consultations=3\nlatency=20\n", -1, &error));
  config_arg = g_strconcat ("--config=", path, NULL);
  args[1] = config_arg;
  lmr_options_init (&options);
  g_assert_true (lmr_options_parse (&options, &argc, &argv, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (options.token, ==, "lm_file");
  g_assert_cmpint (options.max_consultations, ==, 7);   /* the flag wins */
  g_assert_cmpuint (options.media.latency_ms, ==, 20);
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  /* Before any thread exists: --token must come from the command line. */
  g_unsetenv ("LASTMILE_TOKEN");
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (candidate_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/relay/candidate/check/%u", i);

    g_test_add_data_func (path, &candidate_cases[i], test_candidate_check);
  }
  g_test_add_func ("/relay/candidate/rewrite", test_candidate_rewrite);
  for (guint i = 0; i < G_N_ELEMENTS (sdp_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/relay/sdp/answer/%s", sdp_cases[i].name);

    g_test_add_data_func (path, &sdp_cases[i], test_sdp_answer);
  }
  g_test_add_func ("/relay/sdp/directions", test_sdp_directions);
  g_test_add_func ("/relay/stats/rates", test_stats_rates);
  g_test_add_func ("/relay/stats/parse", test_stats_parse);
  g_test_add_func ("/relay/recorder/file", test_recording_file);
  g_test_add_func ("/relay/keyframe/limiter", test_keyframe_limiter);
  for (guint i = 0; i < G_N_ELEMENTS (option_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/relay/options/%s", option_cases[i].name);

    g_test_add_data_func (path, &option_cases[i], test_options);
  }
  g_test_add_func ("/relay/options/derived", test_options_derived);
  g_test_add_func ("/relay/options/config-file", test_options_config_file);
  return g_test_run ();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* The client's parsing and formatting code, without network or media. */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>
#include <unistd.h>

#include "lmc-candidate.h"
#include "lmc-error.h"
#include "lmc-ice-servers.h"
#include "lmc-media-counters.h"
#include "lmc-options.h"
#include "lmc-participants.h"
#include "lmc-report.h"
#include "lmc-sdp.h"
#include "lmc-tls.h"
#include "lmc-ui.h"

/* ---- Options ---- */

static void
fill_minimal (LmcOptions *options)
{
  lmc_options_init (options);
  options->server = g_strdup ("ws://127.0.0.1:8080");
  options->token = g_strdup ("lm_token");
}

static void
test_options_defaults (void)
{
  g_auto (LmcOptions) options = { 0 };
  g_autoptr (GError) error = NULL;

  fill_minimal (&options);
  g_assert_true (lmc_options_check (&options, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (options.http_url, ==, "http://127.0.0.1:8080/ws");
  g_assert_false (options.tls);
  g_assert_cmpstr (options.specialty, ==, "general");
  g_assert_cmpstr (options.urgency, ==, "routine");
  g_assert_cmpint (options.media.width, ==, 640);
  g_assert_cmpint (options.media.height, ==, 480);
  g_assert_cmpint (options.media.fps, ==, 30);
  g_assert_cmpint (options.media.video, ==, LMC_VIDEO_SOURCE_AUTO);
  g_assert_cmpint (options.media.audio, ==, LMC_AUDIO_SOURCE_AUTO);
}

typedef struct {
  const char *url;
  const char *expected;   /* NULL: refused */
  gboolean tls;
} UrlCase;

static const UrlCase url_cases[] = {
  { "ws://example.org", "http://example.org/ws", FALSE },
  { "wss://example.org:8443", "https://example.org:8443/ws", TRUE },
  { "https://example.org/", "https://example.org/ws", TRUE },
  { "http://127.0.0.1:9/custom/path", "http://127.0.0.1:9/custom/path", FALSE },
  { "ws://[::1]:8080/ws", "http://[::1]:8080/ws", FALSE },
  { "ftp://example.org", NULL, FALSE },
  { "example.org", NULL, FALSE },
  { "ws://", NULL, FALSE },
  { "ws://user:secret@example.org", NULL, FALSE },
  { "", NULL, FALSE },
};

static void
test_options_url (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (url_cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *url = NULL;
    gboolean tls = FALSE;

    url = lmc_options_normalize_url (url_cases[i].url, &tls, &error);
    g_assert_cmpstr (url, ==, url_cases[i].expected);
    if (url_cases[i].expected) {
      g_assert_no_error (error);
      g_assert_cmpint (tls, ==, url_cases[i].tls);
    } else {
      g_assert_error (error, LMC_ERROR, LMC_ERROR_BAD_ARGS);
    }
  }
}

typedef struct {
  const char *text;
  int width, height;   /* 0: refused */
} ResolutionCase;

static const ResolutionCase resolution_cases[] = {
  { "640x480", 640, 480 },
  { "320x240", 320, 240 },
  { "1920x1080", 1920, 1080 },
  { "641x480", 0, 0 },
  { "8x8", 0, 0 },
  { "640", 0, 0 },
  { "640x480x2", 0, 0 },
  { "-640x480", 0, 0 },
  { "abcxdef", 0, 0 },
  { "99999x480", 0, 0 },
  { "", 0, 0 },
};

static void
test_options_resolution (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (resolution_cases); i++) {
    int w = 0, h = 0;
    gboolean ok = lmc_options_parse_resolution (resolution_cases[i].text, &w, &h);

    g_assert_cmpint (ok, ==, resolution_cases[i].width != 0);
    if (ok) {
      g_assert_cmpint (w, ==, resolution_cases[i].width);
      g_assert_cmpint (h, ==, resolution_cases[i].height);
    }
  }
}

typedef struct {
  const char *name;
  void (*mangle) (LmcOptions *options);
} BadOptionCase;

static void no_server (LmcOptions *o) { g_clear_pointer (&o->server, g_free); }
static void no_token (LmcOptions *o) { g_clear_pointer (&o->token, g_free); }
static void bad_video (LmcOptions *o) { o->video = g_strdup ("webcam"); }
static void bad_v4l2 (LmcOptions *o) { o->video = g_strdup ("v4l2:video0"); }
static void bad_audio (LmcOptions *o) { o->audio = g_strdup ("loud"); }
static void bad_urgency (LmcOptions *o) { o->urgency = g_strdup ("soon"); }
static void bad_fps (LmcOptions *o) { o->fps = 0; }
static void bad_bitrate (LmcOptions *o) { o->max_bitrate = 10; }
static void bad_duration (LmcOptions *o) { o->duration = -1; }
static void bad_resolution (LmcOptions *o) { o->resolution = g_strdup ("big"); }
static void empty_specialty (LmcOptions *o) { o->specialty = g_strdup (""); }
static void long_ref (LmcOptions *o) { o->patient_ref = g_strnfill (65, 'x'); }
static void missing_ca (LmcOptions *o) { o->ca_file = g_strdup ("/nonexistent/ca.pem"); }
static void bad_invite (LmcOptions *o) { o->invite = g_strdup ("dr smith"); }
static void long_invite (LmcOptions *o) { o->invite = g_strnfill (65, 'x'); }

static const BadOptionCase bad_option_cases[] = {
  { "no-server", no_server },
  { "no-token", no_token },
  { "video", bad_video },
  { "v4l2-device", bad_v4l2 },
  { "audio", bad_audio },
  { "urgency", bad_urgency },
  { "fps", bad_fps },
  { "bitrate", bad_bitrate },
  { "duration", bad_duration },
  { "resolution", bad_resolution },
  { "specialty", empty_specialty },
  { "patient-ref", long_ref },
  { "ca-file", missing_ca },
  { "invite", bad_invite },
  { "invite-long", long_invite },
};

static void
test_options_bad (gconstpointer data)
{
  const BadOptionCase *c = data;
  g_auto (LmcOptions) options = { 0 };
  g_autoptr (GError) error = NULL;

  fill_minimal (&options);
  g_unsetenv ("LASTMILE_TOKEN");
  c->mangle (&options);
  g_assert_false (lmc_options_check (&options, &error));
  g_assert_error (error, LMC_ERROR, LMC_ERROR_BAD_ARGS);
  g_assert_cmpint (lmc_error_exit_code (error), ==, 2);
}

static void
test_options_config_file (void)
{
  g_auto (LmcOptions) options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("lmc-config-XXXXXX", &path, &error);
  const char *text =
    "[client]\nserver=ws://127.0.0.1:1\ntoken=lm_x\nresolution=320x240\nfps=15\n"
    "headless=true\nvideo=test\n";
  char *argv_data[] = { "lastmile-client", "--config", path, "--fps", "20", NULL };
  char **argv = argv_data;
  int argc = 5;

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  lmc_options_init (&options);
  g_assert_true (lmc_options_parse (&options, &argc, &argv, &error));
  g_assert_no_error (error);
  g_assert_cmpint (options.media.width, ==, 320);
  g_assert_cmpint (options.fps, ==, 20);    /* the flag wins */
  g_assert_true (options.headless);
  g_assert_cmpint (options.media.video, ==, LMC_VIDEO_SOURCE_TEST);
  g_unlink (path);
}

static void
test_options_config_unknown_key (void)
{
  g_auto (LmcOptions) options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("lmc-config-XXXXXX", &path, &error);
  char *argv_data[] = { "lastmile-client", "--config", path, NULL };
  char **argv = argv_data;
  int argc = 3;

  close (fd);
  g_assert_true (g_file_set_contents (path, "[client]\nbogus=1\n", -1, &error));
  lmc_options_init (&options);
  g_assert_false (lmc_options_parse (&options, &argc, &argv, &error));
  g_assert_error (error, LMC_ERROR, LMC_ERROR_BAD_ARGS);
  g_unlink (path);
}

/* ---- Candidates ---- */

typedef struct {
  const char *line;
  int type;   /* -1: refused */
} CandidateCase;

static const CandidateCase candidate_cases[] = {
  { "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host", LMC_CANDIDATE_HOST },
  { "a=candidate:1 1 udp 2015363327 10.0.0.2 40000 typ host", LMC_CANDIDATE_HOST },
  { "candidate:2 1 UDP 1679819007 203.0.113.4 5000 typ srflx raddr 10.0.0.2 rport 40000",
    LMC_CANDIDATE_SRFLX },
  { "candidate:3 1 UDP 1 198.51.100.1 3478 typ relay raddr 203.0.113.4 rport 5000 generation 0",
    LMC_CANDIDATE_RELAY },
  { "candidate:4 1 TCP 1010827775 fe80::1 9 typ host tcptype active", LMC_CANDIDATE_HOST },
  { "candidate:5 1 UDP 1 3c1b9a0e-2c1f.local 5000 typ prflx", LMC_CANDIDATE_PRFLX },
  { "", -1 },
  { "candidate:", -1 },
  { "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ", -1 },
  { "candidate:1 0 UDP 1 127.0.0.1 40000 typ host", -1 },
  { "candidate:1 1 UDP 99999999999 127.0.0.1 40000 typ host", -1 },
  { "candidate:1 1 UDP 1 127.0.0.1 40000 typ host raddr", -1 },
  { "candidate:1 1 UDP 1 127.0.0.1 40000 typ host rport 70000", -1 },
  { "candidate:1 1 UDP 1 127.0.0.1 40000 type host", -1 },
  { "candidate:f!o 1 UDP 1 127.0.0.1 40000 typ host", -1 },
  { "candidate:1  1 UDP 1 127.0.0.1 40000 typ host", -1 },
};

static void
test_candidate_parse (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (candidate_cases); i++) {
    g_autoptr (GError) error = NULL;
    LmcCandidateType type;
    gboolean ok = lmc_candidate_parse (candidate_cases[i].line, &type, &error);

    if (candidate_cases[i].type < 0) {
      g_assert_false (ok);
      g_assert_error (error, LMC_ERROR, LMC_ERROR_PEER);
    } else {
      g_assert_no_error (error);
      g_assert_cmpint (type, ==, candidate_cases[i].type);
    }
  }
  g_assert_cmpstr (lmc_candidate_type_to_string (LMC_CANDIDATE_RELAY), ==, "relay");
}

static void
test_candidate_too_long (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *padding = g_strnfill (1100, 'a');
  g_autofree char *line = g_strdup_printf ("candidate:1 1 UDP 1 127.0.0.1 1 typ host x %s", padding);

  g_assert_false (lmc_candidate_parse (line, NULL, &error));
  g_assert_error (error, LMC_ERROR, LMC_ERROR_PEER);
}

/* ---- SDP ---- */

static void
test_sdp_good (void)
{
  g_autoptr (GError) error = NULL;
  GstSDPMessage *msg = lmc_sdp_parse (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AA:BB\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n"
    "a=ice-pwd:abcdabcdabcdabcdabcdabcd\r\na=rtpmap:96 VP8/90000\r\n", &error);
  int type;

  g_assert_no_error (error);
  g_assert_nonnull (msg);
  gst_sdp_message_free (msg);
  g_assert_true (lmc_sdp_type_from_string ("answer", &type));
  g_assert_false (lmc_sdp_type_from_string ("rollback", &type));
  g_assert_false (lmc_sdp_type_from_string (NULL, &type));
}

/* ---- ICE servers ---- */

static JsonArray *
parse_array (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return json_array_ref (json_node_get_array (json_parser_get_root (parser)));
}

static void
test_ice_servers (void)
{
  g_autoptr (JsonArray) servers = parse_array (
    "[{\"urls\": [\"stun:stun.example.org:3478\"]},"
    " {\"urls\": [\"turn:turn.example.org:3478?transport=udp\", \"turns:turn.example.org:5349\","
    "  \"http://nope\"], \"username\": \"1764345600:p-1\", \"credential\": \"a/b+c=\"},"
    " {\"urls\": [\"turn:nocreds.example.org\"]}]");
  g_auto (GStrv) stun = NULL;
  g_auto (GStrv) turn = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (lmc_ice_servers_from_json (servers, &stun, &turn, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (stun), ==, 1);
  g_assert_cmpstr (stun[0], ==, "stun://stun.example.org:3478");
  g_assert_cmpuint (g_strv_length (turn), ==, 2);
  g_assert_cmpstr (turn[0], ==,
                   "turn://1764345600%3Ap-1:a%2Fb%2Bc%3D@turn.example.org:3478?transport=udp");
  g_assert_cmpstr (turn[1], ==, "turns://1764345600%3Ap-1:a%2Fb%2Bc%3D@turn.example.org:5349");
}

static void
test_ice_servers_bad (void)
{
  g_autoptr (JsonArray) servers = parse_array ("[42]");
  g_autoptr (JsonArray) no_urls = parse_array ("[{\"url\": \"stun:x\"}]");
  g_auto (GStrv) stun = NULL;
  g_auto (GStrv) turn = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_false (lmc_ice_servers_from_json (servers, &stun, &turn, &error));
  g_assert_error (error, LMC_ERROR, LMC_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_false (lmc_ice_servers_from_json (no_urls, &stun, &turn, &error));
  g_assert_error (error, LMC_ERROR, LMC_ERROR_PROTOCOL);
  g_assert_null (lmc_ice_server_uri ("stun:user@host", NULL, NULL));
}

/* One UDP allocation unless the URL asks for another transport. */
static void
test_ice_servers_transport (void)
{
  static const struct {
    const char *url;
    const char *uri;
  } cases[] = {
    { "turn:t.example.org:3478", "turn://u:p@t.example.org:3478?transport=udp" },
    { "turn:t.example.org", "turn://u:p@t.example.org?transport=udp" },
    { "turn:t.example.org:3478?transport=tcp", "turn://u:p@t.example.org:3478?transport=tcp" },
    { "turn:t.example.org:3478?x=1", "turn://u:p@t.example.org:3478?x=1&transport=udp" },
    { "turn:t.example.org:3478?x=1&transport=tcp", "turn://u:p@t.example.org:3478?x=1&transport=tcp" },
    { "turns:t.example.org:5349", "turns://u:p@t.example.org:5349" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *uri = lmc_ice_server_uri (cases[i].url, "u", "p");

    g_assert_cmpstr (uri, ==, cases[i].uri);
  }
}

/* ---- Report ---- */

static const char *const report_keys[] = {
  "consultation", "role", "ice_connected_ms", "first_frame_ms", "video_frames_sent",
  "video_frames_received", "audio_buffers_sent", "audio_buffers_received", "bytes_sent",
  "bytes_received", "rtt_ms", "loss_pct", "local_candidate_type", "remote_candidate_type",
  "end_reason", "peers",
};

static void
test_report_keys (void)
{
  LmcReport report;
  g_autofree char *text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *object, *peer;
  JsonArray *peers;

  lmc_report_init (&report);
  report.consultation = g_strdup ("c-1");
  report.role = g_strdup ("doctor");
  report.ice_connected_ms = 42;
  report.video_frames_received = 150;
  report.rtt_ms = 0.456;
  report.loss_pct = 0;
  report.local_candidate_type = g_strdup ("host");
  report.end_reason = g_strdup ("completed");
  lmc_report_add_peer (&report, "p-2", "dr-b", 120, 250);
  text = lmc_report_to_json (&report);
  lmc_report_clear (&report);

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpuint (json_object_get_size (object), ==, G_N_ELEMENTS (report_keys));
  for (guint i = 0; i < G_N_ELEMENTS (report_keys); i++)
    g_assert_true (json_object_has_member (object, report_keys[i]));
  g_assert_cmpint (json_object_get_int_member (object, "ice_connected_ms"), ==, 42);
  g_assert_true (json_object_get_null_member (object, "first_frame_ms"));
  g_assert_true (json_object_get_null_member (object, "remote_candidate_type"));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, "rtt_ms"), 0.46, 1e-9);
  g_assert_cmpfloat (json_object_get_double_member (object, "loss_pct"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (object, "video_frames_received"), ==, 150);
  peers = json_object_get_array_member (object, "peers");
  g_assert_cmpuint (json_array_get_length (peers), ==, 1);
  peer = json_array_get_object_element (peers, 0);
  g_assert_cmpstr (json_object_get_string_member (peer, "peer"), ==, "p-2");
  g_assert_cmpstr (json_object_get_string_member (peer, "name"), ==, "dr-b");
  g_assert_cmpint (json_object_get_int_member (peer, "video_frames_received"), ==, 120);
  g_assert_cmpint (json_object_get_int_member (peer, "audio_buffers_received"), ==, 250);
}

static void
test_report_write (void)
{
  LmcReport report;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("lmc-report-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "report.json", NULL);
  g_autofree char *bad_path = g_build_filename (dir, "missing", "report.json", NULL);
  g_autofree char *text = NULL;

  lmc_report_init (&report);
  g_assert_true (lmc_report_write (&report, path, &error));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_true (g_str_has_suffix (text, "}\n"));
  g_assert_false (lmc_report_write (&report, bad_path, &error));
  g_assert_nonnull (error);
  g_unlink (path);
  g_rmdir (dir);
  lmc_report_clear (&report);
}

/* ---- Participants ---- */

static GArray *
stream_counts (const char *const *mids, const gboolean *video, const guint64 *frames, guint n)
{
  GArray *counts = g_array_new (FALSE, TRUE, sizeof (LmcMediaStreamStats));

  for (guint i = 0; i < n; i++) {
    LmcMediaStreamStats s = { .mid = (char *) mids[i], .video = video[i], .frames = frames[i] };

    g_array_append_val (counts, s);
  }
  return counts;
}

static const LmcReportPeer *
report_peer (LmcReport *report, const char *peer)
{
  for (guint i = 0; i < report->peers->len; i++) {
    LmcReportPeer *p = g_ptr_array_index (report->peers, i);

    if (g_str_equal (p->peer, peer))
      return p;
  }
  g_error ("no report entry for %s", peer);
  return NULL;
}

/* A relay's streams map mids to participants; a mid that changes hands
 * keeps what it carried for its first owner. */
static void
test_participants_relay (void)
{
  g_autoptr (LmcParticipants) participants = lmc_participants_new ("p-me");
  g_autoptr (JsonArray) peers = parse_array (
    "[{\"peer\": \"p-me\", \"role\": \"doctor\", \"name\": \"dr-me\"},"
    " {\"peer\": \"p-c\", \"role\": \"clinic\", \"name\": \"clinic-1\"}, 42]");
  g_autoptr (JsonArray) streams1 = parse_array (
    "[{\"mid\": \"video2\", \"kind\": \"video\", \"peer\": \"p-c\"},"
    " {\"mid\": \"audio3\", \"kind\": \"audio\", \"peer\": \"p-c\"},"
    " {\"mid\": \"video0\", \"kind\": \"video\", \"peer\": \"p-me\"}]");
  g_autoptr (JsonArray) streams2 = parse_array (
    "[{\"mid\": \"video2\", \"kind\": \"video\", \"peer\": \"p-d\"},"
    " {\"mid\": \"video4\", \"kind\": \"video\", \"peer\": \"p-c\"}]");
  static const char *const mids[] = { "video2", "audio3", "video4" };
  static const gboolean video[] = { TRUE, FALSE, TRUE };
  static const guint64 before[] = { 100, 200, 0 };
  static const guint64 after[] = { 130, 250, 40 };
  g_autoptr (GArray) counts1 = stream_counts (mids, video, before, 3);
  g_autoptr (GArray) counts2 = stream_counts (mids, video, after, 3);
  LmcReport report;

  lmc_participants_add_json (participants, peers);
  g_assert_cmpuint (lmc_participants_count (participants, NULL), ==, 1);
  g_assert_cmpuint (lmc_participants_count (participants, "doctor"), ==, 0);
  lmc_participants_set_streams (participants, streams1, NULL);
  g_assert_cmpstr (lmc_participants_peer_for_mid (participants, "video2"), ==, "p-c");
  g_assert_null (lmc_participants_peer_for_mid (participants, "video0"));

  /* The relay's offer names p-d before peer.joined does. */
  lmc_participants_set_streams (participants, streams2, counts1);
  g_assert_cmpuint (lmc_participants_count (participants, NULL), ==, 2);
  g_assert_null (lmc_participants_get_name (participants, "p-d"));
  g_assert_false (lmc_participants_join (participants, "p-d", "doctor", "dr-d"));
  g_assert_cmpstr (lmc_participants_get_name (participants, "p-d"), ==, "dr-d");
  g_assert_cmpuint (lmc_participants_count (participants, "doctor"), ==, 1);

  lmc_report_init (&report);
  lmc_participants_fill_report (participants, counts2, &report);
  g_assert_cmpuint (report.peers->len, ==, 2);
  /* video2 carried 100 frames of p-c, then 30 of p-d; video4 40 of p-c. */
  g_assert_cmpuint (report_peer (&report, "p-c")->video_frames_received, ==, 140);
  g_assert_cmpuint (report_peer (&report, "p-c")->audio_buffers_received, ==, 250);
  g_assert_cmpuint (report_peer (&report, "p-d")->video_frames_received, ==, 30);
  g_assert_cmpstr (report_peer (&report, "p-c")->name, ==, "clinic-1");

  g_assert_true (lmc_participants_leave (participants, "p-d"));
  g_assert_false (lmc_participants_leave (participants, "p-d"));
  g_assert_false (lmc_participants_leave (participants, "p-nobody"));
  g_assert_cmpuint (lmc_participants_count (participants, "doctor"), ==, 0);
  lmc_report_clear (&report);
}

/* Direct: everything received is the other member's. */
static void
test_participants_direct (void)
{
  g_autoptr (LmcParticipants) participants = lmc_participants_new ("p-me");
  static const char *const mids[] = { "video0", "audio1" };
  static const gboolean video[] = { TRUE, FALSE };
  static const guint64 frames[] = { 150, 250 };
  g_autoptr (GArray) counts = stream_counts (mids, video, frames, 2);
  LmcReport report;

  g_assert_true (lmc_participants_join (participants, "p-c", "clinic", "clinic-1"));
  g_assert_false (lmc_participants_join (participants, "p-me", "doctor", "me"));
  lmc_participants_set_default_peer (participants, "p-c");
  lmc_report_init (&report);
  lmc_participants_fill_report (participants, counts, &report);
  g_assert_cmpuint (report.peers->len, ==, 1);
  g_assert_cmpuint (report_peer (&report, "p-c")->video_frames_received, ==, 150);
  g_assert_cmpuint (report_peer (&report, "p-c")->audio_buffers_received, ==, 250);
  lmc_report_clear (&report);
}

/* What leaves through the ICE transport: STUN, DTLS, RTCP and RTP. */
static void
test_packet_classify (void)
{
  static const guint8 stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
  static const guint8 dtls[13] = { 22, 0xfe, 0xfd };
  static const guint8 rtcp_sr[28] = { 0x80, 200, 0x00, 0x06 };
  static const guint8 rtp_video_end[12] = { 0x80, 0x80 | 96 };
  static const guint8 rtp_audio[12] = { 0x90, 111 };
  static const guint8 short_rtp[8] = { 0x80, 96 };
  guint pt = 0;
  gboolean marker = FALSE;

  g_assert_cmpint (lmc_packet_classify (stun, sizeof stun, &pt, &marker), ==, LMC_PACKET_OTHER);
  g_assert_cmpint (lmc_packet_classify (dtls, sizeof dtls, &pt, &marker), ==, LMC_PACKET_OTHER);
  g_assert_cmpint (lmc_packet_classify (rtcp_sr, sizeof rtcp_sr, &pt, &marker), ==, LMC_PACKET_RTCP);
  g_assert_cmpint (lmc_packet_classify (short_rtp, sizeof short_rtp, &pt, &marker), ==,
                   LMC_PACKET_OTHER);
  g_assert_cmpint (lmc_packet_classify (rtp_video_end, sizeof rtp_video_end, &pt, &marker), ==,
                   LMC_PACKET_RTP);
  g_assert_cmpuint (pt, ==, 96);
  g_assert_true (marker);
  g_assert_cmpint (lmc_packet_classify (rtp_audio, sizeof rtp_audio, &pt, &marker), ==,
                   LMC_PACKET_RTP);
  g_assert_cmpuint (pt, ==, 111);
  g_assert_false (marker);
}

/* ---- UI and TLS ---- */

static void
test_ui_choice (void)
{
  g_assert_cmpint (lmc_ui_parse_choice ("1", 3), ==, 0);
  g_assert_cmpint (lmc_ui_parse_choice (" 3 \n", 3), ==, 2);
  g_assert_cmpint (lmc_ui_parse_choice ("4", 3), ==, -1);
  g_assert_cmpint (lmc_ui_parse_choice ("0", 3), ==, -1);
  g_assert_cmpint (lmc_ui_parse_choice ("x", 3), ==, -1);
  g_assert_cmpint (lmc_ui_parse_choice ("1", 0), ==, -1);
  g_assert_cmpint (lmc_ui_parse_choice (NULL, 3), ==, -1);
}

static void
test_ui_sanitize (void)
{
  g_autofree char *escape = lmc_ui_sanitize ("evil\x1b[2Jname\n", 64);
  g_autofree char *invalid = lmc_ui_sanitize ("a\xff" "b", 64);
  g_autofree char *cut = lmc_ui_sanitize ("abcdef", 3);
  g_autofree char *null = lmc_ui_sanitize (NULL, 3);

  g_assert_cmpstr (escape, ==, "evil?[2Jname?");
  g_assert_null (strchr (invalid, '\xff'));
  g_assert_cmpstr (cut, ==, "abc…");
  g_assert_cmpstr (null, ==, "");
}

static void
test_tls_describe (void)
{
  g_autofree char *both = lmc_tls_describe_flags (G_TLS_CERTIFICATE_UNKNOWN_CA |
                                                  G_TLS_CERTIFICATE_EXPIRED);
  g_autofree char *none = lmc_tls_describe_flags (0);

  g_assert_cmpstr (both, ==, "it is signed by an unknown certificate authority; it has expired");
  g_assert_cmpstr (none, ==, "it was refused");
}

static void
test_error_exit_codes (void)
{
  g_autoptr (GError) tls = g_error_new_literal (LMC_ERROR, LMC_ERROR_TLS, "x");
  g_autoptr (GError) peer = g_error_new_literal (LMC_ERROR, LMC_ERROR_PEER, "x");
  g_autoptr (GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");

  g_assert_cmpint (lmc_error_exit_code (NULL), ==, 0);
  g_assert_cmpint (lmc_error_exit_code (tls), ==, 5);
  g_assert_cmpint (lmc_error_exit_code (peer), ==, 1);
  g_assert_cmpint (lmc_error_exit_code (other), ==, 1);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/options/defaults", test_options_defaults);
  g_test_add_func ("/options/url", test_options_url);
  g_test_add_func ("/options/resolution", test_options_resolution);
  g_test_add_func ("/options/config-file", test_options_config_file);
  g_test_add_func ("/options/config-unknown-key", test_options_config_unknown_key);
  for (guint i = 0; i < G_N_ELEMENTS (bad_option_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/options/bad/%s", bad_option_cases[i].name);

    g_test_add_data_func (path, &bad_option_cases[i], test_options_bad);
  }
  g_test_add_func ("/candidate/parse", test_candidate_parse);
  g_test_add_func ("/candidate/too-long", test_candidate_too_long);
  g_test_add_func ("/sdp/good", test_sdp_good);
  g_test_add_func ("/ice-servers/convert", test_ice_servers);
  g_test_add_func ("/ice-servers/bad", test_ice_servers_bad);
  g_test_add_func ("/ice-servers/transport", test_ice_servers_transport);
  g_test_add_func ("/participants/relay", test_participants_relay);
  g_test_add_func ("/participants/direct", test_participants_direct);
  g_test_add_func ("/counters/classify", test_packet_classify);
  g_test_add_func ("/report/keys", test_report_keys);
  g_test_add_func ("/report/write", test_report_write);
  g_test_add_func ("/ui/choice", test_ui_choice);
  g_test_add_func ("/ui/sanitize", test_ui_sanitize);
  g_test_add_func ("/tls/describe", test_tls_describe);
  g_test_add_func ("/error/exit-codes", test_error_exit_codes);
  return g_test_run ();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* The limits table of docs/protocol.md: rate_limited, too_large, the
 * WebSocket frame limit, the flood, hello and connection limits, and the
 * waiting-queue limit. */

#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

typedef struct {
  LmTestServer *server;
  char *clinic_token;
  char *clinic2_token;
  char *doctor_token;
  LmTestPeer *clinic;
  LmTestPeer *doctor;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = lm_test_server_new (FALSE);
  f->clinic_token = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  f->clinic2_token = lm_test_server_add_account (f->server, "clinic", "clinic-2", NULL);
  f->doctor_token = lm_test_server_add_account (f->server, "doctor", "dr-1", NULL);
}

/* After the test started the server with its own options. */
static void
connect_both (Fixture *f)
{
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) welcome2 = NULL;

  f->clinic = lm_test_peer_new (f->server, "clinic");
  welcome = lm_test_peer_hello (f->clinic, f->clinic_token);
  f->doctor = lm_test_peer_new (f->server, "doctor");
  welcome2 = lm_test_peer_hello (f->doctor, f->doctor_token);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->clinic, lm_test_peer_free);
  g_clear_pointer (&f->doctor, lm_test_peer_free);
  if (lm_test_server_is_running (f->server))
    lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
  g_free (f->clinic_token);
  g_free (f->clinic2_token);
  g_free (f->doctor_token);
}

static guint
count_with_prefix (GList *messages, const char *prefix)
{
  guint n = 0;

  for (GList *l = messages; l != NULL; l = l->next)
    {
      const char *id = json_object_get_string_member_with_default (l->data, "id", "");

      if (g_str_has_prefix (id, prefix))
        n++;
    }
  return n;
}

/* Pings until one is answered: the bucket has refilled and every message
 * sent before has been handled. */
static void
wait_for_refill (LmTestPeer *peer)
{
  gint64 deadline = g_get_monotonic_time () + LM_TEST_TIMEOUT_MS * G_GINT64_CONSTANT (1000);

  for (guint n = 0; g_get_monotonic_time () < deadline; n++)
    {
      g_autofree char *id = g_strdup_printf ("probe-%u", n);
      g_autoptr(JsonObject) pong = NULL;

      lm_test_peer_send (peer, "{'type':'ping','id':'%s'}", id);
      pong = lm_test_peer_wait_with (peer, "pong", "id", id, 300);
      if (pong != NULL)
        return;
    }
  g_error ("the rate limit never let a ping through again");
}

static void
test_rate_limited (Fixture *f, gconstpointer data)
{
  GList *pongs;
  GList *errors;
  gint64 started;
  double elapsed_s;
  guint answered;

  lm_test_server_start (f->server, "--rate-burst", "10", "--rate-per-second", "1", NULL);
  connect_both (f);

  started = g_get_monotonic_time ();
  for (guint i = 0; i < 40; i++)
    lm_test_peer_send (f->clinic, "{'type':'ping','id':'flood-%u'}", i);
  {
    g_autoptr(JsonObject) first = lm_test_peer_wait_with (f->clinic, "error", "code",
                                                          "rate_limited",
                                                          LM_TEST_TIMEOUT_MS);
    g_assert_nonnull (first);
  }

  /* Another user is not limited by the clinic's flood. */
  lm_test_peer_sync (f->doctor);
  lm_test_peer_assert_none (f->doctor, "error");

  wait_for_refill (f->clinic);
  elapsed_s = (g_get_monotonic_time () - started) / 1e6;
  pongs = lm_test_peer_take_all (f->clinic, "pong");
  errors = lm_test_peer_take_all (f->clinic, "error");
  answered = count_with_prefix (pongs, "flood-");
  g_test_message ("%u of 40 pings answered, %u more errors in %.1f s", answered,
                  g_list_length (errors), elapsed_s);
  /* The burst of 10 (less the hello, if it counts), then 1 a second. */
  g_assert_cmpuint (answered, >=, 9);
  g_assert_cmpuint (answered, <=, 10 + (guint) elapsed_s + 1);
  /* At most one rate_limited error a second (one was taken out above). */
  g_assert_cmpuint (g_list_length (errors) + 1, <=, (guint) elapsed_s + 2);
  for (GList *l = errors; l != NULL; l = l->next)
    g_assert_cmpstr (lm_test_json_get_string (l->data, "code"), ==, "rate_limited");
  g_list_free_full (pongs, (GDestroyNotify) json_object_unref);
  g_list_free_full (errors, (GDestroyNotify) json_object_unref);
}

static void
test_flood_close (Fixture *f, gconstpointer data)
{
  g_autofree char *reason = NULL;

  lm_test_server_start (f->server, "--rate-burst", "5", "--rate-per-second", "1",
                        "--flood-close", "20", NULL);
  connect_both (f);
  for (guint i = 0; i < 60; i++)
    lm_test_peer_send (f->clinic, "{'type':'ping','id':%u}", i);
  g_assert_cmpuint (lm_test_peer_wait_closed (f->clinic, &reason), ==, 1008);
  g_assert_cmpstr (reason, ==, "rate limit exceeded");
  lm_test_peer_sync (f->doctor);
  lm_test_peer_assert_none (f->doctor, "error");
}

static void
test_queue_full (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) clinic2 = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autofree char *consultation = NULL;

  lm_test_server_start (f->server, "--max-queue", "1", NULL);
  connect_both (f);
  clinic2 = lm_test_peer_new (f->server, "clinic-2");
  welcome = lm_test_peer_hello (clinic2, f->clinic2_token);
  consultation = lm_test_peer_request (f->clinic, "general", "routine", "P-1", NULL);
  lm_test_peer_send (clinic2, "{'type':'consult.request','id':'full','specialty':'general',"
                     "'urgency':'emergency','patient_ref':'P-2'}");
  error = lm_test_peer_expect_error (clinic2, "rate_limited");
  lm_test_json_assert_id_string (error, "full");
  lm_test_peer_sync (clinic2);
  lm_test_peer_sync (f->clinic);
  lm_test_peer_assert_none (f->clinic, "error");
}

static void
test_ice_burst_default_limits (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) start = NULL;
  g_autofree char *consultation = NULL;
  const char *doctor_id;
  GList *acks;

  lm_test_server_start (f->server, NULL);
  connect_both (f);
  consultation = lm_test_peer_request (f->clinic, "general", "urgent", "P-1", NULL);
  queue = lm_test_peer_set_available (f->doctor);
  start = lm_test_peer_accept (f->doctor, f->clinic, consultation, NULL);
  doctor_id = lm_test_peer_get_id (f->doctor);

  for (guint i = 0; i < 100; i++)
    lm_test_peer_send (f->clinic, "{'type':'ice','id':'ice-%u','consultation':'%s','to':'%s',"
                       "'candidate':{'candidate':'candidate:%u 1 UDP %u 192.0.2.1 %u typ host',"
                       "'sdpMLineIndex':0,'sdpMid':'0'}}",
                       i, consultation, doctor_id, i, 2000000000u - i, 40000 + i);

  /* All 100 arrive, in order. */
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(JsonObject) ice = lm_test_peer_expect (f->doctor, "ice");
      g_autofree char *prefix = g_strdup_printf ("candidate:%u ", i);

      g_assert_true (g_str_has_prefix (lm_test_json_get_string (
                                         lm_test_json_get_object (ice, "candidate"),
                                         "candidate"), prefix));
    }
  lm_test_peer_sync (f->clinic);
  lm_test_peer_assert_none (f->clinic, "error");
  acks = lm_test_peer_take_all (f->clinic, "ack");
  g_assert_cmpuint (count_with_prefix (acks, "ice-"), ==, 100);
  g_list_free_full (acks, (GDestroyNotify) json_object_unref);
}

/* A ping of exactly `size` bytes. */
static char *
ping_of_size (const char *id, gsize size)
{
  g_autofree char *head = g_strdup_printf ("{\"type\":\"ping\",\"id\":\"%s\",\"pad\":\"", id);
  const char *tail = "\"}";
  GString *text = g_string_new (head);

  g_assert_cmpuint (size, >, strlen (head) + strlen (tail));
  while (text->len < size - strlen (tail))
    g_string_append_c (text, 'x');
  g_string_append (text, tail);
  g_assert_cmpuint (text->len, ==, size);
  return g_string_free (text, FALSE);
}

static void
check_message_limit (Fixture *f, gsize limit)
{
  g_autofree char *at_limit = ping_of_size ("at-limit", limit);
  g_autofree char *over = ping_of_size ("over", limit + 1);
  g_autoptr(JsonObject) pong = NULL;
  g_autoptr(JsonObject) error = NULL;

  lm_test_peer_send_raw (f->clinic, FALSE, at_limit, strlen (at_limit));
  pong = lm_test_peer_expect_with (f->clinic, "pong", "id", "at-limit");

  lm_test_peer_send_raw (f->clinic, FALSE, over, strlen (over));
  error = lm_test_peer_expect_error (f->clinic, "too_large");
  lm_test_peer_sync (f->clinic);
  lm_test_peer_assert_none (f->clinic, "pong");
  g_assert_false (lm_test_peer_is_closed (f->clinic));
  lm_test_peer_sync (f->doctor);
  lm_test_peer_assert_none (f->doctor, "error");
}

static void
test_too_large (Fixture *f, gconstpointer data)
{
  lm_test_server_start (f->server, "--max-message-bytes", "1024", NULL);
  connect_both (f);
  check_message_limit (f, 1024);
}

static void
test_too_large_default (Fixture *f, gconstpointer data)
{
  lm_test_server_start (f->server, NULL);
  connect_both (f);
  check_message_limit (f, 65536);
}

static void
send_big_frame (LmTestPeer *peer, gsize size)
{
  g_autofree char *frame = ping_of_size ("huge", size);

  lm_test_peer_send_raw (peer, FALSE, frame, size);
}

/* The server closes while the frame is still arriving, so its close frame
 * (1009) can be lost to the TCP reset that the unread data causes: then
 * the close code is 0 (no close frame), which is accepted; anything else
 * is not. */
static void
assert_closed_too_big (LmTestPeer *peer)
{
  gushort code = lm_test_peer_wait_closed (peer, NULL);

  if (code != 0)
    g_assert_cmpuint (code, ==, 1009);
}

static void
test_frame_limit_default (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) error = NULL;

  lm_test_server_start (f->server, NULL);
  connect_both (f);
  /* Under 1 MiB: an error, the connection stays. */
  send_big_frame (f->clinic, 1000 * 1000);
  error = lm_test_peer_expect_error (f->clinic, "too_large");
  lm_test_peer_sync (f->clinic);
  /* Over it: libsoup closes with 1009. */
  send_big_frame (f->clinic, 1024 * 1024 + 1024);
  assert_closed_too_big (f->clinic);
  lm_test_peer_sync (f->doctor);
}

static void
test_frame_limit_scales (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) error = NULL;

  /* 16 x 131072 = 2 MiB: a 1.5 MiB frame is only too_large. */
  lm_test_server_start (f->server, "--max-message-bytes", "131072", NULL);
  connect_both (f);
  send_big_frame (f->clinic, 1536 * 1024);
  error = lm_test_peer_expect_error (f->clinic, "too_large");
  lm_test_peer_sync (f->clinic);
  send_big_frame (f->clinic, 2 * 1024 * 1024 + 1024);
  assert_closed_too_big (f->clinic);
}

static void
test_hello_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) silent = NULL;
  g_autofree char *reason = NULL;

  lm_test_server_start (f->server, "--hello-timeout", "1", NULL);
  connect_both (f);
  silent = lm_test_peer_new (f->server, "silent");
  g_assert_cmpuint (lm_test_peer_wait_closed (silent, &reason), ==, 1008);
  g_assert_cmpstr (reason, ==, "no hello");
  /* Those that said hello in time stay. */
  lm_test_peer_sync (f->clinic);
  lm_test_peer_sync (f->doctor);
}

static void
test_max_connections (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) third = NULL;
  g_autoptr(LmTestPeer) fourth = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *reason = NULL;

  lm_test_server_start (f->server, "--max-connections", "2", NULL);
  connect_both (f);
  /* The close frame as it travels, then as a libsoup client sees it. */
  g_assert_cmpuint (lm_test_raw_close_code (f->server, NULL, &reason), ==, 1011);
  g_assert_cmpstr (reason, ==, "server full: try again later");
  g_clear_pointer (&reason, g_free);
  third = lm_test_peer_new (f->server, "third");
  g_assert_cmpuint (lm_test_peer_wait_closed (third, &reason), ==, 1011);
  g_assert_cmpstr (reason, ==, "server full: try again later");
  lm_test_peer_sync (f->clinic);
  lm_test_peer_sync (f->doctor);

  /* A freed place can be taken again. */
  lm_test_peer_close (f->doctor);
  g_clear_pointer (&f->doctor, lm_test_peer_free);
  fourth = lm_test_peer_new (f->server, "fourth");
  welcome = lm_test_peer_hello (fourth, f->doctor_token);
  lm_test_peer_sync (fourth);
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  g_test_add ("/signaling/limits/rate-limited", Fixture, NULL,
              fixture_setup, test_rate_limited, fixture_teardown);
  g_test_add ("/signaling/limits/flood-close", Fixture, NULL,
              fixture_setup, test_flood_close, fixture_teardown);
  g_test_add ("/signaling/limits/queue-full", Fixture, NULL,
              fixture_setup, test_queue_full, fixture_teardown);
  g_test_add ("/signaling/limits/ice-burst-default", Fixture, NULL,
              fixture_setup, test_ice_burst_default_limits, fixture_teardown);
  g_test_add ("/signaling/limits/too-large", Fixture, NULL,
              fixture_setup, test_too_large, fixture_teardown);
  g_test_add ("/signaling/limits/too-large-default", Fixture, NULL,
              fixture_setup, test_too_large_default, fixture_teardown);
  g_test_add ("/signaling/limits/frame-default", Fixture, NULL,
              fixture_setup, test_frame_limit_default, fixture_teardown);
  g_test_add ("/signaling/limits/frame-scales", Fixture, NULL,
              fixture_setup, test_frame_limit_scales, fixture_teardown);
  g_test_add ("/signaling/limits/hello-timeout", Fixture, NULL,
              fixture_setup, test_hello_timeout, fixture_teardown);
  g_test_add ("/signaling/limits/max-connections", Fixture, NULL,
              fixture_setup, test_max_connections, fixture_teardown);
  return g_test_run ();
}

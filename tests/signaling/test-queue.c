/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* The waiting queue: priority order in `queue` and `queue.position`,
 * estimated waits, cancelling, and specialty filtering. */

#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

#define N_CLINICS 5

typedef struct {
  LmTestServer *server;
  char *clinic_token[N_CLINICS];
  char *dr_any_token;
  char *dr_paed_token;
  char *dr_cardio_token;
  char *admin_token;
} Fixture;

static const char *const clinic_names[N_CLINICS] = {
  "clinic-a", "clinic-b", "clinic-c", "clinic-d", "clinic-e",
};

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = lm_test_server_new (FALSE);
  for (guint i = 0; i < N_CLINICS; i++)
    f->clinic_token[i] = lm_test_server_add_account (f->server, "clinic",
                                                     clinic_names[i], NULL);
  f->dr_any_token = lm_test_server_add_account (f->server, "doctor", "dr-any", NULL);
  f->dr_paed_token = lm_test_server_add_account (f->server, "doctor", "dr-paed",
                                                 "paediatrics", NULL);
  f->dr_cardio_token = lm_test_server_add_account (f->server, "doctor", "dr-cardio",
                                                   "cardiology", "dermatology", NULL);
  f->admin_token = lm_test_server_add_account (f->server, "admin", "admin-1", NULL);
  lm_test_server_start (f->server, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
  for (guint i = 0; i < N_CLINICS; i++)
    g_free (f->clinic_token[i]);
  g_free (f->dr_any_token);
  g_free (f->dr_paed_token);
  g_free (f->dr_cardio_token);
  g_free (f->admin_token);
}

static LmTestPeer *
connect_as (Fixture *f, const char *label, const char *token)
{
  LmTestPeer *peer = lm_test_peer_new (f->server, label);
  g_autoptr(JsonObject) welcome = lm_test_peer_hello (peer, token);

  return peer;
}

/* Takes the clinic's queue.position messages up to the one announcing
 * `position`, which must be the last one it was sent; checks the
 * estimated wait when `per_position_s` > 0. */
static void
expect_position (LmTestPeer *clinic,
                 const char *consultation,
                 gint64      position,
                 double      per_position_s)
{
  for (;;)
    {
      g_autoptr(JsonObject) msg = lm_test_peer_expect (clinic, "queue.position");

      g_assert_cmpstr (lm_test_json_get_string (msg, "consultation"), ==, consultation);
      if (lm_test_json_get_int (msg, "position") != position)
        continue;
      if (per_position_s > 0)
        g_assert_cmpfloat_with_epsilon (lm_test_json_get_number (msg, "estimated_wait_s"),
                                        position * per_position_s, 1.0);
      else
        g_assert_cmpfloat (lm_test_json_get_number (msg, "estimated_wait_s"), >=, 0);
      break;
    }
  lm_test_peer_sync (clinic);
  lm_test_peer_assert_none (clinic, "queue.position");
}

/* Asserts `queue` lists exactly `expected` (NULL-terminated consultation
 * ids), in that order. */
static void
assert_queue (JsonObject *queue, const char * const *expected)
{
  JsonArray *waiting = lm_test_json_get_array (queue, "waiting");
  guint n = g_strv_length ((char **) expected);

  if (json_array_get_length (waiting) != n)
    {
      g_autofree char *text = lm_test_json_to_string (queue);
      g_error ("expected %u waiting, got %s", n, text);
    }
  for (guint i = 0; i < n; i++)
    {
      JsonObject *entry = json_array_get_object_element (waiting, i);

      if (g_strcmp0 (lm_test_json_get_string (entry, "consultation"), expected[i]) != 0)
        {
          g_autofree char *text = lm_test_json_to_string (queue);
          g_error ("entry %u should be %s in %s", i, expected[i], text);
        }
    }
}

/* The last `queue` the doctor was sent, once it has caught up. */
static JsonObject *
latest_queue (LmTestPeer *doctor)
{
  JsonObject *queue = lm_test_peer_expect (doctor, "queue");

  lm_test_peer_sync (doctor);
  while (lm_test_peer_count (doctor, "queue") > 0)
    {
      json_object_unref (queue);
      queue = lm_test_peer_expect (doctor, "queue");
    }
  return queue;
}

static void
test_priority (Fixture *f, gconstpointer data)
{
  static const char *const urgency[N_CLINICS] = {
    "routine", "urgent", "emergency", "routine", "urgent",
  };
  /* Position of each new request when it is queued. */
  static const gint64 queued_at[N_CLINICS] = { 1, 1, 1, 4, 3 };
  LmTestPeer *clinic[N_CLINICS];
  char *consultation[N_CLINICS];
  g_autoptr(LmTestPeer) doctor = NULL;
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) ended = NULL;
  g_autoptr(JsonObject) start = NULL;
  JsonArray *waiting;

  for (guint i = 0; i < N_CLINICS; i++)
    {
      gint64 position = 0;

      clinic[i] = connect_as (f, clinic_names[i], f->clinic_token[i]);
      consultation[i] = lm_test_peer_request (clinic[i], "general", urgency[i],
                                              clinic_names[i], &position);
      g_assert_cmpint (position, ==, queued_at[i]);
    }

  /* emergency c, urgent b then e, routine a then d. No doctor and no
   * history yet: 120 s a position. */
  expect_position (clinic[0], consultation[0], 4, 120);
  expect_position (clinic[1], consultation[1], 2, 120);
  expect_position (clinic[3], consultation[3], 5, 120);
  lm_test_peer_sync (clinic[2]);
  lm_test_peer_sync (clinic[4]);

  doctor = connect_as (f, "dr-any", f->dr_any_token);
  queue = lm_test_peer_set_available (doctor);
  {
    const char *order[] = { consultation[2], consultation[1], consultation[4],
                            consultation[0], consultation[3], NULL };
    const char *urgencies[] = { "emergency", "urgent", "urgent", "routine", "routine" };

    assert_queue (queue, order);
    waiting = lm_test_json_get_array (queue, "waiting");
    for (guint i = 0; i < 5; i++)
      g_assert_cmpstr (lm_test_json_get_string (json_array_get_object_element (waiting, i),
                                                "urgency"), ==, urgencies[i]);
    /* Longest waiting first within one urgency. */
    g_assert_cmpfloat (lm_test_json_get_number (json_array_get_object_element (waiting, 1),
                                                "waiting_s"), >=,
                       lm_test_json_get_number (json_array_get_object_element (waiting, 2),
                                                "waiting_s"));
    g_assert_cmpfloat (lm_test_json_get_number (json_array_get_object_element (waiting, 3),
                                                "waiting_s"), >=,
                       lm_test_json_get_number (json_array_get_object_element (waiting, 4),
                                                "waiting_s"));
  }

  /* b withdraws: it hears cancelled, the doctor a new queue, and those
   * behind it move up. */
  lm_test_peer_send (clinic[1], "{'type':'consult.cancel','id':'x','consultation':'%s'}",
                     consultation[1]);
  ended = lm_test_peer_expect (clinic[1], "consult.ended");
  lm_test_json_assert_id_string (ended, "x");
  g_assert_cmpstr (lm_test_json_get_string (ended, "consultation"), ==, consultation[1]);
  g_assert_cmpstr (lm_test_json_get_string (ended, "reason"), ==, "cancelled");
  g_assert_cmpstr (lm_test_json_get_string (ended, "by"), ==,
                   lm_test_peer_get_id (clinic[1]));
  g_clear_pointer (&queue, json_object_unref);
  queue = latest_queue (doctor);
  {
    const char *order[] = { consultation[2], consultation[4], consultation[0],
                            consultation[3], NULL };
    assert_queue (queue, order);
  }
  expect_position (clinic[4], consultation[4], 2, 0);
  expect_position (clinic[0], consultation[0], 3, 0);
  expect_position (clinic[3], consultation[3], 4, 0);

  /* The doctor takes a from the middle: d moves up. */
  start = lm_test_peer_accept (doctor, clinic[0], consultation[0], NULL);
  expect_position (clinic[3], consultation[3], 3, 0);
  lm_test_peer_sync (clinic[2]);
  lm_test_peer_sync (clinic[4]);
  lm_test_peer_assert_none (clinic[2], "queue.position");
  lm_test_peer_assert_none (clinic[4], "queue.position");

  for (guint i = 0; i < N_CLINICS; i++)
    {
      lm_test_peer_assert_none (clinic[i], "error");
      lm_test_peer_free (clinic[i]);
      g_free (consultation[i]);
    }
}

/* True if `queue` lists `consultation`. */
static gboolean
queue_has (JsonObject *queue, const char *consultation)
{
  JsonArray *waiting = lm_test_json_get_array (queue, "waiting");

  for (guint i = 0; i < json_array_get_length (waiting); i++)
    if (g_strcmp0 (lm_test_json_get_string (json_array_get_object_element (waiting, i),
                                            "consultation"), consultation) == 0)
      return TRUE;
  return FALSE;
}

static void
test_specialty (Fixture *f, gconstpointer data)
{
  static const char *const specialty[] = {
    "paediatrics", "cardiology", "general", "dermatology",
  };
  LmTestPeer *clinic[4];
  char *consultation[4];
  g_autoptr(LmTestPeer) dr_any = connect_as (f, "dr-any", f->dr_any_token);
  g_autoptr(LmTestPeer) dr_paed = connect_as (f, "dr-paed", f->dr_paed_token);
  g_autoptr(LmTestPeer) dr_cardio = connect_as (f, "dr-cardio", f->dr_cardio_token);
  g_autoptr(LmTestPeer) late = NULL;
  g_autoptr(JsonObject) queue = NULL;
  g_autofree char *neuro = NULL;

  for (guint i = 0; i < 4; i++)
    {
      clinic[i] = connect_as (f, clinic_names[i], f->clinic_token[i]);
      consultation[i] = lm_test_peer_request (clinic[i], specialty[i], "routine",
                                              clinic_names[i], NULL);
    }

  /* No specialty: every request. */
  queue = lm_test_peer_set_available (dr_any);
  {
    const char *all[] = { consultation[0], consultation[1], consultation[2],
                          consultation[3], NULL };
    assert_queue (queue, all);
  }
  g_clear_pointer (&queue, json_object_unref);

  /* paediatrics: its own and general. */
  queue = lm_test_peer_set_available (dr_paed);
  {
    const char *mine[] = { consultation[0], consultation[2], NULL };
    assert_queue (queue, mine);
  }
  g_clear_pointer (&queue, json_object_unref);

  /* cardiology and dermatology: both of those and general. */
  queue = lm_test_peer_set_available (dr_cardio);
  {
    const char *mine[] = { consultation[1], consultation[2], consultation[3], NULL };
    assert_queue (queue, mine);
  }
  g_clear_pointer (&queue, json_object_unref);

  /* A new request while they are available: whoever gets a queue sees
   * only what is theirs. */
  lm_test_peer_sync (dr_any);
  lm_test_peer_sync (dr_paed);
  lm_test_peer_sync (dr_cardio);
  lm_test_peer_clear (dr_any);
  lm_test_peer_clear (dr_paed);
  lm_test_peer_clear (dr_cardio);
  late = connect_as (f, clinic_names[4], f->clinic_token[4]);
  neuro = lm_test_peer_request (late, "neurology", "emergency", "NEU-1", NULL);
  queue = lm_test_peer_expect (dr_any, "queue");
  g_assert_true (queue_has (queue, neuro));
  g_clear_pointer (&queue, json_object_unref);
  lm_test_peer_sync (dr_paed);
  lm_test_peer_sync (dr_cardio);
  while (lm_test_peer_count (dr_paed, "queue") > 0)
    {
      queue = lm_test_peer_expect (dr_paed, "queue");
      g_assert_false (queue_has (queue, neuro));
      g_clear_pointer (&queue, json_object_unref);
    }
  while (lm_test_peer_count (dr_cardio, "queue") > 0)
    {
      queue = lm_test_peer_expect (dr_cardio, "queue");
      g_assert_false (queue_has (queue, neuro));
      g_clear_pointer (&queue, json_object_unref);
    }

  for (guint i = 0; i < 4; i++)
    {
      lm_test_peer_assert_none (clinic[i], "error");
      lm_test_peer_free (clinic[i]);
      g_free (consultation[i]);
    }
}

static void
test_busy_doctor_gets_no_queue (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) doctor = connect_as (f, "dr-any", f->dr_any_token);
  g_autoptr(LmTestPeer) first = connect_as (f, "clinic-a", f->clinic_token[0]);
  g_autoptr(LmTestPeer) second = connect_as (f, "clinic-b", f->clinic_token[1]);
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) start = NULL;
  g_autoptr(JsonObject) ended = NULL;
  g_autofree char *c1 = NULL;
  g_autofree char *c2 = NULL;

  queue = lm_test_peer_set_available (doctor);
  g_clear_pointer (&queue, json_object_unref);
  c1 = lm_test_peer_request (first, "general", "routine", "A-1", NULL);
  start = lm_test_peer_accept (doctor, first, c1, NULL);
  lm_test_peer_sync (doctor);
  lm_test_peer_clear (doctor);

  /* In a consultation: no queue while requests come in. */
  c2 = lm_test_peer_request (second, "general", "urgent", "B-1", NULL);
  lm_test_peer_sync (doctor);
  lm_test_peer_assert_none (doctor, "queue");

  /* Once it ends the doctor, still available, is shown the queue again. */
  lm_test_peer_send (doctor, "{'type':'consult.end','consultation':'%s','reason':'completed'}",
                     c1);
  ended = lm_test_peer_expect (doctor, "consult.ended");
  queue = lm_test_peer_expect (doctor, "queue");
  g_assert_true (queue_has (queue, c2));
  g_assert_false (queue_has (queue, c1));
}

/* presence away: acknowledged, and no queue until available again. */
static void
test_presence_away (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) doctor = connect_as (f, "dr-any", f->dr_any_token);
  g_autoptr(LmTestPeer) clinic = connect_as (f, "clinic-a", f->clinic_token[0]);
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autofree char *consultation = NULL;

  queue = lm_test_peer_set_available (doctor);
  g_clear_pointer (&queue, json_object_unref);
  lm_test_peer_send (doctor, "{'type':'presence','id':'away','status':'away'}");
  ack = lm_test_peer_expect_with (doctor, "ack", "id", "away");
  lm_test_peer_sync (doctor);
  lm_test_peer_clear (doctor);

  consultation = lm_test_peer_request (clinic, "general", "routine", "A-1", NULL);
  lm_test_peer_sync (doctor);
  lm_test_peer_assert_none (doctor, "queue");

  queue = lm_test_peer_set_available (doctor);
  g_assert_true (queue_has (queue, consultation));
}

/* With no history, 120 s a position divided by the doctors available for
 * the specialty. */
static void
test_estimate_per_doctor (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) dr_any = connect_as (f, "dr-any", f->dr_any_token);
  g_autoptr(LmTestPeer) dr_paed = connect_as (f, "dr-paed", f->dr_paed_token);
  g_autoptr(LmTestPeer) first = connect_as (f, "clinic-a", f->clinic_token[0]);
  g_autoptr(LmTestPeer) second = connect_as (f, "clinic-b", f->clinic_token[1]);
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) queue2 = NULL;
  g_autoptr(JsonObject) queued = NULL;
  g_autoptr(JsonObject) queued2 = NULL;

  queue = lm_test_peer_set_available (dr_any);
  queue2 = lm_test_peer_set_available (dr_paed);

  /* Both doctors see paediatrics: 120 / 2. */
  lm_test_peer_send (first, "{'type':'consult.request','id':1,'specialty':'paediatrics',"
                     "'urgency':'routine','patient_ref':'A-1'}");
  queued = lm_test_peer_expect (first, "consult.queued");
  g_assert_cmpint (lm_test_json_get_int (queued, "position"), ==, 1);
  g_assert_cmpfloat_with_epsilon (lm_test_json_get_number (queued, "estimated_wait_s"),
                                  60, 1.0);

  /* Only dr-any sees cardiology, behind the first: 2 x 120 / 1. */
  lm_test_peer_send (second, "{'type':'consult.request','id':2,'specialty':'cardiology',"
                     "'urgency':'routine','patient_ref':'B-1'}");
  queued2 = lm_test_peer_expect (second, "consult.queued");
  g_assert_cmpint (lm_test_json_get_int (queued2, "position"), ==, 2);
  g_assert_cmpfloat_with_epsilon (lm_test_json_get_number (queued2, "estimated_wait_s"),
                                  240, 1.0);
}

/* consult.offered is logged once per doctor, however often the request is
 * shown again. */
static void
test_offered_once (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) dr_any = connect_as (f, "dr-any", f->dr_any_token);
  g_autoptr(LmTestPeer) dr_paed = connect_as (f, "dr-paed", f->dr_paed_token);
  g_autoptr(LmTestPeer) dr_cardio = connect_as (f, "dr-cardio", f->dr_cardio_token);
  g_autoptr(LmTestPeer) first = connect_as (f, "clinic-a", f->clinic_token[0]);
  g_autoptr(LmTestPeer) second = connect_as (f, "clinic-b", f->clinic_token[1]);
  g_autoptr(JsonObject) q1 = NULL;
  g_autoptr(JsonObject) q2 = NULL;
  g_autoptr(JsonObject) q3 = NULL;
  g_autoptr(JsonObject) record = NULL;
  g_autofree char *consultation = NULL;
  g_autofree char *other = NULL;
  g_autofree char *path = NULL;
  JsonArray *events;
  guint offered_any = 0, offered_paed = 0, offered_cardio = 0;

  q1 = lm_test_peer_set_available (dr_any);
  q2 = lm_test_peer_set_available (dr_paed);
  q3 = lm_test_peer_set_available (dr_cardio);
  consultation = lm_test_peer_request (first, "paediatrics", "routine", "A-1", NULL);
  /* Another request makes the queue go out again. */
  other = lm_test_peer_request (second, "paediatrics", "urgent", "B-1", NULL);
  lm_test_peer_sync (dr_any);
  lm_test_peer_sync (dr_paed);
  lm_test_peer_sync (dr_cardio);

  path = g_strdup_printf ("/api/v1/consultations/%s", consultation);
  record = lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
  events = lm_test_json_get_array (record, "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonNode *detail = json_object_get_member (event, "detail");
      g_autofree char *detail_text = NULL;
      g_autofree char *text = NULL;

      if (!g_str_equal (lm_test_json_get_string (event, "kind"), "consult.offered"))
        continue;
      detail_text = detail ? json_to_string (detail, FALSE) : g_strdup ("");
      text = g_strconcat (json_object_get_string_member_with_default (event, "actor", ""), " ",
                          detail_text, NULL);
      offered_any += strstr (text, "dr-any") != NULL;
      offered_paed += strstr (text, "dr-paed") != NULL;
      offered_cardio += strstr (text, "dr-cardio") != NULL;
    }
  g_assert_cmpuint (offered_any, ==, 1);
  g_assert_cmpuint (offered_paed, ==, 1);
  g_assert_cmpuint (offered_cardio, ==, 0);
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  g_test_add ("/signaling/queue/priority", Fixture, NULL,
              fixture_setup, test_priority, fixture_teardown);
  g_test_add ("/signaling/queue/specialty", Fixture, NULL,
              fixture_setup, test_specialty, fixture_teardown);
  g_test_add ("/signaling/queue/busy-doctor", Fixture, NULL,
              fixture_setup, test_busy_doctor_gets_no_queue, fixture_teardown);
  g_test_add ("/signaling/queue/presence-away", Fixture, NULL,
              fixture_setup, test_presence_away, fixture_teardown);
  g_test_add ("/signaling/queue/estimate-per-doctor", Fixture, NULL,
              fixture_setup, test_estimate_per_doctor, fixture_teardown);
  g_test_add ("/signaling/queue/offered-once", Fixture, NULL,
              fixture_setup, test_offered_once, fixture_teardown);
  return g_test_run ();
}

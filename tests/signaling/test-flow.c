/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* One whole consultation, clinic and doctor, over ws:// and wss://, then
 * its record in the admin API. */

#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

typedef struct {
  LmTestServer *server;
  char *clinic_token;
  char *doctor_token;
  char *admin_token;
  LmTestPeer *clinic;
  LmTestPeer *doctor;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  gboolean tls = GPOINTER_TO_INT (data);

  f->server = lm_test_server_new (tls);
  f->clinic_token = lm_test_server_add_account (f->server, "clinic",
                                                "clinic-kisumu-3", NULL);
  f->doctor_token = lm_test_server_add_account (f->server, "doctor", "dr-otieno",
                                                "paediatrics", NULL);
  f->admin_token = lm_test_server_add_account (f->server, "admin", "admin-1", NULL);
  lm_test_server_start (f->server, NULL);
  g_assert_true (g_str_has_prefix (lm_test_server_get_url (f->server),
                                   tls ? "https://127.0.0.1:" : "http://127.0.0.1:"));
  f->clinic = lm_test_peer_new (f->server, "clinic");
  f->doctor = lm_test_peer_new (f->server, "doctor");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->clinic, lm_test_peer_free);
  g_clear_pointer (&f->doctor, lm_test_peer_free);
  lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
  g_free (f->clinic_token);
  g_free (f->doctor_token);
  g_free (f->admin_token);
}

static void
assert_welcome (JsonObject *welcome, const char *role, const char *name)
{
  JsonArray *ice_servers = lm_test_json_get_array (welcome, "ice_servers");

  g_assert_cmpstr (lm_test_json_get_string (welcome, "role"), ==, role);
  g_assert_cmpstr (lm_test_json_get_string (welcome, "name"), ==, name);
  g_assert_nonnull (lm_test_json_get_array (welcome, "specialties"));
  g_assert_false (lm_test_json_get_bool (welcome, "resumed"));
  g_assert_cmpint (lm_test_json_get_int (welcome, "grace_s"), ==, 30);
  for (guint i = 0; i < json_array_get_length (ice_servers); i++)
    {
      JsonObject *entry = json_array_get_object_element (ice_servers, i);

      g_assert_nonnull (lm_test_json_get_array (entry, "urls"));
    }
}

static JsonObject *
find_peer (JsonArray *peers, const char *peer_id)
{
  for (guint i = 0; i < json_array_get_length (peers); i++)
    {
      JsonObject *entry = json_array_get_object_element (peers, i);

      if (g_strcmp0 (lm_test_json_get_string (entry, "peer"), peer_id) == 0)
        return entry;
    }
  g_error ("peer %s missing from the consult.start peers", peer_id);
  return NULL;
}

static void
assert_start (JsonObject *start, Fixture *f, gboolean offer)
{
  JsonArray *peers = lm_test_json_get_array (start, "peers");
  JsonObject *media = lm_test_json_get_object (start, "media");
  JsonObject *entry;

  g_assert_cmpuint (json_array_get_length (peers), ==, 2);
  entry = find_peer (peers, lm_test_peer_get_id (f->clinic));
  g_assert_cmpstr (lm_test_json_get_string (entry, "role"), ==, "clinic");
  g_assert_cmpstr (lm_test_json_get_string (entry, "name"), ==, "clinic-kisumu-3");
  entry = find_peer (peers, lm_test_peer_get_id (f->doctor));
  g_assert_cmpstr (lm_test_json_get_string (entry, "role"), ==, "doctor");
  g_assert_cmpstr (lm_test_json_get_string (entry, "name"), ==, "dr-otieno");
  g_assert_cmpstr (lm_test_json_get_string (media, "mode"), ==, "direct");
  g_assert_true (lm_test_json_get_bool (media, "offer") == offer);
}

/* `events` holds `kinds` as a subsequence, in that order. */
static void
assert_event_order (JsonArray *events, const char * const *kinds)
{
  guint k = 0;

  for (guint i = 0; i < json_array_get_length (events) && kinds[k] != NULL; i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      g_assert_nonnull (lm_test_json_get_string (event, "time"));
      g_assert_true (json_object_has_member (event, "actor"));
      g_assert_true (json_object_has_member (event, "detail"));
      if (g_strcmp0 (lm_test_json_get_string (event, "kind"), kinds[k]) == 0)
        k++;
    }
  if (kinds[k] != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), events);
      g_autofree char *text = json_to_string (node, FALSE);

      g_error ("event \"%s\" missing or out of order in %s", kinds[k], text);
    }
}

/* The consult.ended event's detail: reason, by and the final status. */
static void
assert_ended_detail (JsonArray *events, const char *reason, const char *status)
{
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonObject *detail;

      if (!g_str_equal (lm_test_json_get_string (event, "kind"), "consult.ended"))
        continue;
      detail = lm_test_json_get_object (event, "detail");
      g_assert_cmpstr (lm_test_json_get_string (detail, "reason"), ==, reason);
      g_assert_cmpstr (lm_test_json_get_string (detail, "status"), ==, status);
      g_assert_nonnull (lm_test_json_get_string (detail, "by"));
      return;
    }
  g_error ("no consult.ended event");
}

/* hello -> welcome: the role comes from the account. */
static void
flow_hello (Fixture *f)
{
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) welcome2 = NULL;

  welcome = lm_test_peer_hello (f->clinic, f->clinic_token);
  assert_welcome (welcome, "clinic", "clinic-kisumu-3");
  welcome2 = lm_test_peer_hello (f->doctor, f->doctor_token);
  assert_welcome (welcome2, "doctor", "dr-otieno");
  g_assert_true (lm_test_json_array_has_string (
                   lm_test_json_get_array (welcome2, "specialties"), "paediatrics"));
  g_assert_cmpstr (lm_test_peer_get_id (f->clinic), !=, lm_test_peer_get_id (f->doctor));
}

/* consult.request -> consult.queued at position 1; presence available ->
 * ack and a queue showing it. Returns the consultation id. */
static char *
flow_request (Fixture *f)
{
  g_autoptr(JsonObject) queued = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) queue = NULL;
  JsonArray *waiting;
  JsonObject *entry;
  char *consultation;

  lm_test_peer_send (f->clinic, "{'type':'consult.request','id':1,"
                     "'specialty':'paediatrics','urgency':'urgent',"
                     "'patient_ref':'KSM-2291'}");
  queued = lm_test_peer_expect (f->clinic, "consult.queued");
  lm_test_json_assert_id_int (queued, 1);
  g_assert_cmpint (lm_test_json_get_int (queued, "position"), ==, 1);
  consultation = g_strdup (lm_test_json_get_string (queued, "consultation"));

  lm_test_peer_send (f->doctor, "{'type':'presence','id':'p1','status':'available'}");
  ack = lm_test_peer_expect (f->doctor, "ack");
  lm_test_json_assert_id_string (ack, "p1");
  queue = lm_test_peer_expect (f->doctor, "queue");
  waiting = lm_test_json_get_array (queue, "waiting");
  g_assert_cmpuint (json_array_get_length (waiting), ==, 1);
  entry = json_array_get_object_element (waiting, 0);
  g_assert_cmpstr (lm_test_json_get_string (entry, "consultation"), ==, consultation);
  g_assert_cmpstr (lm_test_json_get_string (entry, "clinic"), ==, "clinic-kisumu-3");
  g_assert_cmpstr (lm_test_json_get_string (entry, "specialty"), ==, "paediatrics");
  g_assert_cmpstr (lm_test_json_get_string (entry, "urgency"), ==, "urgent");
  g_assert_cmpstr (lm_test_json_get_string (entry, "patient_ref"), ==, "KSM-2291");
  g_assert_cmpfloat (lm_test_json_get_number (entry, "waiting_s"), >=, 0);
  return consultation;
}

/* accept -> consult.start to both; only the clinic offers. */
static void
flow_accept (Fixture *f, const char *consultation)
{
  g_autoptr(JsonObject) doctor_start = NULL;
  g_autoptr(JsonObject) clinic_start = NULL;

  lm_test_peer_send (f->doctor, "{'type':'consult.accept','id':7,'consultation':'%s'}",
                     consultation);
  doctor_start = lm_test_peer_expect (f->doctor, "consult.start");
  lm_test_json_assert_id_int (doctor_start, 7);
  g_assert_cmpstr (lm_test_json_get_string (doctor_start, "consultation"), ==, consultation);
  assert_start (doctor_start, f, FALSE);
  clinic_start = lm_test_peer_expect (f->clinic, "consult.start");
  g_assert_cmpstr (lm_test_json_get_string (clinic_start, "consultation"), ==, consultation);
  assert_start (clinic_start, f, TRUE);
}

/* sdp both ways, acknowledged when they carry an id. */
static void
flow_sdp (Fixture *f, const char *consultation)
{
  const char *clinic_id = lm_test_peer_get_id (f->clinic);
  const char *doctor_id = lm_test_peer_get_id (f->doctor);
  g_autoptr(JsonObject) offer = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) ack = NULL;
  JsonObject *sdp;

  lm_test_peer_send (f->clinic, "{'type':'sdp','id':'s1','consultation':'%s','to':'%s',"
                     "'sdp':{'type':'offer','sdp':'v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\n'}}",
                     consultation, doctor_id);
  offer = lm_test_peer_expect (f->doctor, "sdp");
  g_assert_cmpstr (lm_test_json_get_string (offer, "from"), ==, clinic_id);
  g_assert_cmpstr (lm_test_json_get_string (offer, "consultation"), ==, consultation);
  sdp = lm_test_json_get_object (offer, "sdp");
  g_assert_cmpstr (lm_test_json_get_string (sdp, "type"), ==, "offer");
  g_assert_cmpstr (lm_test_json_get_string (sdp, "sdp"), ==,
                   "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
  ack = lm_test_peer_expect_with (f->clinic, "ack", "id", "s1");

  /* Without an id: no ack. */
  lm_test_peer_send (f->doctor, "{'type':'sdp','consultation':'%s','to':'%s',"
                     "'sdp':{'type':'answer','sdp':'v=0\\r\\n'}}",
                     consultation, clinic_id);
  answer = lm_test_peer_expect (f->clinic, "sdp");
  g_assert_cmpstr (lm_test_json_get_string (answer, "from"), ==, doctor_id);
  g_assert_cmpstr (lm_test_json_get_string (lm_test_json_get_object (answer, "sdp"), "type"),
                   ==, "answer");
  lm_test_peer_sync (f->doctor);
  lm_test_peer_assert_none (f->doctor, "ack");
}

/* ice both ways, including the end-of-candidates marker. */
static void
flow_ice (Fixture *f, const char *consultation)
{
  const char *clinic_id = lm_test_peer_get_id (f->clinic);
  const char *doctor_id = lm_test_peer_get_id (f->doctor);
  g_autoptr(JsonObject) ice = NULL;
  g_autoptr(JsonObject) last = NULL;
  g_autoptr(JsonObject) ack = NULL;
  JsonObject *candidate;

  lm_test_peer_send (f->clinic, "{'type':'ice','id':'i1','consultation':'%s','to':'%s',"
                     "'candidate':{'candidate':'candidate:1 1 UDP 2122252543 192.0.2.1 40000 typ host',"
                     "'sdpMLineIndex':0,'sdpMid':'video0'}}", consultation, doctor_id);
  ice = lm_test_peer_expect (f->doctor, "ice");
  g_assert_cmpstr (lm_test_json_get_string (ice, "from"), ==, clinic_id);
  candidate = lm_test_json_get_object (ice, "candidate");
  g_assert_cmpstr (lm_test_json_get_string (candidate, "candidate"), ==,
                   "candidate:1 1 UDP 2122252543 192.0.2.1 40000 typ host");
  g_assert_cmpint (lm_test_json_get_int (candidate, "sdpMLineIndex"), ==, 0);
  g_assert_cmpstr (lm_test_json_get_string (candidate, "sdpMid"), ==, "video0");
  ack = lm_test_peer_expect_with (f->clinic, "ack", "id", "i1");

  lm_test_peer_send (f->doctor, "{'type':'ice','consultation':'%s','to':'%s',"
                     "'candidate':{'candidate':'','sdpMLineIndex':0}}",
                     consultation, clinic_id);
  last = lm_test_peer_expect (f->clinic, "ice");
  g_assert_cmpstr (lm_test_json_get_string (last, "from"), ==, doctor_id);
  g_assert_cmpstr (lm_test_json_get_string (lm_test_json_get_object (last, "candidate"),
                                            "candidate"), ==, "");
}

/* consult.end -> consult.ended to both, by the clinic; the sender's copy
 * answers the request and echoes its id. */
static void
flow_end (Fixture *f, const char *consultation)
{
  const char *clinic_id = lm_test_peer_get_id (f->clinic);
  g_autoptr(JsonObject) mine = NULL;
  g_autoptr(JsonObject) theirs = NULL;

  lm_test_peer_send (f->clinic, "{'type':'consult.end','id':'e1','consultation':'%s',"
                     "'reason':'completed'}", consultation);
  mine = lm_test_peer_expect (f->clinic, "consult.ended");
  lm_test_json_assert_id_string (mine, "e1");
  g_assert_cmpstr (lm_test_json_get_string (mine, "consultation"), ==, consultation);
  g_assert_cmpstr (lm_test_json_get_string (mine, "reason"), ==, "completed");
  g_assert_cmpstr (lm_test_json_get_string (mine, "by"), ==, clinic_id);
  theirs = lm_test_peer_expect (f->doctor, "consult.ended");
  g_assert_false (json_object_has_member (theirs, "id"));
  g_assert_cmpstr (lm_test_json_get_string (theirs, "consultation"), ==, consultation);
  g_assert_cmpstr (lm_test_json_get_string (theirs, "reason"), ==, "completed");
  g_assert_cmpstr (lm_test_json_get_string (theirs, "by"), ==, clinic_id);

  /* Nobody got anything unexpected on the way. */
  lm_test_peer_sync (f->clinic);
  lm_test_peer_sync (f->doctor);
  lm_test_peer_assert_none (f->clinic, "ack");
  lm_test_peer_assert_none (f->clinic, "error");
  lm_test_peer_assert_none (f->doctor, "error");
  lm_test_peer_assert_none (f->clinic, "sdp");
  lm_test_peer_assert_none (f->doctor, "sdp");
}

/* The record: completed, every event in order, no SDP nor token. */
static void
flow_record (Fixture *f, const char *consultation)
{
  static const char *const kinds[] = {
    "consult.requested", "consult.queued", "consult.offered",
    "consult.accepted", "consult.started", "consult.ended", NULL
  };
  g_autofree char *path = g_strdup_printf ("/api/v1/consultations/%s", consultation);
  g_autoptr(JsonObject) record = lm_test_server_http_get_json (f->server, path,
                                                               f->admin_token, 200);
  g_autofree char *text = lm_test_json_to_string (record);
  JsonArray *events = lm_test_json_get_array (record, "events");

  g_assert_cmpstr (lm_test_json_get_string (record, "id"), ==, consultation);
  g_assert_cmpstr (lm_test_json_get_string (record, "status"), ==, "completed");
  g_assert_cmpstr (lm_test_json_get_string (record, "clinic"), ==, "clinic-kisumu-3");
  g_assert_cmpstr (lm_test_json_get_string (record, "doctor"), ==, "dr-otieno");
  g_assert_cmpstr (lm_test_json_get_string (record, "specialty"), ==, "paediatrics");
  g_assert_cmpstr (lm_test_json_get_string (record, "urgency"), ==, "urgent");
  g_assert_cmpstr (lm_test_json_get_string (record, "patient_ref"), ==, "KSM-2291");
  g_assert_cmpstr (lm_test_json_get_string (record, "end_reason"), ==, "completed");
  g_assert_cmpstr (lm_test_json_get_string (record, "media_mode"), ==, "direct");
  g_assert_nonnull (lm_test_json_get_string (record, "requested_at"));
  g_assert_nonnull (lm_test_json_get_string (record, "started_at"));
  g_assert_nonnull (lm_test_json_get_string (record, "ended_at"));
  g_assert_cmpfloat (lm_test_json_get_number (record, "wait_s"), >=, 0);
  g_assert_cmpfloat (lm_test_json_get_number (record, "duration_s"), >=, 0);
  g_assert_true (lm_test_json_is_null (record, "relay"));
  g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (record, "recordings")), ==, 0);
  assert_event_order (events, kinds);
  assert_ended_detail (events, "completed", "completed");
  g_assert_null (strstr (text, "o=- 1 1 IN IP4"));
  g_assert_null (strstr (text, "192.0.2.1"));
  g_assert_null (strstr (text, f->clinic_token));
  g_assert_null (strstr (text, f->doctor_token));
  g_assert_null (strstr (text, f->admin_token));
  /* Last, so that the checks above run whatever it finds. */
  g_assert_nonnull (lm_test_json_get_object (record, "quality"));
}

static void
test_whole_flow (Fixture *f, gconstpointer data)
{
  g_autofree char *consultation = NULL;

  flow_hello (f);
  consultation = flow_request (f);
  flow_accept (f, consultation);
  flow_sdp (f, consultation);
  flow_ice (f, consultation);
  flow_end (f, consultation);
  flow_record (f, consultation);
}

/* stats: acknowledged, kept per member name as a quality summary, and
 * logged as a stats event by the end. */
static void
test_stats (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) welcome2 = NULL;
  g_autoptr(JsonObject) queue = NULL;
  g_autoptr(JsonObject) start = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) ack2 = NULL;
  g_autoptr(JsonObject) ended = NULL;
  g_autoptr(JsonObject) live = NULL;
  g_autoptr(JsonObject) record = NULL;
  g_autofree char *consultation = NULL;
  g_autofree char *path = NULL;
  JsonObject *quality;
  JsonObject *mine;
  JsonArray *events;
  gboolean logged = FALSE;

  welcome = lm_test_peer_hello (f->clinic, f->clinic_token);
  welcome2 = lm_test_peer_hello (f->doctor, f->doctor_token);
  consultation = lm_test_peer_request (f->clinic, "paediatrics", "routine", "P-1", NULL);
  queue = lm_test_peer_set_available (f->doctor);
  start = lm_test_peer_accept (f->doctor, f->clinic, consultation, NULL);

  lm_test_peer_send (f->clinic, "{'type':'stats','id':'st1','consultation':'%s','rtt_ms':100,"
                     "'loss_pct':1.5,'bitrate_kbps':800,'fps':25,'bytes_sent':1000,"
                     "'bytes_received':2000,'local_candidate_type':'host',"
                     "'remote_candidate_type':'srflx'}", consultation);
  ack = lm_test_peer_expect_with (f->clinic, "ack", "id", "st1");
  lm_test_peer_send (f->clinic, "{'type':'stats','id':'st2','consultation':'%s','rtt_ms':200,"
                     "'loss_pct':2.5,'bitrate_kbps':600,'fps':15,"
                     "'local_candidate_type':'relay','remote_candidate_type':'srflx'}",
                     consultation);
  ack2 = lm_test_peer_expect_with (f->clinic, "ack", "id", "st2");

  /* The live view carries it while active. */
  live = lm_test_server_http_get_json (f->server, "/api/v1/live", f->admin_token, 200);
  g_assert_cmpuint (json_array_get_length (lm_test_json_get_array (live, "active")), ==, 1);

  lm_test_peer_send (f->doctor, "{'type':'consult.end','consultation':'%s','reason':'completed'}",
                     consultation);
  ended = lm_test_peer_expect (f->clinic, "consult.ended");

  path = g_strdup_printf ("/api/v1/consultations/%s", consultation);
  record = lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
  events = lm_test_json_get_array (record, "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    logged |= g_str_equal (lm_test_json_get_string (json_array_get_object_element (events, i),
                                                    "kind"), "stats");
  g_assert_true (logged);
  quality = lm_test_json_get_object (record, "quality");
  mine = lm_test_json_get_object (quality, "clinic-kisumu-3");
  g_assert_cmpint (lm_test_json_get_int (mine, "samples"), ==, 2);
  g_assert_cmpfloat_with_epsilon (lm_test_json_get_number (mine, "rtt_ms"), 150, 0.01);
  g_assert_cmpfloat_with_epsilon (lm_test_json_get_number (mine, "loss_pct"), 2.0, 0.01);
  g_assert_cmpfloat_with_epsilon (lm_test_json_get_number (mine, "bitrate_kbps"), 700, 0.01);
  g_assert_cmpfloat_with_epsilon (lm_test_json_get_number (mine, "fps"), 20, 0.01);
  /* The last types. */
  g_assert_cmpstr (lm_test_json_get_string (mine, "local_candidate_type"), ==, "relay");
  g_assert_cmpstr (lm_test_json_get_string (mine, "remote_candidate_type"), ==, "srflx");
}

/* Every reply echoes its request's id, whether a string or an integer. */
static void
test_ids_echoed (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) pong = NULL;
  g_autoptr(JsonObject) pong2 = NULL;
  g_autoptr(JsonObject) welcome2 = NULL;
  g_autoptr(JsonObject) queued = NULL;

  lm_test_peer_send (f->clinic, "{'type':'hello','id':'h-1','token':'%s'}", f->clinic_token);
  welcome = lm_test_peer_expect (f->clinic, "welcome");
  lm_test_json_assert_id_string (welcome, "h-1");
  lm_test_peer_send (f->doctor, "{'type':'hello','id':12,'token':'%s'}", f->doctor_token);
  welcome2 = lm_test_peer_expect (f->doctor, "welcome");
  lm_test_json_assert_id_int (welcome2, 12);

  lm_test_peer_send (f->clinic, "{'type':'ping','id':42}");
  pong = lm_test_peer_expect (f->clinic, "pong");
  lm_test_json_assert_id_int (pong, 42);
  /* 64 bytes is still a valid id. */
  lm_test_peer_send (f->clinic, "{'type':'ping','id':'%s'}",
                     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  pong2 = lm_test_peer_expect (f->clinic, "pong");
  lm_test_json_assert_id_string (pong2,
                                 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

  /* Members the document does not name are ignored. */
  lm_test_peer_send (f->clinic, "{'type':'consult.request','id':-3,'specialty':'general',"
                     "'urgency':'routine','patient_ref':'P-1','future_member':{'x':[1,2]}}");
  queued = lm_test_peer_expect (f->clinic, "consult.queued");
  lm_test_json_assert_id_int (queued, -3);
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  g_test_add ("/signaling/flow/ws", Fixture, GINT_TO_POINTER (FALSE),
              fixture_setup, test_whole_flow, fixture_teardown);
  g_test_add ("/signaling/flow/wss", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_whole_flow, fixture_teardown);
  g_test_add ("/signaling/flow/ids", Fixture, GINT_TO_POINTER (FALSE),
              fixture_setup, test_ids_echoed, fixture_teardown);
  g_test_add ("/signaling/flow/stats", Fixture, GINT_TO_POINTER (FALSE),
              fixture_setup, test_stats, fixture_teardown);
  return g_test_run ();
}

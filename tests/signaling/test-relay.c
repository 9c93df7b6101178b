/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* Relay mode (docs/protocol.md, "Relay mode and several participants"):
 * the media policy, relay.open, negotiation through the relay, inviting
 * and leaving, recording with consent, per-leg figures, losing the relay. */

#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

typedef struct {
  LmTestServer *server;
  char *clinic_token;
  char *dr1_token;
  char *dr2_token;
  char *dr3_token;
  char *relay_token;
  char *admin_token;
  LmTestPeer *clinic;
  LmTestPeer *dr1;
  LmTestPeer *relay;
  char *consultation;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = lm_test_server_new (FALSE);
  f->clinic_token = lm_test_server_add_account (f->server, "clinic", "clinic-1", NULL);
  f->dr1_token = lm_test_server_add_account (f->server, "doctor", "dr-1", NULL);
  f->dr2_token = lm_test_server_add_account (f->server, "doctor", "dr-2", NULL);
  f->dr3_token = lm_test_server_add_account (f->server, "doctor", "dr-3", NULL);
  f->relay_token = lm_test_server_add_account (f->server, "relay", "relay-1", NULL);
  f->admin_token = lm_test_server_add_account (f->server, "admin", "admin-1", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->clinic, lm_test_peer_free);
  g_clear_pointer (&f->dr1, lm_test_peer_free);
  g_clear_pointer (&f->relay, lm_test_peer_free);
  if (lm_test_server_is_running (f->server))
    lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
  g_free (f->clinic_token);
  g_free (f->dr1_token);
  g_free (f->dr2_token);
  g_free (f->dr3_token);
  g_free (f->relay_token);
  g_free (f->admin_token);
  g_free (f->consultation);
}

static LmTestPeer *
connect_as (Fixture *f, const char *label, const char *token)
{
  LmTestPeer *peer = lm_test_peer_new (f->server, label);
  g_autoptr(JsonObject) welcome = lm_test_peer_hello (peer, token);

  return peer;
}

/* Connects the relay; registers it unless `max_participants` is 0. */
static void
connect_relay (Fixture *f, gint64 max_participants)
{
  f->relay = connect_as (f, "relay", f->relay_token);
  if (max_participants > 0)
    {
      g_autoptr(JsonObject) ack = NULL;

      lm_test_peer_send (f->relay, "{'type':'relay.register','id':'reg','max_consultations':50,"
                         "'max_participants':%" G_GINT64_FORMAT "}", max_participants);
      ack = lm_test_peer_expect_with (f->relay, "ack", "id", "reg");
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
  return NULL;
}

/* clinic-1 asks, dr-1 accepts; returns the clinic's consult.start. */
static JsonObject *
start_consultation (Fixture *f, JsonObject **doctor_start)
{
  g_autoptr(JsonObject) queue = NULL;
  JsonObject *clinic_start = NULL;
  JsonObject *start;

  f->clinic = connect_as (f, "clinic", f->clinic_token);
  f->dr1 = connect_as (f, "dr-1", f->dr1_token);
  f->consultation = lm_test_peer_request (f->clinic, "general", "urgent", "P-1", NULL);
  queue = lm_test_peer_set_available (f->dr1);
  start = lm_test_peer_accept (f->dr1, f->clinic, f->consultation, &clinic_start);
  if (doctor_start != NULL)
    *doctor_start = start;
  else
    json_object_unref (start);
  return clinic_start;
}

static void
assert_relay_start (Fixture *f, JsonObject *start, guint n_peers)
{
  JsonObject *media = lm_test_json_get_object (start, "media");
  JsonArray *peers = lm_test_json_get_array (start, "peers");

  g_assert_cmpstr (lm_test_json_get_string (media, "mode"), ==, "relay");
  g_assert_cmpstr (lm_test_json_get_string (media, "relay"), ==, lm_test_peer_get_id (f->relay));
  g_assert_false (lm_test_json_get_bool (media, "offer"));
  /* The relay is in no peers list shown to clinics and doctors. */
  g_assert_cmpuint (json_array_get_length (peers), ==, n_peers);
  g_assert_null (find_peer (peers, lm_test_peer_get_id (f->relay)));
}

/* Starts a consultation in relay mode and checks what everyone got. */
static void
start_relayed (Fixture *f, gint64 max_participants)
{
  g_autoptr(JsonObject) doctor_start = NULL;
  g_autoptr(JsonObject) clinic_start = NULL;
  g_autoptr(JsonObject) open = NULL;
  JsonArray *peers;

  lm_test_server_start (f->server, NULL);
  connect_relay (f, max_participants);
  clinic_start = start_consultation (f, &doctor_start);
  assert_relay_start (f, clinic_start, 2);
  assert_relay_start (f, doctor_start, 2);

  open = lm_test_peer_expect (f->relay, "relay.open");
  g_assert_cmpstr (lm_test_json_get_string (open, "consultation"), ==, f->consultation);
  g_assert_false (lm_test_json_get_bool (open, "record"));
  peers = lm_test_json_get_array (open, "peers");
  g_assert_cmpuint (json_array_get_length (peers), ==, 2);
  g_assert_nonnull (find_peer (peers, lm_test_peer_get_id (f->clinic)));
  g_assert_nonnull (find_peer (peers, lm_test_peer_get_id (f->dr1)));
  g_assert_cmpstr (lm_test_json_get_string (find_peer (peers, lm_test_peer_get_id (f->clinic)),
                                            "role"), ==, "clinic");
  g_assert_cmpstr (lm_test_json_get_string (find_peer (peers, lm_test_peer_get_id (f->dr1)),
                                            "name"), ==, "dr-1");
}

static JsonObject *
get_record (Fixture *f)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/consultations/%s", f->consultation);

  return lm_test_server_http_get_json (f->server, path, f->admin_token, 200);
}

static gboolean
has_event (JsonObject *record, const char *kind)
{
  JsonArray *events = lm_test_json_get_array (record, "events");

  for (guint i = 0; i < json_array_get_length (events); i++)
    if (g_str_equal (lm_test_json_get_string (json_array_get_object_element (events, i),
                                              "kind"), kind))
      return TRUE;
  return FALSE;
}

static void
test_auto_without_relay (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) start = NULL;

  /* A relay that is connected but never registered gets nothing. */
  lm_test_server_start (f->server, NULL);
  connect_relay (f, 0);
  start = start_consultation (f, NULL);
  g_assert_cmpstr (lm_test_json_get_string (lm_test_json_get_object (start, "media"), "mode"),
                   ==, "direct");
  lm_test_peer_sync (f->relay);
  lm_test_peer_assert_none (f->relay, "relay.open");
}

static void
test_policy_direct (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) start = NULL;

  lm_test_server_start (f->server, "--media-policy", "direct", NULL);
  connect_relay (f, 4);
  start = start_consultation (f, NULL);
  g_assert_cmpstr (lm_test_json_get_string (lm_test_json_get_object (start, "media"), "mode"),
                   ==, "direct");
  lm_test_peer_sync (f->relay);
  lm_test_peer_assert_none (f->relay, "relay.open");
}

static void
test_negotiation (Fixture *f, gconstpointer data)
{
  const char *relay_id;
  const char *clinic_id;
  g_autoptr(JsonObject) offer = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) ice = NULL;
  g_autoptr(JsonObject) ice2 = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) ack2 = NULL;
  g_autoptr(JsonObject) ended = NULL;
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(JsonObject) live = NULL;
  JsonArray *streams;

  start_relayed (f, 4);
  relay_id = lm_test_peer_get_id (f->relay);
  clinic_id = lm_test_peer_get_id (f->clinic);

  /* The relay offers, naming whose media each m-line carries. */
  lm_test_peer_send (f->relay, "{'type':'sdp','id':'o1','consultation':'%s','to':'%s',"
                     "'sdp':{'type':'offer','sdp':'v=0\\r\\n'},"
                     "'streams':[{'mid':'video2','kind':'video','peer':'%s'}]}",
                     f->consultation, clinic_id, lm_test_peer_get_id (f->dr1));
  offer = lm_test_peer_expect (f->clinic, "sdp");
  g_assert_cmpstr (lm_test_json_get_string (offer, "from"), ==, relay_id);
  streams = lm_test_json_get_array (offer, "streams");
  g_assert_cmpuint (json_array_get_length (streams), ==, 1);
  g_assert_cmpstr (lm_test_json_get_string (json_array_get_object_element (streams, 0), "peer"),
                   ==, lm_test_peer_get_id (f->dr1));
  ack = lm_test_peer_expect_with (f->relay, "ack", "id", "o1");

  /* The member answers the relay; candidates both ways. */
  lm_test_peer_send (f->clinic, "{'type':'sdp','id':'a1','consultation':'%s','to':'%s',"
                     "'sdp':{'type':'answer','sdp':'v=0\\r\\n'}}", f->consultation, relay_id);
  answer = lm_test_peer_expect (f->relay, "sdp");
  g_assert_cmpstr (lm_test_json_get_string (answer, "from"), ==, clinic_id);
  ack2 = lm_test_peer_expect_with (f->clinic, "ack", "id", "a1");
  lm_test_peer_send (f->clinic, "{'type':'ice','consultation':'%s','to':'%s',"
                     "'candidate':{'candidate':'','sdpMLineIndex':0}}", f->consultation, relay_id);
  ice = lm_test_peer_expect (f->relay, "ice");
  g_assert_cmpstr (lm_test_json_get_string (ice, "from"), ==, clinic_id);
  lm_test_peer_send (f->relay, "{'type':'ice','consultation':'%s','to':'%s',"
                     "'candidate':{'candidate':'','sdpMLineIndex':0}}", f->consultation, clinic_id);
  ice2 = lm_test_peer_expect (f->clinic, "ice");
  g_assert_cmpstr (lm_test_json_get_string (ice2, "from"), ==, relay_id);

  live = lm_test_server_http_get_json (f->server, "/api/v1/live", f->admin_token, 200);
  g_assert_cmpstr (lm_test_json_get_string (json_array_get_object_element (
                                              lm_test_json_get_array (live, "active"), 0),
                                            "media_mode"), ==, "relay");

  lm_test_peer_send (f->dr1, "{'type':'consult.end','consultation':'%s','reason':'completed'}",
                     f->consultation);
  ended = lm_test_peer_expect (f->clinic, "consult.ended");
  record = get_record (f);
  g_assert_cmpstr (lm_test_json_get_string (record, "media_mode"), ==, "relay");
  g_assert_cmpstr (lm_test_json_get_string (record, "relay"), ==, "relay-1");
  g_assert_cmpstr (lm_test_json_get_string (record, "status"), ==, "completed");
}

static void
test_invite_and_leave (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) dr2 = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) invited = NULL;
  g_autoptr(JsonObject) start = NULL;
  g_autoptr(JsonObject) joined = NULL;
  g_autoptr(JsonObject) joined2 = NULL;
  g_autoptr(JsonObject) join = NULL;
  g_autoptr(JsonObject) left_ended = NULL;
  g_autoptr(JsonObject) left = NULL;
  g_autoptr(JsonObject) left2 = NULL;
  g_autoptr(JsonObject) leave = NULL;
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(JsonObject) final = NULL;
  g_autoptr(JsonObject) final2 = NULL;
  const char *dr2_id;
  JsonObject *who;

  start_relayed (f, 4);
  dr2 = connect_as (f, "dr-2", f->dr2_token);
  dr2_id = lm_test_peer_get_id (dr2);

  lm_test_peer_send (f->dr1, "{'type':'consult.invite','id':'inv','consultation':'%s',"
                     "'doctor':'dr-2'}", f->consultation);
  ack = lm_test_peer_expect_with (f->dr1, "ack", "id", "inv");
  invited = lm_test_peer_expect (dr2, "consult.invited");
  g_assert_cmpstr (lm_test_json_get_string (invited, "consultation"), ==, f->consultation);
  g_assert_cmpstr (lm_test_json_get_string (invited, "by"), ==, "dr-1");
  g_assert_cmpstr (lm_test_json_get_string (invited, "clinic"), ==, "clinic-1");

  /* The invited doctor accepts: it sees every member, the others see it
   * join, and the relay is told to add it. */
  lm_test_peer_send (dr2, "{'type':'consult.accept','id':'acc2','consultation':'%s'}",
                     f->consultation);
  start = lm_test_peer_expect (dr2, "consult.start");
  lm_test_json_assert_id_string (start, "acc2");
  assert_relay_start (f, start, 3);
  joined = lm_test_peer_expect (f->clinic, "peer.joined");
  g_assert_cmpstr (lm_test_json_get_string (joined, "consultation"), ==, f->consultation);
  who = lm_test_json_get_object (joined, "peer");
  g_assert_cmpstr (lm_test_json_get_string (who, "peer"), ==, dr2_id);
  g_assert_cmpstr (lm_test_json_get_string (who, "role"), ==, "doctor");
  g_assert_cmpstr (lm_test_json_get_string (who, "name"), ==, "dr-2");
  joined2 = lm_test_peer_expect (f->dr1, "peer.joined");
  g_assert_cmpstr (lm_test_json_get_string (lm_test_json_get_object (joined2, "peer"), "peer"),
                   ==, dr2_id);
  join = lm_test_peer_expect (f->relay, "relay.join");
  g_assert_cmpstr (lm_test_json_get_string (join, "consultation"), ==, f->consultation);
  g_assert_cmpstr (lm_test_json_get_string (lm_test_json_get_object (join, "peer"), "peer"),
                   ==, dr2_id);

  /* dr-2 leaves while dr-1 stays: only it is ended. */
  lm_test_peer_send (dr2, "{'type':'consult.leave','id':'bye','consultation':'%s'}",
                     f->consultation);
  left_ended = lm_test_peer_expect (dr2, "consult.ended");
  g_assert_cmpstr (lm_test_json_get_string (left_ended, "reason"), ==, "left");
  left = lm_test_peer_expect (f->clinic, "peer.left");
  g_assert_cmpstr (lm_test_json_get_string (left, "consultation"), ==, f->consultation);
  g_assert_cmpstr (lm_test_json_get_string (left, "peer"), ==, dr2_id);
  left2 = lm_test_peer_expect (f->dr1, "peer.left");
  leave = lm_test_peer_expect (f->relay, "relay.leave");
  g_assert_cmpstr (lm_test_json_get_string (leave, "peer"), ==, dr2_id);
  lm_test_peer_sync (f->clinic);
  lm_test_peer_assert_none (f->clinic, "consult.ended");

  record = get_record (f);
  g_assert_cmpstr (lm_test_json_get_string (record, "status"), ==, "active");
  g_assert_true (has_event (record, "consult.invited"));
  g_assert_true (has_event (record, "consult.joined"));
  g_assert_true (has_event (record, "consult.left"));

  /* The last doctor leaving ends it for everyone. */
  lm_test_peer_send (f->dr1, "{'type':'consult.leave','consultation':'%s'}", f->consultation);
  final = lm_test_peer_expect (f->clinic, "consult.ended");
  final2 = lm_test_peer_expect (f->dr1, "consult.ended");
  g_assert_cmpstr (lm_test_json_get_string (final, "consultation"), ==, f->consultation);
}

static void
test_invite_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) dr2 = NULL;
  g_autoptr(JsonObject) e1 = NULL;
  g_autoptr(JsonObject) e2 = NULL;
  g_autoptr(JsonObject) e3 = NULL;

  start_relayed (f, 4);
  dr2 = connect_as (f, "dr-2", f->dr2_token);

  lm_test_peer_send (f->dr1, "{'type':'consult.invite','id':'i1','consultation':'%s',"
                     "'doctor':'dr-nobody'}", f->consultation);
  e1 = lm_test_peer_expect_error (f->dr1, "not_found");
  lm_test_json_assert_id_string (e1, "i1");
  /* dr-3 exists but is offline. */
  lm_test_peer_send (f->dr1, "{'type':'consult.invite','id':'i2','consultation':'%s',"
                     "'doctor':'dr-3'}", f->consultation);
  e2 = lm_test_peer_expect_error (f->dr1, "not_found");
  lm_test_json_assert_id_string (e2, "i2");
  /* Only a doctor member invites. */
  lm_test_peer_send (f->clinic, "{'type':'consult.invite','id':'i3','consultation':'%s',"
                     "'doctor':'dr-2'}", f->consultation);
  e3 = lm_test_peer_expect_error (f->clinic, "forbidden");
  lm_test_json_assert_id_string (e3, "i3");
  lm_test_peer_sync (dr2);
  lm_test_peer_assert_none (dr2, "consult.invited");
}

static void
test_invite_full (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) dr2 = NULL;
  g_autoptr(JsonObject) error = NULL;

  /* The relay takes two participants: clinic and dr-1 fill it. */
  start_relayed (f, 2);
  dr2 = connect_as (f, "dr-2", f->dr2_token);
  lm_test_peer_send (f->dr1, "{'type':'consult.invite','id':'i1','consultation':'%s',"
                     "'doctor':'dr-2'}", f->consultation);
  error = lm_test_peer_expect_error (f->dr1, "conflict");
  lm_test_json_assert_id_string (error, "i1");
  lm_test_peer_sync (dr2);
  lm_test_peer_assert_none (dr2, "consult.invited");
}

static void
test_direct_refuses_invite_and_record (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) dr2 = NULL;
  g_autoptr(JsonObject) start = NULL;
  g_autoptr(JsonObject) e1 = NULL;
  g_autoptr(JsonObject) e2 = NULL;

  lm_test_server_start (f->server, "--media-policy", "direct", NULL);
  start = start_consultation (f, NULL);
  dr2 = connect_as (f, "dr-2", f->dr2_token);
  lm_test_peer_send (f->dr1, "{'type':'consult.invite','id':'i1','consultation':'%s',"
                     "'doctor':'dr-2'}", f->consultation);
  e1 = lm_test_peer_expect_error (f->dr1, "conflict");
  lm_test_json_assert_id_string (e1, "i1");
  lm_test_peer_send (f->clinic, "{'type':'consult.record','id':'r1','consultation':'%s',"
                     "'consent':true}", f->consultation);
  e2 = lm_test_peer_expect_error (f->clinic, "conflict");
  lm_test_json_assert_id_string (e2, "r1");
}

static void
test_recording (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) on = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(JsonObject) saved = NULL;
  g_autoptr(JsonObject) ack_off = NULL;
  g_autoptr(JsonObject) off = NULL;
  g_autoptr(JsonObject) record = NULL;
  JsonArray *recordings;
  JsonObject *file;

  start_relayed (f, 4);

  /* Consent only from the clinic. */
  lm_test_peer_send (f->dr1, "{'type':'consult.record','id':'r0','consultation':'%s',"
                     "'consent':true}", f->consultation);
  error = lm_test_peer_expect_error (f->dr1, "forbidden");
  lm_test_json_assert_id_string (error, "r0");
  lm_test_peer_sync (f->relay);
  lm_test_peer_assert_none (f->relay, "relay.record");

  lm_test_peer_send (f->clinic, "{'type':'consult.record','id':'r1','consultation':'%s',"
                     "'consent':true}", f->consultation);
  ack = lm_test_peer_expect_with (f->clinic, "ack", "id", "r1");
  on = lm_test_peer_expect (f->relay, "relay.record");
  g_assert_cmpstr (lm_test_json_get_string (on, "consultation"), ==, f->consultation);
  g_assert_true (lm_test_json_get_bool (on, "record"));

  lm_test_peer_send (f->relay, "{'type':'relay.recording','id':'f1','consultation':'%s',"
                     "'path':'/var/lib/lastmile/rec/x.mkv','bytes':123456,'duration_s':12.5}",
                     f->consultation);
  saved = lm_test_peer_expect_with (f->relay, "ack", "id", "f1");

  /* Withdrawing consent stops it. */
  lm_test_peer_send (f->clinic, "{'type':'consult.record','id':'r2','consultation':'%s',"
                     "'consent':false}", f->consultation);
  ack_off = lm_test_peer_expect_with (f->clinic, "ack", "id", "r2");
  off = lm_test_peer_expect (f->relay, "relay.record");
  g_assert_false (lm_test_json_get_bool (off, "record"));

  record = get_record (f);
  g_assert_true (has_event (record, "recording.consent"));
  g_assert_true (has_event (record, "recording.saved"));
  recordings = lm_test_json_get_array (record, "recordings");
  g_assert_cmpuint (json_array_get_length (recordings), ==, 1);
  file = json_array_get_object_element (recordings, 0);
  g_assert_cmpstr (lm_test_json_get_string (file, "path"), ==, "/var/lib/lastmile/rec/x.mkv");
  g_assert_cmpint (lm_test_json_get_int (file, "bytes"), ==, 123456);
  g_assert_cmpfloat_with_epsilon (lm_test_json_get_number (file, "duration_s"), 12.5, 0.001);
}

static void
test_leg_stats (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) ended = NULL;
  g_autoptr(JsonObject) record = NULL;
  JsonObject *quality;
  gboolean keyed = FALSE;
  GList *members;

  start_relayed (f, 4);
  lm_test_peer_send (f->relay, "{'type':'stats','id':'s1','consultation':'%s','leg':'%s',"
                     "'rtt_ms':40,'loss_pct':0.5,'bitrate_kbps':900,'bytes_sent':10,"
                     "'bytes_received':20,'packets_sent':1,'packets_received':2}",
                     f->consultation, lm_test_peer_get_id (f->clinic));
  ack = lm_test_peer_expect_with (f->relay, "ack", "id", "s1");
  lm_test_peer_send (f->dr1, "{'type':'consult.end','consultation':'%s','reason':'completed'}",
                     f->consultation);
  ended = lm_test_peer_expect (f->clinic, "consult.ended");

  record = get_record (f);
  quality = lm_test_json_get_object (record, "quality");
  members = json_object_get_members (quality);
  for (GList *l = members; l != NULL; l = l->next)
    keyed |= g_str_has_prefix (l->data, "relay:");
  g_list_free (members);
  g_assert_true (keyed);
}

static void
test_relay_lost (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) ended = NULL;
  g_autoptr(JsonObject) ended2 = NULL;
  g_autoptr(JsonObject) record = NULL;

  start_relayed (f, 4);
  lm_test_peer_drop (f->relay);
  ended = lm_test_peer_expect (f->clinic, "consult.ended");
  g_assert_cmpstr (lm_test_json_get_string (ended, "consultation"), ==, f->consultation);
  g_assert_cmpstr (lm_test_json_get_string (ended, "reason"), ==, "relay_lost");
  g_assert_cmpstr (lm_test_json_get_string (ended, "by"), ==, "server");
  ended2 = lm_test_peer_expect (f->dr1, "consult.ended");
  g_assert_cmpstr (lm_test_json_get_string (ended2, "reason"), ==, "relay_lost");
  record = get_record (f);
  g_assert_cmpstr (lm_test_json_get_string (record, "end_reason"), ==, "relay_lost");
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  g_test_add ("/signaling/relay/auto-without-relay", Fixture, NULL,
              fixture_setup, test_auto_without_relay, fixture_teardown);
  g_test_add ("/signaling/relay/policy-direct", Fixture, NULL,
              fixture_setup, test_policy_direct, fixture_teardown);
  g_test_add ("/signaling/relay/negotiation", Fixture, NULL,
              fixture_setup, test_negotiation, fixture_teardown);
  g_test_add ("/signaling/relay/invite-and-leave", Fixture, NULL,
              fixture_setup, test_invite_and_leave, fixture_teardown);
  g_test_add ("/signaling/relay/invite-refused", Fixture, NULL,
              fixture_setup, test_invite_refused, fixture_teardown);
  g_test_add ("/signaling/relay/invite-full", Fixture, NULL,
              fixture_setup, test_invite_full, fixture_teardown);
  g_test_add ("/signaling/relay/direct-refuses", Fixture, NULL,
              fixture_setup, test_direct_refuses_invite_and_record, fixture_teardown);
  g_test_add ("/signaling/relay/recording", Fixture, NULL,
              fixture_setup, test_recording, fixture_teardown);
  g_test_add ("/signaling/relay/leg-stats", Fixture, NULL,
              fixture_setup, test_leg_stats, fixture_teardown);
  g_test_add ("/signaling/relay/relay-lost", Fixture, NULL,
              fixture_setup, test_relay_lost, fixture_teardown);
  return g_test_run ();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* sdp and ice reach only the other member of the sender's active
 * consultation: every other combination is refused and forwards nothing. */

#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

/* Two active consultations: 0 = clinic-1 with dr-1, 1 = clinic-2 with dr-2. */
enum { CLINIC1, DOCTOR1, CLINIC2, DOCTOR2, N_PEERS };
#define NOBODY (-1)
#define UNKNOWN (-1)

typedef struct {
  LmTestServer *server;
  LmTestPeer *peer[N_PEERS];
  char *consultation[2];
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  static const char *const names[N_PEERS] = { "clinic-1", "dr-1", "clinic-2", "dr-2" };
  static const char *const roles[N_PEERS] = { "clinic", "doctor", "clinic", "doctor" };
  char *tokens[N_PEERS];

  f->server = lm_test_server_new (FALSE);
  for (guint i = 0; i < N_PEERS; i++)
    tokens[i] = lm_test_server_add_account (f->server, roles[i], names[i], NULL);
  lm_test_server_start (f->server, NULL);
  for (guint i = 0; i < N_PEERS; i++)
    {
      g_autoptr(JsonObject) welcome = NULL;

      f->peer[i] = lm_test_peer_new (f->server, names[i]);
      welcome = lm_test_peer_hello (f->peer[i], tokens[i]);
      g_free (tokens[i]);
    }
  for (guint c = 0; c < 2; c++)
    {
      LmTestPeer *clinic = f->peer[c == 0 ? CLINIC1 : CLINIC2];
      LmTestPeer *doctor = f->peer[c == 0 ? DOCTOR1 : DOCTOR2];
      g_autoptr(JsonObject) queue = NULL;
      g_autoptr(JsonObject) start = NULL;

      f->consultation[c] = lm_test_peer_request (clinic, "general", "routine",
                                                 c == 0 ? "P-1" : "P-2", NULL);
      queue = lm_test_peer_set_available (doctor);
      start = lm_test_peer_accept (doctor, clinic, f->consultation[c], NULL);
    }
  for (guint i = 0; i < N_PEERS; i++)
    {
      lm_test_peer_sync (f->peer[i]);
      lm_test_peer_clear (f->peer[i]);
    }
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < N_PEERS; i++)
    g_clear_pointer (&f->peer[i], lm_test_peer_free);
  lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
  g_free (f->consultation[0]);
  g_free (f->consultation[1]);
}

typedef struct {
  const char *name;
  int from;
  int consultation;
  int to;
  const char *code;
} Refused;

static const Refused refused[] = {
  /* A sender that is not a member of the consultation. */
  { "non-member-sender", CLINIC2, 0, DOCTOR1, "forbidden" },
  { "non-member-doctor-sender", DOCTOR2, 0, CLINIC1, "forbidden" },
  /* A member writing to someone outside it. */
  { "to-non-member", CLINIC1, 0, DOCTOR2, "forbidden" },
  { "to-self", CLINIC1, 0, CLINIC1, "forbidden" },
  { "to-unknown-peer", CLINIC1, 0, NOBODY, "forbidden" },
  /* Naming another consultation. */
  { "other-consultation", CLINIC1, 1, DOCTOR2, "forbidden" },
  { "other-consultation-own-partner", CLINIC1, 1, DOCTOR1, "forbidden" },
  /* A consultation that does not exist. */
  { "unknown-consultation", CLINIC1, UNKNOWN, DOCTOR1, "not_found" },
};

static void
send_signal (Fixture *f, LmTestPeer *from, gboolean ice, const char *id,
             const char *consultation, const char *to)
{
  if (ice)
    lm_test_peer_send (from, "{'type':'ice','id':'%s','consultation':'%s','to':'%s',"
                       "'candidate':{'candidate':'candidate:1 1 UDP 1 192.0.2.7 9 typ host',"
                       "'sdpMLineIndex':0}}", id, consultation, to);
  else
    lm_test_peer_send (from, "{'type':'sdp','id':'%s','consultation':'%s','to':'%s',"
                       "'sdp':{'type':'offer','sdp':'v=0\\r\\n'}}", id, consultation, to);
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  const Refused *r = data;
  LmTestPeer *from = f->peer[r->from];
  const char *consultation = r->consultation == UNKNOWN ? "c-nothing"
                                                        : f->consultation[r->consultation];
  const char *to = r->to == NOBODY ? "p-nobody" : lm_test_peer_get_id (f->peer[r->to]);

  for (int ice = 0; ice <= 1; ice++)
    {
      g_autoptr(JsonObject) error = NULL;

      send_signal (f, from, ice, ice ? "ice-1" : "sdp-1", consultation, to);
      error = lm_test_peer_expect_error (from, r->code);
      lm_test_json_assert_id_string (error, ice ? "ice-1" : "sdp-1");
    }

  /* Nothing was forwarded to anybody, and nobody else saw an error. */
  for (guint i = 0; i < N_PEERS; i++)
    {
      lm_test_peer_sync (f->peer[i]);
      lm_test_peer_assert_none (f->peer[i], "sdp");
      lm_test_peer_assert_none (f->peer[i], "ice");
      lm_test_peer_assert_none (f->peer[i], "error");
    }

  /* Both consultations still forward between their members. */
  for (guint c = 0; c < 2; c++)
    {
      LmTestPeer *clinic = f->peer[c == 0 ? CLINIC1 : CLINIC2];
      LmTestPeer *doctor = f->peer[c == 0 ? DOCTOR1 : DOCTOR2];
      g_autoptr(JsonObject) sdp = NULL;
      g_autoptr(JsonObject) ack = NULL;

      send_signal (f, doctor, FALSE, "ok", f->consultation[c], lm_test_peer_get_id (clinic));
      sdp = lm_test_peer_expect (clinic, "sdp");
      g_assert_cmpstr (lm_test_json_get_string (sdp, "from"), ==,
                       lm_test_peer_get_id (doctor));
      ack = lm_test_peer_expect_with (doctor, "ack", "id", "ok");
    }
}

/* Ending, or reporting on, another pair's consultation is refused and
 * changes nothing. */
static void
test_foreign_control (Fixture *f, gconstpointer data)
{
  static const int outsiders[] = { CLINIC2, DOCTOR2 };
  g_autoptr(JsonObject) ended = NULL;
  g_autoptr(JsonObject) late = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (outsiders); i++)
    {
      LmTestPeer *outsider = f->peer[outsiders[i]];
      g_autoptr(JsonObject) e1 = NULL;
      g_autoptr(JsonObject) e2 = NULL;

      lm_test_peer_send (outsider, "{'type':'consult.end','id':'end','consultation':'%s',"
                         "'reason':'completed'}", f->consultation[0]);
      e1 = lm_test_peer_expect_error (outsider, "forbidden");
      lm_test_json_assert_id_string (e1, "end");
      lm_test_peer_send (outsider, "{'type':'stats','id':'st','consultation':'%s','rtt_ms':1}",
                         f->consultation[0]);
      e2 = lm_test_peer_expect_error (outsider, "forbidden");
      lm_test_json_assert_id_string (e2, "st");
    }
  for (guint i = 0; i < N_PEERS; i++)
    {
      lm_test_peer_sync (f->peer[i]);
      lm_test_peer_assert_none (f->peer[i], "consult.ended");
    }

  /* Once ended, the consultation forwards nothing more. */
  lm_test_peer_send (f->peer[CLINIC1], "{'type':'consult.end','consultation':'%s',"
                     "'reason':'completed'}", f->consultation[0]);
  ended = lm_test_peer_expect (f->peer[DOCTOR1], "consult.ended");
  send_signal (f, f->peer[CLINIC1], FALSE, "late", f->consultation[0],
               lm_test_peer_get_id (f->peer[DOCTOR1]));
  late = lm_test_peer_expect (f->peer[CLINIC1], "error");
  lm_test_json_assert_id_string (late, "late");
  if (!g_str_equal (lm_test_json_get_string (late, "code"), "not_found"))
    g_assert_cmpstr (lm_test_json_get_string (late, "code"), ==, "forbidden");
  lm_test_peer_sync (f->peer[DOCTOR1]);
  lm_test_peer_assert_none (f->peer[DOCTOR1], "sdp");
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *path = g_strdup_printf ("/signaling/forwarding/%s", refused[i].name);

      g_test_add (path, Fixture, &refused[i], fixture_setup, test_refused, fixture_teardown);
    }
  g_test_add ("/signaling/forwarding/foreign-control", Fixture, NULL,
              fixture_setup, test_foreign_control, fixture_teardown);
  return g_test_run ();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* TURN REST credentials in welcome.ice_servers, checked as coturn's
 * use-auth-secret would check them. */

#include <stdlib.h>
#include <string.h>

#include "lm-test-json.h"
#include "lm-test-peer.h"
#include "lm-test-server.h"

#define SECRET "s3cret-for-tests"
#define TURN_URI "turn:127.0.0.1:3478"

typedef struct {
  LmTestServer *server;
  char *doctor_token;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = lm_test_server_new (FALSE);
  f->doctor_token = lm_test_server_add_account (f->server, "doctor", "dr-1", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (lm_test_server_is_running (f->server))
    lm_test_server_stop (f->server);
  g_clear_pointer (&f->server, lm_test_server_free);
  g_free (f->doctor_token);
}

static char *
expected_credential (const char *secret, const char *username)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret,
                                      strlen (secret));
  guint8 digest[20];
  gsize len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) username, strlen (username));
  g_hmac_get_digest (hmac, digest, &len);
  g_assert_cmpuint (len, ==, 20);
  return g_base64_encode (digest, len);
}

static JsonObject *
find_turn_entry (JsonArray *ice_servers, const char *uri)
{
  for (guint i = 0; i < json_array_get_length (ice_servers); i++)
    {
      JsonObject *entry = json_array_get_object_element (ice_servers, i);

      if (lm_test_json_array_has_string (lm_test_json_get_array (entry, "urls"), uri))
        return entry;
    }
  return NULL;
}

static void
check_credentials (Fixture *f, gint64 ttl_s)
{
  g_autoptr(LmTestPeer) peer = lm_test_peer_new (f->server, "doctor");
  g_autoptr(JsonObject) welcome = lm_test_peer_hello (peer, f->doctor_token);
  JsonObject *entry = find_turn_entry (lm_test_json_get_array (welcome, "ice_servers"),
                                       TURN_URI);
  g_autofree char *expected = NULL;
  g_auto(GStrv) parts = NULL;
  const char *username;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 expiry;
  char *end = NULL;

  g_assert_nonnull (entry);
  username = lm_test_json_get_string (entry, "username");
  parts = g_strsplit (username, ":", 2);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  expiry = g_ascii_strtoll (parts[0], &end, 10);
  g_assert_true (end != parts[0] && *end == '\0');
  g_assert_cmpstr (parts[1], ==, lm_test_peer_get_id (peer));
  /* In the future, --turn-ttl from now (a little slack for slow runs). */
  g_assert_cmpint (expiry, >, now);
  g_assert_cmpint (expiry, >=, now + ttl_s - 60);
  g_assert_cmpint (expiry, <=, now + ttl_s + 5);
  expected = expected_credential (SECRET, username);
  g_assert_cmpstr (lm_test_json_get_string (entry, "credential"), ==, expected);
}

static void
test_default_ttl (Fixture *f, gconstpointer data)
{
  lm_test_server_start (f->server, "--turn-uri", TURN_URI, "--turn-secret", SECRET, NULL);
  check_credentials (f, 86400);
}

static void
test_custom_ttl (Fixture *f, gconstpointer data)
{
  lm_test_server_start (f->server, "--turn-uri", TURN_URI, "--turn-uri",
                        "turn:127.0.0.1:3478?transport=tcp", "--turn-secret", SECRET,
                        "--turn-ttl", "600", NULL);
  check_credentials (f, 600);
}

/* Each session gets its own username, so credentials differ per peer. */
static void
test_per_peer (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) a = NULL;
  g_autoptr(LmTestPeer) b = NULL;
  g_autoptr(JsonObject) wa = NULL;
  g_autoptr(JsonObject) wb = NULL;
  JsonObject *ea;
  JsonObject *eb;

  lm_test_server_start (f->server, "--turn-uri", TURN_URI, "--turn-secret", SECRET, NULL);
  a = lm_test_peer_new (f->server, "a");
  b = lm_test_peer_new (f->server, "b");
  wa = lm_test_peer_hello (a, f->doctor_token);
  wb = lm_test_peer_hello (b, f->doctor_token);
  ea = find_turn_entry (lm_test_json_get_array (wa, "ice_servers"), TURN_URI);
  eb = find_turn_entry (lm_test_json_get_array (wb, "ice_servers"), TURN_URI);
  g_assert_nonnull (ea);
  g_assert_nonnull (eb);
  g_assert_cmpstr (lm_test_json_get_string (ea, "username"), !=,
                   lm_test_json_get_string (eb, "username"));
}

/* The secret itself never travels. */
static void
test_secret_not_sent (Fixture *f, gconstpointer data)
{
  g_autoptr(LmTestPeer) peer = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *text = NULL;

  lm_test_server_start (f->server, "--turn-uri", TURN_URI, "--turn-secret", SECRET, NULL);
  peer = lm_test_peer_new (f->server, "doctor");
  welcome = lm_test_peer_hello (peer, f->doctor_token);
  text = lm_test_json_to_string (welcome);
  g_assert_null (strstr (text, SECRET));
}

int
main (int argc, char **argv)
{
  lm_test_init (&argc, &argv);
  g_test_add ("/signaling/turn/default-ttl", Fixture, NULL,
              fixture_setup, test_default_ttl, fixture_teardown);
  g_test_add ("/signaling/turn/custom-ttl", Fixture, NULL,
              fixture_setup, test_custom_ttl, fixture_teardown);
  g_test_add ("/signaling/turn/per-peer", Fixture, NULL,
              fixture_setup, test_per_peer, fixture_teardown);
  g_test_add ("/signaling/turn/secret-not-sent", Fixture, NULL,
              fixture_setup, test_secret_not_sent, fixture_teardown);
  return g_test_run ();
}

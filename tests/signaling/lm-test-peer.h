/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include "lm-test-server.h"

G_BEGIN_DECLS

/* A WebSocket peer of the signaling server: queues every JSON message it
 * receives, in order, for the test to take out with expect(). */
typedef struct _LmTestPeer LmTestPeer;

/* Connects to the server's /ws (asserts success). `label` names the peer
 * in failure messages. */
LmTestPeer *lm_test_peer_new (LmTestServer *server, const char *label);
void lm_test_peer_free (LmTestPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmTestPeer, lm_test_peer_free)

/* Sends hello{token[, resume]} and returns the welcome (asserting one
 * comes); remembers its peer id and resume secret. */
JsonObject *lm_test_peer_hello (LmTestPeer *peer, const char *token);
JsonObject *lm_test_peer_hello_resume (LmTestPeer *peer,
                                       const char *token,
                                       const char *resume);

/* welcome.peer and welcome.resume of the last welcome. */
const char *lm_test_peer_get_id (LmTestPeer *peer);
const char *lm_test_peer_get_resume (LmTestPeer *peer);

/* Sends one text frame: the printf-formatted `format` in which every '
 * of the format (not of the arguments) becomes ", so tests can write
 * "{'type':'ping','id':%d}". */
void lm_test_peer_send (LmTestPeer *peer, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* The same without formatting: only the ' become ". */
void lm_test_peer_send_quoted (LmTestPeer *peer, const char *text);

/* Sends `len` bytes as they are, in a text or a binary frame (libsoup does
 * not check the text). */
void lm_test_peer_send_raw (LmTestPeer   *peer,
                            gboolean      binary,
                            gconstpointer data,
                            gsize         len);

/* Takes out the first queued message of `type`, waiting for it up to
 * LM_TEST_TIMEOUT_MS; fails the test if none comes, or at once if an
 * `error` the test did not ask for is queued before it. Messages of other
 * types stay queued. Returns a reference. */
JsonObject *lm_test_peer_expect (LmTestPeer *peer, const char *type);

/* The same, also matching a string member's value. */
JsonObject *lm_test_peer_expect_with (LmTestPeer *peer,
                                      const char *type,
                                      const char *member,
                                      const char *value);

/* Like lm_test_peer_expect_with() with `timeout_ms`, but queued errors do
 * not end the wait; NULL when none comes in time. */
JsonObject *lm_test_peer_wait_with (LmTestPeer *peer,
                                    const char *type,
                                    const char *member,
                                    const char *value,
                                    guint       timeout_ms);

/* Takes every queued message of `type` (NULL: all) out of the queue, in
 * order; free with g_list_free_full (list, json_object_unref). */
GList *lm_test_peer_take_all (LmTestPeer *peer, const char *type);

/* expect("error") and asserts its code (and that it has a message). */
JsonObject *lm_test_peer_expect_error (LmTestPeer *peer, const char *code);

/* Round trip: sends ping with a fresh id and waits for its pong. Every
 * message the server sent this peer before answering is then queued. */
void lm_test_peer_sync (LmTestPeer *peer);

/* How many queued messages have `type` (NULL: all). */
guint lm_test_peer_count (LmTestPeer *peer, const char *type);

/* Asserts that no queued message has `type` (NULL: none at all). */
void lm_test_peer_assert_none (LmTestPeer *peer, const char *type);

/* Forgets every queued message. */
void lm_test_peer_clear (LmTestPeer *peer);

/* Closes the TCP connection without a WebSocket close frame, as a lost
 * network would. */
void lm_test_peer_drop (LmTestPeer *peer);

/* Sends a WebSocket close (1000) and waits for the connection to close. */
void lm_test_peer_close (LmTestPeer *peer);

gboolean lm_test_peer_is_closed (LmTestPeer *peer);

/* Waits for the server to close the connection; returns the close code it
 * sent and, in *reason, its reason text. */
gushort lm_test_peer_wait_closed (LmTestPeer *peer, char **reason);

G_END_DECLS

G_BEGIN_DECLS

/* Steps most tests share. */

/* A clinic's consult.request (id "req"); asserts consult.queued echoing the
 * id and returns its consultation id. *position gets the position. */
char *lm_test_peer_request (LmTestPeer *clinic,
                            const char *specialty,
                            const char *urgency,
                            const char *patient_ref,
                            gint64     *position);

/* A doctor's presence{available} (id "avail"); asserts the ack and
 * returns the queue that follows. */
JsonObject *lm_test_peer_set_available (LmTestPeer *doctor);

/* A doctor's consult.accept (id "accept"); asserts consult.start reaches
 * the doctor (echoing the id) and the clinic. Returns the doctor's copy;
 * the clinic's in *clinic_start when not NULL. */
JsonObject *lm_test_peer_accept (LmTestPeer  *doctor,
                                 LmTestPeer  *clinic,
                                 const char  *consultation,
                                 JsonObject **clinic_start);

G_END_DECLS

G_BEGIN_DECLS

/* Opens a plain ws:// connection by hand, so that the test sees the close
 * frame exactly as the server sent it (libsoup's client answers a close
 * code it does not know, such as 1013, with 1002 and reports that), sends
 * `text` as a masked text frame when not NULL, and reads frames until the
 * server's close frame. Returns its code; *reason gets its text. */
gushort lm_test_raw_close_code (LmTestServer *server,
                                const char   *text,
                                char        **reason);

G_END_DECLS

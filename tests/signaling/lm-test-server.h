/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* How long a test waits for anything the server should do promptly. Long,
 * so a loaded CI machine or a sanitizer build does not fail spuriously:
 * passing tests never wait for it. */
#define LM_TEST_TIMEOUT_MS 15000

/* g_test_init(), and libsoup's debug messages silenced. */
void lm_test_init (int *argc, char ***argv);

typedef gboolean (*LmTestCondition) (gpointer user_data);

/* Iterates the default main context until `condition` holds or
 * `timeout_ms` have passed; returns the condition's last value. */
gboolean lm_test_wait_for (LmTestCondition condition,
                           gpointer        user_data,
                           guint           timeout_ms);

/* One lastmile-signaling under test: a temporary directory holding its
 * database (and certificate with TLS), the binary named by the
 * LASTMILE_SIGNALING environment variable. */
typedef struct _LmTestServer LmTestServer;

/* With `tls`, makes a self-signed certificate for 127.0.0.1 with the
 * openssl CLI; the server is then started with --tls-cert/--tls-key and
 * every session from lm_test_server_new_session() trusts that one
 * certificate (verification stays on). */
LmTestServer *lm_test_server_new (gboolean tls);
void lm_test_server_free (LmTestServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmTestServer, lm_test_server_free)

/* From the next start on, the server's stderr goes to a file (rather than
 * the test's own stderr) and `env` ("NAME=VALUE", NULL-terminated, may be
 * NULL) is added to its environment. The file is echoed to the test log
 * when the server stops. */
void lm_test_server_capture_stderr (LmTestServer       *server,
                                    const char * const *env);

/* What the server wrote to stderr so far (after capture_stderr()). */
char *lm_test_server_get_stderr (LmTestServer *server);

/* Every line the server printed on stdout since its last start. */
const char *lm_test_server_get_stdout (LmTestServer *server);

const char *lm_test_server_get_dir (LmTestServer *server);
const char *lm_test_server_get_db_path (LmTestServer *server);
const char *lm_test_server_get_cert_path (LmTestServer *server);
const char *lm_test_server_get_key_path (LmTestServer *server);

/* Runs the binary with `args` (no --db added) to completion; returns its
 * wait status decoded as an exit code (-1 when killed by a signal). */
int lm_test_server_run (LmTestServer       *server,
                        const char * const *args,
                        char              **out,
                        char              **err);

/* Runs "--db DB ARGS..." (NULL-terminated) to completion. */
int lm_test_server_cli (LmTestServer *server,
                        char        **out,
                        char        **err,
                        ...) G_GNUC_NULL_TERMINATED;

/* `account add --role ROLE --name NAME [--specialty S]...` (NULL-terminated
 * specialties); asserts exit 0 and one line of output; returns the token. */
char *lm_test_server_add_account (LmTestServer *server,
                                  const char   *role,
                                  const char   *name,
                                  ...) G_GNUC_NULL_TERMINATED;

/* Starts "--db DB --address 127.0.0.1 --port 0 [TLS options] ARGS..."
 * (NULL-terminated) and waits for its "listening on URL" line. */
void lm_test_server_start (LmTestServer *server, ...) G_GNUC_NULL_TERMINATED;

/* The same with exactly `args` after the binary's name. */
void lm_test_server_start_argv (LmTestServer       *server,
                                const char * const *args);

/* Sends `signum`, waits for the exit and asserts it was exit code 0. */
void lm_test_server_stop_with_signal (LmTestServer *server, int signum);
void lm_test_server_stop (LmTestServer *server);

gboolean lm_test_server_is_running (LmTestServer *server);

/* "http://127.0.0.1:PORT/" or "https://...", as printed by the server. */
const char *lm_test_server_get_url (LmTestServer *server);

/* "ws://127.0.0.1:PORT/ws" or "wss://...". */
char *lm_test_server_get_ws_url (LmTestServer *server);

/* A new session that trusts the test certificate. */
SoupSession *lm_test_server_new_session (LmTestServer *server);

/* GET `path` (with "Authorization: Bearer TOKEN" unless NULL). Returns the
 * body; *status and *content_type when not NULL. */
GBytes *lm_test_server_http_get (LmTestServer *server,
                                 const char   *path,
                                 const char   *token,
                                 guint        *status,
                                 char        **content_type);

/* The same, asserting `expected_status` and a JSON object body. */
JsonObject *lm_test_server_http_get_json (LmTestServer *server,
                                          const char   *path,
                                          const char   *token,
                                          guint         expected_status);

G_END_DECLS

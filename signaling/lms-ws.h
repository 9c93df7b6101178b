/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The server side of RFC 6455 without extensions, for many connections on
 * one main context: every socket is in one epoll set watched by a single
 * GSource (LmsWsLoop), so a main-loop iteration costs the same with 10 or
 * 10,000 connections open. libsoup still does HTTP and the upgrade; the
 * stolen stream is handed to lms_ws_new().
 *
 * Nothing is freed from inside a send or a close: a connection that fails
 * is torn down by the loop at its next dispatch, which then calls `closed`
 * (the owner frees the LmsWs there). */

typedef enum {
  LMS_WS_OP_CONTINUATION = 0x0,
  LMS_WS_OP_TEXT = 0x1,
  LMS_WS_OP_BINARY = 0x2,
  LMS_WS_OP_CLOSE = 0x8,
  LMS_WS_OP_PING = 0x9,
  LMS_WS_OP_PONG = 0xa,
} LmsWsOpcode;

enum {
  LMS_WS_CLOSE_NORMAL = 1000,
  LMS_WS_CLOSE_GOING_AWAY = 1001,
  LMS_WS_CLOSE_PROTOCOL_ERROR = 1002,
  LMS_WS_CLOSE_NO_STATUS = 1005,
  LMS_WS_CLOSE_ABNORMAL = 1006,
  LMS_WS_CLOSE_POLICY_VIOLATION = 1008,
  LMS_WS_CLOSE_TOO_BIG = 1009,
  LMS_WS_CLOSE_SERVER_ERROR = 1011,
};

/* --- Frame reader: bytes in, whole messages and control frames out. No
 * I/O, so it is tested on byte tables (tests/ws/). */

/* One complete message (TEXT or BINARY, fragments joined) or control
 * frame (CLOSE, PING, PONG), unmasked. Return FALSE to stop reading. */
typedef gboolean (*LmsWsFrameFunc) (gpointer user_data, LmsWsOpcode opcode,
                                    guint8 *payload, gsize len);

typedef struct {
  guint64 max_payload;          /* a frame or a joined message past it: 1009 */
  guint8 *partial;              /* an incomplete frame, NULL when none */
  gsize partial_len;
  gsize partial_cap;
  guint8 *message;              /* fragments joined so far */
  gsize message_len;
  gsize message_cap;
  guint8 message_opcode;        /* TEXT or BINARY while fragmented, else 0 */
} LmsWsReader;

typedef enum {
  LMS_WS_FEED_OK,               /* everything consumed (some kept as partial) */
  LMS_WS_FEED_STOPPED,          /* the callback returned FALSE */
  LMS_WS_FEED_ERROR,            /* close with *code and *reason */
} LmsWsFeed;

void lms_ws_reader_init (LmsWsReader *reader, guint64 max_payload);
void lms_ws_reader_clear (LmsWsReader *reader);
/* `data` is unmasked in place. */
LmsWsFeed lms_ws_reader_feed (LmsWsReader *reader, guint8 *data, gsize len,
                              LmsWsFrameFunc func, gpointer user_data,
                              gushort *code, const char **reason);
/* An unmasked server frame header for `len` payload bytes; returns its
 * length (2 to 10). */
gsize lms_ws_frame_header (guint8 header[10], LmsWsOpcode opcode, guint64 len);

/* --- Connections */

typedef struct _LmsWsLoop LmsWsLoop;
typedef struct _LmsWs LmsWs;

typedef struct {
  /* A TEXT or BINARY message. */
  void (*message) (LmsWs *ws, gboolean binary, const guint8 *data, gsize len,
                   gpointer user_data);
  /* The connection is gone; the last call for it. Free it here. */
  void (*closed) (LmsWs *ws, gpointer user_data);
} LmsWsCallbacks;

/* Attaches itself to the thread-default main context. */
LmsWsLoop *lms_ws_loop_new (GError **error);
void lms_ws_loop_free (LmsWsLoop *loop);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmsWsLoop, lms_ws_loop_free)

/* Takes over `stream` (stolen from libsoup after the 101) and `socket`, its
 * descriptor; `tls` when the stream is TLS over that socket. */
LmsWs *lms_ws_new (LmsWsLoop *loop, GIOStream *stream, GSocket *socket, gboolean tls,
                   guint64 max_payload, gsize max_output,
                   const LmsWsCallbacks *callbacks, gpointer user_data);
/* Without calling `closed`. */
void lms_ws_free (LmsWs *ws);

gboolean lms_ws_is_open (const LmsWs *ws);
/* Sends nothing once the connection is closing. FALSE only when the
 * output queue is full (the peer does not read): then it closes with 1008
 * "not reading". */
gboolean lms_ws_send_text (LmsWs *ws, const char *text, gsize len);
void lms_ws_ping (LmsWs *ws);
/* Sends a close frame; the socket ends when the peer answers, or after 2 s. */
void lms_ws_close (LmsWs *ws, gushort code, const char *reason);
/* Drops the socket without a close frame (a dead peer). */
void lms_ws_abort (LmsWs *ws);
/* Monotonic time of the last bytes received. */
gint64 lms_ws_get_last_input_us (const LmsWs *ws);

/* --- The upgrade, on libsoup's side. */

/* 426, which libsoup 3.2 has no name for. */
#define LMS_WS_UPGRADE_REQUIRED 426

/* The Sec-WebSocket-Accept value for a client's key. */
char *lms_ws_accept_key (const char *key);
/* Checks a request for /ws. TRUE: `*accept` is the Sec-WebSocket-Accept
 * value. FALSE: `*status` (400, 405 or 426) and `*reason` say why. */
gboolean lms_ws_check_upgrade (const char *method, SoupMessageHeaders *headers,
                               char **accept, guint *status, const char **reason);

G_END_DECLS

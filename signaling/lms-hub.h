/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#pragma once

#include <libsoup/soup.h>

#include "lm-protocol.h"
#include "lms-db.h"
#include "lms-options.h"
#include "lms-ws.h"

G_BEGIN_DECLS

/* The hub holds all live state of the signaling server: connections,
 * sessions, open consultations and the waiting queue. Everything runs on
 * the main context; nothing here is thread-safe. */
typedef struct _LmsHub LmsHub;
typedef struct _LmsConn LmsConn;
typedef struct _LmsSession LmsSession;
typedef struct _LmsConsultation LmsConsultation;

typedef enum {
  LMS_URGENCY_EMERGENCY,
  LMS_URGENCY_URGENT,
  LMS_URGENCY_ROUTINE,
} LmsUrgency;

typedef enum {
  LMS_STATUS_WAITING,
  LMS_STATUS_ACTIVE,
  LMS_STATUS_COMPLETED,
  LMS_STATUS_CANCELLED,
  LMS_STATUS_DISCONNECTED,
  LMS_STATUS_FAILED,
} LmsStatus;

/* One WebSocket connection. The hello timeout and the keepalive are
 * checked by the hub's one-second tick, not by a timer each. */
struct _LmsConn {
  LmsHub *hub;
  LmsWs *ws;
  LmsSession *session;          /* NULL until hello */
  char *remote;                 /* address:port, for logs */
  double tokens;                /* rate limit bucket */
  gint64 refilled_us;
  guint64 dropped;
  gint64 rate_error_us;
  gint64 connected_us;
  guint8 ping_slot;             /* the tick (mod 30) of its keepalive ping */
};

/* An authenticated peer; outlives its connection by the grace period. */
struct _LmsSession {
  char *peer;
  LmsAccount *account;
  char *resume_hash;
  LmsConn *conn;                /* NULL while away */
  LmsConsultation *consultation;
  gboolean available;           /* doctors */
  guint grace_id;
  /* relays */
  gboolean registered;
  int max_consultations;
  int max_participants;
  GPtrArray *served;            /* LmsConsultation * it forwards for */
};

typedef struct {
  guint samples;
  double sum[4];                /* rtt_ms, loss_pct, bitrate_kbps, fps */
  guint count[4];
  char *local_candidate_type;
  char *remote_candidate_type;
  gint64 logged_us;
} LmsMemberQuality;

struct _LmsConsultation {
  char *id;
  LmsStatus status;
  LmsUrgency urgency;
  char *specialty;
  char *patient_ref;
  char *clinic_name;
  char *doctor_name;
  char *media_mode;
  char *end_reason;
  gint64 requested_ms;
  gint64 started_ms;
  gint64 ended_ms;
  guint64 seq;                  /* arrival order */
  GPtrArray *members;           /* LmsSession *, clinic first */
  GHashTable *offered_to;       /* doctor names already logged as offered */
  GHashTable *quality;          /* member name -> LmsMemberQuality */
  int last_position;
  LmsSession *relay;            /* relay mode only */
  char *relay_name;
  GHashTable *invited;          /* doctor names invited to join */
  gboolean record;              /* the clinic consented to recording */
};

#define LMS_MAX_PARTICIPANTS 4

#define LMS_WAIT_HISTOGRAM_BUCKETS 10

typedef struct {
  guint64 messages_ok;
  guint64 messages_error;
  guint64 messages_rate_limited;
  guint64 wait_buckets[LMS_WAIT_HISTOGRAM_BUCKETS + 1];
  double wait_sum_s;
  guint64 wait_count;
} LmsMetrics;

extern const double lms_wait_bucket_bounds[LMS_WAIT_HISTOGRAM_BUCKETS];

struct _LmsHub {
  LmsOptions *options;
  LmsDb *db;
  GHashTable *conns;            /* LmsConn * set, owned */
  GHashTable *sessions;         /* peer -> LmsSession *, owned */
  GHashTable *consultations;    /* id -> LmsConsultation *, open ones, owned */
  GPtrArray *queue;             /* waiting LmsConsultation *, sorted */
  GArray *recent_waits_ms;      /* newest last, at most 20 */
  guint64 next_seq;
  guint purge_id;
  GPtrArray *live_subscribers;  /* admin LmsSession * */
  guint live_timer_id;
  LmsMetrics metrics;
  LmsWsLoop *ws_loop;           /* every connection's socket, one GSource */
  guint tick_id;                /* 1 s: hello timeouts, keepalive */
  guint64 ticks;
  guint64 accepted;             /* connections so far, spreads the pings */
};

/* lms-hub.c */
LmsHub *lms_hub_new (LmsOptions *options, LmsDb *db, GError **error);
void lms_hub_free (LmsHub *hub);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LmsHub, lms_hub_free)
/* Takes a connection that libsoup upgraded to WebSocket (the stream stolen
 * after the 101, its socket, TLS or not). */
void lms_hub_add_connection (LmsHub *hub, GIOStream *stream, GSocket *socket, gboolean tls,
                             const char *remote);
/* Ends open consultations (reason server_restart) and closes every socket. */
void lms_hub_shutdown (LmsHub *hub);
/* Logs an event; failures are logged and returned. */
gboolean lms_hub_log (LmsHub *hub, LmsConsultation *c, const char *kind,
                      const char *actor, JsonObject *detail, GError **error);

/* lms-conn.c */
void lms_conn_send (LmsConn *conn, JsonObject *message);
void lms_conn_send_error (LmsConn *conn, JsonNode *id, const GError *error);
void lms_conn_close (LmsConn *conn, gushort code, const char *reason);
void lms_session_send (LmsSession *session, JsonObject *message);
void lms_conn_on_message (LmsConn *conn, const char *data, gsize len);
void lms_conn_free (LmsConn *conn);

/* lms-session.c */
LmsSession *lms_session_new (LmsHub *hub, LmsAccount *account, char **resume_secret);
LmsSession *lms_session_find_resumable (LmsHub *hub, const LmsAccount *account, const char *resume_secret);
void lms_session_attach (LmsSession *session, LmsConn *conn);
void lms_session_detach (LmsHub *hub, LmsSession *session);
void lms_session_free (LmsSession *session);
gboolean lms_session_has_specialty (const LmsSession *session, const char *specialty);

/* lms-handlers.c */
void lms_handlers_dispatch (LmsConn *conn, LmMessage *msg);
void lms_handlers_resend_state (LmsHub *hub, LmsSession *session);

/* lms-relay.c: relay sessions, relay mode, several participants,
 * recording. */
gboolean lms_handle_relay_register (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error);
gboolean lms_handle_relay_recording (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error);
gboolean lms_handle_consult_invite (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error);
gboolean lms_handle_consult_leave (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error);
gboolean lms_handle_consult_record (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error);
/* Picks the relay for a new consultation per --media-policy: NULL for
 * direct mode; FALSE with an error when the policy needs a relay and none
 * has room. */
gboolean lms_relay_choose (LmsHub *hub, LmsSession **relay, GError **error);
void lms_relay_attach (LmsHub *hub, LmsConsultation *c, LmsSession *relay);
void lms_relay_detach (LmsConsultation *c);
/* The relay's socket dropped: every consultation it served ends. */
void lms_relay_lost (LmsHub *hub, LmsSession *relay);
/* A doctor invited to an active consultation joins it. */
gboolean lms_relay_join (LmsHub *hub, LmsConsultation *c, LmsSession *doctor, JsonNode *id,
                         GError **error);

/* lms-hello.c */
gboolean lms_handle_hello (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error);

/* lms-consultation.c */
LmsConsultation *lms_consultation_new (LmsHub *hub, LmsSession *clinic, LmsUrgency urgency,
                                       const char *specialty, const char *patient_ref);
void lms_consultation_free (LmsConsultation *c);
const char *lms_status_to_string (LmsStatus status);
/* The status a member's consult.end with `reason` gives an active
 * consultation: failed for reasons that name a fault (bad_*, *_failed,
 * *_error), completed for the rest. */
LmsStatus lms_status_for_end_reason (const char *reason);
const char *lms_urgency_to_string (LmsUrgency urgency);
gboolean lms_urgency_from_string (const char *str, LmsUrgency *urgency);
gboolean lms_consultation_save (LmsHub *hub, LmsConsultation *c, GError **error);
gboolean lms_consultation_has_member (LmsConsultation *c, LmsSession *session);
LmsSession *lms_consultation_find_member (LmsConsultation *c, const char *peer);
JsonArray *lms_consultation_peers_json (LmsConsultation *c);
JsonObject *lms_consultation_quality_json (LmsConsultation *c);
void lms_consultation_add_stats (LmsHub *hub, LmsConsultation *c, LmsSession *member,
                                 const LmMessage *msg);
void lms_consultation_broadcast (LmsConsultation *c, LmsSession *except, JsonObject *message);
/* consult.start for one member (`id` echoed, `resumed` on resumption). */
void lms_consultation_send_start (LmsConsultation *c, LmsSession *member, JsonNode *id,
                                  gboolean resumed);
/* A member (or the relay) that may negotiate with `sender`, or NULL. */
LmsSession *lms_consultation_find_target (LmsConsultation *c, LmsSession *sender,
                                          const char *peer);
/* Ends it with `status`, tells every member (the one equal to `requester`
 * gets `id` echoed), logs and forgets it. */
gboolean lms_consultation_end (LmsHub *hub, LmsConsultation *c, LmsStatus status,
                               const char *reason, LmsSession *by,
                               JsonNode *id, GError **error);

/* lms-queue.c */
void lms_queue_add (LmsHub *hub, LmsConsultation *c);
void lms_queue_remove (LmsHub *hub, LmsConsultation *c);
int lms_queue_position (LmsHub *hub, LmsConsultation *c);
double lms_queue_estimated_wait_s (LmsHub *hub, LmsConsultation *c, int position);
/* Sends `queue` to idle available doctors and `queue.position` to clinics
 * whose position moved; logs first offers. */
void lms_queue_changed (LmsHub *hub);
void lms_queue_send_to_doctor (LmsHub *hub, LmsSession *doctor, JsonNode *id);
JsonArray *lms_queue_waiting_json (LmsHub *hub, LmsSession *doctor);
void lms_queue_record_wait (LmsHub *hub, gint64 wait_ms);

/* lms-metrics.c */
void lms_metrics_observe_wait (LmsMetrics *metrics, double wait_s);

/* lms-live.c: the admin API's live view, also pushed to admins that sent
 * live.subscribe, at most twice a second. */
JsonObject *lms_live_json (LmsHub *hub);
gboolean lms_handle_live_subscribe (LmsHub *hub, LmsConn *conn, LmMessage *msg, GError **error);
/* Something the live view shows changed. */
void lms_live_changed (LmsHub *hub);
void lms_live_forget (LmsHub *hub, LmsSession *session);

/* lms-ice-servers.c */
JsonArray *lms_ice_servers_json (const LmsOptions *options, const char *peer);

G_END_DECLS

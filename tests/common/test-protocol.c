/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include <stdio.h>
#include <string.h>

#include "lm-protocol.h"

#define MAX_BYTES 65536
#define ANY LM_ROLE_ANY
#define CLINIC LM_ROLE_CLINIC
#define DOCTOR LM_ROLE_DOCTOR
#define ADMIN LM_ROLE_ADMIN
#define RELAY LM_ROLE_RELAY

/* Inputs are written as templates to keep the tables readable: ' stands
 * for " and <C*N> for N copies of the character C. Rows with a length are
 * used byte for byte. */
static char *
expand (const char *input,
        gsize      *len)
{
  GString *out = g_string_new (NULL);
  const char *p = input;

  while (*p != '\0')
    {
      unsigned long n = 0;
      int used = 0;

      if (p[0] == '<' && p[1] != '\0' && p[2] == '*' &&
          sscanf (p + 3, "%lu>%n", &n, &used) == 1 && used > 0)
        {
          for (unsigned long i = 0; i < n; i++)
            g_string_append_c (out, p[1]);
          p += 3 + used;
          continue;
        }
      g_string_append_c (out, *p == '\'' ? '"' : *p);
      p++;
    }
  *len = out->len;
  return g_string_free (out, FALSE);
}

static LmMessage *
parse_template (const char *input,
                gsize       raw_len,
                GError    **error)
{
  g_autofree char *data = NULL;
  gsize len = raw_len;

  data = raw_len > 0 ? g_memdup2 (input, raw_len) : expand (input, &len);
  return lm_message_parse (data, len, MAX_BYTES, error);
}

/* ---- Invalid input ---- */

typedef struct {
  const char *name;
  const char *input;
  gsize len;           /* 0: a template */
  LmRole sender;
  LmErrorCode code;
  const char *message; /* a part of the error message */
} InvalidCase;

/* 32 two-byte characters: 64 bytes. */
#define E4 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
#define E32 E4 E4 E4 E4 E4 E4 E4 E4

#define BAD(n, sender, input, code, msg) { n, input, 0, sender, LM_ERROR_##code, msg }
#define RAW(n, input, code, msg) { n, input, sizeof input - 1, ANY, LM_ERROR_##code, msg }

static const InvalidCase invalid_cases[] = {
  /* The envelope */
  BAD ("empty", ANY, "", BAD_REQUEST, "message is empty"),
  BAD ("blank", ANY, "   \n", BAD_REQUEST, "not a JSON object"),
  BAD ("not-json", ANY, "hello", BAD_REQUEST, "not valid JSON"),
  BAD ("truncated", ANY, "{'type':'ping'", BAD_REQUEST, "not valid JSON"),
  BAD ("trailing-garbage", ANY, "{'type':'ping'} x", BAD_REQUEST, "not valid JSON"),
  BAD ("two-objects", ANY, "{'type':'ping'}{'type':'ping'}", BAD_REQUEST, "not valid JSON"),
  BAD ("object-then-array", ANY, "{'type':'ping'} [1]", BAD_REQUEST, "not valid JSON"),
  BAD ("object-then-number", ANY, "{'type':'ping'}\n5", BAD_REQUEST, "not valid JSON"),
  BAD ("trailing-comma", ANY, "{'type':'ping',}", BAD_REQUEST, "not valid JSON"),
  BAD ("long-identifier", ANY, "{'type':<a*5000>}", BAD_REQUEST, "not valid JSON"),
  BAD ("long-number", ANY, "{'type':'ping','x':<9*5000>x}", BAD_REQUEST, "not valid JSON"),
  BAD ("bare-key", ANY, "{type:'ping'}", BAD_REQUEST, "not valid JSON"),
  RAW ("single-quotes", "{'type':'ping'}", BAD_REQUEST, "not valid JSON"),
  RAW ("comment", "/* x */{\"type\":\"ping\"}", BAD_REQUEST, "not valid JSON"),
  RAW ("line-comment", "{\"type\":\"ping\"} // x", BAD_REQUEST, "not valid JSON"),
  BAD ("array", ANY, "[{'type':'ping'}]", BAD_REQUEST, "not a JSON object"),
  BAD ("string", ANY, "'ping'", BAD_REQUEST, "not a JSON object"),
  BAD ("number", ANY, "42", BAD_REQUEST, "not a JSON object"),
  BAD ("null", ANY, "null", BAD_REQUEST, "not a JSON object"),
  BAD ("type-missing", ANY, "{'id':1}", BAD_REQUEST, "field 'type' is missing"),
  BAD ("type-int", ANY, "{'type':1}", BAD_REQUEST, "field 'type' must be a string"),
  BAD ("type-null", ANY, "{'type':null}", BAD_REQUEST, "field 'type' must be a string"),
  BAD ("type-bool", ANY, "{'type':true}", BAD_REQUEST, "field 'type' must be a string"),
  BAD ("type-object", ANY, "{'type':{'type':'ping'}}", BAD_REQUEST, "field 'type' must be a string"),
  BAD ("type-array", ANY, "{'type':['ping']}", BAD_REQUEST, "field 'type' must be a string"),
  BAD ("type-unknown", ANY, "{'type':'foo'}", BAD_REQUEST, "unknown message type 'foo'"),
  BAD ("type-empty", ANY, "{'type':''}", BAD_REQUEST, "unknown message type ''"),
  BAD ("type-case", ANY, "{'type':'Ping'}", BAD_REQUEST, "unknown message type 'Ping'"),
  BAD ("type-long", ANY, "{'type':'<x*5000>'}", BAD_REQUEST, "unknown message type 'xxxx"),
  RAW ("utf8-invalid-byte", "{\"type\":\"ping\",\"x\":\"\xff\"}", BAD_REQUEST, "not valid UTF-8"),
  RAW ("utf8-overlong", "{\"type\":\"ping\",\"x\":\"\xc0\x80\"}", BAD_REQUEST, "not valid UTF-8"),
  RAW ("utf8-surrogate", "{\"type\":\"ping\",\"x\":\"\xed\xa0\x80\"}", BAD_REQUEST, "not valid UTF-8"),
  RAW ("utf8-truncated", "{\"type\":\"ping\",\"x\":\"\xe2\x82\"}", BAD_REQUEST, "not valid UTF-8"),
  RAW ("utf8-in-type", "{\"type\":\"pi\xfeng\"}", BAD_REQUEST, "not valid UTF-8"),
  RAW ("nul-byte", "{\"type\":\"ping\"}\0", BAD_REQUEST, "NUL byte"),
  RAW ("nul-byte-in-string", "{\"type\":\"pi\0ng\"}", BAD_REQUEST, "NUL byte"),
  BAD ("escaped-nul", ANY, "{'type':'ping','x':'a\\u0000b'}", BAD_REQUEST, "\\u0000"),
  BAD ("escaped-nul-in-type", ANY, "{'type':'ping\\u0000x'}", BAD_REQUEST, "\\u0000"),
  BAD ("escaped-lone-surrogate", ANY, "{'type':'ping','x':'\\ud800'}", BAD_REQUEST, "not valid JSON"),
  BAD ("oversized", ANY, "{'type':'ping','pad':'<x*65536>'}", TOO_LARGE, "limit of 65536"),
  BAD ("one-byte-over", ANY, "{'type':'ping','pad':'<x*65513>'}", TOO_LARGE, "message is 65537 bytes"),
  BAD ("deep-open-arrays", ANY, "<[*10000>", BAD_REQUEST, "nested more than"),
  BAD ("deep-open-objects", ANY, "<{*10000>", BAD_REQUEST, "nested more than"),
  BAD ("deep-closed-arrays", ANY, "{'type':'ping','x':<[*30000><]*30000>}", BAD_REQUEST, "nested more than"),
  BAD ("deep-objects", ANY, "{'type':'ping','x':<{*33><}*33>}", BAD_REQUEST, "nested more than"),
  BAD ("deep-max-size", ANY, "<[*65536>", BAD_REQUEST, "nested more than"),
  BAD ("deep-past-quote", ANY, "['\\\\',<[*40><]*40>]", BAD_REQUEST, "nested more than"),
  BAD ("id-bool", ANY, "{'type':'ping','id':true}", BAD_REQUEST, "field 'id' must be a string of at most 64 bytes or an integer"),
  BAD ("id-null", ANY, "{'type':'ping','id':null}", BAD_REQUEST, "field 'id'"),
  BAD ("id-double", ANY, "{'type':'ping','id':1.5}", BAD_REQUEST, "field 'id'"),
  BAD ("id-exponent", ANY, "{'type':'ping','id':1e3}", BAD_REQUEST, "field 'id'"),
  BAD ("id-object", ANY, "{'type':'ping','id':{}}", BAD_REQUEST, "field 'id'"),
  BAD ("id-array", ANY, "{'type':'ping','id':[1]}", BAD_REQUEST, "field 'id'"),
  BAD ("id-long", ANY, "{'type':'ping','id':'<x*65>'}", BAD_REQUEST, "field 'id'"),

  /* Roles */
  BAD ("role/clinic-presence", CLINIC, "{'type':'presence','status':'away'}", FORBIDDEN, "a clinic may not send 'presence'"),
  BAD ("role/clinic-accept", CLINIC, "{'type':'consult.accept','consultation':'c-1'}", FORBIDDEN, "a clinic may not send 'consult.accept'"),
  BAD ("role/doctor-request", DOCTOR, "{'type':'consult.request','specialty':'general','urgency':'routine','patient_ref':'p'}", FORBIDDEN, "a doctor may not send 'consult.request'"),
  BAD ("role/doctor-cancel", DOCTOR, "{'type':'consult.cancel','consultation':'c-1'}", FORBIDDEN, "a doctor may not send 'consult.cancel'"),
  BAD ("role/admin-sdp", ADMIN, "{'type':'sdp'}", FORBIDDEN, "an admin may not send 'sdp'"),
  BAD ("role/admin-ice", ADMIN, "{'type':'ice'}", FORBIDDEN, "an admin may not send 'ice'"),
  BAD ("role/admin-end", ADMIN, "{'type':'consult.end'}", FORBIDDEN, "an admin may not send 'consult.end'"),
  BAD ("role/admin-stats", ADMIN, "{'type':'stats'}", FORBIDDEN, "an admin may not send 'stats'"),
  BAD ("role/admin-presence", ADMIN, "{'type':'presence','status':'away'}", FORBIDDEN, "an admin may not send 'presence'"),
  BAD ("role/relay-request", RELAY, "{'type':'consult.request'}", FORBIDDEN, "a relay may not send 'consult.request'"),
  BAD ("role/relay-accept", RELAY, "{'type':'consult.accept'}", FORBIDDEN, "a relay may not send 'consult.accept'"),
  BAD ("role/none-ping", LM_ROLE_NONE, "{'type':'ping'}", FORBIDDEN, "may not send 'ping'"),
  BAD ("role/clinic-welcome", CLINIC, "{'type':'welcome'}", FORBIDDEN, "a clinic may not send 'welcome'"),
  BAD ("role/doctor-error", DOCTOR, "{'type':'error','code':'conflict','message':''}", FORBIDDEN, "a doctor may not send 'error'"),
  BAD ("role/relay-queue", RELAY, "{'type':'queue','waiting':[]}", FORBIDDEN, "a relay may not send 'queue'"),
  BAD ("role/admin-ack", ADMIN, "{'type':'ack','id':1}", FORBIDDEN, "an admin may not send 'ack'"),
  BAD ("role/clinic-consult-ended", CLINIC, "{'type':'consult.ended'}", FORBIDDEN, "a clinic may not send 'consult.ended'"),
  BAD ("role/doctor-pong", DOCTOR, "{'type':'pong'}", FORBIDDEN, "a doctor may not send 'pong'"),
  BAD ("role/unknown-type-first", DOCTOR, "{'type':'nope'}", BAD_REQUEST, "unknown message type 'nope'"),

  /* hello */
  BAD ("hello/token-missing", ANY, "{'type':'hello'}", BAD_REQUEST, "field 'token' is missing"),
  BAD ("hello/token-int", ANY, "{'type':'hello','token':5}", BAD_REQUEST, "field 'token' must be a string"),
  BAD ("hello/token-null", ANY, "{'type':'hello','token':null}", BAD_REQUEST, "field 'token' must be a string"),
  BAD ("hello/token-long", ANY, "{'type':'hello','token':'<a*257>'}", BAD_REQUEST, "field 'token' must be at most 256 bytes long"),
  BAD ("hello/resume-int", ANY, "{'type':'hello','token':'t','resume':1}", BAD_REQUEST, "field 'resume' must be a string"),
  BAD ("hello/resume-long", ANY, "{'type':'hello','token':'t','resume':'<r*129>'}", BAD_REQUEST, "field 'resume' must be at most 128 bytes long"),

  /* consult.request */
  BAD ("request/specialty-missing", CLINIC, "{'type':'consult.request','urgency':'routine','patient_ref':'p'}", BAD_REQUEST, "field 'specialty' is missing"),
  BAD ("request/specialty-int", CLINIC, "{'type':'consult.request','specialty':1,'urgency':'routine','patient_ref':'p'}", BAD_REQUEST, "field 'specialty' must be a string"),
  BAD ("request/specialty-empty", CLINIC, "{'type':'consult.request','specialty':'','urgency':'routine','patient_ref':'p'}", BAD_REQUEST, "field 'specialty' must be 1 to 64 bytes long"),
  BAD ("request/specialty-long", CLINIC, "{'type':'consult.request','specialty':'<s*65>','urgency':'routine','patient_ref':'p'}", BAD_REQUEST, "field 'specialty' must be 1 to 64 bytes long"),
  BAD ("request/specialty-long-utf8", CLINIC, "{'type':'consult.request','specialty':'" E32 "x','urgency':'routine','patient_ref':'p'}", BAD_REQUEST, "field 'specialty' must be 1 to 64 bytes long"),
  BAD ("request/urgency-missing", CLINIC, "{'type':'consult.request','specialty':'general','patient_ref':'p'}", BAD_REQUEST, "field 'urgency' is missing"),
  BAD ("request/urgency-bad", CLINIC, "{'type':'consult.request','specialty':'general','urgency':'asap','patient_ref':'p'}", BAD_REQUEST, "field 'urgency' must be one of routine, urgent, emergency"),
  BAD ("request/urgency-case", CLINIC, "{'type':'consult.request','specialty':'general','urgency':'Urgent','patient_ref':'p'}", BAD_REQUEST, "field 'urgency' must be one of routine, urgent, emergency"),
  BAD ("request/urgency-int", CLINIC, "{'type':'consult.request','specialty':'general','urgency':2,'patient_ref':'p'}", BAD_REQUEST, "field 'urgency' must be one of routine, urgent, emergency"),
  BAD ("request/patient-ref-missing", CLINIC, "{'type':'consult.request','specialty':'general','urgency':'routine'}", BAD_REQUEST, "field 'patient_ref' is missing"),
  BAD ("request/patient-ref-null", CLINIC, "{'type':'consult.request','specialty':'general','urgency':'routine','patient_ref':null}", BAD_REQUEST, "field 'patient_ref' must be a string"),
  BAD ("request/patient-ref-empty", CLINIC, "{'type':'consult.request','specialty':'general','urgency':'routine','patient_ref':''}", BAD_REQUEST, "field 'patient_ref' must be 1 to 64 bytes long"),
  BAD ("request/patient-ref-long", CLINIC, "{'type':'consult.request','specialty':'general','urgency':'routine','patient_ref':'<p*65>'}", BAD_REQUEST, "field 'patient_ref' must be 1 to 64 bytes long"),

  /* consult.cancel, consult.accept */
  BAD ("cancel/consultation-missing", CLINIC, "{'type':'consult.cancel'}", BAD_REQUEST, "field 'consultation' is missing"),
  BAD ("cancel/consultation-int", CLINIC, "{'type':'consult.cancel','consultation':7}", BAD_REQUEST, "field 'consultation' must be a string"),
  BAD ("cancel/consultation-empty", CLINIC, "{'type':'consult.cancel','consultation':''}", BAD_REQUEST, "field 'consultation' must be 1 to 128 bytes long"),
  BAD ("cancel/consultation-long", CLINIC, "{'type':'consult.cancel','consultation':'<c*129>'}", BAD_REQUEST, "field 'consultation' must be 1 to 128 bytes long"),
  BAD ("accept/consultation-missing", DOCTOR, "{'type':'consult.accept'}", BAD_REQUEST, "field 'consultation' is missing"),
  BAD ("accept/consultation-array", DOCTOR, "{'type':'consult.accept','consultation':['c-1']}", BAD_REQUEST, "field 'consultation' must be a string"),
  BAD ("accept/consultation-long", DOCTOR, "{'type':'consult.accept','consultation':'<c*129>'}", BAD_REQUEST, "field 'consultation' must be 1 to 128 bytes long"),

  /* presence */
  BAD ("presence/status-missing", DOCTOR, "{'type':'presence'}", BAD_REQUEST, "field 'status' is missing"),
  BAD ("presence/status-bad", DOCTOR, "{'type':'presence','status':'busy'}", BAD_REQUEST, "field 'status' must be one of available, away"),
  BAD ("presence/status-bool", DOCTOR, "{'type':'presence','status':true}", BAD_REQUEST, "field 'status' must be one of available, away"),

  /* sdp */
  BAD ("sdp/consultation-missing", CLINIC, "{'type':'sdp','to':'p-2','sdp':{'type':'offer','sdp':'v=0'}}", BAD_REQUEST, "field 'consultation' is missing"),
  BAD ("sdp/to-missing", CLINIC, "{'type':'sdp','consultation':'c-1','sdp':{'type':'offer','sdp':'v=0'}}", BAD_REQUEST, "field 'to' is missing"),
  BAD ("sdp/to-int", CLINIC, "{'type':'sdp','consultation':'c-1','to':2,'sdp':{'type':'offer','sdp':'v=0'}}", BAD_REQUEST, "field 'to' must be a string"),
  BAD ("sdp/to-long", CLINIC, "{'type':'sdp','consultation':'c-1','to':'<p*129>','sdp':{'type':'offer','sdp':'v=0'}}", BAD_REQUEST, "field 'to' must be 1 to 128 bytes long"),
  BAD ("sdp/sdp-missing", DOCTOR, "{'type':'sdp','consultation':'c-1','to':'p-2'}", BAD_REQUEST, "field 'sdp' is missing"),
  BAD ("sdp/sdp-string", DOCTOR, "{'type':'sdp','consultation':'c-1','to':'p-2','sdp':'v=0'}", BAD_REQUEST, "field 'sdp' must be an object"),
  BAD ("sdp/sdp-array", DOCTOR, "{'type':'sdp','consultation':'c-1','to':'p-2','sdp':[]}", BAD_REQUEST, "field 'sdp' must be an object"),
  BAD ("sdp/type-missing", RELAY, "{'type':'sdp','consultation':'c-1','to':'p-2','sdp':{'sdp':'v=0'}}", BAD_REQUEST, "field 'sdp.type' is missing"),
  BAD ("sdp/type-bad", RELAY, "{'type':'sdp','consultation':'c-1','to':'p-2','sdp':{'type':'OFFER','sdp':'v=0'}}", BAD_REQUEST, "field 'sdp.type' must be one of offer, answer, pranswer, rollback"),
  BAD ("sdp/body-missing", CLINIC, "{'type':'sdp','consultation':'c-1','to':'p-2','sdp':{'type':'answer'}}", BAD_REQUEST, "field 'sdp.sdp' is missing"),
  BAD ("sdp/body-int", CLINIC, "{'type':'sdp','consultation':'c-1','to':'p-2','sdp':{'type':'answer','sdp':0}}", BAD_REQUEST, "field 'sdp.sdp' must be a string"),

  /* ice */
  BAD ("ice/candidate-missing", CLINIC, "{'type':'ice','consultation':'c-1','to':'p-2'}", BAD_REQUEST, "field 'candidate' is missing"),
  BAD ("ice/candidate-string", CLINIC, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':'candidate:1'}", BAD_REQUEST, "field 'candidate' must be an object"),
  BAD ("ice/to-missing", CLINIC, "{'type':'ice','consultation':'c-1','candidate':{'candidate':'','sdpMLineIndex':0}}", BAD_REQUEST, "field 'to' is missing"),
  BAD ("ice/candidate-candidate-missing", CLINIC, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'sdpMLineIndex':0}}", BAD_REQUEST, "field 'candidate.candidate' is missing"),
  BAD ("ice/candidate-candidate-int", CLINIC, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':1,'sdpMLineIndex':0}}", BAD_REQUEST, "field 'candidate.candidate' must be a string"),
  BAD ("ice/candidate-candidate-long", CLINIC, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':'<c*1025>','sdpMLineIndex':0}}", BAD_REQUEST, "field 'candidate.candidate' must be at most 1024 bytes long"),
  BAD ("ice/mline-missing", DOCTOR, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':''}}", BAD_REQUEST, "field 'candidate.sdpMLineIndex' is missing"),
  BAD ("ice/mline-negative", DOCTOR, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':'','sdpMLineIndex':-1}}", BAD_REQUEST, "field 'candidate.sdpMLineIndex' must be an integer from 0 to 255"),
  BAD ("ice/mline-256", DOCTOR, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':'','sdpMLineIndex':256}}", BAD_REQUEST, "field 'candidate.sdpMLineIndex' must be an integer from 0 to 255"),
  BAD ("ice/mline-huge", DOCTOR, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':'','sdpMLineIndex':9223372036854775807}}", BAD_REQUEST, "field 'candidate.sdpMLineIndex' must be an integer from 0 to 255"),
  BAD ("ice/mline-double", DOCTOR, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':'','sdpMLineIndex':0.5}}", BAD_REQUEST, "field 'candidate.sdpMLineIndex' must be an integer from 0 to 255"),
  BAD ("ice/mline-string", DOCTOR, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':'','sdpMLineIndex':'0'}}", BAD_REQUEST, "field 'candidate.sdpMLineIndex' must be an integer from 0 to 255"),
  BAD ("ice/mline-null", DOCTOR, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':'','sdpMLineIndex':null}}", BAD_REQUEST, "field 'candidate.sdpMLineIndex' must be an integer from 0 to 255"),
  BAD ("ice/mid-int", RELAY, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':'','sdpMLineIndex':0,'sdpMid':0}}", BAD_REQUEST, "field 'candidate.sdpMid' must be a string"),

  /* consult.end */
  BAD ("end/consultation-missing", CLINIC, "{'type':'consult.end','reason':'completed'}", BAD_REQUEST, "field 'consultation' is missing"),
  BAD ("end/reason-missing", CLINIC, "{'type':'consult.end','consultation':'c-1'}", BAD_REQUEST, "field 'reason' is missing"),
  BAD ("end/reason-int", DOCTOR, "{'type':'consult.end','consultation':'c-1','reason':1}", BAD_REQUEST, "field 'reason' must be a string"),
  BAD ("end/reason-empty", DOCTOR, "{'type':'consult.end','consultation':'c-1','reason':''}", BAD_REQUEST, "field 'reason' must be 1 to 64 bytes long"),
  BAD ("end/reason-long", DOCTOR, "{'type':'consult.end','consultation':'c-1','reason':'<r*65>'}", BAD_REQUEST, "field 'reason' must be 1 to 64 bytes long"),
  BAD ("end/reason-space", RELAY, "{'type':'consult.end','consultation':'c-1','reason':'all done'}", BAD_REQUEST, "field 'reason' may only hold the characters A-Z a-z 0-9 _ . -"),
  BAD ("end/reason-bang", RELAY, "{'type':'consult.end','consultation':'c-1','reason':'done!'}", BAD_REQUEST, "field 'reason' may only hold"),
  BAD ("end/reason-newline", RELAY, "{'type':'consult.end','consultation':'c-1','reason':'done\\n'}", BAD_REQUEST, "field 'reason' may only hold"),
  BAD ("end/reason-utf8", RELAY, "{'type':'consult.end','consultation':'c-1','reason':'termin\xc3\xa9'}", BAD_REQUEST, "field 'reason' may only hold"),

  /* stats */
  BAD ("stats/consultation-missing", CLINIC, "{'type':'stats','rtt_ms':5}", BAD_REQUEST, "field 'consultation' is missing"),
  BAD ("stats/rtt-negative", CLINIC, "{'type':'stats','consultation':'c-1','rtt_ms':-1}", BAD_REQUEST, "field 'rtt_ms' must be a number of at least 0"),
  BAD ("stats/rtt-string", CLINIC, "{'type':'stats','consultation':'c-1','rtt_ms':'5'}", BAD_REQUEST, "field 'rtt_ms' must be a number of at least 0"),
  BAD ("stats/rtt-infinite", CLINIC, "{'type':'stats','consultation':'c-1','rtt_ms':1e999}", BAD_REQUEST, "field 'rtt_ms' must be a number"),
  BAD ("stats/loss-over", DOCTOR, "{'type':'stats','consultation':'c-1','loss_pct':100.5}", BAD_REQUEST, "field 'loss_pct' must be a number from 0 to 100"),
  BAD ("stats/loss-under", DOCTOR, "{'type':'stats','consultation':'c-1','loss_pct':-0.1}", BAD_REQUEST, "field 'loss_pct' must be a number from 0 to 100"),
  BAD ("stats/bitrate-null", DOCTOR, "{'type':'stats','consultation':'c-1','bitrate_kbps':null}", BAD_REQUEST, "field 'bitrate_kbps' must be a number"),
  BAD ("stats/fps-bool", DOCTOR, "{'type':'stats','consultation':'c-1','fps':true}", BAD_REQUEST, "field 'fps' must be a number"),
  BAD ("stats/bytes-sent-negative", RELAY, "{'type':'stats','consultation':'c-1','bytes_sent':-5}", BAD_REQUEST, "field 'bytes_sent' must be a number of at least 0"),
  BAD ("stats/bytes-received-object", RELAY, "{'type':'stats','consultation':'c-1','bytes_received':{}}", BAD_REQUEST, "field 'bytes_received' must be a number"),
  BAD ("stats/local-type-bad", RELAY, "{'type':'stats','consultation':'c-1','local_candidate_type':'turn'}", BAD_REQUEST, "field 'local_candidate_type' must be one of host, srflx, prflx, relay"),
  BAD ("stats/remote-type-int", RELAY, "{'type':'stats','consultation':'c-1','remote_candidate_type':1}", BAD_REQUEST, "field 'remote_candidate_type' must be one of host, srflx, prflx, relay"),

  /* Server messages, as a client checks them */
  BAD ("server/welcome-empty", ANY, "{'type':'welcome'}", BAD_REQUEST, "field 'peer' is missing"),
  BAD ("server/welcome-role", ANY, "{'type':'welcome','peer':'p-1','role':'nurse'}", BAD_REQUEST, "field 'role' must be one of clinic, doctor, admin, relay"),
  BAD ("server/welcome-urls", ANY, "{'type':'welcome','peer':'p-1','role':'clinic','name':'n','specialties':[],'ice_servers':[{'urls':['stun:a',3]}],'resume':'r','resumed':false,'grace_s':30}", BAD_REQUEST, "field 'ice_servers[0].urls[1]' must be a string"),
  BAD ("server/welcome-resumed", ANY, "{'type':'welcome','peer':'p-1','role':'clinic','name':'n','specialties':[],'ice_servers':[],'resume':'r','resumed':0,'grace_s':30}", BAD_REQUEST, "field 'resumed' must be true or false"),
  BAD ("server/welcome-specialties", ANY, "{'type':'welcome','peer':'p-1','role':'clinic','name':'n','specialties':'general'}", BAD_REQUEST, "field 'specialties' must be an array"),
  BAD ("server/error-code", ANY, "{'type':'error','code':'oops','message':'m'}", BAD_REQUEST, "field 'code' must be one of bad_request"),
  BAD ("server/ack-no-id", ANY, "{'type':'ack'}", BAD_REQUEST, "field 'id' is missing"),
  BAD ("server/queued-position", ANY, "{'type':'consult.queued','consultation':'c-1','position':0}", BAD_REQUEST, "field 'position' must be an integer of at least 1"),
  BAD ("server/queue-entry", ANY, "{'type':'queue','waiting':[{'consultation':'c-1','clinic':'k','specialty':'g','urgency':'low','patient_ref':'p','waiting_s':1}]}", BAD_REQUEST, "field 'waiting[0].urgency' must be one of"),
  BAD ("server/queue-entry-object", ANY, "{'type':'queue','waiting':[1]}", BAD_REQUEST, "field 'waiting[0]' must be an object"),
  BAD ("server/start-peer-role", ANY, "{'type':'consult.start','consultation':'c-1','peers':[{'peer':'p-1','role':'clinic','name':'a'},{'peer':'p-2','name':'b'}],'media':{'mode':'direct','offer':true}}", BAD_REQUEST, "field 'peers[1].role' is missing"),
  BAD ("server/start-media-offer", ANY, "{'type':'consult.start','consultation':'c-1','peers':[],'media':{'mode':'direct','offer':'yes'}}", BAD_REQUEST, "field 'media.offer' must be true or false"),
  BAD ("server/ended-by", ANY, "{'type':'consult.ended','consultation':'c-1','reason':'completed'}", BAD_REQUEST, "field 'by' is missing"),
  BAD ("server/away-grace", ANY, "{'type':'peer.away','consultation':'c-1','peer':'p-1','grace_s':-1}", BAD_REQUEST, "field 'grace_s' must be an integer of at least 0"),
  BAD ("server/back-peer", ANY, "{'type':'peer.back','consultation':'c-1'}", BAD_REQUEST, "field 'peer' is missing"),
};

static void
test_invalid (gconstpointer data)
{
  const InvalidCase *row = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LmMessage) msg = NULL;

  msg = parse_template (row->input, row->len, &error);
  if (msg != NULL)
    {
      g_assert_no_error (error);
      g_assert_false (lm_message_validate (msg, row->sender, &error));
    }
  g_assert_error (error, LM_ERROR, (gint) row->code);
  if (strstr (error->message, row->message) == NULL)
    g_error ("%s: \"%s\" does not contain \"%s\"", row->name, error->message, row->message);
  /* Long peer input is never echoed whole. */
  g_assert_cmpuint (strlen (error->message), <, 200);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* ---- Valid input ---- */

typedef struct {
  const char *name;
  LmRole sender;
  const char *input;
} ValidCase;

static const ValidCase valid_cases[] = {
  { "hello", ANY, "{'type':'hello','token':'lm_abc'}" },
  { "hello-resume", CLINIC, "{'type':'hello','token':'lm_abc','resume':'r_xyz','id':'h1'}" },
  { "hello-max", ANY, "{'type':'hello','token':'<a*256>','resume':'<r*128>'}" },
  { "ping", DOCTOR, "{'type':'ping'}" },
  { "ping-admin", ADMIN, "{'type':'ping','id':9223372036854775807}" },
  { "ping-negative-id", RELAY, "{'type':'ping','id':-1}" },
  { "ping-id-max", CLINIC, "{'type':'ping','id':'<i*64>'}" },
  { "ping-id-empty", CLINIC, "{'type':'ping','id':''}" },
  { "consult.request", CLINIC, "{'type':'consult.request','id':1,'specialty':'paediatrics','urgency':'emergency','patient_ref':'KSM-2291'}" },
  { "consult.request-urgent", CLINIC, "{'type':'consult.request','specialty':'general','urgency':'urgent','patient_ref':'<p*64>'}" },
  { "consult.request-routine", CLINIC, "{'type':'consult.request','specialty':'<s*64>','urgency':'routine','patient_ref':'x'}" },
  { "consult.request-utf8", CLINIC, "{'type':'consult.request','specialty':'p\xc3\xa6\x64iatrics','urgency':'routine','patient_ref':'\\u00e9'}" },
  { "consult.cancel", CLINIC, "{'type':'consult.cancel','consultation':'c-1','id':'x'}" },
  { "presence-available", DOCTOR, "{'type':'presence','status':'available'}" },
  { "presence-away", DOCTOR, "{'type':'presence','status':'away','id':3}" },
  { "consult.accept", DOCTOR, "{'type':'consult.accept','consultation':'<c*128>'}" },
  { "sdp-offer", CLINIC, "{'type':'sdp','consultation':'c-1','to':'p-2','sdp':{'type':'offer','sdp':'v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\n'}}" },
  { "sdp-answer", DOCTOR, "{'type':'sdp','consultation':'c-1','to':'p-1','sdp':{'type':'answer','sdp':'v=0'}}" },
  { "sdp-pranswer", RELAY, "{'type':'sdp','consultation':'c-1','to':'p-1','sdp':{'type':'pranswer','sdp':'v=0'}}" },
  { "sdp-rollback", CLINIC, "{'type':'sdp','consultation':'c-1','to':'p-1','sdp':{'type':'rollback','sdp':''}}" },
  { "sdp-large", CLINIC, "{'type':'sdp','consultation':'c-1','to':'p-1','sdp':{'type':'offer','sdp':'<v*60000>'}}" },
  { "ice", CLINIC, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':'candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host','sdpMLineIndex':0,'sdpMid':'video0'}}" },
  { "ice-end", DOCTOR, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':'','sdpMLineIndex':255}}" },
  { "ice-max", RELAY, "{'type':'ice','consultation':'c-1','to':'p-2','candidate':{'candidate':'<c*1024>','sdpMLineIndex':1}}" },
  { "consult.end", CLINIC, "{'type':'consult.end','consultation':'c-1','reason':'completed'}" },
  { "consult.end-charset", DOCTOR, "{'type':'consult.end','consultation':'c-1','reason':'Az09_.-'}" },
  { "consult.end-relay", RELAY, "{'type':'consult.end','consultation':'c-1','reason':'<r*64>'}" },
  { "stats-empty", CLINIC, "{'type':'stats','consultation':'c-1'}" },
  { "stats-full", DOCTOR, "{'type':'stats','consultation':'c-1','rtt_ms':12.5,'loss_pct':100,'bitrate_kbps':0,'fps':29.97,'bytes_sent':123456789012,'bytes_received':0.0,'local_candidate_type':'host','remote_candidate_type':'relay'}" },
  { "stats-types", RELAY, "{'type':'stats','consultation':'c-1','loss_pct':0.0,'local_candidate_type':'srflx','remote_candidate_type':'prflx'}" },
  { "unknown-members", DOCTOR, "{'type':'presence','status':'away','future':{'a':[1,2,{'b':null}]},'x':1.5}" },
  { "unknown-members-any-type", DOCTOR, "{'type':'presence','status':'away','specialty':3}" },
  { "deep-but-allowed", CLINIC, "{'type':'ping','x':<[*31><]*31>}" },
  { "brackets-in-string", CLINIC, "{'type':'ping','x':'<[*10000>'}" },
  { "brackets-after-escaped-quote", CLINIC, "{'type':'ping','x':'\\'<[*100>\\\\','y':[]}" },
  { "slash-in-string", CLINIC, "{'type':'ping','x':'a/b//c/*d*/'}" },
  { "whitespace", CLINIC, " \t\r\n{ 'type' : 'ping' } \n" },
  { "duplicate-type", CLINIC, "{'type':'nope','type':'ping'}" },
  { "exactly-max-bytes", CLINIC, "{'type':'ping','pad':'<x*65512>'}" },
  { "specialty-max-utf8", CLINIC, "{'type':'consult.request','specialty':'" E32 "','urgency':'routine','patient_ref':'p'}" },

  /* Server messages, as docs/protocol.md shows them */
  { "welcome", ANY, "{'type':'welcome','peer':'p-1','role':'clinic','name':'clinic-kisumu-3','specialties':[],'ice_servers':[{'urls':['stun:a']},{'urls':['turn:b'],'username':'1764345600:p-1','credential':'x'}],'resume':'r_1','resumed':false,'grace_s':30}" },
  { "error", ANY, "{'type':'error','id':1,'code':'not_found','message':'peer p-2 is away'}" },
  { "ack", ANY, "{'type':'ack','id':'a'}" },
  { "pong", ANY, "{'type':'pong','id':4}" },
  { "consult.queued", ANY, "{'type':'consult.queued','id':1,'consultation':'c-1','position':1}" },
  { "queue.position", ANY, "{'type':'queue.position','consultation':'c-1','position':2,'estimated_wait_s':120}" },
  { "queue", ANY, "{'type':'queue','waiting':[{'consultation':'c-1','clinic':'clinic-kisumu-3','specialty':'paediatrics','urgency':'emergency','patient_ref':'KSM-2291','waiting_s':42}]}" },
  { "consult.start", ANY, "{'type':'consult.start','consultation':'c-1','peers':[{'peer':'p-1','role':'clinic','name':'a'},{'peer':'p-2','role':'doctor','name':'b'}],'media':{'mode':'direct','offer':true},'resumed':true}" },
  { "consult.ended", ANY, "{'type':'consult.ended','consultation':'c-1','reason':'server_restart','by':'server'}" },
  { "peer.away", ANY, "{'type':'peer.away','consultation':'c-1','peer':'p-2','grace_s':30}" },
  { "peer.back", ANY, "{'type':'peer.back','consultation':'c-1','peer':'p-2'}" },
};

static void
test_valid (gconstpointer data)
{
  const ValidCase *row = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LmMessage) msg = NULL;

  msg = parse_template (row->input, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  g_assert_nonnull (msg->body);
  g_assert_cmpstr (msg->type, ==, lm_message_get_string (msg, "type"));
  if (!lm_message_validate (msg, row->sender, &error))
    g_error ("%s: %s", row->name, error->message);
  g_assert_true (lm_message_type_is_known (msg->type));
}

/* ---- The rest of the API ---- */

static void
test_type_senders (void)
{
  static const struct {
    const char *type;
    LmRole senders;
  } rows[] = {
    { "hello", LM_ROLE_ANY },
    { "ping", LM_ROLE_ANY },
    { "consult.request", LM_ROLE_CLINIC },
    { "consult.cancel", LM_ROLE_CLINIC },
    { "presence", LM_ROLE_DOCTOR },
    { "consult.accept", LM_ROLE_DOCTOR },
    { "sdp", LM_ROLE_CLINIC | LM_ROLE_DOCTOR | LM_ROLE_RELAY },
    { "ice", LM_ROLE_CLINIC | LM_ROLE_DOCTOR | LM_ROLE_RELAY },
    { "consult.end", LM_ROLE_CLINIC | LM_ROLE_DOCTOR | LM_ROLE_RELAY },
    { "stats", LM_ROLE_CLINIC | LM_ROLE_DOCTOR | LM_ROLE_RELAY },
    { "welcome", LM_ROLE_NONE },
    { "error", LM_ROLE_NONE },
    { "ack", LM_ROLE_NONE },
    { "pong", LM_ROLE_NONE },
    { "consult.queued", LM_ROLE_NONE },
    { "queue.position", LM_ROLE_NONE },
    { "queue", LM_ROLE_NONE },
    { "consult.start", LM_ROLE_NONE },
    { "consult.ended", LM_ROLE_NONE },
    { "peer.away", LM_ROLE_NONE },
    { "peer.back", LM_ROLE_NONE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_assert_cmpint (lm_message_type_senders (rows[i].type), ==, rows[i].senders);
      g_assert_true (lm_message_type_is_known (rows[i].type));
    }
  g_assert_cmpint (lm_message_type_senders ("foo"), ==, LM_ROLE_NONE);
  g_assert_cmpint (lm_message_type_senders (NULL), ==, LM_ROLE_NONE);
  g_assert_false (lm_message_type_is_known ("foo"));
  g_assert_false (lm_message_type_is_known (""));
  g_assert_false (lm_message_type_is_known (NULL));
}

static void
test_parse_id (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LmMessage) with_int = NULL;
  g_autoptr(LmMessage) with_string = NULL;
  g_autoptr(LmMessage) without = NULL;
  const char *int_json = "{\"type\":\"ping\",\"id\":42}";
  const char *string_json = "{\"type\":\"ping\",\"id\":\"req-7\"}";
  const char *none_json = "{\"type\":\"ping\"}";

  with_int = lm_message_parse (int_json, strlen (int_json), MAX_BYTES, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_node_get_int (with_int->id), ==, 42);

  with_string = lm_message_parse (string_json, strlen (string_json), MAX_BYTES, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_node_get_string (with_string->id), ==, "req-7");

  without = lm_message_parse (none_json, strlen (none_json), MAX_BYTES, &error);
  g_assert_no_error (error);
  g_assert_null (without->id);
}

/* The id a failed parse still hands back, so that the error can echo it. */
static const struct {
  const char *input;
  gboolean parses;
  const char *id;      /* the id as JSON, or NULL */
} with_id_rows[] = {
  { "{'type':'ping','id':'a1'}", TRUE, "'a1'" },
  { "{'type':'ping','id':-7}", TRUE, "-7" },
  { "{'type':'ping'}", TRUE, NULL },
  { "{'id':'t1'}", FALSE, "'t1'" },
  { "{'type':5,'id':2}", FALSE, "2" },
  { "{'type':null,'id':'<i*64>'}", FALSE, "'<i*64>'" },
  { "{'type':'ping','id':'<i*65>'}", FALSE, NULL },
  { "{'id':1.5}", FALSE, NULL },
  { "{'type':'ping','id':'j1'", FALSE, NULL },
  { "[{'id':'x'}]", FALSE, NULL },
  { "{'type':'ping','id':'x','pad':'<p*70000>'}", FALSE, NULL },
};

static void
test_parse_with_id (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (with_id_rows); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LmMessage) msg = NULL;
      g_autoptr(JsonNode) id = NULL;
      g_autofree char *data = NULL;
      gsize len;

      g_test_message ("row %u", i);
      data = expand (with_id_rows[i].input, &len);
      msg = lm_message_parse_with_id (data, len, MAX_BYTES, &id, &error);
      g_assert_true ((msg != NULL) == with_id_rows[i].parses);
      g_assert_true ((error == NULL) == with_id_rows[i].parses);
      if (with_id_rows[i].id == NULL)
        g_assert_null (id);
      else
        {
          g_autofree char *expected = expand (with_id_rows[i].id, &len);
          g_autofree char *got = json_to_string (id, FALSE);

          g_assert_cmpstr (got, ==, expected);
          if (msg != NULL)
            g_assert_true (json_node_equal (msg->id, id));
        }
    }
}

/* The length given is what counts, not a terminating NUL. */
static void
test_parse_length (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LmMessage) msg = NULL;
  const char *data = "{\"type\":\"ping\"}garbage";

  msg = lm_message_parse (data, strlen ("{\"type\":\"ping\"}"), MAX_BYTES, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (msg->type, ==, "ping");
  g_clear_pointer (&msg, lm_message_free);

  msg = lm_message_parse (data, strlen (data), MAX_BYTES, &error);
  g_assert_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST);
  g_assert_null (msg);
  g_clear_error (&error);

  /* The size limit comes first, whatever the content. */
  msg = lm_message_parse ("\xff\xff\xff\xff", 4, 3, &error);
  g_assert_error (error, LM_ERROR, LM_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* An empty frame may come with no buffer at all. */
  msg = lm_message_parse (NULL, 0, MAX_BYTES, &error);
  g_assert_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST);
  g_assert_null (msg);
}

static void
test_unknown_type_echo (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LmMessage) msg = NULL;
  g_autoptr(GString) json = g_string_new ("{\"type\":\"");

  /* 63 ASCII bytes then two-byte characters: the cut must not split one. */
  for (int i = 0; i < 63; i++)
    g_string_append_c (json, 'x');
  for (int i = 0; i < 10; i++)
    g_string_append (json, "\xc3\xa9");
  g_string_append (json, "\"}");

  msg = lm_message_parse (json->str, json->len, MAX_BYTES, &error);
  g_assert_no_error (error);
  g_assert_false (lm_message_validate (msg, LM_ROLE_ANY, &error));
  g_assert_error (error, LM_ERROR, LM_ERROR_BAD_REQUEST);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_nonnull (strstr (error->message, "…"));
  g_assert_null (strstr (error->message, "\xc3\xa9"));
}

static void
test_accessors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LmMessage) msg = NULL;
  const char *json = "{\"type\":\"stats\",\"consultation\":\"c-1\",\"rtt_ms\":12.5,"
                     "\"fps\":30,\"n\":null,\"o\":{\"k\":1},\"a\":[1]}";
  JsonObject *object;

  msg = lm_message_parse (json, strlen (json), MAX_BYTES, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (lm_message_get_string (msg, "consultation"), ==, "c-1");
  g_assert_null (lm_message_get_string (msg, "fps"));
  g_assert_null (lm_message_get_string (msg, "n"));
  g_assert_null (lm_message_get_string (msg, "o"));
  g_assert_null (lm_message_get_string (msg, "absent"));

  g_assert_cmpint (lm_message_get_int (msg, "fps", -1), ==, 30);
  g_assert_cmpint (lm_message_get_int (msg, "rtt_ms", -1), ==, -1);
  g_assert_cmpint (lm_message_get_int (msg, "consultation", -1), ==, -1);
  g_assert_cmpint (lm_message_get_int (msg, "a", -1), ==, -1);
  g_assert_cmpint (lm_message_get_int (msg, "absent", 7), ==, 7);

  g_assert_cmpfloat (lm_message_get_double (msg, "rtt_ms", -1), ==, 12.5);
  g_assert_cmpfloat (lm_message_get_double (msg, "fps", -1), ==, 30.0);
  g_assert_cmpfloat (lm_message_get_double (msg, "consultation", -1), ==, -1);
  g_assert_cmpfloat (lm_message_get_double (msg, "n", -2), ==, -2);

  object = lm_message_get_object (msg, "o");
  g_assert_nonnull (object);
  g_assert_cmpint (json_object_get_int_member (object, "k"), ==, 1);
  g_assert_null (lm_message_get_object (msg, "a"));
  g_assert_null (lm_message_get_object (msg, "n"));
  g_assert_null (lm_message_get_object (msg, "absent"));

  lm_message_free (NULL);
}

static LmMessage *
reparse (JsonObject *object)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = lm_message_to_string (object);
  LmMessage *msg;

  msg = lm_message_parse (text, strlen (text), MAX_BYTES, &error);
  g_assert_no_error (error);
  return msg;
}

static void
test_builder_round_trip (void)
{
  g_autoptr(JsonNode) id = json_node_init_int (json_node_alloc (), 17);
  g_autoptr(JsonObject) sdp = json_object_new ();
  g_autoptr(JsonObject) object = lm_message_new ("sdp", id);
  g_autoptr(LmMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *parsed_sdp;

  json_object_set_string_member (sdp, "type", "offer");
  json_object_set_string_member (sdp, "sdp", "v=0\r\n\"quoted\" \\ é\x01");
  json_object_set_string_member (object, "consultation", "c-1");
  json_object_set_string_member (object, "to", "p-2");
  json_object_set_object_member (object, "sdp", json_object_ref (sdp));

  msg = reparse (object);
  g_assert_cmpstr (msg->type, ==, "sdp");
  g_assert_cmpint (json_node_get_int (msg->id), ==, 17);
  g_assert_true (lm_message_validate (msg, LM_ROLE_CLINIC, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (lm_message_get_string (msg, "to"), ==, "p-2");
  parsed_sdp = lm_message_get_object (msg, "sdp");
  g_assert_cmpstr (json_object_get_string_member (parsed_sdp, "sdp"), ==,
                   "v=0\r\n\"quoted\" \\ é\x01");
  /* The id node was copied, not taken. */
  g_assert_cmpint (json_node_get_int (id), ==, 17);
}

static void
test_builder_every_type (void)
{
  /* A server reply of each kind, built the way the server builds it. */
  g_autoptr(JsonNode) id = json_node_init_string (json_node_alloc (), "r-1");
  g_autoptr(JsonObject) queued = lm_message_new ("consult.queued", id);
  g_autoptr(JsonObject) ack = lm_message_new ("ack", id);
  g_autoptr(JsonObject) pong = lm_message_new ("pong", NULL);
  g_autoptr(LmMessage) msg = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (queued, "consultation", "c-9");
  json_object_set_int_member (queued, "position", 3);

  msg = reparse (queued);
  g_assert_true (lm_message_validate (msg, LM_ROLE_ANY, &error));
  g_assert_cmpstr (json_node_get_string (msg->id), ==, "r-1");
  g_assert_cmpint (lm_message_get_int (msg, "position", 0), ==, 3);
  g_clear_pointer (&msg, lm_message_free);

  msg = reparse (ack);
  g_assert_true (lm_message_validate (msg, LM_ROLE_ANY, &error));
  g_clear_pointer (&msg, lm_message_free);

  msg = reparse (pong);
  g_assert_true (lm_message_validate (msg, LM_ROLE_ANY, &error));
  g_assert_null (msg->id);
  g_assert_no_error (error);
}

/* The parsed body can be extended in place, as the server does when it
 * forwards a message with "from" added. */
static void
test_body_is_mutable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LmMessage) msg = NULL;
  g_autofree char *text = NULL;
  const char *json = "{\"type\":\"ice\",\"consultation\":\"c-1\",\"to\":\"p-2\","
                     "\"candidate\":{\"candidate\":\"\",\"sdpMLineIndex\":0}}";

  msg = lm_message_parse (json, strlen (json), MAX_BYTES, &error);
  g_assert_no_error (error);
  json_object_set_string_member (msg->body, "from", "p-1");
  text = lm_message_to_string (msg->body);
  g_assert_nonnull (strstr (text, "\"from\":\"p-1\""));
}

static void
check_error_text (const char *text,
                  const char *code,
                  const char *message,
                  JsonNode   *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LmMessage) msg = NULL;

  msg = lm_message_parse (text, strlen (text), MAX_BYTES, &error);
  g_assert_no_error (error);
  g_assert_true (lm_message_validate (msg, LM_ROLE_ANY, &error));
  g_assert_cmpstr (msg->type, ==, "error");
  g_assert_cmpstr (lm_message_get_string (msg, "code"), ==, code);
  g_assert_cmpstr (lm_message_get_string (msg, "message"), ==, message);
  if (id == NULL)
    g_assert_null (msg->id);
  else
    g_assert_true (json_node_equal (id, msg->id));
}

static void
test_build_error (void)
{
  g_autoptr(JsonNode) int_id = json_node_init_int (json_node_alloc (), 5);
  g_autoptr(JsonNode) string_id = json_node_init_string (json_node_alloc (), "x");
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;

  a = lm_message_build_error (int_id, LM_ERROR_CONFLICT, "taken");
  check_error_text (a, "conflict", "taken", int_id);
  b = lm_message_build_error (string_id, LM_ERROR_RATE_LIMITED, "slow down \"now\"");
  check_error_text (b, "rate_limited", "slow down \"now\"", string_id);
  c = lm_message_build_error (NULL, LM_ERROR_TOO_LARGE, NULL);
  check_error_text (c, "too_large", "", NULL);
}

static void
test_build_error_internal (void)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  /* The detail of a server fault stays in the server's log. */
  a = lm_message_build_error (NULL, LM_ERROR_INTERNAL, "database is locked");
  check_error_text (a, "internal", "internal server error", NULL);
  b = lm_message_build_error (NULL, (LmErrorCode) 99, "odd");
  check_error_text (b, "internal", "internal server error", NULL);
}

static void
test_build_error_from_gerror (void)
{
  g_autoptr(JsonNode) id = json_node_init_int (json_node_alloc (), 1);
  g_autoptr(GError) lm = g_error_new (LM_ERROR, LM_ERROR_NOT_FOUND, "peer p-2 is away");
  g_autoptr(GError) other = g_error_new (G_FILE_ERROR, G_FILE_ERROR_FAILED, "odd input");
  g_autoptr(GError) parsed = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  g_autoptr(LmMessage) msg = NULL;

  a = lm_message_build_error_from_gerror (id, lm);
  check_error_text (a, "not_found", "peer p-2 is away", id);
  b = lm_message_build_error_from_gerror (NULL, other);
  check_error_text (b, "bad_request", "odd input", NULL);

  /* What a parse failure turns into. */
  msg = lm_message_parse ("{\"type\":7}", 10, MAX_BYTES, &parsed);
  g_assert_null (msg);
  c = lm_message_build_error_from_gerror (NULL, parsed);
  check_error_text (c, "bad_request", "field 'type' must be a string", NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/protocol/invalid/%s", invalid_cases[i].name);

      g_test_add_data_func (path, &invalid_cases[i], test_invalid);
    }
  for (guint i = 0; i < G_N_ELEMENTS (valid_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/protocol/valid/%s", valid_cases[i].name);

      g_test_add_data_func (path, &valid_cases[i], test_valid);
    }
  g_test_add_func ("/protocol/type-senders", test_type_senders);
  g_test_add_func ("/protocol/parse/id", test_parse_id);
  g_test_add_func ("/protocol/parse/length", test_parse_length);
  g_test_add_func ("/protocol/parse/with-id", test_parse_with_id);
  g_test_add_func ("/protocol/validate/unknown-type-echo", test_unknown_type_echo);
  g_test_add_func ("/protocol/accessors", test_accessors);
  g_test_add_func ("/protocol/builder/round-trip", test_builder_round_trip);
  g_test_add_func ("/protocol/builder/replies", test_builder_every_type);
  g_test_add_func ("/protocol/builder/mutable-body", test_body_is_mutable);
  g_test_add_func ("/protocol/build-error/codes", test_build_error);
  g_test_add_func ("/protocol/build-error/internal", test_build_error_internal);
  g_test_add_func ("/protocol/build-error/from-gerror", test_build_error_from_gerror);

  return g_test_run ();
}

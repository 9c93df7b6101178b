#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The lastmile developers
#
# test-nat.sh cone|symmetric|symmetric-relay: one consultation between a
# clinic and a doctor, each behind its own NAT router, through the real
# signaling server, coturn (cone, symmetric) or lastmile-relay
# (symmetric-relay, no STUN or TURN at all) and two lastmile-client
# processes. Prints TAP. Needs root (CI runs the lab suite as root); see
# docs/nat-lab.md.
#
# Environment: LASTMILE_SIGNALING, LASTMILE_CLIENT, LASTMILE_RELAY (paths to
# the binaries; the relay only for symmetric-relay), TURNSERVER (default
# /usr/bin/turnserver), LAB_DURATION (seconds of media, default 10),
# NETLAB_KEEP=1 to keep the logs and reports.

set -u

CASE=${1:-}
HERE=$(dirname "$(readlink -f "$0")")
SIGNALING=${LASTMILE_SIGNALING:-}
CLIENT=${LASTMILE_CLIENT:-}
RELAY=${LASTMILE_RELAY:-}
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}
DURATION=${LAB_DURATION:-10}
# A client that has not finished this long after its media should have
# ended is stuck: (time to get paired and connect) + duration + (time to end).
CLIENT_TIMEOUT=$((DURATION + 70))
SIGNALING_PORT=8080
TURN_SECRET=lab-secret-$RANDOM$RANDOM
TURN_REALM=lastmile.test
RELAY_MIN_PORT=49152
RELAY_MAX_PORT=49999
# symmetric-relay: the routers are symmetric NATs; the media goes through
# lastmile-relay, which takes its ICE ports from this range.
NAT_MODE=${CASE%-relay}
LMR_MIN_PORT=50000
LMR_MAX_PORT=50999
LMR_NAME=lab-relay
# The share of the frames sent that must arrive: the first frames can be
# sent before the path is up, and a busy CI machine drops a few more.
MIN_RECEIVED_PCT=50

PLAN=17
[[ $CASE == symmetric-relay ]] && PLAN=18
tap_n=0
tap_failures=0

tap_result ()
{
  local status=$1; shift
  tap_n=$((tap_n + 1))
  if [[ $status == 0 ]]; then
    echo "ok $tap_n - $*"
  else
    echo "not ok $tap_n - $*"
    tap_failures=$((tap_failures + 1))
  fi
}

# check DESCRIPTION FUNCTION ARGS...: FUNCTION runs in this shell (it may
# spawn processes and set variables), sets DETAIL to a short figure for the
# TAP line and prints explanations as "# " lines.
DETAIL=
check ()
{
  local desc=$1 status=0; shift
  DETAIL=
  "$@" || status=$?
  tap_result "$status" "$desc${DETAIL:+ ($DETAIL)}"
  return "$status"
}

diag () { printf '# %s\n' "$@"; }

json () { python3 "$HERE/labjson.py" "$@"; }

# Shows the end of a log as TAP comments, for a check that failed.
show_log ()
{
  local file=$1 lines=${2:-25}
  [[ -s $file ]] || { diag "(${file##*/} is empty)"; return; }
  diag "--- last lines of ${file##*/}:"
  tail -n "$lines" "$file" | sed 's/^/#   /'
}

bail ()
{
  echo "Bail out! $*"
  exit 1
}

echo "1..$PLAN"

# --- 1. preflight: fail, never skip, when the machine cannot run the lab ---

preflight ()
{
  local missing=() tool
  local tools=(ip nft conntrack timeout python3)
  case $CASE in
    cone|symmetric) tools+=("$TURNSERVER") ;;
    symmetric-relay) ;;
    *) DETAIL="usage: test-nat.sh cone|symmetric|symmetric-relay"; return 1 ;;
  esac
  if [[ $(id -u) != 0 ]]; then
    DETAIL="not root: the NAT lab needs root for namespaces and nftables; CI runs the 'lab' suite as root"
    return 1
  fi
  for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    DETAIL="missing: ${missing[*]}"
    diag "install: apt-get install -y --no-install-recommends coturn nftables conntrack iproute2 python3"
    return 1
  fi
  if [[ ! -x $SIGNALING || ! -x $CLIENT ]]; then
    DETAIL="LASTMILE_SIGNALING='$SIGNALING' and LASTMILE_CLIENT='$CLIENT' must be the built binaries"
    diag "meson test sets both; by hand, point them at BUILD/signaling/lastmile-signaling and BUILD/client/lastmile-client"
    return 1
  fi
  if [[ $CASE == symmetric-relay && ! -x $RELAY ]]; then
    DETAIL="LASTMILE_RELAY='$RELAY' must be the built lastmile-relay"
    diag "meson test sets it; by hand, point it at BUILD/relay/lastmile-relay"
    return 1
  fi
  DETAIL="$CASE NATs"
}

check "preflight: root, tools and binaries" preflight || bail "cannot run the NAT lab here"

source "$HERE/netlab.sh"
netlab_cleanup_stale

# --- 2-3. the lab itself ---

# netlab_setup must run in this shell (it sets variables and the trap).
if netlab_setup "$NAT_MODE" 2>&1; then
  tap_result 0 "lab: namespaces, veth pairs and $NAT_MODE NAT routers up ($NETLAB_ID)"
else
  tap_result 1 "lab: namespaces, veth pairs and $NAT_MODE NAT routers up"
  bail "could not build the lab"
fi

# The routers must behave as the case says before any result means anything.
nat_mapping ()
{
  local local_port m1 m2 p1 p2
  netlab_spawn probe 60 pub python3 "$HERE/nat-probe.py" serve "$NETLAB_PUB_IP" 3490 3491 || return 1
  netlab_wait_for probe '^ready' 10 >/dev/null 2>&1 || { show_log "$(netlab_err probe)"; return 1; }
  read -r local_port m1 m2 < <(netlab_exec clinic python3 "$HERE/nat-probe.py" map "$NETLAB_PUB_IP" 3490 3491)
  netlab_stop probe
  p1=${m1##*:}; p2=${m2##*:}
  DETAIL="clinic :$local_port -> $m1, $m2"
  [[ ${m1%:*} == "$NETLAB_NAT1_WAN" && ${m2%:*} == "$NETLAB_NAT1_WAN" ]] || return 1
  if [[ $NAT_MODE == cone ]]; then
    [[ $p1 == "$p2" ]]
  else
    [[ $p1 != "$p2" ]]
  fi
}

if [[ $NAT_MODE == cone ]]; then
  check "lab: clinic's router keeps one port for every destination (cone)" nat_mapping
else
  check "lab: clinic's router picks a new port per destination (symmetric)" nat_mapping
fi
netlab_flush_conntrack

# --- 4-6. servers ---

# Counts the traffic on coturn's relay ports, both ways: what it relays
# between the peers (a client's own leg goes to port 3478 instead).
relay_accounting ()
{
  netlab_exec pub nft -f - <<EOF
table ip lastmile_lab {
  counter relayed { }
  chain input {
    type filter hook input priority filter; policy accept;
    ip daddr $NETLAB_PUB_IP udp dport $RELAY_MIN_PORT-$RELAY_MAX_PORT counter name relayed
  }
  chain output {
    type filter hook output priority filter; policy accept;
    ip saddr $NETLAB_PUB_IP udp sport $RELAY_MIN_PORT-$RELAY_MAX_PORT counter name relayed
  }
}
EOF
}

# symmetric-relay: the same for lastmile-relay's ICE ports, and a second
# counter for every other UDP packet to or from pub's address (STUN, TURN,
# anything): with no STUN or TURN server given to anybody, it stays at 0.
lmr_accounting ()
{
  netlab_exec pub nft -f - <<EOF
table ip lastmile_lab {
  counter relayed { }
  counter other_udp { }
  chain input {
    type filter hook input priority filter; policy accept;
    ip daddr $NETLAB_PUB_IP udp dport $LMR_MIN_PORT-$LMR_MAX_PORT counter name relayed
    ip daddr $NETLAB_PUB_IP udp dport != $LMR_MIN_PORT-$LMR_MAX_PORT counter name other_udp
  }
  chain output {
    type filter hook output priority filter; policy accept;
    ip saddr $NETLAB_PUB_IP udp sport $LMR_MIN_PORT-$LMR_MAX_PORT counter name relayed
    ip saddr $NETLAB_PUB_IP udp sport != $LMR_MIN_PORT-$LMR_MAX_PORT counter name other_udp
  }
}
EOF
}

# relayed_bytes [COUNTER]: bytes counted so far (default: relayed).
relayed_bytes ()
{
  netlab_exec pub nft list counter ip lastmile_lab "${1:-relayed}" \
    | sed -n 's/.*packets [0-9]* bytes \([0-9]*\).*/\1/p'
}

start_turn ()
{
  relay_accounting || return 1
  netlab_spawn turn $((CLIENT_TIMEOUT + 60)) pub "$TURNSERVER" -n \
    --listening-ip="$NETLAB_PUB_IP" --relay-ip="$NETLAB_PUB_IP" --listening-port=3478 \
    --min-port="$RELAY_MIN_PORT" --max-port="$RELAY_MAX_PORT" \
    --use-auth-secret --static-auth-secret="$TURN_SECRET" --realm="$TURN_REALM" \
    --no-tls --no-dtls --no-cli --no-software-attribute --verbose \
    --log-file=stdout --simple-log \
    --pidfile="$NETLAB_DIR/turnserver.pid" --userdb="$NETLAB_DIR/turndb" || return 1
  if ! netlab_wait_for turn "UDP listener opened on: *${NETLAB_PUB_IP//./\\.}:3478" 10; then
    show_log "$(netlab_out turn)"
    return 1
  fi
  DETAIL="$NETLAB_PUB_IP:3478"
}

if [[ $CASE != symmetric-relay ]]; then
  check "coturn listening in pub" start_turn || bail "coturn did not start"
fi

DB=$NETLAB_DIR/lastmile.db
account ()
{
  "$SIGNALING" --db "$DB" account add --role "$1" --name "$2" 2>>"$NETLAB_DIR/accounts.err" | tail -n 1
}

start_signaling ()
{
  local media_args=()
  CLINIC_TOKEN=$(account clinic lab-clinic) && DOCTOR_TOKEN=$(account doctor lab-doctor) \
    && ADMIN_TOKEN=$(account admin lab-admin)
  RELAY_TOKEN=-
  [[ $CASE == symmetric-relay ]] && RELAY_TOKEN=$(account relay "$LMR_NAME")
  if [[ -z ${CLINIC_TOKEN:-} || -z ${DOCTOR_TOKEN:-} || -z ${ADMIN_TOKEN:-} || -z ${RELAY_TOKEN:-} ]]; then
    diag "account add failed"
    show_log "$NETLAB_DIR/accounts.err"
    return 1
  fi
  if [[ $CASE == symmetric-relay ]]; then
    # Every consultation through the relay, and no ICE server for anybody.
    media_args=(--media-policy relay)
  else
    media_args=(--media-policy direct --stun-uri "stun:$NETLAB_PUB_IP:3478"
                --turn-uri "turn:$NETLAB_PUB_IP:3478" --turn-secret "$TURN_SECRET")
  fi
  netlab_spawn signaling $((CLIENT_TIMEOUT + 60)) pub "$SIGNALING" --db "$DB" \
    --address "$NETLAB_PUB_IP" --port "$SIGNALING_PORT" "${media_args[@]}" || return 1
  if ! netlab_wait_for signaling 'listening on http://' 10; then
    show_log "$(netlab_err signaling)"
    return 1
  fi
  SERVER_URL=$(grep -Eo 'http://[^ ]+' "$(netlab_out signaling)" | head -n 1)
  DETAIL=$SERVER_URL
}

check "signaling server listening in pub" start_signaling || bail "the signaling server did not start"

# symmetric-relay: lastmile-relay in pub, on pub's address itself (no
# --public-address needed), registered with the server.
start_relay ()
{
  lmr_accounting || return 1
  LASTMILE_TOKEN=$RELAY_TOKEN GST_DEBUG='lmr*:4' \
    netlab_spawn relay $((CLIENT_TIMEOUT + 60)) pub "$RELAY" --server "$SERVER_URL" \
    --port-range "$LMR_MIN_PORT-$LMR_MAX_PORT" --stats-interval 2 || return 1
  if ! netlab_wait_for relay 'registered: up to' 15; then
    show_log "$(netlab_err relay)"
    show_log "$(netlab_err signaling)" 10
    return 1
  fi
  DETAIL="$LMR_NAME, ICE ports $LMR_MIN_PORT-$LMR_MAX_PORT"
}

if [[ $CASE == symmetric-relay ]]; then
  check "lastmile-relay registered with the server (in pub)" start_relay || bail "the relay did not register"
fi

admin_get ()
{
  LAB_TOKEN=$ADMIN_TOKEN netlab_exec pub python3 "$HERE/labjson.py" get "${SERVER_URL%/}$1"
}

client ()
{
  local tag=$1 role=$2 token=$3; shift 3
  LASTMILE_TOKEN=$token netlab_spawn "$tag" "$CLIENT_TIMEOUT" "$role" "$CLIENT" \
    --server "$SERVER_URL" --headless --video test --audio test \
    --resolution 320x240 --fps 15 --max-bitrate 300 \
    --duration "$DURATION" --report "$NETLAB_DIR/$tag.json" "$@"
}

doctor_online ()
{
  local deadline=$((SECONDS + 15))
  client doctor doctor "$DOCTOR_TOKEN" --accept-first || return 1
  while ((SECONDS < deadline)); do
    if admin_get /api/v1/live 2>/dev/null | json online - doctors lab-doctor; then
      DETAIL="lab-doctor in /api/v1/live"
      return 0
    fi
    netlab_running doctor || break
    sleep 0.2
  done
  diag "the doctor never showed up in /api/v1/live"
  show_log "$(netlab_err doctor)"
  return 1
}

check "doctor client online (behind nat2)" doctor_online

client clinic clinic "$CLINIC_TOKEN" --specialty general --urgency routine --patient-ref LAB-0001

# --- 7-8. both clients finish on their own ---

client_done ()
{
  local tag=$1 status=0
  netlab_wait "$tag" || status=$?
  if ((status != 0)); then
    ((status == 124)) && diag "$tag still running after ${CLIENT_TIMEOUT}s: killed"
    show_log "$(netlab_err "$tag")" 40
    DETAIL="exit status $status"
    return 1
  fi
  DETAIL="exit status 0"
}

check "clinic client finished the consultation" client_done clinic
check "doctor client finished the consultation" client_done doctor

# Read the NAT state now: conntrack forgets idle UDP flows after 30 s.
conntrack_direct ()
{
  netlab_exec nat1 conntrack -L -p udp -s "$NETLAB_CLINIC_IP" -d "$NETLAB_NAT2_WAN" 2>/dev/null
}
DIRECT_FLOWS=$(conntrack_direct)
RELAYED_BYTES=$(relayed_bytes)
OTHER_UDP_BYTES=
[[ $CASE == symmetric-relay ]] && OTHER_UDP_BYTES=$(relayed_bytes other_udp)

# --- 9-13. what the reports say ---

field ()
{
  json field "$NETLAB_DIR/$1.json" "$2" 2>/dev/null
}

ice_connected ()
{
  local tag=$1 ms first
  if [[ ! -s $NETLAB_DIR/$tag.json ]]; then
    DETAIL="no report"
    return 1
  fi
  ms=$(field "$tag" ice_connected_ms)
  first=$(field "$tag" first_frame_ms)
  DETAIL="ice_connected_ms=${ms:-null}, first_frame_ms=${first:-null}, end_reason=$(field "$tag" end_reason)"
  [[ -n $ms ]] && ((ms >= 0))
}

check "clinic report: ICE connected" ice_connected clinic
check "doctor report: ICE connected" ice_connected doctor

# received_from RECEIVER SENDER KIND: prints "GOT of SENT" for KIND_received
# of RECEIVER against KIND_sent of SENDER; fails unless enough arrived.
received_from ()
{
  local receiver=$1 sender=$2 kind=$3 got sent
  got=$(field "$receiver" "${kind}_received")
  sent=$(field "$sender" "${kind}_sent")
  echo "${got:-?} of ${sent:-?}"
  [[ -n $got && -n $sent ]] || return 1
  ((got > 0 && got * 100 >= sent * MIN_RECEIVED_PCT))
}

received ()
{
  local status=0
  DETAIL=$(received_from "$@") || status=$?
  return "$status"
}

check "clinic received the doctor's video" received clinic doctor video_frames
check "doctor received the clinic's video" received doctor clinic video_frames

audio_both_ways ()
{
  local status=0 a b
  a=$(received_from clinic doctor audio_buffers) || status=1
  b=$(received_from doctor clinic audio_buffers) || status=1
  DETAIL="clinic got $a, doctor got $b"
  return "$status"
}

check "audio both ways" audio_both_ways

# --- 14-16. which path the media took ---

candidate_types ()
{
  local types=() t relay=0
  types=("$(field clinic local_candidate_type)" "$(field clinic remote_candidate_type)"
         "$(field doctor local_candidate_type)" "$(field doctor remote_candidate_type)")
  DETAIL="clinic ${types[0]:-?}/${types[1]:-?}, doctor ${types[2]:-?}/${types[3]:-?} (local/remote)"
  for t in "${types[@]}"; do
    case $t in
      relay) relay=1 ;;
      host|srflx|prflx) ;;
      *) return 1 ;;
    esac
  done
  if [[ $CASE == symmetric ]]; then
    ((relay == 1))
  else
    ((relay == 0))
  fi
}

case $CASE in
  cone) check "candidate pair without TURN (host, srflx or prflx on both sides)" candidate_types ;;
  symmetric) check "candidate pair through TURN (relay on at least one side)" candidate_types ;;
  symmetric-relay) check "candidate pairs to lastmile-relay without TURN (no relay candidate)" candidate_types ;;
esac

direct_path ()
{
  local assured
  assured=$(grep -c ASSURED <<<"$DIRECT_FLOWS")
  DETAIL="$assured two-way flow(s) clinic -> $NETLAB_NAT2_WAN in nat1's conntrack"
  if [[ $NAT_MODE == cone ]]; then
    ((assured > 0))
  else
    ((assured == 0))
  fi
}

if [[ $CASE == cone ]]; then
  check "media went straight from NAT to NAT" direct_path
else
  check "no direct path through the symmetric NATs" direct_path
fi

# The clients' total received bytes, to compare with what coturn relayed.
media_bytes ()
{
  local c d
  c=$(field clinic bytes_received); d=$(field doctor bytes_received)
  echo $(( ${c:-0} + ${d:-0} ))
}

coturn_relayed ()
{
  local media allocations
  media=$(media_bytes)
  # Usernames from the signaling server are EXPIRY:PEER (protocol.md).
  allocations=$(grep -cE "user <[0-9]+:p-[^>]*>: incoming packet ALLOCATE processed, success" \
                  "$(netlab_out turn)")
  DETAIL="coturn relayed ${RELAYED_BYTES:-?} bytes, the clients received $media; $allocations allocations for signaling-issued usernames"
  [[ -n $RELAYED_BYTES ]] || return 1
  if [[ $CASE == cone ]]; then
    # Allocations happen anyway (the clients gather relay candidates), but
    # only connectivity checks may go through them, never the media.
    ((RELAYED_BYTES * 10 < media))
  else
    ((allocations > 0)) || { diag "no successful ALLOCATE for a signaling-issued username"; return 1; }
    # The counter sees SRTP, TURN and IP overhead that the clients' RTP byte
    # counts leave out, so all the media shows as at least 80% of it.
    ((media > 0 && RELAYED_BYTES * 10 >= media * 8))
  fi
}

# symmetric-relay: every media byte went through the relay's ports, both
# legs: in from each client and out to the other, so about twice what the
# clients received; and no other UDP reached pub's address (no STUN, no
# TURN, no port outside the relay's range).
lmr_relayed ()
{
  local media
  media=$(media_bytes)
  DETAIL="relay ports $LMR_MIN_PORT-$LMR_MAX_PORT: ${RELAYED_BYTES:-?} bytes in+out, the clients received $media; other UDP to/from pub: ${OTHER_UDP_BYTES:-?} bytes"
  [[ -n $RELAYED_BYTES && -n $OTHER_UDP_BYTES ]] || return 1
  ((OTHER_UDP_BYTES == 0)) || { diag "UDP outside the relay's ports: STUN or TURN was used"; return 1; }
  # As for coturn, the counter sees SRTP, ICE and IP overhead that the
  # clients' RTP byte counts leave out: 2 x 80%.
  ((media > 0 && RELAYED_BYTES * 10 >= media * 16))
}

case $CASE in
  cone) check "coturn relayed no media" coturn_relayed ;;
  symmetric) check "coturn relayed the media with the signaling server's credentials" coturn_relayed ;;
  symmetric-relay) check "lastmile-relay forwarded the media, no STUN or TURN traffic" lmr_relayed ;;
esac

# --- 17. the server's record ---

consultation_completed ()
{
  local id record status reason deadline=$((SECONDS + 10))
  id=$(field clinic consultation)
  [[ -n $id ]] || id=$(field doctor consultation)
  [[ -n $id ]] || { DETAIL="no consultation id in the reports"; return 1; }
  while :; do
    record=$(admin_get "/api/v1/consultations/$id" 2>&1)
    status=$(json field - status <<<"$record" 2>/dev/null)
    [[ -n $status && $status != active ]] && break
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  reason=$(json field - end_reason <<<"$record" 2>/dev/null)
  DETAIL="$id: ${status:-?}, end_reason=${reason:-?}"
  # The server files every consult.end as "completed" whatever its reason
  # (an ICE failure included): the reason tells a finished call apart.
  if [[ $status != completed || $reason != completed ]]; then
    diag "record: $(head -c 2000 <<<"$record")"
    return 1
  fi
  RECORD=$record
  [[ $(json field - clinic <<<"$record") == lab-clinic && $(json field - doctor <<<"$record") == lab-doctor ]] \
    || return 1
  if [[ $CASE == symmetric-relay ]]; then
    local mode relay
    mode=$(json field - media_mode <<<"$record")
    relay=$(json field - relay <<<"$record")
    DETAIL+=", media_mode=${mode:-null}, relay=${relay:-null}"
    [[ $mode == relay && $relay == "$LMR_NAME" ]] || { diag "record: $(head -c 2000 <<<"$record")"; return 1; }
  fi
}

RECORD=
if [[ $CASE == symmetric-relay ]]; then
  check "admin API: consultation completed through $LMR_NAME" consultation_completed
else
  check "admin API: consultation completed" consultation_completed
fi

# --- 18 (symmetric-relay). the relay's per-leg figures in the record ---

# quality["relay:NAME"] for both members: samples from the relay's stats,
# and the relay's side of each leg's candidate pair (the remote end is the
# member's NAT mapping, learnt from its checks: prflx; never relay).
relay_legs ()
{
  local member samples local_type remote_type out=() status=0
  [[ -n $RECORD ]] || { DETAIL="no record"; return 1; }
  for member in lab-clinic lab-doctor; do
    samples=$(json field - "quality/relay:$member/samples" <<<"$RECORD" 2>/dev/null)
    local_type=$(json field - "quality/relay:$member/local_candidate_type" <<<"$RECORD" 2>/dev/null)
    remote_type=$(json field - "quality/relay:$member/remote_candidate_type" <<<"$RECORD" 2>/dev/null)
    out+=("relay:$member ${samples:-0} samples, ${local_type:-?}/${remote_type:-?}")
    [[ -n $samples ]] && ((samples > 0)) || status=1
    [[ $local_type == relay || $remote_type == relay ]] && status=1
  done
  DETAIL="${out[0]}; ${out[1]}"
  ((status == 0)) || diag "quality: $(json field - quality <<<"$RECORD" 2>/dev/null | head -c 2000)"
  return "$status"
}

if [[ $CASE == symmetric-relay ]]; then
  check "admin API: per-leg relay:NAME figures for both members" relay_legs
fi

if ((tap_failures > 0)); then
  for tag in clinic doctor; do
    [[ -s $NETLAB_DIR/$tag.json ]] && { diag "--- $tag.json:"; sed 's/^/#   /' "$NETLAB_DIR/$tag.json"; }
  done
  show_log "$(netlab_err signaling)" 15
  [[ $CASE == symmetric-relay ]] && show_log "$(netlab_err relay)" 25
fi
((tap_n == PLAN)) || diag "internal: planned $PLAN checks, ran $tap_n"
exit $((tap_failures > 0))

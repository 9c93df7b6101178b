# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The lastmile developers
#
# netlab.sh: a small NAT lab built from network namespaces, veth pairs and
# nftables, for end-to-end tests that need real NAT traversal. Source it from
# bash (it needs root); see docs/nat-lab.md for the picture.
#
#   pub     the "internet": bridge br0 10.200.0.1/24 (signaling, STUN, TURN)
#   nat1    clinic's router: wan 10.200.0.11 <-> lan 10.201.1.1/24
#   nat2    doctor's router: wan 10.200.0.12 <-> lan 10.202.2.1/24
#   clinic  eth0 10.201.1.10, default via nat1
#   doctor  eth0 10.202.2.10, default via nat2
#
# Nothing touches the root namespace: every link is created inside the
# lab's namespaces, whose names carry the creating shell's PID and a random
# part so that parallel runs never collide. Interface names inside a
# namespace are private to it, so they can be short and fixed.
#
# API (every function returns non-zero and prints to stderr on failure):
#   netlab_setup cone|symmetric   build the topology; arms the EXIT trap
#   netlab_ns ROLE                namespace name of pub|nat1|nat2|clinic|doctor
#   netlab_exec ROLE CMD...       run CMD in ROLE's namespace (foreground)
#   netlab_spawn TAG SECS ROLE CMD...
#                                 run CMD in the background, killed after SECS;
#                                 stdout/stderr in $(netlab_out TAG)/$(netlab_err TAG)
#   netlab_pid TAG                its pid (of the timeout(1) wrapper)
#   netlab_wait TAG               wait for TAG to exit; returns its status
#                                 (124 when its time ran out)
#   netlab_wait_for TAG REGEX SECS  wait until TAG's stdout+stderr match REGEX
#   netlab_stop TAG               SIGTERM, then SIGKILL after 5 s; returns status
#   netlab_flush_conntrack        forget every NAT mapping (between cases)
#   netlab_teardown               kill what was spawned, delete the namespaces
#   netlab_cleanup_stale          delete labs (namespaces, processes, scratch
#                                 directories) whose creator is gone
#
# Variables after netlab_setup: NETLAB_DIR (scratch directory, removed at
# teardown unless NETLAB_KEEP=1), NETLAB_PUB_IP, NETLAB_NAT1_WAN,
# NETLAB_NAT2_WAN, NETLAB_CLINIC_IP, NETLAB_DOCTOR_IP, NETLAB_CASE.

NETLAB_PREFIX=lmlab
NETLAB_ROLES=(pub nat1 nat2 clinic doctor)

NETLAB_PUB_NET=10.200.0
NETLAB_PUB_IP=$NETLAB_PUB_NET.1
NETLAB_NAT1_WAN=$NETLAB_PUB_NET.11
NETLAB_NAT2_WAN=$NETLAB_PUB_NET.12
# The "rest of the internet": a neighbour with a made-up MAC address that
# nothing answers to. Routes to unknown addresses (a peer's private host
# candidate) then lead somewhere and packets vanish silently, as they would
# on the internet; without a route, sendto fails with ENETUNREACH and coturn
# tears down the whole allocation.
NETLAB_VOID_IP=$NETLAB_PUB_NET.254
NETLAB_VOID_MAC=02:00:00:00:00:fe
NETLAB_CLINIC_LAN=10.201.1
NETLAB_CLINIC_IP=$NETLAB_CLINIC_LAN.10
NETLAB_DOCTOR_LAN=10.202.2
NETLAB_DOCTOR_IP=$NETLAB_DOCTOR_LAN.10

NETLAB_ID=
NETLAB_DIR=
NETLAB_CASE=
declare -A NETLAB_PIDS=()
declare -a NETLAB_CREATED=()

netlab_log () { printf '# netlab: %s\n' "$*" >&2; }
netlab_fail () { printf '# netlab: error: %s\n' "$*" >&2; return 1; }

netlab_ns () { printf '%s-%s-%s' "$NETLAB_PREFIX" "$NETLAB_ID" "$1"; }

netlab_exec ()
{
  local role=$1; shift
  ip netns exec "$(netlab_ns "$role")" "$@"
}

# Runs "$@" and reports the command line when it fails.
netlab_run ()
{
  local out
  if ! out=$("$@" 2>&1); then
    netlab_fail "'$*' failed: $out"
    return 1
  fi
}

netlab_new_ns ()
{
  local ns
  ns=$(netlab_ns "$1")
  netlab_run ip netns add "$ns" || return 1
  NETLAB_CREATED+=("$ns")
  # No IPv6: link-local addresses would only add ICE candidates that lead
  # nowhere. Forwarding is off except on the routers.
  netlab_run ip netns exec "$ns" sysctl -q -w \
    net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
    net.ipv4.ip_forward=0 || return 1
  netlab_run ip -n "$ns" link set lo up
}

# netlab_veth ROLE_A IF_A ROLE_B IF_B: a veth pair made directly inside the
# two namespaces (never in the root namespace).
netlab_veth ()
{
  netlab_run ip -n "$(netlab_ns "$1")" link add "$2" type veth \
    peer name "$4" netns "$(netlab_ns "$3")" || return 1
  netlab_run ip -n "$(netlab_ns "$1")" link set "$2" up || return 1
  netlab_run ip -n "$(netlab_ns "$3")" link set "$4" up
}

netlab_void_route ()
{
  local ns dev=$2
  ns=$(netlab_ns "$1")
  netlab_run ip -n "$ns" neigh replace "$NETLAB_VOID_IP" lladdr "$NETLAB_VOID_MAC" \
    dev "$dev" nud permanent || return 1
  netlab_run ip -n "$ns" route add default via "$NETLAB_VOID_IP" dev "$dev"
}

# netlab_router ROLE LAN_IP MODE: forwarding, masquerade on wan, and no
# unsolicited inbound connections. The drop matters: a Linux router that
# accepts a new inbound flow creates a conntrack entry for it, and
# masquerade then has to pick another port for the host's own outbound
# packets to that peer, which breaks hole punching even on a cone NAT.
netlab_router ()
{
  local role=$1 lan_ip=$2 mode=$3 ns masq=masquerade
  ns=$(netlab_ns "$role")
  [[ $mode == symmetric ]] && masq='masquerade random'
  netlab_run ip -n "$ns" addr add "$lan_ip/24" dev lan || return 1
  netlab_run ip netns exec "$ns" sysctl -q -w net.ipv4.ip_forward=1 || return 1
  netlab_run ip netns exec "$ns" nft -f - <<EOF || return 1
table ip lastmile_nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" $masq
  }
}
table ip lastmile_filter {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state new,invalid drop
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "wan" ct state new,invalid drop
  }
}
EOF
  netlab_run ip netns exec "$ns" conntrack -F
}

netlab_setup ()
{
  local mode=${1:?netlab_setup: cone or symmetric}
  case $mode in
    cone|symmetric) ;;
    *) netlab_fail "unknown NAT mode '$mode' (cone or symmetric)"; return 1 ;;
  esac
  [[ -z $NETLAB_ID ]] || { netlab_fail "a lab is already up ($NETLAB_ID)"; return 1; }

  # shellcheck disable=SC2034 # for the caller
  NETLAB_CASE=$mode
  NETLAB_ID=$$-$(printf '%04x' $((RANDOM)))
  NETLAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$NETLAB_PREFIX-$NETLAB_ID-XXXXXX") || return 1
  trap netlab_teardown EXIT
  # A script dies on these (and so tears down); an interactive shell that
  # sourced the lab to poke at it keeps Ctrl-C for its own commands.
  if [[ $- != *i* ]]; then
    trap 'exit 130' INT
    trap 'exit 143' TERM
  fi
  netlab_log "lab $NETLAB_ID ($mode NATs), scratch directory $NETLAB_DIR"

  local role
  for role in "${NETLAB_ROLES[@]}"; do
    netlab_new_ns "$role" || return 1
  done

  # The public segment: a bridge in pub, one port per router.
  netlab_run ip -n "$(netlab_ns pub)" link add br0 type bridge || return 1
  netlab_run ip -n "$(netlab_ns pub)" link set br0 up || return 1
  netlab_run ip -n "$(netlab_ns pub)" addr add "$NETLAB_PUB_IP/24" dev br0 || return 1
  netlab_veth nat1 wan pub nat1 || return 1
  netlab_veth nat2 wan pub nat2 || return 1
  netlab_run ip -n "$(netlab_ns pub)" link set nat1 master br0 || return 1
  netlab_run ip -n "$(netlab_ns pub)" link set nat2 master br0 || return 1
  netlab_void_route pub br0 || return 1

  netlab_run ip -n "$(netlab_ns nat1)" addr add "$NETLAB_NAT1_WAN/24" dev wan || return 1
  netlab_run ip -n "$(netlab_ns nat2)" addr add "$NETLAB_NAT2_WAN/24" dev wan || return 1
  netlab_void_route nat1 wan || return 1
  netlab_void_route nat2 wan || return 1

  # The sites behind the routers.
  netlab_veth clinic eth0 nat1 lan || return 1
  netlab_veth doctor eth0 nat2 lan || return 1
  netlab_run ip -n "$(netlab_ns clinic)" addr add "$NETLAB_CLINIC_IP/24" dev eth0 || return 1
  netlab_run ip -n "$(netlab_ns doctor)" addr add "$NETLAB_DOCTOR_IP/24" dev eth0 || return 1
  netlab_run ip -n "$(netlab_ns clinic)" route add default via "$NETLAB_CLINIC_LAN.1" || return 1
  netlab_run ip -n "$(netlab_ns doctor)" route add default via "$NETLAB_DOCTOR_LAN.1" || return 1

  netlab_router nat1 "$NETLAB_CLINIC_LAN.1" "$mode" || return 1
  netlab_router nat2 "$NETLAB_DOCTOR_LAN.1" "$mode" || return 1
}

netlab_flush_conntrack ()
{
  local role
  for role in nat1 nat2; do
    netlab_run netlab_exec "$role" conntrack -F || return 1
  done
}

netlab_out () { printf '%s/%s.out' "$NETLAB_DIR" "$1"; }
netlab_pid () { printf '%s' "${NETLAB_PIDS[$1]:-}"; }
netlab_err () { printf '%s/%s.err' "$NETLAB_DIR" "$1"; }

netlab_spawn ()
{
  local tag=$1 secs=$2 role=$3; shift 3
  [[ -z ${NETLAB_PIDS[$tag]:-} ]] || { netlab_fail "'$tag' is already running"; return 1; }
  # timeout(1) bounds the run even if this shell is killed before teardown;
  # ip netns exec execs the command, so nothing else sits in between.
  timeout --kill-after=5 "$secs" ip netns exec "$(netlab_ns "$role")" "$@" \
    >"$(netlab_out "$tag")" 2>"$(netlab_err "$tag")" </dev/null &
  NETLAB_PIDS[$tag]=$!
}

netlab_wait ()
{
  local tag=$1 pid status=0
  pid=${NETLAB_PIDS[$tag]:-}
  [[ -n $pid ]] || { netlab_fail "nothing called '$tag' was spawned"; return 127; }
  wait "$pid" || status=$?
  unset 'NETLAB_PIDS[$tag]'
  return "$status"
}

netlab_running ()
{
  local pid=${NETLAB_PIDS[$1]:-}
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# Polls (there is no event to wait on from bash) every 0.1 s up to SECS.
netlab_wait_for ()
{
  local tag=$1 regex=$2 secs=$3 deadline
  deadline=$((SECONDS + secs))
  while ((SECONDS < deadline)); do
    if cat "$(netlab_out "$tag")" "$(netlab_err "$tag")" 2>/dev/null | grep -Eq -- "$regex"; then
      return 0
    fi
    netlab_running "$tag" || { netlab_fail "'$tag' exited before printing /$regex/"; return 1; }
    sleep 0.1
  done
  netlab_fail "'$tag' did not print /$regex/ within ${secs}s"
}

netlab_stop ()
{
  local tag=$1 pid i
  pid=${NETLAB_PIDS[$tag]:-}
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  netlab_wait "$tag"
}

netlab_teardown ()
{
  local status=$? tag ns pids=()
  trap - EXIT INT TERM
  for tag in "${!NETLAB_PIDS[@]}"; do
    netlab_stop "$tag" >/dev/null 2>&1
  done
  # Anything still inside the lab (a grandchild that escaped its parent) was
  # started by this lab: end it by pid so the namespace can really go away.
  for ns in "${NETLAB_CREATED[@]}"; do
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
    ((${#pids[@]})) && kill -KILL "${pids[@]}" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  NETLAB_CREATED=()
  if [[ -n $NETLAB_DIR && -d $NETLAB_DIR ]]; then
    if [[ ${NETLAB_KEEP:-0} == 1 ]]; then
      : >"$NETLAB_DIR/KEPT"
      netlab_log "kept $NETLAB_DIR"
    else
      rm -rf -- "$NETLAB_DIR"
    fi
  fi
  NETLAB_ID=
  return "$status"
}

# A lab whose shell was killed with SIGKILL leaves its namespaces (and, until
# their timeouts, its processes) behind. Their names carry the creator's PID:
# remove those whose creator is gone, with whatever still runs inside them,
# and their scratch directories (unless kept with NETLAB_KEEP=1).
netlab_cleanup_stale ()
{
  local ns pid pids=() dir
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [[ $ns =~ ^$NETLAB_PREFIX-([0-9]+)-[0-9a-f]+-[a-z0-9]+$ ]] || continue
    pid=${BASH_REMATCH[1]}
    kill -0 "$pid" 2>/dev/null && continue
    netlab_log "removing stale namespace $ns"
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
    ((${#pids[@]})) && kill -KILL "${pids[@]}" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  for dir in "${TMPDIR:-/tmp}/$NETLAB_PREFIX"-*; do
    [[ -d $dir && ${dir##*/} =~ ^$NETLAB_PREFIX-([0-9]+)-[0-9a-f]+-[A-Za-z0-9]+$ ]] || continue
    kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
    [[ -e $dir/KEPT ]] || rm -rf -- "$dir"
  done
  return 0
}

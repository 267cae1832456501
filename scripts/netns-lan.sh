#!/usr/bin/env bash
# A multicast LAN of network namespaces for the demo and benchmarks (root):
# a bridge namespace acting as a switch (IGMP snooping with a querier), a
# server host and N receiver hosts, each with one veth "fcnet0".
#   scripts/netns-lan.sh up N [PREFIX]     server 10.79.0.1, receiver i 10.79.0.(10+i);
#                                          IPv6 fd7c:79::1 and fd7c:79::(10+i) (decimal digits)
#   scripts/netns-lan.sh down [PREFIX]
# RATE=1gbit shapes the server's egress (tc tbf, like a NIC of that speed);
# LOSS=0.01 drops that fraction of UDP datagrams at random on each receiver's
# input (nftables), independently per receiver. MTU=9000 makes every link
# carry jumbo frames. QUERY_INTERVAL=2 makes the bridge's querier ask every 2
# s instead of the usual 125 (a short netcheck then hears it).
# Handles the usual pitfalls: rp_filter off, a 224.0.0.0/4 route per host,
# IGMPv3, and a querier so snooped groups do not age out; for IPv6, MLDv2
# snooping with the bridge as querier, hosts forced to MLDv2, and no duplicate
# address detection (an address would be unusable for its first second).
set -euo pipefail
cmd=${1:?usage: netns-lan.sh up N [PREFIX] | down [PREFIX]}
if [[ $cmd == up ]]; then
  n=${2:?receiver count}
  prefix=${3:-fcdemo}
else
  prefix=${2:-fcdemo}
fi
net=10.79.0
net6=fd7c:79:
ipv6_sysctls=(net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
  net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  net.ipv6.conf.all.force_mld_version=2 net.ipv6.conf.default.force_mld_version=2)

add_host() { # ns address bridge-port address6
  ip netns add "$1"
  ip netns exec "$1" sysctl -qw "${ipv6_sysctls[@]}"
  ip -n "$1" link set lo up
  ip link add fcnet0 netns "$1" type veth peer name "$3" netns "$prefix-br"
  ip -n "$1" addr add "$2/24" dev fcnet0
  ip -n "$1" addr add "$4/64" dev fcnet0 nodad
  ip -n "$1" link set fcnet0 up
  ip -n "$1" route add 224.0.0.0/4 dev fcnet0
  ip netns exec "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.fcnet0.rp_filter=0 \
    net.ipv4.conf.all.force_igmp_version=3
  ip -n "$prefix-br" link set "$3" master br0
  if [[ -n ${MTU:-} ]]; then
    ip -n "$1" link set fcnet0 mtu "$MTU"
    ip -n "$prefix-br" link set "$3" mtu "$MTU"
  fi
  ip -n "$prefix-br" link set "$3" up
}

down() {
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$prefix-(br|srv|rcv[0-9]+)$" || true); do
    pids=$(ip netns pids "$ns" || true)
    [[ -n $pids ]] && kill -9 $pids 2>/dev/null || true
    ip netns del "$ns"
  done
}

case $cmd in
  up)
    down
    ip netns add "$prefix-br"
    ip netns exec "$prefix-br" sysctl -qw "${ipv6_sysctls[@]}"
    ip -n "$prefix-br" link set lo up
    ip -n "$prefix-br" link add br0 type bridge stp_state 0 forward_delay 0 \
      mcast_snooping 1 mcast_querier 1 mcast_igmp_version 3 mcast_mld_version 2
    if [[ -n ${QUERY_INTERVAL:-} ]]; then
      [[ $QUERY_INTERVAL =~ ^[1-9][0-9]*$ ]] || { echo "netns-lan.sh: error: QUERY_INTERVAL=$QUERY_INTERVAL; use whole seconds" >&2; exit 2; }
      # A response time below the interval, as the kernel requires.
      ip -n "$prefix-br" link set br0 type bridge mcast_query_interval $((QUERY_INTERVAL * 100)) \
        mcast_query_response_interval $((QUERY_INTERVAL * 50)) \
        mcast_startup_query_interval $((QUERY_INTERVAL * 25))
    fi
    ip -n "$prefix-br" link set br0 up
    add_host "$prefix-srv" "$net.1" s0 "$net6:1"
    for ((i = 1; i <= n; i++)); do
      add_host "$prefix-rcv$i" "$net.$((10 + i))" "r$i" "$net6:$((10 + i))"
    done
    if [[ -n ${RATE:-} && ${RATE:-} != unlimited ]]; then
      ip netns exec "$prefix-srv" tc qdisc replace dev fcnet0 root tbf rate "$RATE" \
        burst 256kb latency 20ms
    fi
    if [[ -n ${LOSS:-} && ${LOSS:-0} != 0 ]]; then
      threshold=$(awk -v l="$LOSS" 'BEGIN { printf "%d", l * 1000000 + 0.5 }')
      for ((i = 1; i <= n; i++)); do
        ip netns exec "$prefix-rcv$i" nft -f - <<NFT
table inet fcloss {
  chain in {
    type filter hook input priority 0; policy accept;
    meta l4proto udp numgen random mod 1000000 < $threshold drop
  }
}
NFT
      done
    fi
    ;;
  down) down ;;
  *) echo "netns-lan.sh: error: unknown command $cmd; use up or down" >&2; exit 2 ;;
esac

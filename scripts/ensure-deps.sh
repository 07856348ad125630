#!/usr/bin/env bash
# Installs what the tests need from Debian, idempotently: Chromium for Playwright (it cannot
# download its own browser here), iproute2 for the lab, ping and iperf3 for traffic, openssl for
# the TLS tests' certificates, nftables and conntrack for the lab's firewall and conntrack
# faults, Open vSwitch (never started as a service) and ethtool for the OVS lab. Does nothing when everything is present; says why and goes on when it cannot install
# (not root, no apt).
set -euo pipefail

# promtool (checks the hub's /metrics) comes out of Debian's `prometheus` package. Only the one
# binary is extracted to /usr/local/bin: installing the package would also start a Prometheus
# server from its postinst.
if ! command -v promtool >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-deps: extracting promtool from Debian's prometheus package" >&2
  tmp=$(mktemp -d)
  (cd "$tmp" && { apt-get download -qq prometheus >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get download -qq prometheus >/dev/null 2>&1; }; } &&
    dpkg -x prometheus_*.deb x && install -m 0755 x/usr/bin/promtool /usr/local/bin/promtool) ||
    echo "ensure-deps: could not get promtool; the /metrics format test will skip" >&2
  rm -rf "$tmp"
fi

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v tc >/dev/null 2>&1 || need+=(iproute2)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
# Self-signed certificates for the hub's TLS tests, made at test time.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The lab's firewall and conntrack faults (nft rules in a router namespace, conntrack -S).
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
# The OVS lab (`lab up --ovs`) and its tests: a private ovsdb-server + ovs-vswitchd (userspace
# datapath); ethtool turns off the veths' checksum offload that OVS's userspace path cannot finish.
command -v ovs-vswitchd >/dev/null 2>&1 || [ -x /usr/sbin/ovs-vswitchd ] || need+=(openvswitch-switch)
command -v ethtool >/dev/null 2>&1 || [ -x /usr/sbin/ethtool ] || need+=(ethtool)
# The fleet tests' 3-node JetStream cluster (apps/hub/test/fleet.int.test.ts, bench:fleet). The
# tests start their own servers by pid; the package's systemd unit is not needed (and stays
# stopped where systemd does not run). Debian's 2.9.10 is fine for tests, not for production.
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-deps: missing ${need[*]}; not root or no apt-get, so tests that need them will skip" >&2
  exit 0
fi
echo "ensure-deps: installing ${need[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
# openvswitch-switch's postinst starts the system OVS (invoke-rc.d, or systemd where it runs):
# tests must never meet a host OVS they did not start. A policy-rc.d that refuses every start
# (exit 101) stops invoke-rc.d for the length of the install; where the machine had one, it is
# kept as it was. Under systemd the unit is masked before the install for the same reason.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && own_policy=1
fi
if [ -d /run/systemd/system ] && [[ " ${need[*]} " == *" openvswitch-switch "* ]]; then
  systemctl mask --runtime openvswitch-switch.service ovsdb-server.service ovs-vswitchd.service >/dev/null 2>&1 || true
fi
trap 'if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi' EXIT
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

#!/usr/bin/env bash
# Installs what the tests need from Debian, idempotently: Chromium for Playwright (it cannot
# download its own browser here), iproute2 for the lab, ping and iperf3 for traffic, openssl for
# the TLS tests' certificates, nftables and conntrack for the lab's firewall and conntrack
# faults. Does nothing when everything is present; says why and goes on when it cannot install
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
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

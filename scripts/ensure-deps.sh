#!/usr/bin/env bash
# Installs what the tests need from Debian, idempotently: Chromium for Playwright (it cannot
# download its own browser here), iproute2 for the lab, ping and iperf3 for traffic. Does nothing
# when everything is present; says why and goes on when it cannot install (not root, no apt).
set -euo pipefail

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v tc >/dev/null 2>&1 || need+=(iproute2)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)

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

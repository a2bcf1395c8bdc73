#!/usr/bin/env bash
# Installs what ccbench needs on Debian 12, and nothing that is already
# there: ClickHouse (server and client), Prometheus with promtool,
# Alertmanager with amtool, Chromium (the HTML report's browser test) and
# ZooKeeper (the cluster tests), all from Debian's packages; and checks for
# Go.
# Run as root (or with sudo available).
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

packages=()
have clickhouse-server || packages+=(clickhouse-server)
have clickhouse-client || packages+=(clickhouse-client)
{ have prometheus && have promtool; } || packages+=(prometheus)
{ { have alertmanager || have prometheus-alertmanager; } && have amtool; } || packages+=(prometheus-alertmanager)
have chromium || packages+=(chromium)
# ZooKeeper for the cluster tests (it brings a Java runtime).
{ [ -f /usr/share/java/zookeeper.jar ] && have java; } || packages+=(zookeeper)

if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: run as root to install: ${packages[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "setup: installing ${packages[*]}"
  $sudo apt-get update -q
  # Debian's packages try to start their services; ccbench starts its own
  # private instances, so tell invoke-rc.d not to.
  policy=/usr/sbin/policy-rc.d
  created_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    created_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${packages[@]}"
  [ -n "$created_policy" ] && $sudo rm -f "$policy"
fi

# Go: the machine's toolchain (Debian's golang-go is too old for the
# module's dependencies, which need Go 1.26). A newer toolchain named in
# go.mod is fetched through the Go module proxy when GOTOOLCHAIN allows it.
if [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "setup: Go is not installed: install Go 1.26 or newer (https://go.dev/doc/install) into /usr/local/go" >&2
  exit 1
fi

#!/usr/bin/env bash
# Quick start, the main job: installs what is missing, builds ccbench and
# runs the local demo stack (Ctrl-C stops it). Extra arguments go to
# `ccbench demo`, e.g. --data-dir /tmp/ccbench-data.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/setup.sh
mkdir -p bin
go build -o bin/ccbench ./cmd/ccbench
exec bin/ccbench demo --config deploy/ccbench.yaml "$@"

#!/usr/bin/env bash
# Quick start, the main job: installs what is missing, builds ccbench and
# runs the local demo stack (Ctrl-C stops it). Extra arguments go to
# `ccbench demo`, e.g. --storage.path /tmp/ccbench-data.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/setup.sh
mkdir -p bin
go build -ldflags "$(deploy/ldflags.sh)" -o bin/ccbench ./cmd/ccbench
exec bin/ccbench demo --config.file deploy/ccbench.yaml "$@"

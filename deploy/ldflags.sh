#!/usr/bin/env bash
# Prints the -ldflags that stamp ccbench's build information into
# github.com/prometheus/common/version: `ccbench --version` and the
# ccbench_build_info metric show them. CCBENCH_VERSION, CCBENCH_REVISION and
# CCBENCH_BRANCH override what git says (the Docker build passes them).
set -euo pipefail
cd "$(dirname "$0")/.."
git_or() { git "$@" 2>/dev/null || true; }
version=${CCBENCH_VERSION:-$(git_or describe --tags --always --dirty)}
revision=${CCBENCH_REVISION:-$(git_or rev-parse HEAD)}
branch=${CCBENCH_BRANCH:-$(git_or rev-parse --abbrev-ref HEAD)}
pkg=github.com/prometheus/common/version
echo "-X $pkg.Version=${version:-dev} -X $pkg.Revision=${revision:-unknown} -X $pkg.Branch=${branch:-unknown}" \
  "-X $pkg.BuildUser=${USER:-$(id -un)}@$(hostname) -X $pkg.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"

#!/usr/bin/env bash
# Quick start, the tests: installs what is missing and runs the whole test
# suite, integration tests against real ClickHouse and Prometheus servers
# included (none is skipped), then the integration tests again on a
# 2-shard × 2-replica ClickHouse cluster with ZooKeeper, plus a short run of
# every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/setup.sh

echo "== gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" $unformatted >&2
  exit 1
fi
go vet ./...

echo "== go test"
go test -count=1 -timeout 30m -ldflags "$(deploy/ldflags.sh)" ./...

echo "== go test on a ClickHouse cluster (2 shards × 2 replicas): the packages whose tests take their store from servertest.NewStore"
cluster_pkgs=$(grep -rl --include='*_test.go' 'servertest.NewStore' . | xargs -n1 dirname | sort -u)
CCBENCH_TEST_CLUSTER=1 go test -count=1 -timeout 30m $cluster_pkgs

echo "== fuzz targets (brief; run longer by hand with -fuzztime)"
# A count, not a duration: Go 1.26's fuzz coordinator can fail a target with
# "context deadline exceeded" when a -fuzztime duration ends while a worker is
# mid-call (golang/go#75804, fixed in Go 1.27). A count has no deadline to race.
fuzztime="${CCBENCH_FUZZTIME:-30000x}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "-- $pkg $target"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  done
done

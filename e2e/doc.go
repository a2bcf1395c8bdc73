// Package e2e holds ccbench's end-to-end tests: contact records written to a
// real ClickHouse, KPIs computed by the real exporter from the store,
// scraped by a real Prometheus, and queried the way the generated Grafana
// dashboards query them. It has no non-test code.
//
// The tests start ClickHouse and Prometheus as child processes on loopback
// ports (see package servers/servertest); they fail when a server binary is
// missing and are skipped under `go test -short`.
package e2e

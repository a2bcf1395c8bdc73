package main

// Temporary: pins the module's dependencies until the commands use them.
import (
	_ "github.com/ClickHouse/clickhouse-go/v2"
	_ "github.com/cenkalti/backoff/v4"
	_ "github.com/grafana/grafana-foundation-sdk/go/dashboard"
	_ "github.com/prometheus/client_golang/api/prometheus/v1"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/rickar/cal/v2"
	_ "github.com/rickar/cal/v2/lt"
	_ "github.com/rickar/cal/v2/nl"
	_ "github.com/urfave/cli/v2"
	_ "gopkg.in/yaml.v3"
)

func main() {}

package exporter

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ccbench/ccbench/web"
)

// Handler serves /metrics from the exporter's own registry, the
// exporter-toolkit landing page on /, /-/healthy (always 200 while the
// process runs) and /-/ready (200 once a refresh has succeeded in at least
// one part, 503 before). TLS and authentication are the web package's.
func (e *Exporter) Handler() http.Handler {
	h, err := web.Handler(promhttp.InstrumentMetricHandler(e.registry, e.metricsHandler()), web.Page{
		Name:        "ccbench exporter",
		Description: "Contact-centre KPIs of the configured institutions, with their targets and the freshness of the data.",
		Version:     e.version,
		Ready:       e.Ready,
		NotReady:    "no refresh has succeeded in any part yet.",
	})
	if err != nil {
		// The landing page is built from constants: it cannot fail.
		panic(err)
	}
	return h
}

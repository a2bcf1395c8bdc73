package exporter

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ccbench/ccbench/web"
)

// Handler serves /metrics from the exporter's own registry, the
// exporter-toolkit landing page on /, /-/healthy (always 200 while the
// process runs) and /-/ready (200 once a refresh has succeeded in at least
// one part, 503 before). TLS and authentication are the web package's.
func (e *Exporter) Handler() http.Handler {
	metrics := promhttp.HandlerFor(e.registry, promhttp.HandlerOpts{
		ErrorLog:          slogErrorLog{e.logger},
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          e.registry,
		EnableOpenMetrics: true,
	})
	h, err := web.Handler(promhttp.InstrumentMetricHandler(e.registry, metrics), web.Page{
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

// slogErrorLog lets promhttp report errors through slog.
type slogErrorLog struct{ logger *slog.Logger }

func (l slogErrorLog) Println(v ...any) { l.logger.Error("serving metrics", "err", fmt.Sprint(v...)) }

package exporter

import (
	"fmt"
	"html"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves /metrics from the exporter's own registry, a landing page
// on /, /-/healthy (always 200 while the process runs) and /-/ready (200
// once a refresh has succeeded in at least one part, 503 before).
func (e *Exporter) Handler() http.Handler {
	mux := http.NewServeMux()
	metrics := promhttp.HandlerFor(e.registry, promhttp.HandlerOpts{
		ErrorLog:          slogErrorLog{e.logger},
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          e.registry,
		EnableOpenMetrics: true,
	})
	mux.Handle("/metrics", promhttp.InstrumentMetricHandler(e.registry, metrics))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ccbench exporter is healthy.")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !e.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "ccbench exporter is not ready: no refresh has succeeded in any part yet.")
			return
		}
		fmt.Fprintln(w, "ccbench exporter is ready.")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, landingPage, html.EscapeString(e.version))
	})
	return mux
}

const landingPage = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>ccbench exporter</title></head>
<body>
<h1>ccbench exporter</h1>
<p>Contact-centre KPIs of the configured institutions, version %s.</p>
<ul>
<li><a href="metrics">Metrics</a></li>
<li><a href="-/healthy">Health</a></li>
<li><a href="-/ready">Readiness</a></li>
</ul>
</body>
</html>
`

// slogErrorLog lets promhttp report errors through slog.
type slogErrorLog struct{ logger *slog.Logger }

func (l slogErrorLog) Println(v ...any) { l.logger.Error("serving metrics", "err", fmt.Sprint(v...)) }

package config

import (
	"strconv"
	"time"

	"github.com/prometheus/common/model"
)

// WindowLabel renders an exporter window as the value of the `window` label
// the exporter attaches to KPI metrics and the dashboards select on: whole
// days as days ("1d", "7d", "30d", never weeks), anything else the way
// model.Duration prints it ("1h", "90m").
func WindowLabel(w model.Duration) string {
	const day = 24 * time.Hour
	if d := time.Duration(w); d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return w.String()
}

// WindowLabels returns the label values of the configured exporter windows,
// in configuration order.
func (e Exporter) WindowLabels() []string {
	out := make([]string, len(e.Windows))
	for i, w := range e.Windows {
		out[i] = WindowLabel(w)
	}
	return out
}

// SecondsHorizon is how far back from now the rollups keep their
// per-second level (store.Store.SetSecondsHorizon): the longest exporter
// window, whose start is the oldest end of a window that is not a whole
// number of 15-minute buckets, and a day to spare, so that a window read
// while a collector recounts never needs a second the recount no longer
// keeps. Older window ends are counted from the raw versions.
func (e Exporter) SecondsHorizon() time.Duration {
	var longest time.Duration
	for _, w := range e.Windows {
		longest = max(longest, time.Duration(w))
	}
	return longest + 24*time.Hour
}

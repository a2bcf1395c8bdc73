package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ccbench/ccbench/kpi"
)

// WriteJSON writes the report in its stable JSON format.
func WriteJSON(w io.Writer, r *Report) error {
	if r.Comparisons == nil {
		c := *r
		c.Comparisons = []Comparison{}
		r = &c
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as an aligned text table for people.
func WriteTable(w io.Writer, r *Report) error {
	fmt.Fprintf(w, "KPIs from %s to %s (exclusive), by %s, open cases judged as of %s, service level method %s\n\n",
		r.From, r.To, r.By, r.AsOf.Format(time.RFC3339), r.SLMethod)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTITUTION\tUNIT\tCHANNEL\tINSTRUMENT\tKPI\tMETHOD\tPERIOD\tVALUE\tN\t95% CI\tTARGET\tMET\tSOURCE")
	mixed := false
	for _, row := range r.Rows {
		m := "-"
		if row.Method != "" {
			m = string(row.Method)
			if row.KPI == string(kpi.ServiceLevel) && row.Method != r.SLMethod {
				m += " (!)"
				mixed = true
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			row.Institution, orAll(row.Unit), orAll(row.Channel), orAll(row.Instrument), row.KPI, m,
			period(row), value(row.KPI, row.Value), count(row.N), interval(row), value(row.KPI, row.Target), met(row.Met), row.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if mixed {
		fmt.Fprintf(w, "\n(!) service level by another method than %s: the figures are not directly comparable.\n", r.SLMethod)
	}
	return nil
}

func orAll(p *string) string {
	if p == nil {
		return "(all)"
	}
	if *p == "" {
		return "-"
	}
	return *p
}

func period(r Row) string {
	if r.PeriodStart == nil {
		if r.Label != "" {
			return r.Label
		}
		return "-"
	}
	return r.PeriodStart.Format(time.DateOnly) + ".." + r.PeriodEnd.Format(time.DateOnly)
}

func value(id string, v *float64) string {
	if v == nil {
		return "-"
	}
	if d, ok := kpi.Lookup(kpi.ID(id)); ok && d.Unit == kpi.UnitRatio {
		return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

func count(n *float64) string {
	if n == nil {
		return "-"
	}
	s := strconv.FormatFloat(*n, 'f', 0, 64)
	if kpi.SmallSample(*n) {
		s += " (n<30)"
	}
	return s
}

func interval(r Row) string {
	if r.CILow == nil || r.CIHigh == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f-%.1f%%", *r.CILow*100, *r.CIHigh*100)
}

func met(m *bool) string {
	switch {
	case m == nil:
		return "-"
	case *m:
		return "yes"
	}
	return "NO"
}

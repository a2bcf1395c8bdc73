package reportfmt

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ccbench/ccbench/report"
)

// CSVHeader is the header of WriteCSV: the keys of a JSON row, with the
// parameters spread over their own columns.
var CSVHeader = []string{
	"institution", "unit", "channel", "instrument", "kpi", "period_start", "period_end",
	"value", "numerator", "denominator", "n", "ci_low", "ci_high", "target", "met", "source", "label", "method",
	"sl_method", "threshold_s", "short_abandon_s", "long_wait_s", "deadline_days", "params_mixed",
}

// WriteCSV writes one row per figure. Absent values are empty cells;
// params_mixed lists, separated by |, the parameters that differ among the
// parts a roll-up sums.
func WriteCSV(w io.Writer, rep *report.Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range rep.Rows {
		p := r.Params
		if p == nil {
			p = &report.Params{}
		}
		var mixed []string
		for _, m := range p.Mixed {
			mixed = append(mixed, string(m))
		}
		deadline := ""
		if p.DeadlineDays != nil {
			deadline = strconv.Itoa(*p.DeadlineDays)
		}
		rec := []string{
			r.Institution, opt(r.Unit), opt(r.Channel), opt(r.Instrument), r.KPI, csvTime(r.PeriodStart), csvTime(r.PeriodEnd),
			num(r.Value), num(r.Numerator), num(r.Denominator), num(r.N), num(r.CILow), num(r.CIHigh), num(r.Target), boolean(r.Met),
			r.Source, r.Label, string(r.Method),
			string(p.SLMethod), num(p.ThresholdS), num(p.ShortAbandonS), num(p.LongWaitS), deadline, strings.Join(mixed, "|"),
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

func opt(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64) // never exponents: 1234567, not 1.234567e+06
}

func boolean(p *bool) string {
	if p == nil {
		return ""
	}
	return strconv.FormatBool(*p)
}

func csvTime(p *time.Time) string {
	if p == nil {
		return ""
	}
	return p.Format(time.RFC3339)
}

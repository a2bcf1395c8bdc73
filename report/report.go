// Package report computes the KPIs of the catalogue for a window, per
// institution, unit, channel and instrument, with the numerators,
// denominators, sample sizes, confidence intervals and targets behind each
// value. `ccbench compare` prints its rows; every figure comes from the
// store's query layer and the kpi package's arithmetic.
package report

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/store"
)

// Reader is the part of the store a report reads. Build calls it from
// several goroutines at once.
type Reader interface {
	ContactCounts(ctx context.Context, q store.ContactQuery) ([]store.ContactRow, error)
	WrittenCounts(ctx context.Context, q store.WrittenQuery) ([]store.WrittenRow, error)
	FeedbackCounts(ctx context.Context, q store.FeedbackQuery) ([]store.FeedbackRow, error)
	Aggregates(ctx context.Context, institution string, from, to time.Time) ([]records.Aggregate, error)
	Practices(ctx context.Context) ([]records.Practice, error)
	ReportedFigures(ctx context.Context, institutions []string) ([]records.ReportedFigure, error)
}

// Sources of a row's value.
const (
	SourceMeasured = "measured" // computed from collected records or aggregates
	SourceReported = "reported" // from the registers: published figures, practices
)

// Query selects what a report covers.
type Query struct {
	// From and To are local calendar dates (only the date counts), read in
	// each institution's time zone; To is exclusive. With Exact they are
	// instants instead, the same for every institution (the exporter's
	// windows ending now).
	From, To time.Time
	Exact    bool
	By       store.By
	// AsOf is the moment at which open written cases are judged due.
	AsOf         time.Time
	Institutions []string // empty: every configured institution
	KPIs         []kpi.ID // empty: every KPI
	Method       kpi.Method
	// AllMethods makes service_level rows for every method, not only
	// Method (the exporter serves all of them).
	AllMethods bool
	// Raw reads the raw record versions, never the rollups: the same
	// figures, the slow way (benchmarks and tests compare the two).
	Raw bool
	// Progress, when set, is called once per institution whose KPIs were
	// read, from several goroutines at once (a progress bar).
	Progress func()
}

// Row is one KPI value. Pointers are nil where a value is absent; Unit,
// Channel and Instrument are nil on rows that sum over them.
type Row struct {
	Institution string     `json:"institution"`
	Unit        *string    `json:"unit"`
	Channel     *string    `json:"channel"`
	Instrument  *string    `json:"instrument"`
	KPI         string     `json:"kpi"`
	PeriodStart *time.Time `json:"period_start"`
	PeriodEnd   *time.Time `json:"period_end"`
	Value       *float64   `json:"value"`
	Numerator   *float64   `json:"numerator"`
	Denominator *float64   `json:"denominator"`
	N           *float64   `json:"n"`
	CILow       *float64   `json:"ci_low"`
	CIHigh      *float64   `json:"ci_high"`
	Target      *float64   `json:"target"`
	Met         *bool      `json:"met"`
	Source      string     `json:"source"`
	// Label tells apart reported figures published without a period
	// (e.g. "before", "after"); it appears only on such rows.
	Label string `json:"label,omitempty"`
	// Method is the service-level method of a service_level row (the
	// report's sl_method for measured rows), or the method the publisher of
	// a reported figure used ("unknown" when it did not say), so that a
	// comparison across methods shows it; it appears only on such rows.
	Method kpi.Method `json:"method,omitempty"`
	// Params are the parameters the figure was computed with (see
	// Params); null for KPIs that have none.
	Params *Params `json:"params"`
}

// Report is the result of Build: the stable JSON format of `ccbench compare`.
type Report struct {
	From     string     `json:"from"`
	To       string     `json:"to"`
	By       store.By   `json:"by"`
	AsOf     time.Time  `json:"as_of"`
	SLMethod kpi.Method `json:"sl_method"`
	Rows     []Row      `json:"rows"`
	// Comparisons are the pairwise tests of institutions on share KPIs
	// (see Compare); `ccbench compare` fills them in.
	Comparisons []Comparison `json:"comparisons"`
}

// Build computes the report for q.
func Build(ctx context.Context, cfg *config.Config, r Reader, q Query) (*Report, error) {
	if !q.To.After(q.From) {
		return nil, fmt.Errorf("empty window: --to %s is not after --from %s", q.To.Format(time.DateOnly), q.From.Format(time.DateOnly))
	}
	q = withDefaults(cfg, q)
	if err := validate(q); err != nil {
		return nil, err
	}
	insts, err := institutions(cfg, q.Institutions)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		From: q.From.Format(time.DateOnly), To: q.To.Format(time.DateOnly),
		By: q.By, AsOf: q.AsOf.UTC(), SLMethod: q.Method, Rows: []Row{},
	}
	practices, err := r.Practices(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(insts))
	for i, in := range insts {
		ids[i] = in.ID
	}
	reported, err := r.ReportedFigures(ctx, ids)
	if err != nil {
		return nil, err
	}
	builders, err := buildInstitutions(ctx, cfg, readWrittenAhead(ctx, cfg, r, q, insts), q, insts)
	if err != nil {
		return nil, err
	}
	for _, b := range builders {
		b.practiceRows(practices)
		b.reportedRows(reported)
		rep.Rows = append(rep.Rows, b.rows...)
	}
	rep.Rows = filterKPIs(rep.Rows, q.KPIs)
	sortRows(rep.Rows)
	attachParams(cfg, rep.Rows)
	return rep, nil
}

// institutionConcurrency bounds the institutions whose KPIs are read from
// the store at the same time: their queries wait on ClickHouse, not on the
// CPU of this process.
const institutionConcurrency = 4

// buildInstitutions reads the KPIs of every institution, a few at a time,
// and returns their builders in the order of insts.
func buildInstitutions(ctx context.Context, cfg *config.Config, r Reader, q Query, insts []config.Institution) ([]*builder, error) {
	out := make([]*builder, len(insts))
	errs := make([]error, len(insts))
	sem := make(chan struct{}, institutionConcurrency)
	var wg sync.WaitGroup
	for i, in := range insts {
		b := newBuilder(cfg, r, q, in)
		out[i] = b
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := b.build(ctx); err != nil {
				errs[i] = fmt.Errorf("%s: %w", in.ID, err)
			}
			if q.Progress != nil {
				q.Progress()
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// withDefaults fills in the fields of q that Build defaults.
func withDefaults(cfg *config.Config, q Query) Query {
	if q.By == "" {
		q.By = store.ByTotal
	}
	if q.Method == "" {
		q.Method = kpi.Method(cfg.Exporter.SLMethod)
	}
	if q.AsOf.IsZero() {
		q.AsOf = time.Now()
	}
	return q
}

// Queries returns the store queries Build makes for institution in: its
// contact, written-case and feedback counts. A reader that serves many
// reports (the exporter's) reads them ahead, for every institution at once.
func Queries(cfg *config.Config, q Query, in config.Institution) (store.ContactQuery, store.WrittenQuery, store.FeedbackQuery) {
	return newBuilder(cfg, nil, withDefaults(cfg, q), in).queries()
}

// validate checks the parts of q that would otherwise silently select
// nothing.
func validate(q Query) error {
	switch q.By {
	case store.ByTotal, store.ByDay, store.ByWeek, store.ByMonth:
	default:
		return fmt.Errorf("unknown period grouping %q (want total, day, week or month)", q.By)
	}
	if _, err := kpi.ParseMethod(string(q.Method)); err != nil {
		return err
	}
	for _, id := range q.KPIs {
		if _, err := kpi.ParseID(string(id)); err != nil {
			return err
		}
	}
	return nil
}

func institutions(cfg *config.Config, want []string) ([]config.Institution, error) {
	if len(want) == 0 {
		return cfg.Institutions, nil
	}
	out := make([]config.Institution, 0, len(want))
	for _, id := range want {
		in, ok := cfg.Institution(id)
		if !ok {
			return nil, fmt.Errorf("unknown institution %q (configured in %s: %s)", id, cfg.Path(), institutionIDs(cfg))
		}
		out = append(out, in)
	}
	return out, nil
}

func institutionIDs(cfg *config.Config) string {
	s := ""
	for i, in := range cfg.Institutions {
		if i > 0 {
			s += ", "
		}
		s += in.ID
	}
	return s
}

// localMidnight is the start of date d's calendar day in loc.
func localMidnight(d time.Time, loc *time.Location) time.Time {
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, loc)
}

func filterKPIs(rows []Row, ids []kpi.ID) []Row {
	if len(ids) == 0 {
		return rows
	}
	keep := map[string]bool{}
	for _, id := range ids {
		keep[string(id)] = true
	}
	out := rows[:0]
	for _, r := range rows {
		if keep[r.KPI] {
			out = append(out, r)
		}
	}
	return out
}

func sortRows(rows []Row) {
	order := map[string]int{}
	for i, d := range kpi.Catalogue() {
		order[string(d.ID)] = i
	}
	str := func(p *string) string {
		if p == nil {
			return "\xff" // roll-ups after their parts
		}
		return *p
	}
	tm := func(p *time.Time) int64 {
		if p == nil {
			return 0
		}
		return p.Unix()
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch {
		case a.Institution != b.Institution:
			return a.Institution < b.Institution
		case a.KPI != b.KPI:
			oa, okA := order[a.KPI]
			ob, okB := order[b.KPI]
			if okA != okB {
				return okA
			}
			if oa != ob {
				return oa < ob
			}
			return a.KPI < b.KPI
		case a.Source != b.Source:
			return a.Source == SourceMeasured
		case str(a.Unit) != str(b.Unit):
			return str(a.Unit) < str(b.Unit)
		case str(a.Channel) != str(b.Channel):
			return str(a.Channel) < str(b.Channel)
		case str(a.Instrument) != str(b.Instrument):
			return str(a.Instrument) < str(b.Instrument)
		}
		return tm(a.PeriodStart) < tm(b.PeriodStart)
	})
}

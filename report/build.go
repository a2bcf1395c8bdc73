package report

import (
	"context"
	"strconv"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/store"
)

// builder computes the rows of one institution.
type builder struct {
	cfg      *config.Config
	r        Reader
	q        Query
	in       config.Institution
	from, to time.Time // the window in the institution's zone
	rows     []Row
}

// group identifies the breakdown a row is for; a nil field sums over it.
type group struct {
	unit, channel, instrument *string
	period                    time.Time
}

func (g group) key() string {
	s := g.period.Format(time.RFC3339)
	for _, p := range []*string{g.unit, g.channel, g.instrument} {
		if p == nil {
			s += "|\x00"
		} else {
			s += "|" + *p
		}
	}
	return s
}

// groupSums holds one sum of type S per report group, in the order the
// groups first appeared: sums[i] is the sum of groups[i]. The zero value
// is empty and ready.
type groupSums[S any] struct {
	groups []group
	sums   []*S
	index  map[string]int // group key → position
}

// of returns the sum of g, a zero S on first sight.
func (s *groupSums[S]) of(g group) *S {
	k := g.key()
	if i, ok := s.index[k]; ok {
		return s.sums[i]
	}
	if s.index == nil {
		s.index = map[string]int{}
	}
	s.index[k] = len(s.groups)
	s.groups = append(s.groups, g)
	s.sums = append(s.sums, new(S))
	return s.sums[len(s.sums)-1]
}

// levels returns a row's own group and the roll-ups it contributes to:
// summed over units, then over units and channels. A dimension is a real
// value or nil (summed over), never empty: counts whose unit or channel is
// unknown ("") go only to the roll-ups that sum over it.
func levels(unit, channel string, period time.Time) []group {
	var out []group
	if unit != "" && channel != "" {
		out = append(out, group{unit: ptr(unit), channel: ptr(channel), period: period})
	}
	if channel != "" {
		out = append(out, group{channel: ptr(channel), period: period})
	}
	return append(out, group{period: period})
}

func ptr[T any](v T) *T { return &v }

// newBuilder returns the builder of institution in's rows of q (whose
// defaults are set).
func newBuilder(cfg *config.Config, r Reader, q Query, in config.Institution) *builder {
	b := &builder{cfg: cfg, r: r, q: q, in: in}
	// Exact windows are instants; read them in the institution's zone,
	// where local days (and the days of aggregates) are counted.
	b.from, b.to = q.From.In(in.Location()), q.To.In(in.Location())
	if !q.Exact {
		b.from, b.to = localMidnight(q.From, in.Location()), localMidnight(q.To, in.Location())
	}
	return b
}

// queries returns the store queries of the institution's counts.
func (b *builder) queries() (store.ContactQuery, store.WrittenQuery, store.FeedbackQuery) {
	params := func(unit, channel string) kpi.Params { return b.cfg.Params(b.in.ID, unit, channel) }
	loc := b.in.Location()
	return store.ContactQuery{Institution: b.in.ID, Location: loc, From: b.from, To: b.to, By: b.q.By, Params: params, Raw: b.q.Raw},
		store.WrittenQuery{Institution: b.in.ID, Location: loc, Calendar: b.in.Calendar,
			From: b.from, To: b.to, By: b.q.By, AsOf: b.q.AsOf, Params: params, Raw: b.q.Raw},
		store.FeedbackQuery{Institution: b.in.ID, Location: loc, From: b.from, To: b.to, By: b.q.By, Raw: b.q.Raw}
}

func (b *builder) build(ctx context.Context) error {
	cq, wq, fq := b.queries()
	contacts, err := b.r.ContactCounts(ctx, cq)
	if err != nil {
		return err
	}
	b.contactRows(contacts)

	written, err := b.r.WrittenCounts(ctx, wq)
	if err != nil {
		return err
	}
	b.writtenRows(written)

	feedback, err := b.r.FeedbackCounts(ctx, fq)
	if err != nil {
		return err
	}
	b.feedbackRows(feedback)

	aggs, err := b.r.Aggregates(ctx, b.in.ID, b.from, b.to)
	if err != nil {
		return err
	}
	b.aggregateRows(aggs)
	return nil
}

// periodStart maps a store row's period to the report's (From for totals).
// A period that starts before the window (a month when the window starts
// mid-month, a day when an exact window starts mid-day) starts at From, as
// in periods.
func (b *builder) periodStart(t time.Time) time.Time {
	if b.q.By == store.ByTotal || t.IsZero() || t.Before(b.from) {
		return b.from
	}
	return t.In(b.in.Location())
}

// periodEnd is the end of the period that starts at start, clipped to the
// window.
func (b *builder) periodEnd(start time.Time) time.Time {
	var end time.Time
	switch b.q.By {
	case store.ByDay:
		end = time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, b.in.Location())
	case store.ByWeek:
		// The Monday after start (a week cut by the window's start still
		// ends on a Monday).
		days := (8 - int(start.Weekday())) % 7
		if days == 0 {
			days = 7
		}
		end = time.Date(start.Year(), start.Month(), start.Day()+days, 0, 0, 0, 0, b.in.Location())
	case store.ByMonth:
		end = time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, b.in.Location())
	default:
		return b.to
	}
	if end.After(b.to) {
		return b.to
	}
	return end
}

// periods lists the report's periods (for aggregates, which the store does
// not break down).
func (b *builder) periods() []time.Time {
	if b.q.By == store.ByTotal {
		return []time.Time{b.from}
	}
	var out []time.Time
	// The first month may start mid-month; periodEnd always ends it on the
	// 1st of the next.
	for p := b.from; p.Before(b.to); p = b.periodEnd(p) {
		out = append(out, p)
	}
	return out
}

// add appends a row for value v of group g.
func (b *builder) add(g group, v kpi.Value, source string) {
	if !v.Valid {
		return
	}
	start, end := g.period, b.periodEnd(g.period)
	row := Row{
		Institution: b.in.ID, Unit: g.unit, Channel: g.channel, Instrument: g.instrument,
		KPI: string(v.KPI), PeriodStart: &start, PeriodEnd: &end,
		Value: ptr(v.Value), Numerator: ptr(v.Numerator), Denominator: ptr(v.Denominator),
		Source: source, Method: v.Method,
	}
	if kpi.MustLookup(v.KPI).Sampled {
		ci := kpi.Wilson(v.Numerator, v.Denominator, kpi.Z95)
		row.N = ptr(v.Denominator)
		if ci.OK {
			row.CILow, row.CIHigh = ptr(ci.Low), ptr(ci.High)
		}
	}
	b.rows = append(b.rows, b.withTarget(row))
}

func (b *builder) withTarget(row Row) Row {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	t, ok := b.cfg.TargetFor(kpi.ID(row.KPI), row.Institution, str(row.Unit), str(row.Channel), str(row.Instrument))
	if !ok || row.Value == nil {
		return row
	}
	row.Target = ptr(t.Value)
	row.Met = ptr(t.TargetDirection().Met(*row.Value, t.Value))
	return row
}

func (b *builder) contactRows(rows []store.ContactRow) {
	// Each KPI sums the channels of its scope (kpi.Definition.Scope): the
	// wait and handling KPIs the real-time channels, contacts_offered every
	// channel. Measures a channel lacks are absent from its counts, so a
	// roll-up adds only the channels that carry them.
	var sums groupSums[struct {
		realTime, all kpi.ContactCounts
		hasRealTime   bool
	}]
	for _, r := range rows {
		for _, g := range levels(r.Unit, r.Channel, b.periodStart(r.PeriodStart)) {
			a := sums.of(g)
			a.all = a.all.Add(r.Counts)
			if records.IsRealTime(r.Channel) {
				a.realTime = a.realTime.Add(r.Counts)
				a.hasRealTime = true
			}
		}
	}
	for i, g := range sums.groups {
		a := sums.sums[i]
		if a.hasRealTime {
			for _, v := range a.realTime.Values() {
				if kpi.MustLookup(v.KPI).Scope == kpi.ScopeRealTime && b.wantMethod(v) {
					b.add(g, v, SourceMeasured)
				}
			}
		}
		for _, v := range a.all.Values() {
			if kpi.MustLookup(v.KPI).Scope == kpi.ScopeAllChannels {
				b.add(g, v, SourceMeasured)
			}
		}
	}
}

// wantMethod reports whether a value belongs in the report: a value of a
// per-method KPI only by the report's method, unless every method is
// wanted.
func (b *builder) wantMethod(v kpi.Value) bool {
	return !kpi.MustLookup(v.KPI).PerMethod || v.Method == b.q.Method || b.q.AllMethods
}

func (b *builder) writtenRows(rows []store.WrittenRow) {
	var sums groupSums[kpi.WrittenCounts]
	for _, r := range rows {
		for _, g := range levels(r.Unit, r.Channel, b.periodStart(r.PeriodStart)) {
			c := sums.of(g)
			*c = c.Add(r.Counts)
		}
	}
	for i, g := range sums.groups {
		b.add(g, sums.sums[i].DeadlineMetRate(), SourceMeasured)
		b.add(g, sums.sums[i].CorrectionRate(), SourceMeasured)
	}
}

func (b *builder) feedbackRows(rows []store.FeedbackRow) {
	var sums groupSums[kpi.FeedbackCounts]
	for _, r := range rows {
		p := b.periodStart(r.PeriodStart)
		for _, g := range levels(r.Unit, r.Channel, p) {
			g.instrument = ptr(r.Instrument)
			c := sums.of(g)
			*c = c.Add(r.Counts)
		}
	}
	for i, g := range sums.groups {
		b.add(g, sums.sums[i].ShareOf(kpi.ShareKPI(*g.instrument)), SourceMeasured)
	}
}

// aggregateRows computes the KPIs of aggregate-only figures (IND-style
// periods, VMI-style seminars). An aggregate period belongs whole to every
// report period it overlaps.
func (b *builder) aggregateRows(aggs []records.Aggregate) {
	for _, p := range b.periods() {
		end := b.periodEnd(p)
		pStart, pEnd := dateOnly(p), dateOnly(end)
		if !end.Equal(time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, end.Location())) {
			pEnd = pEnd.AddDate(0, 0, 1)
		}
		var in []records.Aggregate
		for _, a := range aggs {
			if a.PeriodStart.Before(pEnd) && a.PeriodEnd.After(pStart) {
				in = append(in, a)
			}
		}
		b.aggregatePeriod(p, in)
	}
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// aggregateSums are the sums of one report period's aggregate rows, read
// in the records.Agg* vocabulary, per unit.
type aggregateSums struct {
	units      []string
	decisions  map[string]*kpi.DecisionCounts
	phone      map[string]map[string]float64 // unit → metric → sum
	phoneDays  map[string]map[string]float64 // unit → batch → days, so a batch counts once
	shares     groupSums[kpi.FeedbackCounts] // (unit, instrument) and (instrument)
	thresholdS []float64                     // the phone blocks' own thresholds T (params.go)
}

func (s *aggregateSums) unit(u string) {
	if _, ok := s.phone[u]; ok {
		return
	}
	s.units = append(s.units, u)
	s.phone[u] = map[string]float64{}
	s.phoneDays[u] = map[string]float64{}
}

// add adds one aggregate row to the sums; rows outside the vocabulary
// (appointments, parameters) are left out.
func (s *aggregateSums) add(a records.Aggregate, p time.Time) {
	if a.Metric == records.AggRevision {
		return
	}
	s.unit(a.Unit)
	switch {
	case a.Instrument == "" && a.Channel == "" && records.IsDecisionMetric(a.Metric):
		d, ok := s.decisions[a.Unit]
		if !ok {
			d = &kpi.DecisionCounts{}
			s.decisions[a.Unit] = d
		}
		switch a.Metric {
		case records.AggDecided:
			d.Decided += a.Value
		case records.AggWithinDeadline:
			d.WithinDeadline += a.Value
		case records.AggPenaltiesPaid:
			d.PenaltiesPaid += a.Value
		case records.AggPenaltiesEUR:
			d.PenaltiesEUR += a.Value
		}
	case a.Instrument == "" && a.Channel == records.ChannelPhone:
		if a.Metric != records.AggThresholdS {
			s.phone[a.Unit][a.Metric] += a.Value
		} else {
			s.thresholdS = append(s.thresholdS, a.Value)
		}
		s.phoneDays[a.Unit][a.Source+"/"+a.Batch] = a.PeriodEnd.Sub(a.PeriodStart).Hours() / 24
	case a.Instrument != "":
		var c kpi.FeedbackCounts
		switch a.Metric {
		case records.AggResponses:
			c.Responses = a.Value
		case records.AggFavourable, records.AggWouldRecommend:
			c.Favourable = a.Value
		case records.AggYesVotes:
			c.Responses, c.Favourable = a.Value, a.Value
		case records.AggNoVotes:
			c.Responses = a.Value
		default:
			return
		}
		groups := []group{{instrument: ptr(a.Instrument), period: p}}
		if a.Unit != "" {
			groups = append(groups, group{unit: ptr(a.Unit), instrument: ptr(a.Instrument), period: p})
		}
		for _, g := range groups {
			sum := s.shares.of(g)
			*sum = sum.Add(c)
		}
	}
}

func (b *builder) aggregatePeriod(p time.Time, aggs []records.Aggregate) {
	s := &aggregateSums{decisions: map[string]*kpi.DecisionCounts{}, phone: map[string]map[string]float64{}, phoneDays: map[string]map[string]float64{}}
	for _, a := range aggs {
		s.add(a, p)
	}
	// Each figure gets a row per unit and a row summed over the units (and,
	// for the phone block, over the channels), as contact rows do.
	var totalDec kpi.DecisionCounts
	var totalPhone kpi.ContactCounts
	hasDec, hasPhone := false, false
	for _, unit := range s.units {
		if d, ok := s.decisions[unit]; ok {
			hasDec = true
			totalDec = totalDec.Add(*d)
			if unit != "" { // a unit's own rows; the institution's total follows
				for _, v := range d.Values() {
					b.add(group{unit: ptr(unit), period: p}, v, SourceMeasured)
				}
			}
		}
		if phone := s.phone[unit]; len(phone) > 0 {
			hasPhone = true
			c := kpi.PhoneAggregateCounts(phone[records.AggOffered], phone[records.AggAnswered],
				phone[records.AggAnsweredWithinThreshold], phone[records.AggShortAbandoned], phone[records.AggWaitSSum])
			for _, d := range s.phoneDays[unit] {
				c.Days += d
			}
			totalPhone = totalPhone.Add(c)
			if unit != "" {
				b.addPhoneBlock(group{unit: ptr(unit), channel: ptr(records.ChannelPhone), period: p}, c, s.thresholdS)
			}
		}
	}
	if hasDec {
		for _, v := range totalDec.Values() {
			b.add(group{period: p}, v, SourceMeasured)
		}
	}
	if hasPhone {
		b.addPhoneBlock(group{channel: ptr(records.ChannelPhone), period: p}, totalPhone, s.thresholdS)
		b.addPhoneBlock(group{period: p}, totalPhone, s.thresholdS)
	}
	for i, g := range s.shares.groups {
		b.add(g, s.shares.sums[i].ShareOf(kpi.ShareKPI(*g.instrument)), SourceMeasured)
	}
}

// addPhoneBlock adds the KPIs an IND-style phone block supports for group
// g. The block's service level is the `negative` method's, so it is left
// out of a report by another method (unless every method is wanted).
func (b *builder) addPhoneBlock(g group, c kpi.ContactCounts, thresholdS []float64) {
	for _, v := range kpi.PhoneAggregateValues(c) {
		if b.wantMethod(v) {
			n := len(b.rows)
			b.add(g, v, SourceMeasured)
			b.blockParams(b.rows[n:], thresholdS)
		}
	}
}

// practiceRows adds the institution's practice_score from the register.
func (b *builder) practiceRows(ps []records.Practice) {
	for _, p := range ps {
		if p.Institution != b.in.ID {
			continue
		}
		_, _, v := kpi.ScorePractices(kpi.PracticeProfile{Channels: p.Channels, Languages: p.Languages, FeedbackMechanisms: p.FeedbackMechanisms, Practices: p.Practices})
		row := Row{Institution: b.in.ID, KPI: string(kpi.PracticeScore), Source: SourceReported}
		if v.Valid {
			row.Value, row.Numerator, row.Denominator = ptr(v.Value), ptr(v.Numerator), ptr(v.Denominator)
		}
		b.rows = append(b.rows, b.withTarget(row))
	}
}

// reportedRows adds the published figures whose period overlaps the window,
// and those published without a period.
func (b *builder) reportedRows(fs []records.ReportedFigure) {
	for _, f := range fs {
		if f.Institution != b.in.ID {
			continue
		}
		row := Row{Institution: b.in.ID, Source: SourceReported, Value: ptr(f.Value), Method: kpi.Method(f.Method), Label: f.Label}
		row.KPI = f.KPI
		if row.KPI == "" {
			row.KPI = f.Metric
		}
		if d, ok := kpi.Lookup(kpi.ID(f.KPI)); ok && d.PerMethod && row.Method == "" {
			row.Method = kpi.MethodUnknown // the publisher did not say
		}
		if f.Unit != "" {
			row.Unit = ptr(f.Unit)
		}
		if f.Channel != "" {
			row.Channel = ptr(f.Channel)
		}
		if f.Instrument != "" {
			row.Instrument = ptr(f.Instrument)
		}
		if f.Period != "" {
			start, end, ok := periodBounds(f.Period, b.in.Location())
			if !ok || !start.Before(b.to) || !end.After(b.from) {
				continue
			}
			row.PeriodStart, row.PeriodEnd = &start, &end
		}
		b.rows = append(b.rows, b.withTarget(row))
	}
}

// periodBounds reads YYYY, YYYY-MM or YYYY-MM-DD as a half-open span of
// local time.
func periodBounds(p string, loc *time.Location) (start, end time.Time, ok bool) {
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch len(p) {
	case 4:
		start = time.Date(atoi(p), 1, 1, 0, 0, 0, 0, loc)
		return start, start.AddDate(1, 0, 0), true
	case 7:
		start = time.Date(atoi(p[:4]), time.Month(atoi(p[5:7])), 1, 0, 0, 0, 0, loc)
		return start, start.AddDate(0, 1, 0), true
	case 10:
		start = time.Date(atoi(p[:4]), time.Month(atoi(p[5:7])), atoi(p[8:10]), 0, 0, 0, 0, loc)
		return start, start.AddDate(0, 0, 1), true
	}
	return time.Time{}, time.Time{}, false
}

package store

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

// Registers named in register_loads.
const (
	registerPractices = "practices"
	registerReported  = "reported_figures"
	registerTargets   = "targets"
)

// calendarRegister is the register_loads name of a working-day calendar.
func calendarRegister(calendar string) string { return "calendar/" + calendar }

// currentGeneration appends a scalar subquery that yields the greatest
// generation recorded for register, or 0 when it was never loaded (no row
// has generation 0).
func currentGeneration(q *query, register string) *query {
	return q.sql("(SELECT max(generation) FROM register_loads WHERE register = ").bind(register).sql(")")
}

// recordLoad records that the rows of generation g are register's current
// content. It is the last step of every load: until it runs, readers keep
// seeing the previous load.
func (s *Store) recordLoad(ctx context.Context, register string, g uint64, rows int) error {
	return s.insertBatch(ctx, "register_loads", "register, generation, rows, loaded_at", 1, func(b driver.Batch) error {
		return b.Append(register, g, uint64(rows), time.Now().UTC())
	})
}

// LoadPractices replaces the practices register with ps: afterwards
// Practices returns exactly ps, sorted by institution. An empty ps empties
// the register. Every row of a load carries the load's generation, which
// is recorded in register_loads once all rows are written, so a load that
// fails half-way leaves the previous register in force. An institution may
// appear only once.
func (s *Store) LoadPractices(ctx context.Context, ps []records.Practice) error {
	seen := make(map[string]int, len(ps))
	for i, p := range ps {
		if p.Institution == "" {
			return fmt.Errorf("load practices: entry %d: field institution is empty", i)
		}
		if j, ok := seen[p.Institution]; ok {
			return fmt.Errorf("load practices: entry %d: institution %s is already entry %d", i, p.Institution, j)
		}
		seen[p.Institution] = i
	}
	g := s.nextVersion()
	now := time.Now().UTC()
	err := s.insertBatch(ctx, "practices",
		"generation, institution, country, websites, languages, channels, feedback_mechanisms, practices, notes, loaded_at",
		len(ps), func(b driver.Batch) error {
			for _, p := range ps {
				if err := b.Append(g, p.Institution, p.Country, nonNil(p.Websites), nonNil(p.Languages), nonNil(p.Channels),
					nonNil(p.FeedbackMechanisms), nonNil(p.Practices), p.Notes, now); err != nil {
					return fmt.Errorf("practices of %s: %w", p.Institution, err)
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("load practices: %w", err)
	}
	if err := s.recordLoad(ctx, registerPractices, g, len(ps)); err != nil {
		return fmt.Errorf("load practices: %w", err)
	}
	return nil
}

// Practices returns the current practices register, sorted by institution;
// empty lists come back as nil.
func (s *Store) Practices(ctx context.Context) ([]records.Practice, error) {
	q := &query{}
	q.sql(`SELECT institution, country, websites, languages, channels, feedback_mechanisms, practices, notes
FROM practices
WHERE generation = `)
	currentGeneration(q, registerPractices).sql(`
ORDER BY institution`)
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("read practices: %w", err)
	}
	defer rows.Close()
	var out []records.Practice
	for rows.Next() {
		var p records.Practice
		if err := rows.Scan(&p.Institution, &p.Country, &p.Websites, &p.Languages, &p.Channels,
			&p.FeedbackMechanisms, &p.Practices, &p.Notes); err != nil {
			return nil, fmt.Errorf("read practices: %w", err)
		}
		p.Websites, p.Languages, p.Channels = nilIfEmpty(p.Websites), nilIfEmpty(p.Languages), nilIfEmpty(p.Channels)
		p.FeedbackMechanisms, p.Practices = nilIfEmpty(p.FeedbackMechanisms), nilIfEmpty(p.Practices)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read practices: %w", err)
	}
	return out, nil
}

// LoadReported replaces the register of reported figures with rs, the same
// way LoadPractices replaces the practices register. An empty rs empties
// it.
func (s *Store) LoadReported(ctx context.Context, rs []records.ReportedFigure) error {
	for i, r := range rs {
		if r.Institution == "" {
			return fmt.Errorf("load reported figures: figure %d: field institution is empty", i)
		}
	}
	g := s.nextVersion()
	now := time.Now().UTC()
	err := s.insertBatch(ctx, "reported_figures",
		"generation, position, institution, unit, channel, instrument, kpi, metric, period, label, value, method, source, note, loaded_at",
		len(rs), func(b driver.Batch) error {
			for i, r := range rs {
				if err := b.Append(g, uint32(i), r.Institution, r.Unit, r.Channel, r.Instrument, r.KPI, r.Metric,
					r.Period, r.Label, r.Value, r.Method, r.Source, r.Note, now); err != nil {
					return fmt.Errorf("reported figure %d of %s: %w", i, r.Institution, err)
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("load reported figures: %w", err)
	}
	if err := s.recordLoad(ctx, registerReported, g, len(rs)); err != nil {
		return fmt.Errorf("load reported figures: %w", err)
	}
	return nil
}

// ReportedFigures returns the current reported figures of the given
// institutions (every institution when institutions is empty), sorted by
// institution and then in the order they were loaded.
func (s *Store) ReportedFigures(ctx context.Context, institutions []string) ([]records.ReportedFigure, error) {
	q := &query{}
	q.sql(`SELECT institution, unit, channel, instrument, kpi, metric, period, label, value, method, source, note
FROM reported_figures
WHERE generation = `)
	currentGeneration(q, registerReported)
	if len(institutions) > 0 {
		q.sql(" AND institution IN (").list(institutions).sql(")")
	}
	q.sql(" ORDER BY institution, position")
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("read reported figures: %w", err)
	}
	defer rows.Close()
	var out []records.ReportedFigure
	for rows.Next() {
		var r records.ReportedFigure
		if err := rows.Scan(&r.Institution, &r.Unit, &r.Channel, &r.Instrument, &r.KPI, &r.Metric, &r.Period, &r.Label,
			&r.Value, &r.Method, &r.Source, &r.Note); err != nil {
			return nil, fmt.Errorf("read reported figures: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read reported figures: %w", err)
	}
	return out, nil
}

// LoadTargets replaces the targets register with ts, the same way
// LoadPractices replaces the practices register. An empty ts empties it.
func (s *Store) LoadTargets(ctx context.Context, ts []records.Target) error {
	for i, t := range ts {
		switch {
		case t.Institution == "":
			return fmt.Errorf("load targets: target %d: field institution is empty", i)
		case t.KPI == "":
			return fmt.Errorf("load targets: target %d of %s: field kpi is empty", i, t.Institution)
		case t.DeadlineDays < 0 || t.DeadlineDays > math.MaxUint16 || t.ComplexDeadlineDays < 0 || t.ComplexDeadlineDays > math.MaxUint16:
			return fmt.Errorf("load targets: target %d of %s: deadline days out of range", i, t.Institution)
		}
	}
	g := s.nextVersion()
	now := time.Now().UTC()
	err := s.insertBatch(ctx, "targets",
		"generation, position, institution, unit, channel, instrument, kpi, value, direction, threshold_s, short_abandon_s, long_wait_s, deadline_days, complex_deadline_days, method, note, loaded_at",
		len(ts), func(b driver.Batch) error {
			for i, t := range ts {
				if err := b.Append(g, uint32(i), t.Institution, t.Unit, t.Channel, t.Instrument, t.KPI, t.Value, t.Direction,
					t.Threshold.Seconds(), t.ShortAbandon.Seconds(), t.LongWait.Seconds(),
					uint16(t.DeadlineDays), uint16(t.ComplexDeadlineDays), t.Method, t.Note, now); err != nil {
					return fmt.Errorf("target %d of %s: %w", i, t.Institution, err)
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("load targets: %w", err)
	}
	if err := s.recordLoad(ctx, registerTargets, g, len(ts)); err != nil {
		return fmt.Errorf("load targets: %w", err)
	}
	return nil
}

// Targets returns the current targets register in the order it was loaded.
func (s *Store) Targets(ctx context.Context) ([]records.Target, error) {
	q := &query{}
	q.sql(`SELECT institution, unit, channel, instrument, kpi, value, direction, threshold_s, short_abandon_s, long_wait_s,
       deadline_days, complex_deadline_days, method, note
FROM targets
WHERE generation = `)
	currentGeneration(q, registerTargets).sql(`
ORDER BY position`)
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("read targets: %w", err)
	}
	defer rows.Close()
	var out []records.Target
	for rows.Next() {
		var (
			t                     records.Target
			thr, short, long      float64
			deadline, complexDays uint16
		)
		if err := rows.Scan(&t.Institution, &t.Unit, &t.Channel, &t.Instrument, &t.KPI, &t.Value, &t.Direction,
			&thr, &short, &long, &deadline, &complexDays, &t.Method, &t.Note); err != nil {
			return nil, fmt.Errorf("read targets: %w", err)
		}
		t.Threshold, t.ShortAbandon, t.LongWait = seconds(thr), seconds(short), seconds(long)
		t.DeadlineDays, t.ComplexDeadlineDays = int(deadline), int(complexDays)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read targets: %w", err)
	}
	return out, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// LoadCalendar replaces every calendar named in days with the given days
// (kpi.Calendar.Days makes them). The days of one calendar must be
// consecutive dates in ascending order, and Seq must grow by one exactly on
// working days, since deadlines are found by subtracting Seqs. Each
// calendar gets its own generation; the days it had before are no longer
// read, whatever range they covered. Loading the same days again is
// harmless.
func (s *Store) LoadCalendar(ctx context.Context, days []kpi.CalendarDay) error {
	if len(days) == 0 {
		return fmt.Errorf("load calendar: no days")
	}
	byCal := map[string][]kpi.CalendarDay{}
	var names []string
	for i, d := range days {
		if d.Calendar == "" {
			return fmt.Errorf("load calendar: day %d (%s): field calendar is empty", i, dateOf(d.Day).Format(time.DateOnly))
		}
		if _, ok := byCal[d.Calendar]; !ok {
			names = append(names, d.Calendar)
		}
		byCal[d.Calendar] = append(byCal[d.Calendar], d)
	}
	sort.Strings(names)
	for _, name := range names {
		ds := byCal[name]
		for i := 1; i < len(ds); i++ {
			prev, cur := dateOf(ds[i-1].Day), dateOf(ds[i].Day)
			if want := prev.AddDate(0, 0, 1); !cur.Equal(want) {
				return fmt.Errorf("load calendar %s: day %s follows %s: field day must be the next date, %s",
					name, cur.Format(time.DateOnly), prev.Format(time.DateOnly), want.Format(time.DateOnly))
			}
			want := ds[i-1].Seq
			if ds[i].Working {
				want++
			}
			if ds[i].Seq != want {
				return fmt.Errorf("load calendar %s: day %s: field seq is %d, want %d (%d on %s, working %v)",
					name, cur.Format(time.DateOnly), ds[i].Seq, want, ds[i-1].Seq, prev.Format(time.DateOnly), ds[i].Working)
			}
		}
		g := s.nextVersion()
		err := s.insertBatch(ctx, "calendar_days", "calendar, generation, day, working, seq", len(ds), func(b driver.Batch) error {
			for _, d := range ds {
				if err := b.Append(name, g, dateOf(d.Day), boolByte(d.Working), d.Seq); err != nil {
					return fmt.Errorf("day %s: %w", dateOf(d.Day).Format(time.DateOnly), err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("load calendar %s: %w", name, err)
		}
		if err := s.recordLoad(ctx, calendarRegister(name), g, len(ds)); err != nil {
			return fmt.Errorf("load calendar %s: %w", name, err)
		}
	}
	return nil
}

// CalendarLoaded reports whether the current load of calendar has every
// date of [from, to), the dates read in each time's own location, so that
// callers can skip loading it again.
func (s *Store) CalendarLoaded(ctx context.Context, calendar string, from, to time.Time) (bool, error) {
	first, end := dateOf(from), dateOf(to)
	if !first.Before(end) {
		return true, nil
	}
	want := uint64(0)
	for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
		want++
	}
	q := &query{}
	q.sql("SELECT uniqExact(day) FROM calendar_days\nWHERE calendar = ").bind(calendar).sql("\n  AND generation = ")
	currentGeneration(q, calendarRegister(calendar)).sql("\n  AND day >= ").date(first).sql(" AND day < ").date(end)
	var n uint64
	if err := s.conn.QueryRow(ctx, q.String(), q.args...).Scan(&n); err != nil {
		return false, fmt.Errorf("check calendar %s for %s to %s: %w", calendar, first.Format(time.DateOnly), end.Format(time.DateOnly), err)
	}
	return n == want, nil
}

// currentCalendar appends a subquery yielding the days of the current load
// of calendar: day, working, seq.
func currentCalendar(q *query, calendar string) *query {
	q.sql("SELECT day, working, seq FROM calendar_days\n    WHERE calendar = ").bind(calendar).sql(" AND generation = ")
	return currentGeneration(q, calendarRegister(calendar)).sql("\n    LIMIT 1 BY day")
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func nilIfEmpty(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return ss
}

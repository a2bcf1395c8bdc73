package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// BenchmarkInsertContacts measures the sink: a collector's batches
// (collectors.BatchRows) in a backfill's time order, rollup upkeep included.
func BenchmarkInsertContacts(b *testing.B) {
	s := servertest.NewStore(b)
	ctx := context.Background()
	if err := s.RebuildRollups(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	const batch = collectors.BatchRows
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := range b.N {
		cs := make([]records.Contact, batch)
		for j := range cs {
			arrived := start.Add(time.Duration(i*batch+j) * 10 * time.Second)
			answered := arrived.Add(time.Duration(j%60000) * time.Millisecond)
			ended := answered.Add(3 * time.Minute)
			cs[j] = records.Contact{Institution: "bench", Source: "bench", ID: fmt.Sprint(i*batch + j), Version: 1, UpdatedAt: ended,
				Unit: "cc", Channel: records.ChannelPhone, ArrivedAt: arrived, AnsweredAt: &answered, EndedAt: &ended,
				Outcome: records.OutcomeAnswered, TalkS: 180, AcwS: 10, Measures: records.MeasureTalk | records.MeasureACW}
		}
		if err := s.InsertContacts(ctx, cs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkPassInsertContacts measures a collector's pass: batches of
// collectors.BatchRows new contacts written through a store.Pass, up to and including
// its Finish, which recounts every bucket they touched. Six batches span
// three weeks, enough for the pass to recount the first ones ahead while it
// writes the last.
func BenchmarkPassInsertContacts(b *testing.B) {
	s := servertest.NewStore(b)
	ctx := context.Background()
	if err := s.RebuildRollups(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	const batch, batches = collectors.BatchRows, 6
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	seq := 0
	b.ResetTimer()
	for range b.N {
		p := s.BeginPass()
		for range batches {
			b.StopTimer()
			cs := make([]records.Contact, batch)
			for j := range cs {
				arrived := start.Add(time.Duration(seq) * 10 * time.Second)
				answered := arrived.Add(time.Duration(j%60000) * time.Millisecond)
				ended := answered.Add(3 * time.Minute)
				cs[j] = records.Contact{Institution: "bench", Source: "bench", ID: fmt.Sprint(seq), Version: 1, UpdatedAt: ended,
					Unit: "cc", Channel: records.ChannelPhone, ArrivedAt: arrived, AnsweredAt: &answered, EndedAt: &ended,
					Outcome: records.OutcomeAnswered, TalkS: 180, AcwS: 10, Measures: records.MeasureTalk | records.MeasureACW}
				seq++
			}
			b.StartTimer()
			if err := p.InsertContacts(ctx, cs); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Finish(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch*batches)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkContactCounts compares the KPI query over 90 days of a
// SODRA-size institution through the rollups and through the raw versions.
func BenchmarkContactCounts(b *testing.B) {
	s := servertest.NewStore(b)
	ctx := context.Background()
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.GenerateSynthetic(ctx, store.Synthetic{Institution: "bench", Source: "synthetic", From: from, Days: 90, PerDay: 9000}); err != nil {
		b.Fatal(err)
	}
	for _, raw := range []bool{false, true} {
		name := "rollups"
		if raw {
			name = "raw"
		}
		b.Run(name, func(b *testing.B) {
			q := store.ContactQuery{Institution: "bench", From: from, To: from.AddDate(0, 0, 90), Raw: raw}
			for range b.N {
				if _, err := s.ContactCounts(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkContactCountsWindows compares the exporter's read of four
// trailing windows (1 h, 1 d, 7 d, 30 d, ending mid-bucket) of 20
// institutions with 35 days each: all institutions in one read per rollup
// level, against one read per institution.
func BenchmarkContactCountsWindows(b *testing.B) {
	s := servertest.NewStore(b)
	ctx := context.Background()
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var qs []store.ContactQuery
	now := from.AddDate(0, 0, 35).Add(-7*time.Hour - 13*time.Minute - 27*time.Second)
	for i := range 20 {
		in := fmt.Sprintf("bench%02d", i)
		if _, err := s.GenerateSynthetic(ctx, store.Synthetic{Institution: in, Source: "synthetic", From: from, Days: 35, PerDay: 9000}); err != nil {
			b.Fatal(err)
		}
		qs = append(qs, store.ContactQuery{Institution: in, To: now})
	}
	var froms []time.Time
	for _, w := range []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour} {
		froms = append(froms, now.Add(-w))
	}
	b.Run("together", func(b *testing.B) {
		for range b.N {
			if _, err := s.ContactCountsWindowsAll(ctx, qs, froms); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("per-institution", func(b *testing.B) {
		for range b.N {
			for _, q := range qs {
				if _, err := s.ContactCountsWindows(ctx, q, froms); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkWrittenCounts compares the written-case query over 90 days of
// two SODRA-size institutions in Vilnius, as of a moment inside the last
// day: from the written rollup, both institutions in one query and one
// query each, and from the written cases themselves.
func BenchmarkWrittenCounts(b *testing.B) {
	s := servertest.NewStore(b)
	ctx := context.Background()
	loc, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		b.Fatal(err)
	}
	s.SetZones(func(string) *time.Location { return loc })
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, loc)
	cal, err := kpi.NewCalendar("LT")
	if err != nil {
		b.Fatal(err)
	}
	if err := s.LoadCalendar(ctx, cal.Days("LT", from.AddDate(0, 0, -7), from.AddDate(0, 4, 0))); err != nil {
		b.Fatal(err)
	}
	var qs []store.WrittenQuery
	for _, in := range []string{"bench0", "bench1"} {
		if _, err := s.GenerateSynthetic(ctx, store.Synthetic{Institution: in, Source: "synthetic", From: from.UTC(), Days: 90, PerDay: 9000}); err != nil {
			b.Fatal(err)
		}
		to := from.AddDate(0, 0, 90)
		qs = append(qs, store.WrittenQuery{Institution: in, Location: loc, Calendar: "LT", From: from, To: to, AsOf: to.Add(-3 * time.Hour)})
	}
	each := func(b *testing.B, raw bool) {
		for range b.N {
			for _, q := range qs {
				q.Raw = raw
				if _, err := s.WrittenCounts(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("rollup-together", func(b *testing.B) {
		for range b.N {
			if _, err := s.WrittenCountsAll(ctx, qs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rollup-each", func(b *testing.B) { each(b, false) })
	b.Run("raw-each", func(b *testing.B) { each(b, true) })
}

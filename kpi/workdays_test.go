package kpi

import (
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the host's zoneinfo
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load time zone %s: %v", name, err)
	}
	return loc
}

func mustCalendar(t *testing.T, country string) *Calendar {
	t.Helper()
	c, err := NewCalendar(country)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestNewCalendar(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"LT", "LT", true}, {"nl", "NL", true}, {" GB ", "GB", true}, {"UK", "GB", true}, {"PL", "PL", true},
		{"DE", "", false}, {"", "", false},
	} {
		c, err := NewCalendar(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("NewCalendar(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && c.Country() != tc.want {
			t.Errorf("NewCalendar(%q).Country() = %q, want %q", tc.in, c.Country(), tc.want)
		}
	}
}

func TestIsWorkingDay(t *testing.T) {
	vilnius := mustLoc(t, "Europe/Vilnius")
	for _, tc := range []struct {
		country string
		day     time.Time
		want    bool
	}{
		{"LT", utc(2024, 3, 28, 12, 0), true},                       // Thursday
		{"LT", utc(2024, 3, 29, 12, 0), true},                       // Good Friday is not a holiday in Lithuania
		{"NL", utc(2024, 3, 29, 12, 0), false},                      // Goede Vrijdag
		{"LT", utc(2024, 4, 1, 12, 0), false},                       // Easter Monday
		{"LT", utc(2024, 3, 30, 12, 0), false},                      // Saturday
		{"LT", utc(2024, 3, 31, 12, 0), false},                      // Sunday
		{"LT", utc(2023, 11, 2, 12, 0), false},                      // All Souls' Day, Thursday
		{"LT", utc(2024, 6, 24, 12, 0), false},                      // Joninės, Monday
		{"LT", utc(2024, 12, 24, 12, 0), false},                     // Christmas Eve, Tuesday
		{"PL", utc(2024, 12, 24, 12, 0), true},                      // not a holiday in Poland (library list)
		{"NL", utc(2023, 4, 27, 12, 0), false},                      // Koningsdag, Thursday
		{"GB", utc(2021, 12, 27, 12, 0), false},                     // Christmas (Saturday) observed on Monday
		{"LT", utc(2024, 12, 23, 23, 30), true},                     // Monday 23 Dec in UTC ...
		{"LT", utc(2024, 12, 23, 23, 30).In(vilnius), false},        // ... is Tuesday 24 Dec 01:30 in Vilnius
		{"LT", time.Date(2024, 12, 27, 0, 0, 0, 0, vilnius), true},  // Friday after Christmas
		{"LT", time.Date(2025, 1, 1, 23, 59, 0, 0, vilnius), false}, // New Year
	} {
		c := mustCalendar(t, tc.country)
		if got := c.IsWorkingDay(tc.day); got != tc.want {
			t.Errorf("%s IsWorkingDay(%s) = %v, want %v", tc.country, tc.day, got, tc.want)
		}
	}
}

func TestDueDayAndDeadline(t *testing.T) {
	vilnius := mustLoc(t, "Europe/Vilnius")
	amsterdam := mustLoc(t, "Europe/Amsterdam")
	london := mustLoc(t, "Europe/London")
	warsaw := mustLoc(t, "Europe/Warsaw")
	for _, tc := range []struct {
		name     string
		country  string
		loc      *time.Location
		received time.Time
		n        int
		due      string    // local date of the n-th working day
		deadline time.Time // local midnight after it, as a UTC instant
	}{
		// Sat 30, Sun 31 Mar, Mon 1 Apr (Easter Monday) are off; Tue 2 = 1,
		// Wed 3 = 2, Thu 4 = 3, Fri 5 = 4, Mon 8 = 5. Tue 9 Apr 00:00 EEST (UTC+3).
		{"LT Friday before Easter Monday", "LT", vilnius,
			time.Date(2024, 3, 29, 10, 0, 0, 0, vilnius), 5, "2024-04-08", utc(2024, 4, 8, 21, 0)},
		// Sat 30 Mar 23:30 EET (UTC+2) = 21:30 UTC; the clocks go forward on Sun 31 Mar.
		// Sun 31, Mon 1 (holiday) off; Tue 2 = 1. Wed 3 Apr 00:00 EEST = 2 Apr 21:00 UTC.
		{"LT received Saturday night before the spring DST change", "LT", vilnius,
			utc(2024, 3, 30, 21, 30), 1, "2024-04-02", utc(2024, 4, 2, 21, 0)},
		// Thu 28 = 1, Fri 29 = 2 (Good Friday works in LT): deadline Sat 30 Mar 00:00 EET = 29 Mar 22:00 UTC.
		{"LT deadline before the DST change", "LT", vilnius,
			time.Date(2024, 3, 27, 9, 0, 0, 0, vilnius), 2, "2024-03-29", utc(2024, 3, 29, 22, 0)},
		// Thu 28 = 1, Fri 29 = 2, Tue 2 Apr = 3: deadline 3 Apr 00:00 EEST = 2 Apr 21:00 UTC
		// (one hour earlier in UTC than the day before the change).
		{"LT deadline after the DST change", "LT", vilnius,
			time.Date(2024, 3, 27, 9, 0, 0, 0, vilnius), 3, "2024-04-02", utc(2024, 4, 2, 21, 0)},
		// Clocks go back on Sun 27 Oct 2024; Mon 28 Oct = 1: Tue 29 Oct 00:00 EET = 28 Oct 22:00 UTC.
		{"LT across the autumn DST change", "LT", vilnius,
			time.Date(2024, 10, 25, 16, 0, 0, 0, vilnius), 1, "2024-10-28", utc(2024, 10, 28, 22, 0)},
		// Tue 2 Apr 23:30 EEST = 20:30 UTC: counts from Tue 2, so Wed 3 = 1.
		{"LT received 23:30 local in summer time", "LT", vilnius,
			utc(2024, 4, 2, 20, 30), 1, "2024-04-03", utc(2024, 4, 3, 21, 0)},
		// Fri 12 Jan 23:30 EET = 21:30 UTC: Mon 15 = 1; Tue 16 Jan 00:00 EET = 15 Jan 22:00 UTC.
		{"LT received Friday 23:30 local in winter", "LT", vilnius,
			utc(2024, 1, 12, 21, 30), 1, "2024-01-15", utc(2024, 1, 15, 22, 0)},
		// Tue 16 Jan 00:30 EET is still Mon 15 Jan 22:30 UTC; counting from the local
		// day (Tue 16) gives Wed 17, counting from the UTC day would give Tue 16.
		{"LT received 00:30 local, the previous day in UTC", "LT", vilnius,
			utc(2024, 1, 15, 22, 30), 1, "2024-01-17", utc(2024, 1, 17, 22, 0)},
		// Tue 24, Wed 25, Thu 26 Dec are holidays: Fri 27 = 1.
		{"LT Christmas", "LT", vilnius,
			time.Date(2024, 12, 23, 14, 0, 0, 0, vilnius), 1, "2024-12-27", utc(2024, 12, 27, 22, 0)},
		// Fri 27 = 1, Mon 30 = 2, Tue 31 = 3, Wed 1 Jan off, Thu 2 = 4, Fri 3 = 5.
		{"LT across the year end", "LT", vilnius,
			time.Date(2024, 12, 23, 14, 0, 0, 0, vilnius), 5, "2025-01-03", utc(2025, 1, 3, 22, 0)},
		// n = 0: the deadline is the end of the day of arrival.
		{"LT zero days", "LT", vilnius,
			time.Date(2024, 12, 23, 14, 0, 0, 0, vilnius), 0, "2024-12-23", utc(2024, 12, 23, 22, 0)},
		// n = 0 on the day the clocks go forward (a 23-hour day): Mon 1 Apr 00:00 EEST
		// = 31 Mar 21:00 UTC, not 24 hours after Sun 31 Mar 00:00 EET (30 Mar 22:00 UTC).
		{"LT zero days on the spring DST day", "LT", vilnius,
			time.Date(2024, 3, 31, 10, 0, 0, 0, vilnius), 0, "2024-03-31", utc(2024, 3, 31, 21, 0)},
		// n = 0 on the day the clocks go back (a 25-hour day): Mon 28 Oct 00:00 EET = 27 Oct 22:00 UTC.
		{"LT zero days on the autumn DST day", "LT", vilnius,
			time.Date(2024, 10, 27, 10, 0, 0, 0, vilnius), 0, "2024-10-27", utc(2024, 10, 27, 22, 0)},
		// Thu 27 Apr 2023 is Koningsdag: Fri 28 = 1; 29 Apr 00:00 CEST (UTC+2) = 28 Apr 22:00 UTC.
		{"NL King's Day", "NL", amsterdam,
			time.Date(2023, 4, 26, 11, 0, 0, 0, amsterdam), 1, "2023-04-28", utc(2023, 4, 28, 22, 0)},
		// Fri 28 = 1, Mon 1 May = 2, Tue 2 May = 3.
		{"NL King's Day, three days", "NL", amsterdam,
			time.Date(2023, 4, 26, 11, 0, 0, 0, amsterdam), 3, "2023-05-02", utc(2023, 5, 2, 22, 0)},
		// Good Friday 29 Mar and Easter Monday 1 Apr are off in NL: Tue 2 Apr = 1.
		{"NL Easter", "NL", amsterdam,
			time.Date(2024, 3, 28, 11, 0, 0, 0, amsterdam), 1, "2024-04-02", utc(2024, 4, 2, 22, 0)},
		// Same arrival in LT: Good Friday is a working day.
		{"LT Good Friday works", "LT", vilnius,
			time.Date(2024, 3, 28, 11, 0, 0, 0, vilnius), 1, "2024-03-29", utc(2024, 3, 29, 22, 0)},
		// Christmas 2021 (Sat) observed Mon 27, Boxing Day (Sun) Tue 28: Wed 29 = 1; GMT = UTC.
		{"GB substitute days", "GB", london,
			time.Date(2021, 12, 24, 9, 0, 0, 0, london), 1, "2021-12-29", utc(2021, 12, 30, 0, 0)},
		// Mon 6 Jan 2025 is Epiphany: Tue 7 = 1; 8 Jan 00:00 CET (UTC+1) = 7 Jan 23:00 UTC.
		{"PL Epiphany", "PL", warsaw,
			time.Date(2025, 1, 3, 9, 0, 0, 0, warsaw), 1, "2025-01-07", utc(2025, 1, 7, 23, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCalendar(t, tc.country)
			due := c.DueDay(tc.received, tc.loc, tc.n)
			if got := due.Format("2006-01-02"); got != tc.due {
				t.Errorf("DueDay = %s, want %s", got, tc.due)
			}
			if due.Location() != tc.loc || due.Hour() != 0 || due.Minute() != 0 {
				t.Errorf("DueDay = %s, want local midnight in %s", due, tc.loc)
			}
			if got := c.Deadline(tc.received, tc.loc, tc.n); !got.Equal(tc.deadline) {
				t.Errorf("Deadline = %s, want %s", got.UTC(), tc.deadline)
			}
		})
	}
}

func TestDays(t *testing.T) {
	c := mustCalendar(t, "LT")
	vilnius := mustLoc(t, "Europe/Vilnius")
	// Fri 20 Dec 2024 to Sun 5 Jan 2025; 24-26 Dec and 1 Jan are holidays.
	want := []struct {
		day     string
		working bool
		seq     uint32
	}{
		{"2024-12-20", true, 1}, {"2024-12-21", false, 1}, {"2024-12-22", false, 1},
		{"2024-12-23", true, 2}, {"2024-12-24", false, 2}, {"2024-12-25", false, 2},
		{"2024-12-26", false, 2}, {"2024-12-27", true, 3}, {"2024-12-28", false, 3},
		{"2024-12-29", false, 3}, {"2024-12-30", true, 4}, {"2024-12-31", true, 5},
		{"2025-01-01", false, 5}, {"2025-01-02", true, 6}, {"2025-01-03", true, 7},
		{"2025-01-04", false, 7}, {"2025-01-05", false, 7},
	}
	got := c.Days("", time.Date(2024, 12, 20, 0, 0, 0, 0, vilnius), time.Date(2025, 1, 6, 0, 0, 0, 0, vilnius))
	if len(got) != len(want) {
		t.Fatalf("Days returned %d days, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Calendar != "LT" || g.Day.Format("2006-01-02") != w.day || g.Day.Location() != time.UTC ||
			g.Day.Hour() != 0 || g.Working != w.working || g.Seq != w.seq {
			t.Errorf("day %d = %+v, want %s working=%v seq=%d", i, g, w.day, w.working, w.seq)
		}
	}
	if got := c.Days("lt-2024", time.Date(2024, 12, 20, 0, 0, 0, 0, time.UTC), time.Date(2024, 12, 20, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Errorf("empty range returned %d days", len(got))
	}
}

// The seq rule the SQL side uses (due day = the working day whose seq is
// seq(received day) + n) must agree with DueDay.
func TestDaysSeqAgreesWithDueDay(t *testing.T) {
	c := mustCalendar(t, "LT")
	days := c.Days("LT", utc(2024, 1, 1, 0, 0), utc(2026, 1, 1, 0, 0))
	workingBySeq := map[uint32]string{}
	for _, d := range days {
		if d.Working {
			workingBySeq[d.Seq] = d.Day.Format("2006-01-02")
		}
	}
	for _, d := range days[:300] {
		for n := 1; n <= 5; n++ {
			want := workingBySeq[d.Seq+uint32(n)]
			if got := c.DueDay(d.Day, time.UTC, n).Format("2006-01-02"); got != want {
				t.Fatalf("received %s, n=%d: DueDay %s, seq rule %s", d.Day.Format("2006-01-02"), n, got, want)
			}
		}
	}
}

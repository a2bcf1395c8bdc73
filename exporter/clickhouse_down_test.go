package exporter

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// clock is the test's injected clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// gauge returns the value of the first sample of name whose labels
// include labels, and whether there is one.
func gauge(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	ms := matching(t, reg, name, func(got []*dto.LabelPair) bool { return labelsInclude(got, labels) })
	if len(ms) == 0 {
		return 0, false
	}
	return ms[0].value, true
}

// phoneCalls returns n answered phone calls of SODRA's contact centre that
// arrived in the hour before at.
func phoneCalls(from, n int, at time.Time) []records.Contact {
	var out []records.Contact
	for i := from; i < from+n; i++ {
		arrived := at.Add(-time.Duration(i+1) * time.Minute)
		answered := arrived.Add(10 * time.Second)
		ended := answered.Add(2 * time.Minute)
		out = append(out, records.Contact{
			Institution: "sodra", Source: "sodra-api", ID: "call-" + string(rune('a'+i)), Version: 1,
			UpdatedAt: ended, Unit: "contact-centre", Channel: "phone", ArrivedAt: arrived,
			AnsweredAt: &answered, EndedAt: &ended, Outcome: records.OutcomeAnswered, TalkS: 120,
		})
	}
	return out
}

// TestClickHouseDownServesLastSnapshot stops the exporter's ClickHouse:
// /metrics goes on answering from the last snapshot, with
// ccbench_exporter_clickhouse_up 0 and the data age rising on the injected
// clock; when ClickHouse is back, the same exporter (not restarted) serves
// fresh values. The expected counts are the calls the test inserted.
func TestClickHouseDownServesLastSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own ClickHouse server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ch, logf := servertest.OwnClickHouse(t, ctx)

	dsn := ch.DSN("ccbench")
	if err := store.EnsureDatabase(ctx, dsn, ""); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	if err := st.InsertContacts(ctx, phoneCalls(0, 3, start)); err != nil {
		t.Fatal(err)
	}

	cfg, err := config.Parse([]byte(`
exporter: {windows: [1h], refresh_interval: 30s}
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
`), "down.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: start}
	e := New(Options{
		Config: cfg, Reader: st, Totals: StoreTotals(st), ClickHouse: st,
		// Parts that fail while ClickHouse answers are dropped after 90 s;
		// while it is down, the snapshot stays however old it gets.
		Now: clk.Now, MaxStaleness: 90 * time.Second,
	})
	reg := e.Gatherer()
	phone := map[string]string{"institution": "sodra", "unit": "contact-centre", "channel": "phone"}
	sodra := map[string]string{"institution": "sodra"}
	check := func(when string, up, offered, age float64) {
		t.Helper()
		if got, ok := gauge(t, reg, "ccbench_exporter_clickhouse_up", nil); !ok || got != up {
			t.Errorf("%s: ccbench_exporter_clickhouse_up = %v (present %v), want %v", when, got, ok, up)
		}
		if got, ok := gauge(t, reg, "ccbench_contacts_offered_total", phone); !ok || got != offered {
			t.Errorf("%s: ccbench_contacts_offered_total%v = %v (present %v), want %v", when, phone, got, ok, offered)
		}
		if got, ok := gauge(t, reg, "ccbench_exporter_data_age_seconds", sodra); !ok || got != age {
			t.Errorf("%s: ccbench_exporter_data_age_seconds{institution=sodra} = %v (present %v), want %v", when, got, ok, age)
		}
	}

	if err := e.Refresh(ctx); err != nil {
		t.Fatalf("first refresh: %v", err)
	}
	check("ClickHouse up", 1, 3, 0)

	if err := ch.Stop(); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	if err := e.Refresh(ctx); err == nil {
		t.Fatal("refresh with ClickHouse stopped succeeded")
	}
	check("ClickHouse stopped, one refresh later", 0, 3, 60)
	clk.Add(time.Minute)
	check("ClickHouse stopped, a minute later, before the next refresh", 0, 3, 120)
	if err := e.Refresh(ctx); err == nil {
		t.Fatal("second refresh with ClickHouse stopped succeeded")
	}
	check("ClickHouse stopped, two refreshes later", 0, 3, 120)
	clk.Add(time.Hour)
	if err := e.Refresh(ctx); err == nil {
		t.Fatal("third refresh with ClickHouse stopped succeeded")
	}
	check("ClickHouse stopped for an hour", 0, 3, 3720)

	if err := ch.Restart(ctx, logf); err != nil {
		t.Fatal(err)
	}
	other, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.InsertContacts(ctx, phoneCalls(3, 2, start)); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	if err := e.Refresh(ctx); err != nil {
		t.Fatalf("first refresh after ClickHouse returned: %v", err)
	}
	check("ClickHouse back", 1, 5, 0)
}

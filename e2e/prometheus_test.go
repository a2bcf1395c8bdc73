package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/dashboards"
	"github.com/ccbench/ccbench/exporter"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// configYAML compares two institutions. SODRA keeps the catalogue's
// thresholds (phone 20 s, chat 60 s); VMI answers the phone within 30 s,
// so the store must apply the configured parameters, not the defaults.
const configYAML = `
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
  - {id: vmi, name: VMI, country: LT, timezone: Europe/Vilnius}
targets:
  - {institution: sodra, kpi: service_level, value: 0.95}
  - {institution: vmi, channel: phone, kpi: service_level, value: 0.95, threshold: 30s}
`

// Units of the fixture's contacts.
const (
	sodraUnit = "contact-centre"
	vmiUnit   = "tax-information"
)

// fixture builds contacts one at a time, each arriving a second after the
// previous one, starting at a given time.
type fixture struct {
	institution, unit string
	next              time.Time
	seq               int
	contacts          []records.Contact
}

// add appends n contacts of one channel and outcome, each waiting waitS
// seconds before it was answered or abandoned.
func (f *fixture) add(n int, channel, outcome string, waitS int) {
	for i := 0; i < n; i++ {
		f.seq++
		arrived := f.next
		f.next = f.next.Add(time.Second)
		at := arrived.Add(time.Duration(waitS) * time.Second)
		c := records.Contact{
			Institution: f.institution,
			Source:      f.institution + "-e2e",
			ID:          fmt.Sprintf("%s-%d", channel, f.seq),
			Version:     1,
			UpdatedAt:   at.Add(5 * time.Minute),
			Unit:        f.unit,
			Channel:     channel,
			Queue:       "general",
			ArrivedAt:   arrived,
			Outcome:     outcome,
			Origin:      "e2e fixture",
		}
		switch outcome {
		case records.OutcomeAnswered:
			end := at.Add(120 * time.Second)
			c.AnsweredAt, c.EndedAt = &at, &end
			c.TalkS, c.AcwS = 120, 10
			c.Measures = records.MeasureTalk | records.MeasureACW
		case records.OutcomeAbandoned:
			c.EndedAt = &at
		}
		f.contacts = append(f.contacts, c)
	}
}

// contactsFixture returns the contacts of the test, relative to now. The
// comments work out the service levels the assertions expect.
func contactsFixture(now time.Time) []records.Contact {
	const (
		answered  = records.OutcomeAnswered
		abandoned = records.OutcomeAbandoned
		phone     = records.ChannelPhone
		chat      = records.ChannelChat
	)
	recent := now.Add(-30 * time.Minute) // inside every window

	// SODRA phone (T = 20 s, S = 5 s), last hour: offered 23, 1 short
	// abandon, so O = 22; A = 19, B = 2.
	//   negative 19/22, ignore 19/(22−2) = 19/20, positive (19+2)/22 = 21/22.
	sodra := &fixture{institution: "sodra", unit: sodraUnit, next: recent}
	sodra.add(19, phone, answered, 10)
	sodra.add(1, phone, answered, 40)
	sodra.add(2, phone, abandoned, 10)
	sodra.add(1, phone, abandoned, 3)
	// SODRA chat (T = 60 s): O = 6, A = 4 → negative 4/6.
	sodra.add(4, chat, answered, 30)
	sodra.add(1, chat, answered, 90)
	sodra.add(1, chat, abandoned, 70)
	// Two hours ago: outside the 1h window, inside 1d. One more SODRA phone
	// call answered late, so the 1d phone service level is 19/23.
	sodra.next = now.Add(-2 * time.Hour)
	sodra.add(1, phone, answered, 100)

	// VMI phone (T = 30 s from the configuration): A = 10 of O = 11 → 10/11
	// (8/11 if the default 20 s were wrongly applied).
	vmi := &fixture{institution: "vmi", unit: vmiUnit, next: recent}
	vmi.add(8, phone, answered, 5)
	vmi.add(2, phone, answered, 25)
	vmi.add(1, phone, answered, 45)
	// VMI chat (T = 60 s): 1 short abandon, O = 3, A = 3 → 3/3.
	vmi.add(3, chat, answered, 50)
	vmi.add(1, chat, abandoned, 2)

	return append(sodra.contacts, vmi.contacts...)
}

// writtenAndFeedback returns SODRA's e-mails and VMI's post-contact ratings
// of the test, relative to now, for the written and feedback KPIs.
func writtenAndFeedback(now time.Time) ([]records.Contact, []records.Feedback) {
	// SODRA e-mail, 30 minutes ago: 3 answered 10 minutes later, well
	// before the 5-working-day deadline, so deadline_met_rate = 3/3; one
	// of the 2 whose correction is known was corrected: correction_rate 1/2.
	mail := &fixture{institution: "sodra", unit: sodraUnit, next: now.Add(-30 * time.Minute)}
	mail.add(3, records.ChannelEmail, records.OutcomeAnswered, 600)
	yes, no := true, false
	mail.contacts[0].Corrected = &yes
	mail.contacts[1].Corrected = &no

	// VMI post-contact ratings on a 1-5 scale: 8 of 10 score 4 or 5.
	var fs []records.Feedback
	for i := 0; i < 10; i++ {
		score := 5
		if i >= 8 {
			score = 2
		}
		at := now.Add(-20*time.Minute + time.Duration(i)*time.Second)
		fs = append(fs, records.Feedback{
			Institution: "vmi", Source: "vmi-e2e", ID: fmt.Sprintf("rating-%d", i), Version: 1, UpdatedAt: at,
			Instrument: records.InstrumentPostContact, Subject: fmt.Sprintf("phone-%d", i+1),
			Unit: vmiUnit, Channel: records.ChannelPhone, SubmittedAt: at,
			Scale: records.Scale1to5, Score: score, Origin: "e2e fixture",
		})
	}
	return mail.contacts, fs
}

// TestStoreExporterPrometheus writes the fixture to ClickHouse, serves the
// exporter's KPIs from it, lets a real Prometheus scrape them, and checks
// the values Prometheus returns and every dashboard query against the
// fixture's arithmetic.
func TestStoreExporterPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ClickHouse and Prometheus (-short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	now := time.Now().UTC().Truncate(time.Second)
	st := servertest.NewStore(t)
	if err := st.InsertContacts(ctx, contactsFixture(now)); err != nil {
		t.Fatalf("insert fixture: %v", err)
	}
	mails, ratings := writtenAndFeedback(now)
	if err := st.InsertContacts(ctx, mails); err != nil {
		t.Fatalf("insert e-mails: %v", err)
	}
	if err := st.InsertFeedback(ctx, ratings); err != nil {
		t.Fatalf("insert ratings: %v", err)
	}
	lt, err := kpi.NewCalendar("LT")
	if err != nil {
		t.Fatalf("LT calendar: %v", err)
	}
	if err := st.LoadCalendar(ctx, lt.Days("LT", now.AddDate(0, -2, 0), now.AddDate(0, 2, 0))); err != nil {
		t.Fatalf("load LT calendar: %v", err)
	}

	cfg, err := config.Parse([]byte(configYAML), "e2e.yaml")
	if err != nil {
		t.Fatalf("parse configuration: %v", err)
	}
	exp := exporter.New(exporter.Options{
		Config:  cfg,
		Reader:  st,
		Totals:  exporter.StoreTotals(st),
		Now:     func() time.Time { return now },
		Version: "e2e",
	})
	if err := exp.Refresh(ctx); err != nil {
		t.Fatalf("exporter refresh: %v", err)
	}
	target := httptest.NewServer(exp.Handler())
	defer target.Close()

	prom := servertest.Prometheus(t, servers.PrometheusConfig(time.Second,
		map[string][]string{"ccbench": {strings.TrimPrefix(target.URL, "http://")}}))

	const slSodraPhone = `ccbench_service_level_ratio{institution="sodra",channel="phone",window="1h",method="negative"}`
	servertest.WaitForPromSeries(ctx, t, prom.URL(), slSodraPhone, 30*time.Second)

	t.Run("values", func(t *testing.T) {
		for _, tc := range []struct {
			name, expr string
			want       float64
		}{
			{"sodra phone negative 1h", slSodraPhone, 19.0 / 22},
			{"sodra phone ignore 1h", `ccbench_service_level_ratio{institution="sodra",channel="phone",window="1h",method="ignore"}`, 19.0 / 20},
			{"sodra phone positive 1h", `ccbench_service_level_ratio{institution="sodra",channel="phone",window="1h",method="positive"}`, 21.0 / 22},
			{"sodra phone negative 1d", `ccbench_service_level_ratio{institution="sodra",channel="phone",window="1d",method="negative"}`, 19.0 / 23},
			{"sodra chat negative 1h", `ccbench_service_level_ratio{institution="sodra",channel="chat",window="1h",method="negative"}`, 4.0 / 6},
			{"vmi phone negative 1h, configured 30 s threshold", `ccbench_service_level_ratio{institution="vmi",channel="phone",window="1h",method="negative"}`, 10.0 / 11},
			{"vmi chat negative 1h", `ccbench_service_level_ratio{institution="vmi",channel="chat",window="1h",method="negative"}`, 3.0 / 3},
			// Rollup across channels: (19 + 4) ÷ (22 + 6).
			{"sodra rollup 1h", `sum(ccbench_kpi_numerator{kpi="service_level",method="negative",window="1h",institution="sodra"})
				/ sum(ccbench_kpi_denominator{kpi="service_level",method="negative",window="1h",institution="sodra"})`, 23.0 / 28},
			// (10 + 3) ÷ (11 + 3).
			{"vmi rollup 1h", `sum(ccbench_kpi_numerator{kpi="service_level",method="negative",window="1h",institution="vmi"})
				/ sum(ccbench_kpi_denominator{kpi="service_level",method="negative",window="1h",institution="vmi"})`, 13.0 / 14},
			{"sodra target", `ccbench_service_level_target_ratio{institution="sodra"}`, 0.95},
			{"vmi phone target", `ccbench_service_level_target_ratio{institution="vmi",channel="phone"}`, 0.95},
			// Cumulative: 23 phone calls in the last hour and 1 before.
			{"sodra phone offered total", `ccbench_contacts_offered_total{institution="sodra",channel="phone"}`, 24},
			{"sodra phone short abandons total", `ccbench_contacts_short_abandoned_total{institution="sodra",channel="phone"}`, 1},
			{"sodra email offered total", `ccbench_contacts_offered_total{institution="sodra",channel="email"}`, 3},
			// E-mails: 3 in the last hour, 72 a day; all 3 answered in time.
			{"sodra email offered 1h", `ccbench_contacts_offered_per_day{institution="sodra",channel="email",window="1h"}`, 3 * 24},
			{"sodra email deadlines 1d", `ccbench_deadline_met_rate_ratio{institution="sodra",channel="email",window="1d"}`, 3.0 / 3},
			{"sodra email corrections 1d", `ccbench_correction_rate_ratio{institution="sodra",channel="email",window="1d"}`, 1.0 / 2},
			// VMI ratings: 8 of 10 favourable, Wilson 95 % [0.4902, 0.9433].
			{"vmi favourable 1d", `ccbench_favourable_share_ratio{institution="vmi",instrument="post_contact",window="1d"}`, 0.8},
			{"vmi favourable n 1d", `ccbench_kpi_sample_size{kpi="favourable_share",institution="vmi",instrument="post_contact",window="1d"}`, 10},
			{"vmi favourable ci low 1d", `round(ccbench_kpi_ci_lower_ratio{kpi="favourable_share",institution="vmi",instrument="post_contact",window="1d"}, 0.0001)`, 0.4902},
			{"vmi favourable ci high 1d", `round(ccbench_kpi_ci_upper_ratio{kpi="favourable_share",institution="vmi",instrument="post_contact",window="1d"}, 0.0001)`, 0.9433},
			// Only the finest rows are exported: no roll-up with an empty unit.
			{"sodra 1h service level series", `count(ccbench_service_level_ratio{institution="sodra",window="1h",method="negative"})`, 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := servertest.PromQuery(ctx, prom.URL(), tc.expr)
				if err != nil {
					t.Fatalf("query %s: %v", tc.expr, err)
				}
				if len(res) != 1 {
					t.Fatalf("query %s: got %d series %v, want 1", tc.expr, len(res), res)
				}
				if got := res[0].Value; math.Abs(got-tc.want) > 1e-9 {
					t.Errorf("query %s = %v, want %v", tc.expr, got, tc.want)
				}
			})
		}
	})

	t.Run("no waits for written channels", func(t *testing.T) {
		for _, expr := range []string{
			`ccbench_service_level_ratio{channel="email"}`,
			`ccbench_answer_rate_ratio{channel="email"}`,
			`ccbench_asa_seconds{channel="email"}`,
			`ccbench_kpi_denominator{kpi="service_level",channel="email"}`,
			`ccbench_contacts_answered_within_threshold_total{channel="email"}`,
		} {
			res, err := servertest.PromQuery(ctx, prom.URL(), expr)
			if err != nil {
				t.Fatalf("query %s: %v", expr, err)
			}
			if len(res) != 0 {
				t.Errorf("query %s = %v, want no series", expr, res)
			}
		}
	})

	t.Run("dashboard queries", func(t *testing.T) {
		ds, err := dashboards.Generate(cfg)
		if err != nil {
			t.Fatalf("generate dashboards: %v", err)
		}
		if len(ds) == 0 {
			t.Fatal("no dashboards generated")
		}
		results := map[string]map[string]float64{} // panel/refID → institution → value
		for _, d := range ds {
			qs, err := dashboards.Queries(d)
			if err != nil {
				t.Fatalf("queries of %s: %v", d.UID, err)
			}
			if len(qs) == 0 {
				t.Errorf("dashboard %s has no queries", d.UID)
			}
			for _, q := range qs {
				res, err := servertest.PromQuery(ctx, prom.URL(), q.Expr)
				if err != nil {
					t.Errorf("%s: panel %q query %s fails: %v\n%s", d.UID, q.Panel, q.RefID, err, q.Expr)
					continue
				}
				isSL := strings.HasPrefix(q.Panel, "Service level") || strings.Contains(q.Expr, "service_level")
				if isSL && len(res) == 0 {
					t.Errorf("%s: panel %q query %s returns nothing\n%s", d.UID, q.Panel, q.RefID, q.Expr)
				}
				byInst := map[string]float64{}
				for _, s := range res {
					byInst[s.Metric["institution"]] = s.Value
				}
				results[d.UID+"/"+q.Panel+"/"+q.RefID] = byInst
			}
		}
		// The dashboards open on window 1d and method negative, all channels.
		// In 1d SODRA has 24 phone calls (19 + 1 + 1 answered, 2 + 1
		// abandoned) and 6 chats (4 + 1 answered, 1 abandoned); VMI has 11
		// phone calls (all answered) and 4 chats (3 answered, 1 short
		// abandon). Every answered contact has 120 s talk and 10 s acw.
		const d = "ccbench-overview/"
		const sl = "ccbench-service-levels/"
		const q = "ccbench-satisfaction/"
		for _, tc := range []struct {
			query, institution string
			want               float64
		}{
			// (19 + 4) ÷ ((24 − 1) + 6) and (10 + 3) ÷ (11 + (4 − 1)).
			{d + "Service level (method $method) by institution/A", "sodra", 23.0 / 29},
			{d + "Service level (method $method) by institution/A", "vmi", 13.0 / 14},
			{sl + "Service level (method $method) vs target/B", "sodra", 0.95},
			// Abandoned, not short: (2 + 1) ÷ 29; VMI none.
			{d + "Abandon rate by institution/A", "sodra", 3.0 / 29},
			{d + "Abandon rate by institution/A", "vmi", 0},
			// Answered ÷ offered: (21 + 5) ÷ (24 + 6) and (11 + 3) ÷ (11 + 4).
			{d + "Answer rate by institution/A", "sodra", 26.0 / 30},
			{d + "Answer rate by institution/A", "vmi", 14.0 / 15},
			// Answer waits: phone 19×10 + 40 + 100, chat 4×30 + 90, over 26.
			{d + "Average speed of answer (ASA) by institution/A", "sodra", (19*10 + 40 + 100 + 4*30 + 90) / 26.0},
			// VMI: phone 8×5 + 2×25 + 45, chat 3×50, over 14.
			{d + "Average speed of answer (ASA) by institution/A", "vmi", (8*5 + 2*25 + 45 + 3*50) / 14.0},
			{d + "Average handling time (AHT) by institution/A", "sodra", 130},
			// 30 (+ 3 e-mails) and 15 contacts over a one-day window.
			{d + "Contacts offered per day by institution/A", "sodra", 33},
			{d + "Contacts offered per day by institution/A", "vmi", 15},
			// The quality dashboard: 3 of 3 e-mails in time, 1 of 2
			// corrected; VMI 8 of 10 favourable, Wilson [0.4902, 0.9433].
			{d + "Deadlines met by institution/A", "sodra", 1},
			{d + "Correction rate by institution/A", "sodra", 0.5},
			{q + "Favourable responses by instrument with 95 % interval/A", "vmi", 0.8},
			{q + "Favourable responses by instrument with 95 % interval/C", "vmi", 0.4901624715366418},
			{q + "Favourable responses by instrument with 95 % interval/D", "vmi", 0.9433178485456248},
			{q + "Favourable responses: sample sizes and intervals/N", "vmi", 10},
		} {
			got, ok := results[tc.query][tc.institution]
			if !ok || math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("%s{institution=%q} = %v (present %v), want %v", tc.query, tc.institution, got, ok, tc.want)
			}
		}
	})

	t.Run("promtool check metrics", func(t *testing.T) {
		promtool, err := exec.LookPath("promtool")
		if err != nil {
			t.Fatalf("promtool not found on PATH: %s (%v)", servers.PrometheusInstallHint, err)
		}
		body := get(ctx, t, target.URL+"/metrics")
		if !bytes.Contains(body, []byte("ccbench_service_level_ratio{")) {
			t.Fatalf("/metrics has no service level:\n%s", body)
		}
		cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})
}

func get(ctx context.Context, t *testing.T, u string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", u, resp.Status, body)
	}
	return body
}

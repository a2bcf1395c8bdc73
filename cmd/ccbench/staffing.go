package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/staffing"
	"github.com/ccbench/ccbench/store"
)

func staffingCommand() *cli.Command {
	return &cli.Command{
		Name:  "staffing",
		Usage: "what-if: agents per hour of the week that Erlang C needs for a service-level target, from measured arrivals and handling times",
		Flags: []cli.Flag{
			configFlag(true),
			clickHouseWaitFlag(5 * time.Second),
			&cli.StringFlag{Name: "institution", Required: true, Usage: "institution id"},
			&cli.StringFlag{Name: "channel", Value: records.ChannelPhone, Usage: "a real-time channel: phone, chat, facebook or visit"},
			&cli.StringFlag{Name: "from", Required: true, Usage: "first local day, YYYY-MM-DD"},
			&cli.StringFlag{Name: "to", Required: true, Usage: "day after the last, YYYY-MM-DD (exclusive)"},
			&cli.Float64Flag{Name: "target", Usage: "service-level target, e.g. 0.95", DefaultText: "the institution's configured target, else 0.8"},
			&cli.DurationFlag{Name: "threshold", Usage: "answer-time threshold T, e.g. 20s", DefaultText: "the institution's configured T"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"},
		},
		Action: runStaffing,
	}
}

// staffingRequest is what a staffing what-if is computed for.
type staffingRequest struct {
	institution config.Institution
	channel     string
	from, to    time.Time // local midnights
	target      float64
	threshold   time.Duration
	short       time.Duration
}

func runStaffing(c *cli.Context) error {
	if err := mustNotHaveArgs(c); err != nil {
		return err
	}
	from, err := time.Parse(time.DateOnly, c.String("from"))
	if err != nil {
		return usageErrorf("--from: want YYYY-MM-DD, got %q", c.String("from"))
	}
	to, err := time.Parse(time.DateOnly, c.String("to"))
	if err != nil {
		return usageErrorf("--to: want YYYY-MM-DD, got %q", c.String("to"))
	}
	if !to.After(from) {
		return usageErrorf("--to %s must be after --from %s", c.String("to"), c.String("from"))
	}
	channel := c.String("channel")
	if !records.IsRealTime(channel) {
		return usageErrorf("--channel: want a real-time channel (phone, chat, facebook, visit), got %q", channel)
	}
	format := c.String("format")
	if format != "table" && format != "json" {
		return usageErrorf("--format: want table or json, got %q", format)
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	in, ok := cfg.Institution(c.String("institution"))
	if !ok {
		_, err := checkInstitutions(cfg, []string{c.String("institution")})
		return usageErrorf("--institution: %s", strings.TrimPrefix(err.Error(), "--institutions: "))
	}
	params := cfg.Params(in.ID, "", channel)
	req := staffingRequest{institution: in, channel: channel, from: localMidnight(from, in.Location()), to: localMidnight(to, in.Location()),
		target: 0.8, threshold: params.Threshold, short: params.ShortAbandon}
	if t, ok := slTarget(cfg, in.ID, channel); ok {
		req.target = t.Value
		if t.Threshold > 0 {
			req.threshold = time.Duration(t.Threshold)
		}
	}
	if c.IsSet("target") {
		req.target = c.Float64("target")
		if !(req.target > 0 && req.target < 1) {
			return usageErrorf("--target: want a share between 0 and 1 (exclusive), e.g. 0.95, got %v", req.target)
		}
	}
	if c.IsSet("threshold") {
		if req.threshold = c.Duration("threshold"); req.threshold <= 0 {
			return usageErrorf("--threshold: want a positive duration such as 20s, got %s", req.threshold)
		}
	}
	st, err := openStore(c, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	plan, err := weekPlan(c.Context, st, req)
	if err != nil {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(staffingDoc(plan, req))
	}
	return writeStaffingTable(c.App.Writer, plan, req)
}

// slTarget returns the institution's service-level target on a channel:
// the most specific one for the channel without unit, else the highest of
// its units'.
func slTarget(cfg *config.Config, institution, channel string) (config.Target, bool) {
	if t, ok := cfg.TargetFor(kpi.ServiceLevel, institution, "", channel, ""); ok {
		return t, true
	}
	best, found := config.Target{}, false
	for _, t := range cfg.Targets {
		if t.Institution == institution && t.KPI == string(kpi.ServiceLevel) && (t.Channel == channel || t.Channel == "") && (!found || t.Value > best.Value) {
			best, found = t, true
		}
	}
	return best, found
}

// errNoContacts is returned when the window has no contacts of the channel.
var errNoContacts = errors.New("no contacts to plan from")

// arrivalReader is the part of the store a staffing what-if reads.
type arrivalReader interface {
	ArrivalsByHourOfWeek(ctx context.Context, q store.ArrivalQuery) ([]store.HourOfWeekRow, error)
}

func weekPlan(ctx context.Context, st arrivalReader, req staffingRequest) (staffing.WeekPlan, error) {
	loc := req.institution.Location()
	rows, err := st.ArrivalsByHourOfWeek(ctx, store.ArrivalQuery{Institution: req.institution.ID, Channel: req.channel, Location: loc,
		From: req.from, To: req.to, Threshold: req.threshold, ShortAbandon: req.short})
	if err != nil {
		return staffing.WeekPlan{}, err
	}
	if len(rows) == 0 {
		return staffing.WeekPlan{}, fmt.Errorf("%s %s from %s to %s (exclusive): %w",
			req.institution.ID, req.channel, req.from.Format(time.DateOnly), req.to.Format(time.DateOnly), errNoContacts)
	}
	occ := staffing.Occurrences(req.from, req.to, loc)
	var hours []staffing.HourCounts
	for _, r := range rows {
		hours = append(hours, staffing.HourCounts{Weekday: r.Weekday, Hour: r.Hour, Occurrences: occ[int(r.Weekday)*24+r.Hour],
			Offered: float64(r.Offered), ShortAbandoned: float64(r.ShortAbandoned), AnsweredWithinT: float64(r.AnsweredWithinT),
			Handled: float64(r.Handled), HandleSumS: float64(r.HandleSumS)})
	}
	plans, aht, err := staffing.PlanWeek(hours, req.target, req.threshold)
	if err != nil {
		return staffing.WeekPlan{}, fmt.Errorf("%s %s: %w", req.institution.ID, req.channel, err)
	}
	return staffing.WeekPlan{Institution: req.institution.ID, Channel: req.channel, Target: req.target, Threshold: req.threshold, AHT: aht, Hours: plans}, nil
}

// staffingJSON is the JSON format of `ccbench staffing`; times in seconds.
type staffingJSON struct {
	Institution string             `json:"institution"`
	Channel     string             `json:"channel"`
	From        string             `json:"from"`
	To          string             `json:"to"`
	Target      float64            `json:"target"`
	ThresholdS  float64            `json:"threshold_s"`
	AHTS        float64            `json:"aht_s"`
	Summary     string             `json:"summary"`
	Hours       []staffingHourJSON `json:"hours"`
}

type staffingHourJSON struct {
	Weekday       string   `json:"weekday"`
	Hour          int      `json:"hour"`
	Weeks         int      `json:"occurrences"`
	Offered       float64  `json:"offered"`
	CallsPerHour  float64  `json:"calls_per_hour"`
	AHTS          float64  `json:"aht_s"`
	Erlangs       float64  `json:"erlangs"`
	MeasuredSL    *float64 `json:"measured_service_level"`
	ImpliedAgents *int     `json:"implied_agents"`
	AgentsNeeded  int      `json:"agents_needed"`
	PWait         float64  `json:"p_wait"`
	PredictedSL   float64  `json:"predicted_service_level"`
	ASAS          float64  `json:"asa_s"`
}

func staffingDoc(p staffing.WeekPlan, req staffingRequest) staffingJSON {
	doc := staffingJSON{Institution: p.Institution, Channel: p.Channel, From: req.from.Format(time.DateOnly), To: req.to.Format(time.DateOnly),
		Target: p.Target, ThresholdS: p.Threshold.Seconds(), AHTS: p.AHT.Seconds(), Summary: staffingSummary(p, req), Hours: []staffingHourJSON{}}
	for _, h := range p.Hours {
		j := staffingHourJSON{Weekday: h.Weekday.String(), Hour: h.Hour, Weeks: h.Occurrences, Offered: h.Offered, CallsPerHour: h.Calls,
			AHTS: h.AHT.Seconds(), Erlangs: h.Needed.Erlangs, MeasuredSL: h.MeasuredSL, AgentsNeeded: h.Needed.Agents,
			PWait: h.Needed.PWait, PredictedSL: h.Needed.ServiceLevel, ASAS: h.Needed.ASA.Seconds()}
		if h.Implied != nil {
			n := h.Implied.Agents
			j.ImpliedAgents = &n
		}
		doc.Hours = append(doc.Hours, j)
	}
	return doc
}

// staffingSummary answers the what-if in one sentence.
func staffingSummary(p staffing.WeekPlan, req staffingRequest) string {
	// The measured service level implies agents only in the hours it
	// was measured: the comparison sums Erlang C's needs over those hours.
	var needed, neededMeasured, implied int
	peak := staffing.HourPlan{}
	for _, h := range p.Hours {
		needed += h.Needed.Agents
		if h.Implied != nil {
			neededMeasured += h.Needed.Agents
			implied += h.Implied.Agents
		}
		if h.Needed.Agents > peak.Needed.Agents {
			peak = h
		}
	}
	s := fmt.Sprintf("%s %s, %s to %s (exclusive): to answer %.1f %% within %s, Erlang C needs %d agent-hours a week (in the hours with a measured service level, %d, where that level implies %d",
		p.Institution, p.Channel, req.from.Format(time.DateOnly), req.to.Format(time.DateOnly), p.Target*100, p.Threshold, needed, neededMeasured, implied)
	if implied > 0 {
		s += fmt.Sprintf(", %+.0f %%", (float64(neededMeasured)/float64(implied)-1)*100)
	}
	s += fmt.Sprintf("); peak %s %02d:00 with %.1f calls an hour and AHT %.0f s needs %d agents", peak.Weekday, peak.Hour, peak.Calls, peak.AHT.Seconds(), peak.Needed.Agents)
	if peak.Implied != nil {
		s += fmt.Sprintf(" where the measured %.1f %% implies %d", *peak.MeasuredSL*100, peak.Implied.Agents)
	}
	return s + "."
}

func writeStaffingTable(w io.Writer, p staffing.WeekPlan, req staffingRequest) error {
	t := table.NewWriter()
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"hour", "calls/hour", "AHT", "Erlangs", "measured SL", "implied agents", "agents needed", "P(wait)", "predicted SL", "ASA"})
	for _, h := range p.Hours {
		sl, implied := "", ""
		if h.MeasuredSL != nil {
			sl = fmt.Sprintf("%.1f%%", *h.MeasuredSL*100)
		}
		if h.Implied != nil {
			implied = fmt.Sprint(h.Implied.Agents)
		}
		t.AppendRow(table.Row{fmt.Sprintf("%s %02d:00", h.Weekday.String()[:3], h.Hour), fmt.Sprintf("%.1f", h.Calls),
			fmt.Sprintf("%.0f s", h.AHT.Seconds()), fmt.Sprintf("%.2f", h.Needed.Erlangs), sl, implied, h.Needed.Agents,
			fmt.Sprintf("%.3f", h.Needed.PWait), fmt.Sprintf("%.1f%%", h.Needed.ServiceLevel*100), fmt.Sprintf("%.1f s", h.Needed.ASA.Seconds())})
	}
	fmt.Fprintln(w, staffingSummary(p, req))
	fmt.Fprintln(w)
	fmt.Fprintln(w, t.Render())
	fmt.Fprintln(w, "Erlang C: Poisson arrivals, exponential handling, no abandons, every agent available (no shrinkage): a first estimate.")
	return nil
}

// htmlStaffing is the staffing what-if of the HTML report: for every
// institution compared with phone contacts, the agents needed to reach the
// highest phone service-level target among them (with that target's
// threshold), next to what each one's measured service level implies.
func htmlStaffing(ctx context.Context, cfg *config.Config, st arrivalReader, q report.Query, rep *report.Report) ([]staffing.WeekPlan, error) {
	const channel = records.ChannelPhone
	target, threshold := 0.0, time.Duration(0)
	for _, id := range q.Institutions {
		if t, ok := slTarget(cfg, id, channel); ok && t.Value > target {
			target, threshold = t.Value, cfg.Params(id, t.Unit, channel).Threshold
		}
	}
	if target == 0 {
		target, threshold = 0.8, kpi.DefaultParams(channel).Threshold
	}
	var out []staffing.WeekPlan
	for _, id := range q.Institutions {
		in, _ := cfg.Institution(id)
		req := staffingRequest{institution: in, channel: channel, from: localMidnight(q.From, in.Location()), to: localMidnight(q.To, in.Location()),
			target: target, threshold: threshold, short: cfg.Params(id, "", channel).ShortAbandon}
		p, err := weekPlan(ctx, st, req)
		if err != nil {
			if errors.Is(err, errNoContacts) || errors.Is(err, staffing.ErrNoHandlingTime) {
				continue // no phone contacts, or none with handling times
			}
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// localMidnight is the start of date d's calendar day in loc.
func localMidnight(d time.Time, loc *time.Location) time.Time {
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, loc)
}

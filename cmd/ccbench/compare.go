package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/reportfmt"
	"github.com/ccbench/ccbench/store"
)

// Output formats of compare.
var compareFormats = []string{"table", "markdown", "html", "csv", "json"}

func compareCommand() *cli.Command {
	return &cli.Command{
		Name:  "compare",
		Usage: "compute every KPI for a fixed window and compare institutions side by side",
		Flags: []cli.Flag{
			configFlag(true),
			clickHouseWaitFlag(5 * time.Second),
			&cli.StringFlag{Name: "from", Required: true, Usage: "first local day, YYYY-MM-DD (in each institution's time zone)"},
			&cli.StringFlag{Name: "to", Required: true, Usage: "day after the last, YYYY-MM-DD (exclusive)"},
			&cli.StringFlag{Name: "by", Value: "total", Usage: "total, day, week (Monday to Sunday) or month"},
			&cli.StringFlag{Name: "as-of", Usage: "RFC3339 moment at which open cases are judged due (default: now), so that a report can be reproduced"},
			&cli.StringFlag{Name: "institutions", Usage: "comma-separated institution ids (default: all)"},
			&cli.StringFlag{Name: "channels", Usage: "comma-separated channels (default: all, and the figures without a channel)"},
			&cli.StringFlag{Name: "kpis", Usage: "comma-separated KPI ids (default: all)"},
			&cli.StringFlag{Name: "sl-method", Usage: "service-level method: negative, ignore or positive (default: exporter.sl_method)"},
			&cli.BoolFlag{Name: "include-reported", Usage: "side-by-side views: add the published figures and every configured target"},
			&cli.BoolFlag{Name: "long", Usage: "table: one row per figure instead of side by side"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: strings.Join(compareFormats, ", ")},
			&cli.StringFlag{Name: "out", Usage: "write to this file instead of standard output"},
		},
		Action: runCompare,
	}
}

func runCompare(c *cli.Context) error {
	if err := mustNotHaveArgs(c); err != nil {
		return err
	}
	q, err := compareQuery(c)
	if err != nil {
		return err
	}
	format := c.String("format")
	if !slices.Contains(compareFormats, format) {
		return usageErrorf("--format: want one of %s, got %q", strings.Join(compareFormats, ", "), format)
	}
	channels, err := parseChannels(c.String("channels"))
	if err != nil {
		return err
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	if q.Institutions, err = checkInstitutions(cfg, q.Institutions); err != nil {
		return err
	}
	st, err := openStore(c, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	q.Progress = newProgress(c, format, len(q.Institutions))
	rep, err := report.Build(c.Context, cfg, st, q)
	if err != nil {
		return err
	}
	rep.Rows = filterChannels(rep.Rows, channels)
	opt := reportfmt.Options{Institutions: q.Institutions, IncludeReported: c.Bool("include-reported"),
		Targets: askedTargets(cfg.Targets, q, channels), Reported: askedFigures(cfg.Registers.Reported, q, channels),
		Practices: cfg.Registers.Practices}
	if err := checkData(rep, q, channels); err != nil {
		// The registers alone are worth a side-by-side table: the
		// published figures and targets, with nothing measured.
		if !opt.IncludeReported || !sideBySide(format, c.Bool("long")) || len(opt.Targets)+len(opt.Reported) == 0 {
			return err
		}
		fmt.Fprintf(c.App.ErrWriter, "ccbench: %v; showing the registers only\n", err)
	}
	rep.Comparisons = report.Compare(rep.Rows)
	if format == "html" {
		if opt.Staffing, err = htmlStaffing(c.Context, cfg, st, q, rep); err != nil {
			return err
		}
	}
	return writeOut(c, func(w io.Writer) error {
		switch {
		case format == "json":
			return report.WriteJSON(w, rep)
		case format == "csv":
			return reportfmt.WriteCSV(w, rep)
		case format == "html":
			return reportfmt.WriteHTML(w, rep, opt)
		case format == "markdown":
			return reportfmt.WriteMarkdown(w, rep, opt)
		case c.Bool("long"):
			return reportfmt.WriteLong(w, rep)
		}
		return reportfmt.WriteTable(w, rep, opt)
	})
}

// sideBySide reports whether a format shows institutions side by side.
func sideBySide(format string, long bool) bool {
	return format == "markdown" || format == "html" || (format == "table" && !long)
}

// askedTargets returns the targets of the institutions and KPIs of q. A
// target without a channel applies to every channel and stays; one of
// another channel than those asked for (all when none) goes.
func askedTargets(ts []config.Target, q report.Query, channels []string) []config.Target {
	var out []config.Target
	for _, t := range ts {
		if asked(q, t.Institution, t.KPI) && (t.Channel == "" || len(channels) == 0 || slices.Contains(channels, t.Channel)) {
			out = append(out, t)
		}
	}
	return out
}

// askedFigures returns the published figures of the institutions, KPIs
// and channels asked for. With --channels, a figure without a channel (a
// sum over channels) goes, as the measured rows without one do.
func askedFigures(fs []config.ReportedFigure, q report.Query, channels []string) []config.ReportedFigure {
	var out []config.ReportedFigure
	for _, f := range fs {
		id := f.KPI
		if id == "" {
			id = f.Metric
		}
		if asked(q, f.Institution, id) && (len(channels) == 0 || slices.Contains(channels, f.Channel)) {
			out = append(out, f)
		}
	}
	return out
}

// asked reports whether q covers the institution and the KPI (every KPI
// when q names none).
func asked(q report.Query, institution, id string) bool {
	return slices.Contains(q.Institutions, institution) && (len(q.KPIs) == 0 || slices.Contains(q.KPIs, kpi.ID(id)))
}

// newProgress returns a function to call after each institution: a
// progress bar on standard error for the table format when standard error
// is a terminal, else nothing.
func newProgress(c *cli.Context, format string, n int) func() {
	f, ok := c.App.ErrWriter.(*os.File)
	if c.App.ErrWriter == nil {
		f, ok = os.Stderr, true
	}
	if format != "table" || !ok || !term.IsTerminal(int(f.Fd())) || n < 2 {
		return func() {}
	}
	bar := progressbar.NewOptions(n, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("computing KPIs"),
		progressbar.OptionClearOnFinish(), progressbar.OptionShowCount())
	return func() { _ = bar.Add(1) }
}

// writeOut writes to --out, or to the app's writer. The file is written
// under a temporary name in the same directory and renamed over --out only
// when complete, so that a failed render leaves the previous report.
func writeOut(c *cli.Context, write func(io.Writer) error) error {
	path := c.String("out")
	if path == "" {
		return write(c.App.Writer)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	if err := writeFile(f, outMode(path), write); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("--out %s: %w", path, err)
	}
	return nil
}

// writeFile writes f with write, gives it mode and closes it.
func writeFile(f *os.File, mode os.FileMode, write func(io.Writer) error) error {
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("--out: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

// outMode is the mode of the file at path, or 0644 for a new one.
func outMode(path string) os.FileMode {
	if fi, err := os.Stat(path); err == nil {
		return fi.Mode().Perm()
	}
	return 0o644
}

func compareQuery(c *cli.Context) (report.Query, error) {
	var q report.Query
	var err error
	if q.From, err = time.Parse(time.DateOnly, c.String("from")); err != nil {
		return q, usageErrorf("--from: want YYYY-MM-DD, got %q", c.String("from"))
	}
	if q.To, err = time.Parse(time.DateOnly, c.String("to")); err != nil {
		return q, usageErrorf("--to: want YYYY-MM-DD, got %q", c.String("to"))
	}
	if !q.To.After(q.From) {
		return q, usageErrorf("--to %s must be after --from %s", c.String("to"), c.String("from"))
	}
	switch by := store.By(c.String("by")); by {
	case store.ByTotal, store.ByDay, store.ByWeek, store.ByMonth:
		q.By = by
	default:
		return q, usageErrorf("--by: want total, day, week or month, got %q", c.String("by"))
	}
	q.AsOf = time.Now()
	if s := c.String("as-of"); s != "" {
		if q.AsOf, err = time.Parse(time.RFC3339, s); err != nil {
			return q, usageErrorf("--as-of: want an RFC3339 time such as 2024-02-01T00:00:00Z, got %q", s)
		}
	}
	q.Institutions = splitList(c.String("institutions"))
	for _, s := range splitList(c.String("kpis")) {
		id, err := kpi.ParseID(s)
		if err != nil {
			return q, usageErrorf("--kpis: %w (known: %s)", err, kpiIDs())
		}
		q.KPIs = append(q.KPIs, id)
	}
	if s := c.String("sl-method"); s != "" {
		if q.Method, err = kpi.ParseMethod(s); err != nil {
			return q, usageErrorf("--sl-method: %w", err)
		}
	}
	return q, nil
}

func kpiIDs() string {
	var ids []string
	for _, d := range kpi.Catalogue() {
		ids = append(ids, string(d.ID))
	}
	return strings.Join(ids, ", ")
}

// knownChannels are the channels --channels accepts.
var knownChannels = []string{records.ChannelPhone, records.ChannelChat, records.ChannelFacebook, records.ChannelVisit,
	records.ChannelEmail, records.ChannelWebForm, records.ChannelPost, records.ChannelWeb}

func parseChannels(s string) ([]string, error) {
	list := splitList(s)
	for _, ch := range list {
		if !slices.Contains(knownChannels, ch) {
			return nil, usageErrorf("--channels: unknown channel %q (known: %s)", ch, strings.Join(knownChannels, ", "))
		}
	}
	return list, nil
}

// checkInstitutions returns the institutions asked for, every configured
// one when none, and refuses an unknown one.
func checkInstitutions(cfg *config.Config, ids []string) ([]string, error) {
	if len(ids) == 0 {
		for _, in := range cfg.Institutions {
			ids = append(ids, in.ID)
		}
		return ids, nil
	}
	for _, id := range ids {
		if _, ok := cfg.Institution(id); !ok {
			var known []string
			for _, in := range cfg.Institutions {
				known = append(known, in.ID)
			}
			return nil, usageErrorf("--institutions: unknown institution %q (configured in %s: %s)", id, cfg.Path(), strings.Join(known, ", "))
		}
	}
	return ids, nil
}

// filterChannels keeps the rows of the channels asked for (all rows when
// none): rows without a channel or summed over channels go.
func filterChannels(rows []report.Row, channels []string) []report.Row {
	if len(channels) == 0 {
		return rows
	}
	out := rows[:0]
	for _, r := range rows {
		if r.Channel != nil && slices.Contains(channels, *r.Channel) {
			out = append(out, r)
		}
	}
	return out
}

// checkData refuses a report without data. One asking for a KPI measured
// from collected records needs a measured figure: a window with nothing
// collected is an error, not an empty success. One asking only for KPIs of
// the registers (practice_score) needs a figure with a value.
func checkData(rep *report.Report, q report.Query, channels []string) error {
	registers := registerKPIs(q.KPIs)
	for _, r := range rep.Rows {
		if r.Source == report.SourceMeasured || (registers && r.Value != nil) {
			return nil
		}
	}
	what := "no data"
	if len(q.KPIs) > 0 {
		what += " for KPIs " + joinIDs(q.KPIs)
	}
	if len(channels) > 0 {
		what += " on channels " + strings.Join(channels, ", ")
	}
	why := "nothing was collected in that window"
	if registers {
		why = "the registers hold no such figure"
	}
	return fmt.Errorf("%s of %s from %s to %s (exclusive): %s", what, strings.Join(q.Institutions, ", "), rep.From, rep.To, why)
}

// registerKPIs reports whether ids are KPIs of the registers only, which
// no collector measures.
func registerKPIs(ids []kpi.ID) bool {
	for _, id := range ids {
		if d, ok := kpi.Lookup(id); !ok || d.Measure != kpi.MeasureRegister {
			return false
		}
	}
	return len(ids) > 0
}

func joinIDs(ids []kpi.ID) string {
	var s []string
	for _, id := range ids {
		s = append(s, string(id))
	}
	return strings.Join(s, ", ")
}

// splitList splits a comma-separated list, without empty items and
// repeats, in the order first seen.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

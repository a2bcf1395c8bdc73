package alerts

import (
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/common/model"
)

// The Alertmanager configuration is written from these types (a subset of
// Alertmanager's configuration file) rather than from Alertmanager's own
// config package, which would pull another large module into the build;
// `amtool check-config` validates the output in the tests.
type amConfig struct {
	Global       amGlobal     `yaml:"global"`
	Route        amRoute      `yaml:"route"`
	InhibitRules []amInhibit  `yaml:"inhibit_rules"`
	Receivers    []amReceiver `yaml:"receivers"`
}

type amGlobal struct {
	ResolveTimeout string `yaml:"resolve_timeout"`
}

type amRoute struct {
	Receiver       string    `yaml:"receiver,omitempty"`
	Matchers       []string  `yaml:"matchers,omitempty"`
	GroupBy        []string  `yaml:"group_by,omitempty"`
	GroupWait      string    `yaml:"group_wait,omitempty"`
	GroupInterval  string    `yaml:"group_interval,omitempty"`
	RepeatInterval string    `yaml:"repeat_interval,omitempty"`
	Routes         []amRoute `yaml:"routes,omitempty"`
}

type amInhibit struct {
	SourceMatchers []string `yaml:"source_matchers"`
	TargetMatchers []string `yaml:"target_matchers"`
	Equal          []string `yaml:"equal,omitempty"`
}

type amReceiver struct {
	Name           string      `yaml:"name"`
	WebhookConfigs []amWebhook `yaml:"webhook_configs,omitempty"`
}

type amWebhook struct {
	URL          string `yaml:"url"`
	SendResolved bool   `yaml:"send_resolved"`
}

// GroupBy are the labels Alertmanager groups notifications by: one
// notification per alert name, institution and severity.
var GroupBy = []string{"alertname", "institution", "severity"}

// ReceiverName is the receiver of an institution's (or, for "", ccbench's
// own) alerts of one severity.
func ReceiverName(institution, severity string) string {
	if institution == "" {
		institution = "ccbench"
	}
	return institution + "-" + severity
}

// alertmanagerConfig routes by institution, then severity; alerts without
// an institution (exporter or collector down) go to ccbench's own
// receivers. Inhibitions: a stale feed or failing refresh of an
// institution silences its KPI alerts; a down exporter or collector
// silences every KPI alert; a paging KPI alert silences the ticket alerts
// of the same series.
func alertmanagerConfig(o Options) amConfig {
	d := func(v interface{ String() string }) string { return v.String() }
	c := amConfig{
		Global: amGlobal{ResolveTimeout: "5m"},
		Route: amRoute{
			Receiver:       ReceiverName("", SeverityTicket),
			GroupBy:        GroupBy,
			GroupWait:      d(model.Duration(o.GroupWait)),
			GroupInterval:  d(model.Duration(o.GroupInterval)),
			RepeatInterval: d(model.Duration(o.RepeatInterval)),
		},
	}
	var institutions []string
	for _, in := range o.Config.Institutions {
		institutions = append(institutions, in.ID)
	}
	sort.Strings(institutions)
	severities := []string{SeverityPage, SeverityTicket}
	bySeverity := func(institution string) []amRoute {
		var out []amRoute
		for _, s := range severities {
			out = append(out, amRoute{Matchers: []string{matcher("severity", s)}, Receiver: ReceiverName(institution, s)})
		}
		return out
	}
	for _, in := range institutions {
		c.Route.Routes = append(c.Route.Routes, amRoute{
			Matchers: []string{matcher("institution", in)},
			Receiver: ReceiverName(in, SeverityTicket),
			Routes:   bySeverity(in),
		})
	}
	c.Route.Routes = append(c.Route.Routes, bySeverity("")...)

	for _, in := range append([]string{""}, institutions...) {
		for _, s := range severities {
			r := amReceiver{Name: ReceiverName(in, s)}
			if o.WebhookURL != "" {
				r.WebhookConfigs = []amWebhook{{URL: o.WebhookURL, SendResolved: true}}
			}
			c.Receivers = append(c.Receivers, r)
		}
	}

	// Without a collector job the collector's alerts are not generated,
	// and neither are their inhibitions.
	stale := []string{AlertFeedStale, AlertFeedNeverPulled, AlertExporterRefreshFailed}
	down := []string{AlertExporterDown, AlertCollectorDown}
	if o.CollectorJob == "" {
		stale = []string{AlertExporterRefreshFailed}
		down = []string{AlertExporterDown}
	}
	kpiAlerts := []string{matcher("kind", KindKPI)}
	c.InhibitRules = []amInhibit{
		{
			SourceMatchers: []string{alertnames(stale)},
			TargetMatchers: kpiAlerts,
			Equal:          []string{"institution"},
		},
		{
			SourceMatchers: []string{alertnames(down)},
			TargetMatchers: kpiAlerts,
		},
		{
			SourceMatchers: []string{matcher("kind", KindKPI), matcher("severity", SeverityPage)},
			TargetMatchers: []string{matcher("kind", KindKPI), matcher("severity", SeverityTicket)},
			Equal:          []string{"institution", "unit", "channel", "kpi", "method", "instrument"},
		},
	}
	return c
}

func matcher(name, value string) string { return fmt.Sprintf("%s=%q", name, value) }

// alertnames matches the alerts named: alertname="A" for one, else a
// regular expression of them.
func alertnames(names []string) string {
	if len(names) == 1 {
		return matcher("alertname", names[0])
	}
	return fmt.Sprintf("alertname=~%q", strings.Join(names, "|"))
}

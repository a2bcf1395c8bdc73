package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// serviceLevelKPIs are the real-time KPIs of the service-levels dashboard.
var serviceLevelKPIs = []kpi.ID{kpi.ServiceLevel, kpi.AbandonRate, kpi.ASASeconds, kpi.AHTSeconds}

// byChannel is what the over-time panels roll KPIs up by.
const (
	byChannel     = "institution, channel"
	channelLegend = "{{institution}} {{channel}}"
)

// serviceLevels is the service levels over time: service level, abandon
// rate, ASA and AHT per institution and channel with their target lines,
// and the contacts offered that they rest on.
func serviceLevels(cfg *config.Config, uid, title string) *dashboard.DashboardBuilder {
	ids := &panelIDs{}
	b := newDashboard(uid, title,
		"Service level, abandon rate, average speed of answer and average handling time of the real-time channels per institution and channel over time, against their targets.",
		variables(cfg, varSet{method: true}), "service-levels")
	b = b.WithRow(dashboard.NewRowBuilder("Real-time channels").Id(ids.id()))
	for _, id := range serviceLevelKPIs {
		d := kpi.MustLookup(id)
		b = b.WithPanel(kpiTimeseries(cfg, ids, d, byChannel, channelLegend,
			d.Help+" Per institution and channel, rolled up across units from summed numerators and denominators; dashed lines are each institution's strictest target for the channel (or for all its channels).", 12))
	}
	offered := kpi.MustLookup(kpi.ContactsOffered)
	b = b.WithRow(dashboard.NewRowBuilder("Volume").Id(ids.id())).
		WithPanel(newTimeseries(ids, offered.Title, offered.Help+" Per institution and channel: the volume the service levels above rest on.",
			grafanaUnit(offered.Unit), decimals(offered.Unit)).
			Min(0).
			DrawStyle(common.GraphDrawStyleBars).FillOpacity(60).
			Span(24).Height(8).
			WithTarget(query("A", rollup(offered, byChannel), channelLegend)))
	return b
}

package alerts

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ccbench/ccbench/kpi"
)

// OverviewDashboard holds a panel of every KPI by institution: the
// fall-back of a KPI's link when its own dashboard has no panel of it.
const OverviewDashboard = "ccbench-overview"

// PanelsFromDashboards returns a Panel function for Options from generated
// Grafana dashboards (uid → dashboard JSON): a KPI links to the first panel
// whose title begins with the KPI's title, on DashboardOf's dashboard, else
// on any other dashboard, else on the overview.
func PanelsFromDashboards(models map[string][]byte) (func(kpi.Definition) (string, string), error) {
	type panel struct {
		ID     int     `json:"id"`
		Type   string  `json:"type"`
		Title  string  `json:"title"`
		Panels []panel `json:"panels"`
	}
	titles := map[string][]panel{} // uid → panels in order
	var uids []string
	for uid, b := range models {
		var d struct {
			Panels []panel `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("alerts: dashboard %s: %w", uid, err)
		}
		var walk func([]panel)
		walk = func(ps []panel) {
			for _, p := range ps {
				if p.Type != "row" {
					titles[uid] = append(titles[uid], p)
				}
				walk(p.Panels)
			}
		}
		walk(d.Panels)
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	find := func(uid, title string) (string, bool) {
		for _, p := range titles[uid] {
			if strings.HasPrefix(p.Title, title) {
				return strconv.Itoa(p.ID), true
			}
		}
		return "", false
	}
	return func(d kpi.Definition) (string, string) {
		order := []string{DashboardOf(d)}
		for _, uid := range uids {
			if uid != OverviewDashboard && uid != order[0] {
				order = append(order, uid)
			}
		}
		for _, uid := range append(order, OverviewDashboard) {
			if id, ok := find(uid, d.Title); ok {
				return uid, id
			}
		}
		return "", ""
	}, nil
}

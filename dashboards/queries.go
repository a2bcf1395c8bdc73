package dashboards

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PanelQuery is one query of a panel, ready to run: a Prometheus query
// with the dashboard's template variables replaced by concrete values, or
// a ClickHouse query with the plugin's macros expanded as well.
type PanelQuery struct {
	Panel string // panel title
	RefID string
	Expr  string // runnable PromQL (Prometheus queries)
	SQL   string // runnable SQL (ClickHouse queries)
}

// builtins are the values Grafana's own variables get in extracted queries.
var builtins = map[string]string{
	"__rate_interval": "5m",
	"__interval":      "1m",
	"__range":         "1d",
}

// Queries extracts every Prometheus query of d (rows included) and
// substitutes the template variables the way Grafana would with the
// defaults selected: a multi-value variable with "All" becomes its
// all-value, a custom variable its current value. It fails when a query
// names a variable the dashboard does not define, so that the result can
// be run against Prometheus as is.
func Queries(d Dashboard) ([]PanelQuery, error) {
	targets, values, err := extract(d)
	if err != nil {
		return nil, err
	}
	var out []PanelQuery
	for _, t := range targets {
		if t.datasource != prometheusType {
			continue
		}
		if t.Expr == "" {
			return nil, fmt.Errorf("queries of dashboard %s: panel %q query %s has no expression", d.UID, t.panel, t.RefID)
		}
		expr, err := substitute(t.Expr, values)
		if err != nil {
			return nil, fmt.Errorf("queries of dashboard %s: panel %q query %s: %w", d.UID, t.panel, t.RefID, err)
		}
		out = append(out, PanelQuery{Panel: t.panel, RefID: t.RefID, Expr: expr})
	}
	return out, nil
}

// SQLQueries extracts every ClickHouse query of d, expands the plugin's
// macros for the time range [from, to] and an interval of intervalS
// seconds the way the plugin (v4) does, and substitutes the template
// variables as Queries does. It fails on a macro that not every ClickHouse
// runs (see ExpandMacros).
func SQLQueries(d Dashboard, from, to time.Time, intervalS int) ([]PanelQuery, error) {
	targets, values, err := extract(d)
	if err != nil {
		return nil, err
	}
	var out []PanelQuery
	for _, t := range targets {
		if t.datasource != ClickHouseType {
			continue
		}
		sql, err := ExpandMacros(t.RawSQL, from, to, intervalS)
		if err == nil {
			sql, err = substitute(sql, values)
		}
		if err != nil {
			return nil, fmt.Errorf("SQL of dashboard %s: panel %q query %s: %w", d.UID, t.panel, t.RefID, err)
		}
		out = append(out, PanelQuery{Panel: t.panel, RefID: t.RefID, SQL: sql})
	}
	return out, nil
}

var macroRef = regexp.MustCompile(`\$__(\w+)(?:\(([^)]*)\))?`)

// ExpandMacros expands the ClickHouse plugin's macros in sql as the plugin
// (v4) does: $__timeFilter(col) to col >= toDateTime(from) AND col <=
// toDateTime(to), $__fromTime and $__toTime to toDateTime(unix seconds),
// $__interval_s to the interval in whole seconds (at least 1). Every other
// macro fails: $__timeInterval, $__timeGroup and the _ms variants expand to
// toStartOfInterval or DateTime64, which ClickHouse 18.16 lacks.
func ExpandMacros(sql string, from, to time.Time, intervalS int) (string, error) {
	var bad []string
	out := macroRef.ReplaceAllStringFunc(sql, func(m string) string {
		parts := macroRef.FindStringSubmatch(m)
		name, arg := parts[1], strings.TrimSpace(parts[2])
		switch name {
		case "timeFilter":
			if arg == "" {
				bad = append(bad, m+" (needs a column)")
				return m
			}
			return fmt.Sprintf("%s >= toDateTime(%d) AND %s <= toDateTime(%d)", arg, from.Unix(), arg, to.Unix())
		case "fromTime":
			return fmt.Sprintf("toDateTime(%d)", from.Unix()) + parenthesised(parts[2], m)
		case "toTime":
			return fmt.Sprintf("toDateTime(%d)", to.Unix()) + parenthesised(parts[2], m)
		case "interval_s":
			return strconv.Itoa(max(intervalS, 1)) + parenthesised(parts[2], m)
		}
		bad = append(bad, "$__"+name)
		return m
	})
	if len(bad) > 0 {
		return "", fmt.Errorf("macros not every ClickHouse runs: %s", strings.Join(bad, ", "))
	}
	return out, nil
}

// parenthesised gives back a parenthesis the macro pattern swallowed after
// a macro that takes no argument.
func parenthesised(arg, match string) string {
	if strings.HasSuffix(match, ")") {
		return "(" + arg + ")"
	}
	return ""
}

// target is one query of a panel as the dashboard JSON has it.
type target struct {
	panel      string
	datasource string // data source type: the query's, else the panel's
	RefID      string `json:"refId"`
	Expr       string `json:"expr"`
	RawSQL     string `json:"rawSql"`
	Datasource *struct {
		Type string `json:"type"`
	} `json:"datasource"`
}

type rawPanel struct {
	Title      string   `json:"title"`
	Targets    []target `json:"targets"`
	Datasource *struct {
		Type string `json:"type"`
	} `json:"datasource"`
	Panels []rawPanel `json:"panels"` // a collapsed row's panels
}

// extract returns every query of d and the values of its variables.
func extract(d Dashboard) ([]target, map[string]string, error) {
	var model struct {
		Panels     []rawPanel `json:"panels"`
		Templating struct {
			List []rawVariable `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(d.JSON, &model); err != nil {
		return nil, nil, fmt.Errorf("queries of dashboard %s: %w", d.UID, err)
	}
	values := map[string]string{}
	for k, v := range builtins {
		values[k] = v
	}
	for _, v := range model.Templating.List {
		val, err := v.value()
		if err != nil {
			return nil, nil, fmt.Errorf("queries of dashboard %s: variable %s: %w", d.UID, v.Name, err)
		}
		values[v.Name] = val
	}
	var out []target
	var walk func(ps []rawPanel)
	walk = func(ps []rawPanel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				t.panel = p.Title
				switch {
				case t.Datasource != nil && t.Datasource.Type != "":
					t.datasource = t.Datasource.Type
				case p.Datasource != nil:
					t.datasource = p.Datasource.Type
				}
				out = append(out, t)
			}
			walk(p.Panels)
		}
	}
	walk(model.Panels)
	return out, values, nil
}

type rawVariable struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Multi      bool   `json:"multi"`
	IncludeAll bool   `json:"includeAll"`
	AllValue   string `json:"allValue"`
	Current    *struct {
		Value json.RawMessage `json:"value"`
	} `json:"current"`
}

// value is the text a variable stands for in a query.
func (v rawVariable) value() (string, error) {
	all := v.AllValue
	if all == "" {
		all = ".*"
	}
	var current []string
	if v.Current != nil && len(v.Current.Value) > 0 {
		var one string
		if err := json.Unmarshal(v.Current.Value, &one); err == nil {
			current = []string{one}
		} else if err := json.Unmarshal(v.Current.Value, &current); err != nil {
			return "", fmt.Errorf("current value %s is neither a string nor a list", v.Current.Value)
		}
	}
	switch {
	case v.Type == "datasource":
		return v.Name, nil
	case len(current) == 0 || (len(current) == 1 && current[0] == "$__all"):
		if v.IncludeAll {
			return all, nil
		}
		return "", fmt.Errorf("no current value and no all option")
	case len(current) == 1:
		return current[0], nil
	default:
		// Grafana renders several values for a regex matcher as (a|b).
		quoted := make([]string, len(current))
		for i, c := range current {
			quoted[i] = regexp.QuoteMeta(c)
		}
		return "(" + strings.Join(quoted, "|") + ")", nil
	}
}

var variableRef = regexp.MustCompile(`\$\{([A-Za-z_]\w*)(?::[^}]*)?\}|\[\[([A-Za-z_]\w*)\]\]|\$([A-Za-z_]\w*)`)

// substitute replaces $name, ${name} and [[name]] in expr with values.
func substitute(expr string, values map[string]string) (string, error) {
	var missing []string
	out := variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3]
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			return ref
		}
		return v
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return "", fmt.Errorf("undefined variables %s in %q", strings.Join(missing, ", "), expr)
	}
	return out, nil
}

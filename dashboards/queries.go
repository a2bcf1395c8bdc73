package dashboards

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// PanelQuery is one Prometheus query of a panel, with the dashboard's
// template variables replaced by concrete values.
type PanelQuery struct {
	Panel string // panel title
	RefID string
	Expr  string // runnable PromQL
}

// builtins are the values Grafana's own variables get in extracted queries.
var builtins = map[string]string{
	"__rate_interval": "5m",
	"__interval":      "1m",
	"__range":         "1d",
}

// Queries extracts every panel query of d (rows included) and substitutes
// the template variables the way Grafana would with the defaults selected:
// a multi-value variable with "All" becomes its all-value (".*" by
// default), a custom variable its current value. It fails when a query
// names a variable the dashboard does not define, so that the result can
// be run against Prometheus as is.
func Queries(d Dashboard) ([]PanelQuery, error) {
	var model struct {
		Panels     []rawPanel `json:"panels"`
		Templating struct {
			List []rawVariable `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(d.JSON, &model); err != nil {
		return nil, fmt.Errorf("queries of dashboard %s: %w", d.UID, err)
	}
	values := map[string]string{}
	for k, v := range builtins {
		values[k] = v
	}
	for _, v := range model.Templating.List {
		val, err := v.value()
		if err != nil {
			return nil, fmt.Errorf("queries of dashboard %s: variable %s: %w", d.UID, v.Name, err)
		}
		values[v.Name] = val
	}

	var out []PanelQuery
	var walk func(ps []rawPanel) error
	walk = func(ps []rawPanel) error {
		for _, p := range ps {
			for _, t := range p.Targets {
				if t.Expr == "" {
					continue
				}
				expr, err := substitute(t.Expr, values)
				if err != nil {
					return fmt.Errorf("queries of dashboard %s: panel %q query %s: %w", d.UID, p.Title, t.RefID, err)
				}
				out = append(out, PanelQuery{Panel: p.Title, RefID: t.RefID, Expr: expr})
			}
			if err := walk(p.Panels); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(model.Panels); err != nil {
		return nil, err
	}
	return out, nil
}

type rawPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []rawPanel `json:"panels"` // a collapsed row's panels
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
		return "prometheus", nil
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

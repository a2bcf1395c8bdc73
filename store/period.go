package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/ccbench/ccbench/kpi"
)

// checkGrouping returns by, ByTotal when empty, or an error for an unknown
// grouping.
func checkGrouping(by By) (By, error) {
	switch by {
	case ByTotal, "":
		return ByTotal, nil
	case ByDay, ByWeek, ByMonth:
		return by, nil
	}
	return by, fmt.Errorf("unknown grouping %q (want total, day, week or month)", by)
}

// periodExpr appends the SQL expression of the period a row falls in: the
// local date of column (a DateTime) in loc for ByDay, the first of its
// month for ByMonth, one constant date for ByTotal.
func periodExpr(q *query, by By, column string, loc *time.Location) *query {
	switch by {
	case ByDay:
		return q.sql("toDate(", column, ", ").bind(loc.String()).sql(")")
	case ByWeek:
		return q.sql("toMonday(toDate(", column, ", ").bind(loc.String()).sql("))")
	case ByMonth:
		return q.sql("toStartOfMonth(toDate(", column, ", ").bind(loc.String()).sql("))")
	}
	return q.sql("toDate(0)")
}

// datePeriodExpr is periodExpr for a column that is already a local Date.
func datePeriodExpr(q *query, by By, column string) *query {
	switch by {
	case ByDay:
		return q.sql(column)
	case ByWeek:
		return q.sql("toMonday(", column, ")")
	case ByMonth:
		return q.sql("toStartOfMonth(", column, ")")
	}
	return q.sql("toDate(0)")
}

// checkWindow refuses a query of what (e.g. "contact counts") without an
// institution or with an empty window [from, to).
func checkWindow(what, institution string, from, to time.Time) error {
	if institution == "" {
		return fmt.Errorf("%s: institution must not be empty", what)
	}
	if !from.Before(to) {
		return fmt.Errorf("%s of %s: window [%s, %s) is empty", what, institution, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return nil
}

// paramsOrDefault returns params, or kpi.DefaultParams of the channel when
// params is nil.
func paramsOrDefault(params func(unit, channel string) kpi.Params) func(unit, channel string) kpi.Params {
	if params == nil {
		return func(_, channel string) kpi.Params { return kpi.DefaultParams(channel) }
	}
	return params
}

// namedLocation returns loc, UTC when nil, and refuses zones that
// ClickHouse cannot name.
func namedLocation(loc *time.Location) (*time.Location, error) {
	if loc == nil {
		return time.UTC, nil
	}
	if name := loc.String(); name == "Local" || name == "" || strings.ContainsAny(name, " ") {
		return nil, fmt.Errorf("location must be a named IANA time zone such as Europe/Vilnius, not %q", name)
	}
	return loc, nil
}

// periodStart turns the period column of a query grouped by `by` into the
// local start of the period; a total starts at from.
func periodStart(by By, period, from time.Time, loc *time.Location) time.Time {
	y, m, d := period.Date()
	switch by {
	case ByDay, ByWeek: // a week's period is its Monday
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	case ByMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, loc)
	}
	return from
}

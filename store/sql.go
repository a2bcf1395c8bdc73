package store

import (
	"context"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
)

// query builds the text of a ClickHouse query and the values of its `?`
// placeholders together, so that every value reaches ClickHouse as a bound
// parameter (clickhouse-go renders each with its own quoting) and never by
// string concatenation. Identifiers (tables, columns) come from the fixed
// sets of this package, never from a caller.
type query struct {
	b      strings.Builder
	args   []any
	tables []func() (*ext.Table, error) // external tables the query reads
}

// external makes the query send the table that table builds with it.
func (q *query) external(table func() (*ext.Table, error)) *query {
	q.tables = append(q.tables, table)
	return q
}

// context returns ctx carrying the query's external tables.
func (q *query) context(ctx context.Context) (context.Context, error) {
	if len(q.tables) == 0 {
		return ctx, nil
	}
	tables := make([]*ext.Table, len(q.tables))
	for i, build := range q.tables {
		t, err := build()
		if err != nil {
			return nil, err
		}
		tables[i] = t
	}
	return clickhouse.Context(ctx, clickhouse.WithExternalTable(tables...)), nil
}

// sql appends query text, which must hold no values.
func (q *query) sql(parts ...string) *query {
	for _, p := range parts {
		q.b.WriteString(p)
	}
	return q
}

// bind appends a placeholder for v.
func (q *query) bind(v any) *query {
	q.b.WriteByte('?')
	q.args = append(q.args, v)
	return q
}

// time appends a DateTime expression for t (to the second) in UTC, which
// does not depend on the server's time zone.
func (q *query) time(t time.Time) *query {
	return q.sql("toDateTime(").bind(t.Unix()).sql(", 'UTC')")
}

// date appends a Date expression for the calendar date of t, read in t's
// own location.
func (q *query) date(t time.Time) *query {
	return q.sql("toDate(").bind(t.Format(time.DateOnly)).sql(")")
}

// list appends a comma-separated placeholder list for vs (at least one
// value: an empty list yields a list of one empty string, which matches
// nothing the callers look for).
func (q *query) list(vs []string) *query {
	if len(vs) == 0 {
		return q.bind("")
	}
	for i, v := range vs {
		if i > 0 {
			q.sql(", ")
		}
		q.bind(v)
	}
	return q
}

func (q *query) String() string { return q.b.String() }

// quoteIdent renders name as a ClickHouse identifier, for the one place an
// identifier comes from configuration (the database name in CREATE and
// DROP DATABASE, where ClickHouse cannot bind a parameter).
func quoteIdent(name string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(name) + "`"
}

// subquery appends the text of o, its placeholders' values and its
// external tables.
func (q *query) subquery(o *query) *query {
	q.sql(o.String())
	q.args = append(q.args, o.args...)
	q.tables = append(q.tables, o.tables...)
	return q
}

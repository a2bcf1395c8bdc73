package schema

import (
	"fmt"
	"regexp"
	"strings"
)

// ClusterForm rewrites the statements of the migrations into their form for
// a replicated, sharded ClickHouse cluster, so that one set of migration
// files serves both a single server and a cluster:
//
//   - CREATE TABLE IF NOT EXISTS t (...) ENGINE = XMergeTree(args) ... becomes
//     t_local, a ReplicatedXMergeTree('/clickhouse/tables/{shard}/<db>.t',
//     '{replica}', args) on every node, and t, a Distributed table over
//     t_local sharded by cityHash64(institution) (or, in a table without an
//     institution column, by the first column of its ORDER BY). The rest of
//     ccbench keeps reading and writing t.
//   - CREATE MATERIALIZED VIEW IF NOT EXISTS v TO t AS SELECT ... FROM s
//     reads s_local and writes t_local: a view fires on the replica that took
//     the insert, and the shard's replication copies its output.
//   - CREATE VIEW IF NOT EXISTS v AS SELECT ... reads the Distributed tables.
//   - ALTER TABLE t with column changes alters t_local (on each shard), then drops and
//     creates t again over it (ClickHouse 18.16 refuses an ON CLUSTER ALTER
//     of a table that is not replicated on a cluster with
//     internal_replication; a Distributed table holds no data when inserts
//     are synchronous, see store.OpenCluster); other ALTERs (mutations) go
//     to t_local.
//   - DROP TABLE IF EXISTS t drops t and t_local.
//   - INSERT and SELECT statements (backfills) run as written, through the
//     Distributed tables.
//
// Every DDL runs ON CLUSTER, with the database named, so that a node
// executing it from the DDL queue creates it in the right database, except
// the ALTERs of replicated tables, which run on one replica of each shard
// (see Statement.OnEachShard). Any
// other statement is refused, so that a new kind of migration statement is
// noticed by the cluster tests rather than run on one node only.
//
// A ClusterForm remembers the tables of the statements it rewrote: feed it
// every migration in order, applied ones included.
type ClusterForm struct {
	cluster  string
	database string
	tables   map[string]string // created by CREATE TABLE (each has a _local twin): its sharding key
}

// Statement is one statement of the cluster form.
type Statement struct {
	SQL string
	// OnEachShard says to run SQL on one replica of every shard (the
	// replicated table passes it to the others) instead of ON CLUSTER. It
	// marks ALTERs of the replicated tables: ClickHouse 18.16's DDL queue
	// runs an ON CLUSTER ALTER of a replicated table on one replica per
	// shard, and when two replicas race for it one of them fails with a
	// ZooKeeper "node exists" error and stops executing DDL (seen here in
	// about one ALTER in fifty).
	OnEachShard bool
}

// onCluster wraps statements that carry their own ON CLUSTER.
func onCluster(sqls ...string) []Statement {
	out := make([]Statement, len(sqls))
	for i, q := range sqls {
		out[i] = Statement{SQL: q}
	}
	return out
}

// LocalSuffix names the shard-local table under each Distributed table.
const LocalSuffix = "_local"

var identifierRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// NewClusterForm returns the rewrite for database on cluster. Both names
// must be plain identifiers: they go into DDL and ZooKeeper paths.
func NewClusterForm(cluster, database string) (*ClusterForm, error) {
	if !identifierRE.MatchString(cluster) {
		return nil, fmt.Errorf("cluster name %q: must be letters, digits and underscores", cluster)
	}
	if !identifierRE.MatchString(database) {
		return nil, fmt.Errorf("database name %q: a cluster schema needs letters, digits and underscores", database)
	}
	return &ClusterForm{cluster: cluster, database: database, tables: map[string]string{}}, nil
}

var (
	createTableRE = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
	engineRE      = regexp.MustCompile(`(?is)^\s*ENGINE\s*=\s*([A-Za-z]*MergeTree)\s*(\()?`)
	orderByRE     = regexp.MustCompile(`(?is)\bORDER\s+BY\s+`)
	createMVRE    = regexp.MustCompile(`(?is)^CREATE\s+MATERIALIZED\s+VIEW\s+IF\s+NOT\s+EXISTS\s+([A-Za-z_][A-Za-z0-9_]*)\s+(.*?)\bAS\s+(SELECT\b.*)$`)
	mvToRE        = regexp.MustCompile(`(?is)^TO\s+([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	createViewRE  = regexp.MustCompile(`(?is)^CREATE\s+VIEW\s+IF\s+NOT\s+EXISTS\s+([A-Za-z_][A-Za-z0-9_]*)\s+AS\s+(SELECT\b.*)$`)
	alterRE       = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$`)
	columnCmdRE   = regexp.MustCompile(`(?is)^(ADD|DROP|MODIFY|COMMENT|CLEAR)\s+COLUMN\b`)
	dropRE        = regexp.MustCompile(`(?is)^DROP\s+(TABLE|VIEW)\s+IF\s+EXISTS\s+([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	passRE        = regexp.MustCompile(`(?is)^(INSERT|SELECT)\b`)
)

// Rewrite returns the cluster form of one migration statement: one or more
// statements, in order.
func (f *ClusterForm) Rewrite(stmt string) ([]Statement, error) {
	stmt = strings.TrimSpace(stmt)
	switch {
	case createTableRE.MatchString(stmt):
		return f.createTable(stmt)
	case createMVRE.MatchString(stmt):
		return f.createMaterializedView(stmt)
	case createViewRE.MatchString(stmt):
		m := createViewRE.FindStringSubmatch(stmt)
		return onCluster(fmt.Sprintf("CREATE VIEW IF NOT EXISTS %s ON CLUSTER %s AS %s", f.qualify(m[1]), f.cluster, f.renameTables(m[2], ""))), nil
	case alterRE.MatchString(stmt):
		return f.alter(stmt)
	case dropRE.MatchString(stmt):
		m := dropRE.FindStringSubmatch(stmt)
		kind, name := strings.ToUpper(m[1]), m[2]
		out := []string{fmt.Sprintf("DROP %s IF EXISTS %s ON CLUSTER %s", kind, f.qualify(name), f.cluster)}
		if _, ok := f.tables[name]; ok && kind == "TABLE" {
			out = append(out, fmt.Sprintf("DROP TABLE IF EXISTS %s ON CLUSTER %s", f.qualify(name+LocalSuffix), f.cluster))
			delete(f.tables, name)
		}
		return onCluster(out...), nil
	case passRE.MatchString(stmt):
		return onCluster(stmt), nil
	}
	return nil, fmt.Errorf("cluster form: no rule for this statement (teach schema/cluster.go):\n%s", stmt)
}

func (f *ClusterForm) qualify(table string) string { return f.database + "." + table }

// createTable splits CREATE TABLE t into t_local (replicated) and t
// (Distributed).
func (f *ClusterForm) createTable(stmt string) ([]Statement, error) {
	loc := createTableRE.FindStringSubmatchIndex(stmt)
	name := stmt[loc[2]:loc[3]]
	open := loc[1] - 1
	end, err := closingParen(stmt, open)
	if err != nil {
		return nil, fmt.Errorf("cluster form of table %s: %w", name, err)
	}
	columns := stmt[open+1 : end]
	after := stmt[end+1:]
	em := engineRE.FindStringSubmatchIndex(after)
	if em == nil {
		return nil, fmt.Errorf("cluster form of table %s: only *MergeTree engines can be replicated", name)
	}
	engine := after[em[2]:em[3]]
	if strings.HasPrefix(strings.ToLower(engine), "replicated") {
		return nil, fmt.Errorf("cluster form of table %s: the migration must name the plain engine, not %s", name, engine)
	}
	var args, rest string
	if em[4] >= 0 { // engine with parentheses
		argsEnd, err := closingParen(after, em[4])
		if err != nil {
			return nil, fmt.Errorf("cluster form of table %s: engine: %w", name, err)
		}
		args = strings.TrimSpace(after[em[4]+1 : argsEnd])
		rest = after[argsEnd+1:]
	} else {
		rest = after[em[3]:]
	}
	key, err := shardingKey(columns, rest)
	if err != nil {
		return nil, fmt.Errorf("cluster form of table %s: %w", name, err)
	}
	replicatedArgs := fmt.Sprintf("'/clickhouse/tables/{shard}/%s.%s', '{replica}'", f.database, name)
	if args != "" {
		replicatedArgs += ", " + args
	}
	f.tables[name] = key
	return onCluster(
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ON CLUSTER %s (%s) ENGINE = Replicated%s(%s)%s",
			f.qualify(name+LocalSuffix), f.cluster, columns, engine, replicatedArgs, rest),
		f.createDistributed(name),
	), nil
}

// createDistributed creates the Distributed table name over name_local,
// with its columns.
func (f *ClusterForm) createDistributed(name string) string {
	local := name + LocalSuffix
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ON CLUSTER %s AS %s ENGINE = Distributed(%s, %s, %s, cityHash64(%s))",
		f.qualify(name), f.cluster, f.qualify(local), f.cluster, f.database, local, f.tables[name])
}

// shardingKey is institution when the table has that column, else the
// first column of its ORDER BY.
func shardingKey(columns, rest string) (string, error) {
	for _, def := range splitTopLevel(columns) {
		if fields := strings.Fields(def); len(fields) > 0 && strings.Trim(fields[0], "`") == "institution" {
			return "institution", nil
		}
	}
	m := orderByRE.FindStringIndex(rest)
	if m == nil {
		return "", fmt.Errorf("no institution column and no ORDER BY to shard by")
	}
	order := strings.TrimSpace(rest[m[1]:])
	if strings.HasPrefix(order, "(") {
		end, err := closingParen(order, 0)
		if err != nil {
			return "", fmt.Errorf("ORDER BY: %w", err)
		}
		order = splitTopLevel(order[1:end])[0]
	}
	first := strings.TrimSpace(strings.Fields(order)[0])
	if !identifierRE.MatchString(first) {
		return "", fmt.Errorf("no institution column, and the first ORDER BY column %q is not a plain column to shard by", first)
	}
	return first, nil
}

// createMaterializedView points a view TO t at t_local and its SELECT at
// the shard-local tables.
func (f *ClusterForm) createMaterializedView(stmt string) ([]Statement, error) {
	m := createMVRE.FindStringSubmatch(stmt)
	name, target, query := m[1], m[2], m[3]
	to := mvToRE.FindStringSubmatch(target)
	if to == nil {
		return nil, fmt.Errorf("cluster form of materialized view %s: it must write TO a table created by a migration (a view's own engine cannot be replicated)", name)
	}
	if _, ok := f.tables[to[1]]; !ok {
		return nil, fmt.Errorf("cluster form of materialized view %s: its target %s is not a table created by an earlier statement", name, to[1])
	}
	return onCluster(fmt.Sprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s ON CLUSTER %s TO %s AS %s",
		f.qualify(name), f.cluster, f.qualify(to[1]+LocalSuffix), f.renameTables(query, LocalSuffix))), nil
}

// alter sends column changes to the shard-local table, on each shard, and
// gives the Distributed table the new columns; anything else goes to the
// shard-local table.
func (f *ClusterForm) alter(stmt string) ([]Statement, error) {
	m := alterRE.FindStringSubmatch(stmt)
	name, commands := m[1], m[2]
	if _, ok := f.tables[name]; !ok {
		return nil, fmt.Errorf("cluster form: ALTER TABLE %s: not a table created by an earlier statement", name)
	}
	columnsOnly := true
	for _, c := range splitTopLevel(commands) {
		if !columnCmdRE.MatchString(strings.TrimSpace(c)) {
			columnsOnly = false
		}
	}
	local := Statement{SQL: fmt.Sprintf("ALTER TABLE %s %s", f.qualify(name+LocalSuffix), commands), OnEachShard: true}
	if !columnsOnly {
		return []Statement{local}, nil
	}
	return append([]Statement{local}, onCluster(
		fmt.Sprintf("DROP TABLE IF EXISTS %s ON CLUSTER %s", f.qualify(name), f.cluster),
		f.createDistributed(name),
	)...), nil
}

// renameTables qualifies every known table named after FROM or JOIN in
// query with the database, adding suffix.
func (f *ClusterForm) renameTables(query, suffix string) string {
	var b strings.Builder
	prevKeyword := false
	for _, t := range tokens(query) {
		if _, known := f.tables[t.text]; t.ident && prevKeyword && known {
			b.WriteString(f.qualify(t.text + suffix))
		} else {
			b.WriteString(t.text)
		}
		if t.ident {
			up := strings.ToUpper(t.text)
			prevKeyword = up == "FROM" || up == "JOIN"
		} else if strings.TrimSpace(t.text) != "" {
			prevKeyword = false
		}
	}
	return b.String()
}

type token struct {
	text  string
	ident bool // a bare word: keyword or identifier
}

// tokens splits SQL into bare words, quoted strings and identifiers,
// comments, and single other characters; joined, they give the input back.
func tokens(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, token{text: s[i:j], ident: !(c >= '0' && c <= '9')})
			i = j
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			out = append(out, token{text: s[i:j]})
			i = j
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				j = len(s) - i
			}
			out = append(out, token{text: s[i : i+j]})
			i += j
		default:
			out = append(out, token{text: s[i : i+1]})
			i++
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// closingParen returns the index of the parenthesis that closes the one at
// s[open], skipping quoted text and comments.
func closingParen(s string, open int) (int, error) {
	depth := 0
	pos := open
	for _, t := range tokens(s[open:]) {
		switch t.text {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return pos, nil
			}
		}
		pos += len(t.text)
	}
	return 0, fmt.Errorf("unbalanced parentheses")
}

// splitTopLevel splits s at commas outside parentheses and quotes.
func splitTopLevel(s string) []string {
	var (
		out   []string
		cur   strings.Builder
		depth int
	)
	for _, t := range tokens(s) {
		if strings.HasPrefix(t.text, "--") {
			continue
		}
		switch t.text {
		case "(":
			depth++
		case ")":
			depth--
		case ",":
			if depth == 0 {
				out = append(out, strings.TrimSpace(cur.String()))
				cur.Reset()
				continue
			}
		}
		cur.WriteString(t.text)
	}
	return append(out, strings.TrimSpace(cur.String()))
}

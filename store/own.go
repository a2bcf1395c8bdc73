package store

import (
	"context"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/ccbench/ccbench/records"
)

// A pass counts the contact buckets it wrote every row of (its own
// buckets) without sorting all their rows to pick newest versions. A
// bucket is the pass's own when it held no contact row when the pass first
// wrote to it. Every row in it is then a version the pass wrote, and the
// pass knows which of its records have more than one version (its revised
// records): those whose stored versions a batch's lookup found, and those
// a batch holds twice. Any other row in the bucket is the only version of
// its record. So the bucket's newest versions are its rows of records that
// are not revised, as they are, and the newest versions of the revised
// records that fall in it: picking those sorts a few per cent of the rows
// instead of all of them, and a backfill of a new institution is the
// pass's own almost everywhere.
//
// A write that fails after some of its rows were sent leaves rows of its
// records in the pass's buckets; a retry of the batch finds them stored
// and revises them, and without a retry they are the only versions of new
// records.

// maxRevised bounds the revised records a pass keeps per institution
// between recounts (some 10 MB); past it, the institution's own buckets are counted as
// any other, from the newest versions of every record.
const maxRevised = 200000

// revisedKey is a revised record of an institution.
type revisedKey struct{ source, id string }

// passOwn is what a pass knows about the contacts it wrote since its last
// recount.
type passOwn struct {
	buckets    touched                            // per institution, its own buckets
	revised    map[string]map[revisedKey]struct{} // per institution, its revised records
	off        map[string]bool                    // institutions with more than maxRevised revised records
	maxRevised int
}

func newPassOwn(maxRevised int) passOwn {
	return passOwn{buckets: touched{}, revised: map[string]map[revisedKey]struct{}{}, off: map[string]bool{}, maxRevised: maxRevised}
}

// emptyBuckets returns the buckets that batch cs puts contacts into for
// the first time in the pass and that hold no contact row yet: those the
// pass makes its own (sortOwn). It must run before the batch's rows are
// written.
func (p *Pass) emptyBuckets(ctx context.Context, cs []records.Contact) (touched, error) {
	candidates := touched{}
	for _, c := range cs {
		if !p.own.off[c.Institution] && !p.contacts[c.Institution][bucketFloor(c.ArrivedAt).Unix()] {
			candidates.add(c.Institution, c.ArrivedAt)
		}
	}
	empty := touched{}
	for institution := range candidates {
		buckets := candidates.sorted(institution)
		q := &query{}
		q.sql("SELECT DISTINCT toStartOfFifteenMinutes(arrived_at) FROM contacts WHERE institution = ").bind(institution).sql(" AND ")
		bucketSet(buckets).sql(q, "arrived_at")
		held := touched{}
		if err := p.collectBuckets(ctx, q, institution, held); err != nil {
			return nil, err
		}
		for _, b := range buckets {
			if !held[institution][b.Unix()] {
				empty.add(institution, b)
			}
		}
	}
	return empty, nil
}

// sortOwn updates the pass's own buckets and revised records for batch cs:
// b is what beforeContacts found out about it, and empty its buckets that
// held no row (emptyBuckets), which become the pass's own.
func (p *Pass) sortOwn(cs []records.Contact, b contactBatch, empty touched) {
	for k := range b.stored {
		p.revise(k)
	}
	for _, k := range twice(cs) {
		p.revise(k)
	}
	for institution, buckets := range empty {
		if p.own.off[institution] {
			continue
		}
		for bucket := range buckets {
			p.own.buckets.add(institution, time.Unix(bucket, 0))
		}
	}
}

// twice returns the records that cs holds more than one version of.
func twice(cs []records.Contact) []recordKey {
	n := make(map[recordKey]int, len(cs))
	for _, c := range cs {
		n[recordKey{c.Institution, c.Source, c.ID}]++
	}
	var out []recordKey
	for k, v := range n {
		if v > 1 {
			out = append(out, k)
		}
	}
	return out
}

// revise records that the pass wrote a version of k that is not its
// first and only one.
func (p *Pass) revise(k recordKey) {
	if p.own.off[k.institution] {
		return
	}
	r := p.own.revised[k.institution]
	if r == nil {
		r = map[revisedKey]struct{}{}
		p.own.revised[k.institution] = r
	}
	r[revisedKey{strings.Clone(k.source), strings.Clone(k.id)}] = struct{}{}
	if len(r) > p.own.maxRevised {
		p.own.off[k.institution] = true
		delete(p.own.revised, k.institution)
		delete(p.own.buckets, k.institution)
	}
}

// revisedTable is the name of the external table of revised records a
// count of own buckets sends with its query.
const revisedTable = "revised_records"

// ownVersions returns the contactsIn of the pass's own buckets of the
// institution: the rows of records that are not revised, as they are, and
// the newest versions of the revised ones (matched by a hash of their
// key, as newestVersions matches a wide window's records; a record whose
// hash collides with a revised one's is picked from its versions too,
// which gives the same row).
func (p *Pass) ownVersions(institution string) contactsIn {
	revised := p.own.revised[institution]
	return func(q *query, institution string, w window, columns string) *query {
		q.sql("SELECT source, id, ", columns, " FROM contacts WHERE institution = ").bind(institution).sql(" AND deleted = 0 AND ")
		w.sql(q, "arrived_at")
		if len(revised) == 0 {
			return q
		}
		q.external(revisedRecords(revised))
		q.sql(" AND cityHash64(source, id) NOT IN (SELECT cityHash64(source, id) FROM ", revisedTable, `)
    UNION ALL
    SELECT source, id, `, columns, " FROM (\n        SELECT source, id, deleted, ", columns, " FROM contacts WHERE institution = ").bind(institution).
			sql(" AND cityHash64(source, id) IN (SELECT cityHash64(source, id) FROM ", revisedTable, `)
        ORDER BY version DESC, ingested_at DESC
        LIMIT 1 BY source, id
    ) WHERE deleted = 0 AND `)
		return w.sql(q, "arrived_at")
	}
}

// revisedRecords returns the external table of the revised records.
func revisedRecords(revised map[revisedKey]struct{}) func() (*ext.Table, error) {
	return func() (*ext.Table, error) {
		t, err := ext.NewTable(revisedTable, ext.Column("source", "String"), ext.Column("id", "String"))
		if err != nil {
			return nil, err
		}
		for k := range revised {
			if err := t.Append(k.source, k.id); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
}

// recountPassContacts recounts the rollups of the institution's contact
// buckets that the pass touched: its own from their rows and its revised
// records (ownVersions), the others from the newest versions of every
// record, and then the written rollup of the local days that hold them
// all.
func (p *Pass) recountPassContacts(ctx context.Context, institution string) error {
	var own, other []time.Time
	for _, b := range p.contacts.sorted(institution) {
		if p.own.buckets[institution][b.Unix()] {
			own = append(own, b)
		} else {
			other = append(other, b)
		}
	}
	if len(other) > 0 {
		if err := p.recountContactLevels(ctx, institution, other); err != nil {
			return err
		}
	}
	if len(own) > 0 {
		if err := p.recountLevels(ctx, contactRollup, institution, own, p.contactCounts(ctx, institution, p.ownVersions(institution))); err != nil {
			return err
		}
	}
	return p.recountWritten(ctx, institution, p.contacts.sorted(institution))
}

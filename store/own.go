package store

import (
	"context"
	"hash/maphash"
	"slices"
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
// until its flush (Finish, or maxPassBuckets pending; recounts ahead keep
// them), some 10 MB; past it, the institution's own buckets are counted as
// any other, from the newest versions of every record.
const maxRevised = 200000

// revisedList holds the revised records of an institution, repeats and
// all, as one arena of their sources and ids: it holds no pointers, so the
// garbage collector does not scan it (a collector runs under a tight
// memory limit, where every live pointer costs collections).
type revisedList struct {
	arena []byte
	ends  []uint32 // where each source, then its id, ends in arena
}

func (r *revisedList) add(source, id string) {
	r.arena = append(r.arena, source...)
	r.ends = append(r.ends, uint32(len(r.arena)))
	r.arena = append(r.arena, id...)
	r.ends = append(r.ends, uint32(len(r.arena)))
}

// snapshot returns the records added so far; records added later are not
// in it, and it can be read while they are added.
func (r *revisedList) snapshot() *revisedList {
	return &revisedList{arena: r.arena[:len(r.arena):len(r.arena)], ends: r.ends[:len(r.ends):len(r.ends)]}
}

// len is the number of records added, repeats counted.
func (r *revisedList) len() int { return len(r.ends) / 2 }

// each calls f with every record added.
func (r *revisedList) each(f func(source, id string) error) error {
	start := uint32(0)
	for i := 0; i < len(r.ends); i += 2 {
		if err := f(string(r.arena[start:r.ends[i]]), string(r.arena[r.ends[i]:r.ends[i+1]])); err != nil {
			return err
		}
		start = r.ends[i+1]
	}
	return nil
}

// passOwn is what a pass knows about the contacts it wrote since its last
// flush (recounts ahead leave it as it is).
type passOwn struct {
	buckets    touched                 // per institution, its own buckets
	revised    map[string]*revisedList // per institution, its revised records
	off        map[string]bool         // institutions with more than maxRevised revised records
	maxRevised int
}

func newPassOwn(maxRevised int) passOwn {
	return passOwn{buckets: touched{}, revised: map[string]*revisedList{}, off: map[string]bool{}, maxRevised: maxRevised}
}

// emptyBuckets returns the buckets that batch cs puts contacts into for
// the first time in the pass and that hold no contact row yet: those the
// pass makes its own (sortOwn). It must run before the batch's rows are
// written.
func (p *Pass) emptyBuckets(ctx context.Context, cs []records.Contact) (touched, error) {
	candidates := touched{}
	for _, c := range cs {
		b := bucketFloor(c.ArrivedAt).Unix()
		if !p.own.off[c.Institution] && !p.contacts[c.Institution][b] && !p.own.buckets[c.Institution][b] {
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

// twice returns the records that cs holds more than one version of. It
// tells them apart by a hash of their key, sorted rather than kept in a
// map (no garbage to collect but one slice of numbers): a collision makes
// a record with one version look revised, which only makes a recount pick
// its newest version.
func twice(cs []records.Contact) []recordKey {
	seed := maphash.MakeSeed()
	hashes := make([]uint64, len(cs))
	for i, c := range cs {
		hashes[i] = maphash.String(seed, c.ID) ^ 31*maphash.String(seed, c.Source) ^ 961*maphash.String(seed, c.Institution)
	}
	sorted := slices.Clone(hashes)
	slices.Sort(sorted)
	var repeated map[uint64]bool
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			if repeated == nil {
				repeated = map[uint64]bool{}
			}
			repeated[sorted[i]] = true
		}
	}
	var out []recordKey
	for i, c := range cs {
		if repeated[hashes[i]] {
			out = append(out, recordKey{c.Institution, c.Source, c.ID})
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
		r = &revisedList{}
		p.own.revised[k.institution] = r
	}
	r.add(k.source, k.id)
	if r.len() > p.own.maxRevised {
		p.own.off[k.institution] = true
		delete(p.own.revised, k.institution)
		delete(p.own.buckets, k.institution)
	}
}

// revisedTable is the name of the external table of revised records a
// count of own buckets sends with its query.
const revisedTable = "revised_records"

// ownVersions returns the contactsIn of a pass's own buckets of an
// institution, given its revised records (nil when it has none): the rows
// of records that are not revised, as they are, and the newest
// versions of the revised ones (matched by a hash of their key, as
// newestVersions matches a wide window's records; a record whose hash
// collides with a revised one's is picked from its versions too, which
// gives the same row).
func ownVersions(revised *revisedList) contactsIn {
	return func(q *query, institution string, w window, columns string) *query {
		q.sql("SELECT source, id, ", columns, " FROM contacts WHERE institution = ").bind(institution).sql(" AND deleted = 0 AND ")
		w.sql(q, "arrived_at")
		if revised == nil {
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
func revisedRecords(revised *revisedList) func() (*ext.Table, error) {
	return func() (*ext.Table, error) {
		t, err := ext.NewTable(revisedTable, ext.Column("source", "String"), ext.Column("id", "String"))
		if err != nil {
			return nil, err
		}
		return t, revised.each(func(source, id string) error { return t.Append(source, id) })
	}
}

// contactRecount is a recount of some of an institution's contact
// buckets that a pass touched: those that are its own, the others, and its
// revised records when the recount was planned.
type contactRecount struct {
	institution string
	own, other  []time.Time
	revised     *revisedList
}

// planContactRecount plans the recount of the institution's buckets
// (sorted). The plan holds no state of the pass that later batches change,
// so it can run while they are written.
func (p *Pass) planContactRecount(institution string, buckets []time.Time) contactRecount {
	r := contactRecount{institution: institution}
	for _, b := range buckets {
		if p.own.buckets[institution][b.Unix()] {
			r.own = append(r.own, b)
		} else {
			r.other = append(r.other, b)
		}
	}
	if revised := p.own.revised[institution]; revised != nil {
		r.revised = revised.snapshot()
	}
	return r
}

// recountPassContacts recounts the rollups of a pass's contact buckets:
// its own from their rows and its revised records (ownVersions), the
// others from the newest versions of every record, and then the written
// rollup of the local days that hold them all.
func (s *Store) recountPassContacts(ctx context.Context, r contactRecount) error {
	if len(r.other) > 0 {
		if err := s.recountContactLevels(ctx, r.institution, r.other); err != nil {
			return err
		}
	}
	if len(r.own) > 0 {
		counts := s.contactCounts(ctx, r.institution, ownVersions(r.revised))
		if err := s.recountLevels(ctx, contactRollup, r.institution, r.own, counts); err != nil {
			return err
		}
	}
	all := append(slices.Clone(r.own), r.other...)
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	return s.recountWritten(ctx, r.institution, all)
}

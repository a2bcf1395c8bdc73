package store

import (
	"context"
	"hash/maphash"
	"slices"
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
//
// All of this assumes that the pass is the only writer of its
// institution's contacts while it runs, as a collector is of its
// sources: a version written by another process into an own bucket, or a
// newer version of a revised record written elsewhere, would not be seen.

// maxRevised bounds the entries of revised records a pass keeps per
// institution until its flush (Finish, or maxPassBuckets pending; recounts
// ahead keep them), some 10 MB: a record takes one per bucket that holds a
// version of it (revisedList). Past it, the institution's own buckets are
// counted as any other, from the newest versions of every record.
const maxRevised = 200000

// revisedList holds the revised records of an institution as one arena
// of their sources and ids, each with a bucket that holds one of its
// versions (a record is added once per such bucket, and again when a
// later batch revises it). It holds no pointers, so the garbage collector
// does not scan it (a collector runs under a tight memory limit, where
// every live pointer costs collections).
//
// One of the buckets added with a record holds its newest version: a
// record is added when a batch revises it, with the bucket of its newest
// version stored before the batch and those of the batch's versions of
// it, so the newest of all its versions is in one of them. A count of
// some buckets then picks the newest versions of the records added with
// one of those buckets from the buckets added with them (reach), not from
// the institution's whole history.
type revisedList struct {
	arena   []byte
	ends    []uint32 // where each source, then its id, ends in arena
	buckets []uint32 // per record added, its bucket's number (bucketNumber)
}

// bucketNumber numbers a bucket as ClickHouse does in periodSet: its Unix
// time divided by the bucket's size; bucketOfNumber is its inverse.
func bucketNumber(bucket time.Time) uint32 {
	return uint32(bucket.Unix() / int64(BucketSize/time.Second))
}

func bucketOfNumber(n uint32) time.Time {
	return time.Unix(int64(n)*int64(BucketSize/time.Second), 0).UTC()
}

func (r *revisedList) add(source, id string, bucket time.Time) {
	r.arena = append(r.arena, source...)
	r.ends = append(r.ends, uint32(len(r.arena)))
	r.arena = append(r.arena, id...)
	r.ends = append(r.ends, uint32(len(r.arena)))
	r.buckets = append(r.buckets, bucketNumber(bucket))
}

// snapshot returns the records added so far; records added later are not
// in it, and it can be read while they are added.
func (r *revisedList) snapshot() *revisedList {
	return &revisedList{
		arena:   r.arena[:len(r.arena):len(r.arena)],
		ends:    r.ends[:len(r.ends):len(r.ends)],
		buckets: r.buckets[:len(r.buckets):len(r.buckets)],
	}
}

// len is the number of entries added: a record once per bucket added
// with it.
func (r *revisedList) len() int { return len(r.buckets) }

// walk calls f with every entry: the record's key (its source and id, one
// after the other), where its source ends in key, and its bucket's number.
// key is a view of the arena, valid only during the call.
func (r *revisedList) walk(f func(key []byte, sourceEnd int, bucket uint32)) {
	start := uint32(0)
	for i := 0; i < len(r.ends); i += 2 {
		f(r.arena[start:r.ends[i+1]], int(r.ends[i]-start), r.buckets[i/2])
		start = r.ends[i+1]
	}
}

// maxReach bounds the buckets a count of revised records reads beyond
// the buckets it counts: past it, it reads their whole history instead,
// so that the query's text stays well under ClickHouse's max_query_size.
const maxReach = maxBucketsPerRecount

// within returns the records with a version in buckets (sorted), once
// each, and reach: buckets and every bucket added with those records,
// sorted, which hold their newest versions. Nil buckets stand for every
// bucket; reach is then nil, as it is when it would hold more than
// maxReach buckets beyond buckets: read every version of the records. It
// builds strings only for the records it returns.
func (r *revisedList) within(buckets []time.Time) (keys []sourceID, reach []time.Time) {
	in := make(map[uint32]bool, len(buckets))
	for _, b := range buckets {
		in[bucketNumber(b)] = true
	}
	// A key is the source and the id end to end: where the source ends
	// belongs to it, or ("s1", "23") and ("s12", "3") would be one record.
	type record struct {
		key       string
		sourceEnd int
	}
	found := map[record]bool{}
	r.walk(func(key []byte, sourceEnd int, bucket uint32) {
		if (buckets == nil || in[bucket]) && !found[record{string(key), sourceEnd}] {
			found[record{string(key), sourceEnd}] = true
			keys = append(keys, sourceID{string(key[:sourceEnd]), string(key[sourceEnd:])})
		}
	})
	if buckets == nil {
		return keys, nil
	}
	reach = slices.Clone(buckets)
	r.walk(func(key []byte, sourceEnd int, bucket uint32) {
		if !in[bucket] && found[record{string(key), sourceEnd}] {
			in[bucket] = true
			reach = append(reach, bucketOfNumber(bucket))
		}
	})
	if len(reach) > len(buckets)+maxReach {
		return keys, nil
	}
	slices.SortFunc(reach, func(a, b time.Time) int { return a.Compare(b) })
	return keys, reach
}

// sourceID is a record's key within its institution.
type sourceID struct{ source, id string }

// passOwn is what a pass knows about the contacts it wrote since its last
// flush (recounts ahead leave it as it is).
type passOwn struct {
	buckets    touched                 // per institution, its own buckets
	revised    map[string]*revisedList // per institution, its revised records
	groups     map[group]bool          // the groups of the contacts it wrote, which its own buckets' rows have
	off        map[string]bool         // institutions with more than maxRevised revised records
	maxRevised int
}

func newPassOwn(maxRevised int) passOwn {
	return passOwn{buckets: touched{}, revised: map[string]*revisedList{}, groups: map[group]bool{}, off: map[string]bool{},
		maxRevised: maxRevised}
}

// addGroups adds the groups of batch cs to the pass's.
func (o passOwn) addGroups(cs []records.Contact) {
	var last group
	for i, c := range cs {
		if g := (group{c.Institution, c.Unit, c.Channel}); i == 0 || g != last {
			o.groups[g], last = true, g
		}
	}
}

// groupsOf returns the institution's groups that the pass wrote, sorted.
func (o passOwn) groupsOf(institution string) []group {
	out := []group{} // not nil: a count's groups are known
	for g := range o.groups {
		if g.institution == institution {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b group) int { return strings.Compare(a.key(), b.key()) })
	return out
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
	p.own.addGroups(cs)
	p.reviseAll(cs, b.stored)
	for institution, buckets := range empty {
		if p.own.off[institution] {
			continue
		}
		for bucket := range buckets {
			p.own.buckets.add(institution, time.Unix(bucket, 0))
		}
	}
}

// reviseAll adds the records that batch cs revises to the pass's revised
// records, each with every bucket that holds its newest version stored
// before the batch (stored) or one of the batch's versions of it: the
// records stored already and those the batch holds more than one version
// of (twice). A record is added once per bucket; a hash collision in
// twice adds a record that has one version, which only makes a count pick
// its newest version.
func (p *Pass) reviseAll(cs []records.Contact, stored map[recordKey]time.Time) {
	for k, bucket := range stored {
		p.revise(k, bucket)
	}
	repeated := twice(cs)
	var seen map[revisedRecord]bool // the batch's repeated records, per bucket
	for i, c := range cs {
		switch {
		case repeated[i]:
			r := revisedRecord{recordKey{c.Institution, c.Source, c.ID}, bucketFloor(c.ArrivedAt).Unix()}
			if seen == nil {
				seen = map[revisedRecord]bool{}
			}
			if bucket, ok := stored[r.key]; !seen[r] && (!ok || bucket.Unix() != r.bucket) {
				seen[r] = true
				p.revise(r.key, time.Unix(r.bucket, 0))
			}
		case len(stored) > 0:
			k := recordKey{c.Institution, c.Source, c.ID}
			if bucket, ok := stored[k]; ok && !bucket.Equal(bucketFloor(c.ArrivedAt)) {
				p.revise(k, c.ArrivedAt)
			}
		}
	}
}

// revisedRecord is a record that a batch revises and the bucket (Unix
// seconds) of one of its versions.
type revisedRecord struct {
	key    recordKey
	bucket int64
}

// twice reports which rows of cs are versions of records that cs holds
// more than one version of (nil when none). It tells them apart by a hash
// of their key, found repeated by sorting the hashes rather than by a map
// of the keys (no garbage to collect but one slice of numbers): a
// collision makes a record with one version look revised, which only
// makes a recount pick its newest version.
func twice(cs []records.Contact) map[int]bool {
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
	if repeated == nil {
		return nil
	}
	rows := map[int]bool{}
	for i, h := range hashes {
		if repeated[h] {
			rows[i] = true
		}
	}
	return rows
}

// revise records that the pass wrote a version of k that is not its
// first and only one, and a bucket that holds one of its versions.
func (p *Pass) revise(k recordKey, bucket time.Time) {
	if p.own.off[k.institution] {
		return
	}
	r := p.own.revised[k.institution]
	if r == nil {
		r = &revisedList{}
		p.own.revised[k.institution] = r
	}
	r.add(k.source, k.id, bucket)
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
// of records that are not revised, as they are, and the newest versions
// of the revised ones with a version in the window, picked from the
// buckets that hold them (revisedList.within), or from all their versions
// when the window is not a set of buckets or they reach too far. Records
// are matched by a hash of their key, as newestVersions matches a wide
// window's records: a record whose hash collides with a revised one's is
// picked from its versions too, which gives the same row.
func ownVersions(revised *revisedList) contactsIn {
	return func(q *query, institution string, w window, columns string) *query {
		q.sql("SELECT source, id, ", columns, " FROM contacts WHERE institution = ").bind(institution).sql(" AND deleted = 0 AND ")
		w.sql(q, "arrived_at")
		if revised == nil {
			return q
		}
		keys, reach := revised.within(w.buckets)
		if len(keys) == 0 {
			return q
		}
		q.external(revisedRecords(keys))
		q.sql(" AND cityHash64(source, id) NOT IN (SELECT cityHash64(source, id) FROM ", revisedTable, `)
    UNION ALL
    SELECT source, id, `, columns, " FROM (\n        SELECT source, id, deleted, ", columns, " FROM contacts WHERE institution = ").bind(institution).
			sql(" AND cityHash64(source, id) IN (SELECT cityHash64(source, id) FROM ", revisedTable, ")")
		if reach != nil {
			bucketSet(reach).sql(q.sql(" AND "), "arrived_at")
		}
		q.sql(`
        ORDER BY version DESC, ingested_at DESC
        LIMIT 1 BY source, id
    ) WHERE deleted = 0 AND `)
		return w.sql(q, "arrived_at")
	}
}

// revisedRecords returns the external table of the records keys.
func revisedRecords(keys []sourceID) func() (*ext.Table, error) {
	return func() (*ext.Table, error) {
		t, err := ext.NewTable(revisedTable, ext.Column("source", "String"), ext.Column("id", "String"))
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if err := t.Append(k.source, k.id); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
}

// contactRecount is a recount of some of an institution's contact
// buckets that a pass touched: those that are its own, the others, and its
// revised records when the recount was planned.
type contactRecount struct {
	institution string
	own, other  []time.Time
	revised     *revisedList
	groups      []group     // every group of the own buckets' rows
	written     []time.Time // those of the buckets whose written cases the pass wrote (writtenTouched)
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
	if len(r.own) > 0 {
		r.groups = p.own.groupsOf(institution)
	}
	for _, b := range buckets {
		if p.written[institution][b.Unix()] {
			r.written = append(r.written, b)
			delete(p.written[institution], b.Unix())
		}
	}
	return r
}

// recountPassContacts recounts the rollups of a pass's contact buckets:
// its own from their rows and its revised records (ownVersions), with the
// groups the pass wrote, the others from the newest versions of every
// record, and then the written rollup of the local days that hold those
// whose written cases the pass wrote (no other day's changed).
func (s *Store) recountPassContacts(ctx context.Context, r contactRecount) error {
	if len(r.other) > 0 {
		if err := s.recountContactLevels(ctx, r.institution, r.other); err != nil {
			return err
		}
	}
	if len(r.own) > 0 {
		counts := s.contactCounts(ctx, r.institution, ownVersions(r.revised), r.groups)
		if err := s.recountLevels(ctx, contactRollup, r.institution, r.own, counts); err != nil {
			return err
		}
	}
	return s.recountWritten(ctx, r.institution, r.written)
}

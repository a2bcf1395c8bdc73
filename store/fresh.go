package store

import (
	"context"
	"time"

	"github.com/ccbench/ccbench/records"
)

// A pass counts some of the contact buckets it touched without picking
// newest versions. A bucket is fresh when the pass wrote every row it
// holds, each the first and only version of a new contact: the bucket held
// no row of any contact before the pass first wrote to it, and no later
// batch of the pass wrote into it a second version of a contact, or a
// version of a contact stored before (which may have a row elsewhere).
// Counting the rows of such a bucket gives what counting the newest
// versions gives, without the sort that picks them and without reading
// every version of the institution's contacts whose key is in the window
// (newestVersions): a backfill of a new institution is fresh almost
// everywhere. A bucket that is not fresh is recounted as before.
//
// A write that fails after some of its rows were sent leaves a fresh
// bucket with rows of new contacts only; a retry of the batch finds them
// stored, which makes their buckets stale again.

// sortFresh updates the pass's fresh buckets for a batch of contacts about
// to be written; b is what beforeContacts found out about it. A bucket the
// batch touches stays or becomes fresh when every contact the batch puts
// into it is new and appears once in the batch, and, the first time the
// pass touches it, it holds no row yet. It must run before the batch's rows
// are written.
func (p *Pass) sortFresh(ctx context.Context, cs []records.Contact, b contactBatch) error {
	versions := make(map[recordKey]int, len(cs))
	for _, c := range cs {
		versions[recordKey{c.Institution, c.Source, c.ID}]++
	}
	clean, stale := touched{}, touched{}
	for _, c := range cs {
		k := recordKey{c.Institution, c.Source, c.ID}
		if versions[k] > 1 || b.stored[k] {
			stale.add(c.Institution, c.ArrivedAt)
		} else {
			clean.add(c.Institution, c.ArrivedAt)
		}
	}
	candidates := touched{}
	for institution, buckets := range b.touched { // also where stored versions are counted now
		for bucket := range buckets {
			switch {
			case stale[institution][bucket] || !clean[institution][bucket]:
				delete(p.fresh[institution], bucket)
			case p.fresh[institution][bucket]:
			case p.contacts[institution][bucket]: // touched before in this pass, and not fresh
			default:
				candidates.add(institution, time.Unix(bucket, 0))
			}
		}
	}
	for institution := range candidates {
		if err := p.freshIfEmpty(ctx, institution, candidates.sorted(institution)); err != nil {
			return err
		}
	}
	return nil
}

// freshIfEmpty marks fresh those of the institution's buckets (sorted)
// that hold no contact row.
func (p *Pass) freshIfEmpty(ctx context.Context, institution string, buckets []time.Time) error {
	q := &query{}
	q.sql("SELECT DISTINCT toStartOfFifteenMinutes(arrived_at) FROM contacts WHERE institution = ").bind(institution).sql(" AND ")
	bucketSet(buckets).sql(q, "arrived_at")
	held := touched{}
	if err := p.collectBuckets(ctx, q, institution, held); err != nil {
		return err
	}
	for _, b := range buckets {
		if !held[institution][b.Unix()] {
			p.fresh.add(institution, b)
		}
	}
	return nil
}

// firstVersions appends a subquery that yields the institution's contacts
// in window w that are not deleted, reading their rows as they are: for
// fresh buckets, where every contact has one row (a contactsIn).
func firstVersions(q *query, institution string, w window, columns string) *query {
	q.sql("SELECT source, id, ", columns, " FROM contacts WHERE institution = ").bind(institution).sql(" AND deleted = 0 AND ")
	return w.sql(q, "arrived_at")
}

// recountPassContacts recounts the rollups of the institution's contact
// buckets that the pass touched: the fresh ones from their rows as they
// are, the others from the newest versions, and then the written rollup of
// the local days that hold them all.
func (p *Pass) recountPassContacts(ctx context.Context, institution string) error {
	var fresh, stale []time.Time
	for _, b := range p.contacts.sorted(institution) {
		if p.fresh[institution][b.Unix()] {
			fresh = append(fresh, b)
		} else {
			stale = append(stale, b)
		}
	}
	if len(stale) > 0 {
		if err := p.recountContactLevels(ctx, institution, stale); err != nil {
			return err
		}
	}
	if len(fresh) > 0 {
		if err := p.recountLevels(ctx, contactRollup, institution, fresh, p.contactCounts(ctx, institution, firstVersions)); err != nil {
			return err
		}
	}
	return p.recountWritten(ctx, institution, p.contacts.sorted(institution))
}

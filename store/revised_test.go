package store

import (
	"slices"
	"testing"
	"time"
)

// TestRevisedListKeepsSourcesApart: two records whose source and id read
// the same end to end ("s1" "23" and "s12" "3") are two records.
func TestRevisedListKeepsSourcesApart(t *testing.T) {
	bucket := time.Date(2024, 1, 15, 8, 0, 0, 0, time.UTC)
	var r revisedList
	r.add("s1", "23", bucket)
	r.add("s12", "3", bucket)
	r.add("s1", "23", bucket.Add(BucketSize))
	for _, buckets := range [][]time.Time{nil, {bucket}} {
		keys, _ := r.within(buckets)
		want := []sourceID{{"s1", "23"}, {"s12", "3"}}
		if !slices.Equal(keys, want) {
			t.Errorf("within(%v) = %v, want %v", buckets, keys, want)
		}
	}
}

package bench

import "testing"

// TestTargets checks each target's verdict on both sides of its bound,
// and that a run below the scale judges none.
func TestTargets(t *testing.T) {
	full := DefaultOptions()
	small := Options{Institutions: 1, Days: 2, ExporterInstitutions: 2, ExporterDays: 2, IngestDays: 14}
	small.defaults()
	for _, tc := range []struct {
		name, got, want string
	}{
		{"collector at the bound", full.ingestTarget(0.5, 0.5), "≥ 0.5× — met"},
		{"collector below", full.ingestTarget(0.5, 0.4999), "≥ 0.5× — not met"},
		{"sink", full.ingestTarget(1, 0.71), "≥ 1× — not met"},
		{"sink above", full.ingestTarget(1, 1.2), "≥ 1× — met"},
		{"ingest below scale", small.ingestTarget(0.5, 0.9), "≥ 0.5× (judged at 90 days of the simulator)"},
		{"rss of a small source", rssTarget(50, 300e6), "< 100 MB, flat in the input size (judged at a source of 1 GB: --ingest.days 365)"},
		{"rss", rssTarget(82, 1.22e9), "< 100 MB, flat in the input size — met"},
		{"rss too high", rssTarget(100, 1.22e9), "< 100 MB, flat in the input size — not met"},
		{"compare", full.compareTarget(0.289, 337, true), "< 1 s, ≥ 20× faster, identical — met"},
		{"compare slow", full.compareTarget(1, 337, true), "< 1 s, ≥ 20× faster, identical — not met"},
		{"compare not 20×", full.compareTarget(0.5, 19.9, true), "< 1 s, ≥ 20× faster, identical — not met"},
		{"compare differs", full.compareTarget(0.289, 337, false), "< 1 s, ≥ 20× faster, identical — not met"},
		{"compare below scale", small.compareTarget(0.01, 100, true), "< 1 s, ≥ 20× faster, identical (judged at 10 institutions × 365 days × 9000 contacts a day)"},
		{"refresh", full.refreshTarget(2.55, 4), "< 5 s — met"},
		{"refresh slow", full.refreshTarget(5, 4), "< 5 s — not met"},
		{"refresh of fewer windows", full.refreshTarget(2.55, 3), "< 5 s (judged at 100 institutions × 4 windows)"},
		{"refresh below scale", small.refreshTarget(0.1, 4), "< 5 s (judged at 100 institutions × 4 windows)"},
		{"scrapes", scrapeTarget(0, 0), "0 queries per scrape — met"},
		{"scrapes that read", scrapeTarget(0, 1), "0 queries per scrape — not met"},
		{"scrapes that read KPIs", scrapeTarget(1, 0), "0 queries per scrape — not met"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

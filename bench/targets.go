package bench

import "fmt"

// The targets are stated at its scale: 90 days of a SODRA-size
// simulator for the ingest (its peak RSS on a source of 1 GB or more), a
// year of ten SODRA-size institutions for compare, a hundred institutions
// and four windows for the exporter. A run at that scale or larger (the
// defaults, but for the RSS) judges each figure against its target; a
// smaller run says at what scale the target is judged instead, since its
// figures cannot meet or miss it.

// Scale thresholds of the targets.
const (
	targetIngestDays           = 90
	targetSourceBytes          = 1e9
	targetInstitutions         = 10
	targetDays                 = 365
	targetPerDay               = 9000
	targetExporterInstitutions = 100
	targetWindows              = 4
)

// judged returns target followed by whether the figure meets it.
func judged(target string, met bool) string {
	if met {
		return target + " — met"
	}
	return target + " — not met"
}

// unjudged returns target followed by the scale it is judged at.
func unjudged(target, scale string) string {
	return fmt.Sprintf("%s (judged at %s)", target, scale)
}

// ingestTarget is the target of an ingest rate, at least minRatio times the
// CSV rate: judged on the median of the runs' ratios when the simulator
// ran for the 90 days at SODRA size or more.
func (o Options) ingestTarget(minRatio, medianRatio float64) string {
	target := fmt.Sprintf("≥ %g×", minRatio)
	if o.IngestDays < targetIngestDays || o.IngestScale < 1 {
		return unjudged(target, fmt.Sprintf("%d days of the simulator", targetIngestDays))
	}
	return judged(target, medianRatio >= minRatio)
}

// rssTarget is the target of the collector's peak RSS: judged when the
// pages it read came to 1 GB or more.
func rssTarget(peakMB float64, pageBytes int64) string {
	const target = "< 100 MB, flat in the input size"
	if float64(pageBytes) < targetSourceBytes {
		return unjudged(target, "a source of 1 GB: --ingest.days 365")
	}
	return judged(target, peakMB < 100)
}

// compareTarget is the target of compare from the rollups: under a second,
// at least 20 times faster than the raw path, identical rows; judged over
// a year of ten SODRA-size institutions or more.
func (o Options) compareTarget(seconds, timesFaster float64, identical bool) string {
	const target = "< 1 s, ≥ 20× faster, identical"
	if o.Institutions < targetInstitutions || o.Days < targetDays || o.PerDay < targetPerDay {
		return unjudged(target, fmt.Sprintf("%d institutions × %d days × %d contacts a day", targetInstitutions, targetDays, targetPerDay))
	}
	return judged(target, seconds < 1 && timesFaster >= 20 && identical)
}

// refreshTarget is the target of one exporter refresh: under 5 s, judged
// for a hundred institutions and four windows or more.
func (o Options) refreshTarget(seconds float64, windows int) string {
	const target = "< 5 s"
	if o.ExporterInstitutions < targetExporterInstitutions || windows < targetWindows {
		return unjudged(target, fmt.Sprintf("%d institutions × %d windows", targetExporterInstitutions, targetWindows))
	}
	return judged(target, seconds < 5)
}

// scrapeTarget is the target of the scrapes: no ClickHouse query (nor KPI
// read) while they run, whatever the scale.
func scrapeTarget(reads, queries uint64) string {
	return judged("0 queries per scrape", reads == 0 && queries == 0)
}

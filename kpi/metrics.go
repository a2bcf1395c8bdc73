package kpi

// Names of the metrics that carry the parts of every KPI value, labelled by
// kpi; the exporter publishes them and the dashboards roll them up, so that
// a ratio over several series is the ratio of sums, not a mean of ratios.
const (
	NumeratorMetric   = "ccbench_kpi_numerator"
	DenominatorMetric = "ccbench_kpi_denominator"
	SampleSizeMetric  = "ccbench_kpi_sample_size"    // responses behind a share, for its interval
	CILowerMetric     = "ccbench_kpi_ci_lower_ratio" // Wilson 95 % interval of a share
	CIUpperMetric     = "ccbench_kpi_ci_upper_ratio"
)

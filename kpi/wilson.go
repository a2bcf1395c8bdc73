package kpi

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Z95 is the standard-normal quantile of a two-sided 95 % interval,
// Φ⁻¹(0.975) (TestZ95 checks it against gonum's normal distribution).
const Z95 = 1.959963984540054

// Quantile returns the standard-normal quantile z with a two-sided
// coverage of level (0.95 → Z95), from gonum's normal distribution.
func Quantile(level float64) float64 {
	return distuv.UnitNormal.Quantile(1 - (1-level)/2)
}

// MinSampleSize is the number of responses below which a sampled share is
// flagged as a small sample (shared/kpis.md, "Sampled surveys").
const MinSampleSize = 30

// SignificanceLevel is the two-sided level at which a difference between two
// shares is called significant.
const SignificanceLevel = 0.05

// Interval is a confidence interval of a share. OK is false when there is
// no sample (n = 0) or the counts are impossible; Low and High are then 0.
type Interval struct {
	Low, High float64
	OK        bool
}

// Wilson returns the Wilson score interval of successes out of n at the
// normal quantile z (Z95 for 95 %):
//
//	centre = (p + z²/2n) ÷ (1 + z²/n)
//	half   = z ÷ (1 + z²/n) × √(p(1−p)/n + z²/4n²)
//
// with p = successes ÷ n. The bounds are clipped to [0, 1], and are exactly
// 0 when successes = 0 and 1 when successes = n.
func Wilson(successes, n, z float64) Interval {
	if !(n > 0) || successes < 0 || successes > n || math.IsNaN(successes) || math.IsInf(n, 0) || math.IsNaN(z) {
		return Interval{}
	}
	p := successes / n
	z2 := z * z
	den := 1 + z2/n
	centre := (p + z2/(2*n)) / den
	half := z / den * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	iv := Interval{Low: math.Max(0, centre-half), High: math.Min(1, centre+half), OK: true}
	// The bounds are exactly 0 and 1 at the extremes; rounding must not move them.
	if successes == 0 {
		iv.Low = 0
	}
	if successes == n {
		iv.High = 1
	}
	return iv
}

// TwoProportionTest compares x1 of n1 with x2 of n2 by the pooled
// two-proportion z test and returns z (positive when the first share is the
// larger) and the two-sided p-value from the normal distribution:
//
//	p̂ = (x1 + x2) ÷ (n1 + n2),  se = √(p̂(1−p̂)(1/n1 + 1/n2)),
//	z = (x1/n1 − x2/n2) ÷ se,    p = 2 × (1 − Φ(|z|)),
//
// with Φ the standard normal distribution function (gonum's distuv).
//
// When both samples are all successes or all failures the shares are equal
// and it returns 0, 1. When either sample is empty or a count is impossible
// the test is undefined and it returns NaN, NaN.
func TwoProportionTest(x1, n1, x2, n2 float64) (z, p float64) {
	if !(n1 > 0) || !(n2 > 0) || x1 < 0 || x2 < 0 || x1 > n1 || x2 > n2 || math.IsNaN(x1) || math.IsNaN(x2) {
		return math.NaN(), math.NaN()
	}
	pooled := (x1 + x2) / (n1 + n2)
	se := math.Sqrt(pooled * (1 - pooled) * (1/n1 + 1/n2))
	if se == 0 {
		return 0, 1
	}
	z = (x1/n1 - x2/n2) / se
	return z, 2 * distuv.UnitNormal.Survival(math.Abs(z))
}

// Significant reports whether a two-sided p-value shows a significant
// difference at SignificanceLevel. NaN (an undefined test) is not significant.
func Significant(p float64) bool {
	return p < SignificanceLevel
}

// SmallSample reports whether a share from n responses is flagged as a small
// sample (fewer than MinSampleSize responses).
func SmallSample(n float64) bool {
	return n < MinSampleSize
}

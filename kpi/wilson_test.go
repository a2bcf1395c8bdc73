package kpi

import (
	"math"
	"testing"
)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestWilson(t *testing.T) {
	for _, tc := range []struct {
		name      string
		x, n      float64
		low, high float64
		ok        bool
	}{
		// p = 0.89, z² = 3.841459, 1 + z²/n = 1.0384146;
		// centre = (0.89 + 0.0192073) ÷ 1.0384146 = 0.875578;
		// half = 1.959964 ÷ 1.0384146 × √(0.000979 + 0.0000960) = 1.887456 × 0.0327877 = 0.061886.
		{"89 of 100", 89, 100, 0.8137, 0.9375, true},
		// p = 0.8: centre = (0.8 + 0.0192073) ÷ 1.0384146 = 0.788889;
		// half = 1.887456 × √(0.0016 + 0.0000960) = 1.887456 × 0.0411830 = 0.077732.
		{"80 of 100", 80, 100, 0.7112, 0.8666, true},
		// p = 0: centre = half = (z²/20) ÷ (1 + z²/10) = 0.1920730 ÷ 1.3841459 = 0.138766.
		{"0 of 10", 0, 10, 0, 0.2775, true},
		// p = 1 mirrors p = 0: low = 1 − 0.277533.
		{"10 of 10", 10, 10, 0.7225, 1, true},
		{"no sample", 0, 0, 0, 0, false},
		{"more successes than responses", 11, 10, 0, 0, false},
		{"negative successes", -1, 10, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Wilson(tc.x, tc.n, Z95)
			if got.OK != tc.ok || !near(got.Low, tc.low, 0.00005) || !near(got.High, tc.high, 0.00005) {
				t.Errorf("Wilson(%v, %v) = %+v, want [%.4f, %.4f] ok=%v", tc.x, tc.n, got, tc.low, tc.high, tc.ok)
			}
		})
	}
}

func TestWilsonBoundsStayInUnitInterval(t *testing.T) {
	for n := 1.0; n <= 50; n++ {
		for x := 0.0; x <= n; x++ {
			iv := Wilson(x, n, Z95)
			if iv.Low < 0 || iv.High > 1 || iv.Low > x/n || iv.High < x/n {
				t.Fatalf("Wilson(%v, %v) = %+v does not hold %v inside [0, 1]", x, n, iv, x/n)
			}
		}
	}
}

func TestTwoProportionTest(t *testing.T) {
	for _, tc := range []struct {
		name           string
		x1, n1, x2, n2 float64
		z, p           float64
	}{
		// p̂ = 169/200 = 0.845; se = √(0.845 × 0.155 × 0.02) = √0.0026195 = 0.051181;
		// z = 0.09 ÷ 0.051181 = 1.7585; Φ(1.7585) ≈ 0.96067, p = 2 × 0.03933 = 0.0787.
		{"89/100 vs 80/100", 89, 100, 80, 100, 1.7585, 0.0787},
		// Order reversed: z changes sign, p does not.
		{"80/100 vs 89/100", 80, 100, 89, 100, -1.7585, 0.0787},
		// p̂ = 0.5; se = √(0.25 × 2/30) = √(1/60); z = (1/3) ÷ √(1/60) = √(20/3) = 2.5820;
		// Φ(2.582) ≈ 0.99509, p = 2 × 0.00491 = 0.0098.
		{"20/30 vs 10/30", 20, 30, 10, 30, 2.5820, 0.0098},
		{"equal shares", 45, 50, 90, 100, 0, 1},
		{"all successes on both sides", 10, 10, 20, 20, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z, p := TwoProportionTest(tc.x1, tc.n1, tc.x2, tc.n2)
			if !near(z, tc.z, 0.0005) || !near(p, tc.p, 0.0005) {
				t.Errorf("TwoProportionTest = z %.4f p %.4f, want z %.4f p %.4f", z, p, tc.z, tc.p)
			}
		})
	}
	if z, p := TwoProportionTest(1, 0, 5, 10); !math.IsNaN(z) || !math.IsNaN(p) {
		t.Errorf("empty first sample: got z %v p %v, want NaN NaN", z, p)
	}
}

func TestSignificantAndSmallSample(t *testing.T) {
	for _, tc := range []struct {
		p    float64
		want bool
	}{{0.0098, true}, {0.0787, false}, {0.05, false}, {math.NaN(), false}} {
		if got := Significant(tc.p); got != tc.want {
			t.Errorf("Significant(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	for _, tc := range []struct {
		n    float64
		want bool
	}{{0, true}, {29, true}, {30, false}, {100, false}} {
		if got := SmallSample(tc.n); got != tc.want {
			t.Errorf("SmallSample(%v) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestZ95(t *testing.T) {
	// Φ⁻¹(0.975) = 1.959963984540054 (tables: 1.96).
	if got := Quantile(0.95); !near(got, Z95, 1e-9) {
		t.Errorf("Quantile(0.95) = %v, want %v", got, Z95)
	}
	// Φ⁻¹(0.95) = 1.644853626951 for a 90 % interval.
	if got := Quantile(0.90); !near(got, 1.6448536, 1e-6) {
		t.Errorf("Quantile(0.90) = %v, want 1.6448536", got)
	}
}

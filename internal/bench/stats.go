// Package bench measures Huhang the way the performance targets are
// stated: how long the demo city takes to generate and store, how fast the
// drill-down pages (district, school, class) answer under a closed-loop
// load of concurrent keep-alive clients on loopback, and how much memory
// the server holds. The `huhang bench` command drives it; the Go
// benchmarks in this package cover the same pages at a small scale.
//
// Nothing here asserts a timing: the package measures and reports, and the
// caller compares the figures with the targets.
package bench

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// samples, which must be sorted ascending: the smallest sample such that
// at least p % of all samples are less than or equal to it. It never
// interpolates, so the answer is always a latency that was observed. An
// empty slice gives 0; p ≤ 0 gives the minimum and p ≥ 100 the maximum.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p <= 0 || math.IsNaN(p) {
		return sorted[0]
	}
	if p >= 100 {
		return sorted[n-1]
	}
	// p*n first, then /100: 95*100/100 is exactly 95, whereas 0.95*100 may
	// not be. The small epsilon keeps an inexact product such as
	// 99.9*1000 = 99900.00000000001 from rounding one rank too high.
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Summary is the latency distribution of one set of requests.
type Summary struct {
	Count int
	Min   time.Duration
	Mean  time.Duration
	P50   time.Duration
	P90   time.Duration
	P95   time.Duration
	P99   time.Duration
	Max   time.Duration
}

// Summarize sorts samples in place and summarises them.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, d := range samples {
		sum += d
	}
	return Summary{
		Count: len(samples),
		Min:   samples[0],
		Mean:  sum / time.Duration(len(samples)),
		P50:   Percentile(samples, 50),
		P90:   Percentile(samples, 90),
		P95:   Percentile(samples, 95),
		P99:   Percentile(samples, 99),
		Max:   samples[len(samples)-1],
	}
}

// ms converts a duration to fractional milliseconds for reports.
func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

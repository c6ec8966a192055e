package bench

import (
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1 // 1..100 ms
	}
	thousand := make([]int, 1000)
	for i := range thousand {
		thousand[i] = i + 1
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"an empty set has no percentile and gives zero", nil, 50, 0},
		{"a single sample is every percentile", ms(7), 99, 7 * time.Millisecond},
		{"p0 is the minimum", ms(1, 2, 3), 0, 1 * time.Millisecond},
		{"a negative p is the minimum", ms(1, 2, 3), -5, 1 * time.Millisecond},
		{"p100 is the maximum", ms(1, 2, 3), 100, 3 * time.Millisecond},
		{"p above 100 is the maximum", ms(1, 2, 3), 250, 3 * time.Millisecond},
		{"the median of an odd set is the middle sample", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"the median of an even set is the lower middle (nearest rank, no interpolation)", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p95 of 1..100 is 95", ms(hundred...), 95, 95 * time.Millisecond},
		{"p99 of 1..100 is 99", ms(hundred...), 99, 99 * time.Millisecond},
		{"p50 of 1..100 is 50", ms(hundred...), 50, 50 * time.Millisecond},
		{"p95.5 of 1..100 rounds the rank up to 96", ms(hundred...), 95.5, 96 * time.Millisecond},
		{"p99.9 of 1..1000 is 999, not 1000 despite float error", ms(thousand...), 99.9, 999 * time.Millisecond},
		{"p1 of 1..1000 is 10", ms(thousand...), 1, 10 * time.Millisecond},
		{"p95 of ten samples is the largest (rank ceil(9.5) = 10)", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 95, 10 * time.Millisecond},
		{"p90 of ten samples is the ninth", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{"a tail outlier shows at p99 only when it is above 1 %", ms(append(slices.Repeat([]int{1}, 99), 500)...), 99, 1 * time.Millisecond},
		{"repeated values are returned as observed", ms(5, 5, 5, 5), 75, 5 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Percentile(tt.samples, tt.p); got != tt.want {
				t.Errorf("Percentile(%d samples, %g) = %v, want %v", len(tt.samples), tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarizeSortsAndSummarises(t *testing.T) {
	t.Parallel()
	samples := []time.Duration{40, 10, 30, 20, 100, 60, 50, 90, 80, 70}
	s := Summarize(samples)
	if !slices.IsSorted(samples) {
		t.Errorf("Summarize left the samples unsorted: %v", samples)
	}
	want := Summary{Count: 10, Min: 10, Mean: 55, P50: 50, P90: 90, P95: 100, P99: 100, Max: 100}
	if s != want {
		t.Errorf("Summarize = %+v, want %+v", s, want)
	}
	if got := Summarize(nil); got != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want the zero Summary", got)
	}
}

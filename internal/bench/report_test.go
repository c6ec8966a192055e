package bench

import (
	"strings"
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	t.Parallel()
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	result := func() *LoadResult {
		return &LoadResult{Window: 10 * time.Second, Statuses: map[int]int{200: 40},
			Kinds: map[Kind]*KindResult{
				District: {Kind: District, Latencies: ms(10, 20, 30, 40, 60)}, // p95 60: miss
				School:   {Kind: School, Latencies: ms(5, 10, 15, 20, 25)},    // p95 25: pass
				Class:    {Kind: Class, Latencies: ms(1, 2, 3), Errors: 1},    // errors: miss
			}}
	}
	statusOf := func(r *Report, prefix string) string {
		for _, v := range r.Targets {
			if strings.HasPrefix(v.Target, prefix) {
				return v.Status
			}
		}
		return "absent"
	}
	tests := []struct {
		name   string
		report Report
		want   map[string]string
	}{
		{"at the demo scale with 32 clients every target is judged",
			Report{Mode: "in-process", Config: RunConfig{Clients: 32}, DemoLoad: &DemoLoad{Scale: 1, Seconds: 12, Students: 181082},
				Memory: Memory{PeakRSSUnderLoadMB: 90, AfterHWMMB: 320, Samples: 10}},
			map[string]string{"demo city load": "PASS", "district page": "MISS", "school page": "PASS", "class page": "MISS",
				"server RSS under load": "PASS", "server lifetime peak": "MISS"}},
		{"another client count is reported but not judged, except failures",
			Report{Mode: "external", Config: RunConfig{Clients: 8}, Memory: Memory{PeakRSSUnderLoadMB: 90, AfterHWMMB: 95, Samples: 10}},
			map[string]string{"demo city load": "N/A", "district page": "N/A", "school page": "N/A", "class page": "MISS",
				"server RSS under load": "PASS"}},
		{"another scale is reported but not judged",
			Report{Mode: "in-process", Config: RunConfig{Clients: 32}, DemoLoad: &DemoLoad{Scale: 0.05, Seconds: 0.3},
				Memory: Memory{PeakRSSUnderLoadMB: 90, AfterHWMMB: 95, Samples: 10}},
			map[string]string{"demo city load": "N/A", "district page": "N/A", "school page": "N/A", "class page": "MISS",
				"server RSS under load": "N/A"}},
		{"memory that could not be read is N/A, not a pass",
			Report{Mode: "external", Config: RunConfig{Clients: 32}, Memory: Memory{Error: "no such process"}},
			map[string]string{"server RSS": "N/A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.report
			r.AddLoad(result())
			r.Judge(DefaultGoals)
			for prefix, want := range tt.want {
				if got := statusOf(&r, prefix); got != want {
					t.Errorf("%q is %s, want %s (targets: %+v)", prefix, got, want, r.Targets)
				}
			}
		})
	}
}

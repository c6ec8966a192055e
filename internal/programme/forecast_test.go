package programme

import (
	"math"
	"testing"
	"time"

	"huhang/internal/model"
)

func TestForecast(t *testing.T) {
	t.Parallel()
	now, deadline := day(2025, 1, 1), day(2025, 12, 31)
	cases := []struct {
		name    string
		history []Snapshot
		want    float64
		ok      bool
	}{
		{"no snapshots give no forecast", nil, 0, false},
		{"one snapshot gives no forecast", []Snapshot{{day(2024, 1, 1), 40}}, 0, false},
		{"two snapshots on the same day give no forecast", []Snapshot{{day(2024, 1, 1), 40}, {day(2024, 1, 1), 50}}, 0, false},
		{"a straight line is extended to the deadline", []Snapshot{{day(2024, 1, 1), 10}, {day(2024, 1, 11), 20}}, 10 + float64(day(2025, 12, 31).Sub(day(2024, 1, 1))/(24*time.Hour)), true},
		{"a flat line stays flat", []Snapshot{{day(2023, 1, 1), 40}, {day(2024, 1, 1), 40}, {day(2024, 6, 1), 40}}, 40, true},
		{"a falling line stops at zero", []Snapshot{{day(2024, 1, 1), 40}, {day(2024, 6, 1), 10}}, 0, true},
		{"snapshots after now are ignored", []Snapshot{{day(2024, 1, 1), 40}, {day(2025, 6, 1), 90}}, 0, false},
		{"non-finite figures are skipped", []Snapshot{{day(2024, 1, 1), 40}, {day(2024, 6, 1), math.NaN()}, {day(2024, 7, 1), math.Inf(1)}}, 0, false},
		{"noisy points get the least-squares line", []Snapshot{{day(2024, 1, 1), 10}, {day(2024, 1, 2), 30}, {day(2024, 1, 3), 20}}, 20 + 5*float64(day(2025, 12, 31).Sub(day(2024, 1, 2))/(24*time.Hour)), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Forecast(c.history, now, deadline)
			if ok != c.ok || math.Abs(got-c.want) > 1e-6 {
				t.Errorf("Forecast = %g, %v; want %g, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func TestWithHistory(t *testing.T) {
	t.Parallel()
	c := planTarget(t, "c-cert-class-teachers")
	// Five class teachers, four with a C certificate: 80 % on 1 June 2025,
	// when the linear-progress rule asks for 86.5 %.
	var people []Person
	for i := range 5 {
		p := staff(int64(i+1), model.PostClassTeacher)
		if i < 4 {
			p = p.with(LevelC, day(2022, 1, 1))
		}
		people = append(people, p)
	}
	late := Evaluate(c, Facts{Staff: people}, day(2025, 6, 1))
	early := Evaluate(c, Facts{Staff: people}, day(2023, 1, 1))
	if late.Status != StatusAtRisk || early.Status != StatusOnTrack {
		t.Fatalf("linear-progress rule: late %s, early %s", late.Status, early.Status)
	}
	cases := []struct {
		name      string
		r         Result
		history   []Snapshot
		want      Status
		trend     bool
		projected float64
	}{
		{"a rising trend that reaches the threshold is on track", late,
			[]Snapshot{{day(2024, 6, 1), 20}, {day(2024, 12, 1), 50}}, StatusOnTrack, true, 100},
		{"a flat trend short of the threshold is at risk", late,
			[]Snapshot{{day(2024, 6, 1), 80}, {day(2024, 12, 1), 80}}, StatusAtRisk, true, 80},
		{"a flat trend is at risk even when the linear rule would say on track", early,
			[]Snapshot{{day(2022, 6, 1), 80}, {day(2022, 9, 1), 80}}, StatusAtRisk, true, 80},
		{"without snapshots the linear-progress rule stands", early, nil, StatusOnTrack, false, 0},
		{"a snapshot of the same day only is fewer than two points", late, []Snapshot{{day(2025, 6, 1), 10}}, StatusAtRisk, false, 0},
		{"snapshots before the window are ignored", late,
			[]Snapshot{{day(2020, 1, 1), 0}, {day(2021, 1, 1), 10}}, StatusAtRisk, false, 0},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			t.Parallel()
			got := cs.r.WithHistory(cs.history)
			if got.Status != cs.want || got.Trend != cs.trend || math.Abs(got.Projected-cs.projected) > 0.5 {
				t.Errorf("status %s, trend %v, projected %g; want %s, %v, %g", got.Status, got.Trend, got.Projected, cs.want, cs.trend, cs.projected)
			}
		})
	}
	t.Run("a met or missed result is left alone", func(t *testing.T) {
		met := Evaluate(c, Facts{Staff: people[:4]}, day(2025, 6, 1))
		missed := Evaluate(c, Facts{Staff: people}, day(2026, 6, 1))
		falling := []Snapshot{{day(2024, 1, 1), 100}, {day(2025, 1, 1), 10}}
		if met.WithHistory(falling).Status != StatusMet || missed.WithHistory(falling).Status != StatusMissed {
			t.Error("history changed a final or reached status")
		}
	})
	t.Run("last school year's snapshots do not forecast this one's hours", func(t *testing.T) {
		p := staff(1, model.PostSubjectTeacher)
		p.Hours = map[int]float64{2025: 1}
		r := Evaluate(planTarget(t, "subject-teacher-hours"), Facts{Staff: []Person{p, staff(2, model.PostSubjectTeacher)}}, day(2025, 10, 1))
		got := r.WithHistory([]Snapshot{{day(2025, 3, 1), 0}, {day(2025, 6, 1), 100}})
		if got.Trend {
			t.Errorf("a trend was drawn from another school year: %+v", got)
		}
	})
}

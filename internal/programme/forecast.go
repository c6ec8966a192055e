package programme

import (
	"math"
	"time"
)

// Snapshot is a figure recorded on a date: a Result's Actual, kept by the
// store periodically so that a trend can be drawn and extrapolated.
type Snapshot struct {
	At     time.Time `json:"at"`
	Actual float64   `json:"actual"`
}

// Forecast fits a least-squares straight line through the snapshots taken
// on or before now and returns its value on the deadline, never below 0
// (a percentage is capped at 100 by WithHistory, which knows the unit).
// Time is measured in calendar days; snapshots on the same day are
// separate points. ok is false with fewer than two usable snapshots on two
// different days (a line needs two), and for non-finite figures, which are
// skipped.
func Forecast(history []Snapshot, now, deadline time.Time) (projected float64, ok bool) {
	today := dayNumber(now)
	var n, sx, sy float64
	first, distinct := int64(0), false
	for _, s := range history {
		d := dayNumber(s.At)
		if d > today || math.IsNaN(s.Actual) || math.IsInf(s.Actual, 0) {
			continue
		}
		if n == 0 {
			first = d
		} else if d != first {
			distinct = true
		}
		n++
		sx += float64(d - first)
		sy += s.Actual
	}
	if !distinct {
		return 0, false
	}
	// Centre x on its mean for a stable fit over dates years apart.
	mx, my := sx/n, sy/n
	var sxx, sxy float64
	for _, s := range history {
		d := dayNumber(s.At)
		if d > today || math.IsNaN(s.Actual) || math.IsInf(s.Actual, 0) {
			continue
		}
		x := float64(d-first) - mx
		sxx += x * x
		sxy += x * (s.Actual - my)
	}
	slope := sxy / sxx
	p := my + slope*(float64(dayNumber(deadline)-first)-mx)
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return 0, false
	}
	return math.Max(0, p), true
}

// WithHistory returns r judged on its trend rather than on the linear-progress
// rule: the snapshots taken inside r's window before r.At, plus r itself as
// the latest point, are fitted by [Forecast]; the result is on track if the
// line reaches the goal by the deadline, at risk if not, and Projected
// holds the line's value on the deadline. A result that is met, missed or
// not applicable is returned unchanged, and so is one whose history has no
// snapshot on an earlier day inside the window: with fewer than two points
// the linear-progress rule stands. Pass the snapshots of the same target
// and the same city, district or school; for a recurring target, those of
// other school years or terms are ignored.
func (r Result) WithHistory(history []Snapshot) Result {
	if r.Status != StatusOnTrack && r.Status != StatusAtRisk {
		return r
	}
	from, to := dayNumber(r.Start), dayNumber(r.At)
	pts := make([]Snapshot, 0, len(history)+1)
	for _, s := range history {
		if d := dayNumber(s.At); d >= from && d < to {
			pts = append(pts, s)
		}
	}
	pts = append(pts, Snapshot{At: r.At, Actual: r.Actual})
	p, ok := Forecast(pts, r.At, r.Deadline)
	if !ok {
		return r
	}
	if r.Unit == UnitPercent {
		p = math.Min(p, 100)
	}
	r.Projected, r.Trend = p, true
	r.Status = StatusAtRisk
	if p+slack >= r.Goal {
		r.Status = StatusOnTrack
	}
	return r
}

// Final returns r as the verdict on a window that has ended: short of its
// goal, it is missed. To report a past school year or term, evaluate at its
// last day (any date inside it selects it; the last day counts everything)
// and call Final; a one-off target judged after its deadline is already
// final.
func (r Result) Final() Result {
	if r.Status == StatusOnTrack || r.Status == StatusAtRisk {
		r.Status, r.Projected, r.Trend = StatusMissed, 0, false
	}
	return r
}

// Final returns a copy of r with every result made final (see
// [Result.Final]), for the report on a past school year or term.
func (r Rollup) Final() Rollup {
	final := func(m map[string]Result) map[string]Result {
		out := make(map[string]Result, len(m))
		for k, v := range m {
			out[k] = v.Final()
		}
		return out
	}
	out := Rollup{City: final(r.City), Districts: make(map[int64]map[string]Result, len(r.Districts)),
		Schools: make(map[int64]map[string]Result, len(r.Schools))}
	for id, m := range r.Districts {
		out.Districts[id] = final(m)
	}
	for id, m := range r.Schools {
		out.Schools[id] = final(m)
	}
	return out
}

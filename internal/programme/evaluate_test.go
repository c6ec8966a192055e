package programme

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"huhang/internal/model"
)

// check is one expectation of a Result.
type check struct {
	pop, met int
	actual   float64
	status   Status
	missing  []int64
}

func (c check) verify(t *testing.T, r Result) {
	t.Helper()
	if r.Population != c.pop || r.Met != c.met || r.Status != c.status || !approx(r.Actual, c.actual) ||
		!slices.Equal(r.MissingIDs, c.missing) {
		t.Errorf("got population %d, met %d, actual %.4g, %s, missing %v;\nwant population %d, met %d, actual %.4g, %s, missing %v",
			r.Population, r.Met, r.Actual, r.Status, r.MissingIDs, c.pop, c.met, c.actual, c.status, c.missing)
	}
}

func approx(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestEvaluateStaffTargets(t *testing.T) {
	t.Parallel()
	ct, st, psych := model.PostClassTeacher, model.PostSubjectTeacher, model.PostPsychFullTime
	c2024 := day(2024, 3, 1)
	cases := []struct {
		name   string
		target string
		people []Person
		at     time.Time
		want   check
	}{
		{
			"a teacher with two posts is counted once",
			"b-cert-key-posts",
			[]Person{staff(1, ct, psych).with(LevelB, c2024), staff(2, ct, model.PostMoralCadre), staff(3, st)},
			day(2024, 6, 1), check{2, 1, 50, StatusOnTrack, ids(2)},
		},
		{
			"a teacher is in the population if either post matches",
			"c-cert-class-teachers",
			[]Person{staff(1, st, ct).with(LevelC, c2024), staff(2, st)},
			day(2025, 6, 1), check{1, 1, 100, StatusMet, nil},
		},
		{
			"an A certificate counts for a C target and a B for a C",
			"c-cert-class-teachers",
			[]Person{staff(1, ct).with(LevelA, c2024), staff(2, ct).with(LevelB, c2024), staff(3, ct).with(LevelC, c2024)},
			day(2025, 6, 1), check{3, 3, 100, StatusMet, nil},
		},
		{
			"a C certificate does not count for a B target, an A does",
			"b-cert-key-posts",
			[]Person{staff(1, ct).with(LevelC, c2024), staff(2, ct).with(LevelA, c2024), staff(3, ct).with("D", c2024)},
			day(2025, 6, 1), check{3, 1, 100.0 / 3, StatusMissed, ids(1, 3)},
		},
		{
			"a certificate issued after the date evaluated does not count",
			"c-cert-class-teachers",
			[]Person{staff(1, ct).with(LevelC, day(2025, 6, 2)), staff(2, ct).with(LevelC, day(2025, 6, 1))},
			day(2025, 6, 1), check{2, 1, 50, StatusAtRisk, ids(1)},
		},
		{
			"a deadline in the past is met when everyone qualified by it",
			"c-cert-class-teachers",
			[]Person{staff(1, ct).with(LevelC, day(2023, 1, 1)), staff(2, ct).with(LevelC, day(2025, 12, 31))},
			day(2026, 3, 1), check{2, 2, 100, StatusMet, nil},
		},
		{
			"a deadline in the past is missed, and a certificate issued after it does not rescue it",
			"c-cert-class-teachers",
			[]Person{staff(1, ct).with(LevelC, day(2023, 1, 1)), staff(2, ct).with(LevelC, day(2026, 1, 1))},
			day(2026, 3, 1), check{2, 1, 50, StatusMissed, ids(2)},
		},
		{
			"exactly 60 per cent meets a 60 per cent target",
			"b-cert-key-posts",
			[]Person{staff(1, ct).with(LevelB, c2024), staff(2, ct).with(LevelB, c2024), staff(3, ct).with(LevelB, c2024), staff(4, ct), staff(5, ct)},
			day(2024, 12, 31), check{5, 3, 60, StatusMet, ids(4, 5)},
		},
		{
			"an empty population is not applicable",
			"c-cert-class-teachers",
			[]Person{staff(1, st), staff(2, ct).at(3, 10, model.Kindergarten)},
			day(2025, 6, 1), check{0, 0, 0, StatusNotApplicable, nil},
		},
		{
			"principals trained after the date evaluated do not count",
			"principal-training",
			[]Person{{ID: 1, SchoolType: model.Junior, Posts: []model.Post{model.PostPrincipal}, PrincipalTrained: day(2024, 5, 1)},
				{ID: 2, SchoolType: model.Junior, Posts: []model.Post{model.PostPrincipal}, PrincipalTrained: day(2025, 5, 1)},
				{ID: 3, SchoolType: model.Junior, Posts: []model.Post{model.PostPrincipal}}},
			day(2025, 1, 1), check{3, 1, 100.0 / 3, StatusAtRisk, ids(2, 3)},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.want.verify(t, Evaluate(planTarget(t, c.target), Facts{Staff: c.people}, c.at))
		})
	}
}

func TestEvaluateHoursBySchoolYear(t *testing.T) {
	t.Parallel()
	hours := planTarget(t, "subject-teacher-hours")
	teacher := func(id int64, h map[int]float64) Person {
		p := staff(id, model.PostSubjectTeacher)
		p.Hours = h
		return p
	}
	cases := []struct {
		name   string
		people []Person
		at     time.Time
		want   check
	}{
		{"hours of the 2025 school year count on 31 July 2026",
			[]Person{teacher(1, map[int]float64{2025: 8})}, day(2026, 7, 31), check{1, 1, 100, StatusMet, nil}},
		{"they do not count on 1 August 2026, the 2026 school year (judged afresh: it recurs every school year)",
			[]Person{teacher(1, map[int]float64{2025: 8})}, day(2026, 8, 1), check{1, 0, 0, StatusOnTrack, ids(1)}},
		{"the 2024 school year is judged until 31 July 2025, then missed",
			[]Person{teacher(1, map[int]float64{2024: 7.5})}, day(2025, 7, 31), check{1, 0, 0, StatusAtRisk, ids(1)}},
		{"hours summed from sessions reach 8 despite rounding",
			[]Person{teacher(1, map[int]float64{2025: 2.7 + 2.7 + 2.6})}, day(2025, 11, 1), check{1, 1, 100, StatusMet, nil}},
		{"a school year before the plan began is not applicable",
			[]Person{teacher(1, nil)}, day(2021, 5, 1), check{1, 0, 0, StatusNotApplicable, ids(1)}},
		{"the school year running across the plan's end is still judged",
			[]Person{teacher(1, map[int]float64{2025: 4}), teacher(2, map[int]float64{2025: 9})}, day(2026, 2, 1), check{2, 1, 50, StatusAtRisk, ids(1)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := Evaluate(hours, Facts{Staff: c.people}, c.at)
			c.want.verify(t, r)
			if y := model.SchoolYearOf(c.at); !r.Deadline.Equal(day(y+1, 7, 31)) {
				t.Errorf("deadline %v; want 31 July %d", r.Deadline, y+1)
			}
		})
	}
	t.Run("with an open end, 1 August starts a fresh school year", func(t *testing.T) {
		open := hours
		open.Deadline = time.Time{} // the target outlives the plan
		r := Evaluate(open, Facts{Staff: []Person{teacher(1, map[int]float64{2025: 8})}}, day(2026, 8, 1))
		check{1, 0, 0, StatusOnTrack, ids(1)}.verify(t, r)
	})
	t.Run("a school year judged on its last day and made final is missed", func(t *testing.T) {
		r := Evaluate(hours, Facts{Staff: []Person{teacher(1, map[int]float64{2024: 7.5}), teacher(2, map[int]float64{2024: 8})}}, day(2025, 7, 31))
		check{2, 1, 50, StatusMissed, ids(1)}.verify(t, r.Final())
	})
}

func TestEvaluateTeacherWhoMovedSchool(t *testing.T) {
	t.Parallel()
	// Teacher 7 was a class teacher at school 1 (district 10) until March
	// 2026, now at school 2 (district 20). The store passes where they are
	// now; the hours and the certificate earned at school 1 stay theirs.
	moved := staff(7, model.PostClassTeacher, model.PostSubjectTeacher).at(2, 20, model.NineYear).with(LevelC, day(2025, 10, 1))
	moved.Hours = map[int]float64{2025: 8}
	stayed := staff(8, model.PostClassTeacher, model.PostSubjectTeacher)
	stayed.Hours = map[int]float64{2025: 2}
	f := Facts{Staff: []Person{moved, stayed}}
	r := EvaluateAll(Plan2021(), f, day(2026, 4, 1))
	for _, code := range []string{"c-cert-class-teachers", "subject-teacher-hours"} {
		t.Run(code+": the person counts at the new school, with what they earned at the old", func(t *testing.T) {
			if got := r.Schools[2][code]; got.Population != 1 || got.Met != 1 {
				t.Errorf("new school: %+v", got)
			}
			if got := r.Schools[1][code]; got.Population != 1 || got.Met != 0 || !slices.Equal(got.MissingIDs, ids(8)) {
				t.Errorf("old school: %+v", got)
			}
			if got := r.Districts[20][code]; got.Population != 1 || got.Met != 1 {
				t.Errorf("new district: %+v", got)
			}
			if got := r.City[code]; got.Population != 2 || got.Met != 1 {
				t.Errorf("city: %+v", got)
			}
		})
	}
}

func TestEvaluateCountHolders(t *testing.T) {
	t.Parallel()
	a := planTarget(t, "a-cert-psych-teachers")
	var people []Person
	for i := range 20 {
		district := int64(10 + i%2*10)
		people = append(people, staff(int64(i+1), model.PostPsychFullTime).at(int64(i%4+1), district, model.Senior).with(LevelA, day(2024, 1, 1)))
	}
	others := []Person{
		staff(100, model.PostPsychFullTime).with(LevelB, day(2024, 1, 1)),                               // B is not A
		staff(101, model.PostPsychPartTime).with(LevelA, day(2024, 1, 1)),                               // not a full-time post
		staff(102, model.PostPsychFullTime).with(LevelA, day(2026, 1, 1)),                               // after the deadline
		staff(103, model.PostPsychFullTime).at(9, 30, model.Kindergarten).with(LevelA, day(2024, 1, 1)), // kindergarten
	}
	t.Run("twenty holders meet an absolute target of twenty", func(t *testing.T) {
		r := Evaluate(a, Facts{Staff: append(slices.Clone(people), others...)}, day(2026, 6, 1))
		// 101 holds a part-time post and 103 works in a kindergarten: both
		// are outside the population.
		check{22, 20, 20, StatusMet, ids(100, 102)}.verify(t, r)
		if r.Unit != UnitCount || r.Goal != 20 {
			t.Errorf("unit %s goal %g", r.Unit, r.Goal)
		}
	})
	t.Run("nineteen holders after the deadline miss it", func(t *testing.T) {
		r := Evaluate(a, Facts{Staff: append(slices.Clone(people[1:]), others...)}, day(2026, 1, 1))
		if r.Met != 19 || r.Actual != 19 || r.Status != StatusMissed {
			t.Errorf("%+v", r)
		}
	})
	t.Run("districts and schools report their count but are not judged against the city's twenty", func(t *testing.T) {
		r := EvaluateAll([]Target{a}, Facts{Staff: people}, day(2025, 6, 1))
		d := r.Districts[10][a.Code]
		if d.Met != 10 || d.Actual != 10 || d.Status != StatusNotApplicable {
			t.Errorf("district: %+v", d)
		}
		if s := r.Schools[1][a.Code]; s.Met != 5 || s.Status != StatusNotApplicable {
			t.Errorf("school: %+v", s)
		}
		if c := r.City[a.Code]; c.Met != 20 || c.Status != StatusMet {
			t.Errorf("city: %+v", c)
		}
	})
}

func TestEvaluateAllMatchesEvaluate(t *testing.T) {
	t.Parallel()
	f := syntheticCity(2000, 7)
	at := day(2025, 5, 20)
	targets := append(Plan2021(), HomeSchoolQuotas()...)
	r := EvaluateAll(targets, f, at)
	for _, tg := range targets {
		t.Run(tg.Code+": the city's figure is Evaluate's, and districts and schools add up to it", func(t *testing.T) {
			want := Evaluate(tg, f, at)
			if got := r.City[tg.Code]; !reflect.DeepEqual(got, want) {
				t.Fatalf("rollup city %+v\nEvaluate    %+v", got, want)
			}
			pop, met := 0, 0
			for _, d := range r.Districts {
				pop += d[tg.Code].Population
				met += d[tg.Code].Met
			}
			if pop != want.Population || met != want.Met {
				t.Errorf("districts add up to %d/%d; city %d/%d", met, pop, want.Met, want.Population)
			}
			for id, s := range r.Schools {
				if _, ok := s[tg.Code]; !ok {
					t.Fatalf("school %d has no result", id)
				}
			}
		})
	}
}

func TestStatusRules(t *testing.T) {
	t.Parallel()
	fr := frame{elapsed: 0.5}
	cases := []struct {
		name   string
		fr     frame
		unit   Unit
		goal   float64
		actual float64
		want   Status
	}{
		{"half-way at 60 per cent of a 100 per cent target is on track", fr, UnitPercent, 100, 60, StatusOnTrack},
		{"half-way at 40 per cent is at risk", fr, UnitPercent, 100, 40, StatusAtRisk},
		{"on the first day nothing done is on track", frame{}, UnitPercent, 100, 0, StatusOnTrack},
		{"after the deadline short of the goal is missed", frame{passed: true, elapsed: 1}, UnitPercent, 60, 59.9, StatusMissed},
		{"reaching the goal is met even after the deadline", frame{passed: true, elapsed: 1}, UnitPercent, 60, 60, StatusMet},
		{"a third into the term, none of two sessions is on track", frame{elapsed: 0.3}, UnitCount, 2, 0, StatusOnTrack},
		{"half-way, none of two sessions is at risk", fr, UnitCount, 2, 0, StatusAtRisk},
		{"half-way, one of two sessions is on track", fr, UnitCount, 2, 1, StatusOnTrack},
		{"late in the term, one of two sessions is at risk", frame{elapsed: 0.7}, UnitCount, 2, 1, StatusAtRisk},
		{"before mid-term, no parent meeting yet is on track", frame{elapsed: 0.45}, UnitCount, 1, 0, StatusOnTrack},
		{"after mid-term, no parent meeting yet is at risk", frame{elapsed: 0.55}, UnitCount, 1, 0, StatusAtRisk},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.fr.status(c.unit, c.goal, c.actual); got != c.want {
				t.Errorf("status = %s; want %s", got, c.want)
			}
		})
	}
}

func TestEvaluateInvalidTarget(t *testing.T) {
	t.Parallel()
	bad := validTarget()
	bad.Threshold.Percent = 0
	f := Facts{Staff: []Person{staff(1, model.PostClassTeacher)}}
	if r := Evaluate(bad, f, day(2025, 1, 1)); r.Status != StatusNotApplicable {
		t.Errorf("an invalid target was judged: %+v", r)
	}
	r := EvaluateAll([]Target{bad}, f, day(2025, 1, 1))
	if got, ok := r.Schools[1][bad.Code]; !ok || got.Status != StatusNotApplicable {
		t.Errorf("school result of an invalid target: %+v, %v", got, ok)
	}
}

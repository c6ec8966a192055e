package programme

import (
	"slices"
	"testing"

	"huhang/internal/model"
)

func TestHomeSchoolQuotasBySchoolType(t *testing.T) {
	t.Parallel()
	term := Term{2025, 1}
	school := func(id int64, st model.SchoolType, acts map[string]int) School {
		return School{ID: id, DistrictID: 10, Type: st, Terms: map[Term]TermFacts{term: {Activities: acts}}}
	}
	f := Facts{Schools: []School{
		school(1, model.Kindergarten, map[string]int{ActGuidance: 1, ActParentChild: 2}),
		school(2, model.Primary, map[string]int{ActGuidance: 2, ActPractice: 1, ActMHMeeting: 1}),
		school(3, model.NineYear, map[string]int{ActGuidance: 1, ActParentChild: 1, ActMHMeeting: 1}),
		school(4, model.TwelveYear, map[string]int{ActGuidance: 3, ActPractice: 2}),
		school(5, model.Kindergarten, map[string]int{ActGuidance: 3, ActPractice: 5}),
	}}
	at := day(2026, 1, 31) // the last day of the term: the verdict is not yet final
	r := EvaluateAll(HomeSchoolQuotas(), f, at)
	cases := []struct {
		name   string
		school int64
		target string
		want   Status // StatusNotApplicable: the school is outside the quota
		held   float64
	}{
		{"a kindergarten with one guidance session meets its own guidance quota", 1, "hs-kg-guidance", StatusMet, 1},
		{"a kindergarten with two parent–child activities meets that quota", 1, "hs-kg-parent-child", StatusMet, 2},
		{"a kindergarten is outside the primary and secondary guidance quota", 1, "hs-guidance", StatusNotApplicable, 0},
		{"a kindergarten is outside the mental-health parent meeting quota", 1, "hs-mh-parent-meeting", StatusNotApplicable, 0},
		{"a primary school with two guidance sessions meets the quota", 2, "hs-guidance", StatusMet, 2},
		{"a primary school is outside the kindergarten quotas", 2, "hs-kg-parent-child", StatusNotApplicable, 0},
		{"a nine-year school gets the primary and secondary quota, once", 3, "hs-guidance", StatusAtRisk, 1},
		{"a parent–child activity counts as a practice activity in a nine-year school", 3, "hs-practice", StatusMet, 1},
		{"a twelve-year school without a mental-health parent meeting is behind", 4, "hs-mh-parent-meeting", StatusAtRisk, 0},
		{"a kindergarten's practice activities are not parent–child activities", 5, "hs-kg-parent-child", StatusAtRisk, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.Schools[c.school][c.target]
			if got.Status != c.want || got.Actual != c.held {
				t.Errorf("%+v; want %s with %g held", got, c.want, c.held)
			}
			if c.want != StatusNotApplicable && (got.Unit != UnitCount || got.Population != 1) {
				t.Errorf("a school's own quota result is not a count: %+v", got)
			}
		})
	}
	t.Run("the district's figure is the share of its schools meeting the quota, naming the others", func(t *testing.T) {
		d := r.Districts[10]["hs-guidance"]
		if d.Population != 3 || d.Met != 2 || d.Unit != UnitPercent || !slices.Equal(d.MissingIDs, ids(3)) {
			t.Errorf("%+v", d)
		}
	})
	t.Run("the next day a new term begins and last term's activities no longer count", func(t *testing.T) {
		next := EvaluateAll(HomeSchoolQuotas(), f, day(2026, 2, 1))
		got := next.Schools[2]["hs-guidance"]
		if got.Actual != 0 || got.Status != StatusOnTrack || !got.Deadline.Equal(day(2026, 7, 31)) {
			t.Errorf("%+v", got)
		}
	})
	t.Run("before the quotas came into force every school is not applicable", func(t *testing.T) {
		old := Facts{Schools: []School{{ID: 2, DistrictID: 10, Type: model.Primary, Terms: map[Term]TermFacts{{2021, 2}: {}}}}}
		r := EvaluateAll(HomeSchoolQuotas(), old, day(2022, 5, 1))
		if got := r.Schools[2]["hs-guidance"]; got.Status != StatusNotApplicable {
			t.Errorf("school: %+v", got)
		}
		if got := r.City["hs-guidance"]; got.Status != StatusNotApplicable || got.Population != 1 {
			t.Errorf("city: %+v", got)
		}
	})
	t.Run("a term judged on its last day and made final names the schools that missed", func(t *testing.T) {
		final := r.Final()
		if got := final.Schools[3]["hs-guidance"]; got.Status != StatusMissed {
			t.Errorf("school 3: %+v", got)
		}
		if got := final.Schools[2]["hs-guidance"]; got.Status != StatusMet {
			t.Errorf("school 2: %+v", got)
		}
		if r.Schools[3]["hs-guidance"].Status != StatusAtRisk {
			t.Error("Final changed the rollup it was called on")
		}
	})
	t.Run("judged after the term ended, the verdict on that term is final", func(t *testing.T) {
		cal := Calendar{{StartYear: 2025, Semesters: [2]model.Period{
			{Start: day(2025, 9, 1), End: day(2026, 1, 16)}, {Start: day(2026, 2, 25), End: day(2026, 7, 3)}}}}
		past := Evaluate(planTarget(t, "hs-guidance"), Facts{Schools: f.Schools, Calendar: cal}, day(2026, 1, 16))
		if past.Status != StatusAtRisk || !past.Deadline.Equal(day(2026, 1, 16)) {
			t.Errorf("on the published last day: %+v", past)
		}
		holiday := Evaluate(planTarget(t, "hs-guidance"), Facts{Schools: f.Schools, Calendar: cal}, day(2026, 1, 20))
		if !holiday.Start.Equal(day(2026, 2, 25)) || holiday.Met != 0 || holiday.Status != StatusOnTrack {
			t.Errorf("in the winter holiday the coming term is judged: %+v", holiday)
		}
	})
}

func TestHomeVisitCoverage(t *testing.T) {
	t.Parallel()
	visits := planTarget(t, "hs-home-visits")
	term := Term{2025, 2}
	f := Facts{Schools: []School{
		{ID: 1, DistrictID: 10, Type: model.Primary, Terms: map[Term]TermFacts{term: {Pupils: 400, Visited: 300}}},
		{ID: 2, DistrictID: 10, Type: model.Junior, Terms: map[Term]TermFacts{term: {Pupils: 100, Visited: 130}}}, // capped
		{ID: 3, DistrictID: 20, Type: model.Kindergarten, Terms: map[Term]TermFacts{term: {Pupils: 90}}},
		{ID: 4, DistrictID: 20, Type: model.NineYear},
	}}
	at := day(2026, 5, 1)
	r := EvaluateAll([]Target{visits}, f, at)
	cases := []struct {
		name string
		got  Result
		want check
	}{
		{"the city counts pupils, not schools, and caps visits at the roll", r.City[visits.Code], check{500, 400, 80, StatusOnTrack, nil}},
		{"a school three-quarters visited half-way through the term is on track", r.Schools[1][visits.Code], check{400, 300, 75, StatusOnTrack, nil}},
		{"a kindergarten is outside the home-visit target", r.Schools[3][visits.Code], check{0, 0, 0, StatusNotApplicable, nil}},
		{"a school with no figures for the term is not applicable, not a failure", r.Schools[4][visits.Code], check{0, 0, 0, StatusNotApplicable, nil}},
		{"the last day of the term short of everyone is at risk", Evaluate(visits, f, day(2026, 7, 31)), check{500, 400, 80, StatusAtRisk, nil}},
		{"the day after, that term is over and the next one begins", Evaluate(visits, f, day(2026, 8, 1)), check{0, 0, 0, StatusNotApplicable, nil}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.want.verify(t, c.got) })
	}
}

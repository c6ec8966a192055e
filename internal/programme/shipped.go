package programme

import (
	"embed"
	"fmt"
)

//go:embed targets/*.json
var shipped embed.FS

// The shipped targets are loaded at start-up: a shipped definition that
// fails validation is a build defect, and the program must not start and
// judge schools by rules nobody reviewed.
var (
	plan2021 = mustLoad("targets/plan-2021-2025.json")
	quotas   = mustLoad("targets/home-school.json")
)

func mustLoad(name string) []Target {
	data, err := shipped.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("programme: %s: %v", name, err))
	}
	ts, err := LoadTargets(data)
	if err != nil {
		panic(fmt.Sprintf("programme: shipped targets %s: %v", name, err))
	}
	return ts
}

// Plan2021 returns the five training targets of the 2021–2025 development
// plan (digest §2, the letter's section 二), in the letter's order:
//
//   - c-cert-class-teachers: 100 % of class teachers hold a C certificate
//     (or higher) by 2025-12-31;
//   - b-cert-key-posts: 60 % of full-time psychology teachers, class
//     teachers, moral-education cadres, Youth League cadres and
//     counsellors hold a B certificate (or A) by 2024-12-31;
//   - a-cert-psych-teachers: 20 full-time psychology teachers hold an A
//     certificate by 2025-12-31 (a city-wide count);
//   - principal-training: 100 % of principals trained by 2025-12-31;
//   - subject-teacher-hours: 100 % of subject teachers credited ≥ 8 hours
//     in each school year (recurring, in force for the school years
//     overlapping 2021-09-01 … 2025-12-31).
//
// The plan is for primary and secondary schools (中小学), so the staff of
// kindergartens are outside every population; every other school type,
// nine-year, twelve-year, special and vocational schools included, is in.
// The slice and its targets are the caller's to change.
func Plan2021() []Target { return cloneAll(plan2021) }

// HomeSchoolQuotas returns the per-semester home–school quotas of digest §3
// (the letter's section 三), in force from semester 1 of 2022–2023 until a
// bureau retires them:
//
//   - hs-guidance: ≥ 2 family-education guidance sessions, and
//     hs-practice: ≥ 1 family-education practice activity (a parent–child
//     practice activity counts as one), in every school other than a
//     kindergarten;
//   - hs-kg-guidance: ≥ 1 guidance session, and hs-kg-parent-child: ≥ 2
//     parent–child practice activities, in every kindergarten;
//   - hs-mh-parent-meeting: ≥ 1 parent meeting on pupils' mental health in
//     every school other than a kindergarten;
//   - hs-home-visits: every pupil's family visited ≥ 1 time (in person, by
//     phone or WeChat), in every school other than a kindergarten.
//
// A nine-year (九年一贯制) or twelve-year school is one school with one
// parent school: it gets the primary and secondary quotas once, not once
// per section; so do special and vocational schools. The letter asks
// kindergartens only for their parent-school quotas: its meeting and
// home-visit requirements are about pupils (学生) of primary and secondary
// schools. Each quota holds every school to 100 %: a district's or the
// city's figure is the share of its schools that met it.
func HomeSchoolQuotas() []Target { return cloneAll(quotas) }

func cloneAll(ts []Target) []Target {
	out := make([]Target, len(ts))
	for i, t := range ts {
		out[i] = t.clone()
	}
	return out
}

package programme

import (
	"math/rand/v2"
	"testing"
	"time"

	"huhang/internal/model"
)

// syntheticCity builds a city of n staff in 5 districts and one school per
// 50 staff, with a realistic mix of posts, certificates, hours and
// parent-school figures for semester 2 of 2024–2025.
func syntheticCity(n int, seed uint64) Facts {
	rng := rand.New(rand.NewPCG(seed, 1))
	nSchools := max(n/50, 1)
	types := []model.SchoolType{model.Primary, model.Primary, model.Primary, model.Junior, model.Senior,
		model.NineYear, model.TwelveYear, model.Kindergarten, model.Kindergarten, model.Special}
	var f Facts
	term := Term{2024, 2}
	for i := range nSchools {
		st := types[rng.IntN(len(types))]
		f.Schools = append(f.Schools, School{
			ID: int64(i + 1), DistrictID: int64(i%5 + 1), Type: st,
			Terms: map[Term]TermFacts{term: {
				Activities: map[string]int{ActGuidance: rng.IntN(3), ActPractice: rng.IntN(2),
					ActParentChild: rng.IntN(3), ActMHMeeting: rng.IntN(2)},
				Pupils: 600, Visited: 300 + rng.IntN(301),
			}},
		})
	}
	cert := func() []Cert {
		issued := day(2022+rng.IntN(4), time.Month(1+rng.IntN(12)), 1+rng.IntN(28))
		switch r := rng.IntN(100); {
		case r < 2:
			return []Cert{{LevelC, issued.AddDate(-1, 0, 0)}, {LevelA, issued}}
		case r < 30:
			return []Cert{{LevelB, issued}}
		case r < 75:
			return []Cert{{LevelC, issued}}
		}
		return nil
	}
	for i := range n {
		s := f.Schools[i%nSchools]
		p := Person{ID: int64(i + 1), SchoolID: s.ID, DistrictID: s.DistrictID, SchoolType: s.Type,
			Hours: map[int]float64{2023: float64(rng.IntN(12)), 2024: float64(rng.IntN(12))}}
		switch k := i / nSchools; {
		case k == 0:
			p.Posts = []model.Post{model.PostPrincipal}
			if rng.IntN(3) > 0 {
				p.PrincipalTrained = day(2023, 3, 1)
			}
		case k == 1:
			p.Posts = []model.Post{model.PostPsychFullTime}
		case k == 2:
			p.Posts = []model.Post{model.PostMoralCadre, model.PostSubjectTeacher}
		case k < 20:
			p.Posts = []model.Post{model.PostClassTeacher, model.PostSubjectTeacher}
		default:
			p.Posts = []model.Post{model.PostSubjectTeacher}
		}
		p.Certs = cert()
		f.Staff = append(f.Staff, p)
	}
	return f
}

// BenchmarkEvaluateAll: the five plan targets for the city, every district
// and every school of a 15,000-staff city (300 schools), as the dashboard
// asks for them.
func BenchmarkEvaluateAll(b *testing.B) {
	f := syntheticCity(15000, 1)
	plan := Plan2021()
	at := day(2025, 5, 20)
	b.ReportAllocs()
	for b.Loop() {
		EvaluateAll(plan, f, at)
	}
}

// BenchmarkEvaluateAllQuotas: the six home–school quotas over the same
// city's 300 schools.
func BenchmarkEvaluateAllQuotas(b *testing.B) {
	f := syntheticCity(15000, 1)
	quotas := HomeSchoolQuotas()
	at := day(2025, 5, 20)
	b.ReportAllocs()
	for b.Loop() {
		EvaluateAll(quotas, f, at)
	}
}

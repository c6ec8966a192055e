package programme

import (
	"testing"
	"time"

	"huhang/internal/model"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// planTarget returns the shipped 2021–2025 target with the given code.
func planTarget(t testing.TB, code string) Target {
	t.Helper()
	for _, tg := range append(Plan2021(), HomeSchoolQuotas()...) {
		if tg.Code == code {
			return tg
		}
	}
	t.Fatalf("no shipped target %q", code)
	return Target{}
}

// staff builds a person at school 1 of district 10, a primary school.
func staff(id int64, posts ...model.Post) Person {
	return Person{ID: id, SchoolID: 1, DistrictID: 10, SchoolType: model.Primary, Posts: posts}
}

func (p Person) with(level string, issued time.Time) Person {
	p.Certs = append(p.Certs, Cert{Level: level, Issued: issued})
	return p
}

func (p Person) at(school, district int64, st model.SchoolType) Person {
	p.SchoolID, p.DistrictID, p.SchoolType = school, district, st
	return p
}

// validTarget is a small valid staff target the Validate cases each break
// in one place.
func validTarget() Target {
	return Target{
		Code: "t-1", Plan: "2021–2025", Clause: "§2",
		Title:      Text{"zh-CN": "测试", "en": "Test"},
		Population: Population{Subject: SubjectStaff, Posts: []model.Post{model.PostClassTeacher}},
		Condition:  Condition{Kind: CondCertAtLeast, Level: LevelC},
		Threshold:  Threshold{Percent: 100},
		Start:      day(2021, 9, 1),
		Deadline:   day(2025, 12, 31),
	}
}

func ids(v ...int64) []int64 { return v }

package model

import (
	"testing"
	"time"
)

func TestGradeName(t *testing.T) {
	tests := []struct {
		grade int
		want  string
	}{
		{-3, ""}, {-2, "小班"}, {-1, "中班"}, {0, "大班"},
		{1, "一年级"}, {2, "二年级"}, {3, "三年级"}, {4, "四年级"}, {5, "五年级"}, {6, "六年级"},
		{7, "初一"}, {8, "初二"}, {9, "初三"},
		{10, "高一"}, {11, "高二"}, {12, "高三"}, {13, ""},
	}
	for _, tt := range tests {
		if got := GradeName(tt.grade); got != tt.want {
			t.Errorf("GradeName(%d) = %q, want %q", tt.grade, got, tt.want)
		}
	}
}

func TestClassNameJoinsGradeAndNumber(t *testing.T) {
	tests := []struct {
		grade, n int
		want     string
	}{
		{3, 2, "三年级(2)班"}, {8, 1, "初二(1)班"}, {10, 3, "高一(3)班"}, {-2, 1, "小班(1)班"}, {0, 12, "大班(12)班"}, {14, 1, ""},
	}
	for _, tt := range tests {
		if got := ClassName(tt.grade, tt.n); got != tt.want {
			t.Errorf("ClassName(%d, %d) = %q, want %q", tt.grade, tt.n, got, tt.want)
		}
	}
}

func TestEveryGradeOfEverySchoolTypeHasAName(t *testing.T) {
	for _, st := range SchoolTypes {
		if len(st.Grades()) == 0 {
			t.Errorf("%s teaches no grade", st)
		}
		for _, g := range st.Grades() {
			if GradeName(g) == "" || !st.TeachesGrade(g) {
				t.Errorf("%s grade %d has no name or is not taught", st, g)
			}
		}
	}
	if Primary.TeachesGrade(7) || Kindergarten.TeachesGrade(1) {
		t.Error("a school type teaches a grade it should not")
	}
}

func TestSchoolCalendar(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		date           time.Time
		year, semester int
	}{
		{d(2026, 9, 1), 2026, 1},
		{d(2026, 12, 31), 2026, 1},
		{d(2027, 1, 20), 2026, 1},
		{d(2027, 2, 1), 2026, 2},
		{d(2027, 7, 10), 2026, 2},
		{d(2027, 8, 15), 2027, 0}, // summer: the coming year, no semester
	} {
		if y := SchoolYearOf(c.date); y != c.year {
			t.Errorf("SchoolYearOf(%s) = %d, want %d", c.date.Format("2006-01-02"), y, c.year)
		}
		if s := SemesterOf(c.date); s != c.semester {
			t.Errorf("SemesterOf(%s) = %d, want %d", c.date.Format("2006-01-02"), s, c.semester)
		}
	}
	y := StandardSchoolYear(2026)
	if !y.Semesters[0].Start.Equal(d(2026, 9, 1)) || !y.Semesters[1].End.Equal(d(2027, 7, 31)) ||
		!y.Semesters[0].End.Before(y.Semesters[1].Start) {
		t.Errorf("StandardSchoolYear(2026) = %+v", y)
	}
	if got := SchoolYearLabel(2026); got != "2026–2027" {
		t.Errorf("label %q", got)
	}
}

func TestCategorySetRoundTrips(t *testing.T) {
	var s CategorySet
	s = s.With(CatLeftBehind).With(CatOrphan).With("unknown")
	if !s.Has(CatLeftBehind) || !s.Has(CatOrphan) || s.Has(CatPoor) {
		t.Errorf("set %b", s)
	}
	got := s.List()
	if len(got) != 2 || got[0] != CatLeftBehind || got[1] != CatOrphan {
		t.Errorf("List() = %v", got)
	}
	// The bit of each category is fixed by its position: the database
	// stores these masks, so the order must never change.
	if CategorySet(0).With(CatPoor) != 1 || CategorySet(0).With(CatDisabled) != 32 {
		t.Error("category bits moved")
	}
}

func TestRosterValueRules(t *testing.T) {
	for _, c := range []struct {
		no   string
		want bool
	}{
		{"G51040220120305013X", false}, // wrong check character
		{"L510402201203050001", true},
		{"J51040220120305013X", true},
		{"J5104022012030501XX", false},
		{"X510402201203050001", false},
		{"G", false},
	} {
		if got := ValidStudentNo(c.no); got != c.want {
			t.Errorf("ValidStudentNo(%q) = %v", c.no, got)
		}
	}
	for _, c := range []struct {
		name string
		want bool
	}{{"张伟", true}, {"阿依古丽·买买提", true}, {"Li Na", true}, {"", false}, {"张3", false}, {"<b>", false}} {
		if got := ValidPersonName(c.name); got != c.want {
			t.Errorf("ValidPersonName(%q) = %v", c.name, got)
		}
	}
	for _, c := range []struct {
		phone string
		want  bool
	}{{"13800001111", true}, {"138-0000-1111", true}, {"0812-3334444", true}, {"23800001111", false}, {"1380000111", false}, {"", false}} {
		if got := ValidPhone(c.phone); got != c.want {
			t.Errorf("ValidPhone(%q) = %v", c.phone, got)
		}
	}
}

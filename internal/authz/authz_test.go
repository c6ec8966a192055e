package authz

import (
	"slices"
	"testing"
)

func TestDenyByDefault(t *testing.T) {
	if LevelOf("wizard", D1) != None {
		t.Error("an unknown role got a level")
	}
	if LevelOf(Principal, DataClass(99)) != None || LevelOf(Principal, DataClass(-1)) != None {
		t.Error("an unknown data class got a level")
	}
	var nobody Subject
	if nobody.Can(Need{Class: D0, Level: Aggregate}) || !nobody.Scope(Need{Class: D0, Level: Read}).Empty() {
		t.Error("a subject without assignments can see something")
	}
}

func TestScopeIsTheUnionOfGrantingAssignments(t *testing.T) {
	s := Subject{Assignments: []Assignment{
		{Role: ClassTeacher, DistrictID: 1, SchoolID: 10, ClassID: 100},
		{Role: ClassTeacher, DistrictID: 1, SchoolID: 10, ClassID: 101},
		{Role: PsychTeacher, DistrictID: 2, SchoolID: 20},
		{Role: Teacher, DistrictID: 1, SchoolID: 10, ClassID: 102},
	}}
	d1 := s.Scope(Need{Class: D1, Level: Read})
	if !slices.Equal(d1.Classes, []int64{100, 101}) || !slices.Equal(d1.Schools, []int64{20}) || d1.City || len(d1.Districts) > 0 {
		t.Errorf("D1 read scope = %+v", d1)
	}
	// The subject teacher's class team has names only (Limited), so it
	// joins the scope only for a Limited need.
	if lim := s.Scope(Need{Class: D1, Level: Limited}); !slices.Contains(lim.Classes, 102) {
		t.Errorf("D1 limited scope = %+v", lim)
	}
	// Screening answers (D4): only the psychology teacher's school.
	if d4 := s.Scope(Need{Class: D4, Level: Read}); !slices.Equal(d4.Schools, []int64{20}) || len(d4.Classes) > 0 {
		t.Errorf("D4 scope = %+v", d4)
	}
	for _, c := range []struct {
		d, sc, cl int64
		want      bool
	}{
		{1, 10, 100, true}, {1, 10, 102, false}, {2, 20, 0, true}, {2, 21, 0, false}, {1, 10, 0, false},
	} {
		if got := d1.Covers(c.d, c.sc, c.cl); got != c.want {
			t.Errorf("Covers(%d, %d, %d) = %v", c.d, c.sc, c.cl, got)
		}
	}
}

func TestOfficialsSeeAggregatesNotPupils(t *testing.T) {
	for _, r := range []Role{CityOfficial, DistrictOfficial} {
		s := Subject{Assignments: []Assignment{At(r, 1)}}
		if !s.Can(Need{Class: D0, Level: Read}) {
			t.Errorf("%s cannot read structure", r)
		}
		if s.Can(Need{Class: D1, Level: Limited}) || s.Can(Need{Class: D4, Level: Read}) {
			t.Errorf("%s can read named pupils or answers", r)
		}
	}
}

func TestSystemAdministratorSeesNoChildData(t *testing.T) {
	s := Subject{Assignments: []Assignment{{Role: SysAdmin}}}
	for c := D0; c <= D7; c++ {
		if c != D0 && s.Can(Need{Class: c, Level: Limited}) {
			t.Errorf("sysadmin reaches D%d", c)
		}
	}
	// D0 "limited" is structure (names and ids); the pages and API
	// that show counts need D0 read.
	if s.Can(Need{Class: D0, Level: Read}) || !s.Can(Need{Class: D0, Level: Limited}) {
		t.Error("sysadmin should read structure, not aggregates")
	}
	if SeesSensitive(SysAdmin) || SeesSensitive(Auditor) || !SeesSensitive(PsychTeacher) || !SeesSensitive(ClassTeacher) {
		t.Error("SeesSensitive disagrees with the table")
	}
}

func TestAtPutsTheNodeWhereTheBindingSays(t *testing.T) {
	for _, c := range []struct {
		r    Role
		want Assignment
	}{
		{DistrictOfficial, Assignment{Role: DistrictOfficial, DistrictID: 7}},
		{Principal, Assignment{Role: Principal, SchoolID: 7}},
		{ClassTeacher, Assignment{Role: ClassTeacher, ClassID: 7}},
		{AgencyUser, Assignment{Role: AgencyUser, AgencyID: 7}},
		{CityOfficial, Assignment{Role: CityOfficial}},
	} {
		if got := At(c.r, 7); got != c.want {
			t.Errorf("At(%s, 7) = %+v", c.r, got)
		}
	}
}

func TestFullNamesOnlyForRolesWorkingWithPupils(t *testing.T) {
	s := Subject{Assignments: []Assignment{
		{Role: Principal, SchoolID: 1}, {Role: ClassTeacher, SchoolID: 2, ClassID: 20}, {Role: SchoolAdmin, SchoolID: 3},
	}}
	f := s.FullNamesIn()
	if slices.Contains(f.Schools, 1) || !slices.Contains(f.Classes, 20) || !slices.Contains(f.Schools, 3) {
		t.Errorf("FullNamesIn = %+v", f)
	}
}

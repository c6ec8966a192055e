package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"huhang/internal/authz"
)

// TestScope checks that every read of the tree and its people honours the
// caller's scope: rows in scope are returned, rows outside it are absent
// (and their names appear nowhere in the answer), and a Get of an id outside
// the scope answers ErrNotFound, never a different error that would reveal
// the row exists.
func TestScope(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		d1, d2 := 0, 1
		// What each scope must see, by fixture position.
		type visible struct {
			schools, classes, students, staff []int64
		}
		studentsWhere := func(keep func(d, sc, cl int) bool) []int64 {
			var out []int64
			for d := range 2 {
				for sc := range 2 {
					for cl := range 2 {
						if keep(d, sc, cl) {
							out = append(out, c.students[d][sc][cl].id)
						}
					}
				}
			}
			return out
		}
		classesWhere := func(keep func(d, sc, cl int) bool) []int64 {
			var out []int64
			for d := range 2 {
				for sc := range 2 {
					for cl := range 2 {
						if keep(d, sc, cl) {
							out = append(out, c.classes[d][sc][cl])
						}
					}
				}
			}
			return out
		}
		tests := []struct {
			name  string
			scope authz.Scope
			want  visible
		}{
			{"a city scope sees every school, class, student and staff member", cityScope, visible{
				schools: c.allSchools(), classes: c.allClasses(),
				students: studentsWhere(func(int, int, int) bool { return true }), staff: c.allStaff(),
			}},
			{"a district scope sees only its own district", districtScope(c.districts[d1]), visible{
				schools:  []int64{c.schools[d1][0], c.schools[d1][1]},
				classes:  classesWhere(func(d, _, _ int) bool { return d == d1 }),
				students: studentsWhere(func(d, _, _ int) bool { return d == d1 }),
				staff:    []int64{c.staff[d1][0], c.staff[d1][1]},
			}},
			{"a school scope sees only its own school", schoolScope(c.schools[d2][1]), visible{
				schools:  []int64{c.schools[d2][1]},
				classes:  classesWhere(func(d, sc, _ int) bool { return d == d2 && sc == 1 }),
				students: studentsWhere(func(d, sc, _ int) bool { return d == d2 && sc == 1 }),
				staff:    []int64{c.staff[d2][1]},
			}},
			{"a class scope sees its class and its students but no school or staff record", classScope(c.classes[d1][0][1]), visible{
				classes:  []int64{c.classes[d1][0][1]},
				students: []int64{c.students[d1][0][1].id},
			}},
			{"an empty scope sees nothing", emptyScope, visible{}},
		}
		names := map[int64]string{}
		for _, st := range c.allStudents() {
			names[st.id] = st.name
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				// Schools.
				list, total, err := s.ListSchools(ctx, tc.scope, SchoolFilter{})
				if err != nil {
					t.Fatalf("ListSchools: %v", err)
				}
				var got []int64
				for _, x := range list {
					got = append(got, x.ID)
				}
				sameIDs(t, "ListSchools", got, tc.want.schools)
				if total != len(tc.want.schools) {
					t.Errorf("ListSchools total = %d, want %d", total, len(tc.want.schools))
				}
				for _, id := range c.allSchools() {
					x, err := s.GetSchool(ctx, tc.scope, id)
					if slices.Contains(tc.want.schools, id) {
						if err != nil || x.ID != id {
							t.Errorf("GetSchool(%d) in scope = %d, %v", id, x.ID, err)
						}
					} else {
						wantNotFound(t, fmt.Sprintf("GetSchool(%d) out of scope", id), err)
					}
				}

				// Classes, school by school.
				got = nil
				for _, sid := range c.allSchools() {
					cls, err := s.ListClasses(ctx, tc.scope, sid)
					if err != nil {
						t.Fatalf("ListClasses(%d): %v", sid, err)
					}
					for _, x := range cls {
						got = append(got, x.ID)
					}
				}
				sameIDs(t, "ListClasses", got, tc.want.classes)
				for _, id := range c.allClasses() {
					x, err := s.GetClass(ctx, tc.scope, id)
					if slices.Contains(tc.want.classes, id) {
						if err != nil || x.ID != id {
							t.Errorf("GetClass(%d) in scope = %d, %v", id, x.ID, err)
						}
					} else {
						wantNotFound(t, fmt.Sprintf("GetClass(%d) out of scope", id), err)
					}
				}

				// Students.
				rows, total, err := s.ListStudents(ctx, testActor, tc.scope, StudentFilter{})
				if err != nil {
					t.Fatalf("ListStudents: %v", err)
				}
				got = nil
				var listed strings.Builder
				for _, x := range rows {
					got = append(got, x.ID)
					fmt.Fprintf(&listed, "%+v\n", x)
				}
				sameIDs(t, "ListStudents", got, tc.want.students)
				if total != len(tc.want.students) {
					t.Errorf("ListStudents total = %d, want %d", total, len(tc.want.students))
				}
				for id, name := range names {
					if !slices.Contains(tc.want.students, id) && strings.Contains(listed.String(), name) {
						t.Errorf("ListStudents leaked the name of out-of-scope student %d", id)
					}
				}
				// A name search for an out-of-scope student finds nothing.
				for id, name := range names {
					if slices.Contains(tc.want.students, id) {
						continue
					}
					rows, total, err := s.ListStudents(ctx, testActor, tc.scope, StudentFilter{Query: name})
					if err != nil || total != 0 || len(rows) != 0 {
						t.Errorf("ListStudents(query for out-of-scope student %d) = %d rows, total %d, %v", id, len(rows), total, err)
					}
				}
				for _, st := range c.allStudents() {
					d, err := s.GetStudent(ctx, testActor, tc.scope, emptyScope, st.id, false)
					if slices.Contains(tc.want.students, st.id) {
						if err != nil || d.ID != st.id || d.Name != st.name {
							t.Errorf("GetStudent(%d) in scope = %d %q, %v", st.id, d.ID, d.Name, err)
						}
					} else {
						wantNotFound(t, fmt.Sprintf("GetStudent(%d) out of scope", st.id), err)
						if d.Name != "" {
							t.Errorf("GetStudent(%d) out of scope returned the name", st.id)
						}
					}
					id, err := s.FindStudentByIDNumber(ctx, tc.scope, st.idNumber)
					if slices.Contains(tc.want.students, st.id) {
						if err != nil || id != st.id {
							t.Errorf("FindStudentByIDNumber(student %d) in scope = %d, %v", st.id, id, err)
						}
					} else {
						wantNotFound(t, fmt.Sprintf("FindStudentByIDNumber(student %d) out of scope", st.id), err)
					}
				}

				// Staff.
				staff, total, err := s.ListStaff(ctx, tc.scope, StaffFilter{})
				if err != nil {
					t.Fatalf("ListStaff: %v", err)
				}
				got = nil
				for _, x := range staff {
					got = append(got, x.ID)
				}
				sameIDs(t, "ListStaff", got, tc.want.staff)
				if total != len(tc.want.staff) {
					t.Errorf("ListStaff total = %d, want %d", total, len(tc.want.staff))
				}
				for _, id := range c.allStaff() {
					x, err := s.GetStaff(ctx, tc.scope, id)
					if slices.Contains(tc.want.staff, id) {
						if err != nil || x.ID != id || len(x.Posts) != 2 {
							t.Errorf("GetStaff(%d) in scope = %d with %d posts, %v", id, x.ID, len(x.Posts), err)
						}
					} else {
						wantNotFound(t, fmt.Sprintf("GetStaff(%d) out of scope", id), err)
					}
				}
			})
		}

		t.Run("filters cannot widen a scope", func(t *testing.T) {
			sc := districtScope(c.districts[d1])
			other := c.schools[d2][0]
			if rows, total, err := s.ListStudents(ctx, testActor, sc, StudentFilter{SchoolID: other}); err != nil || total != 0 || len(rows) != 0 {
				t.Errorf("ListStudents(other district's school) = %d rows, total %d, %v", len(rows), total, err)
			}
			if rows, total, err := s.ListStudents(ctx, testActor, sc, StudentFilter{ClassID: c.classes[d2][0][0]}); err != nil || total != 0 || len(rows) != 0 {
				t.Errorf("ListStudents(other district's class) = %d rows, total %d, %v", len(rows), total, err)
			}
			if list, total, err := s.ListSchools(ctx, sc, SchoolFilter{DistrictID: c.districts[d2]}); err != nil || total != 0 || len(list) != 0 {
				t.Errorf("ListSchools(other district) = %d rows, total %d, %v", len(list), total, err)
			}
			if list, total, err := s.ListStaff(ctx, sc, StaffFilter{SchoolID: other}); err != nil || total != 0 || len(list) != 0 {
				t.Errorf("ListStaff(other district's school) = %d rows, total %d, %v", len(list), total, err)
			}
			st := c.students[d2][0][0]
			if rows, total, err := s.ListStudents(ctx, testActor, sc, StudentFilter{Query: st.no}); err != nil || total != 0 || len(rows) != 0 {
				t.Errorf("ListStudents(other district's student number) = %d rows, total %d, %v", len(rows), total, err)
			}
		})
	})
}

// sameIDs fails unless got and want hold the same ids (in any order, no
// duplicates).
func sameIDs(t testing.TB, what string, got, want []int64) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s returned ids %v, want %v", what, g, w)
	}
}

package store

import (
	"context"
	"math/rand/v2"
	"testing"

	"huhang/internal/model"
)

// The drill-down pages read enrolment counters, not the students table; a
// random history of roster changes must leave the counters equal to a full
// scan, and the aggregates the pages show must match counted rows.
func TestEnrolmentCountersFollowEveryChange(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newCity(t, s)
		rng := rand.New(rand.NewPCG(1, 2))
		classes := c.allClasses()
		var ids []int64
		for _, fs := range c.allStudents() {
			ids = append(ids, fs.id)
		}
		check := func(step string) {
			t.Helper()
			diffs, err := s.CheckCounts(ctx)
			if err != nil {
				t.Fatalf("%s: CheckCounts: %v", step, err)
			}
			if len(diffs) > 0 {
				t.Fatalf("%s: counters differ from a scan: %v", step, diffs)
			}
			// The published figures come through a cache; each step must
			// see the change the previous step made.
			for _, sc := range c.allSchools() {
				got, err := s.GetSchool(ctx, cityScope, sc)
				if err != nil {
					t.Fatal(err)
				}
				want := count(t, s, "students", "school_id = ? AND status = 'enrolled'", sc)
				if want >= 5 && got.Counts.Students != -1 && got.Counts.Students != want {
					t.Fatalf("%s: school %d shows %d pupils, %d are enrolled", step, sc, got.Counts.Students, want)
				}
			}
		}
		check("after the fixture")
		for i := range 40 {
			n := 300 + i
			switch rng.IntN(5) {
			case 0:
				ids = append(ids, createStudent(t, s, classes[rng.IntN(len(classes))], newStudent(t, n)))
			case 1:
				g := model.Male
				cats := []model.Category{model.CatOrphan}
				if err := s.UpdateStudent(ctx, testActor, cityScope, cityScope, ids[rng.IntN(len(ids))],
					StudentInput{Gender: &g, Categories: &cats}); err != nil {
					t.Fatalf("update: %v", err)
				}
			case 2:
				id := ids[rng.IntN(len(ids))]
				d, err := s.GetStudent(ctx, testActor, cityScope, cityScope, id, false)
				if err != nil || d.Status != model.Enrolled || d.ClassID == 0 {
					continue
				}
				var same []int64
				for _, cl := range classes {
					if cls, _ := s.GetClass(ctx, cityScope, cl); cls.SchoolID == d.SchoolID && cl != d.ClassID {
						same = append(same, cl)
					}
				}
				if err := s.MoveStudent(ctx, testActor, cityScope, id, MoveInput{Kind: MoveClass, ClassID: same[0]}); err != nil {
					t.Fatalf("move class: %v", err)
				}
			case 3:
				id := ids[rng.IntN(len(ids))]
				to := c.allSchools()[rng.IntN(4)]
				err := s.MoveStudent(ctx, testActor, cityScope, id, MoveInput{Kind: MoveTransfer, SchoolID: to})
				if err != nil && fieldsOf(t, err) == nil {
					t.Fatalf("transfer: %v", err)
				}
			case 4:
				_ = s.MoveStudent(ctx, testActor, cityScope, ids[rng.IntN(len(ids))], MoveInput{Kind: MoveGraduate})
			}
			check("after step " + string(rune('A'+i%26)))
		}
		// The aggregates pages show equal counted rows.
		for _, sc := range c.allSchools() {
			got, err := s.GetSchool(ctx, cityScope, sc)
			if err != nil {
				t.Fatal(err)
			}
			want := count(t, s, "students", "school_id = ? AND status = 'enrolled'", sc)
			if got.Counts.Students != want {
				t.Errorf("school %d shows %d pupils, %d are enrolled", sc, got.Counts.Students, want)
			}
		}
	})
}

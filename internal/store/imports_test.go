package store

import (
	"context"
	"errors"
	"testing"

	"huhang/internal/importer"
	"huhang/internal/model"
)

func importRow(t *testing.T, row int, fs fixtureStudent, grade, class int) importer.StudentRow {
	t.Helper()
	return importer.StudentRow{Row: row, StudentNo: fs.no, Name: fs.name, Gender: model.Female, BirthDate: fs.birth, IDNumber: fs.idNumber,
		Grade: grade, HasGrade: true, ClassNo: class, Categories: fs.cats, Guardians: fs.guardians}
}

func TestStudentImport(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newCity(t, s)
		school := c.schools[0][0]
		newImport := func() int64 {
			t.Helper()
			id, err := s.CreateImport(ctx, SystemActor, cityScope, importer.Students, school, "名单.csv", []byte("synthetic"))
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		a, b := newStudent(t, 500), newStudent(t, 501)
		rows := []importer.StudentRow{importRow(t, 2, a, 4, 1), importRow(t, 3, b, 4, 2)}

		t.Run("a roster commits whole, audits every pupil and closes the import", func(t *testing.T) {
			id := newImport()
			studentsBefore, auditBefore := count(t, s, "students", ""), auditCount(t, s)
			plan, err := s.CommitStudentImport(ctx, testActor, cityScope, cityScope, id, school, rows, nil)
			if err != nil || len(plan.Problems) > 0 || plan.New != 2 {
				t.Fatalf("commit: %+v %v", plan, err)
			}
			if n := count(t, s, "students", ""); n != studentsBefore+2 {
				t.Errorf("students %d → %d", studentsBefore, n)
			}
			if n := auditCount(t, s); n != auditBefore+3 {
				t.Errorf("audit entries %d → %d, want one per pupil and one for the import", auditBefore, n)
			}
			if _, err := s.VerifyAudit(ctx); err != nil {
				t.Errorf("chain after a bulk append: %v", err)
			}
			imp, err := s.GetImport(ctx, cityScope, id)
			if err != nil || imp.Status != ImportCommitted || imp.New != 2 {
				t.Errorf("import after commit: %+v %v", imp, err)
			}
			if _, err := s.ImportFile(ctx, cityScope, id); !errors.Is(err, ErrNotFound) {
				t.Errorf("the sealed file survived the commit: %v", err)
			}
			if diffs, _ := s.CheckCounts(ctx); len(diffs) > 0 {
				t.Errorf("counters: %v", diffs)
			}
		})

		t.Run("the same roster again changes nothing", func(t *testing.T) {
			plan, err := s.PlanStudentImport(ctx, cityScope, cityScope, school, rows)
			if err != nil || plan.Unchanged != 2 || plan.New+plan.Updated != 0 {
				t.Errorf("re-import plan: %+v %v", plan, err)
			}
		})

		t.Run("an import that fails halfway leaves the database exactly as before", func(t *testing.T) {
			x, y := newStudent(t, 510), newStudent(t, 511)
			y.idNumber = x.idNumber // the second row reuses the first's ID number: refused only when written
			id := newImport()
			before := rowCounts(t, s, "students", "guardians", "audit_log", "enrolment_counts")
			_, err := s.CommitStudentImport(ctx, testActor, cityScope, cityScope, id, school,
				[]importer.StudentRow{importRow(t, 2, x, 4, 1), importRow(t, 3, y, 4, 1)}, nil)
			var re *RowError
			if !errors.As(err, &re) || re.Row != 3 {
				t.Fatalf("err = %v, want a refusal of row 3", err)
			}
			after := rowCounts(t, s, "students", "guardians", "audit_log", "enrolment_counts")
			for k, v := range before {
				if after[k] != v {
					t.Errorf("%s: %d rows before, %d after the failed import", k, v, after[k])
				}
			}
			if imp, _ := s.GetImport(ctx, cityScope, id); imp.Status == ImportCommitted {
				t.Error("a failed import is marked committed")
			}
			if diffs, _ := s.CheckCounts(ctx); len(diffs) > 0 {
				t.Errorf("counters: %v", diffs)
			}
		})

		t.Run("a pupil of another school is a problem, not a silent move", func(t *testing.T) {
			other := c.students[1][0][0]
			plan, err := s.PlanStudentImport(ctx, cityScope, cityScope, school, []importer.StudentRow{importRow(t, 2, other, 4, 1)})
			if err != nil || len(plan.Problems) != 1 || plan.Problems[0].Key != "imp.other_school" || plan.Problems[0].Row != 2 {
				t.Errorf("plan: %+v %v", plan, err)
			}
		})

		t.Run("an unknown class and a school outside the scope are named", func(t *testing.T) {
			z := newStudent(t, 520)
			r1 := importRow(t, 2, z, 4, 9)
			r2 := importRow(t, 3, newStudent(t, 521), 4, 1)
			r2.SchoolCode = "S21-TEST" // another district's school
			plan, err := s.PlanStudentImport(ctx, schoolScope(school), schoolScope(school), school, []importer.StudentRow{r1, r2})
			if err != nil || len(plan.Problems) != 2 || plan.Problems[0].Key != "imp.unknown_class" || plan.Problems[1].Key != "imp.school_out_of_scope" {
				t.Errorf("plan: %+v %v", plan, err)
			}
			if _, err := s.CreateImport(ctx, testActor, schoolScope(school), importer.Students, c.schools[1][0], "x.csv", []byte("x")); err == nil {
				t.Error("an import was created for a school outside the scope")
			}
		})
	})
}

package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"huhang/internal/model"
)

// kpVisit records a follow-up (a home visit of any mode) straight into
// home_visits, so these tests do not depend on the visit form's rules.
func kpVisit(t *testing.T, s *Store, student int64, on string) {
	t.Helper()
	var school, district, class int64
	if err := s.write.QueryRowContext(context.Background(), s.q("SELECT school_id, district_id, class_id FROM students WHERE id = ?"), student).
		Scan(&school, &district, &class); err != nil {
		t.Fatal(err)
	}
	exec(t, s, `INSERT INTO home_visits (student_id, school_id, district_id, class_id, visited_on, term_year, term_sem, mode, family, living,
		since_last, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, 2025, 2, 'phone', 'stable', 'both_parents', 'none', 1, 0)`,
		student, school, district, class, on)
}

// kpPupil creates an enrolled pupil numbered n with the given categories
// and marks them with since dates (category → since) from the school.
func kpPupil(t *testing.T, s *Store, class int64, n int, since map[model.Category]string, roster ...model.Category) int64 {
	t.Helper()
	fs := newStudent(t, n)
	fs.cats = roster
	id := createStudent(t, s, class, fs)
	if len(since) > 0 {
		var in []KeyMarkInput
		for _, c := range model.Categories {
			if d, ok := since[c]; ok {
				in = append(in, KeyMarkInput{Category: string(c), Since: d, Source: "school"})
			} else if slices.Contains(roster, c) {
				in = append(in, KeyMarkInput{Category: string(c)})
			}
		}
		if err := s.SetKeyCategories(context.Background(), testActor, cityScope, id, in); err != nil {
			t.Fatalf("SetKeyCategories: %v", err)
		}
	}
	return id
}

func byStudent(ks []KeyPupil) map[int64]KeyPupil {
	out := map[int64]KeyPupil{}
	for _, k := range ks {
		out[k.StudentID] = k
	}
	return out
}

func TestKeyPupilFollowUpsDue(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		class := c.classes[0][0][1]
		at := testEpoch // 2026-03-02
		lb, poor, migrant := model.CatLeftBehind, model.CatPoor, model.CatMigrant
		// Default cadence: left-behind 30 days, poor 60, migrant 90.
		both := kpPupil(t, s, class, 201, map[model.Category]string{lb: "2026-01-01", poor: "2026-01-01"})
		dueToday := kpPupil(t, s, class, 202, map[model.Category]string{poor: "2026-01-01"})
		visited := kpPupil(t, s, class, 203, map[model.Category]string{lb: "2025-09-01"})
		kpVisit(t, s, visited, "2026-01-10")
		kpVisit(t, s, visited, "2026-02-20") // the latest of any mode counts
		migrantOld := kpPupil(t, s, class, 204, map[model.Category]string{migrant: "2025-10-01"})
		kpVisit(t, s, migrantOld, "2025-11-01")
		noted := kpPupil(t, s, class, 205, map[model.Category]string{lb: "2026-02-25"})
		kpVisit(t, s, noted, "2026-01-01") // before the category was noted
		roster := kpPupil(t, s, class, 206, nil, poor)
		notKey := kpPupil(t, s, class, 207, nil)

		ks, total, err := s.KeyPupils(ctx, testActor, classScope(class), KeyFilter{ClassID: class}, at)
		if err != nil {
			t.Fatal(err)
		}
		got := byStudent(ks)
		if _, ok := got[notKey]; ok {
			t.Errorf("a pupil without a category is on the register")
		}
		// The six here and the fixture's pupil of the class (migrant, from
		// the roster).
		if total != 7 || len(ks) != 7 {
			t.Errorf("register has %d (total %d), want 7", len(ks), total)
		}
		for _, tc := range []struct {
			name    string
			id      int64
			cadence int
			last    string
			due     string
			overdue int
		}{
			{"two categories noted the same day: the smallest cadence wins", both, 30, "", "2026-01-31", 30},
			{"due today is not overdue", dueToday, 60, "", "2026-03-02", 0},
			{"counted from the last follow-up", visited, 30, "2026-02-20", "2026-03-22", 0},
			{"migrant cadence from the last visit", migrantOld, 90, "2025-11-01", "2026-01-30", 31},
			{"a category noted after the last visit starts its own clock", noted, 30, "2026-01-01", "2026-03-27", 0},
			{"a roster category counts from the day the pupil was put on the roster", roster, 60, "", "2026-05-01", 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				k, ok := got[tc.id]
				if !ok {
					t.Fatalf("pupil %d missing", tc.id)
				}
				if k.CadenceDays != tc.cadence || k.LastOn != tc.last || k.DueOn != tc.due || k.DaysOverdue != tc.overdue {
					t.Errorf("cadence %d last %q due %q overdue %d; want %d %q %q %d", k.CadenceDays, k.LastOn, k.DueOn, k.DaysOverdue,
						tc.cadence, tc.last, tc.due, tc.overdue)
				}
			})
		}
		if m := got[roster].Marks; len(m) != 1 || m[0].Source != "roster" || m[0].Since != "2026-03-02" {
			t.Errorf("roster category marks = %+v, want source roster since the roster day", m)
		}
		if m := got[both].Marks; len(m) != 2 || m[0].Category != poor || m[1].Category != lb || m[0].Source != "school" || m[0].Since != "2026-01-01" {
			t.Errorf("marks = %+v, want poor then left_behind, from the school, since 2026-01-01", m)
		}

		t.Run("overdue only, most overdue first, with the total", func(t *testing.T) {
			ks, total, err := s.KeyPupils(ctx, testActor, cityScope, KeyFilter{SchoolID: c.schools[0][0], Overdue: true}, at)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, k := range ks {
				ids = append(ids, k.StudentID)
			}
			// The fixture's own pupils (roster categories, put on the roster
			// today) are not overdue.
			if !slices.Equal(ids, []int64{migrantOld, both}) || total != 2 {
				t.Errorf("overdue = %v (total %d), want [%d %d]", ids, total, migrantOld, both)
			}
			due, n, err := s.OverdueFollowUps(ctx, cityScope, at, 1)
			if err != nil {
				t.Fatal(err)
			}
			if n != 2 || len(due) != 1 || due[0].StudentID != migrantOld || due[0].DaysOverdue != 31 || due[0].DueOn != "2026-01-30" ||
				due[0].LastOn != "2025-11-01" || !slices.Equal(due[0].Categories, []model.Category{migrant}) || due[0].Name == "" {
				t.Errorf("OverdueFollowUps = %+v (total %d)", due, n)
			}
		})

		t.Run("a category filter and a class teacher's scope", func(t *testing.T) {
			ks, _, err := s.KeyPupils(ctx, testActor, classScope(class), KeyFilter{Category: lb}, at)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range ks {
				if !slices.Contains(k.Categories(), lb) || k.ClassID != class {
					t.Errorf("filter left_behind in class %d gave %+v", class, k)
				}
			}
			if len(ks) != 3 {
				t.Errorf("left-behind pupils = %d, want 3", len(ks))
			}
			other, _, err := s.KeyPupils(ctx, testActor, classScope(c.classes[0][0][0]), KeyFilter{ClassID: class}, at)
			if err != nil {
				t.Fatal(err)
			}
			if len(other) != 0 {
				t.Errorf("another class's teacher sees %d of this class's key pupils", len(other))
			}
			if _, err := s.KeyPupilOf(ctx, testActor, classScope(c.classes[0][0][0]), both, at); !errors.Is(err, ErrNotFound) {
				t.Errorf("KeyPupilOf out of scope: %v", err)
			}
		})

		t.Run("every register read is audited, an empty one is not", func(t *testing.T) {
			before := auditCount(t, s)
			if _, _, err := s.KeyPupils(ctx, testActor, classScope(class), KeyFilter{ClassID: class}, at); err != nil {
				t.Fatal(err)
			}
			if e := lastAudit(t, s); auditCount(t, s) != before+1 || e.Action != "keypupil.listed" || e.ObjectID != class || e.Detail != "rows=7" {
				t.Errorf("audit after a register read: %+v", e)
			}
			if _, _, err := s.KeyPupils(ctx, testActor, emptyScope, KeyFilter{}, at); err != nil {
				t.Fatal(err)
			}
			if auditCount(t, s) != before+1 {
				t.Errorf("an empty read wrote an audit entry")
			}
			// Without a filter the entries still name whose pupils were read:
			// one per class shown, with its school and district.
			page, _, err := s.KeyPupils(ctx, testActor, cityScope, KeyFilter{}, at)
			if err != nil {
				t.Fatal(err)
			}
			classes := map[int64]bool{}
			for _, p := range page {
				classes[p.ClassID] = true
			}
			entries, err := s.SearchAudit(ctx, AuditFilter{Action: "keypupil.listed", Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			fresh := entries[:auditCount(t, s)-before-1]
			if len(fresh) != len(classes) {
				t.Fatalf("%d entries for a read over %d classes", len(fresh), len(classes))
			}
			for _, e := range fresh {
				if e.ObjectType != "class" || !classes[e.ObjectID] || e.SchoolID == 0 || e.DistrictID == 0 {
					t.Errorf("an unfiltered register read is audited as %+v", e)
				}
			}
		})

		t.Run("the cadence per category changes who is overdue", func(t *testing.T) {
			if err := s.SetKeyCadence(ctx, testActor, []Cadence{{Category: lb, Days: 5}}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.SetKeyCadence(ctx, testActor, []Cadence{{Category: lb, Days: 30}}) })
			k, err := s.KeyPupilOf(ctx, testActor, cityScope, visited, at)
			if err != nil {
				t.Fatal(err)
			}
			if k.CadenceDays != 5 || k.DueOn != "2026-02-25" || k.DaysOverdue != 5 {
				t.Errorf("with 5 days for left-behind: %+v", k)
			}
			stats, err := s.KeyFollowUpStats(ctx, districtScope(c.districts[0]), at)
			if err != nil {
				t.Fatal(err)
			}
			// School [0][0]: its 2 roster pupils + the 6 here; overdue:
			// both (5 days from 01-01), visited, migrantOld.
			got := stats[c.schools[0][0]]
			if got.Key != 8 || got.Overdue != 3 || got.OnTime != 5 {
				t.Errorf("stats for the school = %+v, want 8 key, 3 overdue, 5 on time", got)
			}
			if _, ok := stats[c.schools[1][0]]; ok {
				t.Errorf("a school of another district is counted")
			}
		})
	})
}

func TestSetKeyCategories(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		class := c.classes[0][0][0]
		id := kpPupil(t, s, class, 301, nil, model.CatPoor)
		countsOf := func() (int, int) {
			var poor, lb int
			if err := s.write.QueryRowContext(ctx, s.q("SELECT c0, c1 FROM enrolment_counts WHERE school_id = ? AND class_key = ?"),
				c.schools[0][0], class).Scan(&poor, &lb); err != nil {
				t.Fatal(err)
			}
			return poor, lb
		}
		poor0, lb0 := countsOf()

		t.Run("bad input is refused field by field and nothing is stored", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				in   []KeyMarkInput
				want []string
			}{
				{"an unknown category", []KeyMarkInput{{Category: "rich"}}, []string{"categories[0].category=kp.err_category"}},
				{"an unknown source", []KeyMarkInput{{Category: "poor", Source: "rumour"}}, []string{"categories[0].source=kp.err_source"}},
				{"a date in the future", []KeyMarkInput{{Category: "poor", Since: "2026-03-03"}}, []string{"categories[0].since=kp.err_future"}},
				{"a date that is not one", []KeyMarkInput{{Category: "poor", Since: "2026-02-30"}}, []string{"categories[0].since=kp.err_date"}},
				{"a category twice", []KeyMarkInput{{Category: "poor"}, {Category: "poor"}}, []string{"categories[1].category=kp.err_twice"}},
				{"a date before the pupil was born", []KeyMarkInput{{Category: "orphan", Since: "2001-01-01"}}, []string{"categories[0].since=kp.err_before_birth"}},
				{"several at once", []KeyMarkInput{{Category: "x", Source: "y", Since: "soon"}},
					[]string{"categories[0].category=kp.err_category", "categories[0].source=kp.err_source", "categories[0].since=kp.err_date"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := rowCounts(t, s, "key_pupil_marks", "audit_log")
					err := s.SetKeyCategories(ctx, testActor, cityScope, id, tc.in)
					if got := keysOf(t, err); !slices.Equal(got, tc.want) {
						t.Errorf("errors %v, want %v", got, tc.want)
					}
					if after := rowCounts(t, s, "key_pupil_marks", "audit_log"); after["key_pupil_marks"] != before["key_pupil_marks"] ||
						after["audit_log"] != before["audit_log"] {
						t.Errorf("rows changed: %v → %v", before, after)
					}
				})
			}
			if p, l := countsOf(); p != poor0 || l != lb0 {
				t.Errorf("counters moved on refused input")
			}
		})

		t.Run("outside the caller's scope: not found", func(t *testing.T) {
			wantNotFound(t, "another school's pupil", s.SetKeyCategories(ctx, testActor, schoolScope(c.schools[1][0]), id,
				[]KeyMarkInput{{Category: "poor"}}))
		})

		t.Run("a change updates the roster, the marks, the counters and the audit log together", func(t *testing.T) {
			before := auditCount(t, s)
			err := s.SetKeyCategories(ctx, testActor, schoolScope(c.schools[0][0]), id, []KeyMarkInput{
				{Category: "poor"}, {Category: "left_behind", Since: "2026-02-01", Source: "class_teacher"}})
			if err != nil {
				t.Fatal(err)
			}
			k, err := s.KeyPupilOf(ctx, testActor, cityScope, id, testEpoch)
			if err != nil {
				t.Fatal(err)
			}
			want := []KeyMark{{model.CatPoor, "2026-03-02", "roster"}, {model.CatLeftBehind, "2026-02-01", "class_teacher"}}
			if !slices.Equal(k.Marks, want) {
				t.Errorf("marks = %+v, want %+v", k.Marks, want)
			}
			if p, l := countsOf(); p != poor0 || l != lb0+1 {
				t.Errorf("counters poor %d left-behind %d, want %d %d", p, l, poor0, lb0+1)
			}
			if n := count(t, s, "key_pupil_marks", "student_id = ?", id); n != 1 {
				t.Errorf("%d marks, want 1 (the roster's poor stays without one)", n)
			}
			e := lastAudit(t, s)
			if auditCount(t, s) != before+2 || e.Action != "keypupil.read" {
				t.Errorf("audit: %d entries after the change and the read, last %+v", auditCount(t, s)-before, e)
			}
			// Dropping a category drops its mark.
			if err := s.SetKeyCategories(ctx, testActor, cityScope, id, []KeyMarkInput{{Category: "left_behind"}}); err != nil {
				t.Fatal(err)
			}
			k, _ = s.KeyPupilOf(ctx, testActor, cityScope, id, testEpoch)
			if len(k.Marks) != 1 || k.Marks[0] != want[1] {
				t.Errorf("after dropping poor: %+v", k.Marks)
			}
			if p, _ := countsOf(); p != poor0-1 {
				t.Errorf("poor counter %d, want %d", p, poor0-1)
			}
			// None at all: off the register, no marks left.
			if err := s.SetKeyCategories(ctx, testActor, cityScope, id, nil); err != nil {
				t.Fatal(err)
			}
			if n := count(t, s, "key_pupil_marks", "student_id = ?", id); n != 0 {
				t.Errorf("%d marks left", n)
			}
			ks, _, err := s.KeyPupils(ctx, testActor, cityScope, KeyFilter{ClassID: class}, testEpoch)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := byStudent(ks)[id]; ok {
				t.Errorf("a pupil without categories is on the register")
			}
		})
	})
}

func TestKeyCadence(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		cs, err := s.KeyCadence(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []Cadence{{model.CatPoor, 60}, {model.CatLeftBehind, 30}, {model.CatSingleParent, 60}, {model.CatMigrant, 90}, {model.CatOrphan, 30},
			{model.CatDisabled, 60}}
		if !slices.Equal(cs, want) {
			t.Errorf("defaults = %v, want %v", cs, want)
		}
		for _, tc := range []struct {
			name string
			in   []Cadence
			want []string
		}{
			{"nothing", nil, []string{"items=kp.err_cadence_empty"}},
			{"zero days", []Cadence{{model.CatPoor, 0}}, []string{"items[0].days=kp.err_days"}},
			{"more than a year", []Cadence{{model.CatPoor, 366}}, []string{"items[0].days=kp.err_days"}},
			{"an unknown category", []Cadence{{"rich", 30}}, []string{"items[0].category=kp.err_category"}},
			{"a category twice", []Cadence{{model.CatPoor, 30}, {model.CatPoor, 40}}, []string{"items[1].category=kp.err_twice"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := auditCount(t, s)
				if got := keysOf(t, s.SetKeyCadence(ctx, testActor, tc.in)); !slices.Equal(got, tc.want) {
					t.Errorf("errors %v, want %v", got, tc.want)
				}
				if auditCount(t, s) != before {
					t.Errorf("a refused change was audited")
				}
			})
		}
		cs, _ = s.KeyCadence(ctx)
		if !slices.Equal(cs, want) {
			t.Errorf("refused changes changed the cadence: %v", cs)
		}
		before := auditCount(t, s)
		if err := s.SetKeyCadence(ctx, testActor, []Cadence{{model.CatPoor, 45}, {model.CatOrphan, 30}, {model.CatMigrant, 365}}); err != nil {
			t.Fatal(err)
		}
		cs, _ = s.KeyCadence(ctx)
		if cs[0].Days != 45 || cs[3].Days != 365 || cs[4].Days != 30 {
			t.Errorf("after the change: %v", cs)
		}
		if got := auditCount(t, s) - before; got != 2 {
			t.Errorf("%d audit entries, want one per changed category (2)", got)
		}
		if e := lastAudit(t, s); e.Action != "keypupil.cadence_set" || e.ActorID != testActor.UserID {
			t.Errorf("audit entry %+v", e)
		}
	})
}

// The register's dates follow the caller's day: a pupil put on the roster
// late in the evening (UTC) counts from that local day.
func TestKeyPupilDayIsTheCallersDay(t *testing.T) {
	r := keyRow{cats: model.CategorySet(0).With(model.CatPoor), created: time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC).UnixMilli()}
	shanghai := time.FixedZone("CST", 8*3600)
	k := r.evaluate(map[model.Category]int{model.CatPoor: 1}, time.Date(2026, 3, 4, 9, 0, 0, 0, shanghai))
	if k.Marks[0].Since != "2026-03-02" || k.DueOn != "2026-03-03" || k.DaysOverdue != 1 {
		t.Errorf("%+v", k)
	}
}

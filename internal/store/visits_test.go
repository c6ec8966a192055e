package store

// Home visits through the store: what a visit stores (the visit, its
// visitors, the pupil's coverage row for the term) and what is refused
// with nothing stored; sealed notes; coverage with pupils who moved class
// or left; the class sheet; and concerns passed to the psychology teacher.
// Dates are in semester 2 of 2025 (from 2026-02-01) unless said otherwise;
// the clock stands at testEpoch (2026-03-02).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/programme"
)

// visitSchool is a primary school of its own for the visit tests: two
// grade-4 classes, a class teacher for each, a subject teacher posted to
// both, and a psychology teacher on no class team.
type visitSchool struct {
	district, school   int64
	class1, class2     int64
	teacher1, teacher2 int64 // class teachers of class1 and class2
	subject            int64 // subject teacher of both classes
	psych              int64 // the school's psychology teacher
	names              map[int64]string
}

// newVisitSchool builds a visitSchool in district; n (≥ 1000, a multiple
// of 10) keeps its staff's names and phones apart from other fixtures'.
func newVisitSchool(t testing.TB, s *Store, district int64, code string, n int) visitSchool {
	t.Helper()
	ctx := context.Background()
	v := visitSchool{district: district, names: map[int64]string{}}
	v.school = hsAddSchool(t, s, district, code, "测试"+code+"小学", model.Primary)
	for i, p := range []*int64{&v.class1, &v.class2} {
		id, err := s.CreateClass(ctx, SystemActor, cityScope, ClassInput{SchoolID: v.school, StartYear: 2025, Grade: 4, Number: i + 1})
		if err != nil {
			t.Fatalf("CreateClass: %v", err)
		}
		*p = id
	}
	staff := []struct {
		id    *int64
		posts []model.StaffPost
	}{
		{&v.teacher1, []model.StaffPost{{Post: model.PostClassTeacher, ClassID: v.class1}}},
		{&v.teacher2, []model.StaffPost{{Post: model.PostClassTeacher, ClassID: v.class2}}},
		{&v.subject, []model.StaffPost{{Post: model.PostSubjectTeacher, ClassID: v.class1}, {Post: model.PostSubjectTeacher, ClassID: v.class2}}},
		{&v.psych, []model.StaffPost{{Post: model.PostPsychFullTime}}},
	}
	for i, x := range staff {
		name := "教师" + synthName(n+i)
		id, err := s.CreateStaff(ctx, SystemActor, cityScope, StaffInput{SchoolID: v.school, Name: name, Gender: model.Female,
			Phone: synthPhone(n + i), Posts: x.posts})
		if err != nil {
			t.Fatalf("CreateStaff: %v", err)
		}
		*x.id = id
		v.names[id] = name
	}
	return v
}

// visitPupil enrols a new pupil numbered n in class.
func visitPupil(t testing.TB, s *Store, class int64, n int) fixtureStudent {
	t.Helper()
	fs := newStudent(t, n)
	fs.id = createStudent(t, s, class, fs)
	return fs
}

// visitIn is a valid visit input.
func visitIn(student int64, day, mode string, visitors ...int64) VisitInput {
	return VisitInput{StudentID: student, VisitedOn: day, Mode: mode, Visitors: visitors, Family: "stable", Living: "both_parents"}
}

// visitRecord records a visit, failing the test if it is refused.
func visitRecord(t testing.TB, s *Store, sc authz.Scope, in VisitInput) VisitResult {
	t.Helper()
	res, err := s.RecordVisit(context.Background(), testActor, sc, in)
	if err != nil {
		t.Fatalf("RecordVisit %+v: %v", in, err)
	}
	return res
}

// visitCoverageRow is a pupil's visit_coverage row for a term.
type visitCoverageRow struct {
	school, district int64
	visits, modes    int
	first, last      string
}

func readCoverageRow(t testing.TB, s *Store, student int64, year, sem int) (visitCoverageRow, bool) {
	t.Helper()
	var r visitCoverageRow
	err := s.write.QueryRowContext(context.Background(), s.q(`SELECT school_id, district_id, visits, modes, first_on, last_on FROM visit_coverage
		WHERE student_id = ? AND term_year = ? AND term_sem = ?`), student, year, sem).Scan(&r.school, &r.district, &r.visits, &r.modes, &r.first, &r.last)
	if errors.Is(mapErr(err), ErrNotFound) {
		return r, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return r, true
}

var visitTables = []string{"home_visits", "home_visit_visitors", "visit_coverage", "visit_concerns", "audit_log"}

func TestRecordVisit(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		v := newVisitSchool(t, s, c.districts[0], "V1-TEST", 1000)
		pupil := visitPupil(t, s, v.class1, 1100)
		team := classScope(v.class1)
		note := "孩子与祖父母同住，父母在外地务工，每周视频通话一次。"

		var firstVisit VisitResult
		t.Run("a visit stores the visit, its visitors and the pupil's coverage for the term", func(t *testing.T) {
			before, gen := rowCounts(t, s, visitTables...), hsGen(t, s)
			in := VisitInput{StudentID: pupil.id, VisitedOn: "2026-02-10", Mode: "in_person", Visitors: []int64{v.subject, v.teacher1, v.subject},
				Family: "strained", Living: "grandparents", Concerns: []string{"mood"}, Help: []string{"study", "financial"}, Note: "  " + note + " "}
			firstVisit = visitRecord(t, s, team, in)
			if firstVisit.ID == 0 || firstVisit.ConcernID != 0 {
				t.Errorf("RecordVisit = %+v; want a visit and no concern", firstVisit)
			}
			after := rowCounts(t, s, visitTables...)
			for table, want := range map[string]int{"home_visits": 1, "home_visit_visitors": 2, "visit_coverage": 1, "visit_concerns": 0, "audit_log": 1} {
				if n := after[table] - before[table]; n != want {
					t.Errorf("%s: %d rows added, want %d", table, n, want)
				}
			}
			if n := count(t, s, "home_visits", "id = ? AND student_id = ? AND school_id = ? AND district_id = ? AND class_id = ? AND term_year = 2025 AND term_sem = 2",
				firstVisit.ID, pupil.id, v.school, v.district, v.class1); n != 1 {
				t.Error("the visit row does not hold the pupil's school, district, class and term")
			}
			got, ok := readCoverageRow(t, s, pupil.id, 2025, 2)
			if want := (visitCoverageRow{v.school, v.district, 1, 1, "2026-02-10", "2026-02-10"}); !ok || got != want {
				t.Errorf("coverage row = %+v (%v), want %+v", got, ok, want)
			}
			if g := hsGen(t, s); g <= gen {
				t.Error("a visit did not move the home–school generation")
			}
			if e := lastAudit(t, s); e.Action != "homeschool.visit_recorded" || e.ObjectType != "student" || e.ObjectID != pupil.id ||
				e.SchoolID != v.school || e.Detail != fmt.Sprintf("visit=%d mode=in_person", firstVisit.ID) {
				t.Errorf("audit entry = %+v", e)
			}
		})

		t.Run("the note is sealed at rest", func(t *testing.T) {
			var raw []byte
			if err := s.write.QueryRowContext(ctx, s.q("SELECT note FROM home_visits WHERE id = ?"), firstVisit.ID).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if len(raw) == 0 || bytes.Contains(raw, []byte(note)) || bytes.Contains(raw, []byte("祖父母")) {
				t.Errorf("home_visits.note holds the plaintext (%d bytes)", len(raw))
			}
		})

		t.Run("further visits in the term count the visits and add their modes to the same row", func(t *testing.T) {
			visitRecord(t, s, team, visitIn(pupil.id, "2026-02-20", "phone", v.teacher1))
			visitRecord(t, s, schoolScope(v.school), visitIn(pupil.id, "2026-02-05", "wechat", v.subject))
			visitRecord(t, s, team, visitIn(pupil.id, "2026-02-25", "phone", v.teacher1))
			got, ok := readCoverageRow(t, s, pupil.id, 2025, 2)
			if want := (visitCoverageRow{v.school, v.district, 4, 1 | 2 | 4, "2026-02-05", "2026-02-25"}); !ok || got != want {
				t.Errorf("coverage row = %+v (%v), want %+v", got, ok, want)
			}
			if n := count(t, s, "visit_coverage", "student_id = ?", pupil.id); n != 1 {
				t.Errorf("%d coverage rows, want 1", n)
			}
		})

		t.Run("a visit last term keeps its own coverage row", func(t *testing.T) {
			visitRecord(t, s, team, visitIn(pupil.id, "2025-12-01", "in_person", v.teacher1))
			got, ok := readCoverageRow(t, s, pupil.id, 2025, 1)
			if want := (visitCoverageRow{v.school, v.district, 1, 1, "2025-12-01", "2025-12-01"}); !ok || got != want {
				t.Errorf("coverage row = %+v (%v), want %+v", got, ok, want)
			}
			if got, _ := readCoverageRow(t, s, pupil.id, 2025, 2); got.visits != 4 {
				t.Errorf("this term's row has %d visits, want 4", got.visits)
			}
		})

		t.Run("StudentVisits returns the visits newest first with the note opened, and audits the read", func(t *testing.T) {
			entries := auditCount(t, s)
			list, err := s.StudentVisits(ctx, testActor, team, pupil.id)
			if err != nil {
				t.Fatalf("StudentVisits: %v", err)
			}
			var days []string
			for _, x := range list {
				days = append(days, x.VisitedOn)
			}
			if want := []string{"2026-02-25", "2026-02-20", "2026-02-10", "2026-02-05", "2025-12-01"}; !slices.Equal(days, want) {
				t.Fatalf("visits on %v, want %v", days, want)
			}
			first := list[2]
			if first.ID != firstVisit.ID || first.Note != note || first.Mode != "in_person" || first.Family != "strained" ||
				first.Living != "grandparents" || first.SinceLast != "first" || first.ClassID != v.class1 || first.StudentID != pupil.id ||
				!slices.Equal(first.Concerns, []string{"mood"}) || !slices.Equal(first.Help, []string{"financial", "study"}) || first.ConcernState != "" {
				t.Errorf("first visit = %+v", first)
			}
			wantVisitors := []string{v.names[v.teacher1], v.names[v.subject]}
			slices.Sort(wantVisitors)
			gotVisitors := slices.Clone(first.Visitors)
			slices.Sort(gotVisitors)
			if !slices.Equal(gotVisitors, wantVisitors) {
				t.Errorf("visitors = %v, want %v", first.Visitors, wantVisitors)
			}
			if list[0].SinceLast != "none" || list[0].Note != "" || len(list[0].Concerns) != 0 {
				t.Errorf("a later visit without findings = %+v", list[0])
			}
			if n := auditCount(t, s) - entries; n != 1 {
				t.Errorf("the read appended %d audit entries, want 1", n)
			}
			if e := lastAudit(t, s); e.Action != "homeschool.visits_read" || e.ObjectType != "student" || e.ObjectID != pupil.id || e.SchoolID != v.school {
				t.Errorf("audit entry = %+v", e)
			}
		})

		t.Run("StudentVisits outside the scope finds nothing and audits nothing", func(t *testing.T) {
			for _, sc := range []authz.Scope{classScope(v.class2), schoolScope(c.schools[0][1]), districtScope(c.districts[1])} {
				entries := auditCount(t, s)
				list, err := s.StudentVisits(ctx, testActor, sc, pupil.id)
				wantNotFound(t, fmt.Sprintf("StudentVisits with %+v", sc), err)
				if len(list) != 0 {
					t.Errorf("scope %+v saw %d visits", sc, len(list))
				}
				if n := auditCount(t, s) - entries; n != 0 {
					t.Errorf("scope %+v: %d audit entries", sc, n)
				}
			}
		})

		left := visitPupil(t, s, v.class1, 1101)
		if err := s.MoveStudent(ctx, testActor, cityScope, left.id, MoveInput{Kind: MoveTransfer}); err != nil {
			t.Fatal(err)
		}
		graduate := visitPupil(t, s, v.class1, 1102)
		if err := s.MoveStudent(ctx, testActor, cityScope, graduate.id, MoveInput{Kind: MoveGraduate}); err != nil {
			t.Fatal(err)
		}
		otherSchoolTeacher := c.staff[0][1]
		refusals := []struct {
			name   string
			sc     authz.Scope
			mutate func(in *VisitInput)
			want   string // field=key; "" for ErrNotFound
		}{
			{"a date tomorrow", team, func(in *VisitInput) { in.VisitedOn = "2026-03-03" }, "visited_on=hs.err_future"},
			{"a date in the summer holiday", team, func(in *VisitInput) { in.VisitedOn = "2025-08-10" }, "visited_on=hs.err_outside_term"},
			{"a date two terms back, in a term already reported", team, func(in *VisitInput) { in.VisitedOn = "2025-03-10" }, "visited_on=hs.err_term_closed"},
			{"a date years back", team, func(in *VisitInput) { in.VisitedOn = "2003-10-10" }, "visited_on=hs.err_term_closed"},
			{"a malformed date", team, func(in *VisitInput) { in.VisitedOn = "10/02/2026" }, "visited_on=hs.err_date"},
			{"a missing date", team, func(in *VisitInput) { in.VisitedOn = "" }, "visited_on=hs.err_date"},
			{"a teacher of the same school who is not on the pupil's class team", team,
				func(in *VisitInput) { in.Visitors = []int64{v.teacher1, v.teacher2} }, "visitors=hs.err_not_on_team"},
			{"the school's psychology teacher, who is on no class team", team,
				func(in *VisitInput) { in.Visitors = []int64{v.psych} }, "visitors=hs.err_not_on_team"},
			{"a class teacher of another school", team, func(in *VisitInput) { in.Visitors = []int64{otherSchoolTeacher} }, "visitors=hs.err_not_on_team"},
			{"a staff id that does not exist", team, func(in *VisitInput) { in.Visitors = []int64{999999} }, "visitors=hs.err_not_on_team"},
			{"no visitors", team, func(in *VisitInput) { in.Visitors = nil }, "visitors=hs.err_visitors"},
			{"an unknown mode", team, func(in *VisitInput) { in.Mode = "letter" }, "mode=hs.err_mode"},
			{"an unknown family situation", team, func(in *VisitInput) { in.Family = "rich" }, "family=hs.err_code"},
			{"an unknown living arrangement", team, func(in *VisitInput) { in.Living = "alone" }, "living=hs.err_code"},
			{"an unknown change since the last visit", team, func(in *VisitInput) { in.SinceLast = "better" }, "since_last=hs.err_code"},
			{"an unknown concern", team, func(in *VisitInput) { in.Concerns = []string{"mood", "grades"} }, "concerns=hs.err_code"},
			{"an unknown kind of help", team, func(in *VisitInput) { in.Help = []string{"money"} }, "help=hs.err_code"},
			{"a note of 2001 characters", team, func(in *VisitInput) { in.Note = strings.Repeat("记", 2001) }, "note=hs.err_note"},
			{"pass_concern without concerns", team, func(in *VisitInput) { in.PassConcern = true; in.ConcernMessage = "请关注" },
				"concerns=hs.err_concern_kind"},
			{"a pupil outside the caller's class", classScope(v.class2), nil, ""},
			{"a pupil of another school", schoolScope(c.schools[0][1]), nil, ""},
			{"a pupil who does not exist", team, func(in *VisitInput) { in.StudentID = 999999 }, ""},
			{"a pupil who transferred out", team, func(in *VisitInput) { in.StudentID = left.id }, "student_id=hs.err_not_enrolled"},
			{"a pupil who graduated", team, func(in *VisitInput) { in.StudentID = graduate.id }, "student_id=hs.err_not_enrolled"},
		}
		for _, tc := range refusals {
			t.Run("a visit with "+tc.name+" is refused and stores nothing", func(t *testing.T) {
				in := visitIn(pupil.id, "2026-02-26", "phone", v.teacher1)
				in.Note = "拒绝的家访"
				if tc.mutate != nil {
					tc.mutate(&in)
				}
				before, gen := rowCounts(t, s, visitTables...), hsGen(t, s)
				res, err := s.RecordVisit(ctx, testActor, tc.sc, in)
				switch {
				case err == nil:
					t.Fatalf("RecordVisit succeeded: %+v", res)
				case tc.want == "":
					wantNotFound(t, "RecordVisit", err)
				default:
					if got := hsFieldKeys(t, err); !slices.Equal(got, []string{tc.want}) {
						t.Errorf("refused with %v, want [%s]", got, tc.want)
					}
				}
				if after := rowCounts(t, s, visitTables...); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("rows %v → %v: a refused visit stored something", before, after)
				}
				if g := hsGen(t, s); g != gen {
					t.Errorf("a refused visit moved the home–school generation %d → %d", gen, g)
				}
			})
		}

		t.Run("just after midnight in China a visit made that day is recorded, though it is still the day before in UTC", func(t *testing.T) {
			hsSetClock(t, s, time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC))
			visitRecord(t, s, team, visitIn(pupil.id, "2026-03-03", "wechat", v.teacher1))
		})

		t.Run("a visit by the subject teacher of another class of the team's school is accepted", func(t *testing.T) {
			other := visitPupil(t, s, v.class2, 1103)
			visitRecord(t, s, classScope(v.class2), visitIn(other.id, "2026-02-26", "wechat", v.subject, v.teacher2))
		})
	})
}

func TestVisitDatesFollowThePublishedCalendar(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		d := addDistrict(t, s, "D1", "东试区")
		v := newVisitSchool(t, s, d, "V1-TEST", 1000)
		pupil := visitPupil(t, s, v.class1, 1100)
		exec(t, s, "UPDATE school_years SET s1_end = ?, s2_start = ? WHERE start_year = ?", "2026-01-16", "2026-02-23", 2025)
		t.Run("a visit in the published winter holiday is refused and stores nothing", func(t *testing.T) {
			before := rowCounts(t, s, visitTables...)
			_, err := s.RecordVisit(ctx, testActor, cityScope, visitIn(pupil.id, "2026-02-10", "phone", v.teacher1))
			if err == nil {
				t.Fatal("RecordVisit succeeded")
			}
			if got := hsFieldKeys(t, err); !slices.Equal(got, []string{"visited_on=hs.err_outside_term"}) {
				t.Errorf("refused with %v", got)
			}
			if after := rowCounts(t, s, visitTables...); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("rows %v → %v", before, after)
			}
		})
		t.Run("a visit on the first day of the published semester 2 counts for it", func(t *testing.T) {
			visitRecord(t, s, cityScope, visitIn(pupil.id, "2026-02-23", "phone", v.teacher1))
			if _, ok := readCoverageRow(t, s, pupil.id, 2025, 2); !ok {
				t.Error("no coverage row for 2025/2")
			}
		})
	})
}

func TestVisitCoverageFollowsPupilsWhoMoveClass(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		hsQuotas(t, s)
		d := addDistrict(t, s, "D1", "东试区")
		other := addDistrict(t, s, "D2", "西试区")
		v := newVisitSchool(t, s, d, "V1-TEST", 1000)
		a := visitPupil(t, s, v.class1, 1100)    // visited in class 1, then moved to class 2 and visited again
		b := visitPupil(t, s, v.class1, 1101)    // never visited
		gone := visitPupil(t, s, v.class1, 1102) // visited, then transferred out of the city
		c := visitPupil(t, s, v.class2, 1103)    // never visited
		term := programme.Term{Year: 2025, Semester: 2}
		school := schoolScope(v.school)

		visitRecord(t, s, classScope(v.class1), visitIn(a.id, "2026-02-10", "in_person", v.teacher1))
		visitRecord(t, s, classScope(v.class1), visitIn(gone.id, "2026-02-11", "phone", v.teacher1, v.subject))
		if err := s.MoveStudent(ctx, testActor, school, gone.id, MoveInput{Kind: MoveTransfer}); err != nil {
			t.Fatal(err)
		}
		if err := s.MoveStudent(ctx, testActor, school, a.id, MoveInput{Kind: MoveClass, ClassID: v.class2}); err != nil {
			t.Fatal(err)
		}

		t.Run("after the move the old class teacher is no longer on the pupil's team and the new one is", func(t *testing.T) {
			_, err := s.RecordVisit(ctx, testActor, school, visitIn(a.id, "2026-02-19", "phone", v.teacher1))
			if err == nil {
				t.Fatal("the old class teacher recorded a visit")
			}
			if got := hsFieldKeys(t, err); !slices.Equal(got, []string{"visitors=hs.err_not_on_team"}) {
				t.Errorf("refused with %v", got)
			}
			_, err = s.RecordVisit(ctx, testActor, classScope(v.class1), visitIn(a.id, "2026-02-19", "phone", v.subject))
			wantNotFound(t, "RecordVisit by the old class's scope", err)
			visitRecord(t, s, classScope(v.class2), visitIn(a.id, "2026-02-20", "phone", v.teacher2))
		})

		coverage := func(t *testing.T, sc authz.Scope, by string, at string) map[int64]Coverage {
			t.Helper()
			m, err := s.VisitCoverage(ctx, sc, by, term, hsDay(t, at))
			if err != nil {
				t.Fatalf("VisitCoverage(%s): %v", by, err)
			}
			return m
		}
		tests := []struct {
			name string
			sc   authz.Scope
			by   string
			at   string
			want map[int64]Coverage
		}{
			{"by class, the old class has its one unvisited pupil and the new class counts the moved pupil once, with both modes",
				school, "class", "2026-03-02", map[int64]Coverage{
					v.class1: {Pupils: 1},
					v.class2: {Pupils: 2, Visited: 1, InPerson: 1, Phone: 1, Visits: 2},
				}},
			{"by school, the moved pupil counts once and the pupil who left counts nowhere",
				school, "school", "2026-03-02", map[int64]Coverage{v.school: {Pupils: 3, Visited: 1, InPerson: 1, Phone: 1, Visits: 2}}},
			{"by district, the same", districtScope(d), "district", "2026-03-02", map[int64]Coverage{d: {Pupils: 3, Visited: 1, InPerson: 1, Phone: 1, Visits: 2}}},
			{"the new class teacher sees only the new class", classScope(v.class2), "class", "2026-03-02", map[int64]Coverage{
				v.class2: {Pupils: 2, Visited: 1, InPerson: 1, Phone: 1, Visits: 2}}},
			{"the old class teacher sees only the old class", classScope(v.class1), "class", "2026-03-02", map[int64]Coverage{v.class1: {Pupils: 1}}},
			{"before the first visit nobody was visited", school, "class", "2026-02-09", map[int64]Coverage{v.class1: {Pupils: 1}, v.class2: {Pupils: 2}}},
			{"another district sees nothing", districtScope(other), "school", "2026-03-02", map[int64]Coverage{}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got := coverage(t, tc.sc, tc.by, tc.at)
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("VisitCoverage = %+v\nwant            %+v", got, tc.want)
				}
			})
		}
		t.Run("an unknown grouping is an error", func(t *testing.T) {
			if _, err := s.VisitCoverage(ctx, cityScope, "grade", term, testEpoch); err == nil {
				t.Error("VisitCoverage by grade succeeded")
			}
		})

		t.Run("the school's visit quota counts the moved pupil once and not the pupil who left", func(t *testing.T) {
			_, r, err := s.EvaluateHomeSchool(ctx, testEpoch)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Schools[v.school]["hs-home-visits"]; got.Population != 3 || got.Met != 1 {
				t.Errorf("hs-home-visits = %+v, want 1 of 3 pupils", got)
			}
			if got := r.Districts[d]["hs-home-visits"]; got.Population != 3 || got.Met != 1 {
				t.Errorf("district hs-home-visits = %+v, want 1 of 3 pupils", got)
			}
		})

		t.Run("visits by mode count every visit made, including the pupil who left", func(t *testing.T) {
			m, err := s.VisitModeCounts(ctx, school, term)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[int64]map[string]int{v.school: {"in_person": 1, "phone": 2}}; fmt.Sprint(m) != fmt.Sprint(want) {
				t.Errorf("VisitModeCounts = %v, want %v", m, want)
			}
			if m, err := s.VisitModeCounts(ctx, districtScope(other), term); err != nil || len(m) != 0 {
				t.Errorf("another district's VisitModeCounts = %v, %v", m, err)
			}
		})

		team := func(ids ...int64) []TeamMember {
			var out []TeamMember
			for i, id := range ids {
				post := "subject_teacher"
				if i == 0 {
					post = "class_teacher"
				}
				out = append(out, TeamMember{StaffID: id, Name: v.names[id], Post: post})
			}
			return out
		}
		sheets := []struct {
			name      string
			class     int64
			team      []TeamMember
			pupils    []VisitPupil
			unvisited int
			coverage  Coverage
		}{
			{"the old class's sheet lists its unvisited pupil and its team", v.class1, team(v.teacher1, v.subject),
				[]VisitPupil{{StudentID: b.id, Name: b.name, Modes: []string{}}}, 1, Coverage{Pupils: 1}},
			{"the new class's sheet shows the moved pupil visited twice by two modes, and its own team", v.class2, team(v.teacher2, v.subject),
				[]VisitPupil{{StudentID: a.id, Name: a.name, Visits: 2, LastOn: "2026-02-20", Modes: []string{"in_person", "phone"}},
					{StudentID: c.id, Name: c.name, Modes: []string{}}}, 1, Coverage{Pupils: 2, Visited: 1, InPerson: 1, Phone: 1, Visits: 2}},
		}
		for _, tc := range sheets {
			t.Run(tc.name, func(t *testing.T) {
				cs, err := s.ClassVisits(ctx, SystemActor, classScope(tc.class), tc.class, testEpoch)
				if err != nil {
					t.Fatalf("ClassVisits: %v", err)
				}
				if cs.ClassID != tc.class || cs.SchoolID != v.school || cs.DistrictID != d || cs.Term != term ||
					cs.TermStart != "2026-02-01" || cs.TermEnd != "2026-07-31" || cs.DaysLeft != 151 {
					t.Errorf("sheet header = %+v", cs)
				}
				if fmt.Sprint(cs.Team) != fmt.Sprint(tc.team) {
					t.Errorf("team = %+v, want %+v", cs.Team, tc.team)
				}
				var pupils []VisitPupil
				for _, p := range cs.Pupils {
					p.Categories = nil
					pupils = append(pupils, p)
				}
				slices.SortFunc(pupils, func(x, y VisitPupil) int { return int(x.StudentID - y.StudentID) })
				if fmt.Sprint(pupils) != fmt.Sprint(tc.pupils) {
					t.Errorf("pupils = %+v\nwant     %+v", pupils, tc.pupils)
				}
				if cs.Unvisited != tc.unvisited || cs.Coverage != tc.coverage {
					t.Errorf("unvisited %d, coverage %+v; want %d, %+v", cs.Unvisited, cs.Coverage, tc.unvisited, tc.coverage)
				}
			})
		}
		t.Run("the moved pupil's categories come with the sheet", func(t *testing.T) {
			cs, err := s.ClassVisits(ctx, SystemActor, school, v.class2, testEpoch)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range cs.Pupils {
				if p.StudentID == a.id && !slices.Equal(slices.Sorted(slices.Values(p.Categories)), slices.Sorted(slices.Values(a.cats))) {
					t.Errorf("categories = %v, want %v", p.Categories, a.cats)
				}
			}
		})
		t.Run("another class's sheet is not found", func(t *testing.T) {
			_, err := s.ClassVisits(ctx, SystemActor, classScope(v.class1), v.class2, testEpoch)
			wantNotFound(t, "ClassVisits of another class", err)
			_, err = s.ClassVisits(ctx, SystemActor, districtScope(other), v.class1, testEpoch)
			wantNotFound(t, "ClassVisits from another district", err)
		})
	})
}

func TestVisitConcerns(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		d := addDistrict(t, s, "D1", "东试区")
		v := newVisitSchool(t, s, d, "V1-TEST", 1000)
		w := newVisitSchool(t, s, d, "V2-TEST", 1010)
		pupil := visitPupil(t, s, v.class1, 1100)
		otherPupil := visitPupil(t, s, w.class1, 1101)
		inbox, elsewhere := schoolScope(v.school), schoolScope(w.school)
		message := "孩子近期情绪低落，夜里常哭，请心理老师尽快关注。"
		open := func(t *testing.T, sc authz.Scope) int {
			t.Helper()
			n, err := s.CountOpenConcerns(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		if n := open(t, inbox); n != 0 {
			t.Fatalf("open concerns before any visit: %d", n)
		}
		visitRecord(t, s, classScope(w.class1), func() VisitInput {
			in := visitIn(otherPupil.id, "2026-02-09", "phone", w.teacher1)
			in.Concerns, in.PassConcern = []string{"health"}, true
			return in
		}())
		var passed VisitResult
		t.Run("a visit with pass_concern opens a concern in the psychology teacher's inbox with the message opened", func(t *testing.T) {
			in := visitIn(pupil.id, "2026-02-10", "phone", v.teacher1)
			in.Concerns, in.PassConcern, in.ConcernMessage = []string{"safety", "mood"}, true, " "+message+" "
			passed = visitRecord(t, s, classScope(v.class1), in)
			if passed.ConcernID == 0 {
				t.Fatal("no concern was opened")
			}
			entries := auditCount(t, s)
			list, err := s.ListConcerns(ctx, testActor, inbox, "")
			if err != nil {
				t.Fatalf("ListConcerns: %v", err)
			}
			if len(list) != 1 {
				t.Fatalf("the inbox holds %d concerns, want 1", len(list))
			}
			got := list[0]
			if got.ID != passed.ConcernID || got.VisitID != passed.ID || got.StudentID != pupil.id || got.StudentName != pupil.name ||
				got.SchoolID != v.school || got.ClassID != v.class1 || got.ClassName == "" || !slices.Equal(got.Kinds, []string{"mood", "safety"}) ||
				got.Message != message || got.State != "open" || got.Outcome != "" || got.VisitedOn != "2026-02-10" || got.Mode != "phone" ||
				!got.RaisedAt.Equal(testEpoch) {
				t.Errorf("concern = %+v", got)
			}
			if n := auditCount(t, s) - entries; n != 1 {
				t.Errorf("reading the inbox appended %d audit entries, want 1 per concern", n)
			}
			if e := lastAudit(t, s); e.Action != "homeschool.concern_read" || e.ObjectID != pupil.id || e.SchoolID != v.school {
				t.Errorf("audit entry = %+v", e)
			}
			var raw []byte
			if err := s.write.QueryRowContext(ctx, s.q("SELECT message FROM visit_concerns WHERE id = ?"), passed.ConcernID).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if len(raw) == 0 || bytes.Contains(raw, []byte("情绪低落")) {
				t.Errorf("visit_concerns.message holds the plaintext (%d bytes)", len(raw))
			}
			if n := open(t, inbox); n != 1 {
				t.Errorf("CountOpenConcerns = %d, want 1", n)
			}
		})

		t.Run("another school's inbox does not see the concern", func(t *testing.T) {
			list, err := s.ListConcerns(ctx, testActor, elsewhere, "all")
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range list {
				if x.StudentID == pupil.id || x.SchoolID != w.school {
					t.Errorf("the other school sees %+v", x)
				}
			}
			if len(list) != 1 || open(t, elsewhere) != 1 {
				t.Errorf("the other school sees %d concerns, %d open; want only its own one", len(list), open(t, elsewhere))
			}
			if n := open(t, districtScope(d)); n != 2 {
				t.Errorf("the district counts %d open concerns, want 2", n)
			}
			if list, err := s.ListConcerns(ctx, testActor, classScope(v.class1), ""); err != nil || len(list) != 0 {
				t.Errorf("a class scope lists %d concerns (%v); the inbox is the school's", len(list), err)
			}
		})

		t.Run("a visit's concerns are passed only once", func(t *testing.T) {
			before := count(t, s, "visit_concerns", "")
			_, err := s.PassConcern(ctx, testActor, inbox, passed.ID, "再次提醒")
			if err == nil {
				t.Fatal("PassConcern passed the same visit twice")
			}
			if got := hsFieldKeys(t, err); !slices.Equal(got, []string{"visit_id=hs.err_concern_passed"}) {
				t.Errorf("refused with %v", got)
			}
			if n := count(t, s, "visit_concerns", ""); n != before {
				t.Errorf("visit_concerns %d → %d", before, n)
			}
		})

		var later int64
		t.Run("an earlier visit's concerns can be passed afterwards, once", func(t *testing.T) {
			in := visitIn(pupil.id, "2026-02-12", "in_person", v.subject)
			in.Concerns = []string{"behaviour"}
			res := visitRecord(t, s, classScope(v.class1), in)
			_, err := s.PassConcern(ctx, testActor, elsewhere, res.ID, "")
			wantNotFound(t, "PassConcern from another school", err)
			later, err = s.PassConcern(ctx, testActor, classScope(v.class1), res.ID, "  课堂上多次与同学冲突  ")
			if err != nil || later == 0 {
				t.Fatalf("PassConcern = %d, %v", later, err)
			}
			if _, err := s.PassConcern(ctx, testActor, classScope(v.class1), res.ID, ""); err == nil {
				t.Error("the second PassConcern succeeded")
			} else if got := hsFieldKeys(t, err); !slices.Equal(got, []string{"visit_id=hs.err_concern_passed"}) {
				t.Errorf("refused with %v", got)
			}
			if n := open(t, inbox); n != 2 {
				t.Errorf("CountOpenConcerns = %d, want 2", n)
			}
		})

		t.Run("a visit without concerns cannot be passed", func(t *testing.T) {
			res := visitRecord(t, s, classScope(v.class1), visitIn(pupil.id, "2026-02-13", "wechat", v.teacher1))
			_, err := s.PassConcern(ctx, testActor, inbox, res.ID, "请关注")
			if err == nil {
				t.Fatal("PassConcern succeeded")
			}
			if got := hsFieldKeys(t, err); !slices.Equal(got, []string{"concerns=hs.err_concern_kind"}) {
				t.Errorf("refused with %v", got)
			}
			_, err = s.PassConcern(ctx, testActor, inbox, 999999, "")
			wantNotFound(t, "PassConcern of a visit that does not exist", err)
		})

		state := func(t *testing.T, id int64) (string, string) {
			t.Helper()
			var st, outcome string
			if err := s.write.QueryRowContext(ctx, s.q("SELECT state, outcome FROM visit_concerns WHERE id = ?"), id).Scan(&st, &outcome); err != nil {
				t.Fatal(err)
			}
			return st, outcome
		}
		steps := []struct {
			name    string
			sc      authz.Scope
			step    string
			outcome string
			wantErr string // field=key, "conflict" or "not found"; "" accepted
			state   string // the state after
			open    int    // the inbox's open concerns after
		}{
			{"another school cannot take the concern up", elsewhere, "take", "", "not found", "open", 2},
			{"an unknown step is refused", inbox, "escalate", "", "step=hs.err_code", "open", 2},
			{"the psychology teacher takes the concern up", inbox, "take", "", "", "taken", 1},
			{"a concern already taken cannot be taken again", inbox, "take", "", "conflict", "taken", 1},
			{"closing with an unknown outcome is refused", inbox, "close", "prayed", "outcome=hs.err_outcome", "taken", 1},
			{"closing without an outcome is refused", inbox, "close", "", "outcome=hs.err_outcome", "taken", 1},
			{"the psychology teacher closes it with an outcome", inbox, "close", "counselling", "", "closed", 1},
			{"a closed concern cannot be closed again", inbox, "close", "referred", "conflict", "closed", 1},
			{"a closed concern cannot be taken up", inbox, "take", "", "conflict", "closed", 1},
		}
		for _, tc := range steps {
			t.Run(tc.name, func(t *testing.T) {
				err := s.ConcernStep(ctx, testActor, tc.sc, passed.ConcernID, tc.step, tc.outcome)
				switch tc.wantErr {
				case "":
					if err != nil {
						t.Fatalf("ConcernStep: %v", err)
					}
				case "conflict":
					if !errors.Is(err, ErrConflict) {
						t.Errorf("error = %v, want ErrConflict", err)
					}
				case "not found":
					wantNotFound(t, "ConcernStep", err)
				default:
					if err == nil {
						t.Fatal("ConcernStep succeeded")
					}
					if got := hsFieldKeys(t, err); !slices.Equal(got, []string{tc.wantErr}) {
						t.Errorf("refused with %v, want [%s]", got, tc.wantErr)
					}
				}
				if st, _ := state(t, passed.ConcernID); st != tc.state {
					t.Errorf("state = %s, want %s", st, tc.state)
				}
				if n := open(t, inbox); n != tc.open {
					t.Errorf("CountOpenConcerns = %d, want %d", n, tc.open)
				}
			})
		}

		t.Run("the closed concern keeps its outcome and leaves the working list", func(t *testing.T) {
			if _, outcome := state(t, passed.ConcernID); outcome != "counselling" {
				t.Errorf("outcome = %q", outcome)
			}
			if e := lastAudit(t, s); e.Action != "homeschool.concern_closed" || e.ObjectID != pupil.id ||
				e.Detail != fmt.Sprintf("concern=%d", passed.ConcernID) {
				t.Errorf("audit entry = %+v", e)
			}
			working, err := s.ListConcerns(ctx, testActor, inbox, "")
			if err != nil || len(working) != 1 || working[0].ID != later || working[0].Message != "课堂上多次与同学冲突" {
				t.Errorf("working list = %+v, %v; want only the later concern", working, err)
			}
			closed, err := s.ListConcerns(ctx, testActor, inbox, "closed")
			if err != nil || len(closed) != 1 || closed[0].ID != passed.ConcernID || closed[0].Outcome != "counselling" || closed[0].Message != message {
				t.Errorf("closed list = %+v, %v", closed, err)
			}
			if all, err := s.ListConcerns(ctx, testActor, inbox, "all"); err != nil || len(all) != 2 || all[0].State != "open" {
				t.Errorf("all = %+v, %v; want 2 with the open one first", all, err)
			}
			visits, err := s.StudentVisits(ctx, testActor, inbox, pupil.id)
			if err != nil {
				t.Fatal(err)
			}
			states := map[int64]string{}
			for _, x := range visits {
				states[x.ID] = x.ConcernState
			}
			if states[passed.ID] != "closed" {
				t.Errorf("StudentVisits shows the passed visit's concern as %q, want closed", states[passed.ID])
			}
		})
	})
}

func TestAuditedReadsShareCommitsAndStopWithTheStore(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		before, err := s.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		const n = 64
		errs := make(chan error, n)
		for i := range n {
			go func() {
				e := SystemActor.entry("test.read", "class", int64(i+1), 0, 0)
				errs <- s.auditRead(ctx, e)
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatalf("an audited read failed: %v", err)
			}
		}
		after, err := s.VerifyAudit(ctx)
		if err != nil {
			t.Fatalf("the chain does not verify after concurrent reads: %v", err)
		}
		if after-before != n {
			t.Errorf("%d entries written for %d reads", after-before, n)
		}
		// Once the store is closing, a read is refused rather than shown
		// unaudited, and nothing waits for ever.
		s.stopAuditWriter()
		if err := s.auditRead(ctx, SystemActor.entry("test.read", "class", 1, 0, 0)); !errors.Is(err, errStoreClosed) {
			t.Errorf("a read audited after the writer stopped answered %v, want it refused", err)
		}
	})
}

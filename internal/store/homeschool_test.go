package store

// Parent-school activities and the home–school quotas, through the store:
// what is recorded and what is refused (with nothing stored), sealed
// evidence, the quotas judged by school type and term, and the cached
// home–school progress. The standard calendar applies unless a test
// publishes its own: semester 1 of 2025 runs 2025-09-01 … 2026-01-31,
// semester 2 2026-02-01 … 2026-07-31, and August is the summer holiday.
// The store's clock stands at testEpoch (2026-03-02) unless a test moves it.

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

// hsQuotas stores the shipped targets, as the server does at start-up.
func hsQuotas(t testing.TB, s *Store) {
	t.Helper()
	if _, err := s.EnsureTargets(context.Background(), append(programme.Plan2021(), programme.HomeSchoolQuotas()...)); err != nil {
		t.Fatalf("EnsureTargets: %v", err)
	}
}

// hsDay parses a yyyy-mm-dd date at midnight UTC.
func hsDay(t testing.TB, day string) time.Time {
	t.Helper()
	d, err := time.Parse(dateLayout, day)
	if err != nil {
		t.Fatalf("bad test date %q: %v", day, err)
	}
	return d
}

// hsSetClock moves the store's clock to now until the test ends.
func hsSetClock(t testing.TB, s *Store, now time.Time) {
	t.Helper()
	s.SetClock(func() time.Time { return now })
	restore := envOf(t, s).clock.Now
	t.Cleanup(func() { s.SetClock(restore) })
}

// hsSetToday moves the store's clock to 08:00 UTC (16:00 in China) on day
// until the test ends.
func hsSetToday(t testing.TB, s *Store, day string) {
	t.Helper()
	hsSetClock(t, s, hsDay(t, day).Add(8*time.Hour))
}

// hsAddSchool creates a school of the given type.
func hsAddSchool(t testing.TB, s *Store, district int64, code, name string, typ model.SchoolType) int64 {
	t.Helper()
	id, err := s.CreateSchool(context.Background(), SystemActor, cityScope, SchoolInput{DistrictID: district, Code: code, Name: name, Type: typ})
	if err != nil {
		t.Fatalf("CreateSchool %s: %v", code, err)
	}
	return id
}

// hsActivity is a valid activity input.
func hsActivity(school int64, kind, day, topic string) ActivityInput {
	return ActivityInput{SchoolID: school, Kind: kind, HeldOn: day, Topic: topic, Speaker: "王老师", Parents: 40}
}

// hsCreateActivity records an activity with city scope.
func hsCreateActivity(t testing.TB, s *Store, in ActivityInput) int64 {
	t.Helper()
	id, err := s.CreateActivity(context.Background(), testActor, cityScope, in)
	if err != nil {
		t.Fatalf("CreateActivity %+v: %v", in, err)
	}
	return id
}

// hsFieldKeys returns the "field=key" pairs of a refusal: a single
// *FieldError or every field of a *ValidationError.
func hsFieldKeys(t testing.TB, err error) []string {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error = %v (%T), want a validation error", err, err)
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return []string{fe.Field + "=" + fe.Key}
	}
	return keysOf(t, err)
}

// hsGen is the home–school generation the progress cache is keyed on.
func hsGen(t testing.TB, s *Store) int64 {
	t.Helper()
	var g int64
	if err := s.write.QueryRowContext(context.Background(), "SELECT gen FROM homeschool_version WHERE id = 1").Scan(&g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestCreateActivity(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		school, district := c.schools[0][0], c.districts[0]
		tables := []string{"hs_activities", "hs_evidence", "audit_log"}

		t.Run("an activity is recorded in its term with its fields normalised, audited, and listed", func(t *testing.T) {
			gen, entries := hsGen(t, s), auditCount(t, s)
			in := ActivityInput{SchoolID: school, Kind: programme.ActGuidance, HeldOn: " 2026-02-10 ", Topic: "  如何陪伴孩子度过青春期  ",
				Speaker: " 李医生 ", Grades: []int{3, 1, 3}, Parents: 120}
			id, err := s.CreateActivity(ctx, testActor, schoolScope(school), in)
			if err != nil {
				t.Fatalf("CreateActivity: %v", err)
			}
			want := Activity{ID: id, SchoolID: school, DistrictID: district, SchoolName: "测试第11小学", Kind: programme.ActGuidance,
				HeldOn: "2026-02-10", TermYear: 2025, TermSem: 2, Topic: "如何陪伴孩子度过青春期", Speaker: "李医生", Grades: []int{1, 3},
				Parents: 120, Evidence: []EvidenceRef{}}
			got, err := s.GetActivity(ctx, schoolScope(school), id)
			if err != nil {
				t.Fatalf("GetActivity: %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("GetActivity = %+v\nwant          %+v", got, want)
			}
			list, total, err := s.ListActivities(ctx, districtScope(district), ActivityFilter{SchoolID: school})
			if err != nil || total != 1 || len(list) != 1 || fmt.Sprint(list[0]) != fmt.Sprint(want) {
				t.Errorf("ListActivities(district) = %+v, %d, %v; want the one activity", list, total, err)
			}
			if g := hsGen(t, s); g <= gen {
				t.Errorf("home–school generation %d → %d: a new activity must move it", gen, g)
			}
			if n := auditCount(t, s) - entries; n != 1 {
				t.Errorf("appended %d audit entries, want 1", n)
			}
			if e := lastAudit(t, s); e.Action != "homeschool.activity_recorded" || e.ObjectType != "hs_activity" || e.ObjectID != id ||
				e.SchoolID != school || e.DistrictID != district || e.Detail != "kind=guidance" {
				t.Errorf("audit entry = %+v", e)
			}
		})

		t.Run("activities held today, last term and for the whole school are recorded in the right term", func(t *testing.T) {
			for _, tc := range []struct {
				day    string
				grades []int
				term   [2]int
			}{
				{"2026-03-02", nil, [2]int{2025, 2}},
				{"2025-11-15", []int{6}, [2]int{2025, 1}},
				{"2025-09-01", []int{1, 2, 3, 4, 5, 6}, [2]int{2025, 1}},
			} {
				in := hsActivity(school, programme.ActMHMeeting, tc.day, "心理健康专题家长会 "+tc.day)
				in.Grades = tc.grades
				id := hsCreateActivity(t, s, in)
				a, err := s.GetActivity(ctx, cityScope, id)
				if err != nil {
					t.Fatal(err)
				}
				if a.HeldOn != tc.day || [2]int{a.TermYear, a.TermSem} != tc.term || !slices.Equal(a.Grades, append([]int{}, tc.grades...)) {
					t.Errorf("activity held %s = %+v; want term %v and grades %v", tc.day, a, tc.term, tc.grades)
				}
			}
		})

		t.Run("the list is filtered by term, kind and the caller's scope", func(t *testing.T) {
			other := hsCreateActivity(t, s, hsActivity(c.schools[1][0], programme.ActOpenDay, "2026-02-12", "校园开放日"))
			tests := []struct {
				name string
				sc   authz.Scope
				f    ActivityFilter
				want int
			}{
				{"the school sees its four activities", schoolScope(school), ActivityFilter{}, 4},
				{"last term holds two of them", schoolScope(school), ActivityFilter{Term: programme.Term{Year: 2025, Semester: 1}}, 2},
				{"three are mental-health parent meetings", schoolScope(school), ActivityFilter{Kind: programme.ActMHMeeting}, 3},
				{"the city sees the other district's open day too", cityScope, ActivityFilter{}, 5},
				{"the other district sees only its open day", districtScope(c.districts[1]), ActivityFilter{}, 1},
				{"the city filtered by the first district sees the school's four", cityScope, ActivityFilter{DistrictID: district}, 4},
				{"a school filter outside the scope shows nothing", districtScope(c.districts[1]), ActivityFilter{SchoolID: school}, 0},
				{"a class scope shows no activities", classScope(c.classes[0][0][0]), ActivityFilter{}, 0},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					list, total, err := s.ListActivities(ctx, tc.sc, tc.f)
					if err != nil || total != tc.want || len(list) != tc.want {
						t.Errorf("ListActivities = %d rows, total %d, %v; want %d", len(list), total, err, tc.want)
					}
					for i := 1; i < len(list); i++ {
						if list[i].HeldOn > list[i-1].HeldOn {
							t.Errorf("not newest first: %s before %s", list[i-1].HeldOn, list[i].HeldOn)
						}
					}
				})
			}
			t.Run("another district's activity is not found", func(t *testing.T) {
				_, err := s.GetActivity(ctx, schoolScope(school), other)
				wantNotFound(t, "GetActivity of another district's activity", err)
			})
		})

		t.Run("invalid activities are refused with the field and key, and nothing is stored", func(t *testing.T) {
			dup := hsActivity(school, programme.ActPractice, "2026-02-14", "亲子运动会")
			hsCreateActivity(t, s, dup)
			tests := []struct {
				name   string
				today  string // the clock's day, if not testEpoch's
				sc     authz.Scope
				mutate func(in *ActivityInput)
				want   string
			}{
				{"an unknown kind", "", cityScope, func(in *ActivityInput) { in.Kind = "picnic" }, "kind=hs.err_kind"},
				{"an empty kind", "", cityScope, func(in *ActivityInput) { in.Kind = "" }, "kind=hs.err_kind"},
				{"a date tomorrow", "", cityScope, func(in *ActivityInput) { in.HeldOn = "2026-03-03" }, "held_on=hs.err_future"},
				{"a date in the summer holiday, judged in September", "2026-09-15", cityScope,
					func(in *ActivityInput) { in.HeldOn = "2026-08-10" }, "held_on=hs.err_outside_term"},
				{"a date in last summer's holiday", "", cityScope, func(in *ActivityInput) { in.HeldOn = "2025-08-10" }, "held_on=hs.err_outside_term"},
				{"a date with slashes", "", cityScope, func(in *ActivityInput) { in.HeldOn = "2026/02/10" }, "held_on=hs.err_date"},
				{"a date that does not exist", "", cityScope, func(in *ActivityInput) { in.HeldOn = "2026-02-30" }, "held_on=hs.err_date"},
				{"a missing date", "", cityScope, func(in *ActivityInput) { in.HeldOn = "" }, "held_on=hs.err_date"},
				{"an empty topic", "", cityScope, func(in *ActivityInput) { in.Topic = "  " }, "topic=hs.err_topic"},
				{"a topic of 101 characters", "", cityScope, func(in *ActivityInput) { in.Topic = strings.Repeat("家", 101) }, "topic=hs.err_topic"},
				{"a speaker of 61 characters", "", cityScope, func(in *ActivityInput) { in.Speaker = strings.Repeat("李", 61) }, "speaker=hs.err_speaker"},
				{"a negative number of parents", "", cityScope, func(in *ActivityInput) { in.Parents = -1 }, "parents=hs.err_parents"},
				{"20,001 parents", "", cityScope, func(in *ActivityInput) { in.Parents = 20001 }, "parents=hs.err_parents"},
				{"grade 7 in a primary school", "", cityScope, func(in *ActivityInput) { in.Grades = []int{1, 7} }, "grades=hs.err_grades"},
				{"a kindergarten grade in a primary school", "", cityScope, func(in *ActivityInput) { in.Grades = []int{0} }, "grades=hs.err_grades"},
				{"the same school, kind, date and topic again", "", cityScope, func(in *ActivityInput) { *in = dup; in.Topic = " 亲子运动会 " },
					"topic=hs.err_duplicate"},
				{"a school outside the caller's scope", "", schoolScope(c.schools[0][1]), nil, "school_id=err.out_of_scope"},
				{"a school in another district", "", districtScope(c.districts[1]), nil, "school_id=err.out_of_scope"},
				{"a class teacher's scope", "", classScope(c.classes[0][0][0]), nil, "school_id=err.out_of_scope"},
				{"a school that does not exist", "", cityScope, func(in *ActivityInput) { in.SchoolID = 999999 }, "school_id=err.out_of_scope"},
			}
			for _, tc := range tests {
				t.Run(tc.name+" is refused", func(t *testing.T) {
					if tc.today != "" {
						hsSetToday(t, s, tc.today)
					}
					in := hsActivity(school, programme.ActGuidance, "2026-02-16", "家庭教育指导："+tc.name)
					if tc.mutate != nil {
						tc.mutate(&in)
					}
					before, gen := rowCounts(t, s, tables...), hsGen(t, s)
					id, err := s.CreateActivity(ctx, testActor, tc.sc, in)
					if err == nil {
						t.Fatalf("CreateActivity succeeded (id %d)", id)
					}
					if got := hsFieldKeys(t, err); !slices.Equal(got, []string{tc.want}) {
						t.Errorf("refused with %v, want [%s]", got, tc.want)
					}
					if after := rowCounts(t, s, tables...); fmt.Sprint(after) != fmt.Sprint(before) {
						t.Errorf("rows %v → %v: a refused activity stored something", before, after)
					}
					if g := hsGen(t, s); g != gen {
						t.Errorf("a refused activity moved the home–school generation %d → %d", gen, g)
					}
				})
			}
		})

		t.Run("today is the day in China, whatever the server's clock zone", func(t *testing.T) {
			tests := []struct {
				name string
				now  time.Time
				ok   bool
			}{
				{"at 00:30 in China (16:30 UTC the day before) an activity held that day is recorded",
					time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC), true},
				{"at 23:30 in China (15:30 UTC) an activity dated the next day is refused",
					time.Date(2026, 3, 2, 15, 30, 0, 0, time.UTC), false},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					hsSetClock(t, s, tc.now)
					_, err := s.CreateActivity(ctx, testActor, cityScope, hsActivity(school, programme.ActOpenDay, "2026-03-03", tc.name))
					if tc.ok && err != nil {
						t.Errorf("CreateActivity: %v", err)
					}
					if !tc.ok && (err == nil || !slices.Equal(hsFieldKeys(t, err), []string{"held_on=hs.err_future"})) {
						t.Errorf("CreateActivity = %v, want held_on=hs.err_future", err)
					}
				})
			}
		})

		t.Run("the same topic on the same day is another activity in another school or of another kind", func(t *testing.T) {
			hsCreateActivity(t, s, hsActivity(c.schools[0][1], programme.ActPractice, "2026-02-14", "亲子运动会"))
			hsCreateActivity(t, s, hsActivity(school, programme.ActParentChild, "2026-02-14", "亲子运动会"))
			hsCreateActivity(t, s, hsActivity(school, programme.ActPractice, "2026-02-15", "亲子运动会"))
		})

		t.Run("a topic of exactly 100 characters is recorded", func(t *testing.T) {
			hsCreateActivity(t, s, hsActivity(school, programme.ActExpertLecture, "2026-02-17", strings.Repeat("讲", 100)))
		})

		t.Run("a deleted activity goes with its evidence, and another school cannot delete it", func(t *testing.T) {
			id := hsCreateActivity(t, s, hsActivity(school, programme.ActWomenFederation, "2026-02-18", "妇联家庭教育讲座"))
			if _, err := s.AddActivityEvidence(ctx, testActor, cityScope, id, EvidenceInput{Kind: "file", Name: "讲稿.pdf", Mime: "application/pdf",
				Body: []byte("%PDF-1.4 讲稿")}); err != nil {
				t.Fatal(err)
			}
			wantNotFound(t, "DeleteActivity by another school", s.DeleteActivity(ctx, testActor, schoolScope(c.schools[0][1]), id))
			if n := count(t, s, "hs_activities", "id = ?", id); n != 1 {
				t.Fatal("a refused delete removed the activity")
			}
			gen := hsGen(t, s)
			if err := s.DeleteActivity(ctx, testActor, schoolScope(school), id); err != nil {
				t.Fatalf("DeleteActivity: %v", err)
			}
			if n := count(t, s, "hs_activities", "id = ?", id) + count(t, s, "hs_evidence", "activity_id = ?", id); n != 0 {
				t.Errorf("%d rows of the deleted activity remain", n)
			}
			if g := hsGen(t, s); g <= gen {
				t.Error("deleting an activity did not move the home–school generation")
			}
			if e := lastAudit(t, s); e.Action != "homeschool.activity_deleted" || e.ObjectID != id {
				t.Errorf("audit entry = %+v", e)
			}
			_, err := s.GetActivity(ctx, cityScope, id)
			wantNotFound(t, "GetActivity after delete", err)
		})
	})
}

func TestActivityEvidence(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		school := c.schools[0][0]
		act := hsCreateActivity(t, s, hsActivity(school, programme.ActParentChild, "2026-02-20", "亲子阅读"))
		plain := []byte("亲子阅读活动签到表：张三家长、李四家长、王五家长 " + strings.Repeat("签到", 50))
		in := EvidenceInput{Kind: "signin", Name: " 签到表.jpg ", Mime: "image/jpeg", Body: plain, Faces: true}

		var first int64
		t.Run("a file is sealed at rest and opened for the school, with the read audited", func(t *testing.T) {
			var err error
			first, err = s.AddActivityEvidence(ctx, testActor, schoolScope(school), act, in)
			if err != nil {
				t.Fatalf("AddActivityEvidence: %v", err)
			}
			var raw []byte
			if err := s.write.QueryRowContext(ctx, s.q("SELECT body FROM hs_evidence WHERE id = ?"), first).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if len(raw) == 0 || bytes.Equal(raw, plain) || bytes.Contains(raw, []byte("签到表")) {
				t.Errorf("hs_evidence.body holds the plaintext (%d bytes)", len(raw))
			}
			entries := auditCount(t, s)
			ref, body, err := s.ActivityEvidence(ctx, testActor, schoolScope(school), first)
			if err != nil {
				t.Fatalf("ActivityEvidence: %v", err)
			}
			if !bytes.Equal(body, plain) {
				t.Errorf("ActivityEvidence returned %q, want the plaintext", body)
			}
			want := EvidenceRef{ID: first, Kind: "signin", Name: "签到表.jpg", Mime: "image/jpeg", Size: int64(len(plain)), Faces: true}
			if ref != want {
				t.Errorf("ref = %+v, want %+v", ref, want)
			}
			if n := auditCount(t, s) - entries; n != 1 {
				t.Errorf("the read appended %d audit entries, want 1", n)
			}
			if e := lastAudit(t, s); e.Action != "homeschool.evidence_read" || e.ObjectID != act || e.Detail != fmt.Sprintf("evidence=%d", first) {
				t.Errorf("audit entry = %+v", e)
			}
			a, err := s.GetActivity(ctx, schoolScope(school), act)
			if err != nil || len(a.Evidence) != 1 || a.Evidence[0] != want {
				t.Errorf("GetActivity evidence = %+v, %v; want [%+v]", a.Evidence, err, want)
			}
		})

		t.Run("outside the scope the file is not found and the miss is not audited as a read", func(t *testing.T) {
			for _, sc := range []authz.Scope{schoolScope(c.schools[0][1]), districtScope(c.districts[1]), classScope(c.classes[0][0][0]), emptyScope} {
				entries := auditCount(t, s)
				_, body, err := s.ActivityEvidence(ctx, testActor, sc, first)
				wantNotFound(t, fmt.Sprintf("ActivityEvidence with scope %+v", sc), err)
				if len(body) != 0 {
					t.Errorf("scope %+v received %d bytes", sc, len(body))
				}
				if n := auditCount(t, s) - entries; n != 0 {
					t.Errorf("scope %+v: a refused read appended %d audit entries", sc, n)
				}
			}
		})

		t.Run("invalid files are refused and nothing is stored", func(t *testing.T) {
			tests := []struct {
				name   string
				sc     authz.Scope
				act    int64
				mutate func(in *EvidenceInput)
				want   string // "" for ErrNotFound
			}{
				{"an unknown kind of file", cityScope, act, func(in *EvidenceInput) { in.Kind = "video" }, "kind=hs.err_evidence_kind"},
				{"a file without a name", cityScope, act, func(in *EvidenceInput) { in.Name = " " }, "file=hs.err_evidence_name"},
				{"an empty file", cityScope, act, func(in *EvidenceInput) { in.Body = nil }, "file=hs.err_evidence_size"},
				{"a file over 8 MiB", cityScope, act, func(in *EvidenceInput) { in.Body = make([]byte, 8<<20+1) }, "file=hs.err_evidence_size"},
				{"a file for another school's activity", schoolScope(c.schools[0][1]), act, nil, ""},
				{"a file for an activity that does not exist", cityScope, 999999, nil, ""},
			}
			for _, tc := range tests {
				t.Run(tc.name+" is refused", func(t *testing.T) {
					e := in
					if tc.mutate != nil {
						tc.mutate(&e)
					}
					before := rowCounts(t, s, "hs_evidence", "audit_log")
					_, err := s.AddActivityEvidence(ctx, testActor, tc.sc, tc.act, e)
					if tc.want == "" {
						wantNotFound(t, "AddActivityEvidence", err)
					} else if err == nil {
						t.Fatal("AddActivityEvidence succeeded")
					} else if got := hsFieldKeys(t, err); !slices.Equal(got, []string{tc.want}) {
						t.Errorf("refused with %v, want [%s]", got, tc.want)
					}
					if after := rowCounts(t, s, "hs_evidence", "audit_log"); fmt.Sprint(after) != fmt.Sprint(before) {
						t.Errorf("rows %v → %v", before, after)
					}
				})
			}
		})

		t.Run("an activity keeps 20 files and the 21st is refused", func(t *testing.T) {
			for i := count(t, s, "hs_evidence", "activity_id = ?", act); i < 20; i++ {
				e := in
				e.Name, e.Body = fmt.Sprintf("照片%02d.jpg", i), []byte(fmt.Sprintf("photo %d", i))
				if _, err := s.AddActivityEvidence(ctx, testActor, cityScope, act, e); err != nil {
					t.Fatalf("file %d: %v", i+1, err)
				}
			}
			_, err := s.AddActivityEvidence(ctx, testActor, cityScope, act, in)
			if err == nil {
				t.Fatal("the 21st file was kept")
			}
			if got := hsFieldKeys(t, err); !slices.Equal(got, []string{"file=hs.err_evidence_count"}) {
				t.Errorf("refused with %v", got)
			}
			if n := count(t, s, "hs_evidence", "activity_id = ?", act); n != 20 {
				t.Errorf("the activity has %d files, want 20", n)
			}
			other := hsCreateActivity(t, s, hsActivity(school, programme.ActParentChild, "2026-02-21", "亲子手工"))
			if _, err := s.AddActivityEvidence(ctx, testActor, cityScope, other, in); err != nil {
				t.Errorf("another activity's first file: %v", err)
			}
		})

		t.Run("a sealed file copied onto another file's row does not open", func(t *testing.T) {
			second, err := s.AddActivityEvidence(ctx, testActor, cityScope,
				hsCreateActivity(t, s, hsActivity(school, programme.ActPractice, "2026-02-22", "家务劳动实践")),
				EvidenceInput{Kind: "photo", Name: "劳动.jpg", Mime: "image/jpeg", Body: []byte("another photo")})
			if err != nil {
				t.Fatal(err)
			}
			exec(t, s, "UPDATE hs_evidence SET body = (SELECT body FROM hs_evidence WHERE id = ?) WHERE id = ?", first, second)
			if _, body, err := s.ActivityEvidence(ctx, testActor, cityScope, second); err == nil {
				t.Errorf("the swapped file opened as %q", body)
			}
		})
	})
}

// hsWant is how a school stands against one quota.
type hsWant int

const (
	hsMet    hsWant = iota // the school meets the quota
	hsBehind               // the school is judged and does not (yet) meet it
	hsNA                   // the quota does not concern the school's type
)

// hsCheckSchool checks one school's result for one quota.
func hsCheckSchool(t *testing.T, r programme.Rollup, school int64, code string, want hsWant, held float64) {
	t.Helper()
	got, ok := r.Schools[school][code]
	if !ok {
		t.Fatalf("no result for school %d on %s", school, code)
	}
	switch want {
	case hsNA:
		if got.Status != programme.StatusNotApplicable || got.Population != 0 {
			t.Errorf("%s at school %d = %+v; want not applicable", code, school, got)
		}
		return
	case hsMet:
		if got.Status != programme.StatusMet || got.Met != 1 {
			t.Errorf("%s at school %d = %+v; want met", code, school, got)
		}
	case hsBehind:
		if got.Status == programme.StatusMet || got.Status == programme.StatusNotApplicable || got.Met != 0 {
			t.Errorf("%s at school %d = %+v; want judged and not met", code, school, got)
		}
	}
	if got.Population != 1 || got.Unit != programme.UnitCount || got.Actual != held {
		t.Errorf("%s at school %d: population %d, unit %s, held %g; want 1 school, a count, %g held",
			code, school, got.Population, got.Unit, got.Actual, held)
	}
}

func TestHomeSchoolQuotasBySchoolType(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		hsQuotas(t, s)
		d1, d2 := addDistrict(t, s, "D1", "东试区"), addDistrict(t, s, "D2", "西试区")
		kg := hsAddSchool(t, s, d1, "KG1-TEST", "测试第一幼儿园", model.Kindergarten)
		primary := hsAddSchool(t, s, d1, "P1-TEST", "测试第一小学", model.Primary)
		nine := hsAddSchool(t, s, d1, "N1-TEST", "测试九年一贯制学校", model.NineYear)
		junior := hsAddSchool(t, s, d2, "J1-TEST", "测试第一初级中学", model.Junior)
		idleKG := hsAddSchool(t, s, d2, "KG2-TEST", "测试第二幼儿园", model.Kindergarten)
		// The same three activities in a kindergarten, a primary and a
		// nine-year school; a junior school does all its quotas.
		for _, school := range []int64{kg, primary, nine} {
			hsCreateActivity(t, s, hsActivity(school, programme.ActGuidance, "2026-02-10", "家庭教育指导"))
			hsCreateActivity(t, s, hsActivity(school, programme.ActParentChild, "2026-02-11", "亲子游戏"))
			hsCreateActivity(t, s, hsActivity(school, programme.ActParentChild, "2026-02-12", "亲子阅读"))
		}
		hsCreateActivity(t, s, hsActivity(junior, programme.ActGuidance, "2026-02-10", "家庭教育指导一"))
		hsCreateActivity(t, s, hsActivity(junior, programme.ActGuidance, "2026-02-24", "家庭教育指导二"))
		hsCreateActivity(t, s, hsActivity(junior, programme.ActPractice, "2026-02-25", "家庭劳动实践"))
		hsCreateActivity(t, s, hsActivity(junior, programme.ActMHMeeting, "2026-02-26", "心理健康专题家长会"))
		// Other kinds count for no quota.
		hsCreateActivity(t, s, hsActivity(primary, programme.ActExpertLecture, "2026-02-13", "专家讲座"))
		hsCreateActivity(t, s, hsActivity(primary, programme.ActOpenDay, "2026-02-14", "开放日"))

		ts, r, err := s.EvaluateHomeSchool(ctx, testEpoch)
		if err != nil {
			t.Fatalf("EvaluateHomeSchool: %v", err)
		}
		t.Run("the six home-school quotas are judged and no other target", func(t *testing.T) {
			var codes []string
			for _, x := range ts {
				codes = append(codes, x.Code)
			}
			slices.Sort(codes)
			want := []string{"hs-guidance", "hs-home-visits", "hs-kg-guidance", "hs-kg-parent-child", "hs-mh-parent-meeting", "hs-practice"}
			if !slices.Equal(codes, want) || len(r.City) != len(want) {
				t.Errorf("targets %v (city results %d), want %v", codes, len(r.City), want)
			}
		})

		schools := []struct {
			name   string
			school int64
			code   string
			want   hsWant
			held   float64
		}{
			{"a kindergarten with 1 guidance session meets its guidance quota of 1", kg, "hs-kg-guidance", hsMet, 1},
			{"a kindergarten with 2 parent–child activities meets its parent–child quota of 2", kg, "hs-kg-parent-child", hsMet, 2},
			{"a kindergarten is not judged by the primary and secondary guidance quota", kg, "hs-guidance", hsNA, 0},
			{"a kindergarten is not judged by the parent meeting quota", kg, "hs-mh-parent-meeting", hsNA, 0},
			{"a primary school with the same activities does not meet the guidance quota of 2", primary, "hs-guidance", hsBehind, 1},
			{"a primary school's parent–child activities count as family-education practice", primary, "hs-practice", hsMet, 2},
			{"a primary school without a mental-health parent meeting is behind on it", primary, "hs-mh-parent-meeting", hsBehind, 0},
			{"a primary school is not judged by the kindergarten quotas", primary, "hs-kg-parent-child", hsNA, 0},
			{"a nine-year school is judged by the primary and secondary guidance quota", nine, "hs-guidance", hsBehind, 1},
			{"a nine-year school is not judged by the kindergarten guidance quota it would meet", nine, "hs-kg-guidance", hsNA, 0},
			{"a nine-year school is not judged by the kindergarten parent–child quota it would meet", nine, "hs-kg-parent-child", hsNA, 0},
			{"a junior school with 2 guidance sessions meets the guidance quota", junior, "hs-guidance", hsMet, 2},
			{"a junior school's practice activity meets the practice quota", junior, "hs-practice", hsMet, 1},
			{"a junior school's parent meeting meets that quota", junior, "hs-mh-parent-meeting", hsMet, 1},
			{"a kindergarten that held nothing is behind", idleKG, "hs-kg-guidance", hsBehind, 0},
		}
		for _, tc := range schools {
			t.Run(tc.name, func(t *testing.T) { hsCheckSchool(t, r, tc.school, tc.code, tc.want, tc.held) })
		}

		levels := []struct {
			name    string
			got     programme.Result
			pop     int
			met     int
			missing []int64
		}{
			{"the district names its primary and nine-year schools as behind on guidance",
				r.Districts[d1]["hs-guidance"], 2, 0, []int64{primary, nine}},
			{"the district's kindergarten meets its guidance quota", r.Districts[d1]["hs-kg-guidance"], 1, 1, nil},
			{"the other district's junior school meets the guidance quota", r.Districts[d2]["hs-guidance"], 1, 1, nil},
			{"the other district names its idle kindergarten", r.Districts[d2]["hs-kg-parent-child"], 1, 0, []int64{idleKG}},
			{"the city names every school behind on guidance", r.City["hs-guidance"], 3, 1, []int64{primary, nine}},
			{"the city names every school behind on parent meetings", r.City["hs-mh-parent-meeting"], 3, 1, []int64{primary, nine}},
			{"the city names the kindergarten behind on parent–child activities", r.City["hs-kg-parent-child"], 2, 1, []int64{idleKG}},
			{"every primary and secondary school meets the practice quota", r.City["hs-practice"], 3, 3, nil},
		}
		for _, tc := range levels {
			t.Run(tc.name, func(t *testing.T) {
				if tc.got.Population != tc.pop || tc.got.Met != tc.met || !slices.Equal(tc.got.MissingIDs, tc.missing) ||
					tc.got.Unit != programme.UnitPercent {
					t.Errorf("result = %+v; want %d of %d schools, missing %v", tc.got, tc.met, tc.pop, tc.missing)
				}
				if (tc.met == tc.pop) != (tc.got.Status == programme.StatusMet) {
					t.Errorf("status %s with %d of %d schools", tc.got.Status, tc.got.Met, tc.got.Population)
				}
			})
		}
	})
}

func TestHomeSchoolQuotasAtTheSemesterBoundary(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		hsQuotas(t, s)
		d := addDistrict(t, s, "D1", "东试区")
		kg := hsAddSchool(t, s, d, "KG1-TEST", "测试第一幼儿园", model.Kindergarten)
		lastDay := hsCreateActivity(t, s, hsActivity(kg, programme.ActGuidance, "2026-01-31", "寒假前家庭教育指导"))
		hsCreateActivity(t, s, hsActivity(kg, programme.ActParentChild, "2026-02-01", "新学期亲子活动"))
		hsCreateActivity(t, s, hsActivity(kg, programme.ActParentChild, "2026-02-20", "元宵节亲子活动"))

		t.Run("an activity on 31 January belongs to semester 1 of 2025", func(t *testing.T) {
			a, err := s.GetActivity(ctx, cityScope, lastDay)
			if err != nil || a.TermYear != 2025 || a.TermSem != 1 {
				t.Fatalf("GetActivity = %+v, %v; want term 2025/1", a, err)
			}
			for _, tc := range []struct {
				term programme.Term
				want int
			}{{programme.Term{Year: 2025, Semester: 1}, 1}, {programme.Term{Year: 2025, Semester: 2}, 2}} {
				if _, n, err := s.ListActivities(ctx, cityScope, ActivityFilter{Term: tc.term}); err != nil || n != tc.want {
					t.Errorf("activities of %+v = %d, %v; want %d", tc.term, n, err, tc.want)
				}
			}
		})

		tests := []struct {
			name        string
			at          string
			start, end  string
			guidance    hsWant
			guided      float64
			parentChild hsWant
			activities  float64
		}{
			{"on the last day of semester 1 its guidance session counts and the February activities do not",
				"2026-01-31", "2025-09-01", "2026-01-31", hsMet, 1, hsBehind, 0},
			{"the next day semester 2 begins and semester 1's guidance session no longer counts",
				"2026-02-01", "2026-02-01", "2026-07-31", hsBehind, 0, hsBehind, 1},
			{"an activity dated after the day evaluated is not counted",
				"2026-02-19", "2026-02-01", "2026-07-31", hsBehind, 0, hsBehind, 1},
			{"on its day it is counted", "2026-02-20", "2026-02-01", "2026-07-31", hsBehind, 0, hsMet, 2},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, r, err := s.EvaluateHomeSchool(ctx, hsDay(t, tc.at))
				if err != nil {
					t.Fatalf("EvaluateHomeSchool: %v", err)
				}
				hsCheckSchool(t, r, kg, "hs-kg-guidance", tc.guidance, tc.guided)
				hsCheckSchool(t, r, kg, "hs-kg-parent-child", tc.parentChild, tc.activities)
				got := r.Schools[kg]["hs-kg-guidance"]
				if got.Start.Format(dateLayout) != tc.start || got.Deadline.Format(dateLayout) != tc.end {
					t.Errorf("window %s … %s, want %s … %s", got.Start.Format(dateLayout), got.Deadline.Format(dateLayout), tc.start, tc.end)
				}
				city := r.City["hs-kg-guidance"]
				if wantMissing := tc.guidance != hsMet; wantMissing != slices.Equal(city.MissingIDs, []int64{kg}) {
					t.Errorf("city MissingIDs = %v", city.MissingIDs)
				}
			})
		}
	})
}

// TestHomeSchoolDatesFollowThePublishedCalendar publishes a winter holiday
// (16 January – 23 February) for 2025, which the standard calendar has not
// got; the store has no method for it, so the dates are set with SQL.
func TestHomeSchoolDatesFollowThePublishedCalendar(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		hsQuotas(t, s)
		school := c.schools[0][0]
		exec(t, s, "UPDATE school_years SET s1_end = ?, s2_start = ?, s2_end = ? WHERE start_year = ?", "2026-01-16", "2026-02-23", "2026-07-10", 2025)

		for _, day := range []string{"2026-01-17", "2026-01-20", "2026-02-22"} {
			t.Run("an activity on "+day+", in the published winter holiday, is refused", func(t *testing.T) {
				before := rowCounts(t, s, "hs_activities")
				_, err := s.CreateActivity(ctx, testActor, cityScope, hsActivity(school, programme.ActGuidance, day, "寒假指导"))
				if err == nil {
					t.Fatal("CreateActivity succeeded")
				}
				if got := hsFieldKeys(t, err); !slices.Equal(got, []string{"held_on=hs.err_outside_term"}) {
					t.Errorf("refused with %v", got)
				}
				if after := rowCounts(t, s, "hs_activities"); after["hs_activities"] != before["hs_activities"] {
					t.Error("a refused activity was stored")
				}
			})
		}
		t.Run("the published first and last days of the terms are term days", func(t *testing.T) {
			for _, tc := range []struct {
				day  string
				term [2]int
			}{{"2026-01-16", [2]int{2025, 1}}, {"2026-02-23", [2]int{2025, 2}}} {
				id := hsCreateActivity(t, s, hsActivity(school, programme.ActGuidance, tc.day, "指导 "+tc.day))
				a, err := s.GetActivity(ctx, cityScope, id)
				if err != nil || [2]int{a.TermYear, a.TermSem} != tc.term {
					t.Errorf("activity on %s = %+v, %v; want term %v", tc.day, a, err, tc.term)
				}
			}
		})
		t.Run("judged in the winter holiday, the coming term is judged and last term's session does not count", func(t *testing.T) {
			_, r, err := s.EvaluateHomeSchool(ctx, hsDay(t, "2026-01-20"))
			if err != nil {
				t.Fatal(err)
			}
			got := r.Schools[school]["hs-guidance"]
			if got.Start.Format(dateLayout) != "2026-02-23" || got.Actual != 0 {
				t.Errorf("hs-guidance in the holiday = %+v; want the term starting 2026-02-23 with nothing held", got)
			}
		})
	})
}

func TestHomeSchoolDaysLeft(t *testing.T) {
	t.Parallel()
	published := programme.Calendar{{StartYear: 2025, Semesters: [2]model.Period{
		{Start: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC)},
		{Start: time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)},
	}}}
	tests := []struct {
		name string
		cal  programme.Calendar
		at   time.Time
		term programme.Term
		left int
	}{
		{"on the last day of semester 1 no day is left", nil, time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), programme.Term{Year: 2025, Semester: 1}, 0},
		{"late in the evening of the last day none is left either", nil, time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC),
			programme.Term{Year: 2025, Semester: 1}, 0},
		{"the day before the end one day is left", nil, time.Date(2026, 1, 30, 9, 0, 0, 0, time.UTC), programme.Term{Year: 2025, Semester: 1}, 1},
		{"on the first day of semester 2 the rest of the term is left", nil, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
			programme.Term{Year: 2025, Semester: 2}, 180},
		{"on the test day 151 days are left", nil, testEpoch, programme.Term{Year: 2025, Semester: 2}, 151},
		{"a published calendar ends the term earlier", published, testEpoch, programme.Term{Year: 2025, Semester: 2}, 130},
		{"in a published winter holiday the coming term is counted", published, time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC),
			programme.Term{Year: 2025, Semester: 2}, 171},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			term, left := DaysLeft(tc.cal, tc.at)
			if term != tc.term || left != tc.left {
				t.Errorf("DaysLeft(%s) = %+v, %d; want %+v, %d", tc.at, term, left, tc.term, tc.left)
			}
		})
	}
}

func TestHomeSchoolProgressCache(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		hsQuotas(t, s)
		school := c.schools[0][0]
		at := testEpoch
		progress := func(t *testing.T, at time.Time) programme.Rollup {
			t.Helper()
			_, r, err := s.HomeSchoolProgress(ctx, at)
			if err != nil {
				t.Fatalf("HomeSchoolProgress: %v", err)
			}
			return r
		}
		guidance := func(t *testing.T) float64 { t.Helper(); return progress(t, at).Schools[school]["hs-guidance"].Actual }
		visits := func(t *testing.T) programme.Result {
			t.Helper()
			return progress(t, at).Schools[school]["hs-home-visits"]
		}

		if g, v := guidance(t), visits(t); g != 0 || v.Population != 2 || v.Met != 0 {
			t.Fatalf("start: %g guidance sessions, visits %+v; want 0, 0 of 2 pupils", g, v)
		}
		var act int64
		t.Run("a recorded activity changes the next result", func(t *testing.T) {
			act = hsCreateActivity(t, s, hsActivity(school, programme.ActGuidance, "2026-02-10", "家庭教育指导"))
			if g := guidance(t); g != 1 {
				t.Errorf("guidance sessions = %g, want 1", g)
			}
		})
		t.Run("a recorded visit changes the next result", func(t *testing.T) {
			visitRecord(t, s, cityScope, visitIn(c.students[0][0][0].id, "2026-02-11", "phone", c.staff[0][0]))
			if v := visits(t); v.Population != 2 || v.Met != 1 || v.Actual != 50 {
				t.Errorf("visits = %+v, want 1 of 2 pupils", v)
			}
		})
		t.Run("a deleted activity changes the next result", func(t *testing.T) {
			if err := s.DeleteActivity(ctx, testActor, cityScope, act); err != nil {
				t.Fatal(err)
			}
			if g := guidance(t); g != 0 {
				t.Errorf("guidance sessions = %g, want 0", g)
			}
		})
		t.Run("a pupil who leaves the city changes the next result", func(t *testing.T) {
			if err := s.MoveStudent(ctx, testActor, cityScope, c.students[0][0][1].id, MoveInput{Kind: MoveTransfer}); err != nil {
				t.Fatal(err)
			}
			if v := visits(t); v.Population != 1 || v.Met != 1 {
				t.Errorf("visits = %+v, want 1 of 1 pupil", v)
			}
		})
		t.Run("without a write the result comes from the cache, until the next day", func(t *testing.T) {
			// A row written behind the store's back moves no generation.
			exec(t, s, `INSERT INTO hs_activities (school_id, district_id, kind, held_on, term_year, term_sem, topic, grades, parents, created_by, created_at)
				VALUES (?, ?, 'guidance', '2026-02-12', 2025, 2, '未经记录的指导', '', 0, 0, 0)`, school, c.districts[0])
			if g := guidance(t); g != 0 {
				t.Errorf("cached guidance sessions = %g, want the cached 0", g)
			}
			_, fresh, err := s.EvaluateHomeSchool(ctx, at)
			if err != nil || fresh.Schools[school]["hs-guidance"].Actual != 1 {
				t.Errorf("EvaluateHomeSchool (uncached) = %+v, %v; want 1 session", fresh.Schools[school]["hs-guidance"], err)
			}
			if g := progress(t, at.Add(24*time.Hour)).Schools[school]["hs-guidance"].Actual; g != 1 {
				t.Errorf("the next day's guidance sessions = %g, want 1", g)
			}
		})
		t.Run("a changed quota is judged in the next result", func(t *testing.T) {
			progress(t, at) // warm the cache
			var quota programme.Target
			for _, x := range programme.HomeSchoolQuotas() {
				if x.Code == "hs-guidance" {
					quota = x
				}
			}
			quota.Condition.Min = 3
			if err := s.SaveTarget(ctx, testActor, quota); err != nil {
				t.Fatalf("SaveTarget: %v", err)
			}
			if got := progress(t, at).Schools[school]["hs-guidance"]; got.Goal != 3 {
				t.Errorf("after the quota became 3 sessions the school's goal is %g", got.Goal)
			}
		})
		t.Run("a school opened or given another type after the last evaluation is judged in the next result", func(t *testing.T) {
			progress(t, at) // warm the cache
			id := hsAddSchool(t, s, c.districts[0], "P9-TEST", "测试新建小学", model.Primary)
			retyped := c.schools[1][1]
			if err := s.UpdateSchool(ctx, testActor, cityScope, retyped, SchoolInput{Code: "S22-TEST", Name: "测试第22幼儿园", Type: model.Kindergarten}); err != nil {
				t.Fatalf("UpdateSchool: %v", err)
			}
			r := progress(t, at)
			if _, ok := r.Schools[id]; !ok {
				t.Error("the new school has no results")
			}
			if got := r.Schools[retyped]["hs-kg-guidance"]; got.Status == programme.StatusNotApplicable {
				t.Errorf("the school made a kindergarten is not judged by the kindergarten quota: %+v", got)
			}
		})
	})
}

package web_test

// Home–school cooperation from the outside (issue 6): a class teacher
// records visits through the form and the API and the class's coverage
// moves; another class's visits stay out of reach (404) and unnamed; bad
// visits and activities are refused with the field named and store
// nothing; a concern passed with a visit reaches its school's psychology
// teacher only; officials see their own district; the semester report
// names no pupil; the home page reminds a class teacher of the families
// not yet visited.
//
// The visits are recorded in classes the tests make for themselves (see
// hsNewClass), so the shared city's classes keep their figures; the
// activities made here are deleted again.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"mime/multipart"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/i18n"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/programme"
	"huhang/internal/store"
)

// ---- fixtures of these tests ------------------------------------------------------

// hsClass is a class of the demo school made for one test: pupils whose
// names are unique in the city, a class teacher whose account is linked to
// their staff record, and a subject teacher on the class team.
type hsClass struct {
	id      int64
	pupils  []int64
	names   []string
	teacher int64 // the class teacher's staff record
	subject int64 // a subject teacher of the class team
	userID  int64
	cl      *client // the class teacher, signed in
}

// hsDigits spell a random suffix in letters, as person names allow.
var hsDigits = []rune("零一二三四五六七八九")

func hsSuffix() string {
	var b [4]byte
	rand.Read(b[:])
	var s []rune
	for _, x := range b {
		s = append(s, hsDigits[int(x)%10])
	}
	return string(s)
}

// hsNewClass makes a class of n pupils in the demo school, with its team
// and class teacher account.
func hsNewClass(t *testing.T, e *env, n int) *hsClass {
	t.Helper()
	ctx := context.Background()
	a := store.SystemActor
	ref, err := e.st.GetClass(ctx, city, e.fx.own.class)
	must(t, err)
	var start [1]byte
	rand.Read(start[:])
	hc := &hsClass{}
	for i := 0; i < 80 && hc.id == 0; i++ {
		hc.id, err = e.st.CreateClass(ctx, a, city, store.ClassInput{SchoolID: e.fx.own.school, StartYear: ref.StartYear,
			Grade: ref.Grade, Number: 20 + (int(start[0])+i)%80})
		if err != nil {
			hc.id = 0
		}
	}
	if hc.id == 0 {
		t.Fatalf("make a class in school %d: %v", e.fx.own.school, err)
	}
	suffix := hsSuffix()
	for i := range n {
		name := "家访测试" + suffix + string([]rune("甲乙丙丁戊己庚辛")[i])
		var r [3]byte
		rand.Read(r[:])
		no := fmt.Sprintf("L519985201605%06d", (int(r[0])<<16|int(r[1])<<8|int(r[2]))%1000000)
		g, birth, class := model.Female, "2016-05-01", hc.id
		id, err := e.st.CreateStudent(ctx, a, city, city, store.StudentInput{ClassID: &class, StudentNo: &no, Name: &name, Gender: &g,
			BirthDate: &birth})
		must(t, err)
		hc.pupils, hc.names = append(hc.pupils, id), append(hc.names, name)
	}
	hc.teacher, err = e.st.CreateStaff(ctx, a, city, store.StaffInput{SchoolID: e.fx.own.school, Name: "家访班主任" + suffix,
		Gender: model.Female, Phone: "13900000005", Posts: []model.StaffPost{{Post: model.PostClassTeacher, ClassID: hc.id}}})
	must(t, err)
	hc.subject, err = e.st.CreateStaff(ctx, a, city, store.StaffInput{SchoolID: e.fx.own.school, Name: "家访任课" + suffix,
		Gender: model.Male, Phone: "13900000006", Posts: []model.StaffPost{{Post: model.PostSubjectTeacher, ClassID: hc.id}}})
	must(t, err)
	user, uid, pw := e.newUser(t, "hs-classteacher", authz.At(authz.ClassTeacher, hc.id))
	must(t, e.st.LinkUserStaff(ctx, a, uid, hc.teacher))
	hc.userID, hc.cl = uid, e.fresh(t, user, pw)
	return hc
}

// hsToday is today's date when it lies in a term (visits are recorded
// today); in a holiday the tests that move this term's coverage skip.
func hsToday(t *testing.T) string {
	t.Helper()
	today := time.Now().UTC().Format(time.DateOnly)
	if hsTermDay(time.Now().UTC()) != today {
		t.Skipf("%s is in a holiday: no visit of this term can be recorded today", today)
	}
	return today
}

// hsHoliday is a past day of the summer holiday before last (no term holds
// it), hsFuture a day after today.
func hsHoliday(t *testing.T, e *env) string {
	t.Helper()
	cal, err := e.st.Calendar(context.Background())
	must(t, err)
	y := model.SchoolYearOf(time.Now()) - 1
	day := cal.Period(programme.Term{Year: y - 1, Semester: 2}).End.AddDate(0, 0, 1)
	if !day.Before(cal.Period(programme.Term{Year: y, Semester: 1}).Start) {
		t.Fatalf("the calendar has no holiday between %d's second term and %d's first", y-1, y)
	}
	return day.Format(time.DateOnly)
}

func hsFuture() string { return time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly) }

// hsSheet is the part of a class's visit sheet the tests read.
type hsSheet struct {
	ClassID  int64 `json:"class_id"`
	Coverage struct {
		Pupils  int `json:"pupils"`
		Visited int `json:"visited"`
		Phone   int `json:"phone"`
		Visits  int `json:"visits"`
	} `json:"coverage"`
	Unvisited int `json:"unvisited"`
	Pupils    []struct {
		StudentID int64    `json:"student_id"`
		Name      string   `json:"name"`
		Visits    int      `json:"visits"`
		Modes     []string `json:"modes"`
	} `json:"pupils"`
	Team []struct {
		StaffID int64 `json:"staff_id"`
	} `json:"team"`
}

// hsSheetOf reads a class's sheet through the API as c, checking its keys.
func hsSheetOf(t *testing.T, c *client, class int64) hsSheet {
	t.Helper()
	r := c.get(fmt.Sprintf("/api/v1/classes/%d/visits", class))
	if r.status != 200 {
		t.Fatalf("%s: want 200", r)
	}
	hsCheckKeys(t, "/api/v1/classes/{id}/visits", r)
	var s hsSheet
	r.json(t, &s)
	return s
}

// hsStoredVisits counts, through the store, the visits recorded for pupils.
func hsStoredVisits(t *testing.T, e *env, pupils ...int64) int {
	t.Helper()
	n := 0
	for _, id := range pupils {
		vs, err := e.st.StudentVisits(context.Background(), store.SystemActor, city, id)
		must(t, err)
		n += len(vs)
	}
	return n
}

// hsStoredActivities counts, through the store, a school's activities.
func hsStoredActivities(t *testing.T, e *env, school int64) int {
	t.Helper()
	_, n, err := e.st.ListActivities(context.Background(), city, store.ActivityFilter{SchoolID: school, Limit: 1})
	must(t, err)
	return n
}

// hsCheckKeys checks a JSON answer's keys against allowedKeys[pattern].
func hsCheckKeys(t *testing.T, pattern string, r *response) {
	t.Helper()
	allowed, ok := allowedKeys[pattern]
	if !ok {
		t.Fatalf("no allowed keys for %s", pattern)
	}
	var v any
	r.json(t, &v)
	got := map[string]bool{}
	keyPaths(v, "", got)
	var extra []string
	for k := range got {
		if !slices.Contains(allowed, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	if extra != nil {
		t.Errorf("%s: keys %v are not in the allowed set of %s", r, extra, pattern)
	}
}

// hsVisitValues is a well-formed phone visit of a pupil by visitors on day.
func hsVisitValues(pupil int64, day string, visitors ...int64) url.Values {
	v := url.Values{"student_id": {itoa(pupil)}, "visited_on": {day}, "mode": {"phone"}, "family": {"stable"}, "living": {"both_parents"},
		"note": {"家访测试：家长配合，孩子情绪稳定"}}
	for _, id := range visitors {
		v.Add("visitors", itoa(id))
	}
	return v
}

var hsCatalog = i18n.MustLoad()

// hsWantFormProblem fails the test unless r is the page refusing a form
// (400) with the field named in its list of problems.
func hsWantFormProblem(t *testing.T, r *response, field string) {
	t.Helper()
	if r.status != 400 {
		t.Errorf("%s: want 400 naming %s", r, field)
		return
	}
	body := string(r.body)
	i := strings.Index(body, `id="hs-problems"`)
	if i < 0 {
		t.Errorf("%s: the page lists no problems", r)
		return
	}
	i += strings.Index(body[i:], ">") + 1
	end := strings.Index(body[i:], "</div>")
	if end < 0 {
		end = len(body) - i
	}
	label := hsCatalog.T("zh-CN", "hs.f_"+field)
	if !strings.Contains(body[i:i+end], label+":") {
		t.Errorf("%s: the problems %q do not name %s (%q)", r, textOf([]byte(body[i:i+end])), field, label)
	}
}

// hsWantAPIField fails the test unless r answered status with the field
// named among its details ("" names none).
func hsWantAPIField(t *testing.T, r *response, status int, field string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: want %d naming %q", r, status, field)
		return
	}
	if field == "" {
		errorShape(t, r)
		return
	}
	ae := errorShape(t, r)
	if !slices.ContainsFunc(ae.Details, func(d errDetail) bool { return d.Field == field || strings.HasPrefix(d.Field, field+".") }) {
		t.Errorf("%s: details %v do not name %q", r, ae.fields(), field)
	}
}

// ---- visits recorded and the coverage -------------------------------------------------

func TestClassTeacherRecordsVisitsAndCoverageMoves(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		today := hsToday(t)
		hc := hsNewClass(t, e, 4)
		ct := hc.cl

		before := hsSheetOf(t, ct, hc.id)
		if before.Coverage.Pupils != 4 || before.Coverage.Visited != 0 || before.Unvisited != 4 {
			t.Fatalf("a new class of 4: coverage %+v, unvisited %d", before.Coverage, before.Unvisited)
		}
		for _, p := range before.Pupils {
			if i := slices.Index(hc.pupils, p.StudentID); i < 0 || p.Name != hc.names[i] {
				t.Errorf("the class teacher's sheet names pupil %d %q, want one of the class by their full name", p.StudentID, p.Name)
			}
		}
		team := map[int64]bool{}
		for _, m := range before.Team {
			team[m.StaffID] = true
		}
		if len(team) != 2 || !team[hc.teacher] || !team[hc.subject] {
			t.Errorf("the team is %v, want the class teacher %d and the subject teacher %d", team, hc.teacher, hc.subject)
		}

		// The form: a phone visit by the class teacher.
		r := ct.postForm(fmt.Sprintf("/classes/%d/visits", hc.id), hsVisitValues(hc.pupils[0], today, hc.teacher))
		if r.status != 303 || r.header.Get("Location") != fmt.Sprintf("/classes/%d/visits?done=visit", hc.id) {
			t.Fatalf("%s: want 303 to the sheet", r)
		}
		after := hsSheetOf(t, ct, hc.id)
		if after.Coverage.Visited != 1 || after.Unvisited != 3 || after.Coverage.Phone != 1 || after.Coverage.Visits != 1 {
			t.Errorf("after one phone visit: coverage %+v, unvisited %d", after.Coverage, after.Unvisited)
		}
		for _, p := range after.Pupils {
			if visited := p.StudentID == hc.pupils[0]; visited != (p.Visits == 1) || visited != slices.Equal(p.Modes, []string{"phone"}) {
				t.Errorf("pupil %d reads %+v (visited by phone: %v)", p.StudentID, p, visited)
			}
		}

		// The API: a second pupil, visited by both team members.
		r = ct.sendJSON("POST", "/api/v1/home-visits", fmt.Sprintf(`{"student_id":%d,"visited_on":%q,"mode":"phone","visitors":[%d,%d],
			"family":"strained","living":"grandparents","help":["study"],"note":"家访测试：祖父母照顾"}`, hc.pupils[1], today, hc.teacher, hc.subject))
		if r.status != 201 {
			t.Fatalf("%s: want 201", r)
		}
		var res struct {
			ID        int64 `json:"id"`
			ConcernID int64 `json:"concern_id"`
		}
		r.json(t, &res)
		if res.ID == 0 || res.ConcernID != 0 {
			t.Errorf("%s: want a visit id and no concern", r)
		}
		after = hsSheetOf(t, ct, hc.id)
		if after.Coverage.Visited != 2 || after.Unvisited != 2 || after.Coverage.Visits != 2 {
			t.Errorf("after two visits: coverage %+v, unvisited %d", after.Coverage, after.Unvisited)
		}
		// The page shows the same figure.
		page := ct.get(fmt.Sprintf("/classes/%d/visits", hc.id))
		if page.status != 200 || !strings.Contains(string(page.body), `<strong id="class-unvisited">2</strong>`) {
			t.Errorf("%s: the sheet does not show 2 unvisited", page)
		}

		// The pupil's history: the visit with its team and findings.
		r = ct.get(fmt.Sprintf("/api/v1/students/%d/visits", hc.pupils[1]))
		if r.status != 200 {
			t.Fatalf("%s", r)
		}
		hsCheckKeys(t, "/api/v1/students/{id}/visits", r)
		var hist struct {
			Items []struct {
				ID       int64    `json:"id"`
				Mode     string   `json:"mode"`
				Visitors []string `json:"visitors"`
				Note     string   `json:"note"`
			} `json:"items"`
		}
		r.json(t, &hist)
		if len(hist.Items) != 1 || hist.Items[0].ID != res.ID || len(hist.Items[0].Visitors) != 2 || hist.Items[0].Note != "家访测试：祖父母照顾" {
			t.Errorf("the pupil's history: %s", r)
		}

		// The principal reads the sheet with names masked, as lists are.
		r = e.as(t, "principal").get(fmt.Sprintf("/api/v1/classes/%d/visits", hc.id))
		var masked hsSheet
		r.json(t, &masked)
		for _, p := range masked.Pupils {
			if i := slices.Index(hc.pupils, p.StudentID); i < 0 || p.Name != privacy.MaskName(hc.names[i]) {
				t.Errorf("the principal's sheet names pupil %d %q, want it masked", p.StudentID, p.Name)
			}
		}
		if n := containsAny(r.body, hc.names); n != "" {
			t.Errorf("the principal's sheet holds the full name %q", n)
		}

		// The school's coverage per class moves with it (the principal).
		r = e.as(t, "principal").get(fmt.Sprintf("/api/v1/home-school/coverage?by=class&school_id=%d", e.fx.own.school))
		if r.status != 200 {
			t.Fatalf("%s", r)
		}
		type row struct {
			ID      int64 `json:"id"`
			Pupils  int   `json:"pupils"`
			Visited int   `json:"visited"`
		}
		var cov struct {
			Items []row `json:"items"`
		}
		r.json(t, &cov)
		i := slices.IndexFunc(cov.Items, func(x row) bool { return x.ID == hc.id })
		if i < 0 || cov.Items[i].Pupils != 4 || cov.Items[i].Visited != 2 {
			t.Errorf("the school's coverage by class does not show the class %d with 2 of 4 visited: %s", hc.id, r)
		}

		// …and so does the school's dashboard, which links the class's sheet.
		dash := string(e.as(t, "principal").get(fmt.Sprintf("/home-school?school=%d", e.fx.own.school)).body)
		rowAt := strings.Index(dash, fmt.Sprintf(`<tr data-class="%d">`, hc.id))
		if rowAt < 0 {
			t.Fatalf("the school's dashboard lists no row for class %d", hc.id)
		}
		rowHTML := dash[rowAt:]
		rowHTML = rowHTML[:strings.Index(rowHTML, "</tr>")]
		if !strings.Contains(rowHTML, fmt.Sprintf(`href="/classes/%d/visits"`, hc.id)) || !strings.Contains(rowHTML, "50.0%") ||
			!strings.Contains(rowHTML, "2 / 4") {
			t.Errorf("the dashboard's row for class %d does not read 2 of 4 (50.0%%) with a link to its sheet: %s", hc.id, rowHTML)
		}
	})
}

func TestClassTeacherCannotReachAnotherClassVisits(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		hc := hsNewClass(t, e, 2)
		day := hsTermDay(time.Now().UTC())
		others := append(append(slices.Clone(fx.own.students), fx.classmate.students...), fx.other.students...)
		for _, who := range []struct {
			name string
			cl   *client
			// away are the classes the class teacher does not teach.
			away []*position
		}{
			{"the demo class teacher", e.as(t, "classteacher"), []*position{fx.classmate, fx.sibling, fx.other}},
			{"a new class's teacher", hc.cl, []*position{fx.own, fx.classmate, fx.other}},
		} {
			t.Run(who.name, func(t *testing.T) {
				for _, p := range who.away {
					before := hsStoredVisits(t, e, p.student)
					for _, r := range []*response{
						who.cl.get(fmt.Sprintf("/classes/%d/visits", p.class)),
						who.cl.get(fmt.Sprintf("/api/v1/classes/%d/visits", p.class)),
						who.cl.get(fmt.Sprintf("/students/%d/visits", p.student)),
						who.cl.get(fmt.Sprintf("/api/v1/students/%d/visits", p.student)),
						who.cl.postForm(fmt.Sprintf("/classes/%d/visits", p.class), hsVisitValues(p.student, day, p.staff)),
						who.cl.sendJSON("POST", "/api/v1/home-visits", fmt.Sprintf(`{"student_id":%d,"visited_on":%q,"mode":"phone",
							"visitors":[%d],"family":"stable","living":"both_parents"}`, p.student, day, p.staff)),
					} {
						wantStatus(t, r, 404)
						names := others
						if who.cl == hc.cl {
							names = append(slices.Clone(others), fx.sibling.students...)
						}
						if n := containsAny(r.body, names); n != "" {
							t.Errorf("%s: the answer names %q, a pupil of another class", r, n)
						}
					}
					if after := hsStoredVisits(t, e, p.student); after != before {
						t.Errorf("pupil %d of class %d: %d visits stored, %d before", p.student, p.class, after, before)
					}
				}
			})
		}
		// Their own class answers; its sheet names no pupil of another.
		for _, c := range []struct {
			cl    *client
			class int64
		}{{e.as(t, "classteacher"), fx.own.class}, {hc.cl, hc.id}} {
			for _, path := range []string{fmt.Sprintf("/classes/%d/visits", c.class), fmt.Sprintf("/api/v1/classes/%d/visits", c.class)} {
				r := c.cl.get(path)
				wantStatus(t, r, 200)
				names := append(slices.Clone(fx.classmate.students), fx.sibling.students...)
				if c.class == hc.id {
					names = append(names, fx.own.students...)
				}
				if n := containsAny(r.body, names); n != "" {
					t.Errorf("%s: the answer names %q, a pupil of another class", r, n)
				}
			}
		}
	})
}

// ---- bad visits store nothing ---------------------------------------------------------

func TestBadVisitsAreRefusedWithTheFieldNamed(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		hc := hsNewClass(t, e, 2)
		day := hsTermDay(time.Now().UTC())
		holiday := hsHoliday(t, e)
		// with is a well-formed visit of the class's pupil with one field changed.
		with := func(key, value string) url.Values {
			v := hsVisitValues(hc.pupils[0], day, hc.teacher)
			v.Set(key, value)
			return v
		}
		cases := []struct {
			name, field string
			form        url.Values
		}{
			{"a date in the future", "visited_on", hsVisitValues(hc.pupils[0], hsFuture(), hc.teacher)},
			{"a date in the summer holiday", "visited_on", hsVisitValues(hc.pupils[0], holiday, hc.teacher)},
			{"a date that is no date", "visited_on", hsVisitValues(hc.pupils[0], "2026-02-30", hc.teacher)},
			{"a visitor not on the class team", "visitors", hsVisitValues(hc.pupils[0], day, fx.own.staff)},
			{"the class team and a visitor who is not on it", "visitors", hsVisitValues(hc.pupils[0], day, hc.teacher, fx.classmate.staff)},
			{"no visitor", "visitors", hsVisitValues(hc.pupils[0], day)},
			{"a pupil of another class", "student_id", hsVisitValues(fx.classmate.student, day, hc.teacher)},
			{"a pupil of another school", "student_id", hsVisitValues(fx.sibling.student, day, hc.teacher)},
			{"no pupil", "student_id", hsVisitValues(0, day, hc.teacher)},
			{"a mode that is none", "mode", with("mode", "letter")},
			{"a note too long", "note", with("note", strings.Repeat("长", 2001))},
			{"a concern passed without saying what about", "concerns", with("pass_concern", "1")},
		}
		watched := append(slices.Clone(hc.pupils), fx.classmate.student, fx.sibling.student)
		for _, tc := range cases {
			t.Run("the form refuses "+tc.name, func(t *testing.T) {
				before := hsStoredVisits(t, e, watched...)
				r := hc.cl.postForm(fmt.Sprintf("/classes/%d/visits", hc.id), tc.form)
				hsWantFormProblem(t, r, tc.field)
				if n := containsAny(r.body, append(slices.Clone(fx.classmate.students), fx.sibling.students...)); n != "" {
					t.Errorf("%s: the refusal names %q, a pupil of another class", r, n)
				}
				if after := hsStoredVisits(t, e, watched...); after != before {
					t.Errorf("%d visits stored after the refusal, %d before", after, before)
				}
				s := hsSheetOf(t, hc.cl, hc.id)
				if s.Coverage.Visited != 0 || s.Coverage.Visits != 0 {
					t.Errorf("the sheet after a refusal: %+v", s.Coverage)
				}
			})
		}
		// The same through the API, where a pupil out of the caller's scope
		// is not found (404: existence is not revealed).
		for _, tc := range cases {
			t.Run("the API refuses "+tc.name, func(t *testing.T) {
				f := tc.form
				body := fmt.Sprintf(`{"student_id":%s,"visited_on":%q,"mode":%q,"visitors":[%s],"family":"stable","living":"both_parents",
					"note":%q,"pass_concern":%v}`, f.Get("student_id"), f.Get("visited_on"), f.Get("mode"), strings.Join(f["visitors"], ","),
					f.Get("note"), f.Get("pass_concern") == "1")
				before := hsStoredVisits(t, e, watched...)
				r := hc.cl.sendJSON("POST", "/api/v1/home-visits", body)
				if tc.field == "student_id" {
					wantStatus(t, r, 404)
				} else {
					hsWantAPIField(t, r, 400, tc.field)
				}
				if after := hsStoredVisits(t, e, watched...); after != before {
					t.Errorf("%d visits stored after the refusal, %d before", after, before)
				}
			})
		}
	})
}

// ---- hostile JSON -----------------------------------------------------------------------

func TestHomeVisitAPIRefusesHostileJSON(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		hc := hsNewClass(t, e, 1)
		day := hsTermDay(time.Now().UTC())
		pupil := hc.pupils[0]
		valid := func(extra string) string {
			return fmt.Sprintf(`{"student_id":%d,"visited_on":%q,"mode":"phone","visitors":[%d],"family":"stable","living":"both_parents"%s}`,
				pupil, day, hc.teacher, extra)
		}
		// repl is the valid body with one part replaced.
		repl := func(old, new string) string { return strings.Replace(valid(""), old, new, 1) }
		sid, vis, date := fmt.Sprintf(`"student_id":%d`, pupil), fmt.Sprintf(`"visitors":[%d]`, hc.teacher), fmt.Sprintf(`"visited_on":%q`, day)
		many := make([]string, 10000)
		for i := range many {
			many[i] = strconv.Itoa(i + 1)
		}
		cases := []struct {
			name   string
			body   string
			status int
			field  string
		}{
			{"an unknown field", valid(`,"score":27`), 400, "score"},
			{"an unknown nested field", valid(`,"findings":{"mood":"low"}`), 400, "findings"},
			{"a pupil id as text", repl(sid, `"student_id":"x"`), 400, "student_id"},
			{"visitors as text", repl(vis, `"visitors":"all"`), 400, "visitors"},
			{"a visitor as text", repl(vis, `"visitors":["one"]`), 400, "visitors"},
			{"pass_concern as text", valid(`,"pass_concern":"yes"`), 400, "pass_concern"},
			{"concerns as an object", valid(`,"concerns":{"mood":true}`), 400, "concerns"},
			{"a date as a number", repl(date, `"visited_on":20261129`), 400, "visited_on"},
			{"a pupil id past int64", repl(sid, `"student_id":9223372036854775808`), 400, "student_id"},
			{"a pupil id as a fraction", repl(sid, `"student_id":1.5`), 400, "student_id"},
			{"a negative pupil id", repl(sid, `"student_id":-1`), 404, ""},
			{"a negative visitor", repl(vis, `"visitors":[-1]`), 400, "visitors"},
			{"a visitor past int64", repl(vis, `"visitors":[1e30]`), 400, "visitors"},
			{"10,000 visitors", repl(vis, `"visitors":[`+strings.Join(many, ",")+`]`), 400, "visitors"},
			{"a note of 2,001 characters", valid(fmt.Sprintf(`,"note":%q`, strings.Repeat("记", 2001))), 400, "note"},
			{"a note of 900 kB", valid(fmt.Sprintf(`,"note":%q`, strings.Repeat("a", 900_000))), 400, "note"},
			{"a message of 501 characters", valid(fmt.Sprintf(`,"concerns":["mood"],"pass_concern":true,"concern_message":%q`, strings.Repeat("话", 501))), 400, "concern_message"},
			{"a body past the limit", valid(fmt.Sprintf(`,"note":%q`, strings.Repeat("a", 2<<20))), 413, ""},
			{"a null byte in the mode", repl(`"mode":"phone"`, `"mode":"phone\u0000"`), 400, "mode"},
			{"a null byte in a concern", valid(`,"concerns":["mood\u0000"]`), 400, "concerns"},
			{"a null byte in the note", valid(`,"note":"家访\u0000记录"`), 400, "note"},
			{"a null byte in the date", repl(date, fmt.Sprintf(`"visited_on":"%s\u0000"`, day)), 400, "visited_on"},
			{"two bodies", valid("") + valid(""), 400, "body"},
			{"an array", "[" + valid("") + "]", 400, "body"},
			{"an empty body", "", 400, "body"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := hsStoredVisits(t, e, pupil)
				r := hc.cl.sendJSON("POST", "/api/v1/home-visits", tc.body)
				hsWantAPIField(t, r, tc.status, tc.field)
				if after := hsStoredVisits(t, e, pupil); after != before {
					t.Errorf("%d visits stored after the refusal, %d before", after, before)
				}
			})
		}
		// The valid body itself is recorded: the refusals were for their
		// hostile part.
		if r := hc.cl.sendJSON("POST", "/api/v1/home-visits", valid("")); r.status != 201 {
			t.Errorf("%s: the valid visit is refused", r)
		}
	})
}

func TestActivityAPIRefusesHostileJSON(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		school := e.fx.own.school
		admin := e.as(t, "schooladmin")
		day := hsTermDay(time.Now().UTC())
		topic := "家访测试家长学校" + hsSuffix()
		valid := func(extra string) string {
			return fmt.Sprintf(`{"school_id":%d,"kind":"guidance","held_on":%q,"topic":%q,"speaker":"测试讲师","grades":[1],"parents":40%s}`,
				school, day, topic, extra)
		}
		repl := func(old, new string) string { return strings.Replace(valid(""), old, new, 1) }
		many := make([]string, 10000)
		for i := range many {
			many[i] = strconv.Itoa(i + 1)
		}
		cases := []struct {
			name   string
			body   string
			status int
			field  string
		}{
			{"an unknown field", valid(`,"created_by":1`), 400, "created_by"},
			{"a school id as text", repl(fmt.Sprintf(`"school_id":%d`, school), `"school_id":"3"`), 400, "school_id"},
			{"parents as text", repl(`"parents":40`, `"parents":"40"`), 400, "parents"},
			{"grades as text", repl(`"grades":[1]`, `"grades":"1"`), 400, "grades"},
			{"a grade as text", repl(`"grades":[1]`, `"grades":["一年级"]`), 400, "grades"},
			{"a kind as a list", repl(`"kind":"guidance"`, `"kind":["guidance"]`), 400, "kind"},
			{"a date as a number", repl(fmt.Sprintf(`"held_on":%q`, day), `"held_on":20261129`), 400, "held_on"},
			{"negative parents", repl(`"parents":40`, `"parents":-1`), 400, "parents"},
			{"parents past the limit", repl(`"parents":40`, `"parents":20001`), 400, "parents"},
			{"parents past int64", repl(`"parents":40`, `"parents":1e20`), 400, "parents"},
			{"a negative school id", repl(fmt.Sprintf(`"school_id":%d`, school), `"school_id":-1`), 400, "school_id"},
			{"a school id past int64", repl(fmt.Sprintf(`"school_id":%d`, school), `"school_id":9223372036854775808`), 400, "school_id"},
			{"another district's school", repl(fmt.Sprintf(`"school_id":%d`, school), fmt.Sprintf(`"school_id":%d`, e.fx.other.school)), 400, "school_id"},
			{"a grade the school has not got", repl(`"grades":[1]`, `"grades":[12]`), 400, "grades"},
			{"10,000 grades", repl(`"grades":[1]`, `"grades":[`+strings.Join(many, ",")+`]`), 400, "grades"},
			{"a topic of 101 characters", repl(fmt.Sprintf(`"topic":%q`, topic), fmt.Sprintf(`"topic":%q`, strings.Repeat("题", 101))), 400, "topic"},
			{"a topic of 900 kB", repl(fmt.Sprintf(`"topic":%q`, topic), fmt.Sprintf(`"topic":%q`, strings.Repeat("a", 900_000))), 400, "topic"},
			{"a speaker of 61 characters", repl(`"speaker":"测试讲师"`, fmt.Sprintf(`"speaker":%q`, strings.Repeat("讲", 61))), 400, "speaker"},
			{"an empty topic", repl(fmt.Sprintf(`"topic":%q`, topic), `"topic":"   "`), 400, "topic"},
			{"a null byte in the topic", repl(fmt.Sprintf(`"topic":%q`, topic), fmt.Sprintf(`"topic":"%s\u0000"`, topic)), 400, "topic"},
			{"a null byte in the speaker", repl(`"speaker":"测试讲师"`, `"speaker":"测试\u0000讲师"`), 400, "speaker"},
			{"a kind that is none", repl(`"kind":"guidance"`, `"kind":"party"`), 400, "kind"},
			{"a date in the future", repl(fmt.Sprintf(`"held_on":%q`, day), fmt.Sprintf(`"held_on":%q`, hsFuture())), 400, "held_on"},
			{"a date in the summer holiday", repl(fmt.Sprintf(`"held_on":%q`, day), fmt.Sprintf(`"held_on":%q`, hsHoliday(t, e))), 400, "held_on"},
			{"a body past the limit", repl(fmt.Sprintf(`"topic":%q`, topic), fmt.Sprintf(`"topic":%q`, strings.Repeat("a", 2<<20))), 413, ""},
			{"an empty body", "", 400, "body"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := hsStoredActivities(t, e, school)
				r := admin.sendJSON("POST", "/api/v1/home-school/activities", tc.body)
				hsWantAPIField(t, r, tc.status, tc.field)
				if after := hsStoredActivities(t, e, school); after != before {
					t.Errorf("%d activities stored after the refusal, %d before", after, before)
				}
				if r.status == 201 {
					// Accepted wrongly: taken out again, so the shared
					// city keeps its figures.
					var made hsID
					r.json(t, &made)
					admin.sendJSON("DELETE", fmt.Sprintf("/api/v1/home-school/activities/%d", made.ID), "")
				}
			})
		}

		t.Run("the same activity twice is refused as a duplicate", func(t *testing.T) {
			// A topic of its own: a wrongly accepted case above cannot
			// make this one a duplicate from the start.
			topic = "家访测试家长学校" + hsSuffix()
			before := hsStoredActivities(t, e, school)
			r := admin.sendJSON("POST", "/api/v1/home-school/activities", valid(""))
			if r.status != 201 {
				t.Fatalf("%s: the valid activity is refused", r)
			}
			var made hsID
			r.json(t, &made)
			defer func() {
				if r := admin.sendJSON("DELETE", fmt.Sprintf("/api/v1/home-school/activities/%d", made.ID), ""); r.status != 200 {
					t.Errorf("%s: the test's activity is not deleted", r)
				}
			}()
			for _, body := range []string{valid(""), repl(fmt.Sprintf(`"topic":%q`, topic), fmt.Sprintf(`"topic":" %s "`, topic)),
				repl(`"speaker":"测试讲师"`, `"speaker":"另一位讲师"`)} {
				r := admin.sendJSON("POST", "/api/v1/home-school/activities", body)
				hsWantAPIField(t, r, 400, "topic")
				if ae := errorShape(t, r); r.status == 400 && !hasDetail(ae, "topic", "hs.err_duplicate") {
					t.Errorf("%s: want hs.err_duplicate", r)
				}
			}
			if after := hsStoredActivities(t, e, school); after != before+1 {
				t.Errorf("%d activities stored, want %d (one)", after, before+1)
			}
		})
	})
}

type hsID struct {
	ID int64 `json:"id"`
}

// ---- activities in and out of scope ------------------------------------------------------

func TestActivitiesBelongToTheirSchoolsRecorders(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		admin := e.as(t, "schooladmin")
		day := hsTermDay(time.Now().UTC())
		topic := "家访测试开放日" + hsSuffix()
		r := admin.sendJSON("POST", "/api/v1/home-school/activities", fmt.Sprintf(
			`{"school_id":%d,"kind":"open_day","held_on":%q,"topic":%q,"speaker":"","grades":[],"parents":12}`, fx.own.school, day, topic))
		if r.status != 201 {
			t.Fatalf("%s: want 201", r)
		}
		var made hsID
		r.json(t, &made)
		id := itoa(made.ID)

		// A small sign-in sheet kept as evidence, read back by the school's
		// recorders only.
		pdf := append([]byte("%PDF-1.4\n% 家访测试签到表\n"), bytes.Repeat([]byte("0"), 10_000)...)
		r = hsPostFile(t, admin, "/home-school/activities/"+id+"/evidence", "signin", "签到表.pdf", pdf)
		if r.status != 303 {
			t.Fatalf("%s: want 303", r)
		}
		r = admin.get(fmt.Sprintf("/api/v1/home-school/activities?school_id=%d&limit=500", fx.own.school))
		hsCheckKeys(t, "/api/v1/home-school/activities", r)
		type evidence struct {
			ID   int64 `json:"id"`
			Size int64 `json:"size"`
		}
		type activity struct {
			ID       int64      `json:"id"`
			Evidence []evidence `json:"evidence"`
		}
		var list struct {
			Items []activity `json:"items"`
		}
		r.json(t, &list)
		i := slices.IndexFunc(list.Items, func(x activity) bool { return x.ID == made.ID })
		if i < 0 || len(list.Items[i].Evidence) != 1 || list.Items[i].Evidence[0].Size != int64(len(pdf)) {
			t.Fatalf("the activity with its evidence is not listed: %s", r)
		}
		ev := itoa(list.Items[i].Evidence[0].ID)
		for _, who := range []string{"schooladmin", "principal", "psych"} {
			r := e.as(t, who).get("/home-school/evidence/" + ev)
			if r.status != 200 || !bytes.Equal(r.body, pdf) {
				t.Errorf("%s: %s, want the file", who, r)
			}
		}
		sibling, _, spw := e.newUser(t, "hs-admin-b", authz.At(authz.SchoolAdmin, fx.sibling.school))
		sib := e.fresh(t, sibling, spw)
		for _, c := range []struct {
			who string
			cl  *client
		}{{"classteacher", e.as(t, "classteacher")}, {"district", e.as(t, "district")}, {"city", e.as(t, "city")},
			{"another school's data officer", sib}} {
			if r := c.cl.get("/home-school/evidence/" + ev); r.status != 404 {
				t.Errorf("%s downloads the evidence: %s", c.who, r)
			}
			if r := c.cl.sendJSON("DELETE", "/api/v1/home-school/activities/"+id, ""); r.status != 404 {
				t.Errorf("%s deletes the activity: %s", c.who, r)
			}
			if r := c.cl.postForm("/home-school/activities/"+id+"/delete", nil); r.status != 404 {
				t.Errorf("%s deletes the activity through the page: %s", c.who, r)
			}
			if r := hsPostFile(t, c.cl, "/home-school/activities/"+id+"/evidence", "file", "x.pdf", pdf); r.status != 404 {
				t.Errorf("%s adds evidence: %s", c.who, r)
			}
		}
		// The district reads the activity in its lists; another school's
		// data officer does not (a list filtered out of scope is empty).
		r = e.as(t, "district").get(fmt.Sprintf("/api/v1/home-school/activities?school_id=%d&limit=500", fx.own.school))
		if !strings.Contains(string(r.body), topic) {
			t.Errorf("the district does not list its school's activity: %s", r)
		}
		r = sib.get(fmt.Sprintf("/api/v1/home-school/activities?school_id=%d", fx.own.school))
		if r.status != 200 || strings.Contains(string(r.body), topic) {
			t.Errorf("another school's data officer lists the activity: %s", r)
		}
		if hsStoredActivities(t, e, fx.own.school) == 0 {
			t.Fatalf("the activity is gone")
		}
		r = admin.postForm("/home-school/activities/"+id+"/delete", nil)
		if r.status != 303 {
			t.Errorf("%s: want 303", r)
		}
		if r := admin.get("/home-school/evidence/" + ev); r.status != 404 {
			t.Errorf("the evidence of a deleted activity: %s", r)
		}
		if r := admin.sendJSON("DELETE", "/api/v1/home-school/activities/"+id, ""); r.status != 404 {
			t.Errorf("a deleted activity deleted again: %s", r)
		}
	})
}

// hsPostFile posts a file as an activity's evidence (multipart).
func hsPostFile(t *testing.T, c *client, path, kind, name string, file []byte) *response {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("kind", kind)
	fw, err := mw.CreateFormFile("file", name)
	must(t, err)
	fw.Write(file)
	must(t, mw.Close())
	return c.do("POST", path, b.Bytes(), mw.FormDataContentType(), nil)
}

// TestActivityEvidenceUpToItsLimit keeps a photo of 2 MB: the form and the
// store take files up to 8 MB (hs.err_evidence_size).
func TestActivityEvidenceUpToItsLimit(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		admin := e.as(t, "schooladmin")
		r := admin.sendJSON("POST", "/api/v1/home-school/activities", fmt.Sprintf(
			`{"school_id":%d,"kind":"mh_parent_meeting","held_on":%q,"topic":%q,"parents":80}`, e.fx.own.school, hsTermDay(time.Now().UTC()),
			"家访测试心理健康家长会"+hsSuffix()))
		if r.status != 201 {
			t.Fatalf("%s: want 201", r)
		}
		var made hsID
		r.json(t, &made)
		defer admin.sendJSON("DELETE", fmt.Sprintf("/api/v1/home-school/activities/%d", made.ID), "")
		photo := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte{0x5a}, 2<<20)...)
		r = hsPostFile(t, admin, fmt.Sprintf("/home-school/activities/%d/evidence", made.ID), "photo", "家长会.jpg", photo)
		if r.status != 303 {
			t.Errorf("%s: a 2 MB photo (the limit is 8 MB) is refused", r)
		}
	})
}

// ---- concerns reach the school's psychology teacher only ----------------------------------

type hsConcern struct {
	ID          int64  `json:"id"`
	VisitID     int64  `json:"visit_id"`
	StudentID   int64  `json:"student_id"`
	StudentName string `json:"student_name"`
	SchoolID    int64  `json:"school_id"`
	Message     string `json:"message"`
	State       string `json:"state"`
	Outcome     string `json:"outcome"`
}

func hsConcernsOf(t *testing.T, c *client, query string) []hsConcern {
	t.Helper()
	r := c.get("/api/v1/concerns" + query)
	if r.status != 200 {
		t.Fatalf("%s: want 200", r)
	}
	hsCheckKeys(t, "/api/v1/concerns", r)
	var l struct {
		Items []hsConcern `json:"items"`
	}
	r.json(t, &l)
	return l.Items
}

func TestConcernPassedWithAVisitReachesItsSchoolsPsychologyTeacher(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		hc := hsNewClass(t, e, 2)
		day := hsTermDay(time.Now().UTC())
		message := "家访测试：孩子近来情绪低落" + hsSuffix()
		r := hc.cl.sendJSON("POST", "/api/v1/home-visits", fmt.Sprintf(`{"student_id":%d,"visited_on":%q,"mode":"wechat","visitors":[%d],
			"family":"difficult","living":"one_parent","concerns":["mood","safety"],"pass_concern":true,"concern_message":%q}`,
			hc.pupils[0], day, hc.teacher, message))
		if r.status != 201 {
			t.Fatalf("%s: want 201", r)
		}
		var res struct {
			ID        int64 `json:"id"`
			ConcernID int64 `json:"concern_id"`
		}
		r.json(t, &res)
		if res.ConcernID == 0 {
			t.Fatalf("%s: no concern passed", r)
		}

		psych := e.as(t, "psych")
		list := hsConcernsOf(t, psych, "")
		i := slices.IndexFunc(list, func(c hsConcern) bool { return c.ID == res.ConcernID })
		if i < 0 {
			t.Fatalf("the concern %d is not in the psychology teacher's inbox", res.ConcernID)
		}
		if c := list[i]; c.VisitID != res.ID || c.StudentID != hc.pupils[0] || c.StudentName != hc.names[0] || c.Message != message ||
			c.State != "open" || c.SchoolID != fx.own.school {
			t.Errorf("the concern reads %+v", c)
		}
		if r := psych.get("/concerns"); r.status != 200 || !strings.Contains(string(r.body), message) {
			t.Errorf("the inbox page does not show the concern: %s", r)
		}

		// Another school's psychology teacher, in the district and beyond.
		for _, p := range []*position{fx.sibling, fx.other} {
			name, _, pw := e.newUser(t, "hs-psych-"+p.name, authz.At(authz.PsychTeacher, p.school))
			c := e.fresh(t, name, pw)
			for _, q := range []string{"", "?state=all", "?state=open"} {
				for _, x := range hsConcernsOf(t, c, q) {
					if x.ID == res.ConcernID || x.SchoolID != p.school {
						t.Errorf("%s's psychology teacher lists concern %d of school %d", p.name, x.ID, x.SchoolID)
					}
				}
			}
			for _, r := range []*response{c.get("/api/v1/concerns?state=all"), c.get("/concerns?state=all")} {
				if n := containsAny(r.body, []string{message, hc.names[0]}); n != "" {
					t.Errorf("%s: %s's psychology teacher reads %q", r, p.name, n)
				}
			}
			wantStatus(t, c.sendJSON("POST", fmt.Sprintf("/api/v1/concerns/%d/take", res.ConcernID), `{}`), 404)
			wantStatus(t, c.sendJSON("POST", fmt.Sprintf("/api/v1/concerns/%d/close", res.ConcernID), `{"outcome":"no_action"}`), 404)
			wantStatus(t, c.postForm(fmt.Sprintf("/concerns/%d/close", res.ConcernID), url.Values{"outcome": {"no_action"}}), 404)
		}

		// The class teacher passes concerns, but has no inbox.
		for _, c := range []*client{hc.cl, e.as(t, "classteacher"), e.as(t, "principal")} {
			for _, path := range []string{"/api/v1/concerns", "/api/v1/concerns?state=all", "/concerns"} {
				r := c.get(path)
				wantStatus(t, r, 404)
				if strings.Contains(string(r.body), message) {
					t.Errorf("%s: the answer holds the concern's message", r)
				}
			}
			wantStatus(t, c.sendJSON("POST", fmt.Sprintf("/api/v1/concerns/%d/take", res.ConcernID), `{}`), 404)
		}
		// Passing the same visit's concerns again is refused; so is
		// passing them for someone else's class.
		r = hc.cl.sendJSON("POST", fmt.Sprintf("/api/v1/home-visits/%d/concern", res.ID), `{"message":"再次转交"}`)
		hsWantAPIField(t, r, 400, "visit_id")
		wantStatus(t, e.as(t, "classteacher").sendJSON("POST", fmt.Sprintf("/api/v1/home-visits/%d/concern", res.ID), `{"message":"x"}`), 404)
		wantStatus(t, e.as(t, "classteacher").postForm(fmt.Sprintf("/visits/%d/concern", res.ID), url.Values{"concern_message": {"x"}}), 404)

		// A visit without concerns has nothing to pass; one with concerns
		// passes them later.
		r = hc.cl.sendJSON("POST", "/api/v1/home-visits", fmt.Sprintf(`{"student_id":%d,"visited_on":%q,"mode":"phone","visitors":[%d],
			"family":"stable","living":"both_parents"}`, hc.pupils[1], day, hc.teacher))
		var plain struct {
			ID int64 `json:"id"`
		}
		r.json(t, &plain)
		hsWantAPIField(t, hc.cl.sendJSON("POST", fmt.Sprintf("/api/v1/home-visits/%d/concern", plain.ID), `{"message":"x"}`), 400, "concerns")

		// Noted at a visit and passed later from the pupil's history page.
		form := hsVisitValues(hc.pupils[1], day, hc.teacher)
		form.Add("concerns", "behaviour")
		wantStatus(t, hc.cl.postForm(fmt.Sprintf("/classes/%d/visits", hc.id), form), 303)
		var hist struct {
			Items []struct {
				ID       int64    `json:"id"`
				Concerns []string `json:"concerns"`
			} `json:"items"`
		}
		hc.cl.get(fmt.Sprintf("/api/v1/students/%d/visits", hc.pupils[1])).json(t, &hist)
		var later int64
		for _, v := range hist.Items {
			if slices.Equal(v.Concerns, []string{"behaviour"}) {
				later = v.ID
			}
		}
		if later == 0 {
			t.Fatalf("the visit with a concern is not in the pupil's history: %+v", hist)
		}
		r = hc.cl.postForm(fmt.Sprintf("/visits/%d/concern", later), url.Values{"student_id": {itoa(hc.pupils[1])}, "concern_message": {message + "（后补）"}})
		if r.status != 303 || r.header.Get("Location") != fmt.Sprintf("/students/%d/visits?done=concern", hc.pupils[1]) {
			t.Errorf("%s: want 303 to the pupil's history", r)
		}
		if !slices.ContainsFunc(hsConcernsOf(t, psych, ""), func(c hsConcern) bool { return c.VisitID == later && c.Message == message+"（后补）" }) {
			t.Errorf("the concern passed later is not in the psychology teacher's inbox")
		}

		// The psychology teacher takes it up and closes it.
		wantStatus(t, psych.sendJSON("POST", fmt.Sprintf("/api/v1/concerns/%d/take", res.ConcernID), `{}`), 200)
		hsWantAPIField(t, psych.sendJSON("POST", fmt.Sprintf("/api/v1/concerns/%d/close", res.ConcernID), `{"outcome":"nothing"}`), 400, "outcome")
		wantStatus(t, psych.sendJSON("POST", fmt.Sprintf("/api/v1/concerns/%d/close", res.ConcernID), `{"outcome":"talked"}`), 200)
		wantStatus(t, psych.sendJSON("POST", fmt.Sprintf("/api/v1/concerns/%d/close", res.ConcernID), `{"outcome":"talked"}`), 409)
		if slices.ContainsFunc(hsConcernsOf(t, psych, ""), func(c hsConcern) bool { return c.ID == res.ConcernID }) {
			t.Errorf("a closed concern is still in the open inbox")
		}
		all := hsConcernsOf(t, psych, "?state=closed")
		if i := slices.IndexFunc(all, func(c hsConcern) bool { return c.ID == res.ConcernID }); i < 0 || all[i].Outcome != "talked" {
			t.Errorf("the closed concern with its outcome is not listed: %+v", all)
		}
		// The pupil's history shows the concern's state to the class teacher.
		r = hc.cl.get(fmt.Sprintf("/api/v1/students/%d/visits", hc.pupils[0]))
		if !strings.Contains(string(r.body), `"concern_state":"closed"`) {
			t.Errorf("the pupil's history does not show the concern closed: %s", r)
		}
	})
}

// ---- officials see their own district ------------------------------------------------------

func TestDistrictOfficialSeesItsOwnDistrict(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		ctx := context.Background()
		d := e.as(t, "district")
		for _, path := range []string{"/home-school", fmt.Sprintf("/home-school?district=%d", fx.own.district),
			fmt.Sprintf("/home-school?school=%d", fx.sibling.school), fmt.Sprintf("/home-school/report?district=%d", fx.own.district)} {
			r := d.get(path)
			wantStatus(t, r, 200)
			if n := containsAny(r.body, fx.other.structure); n != "" {
				t.Errorf("%s: the district's dashboard names %q of another district", r, n)
			}
		}
		if r := d.get(fmt.Sprintf("/home-school?district=%d", fx.own.district)); len(fx.sibling.structure) > 0 &&
			!strings.Contains(string(r.body), fx.sibling.structure[0]) {
			t.Errorf("the district's dashboard does not list its school %q", fx.sibling.structure[0])
		}
		for _, path := range []string{fmt.Sprintf("/home-school?district=%d", fx.other.district), fmt.Sprintf("/home-school?school=%d", fx.other.school),
			fmt.Sprintf("/home-school/report?district=%d", fx.other.district), fmt.Sprintf("/home-school/report.xlsx?district=%d", fx.other.district),
			fmt.Sprintf("/api/v1/home-school/progress?district_id=%d", fx.other.district),
			fmt.Sprintf("/api/v1/home-school/coverage?district_id=%d", fx.other.district),
			fmt.Sprintf("/api/v1/home-school/coverage?school_id=%d", fx.other.school)} {
			r := d.get(path)
			wantStatus(t, r, 404)
			if n := containsAny(r.body, fx.other.structure); n != "" {
				t.Errorf("%s: the refusal names %q", r, n)
			}
		}

		want := map[int64]bool{}
		schools, _, err := e.st.ListSchools(ctx, city, store.SchoolFilter{DistrictID: fx.own.district, Limit: 500})
		must(t, err)
		for _, x := range schools {
			want[x.ID] = true
		}
		r := d.get("/api/v1/home-school/progress")
		if r.status != 200 {
			t.Fatalf("%s", r)
		}
		hsCheckKeys(t, "/api/v1/home-school/progress", r)
		var pr struct {
			Node struct {
				Kind string `json:"kind"`
				ID   int64  `json:"id"`
			} `json:"node"`
			Children []struct {
				Kind string `json:"kind"`
				ID   int64  `json:"id"`
			} `json:"children"`
			Lagging []int64 `json:"lagging_ids"`
		}
		r.json(t, &pr)
		if pr.Node.Kind != "district" || pr.Node.ID != fx.own.district {
			t.Errorf("the district's progress is judged at %s %d", pr.Node.Kind, pr.Node.ID)
		}
		got := map[int64]bool{}
		for _, ch := range pr.Children {
			if ch.Kind != "school" || !want[ch.ID] {
				t.Errorf("the district's progress lists %s %d, not a school of the district", ch.Kind, ch.ID)
			}
			got[ch.ID] = true
		}
		if len(got) != len(want) || got[fx.other.school] {
			t.Errorf("the district's progress lists schools %v, want its %d schools", got, len(want))
		}
		for _, id := range pr.Lagging {
			if !got[id] {
				t.Errorf("lagging school %d is not one of the district's", id)
			}
		}
		if n := containsAny(r.body, fx.other.structure); n != "" {
			t.Errorf("the district's progress names %q", n)
		}
		// Coverage by school: the district's schools only.
		r = d.get("/api/v1/home-school/coverage?by=school")
		hsCheckKeys(t, "/api/v1/home-school/coverage", r)
		var cov struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		r.json(t, &cov)
		for _, x := range cov.Items {
			if !want[x.ID] {
				t.Errorf("the district's coverage lists school %d of another district", x.ID)
			}
		}
		// The city sees both districts.
		r = e.as(t, "city").get("/api/v1/home-school/progress")
		var cityView struct {
			Children []struct {
				ID int64 `json:"id"`
			} `json:"children"`
		}
		r.json(t, &cityView)
		ids := map[int64]bool{}
		for _, ch := range cityView.Children {
			ids[ch.ID] = true
		}
		if !ids[fx.own.district] || !ids[fx.other.district] {
			t.Errorf("the city's progress lists districts %v, want %d and %d among them", ids, fx.own.district, fx.other.district)
		}
	})
}

// ---- the semester report names no pupil ----------------------------------------------------

func TestSchoolReportNamesNoPupil(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		ctx := context.Background()
		// A visit with a concern of this test's class, so the report has
		// something of it to count.
		hc := hsNewClass(t, e, 2)
		r := hc.cl.sendJSON("POST", "/api/v1/home-visits", fmt.Sprintf(`{"student_id":%d,"visited_on":%q,"mode":"in_person","visitors":[%d],
			"family":"stable","living":"both_parents","concerns":["mood"],"pass_concern":true}`, hc.pupils[0], hsTermDay(time.Now().UTC()), hc.teacher))
		wantStatus(t, r, 201)

		// Every pupil of the demo school with a name of three or more
		// characters, the other positions' pupils and the test's class.
		var names []string
		for off := 0; ; off += 500 {
			rows, total, err := e.st.ListStudents(ctx, store.SystemActor, city, store.StudentFilter{SchoolID: fx.own.school, Offset: off, Limit: 500})
			must(t, err)
			for _, x := range rows {
				if utf8.RuneCountInString(x.Name) >= 3 {
					names = append(names, x.Name)
				}
			}
			if len(rows) == 0 || off+len(rows) >= total {
				break
			}
		}
		for _, p := range []*position{fx.own, fx.classmate, fx.sibling, fx.other} {
			names = append(names, p.students...)
		}
		names = append(names, hc.names...)

		principal := e.as(t, "principal")
		for _, path := range []string{"/home-school/report", fmt.Sprintf("/home-school/report?school=%d", fx.own.school), "/home-school"} {
			r := principal.get(path)
			wantStatus(t, r, 200)
			if n := containsAny(r.body, names); n != "" {
				t.Errorf("%s: the report names the pupil %q", r, n)
			}
		}
		for _, path := range []string{"/home-school/report.xlsx", fmt.Sprintf("/home-school/report.xlsx?school=%d", fx.own.school)} {
			r := principal.get(path)
			if r.status != 200 {
				t.Fatalf("%s: want 200", r)
			}
			if ct := r.header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") {
				t.Errorf("%s: Content-Type %q", r, ct)
			}
			wb := readXLSX(t, path, r.body)
			if len(wb.rows) < 2 {
				t.Errorf("%s: the workbook has %d rows", path, len(wb.rows))
			}
			for _, n := range names {
				if strings.Contains(wb.text, n) {
					t.Errorf("%s: the workbook names the pupil %q", path, n)
					break
				}
			}
			if len(wb.formulas) > 0 {
				t.Errorf("%s: the workbook carries formulas %v", path, wb.formulas)
			}
		}
		// Another school's principal reaches neither.
		name, _, pw := e.newUser(t, "hs-principal-b", authz.At(authz.Principal, fx.sibling.school))
		other := e.fresh(t, name, pw)
		for _, path := range []string{fmt.Sprintf("/home-school/report?school=%d", fx.own.school), fmt.Sprintf("/home-school/report.xlsx?school=%d", fx.own.school)} {
			wantStatus(t, other.get(path), 404)
		}
		// A class teacher has no school report.
		wantStatus(t, hc.cl.get("/home-school/report.xlsx"), 404)
	})
}

// ---- reminders on the home page -------------------------------------------------------------

func TestClassTeachersHomePageRemindsOfUnvisitedFamilies(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		hc := hsNewClass(t, e, 2)
		link := fmt.Sprintf(`href="/classes/%d/visits"`, hc.id)
		r := hc.cl.get("/")
		wantStatus(t, r, 200)
		body := string(r.body)
		if !strings.Contains(body, `id="home-homeschool"`) || !strings.Contains(body, `data-kind="unvisited"`) || !strings.Contains(body, link) {
			t.Fatalf("%s: the home page shows no reminder of the class's unvisited families", r)
		}
		r = hc.cl.get("/api/v1/home-school/reminders")
		hsCheckKeys(t, "/api/v1/home-school/reminders", r)
		type reminder struct {
			Kind  string `json:"kind"`
			URL   string `json:"url"`
			Count int    `json:"count"`
		}
		var rem struct {
			Items []reminder `json:"items"`
		}
		r.json(t, &rem)
		if !slices.ContainsFunc(rem.Items, func(x reminder) bool {
			return x.Kind == "unvisited" && x.Count == 2 && x.URL == fmt.Sprintf("/classes/%d/visits", hc.id)
		}) {
			t.Errorf("the reminders do not count the class's 2 unvisited pupils: %s", r)
		}

		// Once every family is visited, the reminder goes.
		today := hsToday(t)
		for _, p := range hc.pupils {
			if r := hc.cl.postForm(fmt.Sprintf("/classes/%d/visits", hc.id), hsVisitValues(p, today, hc.teacher)); r.status != 303 {
				t.Fatalf("%s: want 303", r)
			}
		}
		if r := hc.cl.get("/"); strings.Contains(string(r.body), link) {
			t.Errorf("the home page still reminds of a class whose families are all visited")
		}
	})
}

// ---- the dashboard by role ------------------------------------------------------------------

func TestHomeSchoolDashboardByRole(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		// A class teacher works from their class's sheet.
		r := e.as(t, "classteacher").get("/home-school")
		if r.status != 303 || r.header.Get("Location") != fmt.Sprintf("/classes/%d/visits", fx.own.class) {
			t.Errorf("%s: want 303 to the class's sheet", r)
		}
		for _, who := range []string{"principal", "schooladmin", "psych", "district", "city", "auditor"} {
			wantStatus(t, e.as(t, who).get("/home-school"), 200)
			wantStatus(t, e.as(t, who).get("/home-school/report"), 200)
		}
		for _, who := range []string{"teacher", "agency", "sysadmin", noAssignUser} {
			for _, path := range []string{"/home-school", "/home-school/report", "/home-school/report.xlsx", "/api/v1/home-school/progress"} {
				wantStatus(t, e.as(t, who).get(path), 404)
			}
		}
		// The principal's dashboard is their school's; another school's is
		// not found.
		p := e.as(t, "principal")
		wantStatus(t, p.get(fmt.Sprintf("/home-school?school=%d", fx.own.school)), 200)
		for _, path := range []string{fmt.Sprintf("/home-school?school=%d", fx.sibling.school), fmt.Sprintf("/home-school?district=%d", fx.own.district),
			fmt.Sprintf("/api/v1/home-school/progress?school_id=%d", fx.sibling.school)} {
			r := p.get(path)
			wantStatus(t, r, 404)
			if n := containsAny(r.body, fx.sibling.structure); n != "" {
				t.Errorf("%s: the refusal names %q", r, n)
			}
		}
	})
}

// ---- the activity form --------------------------------------------------------------------

func TestActivityFormRefusesBadInputWithTheFieldNamed(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		school := e.fx.own.school
		admin := e.as(t, "schooladmin")
		day := hsTermDay(time.Now().UTC())
		form := func(change func(url.Values)) url.Values {
			v := url.Values{"school_id": {itoa(school)}, "kind": {"practice"}, "held_on": {day}, "topic": {"家访测试亲子实践" + hsSuffix()},
				"speaker": {"测试讲师"}, "parents": {"25"}, "grades": {"1", "2"}}
			change(v)
			return v
		}
		for _, tc := range []struct {
			name, field string
			form        url.Values
		}{
			{"a date in the future", "held_on", form(func(v url.Values) { v.Set("held_on", hsFuture()) })},
			{"a date in the summer holiday", "held_on", form(func(v url.Values) { v.Set("held_on", hsHoliday(t, e)) })},
			{"parents that are no number", "parents", form(func(v url.Values) { v.Set("parents", "很多") })},
			{"negative parents", "parents", form(func(v url.Values) { v.Set("parents", "-3") })},
			{"a grade that is no number", "grades", form(func(v url.Values) { v["grades"] = []string{"一年级"} })},
			{"a grade the school has not got", "grades", form(func(v url.Values) { v["grades"] = []string{"12"} })},
			{"no topic", "topic", form(func(v url.Values) { v.Set("topic", "") })},
			{"a kind that is none", "kind", form(func(v url.Values) { v.Set("kind", "banquet") })},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := hsStoredActivities(t, e, school)
				r := admin.postForm("/home-school/activities", tc.form)
				hsWantFormProblem(t, r, tc.field)
				if after := hsStoredActivities(t, e, school); after != before {
					t.Errorf("%d activities stored after the refusal, %d before", after, before)
				}
			})
		}
		t.Run("the same activity twice", func(t *testing.T) {
			f := form(func(url.Values) {})
			before := hsStoredActivities(t, e, school)
			r := admin.postForm("/home-school/activities", f)
			if r.status != 303 {
				t.Fatalf("%s: want 303", r)
			}
			id, _ := strconv.ParseInt(r.header.Get("Location")[strings.LastIndex(r.header.Get("Location"), "-")+1:], 10, 64)
			defer admin.postForm(fmt.Sprintf("/home-school/activities/%d/delete", id), nil)
			hsWantFormProblem(t, admin.postForm("/home-school/activities", f), "topic")
			if after := hsStoredActivities(t, e, school); after != before+1 {
				t.Errorf("%d activities stored, want %d", after, before+1)
			}
		})
		// Another school's activity through the form: not found.
		sib := form(func(v url.Values) { v.Set("school_id", itoa(e.fx.sibling.school)) })
		before := hsStoredActivities(t, e, e.fx.sibling.school)
		wantStatus(t, admin.postForm("/home-school/activities", sib), 404)
		if after := hsStoredActivities(t, e, e.fx.sibling.school); after != before {
			t.Errorf("another school's activity stored through the form")
		}
	})
}

// ---- visits are audited -----------------------------------------------------------------

func TestVisitReadsAndWritesAreAudited(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		hc := hsNewClass(t, e, 1)
		pupil := hc.pupils[0]
		note := "家访测试：只记在家访里的话" + hsSuffix()
		check := func(what string, do func() *response, action, objType string, objID int64) {
			t.Helper()
			head := auditHead(t, e)
			r := do()
			if r.status >= 300 {
				t.Errorf("%s: %s", what, r)
			}
			es := auditSince(t, e, store.AuditFilter{ActorID: hc.userID, Action: action}, head)
			if !slices.ContainsFunc(es, func(x audit.Entry) bool { return x.ObjectType == objType && x.ObjectID == objID }) {
				t.Errorf("%s: no audit entry %s on %s %d", what, action, objType, objID)
			}
			for _, x := range auditSince(t, e, store.AuditFilter{ActorID: hc.userID}, head) {
				if strings.Contains(entryText(x), hc.names[0]) || strings.Contains(entryText(x), note) {
					t.Errorf("%s: the audit entry %q holds the pupil's name or the note", what, entryText(x))
				}
			}
		}
		check("the sheet page", func() *response { return hc.cl.get(fmt.Sprintf("/classes/%d/visits", hc.id)) },
			"homeschool.class_sheet_read", "class", hc.id)
		check("the sheet through the API", func() *response { return hc.cl.get(fmt.Sprintf("/api/v1/classes/%d/visits", hc.id)) },
			"homeschool.class_sheet_read", "class", hc.id)
		check("a visit recorded", func() *response {
			return hc.cl.sendJSON("POST", "/api/v1/home-visits", fmt.Sprintf(`{"student_id":%d,"visited_on":%q,"mode":"phone","visitors":[%d],
				"family":"stable","living":"both_parents","note":%q}`, pupil, hsTermDay(time.Now().UTC()), hc.teacher, note))
		}, "homeschool.visit_recorded", "student", pupil)
		check("the pupil's history through the API", func() *response { return hc.cl.get(fmt.Sprintf("/api/v1/students/%d/visits", pupil)) },
			"homeschool.visits_read", "student", pupil)
		check("the pupil's history page", func() *response { return hc.cl.get(fmt.Sprintf("/students/%d/visits", pupil)) },
			"homeschool.visits_read", "student", pupil)
	})
}

package web_test

// Plan targets and training from the outside (issue 5): a teacher sees
// only their own record; the named staff a school still lacks reach the
// school, its district and the city only; the progress API and the /plan
// page show the same figures; attendance, certificates and targets refuse
// bad input with the row or field named and store nothing; a submitted
// certificate is confirmed by its school only.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/store"
)

// ---- helpers --------------------------------------------------------------------

// ownStaffID is the staff record the seed links the account to.
func ownStaffID(t *testing.T, e *env, username string) int64 {
	t.Helper()
	id, err := e.st.StaffIDOf(context.Background(), e.fx.users[username])
	must(t, err)
	if id == 0 {
		t.Fatalf("the seed links %s to no staff record", username)
	}
	return id
}

// staffIDsIn collects every "staff_id" of a JSON value.
func staffIDsIn(v any, out map[int64]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			if n, ok := y.(float64); ok && k == "staff_id" {
				out[int64(n)] = true
			}
			staffIDsIn(y, out)
		}
	case []any:
		for _, y := range x {
			staffIDsIn(y, out)
		}
	}
}

// wantStatus fails the test unless r answered want.
func wantStatus(t *testing.T, r *response, want int) {
	t.Helper()
	if r.status != want {
		t.Errorf("%s: want %d", r, want)
	}
}

// hasDetail reports whether an API error names field (with code, when
// code is not "").
func hasDetail(ae apiErr, field, code string) bool {
	return slices.ContainsFunc(ae.Details, func(d errDetail) bool { return d.Field == field && (code == "" || d.Code == code) })
}

// ---- 1. a teacher sees only their own record --------------------------------------

func TestTeacherSeesOnlyOwnTrainingRecord(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		fx := e.fx
		me := ownStaffID(t, e, "teacher")
		teacher := e.as(t, "teacher")

		r := teacher.get("/api/v1/me/training")
		if r.status != 200 {
			t.Fatalf("%s: want 200", r)
		}
		var rec struct {
			StaffID    int64  `json:"staff_id"`
			Name       string `json:"name"`
			SchoolID   int64  `json:"school_id"`
			Attendance []struct {
				SessionID int64 `json:"session_id"`
			} `json:"attendance"`
			Certificates []struct {
				StaffID int64 `json:"staff_id"`
			} `json:"certificates"`
		}
		r.json(t, &rec)
		want, err := e.st.TrainingOf(ctx, city, 0, me)
		must(t, err)
		if rec.StaffID != me || rec.Name != want.Name || rec.SchoolID != want.SchoolID {
			t.Errorf("the record is of staff %d %q at school %d, want the teacher's own: %d %q at %d",
				rec.StaffID, rec.Name, rec.SchoolID, me, want.Name, want.SchoolID)
		}
		if len(rec.Attendance) != len(want.Attendance) || len(rec.Certificates) != len(want.Certificates) {
			t.Errorf("%d sessions and %d certificates, the store holds %d and %d for the teacher",
				len(rec.Attendance), len(rec.Certificates), len(want.Attendance), len(want.Certificates))
		}
		if len(rec.Attendance) == 0 {
			t.Errorf("the demo teacher has no training in the record: the seed's history is missing")
		}
		var v any
		r.json(t, &v)
		ids := map[int64]bool{}
		staffIDsIn(v, ids)
		if len(ids) != 1 || !ids[me] {
			t.Errorf("the record names staff %v, want only the teacher's own %d", ids, me)
		}
		for _, p := range []*position{fx.own, fx.sibling, fx.other} {
			names := slices.DeleteFunc(slices.Clone(p.staffNames), func(n string) bool { return n == want.Name })
			if n := containsAny(r.body, names); n != "" {
				t.Errorf("the teacher's own record holds another person's name %q", n)
			}
		}

		// The page shows the same person.
		r = teacher.get("/me/training")
		wantStatus(t, r, 200)
		if !strings.Contains(string(r.body), want.Name) {
			t.Errorf("/me/training does not name the teacher %q", want.Name)
		}

		// Nobody else's record, no school figures, no named gaps: a
		// teacher holds D6 "own" only, so every such request is not found.
		for _, path := range []string{
			fmt.Sprintf("/staff/%d/training", fx.own.staff), // a colleague of the same school
			fmt.Sprintf("/staff/%d/training", fx.sibling.staff),
			fmt.Sprintf("/staff/%d/training", fx.other.staff),
			"/plan",
			fmt.Sprintf("/plan?school=%d", fx.own.school),
			fmt.Sprintf("/plan/targets/%s?school=%d", planTargetCode, fx.own.school),
			fmt.Sprintf("/plan/targets/%s/gaps.xlsx?school=%d", planTargetCode, fx.own.school),
			fmt.Sprintf("/certificates?school=%d", fx.own.school),
			"/api/v1/plan/progress",
			fmt.Sprintf("/api/v1/plan/progress?school_id=%d", fx.own.school),
			fmt.Sprintf("/api/v1/plan/targets/%s/gaps?school_id=%d", planTargetCode, fx.own.school),
			fmt.Sprintf("/api/v1/certificates?school_id=%d", fx.own.school),
			fmt.Sprintf("/api/v1/training/sessions/%d/attendance", fx.own.session),
		} {
			r := teacher.get(path)
			wantStatus(t, r, 404)
			if n := containsAny(r.body, fx.own.staffNames); n != "" {
				t.Errorf("%s: the refusal names %q", r, n)
			}
		}
	})
}

// ---- 2. named gaps: the school, its district, the city ----------------------------

type planResult struct {
	Target     string  `json:"target"`
	Unit       string  `json:"unit"`
	Goal       float64 `json:"goal"`
	Actual     float64 `json:"actual"`
	Population int     `json:"population"`
	Met        int     `json:"met"`
	Status     string  `json:"status"`
}

type planNodeResults struct {
	Kind    string       `json:"kind"`
	ID      int64        `json:"id"`
	Name    string       `json:"name"`
	Results []planResult `json:"results"`
}

type planProgress struct {
	At       string            `json:"at"`
	Node     planNodeResults   `json:"node"`
	Children []planNodeResults `json:"children"`
}

type gapList struct {
	Items []struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		SchoolID int64  `json:"school_id"`
	} `json:"items"`
	Total int `json:"total"`
}

// staffTargets are the codes of the stored staff targets judged as a
// percentage (their gaps are the people who do not meet them).
func staffTargets(t *testing.T, e *env) []string {
	t.Helper()
	ts, err := e.st.Targets(context.Background())
	must(t, err)
	var out []string
	for _, x := range ts {
		if x.Population.Subject == "staff" && x.Threshold.Percent > 0 {
			out = append(out, x.Code)
		}
	}
	if len(out) == 0 {
		t.Fatal("no staff target is stored")
	}
	return out
}

// laggingTarget is a staff target that school has people missing for, as
// the city reads the progress: its code and how many are missing.
func laggingTarget(t *testing.T, e *env, school int64) (string, int) {
	t.Helper()
	r := e.as(t, "city").get(fmt.Sprintf("/api/v1/plan/progress?school_id=%d", school))
	if r.status != 200 {
		t.Fatalf("%s", r)
	}
	var p planProgress
	r.json(t, &p)
	staff := staffTargets(t, e)
	best, most := "", 0
	for _, res := range p.Node.Results {
		if slices.Contains(staff, res.Target) && res.Population-res.Met > most {
			best, most = res.Target, res.Population-res.Met
		}
	}
	if best == "" {
		t.Fatalf("school %d meets every staff target: no gaps to name", school)
	}
	return best, most
}

func TestNamedGapsOnlyForTheSchoolItsDistrictAndTheCity(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		fx := e.fx
		// A throwaway principal of the sibling school: a school B of the
		// same district with a principal of its own.
		sibPrincipal, _, sibPassword := e.newUser(t, "gaps-principal-b", authz.At(authz.Principal, fx.sibling.school))
		schools := map[string]*position{"own": fx.own, "sibling": fx.sibling, "other": fx.other}
		seen := map[string][]string{ // who sees the names of which school
			"city":        {"own", "sibling", "other"},
			"district":    {"own", "sibling"},
			"principal":   {"own"},
			"schooladmin": {"own"},
			sibPrincipal:  {"sibling"},
		}
		for _, name := range []string{"psych", "classteacher", "teacher", "auditor", "sysadmin", "agency", noAssignUser} {
			seen[name] = nil
		}
		type gap struct {
			code    string
			missing int
		}
		gaps := map[string]gap{}
		for pos, p := range schools {
			code, n := laggingTarget(t, e, p.school)
			gaps[pos] = gap{code, n}
		}
		for who, allowed := range seen {
			var c *client
			if who == sibPrincipal {
				c = e.fresh(t, who, sibPassword)
			} else {
				c = e.as(t, who)
			}
			for _, pos := range []string{"own", "sibling", "other"} {
				p, g := schools[pos], gaps[pos]
				ok := slices.Contains(allowed, pos)
				where := fmt.Sprintf("%s, school %s, target %s", who, pos, g.code)
				api := c.get(fmt.Sprintf("/api/v1/plan/targets/%s/gaps?school_id=%d", g.code, p.school))
				page := c.get(fmt.Sprintf("/plan/targets/%s?school=%d", g.code, p.school))
				xlsx := c.get(fmt.Sprintf("/plan/targets/%s/gaps.xlsx?school=%d", g.code, p.school))
				if !ok {
					for _, r := range []*response{api, page, xlsx} {
						if r.status != 404 {
							t.Errorf("%s: %s: want 404", where, r)
						}
					}
					continue
				}
				for _, r := range []*response{api, page, xlsx} {
					if r.status != 200 {
						t.Errorf("%s: %s: want 200", where, r)
					}
				}
				if api.status != 200 {
					continue
				}
				var l gapList
				api.json(t, &l)
				if len(l.Items) != g.missing || l.Total != g.missing {
					t.Errorf("%s: %d people named (total %d), the progress says %d are missing", where, len(l.Items), l.Total, g.missing)
				}
				staff, _, err := e.st.ListStaff(ctx, city, store.StaffFilter{SchoolID: p.school, Limit: 500})
				must(t, err)
				for _, x := range l.Items {
					if x.SchoolID != p.school || !slices.ContainsFunc(staff, func(s model.Staff) bool { return s.ID == x.ID && s.Name == x.Name }) {
						t.Errorf("%s: named %d %q of school %d, not a member of staff of school %d", where, x.ID, x.Name, x.SchoolID, p.school)
					}
					if page.status == 200 && !strings.Contains(string(page.body), x.Name) {
						t.Errorf("%s: the page does not name %q, whom the API names", where, x.Name)
					}
				}
			}
		}
	})
}

// ---- 3. the same numbers through the API and the page ------------------------------

var (
	planRowRE   = regexp.MustCompile(`(?s)<tr id="target-[^"]*" data-target="([^"]+)">(.*?)</tr>`)
	planChildRE = regexp.MustCompile(`(?s)<tr class="[^"]*" data-node="([a-z]+-[0-9]+)">(.*?)</tr>`)
	planCellRE  = regexp.MustCompile(`(?s)<td data-target="([^"]+)">(.*?)</td>`)
	planFieldRE = regexp.MustCompile(`data-field="(goal|actual|met)"[^>]*>([^<]*)<`)
	planStatRE  = regexp.MustCompile(`data-status="([a-z_]+)"`)
)

// shownCell is a result as the page shows it.
type shownCell struct {
	Goal, Actual, Met, Status string
}

// pageCell reads a fragment of the plan page: the figures it shows.
func pageCell(frag string) shownCell {
	var c shownCell
	for _, m := range planFieldRE.FindAllStringSubmatch(frag, -1) {
		v := strings.TrimSpace(m[2])
		switch m[1] {
		case "goal":
			c.Goal = v
		case "actual":
			c.Actual = v
		case "met":
			c.Met = v
		}
	}
	if m := planStatRE.FindStringSubmatch(frag); m != nil {
		c.Status = m[1]
	}
	return c
}

// figure is a number as the page shows it: a percentage with one decimal
// ("–" when nobody is in the population), a count whole.
func figure(unit string, v float64, population int, actual bool) string {
	if unit == "count" {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	if actual && population == 0 {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "%"
}

// apiCell is what the page must show for an API result; goal and met only
// where the page shows them (the node's rows; a child's met when anyone is
// in the population).
func apiCell(res planResult, node bool) shownCell {
	c := shownCell{Actual: figure(res.Unit, res.Actual, res.Population, true), Status: res.Status}
	if node {
		c.Goal = figure(res.Unit, res.Goal, res.Population, false)
	}
	if node || res.Population > 0 {
		c.Met = fmt.Sprintf("%d / %d", res.Met, res.Population)
	}
	return c
}

func TestPlanProgressSameThroughTheAPIAndThePage(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		for _, tc := range []struct {
			who, api, page, kind, child string
		}{
			{"city", "/api/v1/plan/progress", "/plan", "city", "district"},
			{"district", fmt.Sprintf("/api/v1/plan/progress?district_id=%d", fx.own.district), fmt.Sprintf("/plan?district=%d", fx.own.district),
				"district", "school"},
			{"district", "/api/v1/plan/progress", "/plan", "district", "school"}, // the official's own district by default
			{"city", fmt.Sprintf("/api/v1/plan/progress?district_id=%d", fx.other.district), fmt.Sprintf("/plan?district=%d", fx.other.district),
				"district", "school"},
			{"principal", "/api/v1/plan/progress", "/plan", "school", ""},
		} {
			t.Run(tc.who+" "+tc.page, func(t *testing.T) {
				c := e.as(t, tc.who)
				ra, rp := c.get(tc.api), c.get(tc.page)
				if ra.status != 200 || rp.status != 200 {
					t.Fatalf("%s; %s: want 200 both", ra, rp)
				}
				var p planProgress
				ra.json(t, &p)
				if p.Node.Kind != tc.kind {
					t.Fatalf("the API answers for a %s, want a %s", p.Node.Kind, tc.kind)
				}
				html := string(rp.body)
				if !strings.Contains(html, p.At) {
					t.Errorf("the page is not as of %s, the API's day", p.At)
				}
				rows := map[string]shownCell{}
				var order []string
				for _, m := range planRowRE.FindAllStringSubmatch(html, -1) {
					rows[m[1]] = pageCell(m[2])
					order = append(order, m[1])
				}
				if len(p.Node.Results) == 0 {
					t.Fatal("no targets judged")
				}
				var apiOrder []string
				for _, res := range p.Node.Results {
					apiOrder = append(apiOrder, res.Target)
					want := apiCell(res, true)
					if got, ok := rows[res.Target]; !ok {
						t.Errorf("target %s: not on the page", res.Target)
					} else if got != want {
						t.Errorf("target %s at the %s: the page shows %+v, the API %+v", res.Target, tc.kind, got, want)
					}
				}
				if !slices.Equal(order, apiOrder) {
					t.Errorf("the page lists targets %v, the API %v", order, apiOrder)
				}

				children := map[string]map[string]shownCell{}
				for _, m := range planChildRE.FindAllStringSubmatch(html, -1) {
					cells := map[string]shownCell{}
					for _, cm := range planCellRE.FindAllStringSubmatch(m[2], -1) {
						cells[cm[1]] = pageCell(cm[2])
					}
					children[m[1]] = cells
				}
				if len(children) != len(p.Children) {
					t.Errorf("the page has %d %ss, the API %d", len(children), tc.child, len(p.Children))
				}
				if tc.child != "" && len(p.Children) == 0 {
					t.Errorf("a %s without %ss", tc.kind, tc.child)
				}
				for _, ch := range p.Children {
					key := fmt.Sprintf("%s-%d", ch.Kind, ch.ID)
					cells, ok := children[key]
					if ch.Kind != tc.child || !ok {
						t.Errorf("%s %q (%s): not on the page as a %s", ch.Kind, ch.Name, key, tc.child)
						continue
					}
					for _, res := range ch.Results {
						if got, want := cells[res.Target], apiCell(res, false); got != want {
							t.Errorf("%s %q, target %s: the page shows %+v, the API %+v", ch.Kind, ch.Name, res.Target, got, want)
						}
					}
				}
			})
		}
	})
}

// ---- 4. bad input: nothing stored -------------------------------------------------

// testSession creates, through the store, a one-day session of a new
// course organised by the city, for a test to record attendance in.
func testSession(t *testing.T, e *env, title string) int64 {
	t.Helper()
	ctx := context.Background()
	course, err := e.st.CreateCourse(ctx, store.SystemActor, store.Course{Title: title, Level: "general", Hours: 4, Mode: "offline"})
	must(t, err)
	sess, err := e.st.CreateTrainingSession(ctx, store.SystemActor, store.TrainingSession{CourseID: course, StartsOn: "2025-11-03", EndsOn: "2025-11-03"})
	must(t, err)
	return sess
}

func attendanceCount(t *testing.T, e *env, sess int64) int {
	t.Helper()
	list, err := e.st.SessionAttendance(context.Background(), city, sess)
	must(t, err)
	return len(list)
}

func TestAttendanceRefusesBadInputAndStoresNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		fx := e.fx
		sess := testSession(t, e, "测试：考勤校验课程")
		staff, _, err := e.st.ListStaff(ctx, city, store.StaffFilter{SchoolID: fx.own.school, Limit: 500})
		must(t, err)
		if len(staff) < 2 {
			t.Fatal("the demo school has fewer than two staff")
		}
		a, b := staff[0].ID, staff[1].ID
		outside := fx.sibling.staff
		admin := e.as(t, "schooladmin") // records its own school's staff (D6 write)
		path := fmt.Sprintf("/api/v1/training/sessions/%d/attendance", sess)
		item := func(id int64, hours float64) string {
			return fmt.Sprintf(`{"staff_id":%d,"passed":true,"hours":%g}`, id, hours)
		}
		items := func(xs ...string) string { return `{"items":[` + strings.Join(xs, ",") + `]}` }

		refuse := func(t *testing.T, body, field, code string) {
			t.Helper()
			before := attendanceCount(t, e, sess)
			r := admin.sendJSON("POST", path, body)
			if r.status != 400 {
				t.Fatalf("%s: want 400", r)
			}
			ae := errorShape(t, r)
			if !hasDetail(ae, field, code) {
				t.Errorf("%s: the error does not name %s (%s): %+v", r, field, code, ae.Details)
			}
			if after := attendanceCount(t, e, sess); after != before {
				t.Errorf("%d attendance rows stored by a refused request", after-before)
			}
		}
		t.Run("negative hours", func(t *testing.T) {
			refuse(t, items(item(a, 2), item(b, -1)), "items[1].hours", "train.err_hours_negative")
		})
		t.Run("30 hours on a one-day session", func(t *testing.T) {
			refuse(t, items(item(a, 30)), "items[0].hours", "train.err_hours_absurd")
		})
		t.Run("the same person twice", func(t *testing.T) {
			refuse(t, items(item(a, 2), item(a, 2)), "items[1].staff_id", "train.err_twice")
		})
		t.Run("a person outside scope", func(t *testing.T) {
			refuse(t, items(item(a, 2), item(outside, 2)), "items[1].staff_id", "err.out_of_scope")
		})
		t.Run("hours credited for a failed attendance", func(t *testing.T) {
			refuse(t, items(fmt.Sprintf(`{"staff_id":%d,"passed":false,"hours":3}`, a)), "items[0].hours", "train.err_hours_failed")
		})
		t.Run("a session attended twice", func(t *testing.T) {
			r := admin.sendJSON("POST", path, items(item(a, 4)))
			if r.status != 201 {
				t.Fatalf("%s: the first attendance is refused, want 201", r)
			}
			if n := attendanceCount(t, e, sess); n != 1 {
				t.Fatalf("%d rows after the first attendance, want 1", n)
			}
			// A new person first, then the one already recorded: neither is stored.
			refuse(t, items(item(b, 4), item(a, 4)), "items[1].staff_id", "train.err_twice")
		})
		t.Run("the form names the row", func(t *testing.T) {
			before := attendanceCount(t, e, sess)
			r := admin.postForm(fmt.Sprintf("/training/sessions/%d/attendance", sess), url.Values{
				"row_staff_0": {itoa(b)}, "row_hours_0": {"2"}, "row_passed_0": {"1"},
				"row_staff_1": {itoa(b)}, "row_hours_1": {"-2"}, "row_passed_1": {"1"}})
			if r.status != 400 {
				t.Fatalf("%s: want 400", r)
			}
			if row := fmt.Sprintf("第 2 行（工号 %d）", b); !strings.Contains(textOf(r.body), row) {
				t.Errorf("%s: the page does not name the row %q", r, row)
			}
			if after := attendanceCount(t, e, sess); after != before {
				t.Errorf("%d attendance rows stored by a refused form", after-before)
			}
		})
	})
}

func TestCertificateRefusesBadInputAndStoresNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		fx := e.fx
		teacher := e.as(t, "teacher")
		count := func() int {
			n := 0
			for _, school := range []int64{fx.own.school, fx.other.school} {
				list, err := e.st.ListCertificates(ctx, city, school, "")
				must(t, err)
				n += len(list)
			}
			return n
		}
		future := time.Now().AddDate(0, 0, 3).Format("2006-01-02")
		for _, tc := range []struct {
			name, body, field, code string
		}{
			// MATRIX-C-0 is the fixture's C certificate of the demo school.
			{"a duplicate number", `{"kind":"C","number":"MATRIX-C-0","issuer":"测试","issued_on":"2024-01-01"}`, "number", "cert.err_duplicate"},
			{"a date in the future", `{"kind":"C","number":"TEST-FUTURE-1","issuer":"测试","issued_on":"` + future + `"}`, "issued_on", "cert.err_future"},
			{"a date before 1990", `{"kind":"C","number":"TEST-OLD-1","issuer":"测试","issued_on":"1980-01-01"}`, "issued_on", "cert.err_date"},
			{"an unknown kind", `{"kind":"D","number":"TEST-KIND-1","issuer":"测试","issued_on":"2024-01-01"}`, "kind", "cert.err_kind"},
			{"a person outside scope", fmt.Sprintf(`{"staff_id":%d,"kind":"C","number":"TEST-SCOPE-1","issuer":"测试","issued_on":"2024-01-01"}`,
				fx.other.staff), "staff_id", "err.out_of_scope"},
			{"a colleague (a teacher submits their own only)", fmt.Sprintf(`{"staff_id":%d,"kind":"C","number":"TEST-SCOPE-2","issuer":"测试","issued_on":"2024-01-01"}`,
				fx.own.staff), "staff_id", "err.out_of_scope"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := count()
				r := teacher.sendJSON("POST", "/api/v1/certificates", tc.body)
				if r.status != 400 {
					t.Fatalf("%s: want 400", r)
				}
				if ae := errorShape(t, r); !hasDetail(ae, tc.field, tc.code) {
					t.Errorf("%s: the error does not name %s (%s): %+v", r, tc.field, tc.code, ae.Details)
				}
				if after := count(); after != before {
					t.Errorf("%d certificates stored by a refused request", after-before)
				}
			})
		}
	})
}

func TestTargetSaveRefusesAnInvalidTargetNamingTheField(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cityC := e.as(t, "city")
		target := func(code string, edit func(m map[string]any)) map[string]any {
			m := map[string]any{
				"code": code, "plan": "测试", "clause": "测试条款", "title": map[string]any{"zh-CN": "测试目标", "en": "Test target"},
				"population": map[string]any{"subject": "staff", "posts": []any{"class_teacher"}},
				"condition":  map[string]any{"kind": "cert_at_least", "level": "C"},
				"threshold":  map[string]any{"percent": 50},
				"start":      "2026-09-01", "deadline": "2030-12-31",
			}
			if edit != nil {
				edit(m)
			}
			return m
		}
		enc := func(v any) string {
			b, err := json.Marshal(v)
			must(t, err)
			return string(b)
		}
		stored := func() []string {
			ts, err := e.st.Targets(ctx)
			must(t, err)
			var out []string
			for _, x := range ts {
				out = append(out, x.Code)
			}
			return out
		}
		before := stored()
		cases := []struct {
			name, body, field string
		}{
			{"a level that is not A, B or C", enc(target("test-bad-level", func(m map[string]any) {
				m["condition"] = map[string]any{"kind": "cert_at_least", "level": "Z"}
			})), "condition.level"},
			{"an unknown post", enc(target("test-bad-post", func(m map[string]any) {
				m["population"] = map[string]any{"subject": "staff", "posts": []any{"class_teacher", "astronaut"}}
			})), "population.posts[1]"},
			{"a percentage above 100", enc(target("test-bad-percent", func(m map[string]any) {
				m["threshold"] = map[string]any{"percent": 150}
			})), "threshold.percent"},
			{"a misspelt key", strings.Replace(enc(target("test-bad-key", nil)), `"threshold"`, `"treshold"`, 1), "treshold"},
			{"hours on a certificate target", enc(target("test-bad-hours", func(m map[string]any) {
				m["condition"] = map[string]any{"kind": "cert_at_least", "level": "C", "hours": 8}
			})), "condition.hours"},
			// A valid target and an invalid one: neither is stored.
			{"the second of two", enc([]any{target("test-good-first", nil), target("test-bad-second", func(m map[string]any) {
				m["condition"] = map[string]any{"kind": "cert_at_least", "level": "Z"}
			})}), "[1].condition.level"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := cityC.sendJSON("POST", "/api/v1/plan/targets", tc.body)
				if r.status != 400 {
					t.Fatalf("%s: want 400", r)
				}
				if ae := errorShape(t, r); !hasDetail(ae, tc.field, "") {
					t.Errorf("%s: the error does not name %s: %+v", r, tc.field, ae.Details)
				}
			})
		}
		t.Run("the editor's form names the path", func(t *testing.T) {
			r := cityC.postForm("/plan/targets", url.Values{"json": {cases[0].body}})
			if r.status != 400 || !strings.Contains(string(r.body), "condition.level") {
				t.Errorf("%s: want 400 naming condition.level", r)
			}
		})
		if after := stored(); !slices.Equal(after, before) {
			t.Errorf("refused documents changed the targets: %v, were %v", after, before)
		}
	})
}

// ---- certificates are confirmed by their school -----------------------------------

func TestCertificateReviewedByTheSchoolOnly(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		fx := e.fx
		teacher, district, principal := e.as(t, "teacher"), e.as(t, "district"), e.as(t, "principal")
		me := ownStaffID(t, e, "teacher")
		statusOf := func(t *testing.T, id int64) string {
			t.Helper()
			list, err := e.st.ListCertificates(ctx, city, fx.own.school, "")
			must(t, err)
			for _, c := range list {
				if c.ID == id {
					if c.StaffID != me {
						t.Errorf("certificate %d is of staff %d, want the teacher's %d", id, c.StaffID, me)
					}
					return c.Status
				}
			}
			t.Fatalf("certificate %d is not stored", id)
			return ""
		}
		submit := func(t *testing.T, number string) int64 {
			t.Helper()
			r := teacher.sendJSON("POST", "/api/v1/certificates", fmt.Sprintf(`{"kind":"B","number":%q,"issuer":"测试","issued_on":"2025-06-01"}`, number))
			if r.status != 201 {
				t.Fatalf("%s: the teacher's own certificate is refused", r)
			}
			var id struct {
				ID int64 `json:"id"`
			}
			r.json(t, &id)
			if s := statusOf(t, id.ID); s != "submitted" {
				t.Fatalf("a new certificate is %s, want submitted", s)
			}
			return id.ID
		}
		// A principal of another school of the district.
		other, _, pw := e.newUser(t, "review-principal-b", authz.At(authz.Principal, fx.sibling.school))
		otherPrincipal := e.fresh(t, other, pw)
		stamp := time.Now().UnixNano() % 1e12

		t.Run("API", func(t *testing.T) {
			id := submit(t, fmt.Sprintf("T-REV-API-%d", stamp))
			for who, c := range map[string]*client{"district": district, "teacher": teacher, "a principal of another school": otherPrincipal, "city": e.as(t, "city")} {
				r := c.sendJSON("POST", fmt.Sprintf("/api/v1/certificates/%d/confirm", id), `{}`)
				if r.status != 404 {
					t.Errorf("%s: %s: want 404", who, r)
				}
			}
			if s := statusOf(t, id); s != "submitted" {
				t.Fatalf("refused confirmations left the certificate %s", s)
			}
			r := principal.sendJSON("POST", fmt.Sprintf("/api/v1/certificates/%d/confirm", id), `{}`)
			wantStatus(t, r, 200)
			if s := statusOf(t, id); s != "confirmed" {
				t.Errorf("after the principal's confirmation the certificate is %s", s)
			}
			r = principal.sendJSON("POST", fmt.Sprintf("/api/v1/certificates/%d/reject", id), `{}`)
			wantStatus(t, r, 404) // reviewed once: no longer submitted
		})
		t.Run("page", func(t *testing.T) {
			id := submit(t, fmt.Sprintf("T-REV-PAGE-%d", stamp))
			for who, c := range map[string]*client{"district": district, "teacher": teacher, "a principal of another school": otherPrincipal} {
				r := c.postForm(fmt.Sprintf("/certificates/%d/confirm", id), url.Values{})
				if r.status != 404 {
					t.Errorf("%s: %s: want 404", who, r)
				}
			}
			r := principal.postForm(fmt.Sprintf("/certificates/%d/confirm", id), url.Values{})
			wantStatus(t, r, 303)
			if loc := r.header.Get("Location"); loc != "/certificates?done=confirmed" {
				t.Errorf("the confirmation returns to %q", loc)
			}
			if s := statusOf(t, id); s != "confirmed" {
				t.Errorf("after the principal's confirmation the certificate is %s", s)
			}
		})
	})
}

package web_test

// Field-level access (SECURITY-TESTS T1.3): what each role gets inside a
// response it may have. Names are masked in lists for roles that do not
// need them (张*明), ID numbers show their last four characters, contact
// details reach only roles with D2, a subject teacher gets names only, and
// every JSON response's keys stay within the fields its endpoint documents.

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"huhang/internal/authz"
	"huhang/internal/privacy"
	"huhang/internal/seed"
	"huhang/internal/store"
)

type studentItem struct {
	ID        int64  `json:"id"`
	ClassID   int64  `json:"class_id"`
	Name      string `json:"name"`
	Masked    bool   `json:"masked"`
	StudentNo string `json:"student_no"`
}

type studentList struct {
	Items []map[string]any `json:"items"`
	Total int              `json:"total"`
}

// realNames maps student id → full name for a class (read from the store).
func realNames(t *testing.T, e *env, class int64) map[int64]string {
	t.Helper()
	rows, _, err := e.st.ListStudents(context.Background(), store.SystemActor, city, store.StudentFilter{ClassID: class, Limit: 500})
	must(t, err)
	out := map[int64]string{}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	if len(out) == 0 {
		t.Fatalf("class %d has no pupils", class)
	}
	return out
}

func itemOf(t *testing.T, m map[string]any) studentItem {
	t.Helper()
	b, _ := json.Marshal(m)
	var x studentItem
	must(t, json.Unmarshal(b, &x))
	return x
}

var maskedID = regexp.MustCompile(`^\*{14}[0-9X]{4}$`)

func TestStudentFieldsByRole(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		listKeys := []string{"id", "school_id", "class_id", "class_name", "student_no", "name", "masked", "gender", "status"}
		detailKeys := append(slices.Clone(listKeys), "school_name", "birth_date", "contact")

		t.Run("class teacher sees full names of their class and contact details of one pupil, ID masked", func(t *testing.T) {
			c := e.as(t, "classteacher")
			names := realNames(t, e, fx.own.class)
			r := c.get(fmt.Sprintf("/api/v1/students?class_id=%d", fx.own.class))
			if r.status != 200 {
				t.Fatalf("%s", r)
			}
			var l studentList
			r.json(t, &l)
			if len(l.Items) != len(names) {
				t.Errorf("list has %d pupils, the class %d", len(l.Items), len(names))
			}
			for _, m := range l.Items {
				if extra := extraKeys(m, listKeys...); extra != nil {
					t.Errorf("list item has keys %v beyond %v", extra, listKeys)
				}
				x := itemOf(t, m)
				if x.Masked || x.Name != names[x.ID] {
					t.Errorf("pupil %d: name %q masked=%v, want the full name", x.ID, x.Name, x.Masked)
				}
			}
			if strings.Contains(string(r.body), `"contact"`) || strings.Contains(string(r.body), `"id_number"`) {
				t.Errorf("a list carries contact details: %s", r)
			}

			r = c.get(fmt.Sprintf("/api/v1/students/%d", fx.own.student))
			if r.status != 200 {
				t.Fatalf("%s", r)
			}
			var d map[string]any
			r.json(t, &d)
			if extra := extraKeys(d, detailKeys...); extra != nil {
				t.Errorf("detail has keys %v beyond %v", extra, detailKeys)
			}
			contact, ok := d["contact"].(map[string]any)
			if !ok {
				t.Fatalf("class teacher (D2 read on own class) gets no contact: %s", r)
			}
			if extra := extraKeys(contact, "id_number", "categories", "guardians"); extra != nil {
				t.Errorf("contact has keys %v", extra)
			}
			id, _ := contact["id_number"].(string)
			if !maskedID.MatchString(id) || !strings.HasSuffix(fx.own.idNumber, id[len(id)-4:]) {
				t.Errorf("id_number %q, want 14 asterisks and the last four of the real number", id)
			}
			if strings.Contains(string(r.body), fx.own.idNumber) || strings.Contains(string(r.body), fx.own.idNumber[:14]) {
				t.Errorf("the full ID number is in the response")
			}
			if gs, _ := contact["guardians"].([]any); len(gs) > 0 {
				for _, g := range gs {
					if extra := extraKeys(g.(map[string]any), "name", "relation", "phone"); extra != nil {
						t.Errorf("guardian has keys %v", extra)
					}
				}
			}

			// Another class of the same school is not theirs.
			r = c.get(fmt.Sprintf("/api/v1/students?class_id=%d", fx.classmate.class))
			r.json(t, &l)
			if r.status != 200 || len(l.Items) != 0 || l.Total != 0 {
				t.Errorf("another class's list for a class teacher: %s", r)
			}
			if r := c.get(fmt.Sprintf("/api/v1/students/%d", fx.classmate.student)); r.status != 404 {
				t.Errorf("a pupil of another class: %s", r)
			}
		})

		t.Run("subject teacher gets class-team names only and cannot open a pupil", func(t *testing.T) {
			c := e.as(t, "teacher")
			names := realNames(t, e, fx.ownTeam.class)
			r := c.get(fmt.Sprintf("/api/v1/students?class_id=%d", fx.ownTeam.class))
			if r.status != 200 {
				t.Fatalf("%s", r)
			}
			var l studentList
			r.json(t, &l)
			if len(l.Items) == 0 {
				t.Fatalf("no pupils: %s", r)
			}
			allowed := []string{"id", "school_id", "class_id", "class_name", "name", "masked", "status"}
			for _, m := range l.Items {
				if extra := extraKeys(m, allowed...); extra != nil {
					t.Errorf("subject teacher's list item has %v (names only: D1 limited)", extra)
				}
				x := itemOf(t, m)
				if x.Name != names[x.ID] {
					t.Errorf("pupil %d: name %q, want %q", x.ID, x.Name, names[x.ID])
				}
			}
			// The pages obey the same field rule as the API: no student
			// numbers (nor genders) for a names-only role.
			rows, _, err := e.st.ListStudents(context.Background(), store.SystemActor, city, store.StudentFilter{ClassID: fx.ownTeam.class, Limit: 500})
			must(t, err)
			for _, path := range []string{fmt.Sprintf("/classes/%d", fx.ownTeam.class), fmt.Sprintf("/students?class=%d", fx.ownTeam.class)} {
				r := c.get(path)
				if r.status != 200 {
					t.Errorf("%s", r)
					continue
				}
				for _, x := range rows {
					if x.StudentNo != "" && strings.Contains(string(r.body), x.StudentNo) {
						t.Errorf("%s shows a subject teacher (D1 names only) the student number %q", path, x.StudentNo)
						break
					}
				}
			}
			if r := c.get(fmt.Sprintf("/api/v1/students/%d", fx.ownTeam.student)); r.status != 404 {
				t.Errorf("subject teacher opens a pupil: %s", r)
			}
			if r := c.get(fmt.Sprintf("/students/%d", fx.ownTeam.student)); r.status != 404 {
				t.Errorf("subject teacher opens a pupil's page: %s", r)
			}
		})

		t.Run("principal sees masked names in lists and the full name of one opened pupil", func(t *testing.T) {
			c := e.as(t, "principal")
			names := realNames(t, e, fx.own.class)
			r := c.get(fmt.Sprintf("/api/v1/students?class_id=%d", fx.own.class))
			if r.status != 200 {
				t.Fatalf("%s", r)
			}
			var l studentList
			r.json(t, &l)
			for _, m := range l.Items {
				x := itemOf(t, m)
				if !x.Masked || x.Name != privacy.MaskName(names[x.ID]) || x.Name == names[x.ID] {
					t.Errorf("pupil %d: name %q masked=%v, want %q", x.ID, x.Name, x.Masked, privacy.MaskName(names[x.ID]))
				}
			}
			if n := containsAny(r.body, fx.own.students); n != "" {
				t.Errorf("the masked list holds the full name %q", n)
			}
			// The class page and the students page mask the same way.
			for _, path := range []string{fmt.Sprintf("/classes/%d", fx.own.class), fmt.Sprintf("/students?class=%d", fx.own.class)} {
				r := c.get(path)
				if r.status != 200 {
					t.Errorf("%s", r)
				}
				if n := containsAny(r.body, fx.own.students); n != "" {
					t.Errorf("%s shows the full name %q to a principal", path, n)
				}
			}
			r = c.get(fmt.Sprintf("/api/v1/students/%d", fx.own.student))
			var d map[string]any
			r.json(t, &d)
			if d["name"] != names[fx.own.student] || d["masked"] != false {
				t.Errorf("opened pupil: name %v masked %v, want the full name", d["name"], d["masked"])
			}
			if _, ok := d["contact"]; !ok {
				t.Errorf("principal (D2 read) gets no contact")
			}
		})

		t.Run("officials and others get no roster", func(t *testing.T) {
			for _, who := range []string{"district", "city", "auditor", "sysadmin", "agency", noAssignUser} {
				c := e.as(t, who)
				for _, path := range []string{"/api/v1/students", fmt.Sprintf("/api/v1/students?class_id=%d", fx.own.class),
					fmt.Sprintf("/api/v1/students/%d", fx.own.student), "/students"} {
					if r := c.get(path); r.status != 404 {
						t.Errorf("%s: %s", who, r)
					}
				}
			}
		})
	})
}

// ---- key sets of every JSON read, per role (T1.3) ---------------------------

var (
	countsKeys = []string{"students", "female", "male", "suppressed", "categories", "categories.*"}
	listKeys   = []string{"items", "total", "offset", "limit"}
	asgKeys    = []string{"id", "role", "district_id", "school_id", "class_id", "agency_id"}
	importKeys = []string{"id", "kind", "school_id", "district_id", "user_id", "username", "file_name", "file_sha256", "status",
		"rows_total", "rows_new", "rows_updated", "rows_unchanged", "rows_error", "created_at", "committed_at"}

	// Screening. A campaign and its figures (D0, and tier cells: D3
	// aggregates, protected).
	campaignKeys       = []string{"id", "name", "district_id", "school_id", "school_year", "semester", "instruments", "instruments[]", "opens_at", "closes_at", "status", "created_at"}
	screeningCountKeys = []string{"participants", "consent_given", "consent_refused", "consent_pending", "submitted", "flagged", "green", "yellow", "orange", "red", "critical"}
	// tierCountKeys are the health cells of the figures: a class teacher
	// ("flag only") may meet them only blanked to 0.
	tierCountKeys = []string{"flagged", "green", "yellow", "orange", "red", "critical"}
	// A pupil's result: D3 (tier, reasons, validity flags) for the
	// principal and the psychology teacher; scores (D4) for the latter.
	resultKeys = []string{"participant_id", "student_id", "class_id", "school_id", "class_name", "consent", "state", "tier", "critical",
		"flags", "flags[]", "reasons", "reasons[]", "submitted_at", "name", "masked", "tier_name", "submitted"}
	scoreKeys = prefixed("scores[]", "instrument", "score", "subscales", "subscales.*", "positive", "positive[]", "band", "tier", "score_tier",
		"critical", "critical[]")
	// An alert: who, where, how urgent and its steps. student_name is
	// masked for officials who see it by escalation.
	alertKeys = []string{"id", "campaign_id", "student_id", "district_id", "school_id", "class_id", "school_name", "class_name", "severity",
		"reason", "level", "state", "raised_at", "due_at", "seen_at", "acknowledged_at", "closed_at", "outcome", "unread", "student_name",
		"overdue", "level_name"}
	// An alert's history; a note only for the school's own viewers.
	alertEventKeys = []string{"at", "actor_id", "actor_name", "action", "level", "note"}
)

// campaignFigures are a campaign's keys with its totals.
func campaignFigures() []string {
	return append(slices.Clone(campaignKeys), prefixed("total", screeningCountKeys...)...)
}

func prefixed(prefix string, keys ...string) []string {
	out := []string{strings.TrimSuffix(prefix, "[]")}
	for _, k := range keys {
		out = append(out, prefix+"."+k)
	}
	return out
}

func listOfKeys(item ...string) []string {
	return append(slices.Clone(listKeys), prefixed("items[]", item...)...)
}

func withCounts(keys ...string) []string { return append(keys, prefixed("counts", countsKeys...)...) }

var (
	planResultKeys = []string{"target", "title", "unit", "goal", "actual", "population", "met", "status", "projected", "trend", "start", "deadline"}
	sessionKeys    = []string{"id", "course_id", "course", "level", "district_id", "school_id", "starts_on", "ends_on", "place", "provider", "trainer", "attendees"}
	attendanceKeys = []string{"session_id", "staff_id", "name", "school_id", "school_name", "passed", "hours", "school_year", "course", "ends_on"}
	certKeys       = []string{"id", "staff_id", "staff_name", "school_id", "kind", "number", "issuer", "issued_on", "evidence_name", "status"}
)

// allowedKeys is every key path each JSON read may answer with: a field
// appears here only because ACCESS.md lets some role see it.
var allowedKeys = map[string][]string{
	"/api/v1/me":                   append([]string{"id", "username", "display_name", "locale", "totp_enabled"}, prefixed("assignments[]", asgKeys...)...),
	"/api/v1/districts":            listOfKeys(withCounts("id", "code", "name", "kind", "schools", "classes")...),
	"/api/v1/districts/{id}":       withCounts("id", "code", "name", "kind", "schools", "classes"),
	"/api/v1/schools":              listOfKeys(withCounts("id", "district_id", "code", "name", "type", "address", "classes", "staff")...),
	"/api/v1/schools/{id}":         withCounts("id", "district_id", "code", "name", "type", "address", "classes", "staff"),
	"/api/v1/schools/{id}/classes": listOfKeys(withCounts("id", "school_id", "district_id", "start_year", "grade", "number", "name")...),
	"/api/v1/classes/{id}":         withCounts("id", "school_id", "district_id", "start_year", "grade", "number", "name"),
	"/api/v1/students":             listOfKeys("id", "school_id", "class_id", "class_name", "student_no", "name", "masked", "gender", "status"),
	"/api/v1/students/{id}": append([]string{"id", "school_id", "class_id", "class_name", "student_no", "name", "masked", "gender", "status",
		"school_name", "birth_date"}, append(prefixed("contact", "id_number", "categories", "categories[]"),
		prefixed("contact.guardians[]", "name", "relation", "phone")...)...),
	"/api/v1/staff":        listOfKeys("id", "school_id", "name", "gender", "phone", "posts", "posts[]", "posts[].post", "posts[].class_id"),
	"/api/v1/staff/{id}":   {"id", "school_id", "name", "gender", "phone", "posts", "posts[]", "posts[].post", "posts[].class_id"},
	"/api/v1/agencies":     listOfKeys("id", "kind", "name"),
	"/api/v1/school-years": listOfKeys("id", "start_year", "label", "semester1_start", "semester1_end", "semester2_start", "semester2_end"),
	"/api/v1/users": listOfKeys(append([]string{"id", "username", "display_name", "disabled", "totp_enabled", "last_login_at"},
		prefixed("assignments[]", asgKeys...)...)...),
	"/api/v1/audit": listOfKeys("seq", "at", "actor_id", "actor_role", "ip", "action", "object_type", "object_id", "school_id",
		"district_id", "outcome", "detail", "hash"),
	"/api/v1/imports": listOfKeys(importKeys...),
	// An import with its job and problems (row, column and message: never
	// a cell's value).
	"/api/v1/imports/{id}": append(append(slices.Clone(importKeys), prefixed("job", "phase", "done", "total", "percent", "finished",
		"format", "error", "counts", "counts.rows_total", "counts.rows_new", "counts.rows_updated", "counts.rows_unchanged", "counts.rows_error")...),
		prefixed("problems[]", "row", "column", "code", "message", "notice")...),
	"/api/v1/openapi.json": nil, // a document, not data

	"/api/v1/screening/instruments": listOfKeys("code", "name", "version", "licence", "source", "respondent", "items", "min_age", "max_age",
		"critical_items"),
	"/api/v1/screening/campaigns": listOfKeys(campaignFigures()...),
	"/api/v1/screening/campaigns/{id}": append(append(campaignFigures(), "by"), append(prefixed("rows[]", "id", "name"),
		prefixed("rows[].counts", screeningCountKeys...)...)...),
	"/api/v1/screening/campaigns/{id}/results": listOfKeys(append(slices.Clone(resultKeys), scoreKeys...)...),
	"/api/v1/alerts":      listOfKeys(alertKeys...),
	"/api/v1/alerts/{id}": append(prefixed("alert", alertKeys...), prefixed("history[]", alertEventKeys...)...),

	"/api/v1/plan/progress": append(append([]string{"at", "node", "node.kind", "node.id", "node.name"}, prefixed("node.results[]", planResultKeys...)...),
		append([]string{"children", "children[].kind", "children[].id", "children[].name"}, prefixed("children[].results[]", planResultKeys...)...)...),
	"/api/v1/plan/targets": listOfKeys("code", "plan", "clause", "title", "title.zh-CN", "title.en", "population", "population.subject",
		"population.posts", "population.posts[]", "population.school_types", "population.school_types[]", "condition", "condition.kind",
		"condition.level", "condition.hours", "condition.activity_types", "condition.activity_types[]", "condition.min", "threshold",
		"threshold.percent", "threshold.count", "recurring", "start", "deadline"),
	"/api/v1/plan/targets/{code}/gaps":          listOfKeys("id", "name", "school_id", "school_name", "posts", "posts[]"),
	"/api/v1/training/courses":                  listOfKeys("id", "title", "level", "topic", "hours", "mode", "assessment"),
	"/api/v1/training/sessions":                 listOfKeys(sessionKeys...),
	"/api/v1/training/sessions/{id}/attendance": listOfKeys(attendanceKeys...),
	"/api/v1/me/training": append(append([]string{"staff_id", "name", "school_id", "school_name", "posts", "posts[]", "hours_goal", "hours_by_year",
		"hours_by_year[].school_year", "hours_by_year[].hours", "attendance", "certificates"},
		prefixed("attendance[]", "session_id", "course", "ends_on", "school_year", "passed", "hours")...), prefixed("certificates[]", certKeys...)...),
	"/api/v1/certificates": listOfKeys(certKeys...),
}

// keyPaths lists the key paths of a JSON value: "a.b" for objects, "a[]"
// for array elements; the keys of a counts.categories map read "*".
func keyPaths(v any, prefix string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			name := k
			if strings.HasSuffix(prefix, "categories") && !strings.Contains(prefix, "contact") || strings.HasSuffix(prefix, "subscales") {
				name = "*"
			}
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			out[p] = true
			keyPaths(val, p, out)
		}
	case []any:
		p := prefix + "[]"
		for _, val := range x {
			if _, scalar := val.(string); scalar {
				out[p] = true
				continue
			}
			keyPaths(val, p, out)
		}
	}
}

// TestJSONKeySetsByRole asks every JSON read as every role (aimed at the
// role's own records) and checks each answer's keys against allowedKeys,
// with the narrower sets some roles get.
func TestJSONKeySetsByRole(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		specs := routeSpecs()
		for _, a := range seed.Accounts {
			c := e.as(t, a.Username)
			p := e.fx.own
			if a.Role == authz.Teacher {
				p = e.fx.ownTeam
			}
			for _, ri := range e.srv.Routes() {
				if !ri.API || ri.Method != "GET" {
					continue
				}
				allowed, known := allowedKeys[ri.Pattern]
				if !known {
					t.Errorf("JSON read %s has no allowed key set: add one to allowedKeys", ri.Pattern)
					continue
				}
				if allowed == nil {
					continue
				}
				rs := specs[ri.Method+" "+ri.Pattern]
				// Alerts: the demo school's alert escalated to the city,
				// which every role that may see alerts sees.
				path := expandPath(rs.path, p, "own@city")
				r := c.get(path)
				if r.status != 200 {
					continue // refusals are the matrix's business
				}
				var v any
				r.json(t, &v)
				got := map[string]bool{}
				keyPaths(v, "", got)
				allow := slices.Clone(allowed)
				switch {
				case ri.Pattern == "/api/v1/students" && accessTable[a.Role][authz.D1] < authz.Read:
					// Names of class-team pupils only.
					allow = slices.DeleteFunc(allow, func(k string) bool {
						return k == "items[].student_no" || k == "items[].gender"
					})
				case ri.Pattern == "/api/v1/students/{id}" && accessTable[a.Role][authz.D2] < authz.Read:
					allow = slices.DeleteFunc(allow, func(k string) bool { return strings.HasPrefix(k, "contact") })
				}
				allow = narrowScreeningKeys(a.Role, allow)
				if accessTable[a.Role][authz.D3] == authz.Limited {
					checkTiersBlanked(t, path+" as "+a.Username, v)
				}
				var extra []string
				for k := range got {
					if !slices.Contains(allow, k) {
						extra = append(extra, k)
					}
				}
				sort.Strings(extra)
				if extra != nil {
					t.Errorf("%s as %s: keys %v are not in the allowed set", path, a.Username, extra)
				}
			}
		}
	})
}

// narrowScreeningKeys removes from allowed the screening keys role may
// not receive (ACCESS.md): scores without D4 read; a pupil's tier,
// reasons and validity flags without D3 read (a class teacher has the
// flag only, and officials aggregates); an alert's notes without D3 read
// (officials see escalated alerts, not the school's notes).
func narrowScreeningKeys(role authz.Role, allowed []string) []string {
	d3, d4 := accessTable[role][authz.D3], accessTable[role][authz.D4]
	return slices.DeleteFunc(allowed, func(k string) bool {
		switch {
		case d4 < authz.Read && strings.HasPrefix(k, "items[].scores"):
			return true
		case d3 < authz.Read && k == "history[].note":
			return true
		case d3 < authz.Read && slices.ContainsFunc([]string{"tier", "tier_name", "critical", "reasons", "flags"}, func(x string) bool {
			return k == "items[]."+x || strings.HasPrefix(k, "items[]."+x+"[")
		}):
			return true
		}
		return false
	})
}

// checkTiersBlanked fails unless every tier cell in v (a campaign's
// figures) is 0: what a class teacher, who has the attention flag only,
// may be shown in place of tier counts.
func checkTiersBlanked(t *testing.T, where string, v any) {
	t.Helper()
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				walk(k, val)
			}
		case []any:
			for _, val := range x {
				walk(key, val)
			}
		case float64:
			if slices.Contains(tierCountKeys, key) && x != 0 {
				t.Errorf("%s: tier cell %q is %v; a class teacher has the attention flag only", where, key, x)
			}
		}
	}
	walk("", v)
}

// TestScreeningFieldsByRole checks, beyond the key sets, what must never
// reach a role inside the screening answers it may have (T1.3): scores
// only for the psychology teacher, no tiers for a class teacher, and for
// officials alerts with masked names and no notes.
func TestScreeningFieldsByRole(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		ctx := context.Background()
		results := fmt.Sprintf("/api/v1/screening/campaigns/%d/results", fx.own.campaign)

		t.Run("the principal gets tiers and masked names, never scores", func(t *testing.T) {
			r := e.as(t, "principal").get(results)
			if r.status != 200 {
				t.Fatalf("%s", r)
			}
			var l struct{ Items []map[string]any }
			r.json(t, &l)
			if len(l.Items) == 0 {
				t.Fatalf("no results: %s", r)
			}
			tiers := 0
			for _, it := range l.Items {
				if _, ok := it["scores"]; ok {
					t.Errorf("a principal gets scores (D4): %v", it)
				}
				if it["tier_name"] != nil {
					tiers++
				}
				if it["masked"] != true {
					t.Errorf("a principal's list shows a full name: %v", it["name"])
				}
			}
			if tiers == 0 {
				t.Errorf("a principal (D3 read) gets no tiers: %s", r)
			}
			for _, bad := range []string{`"scores"`, `"score"`, `"answers"`, `"subscales"`} {
				if strings.Contains(string(r.body), bad) {
					t.Errorf("the principal's results hold %s", bad)
				}
			}
			if n := containsAny(r.body, fx.own.students); n != "" {
				t.Errorf("the principal's results hold the full name %q", n)
			}
		})

		t.Run("the psychology teacher gets scores of submitted pupils", func(t *testing.T) {
			r := e.as(t, "psych").get(results)
			var l struct {
				Items []struct {
					ParticipantID int64            `json:"participant_id"`
					Submitted     bool             `json:"submitted"`
					Scores        []map[string]any `json:"scores"`
				}
			}
			r.json(t, &l)
			found := false
			for _, it := range l.Items {
				if it.ParticipantID == fx.own.part {
					found = true
					if !it.Submitted || len(it.Scores) == 0 {
						t.Errorf("participant %d: submitted %v with scores %v", it.ParticipantID, it.Submitted, it.Scores)
					}
				}
			}
			if !found {
				t.Errorf("participant %d is not in the psychology teacher's results", fx.own.part)
			}
		})

		t.Run("a class teacher gets blanked tier cells and no results", func(t *testing.T) {
			c := e.as(t, "classteacher")
			for _, path := range []string{"/api/v1/screening/campaigns", fmt.Sprintf("/api/v1/screening/campaigns/%d", fx.own.campaign)} {
				r := c.get(path)
				if r.status != 200 {
					t.Fatalf("%s", r)
				}
				var v any
				r.json(t, &v)
				checkTiersBlanked(t, path, v)
				got := map[string]bool{}
				keyPaths(v, "", got)
				for k := range got {
					last := k[strings.LastIndex(k, ".")+1:]
					if slices.Contains([]string{"tier", "tier_name", "scores", "score", "answers", "reasons"}, last) {
						t.Errorf("%s: a class teacher gets key %s", path, k)
					}
				}
			}
			for _, path := range []string{results, fmt.Sprintf("/api/v1/alerts/%d", fx.own.alerts[alertAtSchool])} {
				if r := c.get(path); r.status != 404 {
					t.Errorf("a class teacher: %s", r)
				}
			}
		})

		t.Run("officials get escalated alerts with masked names, no notes, no scores", func(t *testing.T) {
			all := store.AlertScope{Direct: city}
			for _, who := range []string{"district", "city"} {
				c := e.as(t, who)
				if r := c.get(results); r.status != 404 {
					t.Errorf("%s reads named results: %s", who, r)
				}
				for _, path := range []string{"/api/v1/alerts?state=all", fmt.Sprintf("/api/v1/alerts/%d", fx.own.alerts[alertAtCity])} {
					r := c.get(path)
					if r.status != 200 {
						t.Fatalf("%s: %s", who, r)
					}
					var v struct {
						Items []map[string]any
						Alert map[string]any
					}
					r.json(t, &v)
					items := v.Items
					if v.Alert != nil {
						items = append(items, v.Alert)
					}
					if len(items) == 0 {
						t.Fatalf("%s sees no escalated alert: %s", who, r)
					}
					for _, it := range items {
						id := int64(it["id"].(float64))
						a, _, err := e.st.GetAlert(ctx, all, id, false)
						must(t, err)
						shown, _ := it["student_name"].(string)
						if !strings.Contains(shown, "*") || shown != privacy.MaskName(a.StudentName) || strings.Contains(string(r.body), a.StudentName) {
							t.Errorf("%s %s: alert %d shows the pupil as %q, want masked %q", who, path, id, shown, privacy.MaskName(a.StudentName))
						}
					}
					for _, bad := range []string{alertNoteCanary, `"note"`, `"scores"`, `"answers"`} {
						if strings.Contains(string(r.body), bad) {
							t.Errorf("%s %s: the answer holds %s", who, path, bad)
						}
					}
				}
			}
			// The school's own viewers read the full name and the note.
			r := e.as(t, "psych").get(fmt.Sprintf("/api/v1/alerts/%d", fx.own.alerts[alertAtCity]))
			if !strings.Contains(string(r.body), alertNoteCanary) {
				t.Errorf("the psychology teacher does not get the alert's note: %s", r)
			}
		})
	})
}

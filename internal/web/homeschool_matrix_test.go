package web_test

// The access matrix's rows for the home–school routes (issue 6), and the
// keys their JSON reads may carry.
//
// Dashboards, reports, coverage and activity lists are D0 reads, aimed at
// a school (?school=, ?school_id=): a class-bound role has no school and
// answers 404 there. Activity writes belong to the school's recorders (its
// data officer, principal and psychology teacher), visits to those who
// read the class's family data (D2: the class teacher, the school's
// psychology teacher, principal and data officer), concerns to the
// psychology teacher (D5 write).
//
// The one read of a single record, an evidence file's download, aims at
// a file the matrix makes for each school (hsHeldRecords): the school's
// recorders download their own school's, everyone else gets 404.
//
// The writes about one activity, visit or concern aim at an id no record
// has (hsNoRecord), so no request changes a record: 404 for everyone who
// may use the route, 404 for everyone who may not, the login page or 401
// for the anonymous — the same answer, so the route reveals nothing. Each
// such write carries a well-formed body, so the 404 is never mere
// validation. Records made through the store for the purpose are taken
// through those writes in and out of scope in homeschool_test.go.

import (
	"context"
	"fmt"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"huhang/internal/programme"
	"huhang/internal/store"
)

// hsNoRecord is an id no activity, evidence file, visit or concern has.
const hsNoRecord = "987654321"

// hsRecorders is the access of the activity writes (activityRecorders).
const hsRecorders = "D1:write|D3:read"

func init() {
	moreRouteSpecs = append(moreRouteSpecs, homeSchoolRouteSpecs)
	for k, v := range homeSchoolAllowedKeys() {
		if _, dup := allowedKeys[k]; dup {
			panic("allowed keys twice: " + k)
		}
		allowedKeys[k] = v
	}
}

func homeSchoolRouteSpecs() map[string]routeSpec {
	none := "/" + hsNoRecord
	return map[string]routeSpec{
		// Dashboards and reports of a school: D0, the school's own roles,
		// its district and the city.
		"GET /home-school":             {access: "D0:read", path: "/home-school?school={school}", node: nSchool, ok: 200},
		"GET /home-school/report":      {access: "D0:read", path: "/home-school/report?school={school}", node: nSchool, ok: 200},
		"GET /home-school/report.xlsx": {access: "D0:read", path: "/home-school/report.xlsx?school={school}", node: nSchool, ok: 200},
		"GET /home-school/activities":  {access: "D0:read", path: "/home-school/activities?school={school}", node: nSchool, ok: 200},
		// An empty form is refused as invalid where the caller records;
		// elsewhere a well-formed activity of the position's school.
		"POST /home-school/activities": {access: hsRecorders, path: "/home-school/activities", node: nSchool, create: true, form: true,
			ok: 400, bad: hsActivityForm},
		"POST /home-school/activities/{id}/delete": {access: hsRecorders, path: "/home-school/activities" + none + "/delete", form: true,
			ok: 404, body: func(*fixtures, *position) string { return "" }},
		"POST /home-school/activities/{id}/evidence": {access: hsRecorders, path: "/home-school/activities" + none + "/evidence",
			multipart: true, ok: 404, body: hsEvidenceBody},
		// The school's evidence file: its recorders only.
		"GET /home-school/evidence/{id}": {access: hsRecorders, path: "/home-school/evidence/{evidence}", node: nSchool, ok: 200},

		// Visits: the class's family data (D2 read).
		"GET /classes/{id}/visits": {access: "D2:read", path: "/classes/{class}/visits", node: nClass, ok: 200},
		// An empty form names the pupil missing; out of scope, a
		// well-formed visit of the position's pupil.
		"POST /classes/{id}/visits": {access: "D2:read", path: "/classes/{class}/visits", node: nClass, form: true, ok: 400, bad: hsVisitForm},
		"GET /students/{id}/visits": {access: "D2:read", path: "/students/{student}/visits", node: nStudent, ok: 200},
		"POST /visits/{id}/concern": {access: "D2:read", path: "/visits" + none + "/concern", form: true, ok: 404, body: hsConcernPassForm},
		"GET /concerns":             {access: "D5:write", path: "/concerns?state=all", ok: 200},
		"POST /concerns/{id}/take":  {access: "D5:write", path: "/concerns" + none + "/take", form: true, ok: 404, body: func(*fixtures, *position) string { return "" }},
		"POST /concerns/{id}/close": {access: "D5:write", path: "/concerns" + none + "/close", form: true, ok: 404, body: hsCloseForm},
		"GET /api/v1/concerns":      {access: "D5:write", path: "/api/v1/concerns?state=all", ok: 200},
		"POST /api/v1/concerns/{id}/take": {access: "D5:write", path: "/api/v1/concerns" + none + "/take", ok: 404,
			body: func(*fixtures, *position) string { return `{}` }},
		"POST /api/v1/concerns/{id}/close": {access: "D5:write", path: "/api/v1/concerns" + none + "/close", ok: 404,
			body: func(*fixtures, *position) string { return `{"outcome":"talked"}` }},

		// The JSON API.
		"GET /api/v1/home-school/progress": {access: "D0:read", path: "/api/v1/home-school/progress?school_id={school}", node: nSchool, ok: 200},
		"GET /api/v1/home-school/coverage": {access: "D0:read", path: "/api/v1/home-school/coverage?by=class&school_id={school}", node: nSchool,
			ok: 200},
		// A filter out of scope lists nothing.
		"GET /api/v1/home-school/activities": {access: "D0:read", path: "/api/v1/home-school/activities?school_id={school}", node: nSchool,
			list: true, ok: 200},
		"POST /api/v1/home-school/activities": {access: hsRecorders, path: "/api/v1/home-school/activities", node: nSchool, create: true,
			ok: 400, bad: hsActivityJSON},
		"DELETE /api/v1/home-school/activities/{id}": {access: hsRecorders, path: "/api/v1/home-school/activities" + none, ok: 404},
		"GET /api/v1/classes/{id}/visits":            {access: "D2:read", path: "/api/v1/classes/{class}/visits", node: nClass, ok: 200},
		"POST /api/v1/home-visits": {access: "D2:read", path: "/api/v1/home-visits", node: nStudent, create: true, ok: 400,
			bad: hsVisitJSON},
		"GET /api/v1/students/{id}/visits": {access: "D2:read", path: "/api/v1/students/{student}/visits", node: nStudent, ok: 200},
		"POST /api/v1/home-visits/{id}/concern": {access: "D2:read", path: "/api/v1/home-visits" + none + "/concern", ok: 404,
			body: func(*fixtures, *position) string { return `{"message":"矩阵测试：请心理老师关注"}` }},
		"GET /api/v1/home-school/reminders": {access: "signed-in", path: "/api/v1/home-school/reminders", ok: 200},
	}
}

// hsHeldPDF is the evidence file the matrix keeps for each school.
var hsHeldPDF = []byte("%PDF-1.4\n% matrix test held record\n%%EOF\n")

// hsHeldRecords makes, through the store, a parent-school activity of p's
// school with one evidence file, and returns the file's id (heldRecords).
func hsHeldRecords(ctx context.Context, st *store.Store, p *position) (string, error) {
	act, err := st.CreateActivity(ctx, store.SystemActor, city, store.ActivityInput{SchoolID: p.school, Kind: programme.ActGuidance,
		HeldOn: hsTermDay(time.Now().UTC()), Topic: "矩阵测试留存活动 " + p.name, Speaker: "矩阵测试", Parents: 30})
	if err != nil {
		return "", fmt.Errorf("activity: %w", err)
	}
	ev, err := st.AddActivityEvidence(ctx, store.SystemActor, city, act, store.EvidenceInput{Kind: "signin", Name: "矩阵测试留存签到表.pdf",
		Mime: "application/pdf", Body: hsHeldPDF})
	if err != nil {
		return "", fmt.Errorf("evidence: %w", err)
	}
	return itoa(ev), nil
}

// hsTermDay is a day inside a term and not after today (today when it is
// in a term, else the last day of the term before): the date a
// well-formed activity or visit carries. The demo city keeps the standard
// calendar.
func hsTermDay(now time.Time) string {
	var cal programme.Calendar
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	t := cal.TermOf(today)
	p := cal.Period(t)
	if !today.Before(p.Start) && !today.After(p.End) {
		return today.Format(time.DateOnly)
	}
	prev := programme.Term{Year: t.Year, Semester: 1}
	if t.Semester == 1 {
		prev = programme.Term{Year: t.Year - 1, Semester: 2}
	}
	return cal.Period(prev).End.Format(time.DateOnly)
}

// hsActivityForm and hsActivityJSON are a well-formed activity of the
// position's school (a topic no other request uses).
func hsActivityForm(fx *fixtures, p *position) string {
	return url.Values{"school_id": {itoa(p.school)}, "kind": {"guidance"}, "held_on": {hsTermDay(time.Now())},
		"topic": {"矩阵测试家庭教育指导 " + p.name}, "speaker": {"矩阵测试"}, "parents": {"30"}}.Encode()
}

func hsActivityJSON(fx *fixtures, p *position) string {
	return fmt.Sprintf(`{"school_id":%d,"kind":"guidance","held_on":%q,"topic":%q,"speaker":"矩阵测试","parents":30}`,
		p.school, hsTermDay(time.Now()), "矩阵测试家庭教育指导 API "+p.name)
}

// hsVisitForm and hsVisitJSON are a well-formed phone visit of the
// position's pupil by a member of its school's staff. Whether they are on
// the class team is checked only after the pupil is found in scope, so a
// visit wrongly let through the scope check is refused for its visitor
// (400 hs.err_not_on_team), which the matrix reports.
func hsVisitForm(fx *fixtures, p *position) string {
	return url.Values{"student_id": {itoa(p.student)}, "visited_on": {hsTermDay(time.Now())}, "mode": {"phone"},
		"visitors": {itoa(p.staff)}, "family": {"stable"}, "living": {"both_parents"}}.Encode()
}

func hsVisitJSON(fx *fixtures, p *position) string {
	return fmt.Sprintf(`{"student_id":%d,"visited_on":%q,"mode":"phone","visitors":[%d],"family":"stable","living":"both_parents"}`,
		p.student, hsTermDay(time.Now()), p.staff)
}

func hsConcernPassForm(fx *fixtures, p *position) string {
	return url.Values{"concern_message": {"矩阵测试：请心理老师关注"}, "student_id": {itoa(p.student)}}.Encode()
}

func hsCloseForm(*fixtures, *position) string { return url.Values{"outcome": {"talked"}}.Encode() }

// hsEvidenceBody is a small PDF kept as a file of an activity.
func hsEvidenceBody(*fixtures, *position) string {
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	mw.SetBoundary(matrixBoundary)
	mw.WriteField("kind", "file")
	mw.WriteField("faces", "0")
	fw, _ := mw.CreateFormFile("file", "矩阵测试签到表.pdf")
	fw.Write([]byte("%PDF-1.4\n% matrix test\n%%EOF\n"))
	mw.Close()
	return b.String()
}

// ---- the keys of the JSON reads ------------------------------------------------

var (
	// hsCoverageKeys are a coverage's figures: counts of pupils and visits.
	hsCoverageKeys = []string{"pupils", "visited", "percent", "in_person", "phone", "wechat", "visits"}
	hsModeKeys     = []string{"in_person", "phone", "wechat"}
	// hsNodeKeys are a node of the progress answer (hsNodeJSON).
	hsNodeKeys = append(append([]string{"kind", "id", "name", "quotas_behind"}, prefixed("coverage", hsCoverageKeys...)...),
		prefixed("results[]", planResultKeys...)...)
)

// hsForbiddenKeys may never be allowed in a home–school answer: identity
// numbers, screening scores and answers, guardians' contact details.
var hsForbiddenKeys = []string{"id_number", "student_no", "scores", "score", "answers", "subscales", "guardians", "birth_date", "tier"}

func homeSchoolAllowedKeys() map[string][]string {
	return map[string][]string{
		"/api/v1/home-school/progress": append(append(append([]string{"at", "term", "days_left", "final", "lagging_ids"},
			prefixed("node", hsNodeKeys...)...), prefixed("visits_by_mode", hsModeKeys...)...), prefixed("children[]", hsNodeKeys...)...),
		"/api/v1/home-school/coverage": listOfKeys(append([]string{"kind", "id"}, hsCoverageKeys...)...),
		"/api/v1/home-school/activities": listOfKeys(append([]string{"id", "school_id", "district_id", "school_name", "kind", "held_on",
			"term_year", "term_semester", "topic", "speaker", "grades", "parents"}, prefixed("evidence[]", "id", "kind", "name", "mime",
			"size", "faces")...)...),
		// The sheet: the class, its team, its pupils with their key-pupil
		// categories (D2, which the route needs) and coverage counts.
		"/api/v1/classes/{id}/visits": append(append(append(append([]string{"class_id", "class_name", "school_id", "school_name",
			"district_id", "term_start", "term_end", "days_left", "unvisited"}, prefixed("team[]", "staff_id", "name", "post")...),
			prefixed("pupils[]", "student_id", "name", "categories", "categories[]", "visits", "last_on", "modes", "modes[]")...),
			prefixed("coverage", "pupils", "visited", "in_person", "phone", "wechat", "visits")...), prefixed("by_mode", hsModeKeys...)...),
		"/api/v1/students/{id}/visits": listOfKeys("id", "student_id", "class_id", "visited_on", "mode", "visitors", "visitors[]", "family",
			"living", "since_last", "concerns", "concerns[]", "help", "help[]", "note", "concern_state"),
		"/api/v1/concerns": listOfKeys("id", "visit_id", "student_id", "student_name", "school_id", "class_id", "class_name", "kinds", "kinds[]",
			"message", "state", "outcome", "visited_on", "mode", "raised_by", "raised_at"),
		"/api/v1/home-school/reminders": listOfKeys("kind", "text", "url", "count", "urgent"),
	}
}

// TestHomeSchoolKeysHoldNoIdentity: no home–school answer may carry an
// identity number, a student number, a screening score or a guardian.
func TestHomeSchoolKeysHoldNoIdentity(t *testing.T) {
	for pattern, keys := range homeSchoolAllowedKeys() {
		for _, k := range keys {
			last := k[strings.LastIndex(k, ".")+1:]
			if slices.Contains(hsForbiddenKeys, strings.TrimSuffix(last, "[]")) {
				t.Errorf("%s allows key %s", pattern, k)
			}
		}
	}
}

package web_test

// The access-matrix rows of the key-pupil register and the assistance
// lists (assist_routes.go), and the key sets of their JSON reads.
//
// The reads of one list aim at lists the matrix makes for each school
// (assistHeldRecords): a sent list, which the school's D2 readers read
// (its data officer exports it), and a draft, whose suggestions the data
// officer reads. The demo school's list is sent to the demo agency and the
// other schools' to another agency, so the demo agency user reads the demo
// school's list only (node nAgencyList).
//
// The writes about one list aim at a list no database holds (noList), so
// no request changes a list: every caller the route admits gets 404, and
// the refusals (anonymous, the wrong role) are what the row proves. Which
// list each role changes, in and out of its school and agency, is proven
// from the outside in assist_test.go.

import (
	"context"
	"fmt"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
	"time"

	"huhang/internal/model"
	"huhang/internal/store"
)

// noList is an assistance list id no test database reaches.
const noList = "8999999999"

func init() {
	moreRouteSpecs = append(moreRouteSpecs, assistRouteSpecs)
	assistListKeys := []string{"id", "school_id", "school_name", "agency_id", "agency_name", "agency_kind", "title", "state", "channel",
		"created_at", "sent_at", "items", "received", "assisted", "declined", "pending"}
	agencyListKeys := []string{"id", "agency_name", "title", "state", "sent_at", "items", "received", "assisted", "declined", "pending"}
	for k, v := range map[string][]string{
		"/api/v1/key-pupils": listOfKeys("student_id", "school_id", "class_id", "class_name", "name", "masked", "categories",
			"categories[].category", "categories[].since", "categories[].source", "last_on", "cadence_days", "due_on", "overdue", "days_overdue"),
		"/api/v1/key-cadence":  listOfKeys("category", "days"),
		"/api/v1/assist/lists": listOfKeys(assistListKeys...),
		"/api/v1/assist/lists/{id}": append(prefixed("list", assistListKeys...), prefixed("items[]", "id", "student_id", "class_id", "class_name",
			"name", "masked", "category", "help", "detail", "answer", "answer_note", "answered_at")...),
		"/api/v1/assist/lists/{id}/suggestions": listOfKeys("student_id", "class_id", "class_name", "name", "masked", "categories", "categories[]"),
		"/api/v1/assist/stats":                  listOfKeys("school_id", "school_name", "listed", "received", "assisted", "declined", "pending", "withheld"),
		"/api/v1/agency/assist/lists":           listOfKeys(agencyListKeys...),
		// What leaves the school: never an ID number, a student number, a
		// class, screening data or the pupil's other categories.
		"/api/v1/agency/assist/lists/{id}": append(append(prefixed("list", agencyListKeys...), "school_name"), prefixed("items[]", agencyItemKeys...)...),
	} {
		allowedKeys[k] = v
	}
}

// agencyItemKeys are the fields of a listed pupil an agency receives.
var agencyItemKeys = []string{"id", "name", "gender", "school_name", "grade", "category", "help", "detail", "guardian_name", "guardian_phone",
	"answer", "answer_note", "answered_at"}

func assistRouteSpecs() map[string]routeSpec {
	lp := "/assist/" + noList
	ap := "/api/v1/assist/lists/" + noList
	gp := "/agency/assist/" + noList
	return map[string]routeSpec{
		// The register is a list: a class out of scope answers 200 with
		// nothing from it; a pupil's categories are D2 write (the school's
		// data officer), the cadence structure.
		"GET /key-pupils":         {access: "D2:read", path: "/key-pupils?class={class}", node: nClass, list: true, ok: 200},
		"GET /key-pupils/cadence": {access: "D0:read", path: "/key-pupils/cadence", ok: 200},
		// An empty form names no cadence: refused.
		"POST /key-pupils/cadence":           {access: "role:city_official", path: "/key-pupils/cadence", form: true, ok: 400, bad: defaultCadenceForm},
		"GET /students/{id}/key-categories":  {access: "D2:write", path: "/students/{student}/key-categories", node: nStudent, ok: 200},
		"POST /students/{id}/key-categories": {access: "D2:write", path: "/students/{student}/key-categories", node: nStudent, form: true, ok: 400, bad: sameCategoriesForm},
		"GET /api/v1/key-pupils":             {access: "D2:read", path: "/api/v1/key-pupils?class_id={class}", node: nClass, list: true, ok: 200},
		"PATCH /api/v1/students/{id}/key-categories": {access: "D2:write", path: "/api/v1/students/{student}/key-categories", node: nStudent, ok: 400,
			bad: sameCategoriesJSON},
		"GET /api/v1/key-cadence": {access: "D0:read", path: "/api/v1/key-cadence", ok: 200},
		"PUT /api/v1/key-cadence": {access: "role:city_official", path: "/api/v1/key-cadence", ok: 400, bad: defaultCadenceJSON},

		// Assistance lists: a school's lists are a list (a school out of
		// scope answers 200 with nothing); a new list names its school in
		// the body (out of scope: refused for its scope); the figures are
		// D0 aggregates.
		"GET /assist":         {access: "D2:read", path: "/assist?school={school}", node: nSchool, list: true, ok: 200},
		"POST /assist":        {access: "D2:write", path: "/assist", node: nSchool, create: true, form: true, ok: 400, bad: newAssistListForm},
		"GET /assist/summary": {access: "D0:read", path: "/assist/summary", ok: 200},
		// One list of the school (assistHeldRecords): its D2 readers; the
		// writes aim at noList (see above).
		"GET /assist/{id}":                      {access: "D2:read", path: "/assist/{assistlist}", node: nSchool, ok: 200},
		"POST /assist/{id}":                     {access: "D2:write", path: lp, form: true, ok: 404},
		"POST /assist/{id}/items":               {access: "D2:write", path: lp + "/items", form: true, ok: 404},
		"POST /assist/{id}/items/{item}/delete": {access: "D2:write", path: lp + "/items/1/delete", form: true, ok: 404},
		"POST /assist/{id}/send":                {access: "D2:write", path: lp + "/send", form: true, ok: 404},
		"POST /assist/{id}/close":               {access: "D2:write", path: lp + "/close", form: true, ok: 404},
		"GET /assist/{id}/list.xlsx":            {access: "D2:write", path: "/assist/{assistlist}/list.xlsx", node: nSchool, ok: 200},
		"POST /assist/{id}/answers":             {access: "D2:write", path: lp + "/answers", multipart: true, ok: 404, body: answersSheetBody},
		"GET /agency/assist":                    {access: "role:agency_user", path: "/agency/assist", ok: 200},
		"GET /agency/assist/{id}":               {access: "role:agency_user", path: "/agency/assist/{assistlist}", node: nAgencyList, ok: 200},
		"POST /agency/assist/{id}/answers":      {access: "role:agency_user", path: gp + "/answers", form: true, ok: 404},

		"GET /api/v1/assist/lists":      {access: "D2:read", path: "/api/v1/assist/lists?school_id={school}", node: nSchool, list: true, ok: 200},
		"POST /api/v1/assist/lists":     {access: "D2:write", path: "/api/v1/assist/lists", node: nSchool, create: true, ok: 400, bad: newAssistListJSON},
		"GET /api/v1/assist/lists/{id}": {access: "D2:read", path: "/api/v1/assist/lists/{assistlist}", node: nSchool, ok: 200},
		"PATCH /api/v1/assist/lists/{id}": {access: "D2:write", path: ap, ok: 404,
			body: func(fx *fixtures, p *position) string {
				return fmt.Sprintf(`{"title":"矩阵测试名单","agency_id":%d}`, fx.targets.Agency)
			}},
		"GET /api/v1/assist/lists/{id}/suggestions": {access: "D2:write", path: "/api/v1/assist/lists/{assistdraft}/suggestions", node: nSchool, ok: 200},
		"POST /api/v1/assist/lists/{id}/items": {access: "D2:write", path: ap + "/items", ok: 404,
			body: func(fx *fixtures, p *position) string {
				return fmt.Sprintf(`{"items":[{"student_id":%d,"category":"poor","help":"study","detail":""}]}`, p.student)
			}},
		"DELETE /api/v1/assist/lists/{id}/items/{item}": {access: "D2:write", path: ap + "/items/1", ok: 404},
		"POST /api/v1/assist/lists/{id}/send":           {access: "D2:write", path: ap + "/send", ok: 404},
		"POST /api/v1/assist/lists/{id}/close":          {access: "D2:write", path: ap + "/close", ok: 404},
		"POST /api/v1/assist/lists/{id}/answers":        {access: "D2:write", path: ap + "/answers", multipart: true, ok: 404, body: answersSheetBody},
		"GET /api/v1/assist/stats":                      {access: "D0:read", path: "/api/v1/assist/stats", ok: 200},
		"GET /api/v1/agency/assist/lists":               {access: "role:agency_user", path: "/api/v1/agency/assist/lists", ok: 200},
		"GET /api/v1/agency/assist/lists/{id}": {access: "role:agency_user", path: "/api/v1/agency/assist/lists/{assistlist}", node: nAgencyList,
			ok: 200},
		"POST /api/v1/agency/assist/lists/{id}/answers": {access: "role:agency_user", path: "/api/v1/agency/assist/lists/" + noList + "/answers", ok: 404,
			body: func(*fixtures, *position) string { return `{"answers":[{"item_id":1,"answer":"received","note":""}]}` }},
	}
}

// assistHeldRecords makes, through the store, two lists of p's school: a
// draft with no pupils, and a list with one pupil of the school in a
// suggested category, sent to the demo agency from the demo school and to
// another agency from any other school (heldRecords). The pupil is none
// the fixtures aim at or check for leaks: a listed name reaches the agency.
func assistHeldRecords(ctx context.Context, st *store.Store, fx *fixtures, p *position) (list, draft string, err error) {
	agency := fx.targets.Agency
	if p != fx.own {
		ags, err := st.ListAgencies(ctx)
		if err != nil {
			return "", "", err
		}
		i := slices.IndexFunc(ags, func(a model.Agency) bool { return a.ID != agency && slices.Contains(store.AssistAgencyKinds, a.Kind) })
		if i < 0 {
			return "", "", fmt.Errorf("no agency but the demo one takes lists")
		}
		agency = ags[i].ID
	}
	mk := func(title string) (int64, error) {
		return st.CreateAssistList(ctx, store.SystemActor, city, store.AssistListInput{SchoolID: p.school, AgencyID: agency,
			Title: title + " " + p.name})
	}
	d, err := mk("矩阵测试留存草稿")
	if err != nil {
		return "", "", fmt.Errorf("draft: %w", err)
	}
	sg, err := st.AssistSuggestions(ctx, store.SystemActor, city, d)
	if err != nil {
		return "", "", fmt.Errorf("suggestions: %w", err)
	}
	all := []*position{fx.own, fx.ownTeam, fx.classmate, fx.sibling, fx.other}
	free := func(id int64, name string) bool {
		return !slices.ContainsFunc(all, func(q *position) bool { return q.student == id || slices.Contains(q.students, name) })
	}
	item := store.AssistItemInput{Help: "study"}
	if i := slices.IndexFunc(sg, func(x store.AssistSuggestion) bool { return free(x.StudentID, x.Name) }); i >= 0 {
		item.StudentID, item.Category = sg[i].StudentID, string(sg[i].Categories[0])
	} else if item.StudentID, err = assistGivePoor(ctx, st, p, free); err != nil {
		return "", "", err
	} else {
		item.Category = string(model.CatPoor)
	}
	l, err := mk("矩阵测试留存名单")
	if err != nil {
		return "", "", fmt.Errorf("list: %w", err)
	}
	if _, err := st.AddAssistItems(ctx, store.SystemActor, city, l, []store.AssistItemInput{item}); err != nil {
		return "", "", fmt.Errorf("items: %w", err)
	}
	if err := st.SendAssistList(ctx, store.SystemActor, city, l); err != nil {
		return "", "", fmt.Errorf("send: %w", err)
	}
	return itoa(l), itoa(d), nil
}

// assistGivePoor marks, through the store, a free pupil of p's class as
// from a poor family (keeping their other categories), for a school with
// no pupil in difficulty (the sibling school made at small scales), and
// returns the pupil's id.
func assistGivePoor(ctx context.Context, st *store.Store, p *position, free func(int64, string) bool) (int64, error) {
	rows, _, err := st.ListStudents(ctx, store.SystemActor, city, store.StudentFilter{ClassID: p.class, Limit: 500})
	if err != nil {
		return 0, err
	}
	i := slices.IndexFunc(rows, func(r store.StudentRow) bool { return free(r.ID, r.Name) })
	if i < 0 {
		return 0, fmt.Errorf("class %d has no pupil to list", p.class)
	}
	k, err := st.KeyPupilOf(ctx, store.SystemActor, city, rows[i].ID, time.Now())
	if err != nil {
		return 0, err
	}
	in := []store.KeyMarkInput{{Category: string(model.CatPoor), Since: "2020-09-01", Source: "school"}}
	for _, m := range k.Marks {
		if m.Category != model.CatPoor {
			in = append(in, store.KeyMarkInput{Category: string(m.Category)})
		}
	}
	if err := st.SetKeyCategories(ctx, store.SystemActor, city, rows[i].ID, in); err != nil {
		return 0, fmt.Errorf("categories of pupil %d: %w", rows[i].ID, err)
	}
	return rows[i].ID, nil
}

// The shipped cadence, as a form and as JSON (a refused request repeats
// the values, so even a wrongful acceptance changes nothing).
var defaultCadence = []struct {
	cat  string
	days int
}{{"poor", 60}, {"left_behind", 30}, {"single_parent", 60}, {"migrant", 90}, {"orphan", 30}, {"disabled", 60}}

func defaultCadenceForm(*fixtures, *position) string {
	v := url.Values{}
	for _, c := range defaultCadence {
		v.Set("days_"+c.cat, itoa(int64(c.days)))
	}
	return v.Encode()
}

func defaultCadenceJSON(*fixtures, *position) string {
	var parts []string
	for _, c := range defaultCadence {
		parts = append(parts, fmt.Sprintf(`{"category":%q,"days":%d}`, c.cat, c.days))
	}
	return `{"items":[` + strings.Join(parts, ",") + `]}`
}

// sameCategoriesForm and sameCategoriesJSON give the position's pupil the
// categories it holds, without dates or sources (kept as they are).
func sameCategoriesForm(fx *fixtures, p *position) string {
	v := url.Values{"edit": {"1"}}
	if p.student0.Contact != nil {
		for _, c := range p.student0.Contact.Categories {
			v.Set("cat_"+string(c), "1")
		}
	}
	return v.Encode()
}

func sameCategoriesJSON(fx *fixtures, p *position) string {
	parts := []string{}
	if p.student0.Contact != nil {
		for _, c := range p.student0.Contact.Categories {
			parts = append(parts, fmt.Sprintf(`{"category":%q}`, c))
		}
	}
	return `{"categories":[` + strings.Join(parts, ",") + `]}`
}

// newAssistListForm and newAssistListJSON start a list of the position's
// school for the demo agency (well formed: refused only for its scope).
func newAssistListForm(fx *fixtures, p *position) string {
	return url.Values{"school_id": {itoa(p.school)}, "agency_id": {itoa(fx.targets.Agency)}, "title": {"矩阵测试帮扶名单"}}.Encode()
}

func newAssistListJSON(fx *fixtures, p *position) string {
	return fmt.Sprintf(`{"school_id":%d,"agency_id":%d,"title":"矩阵测试帮扶名单"}`, p.school, fx.targets.Agency)
}

// answersSheetBody is a returned answers sheet (CSV) with one well-formed
// row, so a refusal is never about the file.
func answersSheetBody(*fixtures, *position) string {
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	mw.SetBoundary(matrixBoundary)
	fw, _ := mw.CreateFormFile("file", "矩阵测试答复.csv")
	fmt.Fprint(fw, "条目编号,答复,答复说明\r\n1,已接收,矩阵测试\r\n")
	mw.Close()
	return b.String()
}

package web_test

// Key pupils and assistance lists from the outside: a class teacher sees
// only their class's key pupils; an agency user only the lists sent to
// their agency, with only what an agency needs; every JSON endpoint and the
// workbook re-import refuse hostile input with the field (or row and
// column) named and nothing stored.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/store"
)

// assistPupil is a pupil the tests put on lists, with what must never
// reach an agency.
type assistPupil struct {
	id                        int64
	name, studentNo, idNumber string
	className                 string
	guardian, phone           string // the first guardian's, "" without one
}

// assistWorld is what these tests add to an environment's city, once.
type assistWorld struct {
	civil, women int64 // agencies besides the demo one (the 12355 service)
	// Pupils of the demo school's class teacher's class (a, b, c, e1, e2),
	// of another class of the school (mate) and of the sibling school (sib).
	a, b, c, e1, e2, mate, sib assistPupil
	// Lists: A the demo school's to the demo agency (sent), B the sibling
	// school's to civil affairs (sent), C the demo school's to the Women's
	// Federation (sent), D the demo school's draft to the demo agency, E the
	// demo school's to civil affairs (sent; answered through a workbook).
	listA, listB, listC, listD, listE int64
	civilUser, civilPassword          string
}

var (
	assistWorldsMu sync.Mutex
	assistWorlds   = map[*env]*assistWorld{}
)

// uniqueTag makes titles that no other list of the city carries.
func uniqueTag(e *env, s string) string {
	return s + "·" + e.engine + "·" + time.Now().Format("150405.000")
}

// assistSetUp builds the world of these tests through the store, once per
// environment. Lists from the sibling school never go to the demo agency:
// the access matrix checks that the demo agency account sees no other
// school's name.
func assistSetUp(t *testing.T, e *env) *assistWorld {
	t.Helper()
	assistWorldsMu.Lock()
	defer assistWorldsMu.Unlock()
	if w, ok := assistWorlds[e]; ok {
		return w
	}
	ctx := context.Background()
	st, fx := e.st, e.fx
	w := &assistWorld{}
	ags, err := st.ListAgencies(ctx)
	must(t, err)
	for _, a := range ags {
		switch a.Kind {
		case model.AgencyCivil:
			w.civil = a.ID
		case model.AgencyWomen:
			w.women = a.ID
		}
	}
	if w.civil == 0 || w.women == 0 || w.civil == fx.targets.Agency {
		t.Fatalf("the demo city lacks Civil Affairs or the Women's Federation: %+v", ags)
	}
	// Pupils with names unique in the city (so finding one in a body means
	// that pupil leaked), never a position's aimed-at pupil.
	pick := func(class int64, n int, taken ...int64) []assistPupil {
		rows, _, err := st.ListStudents(ctx, store.SystemActor, city, store.StudentFilter{ClassID: class, Limit: 500})
		must(t, err)
		var out []assistPupil
		for _, r := range rows {
			if len(out) == n {
				break
			}
			if r.ID == fx.own.student || r.ID == fx.classmate.student || r.ID == fx.sibling.student || slices.Contains(taken, r.ID) ||
				!uniqueName(ctx, st, r.Name) {
				continue
			}
			d, err := st.GetStudent(ctx, store.SystemActor, city, city, r.ID, true)
			must(t, err)
			p := assistPupil{id: r.ID, name: r.Name, studentNo: r.StudentNo, className: r.ClassName}
			if d.Contact != nil {
				p.idNumber = d.Contact.IDNumber
				if len(d.Contact.Guardians) > 0 {
					p.guardian, p.phone = d.Contact.Guardians[0].Name, d.Contact.Guardians[0].Phone
				}
			}
			out = append(out, p)
		}
		if len(out) < n {
			t.Fatalf("class %d has fewer than %d pupils with unique names", class, n)
		}
		return out
	}
	own := pick(fx.own.class, 5)
	w.a, w.b, w.c, w.e1, w.e2 = own[0], own[1], own[2], own[3], own[4]
	w.mate = pick(fx.classmate.class, 1)[0]
	w.sib = pick(fx.sibling.class, 1)[0]
	for _, p := range []assistPupil{w.a, w.b, w.c, w.e1, w.e2, w.mate, w.sib} {
		addCategory(t, e, p.id, model.CatPoor, "2020-09-01")
	}
	list := func(school, agency int64, title string, send bool, items ...store.AssistItemInput) int64 {
		id, err := st.CreateAssistList(ctx, store.SystemActor, city, store.AssistListInput{SchoolID: school, AgencyID: agency, Title: uniqueTag(e, title)})
		must(t, err)
		_, err = st.AddAssistItems(ctx, store.SystemActor, city, id, items)
		must(t, err)
		if send {
			must(t, st.SendAssistList(ctx, store.SystemActor, city, id))
		}
		return id
	}
	item := func(p assistPupil, detail string) store.AssistItemInput {
		return store.AssistItemInput{StudentID: p.id, Category: "poor", Help: "financial", Detail: detail}
	}
	w.listA = list(fx.own.school, fx.targets.Agency, "测试名单甲", true, item(w.a, "学费困难"), item(w.b, ""))
	w.listB = list(fx.sibling.school, w.civil, "测试名单乙", true, item(w.sib, "兄弟校"))
	w.listC = list(fx.own.school, w.women, "测试名单丙", true, item(w.c, "妇联"))
	w.listD = list(fx.own.school, fx.targets.Agency, "测试名单丁", false, item(w.mate, "草稿"))
	w.listE = list(fx.own.school, w.civil, "测试名单戊", true, item(w.e1, `=HYPERLINK("http://example.invalid/?x","点击")`), item(w.e2, "+1"))
	w.civilUser, _, w.civilPassword = e.newUser(t, "civil", authz.At(authz.AgencyUser, w.civil))
	assistWorlds[e] = w
	return w
}

// addCategory gives a pupil one more key-pupil category, through the store.
func addCategory(t *testing.T, e *env, student int64, c model.Category, since string) {
	t.Helper()
	ctx := context.Background()
	k, err := e.st.KeyPupilOf(ctx, store.SystemActor, city, student, time.Now())
	must(t, err)
	in := []store.KeyMarkInput{{Category: string(c), Since: since, Source: "school"}}
	for _, m := range k.Marks {
		if m.Category != c {
			in = append(in, store.KeyMarkInput{Category: string(m.Category)})
		}
	}
	must(t, e.st.SetKeyCategories(ctx, store.SystemActor, city, student, in))
}

// itemIDs returns the ids of a list's items, through the store.
func itemIDs(t *testing.T, e *env, list int64) []int64 {
	t.Helper()
	_, items, err := e.st.GetAssistList(context.Background(), store.SystemActor, city, list)
	must(t, err)
	var out []int64
	for _, x := range items {
		out = append(out, x.ID)
	}
	return out
}

// answersOf returns "answer/note" per item id of a list, through the store.
func answersOf(t *testing.T, e *env, list int64) map[int64]string {
	t.Helper()
	_, items, err := e.st.GetAssistList(context.Background(), store.SystemActor, city, list)
	must(t, err)
	out := map[int64]string{}
	for _, x := range items {
		out[x.ID] = x.Answer + "/" + x.AnswerNote
	}
	return out
}

// neverToAgency are the strings of a listed pupil that must not leave the
// school: the student number, the ID number (whole and masked forms) and
// the class.
func neverToAgency(p assistPupil) []string {
	out := []string{p.studentNo, p.className}
	if p.idNumber != "" {
		out = append(out, p.idNumber, privacy.MaskIDNumber(p.idNumber))
	}
	return out
}

func TestAgencySeesOnlyListsSentToIt(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		w := assistSetUp(t, e)
		agency := e.as(t, "agency")
		civil := e.fresh(t, w.civilUser, w.civilPassword)
		foreign := []assistPupil{w.c, w.mate, w.sib, w.e1, w.e2} // on lists not addressed to the demo agency

		t.Run("the inbox holds the agency's sent lists only", func(t *testing.T) {
			var l struct {
				Items []map[string]any `json:"items"`
			}
			r := agency.get("/api/v1/agency/assist/lists")
			if r.status != 200 {
				t.Fatalf("%s", r)
			}
			r.json(t, &l)
			var ids []int64
			for _, x := range l.Items {
				ids = append(ids, int64(x["id"].(float64)))
			}
			if !slices.Contains(ids, w.listA) {
				t.Errorf("the demo agency's inbox %v lacks its list %d", ids, w.listA)
			}
			for _, other := range []int64{w.listB, w.listC, w.listD, w.listE} {
				if slices.Contains(ids, other) {
					t.Errorf("the demo agency's inbox holds list %d (another agency's, or a draft)", other)
				}
			}
			page := agency.get("/agency/assist")
			if page.status != 200 || !strings.Contains(string(page.body), fmt.Sprintf("/agency/assist/%d", w.listA)) {
				t.Errorf("inbox page: %s", page)
			}
			for _, other := range []int64{w.listB, w.listC, w.listD} {
				if strings.Contains(string(page.body), fmt.Sprintf("/agency/assist/%d\"", other)) {
					t.Errorf("the inbox page links list %d", other)
				}
			}
			r = civil.get("/api/v1/agency/assist/lists")
			r.json(t, &l)
			ids = nil
			for _, x := range l.Items {
				ids = append(ids, int64(x["id"].(float64)))
			}
			if !slices.Contains(ids, w.listB) || !slices.Contains(ids, w.listE) || slices.Contains(ids, w.listA) || slices.Contains(ids, w.listC) {
				t.Errorf("civil affairs' inbox: %v", ids)
			}
		})

		t.Run("a list of its own shows only what an agency needs", func(t *testing.T) {
			before := len(auditOf(t, e, "assist.agency_read", w.listA))
			r := agency.get(fmt.Sprintf("/api/v1/agency/assist/lists/%d", w.listA))
			if r.status != 200 {
				t.Fatalf("%s", r)
			}
			var d struct {
				SchoolName string           `json:"school_name"`
				Items      []map[string]any `json:"items"`
			}
			r.json(t, &d)
			if len(d.Items) != 2 || d.SchoolName != e.fx.own.school0.Name {
				t.Fatalf("list %d: %d items from %q", w.listA, len(d.Items), d.SchoolName)
			}
			byName := map[string]assistPupil{w.a.name: w.a, w.b.name: w.b}
			for _, x := range d.Items {
				if extra := extraKeys(x, agencyItemKeys...); extra != nil {
					t.Errorf("an agency's item has keys %v", extra)
				}
				p, ok := byName[x["name"].(string)]
				if !ok || x["guardian_name"] != p.guardian || x["guardian_phone"] != p.phone || x["grade"] == "" || x["school_name"] != e.fx.own.school0.Name ||
					x["category"] != "poor" || x["help"] != "financial" {
					t.Errorf("an agency's item lacks what it needs (the first guardian %q %q): %v", p.guardian, p.phone, x)
				}
			}
			for _, p := range []assistPupil{w.a, w.b} {
				if !strings.Contains(string(r.body), p.name) {
					t.Errorf("the agency does not get the full name of %d", p.id)
				}
				if n := containsAny(r.body, neverToAgency(p)); n != "" {
					t.Errorf("the agency gets %q of pupil %d", n, p.id)
				}
			}
			if n := containsAny(r.body, names(foreign)); n != "" {
				t.Errorf("the agency gets the name %q of a pupil not listed to it", n)
			}
			if got := len(auditOf(t, e, "assist.agency_read", w.listA)); got != before+1 {
				t.Errorf("the agency's read left %d audit entries, want 1", got-before)
			}
			page := agency.get(fmt.Sprintf("/agency/assist/%d", w.listA))
			if page.status != 200 || !strings.Contains(string(page.body), w.a.name) {
				t.Fatalf("list page: %s", page)
			}
			if n := containsAny(page.body, append(append(neverToAgency(w.a), neverToAgency(w.b)...), names(foreign)...)); n != "" {
				t.Errorf("the agency's page shows %q", n)
			}
		})

		t.Run("another agency's list, a draft and a list of its own for another agency: not found", func(t *testing.T) {
			for _, tc := range []struct {
				who  *client
				list int64
				p    assistPupil
			}{{agency, w.listB, w.sib}, {agency, w.listC, w.c}, {agency, w.listD, w.mate}, {civil, w.listA, w.a}, {civil, w.listD, w.mate}} {
				for _, path := range []string{fmt.Sprintf("/api/v1/agency/assist/lists/%d", tc.list), fmt.Sprintf("/agency/assist/%d", tc.list)} {
					r := tc.who.get(path)
					if r.status != 404 {
						t.Errorf("%s", r)
					}
					if n := containsAny(r.body, append(neverToAgency(tc.p), tc.p.name)); n != "" {
						t.Errorf("%s shows %q", r, n)
					}
				}
			}
		})

		t.Run("answers: another agency's items refused, nothing stored; its own recorded and seen by the school", func(t *testing.T) {
			itemsA, itemsB := itemIDs(t, e, w.listA), itemIDs(t, e, w.listB)
			beforeA, beforeB := answersOf(t, e, w.listA), answersOf(t, e, w.listB)
			r := agency.sendJSON("POST", fmt.Sprintf("/api/v1/agency/assist/lists/%d/answers", w.listB),
				fmt.Sprintf(`{"answers":[{"item_id":%d,"answer":"assisted","note":"x"}]}`, itemsB[0]))
			if r.status != 404 {
				t.Errorf("answering another agency's list: %s", r)
			}
			r = agency.sendJSON("POST", fmt.Sprintf("/api/v1/agency/assist/lists/%d/answers", w.listA),
				fmt.Sprintf(`{"answers":[{"item_id":%d,"answer":"received","note":""},{"item_id":%d,"answer":"assisted","note":"x"}]}`, itemsA[0], itemsB[0]))
			if er := errorShape(t, r); r.status != 400 || !slices.Equal(er.fields(), []string{"answers[1].item_id"}) {
				t.Errorf("an item of another list: %s", r)
			}
			if got := agency.postForm(fmt.Sprintf("/agency/assist/%d/answers", w.listB), url.Values{"item": {itoa(itemsB[0])},
				"answer_" + itoa(itemsB[0]): {"assisted"}}); got.status != 404 {
				t.Errorf("the answer form on another agency's list: %s", got)
			}
			if !mapsEqual(answersOf(t, e, w.listA), beforeA) || !mapsEqual(answersOf(t, e, w.listB), beforeB) {
				t.Fatalf("refused answers were stored")
			}
			r = agency.postForm(fmt.Sprintf("/agency/assist/%d/answers", w.listA), url.Values{"item": {itoa(itemsA[0]), itoa(itemsA[1])},
				"answer_" + itoa(itemsA[0]): {"assisted"}, "note_" + itoa(itemsA[0]): {"已发放助学金 500 元"}, "answer_" + itoa(itemsA[1]): {""}})
			if r.status != 303 {
				t.Fatalf("answer form: %s", r)
			}
			got := answersOf(t, e, w.listA)
			if got[itemsA[0]] != "assisted/已发放助学金 500 元" || got[itemsA[1]] != beforeA[itemsA[1]] {
				t.Errorf("answers after the form: %v", got)
			}
			school := e.as(t, "principal")
			page := school.get(fmt.Sprintf("/assist/%d", w.listA))
			if page.status != 200 || !strings.Contains(string(page.body), "已发放助学金 500 元") || !strings.Contains(string(page.body), `id="assist-outcome"`) {
				t.Errorf("the school does not see the answer: %s", page)
			}
			if strings.Contains(string(page.body), w.a.name) {
				t.Errorf("the principal's page shows a full name (principals see masked names)")
			}
		})

		t.Run("the school's roles: the data officer and the psychology teacher by name, the principal masked, others not at all", func(t *testing.T) {
			for _, tc := range []struct {
				who    string
				status int
				full   bool
			}{{"schooladmin", 200, true}, {"psych", 200, true}, {"principal", 200, false}, {"classteacher", 404, false}, {"teacher", 404, false},
				{"district", 404, false}, {"city", 404, false}, {"agency", 404, false}} {
				r := e.as(t, tc.who).get(fmt.Sprintf("/api/v1/assist/lists/%d", w.listA))
				if r.status != tc.status {
					t.Errorf("%s: %s", tc.who, r)
					continue
				}
				if r.status != 200 {
					continue
				}
				if has := strings.Contains(string(r.body), w.a.name); has != tc.full {
					t.Errorf("%s: full name shown = %v, want %v", tc.who, has, tc.full)
				}
				if !tc.full && !strings.Contains(string(r.body), privacy.MaskName(w.a.name)) {
					t.Errorf("%s: no masked name", tc.who)
				}
			}
			if r := e.as(t, "schooladmin").get(fmt.Sprintf("/api/v1/assist/lists/%d", w.listB)); r.status != 404 || strings.Contains(string(r.body), w.sib.name) {
				t.Errorf("the sibling school's list for the demo school: %s", r)
			}
		})
	})
}

func names(ps []assistPupil) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.name
	}
	return out
}

func mapsEqual(a, b map[int64]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// auditOf returns the audit entries of an action about one object.
func auditOf(t *testing.T, e *env, action string, object int64) []int64 {
	t.Helper()
	es, err := e.st.SearchAudit(context.Background(), store.AuditFilter{Action: action, ObjectID: object, Limit: 500})
	must(t, err)
	var out []int64
	for _, x := range es {
		out = append(out, x.Seq)
	}
	return out
}

type keyItem struct {
	StudentID  int64  `json:"student_id"`
	ClassID    int64  `json:"class_id"`
	Name       string `json:"name"`
	Masked     bool   `json:"masked"`
	Categories []struct {
		Category, Since, Source string
	} `json:"categories"`
	DueOn       string `json:"due_on"`
	Overdue     bool   `json:"overdue"`
	DaysOverdue int    `json:"days_overdue"`
}

func keyList(t *testing.T, c *client, path string) []keyItem {
	t.Helper()
	r := c.get(path)
	if r.status != 200 {
		t.Fatalf("%s", r)
	}
	var l struct {
		Items []keyItem `json:"items"`
		Total int       `json:"total"`
	}
	r.json(t, &l)
	if l.Total < len(l.Items) {
		t.Errorf("%s: total %d < %d items", path, l.Total, len(l.Items))
	}
	return l.Items
}

func findKey(items []keyItem, id int64) (keyItem, bool) {
	for _, x := range items {
		if x.StudentID == id {
			return x, true
		}
	}
	return keyItem{}, false
}

func TestClassTeacherSeesOnlyTheirClassKeyPupils(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		w := assistSetUp(t, e)
		fx := e.fx
		ct := e.as(t, "classteacher")

		t.Run("the register of a class teacher holds their class only", func(t *testing.T) {
			items := keyList(t, ct, "/api/v1/key-pupils?limit=500")
			if len(items) == 0 {
				t.Fatal("the class teacher sees no key pupil")
			}
			for _, x := range items {
				if x.ClassID != fx.own.class {
					t.Errorf("a key pupil of class %d for the teacher of class %d", x.ClassID, fx.own.class)
				}
			}
			a, ok := findKey(items, w.a.id)
			if !ok || a.Name != w.a.name || a.Masked {
				t.Fatalf("pupil %d: %+v (a class teacher sees their class by name)", w.a.id, a)
			}
			if !slices.ContainsFunc(a.Categories, func(c struct{ Category, Since, Source string }) bool {
				return c.Category == "poor" && c.Since == "2020-09-01" && c.Source == "school"
			}) {
				t.Errorf("categories of pupil %d: %+v", w.a.id, a.Categories)
			}
			if _, ok := findKey(items, w.mate.id); ok {
				t.Errorf("another class's pupil is in the class teacher's register")
			}
			for _, path := range []string{fmt.Sprintf("/api/v1/key-pupils?class_id=%d", fx.classmate.class), fmt.Sprintf("/api/v1/key-pupils?school_id=%d&class_id=%d", fx.own.school, fx.classmate.class),
				fmt.Sprintf("/api/v1/key-pupils?school_id=%d", fx.sibling.school)} {
				if items := keyList(t, ct, path); len(items) != 0 {
					t.Errorf("%s: %d pupils for the class teacher", path, len(items))
				}
			}
			for _, path := range []string{"/key-pupils", fmt.Sprintf("/key-pupils?class=%d", fx.classmate.class), fmt.Sprintf("/key-pupils?school=%d", fx.own.school)} {
				r := ct.get(path)
				if r.status != 200 {
					t.Errorf("%s", r)
				}
				if n := containsAny(r.body, []string{w.mate.name, w.sib.name}); n != "" {
					t.Errorf("%s shows %q to the class teacher", path, n)
				}
			}
			if r := ct.get("/key-pupils"); !strings.Contains(string(r.body), w.a.name) {
				t.Errorf("the register page lacks the class's pupil")
			}
		})

		t.Run("a class teacher reads but does not edit categories", func(t *testing.T) {
			if r := ct.get(fmt.Sprintf("/students/%d/key-categories", w.a.id)); r.status != 404 {
				t.Errorf("%s", r)
			}
			if r := ct.sendJSON("PATCH", fmt.Sprintf("/api/v1/students/%d/key-categories", w.a.id), `{"categories":[]}`); r.status != 404 {
				t.Errorf("%s", r)
			}
		})

		t.Run("the principal sees the school masked, the data officer by name", func(t *testing.T) {
			principal := e.as(t, "principal")
			path := fmt.Sprintf("/api/v1/key-pupils?school_id=%d&limit=500", fx.own.school)
			items := keyList(t, principal, path)
			for _, p := range []assistPupil{w.a, w.mate} {
				x, ok := findKey(items, p.id)
				if !ok || !x.Masked || x.Name != privacy.MaskName(p.name) {
					t.Errorf("principal: pupil %d %+v, want masked", p.id, x)
				}
			}
			if n := containsAny(principal.get(path).body, []string{w.a.name, w.mate.name}); n != "" {
				t.Errorf("the principal's register holds the full name %q", n)
			}
			if _, ok := findKey(items, w.sib.id); ok {
				t.Errorf("the principal sees the sibling school's pupil")
			}
			items = keyList(t, e.as(t, "schooladmin"), fmt.Sprintf("/api/v1/key-pupils?school_id=%d&category=poor&limit=500", fx.own.school))
			if x, ok := findKey(items, w.mate.id); !ok || x.Masked || x.Name != w.mate.name {
				t.Errorf("data officer: %+v", x)
			}
			for _, x := range items {
				if !slices.ContainsFunc(x.Categories, func(c struct{ Category, Since, Source string }) bool { return c.Category == "poor" }) {
					t.Errorf("category filter poor gave %+v", x)
				}
			}
			over := keyList(t, e.as(t, "schooladmin"), fmt.Sprintf("/api/v1/key-pupils?school_id=%d&overdue=1&limit=500", fx.own.school))
			for i, x := range over {
				if !x.Overdue || x.DaysOverdue <= 0 || x.DueOn == "" {
					t.Errorf("overdue filter gave %+v", x)
				}
				if i > 0 && over[i-1].DaysOverdue < x.DaysOverdue {
					t.Errorf("overdue list not most overdue first")
				}
			}
			for _, who := range []string{"district", "city", "teacher", "agency", "auditor"} {
				if r := e.as(t, who).get("/api/v1/key-pupils"); r.status != 404 {
					t.Errorf("%s reads the register: %s", who, r)
				}
			}
		})

		t.Run("the data officer edits a pupil's categories with a date and a source", func(t *testing.T) {
			admin := e.as(t, "schooladmin")
			ctx := context.Background()
			orig, err := e.st.KeyPupilOf(ctx, store.SystemActor, city, w.b.id, time.Now())
			must(t, err)
			var restore []store.KeyMarkInput
			form := url.Values{"edit": {"1"}, "cat_left_behind": {"1"}, "since_left_behind": {"2024-03-01"}, "source_left_behind": {"civil_affairs"}}
			for _, m := range orig.Marks {
				if m.Category == model.CatLeftBehind {
					continue
				}
				restore = append(restore, store.KeyMarkInput{Category: string(m.Category)})
				form.Set("cat_"+string(m.Category), "1")
				form.Set("since_"+string(m.Category), m.Since)
				form.Set("source_"+string(m.Category), m.Source)
			}
			t.Cleanup(func() { e.st.SetKeyCategories(ctx, store.SystemActor, city, w.b.id, restore) })
			path := fmt.Sprintf("/students/%d/key-categories", w.b.id)
			if r := admin.get(path); r.status != 200 || !strings.Contains(string(r.body), `name="since_poor" value="2020-09-01"`) {
				t.Fatalf("edit page: %s", r)
			}
			r := admin.postForm(path, form)
			if r.status != 303 {
				t.Fatalf("%s", r)
			}
			x, _ := findKey(keyList(t, admin, fmt.Sprintf("/api/v1/key-pupils?class_id=%d&limit=500", fx.own.class)), w.b.id)
			lb := slices.IndexFunc(x.Categories, func(c struct{ Category, Since, Source string }) bool { return c.Category == "left_behind" })
			if len(x.Categories) != len(restore)+1 || lb < 0 || x.Categories[lb].Since != "2024-03-01" || x.Categories[lb].Source != "civil_affairs" {
				t.Errorf("after the edit: %+v", x.Categories)
			}
			// A future date: refused with the category named, nothing stored.
			r = admin.postForm(path, url.Values{"edit": {"1"}, "cat_poor": {"1"}, "since_poor": {time.Now().AddDate(0, 0, 3).Format("2006-01-02")}})
			if r.status != 400 || !strings.Contains(string(r.body), "日期不能晚于今天") || !strings.Contains(string(r.body), "家庭困难 · 认定日期") {
				t.Errorf("a future date: %s", r)
			}
			// An empty form (no edit marker) never removes the categories.
			if r := admin.postForm(path, url.Values{}); r.status != 400 {
				t.Errorf("an empty form: %s", r)
			}
			y, _ := findKey(keyList(t, admin, fmt.Sprintf("/api/v1/key-pupils?class_id=%d&limit=500", fx.own.class)), w.b.id)
			if len(y.Categories) != len(x.Categories) {
				t.Errorf("refused forms changed the categories: %+v", y.Categories)
			}
		})
	})
}

// hostile is one hostile request: its body, and what it must answer.
type hostile struct {
	name   string
	body   string
	status int
	field  string // a detail's field the answer names ("" for none required)
}

// runHostile sends each case and checks the status, the named field and
// that state() is unchanged (nothing stored).
func runHostile(t *testing.T, c *client, method, path string, cases []hostile, state func() string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := state()
			r := c.do(method, path, []byte(tc.body), "application/json", nil)
			if r.status != tc.status {
				t.Fatalf("%s: want %d", r, tc.status)
			}
			if r.status >= 400 {
				er := errorShape(t, r)
				if tc.field != "" && !slices.Contains(er.fields(), tc.field) {
					t.Errorf("%s: fields %v, want %s", r, er.fields(), tc.field)
				}
			}
			if after := state(); after != before {
				t.Errorf("stored on refusal:\n%s\n→\n%s", before, after)
			}
		})
	}
}

func jsonOf(t *testing.T, v any, err error) string {
	t.Helper()
	must(t, err)
	b, _ := json.Marshal(v)
	return string(b)
}

func TestHostileInputToKeyPupilAndAssistanceEndpoints(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		w := assistSetUp(t, e)
		ctx := context.Background()
		fx := e.fx
		huge := strings.Repeat("长", 20000)
		admin := e.as(t, "schooladmin")
		categoriesOf := func(id int64) func() string {
			return func() string {
				k, err := e.st.KeyPupilOf(ctx, store.SystemActor, city, id, time.Now())
				return jsonOf(t, k.Marks, err)
			}
		}

		t.Run("PATCH key categories", func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/students/%d/key-categories", w.e2.id)
			runHostile(t, admin, "PATCH", path, []hostile{
				{"not JSON", `categories=poor`, 400, "body"},
				{"a string for the list", `{"categories":"poor"}`, 400, "categories"},
				{"a number for a category", `{"categories":[{"category":1}]}`, 400, "categories.category"},
				{"an unknown field", `{"categories":[],"reason":"x"}`, 400, "reason"},
				{"an unknown field in an item", `{"categories":[{"category":"poor","weight":3}]}`, 400, "weight"},
				{"no categories at all", `{}`, 400, "categories"},
				{"null categories", `{"categories":null}`, 400, "categories"},
				{"an unknown category", `{"categories":[{"category":"rich"}]}`, 400, "categories[0].category"},
				{"a huge category", `{"categories":[{"category":"` + huge + `"}]}`, 400, "categories[0].category"},
				{"a huge date", `{"categories":[{"category":"poor","since":"` + huge + `"}]}`, 400, "categories[0].since"},
				{"a null byte in the source", `{"categories":[{"category":"poor","source":"school\u0000"}]}`, 400, "categories[0].source"},
				{"a date in the future", `{"categories":[{"category":"poor","since":"` + time.Now().AddDate(1, 0, 0).Format("2006-01-02") + `"}]}`, 400, "categories[0].since"},
				{"an unknown source", `{"categories":[{"category":"poor","source":"gossip"}]}`, 400, "categories[0].source"},
				{"a category twice", `{"categories":[{"category":"poor"},{"category":"poor"}]}`, 400, "categories[1].category"},
				{"trailing data", `{"categories":[]} {}`, 400, "body"},
			}, categoriesOf(w.e2.id))
			runHostile(t, admin, "PATCH", fmt.Sprintf("/api/v1/students/%d/key-categories", w.sib.id), []hostile{
				{"another school's pupil", `{"categories":[]}`, 404, ""},
			}, categoriesOf(w.sib.id))
			runHostile(t, admin, "PATCH", "/api/v1/students/99999999999/key-categories", []hostile{{"no such pupil", `{"categories":[]}`, 404, ""}},
				func() string { return "" })
		})

		t.Run("PUT the cadence", func(t *testing.T) {
			city := e.as(t, "city")
			state := func() string { cs, err := e.st.KeyCadence(ctx); return jsonOf(t, cs, err) }
			runHostile(t, city, "PUT", "/api/v1/key-cadence", []hostile{
				{"days as a string", `{"items":[{"category":"poor","days":"30"}]}`, 400, "items.days"},
				{"days as a fraction", `{"items":[{"category":"poor","days":30.5}]}`, 400, "items.days"},
				{"zero days", `{"items":[{"category":"poor","days":0}]}`, 400, "items[0].days"},
				{"a year and a day", `{"items":[{"category":"poor","days":366}]}`, 400, "items[0].days"},
				{"a huge number", `{"items":[{"category":"poor","days":1e30}]}`, 400, "items.days"},
				{"an unknown category", `{"items":[{"category":"rich","days":30}]}`, 400, "items[0].category"},
				{"a huge category", `{"items":[{"category":"` + huge + `","days":30}]}`, 400, "items[0].category"},
				{"an unknown field", `{"items":[],"all":30}`, 400, "all"},
				{"nothing", `{"items":[]}`, 400, "items"},
				{"one good, one bad: nothing stored", `{"items":[{"category":"poor","days":20},{"category":"orphan","days":-1}]}`, 400, "items[1].days"},
			}, state)
			if r := e.as(t, "schooladmin").sendJSON("PUT", "/api/v1/key-cadence", `{"items":[{"category":"poor","days":20}]}`); r.status != 404 {
				t.Errorf("a school sets the cadence: %s", r)
			}
		})

		t.Run("GET the register with bad filters", func(t *testing.T) {
			for _, q := range []string{"category=rich", "overdue=maybe", "category=" + url.QueryEscape(huge)} {
				r := admin.get("/api/v1/key-pupils?" + q)
				if r.status != 400 {
					t.Errorf("%s", r)
				}
				errorShape(t, r)
			}
			if r := admin.get("/api/v1/assist/stats?from=yesterday"); r.status != 400 {
				t.Errorf("%s", r)
			}
		})

		listCount := func() string {
			own, err := e.st.ListAssistLists(ctx, city, fx.own.school)
			must(t, err)
			sib, err := e.st.ListAssistLists(ctx, city, fx.sibling.school)
			return jsonOf(t, []int{len(own), len(sib)}, err)
		}
		t.Run("POST a list", func(t *testing.T) {
			runHostile(t, admin, "POST", "/api/v1/assist/lists", []hostile{
				{"a string for the school", fmt.Sprintf(`{"school_id":"%d","agency_id":%d,"title":"x"}`, fx.own.school, w.civil), 400, "school_id"},
				{"an unknown field", fmt.Sprintf(`{"school_id":%d,"agency_id":%d,"title":"x","state":"sent"}`, fx.own.school, w.civil), 400, "state"},
				{"a huge title", fmt.Sprintf(`{"school_id":%d,"agency_id":%d,"title":"%s"}`, fx.own.school, w.civil, huge), 400, "title"},
				{"a null byte in the title", fmt.Sprintf(`{"school_id":%d,"agency_id":%d,"title":"名单\u0000"}`, fx.own.school, w.civil), 400, "title"},
				{"another school", fmt.Sprintf(`{"school_id":%d,"agency_id":%d,"title":"x"}`, fx.sibling.school, w.civil), 400, "school_id"},
				{"no such agency", fmt.Sprintf(`{"school_id":%d,"agency_id":999999,"title":"x"}`, fx.own.school), 400, "agency_id"},
				{"the diagnosis centre", fmt.Sprintf(`{"school_id":%d,"agency_id":%d,"title":"x"}`, fx.own.school, agencyOfKind(t, e, model.AgencyHealthCentre)), 400, "agency_id"},
			}, listCount)
		})

		// A draft of the demo school to work on.
		draft, err := e.st.CreateAssistList(ctx, store.SystemActor, city, store.AssistListInput{SchoolID: fx.own.school, AgencyID: w.civil, Title: uniqueTag(e, "敌意测试草稿")})
		must(t, err)
		itemsOf := func(list int64) func() string {
			return func() string {
				l, items, err := e.st.GetAssistList(ctx, store.SystemActor, city, list)
				return jsonOf(t, []any{l.Title, l.AgencyID, l.State, items}, err)
			}
		}
		t.Run("PATCH a list", func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/assist/lists/%d", draft)
			runHostile(t, admin, "PATCH", path, []hostile{
				{"a number for the title", fmt.Sprintf(`{"title":5,"agency_id":%d}`, w.civil), 400, "title"},
				{"an unknown field", fmt.Sprintf(`{"title":"x","agency_id":%d,"school_id":%d}`, w.civil, fx.sibling.school), 400, "school_id"},
				{"a huge title", fmt.Sprintf(`{"title":"%s","agency_id":%d}`, huge, w.civil), 400, "title"},
				{"the diagnosis centre", fmt.Sprintf(`{"title":"x","agency_id":%d}`, agencyOfKind(t, e, model.AgencyHealthCentre)), 400, "agency_id"},
			}, itemsOf(draft))
			runHostile(t, admin, "PATCH", fmt.Sprintf("/api/v1/assist/lists/%d", w.listB), []hostile{
				{"another school's list", fmt.Sprintf(`{"title":"x","agency_id":%d}`, w.civil), 404, ""},
			}, itemsOf(w.listB))
			runHostile(t, admin, "PATCH", fmt.Sprintf("/api/v1/assist/lists/%d", w.listA), []hostile{
				{"a sent list", fmt.Sprintf(`{"title":"x","agency_id":%d}`, w.civil), 409, ""},
			}, itemsOf(w.listA))
		})

		t.Run("POST items", func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/assist/lists/%d/items", draft)
			item := func(student any, cat, help, detail string) string {
				return fmt.Sprintf(`{"items":[{"student_id":%v,"category":%q,"help":%q,"detail":%q}]}`, student, cat, help, detail)
			}
			runHostile(t, admin, "POST", path, []hostile{
				{"another school's pupil", item(w.sib.id, "poor", "study", ""), 400, "items[0].student_id"},
				{"a pupil of no school", item(99999999999, "poor", "study", ""), 400, "items[0].student_id"},
				{"a string for the pupil", item(`"`+itoa(w.e1.id)+`"`, "poor", "study", ""), 400, "items.student_id"},
				{"a category not held", item(w.e1.id, "orphan", "study", ""), 400, "items[0].category"},
				{"an unknown help", item(w.e1.id, "poor", "money", ""), 400, "items[0].help"},
				{"a huge detail", item(w.e1.id, "poor", "study", huge), 400, "items[0].detail"},
				{"a null byte in the detail", fmt.Sprintf(`{"items":[{"student_id":%d,"category":"poor","help":"study","detail":"学费\u0000"}]}`, w.e1.id), 400,
					"items[0].detail"},
				{"other without a word", item(w.e1.id, "poor", "other", ""), 400, "items[0].detail"},
				{"an unknown field", fmt.Sprintf(`{"items":[{"student_id":%d,"category":"poor","help":"study","id_number":"x"}]}`, w.e1.id), 400, "id_number"},
				{"one good, one bad: nothing stored", fmt.Sprintf(`{"items":[{"student_id":%d,"category":"poor","help":"study"},{"student_id":%d,"category":"poor","help":"study"}]}`,
					w.e1.id, w.sib.id), 400, "items[1].student_id"},
				{"nothing", `{"items":[]}`, 400, "items"},
			}, itemsOf(draft))
			runHostile(t, admin, "POST", fmt.Sprintf("/api/v1/assist/lists/%d/items", w.listB), []hostile{
				{"another school's list", item(w.e1.id, "poor", "study", ""), 404, ""},
			}, itemsOf(w.listB))
			runHostile(t, admin, "POST", fmt.Sprintf("/api/v1/assist/lists/%d/items", w.listA), []hostile{
				{"a sent list", item(w.e1.id, "poor", "study", ""), 409, ""},
			}, itemsOf(w.listA))
			runHostile(t, admin, "POST", fmt.Sprintf("/api/v1/assist/lists/%d/send", draft), []hostile{
				{"sending an empty list", ``, 400, "items"},
			}, itemsOf(draft))
			runHostile(t, admin, "POST", fmt.Sprintf("/api/v1/assist/lists/%d/close", draft), []hostile{
				{"closing a draft", ``, 409, ""},
			}, itemsOf(draft))
			runHostile(t, admin, "POST", fmt.Sprintf("/api/v1/assist/lists/%d/send", w.listB), []hostile{
				{"sending another school's list", ``, 404, ""},
			}, itemsOf(w.listB))
			runHostile(t, admin, "POST", fmt.Sprintf("/api/v1/assist/lists/%d/send", w.listA), []hostile{
				{"sending a sent list again", ``, 409, ""},
			}, itemsOf(w.listA))
			itemsB, itemsA := itemIDs(t, e, w.listB), itemIDs(t, e, w.listA)
			for _, tc := range []struct {
				name   string
				path   string
				status int
				list   int64
			}{
				{"an item of another school's list", fmt.Sprintf("/api/v1/assist/lists/%d/items/%d", w.listB, itemsB[0]), 404, w.listB},
				{"an item named under another list", fmt.Sprintf("/api/v1/assist/lists/%d/items/%d", draft, itemsB[0]), 404, w.listB},
				{"an item of a sent list", fmt.Sprintf("/api/v1/assist/lists/%d/items/%d", w.listA, itemsA[0]), 409, w.listA},
			} {
				runHostile(t, admin, "DELETE", tc.path, []hostile{{tc.name, ``, tc.status, ""}}, itemsOf(tc.list))
			}
			runHostile(t, admin, "POST", fmt.Sprintf("/api/v1/assist/lists/%d/answers", w.listE), []hostile{
				{"answers as JSON instead of the workbook", `{"answers":[]}`, 400, "file"},
			}, itemsOf(w.listE))
		})

		t.Run("POST answers as the agency", func(t *testing.T) {
			agency := e.as(t, "agency")
			itemsA := itemIDs(t, e, w.listA)
			path := fmt.Sprintf("/api/v1/agency/assist/lists/%d/answers", w.listA)
			runHostile(t, agency, "POST", path, []hostile{
				{"an unknown answer", fmt.Sprintf(`{"answers":[{"item_id":%d,"answer":"maybe"}]}`, itemsA[1]), 400, "answers[0].answer"},
				{"a Chinese answer in JSON", fmt.Sprintf(`{"answers":[{"item_id":%d,"answer":"已帮扶"}]}`, itemsA[1]), 400, "answers[0].answer"},
				{"a huge note", fmt.Sprintf(`{"answers":[{"item_id":%d,"answer":"received","note":"%s"}]}`, itemsA[1], huge), 400, "answers[0].note"},
				{"a null byte in the note", fmt.Sprintf(`{"answers":[{"item_id":%d,"answer":"received","note":"a\u0000b"}]}`, itemsA[1]), 400, "answers[0].note"},
				{"a string for the item", fmt.Sprintf(`{"answers":[{"item_id":"%d","answer":"received"}]}`, itemsA[1]), 400, "answers.item_id"},
				{"an unknown field", fmt.Sprintf(`{"answers":[{"item_id":%d,"answer":"received","student_id":1}]}`, itemsA[1]), 400, "student_id"},
				{"an item of no list", `{"answers":[{"item_id":99999999999,"answer":"received"}]}`, 400, "answers[0].item_id"},
				{"the same item twice", fmt.Sprintf(`{"answers":[{"item_id":%d,"answer":"received"},{"item_id":%d,"answer":"declined"}]}`, itemsA[1], itemsA[1]), 400, "answers[1].item_id"},
				{"nothing", `{"answers":[]}`, 400, "answers"},
			}, itemsOf(w.listA))
		})
	})
}

func agencyOfKind(t *testing.T, e *env, k model.AgencyKind) int64 {
	t.Helper()
	ags, err := e.st.ListAgencies(context.Background())
	must(t, err)
	for _, a := range ags {
		if a.Kind == k {
			return a.ID
		}
	}
	t.Fatalf("no agency of kind %s", k)
	return 0
}

// assistUpload is a multipart body with one file.
func assistUpload(t *testing.T, name string, data []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	must(t, err)
	fw.Write(data)
	must(t, mw.Close())
	return b.Bytes(), mw.FormDataContentType()
}

// fillSheet opens an exported workbook, applies fill (cell → value) and
// returns the workbook.
func fillSheet(t *testing.T, exported []byte, fill map[string]any) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(exported))
	must(t, err)
	defer f.Close()
	sh := f.GetSheetList()[0]
	for cell, v := range fill {
		must(t, f.SetCellValue(sh, cell, v))
	}
	var buf bytes.Buffer
	must(t, f.Write(&buf))
	return buf.Bytes()
}

func TestAssistanceWorkbookRoundTrip(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		w := assistSetUp(t, e)
		admin := e.as(t, "schooladmin")
		r := admin.get(fmt.Sprintf("/assist/%d/list.xlsx", w.listE))
		if r.status != 200 || r.header.Get("Content-Type") != xlsxType {
			t.Fatalf("%s", r)
		}
		exported := r.body
		wb := readXLSX(t, "export", exported)
		if len(wb.formulas) > 0 {
			t.Errorf("the workbook carries formulas: %v", wb.formulas)
		}
		if len(wb.rows) != 4 || len(wb.rows[1]) != 12 || wb.rows[1][0] != "条目编号" || wb.rows[1][10] != "答复" {
			t.Fatalf("rows %v", wb.rows)
		}
		for _, p := range []assistPupil{w.e1, w.e2} {
			if !strings.Contains(wb.text, p.name) {
				t.Errorf("the workbook lacks pupil %d", p.id)
			}
			if n := containsAny([]byte(wb.text), neverToAgency(p)); n != "" {
				t.Errorf("the workbook holds %q", n)
			}
		}
		if n := containsAny([]byte(wb.text), names([]assistPupil{w.a, w.b, w.c, w.mate, w.sib})); n != "" {
			t.Errorf("the workbook holds %q, not on this list", n)
		}
		if !strings.Contains(wb.text, `'=HYPERLINK(`) || !strings.Contains(wb.text, "\n'+1\n") {
			t.Errorf("details starting with = or + are not neutralised:\n%s", wb.text)
		}
		f, err := excelize.OpenReader(bytes.NewReader(exported))
		must(t, err)
		dvs, err := f.GetDataValidations(f.GetSheetList()[0])
		f.Close()
		must(t, err)
		if len(dvs) != 1 || dvs[0].Sqref != "K3:K4" || !strings.Contains(dvs[0].Formula1, "已帮扶") {
			t.Errorf("answer drop-down: %+v", dvs)
		}
		items := itemIDs(t, e, w.listE)
		slices.Sort(items) // the workbook's rows are in item order
		itemsA := itemIDs(t, e, w.listA)
		// Rows 3 and 4 hold the list's items in id order.
		if wb.rows[2][0] != itoa(items[0]) || wb.rows[3][0] != itoa(items[1]) {
			t.Fatalf("item ids %v %v, want %v", wb.rows[2][0], wb.rows[3][0], items)
		}
		before := answersOf(t, e, w.listE)
		upload := func(path string, data []byte) *response {
			body, ctype := assistUpload(t, "答复.xlsx", data)
			return admin.do("POST", path, body, ctype, nil)
		}
		page := fmt.Sprintf("/assist/%d/answers", w.listE)
		api := fmt.Sprintf("/api/v1/assist/lists/%d/answers", w.listE)
		for _, tc := range []struct {
			name   string
			fill   map[string]any
			row    string // "第 N 行" on the page
			column string
			field  string // the API's field
		}{
			{"an unknown item id", map[string]any{"A3": 888888888, "K3": "已帮扶"}, "第 3 行", "条目编号", "rows[3].item_id"},
			{"an item of another list", map[string]any{"A4": itemsA[0], "K4": "已接收"}, "第 4 行", "条目编号", "rows[4].item_id"},
			{"an answer not allowed", map[string]any{"K3": "办完了"}, "第 3 行", "答复", "rows[3].answer"},
			{"a note too long", map[string]any{"K4": "declined", "L4": strings.Repeat("长", 501)}, "第 4 行", "答复说明", "rows[4].note"},
			{"an item id twice", map[string]any{"A4": items[0], "K3": "已接收", "K4": "已帮扶"}, "第 4 行", "条目编号", "rows[4].item_id"},
			{"a note without an answer", map[string]any{"L3": "打过电话"}, "第 3 行", "答复", "rows[3].answer"},
			{"an id that is no number", map[string]any{"A3": "第一个", "K3": "已接收"}, "第 3 行", "条目编号", "rows[3].item_id"},
			{"one good row and one bad: nothing stored", map[string]any{"K3": "已帮扶", "K4": "maybe"}, "第 4 行", "答复", "rows[4].answer"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				data := fillSheet(t, exported, tc.fill)
				r := upload(page, data)
				if r.status != 400 {
					t.Fatalf("%s", r)
				}
				body := textOf(r.body)
				if !strings.Contains(body, tc.row) || !strings.Contains(body, tc.column) || !strings.Contains(body, "未导入任何答复") {
					t.Errorf("the page does not name %s, %s: %s", tc.row, tc.column, body)
				}
				r = upload(api, data)
				if er := errorShape(t, r); r.status != 400 || !slices.Contains(er.fields(), tc.field) {
					t.Errorf("API: %s, fields %v, want %s", r, er.fields(), tc.field)
				}
				if got := answersOf(t, e, w.listE); !mapsEqual(got, before) {
					t.Errorf("stored on refusal: %v", got)
				}
			})
		}
		t.Run("a file that is no list", func(t *testing.T) {
			for _, data := range [][]byte{[]byte("姓名,电话\r\n张三,13900000000\r\n"), []byte("not a workbook \x00\x01"), {}} {
				if r := upload(page, data); r.status != 400 {
					t.Errorf("%s", r)
				}
			}
		})
		t.Run("a good workbook is recorded, the channel becomes excel, a formula in a note is made inert", func(t *testing.T) {
			note := `=HYPERLINK("http://evil.invalid","点")`
			data := fillSheet(t, exported, map[string]any{"K3": "已帮扶", "L3": note, "K4": "Declined"})
			if r := upload(page, data); r.status != 303 {
				t.Fatalf("%s", r)
			}
			got := answersOf(t, e, w.listE)
			if got[items[0]] != "assisted/"+note || got[items[1]] != "declined/" {
				t.Errorf("answers %v", got)
			}
			l, _, err := e.st.GetAssistList(context.Background(), store.SystemActor, city, w.listE)
			must(t, err)
			if l.Channel != "excel" {
				t.Errorf("channel %q", l.Channel)
			}
			again := readXLSX(t, "export after import", admin.get(fmt.Sprintf("/assist/%d/list.xlsx", w.listE)).body)
			if len(again.formulas) > 0 || again.rows[2][11] != "'"+note || again.rows[2][10] != "已帮扶" {
				t.Errorf("re-exported row: %v (formulas %v)", again.rows[2], again.formulas)
			}
			// The re-exported workbook comes back unchanged: the neutralising
			// apostrophe is not stored.
			body, ctype := assistUpload(t, "again.xlsx", fillSheet(t, admin.get(fmt.Sprintf("/assist/%d/list.xlsx", w.listE)).body, nil))
			r := admin.do("POST", api, body, ctype, nil)
			if r.status != 200 || !strings.Contains(string(r.body), `"recorded":0`) {
				t.Errorf("a re-import of the same answers: %s", r)
			}
		})
		t.Run("only the school's data officer exports and imports", func(t *testing.T) {
			for _, who := range []string{"principal", "psych", "classteacher", "district", "agency"} {
				if r := e.as(t, who).get(fmt.Sprintf("/assist/%d/list.xlsx", w.listE)); r.status != 404 {
					t.Errorf("%s exports: %s", who, r)
				}
			}
			if r := admin.get(fmt.Sprintf("/assist/%d/list.xlsx", w.listB)); r.status != 404 {
				t.Errorf("another school's list exported: %s", r)
			}
		})
	})
}

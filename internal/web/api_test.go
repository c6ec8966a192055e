package web_test

// The API contract: the OpenAPI document matches the route table both ways,
// every error has the one shape, validation names the fields, bodies are
// decoded strictly (T4.3: unknown fields, trailing data, 1 MiB), nothing is
// written on a rejected request, and disallowed fields cannot be assigned
// (T1.4).

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"huhang/internal/model"
	"huhang/internal/store"
)

type openAPIDoc struct {
	OpenAPI    string                               `json:"openapi"`
	Paths      map[string]map[string]map[string]any `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := sharedEnv(t, "sqlite")
	r := newClient(t, e.ts.URL).get("/api/v1/openapi.json")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s", r)
	}
	var doc openAPIDoc
	r.json(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
			// Every path parameter is declared.
			params, _ := op["parameters"].([]any)
			for _, m := range regexpParams(path) {
				if !slices.ContainsFunc(params, func(p any) bool {
					pm, _ := p.(map[string]any)
					return pm["name"] == m && pm["in"] == "path"
				}) {
					t.Errorf("%s %s: path parameter %s is not declared", method, path, m)
				}
			}
			resps, _ := op["responses"].(map[string]any)
			if _, ok := resps["default"]; !ok {
				t.Errorf("%s %s: no default (error) response", method, path)
			}
		}
	}
	api := map[string]bool{}
	for _, ri := range e.srv.Routes() {
		if ri.API != strings.HasPrefix(ri.Pattern, "/api/") {
			t.Errorf("%s %s: API=%v but its path says otherwise", ri.Method, ri.Pattern, ri.API)
		}
		if ri.API {
			api[ri.Method+" "+ri.Pattern] = true
		}
	}
	for k := range api {
		if !documented[k] {
			t.Errorf("route %s is not in the OpenAPI document", k)
		}
	}
	for k := range documented {
		if !api[k] {
			t.Errorf("the OpenAPI document has %s, which is no route", k)
		}
	}
	var errSchema map[string]any
	for name, s := range doc.Components.Schemas {
		if _, ok := s.Properties["request_id"]; ok {
			errSchema = s.Properties
			_ = name
		}
	}
	for _, k := range []string{"code", "message", "details", "request_id"} {
		if _, ok := errSchema[k]; !ok {
			t.Errorf("the error schema lacks %q", k)
		}
	}
}

func regexpParams(path string) []string {
	var out []string
	for {
		i := strings.Index(path, "{")
		if i < 0 {
			return out
		}
		j := strings.Index(path[i:], "}")
		out = append(out, path[i+1:i+j])
		path = path[i+j:]
	}
}

// studentCount is every pupil in the city, whatever their status.
func studentCount(t *testing.T, e *env) int {
	t.Helper()
	_, n, err := e.st.ListStudents(context.Background(), store.SystemActor, city, store.StudentFilter{Status: "all", Limit: 1})
	must(t, err)
	return n
}

func TestAPIErrorsAndStrictDecoding(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		admin := e.as(t, "schooladmin")
		class := e.fx.own.class
		goodID := idNumber("510403", "20160501", 321)
		badCheck := goodID[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", goodID[17])+1)%11])
		valid := func(extra string) string {
			return fmt.Sprintf(`{"class_id":%d,"student_no":"L510403201605010321","name":"契约测试","gender":"F","birth_date":"2016-05-01"%s}`, class, extra)
		}
		before := studentCount(t, e)

		cases := []struct {
			name         string
			method, path string
			body         string
			ctype        string
			status       int
			code         string
			fields       []string // detail fields that must be named
		}{
			{"unknown API path", "GET", "/api/v1/no/such/thing", "", "", 404, "not_found", nil},
			{"unknown method on a known path", "DELETE", "/api/v1/students/" + itoa(e.fx.own.student), "", "", 404, "not_found", nil},
			{"bad student number and ID check digit", "POST", "/api/v1/students",
				fmt.Sprintf(`{"class_id":%d,"student_no":"X123","name":"契约测试","gender":"F","birth_date":"2016-05-01","id_number":%q}`, class, badCheck),
				"application/json", 400, "invalid", []string{"student_no", "id_number"}},
			{"every missing field is named", "POST", "/api/v1/students", `{}`, "application/json", 400, "invalid",
				[]string{"class_id", "student_no", "name", "gender", "birth_date"}},
			{"unknown field", "POST", "/api/v1/students", valid(`,"bogus":1`), "application/json", 400, "invalid", []string{"bogus"}},
			{"mass assignment of the school", "POST", "/api/v1/students", valid(fmt.Sprintf(`,"school_id":%d`, e.fx.other.school)),
				"application/json", 400, "invalid", []string{"school_id"}},
			{"unknown field with an empty name", "POST", "/api/v1/students", `{"":1}`, "application/json", 400, "invalid", nil},
			{"wrong type", "POST", "/api/v1/students", fmt.Sprintf(`{"class_id":"%d"}`, class), "application/json", 400, "invalid", []string{"class_id"}},
			{"trailing garbage", "POST", "/api/v1/students", valid("") + " x", "application/json", 400, "invalid", []string{"body"}},
			{"two objects", "POST", "/api/v1/students", valid("") + valid(""), "application/json", 400, "invalid", []string{"body"}},
			{"not JSON", "POST", "/api/v1/students", "class_id=1", "application/x-www-form-urlencoded", 400, "invalid", []string{"body"}},
			{"empty body", "POST", "/api/v1/students", "", "application/json", 400, "invalid", []string{"body"}},
			{"over 1 MiB", "POST", "/api/v1/students",
				valid(`,"categories":["` + strings.Repeat("x", 1<<20) + `"]`), "application/json", 413, "too_large", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := admin.do(tc.method, tc.path, []byte(tc.body), tc.ctype, nil)
				if r.status != tc.status {
					t.Fatalf("%s: want %d", r, tc.status)
				}
				er := errorShape(t, r)
				if er.Code != tc.code {
					t.Errorf("code %q, want %q", er.Code, tc.code)
				}
				for _, f := range tc.fields {
					if !slices.Contains(er.fields(), f) {
						t.Errorf("details name %v, want %q among them", er.fields(), f)
					}
				}
				for _, bad := range []string{"panic", "goroutine", ".go:", "sql", "SELECT", "/work/", "runtime."} {
					if strings.Contains(string(r.body), bad) {
						t.Errorf("error body reveals internals (%q): %s", bad, r)
					}
				}
			})
		}
		if after := studentCount(t, e); after != before {
			t.Errorf("rejected requests wrote: %d pupils before, %d after", before, after)
		}

		t.Run("anonymous and cross-origin errors have the same shape", func(t *testing.T) {
			anon := newClient(t, e.ts.URL)
			for _, r := range []*response{
				anon.get("/api/v1/me"),
				anon.sendJSON("POST", "/api/v1/students", valid("")),
				admin.do("POST", "/api/v1/students", []byte(valid("")), "application/json", http.Header{"Sec-Fetch-Site": {"cross-site"}}),
			} {
				if r.status != 401 && r.status != 403 {
					t.Errorf("%s", r)
				}
				errorShape(t, r)
			}
			if after := studentCount(t, e); after != before {
				t.Errorf("refused requests wrote a pupil")
			}
		})

		t.Run("error messages follow the caller's language", func(t *testing.T) {
			anon := newClient(t, e.ts.URL)
			anon.hdr.Set("Accept-Language", "en")
			if er := errorShape(t, anon.get("/api/v1/no/such/thing")); !strings.Contains(er.Message, "does not exist") {
				t.Errorf("English message %q", er.Message)
			}
			zh := newClient(t, e.ts.URL)
			if er := errorShape(t, zh.get("/api/v1/no/such/thing")); !strings.Contains(er.Message, "没有找到") {
				t.Errorf("default message %q", er.Message)
			}
		})
	})
}

// TestMassAssignment sends fields a caller may not set on updates: they are
// rejected or ignored, and the stored row keeps its values (T1.4).
func TestMassAssignment(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		fx := e.fx
		admin := e.as(t, "schooladmin")
		student := fx.own.student
		read := func() store.StudentDetail {
			d, err := e.st.GetStudent(ctx, store.SystemActor, city, city, student, true)
			must(t, err)
			return d
		}
		before := read()
		for _, body := range []string{
			fmt.Sprintf(`{"school_id":%d}`, fx.other.school),
			fmt.Sprintf(`{"district_id":%d}`, fx.other.district),
			`{"status":"graduated"}`,
			`{"id":1}`,
			`{"masked":false}`,
			fmt.Sprintf(`{"name":%q,"status":"transferred"}`, before.Name),
		} {
			r := admin.sendJSON("PATCH", "/api/v1/students/"+itoa(student), body)
			if r.status != 400 {
				t.Errorf("PATCH %s: %s, want 400", body, r)
			} else if er := errorShape(t, r); len(er.fields()) == 0 {
				t.Errorf("PATCH %s: the refused field is not named", body)
			}
		}
		after := read()
		if after.SchoolID != before.SchoolID || after.DistrictID != before.DistrictID || after.Status != before.Status ||
			after.ClassID != before.ClassID || after.Name != before.Name {
			t.Errorf("row changed: %+v → %+v", before.StudentRow, after.StudentRow)
		}

		// A school's district is not a school edit: it is ignored or refused.
		district := e.as(t, "district")
		code := fmt.Sprintf("TEST-MA-%d", time.Now().UnixNano()%1_000_000)
		sid, err := e.st.CreateSchool(ctx, store.SystemActor, city, store.SchoolInput{DistrictID: fx.own.district, Code: code,
			Name: "契约测试学校", Type: model.Primary})
		must(t, err)
		r := district.sendJSON("PATCH", "/api/v1/schools/"+itoa(sid),
			fmt.Sprintf(`{"district_id":%d,"code":%q,"name":"契约测试学校改","type":"primary"}`, fx.other.district, code))
		if r.status != 200 && r.status != 400 {
			t.Errorf("%s", r)
		}
		s, err := e.st.GetSchool(ctx, city, sid)
		must(t, err)
		if s.DistrictID != fx.own.district {
			t.Errorf("PATCH moved the school to district %d", s.DistrictID)
		}
		if r := district.sendJSON("POST", "/api/v1/schools",
			fmt.Sprintf(`{"district_id":%d,"code":"TEST-MA-02","name":"契约测试学校二","type":"primary","id":1}`, fx.own.district)); r.status != 400 {
			t.Errorf("create with an id: %s", r)
		}
	})
}

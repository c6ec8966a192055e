package web_test

// Browser hardening: the security headers on every kind of response
// (T3.1), cross-origin refusal of every state-changing route (T3.2) and a
// lint that no GET route changes state.

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// checkHeaders asserts the security headers every response carries.
func checkHeaders(t testing.TB, r *response) {
	t.Helper()
	h := r.header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %s", r, csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("%s: CSP %q allows %s", r, csp, bad)
		}
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", r, got)
	}
	if got := h.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("%s: Referrer-Policy %q", r, got)
	}
	if got := h.Get("Strict-Transport-Security"); !hstsOK(got) {
		t.Errorf("%s: Strict-Transport-Security %q, want max-age ≥ 31536000 with includeSubDomains", r, got)
	}
	if h.Get("Permissions-Policy") == "" {
		t.Errorf("%s: no Permissions-Policy", r)
	}
	if h.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", r)
	}
	cc := h.Get("Cache-Control")
	switch {
	case strings.HasPrefix(r.path, "/static/"):
	case r.path == "/api/v1/openapi.json":
		// The public API description holds no personal data.
		if cc == "" {
			t.Errorf("%s: no Cache-Control", r)
		}
	default:
		if !strings.Contains(cc, "no-store") {
			t.Errorf("%s: Cache-Control %q, want no-store", r, cc)
		}
	}
}

var maxAge = regexp.MustCompile(`max-age=(\d+)`)

func hstsOK(v string) bool {
	m := maxAge.FindStringSubmatch(v)
	if m == nil || !strings.Contains(v, "includeSubDomains") {
		return false
	}
	n, _ := strconv.Atoi(m[1])
	return n >= 31536000
}

var stylesheet = regexp.MustCompile(`<link rel="stylesheet" href="(/static/[^"]+)"`)

func TestSecurityHeaders(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		anon := newClient(t, e.ts.URL)
		admin := e.as(t, "schooladmin")
		login := anon.get("/login")
		m := stylesheet.FindSubmatch(login.body)
		if m == nil {
			t.Fatalf("no stylesheet link on the login page")
		}
		css := anon.get(string(m[1]))
		if css.status != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
			t.Fatalf("stylesheet: %s", css)
		}
		if cc := css.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("content-hashed stylesheet: Cache-Control %q, want immutable", cc)
		}
		crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}}
		samples := []*response{
			login,
			css,
			anon.get("/healthz"),
			anon.get("/no/such/page"),
			anon.get("/students"), // a redirect to the login page
			anon.get("/api/v1/me"),
			anon.get("/api/v1/no/such/thing"),
			anon.get("/api/v1/openapi.json"),
			anon.postForm("/login", url.Values{"username": {"x"}, "password": {"y"}}),
			admin.get("/"),
			admin.get("/students/" + itoa(e.fx.own.student)),
			admin.get("/students/" + itoa(e.fx.other.student)),
			admin.get("/api/v1/students/" + itoa(e.fx.own.student)),
			admin.get("/api/v1/students/" + itoa(e.fx.other.student)),
			admin.sendJSON("POST", "/api/v1/students", "{"),
			admin.do("POST", "/api/v1/students", []byte("{}"), "application/json", crossSite),
			admin.do("POST", "/logout", nil, "", crossSite),
		}
		for _, r := range samples {
			checkHeaders(t, r)
		}
	})
}

// TestStaticHashIsChecked: files are cached for a year under their content
// hash, so a URL whose hash is not the file's must not be served (or cached)
// as if it were: during a deploy an old server would otherwise pin old
// content under the new hash in every browser for a year.
func TestStaticHashIsChecked(t *testing.T) {
	e := sharedEnv(t, "sqlite")
	anon := newClient(t, e.ts.URL)
	for _, path := range []string{"/static/000000000000/app.css", "/static/000000000000/missing.css"} {
		r := anon.get(path)
		if strings.Contains(r.header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: Cache-Control %q on a URL whose hash is not the file's", r, r.header.Get("Cache-Control"))
		}
		if r.status == 200 {
			t.Errorf("%s: served under a wrong hash", r)
		}
	}
}

// ---- CSRF ------------------------------------------------------------------------

func TestCrossOriginWritesRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c := e.as(t, "schooladmin")
		attacks := map[string]http.Header{
			"Sec-Fetch-Site: cross-site": {"Sec-Fetch-Site": {"cross-site"}},
			"Sec-Fetch-Site: same-site":  {"Sec-Fetch-Site": {"same-site"}},
			"foreign Origin":             {"Origin": {"https://evil.example"}},
		}
		n := 0
		for _, ri := range e.srv.Routes() {
			if ri.Method == "GET" {
				continue
			}
			path := strings.NewReplacer("{id}", itoa(e.fx.own.student), "{aid}", "1", "{$}", "").Replace(ri.Pattern)
			for name, hdr := range attacks {
				r := c.do(ri.Method, path, []byte("{}"), "application/json", hdr)
				n++
				if r.status != http.StatusForbidden {
					t.Errorf("%s with %s: %s, want 403", ri.Method+" "+ri.Pattern, name, r)
					continue
				}
				if ri.API {
					if er := errorShape(t, r); er.Code != "forbidden" {
						t.Errorf("%s: code %q", r, er.Code)
					}
				}
			}
		}
		if n == 0 {
			t.Fatal("no state-changing routes")
		}
		// The refused logout left the session alive; same-origin requests pass.
		if r := c.get("/api/v1/me"); r.status != 200 {
			t.Errorf("session after refused cross-site logout: %s", r)
		}
		if r := c.do("POST", "/lang", []byte("lang=zh-CN"), "application/x-www-form-urlencoded",
			http.Header{"Sec-Fetch-Site": {"same-origin"}}); r.status != http.StatusSeeOther {
			t.Errorf("same-origin POST: %s", r)
		}
		if r := c.do("POST", "/lang", []byte("lang=zh-CN"), "application/x-www-form-urlencoded",
			http.Header{"Origin": {e.ts.URL}}); r.status != http.StatusSeeOther {
			t.Errorf("POST with our own Origin: %s", r)
		}
		// Navigations from elsewhere (links) still work.
		if r := c.do("GET", "/", nil, "", http.Header{"Sec-Fetch-Site": {"cross-site"}}); r.status != 200 {
			t.Errorf("cross-site GET navigation: %s", r)
		}
	})
}

// TestNoStateChangingGET lints the route table: every state change is a
// POST or PATCH, so no link, image or prefetch can trigger one.
func TestNoStateChangingGET(t *testing.T) {
	e := sharedEnv(t, "sqlite")
	verbs := regexp.MustCompile(`/(delete|disable|enable|revoke|move|password|logout|lang|assignments|tokens|approve|confirm|close|erase|export|import|unmask|reset)(/|$)`)
	for _, ri := range e.srv.Routes() {
		switch ri.Method {
		case "GET":
			if verbs.MatchString(ri.Pattern) {
				t.Errorf("GET %s looks like it changes state", ri.Pattern)
			}
		case "POST", "PATCH", "PUT", "DELETE":
		default:
			t.Errorf("%s %s: unexpected method", ri.Method, ri.Pattern)
		}
	}
}

package web_test

// Audit entries seen from outside, login (T2.1 lockout, T2.2 throttle) and
// sessions (T2.5).

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/store"
	"huhang/internal/web"
)

// auditSince returns the entries matching f that are newer than seq.
func auditSince(t *testing.T, e *env, f store.AuditFilter, seq int64) []audit.Entry {
	t.Helper()
	f.Limit = 500
	es, err := e.st.SearchAudit(context.Background(), f)
	must(t, err)
	var out []audit.Entry
	for _, x := range es {
		if x.Seq > seq {
			out = append(out, x)
		}
	}
	return out
}

// auditHead is the newest sequence number in the log.
func auditHead(t *testing.T, e *env) int64 {
	t.Helper()
	es, err := e.st.SearchAudit(context.Background(), store.AuditFilter{Limit: 1})
	must(t, err)
	if len(es) == 0 {
		return 0
	}
	return es[0].Seq
}

func entryText(x audit.Entry) string {
	return strings.Join([]string{x.ActorRole, x.IP, x.Action, x.ObjectType, x.Outcome, x.Detail}, "|")
}

func TestAuditFromOutside(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		psych := e.as(t, "psych")
		psychID := fx.users["psych"]
		student := fx.own.student
		name := fx.own.student0.Name

		t.Run("opening a pupil writes exactly one entry, with ids and no name", func(t *testing.T) {
			head := auditHead(t, e)
			r := psych.get("/api/v1/students/" + itoa(student))
			if r.status != 200 {
				t.Fatalf("%s", r)
			}
			es := auditSince(t, e, store.AuditFilter{ObjectType: "student", ObjectID: student}, head)
			if len(es) != 1 {
				t.Fatalf("%d audit entries for one read, want 1: %+v", len(es), es)
			}
			x := es[0]
			if x.Action != audit.ActStudentRead2 || x.ActorID != psychID || x.ObjectID != student {
				t.Errorf("entry %+v: want action %s by %d on student %d", x, audit.ActStudentRead2, psychID, student)
			}
			if x.SchoolID != fx.own.school || x.DistrictID != fx.own.district {
				t.Errorf("entry names school %d district %d, want %d %d", x.SchoolID, x.DistrictID, fx.own.school, fx.own.district)
			}
			if x.ActorRole != string(authz.PsychTeacher) {
				t.Errorf("entry role %q", x.ActorRole)
			}
			if s := entryText(x); strings.Contains(s, name) || strings.Contains(s, fx.own.idNumber[len(fx.own.idNumber)-4:]) {
				t.Errorf("entry holds the pupil's name or ID number: %s", s)
			}
			if strings.Contains(x.Detail, "unmask") {
				t.Errorf("a masked read says %q", x.Detail)
			}
		})

		t.Run("unmasking is its own audited read", func(t *testing.T) {
			head := auditHead(t, e)
			r := psych.get("/api/v1/students/" + itoa(student) + "?unmask=1")
			if r.status != 200 {
				t.Fatalf("%s", r)
			}
			var d struct {
				Contact struct {
					IDNumber string `json:"id_number"`
				} `json:"contact"`
			}
			r.json(t, &d)
			if d.Contact.IDNumber != fx.own.idNumber {
				t.Errorf("unmasked id_number %q, want the full number", d.Contact.IDNumber)
			}
			es := auditSince(t, e, store.AuditFilter{ObjectType: "student", ObjectID: student}, head)
			if len(es) != 1 || !strings.Contains(es[0].Detail, "unmasked") {
				t.Fatalf("entries %+v: want one saying what was unmasked", es)
			}
			if strings.Contains(entryText(es[0]), fx.own.idNumber) {
				t.Errorf("the entry holds the ID number")
			}
		})

		t.Run("a list read is audited by node, never with names", func(t *testing.T) {
			head := auditHead(t, e)
			r := psych.get("/api/v1/students?class_id=" + itoa(fx.own.class))
			if r.status != 200 {
				t.Fatalf("%s", r)
			}
			es := auditSince(t, e, store.AuditFilter{ActorID: psychID}, head)
			if len(es) != 1 || es[0].Action != "student.listed" || es[0].ObjectID != fx.own.class {
				t.Fatalf("entries %+v: want one student.listed for class %d", es, fx.own.class)
			}
			if containsAny([]byte(entryText(es[0])), fx.own.students) != "" {
				t.Errorf("list entry holds a name: %s", entryText(es[0]))
			}
		})

		t.Run("a failed login is audited without the typed user name", func(t *testing.T) {
			const typed = "nosuch-zq7x-user"
			const pw = "Wrong-Pass-zq7x-1234"
			head := auditHead(t, e)
			logsBefore := len(e.logs.String())
			r := newClient(t, e.ts.URL).postForm("/login", url.Values{"username": {typed}, "password": {pw}})
			if r.status != http.StatusUnauthorized {
				t.Fatalf("%s", r)
			}
			es := auditSince(t, e, store.AuditFilter{Action: audit.ActLoginFailed}, head)
			if len(es) != 1 {
				t.Fatalf("%d auth.login_failed entries, want 1", len(es))
			}
			if s := entryText(es[0]); strings.Contains(s, typed) || strings.Contains(s, pw) {
				t.Errorf("entry holds what was typed: %s", s)
			}
			if es[0].ActorID != 0 || es[0].ObjectID != 0 {
				t.Errorf("an unknown account's failure names ids %d/%d", es[0].ActorID, es[0].ObjectID)
			}
			if logs := e.logs.String()[logsBefore:]; strings.Contains(logs, typed) || strings.Contains(logs, pw) {
				t.Errorf("the log holds what was typed")
			}
		})

		t.Run("the audit chain still verifies", func(t *testing.T) {
			if _, err := e.st.VerifyAudit(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// ---- login ----------------------------------------------------------------------

var loginError = regexp.MustCompile(`(?s)<p class="error"[^>]*>(.*?)</p>`)

func loginErrorText(r *response) string {
	m := loginError.FindSubmatch(r.body)
	if m == nil {
		return ""
	}
	return string(m[1])
}

func TestLoginLockout(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		// A server of its own: its own lockout, limiter and clock.
		srv, ts := e.newServer(t, web.Config{InsecureCookies: true})
		name, _, pw := e.newUser(t, "lockout", authz.At(authz.Teacher, e.fx.targets.TeamClass))
		c := newClient(t, ts.URL)
		post := func(user, pass string) *response {
			return c.postForm("/login", url.Values{"username": {user}, "password": {pass}})
		}

		wrong := post(name, "Not-The-Password-1")
		ghost := post("ghost-"+name, "Not-The-Password-1")
		for i := 0; i < 4; i++ {
			post(name, "Not-The-Password-2")
		}
		locked := post(name, pw) // the right password, after 5 failures

		for _, r := range []*response{wrong, ghost, locked} {
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s: want 401", r)
			}
			if r.header.Get("Set-Cookie") != "" && strings.Contains(r.header.Get("Set-Cookie"), sessionCookie) {
				t.Errorf("%s: a refused login set a session cookie", r)
			}
		}
		if loginErrorText(wrong) == "" {
			t.Fatalf("no error text on the wrong-password page: %s", wrong)
		}
		if a, b, l := loginErrorText(wrong), loginErrorText(ghost), loginErrorText(locked); a != b || a != l {
			t.Errorf("error texts differ: wrong password %q, unknown user %q, locked %q", a, b, l)
		}
		if string(locked.body) != string(wrong.body) {
			t.Errorf("a locked account's answer differs from a wrong password's:\n%s\n%s", textOf(locked.body), textOf(wrong.body))
		}
		if strings.ReplaceAll(string(ghost.body), "ghost-"+name, name) != string(wrong.body) {
			t.Errorf("an unknown user's answer differs from a wrong password's")
		}

		// The lock lifts after 15 minutes.
		start := time.Now()
		srv.SetClock(func() time.Time { return start.Add(16 * time.Minute) })
		if r := post(name, pw); r.status != http.StatusSeeOther {
			t.Errorf("after the lock: %s", r)
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		srv, ts := e.newServer(t, web.Config{InsecureCookies: true})
		name, _, pw := e.newUser(t, "throttle")
		c := newClient(t, ts.URL)
		for i := 1; i <= 10; i++ {
			r := c.postForm("/login", url.Values{"username": {"ghost-" + strconv.Itoa(i)}, "password": {"Not-The-Password-1"}})
			if r.status != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %s", i, r)
			}
		}
		r := c.postForm("/login", url.Values{"username": {name}, "password": {pw}})
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("11th login in a minute: %s, want 429", r)
		}
		ra, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 60 {
			t.Errorf("Retry-After %q, want 1–60 seconds", r.header.Get("Retry-After"))
		}
		start := time.Now()
		srv.SetClock(func() time.Time { return start.Add(61 * time.Second) })
		if r := c.postForm("/login", url.Values{"username": {name}, "password": {pw}}); r.status != http.StatusSeeOther {
			t.Errorf("a minute later: %s", r)
		}
	})
}

// ---- sessions -------------------------------------------------------------------

func sessionCookieOf(t *testing.T, r *response, name string) *http.Cookie {
	t.Helper()
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	t.Fatalf("%s: no %s cookie in %q", r, name, r.header.Values("Set-Cookie"))
	return nil
}

func TestSessionCookie(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		name, _, pw := e.newUser(t, "cookie", authz.At(authz.Teacher, e.fx.targets.TeamClass))

		t.Run("plain-HTTP deployments: HttpOnly, SameSite=Lax, path /", func(t *testing.T) {
			r1 := newClient(t, e.ts.URL).login(name, pw)
			r2 := newClient(t, e.ts.URL).login(name, pw)
			ck := sessionCookieOf(t, r1, sessionCookie)
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
				t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, no Domain", ck)
			}
			if len(ck.Value) < 32 {
				t.Errorf("session token %d characters: want ≥ 128 bits", len(ck.Value))
			}
			if ck.Value == sessionCookieOf(t, r2, sessionCookie).Value {
				t.Errorf("two logins got the same token")
			}
		})

		t.Run("by default the cookie is __Host- and Secure", func(t *testing.T) {
			_, ts := e.newServer(t, web.Config{})
			r := newClient(t, ts.URL).postForm("/login", url.Values{"username": {name}, "password": {pw}})
			if r.status != http.StatusSeeOther {
				t.Fatalf("%s", r)
			}
			ck := sessionCookieOf(t, r, "__Host-huhang_session")
			if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
				t.Errorf("cookie %+v: want Secure, HttpOnly, SameSite=Lax, Path=/, no Domain", ck)
			}
			for _, v := range r.header.Values("Set-Cookie") {
				if strings.HasPrefix(v, sessionCookie+"=") {
					t.Errorf("the insecure cookie name is used too: %s", v)
				}
			}
		})
	})
}

func TestSessionEnds(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		name, id, pw := e.newUser(t, "session", authz.At(authz.Teacher, e.fx.targets.TeamClass))
		alive := func(c *client) bool {
			t.Helper()
			r := c.get("/api/v1/me")
			switch r.status {
			case 200:
				return true
			case 401:
				return false
			}
			t.Fatalf("%s", r)
			return false
		}

		t.Run("logout kills the session; the old cookie is refused", func(t *testing.T) {
			c := e.fresh(t, name, pw)
			old := c.cookie(sessionCookie)
			r := c.postForm("/logout", nil)
			if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
				t.Fatalf("%s", r)
			}
			if ck := sessionCookieOf(t, r, sessionCookie); ck.MaxAge >= 0 && ck.Value != "" {
				t.Errorf("logout does not clear the cookie: %+v", ck)
			}
			if !strings.Contains(r.header.Get("Clear-Site-Data"), "cookies") {
				t.Errorf("logout sends no Clear-Site-Data")
			}
			reuse := newClient(t, e.ts.URL)
			reuse.setCookie(&http.Cookie{Name: sessionCookie, Value: old})
			if r := reuse.get("/"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
				t.Errorf("old cookie after logout: %s", r)
			}
			if alive(reuse) {
				t.Errorf("old cookie still works for the API")
			}
		})

		t.Run("disabling the account kills its sessions and tokens at the next request", func(t *testing.T) {
			c := e.fresh(t, name, pw)
			tok := e.bearer(t, id)
			if !alive(c) || !alive(tok) {
				t.Fatal("not signed in")
			}
			must(t, e.st.SetDisabled(context.Background(), store.SystemActor, id, true))
			if alive(c) {
				t.Errorf("session survives disabling")
			}
			if alive(tok) {
				t.Errorf("API token survives disabling")
			}
			if r := c.get("/"); r.status != http.StatusSeeOther {
				t.Errorf("page after disabling: %s", r)
			}
			must(t, e.st.SetDisabled(context.Background(), store.SystemActor, id, false))
			if alive(c) {
				t.Errorf("re-enabling revives the old session")
			}
		})

		t.Run("changing the password ends every session", func(t *testing.T) {
			a, b := e.fresh(t, name, pw), e.fresh(t, name, pw)
			r := a.postForm("/account/password", url.Values{"current": {pw}, "new": {"Changed-" + pw}})
			if r.status != http.StatusSeeOther {
				t.Fatalf("%s", r)
			}
			if alive(a) || alive(b) {
				t.Errorf("a session survives the password change")
			}
			pw = "Changed-" + pw
		})

		t.Run("15 minutes idle ends the session", func(t *testing.T) {
			srv, ts := e.newServer(t, web.Config{InsecureCookies: true})
			c := newClient(t, ts.URL)
			c.login(name, pw)
			start := time.Now()
			srv.SetClock(func() time.Time { return start.Add(14 * time.Minute) })
			if !alive(c) {
				t.Fatalf("session ended after 14 idle minutes")
			}
			srv.SetClock(func() time.Time { return start.Add(16 * time.Minute) })
			if alive(c) {
				t.Errorf("session alive after 16 idle minutes")
			}
			srv.SetClock(time.Now)
			if alive(c) {
				t.Errorf("an idle-expired session comes back when the clock does")
			}
		})

		t.Run("8 hours ends the session however active", func(t *testing.T) {
			srv, ts := e.newServer(t, web.Config{InsecureCookies: true, IdleTimeout: 24 * time.Hour})
			c := newClient(t, ts.URL)
			c.login(name, pw)
			start := time.Now()
			srv.SetClock(func() time.Time { return start.Add(7*time.Hour + 50*time.Minute) })
			if !alive(c) {
				t.Fatalf("session ended before 8 hours")
			}
			srv.SetClock(func() time.Time { return start.Add(8*time.Hour + time.Minute) })
			if alive(c) {
				t.Errorf("session alive after 8 hours")
			}
		})
	})
}

func TestBearerTokens(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		psych := e.bearer(t, e.fx.users["psych"])
		if r := psych.get("/api/v1/students/" + itoa(e.fx.own.student)); r.status != 200 {
			t.Errorf("token of the psychology teacher: %s", r)
		}
		if r := psych.get("/api/v1/students/" + itoa(e.fx.other.student)); r.status != 404 {
			t.Errorf("token reaches another district: %s", r)
		}
		bad := newClient(t, e.ts.URL)
		bad.hdr.Set("Authorization", "Bearer hh_not-a-real-token")
		if r := bad.get("/api/v1/me"); r.status != 401 {
			t.Errorf("unknown token: %s", r)
		} else {
			errorShape(t, r)
		}
		// Metrics are for the system administrator's scraper only.
		if r := e.bearer(t, e.fx.users["sysadmin"]).get("/metrics"); r.status != 200 || !strings.Contains(string(r.body), "huhang_http_requests_total") {
			t.Errorf("metrics for the sysadmin token: %s", r)
		}
		if r := psych.get("/metrics"); r.status != 404 {
			t.Errorf("metrics for another token: %s", r)
		}
	})
}

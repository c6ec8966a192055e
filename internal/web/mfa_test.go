package web_test

import (
	"encoding/base32"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/web"
)

var (
	secretRe = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	sealedRe = regexp.MustCompile(`name="sealed" value="([^"]+)"`)
	codesRe  = regexp.MustCompile(`<li><code>([a-z0-9-]+)</code></li>`)
)

// enrol turns TOTP on for the client's account through the pages and
// returns the secret and the recovery codes.
func enrol(t *testing.T, c *client, now time.Time) ([]byte, []string) {
	t.Helper()
	page := c.get("/account/mfa")
	sec, seal := secretRe.FindSubmatch(page.body), sealedRe.FindSubmatch(page.body)
	if page.status != 200 || sec == nil || seal == nil {
		t.Fatalf("enrol page: %s", page)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(string(sec[1]))
	if err != nil {
		t.Fatal(err)
	}
	wrong := c.postForm("/account/mfa", url.Values{"sealed": {string(seal[1])}, "code": {"000000"}})
	if wrong.status != http.StatusBadRequest {
		t.Errorf("a wrong enrolment code answered %d", wrong.status)
	}
	done := c.postForm("/account/mfa", url.Values{"sealed": {string(seal[1])}, "code": {auth.TOTPCode(secret, auth.StepAt(now))}})
	var codes []string
	for _, m := range codesRe.FindAllSubmatch(done.body, -1) {
		codes = append(codes, string(m[1]))
	}
	if done.status != 200 || len(codes) != 10 {
		t.Fatalf("enrolment: %d codes; %s", len(codes), done)
	}
	return secret, codes
}

// T2.3: TOTP second factor — enrolment, login with it, replay refused,
// recovery codes single-use, and the operator's requirement for roles that
// see named children's sensitive data.
func TestSecondFactor(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		t.Run("an enrolled account must pass its code, once, before any page", func(t *testing.T) {
			srv, ts := e.newServer(t, web.Config{InsecureCookies: true, LoginPerMinute: 1000})
			now := time.Now()
			srv.SetClock(func() time.Time { return now })
			name, _, pw := e.newUser(t, "mfa", authz.At(authz.PsychTeacher, e.fx.targets.School))
			c := newClient(t, ts.URL)
			c.login(name, pw)
			secret, codes := enrol(t, c, now)

			// A new sign-in stops at the second factor.
			c2 := newClient(t, ts.URL)
			r := c2.login(name, pw)
			if loc := r.header.Get("Location"); loc != "/login/mfa" {
				t.Fatalf("login redirected to %q, want /login/mfa", loc)
			}
			for _, path := range []string{"/", "/students", "/api/v1/students"} {
				r := c2.get(path)
				if r.status == 200 {
					t.Errorf("%s answered 200 before the second factor", path)
				}
			}
			if r := c2.postForm("/login/mfa", url.Values{"code": {"123456"}}); r.status != http.StatusUnauthorized {
				t.Errorf("a wrong code answered %d", r.status)
			}
			// The code used at enrolment is spent: a replay in the same
			// step is refused.
			if r := c2.postForm("/login/mfa", url.Values{"code": {auth.TOTPCode(secret, auth.StepAt(now))}}); r.status != http.StatusUnauthorized {
				t.Errorf("a replayed code answered %d", r.status)
			}
			now = now.Add(30 * time.Second)
			if r := c2.postForm("/login/mfa", url.Values{"code": {auth.TOTPCode(secret, auth.StepAt(now))}}); r.status != http.StatusSeeOther {
				t.Fatalf("the next code answered %s", r)
			}
			if r := c2.get("/students"); r.status != 200 {
				t.Errorf("after the second factor /students answered %d", r.status)
			}

			// A recovery code works once.
			c3 := newClient(t, ts.URL)
			c3.login(name, pw)
			if r := c3.postForm("/login/mfa", url.Values{"code": {strings.ToUpper(codes[0])}}); r.status != http.StatusSeeOther {
				t.Errorf("a recovery code answered %d", r.status)
			}
			c4 := newClient(t, ts.URL)
			c4.login(name, pw)
			if r := c4.postForm("/login/mfa", url.Values{"code": {codes[0]}}); r.status != http.StatusUnauthorized {
				t.Errorf("a used recovery code answered %d", r.status)
			}
		})

		t.Run("with --require-mfa a sensitive role must enrol before any data", func(t *testing.T) {
			_, ts := e.newServer(t, web.Config{InsecureCookies: true, LoginPerMinute: 1000, RequireMFA: true})
			name, _, pw := e.newUser(t, "req", authz.At(authz.ClassTeacher, e.fx.targets.Class))
			c := newClient(t, ts.URL)
			c.login(name, pw)
			if r := c.get("/"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login/mfa" {
				t.Errorf("home before enrolment: %d → %q", r.status, r.header.Get("Location"))
			}
			if r := c.get("/login/mfa"); r.header.Get("Location") != "/account/mfa" {
				t.Errorf("the factor page should send an unenrolled user to enrol, got %q", r.header.Get("Location"))
			}
			if r := c.get("/api/v1/students"); r.status != http.StatusForbidden || !strings.Contains(string(r.body), "mfa_required") {
				t.Errorf("API before enrolment: %s", r)
			}
			enrol(t, c, time.Now())
			if r := c.get("/"); r.status != 200 {
				t.Errorf("home after enrolment answered %d", r.status)
			}
			// A role that sees no named child's data is not forced.
			off, _, opw := e.newUser(t, "off", authz.At(authz.DistrictOfficial, e.fx.targets.District))
			o := newClient(t, ts.URL)
			o.login(off, opw)
			if r := o.get("/"); r.status != 200 {
				t.Errorf("a district official was stopped: %d", r.status)
			}
		})
	})
}

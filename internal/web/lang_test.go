package web_test

// Pages in the user's language: Chinese by default, English for a browser
// that asks for it, and the choice made with the language switch kept in a
// cookie and on the account.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var htmlLang = regexp.MustCompile(`<html lang="([^"]+)"`)

func pageLang(t *testing.T, r *response) string {
	t.Helper()
	m := htmlLang.FindSubmatch(r.body)
	if m == nil {
		t.Fatalf("%s: no <html lang>", r)
	}
	return string(m[1])
}

func TestPagesInTheUsersLanguage(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		browser := func(acceptLanguage string) *client {
			c := newClient(t, e.ts.URL)
			if acceptLanguage != "" {
				c.hdr.Set("Accept-Language", acceptLanguage)
			}
			return c
		}
		for _, tc := range []struct {
			accept, lang, login, notFound string
		}{
			{"", "zh-CN", "登录", "没有找到这个页面"},
			{"en", "en", "Sign in", "does not exist"},
			{"en-GB,en;q=0.9,zh;q=0.5", "en", "Sign in", "does not exist"},
			{"zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", "登录", "没有找到这个页面"},
			{"fr-FR", "zh-CN", "登录", "没有找到这个页面"},
		} {
			c := browser(tc.accept)
			login := c.get("/login")
			if got := pageLang(t, login); got != tc.lang || !strings.Contains(string(login.body), tc.login) {
				t.Errorf("Accept-Language %q: login page in %s, want %s with %q", tc.accept, got, tc.lang, tc.login)
			}
			nf := c.get("/no/such/page")
			if nf.status != 404 {
				t.Errorf("%s", nf)
			}
			if got := pageLang(t, nf); got != tc.lang || !strings.Contains(string(nf.body), tc.notFound) {
				t.Errorf("Accept-Language %q: 404 page in %s, want %s with %q", tc.accept, got, tc.lang, tc.notFound)
			}
		}

		t.Run("the switch sets a cookie that beats the browser's preference", func(t *testing.T) {
			c := browser("zh-CN")
			r := c.postForm("/lang", url.Values{"lang": {"en"}, "back": {"/login"}})
			if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
				t.Fatalf("%s", r)
			}
			c.keepCookies(r)
			if got := pageLang(t, c.get("/login")); got != "en" {
				t.Errorf("after switching to English: %s", got)
			}
			r = c.postForm("/lang", url.Values{"lang": {"zh-CN"}})
			c.keepCookies(r)
			if got := pageLang(t, c.get("/login")); got != "zh-CN" {
				t.Errorf("after switching back: %s", got)
			}
		})

		t.Run("a signed-in user's choice is kept on the account", func(t *testing.T) {
			name, id, pw := e.newUser(t, "lang")
			c := e.fresh(t, name, pw)
			if got := pageLang(t, c.get("/")); got != "zh-CN" {
				t.Errorf("home page before choosing: %s", got)
			}
			r := c.postForm("/lang", url.Values{"lang": {"en"}, "back": {"/account"}})
			if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account" {
				t.Fatalf("%s", r)
			}
			u, err := e.st.UserByID(context.Background(), id)
			must(t, err)
			if u.Locale != "en" {
				t.Errorf("account locale %q after choosing English", u.Locale)
			}
			// A new browser without the cookie still gets English.
			other := e.fresh(t, name, pw)
			if got := pageLang(t, other.get("/")); got != "en" {
				t.Errorf("home page in a new browser: %s", got)
			}
		})
	})
}

// TestSignedInPagesSpeakOneLanguage: a signed-in user whose browser asks for
// English, and who never used the switch, must get one language from one
// server — not Chinese pages and English refusals.
func TestSignedInPagesSpeakOneLanguage(t *testing.T) {
	e := sharedEnv(t, "sqlite")
	c := e.as(t, "teacher")
	c.hdr.Set("Accept-Language", "en")
	home := pageLang(t, c.get("/"))
	for _, path := range []string{
		"/no/such/page", // no route
		"/students/" + itoa(e.fx.ownTeam.student), // a route the role may not use
		"/classes/999999999",                      // a route it may use, no such record
	} {
		r := c.get(path)
		if got := pageLang(t, r); got != home {
			t.Errorf("%s is in %s, the home page in %s", r, got, home)
		}
	}
}

// TestLangRedirectStaysOnSite: the language switch returns to the page it
// was on, and only to a page of this site — browsers read "/\host" and
// "/<TAB>/host" as "//host".
func TestLangRedirectStaysOnSite(t *testing.T) {
	e := sharedEnv(t, "sqlite")
	for _, back := range []string{"//evil.example", "/\\evil.example", "/\t/evil.example", "/\\/evil.example",
		"https://evil.example/", "javascript:alert(1)", "/%2F%2Fevil.example"} {
		req := httptest.NewRequest("POST", "/lang", strings.NewReader(url.Values{"lang": {"en"}, "back": {back}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		loc := rec.Header().Get("Location")
		// What a browser makes of it: backslashes are slashes, tabs and
		// newlines are dropped.
		norm := strings.NewReplacer("\\", "/", "\t", "", "\n", "", "\r", "").Replace(loc)
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(norm, "/") || strings.HasPrefix(norm, "//") {
			t.Errorf("back=%q: %d Location %q leaves the site", back, rec.Code, loc)
		}
	}
	// A page of the site is returned to.
	req := httptest.NewRequest("POST", "/lang", strings.NewReader("lang=en&back=%2Fstudents%3Fclass%3D1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if loc := rec.Header().Get("Location"); loc != "/students?class=1" {
		t.Errorf("back to a page of the site: Location %q", loc)
	}
}

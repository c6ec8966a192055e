package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"huhang/internal/seed"
	"huhang/internal/store"
)

// otherClass returns a class of the demo school other than the class
// teacher's, with at least one enrolled pupil, and one of its pupils.
func otherClass(t *testing.T, a *app) (store.ClassSummary, store.StudentRow) {
	t.Helper()
	ctx := context.Background()
	classes, err := a.st.ListClasses(ctx, cityScope, a.targets.School)
	if err != nil {
		t.Fatalf("ListClasses: %v", err)
	}
	for _, c := range classes {
		if c.ID == a.targets.Class {
			continue
		}
		rows, _, err := a.st.ListStudents(ctx, store.SystemActor, cityScope, store.StudentFilter{ClassID: c.ID, Limit: 1})
		if err != nil {
			t.Fatalf("ListStudents: %v", err)
		}
		if len(rows) > 0 {
			return c, rows[0]
		}
	}
	t.Fatalf("school %d has no other class with pupils", a.targets.School)
	return store.ClassSummary{}, store.StudentRow{}
}

// pupilNames are the full names of a class's enrolled pupils, from the store.
func pupilNames(t *testing.T, a *app, classID int64) map[string]bool {
	t.Helper()
	rows, _, err := a.st.ListStudents(context.Background(), store.SystemActor, cityScope, store.StudentFilter{ClassID: classID, Limit: 500})
	if err != nil {
		t.Fatalf("ListStudents: %v", err)
	}
	names := map[string]bool{}
	for _, r := range rows {
		names[r.Name] = true
	}
	return names
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// TestClassTeacherSeesOwnClassOnly: a class teacher signs in, opens their
// class from the home page, sees the roster with full names and one pupil's
// record, and cannot open another class or its pupils by typing the URL.
func TestClassTeacherSeesOwnClassOnly(t *testing.T) {
	chromiumPath(t)
	a := newApp(t)
	own, err := a.st.GetClass(context.Background(), cityScope, a.targets.Class)
	if err != nil {
		t.Fatalf("GetClass: %v", err)
	}
	ownNames := pupilNames(t, a, own.ID)
	other, stranger := otherClass(t, a)
	b := newBrowser(t, a)

	// Sign in by typing and clicking.
	b.wantPage(b.login("classteacher", seed.DemoPassword), "/", 200)
	b.wantSessionCookie()

	// Home: the synthetic-data banner and a tile for the class.
	if banner := b.text("p.synthetic"); !strings.HasPrefix(banner, msgSynthetic) {
		b.fatalf("synthetic-data banner reads %q, want it to start with %q", banner, msgSynthetic)
	}
	if body := b.bodyText(); !strings.Contains(body, "我的班级") {
		b.fatalf("home page has no 我的班级 section")
	}
	tile := fmt.Sprintf(`a.tile[href="/classes/%d"]`, own.ID)
	if txt := b.text(tile); !strings.Contains(txt, own.Name) || !strings.Contains(txt, own.SchoolName) {
		b.fatalf("class tile reads %q, want the class %q and school %q", txt, own.Name, own.SchoolName)
	}
	if n := b.count("a.tile"); n != 1 {
		b.fatalf("home page shows %d class tiles, want 1 (the teacher's own class)", n)
	}

	// Class page: aggregates and the roster with full names.
	b.wantPage(b.click(tile), fmt.Sprintf("/classes/%d", own.ID), 200)
	b.waitVisible("#class-stats")
	if h1 := b.text("main h1"); !strings.HasPrefix(h1, own.Name) {
		b.fatalf("class page heading %q, want it to start with %q", h1, own.Name)
	}
	b.waitVisible("#roster")
	pupils := b.links(`#roster a[href^="/students/"]`)
	if len(pupils) == 0 {
		b.fatalf("the roster links no pupil")
	}
	if len(pupils) != len(ownNames) {
		b.fatalf("the roster shows %d pupils, the class has %d", len(pupils), len(ownNames))
	}
	for _, p := range pupils {
		if strings.Contains(p.Text, "*") || utf8.RuneCountInString(p.Text) < 2 || !hasHan(p.Text) {
			b.fatalf("roster name %q is masked or not a full name", p.Text)
		}
		if !ownNames[p.Text] {
			b.fatalf("roster name %q is not a pupil of %s", p.Text, own.Name)
		}
	}
	b.screenshot("class")

	// A pupil's record.
	first := pupils[0]
	b.wantPage(b.click(fmt.Sprintf(`#roster a[href=%q]`, first.Href)), first.Href, 200)
	if name := b.text("#student-name"); !strings.HasPrefix(name, first.Text) {
		b.fatalf("student page heading %q, want it to start with %q", name, first.Text)
	}

	// Another class's pupil, by URL: not found, and the name never reaches
	// the browser.
	strangerPath := fmt.Sprintf("/students/%d", stranger.ID)
	b.wantNotFound(b.open(strangerPath), strangerPath)
	if strings.Contains(b.html(), stranger.Name) {
		b.fatalf("the not-found page for %s contains that pupil's name", strangerPath)
	}
	if b.count("#student-name") != 0 {
		b.fatalf("the not-found page for %s shows a student heading", strangerPath)
	}

	// Another class, by URL: not found.
	otherPath := fmt.Sprintf("/classes/%d", other.ID)
	b.wantNotFound(b.open(otherPath), otherPath)
	if b.count("#class-stats, #roster") != 0 {
		b.fatalf("the not-found page for %s shows class figures or a roster", otherPath)
	}
	if strings.Contains(b.bodyText(), other.Name) {
		b.fatalf("the not-found page for %s names the class %q", otherPath, other.Name)
	}
}

// TestDistrictOfficialDrillsDown: a district official goes from the home page
// to their district, a school and a class, and sees figures but never a
// pupil; another district is not found.
func TestDistrictOfficialDrillsDown(t *testing.T) {
	chromiumPath(t)
	a := newApp(t)
	ctx := context.Background()
	districts, err := a.st.ListDistricts(ctx, cityScope)
	if err != nil {
		t.Fatalf("ListDistricts: %v", err)
	}
	var own, other store.DistrictSummary
	for _, d := range districts {
		if d.ID == a.targets.District {
			own = d
		} else if other.ID == 0 {
			other = d
		}
	}
	if own.ID == 0 || other.ID == 0 {
		t.Fatalf("need the demo district and another one; have %d districts", len(districts))
	}
	b := newBrowser(t, a)

	b.wantPage(b.login("district", seed.DemoPassword), "/", 200)
	if banner := b.text("p.synthetic"); !strings.HasPrefix(banner, msgSynthetic) {
		b.fatalf("synthetic-data banner reads %q", banner)
	}

	// Home: the district table lists the official's district only.
	b.waitVisible("#district-table")
	rows := b.links(`#district-table a[href^="/districts/"]`)
	ownHref := fmt.Sprintf("/districts/%d", own.ID)
	if len(rows) != 1 || rows[0].Href != ownHref || rows[0].Text != own.Name {
		b.fatalf("district table links %+v, want only %s (%s)", rows, ownHref, own.Name)
	}

	// District page: the school list.
	b.wantPage(b.click(fmt.Sprintf(`#district-table a[href=%q]`, ownHref)), ownHref, 200)
	if h1 := b.text("main h1"); !strings.HasPrefix(h1, own.Name) {
		b.fatalf("district page heading %q, want it to start with %q", h1, own.Name)
	}
	b.waitVisible("#school-table")
	schools := b.links(`#school-table a[href^="/schools/"]`)
	if len(schools) == 0 {
		b.fatalf("the district page lists no school")
	}
	b.screenshot("district")

	// School page: the class list.
	school := schools[0]
	b.wantPage(b.click(fmt.Sprintf(`#school-table a[href=%q]`, school.Href)), school.Href, 200)
	if h1 := b.text("main h1"); !strings.HasPrefix(h1, school.Text) {
		b.fatalf("school page heading %q, want it to start with %q", h1, school.Text)
	}
	b.waitVisible("#class-table")
	classes := b.links(`#class-table a[href^="/classes/"]`)
	if len(classes) == 0 {
		b.fatalf("the school page lists no class")
	}

	// Class page: figures, no roster, no pupil.
	class := classes[0]
	b.wantPage(b.click(fmt.Sprintf(`#class-table a[href=%q]`, class.Href)), class.Href, 200)
	b.waitVisible("#class-stats")
	if h1 := b.text("main h1"); !strings.HasPrefix(h1, class.Text) {
		b.fatalf("class page heading %q, want it to start with %q", h1, class.Text)
	}
	if n := b.count("#roster"); n != 0 {
		b.fatalf("a district official sees a roster on %s", class.Href)
	}
	if n := b.count(`a[href^="/students"]`); n != 0 {
		b.fatalf("a district official's class page has %d links to pupils", n)
	}
	var classID int64
	fmt.Sscanf(class.Href, "/classes/%d", &classID)
	page := b.html()
	for name := range pupilNames(t, a, classID) {
		if strings.Contains(page, name) {
			b.fatalf("a district official's class page contains the pupil name %q", name)
		}
	}

	// Another district, by URL: not found.
	otherPath := fmt.Sprintf("/districts/%d", other.ID)
	b.wantNotFound(b.open(otherPath), otherPath)
	if b.count("#school-table") != 0 || strings.Contains(b.bodyText(), other.Name) {
		b.fatalf("the not-found page for %s shows the district", otherPath)
	}
}

// TestLanguageSwitch: the login page starts in Chinese, the English button
// switches it to English, and the 中文 button switches it back.
func TestLanguageSwitch(t *testing.T) {
	chromiumPath(t)
	a := newApp(t)
	b := newBrowser(t, a)

	b.wantPage(b.open("/login"), "/login", 200)
	b.wantLanguage("zh-CN", "登录")

	b.wantPage(b.click(`button[name="lang"][value="en"]`), "/login", 200)
	b.wantLanguage("en", "Sign in")
	if txt := b.text(`#login-form button[type="submit"]`); txt != "Sign in" {
		b.fatalf("submit button reads %q in English", txt)
	}
	if txt := b.text(`label[for="username"]`); txt != "User name" {
		b.fatalf("user name label reads %q in English", txt)
	}
	if body := b.bodyText(); hasHan(strings.ReplaceAll(body, "中文", "")) {
		b.fatalf("the English login page still shows Chinese text")
	}

	// The choice sticks: a fresh load is still English.
	b.wantPage(b.open("/login"), "/login", 200)
	b.wantLanguage("en", "Sign in")

	b.wantPage(b.click(`button[name="lang"][value="zh-CN"]`), "/login", 200)
	b.wantLanguage("zh-CN", "登录")
	if txt := b.text(`#login-form button[type="submit"]`); txt != "登录" {
		b.fatalf("submit button reads %q in Chinese", txt)
	}
}

// wantLanguage checks the page's lang attribute and its main heading.
func (b *browser) wantLanguage(lang, heading string) {
	b.t.Helper()
	if got := eval[string](b, `document.documentElement.lang`); got != lang {
		b.fatalf("page language is %q, want %q", got, lang)
	}
	if h1 := b.text("main h1"); h1 != heading {
		b.fatalf("heading %q, want %q", h1, heading)
	}
}

// TestLoginErrorIsPlain: a wrong password and an unknown user get the same
// visible Chinese message, which says nothing about which was wrong.
func TestLoginErrorIsPlain(t *testing.T) {
	chromiumPath(t)
	a := newApp(t)
	b := newBrowser(t, a)

	var seen []string
	for _, c := range []struct{ name, user, password string }{
		{"wrong password", "teacher", "not-the-password-1"},
		{"unknown user", "no-such-user", seed.DemoPassword},
	} {
		b.wantPage(b.login(c.user, c.password), "/login", 401)
		b.waitVisible("#login-error")
		msg := b.text("#login-error")
		if msg != msgLoginFailed {
			b.fatalf("%s: #login-error reads %q, want %q", c.name, msg, msgLoginFailed)
		}
		if !hasHan(msg) {
			b.fatalf("%s: #login-error is not in Chinese: %q", c.name, msg)
		}
		if role := eval[string](b, `document.getElementById("login-error").getAttribute("role") || ""`); role != "alert" {
			b.fatalf("%s: #login-error has role %q, want alert", c.name, role)
		}
		if pw := eval[string](b, `document.getElementById("password").value`); pw != "" {
			b.fatalf("%s: the password field was filled back in", c.name)
		}
		if b.count("#logout") != 0 {
			b.fatalf("%s: the page shows a logout button", c.name)
		}
		seen = append(seen, b.text("main"))
	}
	// Apart from the echoed user name, both answers read the same.
	same := func(s, user string) string { return strings.ReplaceAll(s, user, "") }
	if same(seen[0], "teacher") != same(seen[1], "no-such-user") {
		b.fatalf("the two failures read differently:\n%q\n%q", seen[0], seen[1])
	}
}

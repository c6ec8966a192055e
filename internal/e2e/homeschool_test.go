package e2e

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"huhang/internal/authz"
	"huhang/internal/seed"
	"huhang/internal/store"
)

// What the home–school pages say (zh-CN catalogue); the test asserts these
// exact texts.
const (
	msgVisitSavedConcern = "家访已记录，关注已转给本校心理老师。"
	msgInvalid           = "提交的内容有误，请检查后重试。"
	msgFutureVisit       = "家访日期: 日期不能晚于今天。"
	msgConcernTaken      = "已接手，请尽快与学生或家长联系。"
	msgConcernClosed     = "已办结。"
	wordConcernMood      = "情绪"
	wordModePhone        = "电话"
	wordStateOpen        = "待接手"
	wordStateTaken       = "处理中"
	wordStateClosed      = "已办结"
	wordOutcomeTalked    = "已谈话疏导"
	// concernText is what the class teacher writes to the psychology
	// teacher; nothing in the demo city says it, so its row is ours.
	concernText = "电话家访时家长说孩子近两周情绪低落、不愿说话，请心理老师跟进。"
)

// hsFixture is the class teacher's class as the store holds it before the
// journey: its sheet, two unvisited pupils with unique names (one to visit,
// one for the refused visit) and the psychology teacher's school.
type hsFixture struct {
	sheet         store.ClassVisitSheet
	pupil, other  store.VisitPupil
	teacherStaff  int64 // the class teacher account's staff record
	psychSchoolID int64
}

// homeSchoolFixture checks the demo city gives the journey what it needs:
// the classteacher account bound to its class with a staff record on the
// class team, pupils not yet visited this term, and the psych account
// bound to the same school.
func homeSchoolFixture(t *testing.T, a *app) hsFixture {
	t.Helper()
	ctx := context.Background()
	var f hsFixture
	sheet, err := a.st.ClassVisits(ctx, store.SystemActor, cityScope, a.targets.Class, time.Now())
	if err != nil {
		t.Fatalf("ClassVisits(%d): %v", a.targets.Class, err)
	}
	f.sheet = sheet
	ct, err := a.st.UserByUsername(ctx, "classteacher")
	if err != nil {
		t.Fatalf("the demo class teacher account: %v", err)
	}
	if !slices.ContainsFunc(ct.Assignments, func(x authz.Assignment) bool {
		return x.Role == authz.ClassTeacher && x.ClassID == sheet.ClassID
	}) {
		t.Fatalf("the classteacher account is bound to %+v, not to class %d", ct.Assignments, sheet.ClassID)
	}
	if f.teacherStaff, err = a.st.StaffIDOf(ctx, ct.ID); err != nil || f.teacherStaff == 0 {
		t.Fatalf("the classteacher account has no staff record (%v): it cannot be a visitor", err)
	}
	if !slices.ContainsFunc(sheet.Team, func(m store.TeamMember) bool {
		return m.StaffID == f.teacherStaff && m.Post == "class_teacher"
	}) {
		t.Fatalf("class %d's team %+v does not hold the class teacher's staff record %d as class_teacher", sheet.ClassID, sheet.Team, f.teacherStaff)
	}
	psych, err := a.st.UserByUsername(ctx, "psych")
	if err != nil {
		t.Fatalf("the demo psychology teacher account: %v", err)
	}
	for _, x := range psych.Assignments {
		if x.Role == authz.PsychTeacher {
			f.psychSchoolID = x.SchoolID
		}
	}
	if f.psychSchoolID != sheet.SchoolID {
		t.Fatalf("the psych account is bound to school %d, the class teacher's class to school %d", f.psychSchoolID, sheet.SchoolID)
	}
	names := map[string]int{}
	for _, p := range sheet.Pupils {
		names[p.Name]++
	}
	var picks []store.VisitPupil
	for _, p := range sheet.Pupils {
		if p.Visits == 0 && names[p.Name] == 1 && hasHan(p.Name) {
			picks = append(picks, p)
		}
	}
	if len(picks) < 2 || sheet.Unvisited < 2 {
		t.Fatalf("class %d (%s) has %d unvisited pupils (%d with a unique name) this term; the journey needs two",
			sheet.ClassID, sheet.ClassName, sheet.Unvisited, len(picks))
	}
	f.pupil, f.other = picks[0], picks[1]
	return f
}

// covPct is the coverage figure as the class sheet prints it.
func covPct(visited, pupils int) string {
	return fmt.Sprintf("%.1f%%", store.Coverage{Pupils: pupils, Visited: visited}.Percent())
}

// classFigures reads the coverage figure and the unvisited count.
func (b *browser) classFigures() (string, int) {
	b.t.Helper()
	b.waitVisible("#class-coverage")
	pct := b.text("#class-coverage-pct")
	if !regexp.MustCompile(`^\d{1,3}\.\d%$`).MatchString(pct) {
		b.fatalf("the coverage figure reads %q, want N.N%%", pct)
	}
	n, err := strconv.Atoi(b.text("#class-unvisited"))
	if err != nil {
		b.fatalf("the unvisited count reads %q: %v", b.text("#class-unvisited"), err)
	}
	return pct, n
}

// pctValue parses a coverage figure "42.5%".
func pctValue(b *browser, s string) float64 {
	b.t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		b.fatalf("coverage figure %q: %v", s, err)
	}
	return v
}

// choosePupil selects the pupil in #student_id and checks the option is
// listed among those not yet visited.
func (b *browser) choosePupil(p store.VisitPupil) {
	b.t.Helper()
	id := strconv.FormatInt(p.StudentID, 10)
	b.do("choose "+p.Name, chromedp.SetValue(chromedp.CSS("#student_id"), id))
	type opt struct {
		Value string `json:"value"`
		Text  string `json:"text"`
		Group string `json:"group"`
	}
	got := eval[opt](b, `(() => { const s = document.getElementById("student_id"), o = s.options[s.selectedIndex];
		return {value: s.value, text: o ? o.text.trim() : "", group: o && o.parentElement.label ? o.parentElement.label : ""}; })()`)
	if got.Value != id || got.Text != p.Name || got.Group != "本学期尚未家访" {
		b.fatalf("#student_id holds %+v, want %s (%s) in the group 本学期尚未家访", got, id, p.Name)
	}
}

// concernRow is a row of the psychology teacher's inbox.
type concernRow struct {
	ID    string `json:"id"`
	State string `json:"state"`
	Text  string `json:"text"`
	Take  int    `json:"take"`
	Close int    `json:"close"`
}

// concernRowFor finds the inbox row of the pupil's concern with our
// message, or a zero row.
func (b *browser) concernRowFor(studentID int64) concernRow {
	b.t.Helper()
	b.waitVisible("#concerns")
	rows := eval[[]concernRow](b, `Array.from(document.querySelectorAll("#concerns tbody tr[data-state]"), tr => ({
		id: tr.id, state: tr.dataset.state, text: tr.innerText.replace(/\s+/g, " ").trim(),
		take: tr.querySelectorAll('form[action$="/take"] button').length,
		close: tr.querySelectorAll('form[action$="/close"] button').length}))`)
	href := fmt.Sprintf("/students/%d/visits", studentID)
	for _, r := range rows {
		if strings.Contains(r.Text, concernText) {
			if b.count(fmt.Sprintf(`#%s a[href=%q]`, r.ID, href)) != 1 {
				b.fatalf("the concern row %s with our message does not link to %s: %q", r.ID, href, r.Text)
			}
			return r
		}
	}
	return concernRow{}
}

// TestHomeSchoolVisitConcernReachesPsychTeacher is the journey of issue 6:
// a class teacher opens the class's visit sheet from the home page's
// reminder, records a phone visit of an unvisited pupil with a concern
// about the child's mood passed to the psychology teacher; the sheet says
// so, its coverage figure moves up and one pupil fewer is unvisited. A
// visit dated tomorrow is refused by the server with a message (past the
// browser's own check) and the coverage does not move. The school's
// psychology teacher finds the concern in the inbox, takes it up and
// closes it with an outcome; the row's state follows.
func TestHomeSchoolVisitConcernReachesPsychTeacher(t *testing.T) {
	chromiumPath(t)
	began := time.Now()
	a := newApp(t)
	t.Logf("demo city ready in %s", time.Since(began).Round(time.Millisecond))
	ctx := context.Background()
	f := homeSchoolFixture(t, a)
	sheet := f.sheet
	visitsPath := fmt.Sprintf("/classes/%d/visits", sheet.ClassID)
	schoolScope := authz.Scope{Schools: []int64{sheet.SchoolID}}
	openBefore, err := a.st.CountOpenConcerns(ctx, schoolScope)
	if err != nil {
		t.Fatalf("CountOpenConcerns: %v", err)
	}
	t.Logf("class %s: %d pupils, %d visited, %d unvisited; visiting %s, refusing a visit of %s",
		sheet.ClassName, sheet.Coverage.Pupils, sheet.Coverage.Visited, sheet.Unvisited, f.pupil.Name, f.other.Name)

	// ---- 1. The class teacher records a phone visit with a concern.
	var afterPct string
	{
		began := time.Now()
		b := newBrowser(t, a)
		b.wantPage(b.login("classteacher", seed.DemoPassword), "/", 200)
		b.waitVisible("#home-homeschool")
		if l := b.links("#nav-hs"); len(l) != 1 || l[0].Href != "/home-school" || l[0].Text != "家校协同" {
			b.fatalf("the class teacher's menu entry is %+v, want 家校协同 → /home-school", l)
		}
		if b.count("#nav-concerns") != 0 {
			b.fatalf("the class teacher's menu offers the psychology teacher's inbox")
		}
		rem := b.links(`#home-homeschool li[data-kind="unvisited"] a`)
		if len(rem) != 1 || rem[0].Href != visitsPath {
			b.fatalf("the home page's unvisited reminders are %+v, want one linking to %s", rem, visitsPath)
		}
		if want := fmt.Sprintf("%s：%d 名学生本学期尚未家访", sheet.ClassName, sheet.Unvisited); !strings.HasPrefix(rem[0].Text, want) {
			b.fatalf("the reminder reads %q, want it to start %q", rem[0].Text, want)
		}
		b.wantPage(b.click(`#home-homeschool li[data-kind="unvisited"] a`), visitsPath, 200)
		b.wantChinese("main h1")
		if h1 := b.text("main h1"); !strings.Contains(h1, sheet.ClassName) || !strings.Contains(h1, sheet.SchoolName) {
			b.fatalf("the visit sheet is headed %q, want the class %s of %s", h1, sheet.ClassName, sheet.SchoolName)
		}
		pct0, unvisited0 := b.classFigures()
		if want := covPct(sheet.Coverage.Visited, sheet.Coverage.Pupils); pct0 != want || unvisited0 != sheet.Unvisited {
			b.fatalf("the sheet reads %s covered and %d unvisited; the store holds %s and %d", pct0, unvisited0, want, sheet.Unvisited)
		}
		if n := b.count(fmt.Sprintf(`#unvisited li[data-student="%d"]`, f.pupil.StudentID)); n != 1 {
			b.fatalf("%s is listed %d times among the unvisited, want once", f.pupil.Name, n)
		}
		b.screenshot("sheet-before")

		// The form: the pupil, a phone visit by the class teacher, a
		// concern about the child's mood passed on with a message.
		b.choosePupil(f.pupil)
		b.do("choose a phone visit", chromedp.Click(chromedp.CSS("#mode-in_person")), chromedp.Click(chromedp.CSS("#mode-phone")))
		if m := b.checked(`input[name="mode"]`); !slices.Equal(m, []string{"phone"}) {
			b.fatalf("the mode radios hold %v, want phone", m)
		}
		if v := b.checked(`input[name="visitors"]`); !slices.Equal(v, []string{strconv.FormatInt(f.teacherStaff, 10)}) {
			b.fatalf("the visitors ticked are %v, want the class teacher's own staff record %d", v, f.teacherStaff)
		}
		if d, want := eval[string](b, `document.getElementById("visited_on").value`), eval[string](b, `document.getElementById("visited_on").max`); d == "" || d != want {
			b.fatalf("the visit date reads %q, want today (%q, the field's max)", d, want)
		}
		b.do("note the concern",
			chromedp.Click(chromedp.CSS("#concern-mood")),
			chromedp.Click(chromedp.CSS("#pass_concern")),
			chromedp.SendKeys(chromedp.CSS("#concern_message"), concernText),
		)
		if c := b.checked(`input[name="concerns"]`); !slices.Equal(c, []string{"mood"}) {
			b.fatalf("the concerns ticked are %v, want mood", c)
		}
		if !eval[bool](b, `document.getElementById("pass_concern").checked`) {
			b.fatalf("#pass_concern is not ticked")
		}
		if got := eval[string](b, `document.getElementById("concern_message").value`); got != concernText {
			b.fatalf("#concern_message holds %q", got)
		}
		b.wantPage(b.click("#visit-save"), visitsPath, 200)
		if q := eval[string](b, `location.search`); q != "?done=concern" {
			b.fatalf("saving the visit led to %s%s, want ?done=concern", visitsPath, q)
		}
		if msg := b.text("#hs-flash"); msg != msgVisitSavedConcern {
			b.fatalf("the sheet says %q after saving, want %q", msg, msgVisitSavedConcern)
		}
		pct1, unvisited1 := b.classFigures()
		if want := covPct(sheet.Coverage.Visited+1, sheet.Coverage.Pupils); pct1 != want || pctValue(b, pct1) <= pctValue(b, pct0) {
			b.fatalf("after the visit the coverage reads %s (before %s), want %s", pct1, pct0, want)
		}
		if unvisited1 != unvisited0-1 {
			b.fatalf("after the visit %d pupils are unvisited (before %d), want one fewer", unvisited1, unvisited0)
		}
		if b.count(fmt.Sprintf(`#unvisited li[data-student="%d"]`, f.pupil.StudentID)) != 0 {
			b.fatalf("%s is still listed among the unvisited", f.pupil.Name)
		}
		row := eval[[]string](b, fmt.Sprintf(`Array.from(document.querySelectorAll('#visited tr[data-student="%d"] td'), td => td.innerText.trim())`, f.pupil.StudentID))
		if len(row) < 4 || row[0] != f.pupil.Name || row[1] != "1" || row[3] != wordModePhone {
			b.fatalf("%s's row among the visited reads %q, want the name, 1 visit and 电话", f.pupil.Name, row)
		}
		afterPct = pct1
		b.screenshot("sheet-after")

		// A visit dated tomorrow. The date field's max stops it in the
		// browser; past that check (a script, an old browser) the server
		// refuses it with a message and stores nothing.
		b.wantPage(b.click("#nav-hs"), visitsPath, 200) // a class-bound role's 家校协同 is its class sheet
		b.choosePupil(f.other)
		today, err := time.Parse("2006-01-02", eval[string](b, `document.getElementById("visited_on").max`))
		if err != nil {
			b.fatalf("the date field's max: %v", err)
		}
		tomorrow := today.AddDate(0, 0, 1).Format("2006-01-02")
		b.do("date the visit tomorrow", chromedp.SetValue(chromedp.CSS("#visited_on"), tomorrow))
		if !eval[bool](b, `document.getElementById("visited_on").validity.rangeOverflow`) {
			b.fatalf("the browser accepts the visit date %s (max %s)", tomorrow, today.Format("2006-01-02"))
		}
		b.do("turn off the browser's form check", chromedp.Evaluate[chromedp.Void](`document.getElementById("visit-form").noValidate = true`))
		b.wantPage(b.click("#visit-save"), visitsPath, 400)
		if got := eval[string](b, `document.querySelector("#hs-problems p").innerText.trim()`); got != msgInvalid {
			b.fatalf("the refusal is headed %q, want %q", got, msgInvalid)
		}
		if got := eval[[]string](b, `Array.from(document.querySelectorAll("#hs-problems li"), li => li.innerText.trim())`); !slices.Equal(got, []string{msgFutureVisit}) {
			b.fatalf("the refusal lists %q, want only %q", got, msgFutureVisit)
		}
		if b.count("#hs-flash") != 0 {
			b.fatalf("the refused visit shows a saved message")
		}
		if got := eval[string](b, `document.getElementById("student_id").value`); got != strconv.FormatInt(f.other.StudentID, 10) {
			b.fatalf("the refused form lost the pupil: #student_id holds %q", got)
		}
		pct2, unvisited2 := b.classFigures()
		if pct2 != pct1 || unvisited2 != unvisited1 {
			b.fatalf("after the refused visit the sheet reads %s and %d unvisited, want %s and %d as before", pct2, unvisited2, pct1, unvisited1)
		}
		if b.count(fmt.Sprintf(`#unvisited li[data-student="%d"]`, f.other.StudentID)) != 1 {
			b.fatalf("%s left the unvisited list after a refused visit", f.other.Name)
		}
		b.screenshot("refused")
		b.close()
		t.Logf("the class teacher's journey took %s", time.Since(began).Round(time.Millisecond))
	}

	// Stored: this term, one phone visit of the pupil with the mood
	// concern and none of the other pupil (earlier terms' visits stay);
	// one more open concern at the school.
	termVisits := func(studentID int64) []store.Visit {
		t.Helper()
		all, err := a.st.StudentVisits(ctx, store.SystemActor, cityScope, studentID)
		if err != nil {
			t.Fatalf("StudentVisits(%d): %v", studentID, err)
		}
		var out []store.Visit
		for _, v := range all {
			if v.VisitedOn >= sheet.TermStart && v.VisitedOn <= sheet.TermEnd {
				out = append(out, v)
			}
		}
		return out
	}
	if v := termVisits(f.pupil.StudentID); len(v) != 1 || v[0].Mode != "phone" || !slices.Equal(v[0].Concerns, []string{"mood"}) || v[0].ConcernState != "open" {
		t.Fatalf("%s's stored visits this term are %+v, want one phone visit with the mood concern passed on", f.pupil.Name, v)
	}
	if v := termVisits(f.other.StudentID); len(v) != 0 {
		t.Fatalf("the refused visit stored %+v", v)
	}
	if n, err := a.st.CountOpenConcerns(ctx, schoolScope); err != nil || n != openBefore+1 {
		t.Fatalf("the school has %d open concerns (%v), want %d", n, err, openBefore+1)
	}

	// ---- 2. The psychology teacher takes the concern up and closes it.
	{
		began := time.Now()
		b := newBrowser(t, a)
		b.wantPage(b.login("psych", seed.DemoPassword), "/", 200)
		b.waitVisible("#home-homeschool")
		rem := b.links(`#home-homeschool li[data-kind="concerns"] a`)
		if want := fmt.Sprintf("%d 条家访关注等待您接手", openBefore+1); len(rem) != 1 || rem[0].Href != "/concerns" || rem[0].Text != want {
			b.fatalf("the psychology teacher's concern reminders are %+v, want %q → /concerns", rem, want)
		}
		if l := b.links("#nav-concerns"); len(l) != 1 || l[0].Href != "/concerns" || l[0].Text != "家访关注" {
			b.fatalf("the psychology teacher's menu entry is %+v, want 家访关注 → /concerns", l)
		}
		b.wantPage(b.click("#nav-concerns"), "/concerns", 200)
		b.wantChinese("main h1")
		r := b.concernRowFor(f.pupil.StudentID)
		if r.ID == "" {
			b.fatalf("the inbox has no row with the class teacher's message about %s", f.pupil.Name)
		}
		if r.State != "open" || r.Take != 1 || r.Close != 1 {
			b.fatalf("the concern's row is %+v, want state open with a take and a close button", r)
		}
		if b.count(fmt.Sprintf(`#concerns tr[data-state="open"]#%s`, r.ID)) != 1 {
			b.fatalf("the row %s is not a tr[data-state=open]", r.ID)
		}
		for _, w := range []string{f.pupil.Name, sheet.ClassName, wordConcernMood, wordModePhone, wordStateOpen} {
			if !strings.Contains(r.Text, w) {
				b.fatalf("the concern's row reads %q, want it to hold %q", r.Text, w)
			}
		}
		b.screenshot("inbox")

		b.wantPage(b.click(fmt.Sprintf(`#%s form[action$="/take"] button`, r.ID)), "/concerns", 200)
		if msg := b.text("#hs-flash"); msg != msgConcernTaken {
			b.fatalf("taking the concern up says %q, want %q", msg, msgConcernTaken)
		}
		r = b.concernRowFor(f.pupil.StudentID)
		if r.State != "taken" || r.Take != 0 || r.Close != 1 || !strings.Contains(r.Text, wordStateTaken) {
			b.fatalf("after taking it up the row is %+v, want state taken (处理中) with only the close button", r)
		}

		b.do("choose the outcome", chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`#%s select[name="outcome"]`, r.ID)), "talked"))
		b.wantPage(b.click(fmt.Sprintf(`#%s form[action$="/close"] button`, r.ID)), "/concerns", 200)
		if msg := b.text("#hs-flash"); msg != msgConcernClosed {
			b.fatalf("closing the concern says %q, want %q", msg, msgConcernClosed)
		}
		if got := b.concernRowFor(f.pupil.StudentID); got.ID != "" {
			b.fatalf("the closed concern is still listed among those waiting: %+v", got)
		}
		b.do("show the closed concerns", chromedp.SetValue(chromedp.CSS("#state"), "closed"))
		b.wantPage(b.click(`form.filters button[type="submit"]`), "/concerns", 200)
		closed := b.concernRowFor(f.pupil.StudentID)
		if closed.ID != r.ID || closed.State != "closed" || closed.Take+closed.Close != 0 ||
			!strings.Contains(closed.Text, wordStateClosed) || !strings.Contains(closed.Text, wordOutcomeTalked) {
			b.fatalf("among the closed concerns the row is %+v, want %s closed (已办结, 已谈话疏导) with no buttons", closed, r.ID)
		}
		b.screenshot("closed")
		b.close()
		t.Logf("the psychology teacher's journey took %s", time.Since(began).Round(time.Millisecond))
	}

	// Stored: the concern closed with its outcome; the school's open count
	// back where it was; the class's coverage as the sheet last showed it.
	list, err := a.st.ListConcerns(ctx, store.SystemActor, schoolScope, "all")
	if err != nil {
		t.Fatalf("ListConcerns: %v", err)
	}
	i := slices.IndexFunc(list, func(c store.Concern) bool { return c.StudentID == f.pupil.StudentID && c.Message == concernText })
	if i < 0 || list[i].State != "closed" || list[i].Outcome != "talked" {
		t.Fatalf("the stored concern is %+v, want closed with the outcome talked", list[max(i, 0):min(i+1, len(list))])
	}
	if n, err := a.st.CountOpenConcerns(ctx, schoolScope); err != nil || n != openBefore {
		t.Fatalf("the school has %d open concerns (%v), want %d as before the journey", n, err, openBefore)
	}
	after, err := a.st.ClassVisits(ctx, store.SystemActor, cityScope, sheet.ClassID, time.Now())
	if err != nil {
		t.Fatalf("ClassVisits: %v", err)
	}
	if got := covPct(after.Coverage.Visited, after.Coverage.Pupils); got != afterPct || after.Unvisited != sheet.Unvisited-1 {
		t.Fatalf("the store's coverage is %s with %d unvisited, the sheet showed %s; want %d unvisited", got, after.Unvisited, afterPct, sheet.Unvisited-1)
	}
}

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/chromedp"

	"huhang/internal/screening"
	"huhang/internal/seed"
	"huhang/internal/store"
)

// What the screening pages say; the test asserts these exact texts.
const (
	msgCodeUsed     = "这个答题码已经提交过了，不能再次作答。谢谢你！"
	msgThanks       = "谢谢你！"
	msgConsentSaved = "已保存 1 条变更。"
	msgAcked        = "已确认。预警不再升级。"
	msgNoAlerts     = "没有未关闭的预警。"
	sevCritical     = "危机"
	stateSeen       = "已查看"
	stateAcked      = "已确认"
	stepRaised      = "发出预警"
	hotline         = "12355"
)

// tierWords are what a class teacher must never read about a pupil: tier
// and severity names in either language, and the words for scores.
var tierWords = []string{"绿色", "黄色", "橙色", "红色", "危机", "高风险", "风险等级", "得分", "总分", "分数",
	"Green", "Yellow", "Orange", "Red", "critical", "score", "PHQ"}

// cjkFont matches font families that hold Chinese glyphs.
var cjkFont = regexp.MustCompile(`(?i)wenquanyi|wqy|cjk|source han|droid sans fallback|ar pl|noto sans sc|noto serif sc|micro ?hei|zen ?hei`)

// unflaggedPupil picks a pupil of the class teacher's class who is not yet
// flagged (no open alert, no orange or red result this year) and whose name
// is unique in the class, so the flag the test sees is the one it raised.
// It returns the class, the pupil and how many pupils are flagged now.
func unflaggedPupil(t *testing.T, a *app) (store.ClassSummary, store.StudentRow, int) {
	t.Helper()
	ctx := context.Background()
	class, err := a.st.GetClass(ctx, cityScope, a.targets.Class)
	if err != nil {
		t.Fatalf("GetClass: %v", err)
	}
	rows, _, err := a.st.ListStudents(ctx, store.SystemActor, cityScope, store.StudentFilter{ClassID: class.ID, Limit: 200})
	if err != nil {
		t.Fatalf("ListStudents: %v", err)
	}
	ids := make([]int64, len(rows))
	names := map[string]int{}
	for i, r := range rows {
		ids[i] = r.ID
		names[r.Name]++
	}
	flags, err := a.st.AttentionFlags(ctx, cityScope, ids)
	if err != nil {
		t.Fatalf("AttentionFlags: %v", err)
	}
	for _, r := range rows {
		if !flags[r.ID] && names[r.Name] == 1 && hasHan(r.Name) {
			return class, r, len(flags)
		}
	}
	t.Fatalf("class %d (%s) has no unflagged pupil with a unique name among %d pupils", class.ID, class.Name, len(rows))
	return class, store.StudentRow{}, 0
}

// homeAlerts reads the alert counts on the home page: open and unread.
func (b *browser) homeAlerts() (open, unread int) {
	b.t.Helper()
	b.waitVisible("#home-alerts")
	txt := b.text("#home-alerts p")
	if txt == msgNoAlerts {
		return 0, 0
	}
	n := regexp.MustCompile(`\d+`).FindAllString(txt, -1)
	if len(n) != 2 || !strings.Contains(txt, "条预警未关闭") {
		b.fatalf("home page alert line reads %q, want \"N 条预警未关闭，其中 M 条未读。\"", txt)
	}
	open, _ = strconv.Atoi(n[0])
	unread, _ = strconv.Atoi(n[1])
	return open, unread
}

// checked lists the values of the checked inputs matching sel.
func (b *browser) checked(sel string) []string {
	b.t.Helper()
	return eval[[]string](b, `Array.from(document.querySelectorAll(`+jsString(sel+":checked")+`), i => i.value)`)
}

// checkOnly clicks the checkboxes named name so that exactly the value want
// is checked, and verifies the form holds just that.
func (b *browser) checkOnly(name, want string) {
	b.t.Helper()
	for _, v := range b.checked(fmt.Sprintf(`input[name=%q]`, name)) {
		if v != want {
			b.do("uncheck "+name+"="+v, chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=%q][value=%q]`, name, v))))
		}
	}
	if !slices.Contains(b.checked(fmt.Sprintf(`input[name=%q]`, name)), want) {
		b.do("check "+name+"="+want, chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=%q][value=%q]`, name, want))))
	}
	if got := b.checked(fmt.Sprintf(`input[name=%q]`, name)); len(got) != 1 || got[0] != want {
		b.fatalf("checkboxes %s checked: %v, want only %s", name, got, want)
	}
}

// renderFonts lists the platform fonts Chromium used to draw the text of
// the first element matching sel, with how many glyphs each drew.
func (b *browser) renderFonts(sel string) map[string]float64 {
	b.t.Helper()
	nodes, err := chromedp.Run(b.ctx, chromedp.Nodes(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil || len(nodes) == 0 {
		b.fatalf("find %s for its fonts: %v", sel, err)
	}
	if _, err := chromedp.Call(b.ctx, css.Enable, cdp.Empty{}); err != nil {
		b.fatalf("CSS.enable: %v", err)
	}
	res, err := chromedp.Call(b.ctx, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: nodes[0].NodeID})
	if err != nil {
		b.fatalf("fonts of %s: %v", sel, err)
	}
	out := map[string]float64{}
	for _, f := range res.Fonts {
		out[f.FamilyName] += f.GlyphCount
	}
	return out
}

// wantChinese checks the page is in Chinese: lang zh-CN, a Chinese heading,
// drawn with a font that has Chinese glyphs (not boxes).
func (b *browser) wantChinese(sel string) {
	b.t.Helper()
	if got := eval[string](b, `document.documentElement.lang`); got != "zh-CN" {
		b.fatalf("page language is %q, want zh-CN", got)
	}
	txt := b.text(sel)
	if !hasHan(txt) {
		b.fatalf("%s reads %q, not Chinese", sel, txt)
	}
	fonts := b.renderFonts(sel)
	for name, glyphs := range fonts {
		if glyphs > 0 && cjkFont.MatchString(name) {
			return
		}
	}
	b.fatalf("%s (%q) is drawn with %v: no font with Chinese glyphs (install fonts-wqy-microhei)", sel, txt, fonts)
}

// wantNoTiers fails if the page shows a tier, a severity or a score.
func (b *browser) wantNoTiers(where string) {
	b.t.Helper()
	body := b.bodyText()
	for _, w := range tierWords {
		if strings.Contains(body, w) {
			b.fatalf("%s: a class teacher reads %q on the page", where, w)
		}
	}
	html := b.html()
	for _, w := range []string{"t-red", "t-orange", "t-yellow", "t-green", "sev-", "crit-mark", "/participants/"} {
		if strings.Contains(html, w) {
			b.fatalf("%s: the page holds %q (a tier, severity or answers link)", where, w)
		}
	}
}

// TestScreeningCriticalAnswerAlertsPsychTeacher follows one crisis answer
// through the product. The psychology teacher creates a campaign for the
// class teacher's class, records one guardian's consent and prints the code
// slips; the pupil, with no account, types the code in lower case with its
// dash, answers the PHQ-9 with item 9 (thoughts of self-harm) above "not at
// all", submits and sees the help lines, and cannot use the code again. The
// psychology teacher sees a critical alert in the inbox with the pupil's
// name, opens it (seen) and acknowledges it with a note. The class teacher
// sees only the attention flag: no tier, no severity, no score, no inbox,
// no results. The district official does not see the alert before it
// escalates.
func TestScreeningCriticalAnswerAlertsPsychTeacher(t *testing.T) {
	chromiumPath(t)
	a := newApp(t)
	ctx := context.Background()
	class, pupil, flaggedBefore := unflaggedPupil(t, a)
	if class.SchoolID != a.targets.School {
		t.Fatalf("the class teacher's class %d is in school %d, not the demo school %d", class.ID, class.SchoolID, a.targets.School)
	}
	if class.Grade < 3 || class.Grade > 12 {
		t.Fatalf("the class teacher's class is in grade %d, which the campaign form does not offer", class.Grade)
	}
	reg, err := screening.NewRegistry()
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	phq9, ok := reg.Get("phq9")
	if !ok {
		t.Fatalf("no phq9 instrument")
	}
	if len(phq9.Items) != 9 || len(phq9.Critical) == 0 || phq9.Critical[0].Item != "9" {
		t.Fatalf("phq9 has %d items and critical rules %+v; the test answers item 9 as the critical one", len(phq9.Items), phq9.Critical)
	}
	campaignName := "浏览器测试·第九题演练"

	// ---- 1. The psychology teacher sets up a campaign for the class.
	var campaignID, participantID int64
	var slipCode string
	var open0, unread0 int
	{
		b := newBrowser(t, a)
		b.wantPage(b.login("psych", seed.DemoPassword), "/", 200)
		b.wantChinese("main h1")
		open0, unread0 = b.homeAlerts()

		b.wantPage(b.open("/screening"), "/screening", 200)
		b.wantPage(b.click("#new-campaign"), "/screening/new", 200)
		b.waitVisible("#campaign-form")
		b.wantChinese("main h1")
		b.do("name the campaign", chromedp.SendKeys(chromedp.CSS("#name"), campaignName))
		b.checkOnly("instruments", "phq9")
		b.checkOnly("grades", strconv.Itoa(class.Grade))
		school := strconv.FormatInt(a.targets.School, 10)
		if n := b.count(`input[name="school_ids"]`); n != 1 {
			b.fatalf("the campaign form offers the psychology teacher %d schools, want 1 (their own)", n)
		}
		b.checkOnly("school_ids", school)
		st := b.click(`#campaign-form button[type="submit"]`)
		p := b.path()
		if _, err := fmt.Sscanf(p, "/screening/%d", &campaignID); err != nil || p != fmt.Sprintf("/screening/%d", campaignID) {
			b.fatalf("creating the campaign led to %s, want /screening/{id}", p)
		}
		b.wantPage(st, p, 200)
		if h1 := b.text("main h1"); !strings.HasPrefix(h1, campaignName) {
			b.fatalf("campaign page heading %q, want it to start with %q", h1, campaignName)
		}
		cp, err := a.st.GetCampaign(ctx, cityScope, campaignID)
		if err != nil {
			t.Fatalf("GetCampaign(%d): %v", campaignID, err)
		}
		if !slices.Equal(cp.Instruments, []string{"phq9"}) || cp.SchoolID != a.targets.School {
			t.Fatalf("campaign %d: instruments %v, owner school %d; want [phq9], school %d", campaignID, cp.Instruments, cp.SchoolID, a.targets.School)
		}

		// The class's consent page, from the breakdown by class.
		classPath := fmt.Sprintf("/screening/%d/classes/%d", campaignID, class.ID)
		b.waitVisible("#breakdown")
		b.wantPage(b.click(fmt.Sprintf(`#breakdown a[href=%q]`, classPath)), classPath, 200)
		b.waitVisible("#consent-table")
		radio := eval[string](b, `(() => {
			const tr = Array.from(document.querySelectorAll("#consent-table tbody tr")).find(tr => tr.cells[1] && tr.cells[1].innerText.trim() === `+jsString(pupil.Name)+`);
			const i = tr && tr.querySelector('input[type="radio"][value="given"]');
			return i ? i.name : "";
		})()`)
		if _, err := fmt.Sscanf(radio, "consent_%d", &participantID); err != nil {
			b.fatalf("the consent table has no 已同意 choice for %s (found %q)", pupil.Name, radio)
		}
		b.do("choose 已同意 on paper",
			chromedp.SetValue(chromedp.CSS("#method"), "paper"),
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=%q][value="given"]`, radio))),
		)
		if got := b.checked(fmt.Sprintf(`input[name=%q]`, radio)); len(got) != 1 || got[0] != "given" {
			b.fatalf("%s's consent reads %v after clicking 已同意", pupil.Name, got)
		}
		b.wantPage(b.click("#save-consent"), classPath+"/consent", 200)
		if msg := b.text("#flash"); msg != msgConsentSaved {
			b.fatalf("saving consent says %q, want %q", msg, msgConsentSaved)
		}
		if got := b.checked(fmt.Sprintf(`input[name=%q]`, radio)); len(got) != 1 || got[0] != "given" {
			b.fatalf("after saving, %s's consent reads %v, want given", pupil.Name, got)
		}

		// The code slips: one, for the pupil whose guardian agreed.
		b.wantPage(b.click("#codes-link"), classPath+"/codes", 200)
		b.waitVisible("#slips")
		if n := b.count(".slip"); n != 1 {
			b.fatalf("the code sheet has %d slips, want 1 (one guardian agreed)", n)
		}
		if who := b.text(".slip strong"); who != pupil.Name {
			b.fatalf("the slip is for %q, want %q", who, pupil.Name)
		}
		slipCode = b.text(".slip .code")
		if !regexp.MustCompile(`^[0-9A-Z]{5}-[0-9A-Z]{5}$`).MatchString(slipCode) {
			b.fatalf("the slip's code reads %q, want XXXXX-XXXXX", slipCode)
		}
		b.screenshot("codes")
		b.close()
	}

	// ---- 2. The pupil answers, with no account.
	{
		b := newBrowser(t, a)
		typed := strings.ToLower(slipCode)
		b.wantPage(b.open("/s"), "/s", 200)
		b.wantChinese("main h1")
		b.do("type the code", chromedp.WaitVisible(chromedp.CSS("#code")), chromedp.SendKeys(chromedp.CSS("#code"), typed))
		b.wantPage(b.click("#start"), "/s", 200)
		b.waitVisible("#pupil-form")
		if h1 := b.text("main h1"); h1 != phq9.Name.In("zh-CN") {
			b.fatalf("the answering page is headed %q, want %q", h1, phq9.Name.In("zh-CN"))
		}
		b.wantChinese("main h1")
		if got, want := eval[string](b, `document.querySelector('#pupil-form input[name="code"]').value`), store.NormalizeCode(typed); got != want || want == "" {
			b.fatalf("the form carries the code %q, want the normalised %q", got, want)
		}
		if strings.Contains(eval[string](b, `location.href`), strings.ReplaceAll(slipCode, "-", "")) {
			b.fatalf("the code is in the URL")
		}
		if n := b.count("#pupil-form fieldset.item"); n != 9 {
			b.fatalf("the PHQ-9 page shows %d items, want 9", n)
		}
		if legend := b.text("#item-9 legend"); !strings.Contains(legend, phq9.Items[8].Text.In("zh-CN")) {
			b.fatalf("item 9 reads %q, want the self-harm item %q", legend, phq9.Items[8].Text.In("zh-CN"))
		}
		// Items 1–8 "有几天" (1), item 9 "一半以上的天数" (2): a total of 10
		// (orange), made critical by item 9.
		answers := []int{1, 1, 1, 1, 1, 1, 1, 1, 2}
		for i, v := range answers {
			b.do(fmt.Sprintf("answer item %d", i+1), chromedp.Click(chromedp.CSS(fmt.Sprintf(`#item-%d input[value="%d"]`, i+1, v))))
		}
		if n := b.count(`#pupil-form input[type="radio"]:checked`); n != 9 {
			b.fatalf("%d answers are chosen, want 9", n)
		}
		b.screenshot("answers")
		b.wantPage(b.click("#next"), "/s/answer", 200)
		b.waitVisible("#submit")
		if h1 := b.text("main h1"); h1 != "全部完成" {
			b.fatalf("the review page is headed %q, want 全部完成", h1)
		}
		b.wantPage(b.click("#submit"), "/s/answer", 200)
		b.waitVisible("#pupil-done")
		if h1 := b.text("#pupil-done h1"); h1 != msgThanks {
			b.fatalf("the last page is headed %q, want %q", h1, msgThanks)
		}
		b.wantChinese("#pupil-done h1")
		if help := b.text("#pupil-done .help"); !strings.Contains(help, hotline) {
			b.fatalf("the last page's help reads %q, want the hotline %s", help, hotline)
		}
		b.screenshot("done")

		// Back to the review page and submit again: refused.
		b.resubmitReview()

		// The same code typed again on the start page: refused.
		b.wantPage(b.open("/s"), "/s", 200)
		b.do("type the code again", chromedp.WaitVisible(chromedp.CSS("#code")), chromedp.SendKeys(chromedp.CSS("#code"), typed))
		b.wantPage(b.click("#start"), "/s", 409)
		if msg := b.text("#pupil-error"); msg != msgCodeUsed {
			b.fatalf("typing a used code says %q, want %q", msg, msgCodeUsed)
		}
		if b.count("#pupil-form") != 0 {
			b.fatalf("a used code opens the questions again")
		}
		b.close()
	}

	// The submission is stored with a critical alert at the school.
	alerts, err := a.st.CampaignAlerts(ctx, campaignID)
	if err != nil {
		t.Fatalf("CampaignAlerts: %v", err)
	}
	if len(alerts) != 1 {
		t.Fatalf("campaign %d has %d alerts after one critical answer, want 1", campaignID, len(alerts))
	}
	alertID := alerts[0].ID
	alertPath := fmt.Sprintf("/alerts/%d", alertID)

	// ---- 3. The psychology teacher: the red alert in the inbox.
	{
		b := newBrowser(t, a)
		b.wantPage(b.login("psych", seed.DemoPassword), "/", 200)
		open1, unread1 := b.homeAlerts()
		if open1 != open0+1 || unread1 != unread0+1 {
			b.fatalf("home page: %d open, %d unread alerts; before the answer %d and %d, want one more of each", open1, unread1, open0, unread0)
		}
		b.wantPage(b.click(`#home-alerts a[href="/alerts"]`), "/alerts", 200)
		b.waitVisible("#alerts")
		b.wantChinese("main h1")
		type row struct {
			Class string `json:"class"`
			Sev   string `json:"sev"`
			Name  string `json:"name"`
			Href  string `json:"href"`
		}
		rows := eval[[]row](b, `Array.from(document.querySelectorAll("#alerts tbody tr"), tr => {
			const sev = tr.querySelector(".sev"), a = tr.cells[1] && tr.cells[1].querySelector("a");
			return {class: tr.className, sev: sev ? sev.innerText.trim() : "",
				name: a ? a.innerText.trim() : "", href: a ? a.getAttribute("href") : ""};
		})`)
		var mine []row
		for _, r := range rows {
			if r.Href == alertPath {
				mine = append(mine, r)
			}
		}
		if len(mine) != 1 {
			b.fatalf("the inbox lists %s %d times among %d alerts, want once", alertPath, len(mine), len(rows))
		}
		r := mine[0]
		if !slices.Contains(strings.Fields(r.Class), "sev-critical") || !slices.Contains(strings.Fields(r.Class), "unread") {
			b.fatalf("the alert's row has classes %q, want sev-critical and unread", r.Class)
		}
		if strings.TrimSpace(r.Sev) != sevCritical || r.Name != pupil.Name {
			b.fatalf("the alert's row reads severity %q, pupil %q; want %q, %q", r.Sev, r.Name, sevCritical, pupil.Name)
		}
		if rows[0].Href != alertPath && !strings.Contains(rows[0].Class, "sev-critical") {
			b.fatalf("the inbox's first row is %+v, not a critical alert", rows[0])
		}
		b.screenshot("inbox")

		// Opening it is the "seen" step.
		b.wantPage(b.click(fmt.Sprintf(`#alerts a[href=%q]`, alertPath)), alertPath, 200)
		b.waitVisible("#alert-facts")
		if h1 := b.text("main h1"); !strings.Contains(h1, sevCritical) || !strings.Contains(h1, fmt.Sprintf("#%d", alertID)) {
			b.fatalf("the alert page is headed %q, want %s and #%d", h1, sevCritical, alertID)
		}
		if b.count("main h1 .sev.sev-critical") != 1 {
			b.fatalf("the alert page heading has no .sev-critical mark")
		}
		if st := b.text("#alert-state"); st != stateSeen {
			b.fatalf("an opened alert's state reads %q, want %q", st, stateSeen)
		}
		student := fmt.Sprintf("/students/%d", pupil.ID)
		if l := b.links(fmt.Sprintf(`#alert-facts a[href=%q]`, student)); len(l) != 1 || l[0].Text != pupil.Name {
			b.fatalf("the alert names the pupil as %+v, want a link to %s reading %q", l, student, pupil.Name)
		}
		hist := eval[[]string](b, `Array.from(document.querySelectorAll("#history li"), li => li.innerText)`)
		if len(hist) != 2 || !strings.Contains(hist[0], stepRaised) || !strings.Contains(hist[1], stateSeen) || !strings.Contains(hist[1], "演示·心理教师") {
			b.fatalf("the history reads %q, want 发出预警, then 已查看 by 演示·心理教师", hist)
		}

		// Acknowledge with a note.
		note := "已与学生单独面谈，已电话联系家长，今天放学后一起来心理辅导室。"
		b.do("write the note", chromedp.SendKeys(chromedp.CSS("#ack-note"), note))
		b.wantPage(b.click("#ack"), alertPath, 200)
		if msg := b.text("#flash"); msg != msgAcked {
			b.fatalf("acknowledging says %q, want %q", msg, msgAcked)
		}
		if st := b.text("#alert-state"); st != stateAcked {
			b.fatalf("an acknowledged alert's state reads %q, want %q", st, stateAcked)
		}
		hist = eval[[]string](b, `Array.from(document.querySelectorAll("#history li"), li => li.innerText)`)
		if len(hist) != 3 || !strings.Contains(hist[2], stateAcked) || !strings.Contains(hist[2], note) || !strings.Contains(hist[2], "演示·心理教师") {
			b.fatalf("after acknowledging, the history reads %q, want a third step 已确认 by 演示·心理教师 with the note", hist)
		}
		if b.count("#ack") != 0 || b.count("#note") != 1 {
			b.fatalf("an acknowledged alert still offers acknowledging, or offers no action note")
		}
		b.screenshot("acknowledged")

		// Home: still open (acknowledged, not closed), no longer unread.
		b.wantPage(b.open("/"), "/", 200)
		if open2, unread2 := b.homeAlerts(); open2 != open0+1 || unread2 != unread0 {
			b.fatalf("after acknowledging, home shows %d open, %d unread; want %d and %d", open2, unread2, open0+1, unread0)
		}
		// The psychology teacher reads the tier on the pupil's page.
		b.wantPage(b.open(student), student, 200)
		b.waitVisible("#screenings")
		if txt := b.text("#screenings"); !strings.Contains(txt, campaignName) || !strings.Contains(txt, "红色") {
			b.fatalf("the pupil's screenings read %q, want %s with 红色", txt, campaignName)
		}
		// The slip is gone: the code is used.
		codes := fmt.Sprintf("/screening/%d/classes/%d/codes", campaignID, class.ID)
		b.wantPage(b.open(codes), codes, 200)
		if n := b.count(".slip"); n != 0 {
			b.fatalf("the code sheet still has %d slips after the only pupil answered", n)
		}
		b.close()
	}

	// ---- 4. The class teacher: the flag, nothing more.
	{
		b := newBrowser(t, a)
		b.wantPage(b.login("classteacher", seed.DemoPassword), "/", 200)
		b.waitVisible("#home-flags")
		if txt, want := b.text("#home-flags"), fmt.Sprintf("%d 名学生需要关注", flaggedBefore+1); !strings.Contains(txt, want) {
			b.fatalf("home page flags read %q, want %q", txt, want)
		}
		if b.count("#home-alerts") != 0 {
			b.fatalf("the class teacher's home page has an alert section")
		}
		b.wantNoTiers("home")

		classPath := fmt.Sprintf("/classes/%d", class.ID)
		b.wantPage(b.click(fmt.Sprintf(`a.tile[href=%q]`, classPath)), classPath, 200)
		b.waitVisible("#roster")
		b.wantChinese("main h1")
		student := fmt.Sprintf("/students/%d", pupil.ID)
		badge := eval[int](b, `(() => {
			const a = document.querySelector(`+jsString(fmt.Sprintf(`#roster a[href=%q]`, student))+`);
			return a ? a.closest("tr").querySelectorAll(".attention").length : -1;
		})()`)
		if badge != 1 {
			b.fatalf("%s's roster row has %d attention badges, want 1", pupil.Name, badge)
		}
		if n := b.count("#roster .attention"); n != flaggedBefore+1 {
			b.fatalf("the roster shows %d attention badges, want %d", n, flaggedBefore+1)
		}
		b.wantNoTiers(classPath)
		b.screenshot("class-flags")

		b.wantPage(b.click(fmt.Sprintf(`#roster a[href=%q]`, student)), student, 200)
		b.waitVisible("#attention")
		if b.count("#attention .attention") != 1 {
			b.fatalf("the pupil's page shows no attention badge")
		}
		if b.count("#screenings") != 0 {
			b.fatalf("the class teacher sees the pupil's screenings")
		}
		b.wantNoTiers(student)

		// The consent page of the class: state only.
		consent := fmt.Sprintf("/screening/%d/classes/%d", campaignID, class.ID)
		b.wantPage(b.open(consent), consent, 200)
		b.waitVisible("#consent-table")
		b.wantNoTiers(consent)

		// No inbox, no alert, no results, no answers.
		for _, p := range []string{"/alerts", alertPath, fmt.Sprintf("/screening/%d/results", campaignID),
			fmt.Sprintf("/screening/%d/participants/%d", campaignID, participantID)} {
			st := b.open(p)
			if p == "/alerts" && st == 200 {
				if b.count(fmt.Sprintf(`a[href=%q]`, alertPath)) != 0 || strings.Contains(b.bodyText(), pupil.Name) {
					b.fatalf("the class teacher's /alerts lists the pupil's alert")
				}
				continue
			}
			b.wantNotFound(st, p)
			if strings.Contains(b.bodyText(), pupil.Name) {
				b.fatalf("the not-found page for %s names the pupil", p)
			}
		}
		b.close()
	}

	// ---- 5. The district official: nothing before escalation.
	{
		b := newBrowser(t, a)
		b.wantPage(b.login("district", seed.DemoPassword), "/", 200)
		b.wantPage(b.open("/alerts"), "/alerts", 200)
		if b.count(fmt.Sprintf(`a[href=%q]`, alertPath)) != 0 {
			b.fatalf("the district official's inbox lists the school-level alert %s", alertPath)
		}
		b.wantNotFound(b.open(alertPath), alertPath)
		if strings.Contains(b.html(), pupil.Name) {
			b.fatalf("the district official's not-found page names the pupil")
		}
		b.close()
	}

	// Stored: the one alert, acknowledged, still at the school level.
	alerts, err = a.st.CampaignAlerts(ctx, campaignID)
	if err != nil {
		t.Fatalf("CampaignAlerts: %v", err)
	}
	if len(alerts) != 1 || alerts[0].State != "acknowledged" || alerts[0].Level != store.LevelSchool {
		t.Fatalf("after the journey the campaign's alerts are %+v, want one acknowledged at the school", alerts)
	}
}

// close shuts the browser down at the end of a person's part of the
// journey, so that one Chromium runs at a time.
func (b *browser) close() {
	b.t.Helper()
	if err := chromedp.Cancel(b.ctx); err != nil {
		b.t.Logf("close Chromium: %v", err)
	}
}

// resubmitReview goes back from the thank-you page to the review page and
// submits it again, as a pupil who presses Back and then 提交 (or reload)
// would. The review page is not stored (Cache-Control: no-store), so
// Chromium shows "Confirm Form Resubmission" (ERR_CACHE_MISS) and reloading
// posts the form again; should the page come back from the back-forward
// cache instead, 提交 is clicked. Either way the answer is the code page
// with the "already used" message.
func (b *browser) resubmitReview() {
	b.t.Helper()
	var st int64
	err := chromedp.Do(b.ctx, chromedp.NavigateBack())
	if err == nil && b.count("#submit") == 1 {
		st = b.click("#submit")
	} else {
		if err != nil && !strings.Contains(err.Error(), "ERR_CACHE_MISS") {
			b.fatalf("back from the thank-you page: %v", err)
		}
		resp, err := chromedp.RunResponse(b.ctx, chromedp.Reload())
		if err != nil {
			b.fatalf("reload the review page (resubmit): %v", err)
		}
		st = status(resp)
	}
	b.wantPage(st, "/s/answer", 409)
	if msg := b.text("#pupil-error"); msg != msgCodeUsed {
		b.fatalf("submitting the review page again says %q, want %q", msg, msgCodeUsed)
	}
	if b.count("#pupil-form, #pupil-done") != 0 {
		b.fatalf("submitting again shows the questions or the thank-you page")
	}
}

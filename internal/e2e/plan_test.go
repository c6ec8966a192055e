package e2e

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"huhang/internal/export"
	"huhang/internal/programme"
	"huhang/internal/seed"
	"huhang/internal/store"
)

// planStatuses are the words the plan pages show for a target's status and
// the CSS classes of their badges (internal/web/plan.go, zh-CN catalogue).
var planStatuses = map[string]struct{ word, class string }{
	"met":            {"已达标", "tier t-green"},
	"on_track":       {"进度正常", "badge ok"},
	"at_risk":        {"有风险", "tier t-orange"},
	"missed":         {"未完成", "tier t-red"},
	"not_applicable": {"不适用", "badge"},
}

// planStatusOf is the status whose word is w, or "".
func planStatusOf(w string) string {
	for k, v := range planStatuses {
		if v.word == w {
			return k
		}
	}
	return ""
}

// planLagging reports whether a status asks the district to act.
func planLagging(status string) bool { return status == "at_risk" || status == "missed" }

// planTargetRow is one target of #plan-node as the page shows it.
type planTargetRow struct {
	Code     string `json:"code"`
	Title    string `json:"title"`
	Due      string `json:"due"`
	Shown    string `json:"shown"`
	Word     string `json:"word"`
	Class    string `json:"class"`
	GapsHref string `json:"gapsHref"`
	GapsText string `json:"gapsText"`
}

// planTargetRows reads the node's targets table.
func (b *browser) planTargetRows() []planTargetRow {
	b.t.Helper()
	b.waitVisible("#plan-node")
	return eval[[]planTargetRow](b, `Array.from(document.querySelectorAll('#plan-node tbody tr[id^="target-"]'), tr => {
		const badge = tr.cells[5] && tr.cells[5].querySelector("span");
		const gaps = tr.cells[4] && tr.cells[4].querySelector('a[href^="/plan/targets/"]');
		const strong = tr.cells[0] && tr.cells[0].querySelector("strong");
		const shown = tr.cells[3] && tr.cells[3].querySelector("strong");
		return {code: tr.id.slice("target-".length), title: strong ? strong.innerText.trim() : "",
			due: tr.cells[1] ? tr.cells[1].innerText.trim() : "", shown: shown ? shown.innerText.trim() : "",
			word: badge ? badge.innerText.trim() : "", class: badge ? badge.className : "",
			gapsHref: gaps ? gaps.getAttribute("href") : "", gapsText: gaps ? gaps.innerText.trim() : ""};
	})`)
}

// planChildRow is one school of #plan-children.
type planChildRow struct {
	Name  string   `json:"name"`
	Href  string   `json:"href"`
	Class string   `json:"class"`
	Words []string `json:"words"`
	Shown []string `json:"shown"`
}

// planChildren reads the children table: the target codes of its columns
// and one row per child.
func (b *browser) planChildren() ([]string, []planChildRow) {
	b.t.Helper()
	b.waitVisible("#plan-children")
	codes := eval[[]string](b, `Array.from(document.querySelectorAll('#plan-children thead a[href^="#target-"]'), a => a.getAttribute("href").slice("#target-".length))`)
	rows := eval[[]planChildRow](b, `Array.from(document.querySelectorAll("#plan-children tbody tr"), tr => {
		const a = tr.cells[0].querySelector("a");
		const cells = Array.from(tr.cells).slice(1);
		return {name: a ? a.innerText.trim() : "", href: a ? a.getAttribute("href") : "", class: tr.className,
			words: cells.map(td => { const s = td.querySelector("span"); return s ? s.title : ""; }),
			shown: cells.map(td => { const s = td.querySelector("span"); return s ? s.innerText.trim() : ""; })};
	})`)
	return codes, rows
}

// wantPlanStatuses checks every target row shows a known status whose
// badge class matches its word, and that the status fits the deadline: a
// target whose deadline has passed is met or missed, one still open is
// not missed. A count of holders (the city's "20 A certificates") is not
// judged below the city, and a node with nobody in a population shows
// "–": those are not applicable. It returns the statuses by code.
func (b *browser) wantPlanStatuses(where, today string, rows []planTargetRow, counts map[string]bool) map[string]string {
	b.t.Helper()
	out := map[string]string{}
	for _, r := range rows {
		st := planStatusOf(r.Word)
		// The home–school quotas are per school type: a kindergarten's
		// quota does not apply to a primary school, and the reverse.
		typed := strings.HasPrefix(r.Code, "hs-")
		if st == "not_applicable" && (counts[r.Code] || r.Shown == "–" || typed) && r.Class == planStatuses[st].class {
			out[r.Code] = st
			continue
		}
		if st == "" || st == "not_applicable" {
			b.fatalf("%s: target %s shows the status %q (actual %q), want one of met/on track/at risk/missed", where, r.Code, r.Word, r.Shown)
		}
		if r.Class != planStatuses[st].class {
			b.fatalf("%s: target %s reads %q with the badge class %q, want %q", where, r.Code, r.Word, r.Class, planStatuses[st].class)
		}
		if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(r.Due) {
			b.fatalf("%s: target %s has the deadline %q, want YYYY-MM-DD", where, r.Code, r.Due)
		}
		past := r.Due < today
		if past && st != "met" && st != "missed" {
			b.fatalf("%s: target %s's deadline %s has passed (today %s) but it reads %q", where, r.Code, r.Due, today, r.Word)
		}
		if !past && st == "missed" {
			b.fatalf("%s: target %s is due %s (today %s) but already reads %q", where, r.Code, r.Due, today, r.Word)
		}
		out[r.Code] = st
	}
	return out
}

// fetchHead fetches href with the page's cookies and returns the status,
// Content-Type and Content-Disposition.
func (b *browser) fetchHead(href string) (int, string, string) {
	b.t.Helper()
	type head struct {
		Status      int    `json:"status"`
		Type        string `json:"type"`
		Disposition string `json:"disposition"`
	}
	h, err := chromedp.Run(b.ctx, chromedp.Evaluate[head](`fetch(`+jsString(href)+`, {credentials: "same-origin"}).then(async r => {
		await r.arrayBuffer();
		return {status: r.status, type: r.headers.get("content-type") || "", disposition: r.headers.get("content-disposition") || ""};
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fatalf("fetch %s: %v", href, err)
	}
	return h.Status, h.Type, h.Disposition
}

// wantXLSXLink checks the link sel asks the server for want (the same path
// and query parameters) and that fetching it as the signed-in user gives an
// .xlsx attachment. A link to the wrong node is reported and the journey
// goes on, so one run shows every problem.
func (b *browser) wantXLSXLink(sel, want string) {
	b.t.Helper()
	l := b.links(sel)
	if len(l) != 1 || l[0].Text != "导出 Excel" {
		b.fatalf("the export links %s are %+v, want one reading 导出 Excel", sel, l)
	}
	href := l[0].Href
	got, err := url.Parse(href)
	if err != nil {
		b.fatalf("the export link %s has the href %q: %v", sel, href, err)
	}
	w, _ := url.Parse(want)
	if got.Path != w.Path || !maps.EqualFunc(got.Query(), w.Query(), slices.Equal) {
		b.t.Errorf("the export link %s is %q: the server reads the path %s and the query %v, want %s (%v)",
			sel, href, got.Path, got.Query(), want, w.Query())
	}
	st, ct, cd := b.fetchHead(href)
	if st != 200 || ct != export.ContentType {
		b.fatalf("GET %s answered %d %q, want 200 %q", href, st, ct, export.ContentType)
	}
	if !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, ".xlsx") {
		b.fatalf("GET %s has Content-Disposition %q, want an .xlsx attachment", href, cd)
	}
}

// download clicks the link sel as a person would and waits until the
// browser has saved the file; it returns the file's path.
func (b *browser) download(sel string) string {
	b.t.Helper()
	dir := b.t.TempDir()
	if _, err := chromedp.Call(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior:      cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName,
		DownloadPath:  dir,
		EventsEnabled: new(true),
	}); err != nil {
		b.fatalf("allow downloads: %v", err)
	}
	progress := chromedp.Events(b.ctx, cdpbrowser.DownloadProgress)
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	for ev, err := range progress {
		if err != nil {
			b.fatalf("clicking %s: waiting for the download: %v", sel, err)
		}
		switch ev.State {
		case cdpbrowser.DownloadProgressStateCompleted:
			p := filepath.Join(dir, ev.GUID)
			if _, err := os.Stat(p); err != nil {
				b.fatalf("clicking %s: the download completed but the file is missing: %v", sel, err)
			}
			return p
		case cdpbrowser.DownloadProgressStateCanceled:
			b.fatalf("clicking %s: the browser canceled the download", sel)
		}
	}
	b.fatalf("clicking %s: no download", sel)
	return ""
}

// xlsxCells is every non-empty cell text of the workbook's sheets.
func xlsxCells(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open the downloaded workbook: %v", err)
	}
	defer f.Close()
	cells := map[string]bool{}
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatalf("read sheet %s: %v", sh, err)
		}
		for _, r := range rows {
			for _, c := range r {
				if c = strings.TrimSpace(c); c != "" {
					cells[c] = true
				}
			}
		}
	}
	return cells
}

// TestPlanDashboardDrillAndExport is the journey of issue 5: a district
// official opens the plan dashboard from the menu, sees the district's
// targets with their statuses and its schools with the lagging ones first,
// drills into a school at risk of missing (or that missed) a target, on to
// the named staff who do not meet it, and exports the list to Excel. A
// subject teacher short of this school year's hours is reminded on the
// home page, sees the hours bar on their own record, and cannot open the
// dashboard or the list.
func TestPlanDashboardDrillAndExport(t *testing.T) {
	chromiumPath(t)
	began := time.Now()
	a := newApp(t)
	t.Logf("demo city ready in %s", time.Since(began).Round(time.Millisecond))
	ctx := context.Background()

	district, err := a.st.GetDistrict(ctx, cityScope, a.targets.District)
	if err != nil {
		t.Fatalf("GetDistrict(%d): %v", a.targets.District, err)
	}
	schools, _, err := a.st.ListSchools(ctx, cityScope, store.SchoolFilter{DistrictID: district.ID, Limit: 1000})
	if err != nil {
		t.Fatalf("ListSchools: %v", err)
	}
	schoolIDs := map[string]int64{} // by name
	for _, s := range schools {
		schoolIDs[s.Name] = s.ID
	}
	targets, err := a.st.Targets(ctx)
	if err != nil {
		t.Fatalf("Targets: %v", err)
	}
	titles := map[string]string{}
	counts := map[string]bool{} // judged for the city only
	var codes []string
	for _, tg := range targets {
		titles[tg.Code] = tg.Title.In("zh-CN")
		counts[tg.Code] = tg.Condition.Kind == programme.CondCountHolders
		codes = append(codes, tg.Code)
	}

	// ---- 1. The district official: the dashboard, a lagging school, the
	// named staff, the export.
	var gapsPath string
	var gapNames []string
	{
		began := time.Now()
		b := newBrowser(t, a)
		b.wantPage(b.login("district", seed.DemoPassword), "/", 200)
		b.waitVisible("#nav-plan")
		if l := b.links("#nav-plan"); len(l) != 1 || l[0].Href != "/plan" || l[0].Text != "规划目标" {
			b.fatalf("the district official's menu entry is %+v, want 规划目标 → /plan", l)
		}
		b.wantPage(b.click("#nav-plan"), "/plan", 200)
		b.wantChinese("main h1")
		h1 := b.text("main h1")
		m := regexp.MustCompile(`统计日期 (\d{4}-\d{2}-\d{2})`).FindStringSubmatch(h1)
		if !strings.HasPrefix(h1, "规划目标进展") || !strings.Contains(h1, district.Name) || m == nil {
			b.fatalf("the dashboard is headed %q, want 规划目标进展 with %s and 统计日期", h1, district.Name)
		}
		today := m[1]
		if h2 := b.text("#plan-node h2"); h2 != "本区县各项目标" {
			b.fatalf("the targets table is headed %q, want 本区县各项目标", h2)
		}

		// Every target, with a status that fits its deadline.
		rows := b.planTargetRows()
		var got []string
		for _, r := range rows {
			got = append(got, r.Code)
			if !strings.Contains(r.Title, titles[r.Code]) {
				b.fatalf("target %s is titled %q, want %q", r.Code, r.Title, titles[r.Code])
			}
			if r.GapsHref != "" {
				b.fatalf("the district's row of %s links to named staff (%s); names are per school", r.Code, r.GapsHref)
			}
		}
		if !slices.Equal(got, codes) {
			b.fatalf("the dashboard lists the targets %v, want %v", got, codes)
		}
		statuses := b.wantPlanStatuses("/plan", today, rows, counts)
		seen := map[string]bool{}
		for _, st := range statuses {
			seen[st] = true
		}
		if !(seen["met"] || seen["missed"]) || !(seen["on_track"] || seen["at_risk"]) {
			b.fatalf("the district's targets read %v: want a past plan's target met or missed and an open one on track or at risk", statuses)
		}

		// Every school of the district, the lagging ones first.
		cols, children := b.planChildren()
		if !slices.Equal(cols, codes) {
			b.fatalf("the schools table has the columns %v, want the targets %v", cols, codes)
		}
		if len(children) != len(schools) {
			b.fatalf("the dashboard lists %d schools, want the district's %d", len(children), len(schools))
		}
		rank := map[string]int{"child-not_applicable": 0, "child-met": 1, "child-on_track": 2, "child-at_risk": 3, "child-missed": 4}
		lagging := -1
		for i, ch := range children {
			id, ok := schoolIDs[ch.Name]
			if !ok || ch.Href != fmt.Sprintf("/plan?school=%d", id) {
				b.fatalf("school row %d reads %q → %s, not a school of %s", i, ch.Name, ch.Href, district.Name)
			}
			r, ok := rank[ch.Class]
			if !ok || len(ch.Words) != len(codes) {
				b.fatalf("school row %s has the class %q and %d cells", ch.Name, ch.Class, len(ch.Words))
			}
			if i > 0 && r > rank[children[i-1].Class] {
				b.fatalf("school %s (%s) is listed after %s (%s): the lagging schools come first", ch.Name, ch.Class, children[i-1].Name, children[i-1].Class)
			}
			if lagging < 0 && (ch.Class == "child-at_risk" || ch.Class == "child-missed") {
				lagging = i
			}
		}
		if lagging < 0 {
			b.fatalf("no school of %s is at risk or missed a target; the demo city has lagging schools in the demo district", district.Name)
		}
		school := children[lagging]
		schoolID := schoolIDs[school.Name]
		var flagged []string // its targets at risk or missed, in column order
		for i, w := range school.Words {
			if planLagging(planStatusOf(w)) {
				flagged = append(flagged, codes[i])
			}
		}
		if len(flagged) == 0 {
			b.fatalf("school %s's row is %s but none of its cells reads 有风险 or 未完成: %v", school.Name, school.Class, school.Words)
		}
		b.screenshot("district")

		// The district's table can be exported too.
		b.wantXLSXLink("#plan-export", fmt.Sprintf("/plan.xlsx?district=%d", district.ID))

		// Into the school: the same figures as the district's row.
		schoolPage := fmt.Sprintf("/plan?school=%d", schoolID)
		b.wantPage(b.click(fmt.Sprintf(`#plan-children a[href=%q]`, schoolPage)), "/plan", 200)
		if q := eval[string](b, `location.search`); q != fmt.Sprintf("?school=%d", schoolID) {
			b.fatalf("clicking %s led to /plan%s", school.Name, q)
		}
		if h1 := b.text("main h1"); !strings.Contains(h1, school.Name) {
			b.fatalf("the school's dashboard is headed %q, want %s", h1, school.Name)
		}
		if crumbs := b.links("nav.crumbs a"); !slices.Contains(crumbs, link{Href: fmt.Sprintf("/plan?district=%d", district.ID), Text: district.Name}) {
			b.fatalf("the school's breadcrumbs are %+v, want a link back to %s", crumbs, district.Name)
		}
		if b.count("#plan-children") != 0 {
			b.fatalf("a school's dashboard has a children table")
		}
		b.wantXLSXLink("#plan-export", fmt.Sprintf("/plan.xlsx?school=%d", schoolID))
		srows := b.planTargetRows()
		sstat := b.wantPlanStatuses(schoolPage, today, srows, counts)
		var pick planTargetRow
		for i, r := range srows {
			if i >= len(codes) || r.Code != codes[i] {
				b.fatalf("the school's dashboard lists target %s at row %d, want %v", r.Code, i, codes)
			}
			if w := school.Words[i]; r.Word != w || r.Shown != school.Shown[i] {
				b.fatalf("target %s at %s: the school's page reads %s %q, its row on the district's page %s %q",
					r.Code, school.Name, r.Shown, r.Word, school.Shown[i], w)
			}
			if pick.Code == "" && slices.Contains(flagged, r.Code) && r.GapsHref != "" {
				pick = r
			}
		}
		if pick.Code == "" {
			b.fatalf("school %s is %v on %v but the page names nobody for them (no 查看未达标 link); statuses %v", school.Name, school.Class, flagged, sstat)
		}
		gapsPath = fmt.Sprintf("/plan/targets/%s", pick.Code)
		if want := gapsPath + fmt.Sprintf("?school=%d", schoolID); pick.GapsHref != want {
			b.fatalf("target %s links to %s, want %s", pick.Code, pick.GapsHref, want)
		}
		nm := regexp.MustCompile(`^查看未达标的 (\d+) 人$`).FindStringSubmatch(pick.GapsText)
		if nm == nil {
			b.fatalf("target %s's link reads %q, want 查看未达标的 N 人", pick.Code, pick.GapsText)
		}
		missing, _ := strconv.Atoi(nm[1])
		b.screenshot("school")

		// The named staff of the school who do not meet the target.
		b.wantPage(b.click(fmt.Sprintf(`#target-%s a[href=%q]`, pick.Code, pick.GapsHref)), gapsPath, 200)
		gapsPath += fmt.Sprintf("?school=%d", schoolID)
		b.waitVisible("#gaps")
		b.wantChinese("main h1")
		if h1 := b.text("main h1"); !strings.Contains(h1, school.Name) || !strings.Contains(h1, titles[pick.Code]) {
			b.fatalf("the named staff page is headed %q, want the target %q and the school %q", h1, titles[pick.Code], school.Name)
		}
		type staffRow struct {
			Name string `json:"name"`
			Href string `json:"href"`
		}
		staff := eval[[]staffRow](b, `Array.from(document.querySelectorAll("#gaps tbody tr"), tr => {
			const a = tr.querySelector('a[href^="/staff/"]');
			return {name: tr.cells[0].innerText.trim(), href: a ? a.getAttribute("href") : ""};
		})`)
		for _, s := range staff {
			if !hasHan(s.Name) || !regexp.MustCompile(`^/staff/\d+/training$`).MatchString(s.Href) {
				b.fatalf("a row of the named staff reads %q → %q, want a Chinese name and its training record", s.Name, s.Href)
			}
			gapNames = append(gapNames, s.Name)
		}
		if len(staff) == 0 {
			b.fatalf("the named staff list of %s at %s is empty, though the status is %s", pick.Code, school.Name, pick.Word)
		}
		if len(staff) != missing {
			b.fatalf("the school's page says %d do not meet %s; the list names %d", missing, pick.Code, len(staff))
		}
		stats := eval[[]string](b, `Array.from(document.querySelectorAll("#gap-stats li"), li => li.innerText.replace(/\s+/g, " ").trim())`)
		if len(stats) != 4 || stats[2] != strconv.Itoa(len(staff))+" 尚未达标" || !strings.HasPrefix(stats[3], pick.Word) {
			b.fatalf("the named staff page's figures read %q, want %d 尚未达标 and the status %s", stats, len(staff), pick.Word)
		}
		b.screenshot("gaps")

		// Export the list: the link answers an .xlsx, and clicking it
		// downloads a workbook with the same names.
		xlsxPath := fmt.Sprintf("/plan/targets/%s/gaps.xlsx?school=%d", pick.Code, schoolID)
		b.wantXLSXLink("#gaps-export", xlsxPath)
		file := b.download("#gaps-export")
		cells := xlsxCells(t, file)
		for _, n := range gapNames {
			if !cells[n] {
				b.fatalf("the downloaded list has no cell %q (it holds %d cells)", n, len(cells))
			}
		}
		if !cells[school.Name] {
			b.fatalf("the downloaded list does not name the school %s", school.Name)
		}
		if p := b.path(); p != "/plan/targets/"+pick.Code {
			b.fatalf("after the download the browser is at %s, want it still on the list", p)
		}
		t.Logf("district %s: school %s, target %s (%s), %d named staff exported", district.Name, school.Name, pick.Code, pick.Word, len(gapNames))
		b.close()
		t.Logf("the district official's journey took %s", time.Since(began).Round(time.Millisecond))
	}

	// ---- 2. A subject teacher: the reminder, the hours bar, and no dashboard.
	{
		began := time.Now()
		b := newBrowser(t, a)
		b.wantPage(b.login("teacher", seed.DemoPassword), "/", 200)
		b.waitVisible("#home-hours")
		msg := b.text("#home-hours p.warn")
		m := regexp.MustCompile(`^(\d{4}–\d{4}) 学年您已获认定心理健康教育培训 (\d+(?:\.\d+)?) 学时，尚未达到每学年 8 学时的要求。$`).FindStringSubmatch(msg)
		if m == nil {
			b.fatalf("the teacher's reminder reads %q, want that they are short of 8 hours this school year", msg)
		}
		year, hours := m[1], m[2]
		h, _ := strconv.ParseFloat(hours, 64)
		if h >= 8 {
			b.fatalf("the reminder says %s hours, which is not short of 8", hours)
		}
		if b.count("#home-plan") != 0 {
			b.fatalf("a subject teacher's home page shows the schools' plan reminders")
		}
		if l := b.links("#nav-plan"); len(l) != 1 || l[0].Href != "/me/training" {
			b.fatalf("the teacher's menu entry is %+v, want 我的培训 → /me/training", l)
		}

		b.wantPage(b.click(`#home-hours a[href="/me/training"]`), "/me/training", 200)
		b.waitVisible("#current-year")
		b.wantChinese("main h1")
		label := b.text("#current-year td:first-child")
		if !strings.Contains(label, year) || !strings.Contains(label, "本学年") {
			b.fatalf("this school year's row reads %q, want %s marked 本学年", label, year)
		}
		if got := b.text("#current-year td:nth-child(2)"); got != hours {
			b.fatalf("this school year's hours read %q on the record, %q on the home page", got, hours)
		}
		type bar struct {
			Label string  `json:"label"`
			Class string  `json:"class"`
			Ratio float64 `json:"ratio"`
		}
		bars := eval[[]bar](b, `Array.from(document.querySelectorAll("#current-year .stack"), s => {
			const f = s.querySelector("span"), w = s.getBoundingClientRect().width;
			return {label: s.getAttribute("aria-label") || "", class: f ? f.className : "",
				ratio: f && w > 0 ? f.getBoundingClientRect().width / w : -1};
		})`)
		if len(bars) != 1 {
			b.fatalf("this school year's row has %d hours bars, want 1", len(bars))
		}
		if bars[0].Label != hours+" / 8" || !strings.Contains(bars[0].Class, "t-orange") {
			b.fatalf("the hours bar is %+v, want aria-label %q and the orange (short) fill", bars[0], hours+" / 8")
		}
		if want := h / 8; bars[0].Ratio < want-0.03 || bars[0].Ratio > want+0.03 {
			b.fatalf("the hours bar is filled to %.2f of its width, want %.2f (%s of 8 hours)", bars[0].Ratio, want, hours)
		}
		if st := b.text("#current-year td:last-child"); st != "未达到" {
			b.fatalf("this school year's row reads %q at the end, want 未达到", st)
		}
		b.screenshot("teacher-record")

		// Teachers see their own record only: not the dashboard, not the list.
		for _, p := range []string{"/plan", fmt.Sprintf("/plan?school=%d", a.targets.School), gapsPath} {
			st := b.open(p)
			path, _, _ := strings.Cut(p, "?")
			b.wantNotFound(st, path)
			body := b.bodyText()
			for _, n := range gapNames {
				if strings.Contains(body, n) {
					b.fatalf("the teacher's not-found page for %s names %s", p, n)
				}
			}
		}
		b.close()
		t.Logf("the teacher's journey took %s", time.Since(began).Round(time.Millisecond))
	}
}

package web_test

// Screening and alerts from the outside, beyond the access matrix: what
// must NOT appear. A class teacher sees the attention flag and never a
// tier or a score; officials see an alert only once it is escalated to
// their level, in their area, with the pupil's name masked; another
// school's psychology teacher gets 404 exactly as for an id that does not
// exist; a used or unknown code writes nothing. The fixture's campaigns
// and alerts are described at addScreeningFixtures; all names are
// synthetic.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"huhang/internal/authz"
	"huhang/internal/privacy"
	"huhang/internal/screening"
	"huhang/internal/store"
)

// tierMarks are what a page shows only to roles that read tiers or
// scores: tier colours and their classes, the tier and score headings,
// critical-item marks and links to results and answers (zh-CN, the
// default language, and the markup).
var tierMarks = []string{
	"风险等级", "风险分布", "红色", "橙色", "黄色", "绿色", "得分", "作答详情", "危机条目",
	`class="tier`, "t-red", "t-orange", "t-yellow", "t-green", `id="tier-summary"`, `id="by-grade"`, `id="screenings"`,
	"crit-mark", "/results", "/participants/", "tier", "Tier", "score", "Score",
}

// attentionMark is the flag's markup (class and pupil pages).
const attentionMark = `class="badge warn attention"`

func TestClassTeacherSeesTheFlagNotTheTier(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		ct, principal := e.as(t, "classteacher"), e.as(t, "principal")
		// A pupil of the class teacher's class with a red submission (and
		// an alert, since closed): the fixture's first alert.
		a, _, err := e.st.GetAlert(context.Background(), store.AlertScope{Direct: city}, fx.own.alerts[alertAtSchool], false)
		must(t, err)
		if a.ClassID != fx.own.class {
			t.Fatalf("fixture alert %d is in class %d, not the class teacher's %d", a.ID, a.ClassID, fx.own.class)
		}
		pages := []struct {
			path string
			flag bool // the page must carry the attention flag
		}{
			{fmt.Sprintf("/classes/%d", fx.own.class), true},
			{fmt.Sprintf("/students/%d", a.StudentID), true},
			{fmt.Sprintf("/screening/%d", fx.own.campaign), false},
			{"/screening", false},
			{"/screening/trend", false},
		}
		for _, pg := range pages {
			r := ct.get(pg.path)
			if r.status != 200 {
				t.Errorf("class teacher: %s", r)
				continue
			}
			if pg.flag && !strings.Contains(string(r.body), attentionMark) {
				t.Errorf("class teacher: %s lacks the attention flag", pg.path)
			}
			for _, m := range tierMarks {
				if strings.Contains(string(r.body), m) {
					t.Errorf("class teacher: %s shows %q (tiers and scores are not for a class teacher)", pg.path, m)
				}
			}
		}
		// The same pages show tiers to the principal, so the marks above
		// are the ones that would leak.
		for _, path := range []string{fmt.Sprintf("/students/%d", a.StudentID), fmt.Sprintf("/screening/%d", fx.own.campaign)} {
			r := principal.get(path)
			if r.status != 200 || !slices.ContainsFunc(tierMarks, func(m string) bool { return strings.Contains(string(r.body), m) }) {
				t.Errorf("principal: %s shows no tier at all; the class teacher's check proves nothing", r)
			}
		}

		// The campaign's figures: tier cells blanked for the class teacher,
		// not for the principal.
		path := fmt.Sprintf("/api/v1/screening/campaigns/%d", fx.own.campaign)
		tiers := func(c *client) (all []int) {
			t.Helper()
			r := c.get(path)
			if r.status != 200 {
				t.Fatalf("%s", r)
			}
			var v struct {
				Total store.ScreeningCounts
				Rows  []store.ScreeningRow
			}
			r.json(t, &v)
			for _, k := range append([]store.ScreeningCounts{v.Total}, func() (ks []store.ScreeningCounts) {
				for _, x := range v.Rows {
					ks = append(ks, x.Counts)
				}
				return
			}()...) {
				all = append(all, k.Green, k.Yellow, k.Orange, k.Red, k.Critical, k.Flagged)
			}
			return all
		}
		if got := tiers(ct); slices.ContainsFunc(got, func(n int) bool { return n != 0 }) {
			t.Errorf("class teacher: %s has tier cells %v, want all 0", path, got)
		}
		if got := tiers(principal); !slices.ContainsFunc(got, func(n int) bool { return n != 0 }) {
			t.Errorf("principal: %s has no tier cell at all (%v): the blanking is not what hides them", path, got)
		}
		// Results, answers, alerts and exports of tiers are not the class
		// teacher's.
		for _, path := range []string{
			fmt.Sprintf("/screening/%d/results", fx.own.campaign),
			fmt.Sprintf("/screening/%d/results.xlsx", fx.own.campaign),
			fmt.Sprintf("/screening/%d/report.xlsx", fx.own.campaign),
			fmt.Sprintf("/screening/%d/participants/%d", fx.own.campaign, fx.own.part),
			fmt.Sprintf("/alerts/%d", a.ID),
			fmt.Sprintf("/api/v1/alerts/%d", a.ID),
		} {
			if r := ct.get(path); r.status != 404 {
				t.Errorf("class teacher: %s", r)
			}
		}
		var l struct{ Items []any }
		r := ct.get("/api/v1/alerts?state=all")
		r.json(t, &l)
		if r.status != 200 || len(l.Items) != 0 {
			t.Errorf("class teacher's alert list: %s", r)
		}
	})
}

// escalationSentinel is the due time of this file's own alerts, so that
// store.EscalateDue moves them and nothing else.
var escalationSentinel = time.Date(2003, time.June, 15, 12, 0, 0, 0, time.UTC)

// raiseAlert stores, through the store, a critical submission of the first
// pupil of class in a new campaign, with an alert due at escalationSentinel.
func raiseAlert(t *testing.T, e *env, class int64) store.Alert {
	t.Helper()
	ctx := context.Background()
	reg, err := screening.NewRegistry()
	must(t, err)
	in, _ := reg.Get("phqa")
	now := time.Now()
	id, err := e.st.CreateCampaign(ctx, store.SystemActor, city, store.CampaignInput{Name: fmt.Sprintf("升级测试普查 %d", now.UnixNano()),
		Instruments: []string{"phqa"}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(24 * time.Hour), ClassIDs: []int64{class}},
		func(c string) bool { return c == "phqa" })
	must(t, err)
	cp, err := e.st.GetCampaign(ctx, city, id)
	must(t, err)
	parts, err := e.st.CampaignParticipants(ctx, id)
	must(t, err)
	pt := parts[0]
	must(t, e.st.BulkConsent(ctx, store.SystemActor, id, store.ConsentGiven, "paper", []int64{pt.ID}))
	pt.Campaign, pt.Consent = cp, store.ConsentGiven
	answers := make([]int, len(in.Items))
	answers[len(answers)-1] = 2
	as, err := screening.Assess([]*screening.Instrument{in}, [][]int{answers}, pt.Age, 5*time.Minute)
	must(t, err)
	detail, _ := json.Marshal(map[string]any{"answers": map[string][]int{"phqa": answers}, "assessment": as})
	res, err := e.st.Submit(ctx, &store.Submission{Participant: pt, Detail: detail, Tier: int(as.Tier), Critical: as.Critical,
		Duration: 5 * time.Minute, IP: "test", Alert: &store.AlertSpec{Severity: "critical", Reason: "critical_item:phqa", DueAt: escalationSentinel}})
	must(t, err)
	a, _, err := e.st.GetAlert(ctx, store.AlertScope{Direct: city}, res.AlertID, false)
	must(t, err)
	t.Cleanup(func() {
		// Alerts are never deleted: close it, so it leaves every inbox.
		e.st.ActOnAlert(context.Background(), store.SystemActor, store.AlertScope{Direct: city}, a.ID, "closed", "",
			func(c store.AlertCore) (store.AlertCore, error) {
				c.State, c.Outcome = "closed", "other"
				return c, nil
			})
	})
	return a
}

// escalateTo escalates this file's alerts (and no other) by one level per
// call of store.EscalateDue, up to level, and returns how many moved.
func escalateTo(t *testing.T, e *env, level int) int {
	t.Helper()
	n, err := e.st.EscalateDue(context.Background(), time.Now(), func(a store.AlertCore, _ time.Time) (store.AlertCore, bool) {
		if !a.DueAt.Equal(escalationSentinel) || a.Level >= level {
			return a, false
		}
		a.Level++
		return a, true
	})
	must(t, err)
	return n
}

type alertItem struct {
	ID          int64  `json:"id"`
	DistrictID  int64  `json:"district_id"`
	Level       int    `json:"level"`
	StudentName string `json:"student_name"`
}

func alertList(t *testing.T, c *client, query string) (map[int64]alertItem, *response) {
	t.Helper()
	r := c.get("/api/v1/alerts" + query)
	if r.status != 200 {
		t.Fatalf("%s", r)
	}
	var l struct{ Items []alertItem }
	r.json(t, &l)
	out := map[int64]alertItem{}
	for _, it := range l.Items {
		out[it.ID] = it
	}
	return out, r
}

func TestAlertsReachOfficialsOnlyByEscalation(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		district, cityOfficial, principal := e.as(t, "district"), e.as(t, "city"), e.as(t, "principal")
		// mine: the demo school (the district official's district);
		// theirs: a school of another district.
		mine, theirs := raiseAlert(t, e, fx.own.class), raiseAlert(t, e, fx.other.class)

		// At the school: the principal sees it, with the name; no official.
		if got, _ := alertList(t, principal, ""); got[mine.ID].StudentName != mine.StudentName {
			t.Errorf("the principal's inbox shows alert %d as %+v, want the full name", mine.ID, got[mine.ID])
		}
		got, r := alertList(t, district, "")
		if len(got) != 0 {
			t.Errorf("before any escalation the district official's inbox is not empty: %s", r)
		}
		if got, _ := alertList(t, district, "?state=all"); len(got) > 0 {
			if _, ok := got[mine.ID]; ok {
				t.Errorf("the district official sees alert %d at school level", mine.ID)
			}
		}
		if got, _ := alertList(t, cityOfficial, ""); len(got) != 0 {
			t.Errorf("before any escalation the city official's inbox is not empty: %v", got)
		}
		for _, c := range []*client{district, cityOfficial} {
			for _, path := range []string{fmt.Sprintf("/api/v1/alerts/%d", mine.ID), fmt.Sprintf("/alerts/%d", mine.ID)} {
				if r := c.get(path); r.status != 404 {
					t.Errorf("an official opens a school-level alert: %s", r)
				}
			}
		}

		// Escalated to district level: the district official sees its own
		// district's alert, masked, and nothing of another district; the
		// city not yet.
		if n := escalateTo(t, e, alertAtDistrict); n != 2 {
			t.Fatalf("escalated %d alerts, want 2", n)
		}
		got, r = alertList(t, district, "")
		if len(got) != 1 || got[mine.ID].ID != mine.ID {
			t.Errorf("after escalation to the district, the district official's inbox: %s", r)
		}
		for _, it := range got {
			if it.DistrictID != fx.own.district || it.Level < alertAtDistrict {
				t.Errorf("the district official sees alert %+v from outside their district or below their level", it)
			}
		}
		want := privacy.MaskName(mine.StudentName)
		if it := got[mine.ID]; it.StudentName != want || !strings.Contains(it.StudentName, "*") {
			t.Errorf("the district official sees the pupil as %q, want %q", it.StudentName, want)
		}
		if strings.Contains(string(r.body), mine.StudentName) || strings.Contains(string(r.body), theirs.StudentName) {
			t.Errorf("the district official's inbox holds a full name")
		}
		for _, path := range []string{fmt.Sprintf("/api/v1/alerts/%d", mine.ID), fmt.Sprintf("/alerts/%d", mine.ID)} {
			r := district.get(path)
			if r.status != 200 || strings.Contains(string(r.body), mine.StudentName) || !strings.Contains(string(r.body), want) {
				t.Errorf("the district official opens the escalated alert: %s (want %q, never the full name)", r, want)
			}
		}
		if r := district.get(fmt.Sprintf("/api/v1/alerts/%d", theirs.ID)); r.status != 404 {
			t.Errorf("the district official opens another district's alert: %s", r)
		}
		if got, _ := alertList(t, cityOfficial, ""); len(got) != 0 {
			t.Errorf("the city official sees district-level alerts: %v", got)
		}
		if r := cityOfficial.get(fmt.Sprintf("/api/v1/alerts/%d", mine.ID)); r.status != 404 {
			t.Errorf("the city official opens a district-level alert: %s", r)
		}

		// Escalated to the city: the city official sees both, masked; the
		// district official still only their own.
		if n := escalateTo(t, e, alertAtCity); n != 2 {
			t.Fatalf("escalated %d alerts, want 2", n)
		}
		got, r = alertList(t, cityOfficial, "")
		for _, a := range []store.Alert{mine, theirs} {
			if it, ok := got[a.ID]; !ok || it.StudentName != privacy.MaskName(a.StudentName) {
				t.Errorf("the city official sees alert %d as %+v, want it with %q", a.ID, it, privacy.MaskName(a.StudentName))
			}
			if strings.Contains(string(r.body), a.StudentName) {
				t.Errorf("the city official's inbox holds the full name of alert %d's pupil", a.ID)
			}
		}
		got, _ = alertList(t, district, "")
		if _, ok := got[theirs.ID]; ok || len(got) != 1 {
			t.Errorf("at city level the district official's inbox: %v", got)
		}
		// The school keeps the full name throughout.
		if got, _ := alertList(t, principal, ""); got[mine.ID].StudentName != mine.StudentName {
			t.Errorf("the principal's inbox shows escalated alert %d as %+v", mine.ID, got[mine.ID])
		}
	})
}

func TestOtherSchoolPsychGetsNotFound(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		name, _, pw := e.newUser(t, "psych-sibling", authz.At(authz.PsychTeacher, fx.sibling.school))
		c := e.fresh(t, name, pw)
		// The sibling school's own: allowed, so the 404s below are scope.
		for _, path := range []string{
			fmt.Sprintf("/api/v1/alerts/%d", fx.sibling.alerts[alertAtDistrict]),
			fmt.Sprintf("/screening/%d/participants/%d", fx.sibling.campaign, fx.sibling.part),
		} {
			if r := c.get(path); r.status != 200 {
				t.Errorf("a psychology teacher in their own school: %s", r)
			}
		}
		const missing = 987654321
		pairs := [][2]string{
			{fmt.Sprintf("/api/v1/alerts/%d", fx.own.alerts[alertAtSchool]), fmt.Sprintf("/api/v1/alerts/%d", missing)},
			{fmt.Sprintf("/api/v1/alerts/%d", fx.own.alerts[alertAtCity]), fmt.Sprintf("/api/v1/alerts/%d", missing)},
			{fmt.Sprintf("/alerts/%d", fx.own.alerts[alertAtSchool]), fmt.Sprintf("/alerts/%d", missing)},
			{fmt.Sprintf("/screening/%d/participants/%d", fx.own.campaign, fx.own.part),
				fmt.Sprintf("/screening/%d/participants/%d", fx.own.campaign, missing)},
			{fmt.Sprintf("/screening/%d/participants/%d", fx.sibling.campaign, fx.own.part),
				fmt.Sprintf("/screening/%d/participants/%d", missing, missing)},
			{fmt.Sprintf("/screening/%d/results", fx.own.campaign), fmt.Sprintf("/screening/%d/results", missing)},
			{fmt.Sprintf("/api/v1/screening/campaigns/%d/results", fx.own.campaign), fmt.Sprintf("/api/v1/screening/campaigns/%d/results", missing)},
		}
		for _, p := range pairs {
			got, none := c.get(p[0]), c.get(p[1])
			if got.status != 404 || none.status != 404 {
				t.Errorf("another school's psychology teacher: %s, and for a record that does not exist %s", got, none)
				continue
			}
			// The refusal reads exactly as for an id that does not exist.
			if strings.HasPrefix(p[0], "/api/") {
				g, n := errorShape(t, got), errorShape(t, none)
				if g.Code != n.Code || g.Message != n.Message || len(g.Details) != 0 {
					t.Errorf("%s answers %+v, a missing record %+v", p[0], g, n)
				}
			} else if textOf(got.body) != strings.Replace(textOf(none.body), none.header.Get("X-Request-Id"), got.header.Get("X-Request-Id"), 1) {
				t.Errorf("%s reads differently from a missing record:\n%s\n%s", p[0], textOf(got.body), textOf(none.body))
			}
			if n := containsAny(got.body, fx.own.students); n != "" {
				t.Errorf("%s: the refusal names %q", p[0], n)
			}
		}
	})
}

func TestPupilRoutesWithUnknownOrUsedCode(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		ctx := context.Background()
		anon := newClient(t, e.ts.URL)
		// What a used code could change: the campaign's submissions and
		// alerts, and the pupil's own row.
		state := func() string {
			t.Helper()
			total, _, err := e.st.ScreeningBreakdown(ctx, city, fx.own.campaign, store.ByClass, 0, 0)
			must(t, err)
			alerts, err := e.st.CampaignAlerts(ctx, fx.own.campaign)
			must(t, err)
			rows, err := e.st.ScreeningResults(ctx, store.SystemActor, city, fx.own.campaign, store.ResultFilter{ClassID: fx.own.class, OnlySubmitted: true})
			must(t, err)
			var b strings.Builder
			fmt.Fprintf(&b, "submitted=%d alerts=%d", total.Submitted, len(alerts))
			for _, x := range rows {
				fmt.Fprintf(&b, " %d:%s:%d:%v", x.ParticipantID, x.State, x.Tier, x.SubmittedAt.UnixMilli())
			}
			return b.String()
		}
		before := state()
		// A critical answer: were it taken, it would raise an alert too.
		critical := fmt.Sprintf(`{"code":%q,"answers":{"phqa":[3,3,3,3,3,3,3,3,2],"gad7":[3,3,3,3,3,3,3]},"duration_ms":300000}`,
			strings.ToLower(fx.own.usedCode[:5])+"-"+fx.own.usedCode[5:])
		r := anon.sendJSON("POST", "/api/v1/screening/submissions", critical)
		if r.status != 409 || errorShape(t, r).Code != "code_used" {
			t.Errorf("a used code: %s, want 409 code_used", r)
		}
		if strings.Contains(string(r.body), fx.own.usedCode) {
			t.Errorf("the refusal echoes the code")
		}
		for _, path := range []string{"/s", "/s/answer"} {
			r := anon.postForm(path, url.Values{"code": {fx.own.usedCode}, "step": {"0"}, "submit": {"1"}, "q1": {"3"}})
			if r.status != 409 || !strings.Contains(string(r.body), "pupil-error") {
				t.Errorf("a used code on %s: %s", path, r)
			}
		}
		if after := state(); after != before {
			t.Errorf("a used code changed what is stored:\nbefore %s\nafter  %s", before, after)
		}

		// An unknown code (well formed, so it is looked up): 404 as JSON
		// from the API and as the code page from the pupils' pages. Each
		// costs one of the address's 30 wrong tries a minute.
		r = anon.sendJSON("POST", "/api/v1/screening/submissions", `{"code":"ZZZZZ-ZZZZZ","answers":{"phqa":[0,0,0,0,0,0,0,0,0],"gad7":[0,0,0,0,0,0,0]}}`)
		if r.status != 404 || errorShape(t, r).Code != "code_unknown" {
			t.Errorf("an unknown code: %s, want 404 code_unknown", r)
		}
		r = anon.postForm("/s", url.Values{"code": {"ZZZZZ-ZZZZZ"}})
		if r.status != 404 || !strings.Contains(string(r.body), "pupil-error") || !strings.Contains(string(r.body), `name="code"`) {
			t.Errorf("an unknown code on the code page: %s", r)
		}
		if after := state(); after != before {
			t.Errorf("an unknown code changed what is stored:\nbefore %s\nafter  %s", before, after)
		}
	})
}

func TestScreeningExportsByRole(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fx := e.fx
		path := fmt.Sprintf("/screening/%d/results.xlsx", fx.own.campaign)
		// The psychology teacher's named results carry scores; the
		// principal's tiers, masked names and no scores.
		psych := readXLSX(t, "psych "+path, e.as(t, "psych").get(path).body)
		if !strings.Contains(psych.text, "phqa=") || !strings.Contains(psych.text, "得分") {
			t.Errorf("the psychology teacher's results carry no scores:\n%s", psych.text)
		}
		pr := e.as(t, "principal").get(path)
		if pr.status != 200 {
			t.Fatalf("%s", pr)
		}
		wb := readXLSX(t, "principal "+path, pr.body)
		for _, bad := range []string{"phqa=", "gad7=", "得分"} {
			if strings.Contains(wb.text, bad) {
				t.Errorf("the principal's results export holds %q", bad)
			}
		}
		if !strings.Contains(wb.text, "红色") {
			t.Errorf("the principal's results export holds no tier:\n%s", wb.text)
		}
		for _, n := range fx.own.students {
			if strings.Contains(wb.text, n) {
				t.Errorf("the principal's export holds the full name %q", n)
			}
		}
		// Tier aggregates: officials and the school, never the class teacher.
		report := fmt.Sprintf("/screening/%d/report.xlsx", fx.own.campaign)
		for _, who := range []string{"district", "city", "principal", "psych"} {
			r := e.as(t, who).get(report)
			if r.status != 200 {
				t.Errorf("%s: %s", who, r)
				continue
			}
			wb := readXLSX(t, who+" "+report, r.body)
			if n := containsAny([]byte(wb.text), fx.own.students); n != "" {
				t.Errorf("%s: the aggregate report names %q", who, n)
			}
		}
		if r := e.as(t, "classteacher").get(report); r.status != 404 {
			t.Errorf("class teacher: %s", r)
		}
	})
}

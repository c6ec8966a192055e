package web

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"huhang/internal/authz"
	"huhang/internal/export"
	"huhang/internal/report"
	"huhang/internal/store"
)

// The semester home–school report of a school, a district or the city:
// activities against the quotas, visit coverage by mode, the key-pupil
// follow-up rate and the outcomes of assistance lists; a page to read and
// print, and the same figures as a workbook. Every figure is a count of
// schools, pupils or visits: no child is named.

// hsReport is the report's figures beyond the dashboard's view.
type hsReport struct {
	hsView
	TermStart, TermEnd string
	// Key-pupil and assistance figures describe families in difficulty:
	// they are shown as published counts (1–4 withheld, see shownCounts).
	FollowUp      shownFollowUp
	Assist        shownAssist
	ChildFollowUp map[int64]shownFollowUp
	ChildAssist   map[int64]shownAssist
}

// shownFollowUp is a key-pupil follow-up figure as the report publishes it:
// counts of 1–4 read "<5", and the rate only when no count is withheld.
type shownFollowUp struct {
	Key, OnTime, Overdue string
	Pct                  string // "86.9%" or "–"
	Bar                  int
}

func showFollowUp(f store.FollowUpStat) shownFollowUp {
	x := shownFollowUp{Key: report.Suppress(f.Key), OnTime: report.Suppress(f.OnTime), Overdue: report.Suppress(f.Overdue), Pct: "–"}
	if f.Key > 0 && !report.Suppressed(f.Key) && !report.Suppressed(f.OnTime) && !report.Suppressed(f.Overdue) {
		x.Pct = strconv.FormatFloat(100*float64(f.OnTime)/float64(f.Key), 'f', 1, 64) + "%"
		x.Bar = min(f.OnTime*100/f.Key, 100)
	}
	return x
}

// shownAssist is an assistance-list outcome as the report publishes it:
// when any answer count is 1–4 every answer count is withheld (as the
// assistance figures' own page does), and so is the bar.
type shownAssist struct {
	Listed, Received, Assisted, Declined, Pending, Answered string
	Withheld                                                bool
	WAssisted, WReceived, WDeclined                         int
}

func showAssist(a store.AssistStat) shownAssist {
	p := protectAssistStat(a)
	x := shownAssist{Listed: report.Suppress(a.Listed), Received: report.Suppress(p.Received), Assisted: report.Suppress(p.Assisted),
		Declined: report.Suppress(p.Declined), Pending: report.Suppress(p.Pending), Withheld: p.Withheld || report.Suppressed(a.Listed)}
	if x.Withheld {
		x.Answered = "–"
		return x
	}
	x.Answered = report.Suppress(a.Received + a.Assisted + a.Declined)
	if a.Listed > 0 {
		x.WAssisted, x.WReceived, x.WDeclined = a.Assisted*100/a.Listed, a.Received*100/a.Listed, a.Declined*100/a.Listed
	}
	return x
}

// modeBar is one bar of the visits-by-mode chart.
type modeBar struct {
	Mode   string
	Visits int
	Pupils int
	Width  int // 0–100, against the largest
}

func (s *Server) hsReportOf(r *http.Request, c *reqCtx) (hsReport, []termChoice, error) {
	ctx := r.Context()
	node, err := s.hsNodeOf(ctx, c, queryID(r, "district"), queryID(r, "school"))
	if err != nil {
		return hsReport{}, nil, err
	}
	cal, err := s.store.Calendar(ctx)
	if err != nil {
		return hsReport{}, nil, err
	}
	term, at := s.termParam(r, cal)
	v, err := s.hsView(ctx, c, node, term, at)
	if err != nil {
		return hsReport{}, nil, err
	}
	rep := hsReport{hsView: v}
	p := cal.Period(term)
	rep.TermStart, rep.TermEnd = p.Start.Format("2006-01-02"), p.End.Format("2006-01-02")
	var within authz.Scope
	switch node.Kind {
	case "city":
		within = authz.Scope{City: true}
	case "district":
		within = authz.Scope{Districts: []int64{node.ID}}
	case "school":
		within = authz.Scope{Schools: []int64{node.ID}}
	}
	fu, err := s.store.KeyFollowUpStats(ctx, within, at)
	if err != nil {
		return hsReport{}, nil, err
	}
	as, err := s.store.AssistStats(ctx, within, p.Start, p.End.Add(24*time.Hour-time.Nanosecond))
	if err != nil {
		return hsReport{}, nil, err
	}
	// Per child: schools roll up to their district for the city's report.
	district := map[int64]int64{}
	if node.Kind == "city" {
		f, err := s.store.HomeSchoolDistricts(ctx)
		if err != nil {
			return hsReport{}, nil, err
		}
		district = f
	}
	child := func(school int64) int64 {
		if node.Kind == "city" {
			return district[school]
		}
		return school
	}
	var fuAll store.FollowUpStat
	fuBy := map[int64]store.FollowUpStat{}
	for id, x := range fu {
		fuAll = addFollowUp(fuAll, x)
		fuBy[child(id)] = addFollowUp(fuBy[child(id)], x)
	}
	var asAll store.AssistStat
	asBy := map[int64]store.AssistStat{}
	for id, x := range as {
		asAll = addAssist(asAll, x)
		asBy[child(id)] = addAssist(asBy[child(id)], x)
	}
	rep.FollowUp, rep.Assist = showFollowUp(fuAll), showAssist(asAll)
	rep.ChildFollowUp, rep.ChildAssist = map[int64]shownFollowUp{}, map[int64]shownAssist{}
	for _, ch := range v.Children {
		rep.ChildFollowUp[ch.ID], rep.ChildAssist[ch.ID] = showFollowUp(fuBy[ch.ID]), showAssist(asBy[ch.ID])
	}
	return rep, s.termChoices(c, cal, term), nil
}

func addFollowUp(a, b store.FollowUpStat) store.FollowUpStat {
	return store.FollowUpStat{Key: a.Key + b.Key, OnTime: a.OnTime + b.OnTime, Overdue: a.Overdue + b.Overdue}
}

func addAssist(a, b store.AssistStat) store.AssistStat {
	return store.AssistStat{Listed: a.Listed + b.Listed, Received: a.Received + b.Received, Assisted: a.Assisted + b.Assisted,
		Declined: a.Declined + b.Declined, Pending: a.Pending + b.Pending}
}

func (s *Server) hsReportPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	rep, terms, err := s.hsReportOf(r, c)
	if err != nil {
		return err
	}
	q := rep.Node.query()
	if q != "" {
		q += "&"
	}
	q += "term=" + termString(rep.Term)
	return s.html(w, c, "hs_report.html", "hs.report", s.hsCrumbs(c, rep.Node, "/home-school/report"), map[string]any{"R": rep,
		"Terms": terms, "Query": q, "TermValue": termString(rep.Term), "Modes": store.VisitModes})
}

func (s *Server) hsReportExport(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	rep, _, err := s.hsReportOf(r, c)
	if err != nil {
		return err
	}
	t := func(k string, args ...any) string { return s.cat.T(c.locale, k, args...) }
	cols := []export.Column{{Header: t("hs.x_node")}, {Header: t("hs.x_section")}, {Header: t("hs.x_item")}, {Header: t("hs.x_value")},
		{Header: t("hs.x_goal")}, {Header: t("hs.x_status")}}
	sheet, err := export.New(t("hs.report"), cols, s.watermark(c)+" · "+rep.TermName+" · "+t("plan.as_of")+" "+rep.At.Format("2006-01-02"))
	if err != nil {
		return err
	}
	n := 0
	row := func(vals ...any) error { n++; return sheet.Row(vals...) }
	quota := func(name string, cells []planCell) error {
		for i, tg := range rep.Rows {
			cell := cells[i]
			if err := row(name, t("hs.s_quotas"), tg.Title, round1(cell.Actual), round1(cell.Goal), t("plan.status_"+string(cell.Status))); err != nil {
				return err
			}
		}
		return nil
	}
	var mine []planCell
	for _, r := range rep.Rows {
		mine = append(mine, r.Cell)
	}
	name := rep.Node.Name
	if err := quota(name, mine); err != nil {
		return err
	}
	if err := row(name, t("hs.s_coverage"), t("hs.x_coverage"), round1(rep.CovPct), 100, ""); err != nil {
		return err
	}
	for _, m := range store.VisitModes {
		if err := row(name, t("hs.s_coverage"), t("hs.mode_"+m), rep.ByMode[m], "", ""); err != nil {
			return err
		}
	}
	if err := row(name, t("hs.s_followup"), t("hs.x_followup"), rep.FollowUp.Pct, "", t("hs.x_key_n", rep.FollowUp.Key)); err != nil {
		return err
	}
	for _, k := range []struct{ key, n string }{{"listed", rep.Assist.Listed}, {"received", rep.Assist.Received},
		{"assisted", rep.Assist.Assisted}, {"declined", rep.Assist.Declined}, {"pending", rep.Assist.Pending}} {
		if err := row(name, t("hs.s_assist"), t("hs.assist_"+k.key), k.n, "", ""); err != nil {
			return err
		}
	}
	for _, cl := range rep.Classes {
		if err := row(cl.Name, t("hs.s_coverage"), t("hs.x_coverage"), round1(cl.CovPct), 100, t("hs.x_visited_of", cl.Coverage.Visited, cl.Coverage.Pupils)); err != nil {
			return err
		}
	}
	for _, ch := range rep.Children {
		if err := quota(ch.Name, ch.Cells); err != nil {
			return err
		}
		if err := row(ch.Name, t("hs.s_coverage"), t("hs.x_coverage"), round1(ch.CovPct), 100, ""); err != nil {
			return err
		}
		fu := rep.ChildFollowUp[ch.ID]
		if err := row(ch.Name, t("hs.s_followup"), t("hs.x_followup"), fu.Pct, "", t("hs.x_key_n", fu.Key)); err != nil {
			return err
		}
		as := rep.ChildAssist[ch.ID]
		if err := row(ch.Name, t("hs.s_assist"), t("hs.assist_listed"), as.Listed, "", t("hs.x_assist_answered", as.Answered)); err != nil {
			return err
		}
	}
	var schoolID, districtID int64
	switch rep.Node.Kind {
	case "school":
		schoolID, districtID = rep.Node.ID, rep.Node.DistrictID
	case "district":
		districtID = rep.Node.ID
	}
	if err := s.store.AuditExport(r.Context(), c.actor(r), "homeschool.report_exported", rep.Node.Kind, rep.Node.ID, schoolID, districtID, n); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sheet.Write(&buf); err != nil {
		return err
	}
	sendXLSX(w, buf.Bytes(), t("hs.report"), rep.Node.Name, termString(rep.Term))
	return nil
}

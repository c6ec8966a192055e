package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"huhang/internal/authz"
	"huhang/internal/export"
	"huhang/internal/programme"
	"huhang/internal/store"
)

// The plan's targets, live (issue 5): every target's actual against its
// goal at the caller's widest node (the city with its districts, a district
// with its schools, or one school), the status, the forecast from the
// snapshots and a small trend; the named staff of one school who do not yet
// meet a staff target (D6, visible to the school, its district and the
// city only); Excel exports of both; and the targets editor for the city.
// Everything is drawn by the server: bars and trends are inline SVG with
// presentation attributes, which the CSP allows (no script, no style).

// planNode is the node of the tree a plan view is about.
type planNode struct {
	Kind         string // "city", "district" or "school"
	ID           int64
	Name         string
	DistrictID   int64 // a school's district
	DistrictName string
}

// query is the node as the query string of /plan and /plan.xlsx.
func (n planNode) query() string {
	switch n.Kind {
	case "district":
		return "district=" + strconv.FormatInt(n.ID, 10)
	case "school":
		return "school=" + strconv.FormatInt(n.ID, 10)
	}
	return ""
}

// planCell is one result as a page shows it.
type planCell struct {
	programme.Result
	Class     string // CSS classes of the status badge
	Fill      string // SVG colour of the status
	Shown     string // the actual, formatted
	GoalShown string
	Forecast  string // the projection to the deadline, or ""
	Share     int    // the bar: actual on the target's scale, 0–100
	GoalAt    int    // the goal's tick on the same scale
	Missing   int    // members not meeting the condition
	Due       string // the window's last day, "" when unknown
}

// planRow is one target at the node.
type planRow struct {
	Code      string
	Title     string
	Clause    string
	Plan      string
	Recurring string
	Staff     bool // a staff target: its gaps name people
	Cell      planCell
	Trend     sparkline
}

// planChild is one district or school under the node, a cell per target.
type planChild struct {
	Kind  string
	ID    int64
	Name  string
	Cells []planCell
	Worst programme.Status
}

// sparkline is a target's trend as the points of an SVG polyline in a
// 100 × 30 box.
type sparkline struct {
	Points string
	GoalY  string
	N      int
	From   string
	To     string // "" when every point is on one day
	Label  string
}

// planView is everything /plan, /plan.xlsx and the progress API show.
type planView struct {
	At       time.Time
	Node     planNode
	Targets  []programme.Target
	Rows     []planRow
	Children []planChild
}

// planAt is the date the plan is judged at: today, in the programme's zone.
func (s *Server) planAt() time.Time { return s.now().In(s.zone()) }

// planNodeOf resolves the node asked for (a school, a district) within the
// caller's D6-read scope, or the caller's widest node when none is asked.
// A node outside the scope is not found.
func (s *Server) planNodeOf(ctx context.Context, c *reqCtx, districtID, schoolID int64) (planNode, error) {
	return s.nodeIn(ctx, c, c.scope(authz.D6, authz.Read), districtID, schoolID)
}

// nodeIn resolves a node of the tree within sc (class-bound assignments
// left out: a class is no node of these views), or sc's widest node when
// none is asked.
func (s *Server) nodeIn(ctx context.Context, c *reqCtx, sc authz.Scope, districtID, schoolID int64) (planNode, error) {
	sc.Classes = nil
	switch {
	case schoolID != 0:
		x, err := s.store.GetSchool(ctx, sc, schoolID)
		if err != nil {
			return planNode{}, err
		}
		return planNode{Kind: "school", ID: x.ID, Name: x.Name, DistrictID: x.DistrictID, DistrictName: x.DistrictName}, nil
	case districtID != 0:
		if !sc.City && !slices.Contains(sc.Districts, districtID) {
			return planNode{}, errNotFound
		}
		d, err := s.store.GetDistrict(ctx, sc, districtID)
		if err != nil {
			return planNode{}, err
		}
		return planNode{Kind: "district", ID: d.ID, Name: d.Name}, nil
	case sc.City:
		return planNode{Kind: "city", Name: s.cat.T(c.locale, "plan.city")}, nil
	case len(sc.Districts) > 0:
		return s.nodeIn(ctx, c, sc, sc.Districts[0], 0)
	case len(sc.Schools) > 0:
		return s.nodeIn(ctx, c, sc, 0, sc.Schools[0])
	}
	return planNode{}, errNotFound
}

// planView judges every target at the node and its children.
func (s *Server) planView(ctx context.Context, c *reqCtx, node planNode, withTrend bool) (planView, error) {
	at := s.planAt()
	ts, roll, err := s.store.Progress(ctx, at)
	if err != nil {
		return planView{}, err
	}
	v := planView{At: at, Node: node, Targets: ts}
	var mine map[string]programme.Result
	switch node.Kind {
	case "city":
		mine = roll.City
	case "district":
		mine = roll.Districts[node.ID]
	case "school":
		mine = roll.Schools[node.ID]
	}
	for _, t := range ts {
		res := resultOr(mine, t)
		row := planRow{Code: t.Code, Title: t.Title.In(c.locale), Clause: t.Clause, Plan: t.Plan, Recurring: t.Recurring,
			Staff: t.Population.Subject == programme.SubjectStaff}
		if withTrend {
			hist, err := s.store.TargetHistory(ctx, t.Code, node.Kind, node.ID)
			if err != nil {
				return planView{}, err
			}
			row.Trend = trendLine(hist, res, s.cat.T(c.locale, "plan.trend_label"))
		}
		row.Cell = s.planCell(c, res, scaleOf(res))
		v.Rows = append(v.Rows, row)
	}
	sc := c.scope(authz.D6, authz.Read)
	sc.Classes = nil
	addChild := func(kind string, id int64, name string, m map[string]programme.Result) {
		ch := planChild{Kind: kind, ID: id, Name: name, Worst: programme.StatusNotApplicable}
		for _, t := range ts {
			res := resultOr(m, t)
			ch.Cells = append(ch.Cells, s.planCell(c, res, scaleOf(res)))
			if statusRank(res.Status) > statusRank(ch.Worst) {
				ch.Worst = res.Status
			}
		}
		v.Children = append(v.Children, ch)
	}
	if err := s.eachChild(ctx, sc, node, func(kind string, id int64, name string) {
		m := roll.Districts[id]
		if kind == "school" {
			m = roll.Schools[id]
		}
		addChild(kind, id, name, m)
	}); err != nil {
		return planView{}, err
	}
	if node.Kind == "district" {
		// The lagging schools first: the district acts on them.
		slices.SortStableFunc(v.Children, func(a, b planChild) int { return statusRank(b.Worst) - statusRank(a.Worst) })
	}
	return v, nil
}

// eachChild calls fn for each child of node within sc: a city's
// districts, a district's schools (a school has none here).
func (s *Server) eachChild(ctx context.Context, sc authz.Scope, node planNode, fn func(kind string, id int64, name string)) error {
	switch node.Kind {
	case "city":
		ds, err := s.store.ListDistricts(ctx, sc)
		if err != nil {
			return err
		}
		for _, d := range ds {
			fn("district", d.ID, d.Name)
		}
	case "district":
		for offset := 0; ; offset += 500 {
			schools, total, err := s.store.ListSchools(ctx, sc, store.SchoolFilter{DistrictID: node.ID, Limit: 500, Offset: offset})
			if err != nil {
				return err
			}
			for _, x := range schools {
				fn("school", x.ID, x.Name)
			}
			if len(schools) == 0 || offset+len(schools) >= total {
				break
			}
		}
	}
	return nil
}

// resultOr is a node's result for t; a node the facts do not know (no
// staff, no school yet) is not applicable.
func resultOr(m map[string]programme.Result, t programme.Target) programme.Result {
	if res, ok := m[t.Code]; ok && res.Status != "" {
		return res
	}
	res := programme.Result{Target: t.Code, Status: programme.StatusNotApplicable, Unit: programme.UnitPercent, Goal: t.Threshold.Percent}
	if t.Condition.Kind == programme.CondCountHolders {
		res.Unit, res.Goal = programme.UnitCount, float64(t.Threshold.Count)
	}
	return res
}

// statusRank orders statuses from good to bad, for "worst of a row".
func statusRank(s programme.Status) int {
	switch s {
	case programme.StatusMet:
		return 1
	case programme.StatusOnTrack:
		return 2
	case programme.StatusAtRisk:
		return 3
	case programme.StatusMissed:
		return 4
	}
	return 0
}

// Status colours: the screening tiers' palette (app.css), so green is good
// and red is bad everywhere.
var statusStyle = map[programme.Status]struct{ class, fill string }{
	programme.StatusMet:           {"tier t-green", "#2e7d32"},
	programme.StatusOnTrack:       {"badge ok", "#0b6e4f"},
	programme.StatusAtRisk:        {"tier t-orange", "#e06c00"},
	programme.StatusMissed:        {"tier t-red", "#c62828"},
	programme.StatusNotApplicable: {"badge", "#9aa4ae"},
}

// scaleOf is the top of a result's bar: 100 for a percentage; for a count
// the largest of the goal, the actual and the projection.
func scaleOf(res programme.Result) float64 {
	if res.Unit == programme.UnitPercent {
		return 100
	}
	return max(res.Goal, res.Actual, res.Projected, 1)
}

func (s *Server) planCell(c *reqCtx, res programme.Result, scale float64) planCell {
	st, ok := statusStyle[res.Status]
	if !ok {
		st = statusStyle[programme.StatusNotApplicable]
	}
	cell := planCell{Result: res, Class: st.class, Fill: st.fill, Missing: max(res.Population-res.Met, 0)}
	cell.Shown, cell.GoalShown = formatFigure(res.Unit, res.Actual), formatFigure(res.Unit, res.Goal)
	if res.Population == 0 && res.Unit == programme.UnitPercent {
		cell.Shown = "–" // nobody here is in the population
	}
	if res.Trend {
		cell.Forecast = formatFigure(res.Unit, res.Projected)
	}
	if !res.Deadline.IsZero() {
		cell.Due = res.Deadline.Format("2006-01-02")
	}
	cell.Share = clampPct(res.Actual / scale * 100)
	cell.GoalAt = clampPct(res.Goal / scale * 100)
	return cell
}

func clampPct(v float64) int {
	if v != v || v <= 0 { // NaN or nothing
		return 0
	}
	return min(int(v+0.5), 100)
}

// formatFigure shows a percentage with one decimal and a count whole.
func formatFigure(u programme.Unit, v float64) string {
	if u == programme.UnitCount {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "%"
}

// maxTrendPoints bounds a trend line: daily snapshots over a plan period
// are thinned to evenly spaced ones.
const maxTrendPoints = 60

// trendLine draws the node's snapshots inside the result's window, with
// today's figure as the last point.
func trendLine(hist []programme.Snapshot, res programme.Result, label string) sparkline {
	from, today := dateKey(res.Start), dateKey(res.At)
	var pts []programme.Snapshot
	for _, h := range hist {
		if d := dateKey(h.At); (res.Start.IsZero() || d >= from) && d < today {
			pts = append(pts, h)
		}
	}
	if !res.At.IsZero() {
		pts = append(pts, programme.Snapshot{At: res.At, Actual: res.Actual})
	}
	if len(pts) == 0 {
		return sparkline{}
	}
	if len(pts) > maxTrendPoints {
		thin := make([]programme.Snapshot, 0, maxTrendPoints)
		for i := range maxTrendPoints {
			thin = append(thin, pts[i*(len(pts)-1)/(maxTrendPoints-1)])
		}
		pts = thin
	}
	scale := 100.0
	if res.Unit == programme.UnitCount {
		scale = max(res.Goal, 1)
		for _, p := range pts {
			scale = max(scale, p.Actual)
		}
	}
	y := func(v float64) float64 { return 29 - min(max(v/scale, 0), 1)*28 }
	first, last := pts[0].At, pts[len(pts)-1].At
	span := last.Sub(first).Hours()
	var b strings.Builder
	for i, p := range pts {
		x := 50.0
		if span > 0 {
			x = p.At.Sub(first).Hours() / span * 100
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", x, y(p.Actual))
	}
	if len(pts) == 1 { // a line needs two points: draw a short flat one
		b.Reset()
		fmt.Fprintf(&b, "45.0,%.1f 55.0,%.1f", y(pts[0].Actual), y(pts[0].Actual))
	}
	sp := sparkline{Points: b.String(), GoalY: fmt.Sprintf("%.1f", y(res.Goal)), N: len(pts),
		From: first.Format("2006-01-02"), To: last.Format("2006-01-02"), Label: label}
	if sp.To == sp.From {
		sp.To = ""
	}
	return sp
}

func dateKey(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }

// planCrumbs leads from the caller's top node to n.
func (s *Server) planCrumbs(c *reqCtx, n planNode, last bool) []crumb {
	sc := c.scope(authz.D6, authz.Read)
	t := func(k string) string { return s.cat.T(c.locale, k) }
	if n.Kind == "city" {
		return nil // the top: the title says where we are
	}
	out := []crumb{{t("plan.title"), "/plan"}}
	if n.Kind == "school" && (sc.City || slices.Contains(sc.Districts, n.DistrictID)) {
		out = append(out, crumb{n.DistrictName, "/plan?district=" + strconv.FormatInt(n.DistrictID, 10)})
	}
	u := "/plan?" + n.query()
	if last {
		u = ""
	}
	return append(out, crumb{n.Name, u})
}

func (s *Server) planPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	node, err := s.planNodeOf(r.Context(), c, queryID(r, "district"), queryID(r, "school"))
	if err != nil {
		return err
	}
	v, err := s.planView(r.Context(), c, node, true)
	if err != nil {
		return err
	}
	return s.html(w, c, "plan.html", "plan.title", s.planCrumbs(c, node, true), map[string]any{
		"V": v, "Query": node.query(), "ExportURL": planExportURL(node.query()), "At": v.At.Format("2006-01-02"),
		"CanEdit": c.sub.Has(authz.CityOfficial),
	})
}

// exportPlan writes the node's table and its children's, one row per node
// and target, so the bureau can sort and filter in Excel.
func (s *Server) exportPlan(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	node, err := s.planNodeOf(r.Context(), c, queryID(r, "district"), queryID(r, "school"))
	if err != nil {
		return err
	}
	v, err := s.planView(r.Context(), c, node, false)
	if err != nil {
		return err
	}
	t := func(k string) string { return s.cat.T(c.locale, k) }
	cols := []export.Column{{Header: t("plan.node")}, {Header: t("plan.target")}, {Header: t("plan.clause")}, {Header: t("plan.deadline")},
		{Header: t("plan.goal")}, {Header: t("plan.actual")}, {Header: t("plan.unit")}, {Header: t("plan.met_count")}, {Header: t("plan.population")},
		{Header: t("plan.status")}, {Header: t("plan.forecast")}}
	sheet, err := export.New(t("plan.title"), cols, s.watermark(c)+" · "+t("plan.as_of")+" "+v.At.Format("2006-01-02"))
	if err != nil {
		return err
	}
	// Figures are numbers (rounded as the page shows them), so Excel sorts
	// and sums them; a node with nobody in the population has no actual.
	round1 := func(v float64) float64 { return math.Round(v*10) / 10 }
	row := func(name string, tg planRow, cell planCell) error {
		var actual, forecast any = round1(cell.Actual), ""
		if cell.Population == 0 && cell.Unit == programme.UnitPercent {
			actual = ""
		}
		if cell.Trend {
			forecast = round1(cell.Projected)
		}
		return sheet.Row(name, tg.Title, tg.Clause, cell.Due, round1(cell.Goal), actual, t("plan.unit_"+string(cell.Unit)), cell.Met, cell.Population,
			t("plan.status_"+string(cell.Status)), forecast)
	}
	n := 0
	for _, tg := range v.Rows {
		if err := row(node.Name, tg, tg.Cell); err != nil {
			return err
		}
		n++
	}
	for _, ch := range v.Children {
		for i, tg := range v.Rows {
			if err := row(ch.Name, tg, ch.Cells[i]); err != nil {
				return err
			}
			n++
		}
	}
	var schoolID, districtID int64
	switch node.Kind {
	case "school":
		schoolID, districtID = node.ID, node.DistrictID
	case "district":
		districtID = node.ID
	}
	if err := s.store.AuditExport(r.Context(), c.actor(r), "plan.progress_exported", node.Kind, node.ID, schoolID, districtID, n); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sheet.Write(&buf); err != nil {
		return err
	}
	sendXLSX(w, buf.Bytes(), t("plan.title"), node.Name, v.At.Format("2006-01-02"))
	return nil
}

// ---- gaps: the named staff of one school ------------------------------------------

// planGaps is one staff target at one school with the people who do not
// meet it.
type planGaps struct {
	Target programme.Target
	Title  string
	Node   planNode
	Cell   planCell
	Staff  []store.StaffRef
}

// gaps names the staff of a school (in the caller's D6-read scope) who do
// not meet a staff target. A principal or school admin without a school in
// the query gets their own school.
func (s *Server) gaps(r *http.Request, c *reqCtx, code string, schoolID int64) (planGaps, error) {
	ctx := r.Context()
	sc := c.scope(authz.D6, authz.Read)
	sc.Classes = nil
	if schoolID == 0 {
		if sc.City || len(sc.Districts) > 0 || len(sc.Schools) != 1 {
			return planGaps{}, errNotFound
		}
		schoolID = sc.Schools[0]
	}
	node, err := s.planNodeOf(ctx, c, 0, schoolID)
	if err != nil {
		return planGaps{}, err
	}
	ts, roll, err := s.store.Progress(ctx, s.planAt())
	if err != nil {
		return planGaps{}, err
	}
	i := slices.IndexFunc(ts, func(t programme.Target) bool { return t.Code == code })
	if i < 0 || ts[i].Population.Subject != programme.SubjectStaff {
		return planGaps{}, errNotFound // only a staff target's gaps are people
	}
	res := resultOr(roll.Schools[schoolID], ts[i])
	refs, err := s.store.StaffRefs(ctx, sc, res.MissingIDs)
	if err != nil {
		return planGaps{}, err
	}
	res.MissingIDs = nil
	return planGaps{Target: ts[i], Title: ts[i].Title.In(c.locale), Node: node, Cell: s.planCell(c, res, scaleOf(res)), Staff: refs}, nil
}

func (s *Server) gapsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	g, err := s.gaps(r, c, r.PathValue("code"), queryID(r, "school"))
	if err != nil {
		return err
	}
	crumbs := append(s.planCrumbs(c, g.Node, false), crumb{g.Title, ""})
	return s.html(w, c, "plan_gaps.html", "plan.gaps", crumbs, map[string]any{"G": g,
		"Count": g.Target.Condition.Kind == programme.CondCountHolders})
}

func (s *Server) exportGaps(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	g, err := s.gaps(r, c, r.PathValue("code"), queryID(r, "school"))
	if err != nil {
		return err
	}
	t := func(k string) string { return s.cat.T(c.locale, k) }
	sheet, err := export.New(t("plan.gaps"), []export.Column{{Header: t("staff.name")}, {Header: t("plan.posts")}, {Header: t("school.name")}},
		s.watermark(c)+" · "+g.Title)
	if err != nil {
		return err
	}
	for _, x := range g.Staff {
		posts := make([]string, len(x.Posts))
		for i, p := range x.Posts {
			posts[i] = t("post." + string(p))
		}
		if err := sheet.Row(x.Name, strings.Join(posts, "、"), x.SchoolName); err != nil {
			return err
		}
	}
	if err := s.store.AuditExport(r.Context(), c.actor(r), "plan.gaps_exported", "school", g.Node.ID, g.Node.ID, g.Node.DistrictID, len(g.Staff)); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sheet.Write(&buf); err != nil {
		return err
	}
	sendXLSX(w, buf.Bytes(), g.Node.Name, g.Title, s.now().In(localZone).Format("2006-01-02"))
	return nil
}

// ---- the targets editor (city officials) -------------------------------------------

// targetView is a stored target as the editor lists it.
type targetView struct {
	programme.Target
	Title    string
	Deadline string
	JSON     string
}

func (s *Server) targetsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.targetsView(w, r, c, http.StatusOK, "", "", nil)
}

func (s *Server) targetsView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, flash, body string, problem *programme.FieldError) error {
	ts, err := s.store.Targets(r.Context())
	if err != nil {
		return err
	}
	views := make([]targetView, len(ts))
	for i, t := range ts {
		b, err := json.MarshalIndent(t, "", "  ")
		if err != nil {
			return err
		}
		v := targetView{Target: t, Title: t.Title.In(c.locale), JSON: string(b)}
		if !t.Deadline.IsZero() {
			v.Deadline = t.Deadline.Format("2006-01-02")
		}
		views[i] = v
		if body == "" && r.URL.Query().Get("edit") == t.Code {
			body = v.JSON
		}
	}
	data := map[string]any{"Targets": views, "Flash": flash, "Body": body}
	if problem != nil {
		where := problem.Path
		if where == "" {
			where = s.cat.T(c.locale, "plan.err_document")
		}
		data["Problem"], data["Where"] = problem.Reason, where
	}
	w.WriteHeader(status)
	return s.html(w, c, "plan_targets.html", "plan.targets", []crumb{{s.cat.T(c.locale, "plan.title"), "/plan"}, {s.cat.T(c.locale, "plan.targets"), ""}}, data)
}

func (s *Server) targetsSave(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	body := r.PostFormValue("json")
	ts, err := s.saveTargets(r, c, []byte(body))
	var fe *programme.FieldError
	if errors.As(err, &fe) {
		return s.targetsView(w, r, c, http.StatusBadRequest, "", body, fe)
	}
	if err != nil {
		return err
	}
	codes := make([]string, len(ts))
	for i, t := range ts {
		codes[i] = t.Code
	}
	return s.targetsView(w, r, c, http.StatusOK, s.cat.T(c.locale, "plan.targets_saved", strings.Join(codes, ", ")), "", nil)
}

// saveTargets reads one target (a JSON object) or several (an array) with
// the programme's strict loader, which names the wrong field, and stores
// each. Nothing is stored unless every target in the document is valid.
func (s *Server) saveTargets(r *http.Request, c *reqCtx, body []byte) ([]programme.Target, error) {
	trimmed := bytes.TrimSpace(body)
	single := len(trimmed) > 0 && trimmed[0] == '{'
	doc := trimmed
	if single {
		doc = append(append([]byte("["), trimmed...), ']')
	}
	ts, err := programme.LoadTargets(doc)
	if err != nil {
		var fe *programme.FieldError
		if single && errors.As(err, &fe) {
			// Paths of the one target read "condition.level", not "[0].condition.level".
			p := strings.TrimPrefix(fe.Path, "[0]")
			return nil, &programme.FieldError{Path: strings.TrimPrefix(p, "."), Reason: fe.Reason}
		}
		return nil, err
	}
	if len(ts) == 0 {
		return nil, &programme.FieldError{Reason: "no target in the document"}
	}
	for _, t := range ts {
		if err := s.store.SaveTarget(r.Context(), c.actor(r), t); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// planExportURL is the dashboard's export link. The query is built here
// from ids (a template would escape its "=" as one query value).
func planExportURL(query string) template.URL {
	if query == "" {
		return "/plan.xlsx"
	}
	return template.URL("/plan.xlsx?" + query)
}

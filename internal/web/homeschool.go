package web

import (
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"huhang/internal/authz"
	"huhang/internal/privacy"
	"huhang/internal/programme"
	"huhang/internal/store"
)

// Home–school cooperation (issue 6): the parent-school activities each
// school holds against its per-semester quotas, the home visits of the
// class teams with their coverage per class, school, district and city,
// and the concerns a visit passes to the school's psychology teacher.
// Quotas and coverage are aggregates (D0); a visit's findings are family
// data (D2): recorded and read by the roles that read the roster's contact
// data of the class (the class teacher, the school's psychology teacher,
// principal and data officer). Concerns are case material (D5), handled
// by the psychology teacher.

// activityRecorders may record their school's parent-school activities:
// the data officer (D1 write), the principal and the psychology teacher
// (D3 read), all bound to a school.
var activityRecorders = []authz.Need{{Class: authz.D1, Level: authz.Write}, {Class: authz.D3, Level: authz.Read}}

// recorderScope is the schools where the caller records activities.
func (c *reqCtx) recorderScope() authz.Scope {
	var sc authz.Scope
	for _, n := range activityRecorders {
		for _, id := range c.sub.Scope(n).Schools {
			if !slices.Contains(sc.Schools, id) {
				sc.Schools = append(sc.Schools, id)
			}
		}
	}
	return sc
}

// termParam reads a term written "2026-1" (the school year's start year
// and the semester); anything else is the current term.
func (s *Server) termParam(r *http.Request, cal programme.Calendar) (programme.Term, time.Time) {
	now := s.planAt()
	cur := cal.TermOf(now)
	y, sem, ok := strings.Cut(r.URL.Query().Get("term"), "-")
	if ok {
		yy, e1 := strconv.Atoi(y)
		ss, e2 := strconv.Atoi(sem)
		t := programme.Term{Year: yy, Semester: ss}
		if e1 == nil && e2 == nil && (ss == 1 || ss == 2) && yy > 2000 && yy <= cur.Year && (t.Year < cur.Year || t.Semester <= cur.Semester) {
			if t == cur {
				return t, now
			}
			end := cal.Period(t).End
			return t, time.Date(end.Year(), end.Month(), end.Day(), 12, 0, 0, 0, now.Location())
		}
	}
	return cur, now
}

func termString(t programme.Term) string {
	return strconv.Itoa(t.Year) + "-" + strconv.Itoa(t.Semester)
}

// termLabel names a term: "2026–2027 第一学期".
func (s *Server) termLabel(c *reqCtx, t programme.Term) string {
	return s.cat.T(c.locale, "hs.term_label", strconv.Itoa(t.Year)+"–"+strconv.Itoa(t.Year+1), s.cat.T(c.locale, "hs.semester_"+strconv.Itoa(t.Semester)))
}

// termChoice is one term of the selector.
type termChoice struct {
	Value, Label string
	Selected     bool
}

// termChoices are the current term and the three before it.
func (s *Server) termChoices(c *reqCtx, cal programme.Calendar, sel programme.Term) []termChoice {
	t := cal.TermOf(s.planAt())
	var out []termChoice
	for range 4 {
		out = append(out, termChoice{Value: termString(t), Label: s.termLabel(c, t), Selected: t == sel})
		if t.Semester == 2 {
			t.Semester = 1
		} else {
			t = programme.Term{Year: t.Year - 1, Semester: 2}
		}
	}
	return out
}

// hsTargets are the active home–school targets (quotas and visits).
func hsTargets(ts []programme.Target) []programme.Target {
	var out []programme.Target
	for _, t := range ts {
		if t.Condition.Kind == programme.CondActivities || t.Condition.Kind == programme.CondVisits {
			out = append(out, t)
		}
	}
	return out
}

// hsNodeOf resolves the node of a home–school view within the caller's D0
// scope (the widest when none is asked); class-bound roles have none.
func (s *Server) hsNodeOf(ctx context.Context, c *reqCtx, districtID, schoolID int64) (planNode, error) {
	return s.nodeIn(ctx, c, c.scope(authz.D0, authz.Read), districtID, schoolID)
}

// hsChild is a district or school under the node: its quota cells, its
// visit coverage and how many quotas it is behind on.
type hsChild struct {
	Kind     string
	ID       int64
	Name     string
	Cells    []planCell
	Worst    programme.Status
	Behind   int
	Coverage store.Coverage
	CovPct   float64
	CovBar   int
}

// hsView is what the dashboard, the report and the progress API show.
type hsView struct {
	At       time.Time
	Term     programme.Term
	TermName string
	DaysLeft int
	Final    bool // a past term: its verdicts are final
	Node     planNode
	Rows     []planRow
	Children []hsChild
	Coverage store.Coverage
	CovPct   float64
	ByMode   map[string]int // visits of the term by mode
	ModeBars []modeBar
	Lagging  []hsChild // children behind on a quota or under half the coverage expected by now
	Classes  []hsClass // a school's classes with their coverage, least covered first
}

// hsClass is one class of a school with its visit coverage.
type hsClass struct {
	ID       int64
	Name     string
	Teacher  string
	Coverage store.Coverage
	CovPct   float64
	CovBar   int
}

// hsView judges the home–school targets at the node and its children for
// the term.
func (s *Server) hsView(ctx context.Context, c *reqCtx, node planNode, term programme.Term, at time.Time) (hsView, error) {
	cal, err := s.store.Calendar(ctx)
	if err != nil {
		return hsView{}, err
	}
	all, roll, err := s.store.HomeSchoolProgress(ctx, at)
	if err != nil {
		return hsView{}, err
	}
	v := hsView{At: at, Term: term, TermName: s.termLabel(c, term), Node: node}
	_, v.DaysLeft = store.DaysLeft(cal, at)
	if term != cal.TermOf(s.planAt()) {
		v.Final, v.DaysLeft = true, 0
		roll = roll.Final()
	}
	ts := hsTargets(all)
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
		if node.Kind == "school" && res.Status == programme.StatusNotApplicable && res.Population == 0 {
			continue // another school type's quota: a school page shows its own
		}
		v.Rows = append(v.Rows, planRow{Code: t.Code, Title: t.Title.In(c.locale), Clause: t.Clause, Plan: t.Plan, Recurring: t.Recurring,
			Cell: s.planCell(c, res, scaleOf(res))})
	}
	sc := c.scope(authz.D0, authz.Read)
	sc.Classes = nil
	var by string
	var within authz.Scope
	switch node.Kind {
	case "city":
		by, within = "district", sc
	case "district":
		by, within = "school", authz.Scope{Districts: []int64{node.ID}}
	case "school":
		by, within = "school", authz.Scope{Schools: []int64{node.ID}}
	}
	cov, err := s.store.VisitCoverage(ctx, within, by, term, at)
	if err != nil {
		return hsView{}, err
	}
	for _, x := range cov {
		v.Coverage.Pupils += x.Pupils
		v.Coverage.Visited += x.Visited
		v.Coverage.InPerson += x.InPerson
		v.Coverage.Phone += x.Phone
		v.Coverage.WeChat += x.WeChat
		v.Coverage.Visits += x.Visits
	}
	v.CovPct = v.Coverage.Percent()
	modes, err := s.store.VisitModeCounts(ctx, within, term)
	if err != nil {
		return hsView{}, err
	}
	v.ByMode = map[string]int{}
	for _, m := range modes {
		for k, n := range m {
			v.ByMode[k] += n
		}
	}
	most := 1
	for _, m := range store.VisitModes {
		most = max(most, v.ByMode[m])
	}
	reached := map[string]int{"in_person": v.Coverage.InPerson, "phone": v.Coverage.Phone, "wechat": v.Coverage.WeChat}
	for _, m := range store.VisitModes {
		v.ModeBars = append(v.ModeBars, modeBar{Mode: m, Visits: v.ByMode[m], Pupils: reached[m], Width: v.ByMode[m] * 100 / most})
	}
	// The share of the term gone by: a child under half of it is lagging.
	p := cal.Period(term)
	elapsed := 1.0
	if span := p.End.Sub(p.Start).Hours(); span > 0 && !v.Final {
		elapsed = min(max(at.Sub(p.Start).Hours()/span, 0), 1)
	}
	addChild := func(kind string, id int64, name string, m map[string]programme.Result) {
		ch := hsChild{Kind: kind, ID: id, Name: name, Worst: programme.StatusNotApplicable, Coverage: cov[id]}
		ch.CovPct = ch.Coverage.Percent()
		ch.CovBar = clampPct(ch.CovPct)
		for _, t := range ts {
			res := resultOr(m, t)
			ch.Cells = append(ch.Cells, s.planCell(c, res, scaleOf(res)))
			if statusRank(res.Status) > statusRank(ch.Worst) {
				ch.Worst = res.Status
			}
			if t.Condition.Kind == programme.CondActivities && (res.Status == programme.StatusAtRisk || res.Status == programme.StatusMissed) {
				ch.Behind++
			}
		}
		v.Children = append(v.Children, ch)
		if ch.Behind > 0 || (ch.Coverage.Pupils > 0 && ch.CovPct < 50*elapsed) {
			v.Lagging = append(v.Lagging, ch)
		}
	}
	if node.Kind == "school" {
		// Coverage per class: the class teams act on it.
		byClass, err := s.store.VisitCoverage(ctx, within, "class", term, at)
		if err != nil {
			return hsView{}, err
		}
		cls, err := s.store.ListClasses(ctx, sc, node.ID)
		if err != nil {
			return hsView{}, err
		}
		for _, cl := range cls {
			x := byClass[cl.ID]
			if x.Pupils == 0 {
				continue
			}
			v.Classes = append(v.Classes, hsClass{ID: cl.ID, Name: cl.Name, Teacher: cl.Teacher, Coverage: x, CovPct: x.Percent(),
				CovBar: clampPct(x.Percent())})
		}
		slices.SortStableFunc(v.Classes, func(a, b hsClass) int {
			switch {
			case a.CovPct < b.CovPct:
				return -1
			case a.CovPct > b.CovPct:
				return 1
			}
			return 0
		})
	}
	if err := s.eachChild(ctx, sc, node, func(kind string, id int64, name string) {
		m := roll.Districts[id]
		if kind == "school" {
			m = roll.Schools[id]
		}
		addChild(kind, id, name, m)
	}); err != nil {
		return hsView{}, err
	}
	if node.Kind == "district" {
		slices.SortStableFunc(v.Children, func(a, b hsChild) int {
			if d := b.Behind - a.Behind; d != 0 {
				return d
			}
			switch {
			case a.CovPct < b.CovPct:
				return -1
			case a.CovPct > b.CovPct:
				return 1
			}
			return 0
		})
		slices.SortStableFunc(v.Lagging, func(a, b hsChild) int { return b.Behind - a.Behind })
	}
	return v, nil
}

// hsPage is the home–school dashboard: quotas and coverage at the caller's
// node with its children, the lagging ones named, and days left.
func (s *Server) hsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	node, err := s.hsNodeOf(ctx, c, queryID(r, "district"), queryID(r, "school"))
	if errors.Is(err, errNotFound) || errors.Is(err, store.ErrNotFound) {
		// A class-bound role works from its classes' visit sheets.
		if d2 := c.scope(authz.D2, authz.Read); len(d2.Classes) > 0 && queryID(r, "district") == 0 && queryID(r, "school") == 0 {
			http.Redirect(w, r, "/classes/"+strconv.FormatInt(d2.Classes[0], 10)+"/visits", http.StatusSeeOther)
			return nil
		}
		return errNotFound
	}
	if err != nil {
		return err
	}
	cal, err := s.store.Calendar(ctx)
	if err != nil {
		return err
	}
	term, at := s.termParam(r, cal)
	v, err := s.hsView(ctx, c, node, term, at)
	if err != nil {
		return err
	}
	return s.html(w, c, "hs_dashboard.html", "hs.title", s.hsCrumbs(c, node, "/home-school"), map[string]any{"V": v,
		"Terms": s.termChoices(c, cal, term), "TermValue": termString(term), "CanRecord": !c.recorderScope().Empty(),
		"Modes": store.VisitModes})
}

// hsCrumbs are the crumbs of a home–school page about node.
func (s *Server) hsCrumbs(c *reqCtx, n planNode, base string) []crumb {
	cs := []crumb{{Label: s.cat.T(c.locale, "hs.title"), URL: base}}
	switch n.Kind {
	case "district":
		cs = append(cs, crumb{Label: n.Name})
	case "school":
		if n.DistrictID != 0 && c.scope(authz.D0, authz.Read).Covers(n.DistrictID, 0, 0) {
			cs = append(cs, crumb{Label: n.DistrictName, URL: base + "?district=" + strconv.FormatInt(n.DistrictID, 10)})
		}
		cs = append(cs, crumb{Label: n.Name})
	}
	return cs
}

// ---- activities -----------------------------------------------------------

func (s *Server) activitiesPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.activitiesView(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) activitiesView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, problems []rowProblem, form map[string]string) error {
	ctx := r.Context()
	sc := c.scope(authz.D0, authz.Read)
	sc.Classes = nil
	schoolID := queryID(r, "school")
	if form != nil && schoolID == 0 {
		schoolID, _ = strconv.ParseInt(form["school_id"], 10, 64)
	}
	rec := c.recorderScope()
	if schoolID == 0 && len(rec.Schools) > 0 {
		schoolID = rec.Schools[0]
	}
	cal, err := s.store.Calendar(ctx)
	if err != nil {
		return err
	}
	term, _ := s.termParam(r, cal)
	f := store.ActivityFilter{SchoolID: schoolID, DistrictID: queryID(r, "district"), Term: term, Kind: r.URL.Query().Get("kind"), Limit: 200}
	list, total, err := s.store.ListActivities(ctx, sc, f)
	if err != nil {
		return err
	}
	var school store.SchoolSummary
	if schoolID != 0 {
		if school, err = s.store.GetSchool(ctx, sc, schoolID); err != nil {
			return err
		}
	}
	if form == nil {
		form = map[string]string{"held_on": s.planAt().Format("2006-01-02"), "kind": "guidance"}
	}
	var grades []int
	if school.ID != 0 {
		grades = school.Type.Grades()
	}
	w.WriteHeader(status)
	return s.html(w, c, "hs_activities.html", "hs.activities", []crumb{{Label: s.cat.T(c.locale, "hs.title"), URL: "/home-school"},
		{Label: s.cat.T(c.locale, "hs.activities")}}, map[string]any{"List": list, "Total": total, "School": school,
		"CanRecord": school.ID != 0 && rec.Covers(0, school.ID, 0), "Kinds": store.ActivityKinds, "Grades": grades,
		"Terms": s.termChoices(c, cal, term), "TermValue": termString(term), "Problems": problems, "Form": form,
		"Kind": f.Kind, "Done": r.URL.Query().Get("done")})
}

func (s *Server) activityCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	form := formValues(r, "school_id", "kind", "held_on", "topic", "speaker", "parents")
	in := store.ActivityInput{Kind: form["kind"], HeldOn: form["held_on"], Topic: form["topic"], Speaker: form["speaker"]}
	in.SchoolID, _ = strconv.ParseInt(form["school_id"], 10, 64)
	var bad error
	if p := strings.TrimSpace(form["parents"]); p != "" {
		n, err := strconv.Atoi(p)
		if in.Parents = n; err != nil {
			bad = &store.FieldError{Field: "parents", Key: "hs.err_parents"}
		}
	}
	for _, g := range r.PostForm["grades"] {
		n, err := strconv.Atoi(g)
		if err != nil {
			bad = &store.FieldError{Field: "grades", Key: "hs.err_grades"}
		}
		in.Grades = append(in.Grades, n)
	}
	var id int64
	err := bad
	if bad == nil {
		id, err = s.store.CreateActivity(r.Context(), c.actor(r), c.recorderScope(), in)
	}
	if ps, ok := s.hsProblems(c, err); ok {
		return s.activitiesView(w, r, c, http.StatusBadRequest, ps, form)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/home-school/activities?school="+strconv.FormatInt(in.SchoolID, 10)+"&done="+strconv.FormatInt(id, 10)+"#activity-"+
		strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// hsProblems turns a validation error into the form's problems, each
// field named in the caller's language.
func (s *Server) hsProblems(c *reqCtx, err error) ([]rowProblem, bool) {
	fields, ok := refusedFields(err)
	if !ok {
		return nil, false
	}
	out := make([]rowProblem, 0, len(fields))
	for _, f := range fields {
		out = append(out, rowProblem{Field: s.cat.T(c.locale, "hs.f_"+f.Field), Message: s.cat.T(c.locale, f.Key)})
	}
	return out, true
}

func (s *Server) activityDelete(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	x, err := s.store.GetActivity(r.Context(), c.recorderScope(), id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteActivity(r.Context(), c.actor(r), c.recorderScope(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/home-school/activities?school="+strconv.FormatInt(x.SchoolID, 10)+"&done=deleted", http.StatusSeeOther)
	return nil
}

// evidenceMimes are the files an activity keeps, by extension.
var evidenceMimes = map[string]string{".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}

func (s *Server) evidenceUpload(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc := c.recorderScope()
	x, err := s.store.GetActivity(r.Context(), sc, id)
	if err != nil {
		return err
	}
	fail := func(key string) error {
		return s.activitiesView(w, r, c, http.StatusBadRequest, []rowProblem{{Field: s.cat.T(c.locale, "hs.f_file"),
			Message: s.cat.T(c.locale, key)}}, map[string]string{"school_id": strconv.FormatInt(x.SchoolID, 10)})
	}
	// The whole form stays in memory (the body is capped at 9 MB): a photo
	// that may show children's faces never lands on disk unsealed.
	if err := r.ParseMultipartForm(10 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return fail("hs.err_evidence_size")
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return fail("hs.err_evidence_size")
	}
	defer file.Close()
	name := hdr.Filename
	ext := strings.ToLower(name[max(strings.LastIndex(name, "."), 0):])
	mime, ok := evidenceMimes[ext]
	if !ok {
		return fail("hs.err_evidence_type")
	}
	body := make([]byte, 0, hdr.Size)
	buf := make([]byte, 32<<10)
	for {
		n, err := file.Read(buf)
		body = append(body, buf[:n]...)
		if len(body) > 8<<20 {
			return fail("hs.err_evidence_size")
		}
		if err != nil {
			break
		}
	}
	kind := r.PostFormValue("kind")
	faces := r.PostFormValue("faces") == "1" || (kind == "photo" && r.PostFormValue("faces") != "0")
	_, err = s.store.AddActivityEvidence(r.Context(), c.actor(r), sc, id, store.EvidenceInput{Kind: kind, Name: name, Mime: mime, Body: body, Faces: faces})
	if ps, ok := s.hsProblems(c, err); ok {
		return s.activitiesView(w, r, c, http.StatusBadRequest, ps, map[string]string{"school_id": strconv.FormatInt(x.SchoolID, 10)})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/home-school/activities?school="+strconv.FormatInt(x.SchoolID, 10)+"&done=evidence#activity-"+strconv.FormatInt(id, 10),
		http.StatusSeeOther)
	return nil
}

// evidenceDownload sends an evidence file to the school's recorders only:
// photos may show children's faces, sign-in sheets name parents.
func (s *Server) evidenceDownload(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, body, err := s.store.ActivityEvidence(r.Context(), c.actor(r), c.recorderScope(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", e.Mime)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(e.Name))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(body)
	return err
}

// ---- visits -----------------------------------------------------------------

// visitScope is where the caller records and reads visits: the classes and
// schools whose roster contact data (D2) they read.
func (c *reqCtx) visitScope() authz.Scope { return c.scope(authz.D2, authz.Read) }

// classVisitsPage is a class teacher's sheet: who has and has not been
// visited this term, and the form to record a visit.
func (s *Server) classVisitsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.classVisitsView(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) classVisitsView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, problems []rowProblem, form url.Values) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	sheet, err := s.store.ClassVisits(ctx, c.actor(r), c.visitScope(), id, s.planAt())
	if err != nil {
		return err
	}
	full := c.sub.FullNamesIn().Covers(sheet.DistrictID, sheet.SchoolID, sheet.ClassID)
	for i := range sheet.Pupils {
		if !full {
			sheet.Pupils[i].Name = privacy.MaskName(sheet.Pupils[i].Name)
		}
	}
	own, err := s.store.StaffIDOf(ctx, c.user.ID)
	if err != nil {
		return err
	}
	if form == nil {
		form = url.Values{"visited_on": {s.planAt().Format("2006-01-02")}, "mode": {"phone"}, "family": {"stable"}, "living": {"both_parents"}}
		if own != 0 {
			form["visitors"] = []string{strconv.FormatInt(own, 10)}
		}
		if p := r.URL.Query().Get("pupil"); p != "" {
			form.Set("student_id", p)
		}
	}
	// Labels are looked up here, once, rather than by the template per
	// pupil: the sheet is the page class teachers open most.
	sel, _ := strconv.ParseInt(form.Get("student_id"), 10, 64)
	t := func(k string) string { return s.cat.T(c.locale, k) }
	var unvisited, visited []sheetPupil
	for _, p := range sheet.Pupils {
		v := sheetPupil{VisitPupil: p, Selected: p.StudentID == sel}
		for _, cat := range p.Categories {
			v.Cats = append(v.Cats, t("cat."+string(cat)))
		}
		modes := make([]string, len(p.Modes))
		for i, m := range p.Modes {
			modes[i] = t("hs.mode_" + m)
		}
		v.ModesText = strings.Join(modes, "、")
		if p.Visits == 0 {
			unvisited = append(unvisited, v)
		} else {
			visited = append(visited, v)
		}
	}
	checked := map[int64]bool{}
	for _, v := range form["visitors"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			checked[id] = true
		}
	}
	lists := renderSheetLists(unvisited, visited, t("hs.record_for"), t("hs.history"))
	team := make([]teamChoice, len(sheet.Team))
	for i, m := range sheet.Team {
		team[i] = teamChoice{TeamMember: m, Checked: checked[m.StaffID], PostName: t("post." + m.Post)}
	}
	overdue, _, err := s.store.OverdueFollowUps(ctx, authz.Scope{Classes: []int64{sheet.ClassID}}, s.planAt(), 100)
	if err != nil {
		return err
	}
	for i := range overdue {
		if !full {
			overdue[i].Name = privacy.MaskName(overdue[i].Name)
		}
	}
	w.WriteHeader(status)
	return s.html(w, c, "hs_class.html", "hs.class_visits", []crumb{{Label: sheet.SchoolName, URL: "/schools/" + strconv.FormatInt(sheet.SchoolID, 10)},
		{Label: sheet.ClassName, URL: "/classes/" + strconv.FormatInt(sheet.ClassID, 10)}, {Label: s.cat.T(c.locale, "hs.class_visits")}},
		map[string]any{"Sheet": sheet, "Unvisited": unvisited, "Visited": visited, "Team": team, "Lists": lists, "CovPct": sheet.Coverage.Percent(),
			"CovBar": clampPct(sheet.Coverage.Percent()), "TermName": s.termLabel(c, sheet.Term), "Form": form, "Problems": problems,
			"Modes": store.VisitModes, "Family": store.FamilyStates, "Living": store.LivingWith, "SinceLast": store.SinceLast,
			"ConcernKinds": store.ConcernKinds, "HelpKinds": store.HelpKinds, "Overdue": overdue, "Done": r.URL.Query().Get("done"),
			"Today": s.planAt().Format("2006-01-02")})
}

// sheetPupil is a pupil of the visit sheet with its labels.
type sheetPupil struct {
	store.VisitPupil
	Cats      []string
	ModesText string
	Selected  bool
}

// sheetLists are the sheet's three lists of pupils, rendered once here: a
// class of 45 pupils makes some 800 template actions otherwise, half the
// cost of the page class teachers open most. Every value is escaped.
type sheetLists struct {
	Unvisited, UnvisitedOptions, Visited, VisitedOptions template.HTML
}

func renderSheetLists(unvisited, visited []sheetPupil, recordFor, history string) sheetLists {
	var u, uo, v, vo strings.Builder
	esc := html.EscapeString
	id := func(p sheetPupil) string { return strconv.FormatInt(p.StudentID, 10) }
	option := func(b *strings.Builder, p sheetPupil) {
		b.WriteString(`<option value="` + id(p) + `"`)
		if p.Selected {
			b.WriteString(` selected`)
		}
		b.WriteString(`>` + esc(p.Name) + `</option>`)
	}
	for _, p := range unvisited {
		u.WriteString(`<li data-student="` + id(p) + `">` + esc(p.Name))
		for _, c := range p.Cats {
			u.WriteString(` <span class="tag">` + esc(c) + `</span>`)
		}
		u.WriteString(` · <a href="?pupil=` + id(p) + `#record">` + esc(recordFor) + "</a></li>\n")
		option(&uo, p)
	}
	for _, p := range visited {
		v.WriteString(`<tr data-student="` + id(p) + `"><td>` + esc(p.Name) + `</td><td>` + strconv.Itoa(p.Visits) + `</td><td>` + esc(p.LastOn) +
			`</td><td>` + esc(p.ModesText) + `</td><td><a href="/students/` + id(p) + `/visits">` + esc(history) + "</a></td></tr>\n")
		option(&vo, p)
	}
	return sheetLists{Unvisited: template.HTML(u.String()), UnvisitedOptions: template.HTML(uo.String()), // #nosec G203 -- every value escaped above
		Visited: template.HTML(v.String()), VisitedOptions: template.HTML(vo.String())}
}

// teamChoice is a member of the class team on the visit form.
type teamChoice struct {
	store.TeamMember
	PostName string
	Checked  bool
}

// visitInputFrom reads a visit form.
func visitInputFrom(r *http.Request) (store.VisitInput, bool) {
	f := r.PostForm
	in := store.VisitInput{VisitedOn: f.Get("visited_on"), Mode: f.Get("mode"), Family: f.Get("family"), Living: f.Get("living"),
		SinceLast: f.Get("since_last"), Concerns: f["concerns"], Help: f["help"], Note: f.Get("note"),
		PassConcern: f.Get("pass_concern") == "1", ConcernMessage: f.Get("concern_message")}
	ok := true
	var err error
	if in.StudentID, err = strconv.ParseInt(f.Get("student_id"), 10, 64); err != nil {
		ok = false
	}
	for _, v := range f["visitors"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			ok = false
			continue
		}
		in.Visitors = append(in.Visitors, id)
	}
	return in, ok
}

func (s *Server) classVisitCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	// The class must be the caller's before anything is read from the form.
	if err := s.store.ClassSheetInScope(r.Context(), c.visitScope(), id); err != nil {
		return err
	}
	in, ok := visitInputFrom(r)
	var res store.VisitResult
	err = &store.FieldError{Field: "student_id", Key: "hs.err_pupil"}
	if ok && in.StudentID != 0 {
		// Only a pupil of this class is recorded from its sheet.
		res, err = s.store.RecordVisit(r.Context(), c.actor(r), authz.Scope{Classes: []int64{id}}, in)
		if errors.Is(err, store.ErrNotFound) {
			err = &store.FieldError{Field: "student_id", Key: "hs.err_pupil"}
		}
	}
	if ps, ok := s.hsProblems(c, err); ok {
		return s.classVisitsView(w, r, c, http.StatusBadRequest, ps, r.PostForm)
	}
	if err != nil {
		return err
	}
	done := "visit"
	if res.ConcernID != 0 {
		done = "concern"
	}
	http.Redirect(w, r, "/classes/"+strconv.FormatInt(id, 10)+"/visits?done="+done, http.StatusSeeOther)
	return nil
}

// studentVisitsPage is a pupil's visit history with the findings (D2).
func (s *Server) studentVisitsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	st, err := s.store.GetStudent(ctx, c.actor(r), c.scope(authz.D1, authz.Read), authz.Scope{}, id, false)
	if err != nil {
		return err
	}
	visits, err := s.store.StudentVisits(ctx, c.actor(r), c.visitScope(), id)
	if err != nil {
		return err
	}
	name := st.Name
	if !c.sub.FullNamesIn().Covers(st.DistrictID, st.SchoolID, st.ClassID) {
		name = privacy.MaskName(name)
	}
	return s.html(w, c, "hs_student.html", "hs.student_visits", []crumb{{Label: name, URL: "/students/" + strconv.FormatInt(id, 10)},
		{Label: s.cat.T(c.locale, "hs.student_visits")}}, map[string]any{"Student": st, "Name": name, "Visits": visits,
		"Done": r.URL.Query().Get("done")})
}

func (s *Server) visitConcernPass(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	_, err = s.store.PassConcern(r.Context(), c.actor(r), c.visitScope(), id, r.PostFormValue("concern_message"))
	if err != nil {
		return err
	}
	back := r.PostFormValue("student_id")
	if _, e := strconv.ParseInt(back, 10, 64); e != nil {
		back = ""
	}
	http.Redirect(w, r, "/students/"+back+"/visits?done=concern", http.StatusSeeOther)
	return nil
}

// ---- concerns (the psychology teacher's inbox) --------------------------------

func (c *reqCtx) concernScope() authz.Scope {
	sc := c.scope(authz.D5, authz.Write)
	sc.Classes = nil
	return sc
}

func (s *Server) concernsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	state := r.URL.Query().Get("state")
	if state != "" && state != "all" && !slices.Contains(store.ConcernStates, state) {
		state = ""
	}
	list, err := s.store.ListConcerns(r.Context(), c.actor(r), c.concernScope(), state)
	if err != nil {
		return err
	}
	return s.html(w, c, "hs_concerns.html", "hs.concerns", nil, map[string]any{"List": list, "State": state,
		"Outcomes": store.ConcernOutcomes, "Done": r.URL.Query().Get("done")})
}

func (s *Server) concernStep(step string) func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return errBadRequest
		}
		if err := s.store.ConcernStep(r.Context(), c.actor(r), c.concernScope(), id, step, r.PostFormValue("outcome")); err != nil {
			return err
		}
		http.Redirect(w, r, "/concerns?done="+step, http.StatusSeeOther)
		return nil
	}
}

// ---- reminders on the home page --------------------------------------------

// hsReminder is one line on a user's home page.
type hsReminder struct {
	Kind   string // unvisited | overdue | concerns | quotas | lagging
	Text   string
	URL    string
	Count  int
	Urgent bool
}

// unvisitedWarnDays is how near the term's end unvisited pupils become an
// urgent reminder.
const unvisitedWarnDays = 30

// hsReminders lists what the caller should act on: unvisited pupils and
// overdue key-pupil follow-ups of their classes or school, concerns waiting
// in the psychology teacher's inbox, the school's quotas not yet met, and
// for officials the lagging schools of their area.
func (s *Server) hsReminders(ctx context.Context, c *reqCtx) ([]hsReminder, error) {
	var out []hsReminder
	at := s.planAt()
	cal, err := s.store.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	term, days := store.DaysLeft(cal, at)
	t := func(k string, args ...any) string { return s.cat.T(c.locale, k, args...) }
	d2 := c.visitScope()
	for _, id := range d2.Classes {
		cov, err := s.store.VisitCoverage(ctx, authz.Scope{Classes: []int64{id}}, "class", term, at)
		if err != nil {
			return nil, err
		}
		cl, err := s.store.GetClass(ctx, d2, id)
		if err != nil {
			continue
		}
		if x := cov[id]; x.Pupils > x.Visited {
			out = append(out, hsReminder{Kind: "unvisited", Count: x.Pupils - x.Visited, Urgent: days <= unvisitedWarnDays,
				Text: t("hs.rem_unvisited", cl.Name, x.Pupils-x.Visited, days), URL: "/classes/" + strconv.FormatInt(id, 10) + "/visits"})
		}
	}
	if !d2.Empty() {
		_, n, err := s.store.OverdueFollowUps(ctx, d2, at, 1)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			u := "/key-pupils?overdue=1"
			if len(d2.Classes) > 0 && len(d2.Schools) == 0 {
				u = "/classes/" + strconv.FormatInt(d2.Classes[0], 10) + "/visits#overdue"
			}
			out = append(out, hsReminder{Kind: "overdue", Count: n, Urgent: true, Text: t("hs.rem_overdue", n), URL: u})
		}
	}
	if cs := c.concernScope(); !cs.Empty() {
		n, err := s.store.CountOpenConcerns(ctx, cs)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out = append(out, hsReminder{Kind: "concerns", Count: n, Urgent: true, Text: t("hs.rem_concerns", n), URL: "/concerns"})
		}
	}
	d0 := c.scope(authz.D0, authz.Read)
	if len(d0.Schools) == 0 && len(d0.Districts) == 0 && !d0.City {
		return out, nil
	}
	all, roll, err := s.store.HomeSchoolProgress(ctx, at)
	if err != nil {
		return nil, err
	}
	ts := hsTargets(all)
	for _, id := range d0.Schools {
		var missing []string
		for _, tg := range ts {
			if tg.Condition.Kind != programme.CondActivities {
				continue
			}
			if res, ok := roll.Schools[id][tg.Code]; ok && (res.Status == programme.StatusAtRisk || res.Status == programme.StatusMissed) {
				missing = append(missing, tg.Title.In(c.locale))
			}
		}
		if len(missing) > 0 {
			out = append(out, hsReminder{Kind: "quotas", Count: len(missing), Urgent: days <= unvisitedWarnDays,
				Text: t("hs.rem_quotas", strings.Join(missing, t("hs.list_sep")), days), URL: "/home-school?school=" + strconv.FormatInt(id, 10)})
		}
		cov, err := s.store.VisitCoverage(ctx, authz.Scope{Schools: []int64{id}}, "school", term, at)
		if err != nil {
			return nil, err
		}
		if x := cov[id]; x.Pupils > x.Visited && days <= unvisitedWarnDays {
			out = append(out, hsReminder{Kind: "unvisited", Count: x.Pupils - x.Visited, Urgent: true,
				Text: t("hs.rem_school_unvisited", x.Pupils-x.Visited, days), URL: "/home-school?school=" + strconv.FormatInt(id, 10)})
		}
	}
	if d0.City || len(d0.Districts) > 0 {
		// The schools behind the pace on a quota (a school's own verdict:
		// at risk, or missed once the term is over).
		districtOf, err := s.store.HomeSchoolDistricts(ctx)
		if err != nil {
			return nil, err
		}
		behind := map[int64]bool{}
		for id, m := range roll.Schools {
			if !d0.City && !slices.Contains(d0.Districts, districtOf[id]) {
				continue
			}
			for _, tg := range ts {
				if res, ok := m[tg.Code]; ok && tg.Condition.Kind == programme.CondActivities &&
					(res.Status == programme.StatusAtRisk || res.Status == programme.StatusMissed) {
					behind[id] = true
				}
			}
		}
		if n := len(behind); n > 0 {
			out = append(out, hsReminder{Kind: "lagging", Count: n, Text: t("hs.rem_lagging", n, days), URL: "/home-school"})
		}
	}
	return out, nil
}

// homeHomeSchool adds the caller's home–school reminders to the home page.
func (s *Server) homeHomeSchool(r *http.Request, c *reqCtx, data map[string]any) error {
	rem, err := s.hsReminders(r.Context(), c)
	if err != nil {
		return fmt.Errorf("home-school reminders: %w", err)
	}
	data["HSReminders"] = rem
	return nil
}

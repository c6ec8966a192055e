package web

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"huhang/internal/authz"
	"huhang/internal/privacy"
	"huhang/internal/store"
)

// The home–school JSON API: the same views and steps as the pages.

type coverageJSON struct {
	Pupils   int     `json:"pupils"`
	Visited  int     `json:"visited"`
	Percent  float64 `json:"percent"`
	InPerson int     `json:"in_person"`
	Phone    int     `json:"phone"`
	WeChat   int     `json:"wechat"`
	Visits   int     `json:"visits"`
}

func toCoverageJSON(c store.Coverage) coverageJSON {
	return coverageJSON{Pupils: c.Pupils, Visited: c.Visited, Percent: round1(c.Percent()), InPerson: c.InPerson, Phone: c.Phone,
		WeChat: c.WeChat, Visits: c.Visits}
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

type hsNodeJSON struct {
	Kind     string           `json:"kind"`
	ID       int64            `json:"id"`
	Name     string           `json:"name"`
	Coverage coverageJSON     `json:"coverage"`
	Behind   int              `json:"quotas_behind"`
	Results  []planResultJSON `json:"results"`
}

type hsProgressJSON struct {
	At       string         `json:"at"`
	Term     string         `json:"term"`
	DaysLeft int            `json:"days_left"`
	Final    bool           `json:"final"`
	Node     hsNodeJSON     `json:"node"`
	ByMode   map[string]int `json:"visits_by_mode"`
	Children []hsNodeJSON   `json:"children"`
	Lagging  []int64        `json:"lagging_ids"`
}

func (s *Server) apiHSProgress(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	node, err := s.hsNodeOf(ctx, c, queryID(r, "district_id"), queryID(r, "school_id"))
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
	out := hsProgressJSON{At: v.At.Format("2006-01-02"), Term: termString(term), DaysLeft: v.DaysLeft, Final: v.Final, ByMode: v.ByMode,
		Node:     hsNodeJSON{Kind: node.Kind, ID: node.ID, Name: node.Name, Coverage: toCoverageJSON(v.Coverage), Results: []planResultJSON{}},
		Children: []hsNodeJSON{}, Lagging: []int64{}}
	for _, row := range v.Rows {
		out.Node.Results = append(out.Node.Results, resultJSON(row.Title, row.Cell.Result))
	}
	for _, ch := range v.Children {
		n := hsNodeJSON{Kind: ch.Kind, ID: ch.ID, Name: ch.Name, Coverage: toCoverageJSON(ch.Coverage), Behind: ch.Behind, Results: []planResultJSON{}}
		for i, row := range v.Rows {
			n.Results = append(n.Results, resultJSON(row.Title, ch.Cells[i].Result))
		}
		out.Children = append(out.Children, n)
	}
	for _, ch := range v.Lagging {
		out.Lagging = append(out.Lagging, ch.ID)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type coverageRowJSON struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
	coverageJSON
}

// apiHSCoverage answers the visit coverage per district, school or class
// (by) within the caller's D0 scope, optionally under one district or
// school.
func (s *Server) apiHSCoverage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "school"
	}
	if by != "district" && by != "school" && by != "class" {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "by", Key: "hs.err_code"}}}
	}
	sc := c.scope(authz.D0, authz.Read)
	sc.Classes = nil
	if by == "district" && !sc.City && len(sc.Districts) == 0 {
		// A school sees its own figures, not a district row made of them.
		return &store.ValidationError{Fields: []store.FieldError{{Field: "by", Key: "hs.err_code"}}}
	}
	within := sc
	if id := queryID(r, "school_id"); id != 0 {
		if _, err := s.store.GetSchool(ctx, sc, id); err != nil {
			return err
		}
		within = authz.Scope{Schools: []int64{id}}
	} else if id := queryID(r, "district_id"); id != 0 {
		if !sc.City && !sc.Covers(id, 0, 0) {
			return errNotFound
		}
		within = authz.Scope{Districts: []int64{id}}
	}
	cal, err := s.store.Calendar(ctx)
	if err != nil {
		return err
	}
	term, at := s.termParam(r, cal)
	cov, err := s.store.VisitCoverage(ctx, within, by, term, at)
	if err != nil {
		return err
	}
	out := listOf[coverageRowJSON]{Items: []coverageRowJSON{}}
	for id, x := range cov {
		out.Items = append(out.Items, coverageRowJSON{Kind: by, ID: id, coverageJSON: toCoverageJSON(x)})
	}
	slices.SortFunc(out.Items, func(a, b coverageRowJSON) int { return cmp.Compare(a.ID, b.ID) })
	out.Total, out.Limit = len(out.Items), len(out.Items)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiActivities(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	sc := c.scope(authz.D0, authz.Read)
	sc.Classes = nil
	cal, err := s.store.Calendar(ctx)
	if err != nil {
		return err
	}
	f := store.ActivityFilter{SchoolID: queryID(r, "school_id"), DistrictID: queryID(r, "district_id"), Kind: r.URL.Query().Get("kind"),
		Limit: int(queryInt(r, "limit")), Offset: int(queryInt(r, "offset"))}
	if r.URL.Query().Get("term") != "" {
		f.Term, _ = s.termParam(r, cal)
	}
	list, total, err := s.store.ListActivities(ctx, sc, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf[store.Activity]{Items: list, Total: total, Offset: f.Offset, Limit: len(list)})
	return nil
}

func (s *Server) apiActivityCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in store.ActivityInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.store.CreateActivity(r.Context(), c.actor(r), c.recorderScope(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

func (s *Server) apiActivityDelete(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteActivity(r.Context(), c.actor(r), c.recorderScope(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, okResponse{OK: true})
	return nil
}

func (s *Server) apiClassVisits(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sheet, err := s.store.ClassVisits(r.Context(), c.actor(r), c.visitScope(), id, s.planAt())
	if err != nil {
		return err
	}
	if !c.sub.FullNamesIn().Covers(sheet.DistrictID, sheet.SchoolID, sheet.ClassID) {
		for i := range sheet.Pupils {
			sheet.Pupils[i].Name = privacy.MaskName(sheet.Pupils[i].Name)
		}
	}
	writeJSON(w, http.StatusOK, sheet)
	return nil
}

func (s *Server) apiVisitCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in store.VisitInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.store.RecordVisit(r.Context(), c.actor(r), c.visitScope(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

func (s *Server) apiStudentVisits(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, err := s.store.StudentVisits(r.Context(), c.actor(r), c.visitScope(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf[store.Visit]{Items: list, Total: len(list), Limit: len(list)})
	return nil
}

type concernPassJSON struct {
	Message string `json:"message"`
}

func (s *Server) apiConcernPass(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in concernPassJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	cid, err := s.store.PassConcern(r.Context(), c.actor(r), c.visitScope(), id, in.Message)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: cid})
	return nil
}

func (s *Server) apiConcerns(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	state := r.URL.Query().Get("state")
	if state != "" && state != "all" && !slices.Contains(store.ConcernStates, state) {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "state", Key: "hs.err_code"}}}
	}
	list, err := s.store.ListConcerns(r.Context(), c.actor(r), c.concernScope(), state)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf[store.Concern]{Items: list, Total: len(list), Limit: len(list)})
	return nil
}

type concernStepJSON struct {
	Outcome string `json:"outcome"`
}

func (s *Server) apiConcernStep(step string) func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in concernStepJSON
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if err := s.store.ConcernStep(r.Context(), c.actor(r), c.concernScope(), id, step, strings.TrimSpace(in.Outcome)); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, okResponse{OK: true})
		return nil
	}
}

type reminderJSON struct {
	Kind   string `json:"kind"`
	Text   string `json:"text"`
	URL    string `json:"url"`
	Count  int    `json:"count"`
	Urgent bool   `json:"urgent"`
}

func (s *Server) apiReminders(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	rem, err := s.hsReminders(r.Context(), c)
	if err != nil {
		return err
	}
	out := listOf[reminderJSON]{Items: []reminderJSON{}}
	for _, x := range rem {
		out.Items = append(out.Items, reminderJSON{Kind: x.Kind, Text: x.Text, URL: x.URL, Count: x.Count, Urgent: x.Urgent})
	}
	out.Total, out.Limit = len(out.Items), len(out.Items)
	writeJSON(w, http.StatusOK, out)
	return nil
}

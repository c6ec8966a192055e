package web

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/store"
)

// Key pupils (重点学生, issue 6 part 3): the register of the caller's key
// pupils with their follow-ups (filtered by school, class, category,
// overdue), one pupil's categories with the date and source of each, and the
// follow-up cadence per category. Routes and their access: assist_routes.go.

// kpFilter reads the register's filters from the query; an unknown
// category is refused as the field category.
func kpFilter(r *http.Request, schoolKey, classKey string) (store.KeyFilter, error) {
	q := r.URL.Query()
	f := store.KeyFilter{SchoolID: queryID(r, schoolKey), ClassID: queryID(r, classKey)}
	switch q.Get("overdue") {
	case "", "0", "false":
	case "1", "true":
		f.Overdue = true
	default:
		return f, &store.FieldError{Field: "overdue", Key: "kp.err_overdue"}
	}
	if v := q.Get("category"); v != "" {
		c, ok := model.ParseCategory(v)
		if !ok {
			return f, &store.FieldError{Field: "category", Key: "kp.err_category"}
		}
		f.Category = c
	}
	return f, nil
}

// kpRow is one register row as a page shows it.
type kpRow struct {
	store.KeyPupil
	Masked  bool
	CanOpen bool // D1 read: the name links to the pupil
	CanEdit bool // D2 write: the categories can be changed
}

// kpRows masks names where the viewer's lists do not show them in full.
func (s *Server) kpRows(c *reqCtx, ks []store.KeyPupil) []kpRow {
	full := c.sub.FullNamesIn()
	open := c.scope(authz.D1, authz.Read)
	edit := c.scope(authz.D2, authz.Write)
	out := make([]kpRow, len(ks))
	for i, k := range ks {
		out[i] = kpRow{KeyPupil: k, CanOpen: open.Covers(k.DistrictID, k.SchoolID, k.ClassID), CanEdit: edit.Covers(k.DistrictID, k.SchoolID, k.ClassID)}
		if !full.Covers(0, k.SchoolID, k.ClassID) {
			out[i].Name, out[i].Masked = privacy.MaskName(k.Name), true
		}
	}
	return out
}

func (s *Server) keyPupilsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	f, err := kpFilter(r, "school", "class")
	if err != nil {
		return err
	}
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	f.Offset, f.Limit = max(offset, 0), 200
	sc := c.scope(authz.D2, authz.Read)
	// The filter's choices: the caller's schools, and the classes of the
	// school chosen (a class teacher: their own classes).
	schoolLevel := sc
	schoolLevel.Classes = nil
	schools, _, err := s.store.ListSchools(ctx, schoolLevel, store.SchoolFilter{Limit: 500})
	if err != nil {
		return err
	}
	if f.SchoolID == 0 && f.ClassID == 0 && len(schools) == 1 {
		f.SchoolID = schools[0].ID
	}
	var classes []store.ClassSummary
	if f.SchoolID != 0 {
		if classes, err = s.store.ListClasses(ctx, sc, f.SchoolID); err != nil {
			return err
		}
	} else if len(sc.Classes) > 0 {
		if classes, err = s.store.ClassesByIDs(ctx, sc, sc.Classes); err != nil {
			return err
		}
	}
	if f.ClassID != 0 && f.SchoolID == 0 {
		// The audit entry names the class's school.
		if cl, err := s.store.GetClass(ctx, sc, f.ClassID); err == nil {
			f.SchoolID = cl.SchoolID
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	ks, total, err := s.store.KeyPupils(ctx, c.actor(r), sc, f, s.planAt())
	if err != nil {
		return err
	}
	cadence, err := s.store.KeyCadence(ctx)
	if err != nil {
		return err
	}
	pageURL := func(offset int) string {
		v := url.Values{}
		if f.SchoolID != 0 {
			v.Set("school", strconv.FormatInt(f.SchoolID, 10))
		}
		if f.ClassID != 0 {
			v.Set("class", strconv.FormatInt(f.ClassID, 10))
		}
		if f.Category != "" {
			v.Set("category", string(f.Category))
		}
		if f.Overdue {
			v.Set("overdue", "1")
		}
		v.Set("offset", strconv.Itoa(offset))
		return "/key-pupils?" + v.Encode()
	}
	return s.html(w, c, "keypupils.html", "kp.title", nil, map[string]any{"Rows": s.kpRows(c, ks), "Total": total, "Filter": f,
		"Schools": schools, "Classes": classes, "Cadence": cadence, "Offset": f.Offset, "HasNext": f.Offset+len(ks) < total,
		"PrevURL": pageURL(max(f.Offset-f.Limit, 0)), "NextURL": pageURL(f.Offset + len(ks)), "Today": s.planAt().Format("2006-01-02"),
		"CanAssist": !c.assistReadScope().Empty()})
}

// kpMarkForm is one category's row of the edit form.
type kpMarkForm struct {
	Category model.Category
	Held     bool
	Since    string
	Source   string
}

// kpFormProblems turns a store validation error into a form's problems,
// each field named by label; ok is false for any other error.
func (s *Server) kpFormProblems(c *reqCtx, err error, label func(field string) string) ([]rowProblem, bool) {
	fields, ok := refusedFields(err)
	if !ok {
		return nil, false
	}
	out := make([]rowProblem, len(fields))
	for i, f := range fields {
		out[i] = rowProblem{Field: label(f.Field), Message: s.cat.T(c.locale, f.Key)}
	}
	return out, true
}

// kpCategoryLabel names fields of a list of categories (the categories
// form, the cadence form) by their category.
func (s *Server) kpCategoryLabel(c *reqCtx, categoryOf func(i int) string) func(string) string {
	return func(field string) string { return s.kpFieldLabel(c, field, categoryOf) }
}

var kpItemField = regexp.MustCompile(`^(categories|items)\[(\d+)\]\.([a-z_]+)$`)

// kpFieldLabel reads "categories[1].since" as "留守儿童 · 认定日期".
func (s *Server) kpFieldLabel(c *reqCtx, field string, categoryOf func(i int) string) string {
	t := func(k string) string { return s.cat.T(c.locale, k) }
	if m := kpItemField.FindStringSubmatch(field); m != nil {
		i, _ := strconv.Atoi(m[2])
		label := t("kp.f_" + m[3])
		if cat := categoryOf(i); cat != "" {
			if _, ok := model.ParseCategory(cat); ok {
				return t("cat."+cat) + " · " + label
			}
		}
		return label
	}
	return t("kp.f_" + field)
}

func (s *Server) keyCategoriesPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.keyCategoriesView(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) keyCategoriesView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, form []kpMarkForm, problems []rowProblem) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	k, err := s.store.KeyPupilOf(r.Context(), c.actor(r), c.scope(authz.D2, authz.Write), id, s.planAt())
	if err != nil {
		return err
	}
	if form == nil {
		today := s.planAt().Format("2006-01-02")
		for _, cat := range model.Categories {
			m := kpMarkForm{Category: cat, Since: today, Source: "school"}
			for _, x := range k.Marks {
				if x.Category == cat {
					m.Held, m.Since, m.Source = true, x.Since, x.Source
				}
			}
			form = append(form, m)
		}
	}
	school, err := s.store.GetSchool(r.Context(), authz.Scope{Schools: []int64{k.SchoolID}}, k.SchoolID)
	if err != nil {
		return err
	}
	w.WriteHeader(status)
	crumbs := []crumb{{school.Name, "/key-pupils?school=" + strconv.FormatInt(k.SchoolID, 10)}, {k.ClassName, "/key-pupils?class=" + strconv.FormatInt(k.ClassID, 10)},
		{k.Name, ""}}
	return s.html(w, c, "keypupils_edit.html", "kp.edit", crumbs, map[string]any{"K": k, "Form": form, "Sources": store.KeySources,
		"Problems": problems, "Done": r.URL.Query().Get("done"), "Today": s.planAt().Format("2006-01-02"),
		"CanOpen": c.scope(authz.D1, authz.Read).Covers(k.DistrictID, k.SchoolID, k.ClassID)})
}

func (s *Server) keyCategoriesSave(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	var form []kpMarkForm
	var in []store.KeyMarkInput
	for _, cat := range model.Categories {
		m := kpMarkForm{Category: cat, Held: r.PostFormValue("cat_"+string(cat)) != "", Since: strings.TrimSpace(r.PostFormValue("since_" + string(cat))),
			Source: r.PostFormValue("source_" + string(cat))}
		form = append(form, m)
		if m.Held {
			in = append(in, store.KeyMarkInput{Category: string(cat), Since: m.Since, Source: m.Source})
		}
	}
	// The form always carries edit=1: a request without it (an empty
	// body) must never read as "remove every category".
	if r.PostFormValue("edit") != "1" {
		return s.keyCategoriesView(w, r, c, http.StatusBadRequest, form,
			[]rowProblem{{Field: s.cat.T(c.locale, "kp.f_categories"), Message: s.cat.T(c.locale, "kp.err_form")}})
	}
	err = s.store.SetKeyCategories(r.Context(), c.actor(r), c.scope(authz.D2, authz.Write), id, in)
	label := s.kpCategoryLabel(c, func(i int) string {
		if i >= 0 && i < len(in) {
			return in[i].Category
		}
		return ""
	})
	if ps, ok := s.kpFormProblems(c, err, label); ok {
		return s.keyCategoriesView(w, r, c, http.StatusBadRequest, form, ps)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/students/"+strconv.FormatInt(id, 10)+"/key-categories?done=saved", http.StatusSeeOther)
	return nil
}

// ---- the cadence ---------------------------------------------------------------

func (s *Server) cadencePage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.cadenceView(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) cadenceView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, form map[string]string, problems []rowProblem) error {
	cs, err := s.store.KeyCadence(r.Context())
	if err != nil {
		return err
	}
	if form == nil {
		form = map[string]string{}
		for _, x := range cs {
			form[string(x.Category)] = strconv.Itoa(x.Days)
		}
	}
	w.WriteHeader(status)
	return s.html(w, c, "keypupils_cadence.html", "kp.cadence", nil, map[string]any{"Cadence": cs, "Form": form, "Problems": problems,
		"CanEdit": c.sub.Has(authz.CityOfficial), "Done": r.URL.Query().Get("done"), "Min": store.MinCadenceDays, "Max": store.MaxCadenceDays})
}

func (s *Server) cadenceSave(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	form := map[string]string{}
	var in []store.Cadence
	var bad store.ValidationError
	for i, cat := range model.Categories {
		v := strings.TrimSpace(r.PostFormValue("days_" + string(cat)))
		form[string(cat)] = v
		days, err := strconv.Atoi(v)
		if err != nil {
			bad.Add("items["+strconv.Itoa(i)+"].days", "kp.err_days")
		}
		in = append(in, store.Cadence{Category: cat, Days: days})
	}
	err := bad.Err()
	if err == nil {
		err = s.store.SetKeyCadence(r.Context(), c.actor(r), in)
	}
	label := s.kpCategoryLabel(c, func(i int) string {
		if i >= 0 && i < len(in) {
			return string(in[i].Category)
		}
		return ""
	})
	if ps, ok := s.kpFormProblems(c, err, label); ok {
		return s.cadenceView(w, r, c, http.StatusBadRequest, form, ps)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/key-pupils/cadence?done=saved", http.StatusSeeOther)
	return nil
}

// ---- JSON API --------------------------------------------------------------------

type keyMarkJSON struct {
	Category string `json:"category"`
	Since    string `json:"since"`
	Source   string `json:"source"`
}

type keyPupilJSON struct {
	StudentID   int64         `json:"student_id"`
	SchoolID    int64         `json:"school_id"`
	ClassID     int64         `json:"class_id"`
	ClassName   string        `json:"class_name"`
	Name        string        `json:"name"`
	Masked      bool          `json:"masked"`
	Categories  []keyMarkJSON `json:"categories"`
	LastOn      string        `json:"last_on"`
	CadenceDays int           `json:"cadence_days"`
	DueOn       string        `json:"due_on"`
	Overdue     bool          `json:"overdue"`
	DaysOverdue int           `json:"days_overdue"`
}

// keyMarkInputJSON is one category a pupil is to hold; since and source
// are optional (a held category keeps its own; a new one is dated today,
// from the school).
type keyMarkInputJSON struct {
	Category string `json:"category"`
	Since    string `json:"since,omitempty"`
	Source   string `json:"source,omitempty"`
}

type keyCategoriesRequest struct {
	// Categories is the complete set the pupil is to hold ([] removes all).
	Categories *[]keyMarkInputJSON `json:"categories"`
}

type cadenceJSON struct {
	Category string `json:"category"`
	Days     int    `json:"days"`
}

type cadenceRequest struct {
	Items []cadenceJSON `json:"items"`
}

func (s *Server) apiKeyPupils(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	f, err := kpFilter(r, "school_id", "class_id")
	if err != nil {
		return err
	}
	f.Offset, f.Limit = pageParams(r)
	ks, total, err := s.store.KeyPupils(r.Context(), c.actor(r), c.scope(authz.D2, authz.Read), f, s.planAt())
	if err != nil {
		return err
	}
	out := listOf[keyPupilJSON]{Items: make([]keyPupilJSON, 0, len(ks)), Total: total, Offset: f.Offset, Limit: f.Limit}
	for _, k := range s.kpRows(c, ks) {
		v := keyPupilJSON{StudentID: k.StudentID, SchoolID: k.SchoolID, ClassID: k.ClassID, ClassName: k.ClassName, Name: k.Name, Masked: k.Masked,
			Categories: make([]keyMarkJSON, len(k.Marks)), LastOn: k.LastOn, CadenceDays: k.CadenceDays, DueOn: k.DueOn,
			Overdue: k.DaysOverdue > 0, DaysOverdue: k.DaysOverdue}
		for i, m := range k.Marks {
			v.Categories[i] = keyMarkJSON{Category: string(m.Category), Since: m.Since, Source: m.Source}
		}
		out.Items = append(out.Items, v)
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiKeyCategories(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req keyCategoriesRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Categories == nil {
		return &store.FieldError{Field: "categories", Key: "err.required"}
	}
	in := make([]store.KeyMarkInput, len(*req.Categories))
	for i, x := range *req.Categories {
		in[i] = store.KeyMarkInput{Category: x.Category, Since: x.Since, Source: x.Source}
	}
	if err := s.store.SetKeyCategories(r.Context(), c.actor(r), c.scope(authz.D2, authz.Write), id, in); err != nil {
		return err
	}
	writeJSON(w, 200, okResponse{OK: true})
	return nil
}

func (s *Server) apiKeyCadence(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	cs, err := s.store.KeyCadence(r.Context())
	if err != nil {
		return err
	}
	out := listOf[cadenceJSON]{Items: make([]cadenceJSON, len(cs)), Total: len(cs), Limit: len(cs)}
	for i, x := range cs {
		out.Items[i] = cadenceJSON{Category: string(x.Category), Days: x.Days}
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiKeyCadenceSet(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var req cadenceRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	in := make([]store.Cadence, len(req.Items))
	for i, x := range req.Items {
		in[i] = store.Cadence{Category: model.Category(x.Category), Days: x.Days}
	}
	if err := s.store.SetKeyCadence(r.Context(), c.actor(r), in); err != nil {
		return err
	}
	writeJSON(w, 200, okResponse{OK: true})
	return nil
}

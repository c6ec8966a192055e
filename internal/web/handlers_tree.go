package web

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/store"
)

func subjectOf(u *store.User) *authz.Subject {
	return &authz.Subject{UserID: u.ID, Username: u.Username, Assignments: u.Assignments}
}

func encodeB64(b []byte) string          { return base64.RawURLEncoding.EncodeToString(b) }
func decodeB64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// pathID reads a positive integer path parameter; anything else is a 404,
// since no record has that id.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

func queryInt(r *http.Request, name string) int64 {
	v, _ := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	return v
}

func (c *reqCtx) scope(class authz.DataClass, l authz.Level) authz.Scope {
	if c.sub == nil {
		return authz.Scope{}
	}
	return c.sub.Scope(authz.Need{Class: class, Level: l})
}

// assignmentView is an assignment with the name of its node, for pages.
type assignmentView struct {
	authz.Assignment
	Label string
	URL   string
}

func (s *Server) describeAssignments(ctx context.Context, as []authz.Assignment, locale string) []assignmentView {
	var out []assignmentView
	for _, a := range as {
		v := assignmentView{Assignment: a}
		v.Label, _ = s.store.NodeLabel(ctx, a)
		switch authz.BindingOf(a.Role) {
		case authz.BindCity:
			v.Label = s.cat.T(locale, "city.name")
			if a.Role != authz.Auditor {
				v.URL = "/tree"
			} else {
				v.URL = "/audit"
			}
		case authz.BindSystem:
			v.Label, v.URL = s.cat.T(locale, "nav.admin"), "/admin/users"
		case authz.BindDistrict:
			v.URL = "/districts/" + strconv.FormatInt(a.DistrictID, 10)
		case authz.BindSchool:
			v.URL = "/schools/" + strconv.FormatInt(a.SchoolID, 10)
		case authz.BindClass:
			v.URL = "/classes/" + strconv.FormatInt(a.ClassID, 10)
		}
		out = append(out, v)
	}
	return out
}

// home is each role's start page: its areas at a glance and what needs
// attention there.
func (s *Server) home(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	data := map[string]any{"Assignments": s.describeAssignments(ctx, c.user.Assignments, c.locale)}
	d0 := c.scope(authz.D0, authz.Read)
	if d0.City || len(d0.Districts) > 0 {
		ds, err := s.store.ListDistricts(ctx, d0)
		if err != nil {
			return err
		}
		data["Districts"] = ds
		data["MaxStudents"] = maxStudents(ds)
	}
	var schools []store.SchoolSummary
	var unplaced = map[int64]int{}
	for _, id := range d0.Schools {
		sc, err := s.store.GetSchool(ctx, d0, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		schools = append(schools, sc)
		if n, err := s.store.UnplacedStudents(ctx, d0, id); err == nil && n > 0 {
			unplaced[id] = n
		}
	}
	data["Schools"], data["Unplaced"] = schools, unplaced
	if len(d0.Classes) > 0 {
		cls, err := s.store.ClassesByIDs(ctx, d0, d0.Classes)
		if err != nil {
			return err
		}
		data["Classes"] = cls
		// Who has no guardian on record — only for roles that read the
		// roster's contact data of these classes.
		if d2 := c.scope(authz.D2, authz.Read); len(d2.Classes) > 0 {
			missing, err := s.store.PupilsWithoutGuardian(ctx, d2, d2.Classes)
			if err != nil {
				return err
			}
			data["NoGuardian"] = missing
		}
	}
	if err := s.homeScreening(r, c, data); err != nil {
		return err
	}
	if err := s.homePlan(r, c, data); err != nil {
		return err
	}
	if err := s.homeHomeSchool(r, c, data); err != nil {
		return err
	}
	if c.sub.Has(authz.SysAdmin) {
		h, err := s.store.AccountHealth(ctx)
		if err != nil {
			return err
		}
		data["Accounts"] = h
	}
	if c.sub.Can(authz.Need{Class: authz.D7, Level: authz.Read}) {
		n, err := s.store.FailedLoginsSince(ctx, s.now().Add(-24*time.Hour))
		if err != nil {
			return err
		}
		data["FailedLogins"] = n
	}
	return s.html(w, c, "home.html", "home.title", nil, data)
}

func maxStudents(ds []store.DistrictSummary) int {
	m := 0
	for _, d := range ds {
		m = max(m, d.Counts.Students)
	}
	return m
}

func (s *Server) treePage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sc := c.scope(authz.D0, authz.Read)
	if !sc.City && len(sc.Districts) == 0 {
		return errNotFound
	}
	ds, err := s.store.ListDistricts(r.Context(), sc)
	if err != nil {
		return err
	}
	years, err := s.store.SchoolYears(r.Context())
	if err != nil {
		return err
	}
	return s.html(w, c, "tree.html", "city.name", []crumb{{Label: s.cat.T(c.locale, "city.name")}},
		map[string]any{"Districts": ds, "MaxStudents": maxStudents(ds), "Years": years,
			"CanAddDistrict": c.scope(authz.D0, authz.Write).City})
}

func (s *Server) districtCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sc := c.scope(authz.D0, authz.Write)
	if !sc.City {
		return errNotFound
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	in := store.DistrictInput{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"), Kind: model.DistrictKind(r.PostFormValue("kind"))}
	id, err := s.store.CreateDistrict(r.Context(), c.actor(r), sc, in)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/districts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) districtPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc := c.scope(authz.D0, authz.Read)
	d, err := s.store.GetDistrict(r.Context(), sc, id)
	if err != nil {
		return err
	}
	f := store.SchoolFilter{DistrictID: id, Type: model.SchoolType(r.URL.Query().Get("type")), Query: r.URL.Query().Get("q"), Limit: 500}
	schools, total, err := s.store.ListSchools(r.Context(), sc, f)
	if err != nil {
		return err
	}
	m := 0
	for _, x := range schools {
		m = max(m, x.Counts.Students)
	}
	return s.html(w, c, "district.html", "district.title", s.crumbs(c, &d.District, nil, nil), map[string]any{
		"District": d, "Schools": schools, "Total": total, "Filter": f, "MaxStudents": m,
		"CanCreate": c.scope(authz.D0, authz.Write).Covers(d.ID, 0, 0),
	})
}

// crumbs builds the breadcrumb trail city → district → school → class,
// linking only the levels the viewer may open.
func (s *Server) crumbs(c *reqCtx, d *model.District, sc *store.SchoolSummary, cl *store.ClassSummary) []crumb {
	scope := c.scope(authz.D0, authz.Read)
	var out []crumb
	if scope.City {
		out = append(out, crumb{Label: s.cat.T(c.locale, "city.name"), URL: "/tree"})
	}
	if d != nil {
		u := ""
		if scope.Covers(d.ID, 0, 0) {
			u = "/districts/" + strconv.FormatInt(d.ID, 10)
		}
		out = append(out, crumb{Label: d.Name, URL: u})
	}
	if sc != nil {
		u := ""
		if scope.Covers(sc.DistrictID, sc.ID, 0) {
			u = "/schools/" + strconv.FormatInt(sc.ID, 10)
		}
		out = append(out, crumb{Label: sc.Name, URL: u})
	}
	if cl != nil {
		out = append(out, crumb{Label: cl.Name})
	}
	if len(out) > 0 {
		out[len(out)-1].URL = ""
	}
	return out
}

func (s *Server) schoolPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	sc := c.scope(authz.D0, authz.Read)
	school, err := s.store.GetSchool(ctx, sc, id)
	if err != nil {
		return err
	}
	classes, err := s.store.ListClasses(ctx, sc, id)
	if err != nil {
		return err
	}
	unplaced, err := s.store.UnplacedStudents(ctx, sc, id)
	if err != nil {
		return err
	}
	d := model.District{ID: school.DistrictID, Name: school.DistrictName}
	return s.html(w, c, "school.html", "school.title", s.crumbs(c, &d, &school, nil), map[string]any{
		"School": school, "Classes": classes, "Unplaced": unplaced,
		"CanStaff":    c.scope(authz.D6, authz.Read).Covers(school.DistrictID, school.ID, 0),
		"CanStudents": c.scope(authz.D1, authz.Read).Covers(school.DistrictID, school.ID, 0),
		"CanEdit":     c.scope(authz.D0, authz.Write).Covers(school.DistrictID, school.ID, 0),
		"CanClass":    c.scope(authz.D1, authz.Write).Covers(school.DistrictID, school.ID, 0),
		"CurrentYear": model.SchoolYearOf(s.now()),
		"Grades":      school.Type.Grades(),
	})
}

func (s *Server) classPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	cl, err := s.store.GetClass(ctx, c.scope(authz.D0, authz.Read), id)
	if err != nil {
		return err
	}
	// The class teacher's name is staff roster data (D6): shown to those who
	// read the school's staff or work with the class's pupils.
	if !c.scope(authz.D6, authz.Read).Covers(cl.DistrictID, cl.SchoolID, 0) && !c.scope(authz.D1, authz.Limited).Covers(cl.DistrictID, cl.SchoolID, cl.ID) {
		cl.Teacher = ""
	}
	data := map[string]any{"Class": cl}
	d1 := c.scope(authz.D1, authz.Limited)
	if d1.Covers(cl.DistrictID, cl.SchoolID, cl.ID) {
		rows, _, err := s.store.ListStudents(ctx, c.actor(r), d1, store.StudentFilter{ClassID: id, Limit: 200})
		if err != nil {
			return err
		}
		data["Students"] = s.rowsView(c, rows)
		data["CanOpen"] = c.scope(authz.D1, authz.Read).Covers(cl.DistrictID, cl.SchoolID, cl.ID)
		data["CanAdd"] = c.scope(authz.D1, authz.Write).Covers(cl.DistrictID, cl.SchoolID, cl.ID)
		data["CanExport"] = exportScope(c, authz.D1).Covers(cl.DistrictID, cl.SchoolID, cl.ID)
		// The attention flag (D3 "flag only"): never a tier or a score.
		if d3 := c.scope(authz.D3, authz.Limited); d3.Covers(cl.DistrictID, cl.SchoolID, cl.ID) {
			ids := make([]int64, len(rows))
			for i, x := range rows {
				ids[i] = x.ID
			}
			flags, err := s.store.AttentionFlags(ctx, d3, ids)
			if err != nil {
				return err
			}
			data["Flags"] = flags
		}
	}
	school := store.SchoolSummary{School: model.School{ID: cl.SchoolID, DistrictID: cl.DistrictID, Name: cl.SchoolName}}
	d := model.District{ID: cl.DistrictID, Name: cl.DistrictName}
	return s.html(w, c, "class.html", "class.title", s.crumbs(c, &d, &school, &cl), data)
}

// rowsView is the one place a list of pupils is cut to what the viewer may
// see: names masked where the role does not need them in full, and only
// names (no student number, no gender) where the role has D1 "names only".
func (s *Server) rowsView(c *reqCtx, rows []store.StudentRow) []studentJSON {
	full := c.sub.FullNamesIn()
	read := c.scope(authz.D1, authz.Read)
	out := make([]studentJSON, len(rows))
	for i, x := range rows {
		if !read.Covers(x.DistrictID, x.SchoolID, x.ClassID) {
			out[i] = studentJSON{ID: x.ID, SchoolID: x.SchoolID, ClassID: x.ClassID, ClassName: x.ClassName, Name: x.Name, Status: string(x.Status)}
			continue
		}
		out[i] = studentView(x, full.Covers(0, x.SchoolID, x.ClassID))
	}
	return out
}

func (s *Server) schoolNewPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sc := c.scope(authz.D0, authz.Write)
	ds, err := s.store.ListDistricts(r.Context(), sc)
	if err != nil {
		return err
	}
	return s.html(w, c, "school_form.html", "school.new", nil, map[string]any{
		"Districts": ds, "Input": store.SchoolInput{DistrictID: queryInt(r, "district")}})
}

func schoolFromForm(r *http.Request) store.SchoolInput {
	id, _ := strconv.ParseInt(r.PostFormValue("district_id"), 10, 64)
	return store.SchoolInput{DistrictID: id, Code: r.PostFormValue("code"), Name: r.PostFormValue("name"),
		Type: model.SchoolType(r.PostFormValue("type")), Address: r.PostFormValue("address")}
}

func (s *Server) schoolCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	in := schoolFromForm(r)
	sc := c.scope(authz.D0, authz.Write)
	id, err := s.store.CreateSchool(r.Context(), c.actor(r), sc, in)
	if err != nil {
		if fields := fieldErrors(err); fields != nil {
			ds, _ := s.store.ListDistricts(r.Context(), sc)
			w.WriteHeader(http.StatusBadRequest)
			return s.html(w, c, "school_form.html", "school.new", nil, map[string]any{"Districts": ds, "Input": in, "Errors": s.fieldMessages(c, fields)})
		}
		return err
	}
	http.Redirect(w, r, "/schools/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) schoolEditPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	school, err := s.store.GetSchool(r.Context(), c.scope(authz.D0, authz.Write), id)
	if err != nil {
		return err
	}
	return s.html(w, c, "school_form.html", "school.edit", nil, map[string]any{"Edit": true, "ID": id,
		"Input": store.SchoolInput{DistrictID: school.DistrictID, Code: school.Code, Name: school.Name, Type: school.Type, Address: school.Address}})
}

func (s *Server) schoolUpdate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	in := schoolFromForm(r)
	if err := s.store.UpdateSchool(r.Context(), c.actor(r), c.scope(authz.D0, authz.Write), id, in); err != nil {
		if fields := fieldErrors(err); fields != nil {
			w.WriteHeader(http.StatusBadRequest)
			return s.html(w, c, "school_form.html", "school.edit", nil, map[string]any{"Edit": true, "ID": id, "Input": in, "Errors": s.fieldMessages(c, fields)})
		}
		return err
	}
	http.Redirect(w, r, "/schools/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) classCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	atoi := func(k string) int { v, _ := strconv.Atoi(r.PostFormValue(k)); return v }
	schoolID, _ := strconv.ParseInt(r.PostFormValue("school_id"), 10, 64)
	in := store.ClassInput{SchoolID: schoolID, StartYear: atoi("start_year"), Grade: atoi("grade"), Number: atoi("number"), Name: r.PostFormValue("name")}
	id, err := s.store.CreateClass(r.Context(), c.actor(r), c.scope(authz.D1, authz.Write), in)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/classes/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// fieldErrors extracts field errors from a validation failure, or nil.
func fieldErrors(err error) []store.FieldError {
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		return ve.Fields
	}
	return nil
}

// fieldMessages maps field names to translated messages for forms.
func (s *Server) fieldMessages(c *reqCtx, fields []store.FieldError) map[string]string {
	out := map[string]string{}
	for _, f := range fields {
		out[f.Field] = s.cat.T(c.locale, f.Key)
	}
	return out
}

// homeScreening adds what screening asks of the caller: open alerts, the
// pupils of their classes who need attention, and open campaigns with
// consent still to record.
func (s *Server) homeScreening(r *http.Request, c *reqCtx, data map[string]any) error {
	ctx := r.Context()
	if as := c.alertScope(); !as.Empty() {
		list, err := s.store.ListAlerts(ctx, as, store.AlertFilter{Active: true, UserID: c.user.ID, Limit: 500})
		if err != nil {
			return err
		}
		unread := 0
		for _, a := range list {
			if a.Unread {
				unread++
			}
		}
		data["AlertsOpen"], data["AlertsUnread"], data["HasAlerts"] = len(list), unread, true
	}
	d3 := c.scope(authz.D3, authz.Limited)
	if len(d3.Classes) > 0 {
		n := 0
		for _, cid := range d3.Classes {
			rows, _, err := s.store.ListStudents(ctx, c.actor(r), c.scope(authz.D1, authz.Limited), store.StudentFilter{ClassID: cid, Limit: 200})
			if err != nil {
				return err
			}
			ids := make([]int64, len(rows))
			for i, x := range rows {
				ids[i] = x.ID
			}
			flags, err := s.store.AttentionFlags(ctx, d3, ids)
			if err != nil {
				return err
			}
			n += len(flags)
		}
		data["Flagged"] = n
	}
	if !d3.Empty() {
		camps, err := s.store.ListCampaigns(ctx, d3)
		if err != nil {
			return err
		}
		type pending struct {
			ID      int64
			Name    string
			Pending int
			ClassID int64
		}
		var out []pending
		for _, cp := range camps {
			if !cp.OpenAt(s.now()) {
				continue
			}
			by := store.ByClass
			total, rows, err := s.store.ScreeningBreakdown(ctx, d3, cp.ID, by, 0, 0)
			if err != nil {
				return err
			}
			p := pending{ID: cp.ID, Name: cp.Name, Pending: total.ConsentPending}
			if len(rows) == 1 {
				p.ClassID = rows[0].ID
			}
			out = append(out, p)
		}
		data["OpenCampaigns"] = out
	}
	return nil
}

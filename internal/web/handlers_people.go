package web

import (
	"net/http"
	"strconv"
	"strings"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/store"
)

func (s *Server) studentsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	offset, limit := pageParams(r)
	q := r.URL.Query()
	f := store.StudentFilter{SchoolID: queryInt(r, "school"), ClassID: queryInt(r, "class"), Unplaced: q.Get("unplaced") == "1",
		Query: q.Get("q"), Offset: offset, Limit: limit}
	items, total, err := s.studentsFor(r, c, f)
	if err != nil {
		return err
	}
	return s.html(w, c, "students.html", "students.title", nil, map[string]any{
		"Students": items, "Total": total, "Filter": f, "Offset": offset, "Limit": limit,
		"Next": offset + limit, "Prev": max(offset-limit, 0), "HasNext": offset+limit < total,
	})
}

func (s *Server) studentPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.store.GetStudent(r.Context(), c.actor(r), c.scope(authz.D1, authz.Read), c.scope(authz.D2, authz.Read), id, r.URL.Query().Get("unmask") == "1")
	if err != nil {
		return err
	}
	w1 := c.scope(authz.D1, authz.Write)
	data := map[string]any{"S": studentDetailView(d), "CanEdit": w1.Covers(d.DistrictID, d.SchoolID, d.ClassID)}
	if data["CanEdit"] == true {
		classes, err := s.store.ListClasses(r.Context(), w1, d.SchoolID)
		if err != nil {
			return err
		}
		data["Classes"] = classes
	}
	// Screening: the flag for every role that reads D3 here; tiers of each
	// campaign for those who read D3 in full (principal, psychology teacher).
	if d3 := c.scope(authz.D3, authz.Limited); d3.Covers(d.DistrictID, d.SchoolID, d.ClassID) {
		flags, err := s.store.AttentionFlags(r.Context(), d3, []int64{d.ID})
		if err != nil {
			return err
		}
		data["Attention"] = flags[d.ID]
	}
	if d3 := c.scope(authz.D3, authz.Read); d3.Covers(d.DistrictID, d.SchoolID, d.ClassID) {
		hist, err := s.store.StudentScreenings(r.Context(), d3, d.ID)
		if err != nil {
			return err
		}
		data["Screenings"] = hist
		data["Answers"] = c.scope(authz.D4, authz.Read).Covers(d.DistrictID, d.SchoolID, d.ClassID)
	}
	return s.html(w, c, "student.html", "student.title", nil, data)
}

// studentForm is the form state of the student editor.
type studentForm struct {
	ClassID    int64
	StudentNo  string
	Name       string
	Gender     string
	BirthDate  string
	IDNumber   string
	Categories map[string]bool
	Guardians  []guardianJSON
}

func studentFormFrom(r *http.Request) (studentForm, store.StudentInput) {
	f := studentForm{Categories: map[string]bool{}}
	f.ClassID, _ = strconv.ParseInt(r.PostFormValue("class_id"), 10, 64)
	f.StudentNo, f.Name, f.Gender = r.PostFormValue("student_no"), r.PostFormValue("name"), r.PostFormValue("gender")
	f.BirthDate, f.IDNumber = r.PostFormValue("birth_date"), r.PostFormValue("id_number")
	for _, k := range r.PostForm["categories"] {
		f.Categories[k] = true
	}
	names, rels, phones := r.PostForm["guardian_name"], r.PostForm["guardian_relation"], r.PostForm["guardian_phone"]
	for i := range names {
		if i >= len(rels) || i >= len(phones) {
			break
		}
		if strings.TrimSpace(names[i]) == "" && strings.TrimSpace(phones[i]) == "" {
			continue
		}
		f.Guardians = append(f.Guardians, guardianJSON{Name: names[i], Relation: rels[i], Phone: phones[i]})
	}
	gender := f.Gender
	in := studentInputJSON{ClassID: &f.ClassID, StudentNo: &f.StudentNo, Name: &f.Name, Gender: &gender, BirthDate: &f.BirthDate, IDNumber: &f.IDNumber}
	cats := []string{}
	for _, k := range model.Categories {
		if f.Categories[string(k)] {
			cats = append(cats, string(k))
		}
	}
	in.Categories = &cats
	gs := append([]guardianJSON{}, f.Guardians...)
	in.Guardians = &gs
	return f, studentInput(in)
}

func (s *Server) studentFormData(r *http.Request, c *reqCtx, f studentForm, edit bool, id int64, schoolID int64) (map[string]any, error) {
	w1 := c.scope(authz.D1, authz.Write)
	if schoolID == 0 && f.ClassID != 0 {
		cl, err := s.store.GetClass(r.Context(), w1, f.ClassID)
		if err != nil {
			return nil, err
		}
		schoolID = cl.SchoolID
	}
	classes, err := s.store.ListClasses(r.Context(), w1, schoolID)
	if err != nil {
		return nil, err
	}
	for len(f.Guardians) < 2 {
		f.Guardians = append(f.Guardians, guardianJSON{})
	}
	return map[string]any{"F": f, "Classes": classes, "Edit": edit, "ID": id,
		"CanContact": c.sub.Can(authz.Need{Class: authz.D2, Level: authz.Write})}, nil
}

func (s *Server) studentNewPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	f := studentForm{ClassID: queryInt(r, "class"), Categories: map[string]bool{}}
	data, err := s.studentFormData(r, c, f, false, 0, 0)
	if err != nil {
		return err
	}
	return s.html(w, c, "student_form.html", "student.new", nil, data)
}

func (s *Server) studentCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	f, in := studentFormFrom(r)
	if !c.sub.Can(authz.Need{Class: authz.D2, Level: authz.Write}) {
		in.IDNumber, in.Categories, in.Guardians = nil, nil, nil
	}
	id, err := s.store.CreateStudent(r.Context(), c.actor(r), c.scope(authz.D1, authz.Write), c.scope(authz.D2, authz.Write), in)
	if err != nil {
		return s.studentFormError(w, r, c, f, false, 0, err)
	}
	http.Redirect(w, r, "/students/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) studentFormError(w http.ResponseWriter, r *http.Request, c *reqCtx, f studentForm, edit bool, id int64, err error) error {
	fields := fieldErrors(err)
	if fields == nil {
		return err
	}
	data, derr := s.studentFormData(r, c, f, edit, id, 0)
	if derr != nil {
		return err
	}
	data["Errors"] = s.fieldMessages(c, fields)
	w.WriteHeader(http.StatusBadRequest)
	key := "student.new"
	if edit {
		key = "student.edit"
	}
	return s.html(w, c, "student_form.html", key, nil, data)
}

func (s *Server) studentEditPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.store.GetStudent(r.Context(), c.actor(r), c.scope(authz.D1, authz.Write), c.scope(authz.D2, authz.Write), id, true)
	if err != nil {
		return err
	}
	f := studentForm{ClassID: d.ClassID, StudentNo: d.StudentNo, Name: d.Name, Gender: string(d.Gender), BirthDate: d.BirthDate, Categories: map[string]bool{}}
	if d.Contact != nil {
		f.IDNumber = d.Contact.IDNumber
		for _, k := range d.Contact.Categories {
			f.Categories[string(k)] = true
		}
		for _, g := range d.Contact.Guardians {
			f.Guardians = append(f.Guardians, guardianJSON{Name: g.Name, Relation: string(g.Relation), Phone: g.Phone})
		}
	}
	data, err := s.studentFormData(r, c, f, true, id, d.SchoolID)
	if err != nil {
		return err
	}
	return s.html(w, c, "student_form.html", "student.edit", nil, data)
}

func (s *Server) studentUpdate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	f, in := studentFormFrom(r)
	if !c.sub.Can(authz.Need{Class: authz.D2, Level: authz.Write}) {
		in.IDNumber, in.Categories, in.Guardians = nil, nil, nil
	}
	if err := s.store.UpdateStudent(r.Context(), c.actor(r), c.scope(authz.D1, authz.Write), c.scope(authz.D2, authz.Write), id, in); err != nil {
		return s.studentFormError(w, r, c, f, true, id, err)
	}
	http.Redirect(w, r, "/students/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) studentMove(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	classID, _ := strconv.ParseInt(r.PostFormValue("class_id"), 10, 64)
	schoolID, _ := strconv.ParseInt(r.PostFormValue("school_id"), 10, 64)
	if err := s.store.MoveStudent(r.Context(), c.actor(r), c.scope(authz.D1, authz.Write), id,
		store.MoveInput{Kind: store.MoveKind(r.PostFormValue("kind")), ClassID: classID, SchoolID: schoolID}); err != nil {
		return err
	}
	// After a transfer the student is out of this school's scope.
	if store.MoveKind(r.PostFormValue("kind")) == store.MoveTransfer {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/students/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) staffListPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc := c.scope(authz.D6, authz.Read)
	school, err := s.store.GetSchool(r.Context(), sc, id)
	if err != nil {
		return err
	}
	offset, limit := pageParams(r)
	staff, total, err := s.store.ListStaff(r.Context(), sc, store.StaffFilter{SchoolID: id, Post: model.Post(r.URL.Query().Get("post")), Offset: offset, Limit: limit})
	if err != nil {
		return err
	}
	d := model.District{ID: school.DistrictID, Name: school.DistrictName}
	return s.html(w, c, "staff_list.html", "staff.title", s.crumbs(c, &d, &school, nil), map[string]any{
		"School": school, "Staff": staff, "Total": total,
		"CanEdit": c.scope(authz.D6, authz.Write).Covers(school.DistrictID, school.ID, 0)})
}

func (s *Server) staffPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	x, err := s.store.GetStaff(r.Context(), c.scope(authz.D6, authz.Read), id)
	if err != nil {
		return err
	}
	return s.html(w, c, "staff.html", "staff.one", nil, map[string]any{"S": x,
		"CanEdit": c.scope(authz.D6, authz.Write).Covers(x.DistrictID, x.SchoolID, 0)})
}

func staffFromForm(r *http.Request) store.StaffInput {
	schoolID, _ := strconv.ParseInt(r.PostFormValue("school_id"), 10, 64)
	in := store.StaffInput{SchoolID: schoolID, Name: r.PostFormValue("name"), Gender: model.Gender(r.PostFormValue("gender")), Phone: r.PostFormValue("phone")}
	classID, _ := strconv.ParseInt(r.PostFormValue("class_id"), 10, 64)
	for _, p := range r.PostForm["posts"] {
		sp := model.StaffPost{Post: model.Post(p)}
		if sp.Post.NeedsClass() {
			sp.ClassID = classID
		}
		in.Posts = append(in.Posts, sp)
	}
	return in
}

func (s *Server) staffFormData(r *http.Request, c *reqCtx, in store.StaffInput, edit bool, id int64) (map[string]any, error) {
	classes, err := s.store.ListClasses(r.Context(), c.scope(authz.D6, authz.Write), in.SchoolID)
	if err != nil {
		return nil, err
	}
	posts := map[string]bool{}
	var classID int64
	for _, p := range in.Posts {
		posts[string(p.Post)] = true
		if p.ClassID != 0 {
			classID = p.ClassID
		}
	}
	return map[string]any{"In": in, "Posts": posts, "ClassID": classID, "Classes": classes, "Edit": edit, "ID": id}, nil
}

func (s *Server) staffNewPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	schoolID := queryInt(r, "school")
	if _, err := s.store.GetSchool(r.Context(), c.scope(authz.D6, authz.Write), schoolID); err != nil {
		return err
	}
	data, err := s.staffFormData(r, c, store.StaffInput{SchoolID: schoolID}, false, 0)
	if err != nil {
		return err
	}
	return s.html(w, c, "staff_form.html", "staff.new", nil, data)
}

func (s *Server) staffCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	in := staffFromForm(r)
	id, err := s.store.CreateStaff(r.Context(), c.actor(r), c.scope(authz.D6, authz.Write), in)
	if err != nil {
		return s.staffFormError(w, r, c, in, false, 0, err)
	}
	http.Redirect(w, r, "/staff/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) staffFormError(w http.ResponseWriter, r *http.Request, c *reqCtx, in store.StaffInput, edit bool, id int64, err error) error {
	fields := fieldErrors(err)
	if fields == nil {
		return err
	}
	data, derr := s.staffFormData(r, c, in, edit, id)
	if derr != nil {
		return err
	}
	data["Errors"] = s.fieldMessages(c, fields)
	w.WriteHeader(http.StatusBadRequest)
	return s.html(w, c, "staff_form.html", "staff.new", nil, data)
}

func (s *Server) staffEditPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	x, err := s.store.GetStaff(r.Context(), c.scope(authz.D6, authz.Write), id)
	if err != nil {
		return err
	}
	data, err := s.staffFormData(r, c, store.StaffInput{SchoolID: x.SchoolID, Name: x.Name, Gender: x.Gender, Phone: x.Phone, Posts: x.Posts}, true, id)
	if err != nil {
		return err
	}
	return s.html(w, c, "staff_form.html", "staff.edit", nil, data)
}

func (s *Server) staffUpdate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	in := staffFromForm(r)
	if err := s.store.UpdateStaff(r.Context(), c.actor(r), c.scope(authz.D6, authz.Write), id, in); err != nil {
		return s.staffFormError(w, r, c, in, true, id, err)
	}
	http.Redirect(w, r, "/staff/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"huhang/internal/audit"
	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/report"
	"huhang/internal/store"
)

// JSON shapes of the API. They are separate from the store's types so the
// wire format is deliberate: a field appears here only if some role may
// see it, and handlers fill the sensitive ones only when the role may.

type listOf[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

type idResponse struct {
	ID int64 `json:"id"`
}

type okResponse struct {
	OK bool `json:"ok"`
}

type meResponse struct {
	ID          int64              `json:"id"`
	Username    string             `json:"username"`
	DisplayName string             `json:"display_name"`
	Locale      string             `json:"locale"`
	TOTPEnabled bool               `json:"totp_enabled"`
	Assignments []authz.Assignment `json:"assignments"`
}

type countsJSON struct {
	// Counts of 1–4 are suppressed: they are sent as null with suppressed=true.
	Students   *int            `json:"students"`
	Female     *int            `json:"female"`
	Male       *int            `json:"male"`
	Categories map[string]*int `json:"categories"`
	Suppressed bool            `json:"suppressed"`
}

type districtJSON struct {
	ID      int64      `json:"id"`
	Code    string     `json:"code"`
	Name    string     `json:"name"`
	Kind    string     `json:"kind"`
	Schools int        `json:"schools"`
	Classes int        `json:"classes"`
	Counts  countsJSON `json:"counts"`
}

type schoolJSON struct {
	ID         int64      `json:"id"`
	DistrictID int64      `json:"district_id"`
	Code       string     `json:"code"`
	Name       string     `json:"name"`
	Type       string     `json:"type"`
	Address    string     `json:"address"`
	Classes    int        `json:"classes"`
	Staff      int        `json:"staff"`
	Counts     countsJSON `json:"counts"`
}

type schoolInputJSON struct {
	DistrictID int64  `json:"district_id"`
	Code       string `json:"code"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Address    string `json:"address"`
}

type classJSON struct {
	ID         int64      `json:"id"`
	SchoolID   int64      `json:"school_id"`
	DistrictID int64      `json:"district_id"`
	StartYear  int        `json:"start_year"`
	Grade      int        `json:"grade"`
	Number     int        `json:"number"`
	Name       string     `json:"name"`
	Counts     countsJSON `json:"counts"`
}

type classInputJSON struct {
	SchoolID  int64  `json:"school_id"`
	StartYear int    `json:"start_year"`
	Grade     int    `json:"grade"`
	Number    int    `json:"number"`
	Name      string `json:"name"`
}

type studentJSON struct {
	ID        int64  `json:"id"`
	SchoolID  int64  `json:"school_id"`
	ClassID   int64  `json:"class_id"`
	ClassName string `json:"class_name"`
	StudentNo string `json:"student_no,omitempty"`
	Name      string `json:"name"`
	Masked    bool   `json:"masked"`
	Gender    string `json:"gender,omitempty"`
	Status    string `json:"status"`
}

type guardianJSON struct {
	Name     string `json:"name"`
	Relation string `json:"relation"`
	Phone    string `json:"phone"`
}

type contactJSON struct {
	IDNumber   string         `json:"id_number,omitempty"`
	Categories []string       `json:"categories"`
	Guardians  []guardianJSON `json:"guardians"`
}

type studentDetailJSON struct {
	studentJSON
	SchoolName string       `json:"school_name"`
	BirthDate  string       `json:"birth_date"`
	Contact    *contactJSON `json:"contact,omitempty"`
}

type studentInputJSON struct {
	ClassID    *int64          `json:"class_id,omitempty"`
	StudentNo  *string         `json:"student_no,omitempty"`
	Name       *string         `json:"name,omitempty"`
	Gender     *string         `json:"gender,omitempty"`
	BirthDate  *string         `json:"birth_date,omitempty"`
	IDNumber   *string         `json:"id_number,omitempty"`
	Categories *[]string       `json:"categories,omitempty"`
	Guardians  *[]guardianJSON `json:"guardians,omitempty"`
}

type moveInputJSON struct {
	Kind     string `json:"kind"`
	ClassID  int64  `json:"class_id,omitempty"`
	SchoolID int64  `json:"school_id,omitempty"`
}

type lookupRequest struct {
	IDNumber string `json:"id_number"`
}

type staffJSON struct {
	ID       int64      `json:"id"`
	SchoolID int64      `json:"school_id"`
	Name     string     `json:"name"`
	Gender   string     `json:"gender"`
	Phone    string     `json:"phone"`
	Posts    []postJSON `json:"posts"`
}

type postJSON struct {
	Post    string `json:"post"`
	ClassID int64  `json:"class_id,omitempty"`
}

type staffInputJSON struct {
	SchoolID int64      `json:"school_id"`
	Name     string     `json:"name"`
	Gender   string     `json:"gender"`
	Phone    string     `json:"phone"`
	Posts    []postJSON `json:"posts"`
}

type agencyJSON struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
}

type userJSON struct {
	ID          int64              `json:"id"`
	Username    string             `json:"username"`
	DisplayName string             `json:"display_name"`
	Disabled    bool               `json:"disabled"`
	TOTPEnabled bool               `json:"totp_enabled"`
	LastLoginAt string             `json:"last_login_at,omitempty"`
	Assignments []authz.Assignment `json:"assignments"`
}

type userInputJSON struct {
	Username    string             `json:"username"`
	DisplayName string             `json:"display_name"`
	Password    string             `json:"password"`
	Assignments []authz.Assignment `json:"assignments"`
}

type auditJSON struct {
	Seq        int64  `json:"seq"`
	At         string `json:"at"`
	ActorID    int64  `json:"actor_id"`
	ActorRole  string `json:"actor_role"`
	IP         string `json:"ip"`
	Action     string `json:"action"`
	ObjectType string `json:"object_type"`
	ObjectID   int64  `json:"object_id"`
	SchoolID   int64  `json:"school_id"`
	DistrictID int64  `json:"district_id"`
	Outcome    string `json:"outcome"`
	Detail     string `json:"detail"`
	Hash       string `json:"hash"`
}

func countsView(c store.Counts) countsJSON {
	out := countsJSON{Categories: map[string]*int{}}
	cell := func(n int) *int {
		if report.Suppressed(n) {
			out.Suppressed = true
			return nil
		}
		return &n
	}
	out.Students, out.Female, out.Male = cell(c.Students), cell(c.Female), cell(c.Male)
	for _, k := range model.Categories {
		out.Categories[string(k)] = cell(c.Categories[k])
	}
	return out
}

func studentView(x store.StudentRow, fullName bool) studentJSON {
	v := studentJSON{ID: x.ID, SchoolID: x.SchoolID, ClassID: x.ClassID, ClassName: x.ClassName,
		StudentNo: x.StudentNo, Name: x.Name, Gender: string(x.Gender), Status: string(x.Status)}
	if !fullName {
		v.Name, v.Masked = privacy.MaskName(x.Name), true
	}
	return v
}

// decodeJSON reads one JSON object into v, refusing unknown fields,
// trailing data and oversized bodies (the body is already size-limited).
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "body", Key: "err.json_content_type"}}}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		field := "body"
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			field = ute.Field
		} else if strings.HasPrefix(err.Error(), "json: unknown field ") {
			field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			if field == "" {
				field = "body"
			}
			return &store.ValidationError{Fields: []store.FieldError{{Field: field, Key: "err.unknown_field"}}}
		}
		return &store.ValidationError{Fields: []store.FieldError{{Field: field, Key: "err.json"}}}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "body", Key: "err.json_trailing"}}}
	}
	return nil
}

func pageParams(r *http.Request) (offset, limit int) {
	offset, _ = strconv.Atoi(r.URL.Query().Get("offset"))
	limit, _ = strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	return max(offset, 0), limit
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	u := c.user
	writeJSON(w, 200, meResponse{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Locale: u.Locale,
		TOTPEnabled: u.TOTPEnabled, Assignments: u.Assignments})
	return nil
}

func districtView(d store.DistrictSummary) districtJSON {
	return districtJSON{ID: d.ID, Code: d.Code, Name: d.Name, Kind: string(d.Kind), Schools: d.Schools, Classes: d.Classes, Counts: countsView(d.Counts)}
}

func (s *Server) apiDistricts(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ds, err := s.store.ListDistricts(r.Context(), c.scope(authz.D0, authz.Read))
	if err != nil {
		return err
	}
	out := listOf[districtJSON]{Items: []districtJSON{}, Total: len(ds), Limit: len(ds)}
	for _, d := range ds {
		out.Items = append(out.Items, districtView(d))
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiDistrict(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.store.GetDistrict(r.Context(), c.scope(authz.D0, authz.Read), id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, districtView(d))
	return nil
}

func schoolView(x store.SchoolSummary) schoolJSON {
	return schoolJSON{ID: x.ID, DistrictID: x.DistrictID, Code: x.Code, Name: x.Name, Type: string(x.Type),
		Address: x.Address, Classes: x.Classes, Staff: x.Staff, Counts: countsView(x.Counts)}
}

func (s *Server) apiSchools(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	offset, limit := pageParams(r)
	q := r.URL.Query()
	f := store.SchoolFilter{DistrictID: queryInt(r, "district_id"), Type: model.SchoolType(q.Get("type")), Query: q.Get("q"), Offset: offset, Limit: limit}
	xs, total, err := s.store.ListSchools(r.Context(), c.scope(authz.D0, authz.Read), f)
	if err != nil {
		return err
	}
	out := listOf[schoolJSON]{Items: []schoolJSON{}, Total: total, Offset: offset, Limit: limit}
	for _, x := range xs {
		out.Items = append(out.Items, schoolView(x))
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiSchool(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	x, err := s.store.GetSchool(r.Context(), c.scope(authz.D0, authz.Read), id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, schoolView(x))
	return nil
}

func (s *Server) apiSchoolCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in schoolInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.store.CreateSchool(r.Context(), c.actor(r), c.scope(authz.D0, authz.Write), store.SchoolInput{
		DistrictID: in.DistrictID, Code: in.Code, Name: in.Name, Type: model.SchoolType(in.Type), Address: in.Address})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

func (s *Server) apiSchoolUpdate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in schoolInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	err = s.store.UpdateSchool(r.Context(), c.actor(r), c.scope(authz.D0, authz.Write), id, store.SchoolInput{
		Code: in.Code, Name: in.Name, Type: model.SchoolType(in.Type), Address: in.Address})
	if err != nil {
		return err
	}
	writeJSON(w, 200, okResponse{OK: true})
	return nil
}

func classView(x store.ClassSummary) classJSON {
	return classJSON{ID: x.ID, SchoolID: x.SchoolID, DistrictID: x.DistrictID, StartYear: x.StartYear, Grade: x.Grade,
		Number: x.Number, Name: x.Name, Counts: countsView(x.Counts)}
}

func (s *Server) apiClasses(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc := c.scope(authz.D0, authz.Read)
	if _, err := s.store.GetSchool(r.Context(), sc, id); err != nil && !sc.Empty() {
		// A class teacher may list their own classes of a school they
		// cannot open; anyone else gets 404 for a school out of scope.
		if len(sc.Classes) == 0 {
			return err
		}
	}
	xs, err := s.store.ListClasses(r.Context(), sc, id)
	if err != nil {
		return err
	}
	out := listOf[classJSON]{Items: []classJSON{}, Total: len(xs), Limit: len(xs)}
	for _, x := range xs {
		out.Items = append(out.Items, classView(x))
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiClass(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	x, err := s.store.GetClass(r.Context(), c.scope(authz.D0, authz.Read), id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, classView(x))
	return nil
}

func (s *Server) apiClassCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in classInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.store.CreateClass(r.Context(), c.actor(r), c.scope(authz.D1, authz.Write), store.ClassInput(in))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

// studentsFor lists students for the caller: Limited roles (subject
// teachers) get names only.
func (s *Server) studentsFor(r *http.Request, c *reqCtx, f store.StudentFilter) ([]studentJSON, int, error) {
	if f.Status != "" && f.Status != "all" && f.Status != model.Enrolled && f.Status != model.Graduated && f.Status != model.Transferred {
		return nil, 0, &store.ValidationError{Fields: []store.FieldError{{Field: "status", Key: "err.status"}}}
	}
	rows, total, err := s.store.ListStudents(r.Context(), c.actor(r), c.scope(authz.D1, authz.Limited), f)
	if err != nil {
		return nil, 0, err
	}
	return s.rowsView(c, rows), total, nil
}

func (s *Server) apiStudents(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	offset, limit := pageParams(r)
	q := r.URL.Query()
	f := store.StudentFilter{SchoolID: queryInt(r, "school_id"), ClassID: queryInt(r, "class_id"), Query: q.Get("q"),
		Status: model.StudentStatus(q.Get("status")), Offset: offset, Limit: limit}
	items, total, err := s.studentsFor(r, c, f)
	if err != nil {
		return err
	}
	writeJSON(w, 200, listOf[studentJSON]{Items: items, Total: total, Offset: offset, Limit: limit})
	return nil
}

func studentDetailView(d store.StudentDetail) studentDetailJSON {
	v := studentDetailJSON{studentJSON: studentView(d.StudentRow, true), SchoolName: d.SchoolName, BirthDate: d.BirthDate}
	if d.Contact != nil {
		cj := &contactJSON{IDNumber: d.Contact.IDNumber, Categories: []string{}, Guardians: []guardianJSON{}}
		for _, k := range d.Contact.Categories {
			cj.Categories = append(cj.Categories, string(k))
		}
		for _, g := range d.Contact.Guardians {
			cj.Guardians = append(cj.Guardians, guardianJSON{Name: g.Name, Relation: string(g.Relation), Phone: g.Phone})
		}
		v.Contact = cj
	}
	return v
}

func (s *Server) apiStudent(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.store.GetStudent(r.Context(), c.actor(r), c.scope(authz.D1, authz.Read), c.scope(authz.D2, authz.Read), id, r.URL.Query().Get("unmask") == "1")
	if err != nil {
		return err
	}
	writeJSON(w, 200, studentDetailView(d))
	return nil
}

func studentInput(in studentInputJSON) store.StudentInput {
	out := store.StudentInput{ClassID: in.ClassID, StudentNo: in.StudentNo, Name: in.Name, BirthDate: in.BirthDate, IDNumber: in.IDNumber}
	if in.Gender != nil {
		g := model.Gender(*in.Gender)
		out.Gender = &g
	}
	if in.Categories != nil {
		cats := []model.Category{}
		for _, k := range *in.Categories {
			cats = append(cats, model.Category(k))
		}
		out.Categories = &cats
	}
	if in.Guardians != nil {
		gs := []model.Guardian{}
		for _, g := range *in.Guardians {
			gs = append(gs, model.Guardian{Name: g.Name, Relation: model.Relation(g.Relation), Phone: g.Phone})
		}
		out.Guardians = &gs
	}
	return out
}

func (s *Server) apiStudentCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in studentInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.store.CreateStudent(r.Context(), c.actor(r), c.scope(authz.D1, authz.Write), c.scope(authz.D2, authz.Write), studentInput(in))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

func (s *Server) apiStudentUpdate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in studentInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.store.UpdateStudent(r.Context(), c.actor(r), c.scope(authz.D1, authz.Write), c.scope(authz.D2, authz.Write), id, studentInput(in)); err != nil {
		return err
	}
	writeJSON(w, 200, okResponse{OK: true})
	return nil
}

func (s *Server) apiStudentMove(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in moveInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.store.MoveStudent(r.Context(), c.actor(r), c.scope(authz.D1, authz.Write), id,
		store.MoveInput{Kind: store.MoveKind(in.Kind), ClassID: in.ClassID, SchoolID: in.SchoolID}); err != nil {
		return err
	}
	writeJSON(w, 200, okResponse{OK: true})
	return nil
}

func (s *Server) apiStudentLookup(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in lookupRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.store.FindStudentByIDNumber(r.Context(), c.scope(authz.D1, authz.Read), in.IDNumber)
	if err != nil {
		return err
	}
	writeJSON(w, 200, idResponse{ID: id})
	return nil
}

func staffView(x model.Staff) staffJSON {
	v := staffJSON{ID: x.ID, SchoolID: x.SchoolID, Name: x.Name, Gender: string(x.Gender), Phone: x.Phone, Posts: []postJSON{}}
	for _, p := range x.Posts {
		v.Posts = append(v.Posts, postJSON{Post: string(p.Post), ClassID: p.ClassID})
	}
	return v
}

func (s *Server) apiStaffList(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	offset, limit := pageParams(r)
	q := r.URL.Query()
	xs, total, err := s.store.ListStaff(r.Context(), c.scope(authz.D6, authz.Read), store.StaffFilter{
		SchoolID: queryInt(r, "school_id"), Post: model.Post(q.Get("post")), Query: q.Get("q"), Offset: offset, Limit: limit})
	if err != nil {
		return err
	}
	out := listOf[staffJSON]{Items: []staffJSON{}, Total: total, Offset: offset, Limit: limit}
	for _, x := range xs {
		out.Items = append(out.Items, staffView(x))
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiStaff(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	x, err := s.store.GetStaff(r.Context(), c.scope(authz.D6, authz.Read), id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, staffView(x))
	return nil
}

func staffInput(in staffInputJSON) store.StaffInput {
	out := store.StaffInput{SchoolID: in.SchoolID, Name: in.Name, Gender: model.Gender(in.Gender), Phone: in.Phone}
	for _, p := range in.Posts {
		out.Posts = append(out.Posts, model.StaffPost{Post: model.Post(p.Post), ClassID: p.ClassID})
	}
	return out
}

func (s *Server) apiStaffCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in staffInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.store.CreateStaff(r.Context(), c.actor(r), c.scope(authz.D6, authz.Write), staffInput(in))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

func (s *Server) apiStaffUpdate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in staffInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.store.UpdateStaff(r.Context(), c.actor(r), c.scope(authz.D6, authz.Write), id, staffInput(in)); err != nil {
		return err
	}
	writeJSON(w, 200, okResponse{OK: true})
	return nil
}

func (s *Server) apiAgencies(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	xs, err := s.store.ListAgencies(r.Context())
	if err != nil {
		return err
	}
	out := listOf[agencyJSON]{Items: []agencyJSON{}, Total: len(xs), Limit: len(xs)}
	for _, x := range xs {
		out.Items = append(out.Items, agencyJSON{ID: x.ID, Kind: string(x.Kind), Name: x.Name})
	}
	writeJSON(w, 200, out)
	return nil
}

func userView(u store.User) userJSON {
	v := userJSON{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Disabled: u.Disabled, TOTPEnabled: u.TOTPEnabled, Assignments: u.Assignments}
	if !u.LastLoginAt.IsZero() {
		v.LastLoginAt = u.LastLoginAt.Format(time.RFC3339)
	}
	return v
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	offset, limit := pageParams(r)
	us, total, err := s.store.ListUsers(r.Context(), r.URL.Query().Get("q"), offset, limit)
	if err != nil {
		return err
	}
	out := listOf[userJSON]{Items: []userJSON{}, Total: total, Offset: offset, Limit: limit}
	for _, u := range us {
		out.Items = append(out.Items, userView(u))
	}
	writeJSON(w, 200, out)
	return nil
}

// createUser validates the password policy, hashes it and creates the
// account with its assignments (shared by the page and the API).
func (s *Server) createUser(r *http.Request, c *reqCtx, in userInputJSON) (int64, error) {
	if err := auth.CheckPasswordPolicy(in.Password, store.NormalizeUsername(in.Username)); err != nil {
		return 0, &store.ValidationError{Fields: []store.FieldError{{Field: "password", Key: passwordKey(err)}}}
	}
	hash, err := auth.HashPassword(in.Password, auth.DefaultParams)
	if err != nil {
		return 0, err
	}
	return s.store.CreateUser(r.Context(), c.actor(r), store.NewUser{Username: in.Username, DisplayName: in.DisplayName,
		PasswordHash: hash, Assignments: in.Assignments})
}

func (s *Server) apiUserCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in userInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.createUser(r, c, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

func (s *Server) apiUserDisable(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if id == c.user.ID {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "id", Key: "err.disable_self"}}}
	}
	if err := s.store.SetDisabled(r.Context(), c.actor(r), id, true); err != nil {
		return err
	}
	writeJSON(w, 200, okResponse{OK: true})
	return nil
}

func auditFilter(r *http.Request) store.AuditFilter {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	return store.AuditFilter{ActorID: queryInt(r, "actor_id"), Action: q.Get("action"), ObjectType: q.Get("object_type"),
		ObjectID: queryInt(r, "object_id"), BeforeSeq: queryInt(r, "before_seq"), Limit: limit}
}

func auditView(e audit.Entry) auditJSON {
	return auditJSON{Seq: e.Seq, At: e.At.Format(time.RFC3339Nano), ActorID: e.ActorID, ActorRole: e.ActorRole, IP: e.IP,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, SchoolID: e.SchoolID, DistrictID: e.DistrictID,
		Outcome: e.Outcome, Detail: e.Detail, Hash: fmt.Sprintf("%x", e.Hash)}
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	f := auditFilter(r)
	es, err := s.store.SearchAudit(r.Context(), f)
	if err != nil {
		return err
	}
	out := listOf[auditJSON]{Items: []auditJSON{}, Total: len(es), Limit: f.Limit}
	for _, e := range es {
		out.Items = append(out.Items, auditView(e))
	}
	writeJSON(w, 200, out)
	return nil
}

type schoolYearJSON struct {
	ID        int64  `json:"id"`
	StartYear int    `json:"start_year"`
	Label     string `json:"label"`
	S1Start   string `json:"semester1_start"`
	S1End     string `json:"semester1_end"`
	S2Start   string `json:"semester2_start"`
	S2End     string `json:"semester2_end"`
}

func (s *Server) apiSchoolYears(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ys, err := s.store.SchoolYears(r.Context())
	if err != nil {
		return err
	}
	out := listOf[schoolYearJSON]{Items: []schoolYearJSON{}, Total: len(ys), Limit: len(ys)}
	const d = "2006-01-02"
	for _, y := range ys {
		out.Items = append(out.Items, schoolYearJSON{ID: y.ID, StartYear: y.StartYear, Label: model.SchoolYearLabel(y.StartYear),
			S1Start: y.Semesters[0].Start.Format(d), S1End: y.Semesters[0].End.Format(d),
			S2Start: y.Semesters[1].Start.Format(d), S2End: y.Semesters[1].End.Format(d)})
	}
	writeJSON(w, 200, out)
	return nil
}

// apiAgencyCreate adds a partner agency; agencies are city-wide, so only a
// caller whose structure-write scope is the whole city may add one.
func (s *Server) apiAgencyCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if !c.scope(authz.D0, authz.Write).City {
		return errNotFound
	}
	var in agencyJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.store.CreateAgency(r.Context(), c.actor(r), model.Agency{Kind: model.AgencyKind(in.Kind), Name: in.Name})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

func (s *Server) apiDistrictCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in store.DistrictInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sc := c.scope(authz.D0, authz.Write)
	if !sc.City {
		return errNotFound
	}
	id, err := s.store.CreateDistrict(r.Context(), c.actor(r), sc, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

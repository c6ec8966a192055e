package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"huhang/internal/authz"
	"huhang/internal/export"
	"huhang/internal/model"
	"huhang/internal/programme"
	"huhang/internal/store"
)

// Training records (issue 5): courses and their sessions (structure, D0),
// attendance with credited hours and certificates (D6). Officials create
// courses and sessions for their node and record who attended; a school's
// data officer records its own staff; every teacher sees their own record
// and submits their own certificates, which the principal (or the data
// officer) confirms.

// recordScope is where the caller organises training and records
// attendance: an official's node (D0 write) or a school's data officer's
// school (D6 write).
func (c *reqCtx) recordScope() authz.Scope {
	var sc authz.Scope
	for _, n := range trainingRecorders {
		x := c.sub.Scope(n)
		sc.City = sc.City || x.City
		for _, id := range x.Districts {
			if !slices.Contains(sc.Districts, id) {
				sc.Districts = append(sc.Districts, id)
			}
		}
		for _, id := range x.Schools {
			if !slices.Contains(sc.Schools, id) {
				sc.Schools = append(sc.Schools, id)
			}
		}
	}
	return sc
}

// reviewScope is the schools whose certificates the caller confirms: a
// principal's (ACCESS: "R, confirm") and a data officer's (RW). Officials
// audit the lists but do not confirm.
func reviewScope(c *reqCtx) authz.Scope {
	var sc authz.Scope
	if c.sub == nil {
		return sc
	}
	for _, a := range c.sub.Assignments {
		if (a.Role == authz.Principal || a.Role == authz.SchoolAdmin) && !slices.Contains(sc.Schools, a.SchoolID) {
			sc.Schools = append(sc.Schools, a.SchoolID)
		}
	}
	return sc
}

// d6Read is the caller's D6-read scope; class-bound roles hold their own
// record only.
func (c *reqCtx) d6Read() authz.Scope {
	sc := c.scope(authz.D6, authz.Read)
	sc.Classes = nil
	return sc
}

// sessionsScope is which sessions the caller sees listed: those organised
// by the city, and by any node above or at the caller's (a school sees its
// district's sessions, which its teachers attend). Sessions are structure.
func (s *Server) sessionsScope(r *http.Request, c *reqCtx) (authz.Scope, error) {
	sc := c.scope(authz.D0, authz.Read)
	out := authz.Scope{City: sc.City, Districts: slices.Clone(sc.Districts), Schools: slices.Clone(sc.Schools)}
	add := func(xs []int64, id int64) []int64 {
		if id == 0 || slices.Contains(xs, id) {
			return xs
		}
		return append(xs, id)
	}
	for _, id := range sc.Schools {
		x, err := s.store.GetSchool(r.Context(), sc, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return out, err
		}
		out.Districts = add(out.Districts, x.DistrictID)
	}
	for _, id := range sc.Classes {
		x, err := s.store.GetClass(r.Context(), sc, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return out, err
		}
		out.Schools = add(out.Schools, x.SchoolID)
		out.Districts = add(out.Districts, x.DistrictID)
	}
	return out, nil
}

// rowProblem is a refused field of a form, with the row it belongs to.
type rowProblem struct {
	Row     string
	Field   string
	Message string
}

// problemsOf turns a store validation error into the form's problems;
// ok is false for any other error.
func (s *Server) problemsOf(c *reqCtx, err error, rowLabel func(i int) string) ([]rowProblem, bool) {
	fields, ok := refusedFields(err)
	if !ok {
		return nil, false
	}
	out := make([]rowProblem, 0, len(fields))
	for _, f := range fields {
		p := rowProblem{Field: f.Field, Message: s.cat.T(c.locale, f.Key)}
		if m := itemField.FindStringSubmatch(f.Field); m != nil && rowLabel != nil {
			i, _ := strconv.Atoi(m[1])
			p.Row, p.Field = rowLabel(i), m[2]
		}
		p.Field = s.cat.T(c.locale, "train.f_"+p.Field)
		out = append(out, p)
	}
	return out, true
}

var itemField = regexp.MustCompile(`^items\[(\d+)\]\.([a-z_]+)$`)

// ---- courses and sessions --------------------------------------------------------

func (s *Server) trainingPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.trainingView(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) trainingView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, problems []rowProblem, form map[string]string) error {
	ctx := r.Context()
	courses, err := s.store.ListCourses(ctx)
	if err != nil {
		return err
	}
	sc, err := s.sessionsScope(r, c)
	if err != nil {
		return err
	}
	sessions, err := s.store.ListTrainingSessions(ctx, sc, 200)
	if err != nil {
		return err
	}
	if form == nil {
		form = map[string]string{"mode": "offline", "level": "general"}
	}
	own, err := s.store.StaffIDOf(ctx, c.user.ID)
	if err != nil {
		return err
	}
	w.WriteHeader(status)
	return s.html(w, c, "training.html", "train.title", nil, map[string]any{"Courses": courses, "Sessions": sessions,
		"CanCourse": c.sub.Can(authz.Need{Class: authz.D0, Level: authz.Write}), "CanSession": !c.recordScope().Empty(),
		"Levels": store.CourseLevels, "Modes": store.CourseModes, "Problems": problems, "Form": form,
		"Own": own != 0, "Done": r.URL.Query().Get("done")})
}

func (s *Server) courseCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	form := formValues(r, "title", "level", "topic", "hours", "mode", "assessment")
	in := store.Course{Title: form["title"], Level: form["level"], Topic: form["topic"], Mode: form["mode"], Assessment: form["assessment"]}
	in.Hours, _ = strconv.ParseFloat(strings.TrimSpace(form["hours"]), 64)
	_, err := s.store.CreateCourse(r.Context(), c.actor(r), in)
	if ps, ok := s.problemsOf(c, err, nil); ok {
		return s.trainingView(w, r, c, http.StatusBadRequest, ps, form)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/training?done=course", http.StatusSeeOther)
	return nil
}

func formValues(r *http.Request, names ...string) map[string]string {
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = r.PostFormValue(n)
	}
	return out
}

// createSession owns the session by the caller's node: the city, their
// district, or their school.
func (s *Server) createSession(r *http.Request, c *reqCtx, in store.TrainingSession) (int64, error) {
	sc := c.recordScope()
	if !sc.City {
		if len(sc.Districts) > 0 {
			in.DistrictID = sc.Districts[0]
		} else if len(sc.Schools) > 0 {
			in.SchoolID = sc.Schools[0]
		}
	}
	if in.CourseID <= 0 {
		return 0, &store.FieldError{Field: "course_id", Key: "train.err_course"}
	}
	return s.store.CreateTrainingSession(r.Context(), c.actor(r), in)
}

func (s *Server) sessionCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	form := formValues(r, "course_id", "starts_on", "ends_on", "place", "provider", "trainer")
	in := store.TrainingSession{StartsOn: form["starts_on"], EndsOn: form["ends_on"], Place: form["place"], Provider: form["provider"], Trainer: form["trainer"]}
	in.CourseID, _ = strconv.ParseInt(form["course_id"], 10, 64)
	id, err := s.createSession(r, c, in)
	if ps, ok := s.problemsOf(c, err, nil); ok {
		return s.trainingView(w, r, c, http.StatusBadRequest, ps, form)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/training/sessions/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// freeRow is one typed-in attendance row of the session form.
type freeRow struct {
	Staff, Hours string
	Passed       bool
}

// attendanceForm is what the session form shows: the picked staff of a
// school with their hours, and rows typed in by staff id.
type attendanceForm struct {
	Picked map[int64]bool
	Hours  map[int64]string
	Failed map[int64]bool
	Rows   []freeRow
	Sheet  *sheetPreview // an uploaded attendance sheet, read but not yet recorded
}

const freeRows = 5

func (s *Server) sessionPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.sessionView(w, r, c, http.StatusOK, attendanceForm{}, nil)
}

func (s *Server) sessionView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, form attendanceForm, problems []rowProblem) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	sess, err := s.store.GetTrainingSession(ctx, id)
	if err != nil {
		return err
	}
	data := map[string]any{"Session": sess, "Problems": problems, "Done": queryInt(r, "done")}
	if sc := c.d6Read(); !sc.Empty() {
		att, err := s.store.SessionAttendance(ctx, sc, id)
		if err != nil {
			return err
		}
		data["Attendance"], data["SeesAttendance"] = att, true
	}
	rec := c.recordScope()
	if !rec.Empty() {
		hours := ""
		courses, err := s.store.ListCourses(ctx)
		if err != nil {
			return err
		}
		for _, x := range courses {
			if x.ID == sess.CourseID {
				hours = strconv.FormatFloat(x.Hours, 'f', -1, 64)
			}
		}
		schools, _, err := s.store.ListSchools(ctx, rec, store.SchoolFilter{Limit: 500})
		if err != nil {
			return err
		}
		schoolID := queryID(r, "school")
		if schoolID == 0 && len(schools) == 1 {
			schoolID = schools[0].ID
		}
		if schoolID != 0 {
			staff, _, err := s.store.ListStaff(ctx, rec, store.StaffFilter{SchoolID: schoolID, Limit: 500})
			if err != nil {
				return err
			}
			data["Staff"] = staff
		}
		if form.Rows == nil {
			form.Rows = make([]freeRow, freeRows)
			for i := range form.Rows {
				form.Rows[i].Passed = true
			}
		}
		data["CanRecord"], data["Schools"], data["SchoolID"], data["DefaultHours"] = true, schools, schoolID, hours
	}
	data["Form"] = form
	w.WriteHeader(status)
	crumbs := []crumb{{s.cat.T(c.locale, "train.title"), "/training"}, {sess.Course + " · " + sess.StartsOn, ""}}
	return s.html(w, c, "training_session.html", "train.session", crumbs, data)
}

// attendanceSubmit records the picked staff and the typed-in rows, all or
// nothing; every refused row is named with its person or its row number.
func (s *Server) attendanceSubmit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	form := attendanceForm{Picked: map[int64]bool{}, Hours: map[int64]string{}, Failed: map[int64]bool{}}
	var items []store.AttendanceInput
	var labels []string
	var bad store.ValidationError
	t := func(k string, args ...any) string { return s.cat.T(c.locale, k, args...) }
	for _, v := range r.PostForm["pick"] {
		sid, err := strconv.ParseInt(v, 10, 64)
		if err != nil || sid <= 0 || form.Picked[sid] {
			continue
		}
		key := strconv.FormatInt(sid, 10)
		form.Picked[sid], form.Hours[sid], form.Failed[sid] = true, r.PostFormValue("hours_"+key), r.PostFormValue("failed_"+key) != ""
		in := store.AttendanceInput{StaffID: sid, Passed: !form.Failed[sid]}
		if !parseHours(form.Hours[sid], &in) {
			bad.Add(fmt.Sprintf("items[%d].hours", len(items)), "train.err_hours_number")
		}
		items = append(items, in)
		labels = append(labels, r.PostFormValue("name_"+key))
	}
	for i := range freeRows {
		row := freeRow{Staff: strings.TrimSpace(r.PostFormValue(fmt.Sprintf("row_staff_%d", i))), Hours: r.PostFormValue(fmt.Sprintf("row_hours_%d", i)),
			Passed: r.PostFormValue(fmt.Sprintf("row_passed_%d", i)) != ""}
		form.Rows = append(form.Rows, row)
		if row.Staff == "" {
			continue
		}
		in := store.AttendanceInput{Passed: row.Passed}
		n := len(items)
		if sid, err := strconv.ParseInt(row.Staff, 10, 64); err != nil || sid <= 0 {
			bad.Add(fmt.Sprintf("items[%d].staff_id", n), "train.err_staff_id")
		} else {
			in.StaffID = sid
		}
		if !parseHours(row.Hours, &in) {
			bad.Add(fmt.Sprintf("items[%d].hours", n), "train.err_hours_number")
		}
		items = append(items, in)
		labels = append(labels, t("train.row", i+1, row.Staff))
	}
	label := func(i int) string {
		if i >= 0 && i < len(labels) {
			return labels[i]
		}
		return ""
	}
	err = bad.Err()
	if err == nil {
		_, err = s.store.RecordAttendance(r.Context(), c.actor(r), c.recordScope(), id, items)
	}
	if ps, ok := s.problemsOf(c, err, label); ok {
		return s.sessionView(w, r, c, http.StatusBadRequest, form, ps)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/training/sessions/%d?done=%d", id, len(items)), http.StatusSeeOther)
	return nil
}

// parseHours reads hours into in; blank is 0 for a failed attendance and
// an error for a passed one (a pass credits hours).
func parseHours(v string, in *store.AttendanceInput) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return !in.Passed
	}
	h, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return false
	}
	in.Hours = h
	return true
}

// ---- a person's record -------------------------------------------------------------

// yearHours is one school year's credited hours against the goal.
type yearHours struct {
	Year    int
	Label   string
	Hours   string
	Share   int
	Short   bool
	Current bool
}

// recordView is a person's training record as a page shows it.
type recordView struct {
	store.StaffTraining
	SchoolName string
	Goal       string
	Applies    bool
	Years      []yearHours
}

// hoursGoal is the continuing-education hours a person with these posts
// must reach each school year: the hours target covering one of their
// posts; 8 (the plan's figure) when no such target is stored.
func hoursGoal(ts []programme.Target, posts []model.StaffPost) (float64, bool) {
	found := false
	for _, t := range ts {
		if t.Condition.Kind != programme.CondHoursThisYear {
			continue
		}
		found = true
		for _, p := range posts {
			if slices.Contains(t.Population.Posts, p.Post) {
				return t.Condition.Hours, true
			}
		}
	}
	if found {
		return 0, false
	}
	return 8, true
}

func (s *Server) recordOf(r *http.Request, c *reqCtx, st store.StaffTraining) (recordView, error) {
	v := recordView{StaffTraining: st}
	// The school's name only (structure): the record itself was read
	// within the caller's scope, or is their own.
	if x, err := s.store.GetSchool(r.Context(), authz.Scope{Schools: []int64{st.SchoolID}}, st.SchoolID); err == nil {
		v.SchoolName = x.Name
	} else if !errors.Is(err, store.ErrNotFound) {
		return v, err
	}
	ts, err := s.store.Targets(r.Context())
	if err != nil {
		return v, err
	}
	goal, applies := hoursGoal(ts, st.Posts)
	v.Goal, v.Applies = strconv.FormatFloat(goal, 'f', -1, 64), applies
	current := model.SchoolYearOf(s.planAt())
	years := []int{current}
	for y := range st.HoursByYear {
		if !slices.Contains(years, y) {
			years = append(years, y)
		}
	}
	slices.Sort(years)
	slices.Reverse(years)
	for _, y := range years {
		h := st.HoursByYear[y]
		yh := yearHours{Year: y, Label: model.SchoolYearLabel(y), Hours: strconv.FormatFloat(h, 'f', -1, 64), Current: y == current}
		if applies && goal > 0 {
			yh.Share, yh.Short = clampPct(h/goal*100), h+1e-6 < goal
		}
		v.Years = append(v.Years, yh)
	}
	return v, nil
}

// certForm is the certificate form's values.
type certForm struct {
	Kind, Number, Issuer, IssuedOn string
}

func (s *Server) meTraining(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.meTrainingView(w, r, c, http.StatusOK, certForm{}, nil)
}

func (s *Server) meTrainingView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, form certForm, problems []rowProblem) error {
	staffID, err := s.store.StaffIDOf(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	var st store.StaffTraining
	if staffID != 0 {
		st, err = s.store.TrainingOf(r.Context(), authz.Scope{}, staffID, staffID)
		if errors.Is(err, store.ErrNotFound) {
			staffID = 0
		} else if err != nil {
			return err
		}
	}
	if staffID == 0 {
		// Not linked: a friendly page, answered as not found (there is no
		// record to show), never another person's.
		w.WriteHeader(http.StatusNotFound)
		return s.html(w, c, "training_record.html", "train.mine", nil, map[string]any{"NotLinked": true})
	}
	v, err := s.recordOf(r, c, st)
	if err != nil {
		return err
	}
	w.WriteHeader(status)
	return s.html(w, c, "training_record.html", "train.mine", nil, map[string]any{"R": v, "Own": true, "CanSubmit": true,
		"Action": "/me/training/certificates", "Kinds": store.CertKinds, "Form": form, "Problems": problems,
		"Done": r.URL.Query().Get("done")})
}

// maxEvidenceBytes bounds a certificate's evidence file (the store's limit).
const maxEvidenceBytes = 5 << 20

// certificateFromForm reads the certificate form, its evidence file
// included (optional).
func certificateFromForm(r *http.Request) (store.CertificateInput, certForm, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return store.CertificateInput{}, certForm{}, err
			}
			return store.CertificateInput{}, certForm{}, errBadRequest
		}
	} else if err := r.ParseForm(); err != nil {
		return store.CertificateInput{}, certForm{}, errBadRequest
	}
	f := certForm{Kind: r.PostFormValue("kind"), Number: r.PostFormValue("number"), Issuer: r.PostFormValue("issuer"), IssuedOn: r.PostFormValue("issued_on")}
	in := store.CertificateInput{Kind: f.Kind, Number: f.Number, Issuer: f.Issuer, IssuedOn: f.IssuedOn}
	if r.MultipartForm != nil {
		if file, hdr, err := r.FormFile("evidence"); err == nil {
			defer file.Close()
			b, err := io.ReadAll(io.LimitReader(file, maxEvidenceBytes+1))
			if err != nil {
				return in, f, err
			}
			if len(b) > 0 {
				in.Evidence, in.EvidenceName = b, cleanFileName(hdr.Filename)
			}
		}
	}
	return in, f, nil
}

// cleanFileName keeps the base name of an uploaded file, at most 100 runes.
func cleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if rs := []rune(name); len(rs) > 100 {
		name = string(rs[:100])
	}
	return strings.TrimSpace(name)
}

func (s *Server) meCertificateSubmit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	in, form, err := certificateFromForm(r)
	if err != nil {
		return err
	}
	staffID, err := s.store.StaffIDOf(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	if staffID == 0 {
		return errNotFound
	}
	in.StaffID = staffID
	_, err = s.store.SubmitCertificate(r.Context(), c.actor(r), authz.Scope{}, staffID, in)
	if ps, ok := s.problemsOf(c, err, nil); ok {
		return s.meTrainingView(w, r, c, http.StatusBadRequest, form, ps)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/me/training?done=submitted", http.StatusSeeOther)
	return nil
}

func (s *Server) staffTraining(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.staffTrainingView(w, r, c, http.StatusOK, certForm{}, nil)
}

func (s *Server) staffTrainingView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, form certForm, problems []rowProblem) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.store.TrainingOf(r.Context(), c.d6Read(), 0, id)
	if err != nil {
		return err
	}
	v, err := s.recordOf(r, c, st)
	if err != nil {
		return err
	}
	x, err := s.store.GetStaff(r.Context(), c.d6Read(), id)
	if err != nil {
		return err
	}
	w.WriteHeader(status)
	crumbs := []crumb{{v.SchoolName, "/schools/" + strconv.FormatInt(st.SchoolID, 10) + "/staff"}, {st.Name, "/staff/" + strconv.FormatInt(id, 10)},
		{s.cat.T(c.locale, "train.record"), ""}}
	return s.html(w, c, "training_record.html", "train.record", crumbs, map[string]any{"R": v,
		"CanSubmit": c.scope(authz.D6, authz.Write).Covers(x.DistrictID, x.SchoolID, 0),
		"CanReview": reviewScope(c).Covers(0, st.SchoolID, 0), "Back": "/staff/" + strconv.FormatInt(id, 10) + "/training",
		"Action": "/staff/" + strconv.FormatInt(id, 10) + "/certificates", "Kinds": store.CertKinds, "Form": form, "Problems": problems,
		"Done": r.URL.Query().Get("done")})
}

func (s *Server) staffCertificateSubmit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, form, err := certificateFromForm(r)
	if err != nil {
		return err
	}
	in.StaffID = id
	_, err = s.store.SubmitCertificate(r.Context(), c.actor(r), c.scope(authz.D6, authz.Write), 0, in)
	if ps, ok := s.problemsOf(c, err, nil); ok {
		// Someone outside the scope is not found, as any record would be.
		var fe *store.FieldError
		if errors.As(err, &fe) && fe.Key == "train.err_staff_scope" {
			return errNotFound
		}
		return s.staffTrainingView(w, r, c, http.StatusBadRequest, form, ps)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/staff/"+strconv.FormatInt(id, 10)+"/training?done=submitted", http.StatusSeeOther)
	return nil
}

// ---- certificates: the school's review queue and the district's audit ---------------

// certificateStatuses are the list filter's choices ("" is all).
var certificateStatuses = []string{"submitted", "confirmed", "rejected", ""}

func (s *Server) certificatesPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	sc := c.d6Read()
	q := r.URL.Query()
	status := q.Get("status")
	if !q.Has("status") {
		status = "submitted"
	}
	if !slices.Contains(certificateStatuses, status) {
		return errNotFound
	}
	schools, _, err := s.store.ListSchools(ctx, sc, store.SchoolFilter{Limit: 500})
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(schools))
	for _, x := range schools {
		names[x.ID] = x.Name
	}
	schoolID := queryID(r, "school")
	if schoolID != 0 && names[schoolID] == "" {
		// Beyond the first 500 of a city's schools: ask for the one.
		x, err := s.store.GetSchool(ctx, sc, schoolID)
		if err != nil {
			return err
		}
		names[x.ID] = x.Name
	}
	list, err := s.store.ListCertificates(ctx, sc, schoolID, status)
	if err != nil {
		return err
	}
	rev := reviewScope(c)
	type certRow struct {
		store.Certificate
		SchoolName string
		CanReview  bool
	}
	rows := make([]certRow, len(list))
	for i, x := range list {
		rows[i] = certRow{Certificate: x, SchoolName: names[x.SchoolID], CanReview: x.Status == "submitted" && rev.Covers(0, x.SchoolID, 0)}
	}
	return s.html(w, c, "certificates.html", "cert.title", nil, map[string]any{"Rows": rows, "Schools": schools, "SchoolID": schoolID,
		"Status": status, "Statuses": certificateStatuses, "Done": q.Get("done"), "Reviewer": !rev.Empty()})
}

// backTo is where a review returns: the person's record it was made from,
// or the certificates list.
var backPath = regexp.MustCompile(`^/staff/[0-9]{1,18}/training$`)

func (s *Server) certificateReview(confirm bool) func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return errBadRequest
		}
		if err := s.store.ReviewCertificate(r.Context(), c.actor(r), reviewScope(c), id, confirm); err != nil {
			return err
		}
		done := "rejected"
		if confirm {
			done = "confirmed"
		}
		back := "/certificates?done=" + done
		if b := r.PostFormValue("back"); backPath.MatchString(b) {
			back = b + "?done=" + done
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
}

// ---- home reminders --------------------------------------------------------------

// planReminder is a target a principal's school is at risk of missing, or
// has missed.
type planReminder struct {
	SchoolID   int64
	SchoolName string
	Code       string
	Title      string
	Status     string
}

// homePlan adds the training reminders to the home page: a member of
// staff short of this school year's hours, and a principal whose school is
// at risk of missing (or has missed) a target.
func (s *Server) homePlan(r *http.Request, c *reqCtx, data map[string]any) error {
	ctx := r.Context()
	staffID, err := s.store.StaffIDOf(ctx, c.user.ID)
	if err != nil {
		return err
	}
	if staffID != 0 {
		st, err := s.store.TrainingOf(ctx, authz.Scope{}, staffID, staffID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil {
			ts, err := s.store.Targets(ctx)
			if err != nil {
				return err
			}
			if goal, applies := hoursGoal(ts, st.Posts); applies {
				year := model.SchoolYearOf(s.planAt())
				if h := st.HoursByYear[year]; h+1e-6 < goal {
					data["HoursShort"] = map[string]string{"Hours": strconv.FormatFloat(h, 'f', -1, 64),
						"Goal": strconv.FormatFloat(goal, 'f', -1, 64), "Year": model.SchoolYearLabel(year)}
				}
			}
		}
	}
	var schools []int64
	for _, a := range c.sub.Assignments {
		if a.Role == authz.Principal && !slices.Contains(schools, a.SchoolID) {
			schools = append(schools, a.SchoolID)
		}
	}
	if len(schools) == 0 {
		return nil
	}
	ts, roll, err := s.store.Progress(ctx, s.planAt())
	if err != nil {
		return err
	}
	var out []planReminder
	for _, id := range schools {
		name := ""
		if x, err := s.store.GetSchool(ctx, c.scope(authz.D0, authz.Read), id); err == nil {
			name = x.Name
		}
		for _, t := range ts {
			res := roll.Schools[id][t.Code]
			if res.Status == programme.StatusAtRisk || res.Status == programme.StatusMissed {
				out = append(out, planReminder{SchoolID: id, SchoolName: name, Code: t.Code, Title: t.Title.In(c.locale), Status: string(res.Status)})
			}
		}
	}
	data["PlanReminders"] = out
	return nil
}

// trainingRecorders organise sessions and record attendance: officials
// for their node (D0 write), a school's data officer for the school (D6
// write). Handlers use recordScope, the union of both scopes.
var trainingRecorders = []authz.Need{{Class: authz.D0, Level: authz.Write}, {Class: authz.D6, Level: authz.Write}}

// certificateEvidence sends a certificate's evidence file to its holder or
// to a reader of the holder's school (as an attachment: it is whatever the
// holder uploaded, never rendered by the browser).
func (s *Server) certificateEvidence(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	own, err := s.store.StaffIDOf(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	sc := c.scope(authz.D6, authz.Read)
	sc.Classes = nil
	name, body, err := s.store.CertificateEvidence(r.Context(), c.actor(r), sc, own, id)
	if err != nil {
		return err
	}
	if name == "" {
		name = "evidence"
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", export.Disposition(name))
	w.Write(body)
	return nil
}

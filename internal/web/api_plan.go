package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"huhang/internal/authz"
	"huhang/internal/programme"
	"huhang/internal/store"
)

// The plan and training API: progress per target for a node and its
// children (the same figures as /plan), the targets as data, the named
// gaps of a school, courses, sessions, attendance, one's own record and
// certificates.

type planResultJSON struct {
	Target     string  `json:"target"`
	Title      string  `json:"title"`
	Unit       string  `json:"unit"`
	Goal       float64 `json:"goal"`
	Actual     float64 `json:"actual"`
	Population int     `json:"population"`
	Met        int     `json:"met"`
	Status     string  `json:"status"`
	Projected  float64 `json:"projected,omitempty"`
	Trend      bool    `json:"trend"`
	Start      string  `json:"start"`
	Deadline   string  `json:"deadline"`
}

type planNodeJSON struct {
	Kind    string           `json:"kind"`
	ID      int64            `json:"id"`
	Name    string           `json:"name"`
	Results []planResultJSON `json:"results"`
}

type planProgressJSON struct {
	At       string         `json:"at"`
	Node     planNodeJSON   `json:"node"`
	Children []planNodeJSON `json:"children"`
}

func resultJSON(title string, res programme.Result) planResultJSON {
	out := planResultJSON{Target: res.Target, Title: title, Unit: string(res.Unit), Goal: res.Goal, Actual: res.Actual,
		Population: res.Population, Met: res.Met, Status: string(res.Status), Projected: res.Projected, Trend: res.Trend}
	if !res.Start.IsZero() {
		out.Start = res.Start.Format("2006-01-02")
	}
	if !res.Deadline.IsZero() {
		out.Deadline = res.Deadline.Format("2006-01-02")
	}
	return out
}

func (s *Server) apiPlanProgress(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	node, err := s.planNodeOf(r.Context(), c, queryID(r, "district_id"), queryID(r, "school_id"))
	if err != nil {
		return err
	}
	v, err := s.planView(r.Context(), c, node, false)
	if err != nil {
		return err
	}
	out := planProgressJSON{At: v.At.Format("2006-01-02"), Node: planNodeJSON{Kind: node.Kind, ID: node.ID, Name: node.Name},
		Children: []planNodeJSON{}}
	for _, row := range v.Rows {
		out.Node.Results = append(out.Node.Results, resultJSON(row.Title, row.Cell.Result))
	}
	for _, ch := range v.Children {
		n := planNodeJSON{Kind: ch.Kind, ID: ch.ID, Name: ch.Name}
		for i, row := range v.Rows {
			n.Results = append(n.Results, resultJSON(row.Title, ch.Cells[i].Result))
		}
		out.Children = append(out.Children, n)
	}
	writeJSON(w, 200, out)
	return nil
}

// targetDocJSON is a target in the form programme.LoadTargets reads (the
// OpenAPI document describes it from this type).
type targetDocJSON struct {
	Code       string               `json:"code"`
	Plan       string               `json:"plan"`
	Clause     string               `json:"clause"`
	Title      map[string]string    `json:"title"`
	Population targetPopulationJSON `json:"population"`
	Condition  targetConditionJSON  `json:"condition"`
	Threshold  targetThresholdJSON  `json:"threshold"`
	Recurring  string               `json:"recurring,omitempty"`
	Start      string               `json:"start"`
	Deadline   string               `json:"deadline,omitempty"`
}

type targetPopulationJSON struct {
	Subject     string   `json:"subject"`
	Posts       []string `json:"posts,omitempty"`
	SchoolTypes []string `json:"school_types,omitempty"`
}

type targetConditionJSON struct {
	Kind          string   `json:"kind"`
	Level         string   `json:"level,omitempty"`
	Hours         float64  `json:"hours,omitempty"`
	ActivityTypes []string `json:"activity_types,omitempty"`
	Min           int      `json:"min,omitempty"`
}

type targetThresholdJSON struct {
	Percent float64 `json:"percent,omitempty"`
	Count   int     `json:"count,omitempty"`
}

func (s *Server) apiTargets(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ts, err := s.store.Targets(r.Context())
	if err != nil {
		return err
	}
	out := make([]targetDocJSON, 0, len(ts))
	for _, t := range ts {
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		var d targetDocJSON
		if err := json.Unmarshal(b, &d); err != nil {
			return err
		}
		out = append(out, d)
	}
	writeJSON(w, 200, listOf[targetDocJSON]{Items: out, Total: len(out)})
	return nil
}

type codesResponse struct {
	Codes []string `json:"codes"`
}

// apiTargetSave stores one target (an object) or several (an array), read
// by the programme's strict loader: an unknown, misspelt or duplicate key
// is refused with its path, not ignored.
func (s *Server) apiTargetSave(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "body", Key: "err.json_content_type"}}}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, programme.MaxLoadBytes+1))
	if err != nil {
		return err
	}
	ts, err := s.saveTargets(r, c, body)
	var fe *programme.FieldError
	if errors.As(err, &fe) {
		field := fe.Path
		if field == "" {
			field = "body"
		}
		writeJSON(w, http.StatusBadRequest, apiError{Code: "invalid", Message: s.cat.T(c.locale, "error.invalid"), RequestID: c.reqID,
			Details: []fieldProblem{{Field: field, Code: "plan.err_target", Message: s.cat.T(c.locale, "plan.err_target") + " " + fe.Reason}}})
		return nil
	}
	if err != nil {
		return err
	}
	out := codesResponse{Codes: make([]string, len(ts))}
	for i, t := range ts {
		out.Codes[i] = t.Code
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) apiGaps(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	g, err := s.gaps(r, c, r.PathValue("code"), queryID(r, "school_id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, listOf[store.StaffRef]{Items: g.Staff, Total: len(g.Staff)})
	return nil
}

// ---- courses, sessions, attendance ---------------------------------------------------

func (s *Server) apiCourses(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	list, err := s.store.ListCourses(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Course{}
	}
	writeJSON(w, 200, listOf[store.Course]{Items: list, Total: len(list)})
	return nil
}

type courseInputJSON struct {
	Title      string  `json:"title"`
	Level      string  `json:"level"`
	Topic      string  `json:"topic,omitempty"`
	Hours      float64 `json:"hours"`
	Mode       string  `json:"mode"`
	Assessment string  `json:"assessment,omitempty"`
}

func (s *Server) apiCourseCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in courseInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.store.CreateCourse(r.Context(), c.actor(r), store.Course{Title: in.Title, Level: in.Level, Topic: in.Topic, Hours: in.Hours,
		Mode: in.Mode, Assessment: in.Assessment})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

func (s *Server) apiSessions(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sc, err := s.sessionsScope(r, c)
	if err != nil {
		return err
	}
	list, err := s.store.ListTrainingSessions(r.Context(), sc, 200)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.TrainingSession{}
	}
	writeJSON(w, 200, listOf[store.TrainingSession]{Items: list, Total: len(list)})
	return nil
}

type sessionInputJSON struct {
	CourseID int64  `json:"course_id"`
	StartsOn string `json:"starts_on"`
	EndsOn   string `json:"ends_on"`
	Place    string `json:"place,omitempty"`
	Provider string `json:"provider,omitempty"`
	Trainer  string `json:"trainer,omitempty"`
}

func (s *Server) apiSessionCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in sessionInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.createSession(r, c, store.TrainingSession{CourseID: in.CourseID, StartsOn: in.StartsOn, EndsOn: in.EndsOn, Place: in.Place,
		Provider: in.Provider, Trainer: in.Trainer})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

func (s *Server) apiAttendance(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.store.GetTrainingSession(r.Context(), id); err != nil {
		return err
	}
	list, err := s.store.SessionAttendance(r.Context(), c.d6Read(), id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Attendance{}
	}
	writeJSON(w, 200, listOf[store.Attendance]{Items: list, Total: len(list)})
	return nil
}

type attendanceRequest struct {
	Items []store.AttendanceInput `json:"items"`
}

type recordedResponse struct {
	Recorded int `json:"recorded"`
}

func (s *Server) apiAttendanceRecord(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in attendanceRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	n, err := s.store.RecordAttendance(r.Context(), c.actor(r), c.recordScope(), id, in.Items)
	if err != nil {
		return outOfScope(err)
	}
	writeJSON(w, http.StatusCreated, recordedResponse{Recorded: n})
	return nil
}

// ---- one's own record and certificates ------------------------------------------------

// outOfScope names a person outside the caller's scope with the API's
// one code for it (err.out_of_scope), as every create under a parent out
// of scope does; the field still says which row.
func outOfScope(err error) error {
	var fe *store.FieldError
	if errors.As(err, &fe) && fe.Key == "train.err_staff_scope" {
		return &store.FieldError{Field: fe.Field, Key: "err.out_of_scope"}
	}
	return err
}

// trainingRecordJSON is one person's own record: their sessions, the hours
// credited per school year against the goal, and their certificates.
type trainingRecordJSON struct {
	StaffID      int64               `json:"staff_id"`
	Name         string              `json:"name"`
	SchoolID     int64               `json:"school_id"`
	SchoolName   string              `json:"school_name"`
	Posts        []string            `json:"posts"`
	HoursGoal    float64             `json:"hours_goal"` // 0: no hours target covers the person's posts
	HoursByYear  []yearHoursJSON     `json:"hours_by_year"`
	Attendance   []ownAttendanceJSON `json:"attendance"`
	Certificates []store.Certificate `json:"certificates"`
}

type yearHoursJSON struct {
	SchoolYear int     `json:"school_year"` // the start year: 2025 is 2025–2026
	Hours      float64 `json:"hours"`
}

type ownAttendanceJSON struct {
	SessionID  int64   `json:"session_id"`
	Course     string  `json:"course"`
	EndsOn     string  `json:"ends_on"`
	SchoolYear int     `json:"school_year"`
	Passed     bool    `json:"passed"`
	Hours      float64 `json:"hours"`
}

func (s *Server) apiMyTraining(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	staffID, err := s.store.StaffIDOf(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	if staffID == 0 {
		return errNotFound
	}
	st, err := s.store.TrainingOf(r.Context(), authz.Scope{}, staffID, staffID)
	if err != nil {
		return err
	}
	v, err := s.recordOf(r, c, st)
	if err != nil {
		return err
	}
	out := trainingRecordJSON{StaffID: st.StaffID, Name: st.Name, SchoolID: st.SchoolID, SchoolName: v.SchoolName, Posts: []string{},
		HoursByYear: []yearHoursJSON{}, Attendance: []ownAttendanceJSON{}, Certificates: st.Certificates}
	for _, p := range st.Posts {
		if !slices.Contains(out.Posts, string(p.Post)) {
			out.Posts = append(out.Posts, string(p.Post))
		}
	}
	if v.Applies {
		out.HoursGoal, _ = strconv.ParseFloat(v.Goal, 64)
	}
	for _, y := range v.Years {
		out.HoursByYear = append(out.HoursByYear, yearHoursJSON{SchoolYear: y.Year, Hours: st.HoursByYear[y.Year]})
	}
	for _, x := range st.Attendance {
		out.Attendance = append(out.Attendance, ownAttendanceJSON{SessionID: x.SessionID, Course: x.Course, EndsOn: x.EndsOn,
			SchoolYear: x.SchoolYear, Passed: x.Passed, Hours: x.Hours})
	}
	if out.Certificates == nil {
		out.Certificates = []store.Certificate{}
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiCertificates(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	status := r.URL.Query().Get("status")
	if !slices.Contains(certificateStatuses, status) {
		return &store.FieldError{Field: "status", Key: "cert.err_status"}
	}
	list, err := s.store.ListCertificates(r.Context(), c.d6Read(), queryID(r, "school_id"), status)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Certificate{}
	}
	writeJSON(w, 200, listOf[store.Certificate]{Items: list, Total: len(list)})
	return nil
}

type certificateInputJSON struct {
	StaffID  int64  `json:"staff_id,omitempty"`
	Kind     string `json:"kind"`
	Number   string `json:"number"`
	Issuer   string `json:"issuer"`
	IssuedOn string `json:"issued_on"`
}

// apiCertificateSubmit records a certificate: the caller's own (no
// staff_id, or their own), or, for a school's data officer, one of their
// staff's. A person outside the caller's scope is refused by name of field.
func (s *Server) apiCertificateSubmit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in certificateInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	own, err := s.store.StaffIDOf(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	if in.StaffID == 0 {
		if own == 0 {
			return &store.FieldError{Field: "staff_id", Key: "cert.err_not_linked"}
		}
		in.StaffID = own
	}
	id, err := s.store.SubmitCertificate(r.Context(), c.actor(r), c.scope(authz.D6, authz.Write), own,
		store.CertificateInput{StaffID: in.StaffID, Kind: in.Kind, Number: in.Number, Issuer: in.Issuer, IssuedOn: in.IssuedOn})
	if err != nil {
		return outOfScope(err)
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

func (s *Server) apiCertificateReview(confirm bool) func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := s.store.ReviewCertificate(r.Context(), c.actor(r), reviewScope(c), id, confirm); err != nil {
			return err
		}
		writeJSON(w, 200, okResponse{OK: true})
		return nil
	}
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/model"
)

// Training records (issue 5): courses, sessions, attendance with credited
// hours, and certificates. Targets and their progress are in targets.go.

// Course levels and modes.
var (
	CourseLevels = []string{"A", "B", "C", "principal", "general"}
	CourseModes  = []string{"online", "offline", "mixed"}
	CertKinds    = []string{"A", "B", "C", "principal_training"}
)

// Course is a training course as the training plan fixes it.
type Course struct {
	ID         int64   `json:"id"`
	Title      string  `json:"title"`
	Level      string  `json:"level"`
	Topic      string  `json:"topic"`
	Hours      float64 `json:"hours"`
	Mode       string  `json:"mode"`
	Assessment string  `json:"assessment"`
}

// Validate checks a course.
func (c *Course) Validate() error {
	var v ValidationError
	c.Title, c.Topic, c.Assessment = strings.TrimSpace(c.Title), strings.TrimSpace(c.Topic), strings.TrimSpace(c.Assessment)
	if c.Title == "" || utf8.RuneCountInString(c.Title) > 100 {
		v.Add("title", "train.err_title")
	}
	if !slices.Contains(CourseLevels, c.Level) {
		v.Add("level", "train.err_level")
	}
	if !slices.Contains(CourseModes, c.Mode) {
		v.Add("mode", "train.err_mode")
	}
	if math.IsNaN(c.Hours) || c.Hours <= 0 || c.Hours > 500 {
		v.Add("hours", "train.err_course_hours")
	}
	if utf8.RuneCountInString(c.Topic) > 200 || utf8.RuneCountInString(c.Assessment) > 500 {
		v.Add("assessment", "train.err_text_long")
	}
	return v.Err()
}

// bumpTraining moves the training generation on inside a changing
// transaction, so cached progress is recomputed.
func (s *Store) bumpTraining(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "UPDATE training_version SET gen = gen + 1 WHERE id = 1"); err != nil {
		return fmt.Errorf("store: bump training: %w", err)
	}
	return nil
}

// CreateCourse adds a course (bureau officials).
func (s *Store) CreateCourse(ctx context.Context, a Actor, c Course) (int64, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO courses (title, level, topic, hours, mode, assessment, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), c.Title, c.Level, c.Topic, c.Hours, c.Mode, c.Assessment, a.UserID, msNow(s)).Scan(&id); err != nil {
			return mapErr(err)
		}
		return s.appendAudit(ctx, tx, a.entry("training.course_created", "course", id, 0, 0))
	})
	return id, err
}

// ListCourses returns every course (structure, D0).
func (s *Store) ListCourses(ctx context.Context) ([]Course, error) {
	rows, err := s.readRows(ctx, `SELECT id, title, level, topic, hours, mode, assessment FROM courses ORDER BY level, title`)
	if err != nil {
		return nil, fmt.Errorf("store: courses: %w", err)
	}
	defer rows.Close()
	var out []Course
	for rows.Next() {
		var c Course
		if err := rows.Scan(&c.ID, &c.Title, &c.Level, &c.Topic, &c.Hours, &c.Mode, &c.Assessment); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// TrainingSession is one run of a course.
type TrainingSession struct {
	ID         int64  `json:"id"`
	CourseID   int64  `json:"course_id"`
	Course     string `json:"course"`
	Level      string `json:"level"`
	DistrictID int64  `json:"district_id,omitempty"`
	SchoolID   int64  `json:"school_id,omitempty"`
	StartsOn   string `json:"starts_on"`
	EndsOn     string `json:"ends_on"`
	Place      string `json:"place"`
	Provider   string `json:"provider"`
	Trainer    string `json:"trainer"`
	Attendees  int    `json:"attendees"`
}

// Days is the number of calendar days the session spans.
func (x TrainingSession) Days() int {
	a, err1 := time.Parse(dateLayout, x.StartsOn)
	b, err2 := time.Parse(dateLayout, x.EndsOn)
	if err1 != nil || err2 != nil || b.Before(a) {
		return 0
	}
	return int(b.Sub(a)/(24*time.Hour)) + 1
}

// CreateSession adds a session of a course, organised by the caller's node.
func (s *Store) CreateTrainingSession(ctx context.Context, a Actor, in TrainingSession) (int64, error) {
	var v ValidationError
	start, err1 := time.Parse(dateLayout, in.StartsOn)
	end, err2 := time.Parse(dateLayout, in.EndsOn)
	if err1 != nil {
		v.Add("starts_on", "train.err_date")
	}
	if err2 != nil || (err1 == nil && end.Before(start)) || (err1 == nil && end.Sub(start) > 366*24*time.Hour) {
		v.Add("ends_on", "train.err_date_range")
	}
	for _, f := range []struct{ name, val string }{{"place", in.Place}, {"provider", in.Provider}, {"trainer", in.Trainer}} {
		if utf8.RuneCountInString(f.val) > 100 {
			v.Add(f.name, "train.err_text_long")
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var owner [2]any
		if in.DistrictID != 0 {
			owner[0] = in.DistrictID
		}
		if in.SchoolID != 0 {
			owner[1] = in.SchoolID
		}
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO training_sessions (course_id, district_id, school_id, starts_on, ends_on, place,
			provider, trainer, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), in.CourseID, owner[0], owner[1],
			in.StartsOn, in.EndsOn, strings.TrimSpace(in.Place), strings.TrimSpace(in.Provider), strings.TrimSpace(in.Trainer), a.UserID, msNow(s)).Scan(&id); err != nil {
			if e := mapErr(err); e != err {
				return &FieldError{Field: "course_id", Key: "train.err_course"}
			}
			return err
		}
		return s.appendAudit(ctx, tx, a.entry("training.session_created", "session", id, in.SchoolID, in.DistrictID))
	})
	return id, err
}

const sessionCols = `t.id, t.course_id, c.title, c.level, COALESCE(t.district_id, 0), COALESCE(t.school_id, 0), t.starts_on, t.ends_on,
	t.place, t.provider, t.trainer, (SELECT COUNT(*) FROM attendance x WHERE x.session_id = t.id)`

func scanSession(r interface{ Scan(...any) error }) (TrainingSession, error) {
	var x TrainingSession
	err := r.Scan(&x.ID, &x.CourseID, &x.Course, &x.Level, &x.DistrictID, &x.SchoolID, &x.StartsOn, &x.EndsOn, &x.Place, &x.Provider, &x.Trainer, &x.Attendees)
	return x, err
}

// ListSessions returns the sessions organised by the city, or by a node in
// scope, newest first.
func (s *Store) ListTrainingSessions(ctx context.Context, sc authz.Scope, limit int) ([]TrainingSession, error) {
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	rows, err := s.readRows(ctx, s.q(`SELECT `+sessionCols+` FROM training_sessions t JOIN courses c ON c.id = t.course_id
		WHERE (t.district_id IS NULL AND t.school_id IS NULL) OR `+scopePred(sc, "t.district_id", "t.school_id", "")+`
		ORDER BY t.starts_on DESC, t.id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("store: sessions: %w", err)
	}
	defer rows.Close()
	var out []TrainingSession
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// GetSession returns one session (sessions are structure: any D0 reader).
func (s *Store) GetTrainingSession(ctx context.Context, id int64) (TrainingSession, error) {
	x, err := scanSession(s.readRow(ctx, s.q(`SELECT `+sessionCols+` FROM training_sessions t JOIN courses c ON c.id = t.course_id WHERE t.id = ?`), id))
	return x, mapErr(err)
}

// AttendanceInput is one person's attendance of a session.
type AttendanceInput struct {
	StaffID int64   `json:"staff_id"`
	Passed  bool    `json:"passed"`
	Hours   float64 `json:"hours"`
}

// Attendance is a recorded attendance with the person's name (D6).
type Attendance struct {
	SessionID  int64   `json:"session_id"`
	StaffID    int64   `json:"staff_id"`
	Name       string  `json:"name"`
	SchoolID   int64   `json:"school_id"`
	SchoolName string  `json:"school_name"`
	Passed     bool    `json:"passed"`
	Hours      float64 `json:"hours"`
	SchoolYear int     `json:"school_year"`
	Course     string  `json:"course,omitempty"`
	EndsOn     string  `json:"ends_on,omitempty"`
}

// RecordAttendance records attendance of staff in sc, all or nothing: a
// negative or absurd number of hours (more than 24 a day of the session),
// a person outside scope, or a person already recorded (here or before)
// refuses the whole request with the row named.
func (s *Store) RecordAttendance(ctx context.Context, a Actor, sc authz.Scope, sessionID int64, in []AttendanceInput) (int, error) {
	sess, err := s.GetTrainingSession(ctx, sessionID)
	if err != nil {
		return 0, err
	}
	if len(in) == 0 || len(in) > 5000 {
		return 0, &FieldError{Field: "items", Key: "train.err_items"}
	}
	end, _ := time.Parse(dateLayout, sess.EndsOn)
	year := model.SchoolYearOf(end)
	maxHours := 24 * float64(max(sess.Days(), 1))
	var v ValidationError
	seen := map[int64]bool{}
	for i, x := range in {
		f := fmt.Sprintf("items[%d]", i)
		if math.IsNaN(x.Hours) || x.Hours < 0 {
			v.Add(f+".hours", "train.err_hours_negative")
		} else if x.Hours > maxHours {
			v.Add(f+".hours", "train.err_hours_absurd")
		}
		if !x.Passed && x.Hours > 0 {
			v.Add(f+".hours", "train.err_hours_failed")
		}
		if seen[x.StaffID] {
			v.Add(f+".staff_id", "train.err_twice")
		}
		seen[x.StaffID] = true
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var entries []audit.Entry
		for i, x := range in {
			var school, district int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT school_id, district_id FROM staff WHERE id = ? AND active = 1 AND `+
				scopePred(sc, "district_id", "school_id", "")), x.StaffID).Scan(&school, &district)
			if err != nil {
				if mapErr(err) == ErrNotFound {
					return &FieldError{Field: fmt.Sprintf("items[%d].staff_id", i), Key: "train.err_staff_scope"}
				}
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO attendance (session_id, staff_id, school_id, district_id, school_year, passed, hours,
				recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), sessionID, x.StaffID, school, district, year, b2i(x.Passed), x.Hours,
				a.UserID, msNow(s)); err != nil {
				if e := mapErr(err); strings.HasPrefix(e.Error(), ErrConflict.Error()) {
					return &FieldError{Field: fmt.Sprintf("items[%d].staff_id", i), Key: "train.err_twice"}
				}
				return err
			}
			if x.Passed && x.Hours > 0 {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO staff_hours (staff_id, school_year, hours) VALUES (?, ?, ?)
					ON CONFLICT (staff_id, school_year) DO UPDATE SET hours = staff_hours.hours + excluded.hours`), x.StaffID, year, x.Hours); err != nil {
					return err
				}
			}
			e := a.entry("training.attendance_recorded", "staff", x.StaffID, school, district)
			e.Detail = fmt.Sprintf("session=%d", sessionID)
			entries = append(entries, e)
		}
		if err := s.bumpTraining(ctx, tx); err != nil {
			return err
		}
		return s.appendAuditMany(ctx, tx, entries)
	})
	if err != nil {
		return 0, err
	}
	return len(in), nil
}

// SessionAttendance lists a session's attendance of staff in sc.
func (s *Store) SessionAttendance(ctx context.Context, sc authz.Scope, sessionID int64) ([]Attendance, error) {
	rows, err := s.readRows(ctx, s.q(`SELECT x.session_id, x.staff_id, st.name, x.school_id, sc.name, x.passed, x.hours, x.school_year
		FROM attendance x JOIN staff st ON st.id = x.staff_id JOIN schools sc ON sc.id = x.school_id
		WHERE x.session_id = ? AND `+scopePred(sc, "x.district_id", "x.school_id", "")+` ORDER BY sc.code, st.id`), sessionID)
	if err != nil {
		return nil, fmt.Errorf("store: attendance: %w", err)
	}
	defer rows.Close()
	var out []Attendance
	for rows.Next() {
		var x Attendance
		var passed int
		if err := rows.Scan(&x.SessionID, &x.StaffID, &x.Name, &x.SchoolID, &x.SchoolName, &passed, &x.Hours, &x.SchoolYear); err != nil {
			return nil, err
		}
		x.Passed = passed == 1
		out = append(out, x)
	}
	return out, rows.Err()
}

// StaffTraining is one person's record: attendance and certificates.
type StaffTraining struct {
	StaffID      int64             `json:"staff_id"`
	Name         string            `json:"name"`
	SchoolID     int64             `json:"school_id"`
	Attendance   []Attendance      `json:"attendance"`
	HoursByYear  map[int]float64   `json:"hours_by_year"`
	Certificates []Certificate     `json:"certificates"`
	Posts        []model.StaffPost `json:"posts"`
}

// TrainingOf returns a staff member's record if they are in sc (or are the
// caller's own record: pass own = their staff id).
func (s *Store) TrainingOf(ctx context.Context, sc authz.Scope, own, staffID int64) (StaffTraining, error) {
	var r StaffTraining
	pred := scopePred(sc, "district_id", "school_id", "")
	if own != 0 && own == staffID {
		pred = "1=1"
	}
	if err := s.readRow(ctx, s.q(`SELECT id, name, school_id FROM staff WHERE id = ? AND `+pred), staffID).Scan(&r.StaffID, &r.Name, &r.SchoolID); err != nil {
		return r, mapErr(err)
	}
	rows, err := s.readRows(ctx, s.q(`SELECT x.session_id, x.staff_id, x.school_id, x.passed, x.hours, x.school_year, c.title, t.ends_on
		FROM attendance x JOIN training_sessions t ON t.id = x.session_id JOIN courses c ON c.id = t.course_id
		WHERE x.staff_id = ? ORDER BY t.ends_on DESC`), staffID)
	if err != nil {
		return r, fmt.Errorf("store: staff training: %w", err)
	}
	r.HoursByYear = map[int]float64{}
	for rows.Next() {
		var x Attendance
		var passed int
		if err := rows.Scan(&x.SessionID, &x.StaffID, &x.SchoolID, &passed, &x.Hours, &x.SchoolYear, &x.Course, &x.EndsOn); err != nil {
			rows.Close()
			return r, err
		}
		x.Passed = passed == 1
		if x.Passed {
			r.HoursByYear[x.SchoolYear] += x.Hours
		}
		r.Attendance = append(r.Attendance, x)
	}
	rows.Close()
	if r.Certificates, err = s.certificatesWhere(ctx, "staff_id = ?", staffID); err != nil {
		return r, err
	}
	posts, err := s.readRows(ctx, s.q(`SELECT post, COALESCE(class_id, 0) FROM staff_posts WHERE staff_id = ? ORDER BY id`), staffID)
	if err != nil {
		return r, err
	}
	defer posts.Close()
	for posts.Next() {
		var p model.StaffPost
		if err := posts.Scan(&p.Post, &p.ClassID); err != nil {
			return r, err
		}
		r.Posts = append(r.Posts, p)
	}
	return r, posts.Err()
}

// Certificate is an A/B/C certificate or the principals' training.
type Certificate struct {
	ID           int64  `json:"id"`
	StaffID      int64  `json:"staff_id"`
	StaffName    string `json:"staff_name,omitempty"`
	SchoolID     int64  `json:"school_id"`
	Kind         string `json:"kind"`
	Number       string `json:"number"`
	Issuer       string `json:"issuer"`
	IssuedOn     string `json:"issued_on"`
	EvidenceName string `json:"evidence_name,omitempty"`
	Status       string `json:"status"`
}

// CertificateInput submits a certificate for a person.
type CertificateInput struct {
	StaffID      int64  `json:"staff_id"`
	Kind         string `json:"kind"`
	Number       string `json:"number"`
	Issuer       string `json:"issuer"`
	IssuedOn     string `json:"issued_on"`
	Evidence     []byte `json:"-"`
	EvidenceName string `json:"evidence_name,omitempty"`
}

// SubmitCertificate records a certificate as submitted. The person must be
// in sc or be the caller (own); the same number twice, a date in the future
// or before 1990 are refused. Evidence (≤ 5 MB) is sealed.
func (s *Store) SubmitCertificate(ctx context.Context, a Actor, sc authz.Scope, own int64, in CertificateInput) (int64, error) {
	var v ValidationError
	in.Number, in.Issuer = strings.TrimSpace(in.Number), strings.TrimSpace(in.Issuer)
	if !slices.Contains(CertKinds, in.Kind) {
		v.Add("kind", "cert.err_kind")
	}
	if in.Number == "" || utf8.RuneCountInString(in.Number) > 40 {
		v.Add("number", "cert.err_number")
	}
	if in.Issuer == "" || utf8.RuneCountInString(in.Issuer) > 100 {
		v.Add("issuer", "cert.err_issuer")
	}
	issued, err := time.Parse(dateLayout, in.IssuedOn)
	switch {
	case err != nil:
		v.Add("issued_on", "cert.err_date")
	case issued.After(s.now()):
		v.Add("issued_on", "cert.err_future")
	case issued.Year() < 1990:
		v.Add("issued_on", "cert.err_date")
	}
	if len(in.Evidence) > 5<<20 {
		v.Add("evidence", "cert.err_evidence_size")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err = s.tx(ctx, func(tx *sql.Tx) error {
		pred := scopePred(sc, "district_id", "school_id", "")
		if own != 0 && own == in.StaffID {
			pred = "1=1"
		}
		var school, district int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT school_id, district_id FROM staff WHERE id = ? AND `+pred), in.StaffID).Scan(&school, &district); err != nil {
			if mapErr(err) == ErrNotFound {
				return &FieldError{Field: "staff_id", Key: "train.err_staff_scope"}
			}
			return err
		}
		var dup int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM certificates WHERE kind = ? AND number = ?`), in.Kind, in.Number).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			return &FieldError{Field: "number", Key: "cert.err_duplicate"}
		}
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO certificates (staff_id, school_id, district_id, kind, number, issuer, issued_on,
			evidence_name, status, submitted_by, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'submitted', ?, ?) RETURNING id`),
			in.StaffID, school, district, in.Kind, in.Number, in.Issuer, in.IssuedOn, in.EvidenceName, a.UserID, msNow(s)).Scan(&id); err != nil {
			return mapErr(err)
		}
		if len(in.Evidence) > 0 {
			sealed, err := s.keys.Seal(in.Evidence, fmt.Sprintf("certificates.evidence:%d", id))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE certificates SET evidence = ? WHERE id = ?`), sealed, id); err != nil {
				return err
			}
		}
		e := a.entry("training.certificate_submitted", "certificate", id, school, district)
		e.Detail = "kind=" + in.Kind
		return s.appendAudit(ctx, tx, e)
	})
	return id, err
}

// ReviewCertificate confirms or rejects a submitted certificate of a person
// in sc (the school; principals confirm).
func (s *Store) ReviewCertificate(ctx context.Context, a Actor, sc authz.Scope, id int64, confirm bool) error {
	status := "rejected"
	if confirm {
		status = "confirmed"
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var school, district int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT school_id, district_id FROM certificates WHERE id = ? AND status = 'submitted' AND `+
			scopePred(sc, "district_id", "school_id", "")), id).Scan(&school, &district); err != nil {
			return mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE certificates SET status = ?, confirmed_by = ?, confirmed_at = ? WHERE id = ?`),
			status, a.UserID, msNow(s), id); err != nil {
			return err
		}
		if err := s.bumpTraining(ctx, tx); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a.entry("training.certificate_"+status, "certificate", id, school, district))
	})
}

func (s *Store) certificatesWhere(ctx context.Context, where string, args ...any) ([]Certificate, error) {
	rows, err := s.readRows(ctx, s.q(`SELECT c.id, c.staff_id, st.name, c.school_id, c.kind, c.number, c.issuer, c.issued_on, c.evidence_name, c.status
		FROM certificates c JOIN staff st ON st.id = c.staff_id WHERE `+where+` ORDER BY c.issued_on DESC, c.id DESC LIMIT 2000`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: certificates: %w", err)
	}
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		var c Certificate
		if err := rows.Scan(&c.ID, &c.StaffID, &c.StaffName, &c.SchoolID, &c.Kind, &c.Number, &c.Issuer, &c.IssuedOn, &c.EvidenceName, &c.Status); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ListCertificates returns certificates of staff in sc (optionally one
// school and one status).
func (s *Store) ListCertificates(ctx context.Context, sc authz.Scope, schoolID int64, status string) ([]Certificate, error) {
	where := scopePred(sc, "c.district_id", "c.school_id", "")
	var args []any
	if schoolID != 0 {
		where, args = where+" AND c.school_id = ?", append(args, schoolID)
	}
	if status != "" {
		where, args = where+" AND c.status = ?", append(args, status)
	}
	return s.certificatesWhere(ctx, where, args...)
}

// AttendanceRecord is one attendance row of a generated history.
type AttendanceRecord struct {
	Session    int // index into the history's sessions
	StaffID    int64
	SchoolID   int64
	DistrictID int64
	Passed     bool
	Hours      float64
}

// TrainingHistory is a generated history of training (the demo city):
// courses, their sessions (CourseID is an index into Courses), attendance
// and certificates (confirmed unless Status says otherwise).
type TrainingHistory struct {
	Courses      []Course
	Sessions     []TrainingSession
	Attendance   []AttendanceRecord
	Certificates []Certificate
}

// LoadTrainingHistory writes a generated history into empty training
// tables in multi-row statements, with one audit entry for the load. It is
// for the demo city; everyday records go through the validated methods.
func (s *Store) LoadTrainingHistory(ctx context.Context, h TrainingHistory) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM courses").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: training history already loaded", ErrConflict)
		}
		now := msNow(s)
		insert := func(table, cols string, ncols int, rows int, row func(i int) []any) error {
			per := maxParams / ncols
			for start := 0; start < rows; start += per {
				end := min(start+per, rows)
				args := make([]any, 0, (end-start)*ncols)
				for i := start; i < end; i++ {
					args = append(args, row(i)...)
				}
				if _, err := tx.ExecContext(ctx, s.q("INSERT INTO "+table+" ("+cols+") VALUES "+placeholders(end-start, ncols)), args...); err != nil {
					return fmt.Errorf("store: load %s: %w", table, err)
				}
			}
			return nil
		}
		err := insert("courses", "id, title, level, topic, hours, mode, assessment, created_by, created_at", 9, len(h.Courses), func(i int) []any {
			c := h.Courses[i]
			return []any{i + 1, c.Title, c.Level, c.Topic, c.Hours, c.Mode, c.Assessment, 0, now}
		})
		if err != nil {
			return err
		}
		err = insert("training_sessions", "id, course_id, district_id, school_id, starts_on, ends_on, place, provider, trainer, created_by, created_at", 11,
			len(h.Sessions), func(i int) []any {
				x := h.Sessions[i]
				var d, sc any
				if x.DistrictID != 0 {
					d = x.DistrictID
				}
				if x.SchoolID != 0 {
					sc = x.SchoolID
				}
				return []any{i + 1, x.CourseID + 1, d, sc, x.StartsOn, x.EndsOn, x.Place, x.Provider, x.Trainer, 0, now}
			})
		if err != nil {
			return err
		}
		years := make([]int, len(h.Sessions))
		for i, x := range h.Sessions {
			end, _ := time.Parse(dateLayout, x.EndsOn)
			years[i] = model.SchoolYearOf(end)
		}
		err = insert("attendance", "session_id, staff_id, school_id, district_id, school_year, passed, hours, recorded_by, recorded_at", 9,
			len(h.Attendance), func(i int) []any {
				x := h.Attendance[i]
				return []any{x.Session + 1, x.StaffID, x.SchoolID, x.DistrictID, years[x.Session], b2i(x.Passed), x.Hours, 0, now}
			})
		if err != nil {
			return err
		}
		err = insert("certificates", "staff_id, school_id, district_id, kind, number, issuer, issued_on, status, submitted_by, submitted_at, confirmed_by, confirmed_at", 12,
			len(h.Certificates), func(i int) []any {
				c := h.Certificates[i]
				status, confirmed := c.Status, now
				if status == "" {
					status = "confirmed"
				}
				if status != "confirmed" {
					confirmed = 0
				}
				return []any{c.StaffID, 0, 0, c.Kind, c.Number, c.Issuer, c.IssuedOn, status, 0, now, 0, confirmed}
			})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_hours (staff_id, school_year, hours)
			SELECT staff_id, school_year, SUM(hours) FROM attendance WHERE passed = 1 GROUP BY staff_id, school_year`); err != nil {
			return fmt.Errorf("store: load staff hours: %w", err)
		}
		// Certificates take their holder's school and district.
		if _, err := tx.ExecContext(ctx, `UPDATE certificates SET school_id = (SELECT school_id FROM staff WHERE staff.id = certificates.staff_id),
			district_id = (SELECT district_id FROM staff WHERE staff.id = certificates.staff_id)`); err != nil {
			return err
		}
		if s.dialect.name() == "postgres" {
			for _, t := range []string{"courses", "training_sessions"} {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE((SELECT MAX(id) FROM %s), 0) + 1, false)", t, t)); err != nil {
					return err
				}
			}
		}
		if err := s.bumpTraining(ctx, tx); err != nil {
			return err
		}
		e := SystemActor.entry("training.history_loaded", "database", 0, 0, 0)
		e.Detail = fmt.Sprintf("courses=%d sessions=%d attendance=%d certificates=%d", len(h.Courses), len(h.Sessions), len(h.Attendance), len(h.Certificates))
		return s.appendAudit(ctx, tx, e)
	})
}

// CertificateEvidence opens a certificate's evidence file for a caller
// whose scope covers the holder (or who is the holder: own); an audited
// read. ErrNotFound when out of scope or without evidence.
func (s *Store) CertificateEvidence(ctx context.Context, a Actor, sc authz.Scope, own, id int64) (string, []byte, error) {
	var staffID, school, district int64
	var name string
	var sealed []byte
	pred := scopePred(sc, "c.district_id", "c.school_id", "")
	if own != 0 {
		pred = "(" + pred + " OR c.staff_id = " + fmt.Sprint(own) + ")"
	}
	err := s.readRow(ctx, s.q(`SELECT c.staff_id, c.school_id, c.district_id, c.evidence_name, c.evidence FROM certificates c
		WHERE c.id = ? AND c.evidence IS NOT NULL AND `+pred), id).Scan(&staffID, &school, &district, &name, &sealed)
	if err != nil {
		return "", nil, mapErr(err)
	}
	body, err := s.keys.Open(sealed, fmt.Sprintf("certificates.evidence:%d", id))
	if err != nil {
		return "", nil, fmt.Errorf("store: open evidence of certificate %d: %w", id, err)
	}
	e := a.entry("training.evidence_read", "certificate", id, school, district)
	if err := s.tx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, e) }); err != nil {
		return "", nil, err
	}
	return name, body, nil
}

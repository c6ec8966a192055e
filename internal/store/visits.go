package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/programme"
)

// Home visits (家访): each visit of a pupil's family by members of the class
// team, the per-term coverage kept beside them, the class sheet a class
// teacher works from, and concerns passed to the psychology teacher.

// Visit modes and findings codes.
var (
	VisitModes    = []string{"in_person", "phone", "wechat"}
	FamilyStates  = []string{"stable", "strained", "difficult"}
	LivingWith    = []string{"both_parents", "one_parent", "grandparents", "relatives", "other"}
	SinceLast     = []string{"first", "none", "improved", "worsened", "major_event"}
	ConcernKinds  = []string{"mood", "safety", "behaviour", "health"}
	HelpKinds     = []string{"financial", "study", "psychological", "parenting", "health"}
	ConcernStates = []string{"open", "taken", "closed"}
	// ConcernOutcomes are how a psychology teacher closes a concern.
	ConcernOutcomes = []string{"talked", "counselling", "referred", "no_action"}
)

// modeBit is a visit mode's bit in visit_coverage.modes.
func modeBit(mode string) int { return 1 << slices.Index(VisitModes, mode) }

const (
	maxVisitNote     = 2000
	maxConcernMsg    = 500
	maxVisitVisitors = 10
)

// VisitInput records one home visit.
type VisitInput struct {
	StudentID int64    `json:"student_id"`
	VisitedOn string   `json:"visited_on"`
	Mode      string   `json:"mode"`
	Visitors  []int64  `json:"visitors"`
	Family    string   `json:"family"`
	Living    string   `json:"living"`
	SinceLast string   `json:"since_last"`
	Concerns  []string `json:"concerns"`
	Help      []string `json:"help"`
	Note      string   `json:"note"`
	// PassConcern hands the concerns noted to the school's psychology
	// teacher at once, with ConcernMessage.
	PassConcern    bool   `json:"pass_concern"`
	ConcernMessage string `json:"concern_message"`
}

// VisitResult is what recording a visit made.
type VisitResult struct {
	ID        int64 `json:"id"`
	ConcernID int64 `json:"concern_id,omitempty"`
}

func checkCodes(v *ValidationError, field string, got []string, allowed []string) []string {
	slices.Sort(got)
	got = slices.Compact(got)
	for _, g := range got {
		if !slices.Contains(allowed, g) {
			v.Add(field, "hs.err_code")
			return nil
		}
	}
	return got
}

// RecordVisit records a home visit of an enrolled pupil in sc. Refused,
// with nothing stored: a date in the future or outside any term, a visitor
// who is not on the pupil's class team, unknown codes, a pupil outside sc
// (ErrNotFound).
func (s *Store) RecordVisit(ctx context.Context, a Actor, sc authz.Scope, in VisitInput) (VisitResult, error) {
	var v ValidationError
	in.VisitedOn = strings.TrimSpace(in.VisitedOn)
	in.Note = strings.TrimSpace(in.Note)
	in.ConcernMessage = strings.TrimSpace(in.ConcernMessage)
	cal, err := s.calendar(ctx)
	if err != nil {
		return VisitResult{}, err
	}
	term, _ := s.checkDay(&v, cal, "visited_on", in.VisitedOn)
	if !slices.Contains(VisitModes, in.Mode) {
		v.Add("mode", "hs.err_mode")
	}
	if !slices.Contains(FamilyStates, in.Family) {
		v.Add("family", "hs.err_code")
	}
	if !slices.Contains(LivingWith, in.Living) {
		v.Add("living", "hs.err_code")
	}
	if in.SinceLast != "" && !slices.Contains(SinceLast, in.SinceLast) {
		v.Add("since_last", "hs.err_code")
	}
	in.Concerns = checkCodes(&v, "concerns", in.Concerns, ConcernKinds)
	in.Help = checkCodes(&v, "help", in.Help, HelpKinds)
	slices.Sort(in.Visitors)
	in.Visitors = slices.Compact(in.Visitors)
	if len(in.Visitors) == 0 || len(in.Visitors) > maxVisitVisitors {
		v.Add("visitors", "hs.err_visitors")
	}
	if utf8.RuneCountInString(in.Note) > maxVisitNote || hasControl(in.Note, true) {
		v.Add("note", "hs.err_note")
	}
	if in.PassConcern && len(in.Concerns) == 0 {
		v.Add("concerns", "hs.err_concern_kind")
	}
	if utf8.RuneCountInString(in.ConcernMessage) > maxConcernMsg || hasControl(in.ConcernMessage, true) {
		v.Add("concern_message", "hs.err_note")
	}
	if err := v.Err(); err != nil {
		return VisitResult{}, err
	}
	var res VisitResult
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var school, district int64
		var class sql.NullInt64
		var status, born string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT school_id, district_id, class_id, status, birth_date FROM students WHERE id = ? AND `+
			scopePred(sc, "district_id", "school_id", "class_id")), in.StudentID).Scan(&school, &district, &class, &status, &born); err != nil {
			return mapErr(err)
		}
		if status != string(model.Enrolled) || !class.Valid {
			return &FieldError{Field: "student_id", Key: "hs.err_not_enrolled"}
		}
		if born != "" && in.VisitedOn < born {
			return &FieldError{Field: "visited_on", Key: "hs.err_before_birth"}
		}
		team, err := s.classTeamIDs(ctx, tx, class.Int64)
		if err != nil {
			return err
		}
		for _, id := range in.Visitors {
			if !slices.Contains(team, id) {
				return &FieldError{Field: "visitors", Key: "hs.err_not_on_team"}
			}
		}
		if in.SinceLast == "" {
			var prior int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM home_visits WHERE student_id = ?`), in.StudentID).Scan(&prior); err != nil {
				return err
			}
			in.SinceLast = "none"
			if prior == 0 {
				in.SinceLast = "first"
			}
		}
		now := msNow(s)
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO home_visits (student_id, school_id, district_id, class_id, visited_on, term_year, term_sem,
			mode, family, living, since_last, concerns, help, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			in.StudentID, school, district, class.Int64, in.VisitedOn, term.Year, term.Semester, in.Mode, in.Family, in.Living, in.SinceLast,
			strings.Join(in.Concerns, ","), strings.Join(in.Help, ","), a.UserID, now).Scan(&res.ID); err != nil {
			return mapErr(err)
		}
		if in.Note != "" {
			sealed, err := s.keys.Seal([]byte(in.Note), visitNoteAAD(res.ID))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE home_visits SET note = ? WHERE id = ?`), sealed, res.ID); err != nil {
				return err
			}
		}
		for _, id := range in.Visitors {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO home_visit_visitors (visit_id, staff_id) VALUES (?, ?)`), res.ID, id); err != nil {
				return mapErr(err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO visit_coverage (term_year, term_sem, student_id, school_id, district_id, visits, modes,
			first_on, last_on) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)
			ON CONFLICT (term_year, term_sem, student_id) DO UPDATE SET visits = visit_coverage.visits + 1,
				modes = visit_coverage.modes | excluded.modes, school_id = excluded.school_id, district_id = excluded.district_id,
				first_on = CASE WHEN excluded.first_on < visit_coverage.first_on THEN excluded.first_on ELSE visit_coverage.first_on END,
				last_on = CASE WHEN excluded.last_on > visit_coverage.last_on THEN excluded.last_on ELSE visit_coverage.last_on END`),
			term.Year, term.Semester, in.StudentID, school, district, modeBit(in.Mode), in.VisitedOn, in.VisitedOn); err != nil {
			return fmt.Errorf("store: visit coverage: %w", err)
		}
		if err := s.bumpHomeSchool(ctx, tx); err != nil {
			return err
		}
		e := a.entry("homeschool.visit_recorded", "student", in.StudentID, school, district)
		e.Detail = "visit=" + strconv.FormatInt(res.ID, 10) + " mode=" + in.Mode
		if err := s.appendAudit(ctx, tx, e); err != nil {
			return err
		}
		if in.PassConcern {
			res.ConcernID, err = s.passConcern(ctx, tx, a, res.ID, in.ConcernMessage)
			return err
		}
		return nil
	})
	return res, err
}

func visitNoteAAD(id int64) string      { return "home_visits.note:" + strconv.FormatInt(id, 10) }
func concernMessageAAD(id int64) string { return "visit_concerns.message:" + strconv.FormatInt(id, 10) }

// classTeamIDs returns the active staff on a class's team: its class
// teacher and the subject teachers posted to it.
func (s *Store) classTeamIDs(ctx context.Context, tx *sql.Tx, classID int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT DISTINCT p.staff_id FROM staff_posts p JOIN staff st ON st.id = p.staff_id
		WHERE p.class_id = ? AND st.active = 1 AND p.post IN ('class_teacher', 'subject_teacher')`), classID)
	if err != nil {
		return nil, fmt.Errorf("store: class team: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// TeamMember is one member of a class team.
type TeamMember struct {
	StaffID int64  `json:"staff_id"`
	Name    string `json:"name"`
	Post    string `json:"post"`
}

// passConcern opens a concern for the school's psychology teacher from a
// visit (which must have noted concerns and have none passed yet).
func (s *Store) passConcern(ctx context.Context, tx *sql.Tx, a Actor, visitID int64, message string) (int64, error) {
	var student, school, district int64
	var class sql.NullInt64
	var kinds string
	// The concern goes to the pupil's school now: a pupil who moved school
	// is the new school's psychology teacher's to follow.
	if err := tx.QueryRowContext(ctx, s.q(`SELECT v.student_id, st.school_id, st.district_id, st.class_id, v.concerns FROM home_visits v
		JOIN students st ON st.id = v.student_id WHERE v.id = ?`), visitID).
		Scan(&student, &school, &district, &class, &kinds); err != nil {
		return 0, mapErr(err)
	}
	if kinds == "" {
		return 0, &FieldError{Field: "concerns", Key: "hs.err_concern_kind"}
	}
	var id int64
	if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO visit_concerns (visit_id, student_id, school_id, district_id, class_id, kinds, state,
		raised_by, raised_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id`), visitID, student, school, district, class, kinds,
		a.UserID, msNow(s)).Scan(&id); err != nil {
		if err := mapErr(err); err != nil && strings.Contains(err.Error(), "conflict") {
			return 0, &FieldError{Field: "visit_id", Key: "hs.err_concern_passed"}
		}
		return 0, mapErr(err)
	}
	if message != "" {
		sealed, err := s.keys.Seal([]byte(message), concernMessageAAD(id))
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE visit_concerns SET message = ? WHERE id = ?`), sealed, id); err != nil {
			return 0, err
		}
	}
	e := a.entry("homeschool.concern_passed", "student", student, school, district)
	e.Detail = "concern=" + strconv.FormatInt(id, 10)
	return id, s.appendAudit(ctx, tx, e)
}

// PassConcern passes the concerns of an earlier visit of a pupil in sc to
// the psychology teacher.
func (s *Store) PassConcern(ctx context.Context, a Actor, sc authz.Scope, visitID int64, message string) (int64, error) {
	message = strings.TrimSpace(message)
	if utf8.RuneCountInString(message) > maxConcernMsg || hasControl(message, true) {
		return 0, &FieldError{Field: "concern_message", Key: "hs.err_note"}
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM home_visits v JOIN students st ON st.id = v.student_id WHERE v.id = ? AND `+
			scopePred(sc, "st.district_id", "st.school_id", "st.class_id")), visitID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		var err error
		id, err = s.passConcern(ctx, tx, a, visitID, message)
		return err
	})
	return id, err
}

// Coverage is the visit coverage of a group of pupils in a term.
type Coverage struct {
	Pupils   int `json:"pupils"`
	Visited  int `json:"visited"`
	InPerson int `json:"in_person"` // pupils reached at least once in person
	Phone    int `json:"phone"`
	WeChat   int `json:"wechat"`
	Visits   int `json:"visits"`
}

// Percent is the share of pupils visited, 0–100.
func (c Coverage) Percent() float64 {
	if c.Pupils == 0 {
		return 0
	}
	return 100 * float64(min(c.Visited, c.Pupils)) / float64(c.Pupils)
}

// groupCols names the students column and the enrolment_counts column a
// coverage grouping reads.
var groupCols = map[string][2]string{
	"district": {"st.district_id", "district_id"},
	"school":   {"st.school_id", "school_id"},
	"class":    {"st.class_id", "class_key"},
}

// visitedBy counts, per district, school or class of sc, the enrolled
// pupils visited at least once in term up to upTo (yyyy-mm-dd), each at
// their current class: a pupil who moved class counts once, where they are
// now.
func (s *Store) visitedBy(ctx context.Context, by string, sc authz.Scope, term programme.Term, upTo string) (map[int64]Coverage, error) {
	cols, ok := groupCols[by]
	if !ok {
		return nil, fmt.Errorf("store: coverage by %q", by)
	}
	rows, err := s.readRows(ctx, s.q(`SELECT `+cols[0]+`, COUNT(*), SUM(v.modes & 1), SUM((v.modes & 2) / 2), SUM((v.modes & 4) / 4), SUM(v.visits)
		FROM visit_coverage v JOIN students st ON st.id = v.student_id
		WHERE v.term_year = ? AND v.term_sem = ? AND v.first_on <= ? AND st.status = 'enrolled' AND st.class_id IS NOT NULL AND `+
		scopePred(sc, "st.district_id", "st.school_id", "st.class_id")+` GROUP BY `+cols[0]), term.Year, term.Semester, upTo)
	if err != nil {
		return nil, fmt.Errorf("store: coverage: %w", err)
	}
	defer rows.Close()
	out := map[int64]Coverage{}
	for rows.Next() {
		var id int64
		var c Coverage
		if err := rows.Scan(&id, &c.Visited, &c.InPerson, &c.Phone, &c.WeChat, &c.Visits); err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, rows.Err()
}

// VisitCoverage returns the visit coverage of term (up to at's day) per
// district, school or class (by) within sc, with the pupils enrolled in
// each.
func (s *Store) VisitCoverage(ctx context.Context, sc authz.Scope, by string, term programme.Term, at time.Time) (map[int64]Coverage, error) {
	visited, err := s.visitedBy(ctx, by, sc, term, at.Format(dateLayout))
	if err != nil {
		return nil, err
	}
	cols := groupCols[by]
	classCol := ""
	if by == "class" {
		classCol = "class_key"
	}
	rows, err := s.readRows(ctx, `SELECT `+cols[1]+`, SUM(students) FROM enrolment_counts WHERE class_key <> 0 AND `+
		scopePred(sc, "district_id", "school_id", classCol)+` GROUP BY `+cols[1])
	if err != nil {
		return nil, fmt.Errorf("store: coverage pupils: %w", err)
	}
	defer rows.Close()
	out := map[int64]Coverage{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		c := visited[id]
		c.Pupils = n
		out[id] = c
	}
	return out, rows.Err()
}

// VisitPupil is one pupil of a class sheet.
type VisitPupil struct {
	StudentID  int64            `json:"student_id"`
	Name       string           `json:"name"`
	Categories []model.Category `json:"categories"`
	Visits     int              `json:"visits"`
	LastOn     string           `json:"last_on"`
	Modes      []string         `json:"modes"`
}

// ClassVisitSheet is a class's visits this term: who has and has not been
// visited, and the team who visits.
type ClassVisitSheet struct {
	ClassID    int64          `json:"class_id"`
	ClassName  string         `json:"class_name"`
	SchoolID   int64          `json:"school_id"`
	SchoolName string         `json:"school_name"`
	DistrictID int64          `json:"district_id"`
	Term       programme.Term `json:"-"`
	TermStart  string         `json:"term_start"`
	TermEnd    string         `json:"term_end"`
	DaysLeft   int            `json:"days_left"`
	Team       []TeamMember   `json:"team"`
	Pupils     []VisitPupil   `json:"pupils"`
	Coverage   Coverage       `json:"coverage"`
	Unvisited  int            `json:"unvisited"`
	ByMode     map[string]int `json:"by_mode"`
}

// ClassVisits returns a class's visit sheet for the term of at. The class
// must be in sc (D2); names are full (the web layer masks them for roles
// that do not need them).
func (s *Store) ClassVisits(ctx context.Context, a Actor, sc authz.Scope, classID int64, at time.Time) (ClassVisitSheet, error) {
	cs, err := s.classVisits(ctx, sc, classID, at)
	if err != nil {
		return cs, err
	}
	// The sheet names the class's pupils with their key-pupil categories
	// (D2): each read is audited.
	e := a.entry("homeschool.class_sheet_read", "class", cs.ClassID, cs.SchoolID, cs.DistrictID)
	e.Detail = "pupils=" + strconv.Itoa(len(cs.Pupils))
	if err := s.auditRead(ctx, e); err != nil {
		return ClassVisitSheet{}, err
	}
	return cs, nil
}

// ClassSheetInScope reports (nil) whether a class is in sc for visits,
// without reading or auditing its pupils.
func (s *Store) ClassSheetInScope(ctx context.Context, sc authz.Scope, classID int64) error {
	var id int64
	return mapErr(s.readRow(ctx, s.q(`SELECT id FROM classes WHERE id = ? AND `+scopePred(sc, "district_id", "school_id", "id")), classID).Scan(&id))
}

func (s *Store) classVisits(ctx context.Context, sc authz.Scope, classID int64, at time.Time) (ClassVisitSheet, error) {
	var cs ClassVisitSheet
	if err := s.readRow(ctx, s.q(`SELECT c.id, c.name, c.school_id, sc.name, c.district_id FROM classes c JOIN schools sc ON sc.id = c.school_id
		WHERE c.id = ? AND `+scopePred(sc, "c.district_id", "c.school_id", "c.id")), classID).
		Scan(&cs.ClassID, &cs.ClassName, &cs.SchoolID, &cs.SchoolName, &cs.DistrictID); err != nil {
		return cs, mapErr(err)
	}
	cal, err := s.calendar(ctx)
	if err != nil {
		return cs, err
	}
	cs.Term, cs.DaysLeft = DaysLeft(cal, at)
	p := cal.Period(cs.Term)
	cs.TermStart, cs.TermEnd = p.Start.Format(dateLayout), p.End.Format(dateLayout)
	team, err := s.readRows(ctx, s.q(`SELECT st.id, st.name, MIN(p.post) FROM staff_posts p JOIN staff st ON st.id = p.staff_id
		WHERE p.class_id = ? AND st.active = 1 AND p.post IN ('class_teacher', 'subject_teacher') GROUP BY st.id, st.name ORDER BY MIN(p.post), st.id`), classID)
	if err != nil {
		return cs, fmt.Errorf("store: class team: %w", err)
	}
	cs.Team = []TeamMember{}
	for team.Next() {
		var m TeamMember
		if err := team.Scan(&m.StaffID, &m.Name, &m.Post); err != nil {
			team.Close()
			return cs, err
		}
		cs.Team = append(cs.Team, m)
	}
	team.Close()
	rows, err := s.readRows(ctx, s.q(`SELECT st.id, st.name, st.categories, COALESCE(v.visits, 0), COALESCE(v.last_on, ''), COALESCE(v.modes, 0)
		FROM students st LEFT JOIN visit_coverage v ON v.student_id = st.id AND v.term_year = ? AND v.term_sem = ?
		WHERE st.class_id = ? AND st.status = 'enrolled' ORDER BY st.student_no, st.id`), cs.Term.Year, cs.Term.Semester, classID)
	if err != nil {
		return cs, fmt.Errorf("store: class visits: %w", err)
	}
	defer rows.Close()
	cs.Pupils = []VisitPupil{}
	cs.ByMode = map[string]int{}
	for rows.Next() {
		var x VisitPupil
		var cats int64
		var modes int
		if err := rows.Scan(&x.StudentID, &x.Name, &cats, &x.Visits, &x.LastOn, &modes); err != nil {
			return cs, err
		}
		x.Categories = model.CategorySet(cats).List()
		x.Modes = []string{}
		for i, m := range VisitModes {
			if modes&(1<<i) != 0 {
				x.Modes = append(x.Modes, m)
				cs.ByMode[m]++
			}
		}
		cs.Coverage.Pupils++
		if x.Visits > 0 {
			cs.Coverage.Visited++
			cs.Coverage.Visits += x.Visits
		} else {
			cs.Unvisited++
		}
		cs.Pupils = append(cs.Pupils, x)
	}
	cs.Coverage.InPerson, cs.Coverage.Phone, cs.Coverage.WeChat = cs.ByMode["in_person"], cs.ByMode["phone"], cs.ByMode["wechat"]
	return cs, rows.Err()
}

// Visit is one recorded visit with its findings (D2).
type Visit struct {
	ID           int64    `json:"id"`
	StudentID    int64    `json:"student_id"`
	ClassID      int64    `json:"class_id"`
	VisitedOn    string   `json:"visited_on"`
	Mode         string   `json:"mode"`
	Visitors     []string `json:"visitors"`
	Family       string   `json:"family"`
	Living       string   `json:"living"`
	SinceLast    string   `json:"since_last"`
	Concerns     []string `json:"concerns"`
	Help         []string `json:"help"`
	Note         string   `json:"note"`
	ConcernState string   `json:"concern_state"` // "" when not passed
}

// StudentVisits returns every visit of a pupil in sc, newest first, with
// the notes opened; the read is audited.
func (s *Store) StudentVisits(ctx context.Context, a Actor, sc authz.Scope, studentID int64) ([]Visit, error) {
	var out []Visit
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var school, district int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT school_id, district_id FROM students WHERE id = ? AND `+
			scopePred(sc, "district_id", "school_id", "class_id")), studentID).Scan(&school, &district); err != nil {
			return mapErr(err)
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT v.id, COALESCE(v.class_id, 0), v.visited_on, v.mode, v.family, v.living, v.since_last, v.concerns,
			v.help, v.note, COALESCE(c.state, '') FROM home_visits v LEFT JOIN visit_concerns c ON c.visit_id = v.id
			WHERE v.student_id = ? ORDER BY v.visited_on DESC, v.id DESC LIMIT 200`), studentID)
		if err != nil {
			return err
		}
		idx := map[int64]int{}
		for rows.Next() {
			var x Visit
			var concerns, help string
			var note []byte
			if err := rows.Scan(&x.ID, &x.ClassID, &x.VisitedOn, &x.Mode, &x.Family, &x.Living, &x.SinceLast, &concerns, &help, &note,
				&x.ConcernState); err != nil {
				rows.Close()
				return err
			}
			x.StudentID, x.Concerns, x.Help, x.Visitors = studentID, splitCodes(concerns), splitCodes(help), []string{}
			if len(note) > 0 {
				plain, err := s.keys.Open(note, visitNoteAAD(x.ID))
				if err != nil {
					rows.Close()
					return fmt.Errorf("store: open visit note %d: %w", x.ID, err)
				}
				x.Note = string(plain)
			}
			idx[x.ID] = len(out)
			out = append(out, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		vis, err := tx.QueryContext(ctx, s.q(`SELECT hv.visit_id, st.name FROM home_visit_visitors hv JOIN staff st ON st.id = hv.staff_id
			JOIN home_visits v ON v.id = hv.visit_id WHERE v.student_id = ? ORDER BY st.id`), studentID)
		if err != nil {
			return err
		}
		for vis.Next() {
			var id int64
			var name string
			if err := vis.Scan(&id, &name); err != nil {
				vis.Close()
				return err
			}
			if i, ok := idx[id]; ok {
				out[i].Visitors = append(out[i].Visitors, name)
			}
		}
		vis.Close()
		return s.appendAudit(ctx, tx, a.entry("homeschool.visits_read", "student", studentID, school, district))
	})
	if out == nil {
		out = []Visit{}
	}
	return out, err
}

func splitCodes(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// Concern is a concern passed from a visit to the psychology teacher.
type Concern struct {
	ID          int64     `json:"id"`
	VisitID     int64     `json:"visit_id"`
	StudentID   int64     `json:"student_id"`
	StudentName string    `json:"student_name"`
	SchoolID    int64     `json:"school_id"`
	ClassID     int64     `json:"class_id"`
	ClassName   string    `json:"class_name"`
	Kinds       []string  `json:"kinds"`
	Message     string    `json:"message"`
	State       string    `json:"state"`
	Outcome     string    `json:"outcome"`
	VisitedOn   string    `json:"visited_on"`
	Mode        string    `json:"mode"`
	RaisedBy    string    `json:"raised_by"`
	RaisedAt    time.Time `json:"raised_at"`
}

// ListConcerns returns the concerns of schools in sc (the psychology
// teacher's D5 scope), open ones first; state "" lists open and taken.
// Messages are opened and the read audited per pupil.
func (s *Store) ListConcerns(ctx context.Context, a Actor, sc authz.Scope, state string) ([]Concern, error) {
	where := scopePred(sc, "c.district_id", "c.school_id", "")
	var args []any
	switch state {
	case "":
		where += " AND c.state IN ('open', 'taken')"
	case "all":
	default:
		where += " AND c.state = ?"
		args = append(args, state)
	}
	out := []Concern{}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT c.id, c.visit_id, c.student_id, st.name, c.school_id, COALESCE(c.class_id, 0), COALESCE(cl.name, ''),
			c.kinds, c.message, c.state, c.outcome, v.visited_on, v.mode, COALESCE(u.display_name, ''), c.raised_at, c.district_id
			FROM visit_concerns c JOIN students st ON st.id = c.student_id JOIN home_visits v ON v.id = c.visit_id
			LEFT JOIN classes cl ON cl.id = c.class_id LEFT JOIN users u ON u.id = c.raised_by
			WHERE `+where+` ORDER BY CASE c.state WHEN 'open' THEN 0 WHEN 'taken' THEN 1 ELSE 2 END, c.raised_at DESC LIMIT 500`), args...)
		if err != nil {
			return err
		}
		var entries []struct{ student, school, district int64 }
		for rows.Next() {
			var x Concern
			var kinds string
			var msg []byte
			var raised, district int64
			if err := rows.Scan(&x.ID, &x.VisitID, &x.StudentID, &x.StudentName, &x.SchoolID, &x.ClassID, &x.ClassName, &kinds, &msg, &x.State,
				&x.Outcome, &x.VisitedOn, &x.Mode, &x.RaisedBy, &raised, &district); err != nil {
				rows.Close()
				return err
			}
			x.Kinds, x.RaisedAt = splitCodes(kinds), fromMS(raised)
			if len(msg) > 0 {
				plain, err := s.keys.Open(msg, concernMessageAAD(x.ID))
				if err != nil {
					rows.Close()
					return fmt.Errorf("store: open concern %d: %w", x.ID, err)
				}
				x.Message = string(plain)
			}
			out = append(out, x)
			entries = append(entries, struct{ student, school, district int64 }{x.StudentID, x.SchoolID, district})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range entries {
			if err := s.appendAudit(ctx, tx, a.entry("homeschool.concern_read", "student", e.student, e.school, e.district)); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// CountOpenConcerns counts the open concerns in sc (for the home page).
func (s *Store) CountOpenConcerns(ctx context.Context, sc authz.Scope) (int, error) {
	var n int
	err := s.readRow(ctx, `SELECT COUNT(*) FROM visit_concerns WHERE state = 'open' AND `+scopePred(sc, "district_id", "school_id", "")).Scan(&n)
	return n, err
}

// ConcernStep takes up ("take") or closes ("close", with an outcome) a
// concern in sc.
func (s *Store) ConcernStep(ctx context.Context, a Actor, sc authz.Scope, id int64, step, outcome string) error {
	switch step {
	case "take":
	case "close":
		if !slices.Contains(ConcernOutcomes, outcome) {
			return &FieldError{Field: "outcome", Key: "hs.err_outcome"}
		}
	default:
		return &FieldError{Field: "step", Key: "hs.err_code"}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var student, school, district int64
		var state string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT student_id, school_id, district_id, state FROM visit_concerns WHERE id = ? AND `+
			scopePred(sc, "district_id", "school_id", "")), id).Scan(&student, &school, &district, &state); err != nil {
			return mapErr(err)
		}
		next := "taken"
		if step == "close" {
			next = "closed"
		}
		if state == "closed" || (step == "take" && state != "open") {
			return fmt.Errorf("%w: concern is %s", ErrConflict, state)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE visit_concerns SET state = ?, outcome = ?, handled_by = ?, handled_at = ? WHERE id = ?`),
			next, outcome, a.UserID, msNow(s), id); err != nil {
			return err
		}
		e := a.entry("homeschool.concern_"+next, "student", student, school, district)
		e.Detail = "concern=" + strconv.FormatInt(id, 10)
		return s.appendAudit(ctx, tx, e)
	})
}

// VisitModeCounts returns per school in sc the visits of term by mode.
func (s *Store) VisitModeCounts(ctx context.Context, sc authz.Scope, term programme.Term) (map[int64]map[string]int, error) {
	rows, err := s.readRows(ctx, s.q(`SELECT school_id, mode, COUNT(*) FROM home_visits WHERE term_year = ? AND term_sem = ? AND `+
		scopePred(sc, "district_id", "school_id", "")+` GROUP BY school_id, mode`), term.Year, term.Semester)
	if err != nil {
		return nil, fmt.Errorf("store: visits by mode: %w", err)
	}
	defer rows.Close()
	out := map[int64]map[string]int{}
	for rows.Next() {
		var school int64
		var mode string
		var n int
		if err := rows.Scan(&school, &mode, &n); err != nil {
			return nil, err
		}
		if out[school] == nil {
			out[school] = map[string]int{}
		}
		out[school][mode] = n
	}
	return out, rows.Err()
}

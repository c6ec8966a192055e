package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/programme"
)

// Parent-school activities against the per-semester quotas, and the
// home–school progress (quotas and visit coverage) judged for the city,
// every district and every school.

// ActivityKinds are the parent-school activity types, in display order.
var ActivityKinds = []string{programme.ActGuidance, programme.ActPractice, programme.ActParentChild, programme.ActMHMeeting,
	programme.ActOpenDay, programme.ActExpertLecture, programme.ActWomenFederation}

// EvidenceKinds are the kinds of file an activity keeps.
var EvidenceKinds = []string{"photo", "file", "signin"}

// Activity is one parent-school activity.
type Activity struct {
	ID         int64         `json:"id"`
	SchoolID   int64         `json:"school_id"`
	DistrictID int64         `json:"district_id"`
	SchoolName string        `json:"school_name"`
	Kind       string        `json:"kind"`
	HeldOn     string        `json:"held_on"`
	TermYear   int           `json:"term_year"`
	TermSem    int           `json:"term_semester"`
	Topic      string        `json:"topic"`
	Speaker    string        `json:"speaker"`
	Grades     []int         `json:"grades"`
	Parents    int           `json:"parents"`
	Evidence   []EvidenceRef `json:"evidence"`
}

// EvidenceRef describes one evidence file without its content.
type EvidenceRef struct {
	ID    int64  `json:"id"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Mime  string `json:"mime"`
	Size  int64  `json:"size"`
	Faces bool   `json:"faces"`
}

// ActivityInput records an activity.
type ActivityInput struct {
	SchoolID int64  `json:"school_id"`
	Kind     string `json:"kind"`
	HeldOn   string `json:"held_on"`
	Topic    string `json:"topic"`
	Speaker  string `json:"speaker"`
	Grades   []int  `json:"grades"`
	Parents  int    `json:"parents"`
}

// Limits of an activity's fields.
const (
	maxTopic      = 100
	maxSpeaker    = 60
	maxParents    = 20000
	maxEvidence   = 8 << 20
	maxEvidenceOf = 20 // files per activity
)

// calendar returns the published semester dates (the standard ones for
// years not published).
func (s *Store) calendar(ctx context.Context) (programme.Calendar, error) {
	years, err := s.SchoolYears(ctx)
	if err != nil {
		return nil, err
	}
	return programme.Calendar(years), nil
}

// localZone is the programme's time zone: "today" for a date a school
// enters is today in China, whatever the server's clock zone.
var localZone = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()

// today is the current calendar day in the programme's zone, as a UTC
// midnight (how parsed dates compare).
func (s *Store) today() time.Time {
	y, m, d := s.now().In(localZone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// termOfDay returns the term a day lies in, or false when the day is in a
// holiday between terms.
func termOfDay(cal programme.Calendar, day time.Time) (programme.Term, bool) {
	t := cal.TermOf(day)
	p := cal.Period(t)
	return t, !day.Before(p.Start) && !day.After(p.End)
}

// checkDay validates a yyyy-mm-dd date that must not be after today and
// must fall inside a term; it adds field errors under field and returns
// the term.
func (s *Store) checkDay(v *ValidationError, cal programme.Calendar, field, value string) (programme.Term, bool) {
	day, err := time.Parse(dateLayout, value)
	if err != nil || day.Year() < 2000 {
		v.Add(field, "hs.err_date")
		return programme.Term{}, false
	}
	if day.After(s.today()) {
		v.Add(field, "hs.err_future")
		return programme.Term{}, false
	}
	t, ok := termOfDay(cal, day)
	if !ok {
		v.Add(field, "hs.err_outside_term")
		return programme.Term{}, false
	}
	// The current term and the one before it are open for late entries;
	// older terms are judged and reported: rewriting them is refused.
	if earliest := previousTerm(cal.TermOf(s.today())); t.Year < earliest.Year || (t.Year == earliest.Year && t.Semester < earliest.Semester) {
		v.Add(field, "hs.err_term_closed")
		return programme.Term{}, false
	}
	return t, true
}

// previousTerm is the term before t.
func previousTerm(t programme.Term) programme.Term {
	if t.Semester == 2 {
		return programme.Term{Year: t.Year, Semester: 1}
	}
	return programme.Term{Year: t.Year - 1, Semester: 2}
}

func (in *ActivityInput) normalize() {
	in.Topic = strings.TrimSpace(in.Topic)
	in.Speaker = strings.TrimSpace(in.Speaker)
	in.HeldOn = strings.TrimSpace(in.HeldOn)
	slices.Sort(in.Grades)
	in.Grades = slices.Compact(in.Grades)
}

// CreateActivity records a parent-school activity of a school in sc. A
// date in the future or in a holiday, grades the school has not got, or
// the same activity (type, date and topic) twice are refused.
func (s *Store) CreateActivity(ctx context.Context, a Actor, sc authz.Scope, in ActivityInput) (int64, error) {
	in.normalize()
	var v ValidationError
	if !slices.Contains(ActivityKinds, in.Kind) {
		v.Add("kind", "hs.err_kind")
	}
	cal, err := s.calendar(ctx)
	if err != nil {
		return 0, err
	}
	term, _ := s.checkDay(&v, cal, "held_on", in.HeldOn)
	if in.Topic == "" || utf8.RuneCountInString(in.Topic) > maxTopic || hasControl(in.Topic, false) {
		v.Add("topic", "hs.err_topic")
	}
	if utf8.RuneCountInString(in.Speaker) > maxSpeaker || hasControl(in.Speaker, false) {
		v.Add("speaker", "hs.err_speaker")
	}
	if in.Parents < 0 || in.Parents > maxParents {
		v.Add("parents", "hs.err_parents")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var district int64
		var typ string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT district_id, type FROM schools WHERE id = ? AND `+scopePred(sc, "district_id", "id", "")),
			in.SchoolID).Scan(&district, &typ); err != nil {
			if mapErr(err) == ErrNotFound {
				return &FieldError{Field: "school_id", Key: "err.out_of_scope"}
			}
			return err
		}
		grades := model.SchoolType(typ).Grades()
		for _, g := range in.Grades {
			if !slices.Contains(grades, g) {
				return &FieldError{Field: "grades", Key: "hs.err_grades"}
			}
		}
		var dup int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM hs_activities WHERE school_id = ? AND kind = ? AND held_on = ? AND topic = ?`),
			in.SchoolID, in.Kind, in.HeldOn, in.Topic).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			return &FieldError{Field: "topic", Key: "hs.err_duplicate"}
		}
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO hs_activities (school_id, district_id, kind, held_on, term_year, term_sem, topic, speaker,
			grades, parents, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			in.SchoolID, district, in.Kind, in.HeldOn, term.Year, term.Semester, in.Topic, in.Speaker, joinInts(in.Grades), in.Parents,
			a.UserID, msNow(s)).Scan(&id); err != nil {
			if errors.Is(mapErr(err), ErrConflict) {
				return &FieldError{Field: "topic", Key: "hs.err_duplicate"}
			}
			return mapErr(err)
		}
		if err := s.bumpHomeSchool(ctx, tx); err != nil {
			return err
		}
		e := a.entry("homeschool.activity_recorded", "hs_activity", id, in.SchoolID, district)
		e.Detail = "kind=" + in.Kind
		return s.appendAudit(ctx, tx, e)
	})
	return id, err
}

// DeleteActivity removes an activity entered by mistake (with its
// evidence), audited.
func (s *Store) DeleteActivity(ctx context.Context, a Actor, sc authz.Scope, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var school, district int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT school_id, district_id FROM hs_activities WHERE id = ? AND `+
			scopePred(sc, "district_id", "school_id", "")), id).Scan(&school, &district); err != nil {
			return mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM hs_evidence WHERE activity_id = ?`), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM hs_activities WHERE id = ?`), id); err != nil {
			return err
		}
		if err := s.bumpHomeSchool(ctx, tx); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a.entry("homeschool.activity_deleted", "hs_activity", id, school, district))
	})
}

func (s *Store) bumpHomeSchool(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "UPDATE homeschool_version SET gen = gen + 1 WHERE id = 1"); err != nil {
		return fmt.Errorf("store: bump home-school: %w", err)
	}
	return nil
}

// hasControl reports a control character (a null byte, an escape …) in
// text a person typed; multiline text may hold newlines and tabs.
func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) {
			return true
		}
	}
	return false
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

func splitInts(s string) []int {
	out := []int{}
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// ActivityFilter narrows a list of activities.
type ActivityFilter struct {
	SchoolID   int64
	DistrictID int64
	Term       programme.Term // zero: every term
	Kind       string
	Limit      int
	Offset     int
}

// ListActivities returns the activities of schools in sc, newest first,
// with the total count.
func (s *Store) ListActivities(ctx context.Context, sc authz.Scope, f ActivityFilter) ([]Activity, int, error) {
	where := []string{scopePred(sc, "a.district_id", "a.school_id", "")}
	var args []any
	if f.SchoolID != 0 {
		where, args = append(where, "a.school_id = ?"), append(args, f.SchoolID)
	}
	if f.DistrictID != 0 {
		where, args = append(where, "a.district_id = ?"), append(args, f.DistrictID)
	}
	if f.Term.Year != 0 {
		where, args = append(where, "a.term_year = ? AND a.term_sem = ?"), append(args, f.Term.Year, f.Term.Semester)
	}
	if f.Kind != "" {
		where, args = append(where, "a.kind = ?"), append(args, f.Kind)
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := s.readRow(ctx, s.q("SELECT COUNT(*) FROM hs_activities a WHERE "+w), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count activities: %w", err)
	}
	limit, offset := page(f.Limit, f.Offset)
	rows, err := s.readRows(ctx, s.q(`SELECT a.id, a.school_id, a.district_id, sc.name, a.kind, a.held_on, a.term_year, a.term_sem, a.topic, a.speaker,
		a.grades, a.parents FROM hs_activities a JOIN schools sc ON sc.id = a.school_id WHERE `+w+
		` ORDER BY a.held_on DESC, a.id DESC LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list activities: %w", err)
	}
	defer rows.Close()
	out := []Activity{}
	idx := map[int64]int{}
	for rows.Next() {
		var x Activity
		var grades string
		if err := rows.Scan(&x.ID, &x.SchoolID, &x.DistrictID, &x.SchoolName, &x.Kind, &x.HeldOn, &x.TermYear, &x.TermSem, &x.Topic,
			&x.Speaker, &grades, &x.Parents); err != nil {
			return nil, 0, err
		}
		x.Grades, x.Evidence = splitInts(grades), []EvidenceRef{}
		idx[x.ID] = len(out)
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(out) == 0 {
		return out, total, nil
	}
	ids := make([]string, 0, len(out))
	for _, x := range out {
		ids = append(ids, strconv.FormatInt(x.ID, 10))
	}
	ev, err := s.read.QueryContext(ctx, `SELECT id, activity_id, kind, name, mime, size, faces FROM hs_evidence WHERE activity_id IN (`+
		strings.Join(ids, ",")+`) ORDER BY id`)
	if err != nil {
		return nil, 0, fmt.Errorf("store: activity evidence: %w", err)
	}
	defer ev.Close()
	for ev.Next() {
		var e EvidenceRef
		var act int64
		var faces int
		if err := ev.Scan(&e.ID, &act, &e.Kind, &e.Name, &e.Mime, &e.Size, &faces); err != nil {
			return nil, 0, err
		}
		e.Faces = faces != 0
		if i, ok := idx[act]; ok {
			out[i].Evidence = append(out[i].Evidence, e)
		}
	}
	return out, total, ev.Err()
}

// GetActivity returns one activity of a school in sc.
func (s *Store) GetActivity(ctx context.Context, sc authz.Scope, id int64) (Activity, error) {
	var school int64
	if err := s.readRow(ctx, s.q(`SELECT school_id FROM hs_activities WHERE id = ? AND `+scopePred(sc, "district_id", "school_id", "")), id).
		Scan(&school); err != nil {
		return Activity{}, mapErr(err)
	}
	// A school has a few dozen activities a term: list them and pick.
	for off := 0; ; off += 500 {
		xs, total, err := s.ListActivities(ctx, sc, ActivityFilter{SchoolID: school, Limit: 500, Offset: off})
		if err != nil {
			return Activity{}, err
		}
		for _, x := range xs {
			if x.ID == id {
				return x, nil
			}
		}
		if off+500 >= total {
			return Activity{}, ErrNotFound
		}
	}
}

// EvidenceInput is one file kept with an activity.
type EvidenceInput struct {
	Kind  string
	Name  string
	Mime  string
	Body  []byte
	Faces bool
}

// AddActivityEvidence seals and keeps a file of an activity of a school in
// sc.
func (s *Store) AddActivityEvidence(ctx context.Context, a Actor, sc authz.Scope, activityID int64, in EvidenceInput) (int64, error) {
	var v ValidationError
	if !slices.Contains(EvidenceKinds, in.Kind) {
		v.Add("kind", "hs.err_evidence_kind")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 120 || hasControl(in.Name, false) {
		v.Add("file", "hs.err_evidence_name")
	}
	if len(in.Body) == 0 || len(in.Body) > maxEvidence {
		v.Add("file", "hs.err_evidence_size")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var school, district int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT school_id, district_id FROM hs_activities WHERE id = ? AND `+
			scopePred(sc, "district_id", "school_id", "")), activityID).Scan(&school, &district); err != nil {
			return mapErr(err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM hs_evidence WHERE activity_id = ?`), activityID).Scan(&n); err != nil {
			return err
		}
		if n >= maxEvidenceOf {
			return &FieldError{Field: "file", Key: "hs.err_evidence_count"}
		}
		// The row is inserted first for its id, which binds the sealed body.
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO hs_evidence (activity_id, school_id, district_id, kind, name, mime, size, body, faces,
			created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), activityID, school, district, in.Kind, in.Name, in.Mime,
			len(in.Body), []byte{}, b2i(in.Faces), a.UserID, msNow(s)).Scan(&id); err != nil {
			return mapErr(err)
		}
		sealed, err := s.keys.Seal(in.Body, evidenceAAD(id))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE hs_evidence SET body = ? WHERE id = ?`), sealed, id); err != nil {
			return err
		}
		e := a.entry("homeschool.evidence_added", "hs_activity", activityID, school, district)
		e.Detail = "evidence=" + strconv.FormatInt(id, 10) + " kind=" + in.Kind
		return s.appendAudit(ctx, tx, e)
	})
	return id, err
}

func evidenceAAD(id int64) string { return "hs_evidence.body:" + strconv.FormatInt(id, 10) }

// ActivityEvidence opens one evidence file of an activity of a school in
// sc; the download is audited.
func (s *Store) ActivityEvidence(ctx context.Context, a Actor, sc authz.Scope, id int64) (EvidenceRef, []byte, error) {
	var e EvidenceRef
	var body []byte
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var act, school, district int64
		var faces int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id, activity_id, school_id, district_id, kind, name, mime, size, faces, body FROM hs_evidence
			WHERE id = ? AND `+scopePred(sc, "district_id", "school_id", "")), id).Scan(&e.ID, &act, &school, &district, &e.Kind, &e.Name,
			&e.Mime, &e.Size, &faces, &body); err != nil {
			return mapErr(err)
		}
		e.Faces = faces != 0
		plain, err := s.keys.Open(body, evidenceAAD(id))
		if err != nil {
			return fmt.Errorf("store: open evidence %d: %w", id, err)
		}
		body = plain
		e2 := a.entry("homeschool.evidence_read", "hs_activity", act, school, district)
		e2.Detail = "evidence=" + strconv.FormatInt(id, 10)
		return s.appendAudit(ctx, tx, e2)
	})
	return e, body, err
}

// homeSchoolFacts fills every school's figures for the term of at, counted
// up to at's day: activities by type, pupils enrolled (in schools the
// visit target covers) and pupils visited at least once, each counted at
// their current school.
//
// visited, when not nil, holds the visited pupils per school of at's term
// already counted (Progress counts them beside the staff facts).
func (s *Store) homeSchoolFacts(ctx context.Context, f *programme.Facts, at time.Time, visited map[int64]Coverage) error {
	term := f.Calendar.TermOf(at)
	upTo := at.Format(dateLayout)
	idx := make(map[int64]int, len(f.Schools))
	for i := range f.Schools {
		idx[f.Schools[i].ID] = i
	}
	tf := func(school int64) *programme.TermFacts {
		i, ok := idx[school]
		if !ok {
			return nil
		}
		sc := &f.Schools[i]
		if sc.Terms == nil {
			sc.Terms = map[programme.Term]programme.TermFacts{}
		}
		if _, ok := sc.Terms[term]; !ok {
			sc.Terms[term] = programme.TermFacts{Activities: map[string]int{}}
		}
		x := sc.Terms[term]
		return &x
	}
	put := func(school int64, x *programme.TermFacts) { f.Schools[idx[school]].Terms[term] = *x }
	rows, err := s.readRows(ctx, s.q(`SELECT school_id, kind, COUNT(*) FROM hs_activities WHERE term_year = ? AND term_sem = ? AND held_on <= ?
		GROUP BY school_id, kind`), term.Year, term.Semester, upTo)
	if err != nil {
		return fmt.Errorf("store: activity counts: %w", err)
	}
	for rows.Next() {
		var school int64
		var kind string
		var n int
		if err := rows.Scan(&school, &kind, &n); err != nil {
			rows.Close()
			return err
		}
		if x := tf(school); x != nil {
			x.Activities[kind] += n
			put(school, x)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	pupils, err := s.readRows(ctx, `SELECT school_id, SUM(students) FROM enrolment_counts WHERE class_key <> 0 GROUP BY school_id`)
	if err != nil {
		return fmt.Errorf("store: enrolment: %w", err)
	}
	for pupils.Next() {
		var school int64
		var n int
		if err := pupils.Scan(&school, &n); err != nil {
			pupils.Close()
			return err
		}
		if x := tf(school); x != nil {
			x.Pupils = n
			put(school, x)
		}
	}
	pupils.Close()
	if visited == nil {
		if visited, err = s.visitedBy(ctx, "school", authz.Scope{City: true}, term, upTo); err != nil {
			return err
		}
	}
	for school, n := range visited {
		if x := tf(school); x != nil {
			x.Visited = n.Visited
			put(school, x)
		}
	}
	return nil
}

// HomeSchoolProgress judges the home–school targets (the active targets on
// activities and visits) for the city, each district and each school as
// of at's day. The evaluation is cached until the next activity, visit or
// roster change, or the next day.
func (s *Store) HomeSchoolProgress(ctx context.Context, at time.Time) ([]programme.Target, programme.Rollup, error) {
	// Visits and activities, the roster, and the targets themselves
	// (saving a target bumps the training generation).
	var gen, rosterGen, targetGen int64
	if err := s.readRow(ctx, `SELECT h.gen, c.gen, t.gen FROM homeschool_version h, counters_version c, training_version t
		WHERE h.id = 1 AND c.id = 1 AND t.id = 1`).Scan(&gen, &rosterGen, &targetGen); err != nil {
		return nil, programme.Rollup{}, fmt.Errorf("store: home-school generation: %w", err)
	}
	key := fmt.Sprintf("%d/%d/%d/%s", gen, rosterGen, targetGen, at.Format(dateLayout))
	c := &s.hsProgress
	get := func() ([]programme.Target, programme.Rollup, bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.targets, c.rollup, c.key == key && c.rollup.City != nil
	}
	if ts, r, ok := get(); ok {
		return ts, r, nil
	}
	c.loading.Lock()
	defer c.loading.Unlock()
	if ts, r, ok := get(); ok {
		return ts, r, nil
	}
	ts, r, err := s.EvaluateHomeSchool(ctx, at)
	if err != nil {
		return nil, programme.Rollup{}, err
	}
	c.mu.Lock()
	c.key, c.targets, c.rollup = key, ts, r
	c.mu.Unlock()
	return ts, r, nil
}

// EvaluateHomeSchool loads the facts and judges the home–school targets
// without the cache (the benchmark measures this).
func (s *Store) EvaluateHomeSchool(ctx context.Context, at time.Time) ([]programme.Target, programme.Rollup, error) {
	all, err := s.Targets(ctx)
	if err != nil {
		return nil, programme.Rollup{}, err
	}
	var ts []programme.Target
	for _, t := range all {
		if t.Condition.Kind == programme.CondActivities || t.Condition.Kind == programme.CondVisits {
			ts = append(ts, t)
		}
	}
	f, err := s.schoolFacts(ctx)
	if err != nil {
		return nil, programme.Rollup{}, err
	}
	if err := s.homeSchoolFacts(ctx, &f, at, nil); err != nil {
		return nil, programme.Rollup{}, err
	}
	return ts, programme.EvaluateAll(ts, f, at), nil
}

// schoolFacts loads every school and the calendar (no staff).
func (s *Store) schoolFacts(ctx context.Context) (programme.Facts, error) {
	var f programme.Facts
	rows, err := s.readRows(ctx, `SELECT id, district_id, type FROM schools ORDER BY id`)
	if err != nil {
		return f, fmt.Errorf("store: schools: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sc programme.School
		var typ string
		if err := rows.Scan(&sc.ID, &sc.DistrictID, &typ); err != nil {
			return f, err
		}
		sc.Type = model.SchoolType(typ)
		f.Schools = append(f.Schools, sc)
	}
	if err := rows.Err(); err != nil {
		return f, err
	}
	f.Calendar, err = s.calendar(ctx)
	return f, err
}

// hsProgressCache keeps the last home–school evaluation.
type hsProgressCache struct {
	mu      sync.Mutex
	key     string
	targets []programme.Target
	rollup  programme.Rollup
	loading sync.Mutex
}

// DaysLeft is how many days of at's term remain after at (0 on its last
// day), and the term.
func DaysLeft(cal programme.Calendar, at time.Time) (programme.Term, int) {
	t := cal.TermOf(at)
	end := cal.Period(t).End
	d := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
	return t, max(int(end.Sub(d).Hours()/24), 0)
}

// Calendar returns the published semester dates.
func (s *Store) Calendar(ctx context.Context) (programme.Calendar, error) { return s.calendar(ctx) }

// HomeSchoolDistricts maps every school to its district (reports roll
// schools up to districts).
func (s *Store) HomeSchoolDistricts(ctx context.Context) (map[int64]int64, error) {
	rows, err := s.readRows(ctx, `SELECT id, district_id FROM schools`)
	if err != nil {
		return nil, fmt.Errorf("store: school districts: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, d int64
		if err := rows.Scan(&id, &d); err != nil {
			return nil, err
		}
		out[id] = d
	}
	return out, rows.Err()
}

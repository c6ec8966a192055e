package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/model"
)

// Key pupils (重点学生, issue 6 part 3). A pupil's key-student categories
// stay in students.categories (the roster, D2); key_pupil_marks adds, per
// category, the date it was noted and where it came from. A category without
// a mark came with the roster: its source is "roster" and its date the day
// the pupil was put on the roster.
//
// Follow-ups are home visits of any mode. Each category has a cadence (at
// most so many days between two follow-ups, key_cadence). A category falls
// due its cadence after the later of its date and the pupil's last
// follow-up; the pupil is due on the earliest of its categories' dates. So
// with equal dates the smallest cadence wins, a pupil never visited is due
// counted from the category's date, and a category noted after the last
// visit starts its own clock instead of being overdue at once.

// KeySources are where a key-pupil category may come from.
var KeySources = []string{"roster", "class_teacher", "school", "civil_affairs", "youth_league", "womens_federation", "guardian"}

// Limits of the cadence (days between two follow-ups).
const (
	MinCadenceDays = 1
	MaxCadenceDays = 365
)

// KeyMark is one category of a key pupil: since when and from where.
type KeyMark struct {
	Category model.Category `json:"category"`
	Since    string         `json:"since"`  // yyyy-mm-dd
	Source   string         `json:"source"` // one of KeySources
}

// KeyPupil is one row of the key-pupil register (D2). Name is the full
// name; the web layer masks it where the role does not need it.
type KeyPupil struct {
	StudentID   int64     `json:"student_id"`
	SchoolID    int64     `json:"school_id"`
	DistrictID  int64     `json:"district_id"`
	ClassID     int64     `json:"class_id"`
	Name        string    `json:"name"`
	ClassName   string    `json:"class_name"`
	Marks       []KeyMark `json:"categories"`
	LastOn      string    `json:"last_on"`      // the latest follow-up; "" never
	CadenceDays int       `json:"cadence_days"` // the smallest cadence of the pupil's categories; 0 none
	DueOn       string    `json:"due_on"`       // "" when no category has a cadence
	DaysOverdue int       `json:"days_overdue"` // 0 when not overdue
}

// Categories returns the pupil's categories in canonical order.
func (k KeyPupil) Categories() []model.Category {
	out := make([]model.Category, len(k.Marks))
	for i, m := range k.Marks {
		out[i] = m.Category
	}
	return out
}

// KeyFilter narrows the register.
type KeyFilter struct {
	SchoolID int64
	ClassID  int64
	Category model.Category // "" any
	Overdue  bool           // only pupils overdue for a follow-up, most overdue first
	Offset   int
	Limit    int
}

// keyRow is a key pupil as read, before its due date is worked out.
type keyRow struct {
	id, school, district, class int64
	name, className             string
	cats                        model.CategorySet
	created                     int64
	last                        string
	marks                       map[model.Category]KeyMark
}

// kpQuerier is a transaction or the store's read pool.
type kpQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type kpReadPool struct{ s *Store }

func (p kpReadPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.s.readRows(ctx, query, args...)
}

// keyWhere is the register's condition on students st: enrolled pupils with
// a category, in scope, narrowed by f.
func keyWhere(sc authz.Scope, f KeyFilter) (string, []any) {
	where := []string{"st.status = 'enrolled'", "st.categories <> 0", scopePred(sc, "st.district_id", "st.school_id", "st.class_id")}
	var args []any
	if f.SchoolID != 0 {
		where, args = append(where, "st.school_id = ?"), append(args, f.SchoolID)
	}
	if f.ClassID != 0 {
		where, args = append(where, "st.class_id = ?"), append(args, f.ClassID)
	}
	if f.Category != "" {
		where, args = append(where, "(st.categories & ?) <> 0"), append(args, int64(model.CategorySet(0).With(f.Category)))
	}
	return strings.Join(where, " AND "), args
}

// keyRows reads the key pupils matching f in sc, in roster order, with
// their marks and last follow-up; names only when names is set. One query:
// a pupil comes once per mark (or once without one), in a row.
func (s *Store) keyRows(ctx context.Context, q kpQuerier, sc authz.Scope, f KeyFilter, names bool) ([]keyRow, error) {
	cond, args := keyWhere(sc, f)
	cols := `st.id, st.school_id, st.district_id, COALESCE(st.class_id, 0), st.categories, st.created_at,
		COALESCE((SELECT MAX(v.visited_on) FROM home_visits v WHERE v.student_id = st.id), ''),
		COALESCE(m.category, ''), COALESCE(m.since, ''), COALESCE(m.source, '')`
	query := `SELECT ` + cols + `, st.name, COALESCE(c.name, '')
		FROM students st LEFT JOIN classes c ON c.id = st.class_id LEFT JOIN key_pupil_marks m ON m.student_id = st.id
		WHERE ` + cond + ` ORDER BY c.grade, c.number, st.name, st.id`
	if !names {
		// Counts only: no names; a pupil's rows still come together.
		query = `SELECT ` + cols + `, '', '' FROM students st LEFT JOIN key_pupil_marks m ON m.student_id = st.id WHERE ` + cond + ` ORDER BY st.id`
	}
	rows, err := q.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: key pupils: %w", err)
	}
	defer rows.Close()
	var out []keyRow
	for rows.Next() {
		var r keyRow
		var cats int64
		var m KeyMark
		if err := rows.Scan(&r.id, &r.school, &r.district, &r.class, &cats, &r.created, &r.last, &m.Category, &m.Since, &m.Source,
			&r.name, &r.className); err != nil {
			return nil, fmt.Errorf("store: key pupils: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].id != r.id {
			r.cats = model.CategorySet(cats)
			out = append(out, r)
		}
		if m.Category != "" {
			last := &out[len(out)-1]
			if last.marks == nil {
				last.marks = map[model.Category]KeyMark{}
			}
			last.marks[m.Category] = m
		}
	}
	return out, rows.Err()
}

// keyCadence reads the cadence of every category.
func (s *Store) keyCadence(ctx context.Context, q kpQuerier) (map[model.Category]int, error) {
	rows, err := q.QueryContext(ctx, "SELECT category, days FROM key_cadence")
	if err != nil {
		return nil, fmt.Errorf("store: key cadence: %w", err)
	}
	defer rows.Close()
	out := map[model.Category]int{}
	for rows.Next() {
		var c model.Category
		var d int
		if err := rows.Scan(&c, &d); err != nil {
			return nil, err
		}
		out[c] = d
	}
	return out, rows.Err()
}

// kpDay is the calendar day of t (in t's own location) as a UTC midnight,
// so day differences are whole multiples of 24 hours.
func kpDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// rosterSince is the date a roster category counts from: the day the pupil
// was put on the roster, in at's location.
func rosterSince(created int64, loc *time.Location) string {
	return fromMS(created).In(loc).Format(dateLayout)
}

// evaluate works out a row's marks, due date and overdue days at today.
func (r keyRow) evaluate(cadence map[model.Category]int, at time.Time) KeyPupil {
	k := KeyPupil{StudentID: r.id, SchoolID: r.school, DistrictID: r.district, ClassID: r.class, Name: r.name, ClassName: r.className, LastOn: r.last}
	today := kpDay(at)
	last, hasLast := time.Time{}, false
	if t, err := time.Parse(dateLayout, r.last); err == nil {
		last, hasLast = t, true
	}
	var due time.Time
	for _, c := range r.cats.List() {
		m, ok := r.marks[c]
		if !ok {
			m = KeyMark{Category: c, Since: rosterSince(r.created, at.Location()), Source: "roster"}
		}
		k.Marks = append(k.Marks, m)
		days := cadence[c]
		if days <= 0 {
			continue
		}
		if k.CadenceDays == 0 || days < k.CadenceDays {
			k.CadenceDays = days
		}
		start, err := time.Parse(dateLayout, m.Since)
		if err != nil {
			continue
		}
		if hasLast && last.After(start) {
			start = last
		}
		if d := start.AddDate(0, 0, days); due.IsZero() || d.Before(due) {
			due = d
		}
	}
	if !due.IsZero() {
		k.DueOn = due.Format(dateLayout)
		if today.After(due) {
			k.DaysOverdue = int(today.Sub(due) / (24 * time.Hour))
		}
	}
	return k
}

// evaluateAll evaluates rows, keeping only the overdue ones when asked
// (most overdue first, roster order among equals).
func evaluateAll(rows []keyRow, cadence map[model.Category]int, at time.Time, overdueOnly bool) []KeyPupil {
	out := make([]KeyPupil, 0, len(rows))
	for _, r := range rows {
		k := r.evaluate(cadence, at)
		if overdueOnly && k.DaysOverdue == 0 {
			continue
		}
		out = append(out, k)
	}
	if overdueOnly {
		slices.SortStableFunc(out, func(a, b KeyPupil) int { return b.DaysOverdue - a.DaysOverdue })
	}
	return out
}

// KeyPupils returns the key-pupil register within sc (the caller's D2 read
// scope), narrowed by f, at the day of at: one page and the total count.
// The read and its audit entry share a transaction (the register is D2 of
// named pupils): no row is shown without its entry.
func (s *Store) KeyPupils(ctx context.Context, a Actor, sc authz.Scope, f KeyFilter, at time.Time) ([]KeyPupil, int, error) {
	var page []KeyPupil
	var total int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := s.keyRows(ctx, tx, sc, f, true)
		if err != nil {
			return err
		}
		cadence, err := s.keyCadence(ctx, tx)
		if err != nil {
			return err
		}
		all := evaluateAll(rows, cadence, at, f.Overdue)
		total = len(all)
		limit, offset := kpPage(f.Limit, f.Offset)
		page = all[min(offset, len(all)):min(offset+limit, len(all))]
		if len(page) == 0 {
			return nil
		}
		// One entry per class the page shows, with its school, district and
		// row count: the log says whose pupils were read, whatever the filter.
		type classKey struct{ school, district, class int64 }
		counts := map[classKey]int{}
		var order []classKey
		for _, p := range page {
			k := classKey{p.SchoolID, p.DistrictID, p.ClassID}
			if counts[k] == 0 {
				order = append(order, k)
			}
			counts[k]++
		}
		es := make([]audit.Entry, 0, len(order))
		for _, k := range order {
			e := a.entry("keypupil.listed", "class", k.class, k.school, k.district)
			if k.class == 0 {
				e.ObjectType, e.ObjectID = "school", k.school
			}
			e.Detail = "rows=" + strconv.Itoa(counts[k])
			es = append(es, e)
		}
		return s.appendAuditMany(ctx, tx, es)
	})
	if err != nil {
		return nil, 0, err
	}
	return page, total, nil
}

// kpPage is page with a larger ceiling: a register page may show a whole
// school's key pupils at once.
func kpPage(limit, offset int) (int, int) {
	if limit <= 0 || limit > 2000 {
		limit = 100
	}
	return limit, max(offset, 0)
}

// KeyPupilOf returns one pupil's register entry (even without categories:
// the edit form starts from it) if sc (D2) covers the pupil; an audited
// read. ErrNotFound otherwise.
func (s *Store) KeyPupilOf(ctx context.Context, a Actor, sc authz.Scope, studentID int64, at time.Time) (KeyPupil, error) {
	var k KeyPupil
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var r keyRow
		var cats int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT st.id, st.school_id, st.district_id, COALESCE(st.class_id, 0), st.name, COALESCE(c.name, ''),
			st.categories, st.created_at, COALESCE((SELECT MAX(v.visited_on) FROM home_visits v WHERE v.student_id = st.id), '')
			FROM students st LEFT JOIN classes c ON c.id = st.class_id WHERE st.id = ? AND st.status = 'enrolled' AND `+
			scopePred(sc, "st.district_id", "st.school_id", "st.class_id")), studentID).
			Scan(&r.id, &r.school, &r.district, &r.class, &r.name, &r.className, &cats, &r.created, &r.last)
		if err != nil {
			return mapErr(err)
		}
		r.cats = model.CategorySet(cats)
		if r.marks, err = s.marksOf(ctx, tx, studentID); err != nil {
			return err
		}
		cadence, err := s.keyCadence(ctx, tx)
		if err != nil {
			return err
		}
		k = r.evaluate(cadence, at)
		return s.appendAudit(ctx, tx, a.entry("keypupil.read", "student", r.id, r.school, r.district))
	})
	return k, err
}

func (s *Store) marksOf(ctx context.Context, tx *sql.Tx, studentID int64) (map[model.Category]KeyMark, error) {
	rows, err := tx.QueryContext(ctx, s.q("SELECT category, since, source FROM key_pupil_marks WHERE student_id = ?"), studentID)
	if err != nil {
		return nil, fmt.Errorf("store: marks of %d: %w", studentID, err)
	}
	defer rows.Close()
	out := map[model.Category]KeyMark{}
	for rows.Next() {
		var m KeyMark
		if err := rows.Scan(&m.Category, &m.Since, &m.Source); err != nil {
			return nil, err
		}
		out[m.Category] = m
	}
	return out, rows.Err()
}

// FollowUpDue is a key pupil overdue for a follow-up. Name is the full
// name (the web layer masks it where the role does not need it).
type FollowUpDue struct {
	StudentID, SchoolID, ClassID int64
	Name, ClassName              string
	Categories                   []model.Category
	LastOn                       string // "" never
	DueOn                        string
	DaysOverdue                  int
}

// OverdueFollowUps returns the key pupils in sc overdue for a follow-up at
// the day of at, most overdue first (at most limit of them; limit ≤ 0 means
// 50), and how many are overdue in all. It reads named D2 data without an
// actor, so it writes no audit entry: the class visit sheet that shows them
// is audited as a whole (ClassVisits), and reminders show counts only.
func (s *Store) OverdueFollowUps(ctx context.Context, sc authz.Scope, at time.Time, limit int) ([]FollowUpDue, int, error) {
	if limit <= 0 {
		limit = 50
	}
	pool := kpReadPool{s}
	rows, err := s.keyRows(ctx, pool, sc, KeyFilter{}, true)
	if err != nil {
		return nil, 0, err
	}
	cadence, err := s.keyCadence(ctx, pool)
	if err != nil {
		return nil, 0, err
	}
	all := evaluateAll(rows, cadence, at, true)
	out := make([]FollowUpDue, 0, min(limit, len(all)))
	for _, k := range all[:min(limit, len(all))] {
		out = append(out, FollowUpDue{StudentID: k.StudentID, SchoolID: k.SchoolID, ClassID: k.ClassID, Name: k.Name, ClassName: k.ClassName,
			Categories: k.Categories(), LastOn: k.LastOn, DueOn: k.DueOn, DaysOverdue: k.DaysOverdue})
	}
	return out, len(all), nil
}

// FollowUpStat counts a school's key pupils and how many of them are on
// time or overdue for a follow-up.
type FollowUpStat struct {
	Key, OnTime, Overdue int
}

// KeyFollowUpStats counts, per school id, the key pupils in sc (an
// aggregate D0 scope) and their follow-ups at the day of at. Counts only:
// no name is read.
func (s *Store) KeyFollowUpStats(ctx context.Context, sc authz.Scope, at time.Time) (map[int64]FollowUpStat, error) {
	pool := kpReadPool{s}
	rows, err := s.keyRows(ctx, pool, sc, KeyFilter{}, false)
	if err != nil {
		return nil, err
	}
	cadence, err := s.keyCadence(ctx, pool)
	if err != nil {
		return nil, err
	}
	out := map[int64]FollowUpStat{}
	for _, r := range rows {
		k := r.evaluate(cadence, at)
		st := out[r.school]
		st.Key++
		if k.DaysOverdue > 0 {
			st.Overdue++
		} else {
			st.OnTime++
		}
		out[r.school] = st
	}
	return out, nil
}

// KeyMarkInput is one category a pupil is to hold. Since and Source are
// optional: a category the pupil already holds keeps its date and source
// unless they are given; a new one without them is dated today, from the
// school.
type KeyMarkInput struct {
	Category string `json:"category"`
	Since    string `json:"since,omitempty"`
	Source   string `json:"source,omitempty"`
}

// SetKeyCategories replaces a pupil's key-student categories with in (an
// empty in removes them all), within sc (D2 write). The roster's categories
// and their marks change in one transaction with the enrolment counters and
// one audit entry. Refused with every field named, nothing stored: an
// unknown category or source, a category twice, a date that is not one, in
// the future or before the pupil's birth. A pupil outside sc: ErrNotFound.
func (s *Store) SetKeyCategories(ctx context.Context, a Actor, sc authz.Scope, studentID int64, in []KeyMarkInput) error {
	today := s.today() // China's day, as every date a school enters is checked
	var v ValidationError
	seen := map[string]bool{}
	for i := range in {
		x := &in[i]
		f := "categories[" + strconv.Itoa(i) + "]"
		x.Category, x.Since, x.Source = strings.TrimSpace(x.Category), strings.TrimSpace(x.Since), strings.TrimSpace(x.Source)
		if _, ok := model.ParseCategory(x.Category); !ok {
			v.Add(f+".category", "kp.err_category")
		} else if seen[x.Category] {
			v.Add(f+".category", "kp.err_twice")
		}
		seen[x.Category] = true
		if x.Source != "" && !slices.Contains(KeySources, x.Source) {
			v.Add(f+".source", "kp.err_source")
		}
		if x.Since != "" {
			d, err := time.Parse(dateLayout, x.Since)
			switch {
			case err != nil || d.Year() < 2000:
				v.Add(f+".since", "kp.err_date")
			case d.After(today):
				v.Add(f+".since", "kp.err_future")
			}
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var school, district, class, created int64
		var status, birth string
		var cats int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT school_id, district_id, COALESCE(class_id, 0), status, birth_date, categories, created_at
			FROM students st WHERE id = ? AND `+scopePred(sc, "st.district_id", "st.school_id", "st.class_id")), studentID).
			Scan(&school, &district, &class, &status, &birth, &cats, &created)
		if err != nil {
			return mapErr(err)
		}
		if status != string(model.Enrolled) {
			return &FieldError{Field: "student_id", Key: "kp.err_not_enrolled"}
		}
		for i, x := range in {
			if x.Since != "" && x.Since < birth {
				v.Add("categories["+strconv.Itoa(i)+"].since", "kp.err_before_birth")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		old := model.CategorySet(cats)
		marks, err := s.marksOf(ctx, tx, studentID)
		if err != nil {
			return err
		}
		roster := rosterSince(created, localZone)
		var next model.CategorySet
		now := msNow(s)
		changed := 0
		for _, x := range in {
			c := model.Category(x.Category)
			next = next.With(c)
			held := old.Has(c)
			m, hasMark := marks[c]
			if !hasMark && held {
				m = KeyMark{Category: c, Since: roster, Source: "roster"}
			}
			since, source := x.Since, x.Source
			switch {
			case since == "" && source == "" && held:
				continue // kept as it is
			case !held: // new (a stale mark of a category dropped on the roster is not reused)
				m = KeyMark{Category: c, Since: today.Format(dateLayout), Source: "school"}
			}
			if since == "" {
				since = m.Since
			}
			if source == "" {
				source = m.Source
			}
			if held && since == m.Since && source == m.Source {
				continue // unchanged (a roster category given back as it is shown)
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO key_pupil_marks (student_id, category, school_id, district_id, since, source, noted_by, noted_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (student_id, category) DO UPDATE SET school_id = excluded.school_id,
				district_id = excluded.district_id, since = excluded.since, source = excluded.source, noted_by = excluded.noted_by,
				noted_at = excluded.noted_at`), studentID, string(c), school, district, since, source, a.UserID, now); err != nil {
				return fmt.Errorf("store: key mark: %w", mapErr(err))
			}
			changed++
		}
		removed := 0
		for c := range marks {
			if !next.Has(c) {
				if _, err := tx.ExecContext(ctx, s.q("DELETE FROM key_pupil_marks WHERE student_id = ? AND category = ?"), studentID, string(c)); err != nil {
					return fmt.Errorf("store: drop key mark: %w", err)
				}
			}
		}
		for _, c := range old.List() {
			if !next.Has(c) {
				removed++
			}
		}
		added := 0
		for _, c := range next.List() {
			if !old.Has(c) {
				added++
			}
		}
		if next != old {
			if _, err := tx.ExecContext(ctx, s.q("UPDATE students SET categories = ?, updated_at = ? WHERE id = ?"), int64(next), now, studentID); err != nil {
				return fmt.Errorf("store: set categories: %w", err)
			}
			if err := s.recount(ctx, tx, group{school, class}); err != nil {
				return err
			}
		}
		// Counts only: which categories a named pupil holds is D2, and
		// the audit log is read by people without D2.
		e := a.entry("keypupil.categories_set", "student", studentID, school, district)
		e.Detail = fmt.Sprintf("added=%d removed=%d marks=%d", added, removed, changed)
		return s.appendAudit(ctx, tx, e)
	})
}

// Cadence is the follow-up cadence of one category.
type Cadence struct {
	Category model.Category `json:"category"`
	Days     int            `json:"days"`
}

// KeyCadence returns the cadence of every category, in model.Categories
// order (structure, D0: anyone with D0 reads it).
func (s *Store) KeyCadence(ctx context.Context) ([]Cadence, error) {
	m, err := s.keyCadence(ctx, kpReadPool{s})
	if err != nil {
		return nil, err
	}
	out := make([]Cadence, 0, len(model.Categories))
	for _, c := range model.Categories {
		out = append(out, Cadence{Category: c, Days: m[c]})
	}
	return out, nil
}

// SetKeyCadence changes the cadence of the categories in in (city
// officials; the route checks the role). All or nothing: an unknown
// category, one twice, or days outside 1–365 are refused with the item
// named. One audit entry per category changed.
func (s *Store) SetKeyCadence(ctx context.Context, a Actor, in []Cadence) error {
	var v ValidationError
	if len(in) == 0 {
		v.Add("items", "kp.err_cadence_empty")
	}
	seen := map[model.Category]bool{}
	for i, x := range in {
		f := "items[" + strconv.Itoa(i) + "]"
		if _, ok := model.ParseCategory(string(x.Category)); !ok {
			v.Add(f+".category", "kp.err_category")
		} else if seen[x.Category] {
			v.Add(f+".category", "kp.err_twice")
		}
		seen[x.Category] = true
		if x.Days < MinCadenceDays || x.Days > MaxCadenceDays {
			v.Add(f+".days", "kp.err_days")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.keyCadence(ctx, tx)
		if err != nil {
			return err
		}
		now := msNow(s)
		for _, x := range in {
			if cur[x.Category] == x.Days {
				continue
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO key_cadence (category, days, updated_by, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (category) DO UPDATE SET days = excluded.days, updated_by = excluded.updated_by, updated_at = excluded.updated_at`),
				string(x.Category), x.Days, a.UserID, now); err != nil {
				return fmt.Errorf("store: set cadence: %w", err)
			}
			e := a.entry("keypupil.cadence_set", "key_cadence", 0, 0, 0)
			e.Detail = fmt.Sprintf("category=%s days=%d was=%d", x.Category, x.Days, cur[x.Category])
			if err := s.appendAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/report"
)

// Counts are D0 aggregates over enrolled students. Callers suppress small
// cells before showing them (see package report).
type Counts struct {
	Students   int                    `json:"students"`
	Female     int                    `json:"female"`
	Male       int                    `json:"male"`
	Categories map[model.Category]int `json:"categories"`
}

func countDest(c *Counts) ([]any, func()) {
	cats := make([]int, len(model.Categories))
	dest := []any{&c.Students, &c.Female}
	for i := range cats {
		dest = append(dest, &cats[i])
	}
	return dest, func() {
		c.Male = c.Students - c.Female
		c.Categories = make(map[model.Category]int, len(cats))
		for i, k := range model.Categories {
			c.Categories[k] = cats[i]
		}
	}
}

// DistrictSummary is a district with its aggregates.
type DistrictSummary struct {
	model.District
	Schools int    `json:"schools"`
	Classes int    `json:"classes"`
	Counts  Counts `json:"counts"`
}

// ListDistricts returns the districts in scope with their aggregates.
func (s *Store) ListDistricts(ctx context.Context, sc authz.Scope) ([]DistrictSummary, error) {
	pred := scopePred(sc, "d.id", "", "")
	rows, err := s.readRows(ctx, `SELECT d.id, d.code, d.name, d.kind,
		(SELECT COUNT(*) FROM schools WHERE district_id = d.id),
		(SELECT COUNT(*) FROM classes WHERE district_id = d.id)
		FROM districts d WHERE `+pred+` ORDER BY d.code`)
	if err != nil {
		return nil, fmt.Errorf("store: list districts: %w", err)
	}
	var out []DistrictSummary
	for rows.Next() {
		var d DistrictSummary
		if err := rows.Scan(&d.ID, &d.Code, &d.Name, &d.Kind, &d.Schools, &d.Classes); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list districts: %w", err)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	counts, err := s.districtGroup(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Counts = counts[out[i].ID]
	}
	return out, nil
}

// countsBy sums the enrolment counters grouped by parent and child column
// (e.g. district_id, school_id) under a predicate on the counter rows, and
// protects each parent's group of siblings before anyone sees them. Every
// view of a node takes its row from its whole sibling group, so a count
// hidden in one table is hidden on the node's own page too.
func (s *Store) countsBy(ctx context.Context, parent, child, pred string, args ...any) (map[int64]Counts, error) {
	rows, err := s.readRows(ctx, s.q("SELECT "+parent+", "+child+", "+countsFromCounters()+
		" FROM enrolment_counts WHERE "+pred+" GROUP BY "+parent+", "+child), args...)
	if err != nil {
		return nil, fmt.Errorf("store: count students by %s: %w", child, err)
	}
	defer rows.Close()
	groups := map[int64][]int64{}
	out := map[int64]Counts{}
	for rows.Next() {
		var p, id int64
		var c Counts
		dest, finish := countDest(&c)
		if err := rows.Scan(append([]any{&p, &id}, dest...)...); err != nil {
			return nil, fmt.Errorf("store: count students by %s: %w", child, err)
		}
		finish()
		out[id] = c
		groups[p] = append(groups[p], id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ids := range groups {
		group := make([]*Counts, len(ids))
		for i, id := range ids {
			c := out[id]
			group[i] = &c
		}
		protect(group)
		for i, id := range ids {
			out[id] = *group[i]
		}
	}
	return out, nil
}

// protect applies small-count suppression to a group of sibling counts:
// girls and boys are hidden together when either is small, and in every
// column a lone small cell gets a hidden partner. Hiding a pupil total
// hides its split, which can create new lone cells, so it repeats until
// nothing changes.
func protect(group []*Counts) {
	cells := make([]*int, len(group))
	column := func(get func(*Counts) *int) bool {
		for i, c := range group {
			cells[i] = get(c)
		}
		return report.Column(cells)
	}
	for range 8 {
		changed := false
		for _, c := range group {
			changed = report.Split(&c.Students, &c.Female, &c.Male) || changed
		}
		changed = column(func(c *Counts) *int { return &c.Students }) || changed
		changed = column(func(c *Counts) *int { return &c.Female }) || changed
		changed = column(func(c *Counts) *int { return &c.Male }) || changed
		for _, k := range model.Categories {
			vals := make([]int, len(group))
			for i, c := range group {
				vals[i] = c.Categories[k]
				cells[i] = &vals[i]
			}
			if report.Column(cells) {
				changed = true
				for i, c := range group {
					c.Categories[k] = vals[i]
				}
			}
		}
		if !changed {
			return
		}
	}
}

// GetDistrict returns one district in scope, or ErrNotFound.
func (s *Store) GetDistrict(ctx context.Context, sc authz.Scope, id int64) (DistrictSummary, error) {
	var d DistrictSummary
	err := s.readRow(ctx, s.q(`SELECT d.id, d.code, d.name, d.kind,
		(SELECT COUNT(*) FROM schools WHERE district_id = d.id),
		(SELECT COUNT(*) FROM classes WHERE district_id = d.id)
		FROM districts d WHERE d.id = ? AND `+scopePred(sc, "d.id", "", "")), id).
		Scan(&d.ID, &d.Code, &d.Name, &d.Kind, &d.Schools, &d.Classes)
	if err != nil {
		return d, mapErr(err)
	}
	counts, err := s.districtGroup(ctx)
	d.Counts = counts[id]
	return d, err
}

// SchoolSummary is a school with its aggregates.
type SchoolSummary struct {
	model.School
	DistrictName string `json:"district_name"`
	Classes      int    `json:"classes"`
	Staff        int    `json:"staff"`
	Counts       Counts `json:"counts"`
}

// SchoolFilter narrows ListSchools.
type SchoolFilter struct {
	DistrictID int64
	Type       model.SchoolType
	Query      string // part of the name or code
	Offset     int
	Limit      int
}

// ListSchools returns schools in scope, ordered by code, and the total.
func (s *Store) ListSchools(ctx context.Context, sc authz.Scope, f SchoolFilter) ([]SchoolSummary, int, error) {
	where := []string{scopePred(sc, "s.district_id", "s.id", "")}
	var args []any
	if f.DistrictID != 0 {
		where, args = append(where, "s.district_id = ?"), append(args, f.DistrictID)
	}
	if f.Type != "" {
		where, args = append(where, "s.type = ?"), append(args, string(f.Type))
	}
	if f.Query != "" {
		where, args = append(where, "(s.name LIKE ? OR s.code LIKE ?)"), append(args, likeArg(f.Query), likeArg(f.Query))
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.readRow(ctx, s.q("SELECT COUNT(*) FROM schools s WHERE "+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count schools: %w", err)
	}
	limit, offset := page(f.Limit, f.Offset)
	rows, err := s.readRows(ctx, s.q(`SELECT s.id, s.district_id, s.code, s.name, s.type, s.address, d.name,
		(SELECT COUNT(*) FROM classes WHERE school_id = s.id),
		(SELECT COUNT(*) FROM staff WHERE school_id = s.id AND active = 1)
		FROM schools s JOIN districts d ON d.id = s.district_id WHERE `+cond+` ORDER BY s.code LIMIT ? OFFSET ?`),
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list schools: %w", err)
	}
	var out []SchoolSummary
	for rows.Next() {
		var x SchoolSummary
		if err := rows.Scan(&x.ID, &x.DistrictID, &x.Code, &x.Name, &x.Type, &x.Address, &x.DistrictName, &x.Classes, &x.Staff); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("store: list schools: %w", err)
		}
		out = append(out, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, total, err
	}
	groups := map[int64]map[int64]Counts{}
	for i := range out {
		g, ok := groups[out[i].DistrictID]
		if !ok {
			var err error
			if g, err = s.schoolGroup(ctx, out[i].DistrictID); err != nil {
				return nil, 0, err
			}
			groups[out[i].DistrictID] = g
		}
		out[i].Counts = g[out[i].ID]
	}
	return out, total, nil
}

// GetSchool returns one school in scope, or ErrNotFound.
func (s *Store) GetSchool(ctx context.Context, sc authz.Scope, id int64) (SchoolSummary, error) {
	var x SchoolSummary
	err := s.readRow(ctx, s.q(`SELECT s.id, s.district_id, s.code, s.name, s.type, s.address, d.name,
		(SELECT COUNT(*) FROM classes WHERE school_id = s.id),
		(SELECT COUNT(*) FROM staff WHERE school_id = s.id AND active = 1)
		FROM schools s JOIN districts d ON d.id = s.district_id WHERE s.id = ? AND `+scopePred(sc, "s.district_id", "s.id", "")), id).
		Scan(&x.ID, &x.DistrictID, &x.Code, &x.Name, &x.Type, &x.Address, &x.DistrictName, &x.Classes, &x.Staff)
	if err != nil {
		return x, mapErr(err)
	}
	counts, err := s.schoolGroup(ctx, x.DistrictID)
	x.Counts = counts[id]
	return x, err
}

// SchoolInput is what a caller may set on a school.
type SchoolInput struct {
	DistrictID int64            `json:"district_id"`
	Code       string           `json:"code"`
	Name       string           `json:"name"`
	Type       model.SchoolType `json:"type"`
	Address    string           `json:"address"`
}

// Validate checks the input field by field.
func (in *SchoolInput) Validate() error {
	var v ValidationError
	in.Code, in.Name, in.Address = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.Address)
	if in.DistrictID <= 0 {
		v.Add("district_id", "err.required")
	}
	if !validCode(in.Code) {
		v.Add("code", "err.school_code")
	}
	if in.Name == "" || len([]rune(in.Name)) > 100 {
		v.Add("name", "err.name_length")
	}
	if !in.Type.Valid() {
		v.Add("type", "err.school_type")
	}
	if len([]rune(in.Address)) > 200 {
		v.Add("address", "err.too_long")
	}
	return v.Err()
}

// CreateSchool adds a school in a district the caller may write (D0 Write).
func (s *Store) CreateSchool(ctx context.Context, a Actor, sc authz.Scope, in SchoolInput) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	if !sc.Covers(in.DistrictID, 0, 0) {
		return 0, &ValidationError{Fields: []FieldError{{"district_id", "err.out_of_scope"}}}
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO schools (district_id, code, name, type, address, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), in.DistrictID, in.Code, in.Name, string(in.Type), in.Address, msNow(s)).Scan(&id)
		if err != nil {
			return mapErr(err)
		}
		// A new school, or a school of another type, changes who the
		// school targets judge: cached evaluations start afresh.
		if err := s.bumpCounters(ctx, tx); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a.entry(audit.ActSchoolCreate, "school", id, id, in.DistrictID))
	})
	return id, err
}

// UpdateSchool changes a school's name, type, code and address; the
// district stays (moving a school between districts is not a roster edit).
func (s *Store) UpdateSchool(ctx context.Context, a Actor, sc authz.Scope, id int64, in SchoolInput) error {
	cur, err := s.GetSchool(ctx, sc, id)
	if err != nil {
		return err
	}
	in.DistrictID = cur.DistrictID
	if err := in.Validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.execOne(ctx, tx, s.q(`UPDATE schools SET code = ?, name = ?, type = ?, address = ? WHERE id = ? AND `+
			scopePred(sc, "district_id", "id", "")), in.Code, in.Name, string(in.Type), in.Address, id); err != nil {
			return err
		}
		// A new school, or a school of another type, changes who the
		// school targets judge: cached evaluations start afresh.
		if err := s.bumpCounters(ctx, tx); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a.entry(audit.ActSchoolUpdate, "school", id, id, cur.DistrictID))
	})
}

// ClassSummary is a class with its aggregates.
type ClassSummary struct {
	model.Class
	SchoolName   string `json:"school_name"`
	DistrictName string `json:"district_name"`
	StartYear    int    `json:"start_year"`
	Teacher      string `json:"class_teacher,omitempty"`
	Counts       Counts `json:"counts"`
}

const classCols = `c.id, c.school_id, c.district_id, c.school_year_id, c.grade, c.number, c.name, s.name, d.name, y.start_year,
	COALESCE((SELECT MIN(st.name) FROM staff_posts p JOIN staff st ON st.id = p.staff_id
		WHERE p.class_id = c.id AND p.post = 'class_teacher'), '')`

const classFrom = ` FROM classes c JOIN schools s ON s.id = c.school_id JOIN districts d ON d.id = c.district_id
	JOIN school_years y ON y.id = c.school_year_id`

func scanClass(r interface{ Scan(...any) error }, c *ClassSummary) error {
	return r.Scan(&c.ID, &c.SchoolID, &c.DistrictID, &c.SchoolYearID, &c.Grade, &c.Number, &c.Name,
		&c.SchoolName, &c.DistrictName, &c.StartYear, &c.Teacher)
}

// ListClasses returns the classes of a school that are in scope, by grade
// and number, with aggregates.
func (s *Store) ListClasses(ctx context.Context, sc authz.Scope, schoolID int64) ([]ClassSummary, error) {
	rows, err := s.readRows(ctx, s.q("SELECT "+classCols+classFrom+" WHERE c.school_id = ? AND "+
		scopePred(sc, "c.district_id", "c.school_id", "c.id")+" ORDER BY y.start_year DESC, c.grade, c.number"), schoolID)
	if err != nil {
		return nil, fmt.Errorf("store: list classes: %w", err)
	}
	var out []ClassSummary
	for rows.Next() {
		var c ClassSummary
		if err := scanClass(rows, &c); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list classes: %w", err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	counts, err := s.classGroup(ctx, schoolID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Counts = counts[out[i].ID]
	}
	return out, nil
}

// ClassesByIDs returns the classes with the given ids that are in scope (a
// class teacher's home page).
func (s *Store) ClassesByIDs(ctx context.Context, sc authz.Scope, ids []int64) ([]ClassSummary, error) {
	var out []ClassSummary
	for _, id := range ids {
		c, err := s.GetClass(ctx, sc, id)
		if err == nil {
			out = append(out, c)
		} else if err != ErrNotFound {
			return nil, err
		}
	}
	return out, nil
}

// GetClass returns one class in scope with its aggregates, or ErrNotFound.
func (s *Store) GetClass(ctx context.Context, sc authz.Scope, id int64) (ClassSummary, error) {
	var c ClassSummary
	err := scanClass(s.readRow(ctx, s.q("SELECT "+classCols+classFrom+" WHERE c.id = ? AND "+
		scopePred(sc, "c.district_id", "c.school_id", "c.id")), id), &c)
	if err != nil {
		return c, mapErr(err)
	}
	counts, err := s.classGroup(ctx, c.SchoolID)
	c.Counts = counts[id]
	return c, err
}

// ClassInput is what a caller may set on a class.
type ClassInput struct {
	SchoolID  int64  `json:"school_id"`
	StartYear int    `json:"start_year"`
	Grade     int    `json:"grade"`
	Number    int    `json:"number"`
	Name      string `json:"name"`
}

// CreateClass adds a class to a school in the caller's write scope.
func (s *Store) CreateClass(ctx context.Context, a Actor, sc authz.Scope, in ClassInput) (int64, error) {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	if in.Number < 1 || in.Number > 99 {
		v.Add("number", "err.class_number")
	}
	if in.StartYear < 2000 || in.StartYear > 2100 {
		v.Add("start_year", "err.school_year")
	}
	if len([]rune(in.Name)) > 50 {
		v.Add("name", "err.too_long")
	}
	school, err := s.GetSchool(ctx, sc, in.SchoolID)
	if err == ErrNotFound {
		v.Add("school_id", "err.out_of_scope")
	} else if err != nil {
		return 0, err
	} else if !school.Type.TeachesGrade(in.Grade) {
		v.Add("grade", "err.grade_for_school")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err = s.tx(ctx, func(tx *sql.Tx) error {
		yearID, err := s.ensureSchoolYear(ctx, tx, in.StartYear)
		if err != nil {
			return err
		}
		if in.Name == "" {
			in.Name = model.ClassName(in.Grade, in.Number)
		}
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO classes (school_id, district_id, school_year_id, grade, number, name)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), school.ID, school.DistrictID, yearID, in.Grade, in.Number, in.Name).Scan(&id)
		if err != nil {
			return mapErr(err)
		}
		return s.appendAudit(ctx, tx, a.entry(audit.ActClassCreate, "class", id, school.ID, school.DistrictID))
	})
	return id, err
}

// ensureSchoolYear returns the id of the school year starting in startYear,
// creating it with the standard calendar when missing.
func (s *Store) ensureSchoolYear(ctx context.Context, tx *sql.Tx, startYear int) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, s.q("SELECT id FROM school_years WHERE start_year = ?"), startYear).Scan(&id)
	if err == nil {
		return id, nil
	}
	if err != sql.ErrNoRows {
		return 0, fmt.Errorf("store: find school year: %w", err)
	}
	y := model.StandardSchoolYear(startYear)
	err = tx.QueryRowContext(ctx, s.q(`INSERT INTO school_years (start_year, s1_start, s1_end, s2_start, s2_end)
		VALUES (?, ?, ?, ?, ?) RETURNING id`), startYear,
		y.Semesters[0].Start.Format(dateLayout), y.Semesters[0].End.Format(dateLayout),
		y.Semesters[1].Start.Format(dateLayout), y.Semesters[1].End.Format(dateLayout)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: create school year: %w", mapErr(err))
	}
	return id, nil
}

// SchoolYears lists the school years, newest first.
func (s *Store) SchoolYears(ctx context.Context) ([]model.SchoolYear, error) {
	rows, err := s.readRows(ctx, "SELECT id, start_year, s1_start, s1_end, s2_start, s2_end FROM school_years ORDER BY start_year DESC")
	if err != nil {
		return nil, fmt.Errorf("store: list school years: %w", err)
	}
	defer rows.Close()
	var out []model.SchoolYear
	for rows.Next() {
		var y model.SchoolYear
		var d [4]string
		if err := rows.Scan(&y.ID, &y.StartYear, &d[0], &d[1], &d[2], &d[3]); err != nil {
			return nil, err
		}
		parse := func(s string) time.Time { t, _ := time.Parse(dateLayout, s); return t }
		y.Semesters[0] = model.Period{Start: parse(d[0]), End: parse(d[1])}
		y.Semesters[1] = model.Period{Start: parse(d[2]), End: parse(d[3])}
		out = append(out, y)
	}
	return out, rows.Err()
}

// ListAgencies returns the partner agencies (structure, D0).
func (s *Store) ListAgencies(ctx context.Context) ([]model.Agency, error) {
	rows, err := s.readRows(ctx, "SELECT id, kind, name FROM agencies ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: list agencies: %w", err)
	}
	defer rows.Close()
	var out []model.Agency
	for rows.Next() {
		var a model.Agency
		if err := rows.Scan(&a.ID, &a.Kind, &a.Name); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CreateAgency adds a partner agency.
func (s *Store) CreateAgency(ctx context.Context, a Actor, in model.Agency) (int64, error) {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	if !in.Kind.Valid() {
		v.Add("kind", "err.agency_kind")
	}
	if in.Name == "" || len([]rune(in.Name)) > 100 {
		v.Add("name", "err.name_length")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q("INSERT INTO agencies (kind, name) VALUES (?, ?) RETURNING id"), string(in.Kind), in.Name).Scan(&id); err != nil {
			return mapErr(err)
		}
		return s.appendAudit(ctx, tx, a.entry("agency.created", "agency", id, 0, 0))
	})
	return id, err
}

func validCode(c string) bool {
	if len(c) < 4 || len(c) > 20 {
		return false
	}
	for _, r := range c {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-') {
			return false
		}
	}
	return true
}

// likeArg escapes LIKE wildcards in user text and wraps it for a contains
// match (both engines treat backslash as the default escape only with ESCAPE,
// so wildcards are simply removed).
func likeArg(q string) string {
	q = strings.NewReplacer("%", "", "_", "").Replace(strings.TrimSpace(q))
	return "%" + q + "%"
}

func page(limit, offset int) (int, int) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	if offset < 0 {
		offset = 0
	}
	return limit, offset
}

// NodeLabel names the node an assignment is bound to (structure, D0).
func (s *Store) NodeLabel(ctx context.Context, a authz.Assignment) (string, error) {
	var name string
	var err error
	switch authz.BindingOf(a.Role) {
	case authz.BindDistrict:
		err = s.readRow(ctx, s.q("SELECT name FROM districts WHERE id = ?"), a.DistrictID).Scan(&name)
	case authz.BindSchool:
		err = s.readRow(ctx, s.q("SELECT name FROM schools WHERE id = ?"), a.SchoolID).Scan(&name)
	case authz.BindClass:
		err = s.readRow(ctx, s.q("SELECT s.name || ' ' || c.name FROM classes c JOIN schools s ON s.id = c.school_id WHERE c.id = ?"), a.ClassID).Scan(&name)
	case authz.BindAgency:
		err = s.readRow(ctx, s.q("SELECT name FROM agencies WHERE id = ?"), a.AgencyID).Scan(&name)
	}
	return name, mapErr(err)
}

// Cat returns the count of one category by name (templates).
func (c Counts) Cat(name string) int { return c.Categories[model.Category(name)] }

// Attention counts what needs doing in a set of classes: pupils with no
// guardian on record (home visits and emergencies need one). Scope applies.
func (s *Store) PupilsWithoutGuardian(ctx context.Context, sc authz.Scope, classIDs []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(classIDs) == 0 {
		return out, nil
	}
	rows, err := s.readRows(ctx, `SELECT st.class_id, COUNT(*) FROM students st
		WHERE st.status = 'enrolled' AND `+scopePred(sc, "st.district_id", "st.school_id", "st.class_id")+`
		AND `+scopePred(authz.Scope{Classes: classIDs}, "", "", "st.class_id")+`
		AND NOT EXISTS (SELECT 1 FROM guardians g WHERE g.student_id = st.id)
		GROUP BY st.class_id`)
	if err != nil {
		return nil, fmt.Errorf("store: pupils without guardian: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// AccountHealth summarises accounts for the administrator's home page.
type AccountHealth struct {
	Total, Disabled, WithoutMFA, NeverSignedIn int
}

// AccountHealth counts accounts by state.
func (s *Store) AccountHealth(ctx context.Context) (AccountHealth, error) {
	var h AccountHealth
	err := s.readRow(ctx, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN disabled = 1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN totp_enabled = 0 AND disabled = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN last_login_at = 0 AND disabled = 0 THEN 1 ELSE 0 END), 0) FROM users`).
		Scan(&h.Total, &h.Disabled, &h.WithoutMFA, &h.NeverSignedIn)
	return h, err
}

// FailedLoginsSince counts failed sign-ins since t (the auditor's home).
func (s *Store) FailedLoginsSince(ctx context.Context, t time.Time) (int, error) {
	var n int
	err := s.readRow(ctx, s.q("SELECT COUNT(*) FROM audit_log WHERE action = ? AND at >= ?"), "auth.login_failed", t.UnixMilli()).Scan(&n)
	return n, err
}

// DistrictInput is what a caller may set on a district.
type DistrictInput struct {
	Code string             `json:"code"`
	Name string             `json:"name"`
	Kind model.DistrictKind `json:"kind"`
}

// CreateDistrict adds a district or county to the city; only a caller whose
// structure-write scope is the whole city may.
func (s *Store) CreateDistrict(ctx context.Context, a Actor, sc authz.Scope, in DistrictInput) (int64, error) {
	var v ValidationError
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	if len(in.Code) != 6 || !allDigits(in.Code) {
		v.Add("code", "err.district_code")
	}
	if in.Name == "" || len([]rune(in.Name)) > 50 {
		v.Add("name", "err.name_length")
	}
	if in.Kind != model.KindDistrict && in.Kind != model.KindCounty {
		v.Add("kind", "err.district_kind")
	}
	if !sc.City {
		v.Add("code", "err.out_of_scope")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q("INSERT INTO districts (code, name, kind) VALUES (?, ?, ?) RETURNING id"), in.Code, in.Name, string(in.Kind)).Scan(&id)
		if errors.Is(mapErr(err), ErrConflict) {
			return &ValidationError{Fields: []FieldError{{"code", "err.district_code_taken"}}}
		} else if err != nil {
			return mapErr(err)
		}
		return s.appendAudit(ctx, tx, a.entry("district.created", "district", id, 0, id))
	})
	return id, err
}

// SchoolByCode finds a school by its code within scope.
func (s *Store) SchoolByCode(ctx context.Context, sc authz.Scope, code string) (SchoolSummary, error) {
	var id int64
	err := s.readRow(ctx, s.q("SELECT id FROM schools WHERE code = ? AND "+scopePred(sc, "district_id", "id", "")), strings.TrimSpace(code)).Scan(&id)
	if err != nil {
		return SchoolSummary{}, mapErr(err)
	}
	return s.GetSchool(ctx, sc, id)
}

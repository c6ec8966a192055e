package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"huhang/internal/authz"
	"huhang/internal/importer"
	"huhang/internal/model"
)

// Import is one uploaded roster file and what became of it.
type Import struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	SchoolID    int64     `json:"school_id"`
	DistrictID  int64     `json:"district_id"`
	UserID      int64     `json:"user_id"`
	Username    string    `json:"username"` // "" for the command line
	FileName    string    `json:"file_name"`
	FileSHA256  string    `json:"file_sha256"`
	Status      string    `json:"status"` // uploaded, previewed, committed, failed
	Total       int       `json:"rows_total"`
	New         int       `json:"rows_new"`
	Updated     int       `json:"rows_updated"`
	Unchanged   int       `json:"rows_unchanged"`
	Errors      int       `json:"rows_error"`
	CreatedAt   time.Time `json:"created_at"`
	CommittedAt time.Time `json:"committed_at"`
}

// Import statuses.
const (
	ImportUploaded  = "uploaded"
	ImportPreviewed = "previewed"
	ImportCommitted = "committed"
	ImportFailed    = "failed"
)

func fileAAD(sum string) string { return "imports.file|" + sum }

// CreateImport records an uploaded roster for a school in the caller's
// write scope and keeps the file sealed until it is committed.
func (s *Store) CreateImport(ctx context.Context, a Actor, sc authz.Scope, kind importer.Kind, schoolID int64, fileName string, file []byte) (int64, error) {
	if kind != importer.Students && kind != importer.Staff {
		return 0, &ValidationError{Fields: []FieldError{{"kind", "err.import_kind"}}}
	}
	var districtID int64
	err := s.readRow(ctx, s.q("SELECT district_id FROM schools WHERE id = ? AND "+scopePred(sc, "district_id", "id", "")), schoolID).Scan(&districtID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, &ValidationError{Fields: []FieldError{{"school_id", "err.out_of_scope"}}}
	} else if err != nil {
		return 0, err
	}
	sum := sha256.Sum256(file)
	hexSum := hex.EncodeToString(sum[:])
	sealed, err := s.keys.Seal(file, fileAAD(hexSum))
	if err != nil {
		return 0, fmt.Errorf("store: seal import file: %w", err)
	}
	if len([]rune(fileName)) > 200 {
		fileName = string([]rune(fileName)[:200])
	}
	var id int64
	err = s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO imports (kind, school_id, district_id, user_id, file_name, file_sha256, file_sealed, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), string(kind), schoolID, districtID, nullID(a.UserID), fileName, hexSum, sealed,
			ImportUploaded, msNow(s)).Scan(&id)
		if err != nil {
			return mapErr(err)
		}
		return s.appendAudit(ctx, tx, a.entry("import.uploaded", "import", id, schoolID, districtID))
	})
	return id, err
}

const importCols = `i.id, i.kind, COALESCE(i.school_id, 0), COALESCE(i.district_id, 0), COALESCE(i.user_id, 0),
	COALESCE((SELECT username FROM users u WHERE u.id = i.user_id), ''), i.file_name, i.file_sha256, i.status,
	i.rows_total, i.rows_new, i.rows_updated, i.rows_unchanged, i.rows_error, i.created_at, i.committed_at`

func scanImport(r interface{ Scan(...any) error }) (Import, error) {
	var x Import
	var c, m int64
	err := r.Scan(&x.ID, &x.Kind, &x.SchoolID, &x.DistrictID, &x.UserID, &x.Username, &x.FileName, &x.FileSHA256, &x.Status,
		&x.Total, &x.New, &x.Updated, &x.Unchanged, &x.Errors, &c, &m)
	x.CreatedAt, x.CommittedAt = fromMS(c), fromMS(m)
	return x, err
}

// GetImport returns an import of a school in scope.
func (s *Store) GetImport(ctx context.Context, sc authz.Scope, id int64) (Import, error) {
	x, err := scanImport(s.read.QueryRowContext(ctx, s.q("SELECT "+importCols+" FROM imports i WHERE i.id = ? AND "+
		scopePred(sc, "i.district_id", "i.school_id", "")), id))
	return x, mapErr(err)
}

// ListImports lists the imports of schools in scope, newest first.
func (s *Store) ListImports(ctx context.Context, sc authz.Scope, limit int) ([]Import, error) {
	limit, _ = page(limit, 0)
	rows, err := s.read.QueryContext(ctx, s.q("SELECT "+importCols+" FROM imports i WHERE "+scopePred(sc, "i.district_id", "i.school_id", "")+
		" ORDER BY i.id DESC LIMIT ?"), limit)
	if err != nil {
		return nil, fmt.Errorf("store: list imports: %w", err)
	}
	defer rows.Close()
	var out []Import
	for rows.Next() {
		x, err := scanImport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ImportFile opens the sealed upload of an import in scope; ErrNotFound
// once it has been committed (the file is dropped then).
func (s *Store) ImportFile(ctx context.Context, sc authz.Scope, id int64) ([]byte, error) {
	var sealed []byte
	var sum string
	err := s.read.QueryRowContext(ctx, s.q("SELECT file_sealed, file_sha256 FROM imports WHERE id = ? AND "+
		scopePred(sc, "district_id", "school_id", "")), id).Scan(&sealed, &sum)
	if err != nil {
		return nil, mapErr(err)
	}
	if len(sealed) == 0 {
		return nil, ErrNotFound
	}
	return s.keys.Open(sealed, fileAAD(sum))
}

// ImportCounts are a plan's or a commit's figures.
type ImportCounts struct {
	Total     int `json:"rows_total"`
	New       int `json:"rows_new"`
	Updated   int `json:"rows_updated"`
	Unchanged int `json:"rows_unchanged"`
	Errors    int `json:"rows_error"`
}

// SetImportPreview stores the figures of a preview.
func (s *Store) SetImportPreview(ctx context.Context, id int64, c ImportCounts) error {
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE imports SET status = ?, rows_total = ?, rows_new = ?, rows_updated = ?,
		rows_unchanged = ?, rows_error = ? WHERE id = ? AND status <> ?`), ImportPreviewed, c.Total, c.New, c.Updated, c.Unchanged, c.Errors, id, ImportCommitted)
	return mapErr(err)
}

// studentAction is what a planned row will do.
type studentAction struct {
	row      importer.StudentRow
	existing int64 // 0 = new
	same     bool
	in       StudentInput
}

// StudentPlan is what committing a student roster would do.
type StudentPlan struct {
	ImportCounts
	Problems []importer.Problem
	actions  []studentAction
}

// planner resolves rows against the database inside one transaction (a
// read for a preview, the writing one for a commit), caching lookups.
type planner struct {
	stmts    *txStmts
	s        *Store
	ctx      context.Context
	q        *sql.Tx
	sc1, sc2 authz.Scope
	school   int64
	year     int64
	schools  map[string]schoolRef       // by code
	classes  map[int64]map[[2]int]int64 // school → (grade, number) → class
}

type schoolRef struct{ id, district int64 }

func (p *planner) schoolOf(code string) (schoolRef, bool) {
	if r, ok := p.schools[code]; ok {
		return r, r.id != 0
	}
	var r schoolRef
	err := p.q.QueryRowContext(p.ctx, p.s.q("SELECT id, district_id FROM schools WHERE code = ? AND "+scopePred(p.sc1, "district_id", "id", "")), code).Scan(&r.id, &r.district)
	if err != nil {
		r = schoolRef{}
	}
	p.schools[code] = r
	return r, r.id != 0
}

func (p *planner) classOf(school int64, grade, number int) int64 {
	m, ok := p.classes[school]
	if !ok {
		m = map[[2]int]int64{}
		rows, err := p.q.QueryContext(p.ctx, p.s.q("SELECT id, grade, number FROM classes WHERE school_id = ? AND school_year_id = ?"), school, p.year)
		if err == nil {
			for rows.Next() {
				var id int64
				var g, n int
				if rows.Scan(&id, &g, &n) == nil {
					m[[2]int{g, n}] = id
				}
			}
			rows.Close()
		}
		p.classes[school] = m
	}
	return m[[2]int{grade, number}]
}

func problem(row int, column, key string, args ...any) importer.Problem {
	return importer.Problem{Row: row, Column: column, Key: key, Args: args}
}

// newPlanner starts a plan for a file imported into schoolID: it finds the
// current school year and checks the school is in the caller's scope.
func (s *Store) newPlanner(ctx context.Context, tx *sql.Tx, sc1, sc2 authz.Scope, schoolID int64) (*planner, schoolRef, error) {
	p := &planner{s: s, ctx: ctx, q: tx, sc1: sc1, sc2: sc2, school: schoolID, schools: map[string]schoolRef{},
		classes: map[int64]map[[2]int]int64{}, stmts: newTxStmts(tx)}
	var def schoolRef
	if err := tx.QueryRowContext(ctx, s.q("SELECT id FROM school_years WHERE start_year = ?"), model.SchoolYearOf(s.now())).Scan(&p.year); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, def, err
	}
	if err := tx.QueryRowContext(ctx, s.q("SELECT id, district_id FROM schools WHERE id = ? AND "+scopePred(sc1, "district_id", "id", "")), schoolID).Scan(&def.id, &def.district); err != nil {
		return nil, def, &ValidationError{Fields: []FieldError{{"school_id", "err.out_of_scope"}}}
	}
	return p, def, nil
}

// rowSchool is the school a row belongs to: the one its school-code column
// names (which must be in scope), else the file's.
func (p *planner) rowSchool(def schoolRef, code string) (schoolRef, bool) {
	if code == "" {
		return def, true
	}
	return p.schoolOf(code)
}

// existingStudent is what a plan compares a row with.
type existingStudent struct {
	id, school, class   int64
	name, gender, birth string
	idx                 []byte
	cats                int64
	status              string
}

// prefetched holds, for a whole file, the pupils its student numbers and
// ID numbers already name, and their guardians: a few hundred queries for
// 200,000 rows instead of several per row (round trips dominate on
// PostgreSQL).
type prefetched struct {
	byNo      map[string]existingStudent // by student-number index
	idTaken   map[string]bool            // ID-number indexes in use
	guardians map[int64][]model.Guardian
}

const prefetchChunk = 500

func (s *Store) prefetchStudents(ctx context.Context, tx *sql.Tx, rows []importer.StudentRow) (*prefetched, error) {
	pre := &prefetched{byNo: map[string]existingStudent{}, idTaken: map[string]bool{}, guardians: map[int64][]model.Guardian{}}
	var noIdx, idIdx []any
	for _, r := range rows {
		noIdx = append(noIdx, s.studentNoIndex(r.StudentNo))
		if r.IDNumber != "" {
			idIdx = append(idIdx, s.keys.BlindIndex(blindDomain, r.IDNumber))
		}
	}
	var ids []any
	for start := 0; start < len(noIdx); start += prefetchChunk {
		chunk := noIdx[start:min(start+prefetchChunk, len(noIdx))]
		q, err := tx.QueryContext(ctx, s.q(`SELECT id, school_id, COALESCE(class_id, 0), name, gender, birth_date, id_number_bidx, categories, status, student_no_bidx
			FROM students WHERE student_no_bidx IN (`+placeholderList(len(chunk))+`)`), chunk...)
		if err != nil {
			return nil, fmt.Errorf("store: plan import: %w", err)
		}
		for q.Next() {
			var c existingStudent
			var no []byte
			if err := q.Scan(&c.id, &c.school, &c.class, &c.name, &c.gender, &c.birth, &c.idx, &c.cats, &c.status, &no); err != nil {
				q.Close()
				return nil, err
			}
			pre.byNo[string(no)] = c
			ids = append(ids, c.id)
		}
		q.Close()
	}
	for start := 0; start < len(idIdx); start += prefetchChunk {
		chunk := idIdx[start:min(start+prefetchChunk, len(idIdx))]
		q, err := tx.QueryContext(ctx, s.q(`SELECT id_number_bidx FROM students WHERE id_number_bidx IN (`+placeholderList(len(chunk))+`)`), chunk...)
		if err != nil {
			return nil, fmt.Errorf("store: plan import: %w", err)
		}
		for q.Next() {
			var b []byte
			if err := q.Scan(&b); err != nil {
				q.Close()
				return nil, err
			}
			pre.idTaken[string(b)] = true
		}
		q.Close()
	}
	for start := 0; start < len(ids); start += prefetchChunk {
		chunk := ids[start:min(start+prefetchChunk, len(ids))]
		q, err := tx.QueryContext(ctx, s.q(`SELECT student_id, name, relation, phone FROM guardians WHERE student_id IN (`+placeholderList(len(chunk))+`) ORDER BY id`), chunk...)
		if err != nil {
			return nil, fmt.Errorf("store: plan import: %w", err)
		}
		for q.Next() {
			var id int64
			var g model.Guardian
			if err := q.Scan(&id, &g.Name, &g.Relation, &g.Phone); err != nil {
				q.Close()
				return nil, err
			}
			pre.guardians[id] = append(pre.guardians[id], g)
		}
		q.Close()
	}
	return pre, nil
}

// placeholderList is "?, ?, …" for n parameters.
func placeholderList(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// planStudents decides, row by row, whether a pupil is new, changed or the
// same, and reports rows that cannot be imported.
func (s *Store) planStudents(ctx context.Context, tx *sql.Tx, sc1, sc2 authz.Scope, schoolID int64, rows []importer.StudentRow) (*StudentPlan, error) {
	p, def, err := s.newPlanner(ctx, tx, sc1, sc2, schoolID)
	if err != nil {
		return nil, err
	}
	pre, err := s.prefetchStudents(ctx, tx, rows)
	if err != nil {
		return nil, err
	}
	plan := &StudentPlan{}
	plan.Total = len(rows)
	for _, r := range rows {
		school, ok := p.rowSchool(def, r.SchoolCode)
		if !ok {
			plan.Problems = append(plan.Problems, problem(r.Row, "学校代码", "imp.school_out_of_scope", r.SchoolCode))
			continue
		}
		if !r.HasGrade || r.ClassNo <= 0 {
			plan.Problems = append(plan.Problems, problem(r.Row, "班级", "imp.no_class"))
			continue
		}
		classID := p.classOf(school.id, r.Grade, r.ClassNo)
		if classID == 0 {
			plan.Problems = append(plan.Problems, problem(r.Row, "班级", "imp.unknown_class", model.ClassName(r.Grade, r.ClassNo)))
			continue
		}
		in := importInput(r, classID)
		cur, found := pre.byNo[string(s.studentNoIndex(r.StudentNo))]
		var err error
		if !found {
			err = sql.ErrNoRows
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if r.IDNumber != "" && pre.idTaken[string(s.keys.BlindIndex(blindDomain, r.IDNumber))] {
				plan.Problems = append(plan.Problems, problem(r.Row, "身份证号", "imp.id_taken"))
				continue
			}
			plan.New++
			plan.actions = append(plan.actions, studentAction{row: r, in: in})
		case err != nil:
			return nil, fmt.Errorf("store: plan import: %w", err)
		case cur.school != school.id:
			// A pupil of another school: a transfer needs confirmation,
			// not a silent move.
			plan.Problems = append(plan.Problems, problem(r.Row, "学籍号", "imp.other_school"))
		default:
			same := cur.name == r.Name && cur.gender == string(r.Gender) && cur.birth == r.BirthDate && cur.class == classID &&
				cur.status == string(model.Enrolled) && int64(categorySet(r.Categories)) == cur.cats &&
				(r.IDNumber == "" || string(cur.idx) == string(s.keys.BlindIndex(blindDomain, r.IDNumber)))
			if same && len(r.Guardians) > 0 {
				same = sameGuardians(pre.guardians[cur.id], r.Guardians)
			}
			if same {
				plan.Unchanged++
			} else {
				plan.Updated++
			}
			plan.actions = append(plan.actions, studentAction{row: r, existing: cur.id, same: same, in: in})
		}
	}
	plan.Errors = len(plan.Problems)
	return plan, nil
}

func categorySet(cs []model.Category) model.CategorySet {
	var set model.CategorySet
	for _, c := range cs {
		set = set.With(c)
	}
	return set
}

func sameGuardians(have []model.Guardian, want []model.Guardian) bool {
	if len(have) != len(want) {
		return false
	}
	key := func(g model.Guardian) string { return g.Name + "|" + string(g.Relation) + "|" + g.Phone }
	a, b := make([]string, len(have)), make([]string, len(want))
	for i := range have {
		a[i], b[i] = key(have[i]), key(want[i])
	}
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// importInput turns a validated row into the store's input. Empty
// optional columns leave stored values alone.
func importInput(r importer.StudentRow, classID int64) StudentInput {
	in := StudentInput{ClassID: &classID}
	no, name, gender, birth := r.StudentNo, r.Name, r.Gender, r.BirthDate
	in.StudentNo, in.Name, in.Gender, in.BirthDate = &no, &name, &gender, &birth
	if r.IDNumber != "" {
		id := r.IDNumber
		in.IDNumber = &id
	}
	cats := slices.Clone(r.Categories)
	if cats == nil {
		cats = []model.Category{}
	}
	in.Categories = &cats
	if len(r.Guardians) > 0 {
		gs := slices.Clone(r.Guardians)
		in.Guardians = &gs
	}
	return in
}

// PlanStudentImport previews a roster: what would be new, updated or
// unchanged, and every row that cannot be imported. Nothing is written.
func (s *Store) PlanStudentImport(ctx context.Context, sc1, sc2 authz.Scope, schoolID int64, rows []importer.StudentRow) (*StudentPlan, error) {
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return s.planStudents(ctx, tx, sc1, sc2, schoolID, rows)
}

// CommitStudentImport applies a roster in one transaction: it plans again
// (the database may have changed since the preview), refuses the whole
// file if any row has a problem, and otherwise creates and updates pupils,
// audits each, recomputes the counters once and closes the import. A
// failure anywhere leaves the database exactly as it was.
func (s *Store) CommitStudentImport(ctx context.Context, a Actor, sc1, sc2 authz.Scope, importID, schoolID int64, rows []importer.StudentRow, progress func(done int)) (*StudentPlan, error) {
	var plan *StudentPlan
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.importOpen(ctx, tx, importID); err != nil {
			return err
		}
		var err error
		if plan, err = s.planStudents(ctx, tx, sc1, sc2, schoolID, rows); err != nil {
			return err
		}
		if len(plan.Problems) > 0 {
			return errImportHasProblems
		}
		rc := &recounter{stmts: newTxStmts(tx)}
		for i, act := range plan.actions {
			switch {
			case act.existing == 0:
				if _, err := s.createStudentTx(ctx, tx, a, sc1, sc2, act.in, rc); err != nil {
					return rowError(act.row.Row, err)
				}
			case !act.same:
				if err := s.updateStudentTx(ctx, tx, a, sc1, sc2, act.existing, act.in, rc); err != nil {
					return rowError(act.row.Row, err)
				}
			}
			if progress != nil && i%500 == 0 {
				progress(i)
			}
		}
		if err := s.recount(ctx, tx, rc.groups...); err != nil {
			return err
		}
		if err := s.appendAuditMany(ctx, tx, rc.audit); err != nil {
			return err
		}
		return s.closeImport(ctx, tx, a, importID, schoolID, "students", plan.ImportCounts)
	})
	if errors.Is(err, errImportHasProblems) {
		return plan, nil
	}
	if err != nil {
		return nil, err
	}
	return plan, nil
}

var errImportHasProblems = errors.New("import has problems")

// importOpen refuses to commit an import twice.
func (s *Store) importOpen(ctx context.Context, tx *sql.Tx, importID int64) error {
	var status string
	if err := tx.QueryRowContext(ctx, s.q("SELECT status FROM imports WHERE id = ?"), importID).Scan(&status); err != nil {
		return mapErr(err)
	}
	if status == ImportCommitted {
		return &ValidationError{Fields: []FieldError{{"import", "err.import_done"}}}
	}
	return nil
}

// closeImport records a committed import's figures, drops its sealed file
// and audits the commit, inside the committing transaction.
func (s *Store) closeImport(ctx context.Context, tx *sql.Tx, a Actor, importID, schoolID int64, kind string, c ImportCounts) error {
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE imports SET status = ?, rows_total = ?, rows_new = ?, rows_updated = ?, rows_unchanged = ?,
		rows_error = 0, committed_at = ?, file_sealed = NULL WHERE id = ?`), ImportCommitted, c.Total, c.New, c.Updated, c.Unchanged,
		msNow(s), importID); err != nil {
		return err
	}
	e := a.entry("import.committed", "import", importID, schoolID, 0)
	e.Detail = fmt.Sprintf("kind=%s new=%d updated=%d unchanged=%d", kind, c.New, c.Updated, c.Unchanged)
	return s.appendAudit(ctx, tx, e)
}

// RowError is a store refusal of one row of an import.
type RowError struct {
	Row int
	Err error
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %v", e.Row, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

func rowError(row int, err error) error { return &RowError{Row: row, Err: err} }

// FailImport marks an import failed (its file is dropped).
func (s *Store) FailImport(ctx context.Context, a Actor, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q("UPDATE imports SET status = ?, file_sealed = NULL WHERE id = ? AND status <> ?"), ImportFailed, id, ImportCommitted); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a.entry("import.failed", "import", id, 0, 0))
	})
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"huhang/internal/audit"
	"huhang/internal/model"
)

// BulkLoader writes a generated city straight into the tables, with the ids
// the generator assigned, in multi-row INSERTs committed in batches. It is
// for loading the demo city into an empty database; everyday writes go
// through the validated, audited methods.
type BulkLoader struct {
	s         *Store
	ctx       context.Context
	tx        *sql.Tx
	yearID    int64
	startYear int
	now       int64
	pending   int
	bufs      map[string]*rowBuf
	order     []string
	// BatchStudents is how many students go into one transaction.
	BatchStudents int
}

type rowBuf struct {
	table string
	cols  []string
	args  []any
	rows  int
}

// maxParams keeps each INSERT under SQLite's and PostgreSQL's parameter
// limits (32,766 and 65,535).
const maxParams = 30000

// NewBulkLoader starts a load; call Finish to commit the rest.
func (s *Store) NewBulkLoader(ctx context.Context, startYear int) (*BulkLoader, error) {
	b := &BulkLoader{s: s, ctx: ctx, startYear: startYear, now: msNow(s), bufs: map[string]*rowBuf{}, BatchStudents: 20000}
	for _, t := range []struct {
		name string
		cols string
	}{
		{"agencies", "id, kind, name"},
		{"districts", "id, code, name, kind"},
		{"schools", "id, district_id, code, name, type, address, created_at"},
		{"classes", "id, school_id, district_id, school_year_id, grade, number, name"},
		{"staff", "id, school_id, district_id, name, gender, phone, active, created_at"},
		{"staff_posts", "staff_id, school_id, district_id, post, class_id"},
		{"students", "id, school_id, district_id, class_id, student_no, student_no_bidx, name, gender, birth_date, status, id_number, id_number_bidx, categories, created_at, updated_at"},
		{"guardians", "id, student_id, school_id, district_id, name, relation, phone"},
	} {
		b.bufs[t.name] = &rowBuf{table: t.name, cols: strings.Split(t.cols, ", ")}
		b.order = append(b.order, t.name)
	}
	if err := b.begin(); err != nil {
		return nil, err
	}
	var err error
	if b.yearID, err = s.ensureSchoolYear(ctx, b.tx, startYear); err != nil {
		b.tx.Rollback()
		return nil, err
	}
	return b, nil
}

func (b *BulkLoader) begin() error {
	tx, err := b.s.write.BeginTx(b.ctx, nil)
	if err != nil {
		return fmt.Errorf("store: bulk load: %w", err)
	}
	b.tx = tx
	return nil
}

func (b *BulkLoader) add(table string, vals ...any) error {
	buf := b.bufs[table]
	buf.args = append(buf.args, vals...)
	buf.rows++
	if len(buf.args)+len(buf.cols) > maxParams {
		// Flush every table, parents first, so no child row references
		// a parent still waiting in its buffer.
		return b.flush()
	}
	return nil
}

func (b *BulkLoader) flushTable(buf *rowBuf) error {
	if buf.rows == 0 {
		return nil
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + buf.table + " (" + strings.Join(buf.cols, ", ") + ") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(buf.cols)), ", ") + ")"
	for i := 0; i < buf.rows; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
	}
	if _, err := b.tx.ExecContext(b.ctx, b.s.q(sb.String()), buf.args...); err != nil {
		return fmt.Errorf("store: bulk insert into %s: %w", buf.table, mapErr(err))
	}
	buf.args, buf.rows = buf.args[:0], 0
	return nil
}

// flush writes every buffered row, parents before children.
func (b *BulkLoader) flush() error {
	for _, name := range b.order {
		if err := b.flushTable(b.bufs[name]); err != nil {
			return err
		}
	}
	return nil
}

func (b *BulkLoader) commitBatch() error {
	if err := b.flush(); err != nil {
		return err
	}
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("store: bulk commit: %w", err)
	}
	b.pending = 0
	return b.begin()
}

// Agency implements demo.Sink.
func (b *BulkLoader) Agency(a model.Agency) error {
	return b.add("agencies", a.ID, string(a.Kind), a.Name)
}

// District implements demo.Sink.
func (b *BulkLoader) District(d model.District) error {
	return b.add("districts", d.ID, d.Code, d.Name, string(d.Kind))
}

// School implements demo.Sink. A school boundary is where a batch may end,
// so no transaction holds half a school.
func (b *BulkLoader) School(s model.School) error {
	if b.pending >= b.BatchStudents {
		if err := b.commitBatch(); err != nil {
			return err
		}
	}
	return b.add("schools", s.ID, s.DistrictID, s.Code, s.Name, string(s.Type), s.Address, b.now)
}

// Class implements demo.Sink.
func (b *BulkLoader) Class(c model.Class) error {
	return b.add("classes", c.ID, c.SchoolID, c.DistrictID, b.yearID, c.Grade, c.Number, c.Name)
}

// Staff implements demo.Sink.
func (b *BulkLoader) Staff(st model.Staff) error {
	if err := b.add("staff", st.ID, st.SchoolID, st.DistrictID, st.Name, string(st.Gender), st.Phone, 1, b.now); err != nil {
		return err
	}
	for _, p := range st.Posts {
		if err := b.add("staff_posts", st.ID, st.SchoolID, st.DistrictID, string(p.Post), nullID(p.ClassID)); err != nil {
			return err
		}
	}
	return nil
}

// Student implements demo.Sink: the ID number is sealed and indexed exactly
// as CreateStudent does.
func (b *BulkLoader) Student(st model.Student) error {
	var id *string
	if st.IDNumber != "" {
		id = &st.IDNumber
	}
	noIndex := b.s.studentNoIndex(st.StudentNo)
	sealed, bidx, err := b.s.sealIDNumber(id, noIndex)
	if err != nil {
		return err
	}
	status := st.Status
	if status == "" {
		status = model.Enrolled
	}
	if err := b.add("students", st.ID, st.SchoolID, st.DistrictID, nullID(st.ClassID), displayStudentNo(st.StudentNo), noIndex, st.Name, string(st.Gender),
		st.BirthDate.Format(dateLayout), string(status), sealed, bidx, int64(st.Categories), b.now, b.now); err != nil {
		return err
	}
	for _, g := range st.Guardians {
		if err := b.add("guardians", g.ID, st.ID, st.SchoolID, st.DistrictID, g.Name, string(g.Relation), g.Phone); err != nil {
			return err
		}
	}
	b.pending++
	return nil
}

// Finish commits what is left, moves PostgreSQL's identity sequences past
// the loaded ids and audits the load.
func (b *BulkLoader) Finish(a Actor, detail string) error {
	if err := b.flush(); err != nil {
		b.tx.Rollback()
		return err
	}
	if b.s.dialect.name() == "postgres" {
		for _, t := range []string{"agencies", "districts", "schools", "classes", "staff", "staff_posts", "students", "guardians"} {
			q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE((SELECT MAX(id) FROM %s), 0) + 1, false)", t, t)
			if _, err := b.tx.ExecContext(b.ctx, q); err != nil {
				b.tx.Rollback()
				return fmt.Errorf("store: reset sequence of %s: %w", t, err)
			}
		}
	}
	if err := b.s.recountAll(b.ctx, b.tx); err != nil {
		b.tx.Rollback()
		return err
	}
	e := a.entry(audit.ActDemoLoaded, "city", 0, 0, 0)
	e.Detail = detail
	if err := b.s.appendAudit(b.ctx, b.tx, e); err != nil {
		b.tx.Rollback()
		return err
	}
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("store: bulk commit: %w", err)
	}
	if b.s.dialect.name() == "postgres" {
		_, err := b.s.write.ExecContext(b.ctx, "ANALYZE")
		return err
	}
	_, err := b.s.write.ExecContext(b.ctx, "ANALYZE")
	return err
}

// Abort rolls back the open batch.
func (b *BulkLoader) Abort() { b.tx.Rollback() }

// IsEmpty reports whether the city has no districts yet.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM districts").Scan(&n)
	return n == 0, err
}

// DemoTargets returns ids the demo accounts are bound to: the first
// primary school (in the lowest-numbered district that has one), its
// district, that school's two top classes and the first agency.
func (s *Store) DemoTargets(ctx context.Context) (district, school, class1, class2, agency int64, err error) {
	err = s.read.QueryRowContext(ctx, "SELECT id, district_id FROM schools WHERE type = 'primary' ORDER BY district_id, id LIMIT 1").Scan(&school, &district)
	if err != nil {
		return 0, 0, 0, 0, 0, fmt.Errorf("store: demo city has no primary school: %w", mapErr(err))
	}
	rows, err := s.read.QueryContext(ctx, s.q("SELECT id FROM classes WHERE school_id = ? ORDER BY grade DESC, number LIMIT 2"), school)
	if err != nil {
		return 0, 0, 0, 0, 0, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, 0, 0, 0, 0, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return 0, 0, 0, 0, 0, err
	}
	if len(ids) < 2 {
		return 0, 0, 0, 0, 0, fmt.Errorf("store: demo school %d has fewer than two classes", school)
	}
	var ag sql.NullInt64
	if err := s.read.QueryRowContext(ctx, "SELECT MIN(id) FROM agencies").Scan(&ag); err != nil || !ag.Valid {
		return 0, 0, 0, 0, 0, fmt.Errorf("store: demo city has no agency")
	}
	return district, school, ids[0], ids[1], ag.Int64, nil
}

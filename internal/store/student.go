package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/privacy"
)

// Blind-index domains keep the index of one field from matching another's.
const (
	blindDomain   = "students.id_number"
	blindDomainNo = "students.student_no"
)

// idNumberAAD binds a sealed ID number to its row through the row's unique
// student-number index.
func idNumberAAD(noIndex []byte) string { return "students.id_number|" + hex.EncodeToString(noIndex) }

// displayStudentNo is the form stored and shown in lists: a G number is
// "G" + a resident ID number (D2) and a J number is built like one, so only
// their last four characters show.
func displayStudentNo(no string) string {
	if len(no) == 19 && (no[0] == 'G' || no[0] == 'J') {
		return no[:1] + privacy.MaskIDNumber(no[1:])
	}
	return no
}

func isGNumber(no string) bool { return len(no) == 19 && no[0] == 'G' }

func (s *Store) studentNoIndex(no string) []byte { return s.keys.BlindIndex(blindDomainNo, no) }

// StudentRow is a student as lists show it (D1 only).
type StudentRow struct {
	ID         int64               `json:"id"`
	SchoolID   int64               `json:"school_id"`
	DistrictID int64               `json:"district_id"`
	ClassID    int64               `json:"class_id"`
	ClassName  string              `json:"class_name"`
	SchoolName string              `json:"school_name"`
	StudentNo  string              `json:"student_no"`
	Name       string              `json:"name"`
	Gender     model.Gender        `json:"gender"`
	BirthDate  string              `json:"birth_date"`
	Status     model.StudentStatus `json:"status"`
}

// StudentFilter narrows ListStudents.
type StudentFilter struct {
	SchoolID int64
	ClassID  int64
	Unplaced bool                // only pupils waiting for a class (transferred in)
	Status   model.StudentStatus // default enrolled; "all" for every status
	Query    string              // part of the name, or a student number
	Offset   int
	Limit    int
}

const studentRowCols = `st.id, st.school_id, st.district_id, COALESCE(st.class_id, 0), COALESCE(c.name, ''), s.name,
	st.student_no, st.name, st.gender, st.birth_date, st.status`

const studentFrom = ` FROM students st JOIN schools s ON s.id = st.school_id LEFT JOIN classes c ON c.id = st.class_id`

func scanStudentRow(r interface{ Scan(...any) error }, x *StudentRow) error {
	return r.Scan(&x.ID, &x.SchoolID, &x.DistrictID, &x.ClassID, &x.ClassName, &x.SchoolName,
		&x.StudentNo, &x.Name, &x.Gender, &x.BirthDate, &x.Status)
}

// ListStudents returns the students in scope (D1), ordered by class and
// student number, with the total matching count. Every list read is
// audited with the filter's node, never with names.
func (s *Store) ListStudents(ctx context.Context, a Actor, sc authz.Scope, f StudentFilter) ([]StudentRow, int, error) {
	where := []string{scopePred(sc, "st.district_id", "st.school_id", "st.class_id")}
	var args []any
	switch f.Status {
	case "":
		where = append(where, "st.status = 'enrolled'")
	case "all":
	default:
		where, args = append(where, "st.status = ?"), append(args, string(f.Status))
	}
	if f.SchoolID != 0 {
		where, args = append(where, "st.school_id = ?"), append(args, f.SchoolID)
	}
	if f.ClassID != 0 {
		where, args = append(where, "st.class_id = ?"), append(args, f.ClassID)
	}
	if f.Unplaced {
		where = append(where, "st.class_id IS NULL")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		no := strings.ToUpper(privacy.NormalizeIDNumber(q))
		where, args = append(where, "(st.name LIKE ? OR st.student_no_bidx = ?)"), append(args, likeArg(q), s.studentNoIndex(no))
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.readRow(ctx, s.q("SELECT COUNT(*) FROM students st WHERE "+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count students: %w", err)
	}
	limit, offset := page(f.Limit, f.Offset)
	rows, err := s.readRows(ctx, s.q("SELECT "+studentRowCols+studentFrom+" WHERE "+cond+
		" ORDER BY c.grade, c.number, st.name, st.id LIMIT ? OFFSET ?"), append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list students: %w", err)
	}
	defer rows.Close()
	out := make([]StudentRow, 0, limit)
	for rows.Next() {
		var x StudentRow
		if err := scanStudentRow(rows, &x); err != nil {
			return nil, 0, fmt.Errorf("store: list students: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(out) > 0 {
		e := a.entry("student.listed", "class", f.ClassID, f.SchoolID, 0)
		if f.ClassID == 0 {
			e.ObjectType, e.ObjectID = "school", f.SchoolID
		}
		e.Detail = "rows=" + strconv.Itoa(len(out))
		if err := s.tx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, e) }); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// StudentDetail is one student as the detail page shows it. Contact holds
// D2 data and is nil unless the caller's D2 scope covers the student.
type StudentDetail struct {
	StudentRow
	Contact *StudentContact `json:"contact,omitempty"`
}

// StudentContact is D2: family circumstances and contact details.
type StudentContact struct {
	IDNumber   string           `json:"id_number,omitempty"` // masked unless unmasked by request
	Categories []model.Category `json:"categories"`
	Guardians  []model.Guardian `json:"guardians"`
}

// GetStudent reads one student in scope sc1 (D1); when sc2 (D2) also covers
// the student the contact section is loaded and the ID number decrypted.
// The read and its audit entry share one transaction, so no record is shown
// without its entry. unmask asks for the full ID number (itself audited).
func (s *Store) GetStudent(ctx context.Context, a Actor, sc1, sc2 authz.Scope, id int64, unmask bool) (StudentDetail, error) {
	var d StudentDetail
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var sealed, noIndex []byte
		var cats int64
		row := tx.QueryRowContext(ctx, s.q("SELECT "+studentRowCols+", st.id_number, st.student_no_bidx, st.categories"+studentFrom+
			" WHERE st.id = ? AND "+scopePred(sc1, "st.district_id", "st.school_id", "st.class_id")), id)
		err := row.Scan(&d.ID, &d.SchoolID, &d.DistrictID, &d.ClassID, &d.ClassName, &d.SchoolName,
			&d.StudentNo, &d.Name, &d.Gender, &d.BirthDate, &d.Status, &sealed, &noIndex, &cats)
		if err != nil {
			return mapErr(err)
		}
		action := audit.ActStudentRead
		if sc2.Covers(d.DistrictID, d.SchoolID, d.ClassID) {
			action = audit.ActStudentRead2
			c := &StudentContact{Categories: model.CategorySet(cats).List(), Guardians: []model.Guardian{}}
			if len(sealed) > 0 {
				plain, err := s.keys.Open(sealed, idNumberAAD(noIndex))
				if err != nil {
					s.log.Error("id number does not decrypt", "student_id", d.ID)
					return fmt.Errorf("store: open id number of student %d: %w", d.ID, err)
				}
				c.IDNumber = string(plain)
				if unmask && strings.HasPrefix(d.StudentNo, "G") {
					d.StudentNo = "G" + c.IDNumber
				}
				if !unmask {
					c.IDNumber = privacy.MaskIDNumber(c.IDNumber)
				}
			}
			if c.Guardians, err = s.guardians(ctx, tx, d.ID); err != nil {
				return err
			}
			d.Contact = c
		}
		e := a.entry(action, "student", d.ID, d.SchoolID, d.DistrictID)
		if unmask && d.Contact != nil {
			e.Detail = "unmasked=id_number"
		}
		return s.appendAudit(ctx, tx, e)
	})
	if err != nil {
		// Fail closed: a read whose audit entry did not commit shows nothing.
		return StudentDetail{}, err
	}
	return d, nil
}

func (s *Store) guardians(ctx context.Context, tx *sql.Tx, studentID int64) ([]model.Guardian, error) {
	rows, err := tx.QueryContext(ctx, s.q("SELECT id, name, relation, phone FROM guardians WHERE student_id = ? ORDER BY id"), studentID)
	if err != nil {
		return nil, fmt.Errorf("store: guardians of %d: %w", studentID, err)
	}
	defer rows.Close()
	out := []model.Guardian{}
	for rows.Next() {
		var g model.Guardian
		if err := rows.Scan(&g.ID, &g.Name, &g.Relation, &g.Phone); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// FindStudentByIDNumber looks a student up through the blind index; the
// plaintext never reaches SQL. Answers ErrNotFound outside scope.
func (s *Store) FindStudentByIDNumber(ctx context.Context, sc authz.Scope, idNumber string) (int64, error) {
	n := privacy.NormalizeIDNumber(idNumber)
	if privacy.ValidateIDNumber(n) != nil {
		return 0, &ValidationError{Fields: []FieldError{{"id_number", "err.id_number"}}}
	}
	var id int64
	err := s.readRow(ctx, s.q("SELECT id FROM students st WHERE id_number_bidx = ? AND "+
		scopePred(sc, "st.district_id", "st.school_id", "st.class_id")), s.keys.BlindIndex(blindDomain, n)).Scan(&id)
	return id, mapErr(err)
}

// StudentInput is what a caller may set on a student. Pointer fields are
// optional on update (nil = unchanged).
type StudentInput struct {
	ClassID    *int64            `json:"class_id,omitempty"`
	StudentNo  *string           `json:"student_no,omitempty"`
	Name       *string           `json:"name,omitempty"`
	Gender     *model.Gender     `json:"gender,omitempty"`
	BirthDate  *string           `json:"birth_date,omitempty"`
	IDNumber   *string           `json:"id_number,omitempty"`
	Categories *[]model.Category `json:"categories,omitempty"`
	Guardians  *[]model.Guardian `json:"guardians,omitempty"`
}

// touchesContact reports whether the input changes D2 fields.
func (in *StudentInput) touchesContact() bool {
	return in.IDNumber != nil || in.Categories != nil || in.Guardians != nil
}

// normalize trims and canonicalises text fields in place.
func (in *StudentInput) normalize() {
	trim := func(p *string) {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
	trim(in.Name)
	trim(in.BirthDate)
	if in.StudentNo != nil {
		v := strings.ToUpper(privacy.NormalizeIDNumber(*in.StudentNo))
		in.StudentNo = &v
	}
	if in.IDNumber != nil {
		v := privacy.NormalizeIDNumber(*in.IDNumber)
		in.IDNumber = &v
	}
	// A G number carries the resident ID number: record it as the ID
	// number too, so it is sealed and indexed like any other.
	if in.StudentNo != nil && isGNumber(*in.StudentNo) && (in.IDNumber == nil || *in.IDNumber == "") {
		v := (*in.StudentNo)[1:]
		in.IDNumber = &v
	}
	if in.Guardians != nil {
		for i := range *in.Guardians {
			g := &(*in.Guardians)[i]
			g.Name, g.Phone = strings.TrimSpace(g.Name), strings.TrimSpace(g.Phone)
		}
	}
}

// validate checks every present field; create requires the identity fields.
func (in *StudentInput) validate(create bool, now time.Time) error {
	var v ValidationError
	req := func(present bool, field string) bool {
		if !present && create {
			v.Add(field, "err.required")
		}
		return present
	}
	req(in.ClassID != nil, "class_id")
	if req(in.StudentNo != nil, "student_no") && !model.ValidStudentNo(*in.StudentNo) {
		v.Add("student_no", "err.student_no")
	}
	if req(in.Name != nil, "name") && !model.ValidPersonName(*in.Name) {
		v.Add("name", "err.person_name")
	}
	if req(in.Gender != nil, "gender") && !in.Gender.Valid() {
		v.Add("gender", "err.gender")
	}
	var birth time.Time
	if req(in.BirthDate != nil, "birth_date") {
		t, err := time.Parse(dateLayout, *in.BirthDate)
		age := now.Year() - t.Year()
		if err != nil {
			v.Add("birth_date", "err.date")
		} else if age < 2 || age > 25 {
			v.Add("birth_date", "err.birth_date_range")
		} else {
			birth = t
		}
	}
	if in.StudentNo != nil && isGNumber(*in.StudentNo) && model.ValidStudentNo(*in.StudentNo) && in.IDNumber != nil && *in.IDNumber != (*in.StudentNo)[1:] {
		v.Add("id_number", "err.student_no_id_mismatch")
	}
	if in.IDNumber != nil && *in.IDNumber != "" {
		if err := privacy.ValidateIDNumber(*in.IDNumber); err != nil {
			v.Add("id_number", idNumberKey(err))
		} else if b, err := privacy.IDBirthDate(*in.IDNumber); err == nil && !birth.IsZero() && !b.Equal(birth) {
			v.Add("id_number", "err.id_birth_mismatch")
		}
	}
	if in.Categories != nil {
		for _, c := range *in.Categories {
			if _, ok := model.ParseCategory(string(c)); !ok {
				v.Add("categories", "err.category")
				break
			}
		}
	}
	if in.Guardians != nil {
		if len(*in.Guardians) > 4 {
			v.Add("guardians", "err.too_many")
		}
		for i, g := range *in.Guardians {
			f := "guardians[" + strconv.Itoa(i) + "]"
			if !model.ValidPersonName(g.Name) {
				v.Add(f+".name", "err.person_name")
			}
			if !g.Relation.Valid() {
				v.Add(f+".relation", "err.relation")
			}
			if !model.ValidPhone(g.Phone) {
				v.Add(f+".phone", "err.phone")
			}
		}
	}
	return v.Err()
}

func idNumberKey(err error) string {
	switch {
	case errors.Is(err, privacy.ErrIDCheckDigit):
		return "err.id_check_digit"
	case errors.Is(err, privacy.ErrIDBirthDate):
		return "err.id_birth_date"
	case errors.Is(err, privacy.ErrIDLength):
		return "err.id_length"
	}
	return "err.id_number"
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// CreateStudent adds a student to a class in the caller's write scope.
// sc1 is the caller's D1 write scope, sc2 the D2 write scope (contact fields
// are refused without it).
func (s *Store) CreateStudent(ctx context.Context, a Actor, sc1, sc2 authz.Scope, in StudentInput) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) (err error) {
		id, err = s.createStudentTx(ctx, tx, a, sc1, sc2, in, nil)
		return err
	})
	return id, err
}

// createStudentTx is CreateStudent inside tx; with a recounter the counter
// update waits for the end of a bulk change.
func (s *Store) createStudentTx(ctx context.Context, tx *sql.Tx, a Actor, sc1, sc2 authz.Scope, in StudentInput, rc *recounter) (int64, error) {
	in.normalize()
	if err := in.validate(true, s.now()); err != nil {
		return 0, err
	}
	var id int64
	err := func() error {
		var stmts *txStmts
		if rc != nil {
			stmts = rc.stmts
		}
		cls, err := s.classInScopeP(ctx, tx, stmts, sc1, *in.ClassID)
		if err != nil {
			return err
		}
		if in.touchesContact() && !sc2.Covers(cls.districtID, cls.schoolID, cls.id) {
			return &ValidationError{Fields: []FieldError{{"id_number", "err.no_contact_write"}}}
		}
		noIndex := s.studentNoIndex(*in.StudentNo)
		sealed, bidx, err := s.sealIDNumber(in.IDNumber, noIndex)
		if err != nil {
			return err
		}
		var cats model.CategorySet
		if in.Categories != nil {
			for _, c := range *in.Categories {
				cats = cats.With(c)
			}
		}
		now := msNow(s)
		err = stmts.row(ctx, tx, s.q(`INSERT INTO students (school_id, district_id, class_id, student_no, student_no_bidx, name, gender,
			birth_date, status, id_number, id_number_bidx, categories, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'enrolled', ?, ?, ?, ?, ?) RETURNING id`),
			cls.schoolID, cls.districtID, cls.id, displayStudentNo(*in.StudentNo), noIndex, *in.Name, string(*in.Gender), *in.BirthDate,
			sealed, bidx, int64(cats), now, now).Scan(&id)
		if err != nil {
			return studentConflict(mapErr(err))
		}
		if in.Guardians != nil {
			if err := s.insertGuardiansP(ctx, tx, stmts, id, cls.schoolID, cls.districtID, *in.Guardians); err != nil {
				return err
			}
		}
		if err := s.touched(ctx, tx, rc, group{cls.schoolID, cls.id}); err != nil {
			return err
		}
		return s.audited(ctx, tx, rc, a.entry(audit.ActStudentCreate, "student", id, cls.schoolID, cls.districtID))
	}()
	return id, err
}

// studentConflict names the field a unique violation is about.
func studentConflict(err error) error {
	if !errors.Is(err, ErrConflict) {
		return err
	}
	if strings.Contains(err.Error(), "id_number_bidx") {
		return &ValidationError{Fields: []FieldError{{"id_number", "err.id_number_taken"}}}
	}
	return &ValidationError{Fields: []FieldError{{"student_no", "err.student_no_taken"}}}
}

// sealIDNumber encrypts an ID number and computes its blind index; nil, nil
// for none.
func (s *Store) sealIDNumber(idNumber *string, noIndex []byte) ([]byte, []byte, error) {
	if idNumber == nil || *idNumber == "" {
		return nil, nil, nil
	}
	sealed, err := s.keys.Seal([]byte(*idNumber), idNumberAAD(noIndex))
	if err != nil {
		return nil, nil, fmt.Errorf("store: seal id number: %w", err)
	}
	return sealed, s.keys.BlindIndex(blindDomain, *idNumber), nil
}

type classRef struct{ id, schoolID, districtID int64 }

func (s *Store) classInScope(ctx context.Context, tx *sql.Tx, sc authz.Scope, classID int64) (classRef, error) {
	return s.classInScopeP(ctx, tx, nil, sc, classID)
}

func (s *Store) classInScopeP(ctx context.Context, tx *sql.Tx, stmts *txStmts, sc authz.Scope, classID int64) (classRef, error) {
	// A bulk change checks each class once (same scope throughout).
	if stmts != nil {
		if c, ok := stmts.classes[classID]; ok {
			return c, nil
		}
	}
	var c classRef
	err := stmts.row(ctx, tx, s.q("SELECT id, school_id, district_id FROM classes WHERE id = ? AND "+
		scopePred(sc, "district_id", "school_id", "id")), classID).Scan(&c.id, &c.schoolID, &c.districtID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, &ValidationError{Fields: []FieldError{{"class_id", "err.out_of_scope"}}}
	}
	if err == nil && stmts != nil {
		stmts.classes[classID] = c
	}
	return c, err
}

func (s *Store) replaceGuardians(ctx context.Context, tx *sql.Tx, studentID, schoolID, districtID int64, gs []model.Guardian) error {
	if _, err := tx.ExecContext(ctx, s.q("DELETE FROM guardians WHERE student_id = ?"), studentID); err != nil {
		return fmt.Errorf("store: clear guardians: %w", err)
	}
	return s.insertGuardians(ctx, tx, studentID, schoolID, districtID, gs)
}

// insertGuardians adds guardians to a pupil who has none yet.
func (s *Store) insertGuardians(ctx context.Context, tx *sql.Tx, studentID, schoolID, districtID int64, gs []model.Guardian) error {
	return s.insertGuardiansP(ctx, tx, nil, studentID, schoolID, districtID, gs)
}

func (s *Store) insertGuardiansP(ctx context.Context, tx *sql.Tx, stmts *txStmts, studentID, schoolID, districtID int64, gs []model.Guardian) error {
	for _, g := range gs {
		if _, err := stmts.exec(ctx, tx, s.q(`INSERT INTO guardians (student_id, school_id, district_id, name, relation, phone)
			VALUES (?, ?, ?, ?, ?, ?)`), studentID, schoolID, districtID, g.Name, string(g.Relation), g.Phone); err != nil {
			return fmt.Errorf("store: add guardian: %w", mapErr(err))
		}
	}
	return nil
}

// UpdateStudent changes the fields present in in. Identity fields need D1
// write scope (sc1), contact fields D2 write scope (sc2); a class change
// through this call must stay within the school (use MoveStudent otherwise).
func (s *Store) UpdateStudent(ctx context.Context, a Actor, sc1, sc2 authz.Scope, id int64, in StudentInput) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return s.updateStudentTx(ctx, tx, a, sc1, sc2, id, in, nil)
	})
}

// updateStudentTx is UpdateStudent inside tx (see createStudentTx).
func (s *Store) updateStudentTx(ctx context.Context, tx *sql.Tx, a Actor, sc1, sc2 authz.Scope, id int64, in StudentInput, rc *recounter) error {
	in.normalize()
	if err := in.validate(false, s.now()); err != nil {
		return err
	}
	return func() error {
		var cur struct {
			schoolID, districtID, classID int64
			birth                         string
			sealed, noIndex               []byte
		}
		err := tx.QueryRowContext(ctx, s.q("SELECT school_id, district_id, COALESCE(class_id, 0), birth_date, id_number, student_no_bidx FROM students st WHERE id = ? AND "+
			scopePred(sc1, "st.district_id", "st.school_id", "st.class_id")), id).
			Scan(&cur.schoolID, &cur.districtID, &cur.classID, &cur.birth, &cur.sealed, &cur.noIndex)
		if err != nil {
			return mapErr(err)
		}
		// The ID number's birth date must agree with the birth date the
		// pupil will have after this change.
		birth := cur.birth
		if in.BirthDate != nil {
			birth = *in.BirthDate
		}
		idNumber := ""
		if in.IDNumber != nil {
			idNumber = *in.IDNumber
		} else if len(cur.sealed) > 0 && in.BirthDate != nil {
			plain, err := s.keys.Open(cur.sealed, idNumberAAD(cur.noIndex))
			if err != nil {
				return fmt.Errorf("store: open id number of student %d: %w", id, err)
			}
			idNumber = string(plain)
		}
		if idNumber != "" {
			if b, err := privacy.IDBirthDate(idNumber); err == nil && b.Format(dateLayout) != birth {
				return &ValidationError{Fields: []FieldError{{"id_number", "err.id_birth_mismatch"}}}
			}
		}
		if in.touchesContact() && !sc2.Covers(cur.districtID, cur.schoolID, cur.classID) {
			return ErrNotFound
		}
		var sets []string
		var args []any
		var fields []string
		set := func(col string, v any) {
			sets, args, fields = append(sets, col+" = ?"), append(args, v), append(fields, col)
		}
		if in.ClassID != nil && *in.ClassID != cur.classID {
			cls, err := s.classInScope(ctx, tx, sc1, *in.ClassID)
			if err != nil {
				return err
			}
			if cls.schoolID != cur.schoolID {
				return &ValidationError{Fields: []FieldError{{"class_id", "err.class_other_school"}}}
			}
			set("class_id", cls.id)
		}
		if in.Name != nil {
			set("name", *in.Name)
		}
		if in.Gender != nil {
			set("gender", string(*in.Gender))
		}
		if in.BirthDate != nil {
			set("birth_date", *in.BirthDate)
		}
		noIndex := cur.noIndex
		if in.StudentNo != nil {
			if ni := s.studentNoIndex(*in.StudentNo); !bytes.Equal(ni, cur.noIndex) {
				noIndex = ni
				set("student_no", displayStudentNo(*in.StudentNo))
				set("student_no_bidx", noIndex)
			}
		}
		// The ID number is sealed with the student-number index as
		// associated data, so a new number (or a new ID) re-seals it.
		switch {
		case in.IDNumber != nil:
			sealed, bidx, err := s.sealIDNumber(in.IDNumber, noIndex)
			if err != nil {
				return err
			}
			set("id_number", sealed)
			set("id_number_bidx", bidx)
		case !bytes.Equal(noIndex, cur.noIndex) && len(cur.sealed) > 0:
			plain, err := s.keys.Open(cur.sealed, idNumberAAD(cur.noIndex))
			if err != nil {
				return fmt.Errorf("store: reseal id number of student %d: %w", id, err)
			}
			str := string(plain)
			sealed, _, err := s.sealIDNumber(&str, noIndex)
			if err != nil {
				return err
			}
			set("id_number", sealed)
		}
		if in.Categories != nil {
			var cats model.CategorySet
			for _, c := range *in.Categories {
				cats = cats.With(c)
			}
			set("categories", int64(cats))
		}
		if in.Guardians != nil {
			if err := s.replaceGuardians(ctx, tx, id, cur.schoolID, cur.districtID, *in.Guardians); err != nil {
				return err
			}
			fields = append(fields, "guardians")
		}
		if len(sets) > 0 {
			set("updated_at", msNow(s))
			if _, err := tx.ExecContext(ctx, s.q("UPDATE students SET "+strings.Join(sets, ", ")+" WHERE id = ?"), append(args, id)...); err != nil {
				return studentConflict(mapErr(err))
			}
			newClass := cur.classID
			if in.ClassID != nil {
				newClass = *in.ClassID
			}
			if err := s.touched(ctx, tx, rc, group{cur.schoolID, cur.classID}, group{cur.schoolID, newClass}); err != nil {
				return err
			}
		}
		e := a.entry(audit.ActStudentUpdate, "student", id, cur.schoolID, cur.districtID)
		e.Detail = "fields=" + strings.Join(fields, ",")
		return s.audited(ctx, tx, rc, e)
	}()
}

// MoveKind is what happens to a student on the roster.
type MoveKind string

// Moves.
const (
	MoveClass    MoveKind = "class"    // to another class of the same school
	MoveTransfer MoveKind = "transfer" // to another school of the city (class set by the receiving school), or out of the city
	MoveGraduate MoveKind = "graduate"
)

// MoveInput describes a move.
type MoveInput struct {
	Kind     MoveKind `json:"kind"`
	ClassID  int64    `json:"class_id,omitempty"`  // MoveClass
	SchoolID int64    `json:"school_id,omitempty"` // MoveTransfer; 0 = leaves the city
}

// MoveStudent changes a student's class, transfers them to another school
// or marks them graduated. The sending side needs D1 write scope; after a
// transfer the student leaves the sender's scope and waits, without a
// class, for the receiving school to place them.
func (s *Store) MoveStudent(ctx context.Context, a Actor, sc authz.Scope, id int64, in MoveInput) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var schoolID, districtID, classID int64
		var status string
		err := tx.QueryRowContext(ctx, s.q("SELECT school_id, district_id, COALESCE(class_id, 0), status FROM students st WHERE id = ? AND "+
			scopePred(sc, "st.district_id", "st.school_id", "st.class_id")), id).Scan(&schoolID, &districtID, &classID, &status)
		if err != nil {
			return mapErr(err)
		}
		if status != string(model.Enrolled) {
			return &ValidationError{Fields: []FieldError{{"kind", "err.not_enrolled"}}}
		}
		e := a.entry(audit.ActStudentMove, "student", id, schoolID, districtID)
		now := msNow(s)
		switch in.Kind {
		case MoveClass:
			cls, err := s.classInScope(ctx, tx, sc, in.ClassID)
			if err != nil {
				return err
			}
			if cls.schoolID != schoolID {
				return &ValidationError{Fields: []FieldError{{"class_id", "err.class_other_school"}}}
			}
			_, err = tx.ExecContext(ctx, s.q("UPDATE students SET class_id = ?, updated_at = ? WHERE id = ?"), cls.id, now, id)
			if err != nil {
				return mapErr(err)
			}
			e.Detail = fmt.Sprintf("kind=class from_class=%d to_class=%d", classID, cls.id)
		case MoveTransfer:
			if in.SchoolID == 0 {
				_, err = tx.ExecContext(ctx, s.q("UPDATE students SET status = ?, updated_at = ? WHERE id = ?"), string(model.Transferred), now, id)
				e.Detail = "kind=transfer to=outside_city"
				break
			}
			if in.SchoolID == schoolID {
				return &ValidationError{Fields: []FieldError{{"school_id", "err.same_school"}}}
			}
			var toDistrict int64
			if err := tx.QueryRowContext(ctx, s.q("SELECT district_id FROM schools WHERE id = ?"), in.SchoolID).Scan(&toDistrict); err != nil {
				return &ValidationError{Fields: []FieldError{{"school_id", "err.no_such_school"}}}
			}
			// Guardians carry the shard keys too, so they move with the child.
			if _, err := tx.ExecContext(ctx, s.q("UPDATE students SET school_id = ?, district_id = ?, class_id = NULL, updated_at = ? WHERE id = ?"),
				in.SchoolID, toDistrict, now, id); err != nil {
				return mapErr(err)
			}
			_, err = tx.ExecContext(ctx, s.q("UPDATE guardians SET school_id = ?, district_id = ? WHERE student_id = ?"), in.SchoolID, toDistrict, id)
			e.Detail = fmt.Sprintf("kind=transfer from_school=%d to_school=%d", schoolID, in.SchoolID)
		case MoveGraduate:
			_, err = tx.ExecContext(ctx, s.q("UPDATE students SET status = ?, updated_at = ? WHERE id = ?"), string(model.Graduated), now, id)
			e.Detail = "kind=graduate"
		default:
			return &ValidationError{Fields: []FieldError{{"kind", "err.move_kind"}}}
		}
		if err != nil {
			return mapErr(err)
		}
		groups := []group{{schoolID, classID}}
		switch in.Kind {
		case MoveClass:
			groups = append(groups, group{schoolID, in.ClassID})
		case MoveTransfer:
			if in.SchoolID != 0 {
				groups = append(groups, group{in.SchoolID, 0})
			}
		}
		if err := s.recount(ctx, tx, groups...); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, e)
	})
}

// UnplacedStudents counts students transferred into a school who wait for a
// class (so the receiving school sees them on its home page).
func (s *Store) UnplacedStudents(ctx context.Context, sc authz.Scope, schoolID int64) (int, error) {
	var n int
	err := s.readRow(ctx, s.q("SELECT COUNT(*) FROM students st WHERE st.school_id = ? AND st.class_id IS NULL AND st.status = 'enrolled' AND "+
		scopePred(sc, "st.district_id", "st.school_id", "")), schoolID).Scan(&n)
	return n, err
}

// EachStudent streams every student matching f within sc to fn, in roster
// order, and audits the export as one entry with the row count (exports
// are disclosures). keyOnly restricts to pupils with a key-student
// category and also returns their categories (D2: pass the D2 scope).
func (s *Store) EachStudent(ctx context.Context, a Actor, sc authz.Scope, f StudentFilter, keyOnly bool, fn func(StudentRow, []model.Category) error) (int, error) {
	where := []string{scopePred(sc, "st.district_id", "st.school_id", "st.class_id"), "st.status = 'enrolled'"}
	var args []any
	if f.SchoolID != 0 {
		where, args = append(where, "st.school_id = ?"), append(args, f.SchoolID)
	}
	if f.ClassID != 0 {
		where, args = append(where, "st.class_id = ?"), append(args, f.ClassID)
	}
	if keyOnly {
		where = append(where, "st.categories <> 0")
	}
	rows, err := s.read.QueryContext(ctx, s.q("SELECT "+studentRowCols+", st.categories"+studentFrom+" WHERE "+strings.Join(where, " AND ")+
		" ORDER BY c.grade, c.number, st.name, st.id"), args...)
	if err != nil {
		return 0, fmt.Errorf("store: export students: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var x StudentRow
		var cats int64
		if err := rows.Scan(&x.ID, &x.SchoolID, &x.DistrictID, &x.ClassID, &x.ClassName, &x.SchoolName,
			&x.StudentNo, &x.Name, &x.Gender, &x.BirthDate, &x.Status, &cats); err != nil {
			return n, err
		}
		var cs []model.Category
		if keyOnly {
			cs = model.CategorySet(cats).List()
		}
		if err := fn(x, cs); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	action := "export.students"
	if keyOnly {
		action = "export.key_students"
	}
	var districtID int64
	if err := s.readRow(ctx, s.q("SELECT district_id FROM schools WHERE id = ?"), f.SchoolID).Scan(&districtID); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return n, err
	}
	objType, objID := "school", f.SchoolID
	if f.ClassID != 0 {
		objType, objID = "class", f.ClassID
	}
	return n, s.AuditExport(ctx, a, action, objType, objID, f.SchoolID, districtID, n)
}

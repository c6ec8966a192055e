// Package importer reads the student and staff rosters schools upload —
// .xlsx workbooks and CSV files in UTF-8, GBK/GB18030 or UTF-16 — and turns
// each row into a normalised, validated record, together with a report of
// every problem found, by row and column, in words a school administrator
// can act on.
//
// The package is pure: it does no database, network or disk I/O (unless
// TempDir is set) and keeps no state between calls. It validates each row on its own and against the
// other rows of the same file (duplicate numbers); whether a student or
// class already exists is for the store to decide when the rows are
// committed, and the store validates again.
//
// Reading is streaming: an .xlsx sheet is decoded one row at a time with
// excelize's row iterator (the sheet's XML itself is held in memory, or in
// TempDir), and ReadEach hands each valid row to a callback, so a
// 200,000-row roster never sits in memory as records. Problem reports never quote cell
// contents, which are minors' personal data, only rows, columns and rules.
package importer

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"time"
	"unicode/utf8"

	"huhang/internal/model"
)

// Kind is the kind of roster being imported.
type Kind string

// Roster kinds.
const (
	Students Kind = "students"
	Staff    Kind = "staff"
)

// ErrKind is returned for a Kind other than Students or Staff, a
// programming error rather than a problem with the file.
var ErrKind = errors.New("importer: unknown roster kind")

// Problem is one thing wrong (or worth saying) about the file.
type Problem struct {
	// Row is the 1-based row number as the user sees it in the sheet (the
	// header is usually row 1); 0 means the file as a whole.
	Row int
	// Column is the header text as in the file ("身份证号"), or "" when the
	// problem is not about one column.
	Column string
	// Key is an i18n key listed in ProblemKeys, with texts in Messages.
	Key string
	// Args holds the message's argument, if it takes one (%s or %d).
	Args []any
	// Notice marks information (an ignored column) rather than an error.
	Notice bool
}

// StudentRow is one valid student row, normalised.
type StudentRow struct {
	Row       int    // sheet row number
	StudentNo string // normalised, upper case
	Name      string
	Gender    model.Gender
	BirthDate string // YYYY-MM-DD
	// IDNumber is the normalised resident ID number, "" if absent. For a G
	// student number with the ID number cell left empty it is the number's
	// ID part, as the store would record it.
	IDNumber   string
	Grade      int  // model grade; valid only if HasGrade
	HasGrade   bool // the grade column or the class ("初二(3)班") named a grade
	ClassNo    int  // class number within the grade; 0 if absent
	SchoolCode string
	Categories []model.Category // canonical order, no repeats
	Guardians  []model.Guardian // up to two, each with name, relation and phone
}

// StaffRow is one valid staff row, normalised.
type StaffRow struct {
	Row        int
	Name       string
	Gender     model.Gender
	Phone      string // digits only; "" if absent
	SchoolCode string
	Posts      []model.Post // at least one, no repeats
	// ClassGrade and ClassNo are the class a class teacher leads (or the
	// first class a teacher teaches), valid only if HasClass.
	ClassGrade int
	ClassNo    int
	HasClass   bool
}

// Result is what reading a roster found.
type Result struct {
	Kind     Kind
	Format   string       // FormatXLSX, FormatCSVUTF8, FormatCSVGB18030 or FormatCSVUTF16
	Header   []string     // the header row as in the file (trimmed)
	Students []StudentRow // rows without errors (Read only; nil from ReadEach)
	Staff    []StaffRow   // rows without errors (Read only; nil from ReadEach)
	Rows     int          // data rows read, excluding the header and blank rows
	Problems []Problem    // every error and notice, in row order (at most MaxProblems)

	errorRows int
	counted   bool
}

// ErrorRows returns the number of distinct rows with at least one problem
// that is not a notice. It stays exact when Problems is truncated.
func (r *Result) ErrorRows() int {
	if r.counted {
		return r.errorRows
	}
	rows := map[int]bool{}
	for _, p := range r.Problems {
		if p.Row > 0 && !p.Notice {
			rows[p.Row] = true
		}
	}
	return len(rows)
}

// Fatal reports whether the file as a whole was rejected (a problem on row
// 0 that is not a notice). Rows already passed to ReadEach's callbacks must
// then be discarded: the file is corrupt or over a limit, and importing
// part of it would leave a roster silently incomplete.
func (r *Result) Fatal() bool {
	for _, p := range r.Problems {
		if p.Row == 0 && !p.Notice {
			return true
		}
	}
	return false
}

// Limits bound what one upload may cost.
type Limits struct {
	MaxBytes     int64 // size of the uploaded file
	MaxRows      int   // data rows
	MaxCellRunes int   // characters in one cell
}

// DefaultLimits fit a large secondary school's roster (200,000 rows is a
// district's worth) with room to spare. A zero field in the Limits passed
// to Read means its default.
var DefaultLimits = Limits{MaxBytes: 20 << 20, MaxRows: 250_000, MaxCellRunes: 500}

func (l Limits) orDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultLimits.MaxRows
	}
	if l.MaxCellRunes <= 0 {
		l.MaxCellRunes = DefaultLimits.MaxCellRunes
	}
	return l
}

// MaxProblems caps the problems kept in a Result, so that a file wrong in
// every one of 200,000 rows yields a report a person can read and a server
// can hold; the rest are counted in an imp.problems_truncated notice.
var MaxProblems = 50_000

// Now is the clock used for age checks; tests replace it.
var Now = time.Now

// progressEvery is how many data rows pass between progress callbacks.
const progressEvery = 1000

// Read parses a roster file of the given kind. name is the uploaded file
// name, only a hint: the format is detected from the content. Read never
// panics; a corrupt, empty, password-protected or wrong-format file yields
// a Result with a file-level Problem (Row 0) and no rows, and a nil error.
// The error is reserved for I/O failures of r (and ErrKind). When the file
// is rejected as a whole (see Result.Fatal) no rows are returned.
func Read(r io.Reader, name string, kind Kind, lim Limits) (*Result, error) {
	var students []StudentRow
	var staff []StaffRow
	res, err := ReadEach(r, name, kind, lim, nil,
		func(s StudentRow) error { students = append(students, s); return nil },
		func(s StaffRow) error { staff = append(staff, s); return nil })
	if res != nil && !res.Fatal() {
		res.Students, res.Staff = students, staff
	}
	return res, err
}

// ReadEach is Read for huge files: it calls fnStudent (or fnStaff, by
// kind) for each valid row as it is read, and progress (if not nil) with
// the number of data rows read every thousand rows and at the end. The
// Result carries the problems but leaves Students and Staff nil. An error
// returned by a callback stops reading and is returned as is. If the
// Result is Fatal when ReadEach returns, the rows already handed over must
// be discarded.
func ReadEach(r io.Reader, name string, kind Kind, lim Limits, progress func(rowsRead int),
	fnStudent func(StudentRow) error, fnStaff func(StaffRow) error) (res *Result, err error) {
	if kind != Students && kind != Staff {
		return nil, ErrKind
	}
	_ = name // the content decides the format; the name is kept for the API's sake
	lim = lim.orDefaults()
	data, err := readLimited(r, lim.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("importer: read upload: %w", err)
	}
	res = &Result{Kind: kind, counted: true}
	rd := &reader{kind: kind, lim: lim, res: res, progress: progress, fnStudent: fnStudent, fnStaff: fnStaff}
	defer func() {
		if v := recover(); v != nil {
			if rd.inCallback {
				panic(v) // the caller's own panic is the caller's business
			}
			// A bug here or in a library must not take the server down:
			// the file is reported unreadable instead.
			res.Problems = append(res.Problems, Problem{Key: keyInternal})
			err = nil
			rd.finish()
		}
	}()
	if data == nil {
		rd.fileProblem(keyTooLarge, int(lim.MaxBytes>>20))
		rd.finish()
		return res, nil
	}
	err = rd.run(data)
	rd.finish()
	return res, err
}

// readLimited reads all of r, or returns nil data when r holds more than
// max bytes.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, nil
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// reader is the state of one read.
type reader struct {
	kind      Kind
	lim       Limits
	res       *Result
	progress  func(int)
	fnStudent func(StudentRow) error
	fnStaff   func(StaffRow) error

	cols       *columns
	date1904   bool
	schoolYear int // start year of the current school year
	today      time.Time
	seenNo     map[string]int // student number → first row
	seenID     map[string]int // ID number → first row
	cells      []string       // the current row, cleaned
	long       []bool         // the current row's cells over MaxCellRunes
	row        int
	rowBad     bool
	dropped    int
	inCallback bool
}

func (rd *reader) run(data []byte) error {
	src, format, p := openSource(data, rd.lim)
	rd.res.Format = format
	if p != nil {
		rd.res.Problems = append(rd.res.Problems, *p)
		return nil
	}
	defer src.close()
	if xs, ok := src.(*xlsxSource); ok {
		rd.date1904 = xs.date1904
	}
	now := Now()
	rd.today = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	rd.schoolYear = model.SchoolYearOf(now)
	rd.seenNo, rd.seenID = map[string]int{}, map[string]int{}

	candidates := 0
	for {
		row, raw, ok := src.next()
		if !ok {
			break
		}
		rd.clean(raw)
		if rd.blank() {
			continue
		}
		if rd.cols == nil {
			// Rows above the header (a title, a date) are skipped; the
			// header is the first row naming at least two known columns.
			if countRecognised(rd.kind, raw) >= 2 {
				rd.res.Header = rd.header(raw, row)
				if miss := rd.cols.missing(rd.kind); len(miss) > 0 {
					rd.fileProblem(keyMissingCols, joinLabels(miss))
					return nil
				}
				continue
			}
			if candidates++; candidates >= 10 {
				rd.fileProblem(keyNoHeader)
				return nil
			}
			continue
		}
		if rd.res.Rows >= rd.lim.MaxRows {
			rd.fileProblem(keyTooManyRows, rd.lim.MaxRows)
			return nil
		}
		rd.res.Rows++
		if err := rd.dataRow(row); err != nil {
			return err
		}
		if rd.progress != nil && rd.res.Rows%progressEvery == 0 {
			rd.callProgress()
		}
	}
	if p := src.failure(); p != nil {
		rd.res.Problems = append(rd.res.Problems, *p)
		return nil
	}
	switch {
	case rd.cols == nil && candidates == 0:
		rd.fileProblem(keyEmpty)
	case rd.cols == nil:
		rd.fileProblem(keyNoHeader)
	case rd.res.Rows == 0:
		rd.fileProblem(keyNoRows)
	}
	return nil
}

func (rd *reader) callProgress() {
	rd.inCallback = true
	rd.progress(rd.res.Rows)
	rd.inCallback = false
}

// clean normalises the current row's cells into rd.cells.
func (rd *reader) clean(raw []string) {
	rd.cells = rd.cells[:0]
	for _, c := range raw {
		rd.cells = append(rd.cells, NormalizeText(c))
	}
}

func (rd *reader) blank() bool {
	for _, c := range rd.cells {
		if c != "" {
			return false
		}
	}
	return true
}

func (rd *reader) header(raw []string, row int) []string {
	rd.cols = mapHeader(rd.kind, raw, row, rd.add)
	return rd.cols.header
}

// dataRow validates one data row and hands it on if it has no errors.
func (rd *reader) dataRow(row int) error {
	rd.row, rd.rowBad = row, false
	rd.checkLengths()
	var err error
	switch rd.kind {
	case Students:
		s, ok := rd.student()
		if ok && !rd.rowBad && rd.fnStudent != nil {
			rd.inCallback = true
			err = rd.fnStudent(s)
			rd.inCallback = false
		}
	case Staff:
		s, ok := rd.staff()
		if ok && !rd.rowBad && rd.fnStaff != nil {
			rd.inCallback = true
			err = rd.fnStaff(s)
			rd.inCallback = false
		}
	}
	if rd.rowBad {
		rd.res.errorRows++
	}
	return err
}

// checkLengths reports the used cells longer than MaxCellRunes; such a
// cell is treated as unusable (see cell).
func (rd *reader) checkLengths() {
	rd.long = rd.long[:0]
	for range rd.cells {
		rd.long = append(rd.long, false)
	}
	for f := fNone + 1; f < numFields; f++ {
		i := rd.cols.idx[f]
		if i < 0 || i >= len(rd.cells) {
			continue
		}
		c := rd.cells[i]
		if len(c) > rd.lim.MaxCellRunes && utf8.RuneCountInString(c) > rd.lim.MaxCellRunes {
			rd.long[i] = true
			rd.problem(f, keyCellTooLong, rd.lim.MaxCellRunes)
		}
	}
}

// cell returns the current row's cleaned value of a field and whether the
// column exists and the cell is usable (not over the length limit).
func (rd *reader) cell(f field) (string, bool) {
	i := rd.cols.idx[f]
	if i < 0 {
		return "", false
	}
	if i >= len(rd.cells) {
		return "", true
	}
	if rd.long[i] {
		return "", false
	}
	return rd.cells[i], true
}

// problem records an error on the current row in a field's column.
func (rd *reader) problem(f field, key string, args ...any) {
	rd.add(Problem{Row: rd.row, Column: rd.cols.name(f), Key: key, Args: args})
}

// notice records a notice on the current row in a field's column.
func (rd *reader) notice(f field, key string) {
	rd.add(Problem{Row: rd.row, Column: rd.cols.name(f), Key: key, Notice: true})
}

func (rd *reader) fileProblem(key string, args ...any) {
	rd.add(Problem{Key: key, Args: args})
}

func (rd *reader) add(p Problem) {
	if p.Row > 0 && !p.Notice {
		rd.rowBad = true
	}
	if len(rd.res.Problems) >= MaxProblems && p.Row > 0 {
		rd.dropped++
		return
	}
	rd.res.Problems = append(rd.res.Problems, p)
}

// finish puts problems in row order and reports truncation and progress.
func (rd *reader) finish() {
	if rd.dropped > 0 {
		rd.res.Problems = append(rd.res.Problems, Problem{Key: keyProblemsTrunc, Args: []any{rd.dropped}, Notice: true})
	}
	sort.SliceStable(rd.res.Problems, func(i, j int) bool { return rd.res.Problems[i].Row < rd.res.Problems[j].Row })
	if rd.progress != nil && !rd.inCallback {
		rd.callProgress()
	}
}

func joinLabels(labels []string) string {
	out := ""
	for i, l := range labels {
		if i > 0 {
			out += "、"
		}
		out += l
	}
	return out
}

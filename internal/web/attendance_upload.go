package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"huhang/internal/importer"
	"huhang/internal/store"
)

// Attendance sheets (issue 5): the lists training providers send back,
// uploaded on a session's page. The first step reads the sheet and shows
// every row with what was read from it and what is wrong with it; the
// second records all rows or none (RecordAttendance is all or nothing),
// naming a refused row by its row number in the sheet.

// maxSheetBytes bounds an attendance sheet; maxSheetRows is what
// RecordAttendance accepts at a time.
const (
	maxSheetBytes = 5 << 20
	maxSheetRows  = 5000
)

// sheetColumn is what a column of an attendance sheet holds.
type sheetColumn int

const (
	colNone sheetColumn = iota
	colStaff
	colPassed
	colHours
	colName
)

// sheetHeaders maps a header (as sheetHeaderKey normalises it) to its
// column.
var sheetHeaders = map[string]sheetColumn{
	"工号": colStaff, "staffid": colStaff, "教师编号": colStaff, "id": colStaff, "职工号": colStaff,
	"是否合格": colPassed, "合格": colPassed, "passed": colPassed, "考核结果": colPassed,
	"学时": colHours, "hours": colHours, "认定学时": colHours,
	"姓名": colName, "name": colName,
}

// sheetHeaderKey normalises a header cell: case, width, spacing, a
// required-field star and bracketed remarks ("学时(小时)") do not change it.
func sheetHeaderKey(s string) string {
	s = strings.ToLower(importer.NormalizeText(s))
	for _, br := range [][2]string{{"(", ")"}, {"（", "）"}} {
		if i := strings.Index(s, br[0]); i > 0 {
			if j := strings.LastIndex(s, br[1]); j > i {
				s = s[:i] + s[j+len(br[1]):]
			}
		}
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '.', ':', '*', '：', '\t':
			return -1
		}
		return r
	}, s)
}

// sheetRow is one data row of a sheet as the preview shows it.
type sheetRow struct {
	Row      int
	Staff    string
	Name     string
	Passed   string // the cell as written
	Hours    string
	Problems []string
}

// sheetItem is one read row, carried from the preview to the confirmation.
type sheetItem struct {
	Row     int     `json:"r"`
	StaffID int64   `json:"s"`
	Passed  bool    `json:"p"`
	Hours   float64 `json:"h"`
}

// sheetPreview is a read sheet: its rows, notices about its columns, and
// the read rows sealed for the confirmation when nothing is wrong.
type sheetPreview struct {
	FileName string
	Rows     []sheetRow
	Notices  []string
	Bad      int
	Payload  string
	items    []sheetItem
}

// readSheet reads an attendance sheet. A problem with the file as a whole
// is returned as the problem's message (and no preview).
func (s *Server) readSheet(c *reqCtx, name string, data []byte) (*sheetPreview, string) {
	t := func(k string, args ...any) string { return s.cat.T(c.locale, k, args...) }
	pv := &sheetPreview{FileName: name}
	var cols []sheetColumn
	has := map[sheetColumn]bool{}
	tooMany := false
	p, err := importer.EachRawRow(data, importer.Limits{MaxBytes: maxSheetBytes}, func(row int, cells []string) error {
		blank := true
		for _, x := range cells {
			if strings.TrimSpace(importer.NormalizeText(x)) != "" {
				blank = false
				break
			}
		}
		if blank {
			return nil
		}
		if cols == nil { // the first row with anything in it is the header
			cols = make([]sheetColumn, len(cells))
			for i, h := range cells {
				col := sheetHeaders[sheetHeaderKey(h)]
				if col != colNone && has[col] {
					col = colNone // a second column of the same kind is ignored
				}
				cols[i], has[col] = col, true
				if col == colNone && strings.TrimSpace(h) != "" {
					pv.Notices = append(pv.Notices, t("train.sheet_column_ignored", row, strings.TrimSpace(importer.NormalizeText(h))))
				}
			}
			return nil
		}
		if len(pv.Rows) >= maxSheetRows {
			tooMany = true
			return errStopSheet
		}
		sr := sheetRow{Row: row}
		it := sheetItem{Row: row, Passed: true}
		var hours string
		for i, x := range cells {
			if i >= len(cols) {
				break
			}
			x = strings.TrimSpace(importer.NormalizeText(x))
			switch cols[i] {
			case colStaff:
				sr.Staff = x
			case colName:
				sr.Name = x
			case colPassed:
				sr.Passed = x
			case colHours:
				sr.Hours, hours = x, x
			}
		}
		if sid, ok := parseStaffID(sr.Staff); ok {
			it.StaffID = sid
		} else if sr.Staff == "" {
			sr.Problems = append(sr.Problems, t("train.f_staff_id")+"："+t("train.err_sheet_staff_missing"))
		} else {
			sr.Problems = append(sr.Problems, t("train.f_staff_id")+"："+t("train.err_staff_id"))
		}
		if has[colPassed] {
			if v, ok := parsePassed(sr.Passed); ok {
				it.Passed = v
			} else {
				sr.Problems = append(sr.Problems, t("train.passed")+"："+t("train.err_sheet_passed"))
			}
		}
		in := store.AttendanceInput{Passed: it.Passed}
		if !parseHours(strings.TrimSuffix(strings.TrimSuffix(hours, "学时"), "h"), &in) {
			sr.Problems = append(sr.Problems, t("train.f_hours")+"："+t("train.err_hours_number"))
		}
		it.Hours = in.Hours
		if len(sr.Problems) > 0 {
			pv.Bad++
		}
		pv.Rows = append(pv.Rows, sr)
		pv.items = append(pv.items, it)
		return nil
	})
	switch {
	case err != nil && err != errStopSheet:
		return nil, t("imp.internal")
	case p != nil:
		return nil, s.problemText(c.locale, *p)
	case tooMany:
		return nil, t("train.err_items")
	case cols == nil:
		return nil, t("imp.empty")
	}
	var missing []string
	if !has[colStaff] {
		missing = append(missing, "工号")
	}
	if !has[colHours] {
		missing = append(missing, "学时")
	}
	if len(missing) > 0 {
		return nil, t("train.err_sheet_columns", strings.Join(missing, "、"))
	}
	if len(pv.Rows) == 0 {
		return nil, t("imp.no_rows")
	}
	if pv.Bad == 0 {
		b, _ := json.Marshal(pv.items)
		pv.Payload = string(b)
	}
	return pv, ""
}

var errStopSheet = fmt.Errorf("web: attendance sheet too long")

// parseStaffID reads a staff id cell; a spreadsheet may show a number as
// "1001.0".
func parseStaffID(v string) (int64, bool) {
	v = strings.TrimSuffix(v, ".0")
	id, err := strconv.ParseInt(v, 10, 64)
	return id, err == nil && id > 0
}

// parsePassed reads a pass/fail cell: 合格/不合格, 通过/未通过, pass/fail, and
// the yes/no forms the roster import reads.
func parsePassed(v string) (passed, ok bool) {
	switch strings.ToLower(v) {
	case "":
		return false, false
	case "合格", "通过", "pass", "passed", "ok":
		return true, true
	case "不合格", "未通过", "不通过", "fail", "failed":
		return false, true
	}
	return importer.ParseYesNo(v)
}

// attendanceUpload reads an uploaded attendance sheet and shows it
// (without confirm=1), or records its rows all or nothing (confirm=1, with
// the sheet again or with the rows the preview carried).
func (s *Server) attendanceUpload(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t := func(k string, args ...any) string { return s.cat.T(c.locale, k, args...) }
	fail := func(key string, args ...any) error {
		return s.sessionView(w, r, c, http.StatusBadRequest, attendanceForm{},
			[]rowProblem{{Field: t("train.sheet_file"), Message: t(key, args...)}})
	}
	// Keep the sheet in memory: it names staff and must not spill to disk.
	if err := r.ParseMultipartForm(maxSheetBytes + 1<<20); err != nil {
		return fail("err.upload")
	}
	confirm := r.FormValue("confirm") == "1"
	var pv *sheetPreview
	if f, hdr, err := r.FormFile("file"); err == nil {
		data, err := io.ReadAll(io.LimitReader(f, maxSheetBytes+1))
		f.Close()
		if err != nil || len(data) > maxSheetBytes {
			return fail("train.err_sheet_size")
		}
		if len(data) == 0 {
			return fail("imp.empty")
		}
		var msg string
		if pv, msg = s.readSheet(c, cleanFileName(hdr.Filename), data); msg != "" {
			return s.sessionView(w, r, c, http.StatusBadRequest, attendanceForm{},
				[]rowProblem{{Field: t("train.sheet_file"), Message: msg}})
		}
		if !confirm || pv.Bad > 0 {
			status := http.StatusOK
			if pv.Bad > 0 {
				status = http.StatusBadRequest
			}
			return s.sessionView(w, r, c, status, attendanceForm{Sheet: pv}, nil)
		}
	} else if confirm && r.FormValue("rows") != "" {
		pv = &sheetPreview{}
		if err := json.Unmarshal([]byte(r.FormValue("rows")), &pv.items); err != nil || len(pv.items) == 0 {
			return fail("err.upload")
		}
	} else {
		return fail("err.required")
	}
	if len(pv.items) > maxSheetRows {
		return fail("train.err_items")
	}
	items := make([]store.AttendanceInput, len(pv.items))
	for i, it := range pv.items {
		items[i] = store.AttendanceInput{StaffID: it.StaffID, Passed: it.Passed, Hours: it.Hours}
	}
	label := func(i int) string {
		if i >= 0 && i < len(pv.items) {
			return t("train.row", pv.items[i].Row, strconv.FormatInt(pv.items[i].StaffID, 10))
		}
		return ""
	}
	_, err = s.store.RecordAttendance(r.Context(), c.actor(r), c.recordScope(), id, items)
	if ps, ok := s.problemsOf(c, err, label); ok {
		return s.sessionView(w, r, c, http.StatusBadRequest, attendanceForm{}, ps)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/training/sessions/%d?done=%d", id, len(items)), http.StatusSeeOther)
	return nil
}

package web_test

// Roster exports (.xlsx) and the staff import: the file says who exported
// it, no cell can become a formula even when a school or class name is
// built to be one, the download keeps its Chinese name, every export is
// one audit entry with a row count and no names, and the key-pupil list
// holds key pupils only. All names here are made up.

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/store"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// workbook is a downloaded export, read back.
type workbook struct {
	sheets []string
	rows   [][]string // the first sheet's rows, as shown
	text   string     // sheet names and every cell, one per line
	// formulas lists cells of any sheet that carry a formula.
	formulas []string
}

// readXLSX opens an .xlsx body; a body that is not one fails the test.
func readXLSX(t testing.TB, where string, body []byte) *workbook {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: not an .xlsx workbook: %v", where, err)
	}
	defer f.Close()
	wb := &workbook{sheets: f.GetSheetList()}
	var text strings.Builder
	for i, sh := range wb.sheets {
		text.WriteString(sh + "\n")
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatalf("%s: sheet %q: %v", where, sh, err)
		}
		if i == 0 {
			wb.rows = rows
		}
		for r, row := range rows {
			for c, v := range row {
				text.WriteString(v + "\n")
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if fm, err := f.GetCellFormula(sh, cell); err != nil || fm != "" {
					wb.formulas = append(wb.formulas, fmt.Sprintf("%s!%s=%q (%v)", sh, cell, fm, err))
				}
			}
		}
	}
	wb.text = text.String()
	// The raw sheets too: a formula is an <f> element, whatever a reader
	// library makes of it.
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("%s: not a zip: %v", where, err)
	}
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") || !strings.HasSuffix(zf.Name, ".xml") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(b, []byte("<f>")) || bytes.Contains(b, []byte("<f ")) {
			wb.formulas = append(wb.formulas, zf.Name+" holds an <f> element")
		}
	}
	return wb
}

// maskedName is a name as lists show it to roles without full names.
var maskedName = regexp.MustCompile(`^[^*]\*+[^*]?$`)

// checkExport checks an export the matrix was allowed: a workbook with the
// watermark naming the caller, a header and rows, nothing from outside the
// caller's scope, names masked for a principal and full for the roles that
// work with named pupils, and no formula.
func checkExport(t *testing.T, where string, c caller, fx *fixtures, rs routeSpec, pos string, p *position, r *response) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != xlsxType {
		t.Errorf("%s: Content-Type %q, want %q", where, ct, xlsxType)
		return
	}
	wb := readXLSX(t, where, r.body)
	if leak := leaked(c, fx, []byte(wb.text)); leak != "" {
		t.Errorf("%s: the workbook holds %q, which the caller may not see", where, leak)
	}
	if len(wb.formulas) > 0 {
		t.Errorf("%s: formulas in the workbook: %v", where, wb.formulas)
	}
	cols := map[string]int{"students": 5, "key_students": 6, "staff": 4}[rs.xlsx]
	if len(wb.rows) < 3 {
		t.Errorf("%s: %d rows; want the watermark, the header and data", where, len(wb.rows))
		return
	}
	if len(wb.rows[0]) == 0 || !strings.Contains(wb.rows[0][0], c.name) {
		t.Errorf("%s: first row %q does not name the exporting user %s", where, wb.rows[0], c.name)
	}
	if len(wb.rows[1]) != cols || slices.Contains(wb.rows[1], "") {
		t.Errorf("%s: header %q, want %d named columns", where, wb.rows[1], cols)
	}
	data := wb.rows[2:]
	if rs.xlsx == "staff" {
		for _, n := range p.staffNames {
			if !strings.Contains(wb.text, n) {
				t.Errorf("%s: staff member %s of the school is missing", where, n)
			}
		}
		return
	}
	// Pupils: the name is the third column.
	full := c.role == authz.SchoolAdmin || c.role == authz.PsychTeacher
	if c.role != authz.Principal && !full {
		t.Errorf("%s: %s may export pupils: the matrix does not know whether it sees full names", where, c.role)
		return
	}
	for i, row := range data {
		if len(row) < 3 || row[2] == "" {
			t.Errorf("%s: data row %d has no name: %q", where, i+1, row)
			continue
		}
		if masked := maskedName.MatchString(row[2]); masked != !full {
			t.Errorf("%s: %s gets name %q on row %d; want it %s", where, c.role, row[2], i+3,
				map[bool]string{true: "in full", false: "masked (张*明)"}[full])
		}
		if rs.xlsx == "key_students" && (len(row) < 6 || row[5] == "") {
			t.Errorf("%s: row %d is not a key pupil: %q", where, i+3, row)
		}
	}
	if rs.xlsx == "students" {
		for _, n := range p.students {
			switch {
			case full && !strings.Contains(wb.text, n):
				t.Errorf("%s: pupil %s of the class is missing", where, n)
			case !full && strings.Contains(wb.text, n):
				t.Errorf("%s: a principal's export holds the full name %s", where, n)
			}
		}
	}
}

// ---- a school whose name is a formula ------------------------------------

// formulaSchool is a school of the demo district named "=1+1测试学校" with a
// class named like a HYPERLINK formula, three pupils (one a key pupil) and
// a staff member, and a data administrator there.
type formulaSchool struct {
	school, class int64
	className     string
	pupils        []string // pupils[0] is the key pupil
	staff         string
	user          string
	userID        int64
	cl            *client
}

const formulaSchoolName = "=1+1测试学校"

func newFormulaSchool(t *testing.T, e *env) *formulaSchool {
	t.Helper()
	ctx := context.Background()
	a := store.SystemActor
	var b [2]byte
	rand.Read(b[:])
	suffix := strings.ToUpper(hex.EncodeToString(b[:]))
	fs := &formulaSchool{className: `=HYPERLINK("http://example.invalid/","点击")`,
		pupils: []string{"等号校学生甲", "等号校学生乙", "等号校学生丙"}, staff: "等号校教师"}
	var err error
	fs.school, err = e.st.CreateSchool(ctx, a, city, store.SchoolInput{DistrictID: e.fx.own.district, Code: "TEST-EQ-" + suffix,
		Name: formulaSchoolName, Type: model.Primary, Address: "=测试路2号"})
	must(t, err)
	ref, err := e.st.GetClass(ctx, city, e.fx.own.class)
	must(t, err)
	fs.class, err = e.st.CreateClass(ctx, a, city, store.ClassInput{SchoolID: fs.school, StartYear: ref.StartYear, Grade: ref.Grade,
		Number: 1, Name: fs.className})
	must(t, err)
	seq := 100 + int(b[0])%800
	for i, n := range fs.pupils {
		in := newStudent(fs.class, "20160501", seq+i, n, model.Female)
		id := idNumber("519987", "20160501", seq+i)
		no := "G" + id
		in.IDNumber, in.StudentNo = &id, &no
		if i == 0 {
			cats := []model.Category{model.CatLeftBehind}
			in.Categories = &cats
		}
		_, err := e.st.CreateStudent(ctx, a, city, city, in)
		must(t, err)
	}
	_, err = e.st.CreateStaff(ctx, a, city, store.StaffInput{SchoolID: fs.school, Name: fs.staff, Gender: model.Female, Phone: "13900000002",
		Posts: []model.StaffPost{{Post: model.PostClassTeacher, ClassID: fs.class}, {Post: model.PostSubjectTeacher}}})
	must(t, err)
	var pw string
	fs.user, fs.userID, pw = e.newUser(t, "eqadmin", authz.At(authz.SchoolAdmin, fs.school))
	fs.cl = e.fresh(t, fs.user, pw)
	return fs
}

// downloadName returns the file name a browser shows: filename*, decoded.
func downloadName(t *testing.T, r *response) string {
	t.Helper()
	cd := r.header.Get("Content-Disposition")
	if !strings.Contains(cd, "filename*=UTF-8''") {
		t.Errorf("%s: Content-Disposition %q has no UTF-8 filename*", r, cd)
	}
	kind, params, err := mime.ParseMediaType(cd)
	if err != nil || kind != "attachment" {
		t.Fatalf("%s: Content-Disposition %q: %v", r, cd, err)
	}
	return params["filename"]
}

// exportAudits returns the user's audit entries of action, newest first.
func exportAudits(t *testing.T, e *env, uid int64, action string) []audit.Entry {
	t.Helper()
	xs, err := e.st.SearchAudit(context.Background(), store.AuditFilter{ActorID: uid, Action: action, Limit: 100})
	must(t, err)
	return xs
}

// checkAudit expects exactly one new entry of action since before, for the
// object, with the row count in its detail and no name in it.
func checkAudit(t *testing.T, e *env, fs *formulaSchool, action string, before int, objType string, objID int64, rows int) {
	t.Helper()
	xs := exportAudits(t, e, fs.userID, action)
	if len(xs) != before+1 {
		t.Errorf("%s: %d audit entries for one export, want 1", action, len(xs)-before)
		if len(xs) <= before {
			return
		}
	}
	x := xs[0]
	if x.ObjectType != objType || x.ObjectID != objID {
		t.Errorf("%s: audit entry is about %s %d, want %s %d", action, x.ObjectType, x.ObjectID, objType, objID)
	}
	if x.SchoolID != fs.school {
		t.Errorf("%s: audit entry names school %d, want %d (audit searches by school must find it)", action, x.SchoolID, fs.school)
	}
	if want := fmt.Sprintf("rows=%d", rows); !strings.Contains(x.Detail, want) {
		t.Errorf("%s: audit detail %q lacks the row count %s", action, x.Detail, want)
	}
	for _, n := range append(slices.Clone(fs.pupils), fs.staff, formulaSchoolName, fs.className, "测试学校") {
		if strings.Contains(x.Detail, n) {
			t.Errorf("%s: audit detail %q holds the name %q", action, x.Detail, n)
		}
	}
}

func TestExports(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		fs := newFormulaSchool(t, e)
		today := time.Now().Format("2006-01-02")

		// common checks of one export; returns the data rows.
		get := func(t *testing.T, path, action string) ([][]string, *workbook, *response, int) {
			t.Helper()
			before := len(exportAudits(t, e, fs.userID, action))
			r := fs.cl.get(path)
			if r.status != http.StatusOK {
				t.Fatalf("%s", r)
			}
			if ct := r.header.Get("Content-Type"); ct != xlsxType {
				t.Errorf("%s: Content-Type %q", r, ct)
			}
			checkHeaders(t, r)
			wb := readXLSX(t, path, r.body)
			if len(wb.sheets) != 1 {
				t.Errorf("%s: sheets %q, want one", path, wb.sheets)
			}
			if len(wb.rows) < 2 {
				t.Fatalf("%s: %d rows", path, len(wb.rows))
			}
			// The first row is the watermark naming who exported, alone.
			if len(wb.rows[0]) != 1 || !strings.Contains(wb.rows[0][0], fs.user) || !strings.Contains(wb.rows[0][0], "导出人") {
				t.Errorf("%s: first row %q, want the watermark naming %s", path, wb.rows[0], fs.user)
			}
			if len(wb.formulas) > 0 {
				t.Errorf("%s: formulas: %v", path, wb.formulas)
			}
			for i, row := range wb.rows {
				for _, v := range row {
					if v != "" && strings.ContainsRune("=+-@", []rune(v)[0]) {
						t.Errorf("%s: row %d cell %q could be read as a formula", path, i+1, v)
					}
				}
			}
			return wb.rows[2:], wb, r, before
		}

		t.Run("staff", func(t *testing.T) {
			rows, wb, r, before := get(t, fmt.Sprintf("/schools/%d/staff.xlsx", fs.school), "export.staff")
			if name := downloadName(t, r); name != formulaSchoolName+"_教职工_"+today+".xlsx" {
				t.Errorf("download name %q", name)
			}
			if wb.sheets[0] != formulaSchoolName {
				t.Errorf("sheet name %q, want %q", wb.sheets[0], formulaSchoolName)
			}
			if !slices.Equal(wb.rows[1], []string{"姓名", "性别", "电话", "岗位"}) {
				t.Errorf("header %q", wb.rows[1])
			}
			if len(rows) != 1 || !slices.Equal(rows[0], []string{fs.staff, "女", "13900000002", "班主任、学科教师"}) {
				t.Errorf("rows %q", rows)
			}
			checkAudit(t, e, fs, "export.staff", before, "school", fs.school, 1)
		})

		t.Run("school pupils", func(t *testing.T) {
			rows, wb, r, before := get(t, fmt.Sprintf("/schools/%d/students.xlsx", fs.school), "export.students")
			if name := downloadName(t, r); name != formulaSchoolName+"_学生_"+today+".xlsx" {
				t.Errorf("download name %q", name)
			}
			if wb.sheets[0] != formulaSchoolName+"_学生" {
				t.Errorf("sheet name %q", wb.sheets[0])
			}
			if !slices.Equal(wb.rows[1], []string{"班级", "学籍号", "姓名", "性别", "出生日期"}) {
				t.Errorf("header %q", wb.rows[1])
			}
			var names []string
			for _, row := range rows {
				if len(row) != 5 {
					t.Errorf("row %q", row)
					continue
				}
				names = append(names, row[2])
				// The class name is kept, quoted so it stays text.
				if row[0] != "'"+fs.className {
					t.Errorf("class cell %q, want %q", row[0], "'"+fs.className)
				}
			}
			slices.Sort(names)
			want := slices.Sorted(slices.Values(fs.pupils))
			if !slices.Equal(names, want) {
				t.Errorf("pupils %q, want %q in full", names, want)
			}
			checkAudit(t, e, fs, "export.students", before, "school", fs.school, 3)
		})

		t.Run("class pupils", func(t *testing.T) {
			rows, wb, r, before := get(t, fmt.Sprintf("/classes/%d/students.xlsx", fs.class), "export.students")
			name := downloadName(t, r)
			if !strings.HasPrefix(name, formulaSchoolName+"_") || !strings.HasSuffix(name, "_"+today+".xlsx") ||
				!strings.Contains(name, "HYPERLINK") || strings.ContainsAny(name, `"/\:`) {
				t.Errorf("download name %q", name)
			}
			if !strings.HasPrefix(wb.sheets[0], formulaSchoolName+"_") || strings.ContainsAny(wb.sheets[0], `:\/?*[]`) {
				t.Errorf("sheet name %q", wb.sheets[0])
			}
			if len(rows) != 3 {
				t.Errorf("%d rows, want 3", len(rows))
			}
			checkAudit(t, e, fs, "export.students", before, "class", fs.class, 3)
		})

		t.Run("key pupils only", func(t *testing.T) {
			rows, _, r, before := get(t, fmt.Sprintf("/schools/%d/key-students.xlsx", fs.school), "export.key_students")
			if name := downloadName(t, r); name != formulaSchoolName+"_重点学生名单_"+today+".xlsx" {
				t.Errorf("download name %q", name)
			}
			if len(rows) != 1 || len(rows[0]) != 6 || rows[0][2] != fs.pupils[0] || rows[0][5] == "" {
				t.Errorf("rows %q, want only %s with categories", rows, fs.pupils[0])
			}
			checkAudit(t, e, fs, "export.key_students", before, "school", fs.school, 1)

			// The demo school: every row has categories, and fewer rows
			// than pupils.
			admin := e.as(t, "schooladmin")
			r = admin.get(fmt.Sprintf("/schools/%d/key-students.xlsx", e.fx.own.school))
			if r.status != http.StatusOK {
				t.Fatalf("%s", r)
			}
			wb := readXLSX(t, r.path, r.body)
			all := admin.get(fmt.Sprintf("/schools/%d/students.xlsx", e.fx.own.school))
			wbAll := readXLSX(t, all.path, all.body)
			if len(wb.rows) <= 2 || len(wb.rows) >= len(wbAll.rows) {
				t.Errorf("key pupils: %d rows of %d", len(wb.rows)-2, len(wbAll.rows)-2)
			}
			for i, row := range wb.rows[2:] {
				if len(row) < 6 || row[5] == "" {
					t.Errorf("key-pupil row %d has no category: %q", i+3, row)
				}
			}
		})

		t.Run("principal sees masked names", func(t *testing.T) {
			name, _, pw := e.newUser(t, "eqprincipal", authz.At(authz.Principal, fs.school))
			r := e.fresh(t, name, pw).get(fmt.Sprintf("/schools/%d/students.xlsx", fs.school))
			if r.status != http.StatusOK {
				t.Fatalf("%s", r)
			}
			wb := readXLSX(t, r.path, r.body)
			for _, n := range fs.pupils {
				if strings.Contains(wb.text, n) {
					t.Errorf("a principal's export holds the full name %s", n)
				}
			}
			for _, row := range wb.rows[2:] {
				if len(row) < 3 || !maskedName.MatchString(row[2]) {
					t.Errorf("row %q: name not masked", row)
				}
			}
		})
	})
}

// ---- staff import --------------------------------------------------------

func staffCSV(rows ...[]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"姓名", "性别", "联系电话", "岗位", "班主任班级"})
	w.WriteAll(rows)
	return b.Bytes()
}

// A school imports a staff list through the API: a new teacher who is a
// class teacher and a subject teacher of an existing class; the same file
// again changes nothing.
func TestStaffImport(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		school := e.fx.own.school
		classes, err := e.st.ListClasses(ctx, city, school)
		must(t, err)
		var cl store.ClassSummary
		for _, c := range classes {
			if c.ID != e.fx.own.class && c.ID != e.fx.ownTeam.class && c.ID != e.fx.classmate.class {
				cl = c
				break
			}
		}
		if cl.ID == 0 {
			cl = classes[0]
		}
		const name = "导入测试教师"
		file := staffCSV([]string{name, "女", "13900002222", "班主任、学科教师", model.ClassName(cl.Grade, cl.Number)})

		admin := e.bearer(t, e.fx.users["schooladmin"])
		r := admin.upload(t, "/api/v1/imports", "staff", school, "教职工.csv", file)
		if r.status != http.StatusAccepted {
			t.Fatalf("upload: %s", r)
		}
		var created struct{ ID int64 }
		r.json(t, &created)
		st := wait(t, admin, created.ID)
		if st.Job.Phase != "previewed" || st.Job.Counts.New != 1 || st.Job.Counts.Errors != 0 || st.Job.Counts.Total != 1 {
			t.Fatalf("preview: %+v %+v", st.Job, st.Problems)
		}
		if _, n, err := e.st.ListStaff(ctx, city, store.StaffFilter{SchoolID: school, Query: name}); err != nil || n != 0 {
			t.Fatalf("the preview wrote staff: %d %v", n, err)
		}
		if r := admin.sendJSON("POST", fmt.Sprintf("/api/v1/imports/%d/commit", created.ID), ""); r.status != http.StatusAccepted {
			t.Fatalf("commit: %s", r)
		}
		if st := wait(t, admin, created.ID); st.Job.Phase != "committed" || st.Status != "committed" || st.Job.Counts.New != 1 {
			t.Fatalf("after commit: %+v %+v", st, st.Problems)
		}
		staff, n, err := e.st.ListStaff(ctx, city, store.StaffFilter{SchoolID: school, Query: name})
		must(t, err)
		if n != 1 {
			t.Fatalf("%d staff named %s, want 1", n, name)
		}
		s := staff[0]
		if s.Name != name || s.Gender != model.Female || s.Phone != "13900002222" {
			t.Errorf("imported staff member: %+v", s)
		}
		var posts []string
		for _, p := range s.Posts {
			posts = append(posts, fmt.Sprintf("%s/%d", p.Post, p.ClassID))
		}
		slices.Sort(posts)
		want := []string{fmt.Sprintf("%s/%d", model.PostClassTeacher, cl.ID), fmt.Sprintf("%s/0", model.PostSubjectTeacher)}
		slices.Sort(want)
		if !slices.Equal(posts, want) {
			t.Errorf("posts %v, want %v (class teacher of %s and subject teacher)", posts, want, cl.Name)
		}

		// The same file again.
		r = admin.upload(t, "/api/v1/imports", "staff", school, "教职工.csv", file)
		if r.status != http.StatusAccepted {
			t.Fatalf("re-upload: %s", r)
		}
		r.json(t, &created)
		if st := wait(t, admin, created.ID); st.Job.Counts.Unchanged != 1 || st.Job.Counts.New != 0 || st.Job.Counts.Updated != 0 || st.Job.Counts.Errors != 0 {
			t.Errorf("re-import preview: %+v %+v", st.Job.Counts, st.Problems)
		}
	})
}

package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/store"
)

// rosterCSV writes a pupil roster in the template's columns.
func rosterCSV(t *testing.T, rows [][]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"学籍号", "姓名", "性别", "出生日期", "身份证号", "年级", "班级", "重点学生类别", "监护人1姓名", "监护人1关系", "监护人1电话"})
	w.WriteAll(rows)
	return b.Bytes()
}

func (c *client) upload(t *testing.T, path, kind string, school int64, name string, file []byte) *response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("kind", kind)
	mw.WriteField("school_id", itoa(school))
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(file)
	mw.Close()
	return c.do("POST", path, body.Bytes(), mw.FormDataContentType(), nil)
}

type importState struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Job    struct {
		Phase    string `json:"phase"`
		Finished bool   `json:"finished"`
		Counts   struct {
			Total     int `json:"rows_total"`
			New       int `json:"rows_new"`
			Updated   int `json:"rows_updated"`
			Unchanged int `json:"rows_unchanged"`
			Errors    int `json:"rows_error"`
		}
	} `json:"job"`
	Problems []struct {
		Row     int    `json:"row"`
		Column  string `json:"column"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"problems"`
}

// wait polls an import until its job has finished.
func wait(t *testing.T, c *client, id int64) importState {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := c.get(fmt.Sprintf("/api/v1/imports/%d", id))
		if r.status != 200 {
			t.Fatalf("import %d: %s", id, r)
		}
		var st importState
		if err := json.Unmarshal(r.body, &st); err != nil {
			t.Fatal(err)
		}
		if st.Job.Finished {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d did not finish: %+v", id, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A school imports its roster: the check names the bad row and column and
// writes nothing; the corrected file commits all at once; the same file
// again changes nothing. Roles without roster write rights cannot import.
func TestRosterImport(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		school := e.fx.targets.School
		classes, err := e.st.ListClasses(ctx, authz.Scope{City: true}, school)
		if err != nil || len(classes) == 0 {
			t.Fatalf("classes: %v", err)
		}
		cl := classes[0]
		birthYear := model.SchoolYearOf(time.Now()) - 6 - cl.Grade
		if cl.Grade <= 0 {
			birthYear = model.SchoolYearOf(time.Now()) - 5 + cl.Grade
		}
		birth := fmt.Sprintf("%d0510", birthYear)
		seq := 810
		if e.engine == "postgres" {
			seq = 820
		}
		id1, id2 := idNumber("510402", birth, seq), idNumber("510402", birth, seq+2)
		date := birth[:4] + "-05-10"
		grade := model.GradeName(cl.Grade)
		good := []string{"G" + id1, "导入甲", genderOf(id1), date, id1, grade, fmt.Sprintf("%d班", cl.Number), "留守", "导入家长", "祖母", "13900001111"}
		bad := []string{"G" + id2, "导入乙", genderOf(id2), date, id2[:17] + wrongCheck(id2), grade, fmt.Sprintf("%d班", cl.Number), "", "", "", ""}

		admin := e.as(t, "schooladmin")
		r := admin.upload(t, "/imports", "students", school, "名单.csv", rosterCSV(t, [][]string{good, bad}))
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/imports/") {
			t.Fatalf("upload: %s", r)
		}
		var imp int64
		fmt.Sscanf(r.header.Get("Location"), "/imports/%d", &imp)
		st := wait(t, admin, imp)
		if st.Job.Counts.Errors != 1 || st.Job.Counts.New != 1 {
			t.Errorf("preview counts %+v, want 1 new and 1 row with problems", st.Job.Counts)
		}
		found := false
		for _, p := range st.Problems {
			if p.Row == 3 && p.Column == "身份证号" && p.Code == "imp.id_check_digit" && p.Message != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("the bad ID number on row 3 is not reported: %+v", st.Problems)
		}
		page := admin.get(fmt.Sprintf("/imports/%d", imp))
		if !strings.Contains(string(page.body), "身份证号") || !strings.Contains(string(page.body), `id="problems"`) {
			t.Errorf("the preview page does not list the problem")
		}
		// The file comes back with a column of problems on the bad row.
		x := admin.get(fmt.Sprintf("/imports/%d/problems.xlsx", imp))
		if x.status != 200 {
			t.Fatalf("problems.xlsx: %s", x)
		}
		wb, err := excelize.OpenReader(bytes.NewReader(x.body))
		if err != nil {
			t.Fatal(err)
		}
		sheetRows, _ := wb.GetRows(wb.GetSheetName(0))
		wb.Close()
		var row3 []string
		for _, r := range sheetRows {
			if len(r) > 0 && r[0] == "3" {
				row3 = r
			}
		}
		if len(row3) == 0 || !strings.Contains(row3[len(row3)-1], "身份证号") || !strings.Contains(strings.Join(row3, ","), "导入乙") {
			t.Errorf("row 3 of the returned file: %q", row3)
		}
		before := count(t, e, "students")
		if r := admin.postForm(fmt.Sprintf("/imports/%d/commit", imp), nil); r.status != http.StatusBadRequest {
			t.Errorf("committing a file with problems answered %d", r.status)
		}
		if n := count(t, e, "students"); n != before {
			t.Errorf("a refused import wrote %d students", n-before)
		}

		// The corrected file.
		bad[4] = id2
		fixed := rosterCSV(t, [][]string{good, bad})
		r = admin.upload(t, "/api/v1/imports", "students", school, "名单.csv", fixed)
		if r.status != http.StatusAccepted {
			t.Fatalf("API upload: %s", r)
		}
		var created struct{ ID int64 }
		r.json(t, &created)
		if st := wait(t, admin, created.ID); st.Job.Counts.Errors != 0 || st.Job.Counts.New != 2 {
			t.Fatalf("preview of the corrected file: %+v %+v", st.Job.Counts, st.Problems)
		}
		if r := admin.sendJSON("POST", fmt.Sprintf("/api/v1/imports/%d/commit", created.ID), ""); r.status != http.StatusAccepted {
			t.Fatalf("commit: %s", r)
		}
		if st := wait(t, admin, created.ID); st.Job.Phase != "committed" || st.Status != "committed" {
			t.Fatalf("after commit: %+v", st)
		}
		if n := count(t, e, "students"); n != before+2 {
			t.Errorf("students went from %d to %d, want +2", before, n)
		}
		sid, err := e.st.FindStudentByIDNumber(ctx, authz.Scope{City: true}, id1)
		if err != nil {
			t.Fatalf("the imported pupil is not found by ID number: %v", err)
		}
		d, err := e.st.GetStudent(ctx, testActor(), authz.Scope{City: true}, authz.Scope{City: true}, sid, false)
		if err != nil || d.ClassID != cl.ID || d.Contact == nil || len(d.Contact.Guardians) != 1 || len(d.Contact.Categories) != 1 {
			t.Errorf("imported pupil: %+v (%v)", d, err)
		}
		if diffs, err := e.st.CheckCounts(ctx); err != nil || len(diffs) > 0 {
			t.Errorf("counters after the import: %v %v", diffs, err)
		}

		// The same file again changes nothing.
		r = admin.upload(t, "/api/v1/imports", "students", school, "名单.csv", fixed)
		r.json(t, &created)
		if st := wait(t, admin, created.ID); st.Job.Counts.New != 0 || st.Job.Counts.Unchanged != 2 {
			t.Errorf("re-import preview: %+v", st.Job.Counts)
		}

		// Only roles that write the roster import.
		for _, who := range []string{"classteacher", "district", "principal", "teacher"} {
			r := e.as(t, who).upload(t, "/api/v1/imports", "students", school, "名单.csv", fixed)
			if r.status != http.StatusNotFound {
				t.Errorf("%s uploading a roster: %d", who, r.status)
			}
		}
	})
}

func genderOf(id string) string {
	if (id[16]-'0')%2 == 1 {
		return "男"
	}
	return "女"
}

func wrongCheck(id string) string {
	if id[17] == '1' {
		return "2"
	}
	return "1"
}

func count(t *testing.T, e *env, _ string) int {
	t.Helper()
	_, total, err := e.st.ListStudents(context.Background(), testActor(), authz.Scope{City: true}, store.StudentFilter{Status: "all", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

func testActor() store.Actor { return store.Actor{Role: "test", IP: "test"} }

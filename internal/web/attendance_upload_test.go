package web_test

import (
	"context"
	"fmt"
	"html"
	"mime/multipart"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"huhang/internal/store"
)

// sheetUpload is a multipart body with an attendance sheet, and confirm=1
// when confirm is set.
func sheetUpload(name string, sheet []byte, confirm bool) ([]byte, string) {
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	if confirm {
		mw.WriteField("confirm", "1")
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(sheet)
	mw.Close()
	return []byte(b.String()), mw.FormDataContentType()
}

// confirmRows is the confirmation a preview offers: its hidden rows.
func confirmRows(rows string) ([]byte, string) {
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	mw.WriteField("confirm", "1")
	mw.WriteField("rows", rows)
	mw.Close()
	return []byte(b.String()), mw.FormDataContentType()
}

var hiddenRows = regexp.MustCompile(`name="rows" value="([^"]*)"`)

func TestAttendanceSheetUpload(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		staff, _, err := e.st.ListStaff(ctx, city, store.StaffFilter{SchoolID: e.fx.own.school, Limit: 500})
		must(t, err)
		if len(staff) < 3 {
			t.Fatal("the demo school has fewer than three staff")
		}
		a, b, c := staff[0].ID, staff[1].ID, staff[2].ID
		admin := e.as(t, "schooladmin") // records its own school's staff (D6 write)
		seq := 0
		newSession := func(t *testing.T) (int64, string) {
			seq++
			sess := testSession(t, e, fmt.Sprintf("测试：考勤表导入课程 %d", seq))
			return sess, fmt.Sprintf("/training/sessions/%d/attendance/upload", sess)
		}
		send := func(path, name string, sheet []byte, confirm bool) *response {
			t.Helper()
			body, ctype := sheetUpload(name, sheet, confirm)
			return admin.do("POST", path, body, ctype, nil)
		}
		sendRows := func(path, rows string) *response {
			t.Helper()
			body, ctype := confirmRows(rows)
			return admin.do("POST", path, body, ctype, nil)
		}

		t.Run("a good sheet previews, then commits", func(t *testing.T) {
			sess, path := newSession(t)
			sheet := fmt.Sprintf("工号,姓名,是否合格,学时\r\n%d,测试甲,合格,4\r\n%d,测试乙,不合格,0\r\n", a, b)
			r := send(path, "考勤表.csv", []byte(sheet), false)
			if r.status != 200 {
				t.Fatalf("%s: the preview answers %d, want 200", r, r.status)
			}
			m := hiddenRows.FindSubmatch(r.body)
			if m == nil {
				t.Fatalf("%s: the preview offers no confirmation", r)
			}
			if !strings.Contains(string(r.body), "测试乙") {
				t.Errorf("%s: the preview does not show the sheet's names", r)
			}
			if n := attendanceCount(t, e, sess); n != 0 {
				t.Fatalf("the preview stored %d rows", n)
			}
			r = sendRows(path, html.UnescapeString(string(m[1])))
			if r.status != 303 {
				t.Fatalf("%s: the confirmation answers %d, want 303", r, r.status)
			}
			if n := attendanceCount(t, e, sess); n != 2 {
				t.Errorf("%d rows stored, want 2", n)
			}
			// Confirming by uploading the sheet again records it in one step.
			sess2, path2 := newSession(t)
			r = send(path2, "考勤表.csv", []byte(sheet), true)
			if r.status != 303 {
				t.Fatalf("%s: the confirmed upload answers %d, want 303", r, r.status)
			}
			if n := attendanceCount(t, e, sess2); n != 2 {
				t.Errorf("%d rows stored, want 2", n)
			}
		})

		for _, tc := range []struct {
			name, sheet string
			row         int
			staff       int64
		}{
			{"negative hours", fmt.Sprintf("工号,是否合格,学时\n%d,合格,2\n%d,合格,-1\n", a, b), 3, b},
			{"an unknown person", fmt.Sprintf("工号,是否合格,学时\n%d,合格,2\n%d,合格,2\n%d,合格,2\n", a, b, e.fx.sibling.staff), 4, e.fx.sibling.staff},
			{"the same person twice", fmt.Sprintf("ID,passed,hours\n%d,pass,2\n%d,pass,2\n", a, a), 3, a},
		} {
			t.Run("one bad row commits nothing: "+tc.name, func(t *testing.T) {
				sess, path := newSession(t)
				r := send(path, "考勤表.csv", []byte(tc.sheet), true)
				if r.status != 400 {
					t.Fatalf("%s: want 400", r)
				}
				if row := fmt.Sprintf("第 %d 行（工号 %d）", tc.row, tc.staff); !strings.Contains(textOf(r.body), row) {
					t.Errorf("%s: the page does not name the sheet's row %q: %s", r, row, textOf(r.body))
				}
				if n := attendanceCount(t, e, sess); n != 0 {
					t.Errorf("%d rows stored by a refused sheet", n)
				}
			})
		}

		t.Run("an unreadable cell is shown with its row and offers no confirmation", func(t *testing.T) {
			sess, path := newSession(t)
			sheet := fmt.Sprintf("工号,是否合格,学时,备注\n%d,合格,2,\n,合格,2,\n%d,也许,两小时,\n", a, b)
			for _, confirm := range []bool{false, true} {
				r := send(path, "考勤表.csv", []byte(sheet), confirm)
				if r.status != 400 {
					t.Fatalf("%s: want 400", r)
				}
				text := textOf(r.body)
				for _, want := range []string{"缺少工号", "请填写“合格”或“不合格”", "学时：请填写学时数字", "备注"} {
					if !strings.Contains(text, want) {
						t.Errorf("%s: the preview does not say %q: %s", r, want, text)
					}
				}
				if hiddenRows.Match(r.body) {
					t.Errorf("%s: a sheet with problems offers a confirmation", r)
				}
			}
			if n := attendanceCount(t, e, sess); n != 0 {
				t.Errorf("%d rows stored by a sheet with problems", n)
			}
		})

		t.Run("a GBK sheet", func(t *testing.T) {
			sess, path := newSession(t)
			sheet, err := simplifiedchinese.GBK.NewEncoder().String(fmt.Sprintf("工号,姓名,是否合格,认定学时\r\n%d,测试丙,合格,3.5\r\n", c))
			must(t, err)
			r := send(path, "考勤表.csv", []byte(sheet), false)
			if r.status != 200 || !hiddenRows.Match(r.body) || !strings.Contains(string(r.body), "测试丙") {
				t.Fatalf("%s: the GBK sheet is not previewed: %s", r, textOf(r.body))
			}
			r = send(path, "考勤表.csv", []byte(sheet), true)
			if r.status != 303 {
				t.Fatalf("%s: want 303", r)
			}
			list, err := e.st.SessionAttendance(ctx, city, sess)
			must(t, err)
			if len(list) != 1 || list[0].StaffID != c || list[0].Hours != 3.5 || !list[0].Passed {
				t.Errorf("stored %+v, want staff %d passed with 3.5 hours", list, c)
			}
		})

		t.Run("not a sheet", func(t *testing.T) {
			sess, path := newSession(t)
			png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")
			for _, confirm := range []bool{false, true} {
				r := send(path, "考勤表.csv", png, confirm)
				if r.status != 400 {
					t.Fatalf("%s: want 400", r)
				}
				if !strings.Contains(textOf(r.body), "无法识别文件格式") {
					t.Errorf("%s: no clear error for a file that is not a sheet: %s", r, textOf(r.body))
				}
			}
			r := send(path, "考勤表.csv", []byte("姓名,备注\n测试,无\n"), false)
			if r.status != 400 || !strings.Contains(textOf(r.body), "考勤表缺少列：工号、学时") {
				t.Errorf("%s: a sheet without its columns is not named so: %s", r, textOf(r.body))
			}
			if n := attendanceCount(t, e, sess); n != 0 {
				t.Errorf("%d rows stored", n)
			}
		})
	})
}

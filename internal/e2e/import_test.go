package e2e

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/seed"
	"huhang/internal/store"
)

// importWait bounds the wait for one import check or commit to finish; the
// page refreshes itself every second while it runs.
const importWait = 10 * time.Second

// rosterPupil is one synthetic pupil of an uploaded roster.
// no is the national student number, G followed by the (correct) ID
// number; id is the ID number as the file holds it.
type rosterPupil struct {
	no, name, gender, birth, id string
	want                        model.Gender
}

// testIDNumber builds a synthetic ID number: area code 510499, the birth
// date, a three-digit sequence (odd for boys, even for girls) and the
// GB 11643 check character.
func testIDNumber(t *testing.T, birth time.Time, seq int) string {
	t.Helper()
	first17 := "510499" + birth.Format("20060102") + fmt.Sprintf("%03d", seq)
	c, err := privacy.IDCheckChar(first17)
	if err != nil {
		t.Fatalf("IDCheckChar(%s): %v", first17, err)
	}
	return first17 + string(c)
}

// wrongCheckChar returns id with a different, wrong check character.
func wrongCheckChar(id string) string {
	bad := byte('0')
	if id[17] == '0' {
		bad = '1'
	}
	return id[:17] + string(bad)
}

// writeRoster writes a pupil roster CSV (UTF-8, the columns of the
// template) for one class and returns its path.
func writeRoster(t *testing.T, dir, name string, class store.ClassSummary, pupils []rosterPupil) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"学籍号", "姓名", "性别", "出生日期", "身份证号", "年级", "班级"})
	for _, p := range pupils {
		w.Write([]string{p.no, p.name, p.gender, p.birth, p.id, model.GradeName(class.Grade), strconv.Itoa(class.Number) + "班"})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// importClass picks a class of the demo school in the current school year.
func importClass(t *testing.T, a *app) store.ClassSummary {
	t.Helper()
	classes, err := a.st.ListClasses(context.Background(), cityScope, a.targets.School)
	if err != nil {
		t.Fatalf("ListClasses: %v", err)
	}
	year := model.SchoolYearOf(time.Now())
	for _, c := range classes {
		if c.StartYear == year && model.GradeName(c.Grade) != "" && c.Number > 0 {
			return c
		}
	}
	t.Fatalf("school %d has no class in the school year %d", a.targets.School, year)
	return store.ClassSummary{}
}

// problemRow is one row of the #problems table as the page shows it.
type problemRow struct {
	Row     string `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
	Notice  bool   `json:"notice"`
}

func (b *browser) problemRows() []problemRow {
	b.t.Helper()
	return eval[[]problemRow](b, `Array.from(document.querySelectorAll("#problems tbody tr"), tr => {
		const td = tr.querySelectorAll("td");
		return {row: (td[0] || {}).innerText || "", column: (td[1] || {}).innerText || "",
			message: (td[2] || {}).innerText || "", notice: tr.classList.contains("muted")};
	})`)
}

// waitImport waits until the import page shows sel. While the check or the
// commit runs, the page shows #import-progress and reloads itself every
// second; the query follows those reloads. Should a reload stall, the page
// is opened again.
func (b *browser) waitImport(sel string) {
	b.t.Helper()
	page := b.path()
	deadline := time.Now().Add(importWait)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			return
		}
		if b.ctx.Err() != nil || time.Now().After(deadline) {
			b.fatalf("import %s: %s did not appear within %s: %v", page, sel, importWait, err)
		}
		if st := b.open(page); st != 200 {
			b.fatalf("reopen %s: status %d", page, st)
		}
	}
}

// upload fills the upload form on /imports and submits it; it returns the
// import page's path.
func (b *browser) upload(path string, schoolID int64) string {
	b.t.Helper()
	b.waitVisible("#upload-form")
	school := strconv.FormatInt(schoolID, 10)
	if n := b.count(fmt.Sprintf(`#school_id option[value=%q]`, school)); n != 1 {
		b.fatalf("the school list offers school %d %d times, want once", schoolID, n)
	}
	b.do("fill the upload form",
		chromedp.SetValue(chromedp.CSS("#kind"), "students"),
		chromedp.SetValue(chromedp.CSS("#school_id"), school),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}),
	)
	if kind := eval[string](b, `(s => s.options[s.selectedIndex].text)(document.getElementById("kind"))`); kind != "学生" {
		b.fatalf("the kind chosen reads %q, want 学生", kind)
	}
	if got := eval[string](b, `document.getElementById("school_id").value`); got != school {
		b.fatalf("the school chosen is %q, want %s", got, school)
	}
	if got := eval[string](b, `(f => f.files.length ? f.files[0].name : "")(document.getElementById("file"))`); got != filepath.Base(path) {
		b.fatalf("the file input holds %q, want %q", got, filepath.Base(path))
	}
	st := b.click(`#upload-form button.primary`)
	page := b.path()
	if !strings.HasPrefix(page, "/imports/") || page == "/imports/" {
		b.fatalf("uploading led to %s, want an import page /imports/{id}", page)
	}
	if st != 200 {
		b.fatalf("%s answered %d after the upload", page, st)
	}
	return page
}

// TestSchoolAdminImportsARoster: a school's data administrator uploads a
// CSV roster with a mistyped ID number, sees the problem named by row and
// column with nothing written, uploads the corrected file, confirms, and
// both pupils are in the database.
func TestSchoolAdminImportsARoster(t *testing.T) {
	chromiumPath(t)
	a := newApp(t)
	ctx := context.Background()
	class := importClass(t, a)

	// Two synthetic pupils of the class, aged as usual for its grade
	// (5 + grade on 1 September, born in May).
	year := model.SchoolYearOf(time.Now()) - 5 - class.Grade
	boyBirth := time.Date(year, time.May, 12, 0, 0, 0, 0, time.UTC)
	girlBirth := time.Date(year, time.May, 23, 0, 0, 0, 0, time.UTC)
	pupils := []rosterPupil{
		{name: "浏览甲", gender: "男", want: model.Male, birth: boyBirth.Format("2006-01-02"), id: testIDNumber(t, boyBirth, 11)},
		{name: "浏览乙", gender: "女", want: model.Female, birth: girlBirth.Format("2006-01-02"), id: testIDNumber(t, girlBirth, 22)},
	}
	for i, p := range pupils {
		pupils[i].no = "G" + p.id
		if err := privacy.ValidateIDNumber(p.id); err != nil {
			t.Fatalf("test ID number for %s is invalid: %v", p.name, err)
		}
		if _, err := a.st.FindStudentByIDNumber(ctx, cityScope, p.id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("before the import, FindStudentByIDNumber(%s) = %v, want ErrNotFound", p.name, err)
		}
	}
	mistyped := append([]rosterPupil(nil), pupils...)
	mistyped[1].id = wrongCheckChar(pupils[1].id)
	if privacy.ValidateIDNumber(mistyped[1].id) == nil {
		t.Fatalf("the mistyped ID number %s is valid", mistyped[1].id)
	}
	dir := t.TempDir()
	badFile := writeRoster(t, dir, "名单-有误.csv", class, mistyped)
	goodFile := writeRoster(t, dir, "名单.csv", class, pupils)

	b := newBrowser(t, a)
	b.wantPage(b.login("schooladmin", seed.DemoPassword), "/", 200)

	// The nav link leads to the import page.
	nav := b.links(`header nav a[href="/imports"]`)
	if len(nav) != 1 || nav[0].Text != "名单导入" {
		b.fatalf("the nav links to /imports as %+v, want one link 名单导入", nav)
	}
	b.wantPage(b.click(`header nav a[href="/imports"]`), "/imports", 200)
	if h1 := b.text("main h1"); h1 != "名单导入" {
		b.fatalf("import page heading %q, want 名单导入", h1)
	}

	// First upload: row 3's ID number has a wrong check character (its
	// student number is right).
	badPage := b.upload(badFile, a.targets.School)
	b.waitImport("#import-result")
	if n := b.text("#count-errors"); n != "1" {
		b.fatalf("#count-errors shows %q for the mistyped file, want 1", n)
	}
	b.waitVisible("#problems")
	var problems []problemRow
	for _, p := range b.problemRows() {
		if !p.Notice {
			problems = append(problems, p)
		}
	}
	if len(problems) != 1 || strings.TrimSpace(problems[0].Row) != "3" || strings.TrimSpace(problems[0].Column) != "身份证号" {
		b.fatalf("the problems table lists %+v, want one problem: row 3, column 身份证号", problems)
	}
	if msg := problems[0].Message; !hasHan(msg) || !strings.Contains(msg, "校验") || strings.Contains(msg, "imp.") {
		b.fatalf("row 3 身份证号: message %q, want a Chinese message about the check character", msg)
	}
	if n := b.count("#commit"); n != 0 {
		b.fatalf("the page offers #commit although a row has a problem")
	}
	if body := b.bodyText(); !strings.Contains(body, "数据库没有任何改动") {
		b.fatalf("the problem page does not say that nothing was changed")
	}
	if strings.Contains(b.html(), pupils[1].id) {
		b.fatalf("the problem page shows the correct ID number of row 3, which the file did not hold")
	}
	b.screenshot("problems")
	for _, p := range pupils {
		if _, err := a.st.FindStudentByIDNumber(ctx, cityScope, p.id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after a preview with problems, FindStudentByIDNumber(%s) = %v, want ErrNotFound", p.name, err)
		}
	}

	// Second upload: the corrected file.
	b.wantPage(b.open("/imports"), "/imports", 200)
	goodPage := b.upload(goodFile, a.targets.School)
	if goodPage == badPage {
		b.fatalf("the corrected upload reuses the import page %s", badPage)
	}
	b.waitImport("#import-result")
	if n := b.text("#count-new"); n != "2" {
		b.fatalf("#count-new shows %q, want 2", n)
	}
	if n := b.text("#count-errors"); n != "0" {
		b.fatalf("#count-errors shows %q, want 0", n)
	}
	for _, p := range b.problemRows() {
		if !p.Notice {
			b.fatalf("the corrected file still has a problem: row %s %s: %s", p.Row, p.Column, p.Message)
		}
	}
	b.waitVisible("#commit")
	b.wantPage(b.click("#commit"), goodPage, 200)
	b.waitImport(`#import-result p.ok[role="status"]`)
	if msg := b.text(`#import-result p.ok[role="status"]`); !strings.Contains(msg, "已全部写入") {
		b.fatalf("the committed import reads %q, want 已全部写入", msg)
	}
	if n := b.count("#commit"); n != 0 {
		b.fatalf("the committed import still offers #commit")
	}
	b.screenshot("committed")

	// Both pupils are now in the class.
	for _, p := range pupils {
		id, err := a.st.FindStudentByIDNumber(ctx, cityScope, p.id)
		if err != nil {
			t.Fatalf("after the commit, FindStudentByIDNumber(%s): %v", p.name, err)
		}
		d, err := a.st.GetStudent(ctx, store.SystemActor, cityScope, authz.Scope{}, id, false)
		if err != nil {
			t.Fatalf("GetStudent(%d): %v", id, err)
		}
		if d.Name != p.name || d.ClassID != class.ID || d.BirthDate != p.birth || d.Gender != p.want {
			t.Fatalf("imported pupil %d: %q, class %d, born %s, gender %s; want %q in class %d (%s), born %s, gender %s",
				id, d.Name, d.ClassID, d.BirthDate, d.Gender, p.name, class.ID, class.Name, p.birth, p.want)
		}
	}
}

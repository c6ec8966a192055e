package importer

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestEveryKeyHasBothMessagesAndAtMostOneArgument(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range ProblemKeys {
		if seen[k] {
			t.Errorf("%s listed twice", k)
		}
		seen[k] = true
		m, ok := Messages[k]
		if !ok || m[0] == "" || m[1] == "" {
			t.Errorf("%s lacks a message: %q", k, m)
			continue
		}
		zh, en := strings.Count(m[0], "%"), strings.Count(m[1], "%")
		if zh > 1 || zh != en {
			t.Errorf("%s: zh has %d verbs, en %d; want the same, at most one", k, zh, en)
		}
		if !strings.HasPrefix(k, "imp.") {
			t.Errorf("%s does not start with imp.", k)
		}
	}
	for k := range Messages {
		if !seen[k] {
			t.Errorf("%s has messages but is not in ProblemKeys", k)
		}
	}
}

func TestReadEachStreamsValidRowsAndReportsProgress(t *testing.T) {
	var rows []int
	var progress []int
	res, err := ReadEach(bytes.NewReader(fixtureBytes(t, "students_utf8.csv")), "a.csv", Students, DefaultLimits,
		func(n int) { progress = append(progress, n) },
		func(s StudentRow) error { rows = append(rows, s.Row); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rows) != "[2 3 11 19]" {
		t.Errorf("rows handed over = %v", rows)
	}
	if res.Students != nil {
		t.Error("ReadEach kept the rows")
	}
	if len(progress) == 0 || progress[len(progress)-1] != res.Rows {
		t.Errorf("progress = %v, want to end with %d", progress, res.Rows)
	}
}

func TestReadEachProgressEveryThousandRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("学籍号,姓名,性别,出生日期\n")
	for i := range 2500 {
		fmt.Fprintf(&b, "L2024%014d,%s,男,2012-03-05\n", i, synthName(i))
	}
	var progress []int
	n := 0
	res, err := ReadEach(strings.NewReader(b.String()), "a.csv", Students, DefaultLimits,
		func(r int) { progress = append(progress, r) }, func(StudentRow) error { n++; return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(progress) != "[1000 2000 2500]" || n != 2500 || res.ErrorRows() != 0 {
		t.Errorf("progress = %v, rows = %d, problems = %+v", progress, n, res.Problems)
	}
}

func TestACallbackErrorStopsReading(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	_, err := ReadEach(bytes.NewReader(fixtureBytes(t, "staff.csv")), "a.csv", Staff, DefaultLimits, nil, nil,
		func(StaffRow) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err = %v after %d calls; want stop after 1", err, calls)
	}
}

func TestACallbackPanicIsNotSwallowed(t *testing.T) {
	defer func() {
		if v := recover(); v != "caller" {
			t.Errorf("recovered %v, want the caller's panic", v)
		}
	}()
	ReadEach(bytes.NewReader(fixtureBytes(t, "staff.csv")), "a.csv", Staff, DefaultLimits, nil, nil,
		func(StaffRow) error { panic("caller") })
	t.Error("ReadEach returned")
}

func TestProblemsAreCappedButErrorRowsStayExact(t *testing.T) {
	old := MaxProblems
	MaxProblems = 5
	defer func() { MaxProblems = old }()
	var b strings.Builder
	b.WriteString("学籍号,姓名,性别,出生日期\n")
	for range 20 {
		b.WriteString("bad,王明,男,2012-03-05\n")
	}
	res := readBytes(t, []byte(b.String()), "a.csv", Students, DefaultLimits)
	if res.ErrorRows() != 20 {
		t.Errorf("ErrorRows = %d, want 20", res.ErrorRows())
	}
	if len(res.Problems) != 6 {
		t.Fatalf("kept %d problems, want 5 and a truncation notice", len(res.Problems))
	}
	if p := res.Problems[0]; p.Key != keyProblemsTrunc || p.Args[0] != 15 || !p.Notice {
		t.Errorf("truncation notice = %+v", p)
	}
	if res.Fatal() {
		t.Error("a truncation notice made the file fatal")
	}
}

func TestErrorRowsOfABuiltResultCountsDistinctRows(t *testing.T) {
	r := &Result{Problems: []Problem{
		{Row: 0, Key: keyNoRows}, {Row: 1, Key: keyColumnIgnored, Notice: true},
		{Row: 3, Key: keyName}, {Row: 3, Key: keyPhone}, {Row: 5, Key: keyGender}, {Row: 6, Key: keyExampleRow, Notice: true},
	}}
	if got := r.ErrorRows(); got != 2 {
		t.Errorf("ErrorRows = %d, want 2", got)
	}
}

func TestTemplateHeadersAreAllRecognised(t *testing.T) {
	for _, kind := range []Kind{Students, Staff} {
		seen := map[field]string{}
		for _, h := range Template(kind) {
			f := lookupHeader(kind, h)
			if f == fNone {
				t.Errorf("%s template column %q is not recognised", kind, h)
			}
			if prev, dup := seen[f]; dup {
				t.Errorf("%s template columns %q and %q name the same field", kind, prev, h)
			}
			seen[f] = h
		}
	}
	if Template("pets") != nil {
		t.Error("Template of an unknown kind is not nil")
	}
}

func TestAnUntouchedTemplateImportsNothingAndSaysWhy(t *testing.T) {
	for _, kind := range []Kind{Students, Staff} {
		t.Run(string(kind), func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteTemplate(&b, kind); err != nil {
				t.Fatal(err)
			}
			res := readBytes(t, b.Bytes(), "template.xlsx", kind, DefaultLimits)
			if fmt.Sprint(res.Header) != fmt.Sprint(Template(kind)) {
				t.Errorf("header = %v", res.Header)
			}
			if res.Rows != 2 || res.ErrorRows() != 0 || len(res.Students)+len(res.Staff) != 0 {
				t.Errorf("rows %d, error rows %d, kept %d+%d", res.Rows, res.ErrorRows(), len(res.Students), len(res.Staff))
			}
			for _, p := range res.Problems {
				if p.Key != keyExampleRow || !p.Notice {
					t.Errorf("unexpected problem %+v", p)
				}
			}
		})
	}
}

func TestAFilledInTemplateImports(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTemplate(&b, Students); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetList()[0]
	id := synthID("20120305", 7, true)
	f.SetCellValue(sheet, "A2", "G"+id)
	f.SetCellValue(sheet, "E2", id)
	f.SetCellValue(sheet, "A3", "L202300000000000099")
	var out bytes.Buffer
	if _, err := f.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res := readBytes(t, out.Bytes(), "filled.xlsx", Students, DefaultLimits)
	if len(res.Students) != 2 || len(res.Problems) != 0 {
		t.Fatalf("students %+v, problems %+v", res.Students, res.Problems)
	}
	s := res.Students[0]
	if s.StudentNo != "G"+id || s.Grade != 8 || s.ClassNo != 3 || len(s.Guardians) != 2 || s.BirthDate != "2012-03-05" {
		t.Errorf("first row = %+v", s)
	}
}

func TestARealChildWithAnExampleNumberIsNotSkipped(t *testing.T) {
	data := "学籍号,姓名,性别,出生日期\nG" + exampleID1 + ",张伟,男,2012-03-05\n" + exampleNo2 + ",王芳,女,2013-08-17\n"
	res := readBytes(t, []byte(data), "a.csv", Students, DefaultLimits)
	if len(res.Students) != 1 || res.Students[0].Name != "张伟" {
		t.Errorf("students = %+v", res.Students)
	}
	if len(res.Problems) != 1 || res.Problems[0].Key != keyExampleRow || res.Problems[0].Row != 3 {
		t.Errorf("problems = %+v", res.Problems)
	}
}

func TestEachRawRowGivesTheFileBackAsItStands(t *testing.T) {
	data := []byte("学籍号,姓名\nG1,甲\n\nL2,乙\n")
	var got []string
	p, err := EachRawRow(data, DefaultLimits, func(row int, cells []string) error {
		got = append(got, fmt.Sprintf("%d:%s", row, strings.Join(cells, "|")))
		return nil
	})
	if err != nil || p != nil {
		t.Fatalf("EachRawRow: %v %v", p, err)
	}
	if len(got) < 3 || got[0] != "1:学籍号|姓名" || got[1] != "2:G1|甲" || !strings.HasPrefix(got[len(got)-1], "4:L2|乙") {
		t.Errorf("rows = %q", got)
	}
	if p, _ := EachRawRow([]byte("PK\x03\x04garbage"), DefaultLimits, func(int, []string) error { return nil }); p == nil {
		t.Error("a corrupt file gave no problem")
	}
}

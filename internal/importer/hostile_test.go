package importer

import (
	"archive/zip"
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"
)

// fileProblems returns the file-level (row 0) problems that are not notices.
func fileProblems(res *Result) []Problem {
	var out []Problem
	for _, p := range res.Problems {
		if p.Row == 0 && !p.Notice {
			out = append(out, p)
		}
	}
	return out
}

func readBytes(t *testing.T, data []byte, name string, kind Kind, lim Limits) *Result {
	t.Helper()
	res, err := Read(bytes.NewReader(data), name, kind, lim)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	checkKeys(t, res)
	return res
}

// checkKeys fails on a problem whose key has no message, or on an internal
// error (a recovered panic), which always means a bug.
func checkKeys(t testing.TB, res *Result) {
	t.Helper()
	for _, p := range res.Problems {
		if _, ok := Messages[p.Key]; !ok {
			t.Errorf("problem key %q has no message", p.Key)
		}
		if p.Key == keyInternal {
			t.Errorf("internal error (recovered panic) reading the file")
		}
	}
}

func fixtureBytes(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestHostileFilesGiveAFileLevelProblem(t *testing.T) {
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	xlsx := fixtureBytes(t, "students.xlsx")
	header := "学籍号,姓名,性别,出生日期,身份证号\r\n"
	ole := append(append([]byte(nil), oleMagic...), make([]byte, 504)...)
	encrypted := append(append([]byte(nil), ole...), encryptionInfo...)
	var tenTitles strings.Builder
	for range 10 {
		tenTitles.WriteString("名册\r\n")
	}
	tenTitles.WriteString(header + "G1,王明,男,2012-03-05,\r\n")

	wide := excelize.NewFile()
	wide.SetSheetRow("Sheet1", "A1", &[]any{"学籍号", "姓名", "性别", "出生日期"})
	wide.SetCellValue("Sheet1", "XFD2", "x")
	var wideXLSX bytes.Buffer
	if _, err := wide.WriteTo(&wideXLSX); err != nil {
		t.Fatal(err)
	}
	wide.Close()

	tests := []struct {
		name string
		data []byte
		file string
		kind Kind
		lim  Limits
		want string
	}{
		{"an empty file is empty", nil, "a.csv", Students, DefaultLimits, keyEmpty},
		{"a file of blank lines is empty", []byte("\r\n \r\n,,,\r\n"), "a.csv", Students, DefaultLimits, keyEmpty},
		{"a header with no rows has no rows", []byte(header), "a.csv", Students, DefaultLimits, keyNoRows},
		{"random bytes are not a known format", random, "a.xlsx", Students, DefaultLimits, keyFormat},
		{"a zip that is not a workbook is refused", zipOf(t, map[string]string{"readme.txt": "hello"}), "a.xlsx", Students, DefaultLimits, keyZipNotXLSX},
		{"a .docx is not a workbook", zipOf(t, map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}), "a.xlsx", Students, DefaultLimits, keyZipNotXLSX},
		{"a truncated xlsx is corrupt", xlsx[:len(xlsx)/2], "a.xlsx", Students, DefaultLimits, keyXLSXCorrupt},
		{"an xlsx cut just before the end is corrupt", xlsx[:len(xlsx)-10], "a.xlsx", Students, DefaultLimits, keyXLSXCorrupt},
		{"a legacy .xls is refused with advice", ole, "a.xls", Students, DefaultLimits, keyXLSLegacy},
		{"a password-protected workbook is refused with advice", encrypted, "a.xlsx", Students, DefaultLimits, keyEncrypted},
		{"HTML saved as .xls is not a known format", []byte("<html><table><tr><td>姓名</td></tr></table></html>"), "a.xls", Students, DefaultLimits, keyFormat},
		{"a staff file read as students lacks required columns", fixtureBytes(t, "staff.csv"), "a.csv", Students, DefaultLimits, keyMissingCols},
		{"a student file read as staff lacks required columns", fixtureBytes(t, "students_utf8.csv"), "a.csv", Staff, DefaultLimits, keyMissingCols},
		{"a 1 MB first line is no header", []byte(strings.Repeat("姓名", 1<<19/3) + "\r\n"), "a.csv", Students, DefaultLimits, keyNoHeader},
		{"ten title rows before the header is no header", []byte(tenTitles.String()), "a.csv", Students, DefaultLimits, keyNoHeader},
		{"a CSV line of 2,000 commas has too many columns", []byte(header + strings.Repeat(",", 2000) + "\r\n"), "a.csv", Students, DefaultLimits, keyTooManyCols},
		{"an xlsx row reaching column XFD has too many columns", wideXLSX.Bytes(), "a.xlsx", Students, DefaultLimits, keyTooManyCols},
		{"a file over MaxBytes is too large", []byte(header + strings.Repeat("x", 2000)), "a.csv", Students, Limits{MaxBytes: 1000}, keyTooLarge},
		{"a file over MaxRows has too many rows", fixtureBytes(t, "students_utf8.csv"), "a.csv", Students, Limits{MaxRows: 3}, keyTooManyRows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readBytes(t, tt.data, tt.file, tt.kind, tt.lim)
			fp := fileProblems(res)
			if len(fp) != 1 || fp[0].Key != tt.want {
				t.Fatalf("file problems = %+v, want one %s", fp, tt.want)
			}
			if !res.Fatal() {
				t.Error("Fatal() = false")
			}
			if len(res.Students) != 0 || len(res.Staff) != 0 {
				t.Errorf("rejected file returned %d students, %d staff", len(res.Students), len(res.Staff))
			}
		})
	}
}

func TestMissingColumnsAreNamed(t *testing.T) {
	res := readBytes(t, fixtureBytes(t, "staff.csv"), "staff.csv", Students, DefaultLimits)
	fp := fileProblems(res)
	if len(fp) != 1 || len(fp[0].Args) != 1 || fp[0].Args[0] != "学籍号、出生日期" {
		t.Errorf("missing columns = %+v, want 学籍号、出生日期", fp)
	}
}

func TestLongDataCellIsARowProblem(t *testing.T) {
	id := synthID("20120305", 1, true)
	data := "学籍号,姓名,性别,出生日期,身份证号\r\nG" + id + "," + strings.Repeat("王", 1<<20/3) + ",男,2012-03-05," + id + "\r\n"
	res := readBytes(t, []byte(data), "a.csv", Students, DefaultLimits)
	if res.Fatal() || res.ErrorRows() != 1 {
		t.Fatalf("problems = %+v", res.Problems)
	}
	if p := res.Problems[0]; p.Row != 2 || p.Column != "姓名" || p.Key != keyCellTooLong {
		t.Errorf("problem = %+v, want row 2 姓名 %s", p, keyCellTooLong)
	}
}

func TestOnlyTheFirstSheetIsRead(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	id := synthID("20120305", 1, true)
	f.SetSheetRow("Sheet1", "A1", &[]any{"学籍号", "姓名", "性别", "出生日期"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"G" + id, "王明", "男", "2012-03-05"})
	f.NewSheet("Other")
	f.SetSheetRow("Other", "A1", &[]any{"姓名", "性别", "岗位"})
	f.SetSheetRow("Other", "A2", &[]any{"李静", "女", "校长"})
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	res := readBytes(t, b.Bytes(), "two.xlsx", Students, DefaultLimits)
	if len(res.Students) != 1 || res.Students[0].Name != "王明" || len(res.Problems) != 0 {
		t.Errorf("students = %+v, problems = %+v", res.Students, res.Problems)
	}
	res = readBytes(t, b.Bytes(), "two.xlsx", Staff, DefaultLimits)
	if fp := fileProblems(res); len(fp) != 1 || fp[0].Key != keyMissingCols {
		t.Errorf("staff read of a student first sheet: %+v", res.Problems)
	}
}

func TestFormatIsDetectedFromContentNotName(t *testing.T) {
	csvData := fixtureBytes(t, "students_utf8.csv")
	xlsx := fixtureBytes(t, "students.xlsx")
	if res := readBytes(t, csvData, "roster.xlsx", Students, DefaultLimits); res.Format != FormatCSVUTF8 || res.Fatal() {
		t.Errorf("CSV named .xlsx: format %q, problems %+v", res.Format, fileProblems(res))
	}
	if res := readBytes(t, xlsx, "roster.csv", Students, DefaultLimits); res.Format != FormatXLSX || res.Fatal() {
		t.Errorf("xlsx named .csv: format %q, problems %+v", res.Format, fileProblems(res))
	}
}

func TestCSVEncodingsAndDelimiters(t *testing.T) {
	id := synthID("20120305", 1, true)
	rows := "学籍号\t姓名\t性别\t出生日期\r\nG" + id + "\t王明\t男\t2012-03-05\r\n"
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(rows))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, format string
		data         []byte
	}{
		{"Excel's Unicode text (UTF-16 with BOM, tabs) is read", FormatCSVUTF16, utf16},
		{"a tab-separated UTF-8 file is read", FormatCSVUTF8, []byte(rows)},
		{"a semicolon-separated file is read", FormatCSVUTF8, []byte(strings.ReplaceAll(rows, "\t", ";"))},
		{"a file with LF line ends is read", FormatCSVUTF8, []byte(strings.ReplaceAll(rows, "\r\n", "\n"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readBytes(t, tt.data, "a.txt", Students, DefaultLimits)
			if res.Format != tt.format || len(res.Students) != 1 || res.Students[0].Name != "王明" {
				t.Errorf("format %q, students %+v, problems %+v", res.Format, res.Students, res.Problems)
			}
		})
	}
}

func TestTooManyRowsStopsAndKeepsNoRows(t *testing.T) {
	res := readBytes(t, fixtureBytes(t, "students_utf8.csv"), "a.csv", Students, Limits{MaxRows: 3})
	if res.Rows != 3 || res.Students != nil {
		t.Errorf("rows = %d, students = %d; want 3 read and none kept", res.Rows, len(res.Students))
	}
	if p := res.Problems[0]; p.Key != keyTooManyRows || p.Row != 0 || p.Args[0] != 3 {
		t.Errorf("first problem = %+v", p)
	}
}

func TestUnterminatedQuoteDoesNotPanic(t *testing.T) {
	data := []byte("学籍号,姓名,性别,出生日期\r\n\"G1,王明,男,2012-03-05\r\nL1,\"李\"华\",女,2012-03-05\r\n")
	readBytes(t, data, "a.csv", Students, DefaultLimits)
}

func TestReadReturnsIOErrors(t *testing.T) {
	boom := errors.New("boom")
	_, err := Read(iotest.ErrReader(boom), "a.csv", Students, DefaultLimits)
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
}

func TestUnknownKindIsAnError(t *testing.T) {
	if _, err := Read(strings.NewReader("x"), "a.csv", "pets", DefaultLimits); !errors.Is(err, ErrKind) {
		t.Errorf("err = %v, want ErrKind", err)
	}
	if err := WriteTemplate(&bytes.Buffer{}, "pets"); !errors.Is(err, ErrKind) {
		t.Errorf("WriteTemplate err = %v, want ErrKind", err)
	}
}

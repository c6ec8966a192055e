package importer

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// fuzzLimits keep each input small enough to finish well inside a second.
var fuzzLimits = Limits{MaxBytes: 1 << 20, MaxRows: 5000, MaxCellRunes: 500}

// fuzzRead reads data as both kinds and checks the contract: no panic, no
// error, every problem keyed in Messages, no internal error, at most one
// second per input.
func fuzzRead(t *testing.T, data []byte, name string) {
	for _, kind := range []Kind{Students, Staff} {
		start := time.Now()
		res, err := Read(bytes.NewReader(data), name, kind, fuzzLimits)
		if err != nil {
			t.Fatalf("Read returned error %v", err)
		}
		checkKeys(t, res)
		for _, p := range res.Problems {
			if p.Row < 0 || (p.Row == 0 && p.Column != "") {
				t.Errorf("bad problem position %+v", p)
			}
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("reading %d bytes as %s took %v", len(data), kind, d)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	id := synthID("20120305", 1, true)
	f.Add([]byte("学籍号,姓名,性别,出生日期,身份证号\nG" + id + ",王明,男,2012-03-05," + id + "\n"))
	f.Add([]byte("姓名,性别,岗位,班主任班级\n李静,女,班主任,初二(3)班\n"))
	f.Add([]byte("\xef\xbb\xbfStudent No;Name;Gender;DOB\nL202300000000000003;Ali;F;40973\n"))
	f.Add([]byte("\"a\n\"\"b,c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, "fuzz.csv")
	})
}

func FuzzReadXLSX(f *testing.F) {
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>学籍号</t></is></c><c t="inlineStr"><is><t>姓名</t></is></c><c t="inlineStr"><is><t>性别</t></is></c><c t="inlineStr"><is><t>出生日期</t></is></c></row><row r="2"><c t="inlineStr"><is><t>L202300000000000003</t></is></c><c t="inlineStr"><is><t>王明</t></is></c><c><v>1</v></c><c><v>40973</v></c></row></sheetData></worksheet>`))
	f.Add([]byte(`<worksheet><sheetData><row r="1048576"><c r="XFD1048576" t="s"><v>99</v></c></row></sheetData></worksheet>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The input both as a whole file and as the first sheet's XML
		// inside an otherwise valid workbook: random bytes rarely survive
		// a zip checksum, so the second form is what reaches the row
		// parser.
		fuzzRead(t, data, "fuzz.xlsx")
		fuzzRead(t, workbookWithSheet(t, data), "fuzz.xlsx")
	})
}

var (
	blankWorkbookOnce sync.Once
	blankWorkbook     []byte
)

// workbookWithSheet returns a minimal workbook whose first sheet's XML is
// sheet.
func workbookWithSheet(t *testing.T, sheet []byte) []byte {
	blankWorkbookOnce.Do(func() {
		f := excelize.NewFile()
		var b bytes.Buffer
		if _, err := f.WriteTo(&b); err != nil {
			panic(err)
		}
		blankWorkbook = b.Bytes()
	})
	zr, err := zip.NewReader(bytes.NewReader(blankWorkbook), int64(len(blankWorkbook)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, zf := range zr.File {
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.EqualFold(zf.Name, "xl/worksheets/sheet1.xml") {
			w.Write(sheet)
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, rc)
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func FuzzNormalizeDate(f *testing.F) {
	for _, s := range []string{"2012-03-05", "40973", "60", "2012年3月5日", "20120305", "2012.3.5", "99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := NormalizeDate(s)
		if !ok {
			if out != "" {
				t.Errorf("NormalizeDate(%q) = %q but not ok", s, out)
			}
			return
		}
		d, err := time.Parse(dateLayout, out)
		if err != nil || d.Year() < 1900 || d.Year() > 2100 {
			t.Errorf("NormalizeDate(%q) = %q, not a date in 1900–2100", s, out)
		}
		if again, ok := NormalizeDate(out); !ok || again != out {
			t.Errorf("NormalizeDate(%q) = %q, but NormalizeDate(%q) = %q, %v", s, out, out, again, ok)
		}
	})
}

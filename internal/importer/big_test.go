package importer

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// bigID builds a unique valid ID number for row i of a generated roster:
// the birth date moves through a year's days and the three-digit sequence
// number (whose last digit gives the gender) through a thousand values.
func bigID(birth time.Time, seq int) string {
	return withCheck(fmt.Sprintf("510402%s%03d", birth.Format("20060102"), seq%1000))
}

// generateXLSX writes a roster of n valid students, grades 1–12, the way
// Excel would hold it: dates as date cells, everything else as text, with
// a guardian per pupil. It uses excelize's stream writer so that building
// 200,000 rows does not itself need the whole sheet in memory.
func generateXLSX(w io.Writer, n int) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return err
	}
	header := []any{"学籍号", "姓名", "性别", "出生日期", "身份证号", "年级", "班级", "家庭情况", "监护人姓名", "与学生关系", "联系电话"}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	cats := []string{"", "", "", "留守", "单亲、困难", ""}
	rels := []string{"父亲", "母亲", "爷爷", "奶奶"}
	row := make([]any, len(header))
	for i := range n {
		grade := 1 + i%12
		// Born in the school year that makes the pupil the usual age for
		// the grade on 1 September 2025.
		birth := time.Date(2025-5-grade-1, time.September, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i/12)%365)
		seq := i / (12 * 365)
		id := bigID(birth, seq)
		gender := "女"
		if (id[16]-'0')%2 == 1 {
			gender = "男"
		}
		row[0], row[1], row[2] = "G"+id, synthName(i), gender
		row[3] = excelize.Cell{StyleID: dateStyle, Value: birth}
		row[4], row[5], row[6] = id, gradeLabel(grade), fmt.Sprintf("%d班", 1+i%8)
		row[7], row[8], row[9], row[10] = cats[i%len(cats)], synthName(i+7), rels[i%len(rels)], synthPhone(i)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

func gradeLabel(g int) string {
	names := []string{"一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "初一", "初二", "初三", "高一", "高二", "高三"}
	return names[g-1]
}

func TestGeneratedRosterIsValid(t *testing.T) {
	var b bytes.Buffer
	if err := generateXLSX(&b, 2000); err != nil {
		t.Fatal(err)
	}
	res := readBytes(t, b.Bytes(), "gen.xlsx", Students, DefaultLimits)
	if res.Rows != 2000 || len(res.Students) != 2000 || len(res.Problems) != 0 {
		t.Fatalf("rows %d, valid %d, problems %+v", res.Rows, len(res.Students), res.Problems[:min(len(res.Problems), 5)])
	}
}

// TestRead200kRows reads a generated 200,000-row workbook through ReadEach,
// as the web handler does. It takes tens of seconds, so it runs only when
// asked: HUHANG_BIG=1 go test -run TestRead200kRows -v ./internal/importer
func TestRead200kRows(t *testing.T) {
	if testing.Short() || os.Getenv("HUHANG_BIG") != "1" {
		t.Skip("set HUHANG_BIG=1 (and omit -short) to read a 200,000-row workbook")
	}
	const n = 200_000
	path := filepath.Join(t.TempDir(), "big.xlsx")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := generateXLSX(out, n); err != nil {
		t.Fatal(err)
	}
	out.Close()
	info, _ := os.Stat(path)
	t.Logf("generated %d rows, %.1f MiB, in %v", n, float64(info.Size())/(1<<20), time.Since(start))

	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := peakHeap()
	valid := 0
	start = time.Now()
	res, err := ReadEach(in, "big.xlsx", Students, DefaultLimits, nil, func(StudentRow) error { valid++; return nil }, nil)
	elapsed := time.Since(start)
	maxHeap := peak()
	if err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("read %d rows in %v (%.0f rows/s); peak heap %.0f MiB; allocated %.0f MiB in total",
		res.Rows, elapsed, float64(res.Rows)/elapsed.Seconds(), float64(maxHeap)/(1<<20), float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
	if res.Rows != n || valid != n || len(res.Problems) != 0 {
		t.Errorf("rows %d, valid %d, problems %+v", res.Rows, valid, res.Problems[:min(len(res.Problems), 5)])
	}
}

// peakHeap samples the heap in the background until the returned function
// is called, which reports the largest HeapInuse seen.
func peakHeap() func() uint64 {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

const benchRows = 20_000

var (
	benchOnce sync.Once
	benchXLSX []byte
	benchErr  error
)

// benchWorkbook generates the benchmark workbook once per process.
func benchWorkbook(b *testing.B) []byte {
	benchOnce.Do(func() {
		var buf bytes.Buffer
		benchErr = generateXLSX(&buf, benchRows)
		benchXLSX = buf.Bytes()
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchXLSX
}

// BenchmarkReadXLSX measures the whole import read: detection, streaming
// the sheet, normalising and validating every row.
func BenchmarkReadXLSX(b *testing.B) {
	data := benchWorkbook(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		res, err := ReadEach(bytes.NewReader(data), "bench.xlsx", Students, DefaultLimits, nil, func(StudentRow) error { return nil }, nil)
		if err != nil || res.Rows != benchRows || len(res.Problems) != 0 {
			b.Fatalf("err %v, rows %d, problems %d", err, res.Rows, len(res.Problems))
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkExcelizeRowsOnly is the floor: excelize opening the same
// workbook and iterating its rows, with no work done on them. The ratio of
// the two benchmarks is the importer's own overhead.
func BenchmarkExcelizeRowsOnly(b *testing.B) {
	data := benchWorkbook(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		rows, err := f.Rows(f.GetSheetList()[0])
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			if _, err := rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
				b.Fatal(err)
			}
			n++
		}
		rows.Close()
		f.Close()
		if n != benchRows+1 {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReadCSV measures the same roster as UTF-8 CSV.
func BenchmarkReadCSV(b *testing.B) {
	data := benchWorkbook(b)
	res, err := Read(bytes.NewReader(data), "bench.xlsx", Students, DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	var rows [][]string
	rows = append(rows, res.Header)
	for _, s := range res.Students {
		g := s.Guardians[0]
		cats := ""
		for i, c := range s.Categories {
			if i > 0 {
				cats += "、"
			}
			cats += map[string]string{"poor": "困难", "left_behind": "留守", "single_parent": "单亲"}[string(c)]
		}
		gender := "男"
		if s.Gender == "F" {
			gender = "女"
		}
		rows = append(rows, []string{s.StudentNo, s.Name, gender, s.BirthDate, s.IDNumber, gradeLabel(s.Grade),
			fmt.Sprintf("%d班", s.ClassNo), cats, g.Name, map[string]string{"father": "父亲", "mother": "母亲", "grandfather": "爷爷", "grandmother": "奶奶"}[string(g.Relation)], g.Phone})
	}
	csvData := csvBytes(rows, ',', true)
	b.SetBytes(int64(len(csvData)))
	b.ResetTimer()
	for b.Loop() {
		res, err := ReadEach(bytes.NewReader(csvData), "bench.csv", Students, DefaultLimits, nil, func(StudentRow) error { return nil }, nil)
		if err != nil || res.Rows != benchRows || len(res.Problems) != 0 {
			b.Fatalf("err %v, rows %d, problems %+v", err, res.Rows, res.Problems[:min(len(res.Problems), 3)])
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func TestSpillingToTempDirReadsTheSameAndCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 30,000-row workbook")
	}
	var b bytes.Buffer
	if err := generateXLSX(&b, 30_000); err != nil { // about 18 MiB of sheet XML, over the spill threshold
		t.Fatal(err)
	}
	dir := t.TempDir()
	TempDir = dir
	defer func() { TempDir = "" }()
	res := readBytes(t, b.Bytes(), "big.xlsx", Students, DefaultLimits)
	if res.Rows != 30_000 || len(res.Students) != 30_000 || len(res.Problems) != 0 {
		t.Errorf("rows %d, valid %d, problems %d", res.Rows, len(res.Students), len(res.Problems))
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%d temporary files left behind", len(left))
	}
}

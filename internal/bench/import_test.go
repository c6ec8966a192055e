package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/importer"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/seed"
	"huhang/internal/store"
)

// bigRoster writes an .xlsx of n synthetic pupils for the classes of one
// school, in the template's columns. Names are generated; ID numbers carry
// valid check digits and are unique (area 510499 (no demo district) + birth date + sequence).
func bigRoster(tb testing.TB, path string, n int, classes []store.ClassSummary) {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	header := []any{"学籍号", "姓名", "性别", "出生日期", "身份证号", "年级", "班级", "重点学生类别", "监护人1姓名", "监护人1关系", "监护人1电话"}
	sw.SetRow("A1", header)
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given := []rune("明华伟芳娜敏静丽强磊军洋勇艳杰娟涛超秀霞平刚桂英")
	year := model.SchoolYearOf(time.Now())
	for i := 0; i < n; i++ {
		cl := classes[i%len(classes)]
		by := year - 6 - cl.Grade
		if cl.Grade <= 0 {
			by = year - 5 + cl.Grade
		}
		// (day, seq) is unique per i, so ID numbers never repeat.
		day := time.Date(by, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i/900)%365)
		seq := i % 900
		first := fmt.Sprintf("510499%s%03d", day.Format("20060102"), 100+seq)
		c, _ := privacy.IDCheckChar(first)
		id := first + string(c)
		gender := "女"
		if (id[16]-'0')%2 == 1 {
			gender = "男"
		}
		name := string(surnames[i%len(surnames)]) + string(given[(i/7)%len(given)]) + string(given[(i/131)%len(given)])
		row := []any{"G" + id, name, gender, day.Format("2006-01-02"), id, model.GradeName(cl.Grade), fmt.Sprintf("%d班", cl.Number),
			"", name[:3] + "家长", "母亲", fmt.Sprintf("139%08d", i)}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
}

// TestImportAtScale measures the figure: a 200,000-row pupil .xlsx
// validated and committed, with peak memory, against excelize merely
// reading the same file. It is a measurement, not a check of speed: run it
// with HUHANG_BIG=1 (and HUHANG_TEST_DATABASE_URL for PostgreSQL); the
// figures go to docs/BENCHMARKS.md.
func TestImportAtScale(t *testing.T) {
	if os.Getenv("HUHANG_BIG") == "" {
		t.Skip("set HUHANG_BIG=1 to import a 200,000-row roster")
	}
	ctx := context.Background()
	dir := t.TempDir()
	master := make([]byte, 32)
	rand.Read(master)
	keys, _ := privacy.NewKeyring(master, privacy.AES256GCM)
	cfg := store.Config{SQLitePath: filepath.Join(dir, "huhang.db"), Keyring: keys, AuditAlgorithm: audit.SHA256,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	engine := "sqlite"
	if url := os.Getenv("HUHANG_TEST_DATABASE_URL"); url != "" {
		cfg.DatabaseURL, engine = url, "postgres"
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := seed.Load(ctx, st, seed.Options{Seed: 1, Scale: 0.05}); err != nil {
		t.Fatal(err)
	}
	targets, _ := seed.FindTargets(ctx, st)
	city := authz.Scope{City: true}
	classes, _ := st.ListClasses(ctx, city, targets.School)
	rows := 200000
	path := filepath.Join(dir, "roster.xlsx")
	bigRoster(t, path, rows, classes)
	// HUHANG_ROSTER_OUT keeps the file, e.g. to import it with the CLI in
	// a fresh process under /usr/bin/time -v (the RSS figure).
	if out := os.Getenv("HUHANG_ROSTER_OUT"); out != "" {
		b, _ := os.ReadFile(path)
		os.WriteFile(out, b, 0o600)
	}
	data, _ := os.ReadFile(path)
	t.Logf("roster: %d rows, %.1f MB, %d classes", rows, float64(len(data))/1e6, len(classes))

	// excelize alone: open and iterate every cell.
	start := time.Now()
	f, _ := excelize.OpenReader(bytes.NewReader(data))
	it, _ := f.Rows(f.GetSheetName(0))
	n := 0
	for it.Next() {
		if _, err := it.Columns(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	it.Close()
	f.Close()
	rawRead := time.Since(start)

	runtime.GC()
	start = time.Now()
	res, err := importer.Read(bytes.NewReader(data), "roster.xlsx", importer.Students, importer.DefaultLimits)
	if err != nil || res.ErrorRows() > 0 {
		t.Fatalf("read: %v, %d error rows, first problems %v", err, res.ErrorRows(), res.Problems[:min(3, len(res.Problems))])
	}
	readDur := time.Since(start)
	plan, err := st.PlanStudentImport(ctx, city, city, targets.School, res.Students)
	if err != nil || len(plan.Problems) > 0 {
		t.Fatalf("plan: %v %v", err, plan.Problems[:min(3, len(plan.Problems))])
	}
	planDur := time.Since(start) - readDur
	id, err := st.CreateImport(ctx, store.SystemActor, city, importer.Students, targets.School, "roster.xlsx", data)
	if err != nil {
		t.Fatal(err)
	}
	commitStart := time.Now()
	done, err := st.CommitStudentImport(ctx, store.SystemActor, city, city, id, targets.School, res.Students, nil)
	if err != nil || len(done.Problems) > 0 || done.New != rows {
		t.Fatalf("commit: %v new=%d problems=%v", err, done.New, len(done.Problems))
	}
	commitDur := time.Since(commitStart)
	total := time.Since(start)
	hwm := vmHWM()
	t.Logf("engine %s: excelize rows only %.1fs; import read+validate %.1fs, plan %.1fs, commit %.1fs; total %.1fs (%.0f rows/s); ratio import/excelize-read %.1f; peak RSS (VmHWM) %.0f MB",
		engine, rawRead.Seconds(), readDur.Seconds(), planDur.Seconds(), commitDur.Seconds(), total.Seconds(), float64(rows)/total.Seconds(),
		total.Seconds()/rawRead.Seconds(), float64(hwm)/1e6)
	if diffs, err := st.CheckCounts(ctx); err != nil || len(diffs) > 0 {
		t.Errorf("counters: %v %v", err, len(diffs))
	}
}

// vmHWM is this process's peak resident set size in bytes.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	var kb int64
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("VmHWM:")) {
			fmt.Sscanf(string(line[6:]), "%d", &kb)
		}
	}
	return kb * 1000
}

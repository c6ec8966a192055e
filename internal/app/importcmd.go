package app

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"huhang/internal/authz"
	"huhang/internal/i18n"
	"huhang/internal/importer"
	"huhang/internal/store"
)

// importCmd runs `huhang import students|staff FILE --school CODE [--dry-run]`:
// the same reading, checking and all-or-nothing commit as the web import,
// with the report printed and a non-zero exit when any row has a problem.
func importCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || (args[0] != "students" && args[0] != "staff") {
		return errors.New("usage: huhang import students|staff FILE --school CODE [--dry-run] [--lang zh-CN|en]")
	}
	kind, file := importer.Kind(args[0]), args[1]
	var school, lang string
	var dry bool
	c, st, err := command("import "+args[0], args[2:], stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&school, "school", "", "code of the school the roster belongs to")
		fs.BoolVar(&dry, "dry-run", false, "check and report only; write nothing")
		fs.StringVar(&lang, "lang", "zh-CN", "language of the report: zh-CN or en")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	_ = c
	if school == "" {
		return errors.New("--school CODE is required")
	}
	ctx := context.Background()
	city := authz.Scope{City: true}
	sch, err := st.SchoolByCode(ctx, city, school)
	if err != nil {
		return fmt.Errorf("no school with code %q", school)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	res, err := importer.Read(bytes.NewReader(data), filepath.Base(file), kind, importer.DefaultLimits)
	if err != nil {
		return err
	}
	cat := i18n.MustLoad()
	cat.AddMessages(importer.Messages)
	problems := append([]importer.Problem(nil), res.Problems...)
	var counts store.ImportCounts
	plan := func() error {
		switch kind {
		case importer.Students:
			p, err := st.PlanStudentImport(ctx, city, city, sch.ID, res.Students)
			if err != nil {
				return err
			}
			counts, problems = p.ImportCounts, append(problems, p.Problems...)
		case importer.Staff:
			p, err := st.PlanStaffImport(ctx, city, sch.ID, res.Staff)
			if err != nil {
				return err
			}
			counts, problems = p.ImportCounts, append(problems, p.Problems...)
		}
		return nil
	}
	if err := plan(); err != nil {
		return err
	}
	errRows := map[int]bool{}
	for _, p := range problems {
		where := "file"
		if p.Row > 0 {
			where = fmt.Sprintf("row %d", p.Row)
		}
		if p.Column != "" {
			where += " " + p.Column
		}
		level := "ERROR"
		if p.Notice {
			level = "note"
		} else {
			errRows[p.Row] = true
		}
		fmt.Fprintf(stdout, "%-5s %s: %s\n", level, where, cat.T(lang, p.Key, p.Args...))
	}
	fmt.Fprintf(stdout, "%s (%s): %d rows — %d new, %d updated, %d unchanged, %d with problems\n",
		filepath.Base(file), res.Format, res.Rows, counts.New, counts.Updated, counts.Unchanged, len(errRows))
	if len(errRows) > 0 {
		return fmt.Errorf("%d rows have problems; nothing was written", len(errRows))
	}
	if dry {
		fmt.Fprintln(stdout, "dry run: nothing was written")
		return nil
	}
	id, err := st.CreateImport(ctx, store.SystemActor, city, kind, sch.ID, filepath.Base(file), data)
	if err != nil {
		return err
	}
	var committed store.ImportCounts
	var late []importer.Problem
	switch kind {
	case importer.Students:
		p, err := st.CommitStudentImport(ctx, store.SystemActor, city, city, id, sch.ID, res.Students, nil)
		if err != nil {
			return err
		}
		committed, late = p.ImportCounts, p.Problems
	case importer.Staff:
		p, err := st.CommitStaffImport(ctx, store.SystemActor, city, id, sch.ID, res.Staff, nil)
		if err != nil {
			return err
		}
		committed, late = p.ImportCounts, p.Problems
	}
	if len(late) > 0 {
		return fmt.Errorf("the database changed while importing; %d rows now have problems; nothing was written", len(late))
	}
	fmt.Fprintf(stdout, "imported as import #%d: %d new, %d updated, %d unchanged\n", id, committed.New, committed.Updated, committed.Unchanged)
	return nil
}

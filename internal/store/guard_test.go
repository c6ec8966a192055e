package store

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// T1.9: the store is the only way to children's data. No program file
// outside this package may carry SQL that touches a table holding a child's
// data. (Tests elsewhere may, e.g. to inspect a backup file.)
func TestNoChildDataSQLOutsideTheStore(t *testing.T) {
	childTables := `students|guardians|enrolment_counts|audit_log`
	sqlRe := regexp.MustCompile(`(?i)\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+(` + childTables + `)\b`)
	root := filepath.Join("..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "store", "testdata", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if sqlRe.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				found = append(found, path+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("SQL on a child-data table outside the store: %s", f)
	}
}

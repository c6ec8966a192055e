package app

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"huhang/internal/privacy"
)

// run calls the command line in-process and returns its exit code and
// output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func demoDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HUHANG_ADMIN_PASSWORD", "Cli-Test-Chief-2026")
	code, out, errs := run(t, "demo", "--data", dir, "--scale", "0.03")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "Demo city loaded") {
		t.Fatalf("demo output: %s", out)
	}
	return dir
}

func TestCommandLine(t *testing.T) {
	dir := demoDir(t)

	t.Run("an unknown command exits 2 with the usage", func(t *testing.T) {
		code, _, errs := run(t, "frobnicate")
		if code != 2 || !strings.Contains(errs, "Usage:") {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
	})

	t.Run("migrate on a current database changes nothing", func(t *testing.T) {
		code, out, errs := run(t, "migrate", "--data", dir)
		if code != 0 || !strings.Contains(out, "schema at version") {
			t.Errorf("exit %d: %s %s", code, out, errs)
		}
	})

	t.Run("the demo refuses a database that already holds a city", func(t *testing.T) {
		code, _, errs := run(t, "demo", "--data", dir, "--scale", "0.03")
		if code == 0 || !strings.Contains(errs, "empty database") {
			t.Errorf("exit %d: %s", code, errs)
		}
	})

	t.Run("audit verify reports an intact chain", func(t *testing.T) {
		code, out, errs := run(t, "audit", "verify", "--data", dir)
		if code != 0 || !strings.Contains(out, "audit log OK") {
			t.Errorf("exit %d: %s %s", code, out, errs)
		}
	})

	t.Run("user add, reset-password and disable work and are audited", func(t *testing.T) {
		code, out, errs := run(t, "user", "add", "--data", dir, "--username", "li.na", "--name", "李娜", "--role", "city_official")
		if code != 0 || !strings.Contains(out, "password:") {
			t.Fatalf("add: exit %d: %s %s", code, out, errs)
		}
		if code, _, errs := run(t, "user", "add", "--data", dir, "--username", "li.na"); code == 0 || !strings.Contains(errs, "username") {
			t.Errorf("a duplicate user name: exit %d: %s", code, errs)
		}
		if code, _, errs := run(t, "user", "add", "--data", dir, "--username", "x.y", "--role", "wizard"); code == 0 || !strings.Contains(errs, "unknown role") {
			t.Errorf("an unknown role: exit %d: %s", code, errs)
		}
		if code, out, _ := run(t, "user", "reset-password", "--data", dir, "--username", "li.na"); code != 0 || !strings.Contains(out, "new password") {
			t.Errorf("reset: exit %d: %s", code, out)
		}
		if code, out, _ := run(t, "user", "disable", "--data", dir, "--username", "li.na"); code != 0 || !strings.Contains(out, "disabled") {
			t.Errorf("disable: exit %d: %s", code, out)
		}
		if code, _, errs := run(t, "user", "disable", "--data", dir, "--username", "nobody"); code == 0 || !strings.Contains(errs, "no account") {
			t.Errorf("disable of a missing account: exit %d: %s", code, errs)
		}
		if code, _, _ := run(t, "audit", "verify", "--data", dir); code != 0 {
			t.Error("the chain broke after account changes")
		}
	})

	t.Run("backup writes a consistent copy that opens and holds the city", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "copy.db")
		code, stdout, errs := run(t, "backup", "--data", dir, "--out", out)
		if code != 0 || !strings.Contains(stdout, "key file") {
			t.Fatalf("backup: exit %d: %s %s", code, stdout, errs)
		}
		db, err := sql.Open("sqlite", "file:"+out+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var students int
		var check string
		if err := db.QueryRow("SELECT COUNT(*) FROM students").Scan(&students); err != nil || students < 1000 {
			t.Errorf("the copy holds %d students (%v)", students, err)
		}
		if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Errorf("integrity_check = %q, %v", check, err)
		}
		if code, _, errs := run(t, "backup", "--data", dir, "--out", out); code == 0 || !strings.Contains(errs, "exists") {
			t.Errorf("a backup over an existing file: exit %d: %s", code, errs)
		}
	})

	// T6.5: without its key file an existing database refuses to start
	// rather than make a new key that cannot read the old data.
	t.Run("a database without its key file refuses to open", func(t *testing.T) {
		key := filepath.Join(dir, "huhang.key")
		saved, err := os.ReadFile(key)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(key); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(key, saved, 0o600)
		code, _, errs := run(t, "audit", "verify", "--data", dir)
		if code == 0 || !strings.Contains(errs, "key file") || !strings.Contains(errs, "missing") {
			t.Errorf("exit %d: %s", code, errs)
		}
		if _, err := os.Stat(key); err == nil {
			t.Error("a new key file was created for an existing database")
		}
	})

	t.Run("a world-readable key file is refused", func(t *testing.T) {
		key := filepath.Join(dir, "huhang.key")
		if err := os.Chmod(key, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(key, 0o600)
		if code, _, errs := run(t, "audit", "verify", "--data", dir); code == 0 || !strings.Contains(errs, "chmod") {
			t.Errorf("exit %d: %s", code, errs)
		}
	})

	t.Run("bad flags are explained", func(t *testing.T) {
		if code, _, errs := run(t, "serve", "--data", dir, "--crypto", "rot13"); code == 0 || !strings.Contains(errs, "--crypto") {
			t.Errorf("exit %d: %s", code, errs)
		}
		if code, _, errs := run(t, "serve", "--database-url", "mysql://x"); code == 0 || !strings.Contains(errs, "postgres://") {
			t.Errorf("exit %d: %s", code, errs)
		}
	})
}

func TestImportCommand(t *testing.T) {
	dir := demoDir(t)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "huhang.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var code string
	var grade, number int
	err = db.QueryRow(`SELECT s.code, c.grade, c.number FROM classes c JOIN schools s ON s.id = c.school_id
		WHERE s.type = 'primary' AND c.grade = 3 ORDER BY s.id, c.number LIMIT 1`).Scan(&code, &grade, &number)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	year := time.Now().Year()
	if time.Now().Month() < time.August {
		year--
	}
	birth := fmt.Sprintf("%d0707", year-9)
	first := "510499" + birth + "123"
	c, _ := privacy.IDCheckChar(first)
	id := first + string(c)
	gender := "女"
	if (id[16]-'0')%2 == 1 {
		gender = "男"
	}
	header := "学籍号,姓名,性别,出生日期,身份证号,年级,班级\n"
	good := fmt.Sprintf("G%s,命令行甲,%s,%s-07-07,%s,三年级,%d班\n", id, gender, birth[:4], id, number)
	bad := "G123,命令行乙,男,2017-01-01,,三年级,1班\n"
	file := filepath.Join(t.TempDir(), "roster.csv")

	t.Run("a roster with a bad row is refused with its row number and nothing is written", func(t *testing.T) {
		os.WriteFile(file, []byte(header+good+bad), 0o600)
		code1, out, errs := run(t, "import", "students", file, "--school", code, "--data", dir)
		if code1 == 0 || !strings.Contains(out, "row 3") || !strings.Contains(errs, "nothing was written") {
			t.Errorf("exit %d\n%s\n%s", code1, out, errs)
		}
	})
	t.Run("a good roster is checked, then imported, then changes nothing", func(t *testing.T) {
		os.WriteFile(file, []byte(header+good), 0o600)
		if c, out, errs := run(t, "import", "students", file, "--school", code, "--data", dir, "--dry-run"); c != 0 || !strings.Contains(out, "1 new") || !strings.Contains(out, "dry run") {
			t.Fatalf("dry run: exit %d\n%s\n%s", c, out, errs)
		}
		if c, out, errs := run(t, "import", "students", file, "--school", code, "--data", dir); c != 0 || !strings.Contains(out, "imported as import") {
			t.Fatalf("import: exit %d\n%s\n%s", c, out, errs)
		}
		if c, out, _ := run(t, "import", "students", file, "--school", code, "--data", dir, "--dry-run"); c != 0 || !strings.Contains(out, "1 unchanged") {
			t.Errorf("re-import: exit %d\n%s", c, out)
		}
		if c, _, _ := run(t, "audit", "verify", "--data", dir); c != 0 {
			t.Error("the chain broke after an import")
		}
	})
	t.Run("an unknown school is named", func(t *testing.T) {
		if c, _, errs := run(t, "import", "students", file, "--school", "NOPE", "--data", dir); c == 0 || !strings.Contains(errs, "NOPE") {
			t.Errorf("exit %d: %s", c, errs)
		}
	})
}

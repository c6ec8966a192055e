package ingestbench

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// insertOne stores one row outside any server (tests only).
func insertOne(ctx context.Context, db *DB, code string, body []byte) error {
	_, err := db.write.ExecContext(ctx, "INSERT INTO "+db.table+" (code, body, at) VALUES (?, ?, 0)", code, body)
	return err
}

var pragmaRE = regexp.MustCompile(`_pragma=[a-z_]+\([^)]*\)`)

// TestSQLitePragmasMatchTheStore reads the store's source: the baselines
// must open SQLite exactly as the store's writer and checkpointer do, or
// the ratios compare different databases.
func TestSQLitePragmasMatchTheStore(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join("..", "store", "store.go"))
	if err != nil {
		t.Skipf("the store's source is not here: %v", err)
	}
	text := string(src)
	// The writer's pragmas: the `pragmas := …` expression, up to the line
	// that does not continue it.
	i := strings.Index(text, "pragmas := ")
	if i < 0 {
		t.Fatal("store.go has no `pragmas := …` for the writer any more: update this test and sqlitePragmas together")
	}
	var expr strings.Builder
	for line := range strings.Lines(text[i:]) {
		expr.WriteString(line)
		if !strings.HasSuffix(strings.TrimSpace(line), "+") {
			break
		}
	}
	same := func(what, store, ours string) {
		a, b := pragmaRE.FindAllString(store, -1), pragmaRE.FindAllString(ours, -1)
		slices.Sort(a)
		slices.Sort(b)
		if len(a) == 0 || !slices.Equal(a, b) {
			t.Errorf("%s pragmas differ:\n store:       %v\n ingestbench: %v", what, a, b)
		}
	}
	same("writer", expr.String(), sqlitePragmas)
	// The checkpointer's DSN: the sql.Open line that sets synchronous but
	// not journal_mode.
	found := false
	for line := range strings.Lines(text) {
		if strings.Contains(line, "sql.Open(\"sqlite\"") && strings.Contains(line, "synchronous(FULL)") && !strings.Contains(line, "journal_mode") {
			same("checkpointer", line, checkpointerPragmas)
			found = true
		}
	}
	if !found {
		t.Error("store.go opens no checkpointer connection any more: update this test and the checkpointer together")
	}
}

func TestSQLiteDatabaseIsDurableAndCheckpointsInTheBackground(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := OpenSQLite(ctx, filepath.Join(dir, "ingest.db"))
	if err != nil {
		t.Fatal(err)
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "wal_autocheckpoint": "0", "foreign_keys": "1"} {
		var got string
		if err := db.write.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma, got, err, want)
		}
	}
	if err := insertOne(ctx, db, "CKPT000001", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	// The checkpointer runs every CheckpointInterval; wait for one,
	// however long the machine takes.
	for db.Checkpoints() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("Close left %d files behind", len(left))
	}
	if _, err := OpenSQLite(ctx, filepath.Join(dir, "missing", "ingest.db")); err == nil {
		t.Error("OpenSQLite created a database in a directory that does not exist")
	}
}

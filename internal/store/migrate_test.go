package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"huhang/internal/audit"
	"huhang/internal/model"
	"huhang/internal/privacy"
)

func TestMigrations(t *testing.T) {
	ctx := context.Background()

	t.Run("a fresh database is at the newest known schema version", func(t *testing.T) {
		eachEngine(t, func(t *testing.T, s *Store) {
			applied, known, err := s.SchemaVersion(ctx)
			if err != nil {
				t.Fatalf("SchemaVersion: %v", err)
			}
			if known < 2 {
				t.Errorf("known = %d, want at least 2 (init and audit guard)", known)
			}
			if applied != known {
				t.Errorf("applied = %d, known = %d, want equal", applied, known)
			}
			if n := count(t, s, "schema_migrations", ""); n != known {
				t.Errorf("schema_migrations has %d rows, want %d", n, known)
			}
		})
	})

	t.Run("opening the same database twice applies nothing again and keeps the data", func(t *testing.T) {
		eachEngine(t, func(t *testing.T, s *Store) {
			id := addDistrict(t, s, "D1", "东试区")
			if _, err := s.CreateSchool(ctx, testActor, cityScope, SchoolInput{DistrictID: id, Code: "S-KEEP", Name: "保留小学", Type: model.Primary}); err != nil {
				t.Fatal(err)
			}
			before := count(t, s, "schema_migrations", "")
			entries := auditCount(t, s)
			s.Close()
			for i := range 2 {
				s2, err := reopen(t, s, nil)
				if err != nil {
					t.Fatalf("reopen %d: %v", i+1, err)
				}
				applied, known, err := s2.SchemaVersion(ctx)
				if err != nil || applied != known {
					t.Errorf("reopen %d: SchemaVersion = %d, %d, %v; want applied == known", i+1, applied, known, err)
				}
				if n := count(t, s2, "schema_migrations", ""); n != before {
					t.Errorf("reopen %d: schema_migrations has %d rows, want %d", i+1, n, before)
				}
				if n := count(t, s2, "schools", "code = ?", "S-KEEP"); n != 1 {
					t.Errorf("reopen %d: the school is gone (%d rows)", i+1, n)
				}
				if n := auditCount(t, s2); n != entries {
					t.Errorf("reopen %d: audit log has %d entries, want %d", i+1, n, entries)
				}
				if _, err := s2.VerifyAudit(ctx); err != nil {
					t.Errorf("reopen %d: VerifyAudit: %v", i+1, err)
				}
				s2.Close()
			}
		})
	})

	t.Run("a database with a schema newer than the binary knows is refused", func(t *testing.T) {
		eachEngine(t, func(t *testing.T, s *Store) {
			_, known, err := s.SchemaVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			exec(t, s, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				known+1, strconv.Itoa(known+1)+"_from_the_future.sql", 0)
			s.Close()
			s2, err := reopen(t, s, nil)
			if err == nil {
				s2.Close()
				t.Fatal("Open accepted a database with a newer schema")
			}
			if !strings.Contains(err.Error(), "newer") {
				t.Errorf("Open error = %q, want it to mention \"newer\"", err)
			}
		})
	})

	t.Run("an existing audit log keeps the hash algorithm it was started with", func(t *testing.T) {
		eachEngineWith(t, engineOptions{audit: audit.SM3}, func(t *testing.T, s *Store) {
			if got := s.AuditAlgorithm(); got != audit.SM3 {
				t.Fatalf("AuditAlgorithm = %q, want sm3", got)
			}
			if err := s.Audit(ctx, testActor, audit.ActLogin, "user", 1, "ok", ""); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s2, err := reopen(t, s, func(c *Config) { c.AuditAlgorithm = audit.SHA256 })
			if err != nil {
				t.Fatal(err)
			}
			if got := s2.AuditAlgorithm(); got != audit.SM3 {
				t.Errorf("after reopening with sha256 configured, AuditAlgorithm = %q, want sm3", got)
			}
			if _, err := s2.VerifyAudit(ctx); err != nil {
				t.Errorf("VerifyAudit: %v", err)
			}
		})
	})

	t.Run("a store without a keyring does not open", func(t *testing.T) {
		eachEngine(t, func(t *testing.T, s *Store) {
			if _, err := reopen(t, s, func(c *Config) { c.Keyring = nil }); err == nil {
				t.Error("Open without a keyring succeeded")
			}
		})
	})

	t.Run("a store opened with another master key cannot read ID numbers", func(t *testing.T) {
		eachEngine(t, func(t *testing.T, s *Store) {
			c := newCity(t, s)
			other, err := privacy.NewKeyring(make([]byte, privacy.MasterKeySize), privacy.AES256GCM)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := reopen(t, s, func(c *Config) { c.Keyring = other })
			if err != nil {
				t.Fatal(err)
			}
			st := c.students[0][0][0]
			d, err := s2.GetStudent(ctx, testActor, cityScope, cityScope, st.id, true)
			if !errors.Is(err, privacy.ErrDecrypt) {
				t.Errorf("GetStudent with the wrong key: error = %v, want ErrDecrypt", err)
			}
			if d.Contact != nil && d.Contact.IDNumber != "" {
				t.Errorf("GetStudent with the wrong key returned an ID number %q", d.Contact.IDNumber)
			}
			if _, err := s2.FindStudentByIDNumber(ctx, cityScope, st.idNumber); !errors.Is(err, ErrNotFound) {
				t.Errorf("FindStudentByIDNumber with the wrong key: error = %v, want ErrNotFound", err)
			}
		})
	})
}

// TestSQLitePragmas checks T8.8: the durability and safety settings hold on
// the write handle (and the read handle where they apply).
func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		if s.Engine() != "sqlite" {
			t.Skip("pragmas are SQLite settings")
		}
		tests := []struct {
			name   string
			pragma string
			read   bool // check the read pool instead of the writer
			ok     func(string) bool
			want   string
		}{
			{"the journal is a write-ahead log", "journal_mode", false, eq("wal"), "wal"},
			{"every commit is synced (synchronous=FULL)", "synchronous", false, eq("2"), "2"},
			{"foreign keys are enforced on the writer", "foreign_keys", false, eq("1"), "1"},
			{"freed pages are overwritten (secure_delete)", "secure_delete", false, eq("1"), "1"},
			{"the schema is not trusted to call functions", "trusted_schema", false, eq("0"), "0"},
			{"the writer waits at least 5 s for a lock", "busy_timeout", false, atLeast(5000), ">= 5000"},
			{"the read pool is query-only", "query_only", true, eq("1"), "1"},
			{"the read pool waits at least 5 s for a lock", "busy_timeout", true, atLeast(5000), ">= 5000"},
			{"the read pool does not trust the schema either", "trusted_schema", true, eq("0"), "0"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				db := s.write
				if tc.read {
					db = s.read
				}
				var got string
				if err := db.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
					t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
				}
				if !tc.ok(strings.ToLower(got)) {
					t.Errorf("PRAGMA %s = %q, want %s", tc.pragma, got, tc.want)
				}
			})
		}
		t.Run("the read pool cannot write", func(t *testing.T) {
			if _, err := s.read.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('x', 'y')"); err == nil {
				t.Error("an INSERT through the read pool succeeded")
			}
		})
	})
}

func eq(want string) func(string) bool { return func(got string) bool { return got == want } }

func atLeast(n int) func(string) bool {
	return func(got string) bool { v, err := strconv.Atoi(got); return err == nil && v >= n }
}

// TestConcurrentFirstOpen: several server processes started together on an
// empty database (replicas behind a load balancer, or a restart racing a
// migration job) must all come up on the same schema and one audit head.
func TestConcurrentFirstOpen(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		// The race window is small on SQLite; a few rounds make a miss unlikely.
		for round := range 3 {
			t.Run(fmt.Sprintf("round %d", round+1), func(t *testing.T) { concurrentFirstOpen(t, s.Engine()) })
		}
	})
}

func concurrentFirstOpen(t *testing.T, engine string) {
	ctx := context.Background()
	env := freshEnv(t, engine, engineOptions{})
	const n = 8
	errs := make([]error, n)
	stores := make([]*Store, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = Open(ctx, env.cfg)
		}()
	}
	close(start)
	wg.Wait()
	for i, st := range stores {
		if st != nil {
			t.Cleanup(func() { st.Close() })
		}
		if errs[i] != nil {
			t.Errorf("Open %d of %d concurrent first opens failed: %v", i+1, n, errs[i])
		}
	}
	for _, st := range stores {
		if st == nil {
			continue
		}
		applied, known, err := st.SchemaVersion(ctx)
		if err != nil || applied != known {
			t.Errorf("SchemaVersion = %d, %d, %v", applied, known, err)
		}
		if got := count(t, st, "schema_migrations", ""); got != known {
			t.Errorf("schema_migrations has %d rows, want %d", got, known)
		}
		if got := count(t, st, "audit_head", ""); got != 1 {
			t.Errorf("audit_head has %d rows, want 1", got)
		}
		break
	}
}

// TestSQLiteFileModes: the database and its WAL and shared-memory files are
// readable by the owner only (they hold names and sealed ID numbers).
func TestSQLiteFileModes(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		if s.Engine() != "sqlite" {
			t.Skip("file modes are a SQLite matter")
		}
		if err := s.Audit(ctx, testActor, audit.ActLogin, "user", 1, "ok", ""); err != nil {
			t.Fatal(err)
		}
		path := envOf(t, s).sqlitePath
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			t.Run(filepath.Base(f)+" is owner-only", func(t *testing.T) {
				fi, err := os.Stat(f)
				if err != nil {
					t.Fatal(err)
				}
				if mode := fi.Mode().Perm(); mode&0o077 != 0 {
					t.Errorf("%s has mode %v, want no group or other access", filepath.Base(f), mode)
				}
			})
		}
	})
}

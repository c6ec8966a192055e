// Package store is Huhang's one store: every read and write of the city's
// tree, its people, accounts and the audit log goes through a *Store, on
// SQLite (the embedded default, pure Go through modernc.org/sqlite) or on
// PostgreSQL (through pgx). SQL is hand-written and portable; the few
// dialect differences live in dialect.go.
//
// Exported methods own their transaction; unexported helpers take a *sql.Tx.
// Methods that read people take an authz.Scope and put it inside the SQL as
// a predicate, so rows outside the caller's scope are never loaded. Every
// change, and every read of a named child's record, appends an audit entry
// in the same transaction.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"huhang/internal/audit"
	"huhang/internal/privacy"
)

// Config says where the data lives.
type Config struct {
	// DatabaseURL selects PostgreSQL (postgres://…); empty means SQLite.
	DatabaseURL string
	// SQLitePath is the database file when DatabaseURL is empty.
	SQLitePath string
	// Keyring seals ID numbers and TOTP secrets.
	Keyring *privacy.Keyring
	// AuditAlgorithm is used when the log is first created; an existing log
	// keeps the algorithm it was started with.
	AuditAlgorithm audit.Algorithm
	// ReadConns bounds the SQLite read pool (default 4).
	ReadConns int
	// Logger receives operational messages (never personal data).
	Logger *slog.Logger
}

// Store is the one store.
type Store struct {
	dialect  dialect
	write    *sql.DB // SQLite: one connection; PostgreSQL: the pool
	read     *sql.DB // SQLite: a read-only pool; PostgreSQL: the same pool
	keys     *privacy.Keyring
	auditAlg audit.Algorithm
	log      *slog.Logger
	now      func() time.Time
	counts   countCache
	stmts    stmtCache

	screenCache screeningCache
	parts       partCache
	progress    progressCache
	hsProgress  hsProgressCache
	auditOnce   sync.Once
	auditQ      *auditWriter
	histMu      sync.Mutex
	hist        map[string]histEntry
	codeIx      codeIndex
	agesMu      sync.Mutex
	ages        map[string]agesEntry
	ingestOnce  sync.Once
	ingest      *ingester
	// channels are the notification channels besides the in-app inbox
	// ("webhook", "sms") that alerts queue messages for.
	channels []string

	// SQLite: the background checkpointer's connection.
	ckpt               *sql.DB
	ckptStop, ckptDone chan struct{}
}

// Open connects, migrates and checks the database.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Keyring == nil {
		return nil, errors.New("store: no keyring")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{keys: cfg.Keyring, log: cfg.Logger, now: time.Now}
	var err error
	if cfg.DatabaseURL != "" {
		err = s.openPostgres(ctx, cfg)
	} else {
		err = s.openSQLite(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.initAuditHead(ctx, cfg.AuditAlgorithm); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) openSQLite(ctx context.Context, cfg Config) error {
	if cfg.SQLitePath == "" {
		return errors.New("store: no SQLite path")
	}
	if err := os.MkdirAll(filepath.Dir(cfg.SQLitePath), 0o700); err != nil {
		return fmt.Errorf("store: create data directory: %w", err)
	}
	s.dialect = sqliteDialect{}
	// Create the file owner-only before SQLite does: the WAL and shared
	// memory files inherit its mode.
	f, err := os.OpenFile(cfg.SQLitePath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: create %s: %w", cfg.SQLitePath, err)
	}
	f.Close()
	// busy_timeout comes first so every later pragma already waits instead
	// of failing; synchronous=FULL makes an acknowledged commit survive
	// power loss; secure_delete overwrites freed pages.
	// The writer never checkpoints (wal_autocheckpoint=0): a checkpoint
	// copies pages into the database file and fsyncs it, and on the writer
	// it would stall every request queued behind it. A separate connection
	// checkpoints in the background instead (see checkpointer).
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=foreign_keys(1)&_pragma=secure_delete(1)&_pragma=trusted_schema(0)&_pragma=wal_autocheckpoint(0)" +
		"&_pragma=cache_size(-16384)"
	dsn := "file:" + cfg.SQLitePath + "?" + pragmas + "&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	// One writer connection: SQLite has one writer at a time anyway, and a
	// Go-side queue beats SQLITE_BUSY retries.
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	// Switching a new file to WAL needs a moment of exclusive access and
	// answers SQLITE_BUSY without waiting when another process is doing
	// the same; retry briefly (processes starting together).
	for attempt := 0; ; attempt++ {
		err = w.PingContext(ctx)
		if err == nil || attempt == 50 || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		w.Close()
		return fmt.Errorf("store: open sqlite %s: %w", cfg.SQLitePath, err)
	}
	if err := checkSQLitePragmas(ctx, w); err != nil {
		w.Close()
		return err
	}
	n := cfg.ReadConns
	if n <= 0 {
		n = 4
	}
	r, err := sql.Open("sqlite", "file:"+cfg.SQLitePath+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)&_pragma=foreign_keys(1)&_pragma=trusted_schema(0)")
	if err != nil {
		w.Close()
		return fmt.Errorf("store: open sqlite reader: %w", err)
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.write, s.read = w, r
	ck, err := sql.Open("sqlite", "file:"+cfg.SQLitePath+"?_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_pragma=trusted_schema(0)")
	if err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("store: open sqlite checkpointer: %w", err)
	}
	ck.SetMaxOpenConns(1)
	s.ckpt = ck
	s.ckptStop = make(chan struct{})
	s.ckptDone = make(chan struct{})
	go s.checkpointer()
	return nil
}

// checkpointer copies the WAL into the database file in the background,
// every CheckpointInterval, without blocking the writer (PASSIVE); when
// the WAL has grown past a few hundred megabytes (a checkpoint that could
// not finish because readers held old pages) it waits for a full one.
func (s *Store) checkpointer() {
	defer close(s.ckptDone)
	t := time.NewTicker(CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ckptStop:
			s.ckpt.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			return
		case <-t.C:
			var busy, logPages, done int
			if err := s.ckpt.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &done); err != nil {
				s.log.Warn("wal checkpoint failed", "err", err)
				continue
			}
			if logPages > 100000 && done < logPages {
				s.ckpt.Exec("PRAGMA wal_checkpoint(RESTART)")
			}
		}
	}
}

// CheckpointInterval is how often the SQLite WAL is checkpointed.
const CheckpointInterval = time.Second

// checkSQLitePragmas refuses to run when the durability settings did not
// take, rather than silently running with weaker guarantees.
func checkSQLitePragmas(ctx context.Context, db *sql.DB) error {
	checks := []struct {
		pragma, want string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"},
		{"foreign_keys", "1"},
		{"secure_delete", "1"},
		{"trusted_schema", "0"},
	}
	for _, c := range checks {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			return fmt.Errorf("store: read pragma %s: %w", c.pragma, err)
		}
		if strings.ToLower(got) != c.want {
			return fmt.Errorf("store: sqlite pragma %s is %q, want %q", c.pragma, got, c.want)
		}
	}
	return nil
}

func (s *Store) openPostgres(ctx context.Context, cfg Config) error {
	s.dialect = postgresDialect{}
	db, err := sql.Open("pgx", cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("store: connect postgres: %w", err)
	}
	s.write, s.read = db, db
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	s.stopIngest()
	s.stopAuditWriter()
	s.stmts.close()
	if s.ckpt != nil {
		close(s.ckptStop)
		<-s.ckptDone
		s.ckpt.Close()
		s.ckpt = nil
	}
	var errs []error
	if s.read != nil && s.read != s.write {
		errs = append(errs, s.read.Close())
	}
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	return errors.Join(errs...)
}

// Engine names the database engine: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.dialect.name() }

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// SetClock replaces the store's clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Keyring returns the keyring the store seals fields with.
func (s *Store) Keyring() *privacy.Keyring { return s.keys }

// tx runs fn in a write transaction and commits it when fn returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err)
	}
	return nil
}

// execOne runs a statement that must change exactly the row it names;
// none changed means the row is not there (or not in scope).
func (s *Store) execOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// q rewrites a query written with ? placeholders for the dialect.
func (s *Store) q(query string) string { return s.dialect.rebind(query) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

const dateLayout = "2006-01-02"

func msNow(s *Store) int64 { return ms(s.now()) }

// PostgresIsEmpty reports whether the database at url has no Huhang schema
// yet (so a new key file may be created for it).
func PostgresIsEmpty(ctx context.Context, url string) (bool, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return false, fmt.Errorf("store: open postgres: %w", err)
	}
	defer db.Close()
	var name sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT to_regclass('schema_migrations')::text").Scan(&name); err != nil {
		return false, fmt.Errorf("store: connect postgres: %w", err)
	}
	return !name.Valid, nil
}

// HasDemoData reports whether the synthetic demo city was ever loaded.
func (s *Store) HasDemoData(ctx context.Context) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM audit_log WHERE action = ?"), "system.demo_loaded").Scan(&n)
	return n > 0, err
}

// Backup writes a transactionally consistent copy of a live SQLite database
// with VACUUM INTO (never a file copy, which can tear under WAL).
func (s *Store) Backup(ctx context.Context, path string) (int64, error) {
	if s.dialect.name() != "sqlite" {
		return 0, errors.New("store: backup is for SQLite; use pg_dump for PostgreSQL")
	}
	if _, err := os.Stat(path); err == nil {
		return 0, fmt.Errorf("store: backup target %s already exists", path)
	}
	if _, err := s.write.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	// The copy's existence is itself audited (the entry is not in the copy).
	if err := s.Audit(ctx, SystemActor, audit.ActBackup, "database", 0, "ok", fmt.Sprintf("bytes=%d", fi.Size())); err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

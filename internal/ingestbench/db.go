// Package ingestbench holds the reference programs that Huhang's screening
// ingest is measured against, and the POST load generator that measures
// them. Each submission is a small JSON document decoded, checked and
// durably committed (SQLite in WAL mode with synchronous=FULL, or
// PostgreSQL) before the server answers 201.
//
// Two baselines bracket what the hardware allows:
//
//   - the naive server commits one transaction per request;
//   - the ceiling server hands each decoded submission to one writer
//     goroutine that drains whatever is queued into one transaction
//     (group commit) and answers every request of the batch once it has
//     committed.
//
// `huhang bench-ingest` runs both, one at a time and with the same load,
// beside Huhang's own endpoint, and reports Huhang's throughput as a ratio
// to each. Nothing here asserts a timing: the package measures and the
// caller compares.
package ingestbench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Dialect names the database a DB lives in.
type Dialect string

// The two supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a fresh submissions table:
//
//	submissions(id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE,
//	            body BLOB NOT NULL, at INTEGER NOT NULL)
//
// in a new SQLite file or in a new PostgreSQL schema named
// ingestbench_<random>. Close removes what Open created.
type DB struct {
	dialect Dialect
	// write is the pool the servers write through: one connection for
	// SQLite (as the store does), Options.PostgresConns for PostgreSQL.
	write *sql.DB
	// table is the table's name as SQL should spell it (schema-qualified
	// for PostgreSQL).
	table string
	// schema is the PostgreSQL schema to drop on Close.
	schema string
	// remove lists the files or directories Close deletes.
	remove []string
	// SQLite: the background checkpointer's connection.
	ckpt        *sql.DB
	ckptStop    chan struct{}
	ckptDone    chan struct{}
	checkpoints atomic.Int64
}

// sqlitePragmas are those of the store's SQLite writer (internal/store
// openSQLite; TestSQLitePragmasMatchTheStore keeps them in step):
// busy_timeout first, then WAL, synchronous=FULL so an acknowledged commit
// survives power loss, and no checkpoints on the writer
// (wal_autocheckpoint=0) — a checkpointer connection copies the WAL into
// the database file in the background, as the store's does, so the
// baselines stall on checkpoints no more than Huhang does.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
	"&_pragma=foreign_keys(1)&_pragma=secure_delete(1)&_pragma=trusted_schema(0)&_pragma=wal_autocheckpoint(0)" +
	"&_pragma=cache_size(-16384)"

// checkpointerPragmas are those of the store's checkpointer connection.
const checkpointerPragmas = "_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_pragma=trusted_schema(0)"

// CheckpointInterval is how often the background checkpointer runs (the
// store's interval).
const CheckpointInterval = time.Second

// OpenSQLite creates the database file path (which must not exist yet) with
// the store's pragmas and the submissions table. The servers write through
// one connection, as the store does.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ingestbench: create %s: %w", path, err)
	}
	f.Close()
	w, err := sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("ingestbench: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	d := &DB{dialect: SQLite, write: w, table: "submissions", remove: []string{path, path + "-wal", path + "-shm"}}
	var mode, sync string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		d.Close()
		return nil, fmt.Errorf("ingestbench: open sqlite: %w", err)
	}
	if err := w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		d.Close()
		return nil, fmt.Errorf("ingestbench: open sqlite: %w", err)
	}
	if mode != "wal" || sync != "2" {
		d.Close()
		return nil, fmt.Errorf("ingestbench: sqlite journal_mode=%s synchronous=%s, want wal and 2 (FULL)", mode, sync)
	}
	if _, err := w.ExecContext(ctx, `CREATE TABLE submissions (
		id   INTEGER PRIMARY KEY,
		code TEXT NOT NULL UNIQUE,
		body BLOB NOT NULL,
		at   INTEGER NOT NULL)`); err != nil {
		d.Close()
		return nil, fmt.Errorf("ingestbench: create table: %w", err)
	}
	ck, err := sql.Open("sqlite", "file:"+path+"?"+checkpointerPragmas)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("ingestbench: open sqlite checkpointer: %w", err)
	}
	ck.SetMaxOpenConns(1)
	d.ckpt, d.ckptStop, d.ckptDone = ck, make(chan struct{}), make(chan struct{})
	go d.checkpointer()
	return d, nil
}

// checkpointer copies the WAL into the database file every
// CheckpointInterval without blocking the writer (PASSIVE), and waits for
// a full checkpoint when the WAL has grown past 100,000 pages, as the
// store's checkpointer does.
func (d *DB) checkpointer() {
	defer close(d.ckptDone)
	t := time.NewTicker(CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-d.ckptStop:
			return
		case <-t.C:
			var busy, logPages, done int
			if err := d.ckpt.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &done); err != nil {
				continue
			}
			d.checkpoints.Add(1)
			if logPages > 100000 && done < logPages {
				d.ckpt.Exec("PRAGMA wal_checkpoint(RESTART)")
			}
		}
	}
}

// Checkpoints is the number of background checkpoints run so far.
func (d *DB) Checkpoints() int64 { return d.checkpoints.Load() }

// OpenSQLiteTemp is OpenSQLite on a file in a new directory under dir
// ("" for the system's temporary directory); Close removes the directory.
func OpenSQLiteTemp(ctx context.Context, dir string) (*DB, error) {
	tmp, err := os.MkdirTemp(dir, "ingestbench-")
	if err != nil {
		return nil, fmt.Errorf("ingestbench: %w", err)
	}
	d, err := OpenSQLite(ctx, filepath.Join(tmp, "ingest.db"))
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	d.remove = []string{tmp}
	return d, nil
}

// DefaultPostgresConns is the size of the PostgreSQL pool, the same as the
// store's.
const DefaultPostgresConns = 16

// OpenPostgres connects to url, creates a schema ingestbench_<random> and
// the submissions table in it (id BIGINT identity, body BYTEA, at BIGINT).
// conns bounds the pool (0 means DefaultPostgresConns). Close drops the
// schema.
func OpenPostgres(ctx context.Context, url string, conns int) (*DB, error) {
	if conns <= 0 {
		conns = DefaultPostgresConns
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("ingestbench: open postgres: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ingestbench: connect postgres: %w", err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	schema := "ingestbench_" + hex.EncodeToString(rnd[:])
	d := &DB{dialect: Postgres, write: db, table: schema + ".submissions"}
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		d.Close()
		return nil, fmt.Errorf("ingestbench: create schema: %w", err)
	}
	d.schema = schema
	if _, err := db.ExecContext(ctx, `CREATE TABLE `+d.table+` (
		id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		code TEXT NOT NULL UNIQUE,
		body BYTEA NOT NULL,
		at   BIGINT NOT NULL)`); err != nil {
		d.Close()
		return nil, fmt.Errorf("ingestbench: create table: %w", err)
	}
	return d, nil
}

// TempSchema creates a fresh, empty PostgreSQL schema ingestbench_<random>
// in the database at dbURL and returns a URL whose connections use it
// (search_path set to it, so unqualified names land there), and a function
// that drops it with everything in it. A target that runs its own
// migrations, such as Huhang, gets a fresh database per run this way.
// dbURL may be a postgres:// URL or a key=value connection string.
func TempSchema(ctx context.Context, dbURL string) (schemaURL string, drop func() error, err error) {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return "", nil, fmt.Errorf("ingestbench: open postgres: %w", err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	schema := "ingestbench_" + hex.EncodeToString(rnd[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("ingestbench: create schema: %w", err)
	}
	drop = func() error {
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("ingestbench: drop schema %s: %w", schema, err)
		}
		return nil
	}
	if u, err := url.Parse(dbURL); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), drop, nil
	}
	return strings.TrimSpace(dbURL) + " search_path=" + schema, drop, nil
}

// Dialect reports which database d lives in.
func (d *DB) Dialect() Dialect { return d.dialect }

// Schema is the PostgreSQL schema d created ("" for SQLite).
func (d *DB) Schema() string { return d.schema }

// Count returns the number of stored submissions.
func (d *DB) Count(ctx context.Context) (int, error) {
	var n int
	if err := d.write.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+d.table).Scan(&n); err != nil {
		return 0, fmt.Errorf("ingestbench: count: %w", err)
	}
	return n, nil
}

// Codes returns every stored code, for tests that check exactly which
// submissions were kept.
func (d *DB) Codes(ctx context.Context) (map[string]bool, error) {
	rows, err := d.write.QueryContext(ctx, "SELECT code FROM "+d.table)
	if err != nil {
		return nil, fmt.Errorf("ingestbench: list codes: %w", err)
	}
	defer rows.Close()
	codes := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("ingestbench: list codes: %w", err)
		}
		codes[c] = true
	}
	return codes, rows.Err()
}

// Close drops the PostgreSQL schema or removes the SQLite files, and
// closes the connections. Stop the servers using d first.
func (d *DB) Close() error {
	var errs []error
	if d.ckpt != nil {
		close(d.ckptStop)
		<-d.ckptDone
		errs = append(errs, d.ckpt.Close())
	}
	if d.schema != "" {
		ctx := context.Background()
		if _, err := d.write.ExecContext(ctx, "DROP SCHEMA "+d.schema+" CASCADE"); err != nil {
			errs = append(errs, fmt.Errorf("ingestbench: drop schema %s: %w", d.schema, err))
		}
	}
	errs = append(errs, d.write.Close())
	for _, p := range d.remove {
		errs = append(errs, os.RemoveAll(p))
	}
	return errors.Join(errs...)
}

package ingestbench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Submission is what the baselines decode from each POST body. The stored
// row keeps the body as it arrived.
type Submission struct {
	Code       string           `json:"code"`
	Answers    map[string][]int `json:"answers"`
	DurationMS int64            `json:"duration_ms"`
}

// MaxCodeLen bounds a submission code.
const MaxCodeLen = 64

// MaxBodyBytes bounds a POST body; a longer one is answered 413.
const MaxBodyBytes = 64 << 10

// Validate checks what a real handler would at least check before storing:
// a code, some answers, and item scores in the 0–3 range that PHQ-9 and
// GAD-7 use.
func (s *Submission) Validate() error {
	if s.Code == "" || len(s.Code) > MaxCodeLen {
		return errors.New("code must have 1 to 64 characters")
	}
	if len(s.Answers) == 0 {
		return errors.New("no answers")
	}
	for name, items := range s.Answers {
		if len(items) == 0 {
			return fmt.Errorf("instrument %q has no items", name)
		}
		for _, v := range items {
			if v < 0 || v > 3 {
				return fmt.Errorf("instrument %q has an item scored %d, outside 0–3", name, v)
			}
		}
	}
	if s.DurationMS < 0 {
		return errors.New("negative duration")
	}
	return nil
}

// DefaultQueueCap is the ceiling server's queue capacity, which is also its
// largest batch.
const DefaultQueueCap = 1000

var (
	errConflict = errors.New("ingestbench: code already stored")
	errClosed   = errors.New("ingestbench: server closed")
)

// Baseline is a reference ingest server: an http.Handler that accepts
// POST /… with a submission body and answers 201 once the submission is
// durably committed, 409 when its code is already stored, 400 for a body
// that is not a valid submission and 413 for one over MaxBodyBytes. It
// ignores the path, so it can be mounted anywhere.
type Baseline struct {
	name  string
	db    *DB
	items sync.Pool // *item

	// insert stores one row and reports 0 rows affected when the code
	// exists (ON CONFLICT DO NOTHING).
	insert *sql.Stmt

	// Group commit (the ceiling) only: the handlers send to queue, one
	// writer goroutine drains it.
	queue    chan *item
	maxBatch int
	stopped  chan struct{}
	mu       sync.RWMutex // held for reading while enqueueing; Close takes it to close the queue
	closed   bool

	// PostgreSQL group commit: reused argument slices and result set.
	pgCodes  []string
	pgBodies [][]byte
	pgAts    []int64
	pgStored map[string]int

	// accepted counts submissions handed to the database: for the
	// ceiling, once they are in the queue.
	accepted atomic.Int64
	statsMu  sync.Mutex
	stats    BatchStats
}

// item is one submission on its way to the database. Handlers take one
// from the pool, read the body into buf, and put it back once the writer
// has answered through done.
type item struct {
	buf  []byte
	code string
	at   int64
	err  error
	done chan struct{}
}

// NewNaive returns the naive baseline: every request commits its own
// transaction, an autocommit INSERT, through db's pool (one connection for
// SQLite, so requests queue for it as they would in the store).
func NewNaive(ctx context.Context, db *DB) (*Baseline, error) {
	return newBaseline(ctx, "naive", db)
}

// NewCeiling returns the group-commit baseline: requests queue their
// decoded submission (queueCap slots; 0 means DefaultQueueCap) for one
// writer goroutine, which blocks for the first item, then takes whatever
// else is already queued, without waiting for more, up to queueCap items,
// and commits them in one transaction (SQLite: one INSERT per row; PostgreSQL:
// one multi-row INSERT … SELECT FROM unnest). There is no batching window:
// under light load a batch is one row and commits at once; under heavy load
// the batches grow by themselves while the previous one commits.
// Close it after the HTTP server has stopped, so no request meets a 503.
func NewCeiling(ctx context.Context, db *DB, queueCap int) (*Baseline, error) {
	if queueCap <= 0 {
		queueCap = DefaultQueueCap
	}
	b, err := newBaseline(ctx, "ceiling", db)
	if err != nil {
		return nil, err
	}
	b.queue = make(chan *item, queueCap)
	b.maxBatch = queueCap
	b.stopped = make(chan struct{})
	if db.dialect == Postgres {
		b.pgCodes = make([]string, 0, queueCap)
		b.pgBodies = make([][]byte, 0, queueCap)
		b.pgAts = make([]int64, 0, queueCap)
		b.pgStored = make(map[string]int, queueCap)
	}
	go b.run()
	return b, nil
}

func newBaseline(ctx context.Context, name string, db *DB) (*Baseline, error) {
	q := "INSERT INTO " + db.table + " (code, body, at) VALUES (?, ?, ?) ON CONFLICT (code) DO NOTHING"
	if db.dialect == Postgres {
		q = "INSERT INTO " + db.table + " (code, body, at) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING"
	}
	st, err := db.write.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("ingestbench: prepare insert: %w", err)
	}
	b := &Baseline{name: name, db: db, insert: st}
	b.items.New = func() any { return &item{buf: make([]byte, 0, 1024), done: make(chan struct{}, 1)} }
	return b, nil
}

// Name is "naive" or "ceiling".
func (b *Baseline) Name() string { return b.name }

// DB is the database b writes to.
func (b *Baseline) DB() *DB { return b.db }

// Close stops the writer goroutine after it has committed everything
// queued, and releases the prepared statement. Requests arriving after
// Close are answered 503. It does not close the DB.
func (b *Baseline) Close() error {
	b.mu.Lock()
	already := b.closed
	b.closed = true
	if !already && b.queue != nil {
		close(b.queue)
	}
	b.mu.Unlock()
	if already {
		return nil
	}
	if b.stopped != nil {
		<-b.stopped
	}
	return b.insert.Close()
}

// ServeHTTP decodes and checks one submission and stores it.
func (b *Baseline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST a submission", http.StatusMethodNotAllowed)
		return
	}
	it := b.items.Get().(*item)
	defer b.items.Put(it)
	var err error
	it.buf, err = readBody(r.Body, it.buf[:0], r.ContentLength)
	if errors.Is(err, errTooLarge) {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	var s Submission
	if err := json.Unmarshal(it.buf, &s); err != nil {
		http.Error(w, "malformed JSON", http.StatusBadRequest)
		return
	}
	if err := s.Validate(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	it.code, it.at, it.err = s.Code, time.Now().UnixMilli(), nil
	if b.queue != nil {
		err = b.enqueue(it)
	} else {
		b.accepted.Add(1)
		err = b.commitOne(r.Context(), it)
	}
	it.code = ""
	switch {
	case err == nil:
		w.WriteHeader(http.StatusCreated)
	case errors.Is(err, errConflict):
		http.Error(w, "a submission with this code is already stored", http.StatusConflict)
	case errors.Is(err, errClosed):
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
	default:
		http.Error(w, "cannot store the submission", http.StatusInternalServerError)
	}
}

var errTooLarge = errors.New("ingestbench: body too large")

// readBody reads r into buf (reused between requests), up to MaxBodyBytes.
func readBody(r io.Reader, buf []byte, contentLength int64) ([]byte, error) {
	if contentLength > MaxBodyBytes {
		return buf, errTooLarge
	}
	if contentLength > int64(cap(buf)) {
		buf = make([]byte, 0, contentLength+1) // +1 so EOF is read without growing
	}
	for {
		if len(buf) == cap(buf) {
			if len(buf) > MaxBodyBytes {
				return buf, errTooLarge
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > MaxBodyBytes {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// commitOne is the naive path: one autocommit INSERT, one transaction.
func (b *Baseline) commitOne(ctx context.Context, it *item) error {
	res, err := b.insert.ExecContext(ctx, it.code, it.buf, it.at)
	if err != nil {
		return fmt.Errorf("ingestbench: insert: %w", err)
	}
	b.record(1, 0)
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("ingestbench: insert: %w", err)
	} else if n == 0 {
		return errConflict
	}
	return nil
}

// enqueue hands it to the writer and waits for its batch to commit.
func (b *Baseline) enqueue(it *item) error {
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return errClosed
	}
	b.queue <- it
	b.mu.RUnlock()
	b.accepted.Add(1)
	<-it.done
	return it.err
}

// run is the group-commit writer.
func (b *Baseline) run() {
	defer close(b.stopped)
	batch := make([]*item, 0, b.maxBatch)
	for {
		first, ok := <-b.queue // block for the first item only
		if !ok {
			return
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < b.maxBatch {
			select {
			case it, ok := <-b.queue:
				if !ok {
					break drain // closed: commit these, then the receive above returns
				}
				batch = append(batch, it)
			default:
				break drain // nothing else is waiting: commit now, never wait for more
			}
		}
		t0 := time.Now()
		if err := b.commitBatch(batch); err != nil {
			for _, it := range batch {
				it.err = err
			}
		} else {
			b.record(len(batch), time.Since(t0))
		}
		for i, it := range batch {
			it.done <- struct{}{}
			batch[i] = nil
		}
	}
}

// commitBatch stores batch in one transaction and sets each item's err to
// errConflict when its code was already stored (or earlier in the batch).
func (b *Baseline) commitBatch(batch []*item) error {
	ctx := context.Background()
	if b.db.dialect == Postgres {
		return b.commitBatchPostgres(ctx, batch)
	}
	tx, err := b.db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ingestbench: begin: %w", err)
	}
	defer tx.Rollback()
	st := tx.StmtContext(ctx, b.insert)
	for _, it := range batch {
		res, err := st.ExecContext(ctx, it.code, it.buf, it.at)
		if err != nil {
			return fmt.Errorf("ingestbench: insert: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("ingestbench: insert: %w", err)
		}
		if n == 0 {
			it.err = errConflict
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ingestbench: commit: %w", err)
	}
	return nil
}

// commitBatchPostgres stores batch with one INSERT … SELECT FROM unnest
// (a statement is a transaction) and learns which codes it stored from
// RETURNING.
func (b *Baseline) commitBatchPostgres(ctx context.Context, batch []*item) error {
	b.pgCodes, b.pgBodies, b.pgAts = b.pgCodes[:0], b.pgBodies[:0], b.pgAts[:0]
	for _, it := range batch {
		b.pgCodes = append(b.pgCodes, it.code)
		b.pgBodies = append(b.pgBodies, it.buf)
		b.pgAts = append(b.pgAts, it.at)
	}
	clear(b.pgStored)
	defer clear(b.pgBodies[:cap(b.pgBodies)]) // drop references to pooled buffers
	rows, err := b.db.write.QueryContext(ctx, "INSERT INTO "+b.db.table+" (code, body, at) "+
		"SELECT * FROM unnest($1::text[], $2::bytea[], $3::bigint[]) ON CONFLICT (code) DO NOTHING RETURNING code",
		b.pgCodes, b.pgBodies, b.pgAts)
	if err != nil {
		return fmt.Errorf("ingestbench: insert batch: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return fmt.Errorf("ingestbench: insert batch: %w", err)
		}
		b.pgStored[c]++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ingestbench: insert batch: %w", err)
	}
	// The first item with a stored code was stored; any other item with
	// that code, or with a code not returned, met a conflict.
	for _, it := range batch {
		if b.pgStored[it.code] > 0 {
			b.pgStored[it.code] = -1
			continue
		}
		it.err = errConflict
	}
	return nil
}

// BatchBuckets is the number of batch-size histogram buckets: bucket i
// counts batches of 2^i to 2^(i+1)-1 rows, and the last one everything
// from 1,024 up.
const BatchBuckets = 11

// BatchStats describes the commits a server made: how many transactions,
// how many rows they carried, the largest, and a histogram of their sizes.
// Rows counts rows sent to the database, conflicts included.
type BatchStats struct {
	// Accepted counts valid submissions handed to the database (for the
	// ceiling: queued), whether they were stored or met a conflict.
	Accepted int64               `json:"accepted"`
	Commits  int64               `json:"commits"`
	Rows     int64               `json:"rows"`
	Max      int                 `json:"max"`
	Sizes    [BatchBuckets]int64 `json:"sizes"`
	// CommitTime (the ceiling only) is the writer's time in commits, from
	// BEGIN to the end of COMMIT: over the run's wall time, how busy the
	// one writer was.
	CommitTime time.Duration `json:"commit_time_ns"`
}

// MeanCommit is the writer's average time per commit (0 for the naive
// server, whose commits are not timed apart from their wait for a
// connection).
func (s BatchStats) MeanCommit() time.Duration {
	if s.Commits == 0 {
		return 0
	}
	return s.CommitTime / time.Duration(s.Commits)
}

// Mean is the average rows per commit.
func (s BatchStats) Mean() float64 {
	if s.Commits == 0 {
		return 0
	}
	return float64(s.Rows) / float64(s.Commits)
}

// BucketLabel names histogram bucket i ("1", "2–3", …, "≥1024").
func BucketLabel(i int) string {
	lo := 1 << i
	if i == BatchBuckets-1 {
		return fmt.Sprintf("≥%d", lo)
	}
	if lo == 1 {
		return "1"
	}
	return fmt.Sprintf("%d–%d", lo, 2*lo-1)
}

func (b *Baseline) record(n int, took time.Duration) {
	i := min(bits.Len(uint(n))-1, BatchBuckets-1)
	b.statsMu.Lock()
	b.stats.CommitTime += took
	b.stats.Commits++
	b.stats.Rows += int64(n)
	b.stats.Max = max(b.stats.Max, n)
	b.stats.Sizes[i]++
	b.statsMu.Unlock()
}

// Stats returns the commits made so far.
func (b *Baseline) Stats() BatchStats {
	b.statsMu.Lock()
	defer b.statsMu.Unlock()
	s := b.stats
	s.Accepted = b.accepted.Load()
	return s
}

// ResetStats forgets the commits made so far (e.g. after a warm-up).
func (b *Baseline) ResetStats() {
	b.statsMu.Lock()
	b.stats = BatchStats{}
	b.accepted.Store(0)
	b.statsMu.Unlock()
}

// Serve serves h on 127.0.0.1 on a free port, with the timeouts `huhang
// serve` uses, and returns its base URL ("http://127.0.0.1:PORT") and a
// function that shuts it down, waiting for requests in flight.
func Serve(h http.Handler) (url string, shutdown func() error, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("ingestbench: listen: %w", err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := hs.Shutdown(ctx)
		if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}, nil
}

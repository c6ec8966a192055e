package ingestbench

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// pgURLEnv names the PostgreSQL database the tests may use (CI sets it).
const pgURLEnv = "HUHANG_TEST_DATABASE_URL"

// dialects runs f once on a fresh SQLite file and once on a fresh
// PostgreSQL schema (skipped when pgURLEnv is not set). open takes the
// PostgreSQL pool size (SQLite always has one write connection).
func dialects(t *testing.T, f func(t *testing.T, open func(t *testing.T, conns int) *DB)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, func(t *testing.T, _ int) *DB {
			db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "ingest.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		url := os.Getenv(pgURLEnv)
		if url == "" {
			t.Skipf("set %s to run the PostgreSQL variant", pgURLEnv)
		}
		f(t, func(t *testing.T, conns int) *DB {
			db, err := OpenPostgres(context.Background(), url, conns)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := db.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			return db
		})
	})
}

type kind struct {
	name string
	make func(context.Context, *DB) (*Baseline, error)
}

var kinds = []kind{
	{"naive", NewNaive},
	{"ceiling", func(ctx context.Context, db *DB) (*Baseline, error) { return NewCeiling(ctx, db, 0) }},
}

// server starts b's kind over db behind an httptest server.
func server(t *testing.T, k kind, db *DB) (*Baseline, string) {
	t.Helper()
	b, err := k.make(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b)
	t.Cleanup(func() {
		srv.Close()
		if err := b.Close(); err != nil {
			t.Errorf("close baseline: %v", err)
		}
	})
	return b, srv.URL
}

func post(t *testing.T, c *http.Client, url string, body []byte) int {
	t.Helper()
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestBaselinesStoreExactlyTheAcknowledgedRows(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(*testing.T, int) *DB) {
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) {
				db := open(t, 0)
				_, url := server(t, k, db)
				g := NewBodies(7)
				const workers, each = 16, 25
				// Every 10th request of a worker repeats a code another
				// worker also sends: exactly one of the two may be stored.
				code := func(w, i int) (int, int) {
					if i%10 == 9 {
						return 0, i // worker 0's own request i has the same code
					}
					return w, i
				}
				type answer struct {
					code   string
					status int
				}
				answers := make([][]answer, workers)
				var wg sync.WaitGroup
				for w := range workers {
					wg.Go(func() {
						c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
						defer c.CloseIdleConnections()
						for i := range each {
							cw, ci := code(w, i)
							// Same code, different answers when cw != w.
							body := g.AppendBody(nil, cw, ci)
							if cw != w {
								body = bytes.Replace(body, []byte(`"consent":true`), []byte(`"consent":true,"dup":1`), 1)
							}
							answers[w] = append(answers[w], answer{g.Code(cw, ci), post(t, c, url, body)})
						}
					})
				}
				wg.Wait()

				stored, err := db.Codes(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				created := map[string]int{}
				conflicts := 0
				for _, as := range answers {
					for _, a := range as {
						switch a.status {
						case http.StatusCreated:
							created[a.code]++
							if !stored[a.code] {
								t.Errorf("code %s was acknowledged with 201 but is not stored", a.code)
							}
						case http.StatusConflict:
							conflicts++
							if !stored[a.code] {
								t.Errorf("code %s was refused as a duplicate but nothing with it is stored", a.code)
							}
						default:
							t.Errorf("code %s: status %d", a.code, a.status)
						}
					}
				}
				for c, n := range created {
					if n != 1 {
						t.Errorf("code %s was acknowledged %d times", c, n)
					}
				}
				if len(stored) != len(created) {
					t.Errorf("%d rows stored, but %d submissions were acknowledged with 201", len(stored), len(created))
				}
				if n, err := db.Count(context.Background()); err != nil || n != len(created) {
					t.Errorf("Count() = %d, %v; want %d", n, err, len(created))
				}
				// Workers 1–15 each repeat 2 of worker 0's codes.
				if want := (workers - 1) * (each / 10); conflicts != want {
					t.Errorf("%d answers were 409, want %d (one per repeated code)", conflicts, want)
				}
			})
		}
	})
}

func TestBaselinesRefuseADuplicateCode(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(*testing.T, int) *DB) {
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) {
				db := open(t, 0)
				_, url := server(t, k, db)
				first := []byte(`{"code":"DUPLICATE1","answers":{"phq9":[0,0,0,0,0,0,0,0,0]},"duration_ms":1000}`)
				second := []byte(`{"code":"DUPLICATE1","answers":{"phq9":[3,3,3,3,3,3,3,3,3]},"duration_ms":2000}`)
				c := &http.Client{}
				if got := post(t, c, url, first); got != http.StatusCreated {
					t.Fatalf("first POST: status %d, want 201", got)
				}
				if got := post(t, c, url, second); got != http.StatusConflict {
					t.Errorf("second POST with the same code: status %d, want 409", got)
				}
				var body []byte
				if err := db.write.QueryRow("SELECT body FROM " + db.table + " WHERE code = 'DUPLICATE1'").Scan(&body); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(body, first) {
					t.Errorf("stored body = %s, want the first one %s", body, first)
				}
				if n, _ := db.Count(context.Background()); n != 1 {
					t.Errorf("%d rows stored, want 1", n)
				}
			})
		}
	})
}

func TestBaselinesRefuseInvalidBodies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		body   string
		status int
	}{
		{"malformed JSON", `{"code":"BAD0000001","answers":`, http.StatusBadRequest},
		{"not JSON at all", `code=BAD0000002`, http.StatusBadRequest},
		{"an empty body", ``, http.StatusBadRequest},
		{"a body without a code", `{"answers":{"phq9":[0,1]}}`, http.StatusBadRequest},
		{"a code longer than 64 characters", `{"code":"` + strings.Repeat("X", 65) + `","answers":{"phq9":[0]}}`, http.StatusBadRequest},
		{"no answers", `{"code":"BAD0000003","answers":{}}`, http.StatusBadRequest},
		{"an item scored outside 0–3", `{"code":"BAD0000004","answers":{"phq9":[0,7]}}`, http.StatusBadRequest},
		{"a wrongly typed field", `{"code":"BAD0000005","answers":{"phq9":"zero"}}`, http.StatusBadRequest},
		{"a body over the limit", `{"code":"BAD0000006","answers":{"phq9":[0]},"pad":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, http.StatusRequestEntityTooLarge},
	}
	dialects(t, func(t *testing.T, open func(*testing.T, int) *DB) {
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) {
				db := open(t, 0)
				b, url := server(t, k, db)
				c := &http.Client{}
				for _, tc := range cases {
					if got := post(t, c, url, []byte(tc.body)); got != tc.status {
						t.Errorf("%s: status %d, want %d", tc.name, got, tc.status)
					}
				}
				if n, err := db.Count(context.Background()); err != nil || n != 0 {
					t.Errorf("%d rows stored after only invalid bodies (err %v), want none", n, err)
				}
				if s := b.Stats(); s.Accepted != 0 || s.Commits != 0 {
					t.Errorf("invalid bodies reached the database: %+v", s)
				}
				resp, err := c.Get(url)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusMethodNotAllowed {
					t.Errorf("GET: status %d, want 405", resp.StatusCode)
				}
			})
		}
	})
}

// TestCeilingCommitsWhatQueuedInOneTransaction holds the database's only
// connection while 50 submissions (five pairs sharing a code) arrive, so
// they must all queue; once it is released, the writer commits its first
// item (or whatever it had already taken) and then everything else in at
// most one more transaction.
func TestCeilingCommitsWhatQueuedInOneTransaction(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(*testing.T, int) *DB) {
		ctx := context.Background()
		db := open(t, 1)
		b, url := server(t, kinds[1], db)
		hold, err := db.write.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		g := NewBodies(3)
		const n = 50
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				seq := i
				if i >= n-5 {
					seq = i - 10 // the last five repeat codes of requests 35–39
				}
				statuses[i] = post(t, &http.Client{}, url, g.Body(0, seq))
			})
		}
		// Wait (however long it takes) until every submission is queued.
		for b.Stats().Accepted < n {
			time.Sleep(time.Millisecond)
		}
		hold.Close()
		wg.Wait()

		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[http.StatusCreated] != n-5 || count[http.StatusConflict] != 5 {
			t.Errorf("statuses %v, want %d × 201 and 5 × 409", count, n-5)
		}
		if rows, _ := db.Count(ctx); rows != n-5 {
			t.Errorf("%d rows stored, want %d", rows, n-5)
		}
		s := b.Stats()
		if s.Commits > 2 || s.Max < n/2 || s.Rows != n {
			t.Errorf("stats %+v: want the %d rows in at most 2 commits, the larger of at least %d rows", s, n, n/2)
		}
		total := int64(0)
		for _, c := range s.Sizes {
			total += c
		}
		if total != s.Commits {
			t.Errorf("the size histogram %v counts %d commits, want %d", s.Sizes, total, s.Commits)
		}
	})
}

// TestCeilingBatchesUnderConcurrentLoad: with 32 clients and one writer,
// some batch carries more than one row (the writer never waits for more,
// so any batch > 1 comes from requests that queued during a commit).
func TestCeilingBatchesUnderConcurrentLoad(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(*testing.T, int) *DB) {
		db := open(t, 0)
		b, url := server(t, kinds[1], db)
		res, err := Load(context.Background(), LoadConfig{URL: url, Clients: 32, Duration: 500 * time.Millisecond,
			Body: NewBodies(1).Body})
		if err != nil {
			t.Fatal(err)
		}
		if res.TotalErrors() != 0 {
			t.Fatalf("%d requests failed: %v", res.TotalErrors(), res.ErrorSamples)
		}
		s := b.Stats()
		if s.Max <= 1 {
			t.Errorf("the largest batch had %d rows under 32 concurrent clients; the writer is not batching (%+v)", s.Max, s)
		}
		if rows, _ := db.Count(context.Background()); int64(rows) != s.Rows || rows != res.Statuses[http.StatusCreated] {
			t.Errorf("%d rows stored, %d committed, %d acknowledged", rows, s.Rows, res.Statuses[http.StatusCreated])
		}
		t.Logf("%d commits, %.1f rows per commit, largest %d", s.Commits, s.Mean(), s.Max)
	})
}

func TestBucketLabels(t *testing.T) {
	t.Parallel()
	for i, want := range map[int]string{0: "1", 1: "2–3", 4: "16–31", BatchBuckets - 1: "≥1024"} {
		if got := BucketLabel(i); got != want {
			t.Errorf("BucketLabel(%d) = %q, want %q", i, got, want)
		}
	}
	b := &Baseline{}
	for _, n := range []int{1, 2, 3, 4, 1000, 1024, 5000} {
		b.record(n, time.Millisecond)
	}
	s := b.Stats()
	want := [BatchBuckets]int64{0: 1, 1: 2, 2: 1, 9: 1, 10: 2}
	if s.Sizes != want || s.Max != 5000 || s.Commits != 7 || s.MeanCommit() != time.Millisecond {
		t.Errorf("stats %+v, want sizes %v, max 5000, 7 commits", s, want)
	}
}

func ExampleBodies_Body() {
	g := NewBodies(1)
	fmt.Println(len(g.Code(0, 0)), g.Code(0, 0) != g.Code(0, 1))
	// Output: 10 true
}

func TestTempSchemaIsolatesAndDrops(t *testing.T) {
	t.Parallel()
	base := os.Getenv(pgURLEnv)
	if base == "" {
		t.Skipf("set %s to run the PostgreSQL test", pgURLEnv)
	}
	ctx := context.Background()
	for _, form := range []string{"url", "key=value"} {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			in := base
			if form == "key=value" {
				u, err := url.Parse(base)
				if err != nil {
					t.Fatal(err)
				}
				in = fmt.Sprintf("host=%s port=%s user=%s dbname=%s sslmode=disable", u.Hostname(), u.Port(), u.User.Username(), strings.TrimPrefix(u.Path, "/"))
			}
			schemaURL, drop, err := TempSchema(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("pgx", schemaURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, "CREATE TABLE schema_probe (id INT)"); err != nil {
				t.Fatal(err)
			}
			var schema string
			if err := db.QueryRowContext(ctx, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'schema_probe' AND table_schema LIKE 'ingestbench_%'").Scan(&schema); err != nil {
				t.Fatalf("the table did not land in an ingestbench_ schema: %v", err)
			}
			db.Close()
			if err := drop(); err != nil {
				t.Fatal(err)
			}
			check, err := sql.Open("pgx", base)
			if err != nil {
				t.Fatal(err)
			}
			defer check.Close()
			var n int
			if err := check.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil || n != 0 {
				t.Errorf("schema %s still exists after drop (%d, %v)", schema, n, err)
			}
		})
	}
}

package store_test

// The home–school figures of issue 6: visit coverage and quota compliance
// for the whole demo city (≥ 180,000 pupils, ≥ 200,000 visits) computed for
// the city, its districts and its schools in under 200 ms.
//
// Both benchmarks run over one demo city per test binary, built on first
// use with its home–school history (two terms of activities and visits;
// the screening history is left out): scale 1 by default, the demo city's
// full size. HUHANG_BENCH_SCALE sets another scale (the store's other
// benchmarks read it too). Run them with:
//
//	go test ./internal/store -run '^$' -bench 'EvaluateHomeSchool|VisitCoverageBySchool' -benchtime 20x
//
// Each reports the pupils on the roll, the visits of the two terms in the
// database and those of the current term as metrics, so a figure always
// says what it was measured over.

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"huhang/internal/audit"
	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/privacy"
	"huhang/internal/programme"
	"huhang/internal/seed"
	"huhang/internal/store"
)

// hsCity is the shared demo city of the home–school benchmarks.
type hsCity struct {
	dir   string
	st    *store.Store
	scale float64
	load  time.Duration
	// What the benchmarks run over.
	schools, pupils, visitsAll, visitsTerm int
	term                                   programme.Term
}

var (
	hsCityOnce sync.Once
	hsCityVal  *hsCity
	hsCityErr  error
)

// TestMain removes the shared city's directory when the binary ends (a
// benchmark's own TempDir would go with the first benchmark that used it).
func TestMain(m *testing.M) {
	code := m.Run()
	if c := hsCityVal; c != nil {
		c.st.Close()
		os.RemoveAll(c.dir)
	}
	os.Exit(code)
}

// homeSchoolCity returns the shared city, loading it on first use.
func homeSchoolCity(b *testing.B) *hsCity {
	b.Helper()
	hsCityOnce.Do(func() { hsCityVal, hsCityErr = loadHomeSchoolCity() })
	if hsCityErr != nil {
		b.Fatalf("load the demo city: %v", hsCityErr)
	}
	c := hsCityVal
	b.Logf("demo city scale %g (loaded once in %s): %d schools, %d pupils on the roll, %d visits in two terms, %d this term (%d-%d)",
		c.scale, c.load.Round(time.Millisecond), c.schools, c.pupils, c.visitsAll, c.visitsTerm, c.term.Year, c.term.Semester)
	return c
}

func loadHomeSchoolCity() (c *hsCity, err error) {
	ctx := context.Background()
	c = &hsCity{scale: 1}
	if v, err := strconv.ParseFloat(os.Getenv("HUHANG_BENCH_SCALE"), 64); err == nil && v > 0 {
		c.scale = v
	}
	if c.dir, err = os.MkdirTemp("", "huhang-hs-bench-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if c.st != nil {
				c.st.Close()
			}
			os.RemoveAll(c.dir)
		}
	}()
	keys, err := privacy.NewKeyring(make([]byte, privacy.MasterKeySize), privacy.AES256GCM)
	if err != nil {
		return nil, err
	}
	c.st, err = store.Open(ctx, store.Config{SQLitePath: filepath.Join(c.dir, "homeschool.db"), Keyring: keys,
		AuditAlgorithm: audit.SHA256, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	began := time.Now()
	if _, err := seed.Load(ctx, c.st, seed.Options{Seed: 1, Scale: c.scale, SkipScreening: true,
		PasswordParams: &auth.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}}); err != nil {
		return nil, err
	}
	c.load = time.Since(began)

	// What the figures are measured over: pupils on the roll (enrolled in
	// a class), the visits stored for this term and the one before.
	now := time.Now()
	cal, err := c.st.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	c.term = cal.TermOf(now)
	prev := programme.Term{Year: c.term.Year, Semester: 1}
	if c.term.Semester == 1 {
		prev = programme.Term{Year: c.term.Year - 1, Semester: 2}
	}
	city := authz.Scope{City: true}
	cov, err := c.st.VisitCoverage(ctx, city, "school", c.term, now)
	if err != nil {
		return nil, err
	}
	c.schools = len(cov)
	for _, x := range cov {
		c.pupils += x.Pupils
	}
	for _, t := range []programme.Term{c.term, prev} {
		modes, err := c.st.VisitModeCounts(ctx, city, t)
		if err != nil {
			return nil, err
		}
		for _, m := range modes {
			for _, n := range m {
				c.visitsAll += n
				if t == c.term {
					c.visitsTerm += n
				}
			}
		}
	}
	return c, nil
}

func (c *hsCity) report(b *testing.B) {
	b.ReportMetric(float64(c.pupils), "pupils")
	b.ReportMetric(float64(c.visitsAll), "visits")
	b.ReportMetric(float64(c.visitsTerm), "term-visits")
}

// BenchmarkEvaluateHomeSchool judges every home–school target (activity
// quotas by school type, visit coverage) for the city, each district and
// each school from the database, uncached: activity counts, enrolment and
// coverage loaded in set-wide queries, then programme.EvaluateAll.
func BenchmarkEvaluateHomeSchool(b *testing.B) {
	c := homeSchoolCity(b)
	ctx := context.Background()
	at := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		ts, r, err := c.st.EvaluateHomeSchool(ctx, at)
		if err != nil {
			b.Fatal(err)
		}
		if len(ts) == 0 || len(r.City) != len(ts) || len(r.Districts) == 0 || len(r.Schools) == 0 {
			b.Fatalf("rollup: %d targets, %d city results, %d districts, %d schools", len(ts), len(r.City), len(r.Districts), len(r.Schools))
		}
	}
	c.report(b)
}

// BenchmarkVisitCoverageBySchool computes this term's visit coverage of
// every school of the city (pupils, visited, reached by mode), as the city
// and district dashboards and the report do.
func BenchmarkVisitCoverageBySchool(b *testing.B) {
	c := homeSchoolCity(b)
	ctx := context.Background()
	at := time.Now()
	city := authz.Scope{City: true}
	b.ReportAllocs()
	for b.Loop() {
		cov, err := c.st.VisitCoverage(ctx, city, "school", c.term, at)
		if err != nil {
			b.Fatal(err)
		}
		if len(cov) != c.schools {
			b.Fatalf("coverage of %d schools, want %d", len(cov), c.schools)
		}
	}
	c.report(b)
}

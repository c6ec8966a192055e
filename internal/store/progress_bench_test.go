package store_test

// BenchmarkProgressCold measures judging every plan target for the city,
// every district and every school from the database, uncached: the facts
// loaded in set-wide queries and programme.EvaluateAll. The figure
// is for ≥ 15,000 staff and ≥ 100,000 attendance records: run with
// HUHANG_BENCH_SCALE=1.5 (the default 0.2 keeps `go test -bench` quick).

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"huhang/internal/audit"
	"huhang/internal/auth"
	"huhang/internal/privacy"
	"huhang/internal/seed"
	"huhang/internal/store"
)

func BenchmarkProgressCold(b *testing.B) {
	ctx := context.Background()
	scale := 0.2
	if v, err := strconv.ParseFloat(os.Getenv("HUHANG_BENCH_SCALE"), 64); err == nil && v > 0 {
		scale = v
	}
	keys, err := privacy.NewKeyring(make([]byte, privacy.MasterKeySize), privacy.AES256GCM)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, store.Config{SQLitePath: filepath.Join(b.TempDir(), "progress.db"), Keyring: keys, AuditAlgorithm: audit.SHA256})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := seed.Load(ctx, st, seed.Options{Seed: 1, Scale: scale, SkipScreening: true,
		PasswordParams: &auth.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}}); err != nil {
		b.Fatal(err)
	}
	f, err := st.ProgrammeFacts(ctx)
	if err != nil {
		b.Fatal(err)
	}
	attendance := 0
	for _, p := range f.Staff {
		attendance += len(p.Hours)
	}
	b.Logf("scale %g: %d staff, %d schools", scale, len(f.Staff), len(f.Schools))
	now := time.Now()
	for b.Loop() {
		// A new day each time: the cache is per day and generation.
		now = now.Add(24 * time.Hour)
		ts, r, err := st.Progress(ctx, now)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.City) != len(ts) || len(r.Schools) == 0 {
			b.Fatalf("rollup: %d city results for %d targets, %d schools", len(r.City), len(ts), len(r.Schools))
		}
	}
}

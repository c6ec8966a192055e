package store_test

// BenchmarkCommitBatch measures the screening-day writer without HTTP: one
// transaction of 32 scored submissions (as the group-commit writer forms
// under load), on SQLite with synchronous=FULL, over a scale-0.1 demo city.
// ns/op is per transaction; divide by 32 for a submission.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"huhang/internal/audit"
	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/privacy"
	"huhang/internal/seed"
	"huhang/internal/store"
)

func BenchmarkCommitBatch(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	if d := os.Getenv("HUHANG_BENCH_DIR"); d != "" {
		dir = d
	}
	master := make([]byte, privacy.MasterKeySize)
	keys, err := privacy.NewKeyring(master, privacy.AES256GCM)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, store.Config{SQLitePath: filepath.Join(dir, fmt.Sprintf("bench-%d.db", time.Now().UnixNano())), Keyring: keys, AuditAlgorithm: audit.SHA256})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := seed.Load(ctx, st, seed.Options{Seed: 1, Scale: 0.1, SkipScreening: true, PasswordParams: &auth.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}}); err != nil {
		b.Fatal(err)
	}
	city := authz.Scope{City: true}
	schools, _, _ := st.ListSchools(ctx, city, store.SchoolFilter{Limit: 500})
	var ids []int64
	for _, s := range schools {
		ids = append(ids, s.ID)
	}
	var parts []store.Participant
	for c := range 4 {
		now := time.Now()
		id, err := st.CreateCampaign(ctx, store.SystemActor, city, store.CampaignInput{Name: fmt.Sprintf("bench %d", c), Instruments: []string{"phq9"},
			OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour), SchoolIDs: ids}, func(string) bool { return true })
		if err != nil {
			b.Fatal(err)
		}
		ps, _ := st.CampaignParticipants(ctx, id)
		var pids []int64
		for _, p := range ps {
			pids = append(pids, p.ID)
		}
		if err := st.BulkConsent(ctx, store.SystemActor, id, store.ConsentGiven, "paper", pids); err != nil {
			b.Fatal(err)
		}
		cp, _ := st.GetCampaign(ctx, city, id)
		for _, p := range ps {
			p.Campaign = cp
			parts = append(parts, p)
		}
	}
	// Spread over the city, as the ingest benchmark's shuffled codes are.
	for i := range parts {
		j := (i * 7919) % len(parts)
		parts[i], parts[j] = parts[j], parts[i]
	}
	detail := []byte(`{"answers":{"phq9":[1,0,2,1,0,1,0,0,0]},"assessment":{"results":[{"instrument":"phq9","score":5,"band":"mild","tier":"yellow"}],"tier":"yellow"}}`)
	const batch = 32
	next := 0
	b.ResetTimer()
	for b.Loop() {
		if next+batch > len(parts) {
			b.Fatalf("out of participants after %d batches", next/batch)
		}
		subs := make([]*store.Submission, batch)
		for i := range subs {
			p := parts[next+i]
			subs[i] = &store.Submission{Participant: p, Detail: detail, Tier: 1, Duration: 3 * time.Minute, IP: "192.0.2.1", RequestID: "bench"}
			if i == 0 {
				subs[i].Tier, subs[i].Critical = 3, true
				subs[i].Alert = &store.AlertSpec{Severity: "critical", Reason: "critical_item:phq9:9", DueAt: time.Now().Add(2 * time.Hour)}
			}
		}
		next += batch
		if _, errs, err := st.SubmitMany(ctx, subs); err != nil {
			b.Fatal(err)
		} else {
			for _, e := range errs {
				if e != nil {
					b.Fatal(e)
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch)/1000, "µs/submission")
}

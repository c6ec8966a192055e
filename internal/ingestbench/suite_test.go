package ingestbench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// TestIngestBaselinesSmoke runs the whole suite briefly: the SQLite
// baselines (and PostgreSQL's when its URL is set) and a stand-in target
// that acknowledges everything, and checks the report's bookkeeping, not
// its figures.
func TestIngestBaselinesSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the ingest suite for a few seconds")
	}
	t.Parallel()
	stand := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	}))
	defer stand.Close()
	started := 0
	// No warm-up, so each client's first request is measured however
	// slowly the machine runs.
	cfg := SuiteConfig{Clients: 8, Duration: 500 * time.Millisecond, SQLite: true,
		TempDir: t.TempDir(), PostgresURL: os.Getenv(pgURLEnv), Goal: DefaultGoal, Seed: 1,
		Targets: []TargetSpec{{Name: "stand-in", Dialect: SQLite, Start: func(_ context.Context, clients int) (*Target, error) {
			started++
			if clients != 8 {
				t.Errorf("the target was started for %d clients, want 8", clients)
			}
			return &Target{URL: stand.URL + "/api/v1/screening/submissions"}, nil
		}}}}
	res, err := RunSuite(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sqlite naive", "sqlite ceiling", "stand-in (sqlite)"}
	if cfg.PostgresURL != "" {
		want = []string{"sqlite naive", "sqlite ceiling", "stand-in (sqlite)", "pg naive", "pg ceiling"}
	}
	var names []string
	for _, v := range res.Variants {
		names = append(names, v.Name)
		if v.Load == nil || v.Load.OK == 0 || v.ReqPerS <= 0 {
			t.Errorf("%s measured nothing: %+v", v.Name, v.Load)
		}
		if len(v.Problems) > 0 {
			t.Errorf("%s: %v", v.Name, v.Problems)
		}
		if v.Baseline && (v.Batches == nil || v.StoredRows != v.Created || int64(v.StoredRows) != v.Batches.Rows) {
			t.Errorf("%s: %d rows stored, %d created, batches %+v", v.Name, v.StoredRows, v.Created, v.Batches)
		}
		if v.Baseline == (v.Verdict != "") {
			t.Errorf("%s: verdict %q; only targets are judged", v.Name, v.Verdict)
		}
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("variants %v, want %v", names, want)
	}
	if started != 1 {
		t.Errorf("the target was started %d times, want once", started)
	}
	if len(res.Ratios) != 2 || res.Ratios[0].Baseline != "sqlite ceiling" || res.Ratios[1].Baseline != "sqlite naive" {
		t.Errorf("ratios %+v, want the stand-in over the SQLite ceiling and naive", res.Ratios)
	}
	if res.Failed() {
		t.Error("the suite reports a failure")
	}
	var text bytes.Buffer
	if err := res.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, s := range append(want, "stand-in (sqlite) / sqlite ceiling", "req/s", "p99 ms") {
		if !strings.Contains(text.String(), s) {
			t.Errorf("the text report lacks %q:\n%s", s, text.String())
		}
	}
	var js bytes.Buffer
	if err := res.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back SuiteResult
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Variants) != len(want) {
		t.Errorf("the JSON report does not read back: %v", err)
	}
}

func TestRunSuiteReportsFailedRequests(t *testing.T) {
	t.Parallel()
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer refuse.Close()
	res, err := RunSuite(context.Background(), SuiteConfig{Clients: 2, Duration: 50 * time.Millisecond, Goal: DefaultGoal,
		Targets: []TargetSpec{{Name: "refusing", Start: func(context.Context, int) (*Target, error) {
			return &Target{URL: refuse.URL}, nil
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	v := res.Variants[0]
	if !res.Failed() || v.Errors == 0 || v.Verdict != "MISSED" || !strings.Contains(strings.Join(v.Problems, " "), "403") {
		t.Errorf("a target answering 403 gave failed=%v, %d errors, verdict %q, problems %v", res.Failed(), v.Errors, v.Verdict, v.Problems)
	}
}

package app

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"huhang/internal/authz"
	"huhang/internal/config"
	"huhang/internal/ingestbench"
	"huhang/internal/seed"
	"huhang/internal/store"
	"huhang/internal/web"
)

// The in-process Huhang of `huhang bench-ingest`: a fresh database with the
// demo city (without its screening history), screening campaigns over
// every class with every guardian's consent, and the real server — the
// same handler, store, group-commit writer and audit chain as `huhang
// serve`, logging every request to a file as serve logs to stderr. Each
// client sends the codes of its own slice, so every request is a new,
// valid submission; about one in twenty-five has a critical answer and
// raises an alert.

// ingestCampaigns bounds the codes available: each campaign gives one per
// pupil (≈ 181,000 at scale 1).
const ingestCampaigns = 3

func init() {
	huhangTarget = startHuhangIngest
}

func startHuhangIngest(ctx context.Context, opts HuhangTargetOptions) (*ingestbench.Target, error) {
	dir, err := os.MkdirTemp(opts.TempDir, "huhang-bench-ingest-")
	if err != nil {
		return nil, err
	}
	cleanup := []func(){func() { os.RemoveAll(dir) }}
	fail := func(err error) (*ingestbench.Target, error) {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return fail(err)
	}
	cleanup = append(cleanup, func() { logFile.Close() })
	log := slog.New(slog.NewJSONHandler(logFile, nil))
	c := &config.Config{DataDir: dir, DatabaseURL: opts.DatabaseURL, Crypto: "aes"}
	if opts.DatabaseURL != "" {
		// A schema of its own, dropped at the end: the database may hold
		// other data.
		u, err := url.Parse(opts.DatabaseURL)
		if err != nil {
			return fail(err)
		}
		var b [6]byte
		crand.Read(b[:])
		schema := "huhang_ingest_" + hex.EncodeToString(b[:])
		admin, err := sql.Open("pgx", opts.DatabaseURL)
		if err != nil {
			return fail(err)
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			return fail(err)
		}
		cleanup = append(cleanup, func() {
			admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		})
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		c.DatabaseURL = u.String()
		c.KeyFile = filepath.Join(dir, "huhang.key")
	}
	st, err := openStore(ctx, c, log)
	if err != nil {
		return fail(err)
	}
	cleanup = append(cleanup, func() { st.Close() })
	if empty, err := st.IsEmpty(ctx); err != nil || !empty {
		return fail(fmt.Errorf("bench-ingest: the database is not empty (%v); give a fresh one", err))
	}
	scale := 1.0
	if v, err := strconv.ParseFloat(os.Getenv("HUHANG_BENCH_SCALE"), 64); err == nil && v > 0 {
		scale = v
	}
	if _, err := seed.Load(ctx, st, seed.Options{Seed: 1, Scale: scale, SkipScreening: true}); err != nil {
		return fail(err)
	}
	codes, err := ingestCodes(ctx, st)
	if err != nil {
		return fail(err)
	}
	// As serve does at start (there in the background; here before the
	// load begins, so the measured window is the steady state).
	if err := st.WarmCodeIndex(ctx); err != nil {
		return fail(err)
	}
	srv, err := web.New(web.Config{Version: Version}, st, log)
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	go hs.Serve(ln)
	cleanup = append(cleanup, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	})
	clients := max(opts.Clients, 1)
	per := len(codes) / clients
	body := func(client, seq int) []byte {
		if seq >= per {
			seq %= per // out of codes: the answer is a 409, counted as an error
		}
		i := client*per + seq
		r := rand.New(rand.NewPCG(uint64(i), 7))
		b := make([]byte, 0, 160)
		b = append(b, `{"code":"`...)
		b = append(b, codes[i]...)
		b = append(b, `","answers":{"phq9":[`...)
		for k := range 9 {
			v := r.IntN(4) * r.IntN(2) // mostly low
			if k == 8 {
				v = 0
				if r.IntN(25) == 0 {
					v = 1 + r.IntN(3)
				}
			}
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(v), 10)
		}
		b = append(b, `],"gad7":[`...)
		for k := range 7 {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(r.IntN(3)*r.IntN(2)), 10)
		}
		b = append(b, `]},"duration_ms":`...)
		b = strconv.AppendInt(b, int64(60000+r.IntN(240000)), 10)
		b = append(b, '}')
		return b
	}
	return &ingestbench.Target{
		URL:  "http://" + ln.Addr().String() + ingestPath,
		Body: body,
		Close: func() {
			if is := st.IngestStats(); is.Batches > 0 {
				fmt.Fprintf(os.Stderr, "huhang group commit: %d submissions in %d transactions (%.1f per commit, largest %d)\n",
					is.Items, is.Batches, float64(is.Items)/float64(is.Batches), is.Largest)
			}
			for i := len(cleanup) - 1; i >= 0; i-- {
				cleanup[i]()
			}
		},
	}, nil
}

// ingestCodes creates the campaigns, records consent for everyone and
// derives every pupil's code.
func ingestCodes(ctx context.Context, st *store.Store) ([]string, error) {
	city := authz.Scope{City: true}
	var schools []int64
	for offset := 0; ; offset += 500 {
		page, _, err := st.ListSchools(ctx, city, store.SchoolFilter{Limit: 500, Offset: offset})
		if err != nil {
			return nil, err
		}
		for _, s := range page {
			schools = append(schools, s.ID)
		}
		if len(page) < 500 {
			break
		}
	}
	now := time.Now()
	var codes []string
	for i := range ingestCampaigns {
		id, err := st.CreateCampaign(ctx, store.SystemActor, city, store.CampaignInput{Name: fmt.Sprintf("压测普查 %d", i+1),
			Instruments: []string{"phq9", "gad7"}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(7 * 24 * time.Hour), SchoolIDs: schools},
			func(code string) bool { return code == "phq9" || code == "gad7" })
		if err != nil {
			return nil, err
		}
		parts, err := st.CampaignParticipants(ctx, id)
		if err != nil {
			return nil, err
		}
		ids := make([]int64, len(parts))
		for j, p := range parts {
			ids[j] = p.ID
			codes = append(codes, st.ParticipantCode(id, p.StudentID, 0))
		}
		if err := st.BulkConsent(ctx, store.SystemActor, id, store.ConsentGiven, "online", ids); err != nil {
			return nil, err
		}
	}
	// Spread each client's slice over schools and campaigns.
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(codes), func(i, j int) { codes[i], codes[j] = codes[j], codes[i] })
	return codes, nil
}

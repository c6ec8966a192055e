package ingestbench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"huhang/internal/bench"
)

// Target is a server under load that is not one of the baselines: Huhang
// in-process, or an external server.
type Target struct {
	// URL receives the POSTs, e.g. http://127.0.0.1:PORT/api/v1/screening/submissions.
	URL string
	// Body generates the request bodies (nil: NewBodies(seed).Body).
	Body func(client, seq int) []byte
	// Header is sent with every request (a session cookie, a token).
	Header http.Header
	// Expect is the success status (default 201).
	Expect int
	// Close stops the target after its run (may be nil).
	Close func()
}

// TargetSpec names a target and starts it, afresh, for each run.
type TargetSpec struct {
	// Name labels the variant in the report, e.g. "huhang".
	Name string
	// Dialect is the database the target writes to; its throughput is
	// reported as a ratio to the baselines of that dialect when they ran.
	// Leave it empty for no ratios.
	Dialect Dialect
	// Start starts the target for one run with the suite's client count.
	Start func(ctx context.Context, clients int) (*Target, error)
}

// Goal is the product's ingest target, judged for every TargetSpec
// variant (not for the baselines).
type Goal struct {
	MinThroughput float64       `json:"min_req_per_s"` // successful requests per second
	MaxP99        time.Duration `json:"max_p99_ns"`    // the 99th percentile must stay under this
}

// DefaultGoal: at least 15,000 submissions/s with p99 under 25 ms at 64
// clients.
var DefaultGoal = Goal{MinThroughput: 15_000, MaxP99: 25 * time.Millisecond}

// SuiteConfig describes one `huhang bench-ingest` run.
type SuiteConfig struct {
	// Clients, Warmup and Duration shape every variant's load (see
	// LoadConfig).
	Clients          int
	Warmup, Duration time.Duration
	// Rounds repeats every variant (interleaved: all variants once, then
	// again); the report keeps each variant's median-throughput round.
	Rounds int
	// SQLite runs the SQLite baselines (in files under TempDir).
	SQLite  bool
	TempDir string
	// PostgresURL, when set, runs the PostgreSQL baselines in a fresh
	// schema each; PostgresConns sizes the naive server's pool.
	PostgresURL   string
	PostgresConns int
	// QueueCap is the ceiling's queue capacity and largest batch.
	QueueCap int
	// Targets run after the baselines of their dialect.
	Targets []TargetSpec
	// Seed scrambles the submission codes of the generated bodies.
	Seed uint64
	// StdClient loads through net/http's client (see LoadConfig).
	StdClient bool
	// Goal is judged for the targets (not the baselines).
	Goal Goal
	// WaitIdle, when positive, waits before each load, once the server
	// has started, up to this long until the machine has been idle (under
	// IdleCores busy) for two seconds: on a shared machine another
	// program's burst, or a target's own set-up still settling (a demo
	// city just loaded, PostgreSQL's autovacuum), would otherwise land in
	// some variants' figures and not in others'.
	WaitIdle time.Duration
	// Progress receives a line per run (may be nil).
	Progress io.Writer
}

// IdleCores is the busy CPU, in cores, under which WaitIdle deems the
// machine idle.
const IdleCores = 0.25

// Variant is what one variant measured in its reported round.
type Variant struct {
	Name     string  `json:"name"`
	Kind     string  `json:"kind"` // naive, ceiling, or the target's name
	Dialect  Dialect `json:"dialect,omitempty"`
	Baseline bool    `json:"baseline"`
	ReqPerS  float64 `json:"req_per_s"`
	P50MS    float64 `json:"p50_ms"`
	P95MS    float64 `json:"p95_ms"`
	P99MS    float64 `json:"p99_ms"`
	MaxMS    float64 `json:"max_ms"`
	Errors   int     `json:"errors"` // both phases
	// RoundsReqPerS lists every round's throughput, in order.
	RoundsReqPerS []float64 `json:"rounds_req_per_s"`
	// Batches (baselines only) counts the commits of the measured round,
	// warm-up included.
	Batches *BatchStats `json:"batches,omitempty"`
	// StoredRows (baselines only) is the row count after the run; it
	// must equal the 201 answers.
	StoredRows int `json:"stored_rows,omitempty"`
	Created    int `json:"created"`
	// BusyCores is the machine's busy CPU time during the run divided by
	// its wall time (2.0 = both cores of this machine saturated).
	BusyCores float64 `json:"busy_cores"`
	// KernelCores is the part of BusyCores spent by kernel threads and
	// in interrupts (the disk's I/O, loopback networking), PostgresCores
	// by processes named postgres, and OtherCores by every other process
	// but this one: an external target, or another program competing for
	// the machine.
	KernelCores   float64      `json:"kernel_cores"`
	PostgresCores float64      `json:"postgres_cores"`
	OtherCores    float64      `json:"other_cores"`
	Load          *LoadResult  `json:"load"`
	Verdict       string       `json:"verdict,omitempty"` // targets only: MET or MISSED
	Problems      []string     `json:"problems,omitempty"`
	runs          []*runResult // every round
}

// Ratio is a target's throughput over a baseline's, from the same run.
type Ratio struct {
	Target   string  `json:"target"`
	Baseline string  `json:"baseline"`
	Value    float64 `json:"value"`
}

// SuiteResult is the report of RunSuite.
type SuiteResult struct {
	StartedAt time.Time     `json:"started_at"`
	Machine   bench.Machine `json:"machine"`
	Clients   int           `json:"clients"`
	WarmupS   float64       `json:"warmup_s"`
	DurationS float64       `json:"duration_s"`
	Rounds    int           `json:"rounds"`
	Client    string        `json:"client"` // the load generator's HTTP client
	Goal      Goal          `json:"goal"`
	Variants  []*Variant    `json:"variants"`
	Ratios    []Ratio       `json:"ratios"`
	Notes     []string      `json:"notes"`
}

type runResult struct {
	load    *LoadResult
	batches *BatchStats
	stored  int
	busy    float64
	kernel  float64
	pg      float64
	other   float64
	err     error
}

// RunSuite runs the baselines and targets one at a time, each on a fresh
// database and a fresh server on 127.0.0.1, with the same load, and
// reports them side by side. A variant that fails to start ends the
// suite; failed requests are reported, not returned as an error.
func RunSuite(ctx context.Context, cfg SuiteConfig) (*SuiteResult, error) {
	if cfg.Clients <= 0 || cfg.Duration <= 0 || cfg.Warmup < 0 {
		return nil, errors.New("ingestbench: need clients, a positive duration and no negative warm-up")
	}
	cfg.Rounds = max(cfg.Rounds, 1)
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	type plan struct {
		v   *Variant
		run func(context.Context) *runResult
	}
	var plans []plan
	addBaselines := func(d Dialect, label string) {
		for _, kind := range []string{"naive", "ceiling"} {
			v := &Variant{Name: label + " " + kind, Kind: kind, Dialect: d, Baseline: true}
			plans = append(plans, plan{v, func(ctx context.Context) *runResult { return runBaseline(ctx, cfg, d, kind) }})
		}
	}
	addTargets := func(d Dialect) {
		for _, t := range cfg.Targets {
			if t.Dialect != d {
				continue
			}
			name := t.Name
			if d != "" {
				name += " (" + string(d) + ")"
			}
			v := &Variant{Name: name, Kind: t.Name, Dialect: d}
			plans = append(plans, plan{v, func(ctx context.Context) *runResult { return runTarget(ctx, cfg, t) }})
		}
	}
	if cfg.SQLite {
		addBaselines(SQLite, "sqlite")
	}
	addTargets(SQLite)
	if cfg.PostgresURL != "" {
		addBaselines(Postgres, "pg")
	}
	addTargets(Postgres)
	addTargets("")
	if len(plans) == 0 {
		return nil, errors.New("ingestbench: nothing to run")
	}

	res := &SuiteResult{StartedAt: time.Now().UTC(), Machine: bench.DescribeMachine(), Clients: cfg.Clients,
		WarmupS: cfg.Warmup.Seconds(), DurationS: cfg.Duration.Seconds(), Rounds: cfg.Rounds, Goal: cfg.Goal, Client: "built-in"}
	if cfg.StdClient {
		res.Client = "net/http"
	}
	res.Notes = append(res.Notes, "server and load generator share this machine's CPUs (baselines and in-process targets run in this process); "+
		"busy cores splits into this process, \"kernel\" (kernel threads and interrupts: disk I/O, loopback networking), \"postgres\" and \"other\" (other processes: an external target, anything else running)")
	for round := range cfg.Rounds {
		for _, p := range plans {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			fmt.Fprintf(progress, "round %d/%d: %s, %d clients, %s warm-up + %s …", round+1, cfg.Rounds, p.v.Name,
				cfg.Clients, cfg.Warmup, cfg.Duration)
			r := p.run(ctx)
			if r.err != nil {
				fmt.Fprintln(progress)
				return nil, fmt.Errorf("%s: %w", p.v.Name, r.err)
			}
			fmt.Fprintf(progress, " %.0f req/s, p99 %.2f ms, %d errors\n", r.load.Throughput(), ms(r.load.Latency.P99), r.load.TotalErrors())
			p.v.runs = append(p.v.runs, r)
		}
	}
	for _, p := range plans {
		res.Variants = append(res.Variants, p.v.summarise(cfg.Goal))
	}
	res.Ratios = ratios(res.Variants)
	return res, nil
}

// summarise fills v from its median-throughput round.
func (v *Variant) summarise(g Goal) *Variant {
	for _, r := range v.runs {
		v.RoundsReqPerS = append(v.RoundsReqPerS, round1(r.load.Throughput()))
	}
	sorted := slices.Clone(v.runs)
	slices.SortFunc(sorted, func(a, b *runResult) int { return cmp.Compare(a.load.Throughput(), b.load.Throughput()) })
	r := sorted[len(sorted)/2]
	l := r.load
	v.Load, v.Batches, v.StoredRows = l, r.batches, r.stored
	v.BusyCores, v.KernelCores, v.PostgresCores, v.OtherCores = round2(r.busy), round2(r.kernel), round2(r.pg), round2(r.other)
	v.ReqPerS = round1(l.Throughput())
	v.P50MS, v.P95MS, v.P99MS, v.MaxMS = ms(l.Latency.P50), ms(l.Latency.P95), ms(l.Latency.P99), ms(l.Latency.Max)
	v.Created = l.Statuses[http.StatusCreated]
	for _, r := range v.runs {
		v.Errors += r.load.TotalErrors()
		if r.batches != nil && r.stored != r.load.Statuses[http.StatusCreated] {
			v.Problems = append(v.Problems, fmt.Sprintf("%d rows stored but %d answers were 201", r.stored, r.load.Statuses[http.StatusCreated]))
		}
		if r.load.Dials > r.load.Clients {
			v.Problems = append(v.Problems, fmt.Sprintf("%d connections for %d clients: keep-alive broke", r.load.Dials, r.load.Clients))
		}
	}
	if v.Errors > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("%d requests failed, e.g. %s", v.Errors, strings.Join(firstSamples(v.runs), "; ")))
	}
	if !v.Baseline && g.MinThroughput > 0 {
		v.Verdict = "MET"
		if v.ReqPerS < g.MinThroughput || l.Latency.P99 >= g.MaxP99 || v.Errors > 0 {
			v.Verdict = "MISSED"
		}
	}
	v.runs = nil
	return v
}

func firstSamples(runs []*runResult) []string {
	for _, r := range runs {
		if len(r.load.ErrorSamples) > 0 {
			return r.load.ErrorSamples[:min(2, len(r.load.ErrorSamples))]
		}
	}
	return nil
}

func ratios(vs []*Variant) []Ratio {
	var out []Ratio
	for _, t := range vs {
		if t.Baseline || t.Dialect == "" {
			continue
		}
		for _, kind := range []string{"ceiling", "naive"} {
			for _, b := range vs {
				if b.Baseline && b.Dialect == t.Dialect && b.Kind == kind && b.ReqPerS > 0 {
					out = append(out, Ratio{Target: t.Name, Baseline: b.Name, Value: round2(t.ReqPerS / b.ReqPerS)})
				}
			}
		}
	}
	return out
}

func runBaseline(ctx context.Context, cfg SuiteConfig, d Dialect, kind string) *runResult {
	fail := func(err error) *runResult { return &runResult{err: err} }
	var db *DB
	var err error
	if d == Postgres {
		db, err = OpenPostgres(ctx, cfg.PostgresURL, cfg.PostgresConns)
	} else {
		db, err = OpenSQLiteTemp(ctx, cfg.TempDir)
	}
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	var b *Baseline
	if kind == "ceiling" {
		b, err = NewCeiling(ctx, db, cfg.QueueCap)
	} else {
		b, err = NewNaive(ctx, db)
	}
	if err != nil {
		return fail(err)
	}
	url, shutdown, err := Serve(b)
	if err != nil {
		b.Close()
		return fail(err)
	}
	r := measure(ctx, cfg, LoadConfig{URL: url, Clients: cfg.Clients, Warmup: cfg.Warmup, Duration: cfg.Duration,
		Body: NewBodies(cfg.Seed).Body, StdClient: cfg.StdClient})
	err = errors.Join(shutdown(), b.Close())
	if r.err != nil {
		return r
	}
	if err != nil {
		return fail(err)
	}
	s := b.Stats()
	r.batches = &s
	if r.stored, err = db.Count(ctx); err != nil {
		return fail(err)
	}
	return r
}

func runTarget(ctx context.Context, cfg SuiteConfig, spec TargetSpec) *runResult {
	t, err := spec.Start(ctx, cfg.Clients)
	if err != nil {
		return &runResult{err: err}
	}
	if t.Close != nil {
		defer t.Close()
	}
	body := t.Body
	if body == nil {
		body = NewBodies(cfg.Seed).Body
	}
	return measure(ctx, cfg, LoadConfig{URL: t.URL, Clients: cfg.Clients, Warmup: cfg.Warmup, Duration: cfg.Duration,
		Body: body, Header: t.Header, Expect: t.Expect, StdClient: cfg.StdClient || strings.HasPrefix(t.URL, "https:")})
}

// waitIdle samples the machine's busy CPU over two-second spans until one
// is under IdleCores or limit has passed, and returns the last reading.
func waitIdle(ctx context.Context, limit time.Duration) (float64, error) {
	deadline := time.Now().Add(limit)
	for {
		m0, err := bench.ReadMachineCPU()
		if err != nil {
			return 0, nil // no /proc/stat: nothing to wait for
		}
		t0 := time.Now()
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(2 * time.Second):
		}
		m1, err := bench.ReadMachineCPU()
		if err != nil {
			return 0, nil
		}
		busy := (m1.Busy - m0.Busy).Seconds() / time.Since(t0).Seconds()
		if busy < IdleCores || time.Now().After(deadline) {
			return busy, nil
		}
	}
}

// measure runs one load, once the server is up (so a target's own
// set-up, such as loading a demo city, has settled when WaitIdle is set).
func measure(ctx context.Context, cfg SuiteConfig, lc LoadConfig) *runResult {
	runtime.GC()
	if cfg.WaitIdle > 0 {
		busy, err := waitIdle(ctx, cfg.WaitIdle)
		if err != nil {
			return &runResult{err: err}
		}
		if busy >= IdleCores && cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, " (the machine stayed busy, %.2f cores, for %s: running anyway) …", busy, cfg.WaitIdle)
		}
	}
	c0, err0 := readCPUSplit()
	t0 := time.Now()
	l, err := Load(ctx, lc)
	wall := time.Since(t0).Seconds()
	c1, err1 := readCPUSplit()
	r := &runResult{load: l, err: err}
	if err0 == nil && err1 == nil && wall > 0 {
		d := c1.sub(c0)
		r.busy, r.kernel, r.pg, r.other = d.busy.Seconds()/wall, d.kernel.Seconds()/wall, d.postgres.Seconds()/wall, d.others().Seconds()/wall
	}
	return r
}

// WriteJSON writes r as indented JSON.
func (r *SuiteResult) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r as a table, the ratios and the verdicts.
func (r *SuiteResult) WriteText(w io.Writer) error {
	m := r.Machine
	fmt.Fprintf(w, "ingest benchmark, %s\n", r.StartedAt.Format(time.RFC3339))
	fmt.Fprintf(w, "machine: %d CPUs (GOMAXPROCS %d), %s, %d MB, %s, %s\n", m.NumCPU, m.GOMAXPROCS, m.CPUModel, m.MemTotalMB, m.Kernel, m.GoVersion)
	fmt.Fprintf(w, "load: %d closed-loop keep-alive clients (%s client), %gs warm-up, %gs measured", r.Clients, r.Client, r.WarmupS, r.DurationS)
	if r.Rounds > 1 {
		fmt.Fprintf(w, ", %d rounds (median-throughput round shown)", r.Rounds)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\treq/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\terrors\trows/commit\tmax batch\tcommit ms\tbusy cores\tkernel\tpostgres\tother\t")
	for _, v := range r.Variants {
		batch, maxBatch, commit := "-", "-", "-"
		if v.Batches != nil {
			batch, maxBatch = fmt.Sprintf("%.1f", v.Batches.Mean()), fmt.Sprint(v.Batches.Max)
			if c := v.Batches.MeanCommit(); c > 0 {
				commit = fmt.Sprintf("%.2f", ms(c))
			}
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t\n", v.Name, v.ReqPerS, v.P50MS, v.P95MS, v.P99MS, v.MaxMS,
			v.Errors, batch, maxBatch, commit, v.BusyCores, v.KernelCores, v.PostgresCores, v.OtherCores)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Rounds > 1 {
		fmt.Fprintln(w)
		for _, v := range r.Variants {
			fmt.Fprintf(w, "%s req/s by round: %v\n", v.Name, v.RoundsReqPerS)
		}
	}
	if len(r.Ratios) > 0 {
		fmt.Fprintln(w, "\nthroughput ratios (same run):")
		for _, q := range r.Ratios {
			fmt.Fprintf(w, "  %s / %s = %.2f\n", q.Target, q.Baseline, q.Value)
		}
	}
	var verdicts []string
	for _, v := range r.Variants {
		if v.Verdict != "" {
			verdicts = append(verdicts, fmt.Sprintf("  %s: %s (≥ %.0f req/s and p99 < %s at %d clients, no errors)", v.Name, v.Verdict,
				r.Goal.MinThroughput, r.Goal.MaxP99, r.Clients))
		}
	}
	if len(verdicts) > 0 {
		fmt.Fprintln(w, "\ngoal:")
		fmt.Fprintln(w, strings.Join(verdicts, "\n"))
	}
	problems := false
	for _, v := range r.Variants {
		for _, p := range v.Problems {
			if !problems {
				fmt.Fprintln(w, "\nproblems:")
				problems = true
			}
			fmt.Fprintf(w, "  %s: %s\n", v.Name, p)
		}
	}
	fmt.Fprintln(w)
	for _, v := range r.Variants {
		if v.Batches == nil || v.Kind != "ceiling" {
			continue
		}
		var parts []string
		for i, n := range v.Batches.Sizes {
			if n > 0 {
				parts = append(parts, fmt.Sprintf("%s: %d", BucketLabel(i), n))
			}
		}
		busy := ""
		if v.Load != nil && v.Load.Elapsed > 0 {
			busy = fmt.Sprintf("; the writer spent %.0f%% of the run in commits", 100*v.Batches.CommitTime.Seconds()/v.Load.Elapsed.Seconds())
		}
		fmt.Fprintf(w, "%s commits by rows: %s%s\n", v.Name, strings.Join(parts, ", "), busy)
	}
	for _, v := range r.Variants {
		// An external target is another process; everything else runs
		// here, in the kernel or in PostgreSQL.
		if v.OtherCores > 0.2 && v.Kind != "external" {
			fmt.Fprintf(w, "warning: %s: %.2f cores were busy outside this process during the run: another program competed with it, so its figures understate this machine\n",
				v.Name, v.OtherCores)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

// Failed reports whether any variant failed requests or stored a different
// number of rows than it acknowledged.
func (r *SuiteResult) Failed() bool {
	for _, v := range r.Variants {
		if len(v.Problems) > 0 {
			return true
		}
	}
	return false
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func round1(f float64) float64   { return float64(int64(f*10+0.5)) / 10 }
func round2(f float64) float64   { return float64(int64(f*100+0.5)) / 100 }

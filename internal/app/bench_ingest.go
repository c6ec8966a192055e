package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"huhang/internal/ingestbench"
)

// HuhangTargetOptions says where an in-process Huhang should store the
// submissions of one measured run.
type HuhangTargetOptions struct {
	// Clients is the number of concurrent clients the run will use.
	Clients int
	// DatabaseURL is the PostgreSQL database to use; "" means SQLite in a
	// fresh data directory under TempDir.
	DatabaseURL string
	// TempDir is where to create temporary files ("" = the system's).
	TempDir string
}

// huhangTarget starts Huhang's own POST /api/v1/screening/submissions
// in-process, on a fresh database, for one run of `huhang bench-ingest`,
// and returns where to send the load: the endpoint's full URL, the body
// generator (nil: ingestbench's synthetic submissions), headers such as a
// session cookie or token, the success status (0: 201) and a Close that
// stops the server and removes what it created. bench-ingest calls it
// once per run: with DatabaseURL "" (reported as "huhang (sqlite)",
// compared with the SQLite baselines), and again with the --pg URL when
// one is given ("huhang (postgres)", compared with the PostgreSQL ones).
//
// It is nil until Huhang's ingest endpoint exists; the Huhang variants are
// skipped while it is nil. Set it from an init function in this package.
var huhangTarget func(ctx context.Context, opts HuhangTargetOptions) (*ingestbench.Target, error)

// ingestPath is Huhang's submission endpoint, used with --target.
const ingestPath = "/api/v1/screening/submissions"

// benchIngestCmd measures screening ingest: the two reference servers
// (naive: one transaction per request; ceiling: one writer goroutine that
// group-commits whatever is queued) on SQLite and, with --pg, PostgreSQL,
// then Huhang's own endpoint when huhangTarget is set, and an external
// server with --target. Every variant runs alone, on a fresh database,
// under the same closed-loop load; the report gives Huhang's throughput as
// a ratio to each baseline of its database.
func benchIngestCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("huhang bench-ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		clients       = fs.Int("clients", 64, "concurrent closed-loop clients, each on its own keep-alive connection")
		duration      = fs.Duration("duration", 10*time.Second, "measured load duration per variant (after the warm-up)")
		warmup        = fs.Duration("warmup", 2*time.Second, "warm-up per variant (requests sent but not measured)")
		rounds        = fs.Int("rounds", 1, "run every variant this many times, interleaved, and report each one's median-throughput round")
		pg            = fs.String("pg", "", "PostgreSQL URL: also run the PostgreSQL baselines (each in a fresh schema ingestbench_<random>, dropped afterwards)")
		pgConns       = fs.Int("pg-conns", ingestbench.DefaultPostgresConns, "PostgreSQL pool size of the naive baseline")
		noSQLite      = fs.Bool("no-sqlite", false, "skip the SQLite baselines")
		queue         = fs.Int("queue", ingestbench.DefaultQueueCap, "the ceiling's queue capacity, which is also its largest batch")
		target        = fs.String("target", "", "also load an external server: its base URL (http://127.0.0.1:PORT, POSTing to "+ingestPath+") or a full endpoint URL")
		targetDialect = fs.String("target-dialect", "sqlite", "the database the --target server uses, for its ratios: sqlite, postgres or none")
		stdClient     = fs.Bool("std-client", false, "send through net/http's client instead of the built-in HTTP/1.1 one (costs the server about half its CPU on 2 cores)")
		tmpDir        = fs.String("tmp", "", "directory for the temporary SQLite files (default: the system's temporary directory); its disk's fsync cost is part of what is measured")
		waitIdle      = fs.Duration("wait-idle", 0, "before each load (once its server is up), wait up to this long for the machine to be idle: other programs' work, or a target's set-up still settling, would otherwise land in some variants only")
		jsonOut       = fs.Bool("json", false, "print the report as JSON")
		targetHeaders headerFlag
	)
	fs.Var(&targetHeaders, "target-header", `a header to send to --target, "Name: value" (repeatable), e.g. a session cookie`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *clients <= 0 || *duration <= 0 || *warmup < 0 || *rounds <= 0 {
		return errors.New("bench-ingest: --clients, --duration and --rounds must be positive and --warmup not negative")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg := ingestbench.SuiteConfig{Clients: *clients, Warmup: *warmup, Duration: *duration, Rounds: *rounds,
		SQLite: !*noSQLite, TempDir: *tmpDir, PostgresURL: *pg, PostgresConns: *pgConns, QueueCap: *queue,
		Seed: uint64(time.Now().UnixNano()), Goal: ingestbench.DefaultGoal, Progress: stderr, StdClient: *stdClient, WaitIdle: *waitIdle}
	if huhangTarget != nil {
		start := func(dbURL string) func(context.Context, int) (*ingestbench.Target, error) {
			return func(ctx context.Context, clients int) (*ingestbench.Target, error) {
				return huhangTarget(ctx, HuhangTargetOptions{Clients: clients, DatabaseURL: dbURL, TempDir: *tmpDir})
			}
		}
		cfg.Targets = append(cfg.Targets, ingestbench.TargetSpec{Name: "huhang", Dialect: ingestbench.SQLite, Start: start("")})
		if *pg != "" {
			cfg.Targets = append(cfg.Targets, ingestbench.TargetSpec{Name: "huhang", Dialect: ingestbench.Postgres, Start: start(*pg)})
		}
	} else {
		fmt.Fprintln(stderr, "bench-ingest: Huhang's in-process ingest is not wired in yet (huhangTarget is nil): running the baselines only")
	}
	if *target != "" {
		endpoint, err := targetEndpoint(*target)
		if err != nil {
			return err
		}
		var d ingestbench.Dialect
		switch *targetDialect {
		case "sqlite":
			d = ingestbench.SQLite
		case "postgres":
			d = ingestbench.Postgres
		case "none", "":
		default:
			return fmt.Errorf("bench-ingest: --target-dialect must be sqlite, postgres or none, not %q", *targetDialect)
		}
		h := http.Header(targetHeaders)
		cfg.Targets = append(cfg.Targets, ingestbench.TargetSpec{Name: "external", Dialect: d,
			Start: func(context.Context, int) (*ingestbench.Target, error) {
				return &ingestbench.Target{URL: endpoint, Header: h}, nil
			}})
	}

	res, err := ingestbench.RunSuite(ctx, cfg)
	if err != nil {
		return err
	}
	if *jsonOut {
		err = res.WriteJSON(stdout)
	} else {
		err = res.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if res.Failed() {
		return errors.New("bench-ingest: some requests failed or the stored rows differ from the acknowledged ones; the figures are not valid")
	}
	return nil
}

// targetEndpoint turns --target into the endpoint's URL: a bare base URL
// gets Huhang's submission path.
func targetEndpoint(s string) (string, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("bench-ingest: --target must look like http://127.0.0.1:8080, not %q", s)
	}
	if u.Path == "" {
		u.Path = ingestPath
	}
	return u.String(), nil
}

// headerFlag collects repeated "Name: value" flags.
type headerFlag http.Header

func (h *headerFlag) String() string {
	var parts []string
	for k, vs := range *h {
		for _, v := range vs {
			parts = append(parts, k+": "+v)
		}
	}
	return strings.Join(parts, ", ")
}

func (h *headerFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want Name: value, not %q", s)
	}
	if *h == nil {
		*h = headerFlag{}
	}
	http.Header(*h).Add(strings.TrimSpace(k), strings.TrimSpace(v))
	return nil
}

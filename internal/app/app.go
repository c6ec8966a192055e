// Package app is the huhang command: it parses the subcommand, opens the
// store with its keys and runs the server or an operator task.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"huhang/internal/audit"
	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/config"
	"huhang/internal/privacy"
	"huhang/internal/programme"
	"huhang/internal/screening"
	"huhang/internal/seed"
	"huhang/internal/store"
	"huhang/internal/web"
	"huhang/internal/worker"
)

// Version is set at build time with -ldflags.
var Version = "dev"

const usage = `huhang — 护航 school mental-health platform

Usage:
  huhang serve [--demo] [flags]    run the web server (default 127.0.0.1:8080, SQLite in ./huhang-data)
  huhang migrate [flags]           create or upgrade the database schema
  huhang demo [--seed N] [--scale F] load the synthetic demo city into an empty database
  huhang user add --username U --name N [--role R --node ID]   add an account (password from HUHANG_USER_PASSWORD or generated)
  huhang user reset-password --username U                      set a new generated password and end the user's sessions
  huhang user disable --username U                             disable an account and end its sessions
  huhang import students|staff FILE --school CODE [--dry-run]   check a roster (.xlsx/.csv) and import it, all or nothing
  huhang backup --out FILE         write a consistent copy of the live SQLite database
  huhang audit verify              check the audit log's hash chain
  huhang bench [flags]             measure demo load time, drill-down latency under load and memory
  huhang bench-ingest [flags]      measure screening-day ingest against the group-commit ceiling and the naive baseline
  huhang version

Run "huhang <command> -h" for the flags of a command.
`

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT says
// otherwise: a 200,000-row import then peaks near 430 MB of RSS instead of
// letting the heap double past 650 MB before collecting.
const defaultMemoryLimit = 384 << 20

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if len(args) < 1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = serve(rest, stdout, stderr)
	case "migrate":
		err = migrate(rest, stdout, stderr)
	case "demo":
		err = demoCmd(rest, stdout, stderr)
	case "user":
		err = userCmd(rest, stdout, stderr)
	case "backup":
		err = backup(rest, stdout, stderr)
	case "audit":
		err = auditCmd(rest, stdout, stderr)
	case "import":
		err = importCmd(rest, stdout, stderr)
	case "bench":
		err = benchCmd(rest, stdout, stderr)
	case "bench-ingest":
		err = benchIngestCmd(rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "huhang", Version)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "huhang: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "huhang:", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// parse reads flags for one subcommand.
func parse(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*config.Config, error) {
	fs := flag.NewFlagSet("huhang "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config.Config
	c.Register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return &c, c.Validate()
}

// command parses a subcommand's flags and opens the store for it.
func command(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*config.Config, *store.Store, error) {
	c, err := parse(name, args, stderr, extra)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(context.Background(), c, newLogger(stderr, c.LogLevel))
	return c, st, err
}

// openStore loads (or, for a new database, creates) the key file, runs the
// cryptographic self-tests and opens the store. It fails closed: an existing
// database without its key file is an error, never a fresh key.
func openStore(ctx context.Context, c *config.Config, log *slog.Logger) (*store.Store, error) {
	if err := privacy.SelfTest(); err != nil {
		return nil, fmt.Errorf("cryptographic self-test failed: %w", err)
	}
	// The data directory holds the SQLite database and, by default, the
	// key file (PostgreSQL deployments too).
	for _, dir := range []string{c.DataDir, filepath.Dir(c.KeyPath())} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create directory %s: %w", dir, err)
		}
	}
	fresh, err := databaseIsNew(ctx, c)
	if err != nil {
		return nil, err
	}
	var master []byte
	if fresh {
		var created bool
		master, created, err = privacy.LoadOrCreateKeyFile(c.KeyPath())
		if created {
			log.Info("created field-encryption key file; back it up apart from the database", "path", c.KeyPath())
		}
	} else {
		master, err = privacy.LoadKeyFile(c.KeyPath())
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("the database exists but its key file %s is missing: restore the key file (or set HUHANG_KEY_FILE); without it encrypted fields cannot be read", c.KeyPath())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	alg, chain := privacy.AES256GCM, audit.SHA256
	if c.Crypto == "sm" {
		alg, chain = privacy.SM4GCM, audit.SM3
	}
	keys, err := privacy.NewKeyring(master, alg)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Config{DatabaseURL: c.DatabaseURL, SQLitePath: c.SQLitePath(), Keyring: keys, AuditAlgorithm: chain, Logger: log})
}

// databaseIsNew reports whether no Huhang schema exists yet.
func databaseIsNew(ctx context.Context, c *config.Config) (bool, error) {
	if c.DatabaseURL == "" {
		_, err := os.Stat(c.SQLitePath())
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil
		}
		return false, err
	}
	return store.PostgresIsEmpty(ctx, c.DatabaseURL)
}

// bootstrapAdmin creates the first system administrator when there is no
// account at all, printing a generated password once.
func bootstrapAdmin(ctx context.Context, st *store.Store, c *config.Config, stdout io.Writer) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw := c.AdminPassword
	generated := pw == ""
	if generated {
		pw = auth.GeneratePassword()
	} else if err := auth.CheckPasswordPolicy(pw, "admin"); err != nil {
		return fmt.Errorf("HUHANG_ADMIN_PASSWORD is not acceptable: %w", err)
	}
	hash, err := auth.HashPassword(pw, auth.DefaultParams)
	if err != nil {
		return err
	}
	if _, err := st.CreateUser(ctx, store.SystemActor, store.NewUser{Username: "admin", DisplayName: "系统管理员",
		PasswordHash: hash, Assignments: []authz.Assignment{{Role: authz.SysAdmin}}}); err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(stdout, "\n  First start: created the administrator account.\n  user name: admin\n  password:  %s\n  (shown once; set HUHANG_ADMIN_PASSWORD to choose it instead)\n\n", pw)
	}
	return nil
}

func serve(args []string, stdout, stderr io.Writer) error {
	var demoFlag bool
	c, err := parse("serve", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&demoFlag, "demo", false, "load the synthetic demo city first if the database is empty")
	})
	if err != nil {
		return err
	}
	log := newLogger(stderr, c.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := bootstrapAdmin(ctx, st, c, stdout); err != nil {
		return err
	}
	synthetic := false
	if demoFlag {
		empty, err := st.IsEmpty(ctx)
		if err != nil {
			return err
		}
		if empty {
			if err := loadDemo(ctx, st, c, stdout); err != nil {
				return err
			}
		}
		synthetic = true
	}
	if !synthetic {
		synthetic, _ = st.HasDemoData(ctx)
	}
	policy := alertPolicy(c)
	srv, err := web.New(web.Config{IdleTimeout: c.IdleTimeout, AbsoluteTimeout: c.AbsoluteTimeout, RequireMFA: c.RequireMFA,
		InsecureCookies: c.InsecureCookies, SyntheticData: synthetic, Version: Version, AlertPolicy: &policy}, st, log)
	if err != nil {
		return err
	}
	srv.StartJanitor(ctx)
	// The open campaigns' codes, in memory for the screening day's lookups.
	go func() {
		if err := st.WarmCodeIndex(ctx); err != nil {
			log.Warn("code index build failed", "err", err)
		}
	}()
	// Alerts: escalation of unacknowledged ones, and the channels besides
	// the in-app inbox. Both run until shutdown.
	var channels []worker.Channel
	if c.WebhookURL != "" {
		channels = append(channels, worker.Webhook{URL: c.WebhookURL, Secret: []byte(c.WebhookSecret)})
	}
	if c.SMSLog {
		channels = append(channels, worker.SMS{Gateway: worker.LogSMS{Logger: log}})
	}
	st.SetNotifyChannels(worker.ChannelNames(channels))
	// The plan's targets ship as data; a new database gets the 2021–2025
	// plan and the home–school quotas; an upgrade adds shipped targets it
	// lacks, and a bureau adds the next plan in the UI.
	if n, err := st.EnsureTargets(ctx, append(programme.Plan2021(), programme.HomeSchoolQuotas()...)); err != nil {
		return err
	} else if n > 0 {
		log.Info("plan targets added", "count", n)
	}
	stopWorkers := worker.Start(ctx, &worker.Escalator{Store: st, Policy: policy, Logger: log},
		&worker.Dispatcher{Store: st, Channels: channels, Logger: log}, &worker.Snapshotter{Store: st, Logger: log})
	defer stopWorkers()
	hs := &http.Server{Addr: c.Addr, Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	engine := st.Engine()
	log.Info("listening", "addr", ln.Addr().String(), "engine", engine, "version", Version)
	fmt.Fprintf(stdout, "Huhang is running at http://%s/ (database: %s). Press Ctrl+C to stop.\n", ln.Addr().String(), engine)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(shutCtx)
}

// alertPolicy turns the configured deadlines into the screening policy.
func alertPolicy(c *config.Config) screening.Policy {
	p := screening.DefaultPolicy()
	p.Critical = screening.Deadline{Hours: max(1, int((c.AckCritical+time.Hour-1)/time.Hour))}
	p.Red = screening.Deadline{Hours: max(1, int((c.AckRed+time.Hour-1)/time.Hour))}
	p.Orange = screening.Deadline{SchoolDays: c.AckOrangeDays}
	return p
}

func migrate(args []string, stdout, stderr io.Writer) error {
	c, st, err := command("migrate", args, stderr, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	applied, known, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema at version %d of %d (%s)\n", applied, known, st.Engine())
	return bootstrapAdmin(ctx, st, c, stdout)
}

func demoCmd(args []string, stdout, stderr io.Writer) error {
	c, st, err := command("demo", args, stderr, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	if err := bootstrapAdmin(ctx, st, c, stdout); err != nil {
		return err
	}
	empty, err := st.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return errors.New("the database already holds a city; the demo loads only into an empty database (use a new --data directory)")
	}
	return loadDemo(ctx, st, c, stdout)
}

// loadDemo generates the synthetic city, stores it and creates one demo
// account per role.
func loadDemo(ctx context.Context, st *store.Store, c *config.Config, stdout io.Writer) error {
	start := time.Now()
	fmt.Fprintf(stdout, "Loading the synthetic demo city (seed %d, scale %g)…\n", c.DemoSeed, c.DemoScale)
	sum, err := seed.Load(ctx, st, seed.Options{Seed: c.DemoSeed, Scale: c.DemoScale, Progress: stdout})
	if err != nil {
		return err
	}
	var names []string
	for _, a := range seed.Accounts {
		names = append(names, a.Username)
	}
	fmt.Fprintf(stdout, "Demo city loaded in %.1fs: %d districts, %d schools, %d classes, %d staff, %d students, %d guardians.\n",
		time.Since(start).Seconds(), sum.Districts, sum.Schools, sum.Classes, sum.Staff, sum.Students, sum.Guardians)
	fmt.Fprintf(stdout, "Demo accounts (password %s): %s\n", seed.DemoPassword, strings.Join(names, ", "))
	return nil
}

package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"huhang/internal/bench"
	"huhang/internal/seed"
	"huhang/internal/web"
)

// benchCmd measures the three performance targets in one run: the demo
// city's load time, drill-down page latency under a closed-loop load of
// concurrent clients, and the server's resident memory. By default it
// loads the city into a fresh temporary data directory and serves it
// in-process; with --target it loads an external `huhang serve` instead.
func benchCmd(args []string, stdout, stderr io.Writer) error {
	var (
		fset       *flag.FlagSet
		clients    int
		duration   time.Duration
		warmup     time.Duration
		target     string
		pid        int
		jsonOut    bool
		mixFlag    string
		accounts   string
		password   string
		maxSchools int
		maxClasses int
		keep       bool
		serverLog  string
		loadSeed   uint64
		cpuProfile string
	)
	c, err := parse("bench", args, stderr, func(fs *flag.FlagSet) {
		fset = fs
		fs.IntVar(&clients, "clients", 32, "concurrent closed-loop clients, each on its own keep-alive connection")
		fs.DurationVar(&duration, "duration", 20*time.Second, "measured load duration (after the warm-up)")
		fs.DurationVar(&warmup, "warmup", 2*time.Second, "warm-up before measuring (requests sent but not counted)")
		fs.StringVar(&target, "target", "", "load an external server at this URL (http://127.0.0.1:PORT) instead of an in-process one")
		fs.IntVar(&pid, "pid", 0, "with --target: the server's process id for memory readings (default: the process listening on the target port)")
		fs.BoolVar(&jsonOut, "json", false, "print the report as JSON")
		fs.StringVar(&mixFlag, "mix", "district=1,school=2,class=2", "relative weights of the page kinds")
		fs.StringVar(&accounts, "accounts", "city,district,principal", "demo accounts to sign in as; clients are spread over them round-robin")
		fs.StringVar(&password, "password", seed.DemoPassword, "password of those accounts")
		fs.IntVar(&maxSchools, "max-schools", 0, "sample at most this many schools per account (0 = all in scope)")
		fs.IntVar(&maxClasses, "max-classes", 0, "sample at most this many classes per account (0 = all classes of the sampled schools)")
		fs.BoolVar(&keep, "keep", false, "keep the temporary data directory")
		fs.StringVar(&serverLog, "server-log", "", "in-process: write the server's request log to this file (default: formatted, then discarded)")
		fs.Uint64Var(&loadSeed, "load-seed", 1, "seed of the page sampling and the clients' page sequences")
		fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of this process during the load (in-process: server and clients; go tool pprof)")
		// Common flags that mean something else here.
		if f := fs.Lookup("data"); f != nil {
			f.Usage, f.DefValue = "data directory to load the demo city into (default: a fresh temporary directory, removed afterwards unless --keep; ignored with --target)", ""
		}
		if f := fs.Lookup("addr"); f != nil {
			f.Usage, f.DefValue = "not used: the in-process server listens on 127.0.0.1 on a free port", ""
		}
	})
	if err != nil {
		return err
	}
	if clients <= 0 || duration <= 0 || warmup < 0 {
		return errors.New("bench: --clients and --duration must be positive and --warmup not negative")
	}
	mix, err := bench.ParseMix(mixFlag)
	if err != nil {
		return err
	}
	dataSet := false
	fset.Visit(func(f *flag.Flag) {
		if f.Name == "data" {
			dataSet = true
		}
	})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep := &bench.Report{StartedAt: time.Now().UTC(), Command: strings.TrimSpace("huhang bench " + strings.Join(args, " ")), Machine: bench.DescribeMachine()}
	rep.Config = bench.RunConfig{Clients: clients, WarmupS: warmup.Seconds(), DurationS: duration.Seconds(), Mix: mix, Seed: loadSeed}
	progress := stderr

	var base string
	var serverPID int
	var memErr error
	var before bench.ProcMem
	if target == "" {
		rep.Mode = "in-process"
		rep.Notes = append(rep.Notes, "the load generator runs in the same process as the server: both share its CPUs, "+
			"and the memory figures include the client side; use --target for separate processes")
		if !dataSet {
			dir, err := os.MkdirTemp("", "huhang-bench-")
			if err != nil {
				return err
			}
			c.DataDir = dir
			if keep {
				fmt.Fprintf(progress, "data directory (kept): %s\n", dir)
			} else {
				defer os.RemoveAll(dir)
			}
		}
		logOut := io.Discard
		if serverLog != "" {
			f, err := os.Create(serverLog)
			if err != nil {
				return err
			}
			defer f.Close()
			logOut = f
		}
		log := newLogger(logOut, c.LogLevel)
		st, err := openStore(ctx, c, log)
		if err != nil {
			return err
		}
		defer st.Close()
		empty, err := st.IsEmpty(ctx)
		if err != nil {
			return err
		}
		dl := &bench.DemoLoad{Seed: c.DemoSeed, Scale: c.DemoScale, Skipped: !empty}
		if empty {
			fmt.Fprintf(progress, "loading the demo city (seed %d, scale %g) into %s …\n", c.DemoSeed, c.DemoScale, c.DataDir)
			start := time.Now()
			sum, err := seed.Load(ctx, st, seed.Options{Seed: c.DemoSeed, Scale: c.DemoScale})
			if err != nil {
				return err
			}
			dl.Seconds = time.Since(start).Seconds()
			dl.Districts, dl.Schools, dl.Classes, dl.Staff, dl.Students, dl.Guardians =
				sum.Districts, sum.Schools, sum.Classes, sum.Staff, sum.Students, sum.Guardians
			if c.DatabaseURL == "" {
				dl.DBBytes = fileSize(c.SQLitePath()) + fileSize(c.SQLitePath()+"-wal")
			}
			fmt.Fprintf(progress, "loaded in %.2fs\n", dl.Seconds)
		}
		rep.DemoLoad = dl
		serverPID = os.Getpid()
		rep.Memory.Source = "this process (server and load generator), /proc/self/status"
		before, memErr = bench.ReadProcMem(serverPID)

		srv, err := web.New(web.Config{IdleTimeout: c.IdleTimeout, AbsoluteTimeout: c.AbsoluteTimeout,
			InsecureCookies: true, SyntheticData: true, Version: Version}, st, log)
		if err != nil {
			return err
		}
		// The same server settings as `huhang serve`.
		hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		go hs.Serve(ln)
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			hs.Shutdown(sctx)
		}()
		base = "http://" + ln.Addr().String()
	} else {
		rep.Mode = "external"
		u, err := url.Parse(strings.TrimRight(target, "/"))
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return fmt.Errorf("bench: --target must look like http://127.0.0.1:8080, not %q", target)
		}
		base = u.Scheme + "://" + u.Host
		rep.Notes = append(rep.Notes, "server and load generator are separate processes on the same machine: they still share its CPUs")
		if dataSet {
			fmt.Fprintln(progress, "note: --data is ignored with --target (the server has its own)")
		}
		serverPID = pid
		if serverPID == 0 {
			port, _ := strconv.Atoi(u.Port())
			if port == 0 {
				port = 80
			}
			serverPID, memErr = bench.ListenerPID(port)
		}
		rep.Memory.Source = fmt.Sprintf("server process %d, /proc/%d/status", serverPID, serverPID)
		if memErr == nil {
			before, memErr = bench.ReadProcMem(serverPID)
		}
	}
	rep.Target = base
	rep.Memory.PID = serverPID
	rep.Memory.BeforeRSSMB, rep.Memory.BeforeHWMMB = bench.MB(before.RSS), bench.MB(before.HWM)

	// Sign in and find the pages each account may open.
	fmt.Fprintf(progress, "signing in as %s and listing their pages (the server allows 10 logins a minute per address; a 429 is waited out) …\n", accounts)
	setup := bench.NewClient(60 * time.Second)
	defer setup.CloseIdleConnections()
	var accs []bench.Account
	for _, name := range strings.Split(accounts, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		s, err := bench.Login(ctx, setup, base, name, password)
		if err != nil {
			return err
		}
		paths, err := bench.Discover(ctx, setup, base, s, bench.DiscoverOptions{MaxSchools: maxSchools, MaxClasses: maxClasses, Seed: loadSeed})
		if err != nil {
			return err
		}
		accs = append(accs, bench.Account{Session: s, Paths: paths})
	}
	if len(accs) == 0 {
		return errors.New("bench: --accounts names no account")
	}
	for i, a := range accs {
		n := clients / len(accs)
		if i < clients%len(accs) {
			n++
		}
		rep.Config.Accounts = append(rep.Config.Accounts, bench.AccountShape{Username: a.Session.Username, Clients: n,
			Districts: len(a.Paths[bench.District]), Schools: len(a.Paths[bench.School]), Classes: len(a.Paths[bench.Class]),
			Visits: len(a.Paths[bench.Visits])})
	}

	fmt.Fprintf(progress, "running %d clients against %s: %s warm-up, %s measured …\n", clients, base, warmup, duration)
	var sampler *bench.RSSSampler
	if memErr == nil {
		sampler = bench.StartRSSSampler(serverPID, 250*time.Millisecond)
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	cpu0, cpuErr := bench.ReadProcCPU(serverPID)
	self0, _ := bench.ReadProcCPU(os.Getpid())
	m0, _ := bench.ReadMachineCPU()
	t0 := time.Now()
	res, runErr := bench.Run(ctx, bench.LoadConfig{BaseURL: base, Accounts: accs, Clients: clients,
		Warmup: warmup, Duration: duration, Mix: mix, Seed: loadSeed})
	wall := time.Since(t0)
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	cpu1, err := bench.ReadProcCPU(serverPID)
	self1, _ := bench.ReadProcCPU(os.Getpid())
	m1, _ := bench.ReadMachineCPU()
	if cpuErr == nil {
		cpuErr = err
	}
	if cpuErr != nil {
		rep.CPU.Error = cpuErr.Error()
	} else if res != nil {
		rep.CPU = bench.CPU{WallS: round2(wall.Seconds()), ServerS: round2((cpu1 - cpu0).Seconds()),
			Requests: res.Requests() + res.WarmupCount}
		if serverPID != os.Getpid() {
			rep.CPU.ClientS = round2((self1 - self0).Seconds())
		}
		rep.CPU.MachineBusyS = round2((m1.Busy - m0.Busy).Seconds())
		rep.CPU.StealS = round2((m1.Steal - m0.Steal).Seconds())
		rep.CPU.OtherS = round2(max(rep.CPU.MachineBusyS-rep.CPU.ServerS-rep.CPU.ClientS, 0))
	}
	if sampler != nil {
		peak, n, err := sampler.Stop()
		rep.Memory.PeakRSSUnderLoadMB, rep.Memory.Samples = bench.MB(peak), n
		if err != nil && memErr == nil {
			memErr = err
		}
	}
	if runErr != nil {
		return runErr
	}
	if memErr == nil {
		var after bench.ProcMem
		if after, memErr = bench.ReadProcMem(serverPID); memErr == nil {
			rep.Memory.AfterRSSMB, rep.Memory.AfterHWMMB = bench.MB(after.RSS), bench.MB(after.HWM)
		}
	}
	if memErr != nil {
		rep.Memory.Error = memErr.Error()
	}
	rep.AddLoad(res)
	rep.Judge(bench.DefaultGoals)
	if jsonOut {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if n := res.Errors(); n > 0 {
		return fmt.Errorf("bench: %d requests failed (non-200 or transport error); the figures are not valid", n)
	}
	return nil
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

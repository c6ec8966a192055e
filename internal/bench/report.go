package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Goals are the performance targets a report is judged against.
type Goals struct {
	LoadTime time.Duration // demo city generated and stored within
	P95      time.Duration // per drill-down page kind, under load
	RSSBytes int64         // server resident memory
	Clients  int           // the load the P95 goal is stated for
}

// DefaultGoals are the targets from the issue: 30 s load, p95 50 ms with
// 32 clients, 300 MB RSS.
var DefaultGoals = Goals{LoadTime: 30 * time.Second, P95: 50 * time.Millisecond, RSSBytes: 300e6, Clients: 32}

// Report is the outcome of one `huhang bench` run.
type Report struct {
	Mode      string    `json:"mode"` // "in-process" or "external"
	Notes     []string  `json:"notes"`
	StartedAt time.Time `json:"started_at"`
	Command   string    `json:"command"`
	Machine   Machine   `json:"machine"`
	Target    string    `json:"target"`

	DemoLoad *DemoLoad   `json:"demo_load,omitempty"`
	Config   RunConfig   `json:"config"`
	Pages    []PageStats `json:"pages"`
	Overall  PageStats   `json:"overall"`
	Memory   Memory      `json:"memory"`
	CPU      CPU         `json:"cpu"`
	Targets  []Verdict   `json:"targets"`

	Errors         int            `json:"errors"`
	WarmupRequests int            `json:"warmup_requests"`
	Statuses       map[string]int `json:"statuses"`
	ErrorSamples   []string       `json:"error_samples,omitempty"`
}

// DemoLoad is the timed load of the demo city.
type DemoLoad struct {
	Skipped   bool    `json:"skipped,omitempty"` // the database already held a city
	Seconds   float64 `json:"seconds"`
	Seed      uint64  `json:"seed"`
	Scale     float64 `json:"scale"`
	Districts int     `json:"districts"`
	Schools   int     `json:"schools"`
	Classes   int     `json:"classes"`
	Staff     int     `json:"staff"`
	Students  int     `json:"students"`
	Guardians int     `json:"guardians"`
	DBBytes   int64   `json:"db_bytes,omitempty"`
}

// RunConfig records how the load was shaped.
type RunConfig struct {
	Clients   int            `json:"clients"`
	WarmupS   float64        `json:"warmup_s"`
	DurationS float64        `json:"duration_s"`
	Mix       map[Kind]int   `json:"mix"`
	Seed      uint64         `json:"seed"`
	Accounts  []AccountShape `json:"accounts"`
}

// AccountShape is how many clients used an account and which pages it had.
type AccountShape struct {
	Username  string       `json:"username"`
	Clients   int          `json:"clients"`
	Districts int          `json:"district_pages"`
	Schools   int          `json:"school_pages"`
	Classes   int          `json:"class_pages"`
	Visits    int          `json:"visit_sheets"`
	Requests  map[Kind]int `json:"requests"`
}

// PageStats is the latency of one page kind (or all together).
type PageStats struct {
	Kind     string  `json:"kind"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"rps"`
	MinMs    float64 `json:"min_ms"`
	MeanMs   float64 `json:"mean_ms"`
	P50Ms    float64 `json:"p50_ms"`
	P90Ms    float64 `json:"p90_ms"`
	P95Ms    float64 `json:"p95_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	AvgBytes int64   `json:"avg_bytes"`
}

// Memory is the server's resident memory, in MB of 10^6 bytes.
type Memory struct {
	PID    int    `json:"pid"`
	Source string `json:"source"`
	// Before the load: right after the demo city was loaded (in-process)
	// or when the bench attached (external).
	BeforeRSSMB float64 `json:"before_load_rss_mb"`
	BeforeHWMMB float64 `json:"before_load_hwm_mb"`
	// Peak VmRSS sampled every 250 ms while the clients ran.
	PeakRSSUnderLoadMB float64 `json:"peak_rss_under_load_mb"`
	Samples            int     `json:"samples"`
	// After the load.
	AfterRSSMB float64 `json:"after_load_rss_mb"`
	AfterHWMMB float64 `json:"after_load_hwm_mb"`
	Error      string  `json:"error,omitempty"`
}

// CPU is the processor time the server and the load generator used from
// the start of the warm-up to the last answer. In-process, both are one
// process and only Server is filled.
type CPU struct {
	WallS    float64 `json:"wall_s"`
	ServerS  float64 `json:"server_s"`
	ClientS  float64 `json:"client_s,omitempty"`
	Requests int     `json:"requests"` // warm-up included
	// Machine-wide: all CPUs busy, and the part neither the server nor
	// the load generator used (other processes, the kernel's own work);
	// a large Other means the run was disturbed.
	MachineBusyS float64 `json:"machine_busy_s"`
	OtherS       float64 `json:"other_s"`
	StealS       float64 `json:"steal_s"`
	Error        string  `json:"error,omitempty"`
}

// Verdict is one target compared with its measurement.
type Verdict struct {
	Target   string `json:"target"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Status   string `json:"status"` // PASS, MISS or N/A
}

// MB converts bytes to MB (10^6 bytes), two decimals.
func MB(b int64) float64 { return math.Round(float64(b)/1e4) / 100 }

func pageStats(kind string, lat []time.Duration, errs int, bytes int64, window time.Duration) PageStats {
	s := Summarize(lat)
	p := PageStats{Kind: kind, Requests: len(lat) + errs, Errors: errs,
		MinMs: ms(s.Min), MeanMs: ms(s.Mean), P50Ms: ms(s.P50), P90Ms: ms(s.P90), P95Ms: ms(s.P95), P99Ms: ms(s.P99), MaxMs: ms(s.Max)}
	if window > 0 {
		p.RPS = math.Round(float64(p.Requests)/window.Seconds()*10) / 10
	}
	if len(lat) > 0 {
		p.AvgBytes = bytes / int64(len(lat))
	}
	return p
}

// AddLoad fills the page statistics from a run.
func (r *Report) AddLoad(res *LoadResult) {
	var bytes int64
	var errs int
	for _, k := range res.SortedKinds() {
		kr := res.Kinds[k]
		r.Pages = append(r.Pages, pageStats(string(k), kr.Latencies, kr.Errors, kr.Bytes, res.Window))
		bytes += kr.Bytes
		errs += kr.Errors
	}
	r.Overall = pageStats("all", res.AllLatencies(), errs, bytes, res.Window)
	r.Errors = res.Errors()
	r.WarmupRequests = res.WarmupCount
	r.Statuses = map[string]int{}
	for s, n := range res.Statuses {
		name := strconv.Itoa(s)
		if s == 0 {
			name = "transport_error"
		}
		r.Statuses[name] = n
	}
	r.ErrorSamples = res.ErrorSamples
	for i := range r.Config.Accounts {
		r.Config.Accounts[i].Requests = res.ByAccount[r.Config.Accounts[i].Username]
	}
}

// Judge compares the measurements with the goals.
func (r *Report) Judge(g Goals) {
	r.Targets = nil
	status := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "MISS"
	}
	// The goals are stated for the demo city at scale 1. An in-process run
	// at another scale is reported but not judged; an external server's
	// scale is the operator's to state.
	scaleNote := ""
	if r.DemoLoad != nil && r.DemoLoad.Scale != 1 {
		scaleNote = fmt.Sprintf(" (scale %g; goals are stated for scale 1)", r.DemoLoad.Scale)
		status = func(bool) string { return "N/A" }
	}
	if r.DemoLoad != nil && !r.DemoLoad.Skipped {
		r.Targets = append(r.Targets, Verdict{
			Target:   fmt.Sprintf("demo city load (%d students, generate + store)", r.DemoLoad.Students) + scaleNote,
			Goal:     fmt.Sprintf("< %gs", g.LoadTime.Seconds()),
			Measured: fmt.Sprintf("%.1fs", r.DemoLoad.Seconds),
			Status:   status(r.DemoLoad.Seconds < g.LoadTime.Seconds()),
		})
	} else {
		r.Targets = append(r.Targets, Verdict{Target: "demo city load", Goal: fmt.Sprintf("< %gs", g.LoadTime.Seconds()),
			Measured: "not measured in this run", Status: "N/A"})
	}
	clientsNote := ""
	if r.Config.Clients != g.Clients {
		clientsNote = fmt.Sprintf(" (ran %d clients, goal is stated for %d)", r.Config.Clients, g.Clients)
	}
	for _, p := range r.Pages {
		measured := fmt.Sprintf("%.1f ms", p.P95Ms)
		var st string
		switch {
		case p.Errors > 0: // failed requests invalidate the figure
			st, measured = "MISS", fmt.Sprintf("%s, %d of %d requests failed", measured, p.Errors, p.Requests)
		case r.Config.Clients != g.Clients || scaleNote != "":
			st = "N/A"
		default:
			st = status(p.P95Ms < float64(g.P95)/1e6)
		}
		r.Targets = append(r.Targets, Verdict{
			Target:   fmt.Sprintf("%s page p95, %d clients, %s", p.Kind, r.Config.Clients, r.Mode) + clientsNote + scaleNote,
			Goal:     fmt.Sprintf("< %g ms", float64(g.P95)/1e6),
			Measured: measured,
			Status:   st,
		})
	}
	if r.Memory.Error != "" && r.Memory.Samples == 0 {
		r.Targets = append(r.Targets, Verdict{Target: "server RSS", Goal: fmt.Sprintf("< %d MB", g.RSSBytes/1e6),
			Measured: "unavailable: " + r.Memory.Error, Status: "N/A"})
		return
	}
	goalMB := float64(g.RSSBytes) / 1e6
	peak := max(r.Memory.PeakRSSUnderLoadMB, r.Memory.AfterRSSMB)
	r.Targets = append(r.Targets, Verdict{
		Target:   "server RSS under load (peak VmRSS sampled)" + scaleNote,
		Goal:     fmt.Sprintf("< %g MB", goalMB),
		Measured: fmt.Sprintf("%.1f MB", peak),
		Status:   status(peak < goalMB),
	}, Verdict{
		Target:   "server lifetime peak RSS (VmHWM, includes any demo load in that process)" + scaleNote,
		Goal:     fmt.Sprintf("< %g MB", goalMB),
		Measured: fmt.Sprintf("%.1f MB", r.Memory.AfterHWMMB),
		Status:   status(r.Memory.AfterHWMMB < goalMB),
	})
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Huhang benchmark — %s — %s\n", r.Mode, r.StartedAt.Format(time.RFC3339))
	m := r.Machine
	fmt.Fprintf(&b, "machine: %d CPU (GOMAXPROCS %d), %s, %d MB RAM, kernel %s, %s %s\n",
		m.NumCPU, m.GOMAXPROCS, m.CPUModel, m.MemTotalMB, m.Kernel, m.GoVersion, m.OSArch)
	fmt.Fprintf(&b, "command: %s\n", r.Command)
	fmt.Fprintf(&b, "server:  %s (pid %d)\n", r.Target, r.Memory.PID)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note:    %s\n", n)
	}
	if d := r.DemoLoad; d != nil {
		if d.Skipped {
			fmt.Fprintf(&b, "\nDemo city: already in the database, load not timed.\n")
		} else {
			fmt.Fprintf(&b, "\nDemo city (seed %d, scale %g): %d districts, %d schools, %d classes, %d staff, %d students, %d guardians\n",
				d.Seed, d.Scale, d.Districts, d.Schools, d.Classes, d.Staff, d.Students, d.Guardians)
			fmt.Fprintf(&b, "  generated and stored in %.2fs (database %.1f MB)\n", d.Seconds, MB(d.DBBytes))
		}
	}
	c := r.Config
	mix := slices.Sorted(maps.Keys(c.Mix))
	var mixParts []string
	for _, k := range Kinds {
		if slices.Contains(mix, k) {
			mixParts = append(mixParts, fmt.Sprintf("%s=%d", k, c.Mix[k]))
		}
	}
	fmt.Fprintf(&b, "\nLoad: %d closed-loop keep-alive clients, %.0fs warm-up (%d requests, not counted), %.0fs measured, mix %s\n",
		c.Clients, c.WarmupS, r.WarmupRequests, c.DurationS, strings.Join(mixParts, ","))
	for _, a := range c.Accounts {
		fmt.Fprintf(&b, "  %-10s %2d clients; pages: %d district, %d school, %d class, %d visit sheets; requests: %d/%d/%d/%d\n",
			a.Username, a.Clients, a.Districts, a.Schools, a.Classes, a.Visits, a.Requests[District], a.Requests[School], a.Requests[Class],
			a.Requests[Visits])
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "page\trequests\terrors\treq/s\tmean ms\tp50 ms\tp90 ms\tp95 ms\tp99 ms\tmax ms\tavg bytes\t")
	for _, p := range append(slices.Clone(r.Pages), r.Overall) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t\n",
			p.Kind, p.Requests, p.Errors, p.RPS, p.MeanMs, p.P50Ms, p.P90Ms, p.P95Ms, p.P99Ms, p.MaxMs, p.AvgBytes)
	}
	tw.Flush()
	mem := r.Memory
	fmt.Fprintf(&b, "\nMemory (%s, MB = 10^6 bytes):\n", mem.Source)
	if mem.Error != "" {
		fmt.Fprintf(&b, "  warning: %s\n", mem.Error)
	}
	fmt.Fprintf(&b, "  before load: VmRSS %.1f MB, VmHWM %.1f MB\n", mem.BeforeRSSMB, mem.BeforeHWMMB)
	fmt.Fprintf(&b, "  under load:  peak VmRSS %.1f MB (%d samples)\n", mem.PeakRSSUnderLoadMB, mem.Samples)
	fmt.Fprintf(&b, "  after load:  VmRSS %.1f MB, VmHWM %.1f MB\n", mem.AfterRSSMB, mem.AfterHWMMB)

	if cpu := r.CPU; cpu.Error != "" {
		fmt.Fprintf(&b, "\nCPU: unavailable: %s\n", cpu.Error)
	} else if cpu.WallS > 0 && cpu.Requests > 0 {
		who := "server"
		if r.Mode == "in-process" {
			who = "server + load generator"
		}
		fmt.Fprintf(&b, "\nCPU over %.1fs (%d CPUs): %s %.1fs = %.2f CPUs, %.2f ms per request",
			cpu.WallS, r.Machine.NumCPU, who, cpu.ServerS, cpu.ServerS/cpu.WallS, cpu.ServerS*1000/float64(cpu.Requests))
		if cpu.ClientS > 0 {
			fmt.Fprintf(&b, "; load generator %.1fs = %.2f CPUs", cpu.ClientS, cpu.ClientS/cpu.WallS)
		}
		fmt.Fprintf(&b, "\n  machine busy %.2f CPUs, of which %.2f CPUs outside this benchmark; steal %.2f CPUs\n",
			cpu.MachineBusyS/cpu.WallS, cpu.OtherS/cpu.WallS, cpu.StealS/cpu.WallS)
	}

	statuses := slices.Sorted(maps.Keys(r.Statuses))
	var st []string
	for _, s := range statuses {
		st = append(st, fmt.Sprintf("%s×%d", s, r.Statuses[s]))
	}
	fmt.Fprintf(&b, "\nHTTP statuses (warm-up included): %s\n", strings.Join(st, ", "))
	if r.Errors > 0 {
		fmt.Fprintf(&b, "ERRORS: %d requests failed (non-200 or transport error)\n", r.Errors)
		for _, s := range r.ErrorSamples {
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	b.WriteString("\nTargets:\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, v := range r.Targets {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", v.Status, v.Target, v.Goal, v.Measured)
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}

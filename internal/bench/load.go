package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Account is one signed-in account and the pages it requests.
type Account struct {
	Session Session
	Paths   Paths
}

// LoadConfig describes one closed-loop run.
type LoadConfig struct {
	BaseURL string
	// Accounts are spread over the clients round-robin: client i uses
	// Accounts[i % len(Accounts)].
	Accounts []Account
	Clients  int
	Warmup   time.Duration
	Duration time.Duration
	// Mix weighs the page kinds; each request picks a kind by weight
	// among those its account may open, then a path of that kind
	// uniformly at random.
	Mix map[Kind]int
	// Seed makes every client's sequence of pages reproducible.
	Seed uint64
	// Timeout bounds one request (default 30 s).
	Timeout time.Duration
}

// KindResult is what one page kind measured.
type KindResult struct {
	Kind      Kind
	Latencies []time.Duration // measured window only, unsorted
	Errors    int             // measured window
	Bytes     int64
}

// LoadResult is what a run measured. Latencies count only requests that
// started after the warm-up and before the end of the window; errors are
// counted in both phases, since any failure makes the run invalid.
type LoadResult struct {
	Window       time.Duration // the measured window (Duration)
	Elapsed      time.Duration // warm-up start to the last answer
	Kinds        map[Kind]*KindResult
	ByAccount    map[string]map[Kind]int // requests per account and kind (measured)
	WarmupCount  int
	WarmupErrors int
	Statuses     map[int]int // every answer, both phases; 0 = transport error
	ErrorSamples []string    // the first few failures, for the report
}

// Errors is the total number of failed requests, warm-up included.
func (r *LoadResult) Errors() int {
	n := r.WarmupErrors
	for _, k := range r.Kinds {
		n += k.Errors
	}
	return n
}

// Requests is the number of measured requests.
func (r *LoadResult) Requests() int {
	n := 0
	for _, k := range r.Kinds {
		n += len(k.Latencies) + k.Errors
	}
	return n
}

// clientResult is one client's share, merged at the end so clients never
// contend on a lock while measuring.
type clientResult struct {
	lat      map[Kind][]time.Duration
	errs     map[Kind]int
	bytes    map[Kind]int64
	warm     int
	warmErrs int
	statuses map[int]int
	samples  []string
	lastDone time.Time
	account  string
	perKind  map[Kind]int
}

const maxErrorSamples = 10

// Run drives cfg.Clients concurrent closed-loop clients: each sends one
// request, reads the whole answer, and sends the next at once. It returns
// when every client has finished its last request of the window.
func Run(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
	if cfg.Clients <= 0 || len(cfg.Accounts) == 0 || cfg.Duration <= 0 {
		return nil, errors.New("bench: need at least one client, one account and a positive duration")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	for _, a := range cfg.Accounts {
		if len(kindsFor(a, cfg.Mix)) == 0 {
			return nil, fmt.Errorf("bench: account %s may open none of the page kinds in the mix", a.Session.Username)
		}
	}
	start := time.Now()
	measureFrom := start.Add(cfg.Warmup)
	end := measureFrom.Add(cfg.Duration)
	results := make([]*clientResult, cfg.Clients)
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		acc := cfg.Accounts[i%len(cfg.Accounts)]
		res := &clientResult{lat: map[Kind][]time.Duration{}, errs: map[Kind]int{}, bytes: map[Kind]int64{},
			statuses: map[int]int{}, account: acc.Session.Username, perKind: map[Kind]int{}}
		results[i] = res
		wg.Go(func() {
			runClient(ctx, cfg, acc, uint64(i), measureFrom, end, res)
		})
	}
	wg.Wait()
	out := &LoadResult{Window: cfg.Duration, Kinds: map[Kind]*KindResult{}, ByAccount: map[string]map[Kind]int{}, Statuses: map[int]int{}}
	var last time.Time
	for _, r := range results {
		out.WarmupCount += r.warm
		out.WarmupErrors += r.warmErrs
		for k, l := range r.lat {
			kr := out.kind(k)
			kr.Latencies = append(kr.Latencies, l...)
		}
		for k, n := range r.errs {
			out.kind(k).Errors += n
		}
		for k, n := range r.bytes {
			out.kind(k).Bytes += n
		}
		for s, n := range r.statuses {
			out.Statuses[s] += n
		}
		if out.ByAccount[r.account] == nil {
			out.ByAccount[r.account] = map[Kind]int{}
		}
		for k, n := range r.perKind {
			out.ByAccount[r.account][k] += n
		}
		for _, s := range r.samples {
			if len(out.ErrorSamples) < maxErrorSamples {
				out.ErrorSamples = append(out.ErrorSamples, s)
			}
		}
		if r.lastDone.After(last) {
			last = r.lastDone
		}
	}
	out.Elapsed = last.Sub(start)
	return out, ctx.Err()
}

func (r *LoadResult) kind(k Kind) *KindResult {
	kr := r.Kinds[k]
	if kr == nil {
		kr = &KindResult{Kind: k}
		r.Kinds[k] = kr
	}
	return kr
}

// kindsFor lists the kinds account a can open that the mix asks for.
func kindsFor(a Account, mix map[Kind]int) []Kind {
	var ks []Kind
	for _, k := range Kinds {
		if mix[k] > 0 && len(a.Paths[k]) > 0 {
			ks = append(ks, k)
		}
	}
	return ks
}

func runClient(ctx context.Context, cfg LoadConfig, acc Account, id uint64, measureFrom, end time.Time, res *clientResult) {
	c := NewClient(cfg.Timeout)
	defer c.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(cfg.Seed, id))
	kinds := kindsFor(acc, cfg.Mix)
	total := 0
	for _, k := range kinds {
		total += cfg.Mix[k]
	}
	buf := make([]byte, 32<<10)
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(end) {
			return
		}
		// Pick the kind by weight, then a page of that kind.
		w := rng.IntN(total)
		kind := kinds[len(kinds)-1]
		for _, k := range kinds {
			if w < cfg.Mix[k] {
				kind = k
				break
			}
			w -= cfg.Mix[k]
		}
		paths := acc.Paths[kind]
		path := paths[rng.IntN(len(paths))]

		status, n, err := fetch(ctx, c, cfg.BaseURL, acc.Session, path, buf)
		done := time.Now()
		res.lastDone = done
		res.statuses[status]++
		failed := err != nil || status != http.StatusOK
		if failed && len(res.samples) < maxErrorSamples {
			msg := fmt.Sprintf("GET %s as %s: status %d", path, acc.Session.Username, status)
			if err != nil {
				msg += ": " + err.Error()
			}
			res.samples = append(res.samples, msg)
		}
		if t0.Before(measureFrom) {
			res.warm++
			if failed {
				res.warmErrs++
			}
			continue
		}
		res.perKind[kind]++
		if failed {
			res.errs[kind]++
			continue
		}
		res.lat[kind] = append(res.lat[kind], done.Sub(t0))
		res.bytes[kind] += n
	}
}

// fetch GETs one page and reads the whole body, so the latency covers the
// complete answer as a browser would wait for it.
func fetch(ctx context.Context, c *http.Client, baseURL string, s Session, path string, buf []byte) (int, int64, error) {
	resp, err := get(ctx, c, baseURL, s, path)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.CopyBuffer(io.Discard, onlyReader{resp.Body}, buf)
	resp.Body.Close()
	if err == nil && resp.StatusCode == http.StatusOK && n == 0 {
		err = errors.New("empty body")
	}
	return resp.StatusCode, n, err
}

// onlyReader hides io.WriterTo so io.CopyBuffer uses the buffer it is given.
type onlyReader struct{ io.Reader }

// SortedKinds returns the kinds present in r in drill-down order.
func (r *LoadResult) SortedKinds() []Kind {
	var ks []Kind
	for _, k := range Kinds {
		if _, ok := r.Kinds[k]; ok {
			ks = append(ks, k)
		}
	}
	return ks
}

// AllLatencies merges every kind's measured latencies.
func (r *LoadResult) AllLatencies() []time.Duration {
	var all []time.Duration
	for _, k := range r.Kinds {
		all = append(all, k.Latencies...)
	}
	return slices.Clip(all)
}

package ingestbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"huhang/internal/bench"
)

// LoadConfig describes one closed-loop POST run.
type LoadConfig struct {
	// URL receives every POST. The built-in client speaks plain http://
	// only; https:// needs StdClient.
	URL string
	// Clients is the number of concurrent closed-loop clients.
	Clients int
	// Warmup is sent but not measured; Duration is the measured window
	// that follows it.
	Warmup, Duration time.Duration
	// Body returns the body of request seq (0, 1, …) of client
	// (0 … Clients-1). It is called from the client's goroutine, so
	// different clients call it concurrently; the slice must not change
	// until the next call for the same client.
	Body func(client, seq int) []byte
	// Header is sent with every request, after Content-Type:
	// application/json (which it may override).
	Header http.Header
	// Expect is the status that counts as success (default 201).
	Expect int
	// Timeout bounds one request (default 30 s).
	Timeout time.Duration
	// StdClient sends through net/http's Transport (one per client)
	// instead of the built-in HTTP/1.1 client. The server side is the
	// same either way; the built-in client leaves the server about twice
	// the CPU on a 2-core machine (a decode-and-201 handler: ≈ 43,000
	// req/s against ≈ 21,000), so it is the default.
	StdClient bool
}

// LoadResult is what a run measured. Latencies and OK count only requests
// that started in the measured window; failures are counted in both
// phases, since any failure makes a run suspect.
type LoadResult struct {
	URL     string        `json:"url"`
	Clients int           `json:"clients"`
	Client  string        `json:"client"`     // "built-in" or "net/http"
	Window  time.Duration `json:"window_ns"`  // the measured window (Duration)
	Elapsed time.Duration `json:"elapsed_ns"` // start of warm-up to the last answer
	// Requests started in the window; OK of them answered Expect.
	Requests int `json:"requests"`
	OK       int `json:"ok"`
	// Errors are measured requests that failed: another status, a
	// transport error, or an unreadable answer.
	Errors         int `json:"errors"`
	WarmupRequests int `json:"warmup_requests"`
	WarmupErrors   int `json:"warmup_errors"`
	// Statuses counts every answer of both phases by status; 0 stands
	// for a transport error.
	Statuses map[int]int `json:"statuses"`
	// Dials is the number of connections opened: Clients when keep-alive
	// held throughout.
	Dials        int      `json:"dials"`
	ErrorSamples []string `json:"error_samples,omitempty"`
	// Latency summarises the measured successful requests, from just
	// before sending to the end of the answer.
	Latency bench.Summary `json:"latency"`
	// Latencies are those requests' latencies, sorted ascending.
	Latencies []time.Duration `json:"-"`
}

// Throughput is the measured successful requests per second.
func (r *LoadResult) Throughput() float64 {
	if r.Window <= 0 {
		return 0
	}
	return float64(r.OK) / r.Window.Seconds()
}

// TotalErrors counts failures in both phases.
func (r *LoadResult) TotalErrors() int { return r.Errors + r.WarmupErrors }

const maxErrorSamples = 10

type clientResult struct {
	lat      []time.Duration
	requests int
	errs     int
	warm     int
	warmErrs int
	statuses map[int]int
	samples  []string
	lastDone time.Time
}

// sender sends one request with body and reads the whole answer. It
// returns the status (0 if none was read) and, for a status other than
// expect, the start of the answer's body for the error report.
type sender interface {
	send(body []byte, expect int) (status int, msg string, err error)
	close()
}

// Load drives cfg.Clients concurrent closed-loop clients against cfg.URL:
// each POSTs one body, reads the whole answer and sends the next at once.
// Every client holds its own keep-alive connection, without compression,
// so the run looks like that many independent browsers (or wrk
// connections). It returns when every client has finished its last
// request of the window; a cancelled ctx ends the run early and returns
// what was measured with ctx's error.
func Load(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
	if cfg.URL == "" || cfg.Clients <= 0 || cfg.Duration <= 0 || cfg.Warmup < 0 || cfg.Body == nil {
		return nil, errors.New("ingestbench: a load needs a URL, a body generator, at least one client, a positive duration and no negative warm-up")
	}
	if cfg.Expect == 0 {
		cfg.Expect = http.StatusCreated
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	header := http.Header{"Content-Type": {"application/json"}}
	for k, v := range cfg.Header {
		header[http.CanonicalHeaderKey(k)] = v
	}
	var dials atomic.Int64
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dialer.DialContext(ctx, network, addr)
	}
	var newSender func() sender
	clientName := "built-in"
	if cfg.StdClient {
		clientName = "net/http"
		base, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, nil)
		if err != nil {
			return nil, fmt.Errorf("ingestbench: %w", err)
		}
		base.Header = header
		newSender = func() sender { return newStdSender(base, dial, cfg.Timeout) }
	} else {
		raw, err := newRawRequest(cfg.URL, header)
		if err != nil {
			return nil, err
		}
		newSender = func() sender { return &rawSender{ctx: ctx, req: raw, dial: dial, timeout: cfg.Timeout} }
	}

	start := time.Now()
	measureFrom := start.Add(cfg.Warmup)
	end := measureFrom.Add(cfg.Duration)
	results := make([]*clientResult, cfg.Clients)
	// Preallocate latency slices for a generous rate, so appends rarely
	// copy during the run.
	perClient := min(int(cfg.Duration.Seconds()*50_000)/cfg.Clients+16, 1<<20)
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		res := &clientResult{lat: make([]time.Duration, 0, perClient), statuses: map[int]int{}}
		results[i] = res
		s := newSender()
		wg.Go(func() {
			defer s.close()
			stop := context.AfterFunc(ctx, s.close) // unblock a request in flight
			defer stop()
			runClient(ctx, s, &cfg, i, measureFrom, end, res)
		})
	}
	wg.Wait()

	out := &LoadResult{URL: cfg.URL, Clients: cfg.Clients, Client: clientName, Window: cfg.Duration,
		Statuses: map[int]int{}, Dials: int(dials.Load())}
	n := 0
	for _, r := range results {
		n += len(r.lat)
	}
	out.Latencies = make([]time.Duration, 0, n)
	var last time.Time
	for _, r := range results {
		out.Latencies = append(out.Latencies, r.lat...)
		out.Requests += r.requests
		out.Errors += r.errs
		out.WarmupRequests += r.warm
		out.WarmupErrors += r.warmErrs
		for s, c := range r.statuses {
			out.Statuses[s] += c
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
	out.OK = len(out.Latencies)
	out.Latency = bench.Summarize(out.Latencies)
	if !last.IsZero() {
		out.Elapsed = last.Sub(start)
	}
	return out, ctx.Err()
}

func runClient(ctx context.Context, s sender, cfg *LoadConfig, id int, measureFrom, end time.Time, res *clientResult) {
	for seq := 0; ctx.Err() == nil; seq++ {
		body := cfg.Body(id, seq)
		t0 := time.Now()
		if !t0.Before(end) {
			return
		}
		status, msg, err := s.send(body, cfg.Expect)
		done := time.Now()
		failed := err != nil || status != cfg.Expect
		if failed && ctx.Err() != nil {
			return // cancelled: not a failure of the server
		}
		res.lastDone = done
		res.statuses[status]++
		if failed && len(res.samples) < maxErrorSamples {
			s := fmt.Sprintf("POST %s (client %d, request %d): status %d", cfg.URL, id, seq, status)
			if msg != "" {
				s += ": " + msg
			}
			if err != nil {
				s += ": " + err.Error()
			}
			res.samples = append(res.samples, s)
		}
		if t0.Before(measureFrom) {
			res.warm++
			if failed {
				res.warmErrs++
			}
			continue
		}
		res.requests++
		if failed {
			res.errs++
			continue
		}
		res.lat = append(res.lat, done.Sub(t0))
	}
}

// stdSender sends through its own http.Transport holding one connection.
type stdSender struct {
	tr     *http.Transport
	base   *http.Request
	sample [256]byte
}

func newStdSender(base *http.Request, dial func(context.Context, string, string) (net.Conn, error), timeout time.Duration) *stdSender {
	return &stdSender{base: base, tr: &http.Transport{
		Proxy:                 nil,
		DialContext:           dial,
		MaxIdleConns:          1,
		MaxIdleConnsPerHost:   1,
		MaxConnsPerHost:       1,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: timeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}}
}

// reqBody is a request body that can be closed (the transport closes it).
type reqBody struct{ bytes.Reader }

func (*reqBody) Close() error { return nil }

func (s *stdSender) send(body []byte, expect int) (int, string, error) {
	// A shallow copy of the prepared request: no URL parsing and no
	// header map per request. The body reader is new each time, since the
	// transport may still hold the previous one.
	req := new(http.Request)
	*req = *s.base
	if len(body) > 0 {
		rb := new(reqBody)
		rb.Reset(body)
		req.Body, req.ContentLength = rb, int64(len(body))
	} else {
		req.Body = http.NoBody
	}
	resp, err := s.tr.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	msg := ""
	if resp.StatusCode != expect {
		k, _ := io.ReadFull(resp.Body, s.sample[:])
		msg = string(bytes.TrimSpace(s.sample[:k]))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, msg, err
}

func (s *stdSender) close() { s.tr.CloseIdleConnections() }

// validHeaderText reports whether s can go into a header line as is.
func validHeaderText(s string) bool { return !strings.ContainsAny(s, "\r\n") }

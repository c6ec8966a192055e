package ingestbench

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoadCountsEveryAnswer runs the generator against a server that
// answers 201, 409 or 500 by the request's sequence number and checks the
// generator's counts against the server's own.
func TestLoadCountsEveryAnswer(t *testing.T) {
	t.Parallel()
	for _, std := range []bool{false, true} {
		name := "with the built-in client"
		if std {
			name = "with net/http's client"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			loadCountsEveryAnswer(t, std)
		})
	}
}

func loadCountsEveryAnswer(t *testing.T, std bool) {
	var mu sync.Mutex
	seen := map[int]int{}
	codes := map[string]bool{}
	var badHeader atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s struct {
			Code string `json:"code"`
			Seq  int    `json:"seq"`
		}
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Test") != "yes" || r.Header.Get("Content-Type") != "application/json" || r.Method != http.MethodPost {
			badHeader.Add(1)
		}
		status := http.StatusBadRequest
		if json.Unmarshal(body, &s) == nil {
			switch s.Seq % 5 {
			case 3:
				status = http.StatusConflict
			case 4:
				status = http.StatusInternalServerError
			default:
				status = http.StatusCreated
			}
		}
		mu.Lock()
		seen[status]++
		if codes[s.Code] {
			status = http.StatusTeapot // a repeated code: the generator must not send one
		}
		codes[s.Code] = true
		mu.Unlock()
		if status == http.StatusInternalServerError {
			w.Header().Set("Connection", "close") // the client must dial again
		}
		w.WriteHeader(status)
		io.WriteString(w, "answer body")
	}))
	defer srv.Close()

	g := NewBodies(5)
	body := func(client, seq int) []byte {
		b, _ := json.Marshal(map[string]any{"code": g.Code(client, seq), "seq": seq})
		return b
	}
	const clients = 4
	// No warm-up: every client's first request falls in the measured
	// window, however slowly the machine runs.
	res, err := Load(context.Background(), LoadConfig{URL: srv.URL, Clients: clients,
		Duration: 200 * time.Millisecond, Body: body, Header: http.Header{"x-test": {"yes"}}, StdClient: std})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if badHeader.Load() != 0 {
		t.Errorf("%d requests lacked the configured header, Content-Type or method", badHeader.Load())
	}
	if res.Statuses[http.StatusTeapot] != 0 {
		t.Errorf("%d requests repeated a code", res.Statuses[http.StatusTeapot])
	}
	answered := 0
	for status, n := range res.Statuses {
		if n != seen[status] {
			t.Errorf("status %d: the generator counted %d, the server sent %d", status, n, seen[status])
		}
		answered += n
	}
	if answered != res.Requests+res.WarmupRequests {
		t.Errorf("statuses count %d answers; %d measured + %d warm-up requests were made", answered, res.Requests, res.WarmupRequests)
	}
	if res.Requests < clients || res.WarmupRequests != 0 {
		t.Fatalf("measured %d and warmed up with %d requests; want at least one per client, and no warm-up", res.Requests, res.WarmupRequests)
	}
	if res.OK+res.Errors != res.Requests || res.OK != len(res.Latencies) || res.Latency.Count != res.OK {
		t.Errorf("OK %d + errors %d != requests %d, or %d latencies, summary of %d", res.OK, res.Errors, res.Requests,
			len(res.Latencies), res.Latency.Count)
	}
	if failed := seen[http.StatusConflict] + seen[http.StatusInternalServerError]; res.TotalErrors() != failed {
		t.Errorf("%d errors counted, the server refused %d", res.TotalErrors(), failed)
	}
	// Each client dials once, and again after each Connection: close
	// unless that answer was its last.
	if closes := seen[http.StatusInternalServerError]; res.Dials < max(clients, closes) || res.Dials > clients+closes {
		t.Errorf("%d connections opened for %d clients and %d answers with Connection: close", res.Dials, clients, closes)
	}
	if len(res.ErrorSamples) == 0 || len(res.ErrorSamples) > maxErrorSamples {
		t.Errorf("%d error samples, want 1 to %d", len(res.ErrorSamples), maxErrorSamples)
	}
	for _, s := range res.ErrorSamples {
		if !strings.Contains(s, "answer body") {
			t.Errorf("error sample %q does not quote the answer", s)
		}
	}
	for _, d := range res.Latencies {
		if d <= 0 {
			t.Fatalf("a latency of %v", d)
		}
	}
	if res.Throughput() != float64(res.OK)/0.2 {
		t.Errorf("throughput %v, want OK / window", res.Throughput())
	}
}

// TestLoadCountsTheWarmUpApart ends a run during its (hour-long) warm-up,
// once the server has answered 20 requests: they all count as warm-up.
func TestLoadCountsTheWarmUpApart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var answered atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if answered.Load() >= 20 {
			cancel()
			<-release // hold the answer until the run has ended
			return
		}
		answered.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	res, err := Load(ctx, LoadConfig{URL: srv.URL, Clients: 1, Warmup: time.Hour, Duration: time.Second, Body: NewBodies(1).Body})
	close(release)
	if err != context.Canceled {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if res.WarmupRequests != 20 || res.WarmupErrors != 0 || res.Requests != 0 || res.OK != 0 || res.Statuses[http.StatusCreated] != 20 {
		t.Errorf("%d warm-up requests (%d failed), %d measured, %d OK, statuses %v; want 20 warm-up requests only",
			res.WarmupRequests, res.WarmupErrors, res.Requests, res.OK, res.Statuses)
	}
}

func TestLoadHonoursExpect(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	res, err := Load(context.Background(), LoadConfig{URL: srv.URL, Clients: 2, Duration: 50 * time.Millisecond,
		Body: NewBodies(1).Body, Expect: http.StatusOK})
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalErrors() != 0 || res.OK == 0 || res.Statuses[http.StatusOK] != res.OK+res.WarmupRequests {
		t.Errorf("against a 200 server with Expect 200: %+v", res)
	}
}

func TestLoadCountsTransportErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := srv.URL
	srv.Close() // nothing listens any more
	res, err := Load(context.Background(), LoadConfig{URL: url, Clients: 2, Duration: 20 * time.Millisecond, Body: NewBodies(1).Body})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Errors != res.Requests || res.Statuses[0] != res.Requests+res.WarmupRequests || res.OK != 0 {
		t.Errorf("against a closed port: %d requests, %d errors, statuses %v, %d OK", res.Requests, res.Errors, res.Statuses, res.OK)
	}
}

func TestLoadRejectsAnIncompleteConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []LoadConfig{
		{Clients: 1, Duration: time.Second, Body: NewBodies(1).Body},
		{URL: "http://127.0.0.1:1", Duration: time.Second, Body: NewBodies(1).Body},
		{URL: "http://127.0.0.1:1", Clients: 1, Body: NewBodies(1).Body},
		{URL: "http://127.0.0.1:1", Clients: 1, Duration: time.Second},
	} {
		if _, err := Load(context.Background(), cfg); err == nil {
			t.Errorf("Load(%+v) ran", cfg)
		}
	}
}

func TestLoadStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Load(ctx, LoadConfig{URL: srv.URL, Clients: 2, Duration: time.Hour, Body: NewBodies(1).Body})
	if err == nil || res == nil || res.TotalErrors() != 0 {
		t.Errorf("a cancelled run returned %+v, %v; want its partial result, no failures and the context's error", res, err)
	}
}

// TestBuiltInClientReadsEveryAnswerShape serves hand-written answers over
// raw TCP: chunked bodies, Content-Length, a body that runs to the end of
// the connection, an interim 100 Continue and an HTTP/1.0 answer.
func TestBuiltInClientReadsEveryAnswerShape(t *testing.T) {
	t.Parallel()
	answers := []struct {
		name, raw string
		status    int
		closes    bool
		sample    string
	}{
		{"content length", "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 201, false, ""},
		{"no body", "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 201, false, ""},
		{"chunked", "HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nalrea\r\n7\r\ndy here\r\n0\r\nTrailer: z\r\n\r\n", 409, false, "already here"},
		{"interim answer", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n", 201, false, ""},
		{"connection close", "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy", 503, true, "busy"},
		{"body to the end", "HTTP/1.1 500 Internal Server Error\r\n\r\nbroken", 500, true, "broken"},
		{"HTTP/1.0", "HTTP/1.0 201 Created\r\nContent-Length: 0\r\n\r\n", 201, true, ""},
	}
	for _, a := range answers {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			got := make(chan string, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				r := bufio.NewReader(c)
				req, err := http.ReadRequest(r)
				if err != nil {
					got <- err.Error()
					return
				}
				body, _ := io.ReadAll(req.Body)
				got <- req.Method + " " + req.URL.Path + " " + req.Header.Get("Content-Type") + " " + req.Header.Get("Authorization") + " " + string(body)
				io.WriteString(c, a.raw)
				if !a.closes {
					io.WriteString(c, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n") // the next answer on this connection
				}
			}()
			req, err := newRawRequest("http://"+ln.Addr().String()+"/api/x", http.Header{"Authorization": {"Bearer t"}, "Content-Type": {"application/json"}})
			if err != nil {
				t.Fatal(err)
			}
			s := &rawSender{ctx: context.Background(), req: req, timeout: 5 * time.Second,
				dial: func(ctx context.Context, n, addr string) (net.Conn, error) { return net.Dial(n, addr) }}
			defer s.close()
			status, msg, err := s.send([]byte(`{"a":1}`), 201)
			if err != nil || status != a.status || msg != a.sample {
				t.Errorf("send = %d, %q, %v; want %d, %q, no error", status, msg, err, a.status, a.sample)
			}
			if r := <-got; r != `POST /api/x application/json Bearer t {"a":1}` {
				t.Errorf("the server read %q", r)
			}
			if kept := s.conn != nil; kept == a.closes {
				t.Errorf("connection kept = %v after an answer that closes = %v", kept, a.closes)
			}
			if !a.closes {
				if status, _, err := s.send([]byte(`{}`), 202); status != 202 || err != nil {
					t.Errorf("the next answer on the kept connection: %d, %v", status, err)
				}
			}
		})
	}
}

func TestBuiltInClientRefusesUnsafeRequests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url    string
		header http.Header
	}{
		{"https://127.0.0.1:1/x", nil},
		{"127.0.0.1:1/x", nil},
		{"http://127.0.0.1:1/x", http.Header{"X-Bad": {"a\r\nInjected: 1"}}},
	} {
		if _, err := newRawRequest(tc.url, tc.header); err == nil {
			t.Errorf("newRawRequest(%q, %v) accepted it", tc.url, tc.header)
		}
	}
}

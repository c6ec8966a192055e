package ingestbench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// The built-in client: HTTP/1.1 over one kept-alive TCP connection per
// client, with the request line and headers formatted once, each request
// written with one write and each answer parsed in place (status line,
// Content-Length, chunked bodies, Connection: close). It is all a
// closed-loop POST load needs and costs far less CPU than net/http's
// Transport, whose two goroutines and channel hand-offs per connection
// would otherwise take a large share of the cores the server is measured
// on.

// rawRequest is what every request of a run shares.
type rawRequest struct {
	addr string // host:port to dial
	head []byte // request line and headers up to "Content-Length: "
}

func newRawRequest(rawURL string, header http.Header) (*rawRequest, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("ingestbench: %w", err)
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("ingestbench: the built-in client needs an http://host[:port]/path URL, not %q (use StdClient for https)", rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	for k, vs := range header {
		if k == "Content-Length" || k == "Host" || k == "Transfer-Encoding" || k == "Connection" {
			continue
		}
		for _, v := range vs {
			if !validHeaderText(k) || !validHeaderText(v) || k == "" {
				return nil, fmt.Errorf("ingestbench: header %q: line breaks are not allowed", k)
			}
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("Content-Length: ")
	return &rawRequest{addr: addr, head: b.Bytes()}, nil
}

// rawSender is one client's connection.
type rawSender struct {
	ctx     context.Context
	req     *rawRequest
	dial    func(context.Context, string, string) (net.Conn, error)
	timeout time.Duration

	mu     sync.Mutex // guards conn against close from another goroutine
	conn   net.Conn
	closed bool

	br     *bufio.Reader
	buf    []byte
	sample []byte
}

var errMalformed = errors.New("ingestbench: malformed HTTP answer")

func (s *rawSender) send(body []byte, expect int) (status int, msg string, err error) {
	conn, err := s.connect()
	if err != nil {
		return 0, "", err
	}
	conn.SetDeadline(time.Now().Add(s.timeout))
	s.buf = append(s.buf[:0], s.req.head...)
	s.buf = strconv.AppendInt(s.buf, int64(len(body)), 10)
	s.buf = append(s.buf, "\r\n\r\n"...)
	s.buf = append(s.buf, body...)
	if _, err := conn.Write(s.buf); err != nil {
		s.drop()
		return 0, "", err
	}
	status, keep, err := s.readAnswer(expect)
	if err != nil || !keep {
		s.drop()
	}
	if status != expect && len(s.sample) > 0 {
		msg = string(bytes.TrimSpace(s.sample))
	}
	return status, msg, err
}

// connect returns the open connection or dials a new one.
func (s *rawSender) connect() (net.Conn, error) {
	s.mu.Lock()
	conn, closed := s.conn, s.closed
	s.mu.Unlock()
	if closed {
		return nil, net.ErrClosed
	}
	if conn != nil {
		return conn, nil
	}
	conn, err := s.dial(s.ctx, "tcp", s.req.addr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		conn.Close()
		return nil, net.ErrClosed
	}
	s.conn = conn
	if s.br == nil {
		s.br = bufio.NewReaderSize(conn, 4096)
	} else {
		s.br.Reset(conn)
	}
	return conn, nil
}

// drop closes the connection so the next request dials again.
func (s *rawSender) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// close ends the client for good; safe to call from another goroutine.
func (s *rawSender) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// readAnswer reads one answer, keeping the start of its body in s.sample
// when the status is not expect. keep is false when the connection cannot
// carry another request.
func (s *rawSender) readAnswer(expect int) (status int, keep bool, err error) {
	s.sample = s.sample[:0]
	for {
		status, keep, length, chunked, err := s.readHead()
		if err != nil {
			return status, false, err
		}
		if status >= 100 && status < 200 {
			continue // an interim answer (100 Continue): the real one follows
		}
		capture := status != expect
		switch {
		case status == http.StatusNoContent || status == http.StatusNotModified:
		case chunked:
			err = s.readChunked(capture)
		case length >= 0:
			err = s.discard(length, capture)
		default:
			// No length: the body runs to the end of the connection.
			err = s.discard(-1, capture)
			keep = false
		}
		return status, keep && err == nil, err
	}
}

// readHead reads the status line and headers.
func (s *rawSender) readHead() (status int, keep bool, length int64, chunked bool, err error) {
	line, err := s.br.ReadSlice('\n')
	if err != nil {
		return 0, false, 0, false, err
	}
	// "HTTP/1.1 201 Created\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, 0, false, errMalformed
	}
	status, err = atoi(line[9:12])
	if err != nil {
		return 0, false, 0, false, errMalformed
	}
	keep, length = line[7] == '1', -1 // HTTP/1.0 closes by default
	for {
		line, err := s.br.ReadSlice('\n')
		if err != nil {
			return status, false, 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return status, keep, length, chunked, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return status, false, 0, false, errMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 {
				return status, false, 0, false, errMalformed
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			} else if bytes.EqualFold(value, []byte("keep-alive")) {
				keep = true
			}
		}
	}
}

// discard reads n body bytes (n < 0: to EOF), keeping up to 256 of them
// in s.sample when capture is set.
func (s *rawSender) discard(n int64, capture bool) error {
	if capture && n != 0 {
		want := 256
		if n >= 0 && n < int64(want) {
			want = int(n)
		}
		s.sample = growTo(s.sample, want)
		k, err := io.ReadFull(s.br, s.sample)
		s.sample = s.sample[:k]
		if n < 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
		n -= int64(k)
	}
	if n < 0 {
		_, err := io.Copy(io.Discard, s.br)
		return err
	}
	for n > 0 {
		k, err := s.br.Discard(int(min(n, 1<<30)))
		n -= int64(k)
		if err != nil {
			return err
		}
	}
	return nil
}

// readChunked reads a chunked body and its trailer.
func (s *rawSender) readChunked(capture bool) error {
	for {
		line, err := s.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 {
			return errMalformed
		}
		if n == 0 {
			for { // trailer, up to the empty line
				line, err := s.br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return nil
				}
			}
		}
		keep := capture && len(s.sample) < 256
		if keep {
			k := min(int(n), 256-len(s.sample))
			old := len(s.sample)
			s.sample = growTo(s.sample, old+k)
			if _, err := io.ReadFull(s.br, s.sample[old:]); err != nil {
				return err
			}
			n -= int64(k)
		}
		if err := s.discardN(n); err != nil {
			return err
		}
		if err := s.discardN(2); err != nil { // the chunk's CRLF
			return err
		}
	}
}

func (s *rawSender) discardN(n int64) error {
	for n > 0 {
		k, err := s.br.Discard(int(min(n, 1<<30)))
		n -= int64(k)
		if err != nil {
			return err
		}
	}
	return nil
}

// growTo returns b with length n, reusing its array when it is big enough.
func growTo(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	return append(b[:cap(b)], make([]byte, n-cap(b))...)[:n]
}

// atoi parses three ASCII digits.
func atoi(b []byte) (int, error) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errMalformed
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

package crashtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The server under test: the demo city at its smallest scale (one school,
// 219 pupils in six classes, is what the psychology teacher sees).
const (
	demoScale     = "0.02"
	adminPassword = "Crash-Test-Chief-2026"
)

// buildBinary builds huhang from the module root once for the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from %s: %v", root, err)
	}
	bin := filepath.Join(t.TempDir(), "huhang")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// serverEnv is the caller's environment without HUHANG_* settings (a
// developer's HUHANG_DATABASE_URL must not point the test at PostgreSQL),
// plus the administrator's password so the first start does not print one.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HUHANG_") {
			env = append(env, kv)
		}
	}
	return append(env, "HUHANG_ADMIN_PASSWORD="+adminPassword)
}

// server is one data directory and the huhang process serving it, started
// and stopped (or killed) many times on the same address.
type server struct {
	t       *testing.T
	bin     string
	dir     string
	addr    string
	base    string
	logPath string

	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error // set before exited is closed
}

func newServer(t *testing.T, bin string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	tmp := t.TempDir()
	s := &server{t: t, bin: bin, dir: filepath.Join(tmp, "data"), addr: addr, base: "http://" + addr,
		logPath: filepath.Join(tmp, "server.log")}
	t.Cleanup(func() {
		if s.running() {
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

func (s *server) dbPath() string  { return filepath.Join(s.dir, "huhang.db") }
func (s *server) keyPath() string { return filepath.Join(s.dir, "huhang.key") }

func (s *server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// start runs the server and waits until /readyz answers 200, at most
// bound; it returns the time from exec to ready.
func (s *server) start(bound time.Duration) time.Duration {
	s.t.Helper()
	if s.running() {
		s.t.Fatal("server already running")
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	defer logf.Close() // the child keeps its own descriptor
	cmd := exec.Command(s.bin, "serve", "--demo", "--scale", demoScale, "--data", s.dir, "--addr", s.addr,
		"--insecure-cookies", "--log-level", "warn")
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	began := time.Now()
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start server: %v", err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited = cmd, exited
	go func() {
		s.waitErr = cmd.Wait()
		close(exited)
	}()
	hc := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-exited:
			s.t.Fatalf("server exited while starting (%v); log tail:\n%s", s.waitErr, s.logTail(20))
		default:
		}
		if resp, err := hc.Get(s.base + "/readyz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(began)
			}
		}
		if time.Since(began) > bound {
			s.t.Fatalf("server not ready within %v; log tail:\n%s", bound, s.logTail(20))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sigkill sends SIGKILL; the caller waits with awaitExit. It is safe from
// any goroutine.
func (s *server) sigkill() error {
	return s.cmd.Process.Signal(syscall.SIGKILL)
}

// awaitExit waits for the process to end.
func (s *server) awaitExit(bound time.Duration) error {
	select {
	case <-s.exited:
		return nil
	case <-time.After(bound):
		return fmt.Errorf("server still running %v after the signal", bound)
	}
}

// stop shuts the server down gracefully (SIGTERM) and requires exit status 0.
func (s *server) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	if err := s.awaitExit(20 * time.Second); err != nil {
		s.cmd.Process.Kill()
		s.t.Fatal(err)
	}
	if s.waitErr != nil {
		s.t.Fatalf("server did not shut down cleanly: %v; log tail:\n%s", s.waitErr, s.logTail(20))
	}
}

// auditVerify runs "huhang audit verify" on the data directory.
func (s *server) auditVerify() (string, error) {
	cmd := exec.Command(s.bin, "audit", "verify", "--data", s.dir)
	cmd.Env = serverEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		err = fmt.Errorf("exit status %d", ee.ExitCode())
	}
	return strings.TrimSpace(out.String()), err
}

// logTail is the end of the server's output (JSON log lines: ids, never
// names) for failure messages.
func (s *server) logTail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ProcMem is a process's resident memory as Linux reports it in
// /proc/<pid>/status: VmRSS now and VmHWM, the peak RSS since the process
// started. Both are in bytes.
type ProcMem struct {
	RSS int64
	HWM int64
}

// ReadProcMem reads VmRSS and VmHWM of process pid.
func ReadProcMem(pid int) (ProcMem, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcMem{}, fmt.Errorf("bench: read memory of process %d: %w", pid, err)
	}
	defer f.Close()
	m, err := parseProcStatus(f)
	if err != nil {
		return m, fmt.Errorf("bench: read memory of process %d: %w", pid, err)
	}
	return m, nil
}

// parseProcStatus extracts VmRSS and VmHWM ("VmRSS:   123456 kB") from
// the text of /proc/<pid>/status.
func parseProcStatus(r io.Reader) (ProcMem, error) {
	var m ProcMem
	var seenRSS, seenHWM bool
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return m, fmt.Errorf("unexpected %s line %q", name, sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("unexpected %s line %q", name, sc.Text())
		}
		if name == "VmRSS" {
			m.RSS, seenRSS = kb*1024, true
		} else {
			m.HWM, seenHWM = kb*1024, true
		}
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if !seenRSS || !seenHWM {
		return m, errors.New("no VmRSS/VmHWM lines (kernel threads have none)")
	}
	return m, nil
}

// ListenerPID finds the process listening on TCP port (IPv4 or IPv6) by
// matching the socket's inode in /proc/net/tcp{,6} against the open file
// descriptors under /proc/*/fd. It sees only processes whose descriptors
// this user may read, which covers a server the same user started.
func ListenerPID(port int) (int, error) {
	inodes := map[string]bool{}
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		found, err := parseListenInodes(f, port)
		f.Close()
		if err != nil {
			return 0, fmt.Errorf("bench: read %s: %w", name, err)
		}
		for _, ino := range found {
			inodes[ino] = true
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("bench: no socket is listening on port %d", port)
	}
	dirs, err := filepath.Glob("/proc/[0-9]*/fd")
	if err != nil {
		return 0, err
	}
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		if err != nil {
			continue
		}
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue // another user's process, or it just exited
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("bench: a socket listens on port %d but its process is not readable by this user; pass --pid", port)
}

// parseListenInodes returns the inodes of sockets in state LISTEN (0A) on
// the given local port, from the text of /proc/net/tcp or /proc/net/tcp6.
func parseListenInodes(r io.Reader, port int) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first { // header line
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
		if len(f) < 10 {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		p, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil {
			return nil, fmt.Errorf("bad local address %q", f[1])
		}
		if int(p) == port && f[3] == "0A" {
			out = append(out, f[9])
		}
	}
	return out, sc.Err()
}

// RSSSampler polls a process's VmRSS in the background and remembers the
// largest value seen, so a run can report the peak under load separately
// from VmHWM (which also counts whatever the process did before the load,
// such as generating the demo city).
type RSSSampler struct {
	pid    int
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	peak   int64
	n      int
	err    error
}

// StartRSSSampler samples pid every interval until Stop.
func StartRSSSampler(pid int, interval time.Duration) *RSSSampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &RSSSampler{pid: pid, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-ctx.Done():
				s.sample()
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *RSSSampler) sample() {
	m, err := ReadProcMem(s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.err = err
		return
	}
	s.n++
	s.peak = max(s.peak, m.RSS)
}

// Stop ends sampling and returns the peak VmRSS seen and the number of
// samples taken; err is the last read error, if any.
func (s *RSSSampler) Stop() (peak int64, samples int, err error) {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, s.n, s.err
}

// Machine describes the computer a run took place on.
type Machine struct {
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model"`
	MemTotalMB int64  `json:"mem_total_mb"`
	Kernel     string `json:"kernel"`
	GoVersion  string `json:"go_version"`
	OSArch     string `json:"os_arch"`
}

// DescribeMachine reads what /proc says about this machine; fields it
// cannot read stay empty.
func DescribeMachine() Machine {
	m := Machine{NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		OSArch: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && k == "MemTotal" {
				if f := strings.Fields(v); len(f) == 2 {
					kb, _ := strconv.ParseInt(f[0], 10, 64)
					m.MemTotalMB = kb * 1024 / 1e6
				}
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// It is 100 on every Linux architecture Go supports (reading it properly
// needs sysconf, which needs cgo).
const clockTicks = 100

// ReadProcCPU returns the CPU time (user + system, all threads) process
// pid has used so far.
func ReadProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("bench: read CPU time of process %d: %w", pid, err)
	}
	d, err := parseProcStat(string(b))
	if err != nil {
		return 0, fmt.Errorf("bench: read CPU time of process %d: %w", pid, err)
	}
	return d, nil
}

// parseProcStat reads utime and stime (fields 14 and 15) from the text of
// /proc/<pid>/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseProcStat(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("no command name")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("too few fields")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("utime or stime is not a number")
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// MachineCPU is the machine-wide CPU time from the first line of
// /proc/stat, summed over all CPUs.
type MachineCPU struct {
	Busy  time.Duration // user, nice, system, irq, softirq
	Idle  time.Duration // idle and iowait
	Steal time.Duration // taken by the hypervisor for other guests
}

// ReadMachineCPU reads /proc/stat.
func ReadMachineCPU() (MachineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return MachineCPU{}, fmt.Errorf("bench: read /proc/stat: %w", err)
	}
	return parseMachineCPU(string(b))
}

func parseMachineCPU(s string) (MachineCPU, error) {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return MachineCPU{}, errors.New("bench: /proc/stat does not start with the cpu line")
	}
	var v [8]int64 // user nice system idle iowait irq softirq steal
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return MachineCPU{}, fmt.Errorf("bench: /proc/stat field %d: %w", i+1, err)
		}
		v[i] = n
	}
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }
	return MachineCPU{Busy: tick(v[0] + v[1] + v[2] + v[5] + v[6]), Idle: tick(v[3] + v[4]), Steal: tick(v[7])}, nil
}

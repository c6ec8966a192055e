package ingestbench

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuSplit is the machine's CPU time so far, split by who used it, so a
// run can tell its own work from the kernel's (I/O threads, interrupts,
// loopback networking) and from other programs competing for the cores.
type cpuSplit struct {
	busy     time.Duration // user, nice, system, irq, softirq over all CPUs
	self     time.Duration // this process, all threads
	kernel   time.Duration // kernel threads, irq and softirq
	postgres time.Duration // processes named postgres
}

// others is what remains: other user-space processes (an external
// target, anything else running).
func (c cpuSplit) others() time.Duration { return max(c.busy-c.self-c.kernel-c.postgres, 0) }

func (c cpuSplit) sub(o cpuSplit) cpuSplit {
	return cpuSplit{busy: c.busy - o.busy, self: c.self - o.self, kernel: c.kernel - o.kernel, postgres: c.postgres - o.postgres}
}

// clockTicks is USER_HZ, the unit of /proc's CPU times (100 on every
// Linux architecture Go supports).
const clockTicks = 100

// pfKthread marks a kernel thread in the flags of /proc/<pid>/stat.
const pfKthread = 0x00200000

func ticks(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }

// readCPUSplit reads /proc/stat, this process's stat and every kernel
// thread's.
func readCPUSplit() (cpuSplit, error) {
	var c cpuSplit
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c, fmt.Errorf("ingestbench: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return c, errors.New("ingestbench: /proc/stat does not start with the cpu line")
	}
	var v [7]int64 // user nice system idle iowait irq softirq
	for i := range v {
		if v[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
			return c, fmt.Errorf("ingestbench: /proc/stat: %w", err)
		}
	}
	c.busy = ticks(v[0] + v[1] + v[2] + v[5] + v[6])
	c.kernel = ticks(v[5] + v[6])
	self := strconv.Itoa(os.Getpid())
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return c, fmt.Errorf("ingestbench: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		comm, flags, cpu, ok := parseStat(string(b))
		switch {
		case !ok:
		case name == self:
			c.self = cpu
		case flags&pfKthread != 0:
			c.kernel += cpu
		case comm == "postgres":
			c.postgres += cpu
		}
	}
	return c, nil
}

// parseStat reads the command name (field 2), the flags (field 9) and
// utime + stime (fields 14, 15) of a /proc/<pid>/stat line. The command
// name may hold spaces and parentheses, so fields are counted from the
// last ')'.
func parseStat(s string) (comm string, flags uint64, cpu time.Duration, ok bool) {
	open, i := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || i < open {
		return "", 0, 0, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3
	if len(f) < 13 {
		return "", 0, 0, false
	}
	flags, err1 := strconv.ParseUint(f[6], 10, 64)
	utime, err2 := strconv.ParseInt(f[11], 10, 64)
	stime, err3 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return "", 0, 0, false
	}
	return s[open+1 : i], flags, ticks(utime + stime), true
}

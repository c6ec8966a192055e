package ingestbench

import (
	"testing"
	"time"
)

func TestParseStatReadsFlagsAndTimes(t *testing.T) {
	t.Parallel()
	// A kernel thread whose name holds a space and a parenthesis.
	line := "77 (kdamond (x) 0) I 2 0 0 0 -1 2129984 0 0 0 0 150 2224 0 0 20 0 1 0 75 0 0 18446744073709551615"
	comm, flags, cpu, ok := parseStat(line)
	if !ok || comm != "kdamond (x) 0" || flags != 2129984 || flags&pfKthread == 0 || cpu != 23740*time.Millisecond {
		t.Errorf("parseStat = %q, %d, %v, %v; want kdamond (x) 0, flags 2129984 (a kernel thread) and 23.74s", comm, flags, cpu, ok)
	}
	if _, _, _, ok := parseStat("garbage"); ok {
		t.Error("parseStat accepted a line without a command name")
	}
}

func TestReadCPUSplitAccountsThisProcess(t *testing.T) {
	t.Parallel()
	c, err := readCPUSplit()
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if c.busy <= 0 || c.self <= 0 || c.kernel < 0 || c.self+c.kernel > c.busy+time.Second {
		t.Errorf("split %+v: want busy ≥ self + kernel, both positive", c)
	}
}

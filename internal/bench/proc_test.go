package bench

import (
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseProcStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		want    ProcMem
		wantErr bool
	}{
		{"reads VmRSS and VmHWM in kB as bytes",
			"Name:\thuhang\nVmPeak:\t  900000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t9\n",
			ProcMem{RSS: 102400 * 1024, HWM: 204800 * 1024}, false},
		{"a process without memory lines (a kernel thread) is an error",
			"Name:\tkthreadd\nState:\tS (sleeping)\n", ProcMem{}, true},
		{"a line in another unit is an error rather than a wrong figure",
			"VmHWM:\t 1 MB\nVmRSS:\t 1 kB\n", ProcMem{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseProcStatus(strings.NewReader(tt.text))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseListenInodes(t *testing.T) {
	t.Parallel()
	const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0
`
	got, err := parseListenInodes(strings.NewReader(tcp), 8080)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "111" {
		t.Errorf("listening inodes on 8080 = %v, want [111] (the established connection 222 is not a listener)", got)
	}
	if got, _ := parseListenInodes(strings.NewReader(tcp), 9999); len(got) != 0 {
		t.Errorf("a port nobody listens on gave %v", got)
	}
}

func TestListenerPIDFindsThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, err := ListenerPID(ln.Addr().(*net.TCPAddr).Port)
	if err != nil {
		t.Fatal(err)
	}
	if pid != os.Getpid() {
		t.Errorf("ListenerPID = %d, want this process %d", pid, os.Getpid())
	}
	m, err := ReadProcMem(pid)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("ReadProcMem = %+v: want RSS > 0 and the high-water mark at least RSS", m)
	}
}

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	// A command name with a space and a parenthesis must not shift fields.
	const stat = "4242 (huhang (x) y) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 130 0 0 20 0 9 0 100 1000000 20000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
	got, err := parseProcStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3800 * time.Millisecond; got != want { // (250 + 130) ticks of 10 ms
		t.Errorf("parseProcStat = %v, want %v", got, want)
	}
	if _, err := parseProcStat("4242 (huhang) S 1"); err == nil {
		t.Error("a truncated stat line was accepted")
	}
}

func TestParseMachineCPU(t *testing.T) {
	t.Parallel()
	got, err := parseMachineCPU("cpu  100 5 50 1000 20 3 2 7 0 0\ncpu0 50 2 25 500 10 1 1 3 0 0\n")
	if err != nil {
		t.Fatal(err)
	}
	want := MachineCPU{Busy: 1600 * time.Millisecond, Idle: 10200 * time.Millisecond, Steal: 70 * time.Millisecond}
	if got != want {
		t.Errorf("parseMachineCPU = %+v, want %+v", got, want)
	}
	if _, err := parseMachineCPU("intr 1 2 3\n"); err == nil {
		t.Error("a /proc/stat without the cpu line was accepted")
	}
}

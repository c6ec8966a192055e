package privacy

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func skipPermChecksOnWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits are not meaningful on Windows")
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")

	master, created, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !created || len(master) != MasterKeySize {
		t.Fatalf("created=%v len=%d; want true, %d", created, len(master), MasterKeySize)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(master) + "\n"; string(data) != want {
		t.Errorf("file holds %q, want 64 hex characters and a newline", data)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("mode %04o, want 0600", perm)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file (no temp files left)", len(entries))
	}

	again, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(again, master) {
		t.Errorf("reload: created=%v err=%v equal=%v; want existing key", created, err, bytes.Equal(again, master))
	}
	loaded, err := LoadKeyFile(path)
	if err != nil || !bytes.Equal(loaded, master) {
		t.Errorf("LoadKeyFile: %v, equal=%v", err, bytes.Equal(loaded, master))
	}
	if _, err := NewKeyring(loaded, AES256GCM); err != nil {
		t.Errorf("loaded key not usable: %v", err)
	}
}

// TestLoadOrCreateKeyFileConcurrent starts many creators at once; they
// must all end up with the one key that is on disk, because a process
// that kept a key that lost the race would encrypt data nobody can read.
func TestLoadOrCreateKeyFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 16
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], _, errs[i] = LoadOrCreateKeyFile(path) })
	}
	wg.Wait()
	onDisk, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil || !bytes.Equal(keys[i], onDisk) {
			t.Errorf("creator %d: err=%v, key matches file: %v", i, errs[i], bytes.Equal(keys[i], onDisk))
		}
	}
}

func TestKeyFileRefusesLoosePermissions(t *testing.T) {
	skipPermChecksOnWindows(t)
	path := filepath.Join(t.TempDir(), "master.key")
	if _, _, err := LoadOrCreateKeyFile(path); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o602} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKeyFile(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: LoadKeyFile error = %v; want a refusal that says chmod 600", mode, err)
		}
		if _, _, err := LoadOrCreateKeyFile(path); err == nil {
			t.Errorf("mode %04o: LoadOrCreateKeyFile accepted the file", mode)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(path); err != nil {
		t.Errorf("owner-read-only file refused: %v", err)
	}
}

func TestKeyFileRefusesMalformed(t *testing.T) {
	good := strings.Repeat("ab", MasterKeySize)
	for name, body := range map[string]string{
		"empty":          "",
		"newline only":   "\n",
		"too short":      good[:62] + "\n",
		"too long":       good + "ab\n",
		"not hex":        good[:63] + "g\n",
		"leading space":  " " + good + "\n",
		"two lines":      good + "\n" + good + "\n",
		"all zero":       strings.Repeat("0", 64) + "\n",
		"base64 not hex": "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
		"huge":           strings.Repeat("a", 4096),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadKeyFile(path)
			if err == nil || !strings.Contains(err.Error(), "malformed") {
				t.Fatalf("LoadKeyFile error = %v; want malformed", err)
			}
			// The error is logged, so it must not quote key material.
			if len(body) >= 8 && strings.Contains(err.Error(), strings.TrimSpace(body)[:8]) {
				t.Errorf("error quotes the file contents: %v", err)
			}
			if _, _, err := LoadOrCreateKeyFile(path); err == nil {
				t.Error("LoadOrCreateKeyFile replaced or accepted a malformed file")
			}
			if after, _ := os.ReadFile(path); string(after) != body {
				t.Error("malformed file was modified")
			}
		})
	}
}

func TestKeyFileTolerantEndings(t *testing.T) {
	good := strings.Repeat("AB", MasterKeySize) // upper-case hex is fine too
	for name, body := range map[string]string{"no newline": good, "CRLF": good + "\r\n"} {
		path := filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		key, err := LoadKeyFile(path)
		if err != nil || !bytes.Equal(key, bytes.Repeat([]byte{0xab}, MasterKeySize)) {
			t.Errorf("%s: %x, %v", name, key, err)
		}
	}
}

func TestLoadKeyFileMissing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	_, err := LoadKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadKeyFile on missing file: %v; want fs.ErrNotExist", err)
	}
	if _, statErr := os.Stat(path); !errors.Is(statErr, fs.ErrNotExist) {
		t.Error("LoadKeyFile created the file")
	}
}

func TestKeyFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadKeyFile(dir); err == nil {
		t.Error("LoadKeyFile accepted a directory")
	}
	if _, _, err := LoadOrCreateKeyFile(filepath.Join(dir, "missing-dir", "master.key")); err == nil {
		t.Error("LoadOrCreateKeyFile succeeded in a directory that does not exist")
	}
}

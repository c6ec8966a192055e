package privacy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// maxKeyFileSize bounds how much is read from a key file, so pointing the
// setting at a large file fails fast instead of reading it all.
const maxKeyFileSize = 1024

// LoadOrCreateKeyFile returns the master key stored at path, creating the
// file with a new random key if it does not exist; created reports whether
// it did. Use it only for first-time setup: once the database holds
// encrypted data, a missing key file means the data is lost, and silently
// generating a fresh key would hide that, so production start-up should
// use [LoadKeyFile].
//
// The file holds 32 bytes from crypto/rand as 64 hex characters and a
// newline, with mode 0600. It is written to a temporary file in the same
// directory, synced, and then published under its final name only if that
// name is still free, and the directory is synced, so a crash never leaves
// a truncated key and two processes starting at once agree on one key. An
// existing file is checked exactly as [LoadKeyFile] does.
func LoadOrCreateKeyFile(path string) (master []byte, created bool, err error) {
	master, err = LoadKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return master, false, err
	}
	master, err = createKeyFile(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process created the file between our read and our
		// publish; its key is the one in use now.
		master, err = LoadKeyFile(path)
		return master, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return master, true, nil
}

// LoadKeyFile reads the master key stored at path and never creates it: a
// missing file is an error matching fs.ErrNotExist, so the service fails
// closed rather than running with a key that cannot read existing data. It
// refuses files that are malformed or that the group or other users can
// access (mode & 0077 != 0), with an error saying how to fix it. The error
// never includes the file's contents.
func LoadKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("privacy: key file %s does not exist; restore it from backup (data encrypted with it cannot be read without it): %w", path, err)
		}
		return nil, fmt.Errorf("privacy: open key file: %w", err)
	}
	defer f.Close()

	// Stat the open file rather than the path so the checks apply to the
	// file actually read, even if the path is swapped meanwhile.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("privacy: stat key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("privacy: key file %s is not a regular file", path)
	}
	// Windows reports synthetic permission bits (0666 or 0444) that say
	// nothing about who can read the file, so the check would always fail
	// there; access is governed by ACLs instead.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("privacy: key file %s has mode %04o, so other users can access the master key; restrict it with: chmod 600 %s", path, perm, path)
	}

	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("privacy: read key file: %w", err)
	}
	master, ok := parseKeyFile(data)
	if !ok {
		return nil, fmt.Errorf("privacy: key file %s is malformed: want %d hexadecimal characters (%d random bytes) followed by a newline; restore the original from backup, because a different key cannot decrypt existing data", path, 2*MasterKeySize, MasterKeySize)
	}
	return master, nil
}

// parseKeyFile decodes the file body. A missing final newline or a CRLF is
// tolerated because editors and copy-paste produce them; anything else is
// rejected. An all-zero key is rejected because it is what a placeholder or
// a zero-filled disk block looks like, never what crypto/rand produced.
// hex's own error is discarded on purpose: it quotes the offending byte,
// which is part of the key.
func parseKeyFile(data []byte) ([]byte, bool) {
	data = bytes.TrimSuffix(data, []byte("\n"))
	data = bytes.TrimSuffix(data, []byte("\r"))
	if len(data) != 2*MasterKeySize {
		return nil, false
	}
	master := make([]byte, MasterKeySize)
	if _, err := hex.Decode(master, data); err != nil {
		return nil, false
	}
	var zero [MasterKeySize]byte
	if bytes.Equal(master, zero[:]) {
		return nil, false
	}
	return master, true
}

// createKeyFile writes a new key file at path. It returns an error matching
// fs.ErrExist if path appeared in the meantime.
func createKeyFile(path string) (master []byte, err error) {
	master = make([]byte, MasterKeySize)
	if _, err := rand.Read(master); err != nil {
		return nil, fmt.Errorf("privacy: generate master key: %w", err)
	}
	body := make([]byte, 0, 2*MasterKeySize+1)
	body = hex.AppendEncode(body, master)
	body = append(body, '\n')

	dir := filepath.Dir(path)
	// CreateTemp opens with mode 0600, so the key is never readable by
	// others, not even briefly.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("privacy: create key file: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		// Harmless after a successful link-and-remove or rename, essential
		// after a failure so no stray copy of a key is left behind.
		os.Remove(tmpName)
	}()
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return nil, fmt.Errorf("privacy: chmod key file: %w", err)
	}
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("privacy: write key file: %w", err)
	}
	// Sync before publishing, so after a crash the name never points at
	// an empty or partial file.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("privacy: sync key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("privacy: close key file: %w", err)
	}

	if err := publishNoReplace(tmpName, path); err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("privacy: sync key directory: %w", err)
	}
	return master, nil
}

// publishNoReplace gives the finished temporary file its final name without
// ever replacing an existing key. A plain rename would silently overwrite a
// key another process created a moment earlier, and whatever that process
// had already encrypted would become unreadable. A hard link fails with
// EEXIST instead, atomically. On file systems without hard links it falls
// back to check-then-rename, which leaves only a tiny race at first start.
func publishNoReplace(tmpName, path string) error {
	err := os.Link(tmpName, path)
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("privacy: key file %s appeared while creating it: %w", path, fs.ErrExist)
	}
	if _, statErr := os.Lstat(path); statErr == nil {
		return fmt.Errorf("privacy: key file %s appeared while creating it: %w", path, fs.ErrExist)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("privacy: install key file: %w", err)
	}
	return nil
}

// syncDir makes the new directory entry durable; without it a crash soon
// after start-up could lose the key file even though data was already
// encrypted with the key.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for syncing there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

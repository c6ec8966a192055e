package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// recoveryAlphabet is lower-case letters and digits without 0/o, 1/l/i, so
// a code copied from paper cannot be misread. 31 symbols give about 4.95
// bits per character.
const recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// recoveryGroups and recoveryGroupLen give codes like "k7f3-9xq2-m4p8":
// 12 random characters, about 59 bits.
const (
	recoveryGroups   = 3
	recoveryGroupLen = 4
)

// NewRecoveryCodes returns n single-use recovery codes to show the user once,
// and their hashes to store. hashed[i] belongs to plain[i].
//
// The hashes are plain SHA-256 rather than argon2id: each code carries about
// 59 random bits, so brute-forcing a leaked hash is infeasible even with a
// fast hash, and checking up to ten codes per attempt stays cheap. A slow
// hash is only needed for low-entropy secrets chosen by people.
func NewRecoveryCodes(n int) (plain []string, hashed []string) {
	if n <= 0 {
		return nil, nil
	}
	plain = make([]string, n)
	hashed = make([]string, n)
	for i := range n {
		raw := randomString(recoveryAlphabet, recoveryGroups*recoveryGroupLen)
		groups := make([]string, recoveryGroups)
		for g := range groups {
			groups[g] = raw[g*recoveryGroupLen : (g+1)*recoveryGroupLen]
		}
		plain[i] = strings.Join(groups, "-")
		hashed[i] = hashRecoveryCode(raw)
	}
	return plain, hashed
}

// MatchRecoveryCode returns the index in hashed of the code's hash, or -1 if
// it matches none. Case, spaces and dashes are ignored, so "K7F3 9XQ2 M4P8"
// matches "k7f3-9xq2-m4p8". The caller must delete the matched hash so the
// code works only once.
func MatchRecoveryCode(code string, hashed []string) (index int) {
	normalized := normalizeRecoveryCode(code)
	if normalized == "" {
		return -1
	}
	sum := []byte(hashRecoveryCode(normalized))
	index = -1
	// Compare against every stored hash without stopping early, so timing
	// does not reveal the position of a match.
	for i, h := range hashed {
		if subtle.ConstantTimeCompare(sum, []byte(h)) == 1 && index < 0 {
			index = i
		}
	}
	return index
}

// normalizeRecoveryCode lower-cases the code and drops white space and dashes
// (ASCII and the full-width forms a Chinese input method may produce).
func normalizeRecoveryCode(code string) string {
	if len(code) > 256 { // far longer than any real code; don't hash junk
		return ""
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '-', '\u3000', '－', '‐', '–', '—':
			return -1
		}
		return r
	}, strings.ToLower(code))
}

// hashRecoveryCode returns the hex SHA-256 of a normalised code.
func hashRecoveryCode(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(sum[:])
}

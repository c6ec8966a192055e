package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	t.Run("tokens carry the hh_ prefix and 32 base64url bytes", func(t *testing.T) {
		plain, _ := NewToken()
		body, ok := strings.CutPrefix(plain, "hh_")
		if !ok {
			t.Fatalf("token %q lacks the hh_ prefix", plain)
		}
		raw, err := base64.RawURLEncoding.DecodeString(body)
		if err != nil || len(raw) != 32 {
			t.Errorf("body decodes to %d bytes, err %v; want 32 bytes", len(raw), err)
		}
		if strings.ContainsAny(body, "+/=") {
			t.Errorf("token %q is not unpadded base64url", plain)
		}
	})
	t.Run("the hash is the SHA-256 of the whole plain token", func(t *testing.T) {
		plain, hash := NewToken()
		sum := sha256.Sum256([]byte(plain))
		if !bytes.Equal(hash, sum[:]) || !bytes.Equal(HashToken(plain), hash) {
			t.Error("hash does not equal SHA-256(plain)")
		}
	})
	t.Run("tokens are unique", func(t *testing.T) {
		seen := map[string]bool{}
		for range 1000 {
			p, _ := NewToken()
			if seen[p] {
				t.Fatalf("token %q repeated", p)
			}
			seen[p] = true
		}
	})
	t.Run("different tokens hash differently", func(t *testing.T) {
		if bytes.Equal(HashToken("hh_a"), HashToken("hh_b")) {
			t.Error("hashes collide")
		}
	})
}

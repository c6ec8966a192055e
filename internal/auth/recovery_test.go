package auth

import (
	"regexp"
	"strings"
	"testing"
)

func TestNewRecoveryCodes(t *testing.T) {
	plain, hashed := NewRecoveryCodes(10)
	t.Run("ten codes and ten hashes are returned", func(t *testing.T) {
		if len(plain) != 10 || len(hashed) != 10 {
			t.Fatalf("got %d codes, %d hashes", len(plain), len(hashed))
		}
	})
	t.Run("codes look like k7f3-9xq2-m4p8 and are distinct", func(t *testing.T) {
		shape := regexp.MustCompile(`^[23456789abcdefghjkmnpqrstuvwxyz]{4}-[23456789abcdefghjkmnpqrstuvwxyz]{4}-[23456789abcdefghjkmnpqrstuvwxyz]{4}$`)
		seen := map[string]bool{}
		for _, c := range plain {
			if !shape.MatchString(c) {
				t.Errorf("code %q has the wrong shape", c)
			}
			if seen[c] {
				t.Errorf("code %q repeated", c)
			}
			seen[c] = true
		}
	})
	t.Run("hashes are hex SHA-256 and never the code itself", func(t *testing.T) {
		hex := regexp.MustCompile(`^[0-9a-f]{64}$`)
		for i, h := range hashed {
			if !hex.MatchString(h) || strings.Contains(h, strings.ReplaceAll(plain[i], "-", "")) {
				t.Errorf("hash %q is not a SHA-256 hex digest", h)
			}
		}
	})
	t.Run("zero or negative n gives no codes", func(t *testing.T) {
		for _, n := range []int{0, -3} {
			if p, h := NewRecoveryCodes(n); p != nil || h != nil {
				t.Errorf("NewRecoveryCodes(%d) = %v, %v", n, p, h)
			}
		}
	})
}

func TestMatchRecoveryCode(t *testing.T) {
	plain, hashed := NewRecoveryCodes(10)
	code := plain[3]
	fullWidthDash := strings.ReplaceAll(code, "-", "－")
	tests := []struct {
		name, input string
		want        int
	}{
		{"the code as issued matches its own index only", code, 3},
		{"upper case matches", strings.ToUpper(code), 3},
		{"spaces instead of dashes match", strings.ReplaceAll(code, "-", " "), 3},
		{"no separators at all match", strings.ReplaceAll(code, "-", ""), 3},
		{"surrounding white space matches", "  " + code + "\n", 3},
		{"full-width dashes match", fullWidthDash, 3},
		{"the last code matches index 9", plain[9], 9},
		{"a wrong code matches nothing", "aaaa-bbbb-cccc", -1},
		{"a truncated code matches nothing", code[:9], -1},
		{"an empty code matches nothing", "", -1},
		{"only dashes match nothing", "----", -1},
		{"the stored hash itself matches nothing", hashed[3], -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MatchRecoveryCode(tc.input, hashed); got != tc.want {
				t.Errorf("MatchRecoveryCode(%q) = %d; want %d", tc.input, got, tc.want)
			}
		})
	}
	t.Run("a used code no longer matches once its hash is removed", func(t *testing.T) {
		remaining := append(append([]string{}, hashed[:3]...), hashed[4:]...)
		if got := MatchRecoveryCode(code, remaining); got != -1 {
			t.Errorf("removed code matched index %d", got)
		}
	})
	t.Run("an empty hash list matches nothing", func(t *testing.T) {
		if got := MatchRecoveryCode(code, nil); got != -1 {
			t.Errorf("got %d", got)
		}
	})
}

package auth

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// testParams are cheap argon2id parameters so the suite runs quickly; only
// TestDefaultParams exercises the production cost.
var testParams = Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestHashPassword(t *testing.T) {
	t.Run("a hash verifies with the right password and not with a wrong one", func(t *testing.T) {
		h, err := HashPassword("correct horse battery", testParams)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := VerifyPassword("correct horse battery", h); err != nil || !ok {
			t.Fatalf("VerifyPassword(right) = %v, %v; want true, nil", ok, err)
		}
		for _, wrong := range []string{"correct horse batterY", "", "correct horse battery "} {
			if ok, err := VerifyPassword(wrong, h); err != nil || ok {
				t.Errorf("VerifyPassword(%q) = %v, %v; want false, nil", wrong, ok, err)
			}
		}
	})

	t.Run("the encoded hash is a PHC string carrying the parameters", func(t *testing.T) {
		h, err := HashPassword("pw", testParams)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Errorf("hash %q lacks the expected prefix", h)
		}
		if strings.Count(h, "=") != 4 { // v=, m=, t=, p= and no padding
			t.Errorf("hash %q has base64 padding", h)
		}
		p, salt, key, err := decodeHash(h)
		if err != nil {
			t.Fatal(err)
		}
		if p != testParams || len(salt) != 16 || len(key) != 32 {
			t.Errorf("decoded %+v, salt %d, key %d bytes; want %+v, 16, 32", p, len(salt), len(key), testParams)
		}
	})

	t.Run("hashing the same password twice uses different salts", func(t *testing.T) {
		a, _ := HashPassword("same", testParams)
		b, _ := HashPassword("same", testParams)
		if a == b {
			t.Error("two hashes of the same password are identical")
		}
	})

	t.Run("a non-ASCII password round-trips", func(t *testing.T) {
		h, _ := HashPassword("我的密码很长很长很长", testParams)
		if ok, err := VerifyPassword("我的密码很长很长很长", h); !ok || err != nil {
			t.Errorf("VerifyPassword = %v, %v", ok, err)
		}
	})

	invalid := []struct {
		name string
		p    Params
	}{
		{"zero threads are refused", Params{Memory: 64, Time: 1, Threads: 0, KeyLen: 32, SaltLen: 16}},
		{"zero time is refused", Params{Memory: 64, Time: 0, Threads: 1, KeyLen: 32, SaltLen: 16}},
		{"memory above 1 GiB is refused", Params{Memory: 1<<20 + 1, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}},
		{"memory below 8 KiB per lane is refused", Params{Memory: 31, Time: 1, Threads: 4, KeyLen: 32, SaltLen: 16}},
		{"a short key is refused", Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 8, SaltLen: 16}},
		{"a short salt is refused", Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 4}},
		{"the zero Params are refused", Params{}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := HashPassword("pw", tc.p); !errors.Is(err, ErrInvalidParams) {
				t.Errorf("HashPassword err = %v; want ErrInvalidParams", err)
			}
		})
	}
}

func TestDefaultParams(t *testing.T) {
	t.Run("the default parameters hash and verify", func(t *testing.T) {
		h, err := HashPassword("a reasonably long password", DefaultParams)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Errorf("hash %q lacks the OWASP-minimum prefix", h)
		}
		if ok, err := VerifyPassword("a reasonably long password", h); !ok || err != nil {
			t.Errorf("VerifyPassword = %v, %v", ok, err)
		}
	})
}

func TestDummyVerify(t *testing.T) {
	t.Run("the dummy hash uses DefaultParams so it costs the same as a real hash", func(t *testing.T) {
		p, _, _, err := decodeHash(dummyHash)
		if err != nil {
			t.Fatal(err)
		}
		if p != DefaultParams {
			t.Errorf("dummy hash params %+v differ from DefaultParams %+v; regenerate dummyHash", p, DefaultParams)
		}
	})
	t.Run("DummyVerify runs without panicking", func(t *testing.T) {
		DummyVerify("anything")
	})
}

// hostileHashes are stored hashes an attacker or a corruption might produce.
// None may panic, verify or trigger expensive work.
var hostileHashes = []struct {
	name, encoded string
}{
	{"an empty string", ""},
	{"a lone dollar", "$"},
	{"a bcrypt hash", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
	{"argon2i instead of argon2id", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"an old argon2 version", "$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"a missing version", "$argon2id$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"too many fields", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA$x"},
	{"text before the first dollar", "x$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"memory of 4 GiB", "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"memory just above 1 GiB", "$argon2id$v=19$m=1048577,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"memory overflowing uint32", "$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"a million passes", "$argon2id$v=19$m=64,t=1000000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"zero passes", "$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"zero threads", "$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"255 threads", "$argon2id$v=19$m=65536,t=1,p=255$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"threads overflowing uint8", "$argon2id$v=19$m=64,t=1,p=256$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"a negative memory", "$argon2id$v=19$m=-64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"a plus-signed memory", "$argon2id$v=19$m=+64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"a hexadecimal memory", "$argon2id$v=19$m=0x40,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"an empty memory", "$argon2id$v=19$m=,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"parameters out of order", "$argon2id$v=19$t=1,m=64,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"a missing parameter", "$argon2id$v=19$m=64,t=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"an extra parameter", "$argon2id$v=19$m=64,t=1,p=1,k=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"a salt that is not base64", "$argon2id$v=19$m=64,t=1,p=1$!!!!!!!!!!!!$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"a padded salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0YQ==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"an empty salt", "$argon2id$v=19$m=64,t=1,p=1$$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"an empty key", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$"},
	{"a one-byte key anyone could match", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$AA"},
	{"a key with non-zero trailing bits", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaB"},
	{"a huge salt", "$argon2id$v=19$m=64,t=1,p=1$" + strings.Repeat("QUFB", 200) + "$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"a NUL byte in the parameters", "$argon2id$v=19$m=64\x00,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"},
	{"invalid UTF-8", "$argon2id$v=19$m=64,t=1,p=1$\xff\xfe$\xff"},
	{"a very long string", strings.Repeat("$", 1<<20)},
}

func TestVerifyPasswordRejectsMalformedHashes(t *testing.T) {
	for _, tc := range hostileHashes {
		t.Run(tc.name+" returns an error without panicking", func(t *testing.T) {
			ok, err := VerifyPassword("password", tc.encoded)
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("VerifyPassword = %v, %v; want false, ErrMalformedHash", ok, err)
			}
			if err != nil && utf8.ValidString(tc.encoded) && len(tc.encoded) > 20 && strings.Contains(err.Error(), tc.encoded) {
				t.Error("the error message quotes the stored hash")
			}
		})
	}
	t.Run("a well-formed hash at the cheapest bounds still parses", func(t *testing.T) {
		if _, _, _, err := decodeHash("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"); err != nil {
			t.Errorf("decodeHash = %v", err)
		}
	})
}

// FuzzVerifyPassword feeds arbitrary strings to the encoded-hash parser. It
// must never panic, and anything it accepts must be within the bounds.
func FuzzVerifyPassword(f *testing.F) {
	valid, err := HashPassword("seed password", testParams)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(dummyHash)
	for _, tc := range hostileHashes[:len(hostileHashes)-1] {
		f.Add(tc.encoded)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, err := decodeHash(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("decodeHash error %v does not wrap ErrMalformedHash", err)
			}
			return
		}
		if verr := p.validate(); verr != nil {
			t.Fatalf("decodeHash accepted out-of-bounds params: %v", verr)
		}
		if int(p.SaltLen) != len(salt) || int(p.KeyLen) != len(key) {
			t.Fatalf("decodeHash lengths %d/%d disagree with params %+v", len(salt), len(key), p)
		}
		// Only run the real derivation when it is cheap, so the fuzzer
		// spends its time on the parser rather than on argon2.
		if p.Memory <= 1024 && p.Time <= 2 {
			if _, err := VerifyPassword("x", encoded); err != nil {
				t.Fatalf("VerifyPassword failed on a hash decodeHash accepted: %v", err)
			}
		}
	})
}

func TestGeneratePassword(t *testing.T) {
	t.Run("generated passwords are 20 unambiguous characters that pass the policy", func(t *testing.T) {
		seen := map[string]bool{}
		for range 200 {
			pw := GeneratePassword()
			if len(pw) != 20 {
				t.Fatalf("length %d; want 20", len(pw))
			}
			if strings.ContainsAny(pw, "0O1lIo") {
				t.Errorf("%q contains an ambiguous character", pw)
			}
			for _, r := range pw {
				if !strings.ContainsRune(passwordAlphabet, r) {
					t.Errorf("%q contains %q outside the alphabet", pw, r)
				}
			}
			if err := CheckPasswordPolicy(pw, "admin"); err != nil {
				t.Errorf("generated password fails the policy: %v", err)
			}
			if seen[pw] {
				t.Errorf("password %q generated twice", pw)
			}
			seen[pw] = true
		}
	})
	t.Run("every alphabet character is eventually used", func(t *testing.T) {
		used := map[rune]bool{}
		for range 500 {
			for _, r := range GeneratePassword() {
				used[r] = true
			}
		}
		if len(used) != len(passwordAlphabet) {
			t.Errorf("used %d distinct characters; want %d", len(used), len(passwordAlphabet))
		}
	})
}

package auth

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// rfcSecret is the SHA1 secret of RFC 6238 Appendix B.
var rfcSecret = []byte("12345678901234567890")

func TestTOTPCodeMatchesRFC6238(t *testing.T) {
	vectors := []struct {
		unix  int64
		eight string // RFC 6238 Appendix B, SHA1 column
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, v := range vectors {
		now := time.Unix(v.unix, 0).UTC()
		t.Run("the code at "+now.Format(time.RFC3339)+" matches the RFC", func(t *testing.T) {
			step := StepAt(now)
			if got := hotp(rfcSecret, uint64(step), 8); got != v.eight {
				t.Errorf("8-digit code = %s; want %s", got, v.eight)
			}
			if got, want := TOTPCode(rfcSecret, step), v.eight[2:]; got != want {
				t.Errorf("TOTPCode = %s; want %s", got, want)
			}
			if _, ok := VerifyTOTP(rfcSecret, v.eight[2:], now, 0); !ok {
				t.Error("VerifyTOTP refused the RFC code")
			}
		})
	}
}

func TestStepAt(t *testing.T) {
	tests := []struct {
		name string
		unix int64
		want int64
	}{
		{"the epoch is step zero", 0, 0},
		{"29 seconds is still step zero", 29, 0},
		{"30 seconds starts step one", 30, 1},
		{"the RFC time 59 is step one", 59, 1},
		{"one second before the epoch is step minus one", -1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := StepAt(time.Unix(tc.unix, 0)); got != tc.want {
				t.Errorf("StepAt(%d) = %d; want %d", tc.unix, got, tc.want)
			}
		})
	}
}

func TestVerifyTOTP(t *testing.T) {
	secret := NewTOTPSecret()
	now := time.Date(2025, 9, 1, 8, 0, 15, 0, time.UTC)
	cur := StepAt(now)

	window := []struct {
		name   string
		offset int64
		ok     bool
	}{
		{"the current step's code is accepted", 0, true},
		{"the previous step's code is accepted", -1, true},
		{"the next step's code is accepted", +1, true},
		{"a code two steps old is refused", -2, false},
		{"a code two steps ahead is refused", +2, false},
		{"a code from an hour ago is refused", -120, false},
	}
	for _, tc := range window {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := VerifyTOTP(secret, TOTPCode(secret, cur+tc.offset), now, 0)
			if ok != tc.ok {
				t.Fatalf("ok = %v; want %v", ok, tc.ok)
			}
			if ok && step != cur+tc.offset {
				t.Errorf("step = %d; want %d", step, cur+tc.offset)
			}
		})
	}

	t.Run("reusing a code in the same step is refused", func(t *testing.T) {
		code := TOTPCode(secret, cur)
		step, ok := VerifyTOTP(secret, code, now, 0)
		if !ok {
			t.Fatal("first use refused")
		}
		if _, ok := VerifyTOTP(secret, code, now.Add(5*time.Second), step); ok {
			t.Error("replayed code accepted")
		}
	})
	t.Run("an older code is refused after a newer one was used", func(t *testing.T) {
		step, ok := VerifyTOTP(secret, TOTPCode(secret, cur+1), now, 0)
		if !ok {
			t.Fatal("next-step code refused")
		}
		if _, ok := VerifyTOTP(secret, TOTPCode(secret, cur), now, step); ok {
			t.Error("older code accepted after a newer one")
		}
	})
	t.Run("the next step's code is accepted after the current one was used", func(t *testing.T) {
		if _, ok := VerifyTOTP(secret, TOTPCode(secret, cur+1), now, cur); !ok {
			t.Error("newer code refused")
		}
	})
	t.Run("a wrong code is refused", func(t *testing.T) {
		code := []byte(TOTPCode(secret, cur))
		code[5] = '0' + (code[5]-'0'+1)%10
		if _, ok := VerifyTOTP(secret, string(code), now, 0); ok {
			t.Error("wrong code accepted")
		}
	})
	t.Run("a code for another secret is refused", func(t *testing.T) {
		if _, ok := VerifyTOTP(NewTOTPSecret(), TOTPCode(secret, cur), now, 0); ok {
			t.Error("code for another secret accepted (or a one-in-a-million collision)")
		}
	})
	t.Run("a too-short secret is refused even with its own code", func(t *testing.T) {
		short := []byte("short")
		if _, ok := VerifyTOTP(short, TOTPCode(short, cur), now, 0); ok {
			t.Error("code accepted for a 5-byte secret")
		}
		if _, ok := VerifyTOTP(nil, TOTPCode(nil, cur), now, 0); ok {
			t.Error("code accepted for an empty secret")
		}
	})

	code := TOTPCode(secret, cur)
	fullWidth := strings.Map(func(r rune) rune { return r - '0' + '０' }, code)
	inputs := []struct {
		name, input string
		ok          bool
	}{
		{"surrounding spaces are trimmed", "  " + code + "\t", true},
		{"a space in the middle as apps display it is ignored", code[:3] + " " + code[3:], true},
		{"full-width digits are normalised", fullWidth, true},
		{"full-width digits with an ideographic space are normalised", fullWidth[:9] + "\u3000" + fullWidth[9:], true},
		{"five digits are refused", code[:5], false},
		{"seven digits are refused", code + "0", false},
		{"an empty code is refused", "", false},
		{"letters are refused", "abcdef", false},
		{"a signed number is refused", "+" + code[1:], false},
		{"Arabic-Indic digits are refused", "٠١٢٣٤٥", false},
		{"a code with a dash is refused", code[:3] + "-" + code[3:], false},
		{"a very long input is refused", strings.Repeat(" ", 1000) + code, false},
	}
	for _, tc := range inputs {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := VerifyTOTP(secret, tc.input, now, 0); ok != tc.ok {
				t.Errorf("VerifyTOTP(%q) ok = %v; want %v", tc.input, ok, tc.ok)
			}
		})
	}
}

func TestTOTPSecretAndURI(t *testing.T) {
	t.Run("new secrets are 20 random bytes", func(t *testing.T) {
		a, b := NewTOTPSecret(), NewTOTPSecret()
		if len(a) != 20 || len(b) != 20 {
			t.Fatalf("lengths %d, %d; want 20", len(a), len(b))
		}
		if string(a) == string(b) {
			t.Error("two secrets are equal")
		}
	})
	t.Run("secrets encode to unpadded base32", func(t *testing.T) {
		if got, want := EncodeSecret(rfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; got != want {
			t.Errorf("EncodeSecret = %s; want %s", got, want)
		}
		if got := EncodeSecret([]byte("abc")); strings.Contains(got, "=") {
			t.Errorf("EncodeSecret(abc) = %s has padding", got)
		}
	})
	t.Run("the URI has the issuer label and the standard parameters", func(t *testing.T) {
		got := TOTPURI("Huhang", "zhangsan", rfcSecret)
		want := "otpauth://totp/Huhang:zhangsan?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Huhang&algorithm=SHA1&digits=6&period=30"
		if got != want {
			t.Errorf("TOTPURI =\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("special and Chinese characters are percent-encoded and round-trip", func(t *testing.T) {
		issuer, account := "湖杭 心理平台", "li:ming@school.cn&x=1"
		raw := TOTPURI(issuer, account, rfcSecret)
		if strings.ContainsAny(raw, " +") {
			t.Errorf("URI %q contains a space or plus", raw)
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if u.Scheme != "otpauth" || u.Host != "totp" {
			t.Errorf("scheme/host = %s/%s", u.Scheme, u.Host)
		}
		label := strings.TrimPrefix(u.EscapedPath(), "/")
		iss, acc, ok := strings.Cut(label, ":")
		if !ok {
			t.Fatalf("label %q has no unescaped colon", label)
		}
		if got, _ := url.PathUnescape(iss); got != issuer {
			t.Errorf("label issuer = %q; want %q", got, issuer)
		}
		if got, _ := url.PathUnescape(acc); got != account {
			t.Errorf("label account = %q; want %q", got, account)
		}
		q := u.Query()
		if q.Get("issuer") != issuer || q.Get("secret") != EncodeSecret(rfcSecret) ||
			q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
			t.Errorf("query = %v", q)
		}
	})
	t.Run("an empty issuer is left out", func(t *testing.T) {
		got := TOTPURI("", "zhangsan", rfcSecret)
		if strings.Contains(got, "issuer") || !strings.HasPrefix(got, "otpauth://totp/zhangsan?") {
			t.Errorf("TOTPURI = %s", got)
		}
	})
}

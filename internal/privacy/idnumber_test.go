package privacy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Test ID numbers are assembled from synthetic parts at run time. The area
// code 999999 is not assigned to any place, so none of them can be a real
// person's number.
const fakeArea = "999999"

// makeID appends the correct check character to area+date+seq.
func makeID(t testing.TB, area, date, seq string) string {
	t.Helper()
	first17 := area + date + seq
	c, err := IDCheckChar(first17)
	if err != nil {
		t.Fatalf("IDCheckChar(%q): %v", first17, err)
	}
	return first17 + string(c)
}

// findIDWithCheck searches sequence numbers until the check character is
// want, so tests can cover the X case without a hard-coded number.
func findIDWithCheck(t testing.TB, date string, want byte) string {
	t.Helper()
	for seq := range 1000 {
		id := makeID(t, fakeArea, date, fmt.Sprintf("%03d", seq))
		if id[17] == want {
			return id
		}
	}
	t.Fatalf("no sequence number gives check character %c", want)
	return ""
}

// withWrongCheck returns id with its last character replaced by a wrong one.
func withWrongCheck(id string) string {
	wrong := byte('0')
	if id[17] == '0' {
		wrong = '1'
	}
	return id[:17] + string(wrong)
}

func TestNormalizeIDNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"99999920100101123X", "99999920100101123X"},
		{"  99999920100101123x\t\n", "99999920100101123X"},
		{"\u3000９９９９９９２０１００１０１１２３Ｘ\u3000", "99999920100101123X"},
		{"９９９９９９２０１００１０１１２３ｘ", "99999920100101123X"},
		{"abc", "abc"},             // only x is upper-cased
		{"ａｂｃ", "abc"},             // full-width letters become ASCII
		{"1234 5678", "1234 5678"}, // interior space is kept, so validation rejects it
	}
	for _, tt := range tests {
		if got := NormalizeIDNumber(tt.in); got != tt.want {
			t.Errorf("NormalizeIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateIDNumber(t *testing.T) {
	valid := makeID(t, fakeArea, "20100101", "123")
	withX := findIDWithCheck(t, "20120615", 'X')
	leap := makeID(t, fakeArea, "20240229", "001")

	tests := []struct {
		name string
		in   string
		want error
	}{
		{"valid", valid, nil},
		{"valid with X", withX, nil},
		{"leap day", leap, nil},
		{"leap day 2000", makeID(t, fakeArea, "20000229", "002"), nil},
		{"earliest year", makeID(t, fakeArea, "19000101", "003"), nil},
		{"latest year", makeID(t, fakeArea, "21001231", "004"), nil},
		{"area starting with 1", makeID(t, "110000", "20100101", "005"), nil},

		{"empty", "", ErrIDLength},
		{"17 chars", valid[:17], ErrIDLength},
		{"19 chars", valid + "1", ErrIDLength},
		{"old 15-digit format", valid[:6] + valid[8:17], ErrIDLength},
		{"letter inside", valid[:5] + "A" + valid[6:], ErrIDDigits},
		{"lower-case x (not normalised)", withX[:17] + "x", ErrIDDigits},
		{"bad last char", valid[:17] + "Y", ErrIDDigits},
		{"full-width (not normalised)", "９９９９９９２０１００１０１１２３４", ErrIDDigits},
		{"interior space", valid[:8] + " " + valid[9:], ErrIDDigits},
		{"area starting with 0", makeID(t, "099999", "20100101", "123"), ErrIDArea},
		{"february 30", makeID(t, fakeArea, "20100230", "123"), ErrIDBirthDate},
		{"non-leap february 29", makeID(t, fakeArea, "20230229", "123"), ErrIDBirthDate},
		{"1900 was not a leap year", makeID(t, fakeArea, "19000229", "123"), ErrIDBirthDate},
		{"month 13", makeID(t, fakeArea, "20101301", "123"), ErrIDBirthDate},
		{"month 0", makeID(t, fakeArea, "20100001", "123"), ErrIDBirthDate},
		{"day 0", makeID(t, fakeArea, "20100100", "123"), ErrIDBirthDate},
		{"april 31", makeID(t, fakeArea, "20100431", "123"), ErrIDBirthDate},
		{"year 1899", makeID(t, fakeArea, "18991231", "123"), ErrIDBirthDate},
		{"year 2101", makeID(t, fakeArea, "21010101", "123"), ErrIDBirthDate},
		{"wrong check digit", withWrongCheck(valid), ErrIDCheckDigit},
		{"X where a digit belongs", valid[:17] + "X", ErrIDCheckDigit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateIDNumber(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ValidateIDNumber(%q) = %v, want %v", tt.in, err, tt.want)
			}
			// Error text goes to logs, so it must never echo the number.
			if err != nil && tt.in != "" && strings.Contains(err.Error(), tt.in) {
				t.Errorf("error %q contains the input", err)
			}
		})
	}
	if valid == withX || withX[17] != 'X' {
		t.Fatal("test setup: expected distinct numbers, one ending in X")
	}
}

func TestValidateNormalizedInput(t *testing.T) {
	id := findIDWithCheck(t, "20150704", 'X')
	typed := " " + strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return 'ｘ'
	}, id) + "\u3000"
	if err := ValidateIDNumber(NormalizeIDNumber(typed)); err != nil {
		t.Fatalf("normalised full-width input rejected: %v", err)
	}
}

func TestIDCheckChar(t *testing.T) {
	// Hand-computed cases. 17 ones: the weights sum to 100, 100 mod 11 = 1,
	// index 1 of "10X98765432" is '0'. A 2 in position 8 (weight 1) alone
	// gives sum 2, which maps to X. All zeros give sum 0, which maps to '1'.
	for _, tt := range []struct {
		in   string
		want byte
	}{
		{strings.Repeat("1", 17), '0'},
		{"00000002000000000", 'X'},
		{strings.Repeat("0", 17), '1'},
	} {
		if c, err := IDCheckChar(tt.in); err != nil || c != tt.want {
			t.Errorf("IDCheckChar(%q) = %q, %v; want %q", tt.in, c, err, tt.want)
		}
	}
	for _, tt := range []struct {
		in   string
		want error
	}{
		{"", ErrIDLength},
		{strings.Repeat("1", 16), ErrIDLength},
		{strings.Repeat("1", 18), ErrIDLength},
		{strings.Repeat("1", 16) + "X", ErrIDDigits},
		{strings.Repeat("1", 16) + "/", ErrIDDigits},
	} {
		if _, err := IDCheckChar(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("IDCheckChar(%q) error = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestIDBirthDate(t *testing.T) {
	id := makeID(t, fakeArea, "20120229", "042")
	got, err := IDBirthDate(id)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2012, time.February, 29, 0, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("IDBirthDate = %v, want %v", got, want)
	}
	// The check digit is not IDBirthDate's business.
	if _, err := IDBirthDate(withWrongCheck(id)); err != nil {
		t.Errorf("IDBirthDate with wrong check digit: %v", err)
	}
	for _, tt := range []struct {
		in   string
		want error
	}{
		{"", ErrIDLength},
		{id[:17], ErrIDLength},
		{id[:10] + "A" + id[11:], ErrIDDigits},
		{makeID(t, fakeArea, "20110229", "042"), ErrIDBirthDate},
	} {
		if _, err := IDBirthDate(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("IDBirthDate(%q) error = %v, want %v", tt.in, err, tt.want)
		}
	}
}

// TestIDWeightsAreMod11_2 confirms the weight table is the ISO 7064
// MOD 11-2 sequence 2^(17-i) mod 11 that GB 11643 specifies, so a typo in
// the table cannot hide behind tests that use IDCheckChar to build inputs.
func TestIDWeightsAreMod11_2(t *testing.T) {
	for i, w := range idWeights {
		p := 1
		for range 17 - i {
			p = p * 2 % 11
		}
		if w != p {
			t.Errorf("weight %d = %d, want 2^%d mod 11 = %d", i, w, 17-i, p)
		}
	}
}

// TestChecksumDetectsSingleDigitErrors proves the claim that GB 11643
// detects every single-digit error: changing digit i by d (1 ≤ |d| ≤ 9)
// changes the weighted sum by w_i·d, and this must never be 0 mod 11. It
// also proves that swapping two different adjacent digits is detected,
// which needs w_i − w_{i+1} ≢ 0 mod 11. Both follow from 11 being prime and
// no weight or weight difference being a multiple of 11; the loops check
// every case rather than trusting the argument.
func TestChecksumDetectsSingleDigitErrors(t *testing.T) {
	for i, w := range idWeights {
		for d := 1; d <= 9; d++ {
			if w*d%11 == 0 {
				t.Errorf("changing digit %d by %d is undetectable", i+1, d)
			}
		}
		if i+1 < len(idWeights) {
			if diff := (w - idWeights[i+1] + 11) % 11; diff == 0 {
				t.Errorf("swapping digits %d and %d is undetectable", i+1, i+2)
			}
		}
	}
}

// TestRandomValidIDs generates random valid numbers and checks that they
// validate, that their birth date is recovered, and that every possible
// single-character substitution and adjacent transposition is rejected.
func TestRandomValidIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(11643, 1999)) // fixed seed: failures reproduce
	start := time.Date(minBirthYear, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(maxBirthYear, 12, 31, 0, 0, 0, 0, time.UTC).Sub(start).Hours() / 24)
	n := 2000
	if testing.Short() {
		n = 200
	}
	for range n {
		area := fmt.Sprintf("%d%05d", 1+rng.IntN(9), rng.IntN(100000))
		birth := start.AddDate(0, 0, rng.IntN(days+1))
		seq := fmt.Sprintf("%03d", rng.IntN(1000))
		id := makeID(t, area, birth.Format("20060102"), seq)

		if err := ValidateIDNumber(id); err != nil {
			t.Fatalf("generated %q rejected: %v", id, err)
		}
		if got, err := IDBirthDate(id); err != nil || !got.Equal(birth) {
			t.Fatalf("IDBirthDate(%q) = %v, %v; want %v", id, got, err, birth)
		}

		b := []byte(id)
		for pos := range b {
			orig := b[pos]
			for _, c := range []byte("0123456789X") {
				if c == orig {
					continue
				}
				b[pos] = c
				if err := ValidateIDNumber(string(b)); err == nil {
					t.Fatalf("%q validated after changing position %d of %q", b, pos+1, id)
				}
				// The checksum alone must catch digit changes in the
				// first 17, independent of the area and date checks.
				if pos < 17 && c != 'X' {
					if cc, _ := IDCheckChar(string(b[:17])); cc == id[17] {
						t.Fatalf("checksum missed change at position %d of %q", pos+1, id)
					}
				}
			}
			b[pos] = orig
		}
		for pos := range 16 {
			if b[pos] == b[pos+1] {
				continue
			}
			b[pos], b[pos+1] = b[pos+1], b[pos]
			if cc, _ := IDCheckChar(string(b[:17])); cc == id[17] {
				t.Fatalf("checksum missed swap at %d of %q", pos+1, id)
			}
			b[pos], b[pos+1] = b[pos+1], b[pos]
		}
	}
}

func FuzzValidateIDNumber(f *testing.F) {
	f.Add(makeID(f, fakeArea, "20100101", "123"))
	f.Add(findIDWithCheck(f, "20120615", 'X'))
	f.Add(makeID(f, "099999", "20100101", "123"))
	f.Add(makeID(f, fakeArea, "20100230", "123"))
	f.Add("")
	f.Add("X")
	f.Add(strings.Repeat("0", 18))
	f.Add(strings.Repeat("9", 17) + "X")
	f.Add("９９９９９９２０１００１０１１２３４")
	f.Add("99999920100101123\xff")
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateIDNumber(s)
		// Whatever the input, only the documented errors may come back.
		switch {
		case err == nil, errors.Is(err, ErrIDLength), errors.Is(err, ErrIDDigits),
			errors.Is(err, ErrIDArea), errors.Is(err, ErrIDBirthDate), errors.Is(err, ErrIDCheckDigit):
		default:
			t.Fatalf("unexpected error %v", err)
		}
		// Normalisation must never panic and must be idempotent.
		if n := NormalizeIDNumber(s); NormalizeIDNumber(n) != n {
			t.Fatalf("NormalizeIDNumber not idempotent on %q", s)
		}
		_ = MaskIDNumber(s)
		if err != nil {
			return
		}
		c, cerr := IDCheckChar(s[:17])
		if cerr != nil || c != s[17] {
			t.Fatalf("valid %q but IDCheckChar = %q, %v", s, c, cerr)
		}
		if _, berr := IDBirthDate(s); berr != nil {
			t.Fatalf("valid %q but IDBirthDate: %v", s, berr)
		}
		if NormalizeIDNumber(s) != s {
			t.Fatalf("valid %q is not in normal form", s)
		}
	})
}

package privacy

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors returned by [ValidateIDNumber], [IDCheckChar] and
// [IDBirthDate]. They never include the input, because the input is a
// minor's ID number and error strings end up in logs; callers compare them
// with errors.Is and translate them for the user.
var (
	// ErrIDLength reports an ID number that is not 18 characters long
	// (or, for IDCheckChar, a prefix that is not 17 long).
	ErrIDLength = errors.New("id number: wrong length")
	// ErrIDDigits reports characters other than 17 digits followed by a
	// digit or X.
	ErrIDDigits = errors.New("id number: must be 17 digits followed by a digit or X")
	// ErrIDBirthDate reports that digits 7–14 are not a calendar date
	// between 1900 and 2100.
	ErrIDBirthDate = errors.New("id number: invalid birth date")
	// ErrIDCheckDigit reports that the 18th character does not match the
	// ISO 7064 MOD 11-2 checksum of the first 17 digits.
	ErrIDCheckDigit = errors.New("id number: wrong check digit")
	// ErrIDArea reports an administrative area code starting with 0, which
	// no issued number has.
	ErrIDArea = errors.New("id number: invalid area code")
)

// idWeights are the GB 11643-1999 weights, 2^(17-i) mod 11 for position i.
// Because every weight is non-zero modulo the prime 11, changing any single
// digit always changes the checksum (verified in the tests).
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

const (
	idLength      = 18
	minBirthYear  = 1900
	maxBirthYear  = 2100
	birthDateFrom = 6  // 0-based index of the first birth-date digit
	birthDateTo   = 14 // exclusive end of the birth-date digits
)

// NormalizeIDNumber turns what people actually type into the canonical form
// that [ValidateIDNumber] expects: surrounding white space (including the
// ideographic space U+3000) is removed, full-width digits and letters that
// Chinese input methods produce (０-９, Ａ-Ｚ, ａ-ｚ) become ASCII, and a
// lower-case x becomes X. Interior characters are otherwise left alone, so
// garbage stays garbage and is rejected by validation.
func NormalizeIDNumber(s string) string {
	s = strings.TrimSpace(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r >= 'Ａ' && r <= 'Ｚ':
			r = r - 'Ａ' + 'A'
		case r >= 'ａ' && r <= 'ｚ':
			r = r - 'ａ' + 'a'
		}
		if r == 'x' {
			return 'X'
		}
		return r
	}, s)
}

// ValidateIDNumber checks an 18-character resident ID number in normalised
// form (see [NormalizeIDNumber]). It returns nil or one of ErrIDLength,
// ErrIDDigits, ErrIDArea, ErrIDBirthDate or ErrIDCheckDigit, checked in that
// order so the most specific problem is reported. It does not check that
// the area code is currently assigned: codes change over time and residence
// permits for Hong Kong, Macao, Taiwan and foreign residents use 8x and 9x
// prefixes, so a stricter list would reject legitimate students.
func ValidateIDNumber(s string) error {
	if err := checkIDShape(s); err != nil {
		return err
	}
	if s[0] == '0' {
		return ErrIDArea
	}
	if _, ok := parseBirthDate(s[birthDateFrom:birthDateTo]); !ok {
		return ErrIDBirthDate
	}
	want, err := IDCheckChar(s[:idLength-1])
	if err != nil {
		return err // unreachable after checkIDShape; kept for safety
	}
	if s[idLength-1] != want {
		return ErrIDCheckDigit
	}
	return nil
}

// IDCheckChar computes the GB 11643-1999 check character ('0'–'9' or 'X')
// for the first 17 digits of an ID number. It returns ErrIDLength or
// ErrIDDigits if first17 is not exactly 17 ASCII digits.
func IDCheckChar(first17 string) (byte, error) {
	if len(first17) != idLength-1 {
		return 0, ErrIDLength
	}
	sum := 0
	for i := range len(first17) {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, ErrIDDigits
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11], nil
}

// IDBirthDate returns the birth date encoded in digits 7–14 of an
// 18-character ID number, as midnight UTC of that calendar day (a birthday
// is a civil date, not an instant, so no local time zone is implied). It
// checks the shape and the date but not the check digit; use
// [ValidateIDNumber] for full validation.
func IDBirthDate(id string) (time.Time, error) {
	if err := checkIDShape(id); err != nil {
		return time.Time{}, err
	}
	t, ok := parseBirthDate(id[birthDateFrom:birthDateTo])
	if !ok {
		return time.Time{}, ErrIDBirthDate
	}
	return t, nil
}

// checkIDShape verifies the length and the character classes. Length is
// counted in runes so that an un-normalised full-width number reports a
// character problem rather than a confusing length problem.
func checkIDShape(s string) error {
	if utf8.RuneCountInString(s) != idLength {
		return ErrIDLength
	}
	if len(s) != idLength {
		return ErrIDDigits // right rune count but contains non-ASCII
	}
	for i := range idLength - 1 {
		if s[i] < '0' || s[i] > '9' {
			return ErrIDDigits
		}
	}
	if last := s[idLength-1]; (last < '0' || last > '9') && last != 'X' {
		return ErrIDDigits
	}
	return nil
}

// parseBirthDate parses eight ASCII digits YYYYMMDD and reports whether they
// form a real calendar date within the accepted year range. It round-trips
// through time.Date because that normalises impossible dates such as
// 20100230 to a different day, which is how they are detected.
func parseBirthDate(s string) (time.Time, bool) {
	if len(s) != 8 {
		return time.Time{}, false
	}
	n := 0
	for i := range 8 {
		c := s[i]
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		n = n*10 + int(c-'0')
	}
	y, m, d := n/10000, n/100%100, n%100
	if y < minBirthYear || y > maxBirthYear || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

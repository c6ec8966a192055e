package auth

import (
	_ "embed"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password length limits in runes (not bytes), so that a password in Chinese
// characters is measured the way its owner counts it.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

// Sentinel errors returned by CheckPasswordPolicy. Callers translate them
// into user-facing messages; the texts never include the password.
var (
	// ErrPasswordTooShort means the password has fewer than MinPasswordLen runes.
	ErrPasswordTooShort = errors.New("auth: password is too short")
	// ErrPasswordTooLong means the password has more than MaxPasswordLen runes.
	ErrPasswordTooLong = errors.New("auth: password is too long")
	// ErrPasswordCommon means the password is a well-known weak password, a
	// simple variation of one, or an obvious pattern such as a repeated
	// character or a run like "123456789012".
	ErrPasswordCommon = errors.New("auth: password is too common or predictable")
	// ErrPasswordHasUsername means the password equals or contains the
	// username.
	ErrPasswordHasUsername = errors.New("auth: password contains the username")
)

//go:embed common_passwords.txt
var commonPasswordsFile string

// commonPasswords is the parsed form of common_passwords.txt. It is built
// once at package initialisation; the list is small (a few hundred entries).
var commonPasswords = parseWordList(commonPasswordsFile)

// parseWordList turns a one-entry-per-line list with # comments into a set
// of lower-cased entries.
func parseWordList(s string) map[string]struct{} {
	set := make(map[string]struct{})
	for line := range strings.Lines(s) {
		line = strings.ToLower(strings.TrimSpace(line))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[line] = struct{}{}
	}
	return set
}

// CheckPasswordPolicy reports whether pw is acceptable as a new password for
// username, returning nil or one of the ErrPassword* sentinels. It is meant
// for setting or changing a password, never for login: existing passwords
// must keep working if the policy tightens.
//
// The rules follow NIST SP 800-63B: a length range and a block-list, with no
// composition rules (which mostly produce "Password1!" style passwords).
func CheckPasswordPolicy(pw, username string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return ErrPasswordTooShort
	}
	if n > MaxPasswordLen {
		return ErrPasswordTooLong
	}
	lower := strings.ToLower(pw)
	if containsUsername(lower, username) {
		return ErrPasswordHasUsername
	}
	if isCommonPassword(lower) {
		return ErrPasswordCommon
	}
	return nil
}

// minUsernameForContains is the shortest username that is refused as a
// substring of the password. Shorter usernames are still refused as the
// whole password, but looking for, say, "li" inside a password would reject
// perfectly good passphrases.
const minUsernameForContains = 3

// containsUsername reports whether the lower-cased password equals or
// contains the username, or the local part of it when the username is an
// e-mail address.
func containsUsername(lowerPW, username string) bool {
	names := []string{strings.ToLower(strings.TrimSpace(username))}
	if local, _, ok := strings.Cut(names[0], "@"); ok {
		names = append(names, local)
	}
	for _, name := range names {
		if name == "" {
			continue
		}
		if lowerPW == name {
			return true
		}
		if utf8.RuneCountInString(name) >= minUsernameForContains && strings.Contains(lowerPW, name) {
			return true
		}
	}
	return false
}

// Leetspeak substitutions undone before block-list lookups. "1" is
// ambiguous between i and l, so both readings are tried.
var (
	unleetI = strings.NewReplacer("@", "a", "4", "a", "3", "e", "0", "o", "$", "s", "5", "s", "7", "t", "!", "i", "1", "i")
	unleetL = strings.NewReplacer("@", "a", "4", "a", "3", "e", "0", "o", "$", "s", "5", "s", "7", "t", "!", "i", "1", "l")
)

// isCommonPassword reports whether the lower-cased password is on the
// block-list, is a block-listed stem decorated with digits or symbols at the
// ends (the usual way people satisfy a length rule: "dragon2024!!"), or is
// an obvious pattern.
func isCommonPassword(lower string) bool {
	if _, ok := commonPasswords[lower]; ok {
		return true
	}
	if isPatterned(lower) {
		return true
	}
	core := strings.TrimFunc(lower, isDecoration)
	if core == "" {
		return false // only digits and symbols, and no pattern found above
	}
	for _, c := range []string{core, unleetI.Replace(core), unleetL.Replace(core)} {
		if _, ok := commonPasswords[c]; ok {
			return true
		}
	}
	// A trivially patterned stem padded with digits ("aaa123456789",
	// "abcd12345678") is no stronger than the padding alone.
	return core != lower && isPatterned(core)
}

// isDecoration reports whether r is the kind of character people bolt onto
// the ends of a word to lengthen it.
func isDecoration(r rune) bool {
	return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
}

// maxPatternPeriod is the longest unit whose repetition counts as a pattern:
// "aaaaaaaaaaaa", "abcabcabcabc" and "woainiwoaini" all qualify.
const maxPatternPeriod = 6

// isPatterned reports whether s is a repetition of a short unit or an
// ascending/descending run of characters ("123456789012", "abcdefghijkl").
func isPatterned(s string) bool {
	r := []rune(s)
	if len(r) < 3 {
		return len(r) > 0 && (len(r) == 1 || r[0] == r[1])
	}
	for period := 1; period <= maxPatternPeriod && 2*period <= len(r); period++ {
		if hasPeriod(r, period) {
			return true
		}
	}
	return isRun(r)
}

// hasPeriod reports whether r[i] == r[i-period] for every i.
func hasPeriod(r []rune, period int) bool {
	for i := period; i < len(r); i++ {
		if r[i] != r[i-period] {
			return false
		}
	}
	return true
}

// isRun reports whether every rune is the successor of the previous one, or
// every rune its predecessor. Digits wrap (…8, 9, 0, 1…) because that is how
// people continue a run on the keyboard's number row.
func isRun(r []rune) bool {
	up, down := true, true
	for i := 1; i < len(r); i++ {
		a, b := r[i-1], r[i]
		up = up && (b == a+1 || (a == '9' && b == '0'))
		down = down && (b == a-1 || (a == '0' && b == '9'))
	}
	return up || down
}

package model

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"huhang/internal/privacy"
)

// The rules a roster value must meet, shared by the store (which refuses
// anything else) and the importer (which explains why, row by row).

// ValidStudentNo checks a national student number (全国学籍号) in canonical
// form: G + a valid resident ID number, J + 17 digits + a digit or X (an
// ID-style number), or L + area code + birth date + 4 digits.
func ValidStudentNo(no string) bool {
	if len(no) < 2 {
		return false
	}
	rest := no[1:]
	switch no[0] {
	case 'G':
		return privacy.ValidateIDNumber(rest) == nil
	case 'J':
		return len(rest) == 18 && allDigits(rest[:17]) && (isDigit(rest[17]) || rest[17] == 'X')
	case 'L':
		return len(rest) == 18 && allDigits(rest)
	}
	return false
}

// ValidPersonName accepts 1–30 letters (Han, Latin, minority-name middle
// dots, spaces, full stops); digits and symbols are typos here.
func ValidPersonName(name string) bool {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > 30 {
		return false
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || r == '·' || r == '•' || r == ' ' || r == '.') {
			return false
		}
	}
	return true
}

// ValidPhone accepts a mainland mobile number or a landline with its area
// code; dashes and spaces between digits are allowed.
func ValidPhone(p string) bool {
	p = strings.ReplaceAll(strings.ReplaceAll(p, "-", ""), " ", "")
	if len(p) == 11 && p[0] == '1' && allDigits(p) {
		return true
	}
	return len(p) >= 7 && len(p) <= 12 && p[0] == '0' && allDigits(p)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

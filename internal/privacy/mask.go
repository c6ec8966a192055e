package privacy

import (
	"strings"
	"unicode/utf8"
)

// maskRune replaces each hidden character. It is an ASCII asterisk, one per
// hidden character, because that is the convention Chinese users recognise
// from banks and government sites (张*明, 138****5678).
const maskRune = "*"

// MaskName hides a personal name for display to staff who do not need it in
// full and for logs. It works on runes, not bytes, because names are
// usually Han characters: one rune becomes "*", two runes keep the first
// (张三 → 张*), and longer names keep the first and last (张小明 → 张*明,
// 欧阳小明 → 欧**明). The empty string stays empty.
func MaskName(name string) string {
	r := []rune(name)
	switch n := len(r); n {
	case 0:
		return ""
	case 1:
		return maskRune
	case 2:
		return string(r[0]) + maskRune
	default:
		return string(r[0]) + strings.Repeat(maskRune, n-2) + string(r[n-1])
	}
}

// MaskIDNumber shows only the last four characters of an ID number, so an
// 18-character number becomes 14 asterisks followed by the last four
// (enough for a person to recognise their own number, not enough to use
// it). Inputs of other lengths are masked the same way, and inputs of four
// characters or fewer are masked entirely, since showing "the last four"
// would show everything.
func MaskIDNumber(id string) string {
	return maskAllButLast(id, 4)
}

// MaskPhone masks a phone number. An 11-digit number (the mainland mobile
// format) keeps its first three digits, which identify the carrier and are
// not personal, and its last four: 13812345678 → 138****5678. Anything else
// (landlines, +86 prefixes, extensions) keeps only the last four
// characters, and strings of four characters or fewer are masked entirely.
func MaskPhone(p string) string {
	if len(p) == 11 && isASCIIDigits(p) {
		return p[:3] + strings.Repeat(maskRune, 4) + p[7:]
	}
	return maskAllButLast(p, 4)
}

// maskAllButLast replaces every rune except the last keep runes; if the
// string has no more than keep runes, every rune is replaced.
func maskAllButLast(s string, keep int) string {
	n := utf8.RuneCountInString(s)
	if n <= keep {
		return strings.Repeat(maskRune, n)
	}
	r := []rune(s)
	return strings.Repeat(maskRune, n-keep) + string(r[n-keep:])
}

func isASCIIDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

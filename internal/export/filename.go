package export

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// maxBaseBytes bounds the file name before ".xlsx". File systems allow
	// 255 bytes; staying well below leaves room for browsers' " (1)"
	// suffixes and for the download directory's own limits. 180 bytes is
	// 60 Chinese characters.
	maxBaseBytes = 180
	// fallbackBase names the file for clients that ignore filename*.
	fallbackBase = "export"
)

// windowsReserved are device names that Windows refuses as file names even
// with an extension: Windows looks at the part before the first dot, so
// "CON.xlsx" and "nul.2026.xlsx" cannot be saved.
var windowsReserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true,
	"COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true,
	"LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
}

// Filename builds a safe download file name such as
// "东区_学生名单_2026-11-29.xlsx" from parts joined with "_", and the matching
// Content-Disposition header value (see [Disposition]).
//
// Parts are often built from user-controlled data (school, class or form
// names), so each part is cleaned: path separators and the characters
// Windows forbids (\ / : * ? " < > |) become "_", so no part can name a
// directory or break the quoted header; control characters, invalid UTF-8
// and invisible format characters (bidi overrides such as U+202E, which can
// make "xlsx.exe" look like "exe.xlsx", zero-width spaces) are dropped;
// runs of white space become one space, runs of dots one dot, and leading
// or trailing dots, spaces and "_" are trimmed, so ".." can never survive
// as a whole part. Empty parts are skipped; if nothing is left the name is
// "export.xlsx". A trailing ".xlsx" in the input is not doubled.
func Filename(parts ...string) (name, disposition string) {
	var kept []string
	for _, p := range parts {
		if c := cleanPart(p); c != "" {
			kept = append(kept, c)
		}
	}
	base := strings.Join(kept, "_")
	if len(base) >= 5 && strings.EqualFold(base[len(base)-5:], ".xlsx") {
		base = trimPart(base[:len(base)-5])
	}
	if len(base) > maxBaseBytes {
		cut := maxBaseBytes
		for cut > 0 && !utf8.RuneStart(base[cut]) {
			cut--
		}
		base = trimPart(base[:cut])
	}
	if base == "" {
		base = fallbackBase
	}
	if stem, _, _ := strings.Cut(base, "."); windowsReserved[strings.ToUpper(stem)] {
		base = stem + "_" + base[len(stem):]
	}
	name = base + ".xlsx"
	return name, `attachment; filename="` + asciiFallback(base) + `.xlsx"; filename*=UTF-8''` + encodeRFC5987(name)
}

// Disposition returns the Content-Disposition header value for a download
// named from parts (see [Filename] for the cleaning rules), following RFC 6266:
//
//	attachment; filename="export_2026-11-29.xlsx"; filename*=UTF-8''%E4%B8%9C%E5%8C%BA_...
//
// filename is an ASCII-only fallback for old clients; every current browser
// uses the UTF-8 filename* and shows the Chinese name.
func Disposition(parts ...string) string {
	_, d := Filename(parts...)
	return d
}

// cleanPart applies the per-part rules documented on Filename.
func cleanPart(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i, r := range p {
		switch {
		case r == utf8.RuneError && isInvalidAt(p, i):
			// dropped: invalid UTF-8
		case strings.ContainsRune(`/\:*?"<>|`, r):
			b.WriteByte('_')
		case unicode.IsSpace(r):
			// tabs, newlines, U+3000 …: a header must not contain a raw
			// newline, and odd spaces are hard to see.
			b.WriteByte(' ')
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r),
			r == '\u2028', r == '\u2029':
			// dropped: control and invisible format characters
		default:
			b.WriteRune(r)
		}
	}
	return trimPart(collapse(b.String()))
}

// isInvalidAt reports whether the RuneError at byte i of s came from invalid
// UTF-8 rather than a literal U+FFFD.
func isInvalidAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 1
}

// collapse replaces runs of spaces, dots and underscores by a single one.
func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var prev rune
	for _, r := range s {
		if r == prev && (r == ' ' || r == '.' || r == '_') {
			continue
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// trimPart removes characters that are unsafe or confusing at the ends of a
// file name: dots (hidden files, "..", Windows strips trailing dots), spaces
// and the "_" left over from replaced separators.
func trimPart(s string) string {
	return strings.Trim(s, " ._")
}

// asciiFallback reduces base to letters, digits, space, "-", "_" and "." so it can
// go in a quoted-string without escaping and cannot be misread by clients
// that percent-decode or split on ";". A name that loses characters is
// prefixed with "export" so the fallback is never just a date.
func asciiFallback(base string) string {
	var b strings.Builder
	lossy := false
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '-', r == '_', r == '.', r == ' ':
			b.WriteRune(r)
		default:
			lossy = true
			b.WriteByte('_')
		}
	}
	if !lossy {
		return base
	}
	rest := trimPart(collapse(b.String()))
	if rest == "" {
		return fallbackBase
	}
	return fallbackBase + "_" + rest
}

// encodeRFC5987 percent-encodes s as an RFC 5987 value-chars: every byte
// except attr-char (ALPHA DIGIT ! # $ & + - . ^ _ ` | ~) becomes %XX.
// url.PathEscape is not used because it leaves characters such as ' ; and =
// unescaped, which are not allowed there.
func encodeRFC5987(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0f])
	}
	return b.String()
}

// Package report holds the rules for publishing aggregates: small counts
// that could identify a child are suppressed before anyone sees them.
package report

import "strconv"

// K is the smallest count shown as a number; 1..K-1 are suppressed. Zero is
// shown: an empty cell identifies nobody.
const K = 5

// Suppress formats a count for publication: "<5" for 1–4.
func Suppress(n int) string {
	if n > 0 && n < K {
		return "<" + strconv.Itoa(K)
	}
	return strconv.Itoa(n)
}

// Suppressed reports whether a count would be hidden.
func Suppressed(n int) bool { return n > 0 && n < K }

// Package report holds the rules for publishing aggregates: small counts
// that could identify a child are suppressed before anyone sees them, and
// enough other cells are hidden with them that no hidden count can be
// worked back out from a total.
package report

import "strconv"

// K is the smallest count shown as a number; 1..K-1 are suppressed. Zero is
// shown: an empty cell identifies nobody.
const K = 5

// Hidden marks a count withheld by complementary suppression: it may be
// large, but showing it would reveal a suppressed neighbour.
const Hidden = -1

// Suppress formats a count for publication: "<5" for 1–4 and for Hidden.
func Suppress(n int) string {
	if n == Hidden || (n > 0 && n < K) {
		return "<" + strconv.Itoa(K)
	}
	return strconv.Itoa(n)
}

// Suppressed reports whether a count is withheld.
func Suppressed(n int) bool { return n == Hidden || (n > 0 && n < K) }

// Split protects a total published with its two parts (pupils = girls +
// boys): if either part is small, both are withheld, or the other part and
// the total would give it away. It reports whether it hid anything.
func Split(total, a, b *int) bool {
	if Suppressed(*total) || Suppressed(*a) || Suppressed(*b) {
		na, nb := hide(*a), hide(*b)
		changed := na != *a || nb != *b
		*a, *b = na, nb
		return changed
	}
	return false
}

// Column protects one column of a table whose total is published elsewhere
// (a district's schools, a school's classes): when exactly one cell is
// suppressed, the smallest other non-zero cell is hidden too, so the total
// minus the shown cells yields only the sum of two hidden cells. It reports
// whether it hid anything.
func Column(cells []*int) bool {
	var small []int
	for i, c := range cells {
		if Suppressed(*c) {
			small = append(small, i)
		}
	}
	if len(small) != 1 {
		return false
	}
	pick := -1
	for i, c := range cells {
		if i == small[0] || *c <= 0 {
			continue
		}
		if pick < 0 || *c < *cells[pick] {
			pick = i
		}
	}
	if pick >= 0 {
		*cells[pick] = Hidden
		return true
	}
	return false
}

func hide(n int) int {
	if n == 0 {
		return 0
	}
	if n > 0 && n < K {
		return n
	}
	return Hidden
}

package report

import (
	"math/rand/v2"
	"testing"
)

func TestSuppress(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0"}, {1, "<5"}, {4, "<5"}, {5, "5"}, {120, "120"}, {Hidden, "<5"}} {
		if got := Suppress(c.n); got != c.want {
			t.Errorf("Suppress(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestSplitHidesBothPartsWhenOneIsSmall(t *testing.T) {
	for _, c := range []struct{ total, a, b, wantA, wantB int }{
		{6, 1, 5, 1, Hidden},
		{40, 20, 20, 20, 20},
		{3, 1, 2, 1, 2},
		{7, 0, 7, 0, 7},
		{9, 5, 4, Hidden, 4},
	} {
		total, a, b := c.total, c.a, c.b
		Split(&total, &a, &b)
		if a != c.wantA || b != c.wantB {
			t.Errorf("Split(%d, %d, %d) = %d, %d; want %d, %d", c.total, c.a, c.b, a, b, c.wantA, c.wantB)
		}
	}
}

// Property: after Column, no suppressed cell can be recovered from the
// column total and the shown cells — at least two cells are withheld, or
// none is.
func TestColumnLeavesNoLoneHiddenCell(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for range 1000 {
		n := 1 + rng.IntN(8)
		vals := make([]int, n)
		ptrs := make([]*int, n)
		for i := range vals {
			vals[i] = rng.IntN(12)
			ptrs[i] = &vals[i]
		}
		orig := append([]int(nil), vals...)
		Column(ptrs)
		withheld, small := 0, 0
		for i, v := range vals {
			if Suppressed(v) {
				withheld++
			}
			if Suppressed(orig[i]) {
				small++
			}
		}
		if small > 0 && withheld < 2 {
			// Only acceptable when no other non-zero cell exists: then the
			// lone small cell equals the total, which the total's own
			// suppression covers.
			others := 0
			for i, v := range orig {
				if !Suppressed(v) && v > 0 && !Suppressed(orig[i]) {
					others++
				}
			}
			if others > 0 {
				t.Fatalf("column %v became %v: one hidden cell is recoverable", orig, vals)
			}
		}
	}
}

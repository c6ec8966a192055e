package screening

import (
	"slices"
	"testing"
	"time"
)

func TestCheckValidity(t *testing.T) {
	t.Parallel()
	phq := builtinInstrument(t, "phq9")
	gad := builtinInstrument(t, "gad7")
	ces := builtinInstrument(t, "cesdc")
	who := builtinInstrument(t, "who5")
	psc := builtinInstrument(t, "psc17")

	// A lower_worse instrument long enough to be checked: WHO-5 with two
	// more items.
	long := *who
	long.Items = append(slices.Clone(who.Items),
		Item{ID: "6", Text: Text{"zh-CN": "六"}}, Item{ID: "7", Text: Text{"zh-CN": "七"}})
	// A custom instrument that asks for more time per item.
	slow := *gad
	slow.MinSecondsPerItem = 3

	fill := func(n, v int) []int {
		a := make([]int, n)
		for i := range a {
			a[i] = v
		}
		return a
	}
	varied := []int{0, 1, 0, 2, 0, 0, 1, 0, 0}
	cases := []struct {
		name     string
		ins      []*Instrument
		answers  [][]int
		duration time.Duration
		want     []Flag
	}{
		{"a varied PHQ-9 in a minute is fine", []*Instrument{phq}, [][]int{varied}, time.Minute, nil},
		{"9 items in 8 seconds are too fast", []*Instrument{phq}, [][]int{varied}, 8 * time.Second, []Flag{FlagTooFast}},
		{"9 items in exactly 9 seconds are not too fast", []*Instrument{phq}, [][]int{varied}, 9 * time.Second, nil},
		{"the time limit adds up over instruments (9 + 7 items in 15 s)", []*Instrument{phq, gad}, [][]int{varied, {0, 0, 1, 0, 0, 0, 0}}, 15 * time.Second, []Flag{FlagTooFast}},
		{"an instrument's own minimum time is used (7 items × 3 s)", []*Instrument{&slow}, [][]int{{0, 0, 1, 0, 0, 0, 0}}, 20 * time.Second, []Flag{FlagTooFast}},
		{"an unmeasured duration is never too fast", []*Instrument{phq}, [][]int{varied}, 0, nil},
		{"every PHQ-9 answer at not at all is the commonest honest answer, not flagged", []*Instrument{phq}, [][]int{fill(9, 0)}, time.Minute, nil},
		{"every PHQ-9 answer at nearly every day is straight-lined", []*Instrument{phq}, [][]int{fill(9, 3)}, time.Minute, []Flag{FlagStraightLine}},
		{"every PHQ-9 answer in the middle is ambiguous, not flagged", []*Instrument{phq}, [][]int{fill(9, 1)}, time.Minute, nil},
		{"CES-DC all not at all contradicts its reversed items", []*Instrument{ces}, [][]int{fill(20, 0)}, time.Minute, []Flag{FlagStraightLine}},
		{"CES-DC all a little contradicts its reversed items", []*Instrument{ces}, [][]int{fill(20, 1)}, time.Minute, []Flag{FlagStraightLine}},
		{"WHO-5 has too few items to check", []*Instrument{who}, [][]int{fill(5, 0)}, time.Minute, nil},
		{"a lower_worse instrument all at its lowest is straight-lined", []*Instrument{&long}, [][]int{fill(7, 0)}, time.Minute, []Flag{FlagStraightLine}},
		{"a lower_worse instrument all at its best is not", []*Instrument{&long}, [][]int{fill(7, 5)}, time.Minute, nil},
		{"a parent ticking often everywhere is straight-lined", []*Instrument{psc}, [][]int{fill(17, 2)}, time.Minute, []Flag{FlagStraightLine}},
		{"both flags are reported, each once", []*Instrument{phq, psc}, [][]int{fill(9, 3), fill(17, 2)}, time.Second, []Flag{FlagTooFast, FlagStraightLine}},
		{"a vector of the wrong length is skipped, not flagged", []*Instrument{phq}, [][]int{fill(8, 3)}, time.Minute, nil},
		{"out-of-range identical answers are skipped", []*Instrument{phq}, [][]int{fill(9, 9)}, time.Minute, nil},
		{"missing answer vectors are skipped", []*Instrument{phq, gad}, [][]int{varied}, time.Minute, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := CheckValidity(c.ins, c.answers, c.duration); !slices.Equal(got, c.want) {
				t.Errorf("flags = %v, want %v", got, c.want)
			}
		})
	}
}

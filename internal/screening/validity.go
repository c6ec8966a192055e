package screening

import "time"

// Flag marks a submission whose answers may not reflect the respondent.
type Flag string

// Validity flags.
const (
	FlagTooFast      Flag = "too_fast"
	FlagStraightLine Flag = "straight_line"
)

// StraightLineMinItems is the shortest instrument checked for
// straight-lining. On shorter ones (WHO-5 has 5 items) giving every item the
// same answer is common and honest.
const StraightLineMinItems = 7

// CheckValidity flags a submission that may be careless. Flags never drop a
// submission: it is still scored, tiered and alerted on, because a pupil in
// crisis who clicks through quickly is still a pupil in crisis.
//
// too_fast: the whole submission took less than the sum over its
// instruments of MinSecondsPerItem × items. A duration ≤ 0 means "not
// measured" (a paper form typed in by staff) and is never flagged.
//
// straight_line: some instrument with at least StraightLineMinItems items
// has every answer identical, and either
//   - it mixes normal and reverse-scored items: "I was happy" and "I felt
//     sad" answered alike contradict each other whatever the answer, the
//     classic sign of ticking one column; or
//   - the answer is the worst end of the scale on every item (after
//     reverse scoring): every symptom at its most frequent is rare in honest
//     answers and common in column-ticking.
//
// The healthy end is deliberately not flagged: "not at all" to every PHQ-9
// item is the commonest honest answer in a school, and flagging it would
// bury the flags that matter. Middle values are not flagged either: they are
// ambiguous.
//
// Instruments whose answer vector is the wrong length are skipped here;
// [Assess] reports them as errors.
func CheckValidity(ins []*Instrument, answers [][]int, duration time.Duration) []Flag {
	var flags []Flag
	need := 0.0
	for _, in := range ins {
		if in != nil {
			need += in.minSecondsPerItem() * float64(len(in.Items))
		}
	}
	if duration > 0 && duration.Seconds() < need {
		flags = append(flags, FlagTooFast)
	}
	for i := range min(len(ins), len(answers)) {
		if ins[i] != nil && ins[i].straightLined(answers[i]) {
			flags = append(flags, FlagStraightLine)
			break
		}
	}
	return flags
}

func (in *Instrument) straightLined(answers []int) bool {
	if len(in.Items) < StraightLineMinItems || len(answers) != len(in.Items) {
		return false
	}
	v := answers[0]
	if !in.isOption(v) {
		return false
	}
	for _, a := range answers[1:] {
		if a != v {
			return false
		}
	}
	reversed := 0
	for _, it := range in.Items {
		if it.Reverse {
			reversed++
		}
	}
	if reversed > 0 && reversed < len(in.Items) {
		return true
	}
	lo, hi := in.optionRange()
	scored := v
	if reversed > 0 { // every item reversed
		scored = lo + hi - v
	}
	if in.lowerWorse() {
		return scored == lo
	}
	return scored == hi
}

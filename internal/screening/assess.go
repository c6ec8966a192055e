package screening

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Reason codes: why an assessment has its tier.
const (
	ReasonCritical = "critical_item" // an answer at or above a critical minimum
	ReasonTier     = "tier"          // an instrument's score tier is not green
)

// errNoInstruments is returned by Assess for an empty instrument list.
var errNoInstruments = errors.New("screening: assess: no instruments")

// Reason explains one contribution to an assessment's tier.
type Reason struct {
	Code       string `json:"code"` // ReasonCritical or ReasonTier
	Instrument string `json:"instrument"`
	Item       string `json:"item,omitempty"` // the critical item's id
	// Tier is the tier this reason stands for: Red for a critical item,
	// the instrument's score tier otherwise.
	Tier Tier `json:"tier"`
}

// Assessment combines the results of one sitting (one or more instruments
// answered together).
type Assessment struct {
	Results []Result `json:"results"`
	// Tier is the worst result tier; a critical answer forces Red.
	Tier     Tier     `json:"tier"`
	Critical bool     `json:"critical"`
	Reasons  []Reason `json:"reasons"` // critical items first, then tiers from worst; never nil
	// Flags are kept beside a full result: a flagged submission is still
	// scored and tiered, never silently dropped.
	Flags []Flag `json:"flags,omitempty"`
}

// Assess scores answers[i] against ins[i] for a respondent of the given age
// and combines the results. The error is an *AnswerError for the first bad
// answer (a missing answer vector is AnswerTooFew at item 1); a nil or
// empty instrument list, or more answer vectors than instruments, is a
// programming error and returns a plain error.
func Assess(ins []*Instrument, answers [][]int, age int, duration time.Duration) (Assessment, error) {
	if len(ins) == 0 {
		return Assessment{}, errNoInstruments
	}
	if len(answers) > len(ins) {
		return Assessment{}, fmt.Errorf("screening: assess: %d answer vectors for %d instruments", len(answers), len(ins))
	}
	a := Assessment{Results: make([]Result, 0, len(ins)), Reasons: []Reason{}}
	var tiers []Reason
	for i, in := range ins {
		if in == nil {
			return Assessment{}, fmt.Errorf("screening: assess: instrument %d is nil", i)
		}
		var ans []int
		if i < len(answers) {
			ans = answers[i]
		}
		r, err := in.Score(ans, age)
		if err != nil {
			return Assessment{}, err
		}
		a.Results = append(a.Results, r)
		a.Tier = max(a.Tier, r.Tier)
		for _, id := range r.Critical {
			a.Critical = true
			a.Reasons = append(a.Reasons, Reason{Code: ReasonCritical, Instrument: in.Code, Item: id, Tier: Red})
		}
		if r.ScoreTier > Green {
			tiers = append(tiers, Reason{Code: ReasonTier, Instrument: in.Code, Tier: r.ScoreTier})
		}
	}
	if a.Critical {
		a.Tier = Red
	}
	// Worst first, so the first reason a counsellor reads is the one that
	// set the tier; ties keep the order the instruments were given in.
	slices.SortStableFunc(tiers, func(x, y Reason) int { return int(y.Tier) - int(x.Tier) })
	a.Reasons = append(a.Reasons, tiers...)
	a.Flags = CheckValidity(ins, answers, duration)
	return a, nil
}

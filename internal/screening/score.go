package screening

import (
	"fmt"
	"strconv"
)

// Tier is the risk tier of a result: what the school does next. Green needs
// nothing; Yellow, Orange and Red need increasingly urgent follow-up (see
// [Policy]).
type Tier int

// Tiers from no concern to urgent.
const (
	Green Tier = iota
	Yellow
	Orange
	Red
)

var tierNames = [...]string{"green", "yellow", "orange", "red"}

// String returns "green", "yellow", "orange" or "red".
func (t Tier) String() string {
	if t >= 0 && int(t) < len(tierNames) {
		return tierNames[t]
	}
	return "Tier(" + strconv.Itoa(int(t)) + ")"
}

// ParseTier is the inverse of String.
func ParseTier(s string) (Tier, error) {
	for i, n := range tierNames {
		if n == s {
			return Tier(i), nil
		}
	}
	return 0, fmt.Errorf("screening: unknown tier %q", s)
}

// MarshalText writes the tier's name, so JSON and logs say "red", not 3.
func (t Tier) MarshalText() ([]byte, error) {
	if t < Green || t > Red {
		return nil, fmt.Errorf("screening: invalid tier %d", int(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText reads a tier's name.
func (t *Tier) UnmarshalText(b []byte) error {
	v, err := ParseTier(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Result is one instrument's score for one respondent.
type Result struct {
	Instrument string         `json:"instrument"`
	Score      int            `json:"score"`
	Subscales  map[string]int `json:"subscales,omitempty"`
	// Positive lists the subscales at or past their cut-off, in the
	// instrument's order.
	Positive []string `json:"positive,omitempty"`
	Band     string   `json:"band"`
	// Tier is the tier to act on: ScoreTier, forced to Red by any critical
	// answer. It is forced here as well as in [Assess] so that code reading
	// a single result can never show a crisis as green.
	Tier Tier `json:"tier"`
	// ScoreTier is the tier from the scores alone (the total's age-band
	// thresholds, lifted to Yellow by a positive subscale), for trends and
	// for explaining a tier.
	ScoreTier Tier `json:"score_tier"`
	// Critical lists the ids of items answered at or above their critical
	// minimum, in item order.
	Critical []string `json:"critical,omitempty"`
}

// Why an answer vector is rejected (AnswerError.Reason).
const (
	AnswerMissing    = "missing"      // the item holds NoAnswer
	AnswerOutOfRange = "out_of_range" // not one of the instrument's option values
	AnswerTooMany    = "too_many"     // more answers than items
	AnswerTooFew     = "too_few"      // fewer answers than items
)

// AnswerError says which answer is wrong. Item is the 1-based position of
// the item (for AnswerTooMany the first surplus position, for AnswerTooFew
// the first item without an answer); Reason is one of the Answer constants,
// short so a form can map it to a translated message.
type AnswerError struct {
	Instrument string
	Item       int
	Reason     string
}

// Error returns "screening: <instrument> item <n>: <reason>".
func (e *AnswerError) Error() string {
	return fmt.Sprintf("screening: %s item %d: %s", e.Instrument, e.Item, e.Reason)
}

// Score scores one answer vector: answers[i] is the chosen option value for
// Items[i], or NoAnswer. Every item must be answered, because a total with
// gaps would read as lower risk than the respondent reported. age picks the
// tier rule whose age band contains it; when none does, the nearest band
// (a tie goes to the younger band, since school screening serves children).
// The error is an *AnswerError for the first bad answer.
func (in *Instrument) Score(answers []int, age int) (Result, error) {
	n := len(in.Items)
	switch {
	case len(answers) < n:
		return Result{}, &AnswerError{Instrument: in.Code, Item: len(answers) + 1, Reason: AnswerTooFew}
	case len(answers) > n:
		return Result{}, &AnswerError{Instrument: in.Code, Item: n + 1, Reason: AnswerTooMany}
	}
	lo, hi := in.optionRange()
	res := Result{Instrument: in.Code}
	if len(in.Subscales) > 0 {
		res.Subscales = make(map[string]int, len(in.Subscales))
		for _, s := range in.Subscales {
			res.Subscales[s.Code] = 0
		}
	}
	for i, a := range answers {
		if a == NoAnswer {
			return Result{}, &AnswerError{Instrument: in.Code, Item: i + 1, Reason: AnswerMissing}
		}
		if !in.isOption(a) {
			return Result{}, &AnswerError{Instrument: in.Code, Item: i + 1, Reason: AnswerOutOfRange}
		}
		it := in.Items[i]
		v := a
		if it.Reverse {
			v = lo + hi - a
		}
		res.Score += v
		if it.Subscale != "" {
			res.Subscales[it.Subscale] += v
		}
	}
	for _, b := range in.Bands {
		if res.Score >= b.Min {
			res.Band = b.Code
		}
	}
	res.ScoreTier = in.TierRuleFor(age).tier(res.Score, in.lowerWorse())
	for _, s := range in.Subscales {
		if s.CutOff == 0 {
			continue
		}
		v := res.Subscales[s.Code]
		if (in.lowerWorse() && v <= s.CutOff) || (!in.lowerWorse() && v >= s.CutOff) {
			res.Positive = append(res.Positive, s.Code)
		}
	}
	if len(res.Positive) > 0 {
		res.ScoreTier = max(res.ScoreTier, Yellow)
	}
	for i, it := range in.Items {
		for _, c := range in.Critical {
			if c.Item == it.ID && answers[i] >= c.Min {
				res.Critical = append(res.Critical, it.ID)
			}
		}
	}
	res.Tier = res.ScoreTier
	if len(res.Critical) > 0 {
		res.Tier = Red
	}
	return res, nil
}

// TierRuleFor returns the tier rule for a respondent's age: the age band
// containing it, else the nearest one (ties to the younger band).
func (in *Instrument) TierRuleFor(age int) TierRule {
	// Clamp first so that the distances below cannot overflow.
	age = min(max(age, -1), maxAge+1)
	best, bestDist := TierRule{}, -1
	for _, r := range in.Tiers {
		d := 0
		switch {
		case age < r.MinAge:
			d = r.MinAge - age
		case age > r.MaxAge:
			d = age - r.MaxAge
		}
		if bestDist < 0 || d < bestDist || (d == bestDist && r.MinAge < best.MinAge) {
			best, bestDist = r, d
		}
	}
	return best
}

// tier applies the thresholds to a total score.
func (r TierRule) tier(score int, lowerWorse bool) Tier {
	worse := func(threshold int) bool {
		if lowerWorse {
			return score <= threshold
		}
		return score >= threshold
	}
	switch {
	case worse(r.Red):
		return Red
	case worse(r.Orange):
		return Orange
	case worse(r.Yellow):
		return Yellow
	}
	return Green
}

package screening

import (
	"errors"
	"maps"
	"slices"
	"testing"
)

func builtinInstrument(t testing.TB, code string) *Instrument {
	t.Helper()
	r, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	in, ok := r.Get(code)
	if !ok {
		t.Fatalf("no builtin instrument %q", code)
	}
	return in
}

// scoreCase is one hand-scored answer vector. The comment on each case
// shows the sum worked out by hand, so a reviewer can check it without
// running the code.
type scoreCase struct {
	name      string
	answers   []int
	age       int
	score     int
	band      string
	scoreTier Tier
	tier      Tier
	critical  []string
	subscales map[string]int
	positive  []string
}

func runScoreCases(t *testing.T, code string, cases []scoreCase) {
	t.Helper()
	in := builtinInstrument(t, code)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, err := in.Score(c.answers, c.age)
			if err != nil {
				t.Fatal(err)
			}
			if r.Instrument != code || r.Score != c.score || r.Band != c.band || r.ScoreTier != c.scoreTier || r.Tier != c.tier {
				t.Errorf("got %s score %d band %s score tier %v tier %v; want score %d band %s score tier %v tier %v",
					r.Instrument, r.Score, r.Band, r.ScoreTier, r.Tier, c.score, c.band, c.scoreTier, c.tier)
			}
			if !slices.Equal(r.Critical, c.critical) {
				t.Errorf("critical = %v, want %v", r.Critical, c.critical)
			}
			if c.subscales != nil && !maps.Equal(r.Subscales, c.subscales) {
				t.Errorf("subscales = %v, want %v", r.Subscales, c.subscales)
			}
			if !slices.Equal(r.Positive, c.positive) {
				t.Errorf("positive = %v, want %v", r.Positive, c.positive)
			}
		})
	}
}

func TestScorePHQ9(t *testing.T) {
	t.Parallel()
	runScoreCases(t, "phq9", []scoreCase{
		{"no answers above zero is green", []int{0, 0, 0, 0, 0, 0, 0, 0, 0}, 15, 0, "minimal", Green, Green, nil, nil, nil},
		{"4 is one below mild and stays green", []int{1, 1, 1, 1, 0, 0, 0, 0, 0}, 15, 4, "minimal", Green, Green, nil, nil, nil},
		{"5 is mild and yellow", []int{1, 1, 1, 1, 1, 0, 0, 0, 0}, 15, 5, "mild", Yellow, Yellow, nil, nil, nil},
		{"9 is still mild and yellow", []int{2, 2, 2, 1, 1, 1, 0, 0, 0}, 15, 9, "mild", Yellow, Yellow, nil, nil, nil},
		{"10 is moderate and orange", []int{2, 2, 2, 2, 2, 0, 0, 0, 0}, 15, 10, "moderate", Orange, Orange, nil, nil, nil},
		{"14 is still orange for a 15-year-old", []int{3, 3, 3, 3, 2, 0, 0, 0, 0}, 15, 14, "moderate", Orange, Orange, nil, nil, nil},
		{"15 is red for a 15-year-old (adolescent cut-off)", []int{3, 3, 3, 3, 3, 0, 0, 0, 0}, 15, 15, "moderately_severe", Red, Red, nil, nil, nil},
		{"15 is only orange for an adult (red from 20)", []int{3, 3, 3, 3, 3, 0, 0, 0, 0}, 30, 15, "moderately_severe", Orange, Orange, nil, nil, nil},
		{"19 is orange for an adult", []int{3, 3, 3, 3, 3, 3, 1, 0, 0}, 30, 19, "moderately_severe", Orange, Orange, nil, nil, nil},
		{"20 is severe and red for an adult", []int{3, 3, 3, 3, 3, 3, 2, 0, 0}, 30, 20, "severe", Red, Red, nil, nil, nil},
		{"an 18-year-old pupil gets the adult band", []int{3, 3, 3, 3, 3, 0, 0, 0, 0}, 18, 15, "moderately_severe", Orange, Orange, nil, nil, nil},
		{"an 11-year-old gets the nearest band, the adolescent one", []int{3, 3, 3, 3, 3, 0, 0, 0, 0}, 11, 15, "moderately_severe", Red, Red, nil, nil, nil},
		// 0×8 + 1 = 1: the lowest possible critical answer on its own.
		{"item 9 at several days is critical and red whatever the total", []int{0, 0, 0, 0, 0, 0, 0, 0, 1}, 15, 1, "minimal", Green, Red, []string{"9"}, nil, nil},
		{"item 9 at nearly every day with a mild total is red", []int{1, 1, 0, 0, 0, 0, 0, 0, 3}, 30, 5, "mild", Yellow, Red, []string{"9"}, nil, nil},
		{"every answer at the top scores 27", []int{3, 3, 3, 3, 3, 3, 3, 3, 3}, 15, 27, "severe", Red, Red, []string{"9"}, nil, nil},
	})
}

func TestScorePHQA(t *testing.T) {
	t.Parallel()
	runScoreCases(t, "phqa", []scoreCase{
		{"all zero is green", []int{0, 0, 0, 0, 0, 0, 0, 0, 0}, 13, 0, "minimal", Green, Green, nil, nil, nil},
		{"4 is green", []int{0, 0, 0, 0, 1, 1, 1, 1, 0}, 13, 4, "minimal", Green, Green, nil, nil, nil},
		{"5 is yellow", []int{1, 0, 0, 0, 1, 1, 1, 1, 0}, 13, 5, "mild", Yellow, Yellow, nil, nil, nil},
		{"9 is yellow", []int{2, 2, 1, 1, 1, 1, 1, 0, 0}, 13, 9, "mild", Yellow, Yellow, nil, nil, nil},
		{"10 is orange", []int{2, 2, 2, 1, 1, 1, 1, 0, 0}, 13, 10, "moderate", Orange, Orange, nil, nil, nil},
		{"14 is orange", []int{2, 2, 2, 2, 2, 2, 2, 0, 0}, 13, 14, "moderate", Orange, Orange, nil, nil, nil},
		{"15 is red", []int{3, 2, 2, 2, 2, 2, 2, 0, 0}, 13, 15, "moderately_severe", Red, Red, nil, nil, nil},
		{"20 is severe", []int{3, 3, 3, 3, 3, 3, 2, 0, 0}, 17, 20, "severe", Red, Red, nil, nil, nil},
		{"item 9 above zero is critical", []int{0, 0, 0, 0, 0, 0, 0, 0, 2}, 13, 2, "minimal", Green, Red, []string{"9"}, nil, nil},
	})
}

func TestScoreGAD7(t *testing.T) {
	t.Parallel()
	runScoreCases(t, "gad7", []scoreCase{
		{"all zero is green", []int{0, 0, 0, 0, 0, 0, 0}, 14, 0, "minimal", Green, Green, nil, nil, nil},
		{"4 is green", []int{1, 1, 1, 1, 0, 0, 0}, 14, 4, "minimal", Green, Green, nil, nil, nil},
		{"5 is mild and yellow", []int{1, 1, 1, 1, 1, 0, 0}, 14, 5, "mild", Yellow, Yellow, nil, nil, nil},
		{"10 is moderate but only yellow for a 14-year-old (orange from 11)", []int{2, 2, 2, 2, 2, 0, 0}, 14, 10, "moderate", Yellow, Yellow, nil, nil, nil},
		{"10 is orange for an adult", []int{2, 2, 2, 2, 2, 0, 0}, 30, 10, "moderate", Orange, Orange, nil, nil, nil},
		{"11 is orange for a 14-year-old", []int{2, 2, 2, 2, 2, 1, 0}, 14, 11, "moderate", Orange, Orange, nil, nil, nil},
		{"15 is severe, orange for a 14-year-old", []int{3, 3, 3, 3, 2, 1, 0}, 14, 15, "severe", Orange, Orange, nil, nil, nil},
		{"15 is red for an adult", []int{3, 3, 3, 3, 2, 1, 0}, 30, 15, "severe", Red, Red, nil, nil, nil},
		{"16 is still orange for a 14-year-old", []int{3, 3, 3, 3, 3, 1, 0}, 14, 16, "severe", Orange, Orange, nil, nil, nil},
		{"17 is red for a 14-year-old", []int{3, 3, 3, 3, 3, 2, 0}, 14, 17, "severe", Red, Red, nil, nil, nil},
		{"21 is the maximum", []int{3, 3, 3, 3, 3, 3, 3}, 14, 21, "severe", Red, Red, nil, nil, nil},
	})
}

func TestScoreCESDC(t *testing.T) {
	t.Parallel()
	// Items 4, 8, 12 and 16 (indexes 3, 7, 11, 15) are reverse-scored:
	// answer a scores 3−a.
	runScoreCases(t, "cesdc", []scoreCase{
		// 16 forward items × 0 + 4 reversed items × (3−3) = 0.
		{"no symptoms and happy a lot scores 0", []int{0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 0}, 10, 0, "low", Green, Green, nil, nil, nil},
		// 16 × 0 + 4 × (3−0) = 12: "not at all happy" counts against the child.
		{"no symptoms but never happy scores 12 from the reversed items", make([]int, 20), 10, 12, "low", Green, Green, nil, nil, nil},
		// forward 1,2,3,5,6,7 = 2 each = 12, item 20 = 2 → 14; reversed items answered 3 → 0. Total 14.
		{"14 is one below the cut-off", []int{2, 2, 2, 3, 2, 2, 2, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 2}, 10, 14, "low", Green, Green, nil, nil, nil},
		// forward 1,2,3,5,6 = 2 each = 10, item 20 = 1 → 11; reversed items answered 2 → 1 each = 4. Total 15.
		{"15 is the cut-off and yellow", []int{2, 2, 2, 2, 2, 2, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1}, 10, 15, "elevated", Yellow, Yellow, nil, nil, nil},
		// all 1: 16 forward × 1 + 4 reversed × (3−1) = 16 + 8 = 24.
		{"24 from answering a little everywhere is yellow", []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 10, 24, "elevated", Yellow, Yellow, nil, nil, nil},
		// as above with item 1 at 2: 25.
		{"25 is orange", []int{2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 10, 25, "elevated", Orange, Orange, nil, nil, nil},
		// all 2 except items 1 and 2 at 1: forward 14 × 2 + 2 × 1 = 30, reversed 4 × (3−2) = 4. Total 34.
		{"34 is orange", []int{1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 10, 34, "elevated", Orange, Orange, nil, nil, nil},
		// item 2 back at 2: 35.
		{"35 is red", []int{1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 10, 35, "elevated", Red, Red, nil, nil, nil},
		// 16 × 3 + 4 × (3−0) = 60, the maximum.
		{"every symptom a lot and never happy is the maximum 60", []int{3, 3, 3, 0, 3, 3, 3, 0, 3, 3, 3, 0, 3, 3, 3, 0, 3, 3, 3, 3}, 10, 60, "elevated", Red, Red, nil, nil, nil},
	})
}

func TestScoreWHO5(t *testing.T) {
	t.Parallel()
	// Lower is worse: a score at or below a threshold takes its tier.
	runScoreCases(t, "who5", []scoreCase{
		{"all of the time scores 25 and is green", []int{5, 5, 5, 5, 5}, 14, 25, "adequate", Green, Green, nil, nil, nil},
		{"13 is green (poor wellbeing is below 13)", []int{3, 3, 3, 2, 2}, 14, 13, "adequate", Green, Green, nil, nil, nil},
		{"12 is poor wellbeing and yellow", []int{3, 3, 2, 2, 2}, 14, 12, "low", Yellow, Yellow, nil, nil, nil},
		{"8 is yellow", []int{2, 2, 2, 1, 1}, 14, 8, "low", Yellow, Yellow, nil, nil, nil},
		{"7 suggests depression and is orange", []int{2, 2, 1, 1, 1}, 14, 7, "very_low", Orange, Orange, nil, nil, nil},
		{"0 is orange, never red on wellbeing alone", []int{0, 0, 0, 0, 0}, 14, 0, "very_low", Orange, Orange, nil, nil, nil},
	})
}

func TestScorePSC17(t *testing.T) {
	t.Parallel()
	// Item positions by subscale (1-based):
	//   attention      1, 3, 7, 13, 17
	//   internalising  2, 6, 9, 11, 15
	//   externalising  4, 5, 8, 10, 12, 14, 16
	sub := func(i, a, e int) map[string]int {
		return map[string]int{"internalising": i, "attention": a, "externalising": e}
	}
	runScoreCases(t, "psc17", []scoreCase{
		{"never on every item is green", make([]int, 17), 8, 0, "below_cut_off", Green, Green, nil, sub(0, 0, 0), nil},
		// internalising: 2+1+1+0+0 = 4.
		{"internalising 4 is below its cut-off", []int{0, 2, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 8, 4, "below_cut_off", Green, Green, nil, sub(4, 0, 0), nil},
		// internalising: 2+1+1+1+0 = 5.
		{"internalising 5 is positive and lifts a low total to yellow", []int{0, 2, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0}, 8, 5, "below_cut_off", Yellow, Yellow, nil, sub(5, 0, 0), []string{"internalising"}},
		// attention: 2+2+2+0+0 = 6.
		{"attention 6 is below its cut-off", []int{2, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 8, 6, "below_cut_off", Green, Green, nil, sub(0, 6, 0), nil},
		// attention: 2+2+2+1+0 = 7.
		{"attention 7 is positive", []int{2, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 8, 7, "below_cut_off", Yellow, Yellow, nil, sub(0, 7, 0), []string{"attention"}},
		// externalising: 1×7 = 7.
		{"externalising 7 is positive", []int{0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}, 8, 7, "below_cut_off", Yellow, Yellow, nil, sub(0, 0, 7), []string{"externalising"}},
		// I = 1+1+1+1 (2,6,9,11) = 4; A = 2+2+2 (1,3,7) = 6; E = 1+1+1+1 (4,5,8,10) = 4. Total 14.
		{"a total of 14 with no positive subscale is green", []int{2, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, 8, 14, "below_cut_off", Green, Green, nil, sub(4, 6, 4), nil},
		// as above plus item 12 (E) = 1: 15.
		{"a total of 15 is positive and yellow without any subscale", []int{2, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}, 8, 15, "positive", Yellow, Yellow, nil, sub(4, 6, 5), nil},
		// all 1: I 5, A 5, E 7 = 17; then items 1, 3, 7 (A) and 2, 6 (I) at 2: +5 = 22.
		{"22 is orange", []int{2, 2, 2, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 8, 22, "positive", Orange, Orange, nil, sub(7, 8, 7), []string{"internalising", "attention", "externalising"}},
		{"the maximum 34 is orange, never red from a parent checklist", []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 8, 34, "positive", Orange, Orange, nil, sub(10, 10, 14), []string{"internalising", "attention", "externalising"}},
	})
}

func TestScoreAnswerErrors(t *testing.T) {
	t.Parallel()
	phq := builtinInstrument(t, "phq9")
	ok := []int{0, 1, 2, 3, 0, 1, 2, 3, 0}
	with := func(i, v int) []int { a := slices.Clone(ok); a[i] = v; return a }
	cases := []struct {
		name    string
		answers []int
		item    int
		reason  string
	}{
		{"no answers at all are too few, from item 1", nil, 1, AnswerTooFew},
		{"eight answers are too few, from item 9", ok[:8], 9, AnswerTooFew},
		{"ten answers are too many, from item 10", append(slices.Clone(ok), 0), 10, AnswerTooMany},
		{"a skipped item 4 is missing", with(3, NoAnswer), 4, AnswerMissing},
		{"4 on a 0–3 scale is out of range", with(0, 4), 1, AnswerOutOfRange},
		{"-2 is out of range, not missing", with(8, -2), 9, AnswerOutOfRange},
		{"the first bad answer is the one reported", []int{0, NoAnswer, 7, 0, 0, 0, 0, 0, 0}, 2, AnswerMissing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := phq.Score(c.answers, 15)
			var ae *AnswerError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *AnswerError", err)
			}
			if *ae != (AnswerError{Instrument: "phq9", Item: c.item, Reason: c.reason}) {
				t.Errorf("got %+v, want item %d %s", *ae, c.item, c.reason)
			}
		})
	}
	t.Run("a value between two options is out of range", func(t *testing.T) {
		t.Parallel()
		in, err := Load(mutate(t, func(m map[string]any) {
			for i, v := range []int{0, 2, 4, 6} {
				at(m, "options", i)["value"] = v
			}
			at(m, "subscales", 0)["cut_off"] = 8
			for i, v := range []int{3, 6, 9} {
				at(m, "tiers", 0)[[]string{"yellow", "orange", "red"}[i]] = v
			}
			at(m, "bands", 1)["min"] = 12
			at(m, "critical", 0)["min"] = 4
		}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = in.Score([]int{0, 2, 3, 6}, 12)
		var ae *AnswerError
		if !errors.As(err, &ae) || ae.Item != 3 || ae.Reason != AnswerOutOfRange {
			t.Errorf("got %v, want item 3 out of range", err)
		}
	})
	t.Run("the message names instrument, item and reason", func(t *testing.T) {
		_, err := phq.Score(with(3, NoAnswer), 15)
		if got, want := err.Error(), "screening: phq9 item 4: missing"; got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	})
}

func TestTierRuleForPicksTheNearestBand(t *testing.T) {
	t.Parallel()
	in := &Instrument{Tiers: []TierRule{
		{MinAge: 8, MaxAge: 10, Yellow: 1},
		{MinAge: 14, MaxAge: 17, Yellow: 2},
		{MinAge: 18, MaxAge: 120, Yellow: 3},
	}}
	cases := []struct {
		name string
		age  int
		want int
	}{
		{"an age inside a band gets that band", 9, 1},
		{"an age below every band gets the youngest", 3, 1},
		{"an age nearer the older band gets it", 13, 2},
		{"a tie goes to the younger band", 12, 1},
		{"a negative age does not overflow", -1 << 62, 1},
		{"a huge age does not overflow", 1 << 62, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := in.TierRuleFor(c.age).Yellow; got != c.want {
				t.Errorf("age %d got band %d, want %d", c.age, got, c.want)
			}
		})
	}
}

func TestTierNames(t *testing.T) {
	t.Parallel()
	for tier, name := range map[Tier]string{Green: "green", Yellow: "yellow", Orange: "orange", Red: "red"} {
		t.Run(name+" round-trips through its name", func(t *testing.T) {
			if tier.String() != name {
				t.Errorf("String = %q", tier.String())
			}
			got, err := ParseTier(name)
			if err != nil || got != tier {
				t.Errorf("ParseTier(%q) = %v, %v", name, got, err)
			}
			b, err := tier.MarshalText()
			if err != nil || string(b) != name {
				t.Errorf("MarshalText = %q, %v", b, err)
			}
		})
	}
	t.Run("an unknown name is an error", func(t *testing.T) {
		if _, err := ParseTier("purple"); err == nil {
			t.Error("ParseTier accepted purple")
		}
	})
	t.Run("an out-of-range tier does not marshal", func(t *testing.T) {
		if _, err := Tier(7).MarshalText(); err == nil || Tier(7).String() != "Tier(7)" {
			t.Error("Tier(7) marshalled")
		}
	})
}

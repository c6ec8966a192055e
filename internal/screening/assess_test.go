package screening

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAssess(t *testing.T) {
	t.Parallel()
	phqa := builtinInstrument(t, "phqa")
	gad := builtinInstrument(t, "gad7")
	who := builtinInstrument(t, "who5")
	const age = 14
	cases := []struct {
		name     string
		ins      []*Instrument
		answers  [][]int
		duration time.Duration
		tier     Tier
		critical bool
		reasons  []Reason
		flags    []Flag
	}{
		{
			"all green stays green with no reasons",
			[]*Instrument{phqa, gad}, [][]int{{0, 0, 1, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0}}, time.Minute,
			Green, false, []Reason{}, nil,
		},
		{
			"a critical answer forces red over a green total",
			[]*Instrument{phqa, gad}, [][]int{{0, 0, 0, 0, 0, 0, 0, 0, 1}, {1, 1, 1, 1, 1, 0, 0}}, time.Minute,
			Red, true,
			[]Reason{{ReasonCritical, "phqa", "9", Red}, {ReasonTier, "gad7", "", Yellow}}, nil,
		},
		{
			"the worst tier wins and is explained first",
			[]*Instrument{gad, phqa}, [][]int{{1, 1, 1, 1, 1, 0, 0}, {2, 2, 2, 1, 1, 1, 1, 0, 0}}, time.Minute,
			Orange, false,
			[]Reason{{ReasonTier, "phqa", "", Orange}, {ReasonTier, "gad7", "", Yellow}}, nil,
		},
		{
			"a lower_worse instrument contributes its tier",
			[]*Instrument{phqa, who}, [][]int{{0, 0, 0, 0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1}}, time.Minute,
			Orange, false, []Reason{{ReasonTier, "who5", "", Orange}}, nil,
		},
		{
			"a too-fast submission is still scored and tiered, with its flag",
			[]*Instrument{phqa}, [][]int{{3, 3, 3, 3, 3, 0, 0, 0, 0}}, 2 * time.Second,
			Red, false, []Reason{{ReasonTier, "phqa", "", Red}}, []Flag{FlagTooFast},
		},
		{
			"a straight-lined crisis is still red and critical, with its flag",
			[]*Instrument{phqa}, [][]int{{3, 3, 3, 3, 3, 3, 3, 3, 3}}, time.Minute,
			Red, true, []Reason{{ReasonCritical, "phqa", "9", Red}, {ReasonTier, "phqa", "", Red}}, []Flag{FlagStraightLine},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a, err := Assess(c.ins, c.answers, age, c.duration)
			if err != nil {
				t.Fatal(err)
			}
			if a.Tier != c.tier || a.Critical != c.critical {
				t.Errorf("tier %v critical %v, want %v %v", a.Tier, a.Critical, c.tier, c.critical)
			}
			if len(a.Results) != len(c.ins) {
				t.Errorf("%d results for %d instruments", len(a.Results), len(c.ins))
			}
			if !slices.Equal(a.Reasons, c.reasons) {
				t.Errorf("reasons = %+v, want %+v", a.Reasons, c.reasons)
			}
			if !slices.Equal(a.Flags, c.flags) {
				t.Errorf("flags = %v, want %v", a.Flags, c.flags)
			}
		})
	}
}

func TestAssessErrors(t *testing.T) {
	t.Parallel()
	phqa := builtinInstrument(t, "phqa")
	gad := builtinInstrument(t, "gad7")
	ok := []int{0, 0, 0, 0, 0, 0, 0, 0, 0}
	t.Run("a bad answer in the second instrument is an AnswerError naming it", func(t *testing.T) {
		_, err := Assess([]*Instrument{phqa, gad}, [][]int{ok, {0, 0, 5, 0, 0, 0, 0}}, 14, time.Minute)
		var ae *AnswerError
		if !errors.As(err, &ae) || *ae != (AnswerError{"gad7", 3, AnswerOutOfRange}) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a missing answer vector is too few from item 1", func(t *testing.T) {
		_, err := Assess([]*Instrument{phqa, gad}, [][]int{ok}, 14, time.Minute)
		var ae *AnswerError
		if !errors.As(err, &ae) || *ae != (AnswerError{"gad7", 1, AnswerTooFew}) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("more answer vectors than instruments is a programming error", func(t *testing.T) {
		_, err := Assess([]*Instrument{phqa}, [][]int{ok, ok}, 14, time.Minute)
		var ae *AnswerError
		if err == nil || errors.As(err, &ae) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("no instruments is an error", func(t *testing.T) {
		if _, err := Assess(nil, nil, 14, time.Minute); err == nil {
			t.Error("no error")
		}
	})
	t.Run("a nil instrument is an error, not a panic", func(t *testing.T) {
		if _, err := Assess([]*Instrument{nil}, [][]int{ok}, 14, time.Minute); err == nil {
			t.Error("no error")
		}
	})
}

func TestAssessmentJSONNamesTiers(t *testing.T) {
	t.Parallel()
	phqa := builtinInstrument(t, "phqa")
	a, err := Assess([]*Instrument{phqa}, [][]int{{0, 0, 0, 0, 0, 0, 0, 0, 1}}, 14, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"tier":"red"`, `"score_tier":"green"`, `"critical":true`, `"critical":["9"]`, `{"code":"critical_item","instrument":"phqa","item":"9","tier":"red"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	var back Assessment
	if err := json.Unmarshal(b, &back); err != nil || back.Tier != Red || back.Results[0].ScoreTier != Green {
		t.Errorf("decoding back: %v %+v", err, back)
	}
}

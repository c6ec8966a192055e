package screening

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"
)

// FuzzLoad: no input makes Load panic, and whatever Load accepts can score
// a valid answer vector at any age, survives a JSON round trip unchanged,
// and goes through validity checks and Assess.
func FuzzLoad(f *testing.F) {
	// Seeds are the shipped instruments with every text shortened: the
	// structure is what matters, and the fuzzer minimises each new input,
	// which on 5 KB files would take the whole run.
	for _, in := range Builtin() {
		f.Add(skeleton(f, in))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(baseJSON)); err != nil {
		f.Fatal(err)
	}
	f.Add(compact.Bytes())
	f.Add([]byte(`{"code": "x", "code": "y"}`))
	f.Add([]byte(`{"items": [{"id": "1", "text": {"zh-CN": null}}]}`))
	f.Add([]byte(`[1, 2, {"a": "b"}]`))
	f.Fuzz(checkLoad)
}

func checkLoad(t *testing.T, data []byte) {
	{
		in, err := Load(data)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T) is not a *LoadError", err, err)
			}
			return
		}
		lo, hi := in.Range()
		answers := make([]int, len(in.Items))
		for i := range answers {
			answers[i] = in.Options[i%len(in.Options)].Value
		}
		for _, age := range []int{-1, 0, in.MinAge, in.MaxAge, 15, 200} {
			r, err := in.Score(answers, age)
			if err != nil {
				t.Fatalf("a valid answer vector at age %d: %v", age, err)
			}
			if r.Score < lo || r.Score > hi || r.Band == "" || r.Tier < Green || r.Tier > Red {
				t.Fatalf("result %+v outside %d–%d", r, lo, hi)
			}
		}
		a, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Load(a)
		if err != nil {
			t.Fatalf("re-loading an accepted instrument: %v\n%s", err, a)
		}
		if b, _ := json.Marshal(again); !bytes.Equal(a, b) {
			t.Fatalf("round trip changed the instrument:\n%s\n%s", a, b)
		}
		CheckValidity([]*Instrument{in}, [][]int{answers}, time.Second)
		if _, err := Assess([]*Instrument{in}, [][]int{answers}, 12, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzScore: an arbitrary answer vector against a shipped instrument is
// either an AnswerError naming a real position or a result inside the
// instrument's range, with subscales inside theirs and critical items that
// really were answered at their minimum.
func FuzzScore(f *testing.F) {
	f.Add(uint8(0), []byte{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}, 10)
	f.Add(uint8(2), []byte{3, 3, 3, 3, 3, 3, 3, 3, 1}, 15)
	f.Add(uint8(4), []byte{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 8)
	f.Add(uint8(5), []byte{0xff, 0, 0, 0, 0}, -3)
	f.Add(uint8(1), []byte{}, 1<<40)
	all := Builtin()
	f.Fuzz(func(t *testing.T, pick uint8, raw []byte, age int) {
		in := all[int(pick)%len(all)]
		answers := make([]int, len(raw))
		for i, b := range raw {
			answers[i] = int(int8(b)) // small values, negatives and NoAnswer all occur
		}
		r, err := in.Score(answers, age)
		if err != nil {
			var ae *AnswerError
			if !errors.As(err, &ae) || ae.Instrument != in.Code || ae.Item < 1 || ae.Item > max(len(answers), len(in.Items))+1 {
				t.Fatalf("bad error %v", err)
			}
			switch ae.Reason {
			case AnswerMissing, AnswerOutOfRange:
				if a := answers[ae.Item-1]; in.isOption(a) {
					t.Fatalf("%v for a valid answer %d", err, a)
				}
			case AnswerTooFew, AnswerTooMany:
				if len(answers) == len(in.Items) {
					t.Fatalf("%v for a vector of the right length", err)
				}
			default:
				t.Fatalf("unknown reason %q", ae.Reason)
			}
			return
		}
		if lo, hi := in.Range(); r.Score < lo || r.Score > hi {
			t.Fatalf("score %d outside %d–%d", r.Score, lo, hi)
		}
		sum := 0
		for _, v := range r.Subscales {
			sum += v
		}
		if len(in.Subscales) > 0 && sum > r.Score {
			t.Fatalf("subscales %v add up to more than the total %d", r.Subscales, r.Score)
		}
		for _, id := range r.Critical {
			i := in.itemIndex(id)
			ok := slices.ContainsFunc(in.Critical, func(c Critical) bool { return c.Item == id && answers[i] >= c.Min })
			if !ok {
				t.Fatalf("item %s reported critical for answer %d", id, answers[i])
			}
		}
		if len(r.Critical) > 0 && r.Tier != Red {
			t.Fatalf("critical answer with tier %v", r.Tier)
		}
		if r.Tier < r.ScoreTier {
			t.Fatalf("tier %v below score tier %v", r.Tier, r.ScoreTier)
		}
	})
}

// skeleton is in as JSON with one short zh-CN string for every text.
func skeleton(tb testing.TB, in *Instrument) []byte {
	tb.Helper()
	b, _ := json.Marshal(in)
	var c Instrument
	if err := json.Unmarshal(b, &c); err != nil {
		tb.Fatal(err)
	}
	x := Text{DefaultLang: "x"}
	c.Name, c.Instructions, c.Notes, c.Source = x, x, nil, "s"
	for i := range c.Options {
		c.Options[i].Label = x
	}
	for i := range c.Items {
		c.Items[i].Text = x
	}
	for i := range c.Subscales {
		c.Subscales[i].Name = x
	}
	for i := range c.Bands {
		c.Bands[i].Label = x
	}
	for i := range c.Tiers {
		c.Tiers[i].Source = ""
	}
	for i := range c.Critical {
		c.Critical[i].Reason = x
	}
	out, err := json.Marshal(&c)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// The fuzz seeds must be valid instruments, or the fuzzer starts from
// nothing but errors.
func TestFuzzSeedsLoad(t *testing.T) {
	t.Parallel()
	for _, in := range Builtin() {
		if _, err := Load(skeleton(t, in)); err != nil {
			t.Errorf("%s skeleton: %v", in.Code, err)
		}
	}
}

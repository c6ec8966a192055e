package screening

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// baseJSON is a small valid instrument the error cases below each break in
// one place.
const baseJSON = `{
  "code": "test",
  "name": {"zh-CN": "测试量表", "en": "Test scale"},
  "version": "1",
  "licence": "free",
  "source": "A test, 2026.",
  "respondent": "pupil",
  "min_age": 10,
  "max_age": 18,
  "instructions": {"zh-CN": "请作答。"},
  "options": [
    {"value": 0, "label": {"zh-CN": "没有"}},
    {"value": 1, "label": {"zh-CN": "有时"}},
    {"value": 2, "label": {"zh-CN": "经常"}},
    {"value": 3, "label": {"zh-CN": "总是"}}
  ],
  "items": [
    {"id": "1", "text": {"zh-CN": "一"}, "subscale": "a"},
    {"id": "2", "text": {"zh-CN": "二"}, "subscale": "a"},
    {"id": "3", "text": {"zh-CN": "三"}, "reverse": true},
    {"id": "4", "text": {"zh-CN": "四"}}
  ],
  "subscales": [{"code": "a", "name": {"zh-CN": "甲"}, "cut_off": 4}],
  "direction": "higher_worse",
  "bands": [
    {"min": 0, "code": "low", "label": {"zh-CN": "低"}},
    {"min": 6, "code": "high", "label": {"zh-CN": "高"}}
  ],
  "tiers": [
    {"min_age": 10, "max_age": 13, "yellow": 3, "orange": 6, "red": 9},
    {"min_age": 14, "max_age": 18, "yellow": 4, "orange": 7, "red": 13}
  ],
  "critical": [{"item": "4", "min": 2, "reason": {"zh-CN": "需要关注"}}]
}`

// mutate decodes baseJSON, lets f change it and encodes it again.
func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(baseJSON), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func at(m map[string]any, key string, i int) map[string]any {
	return m[key].([]any)[i].(map[string]any)
}

func TestLoadAcceptsTheBaseInstrument(t *testing.T) {
	in, err := Load([]byte(baseJSON))
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := in.Range(); lo != 0 || hi != 12 {
		t.Errorf("Range = %d, %d; want 0, 12", lo, hi)
	}
	if in.minSecondsPerItem() != DefaultMinSecondsPerItem {
		t.Errorf("MinSecondsPerItem default not applied")
	}
}

func TestLoadDefaultsTheDirection(t *testing.T) {
	in, err := Load(mutate(t, func(m map[string]any) { delete(m, "direction") }))
	if err != nil {
		t.Fatal(err)
	}
	if in.Direction != HigherWorse {
		t.Errorf("Direction = %q, want %q", in.Direction, HigherWorse)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	raw := func(s string) func(*testing.T) []byte { return func(*testing.T) []byte { return []byte(s) } }
	mut := func(f func(m map[string]any)) func(*testing.T) []byte {
		return func(t *testing.T) []byte { return mutate(t, f) }
	}
	cases := []struct {
		name   string
		data   func(*testing.T) []byte
		path   string
		reason string // a substring of Reason
	}{
		{"an unknown top-level field is rejected", mut(func(m map[string]any) { m["colour"] = "red" }), "colour", "unknown field"},
		{"an unknown field inside an item is rejected with its path", mut(func(m map[string]any) { at(m, "items", 1)["weight"] = 2 }), "items[1].weight", "unknown field"},
		{"a key in the wrong case is an unknown field", mut(func(m map[string]any) { at(m, "tiers", 0)["Red"] = 10 }), "tiers[0].Red", "unknown field"},
		{"an odd unknown key is quoted in the path", mut(func(m map[string]any) { m["a b"] = 1 }), `["a b"]`, "unknown field"},
		{"a duplicate key is rejected", raw(strings.Replace(baseJSON, `"version": "1",`, `"version": "1", "version": "2",`, 1)), "version", "duplicate key"},
		{"null is rejected", mut(func(m map[string]any) { m["name"] = nil }), "name", "null"},
		{"a string where a number belongs is rejected", mut(func(m map[string]any) { m["min_age"] = "12" }), "min_age", "must be a number"},
		{"a fraction where a whole number belongs is rejected", mut(func(m map[string]any) { at(m, "options", 1)["value"] = 0.5 }), "options[1].value", "whole number"},
		{"a syntax error names the field being read", raw(`{"code": "x", "name": {"zh-CN": }`), `name["zh-CN"]`, "invalid JSON"},
		{"a truncated document is rejected", raw(baseJSON[:strings.Index(baseJSON, "请作答")]), `instructions["zh-CN"]`, "end of document"},
		{"data after the instrument is rejected", raw(baseJSON + `{}`), "", "after the instrument"},
		{"an empty document is rejected", raw(""), "", "empty"},
		{"invalid UTF-8 is rejected", raw("{\"code\": \"\xff\"}"), "", "UTF-8"},
		{"huge input is rejected before parsing", raw(`{"notes": {"en": "` + strings.Repeat("x", MaxLoadBytes) + `"}}`), "", "1 MiB"},
		{"a bad code is rejected", mut(func(m map[string]any) { m["code"] = "PHQ-9" }), "code", "a–z"},
		{"a missing Chinese name is rejected", mut(func(m map[string]any) { m["name"] = map[string]any{"en": "Test"} }), "name", `"zh-CN" text is required`},
		{"an empty translation is rejected", mut(func(m map[string]any) { m["name"].(map[string]any)["en"] = " " }), `name["en"]`, "empty text"},
		{"a bad licence is rejected", mut(func(m map[string]any) { m["licence"] = "gpl" }), "licence", "must be"},
		{"a missing source is rejected", mut(func(m map[string]any) { m["source"] = "" }), "source", "required"},
		{"a bad respondent is rejected", mut(func(m map[string]any) { m["respondent"] = "teacher" }), "respondent", "must be"},
		{"max_age below min_age is rejected", mut(func(m map[string]any) { m["max_age"] = 9 }), "max_age", "between"},
		{"a single option is rejected", mut(func(m map[string]any) { m["options"] = m["options"].([]any)[:1] }), "options", "2 to"},
		{"option values not increasing are rejected", mut(func(m map[string]any) { at(m, "options", 2)["value"] = 1 }), "options[2].value", "not greater"},
		{"a negative option value is rejected", mut(func(m map[string]any) { at(m, "options", 0)["value"] = -1 }), "options[0].value", "between 0"},
		{"empty items are rejected", mut(func(m map[string]any) { m["items"] = []any{} }), "items", "at least one"},
		{"a duplicate item id is rejected", mut(func(m map[string]any) { at(m, "items", 3)["id"] = "3" }), "items[3].id", `duplicate "3"`},
		{"an empty item id is rejected", mut(func(m map[string]any) { at(m, "items", 0)["id"] = "" }), "items[0].id", "must be"},
		{"an item without Chinese text is rejected", mut(func(m map[string]any) { at(m, "items", 2)["text"] = map[string]any{"en": "three"} }), "items[2].text", "zh-CN"},
		{"an item naming an unknown subscale is rejected", mut(func(m map[string]any) { at(m, "items", 0)["subscale"] = "b" }), "items[0].subscale", `no subscale "b"`},
		{"a subscale without items is rejected", mut(func(m map[string]any) {
			m["subscales"] = append(m["subscales"].([]any), map[string]any{"code": "b", "name": map[string]any{"zh-CN": "乙"}})
		}), "subscales[1]", "no item"},
		{"a subscale cut-off beyond its scores is rejected", mut(func(m map[string]any) { at(m, "subscales", 0)["cut_off"] = 7 }), "subscales[0].cut_off", "between 1 and 6"},
		{"a bad direction is rejected", mut(func(m map[string]any) { m["direction"] = "up" }), "direction", "must be"},
		{"no bands are rejected", mut(func(m map[string]any) { m["bands"] = []any{} }), "bands", "at least one"},
		{"bands must start at the lowest score", mut(func(m map[string]any) { at(m, "bands", 0)["min"] = 1 }), "bands[0].min", "lowest score"},
		{"band minimums must increase", mut(func(m map[string]any) { at(m, "bands", 1)["min"] = 0 }), "bands[1].min", "not greater"},
		{"a band above the highest score is rejected", mut(func(m map[string]any) { at(m, "bands", 1)["min"] = 13 }), "bands[1].min", "highest score"},
		{"duplicate band codes are rejected", mut(func(m map[string]any) { at(m, "bands", 1)["code"] = "low" }), "bands[1].code", "duplicate"},
		{"no tiers are rejected", mut(func(m map[string]any) { m["tiers"] = []any{} }), "tiers", "at least one"},
		{"overlapping age bands are rejected", mut(func(m map[string]any) { at(m, "tiers", 1)["min_age"] = 13 }), "tiers[1]", "overlap tiers[0]"},
		{"an age band ending before it starts is rejected", mut(func(m map[string]any) { at(m, "tiers", 0)["max_age"] = 9 }), "tiers[0].max_age", "between"},
		{"orange not above yellow is rejected", mut(func(m map[string]any) { at(m, "tiers", 0)["orange"] = 3 }), "tiers[0].orange", "above yellow"},
		{"red not above orange is rejected", mut(func(m map[string]any) { at(m, "tiers", 1)["red"] = 7 }), "tiers[1].red", "above orange"},
		{"red more than one past the highest score is rejected", mut(func(m map[string]any) { at(m, "tiers", 1)["red"] = 14 }), "tiers[1].red", "means never red"},
		{"yellow at the lowest score is rejected, since green must be reachable", mut(func(m map[string]any) { at(m, "tiers", 0)["yellow"] = 0 }), "tiers[0].yellow", "green is reachable"},
		{"higher_worse thresholds are rejected for a lower_worse instrument", mut(func(m map[string]any) {
			m["direction"] = LowerWorse
			delete(m, "subscales")
			for _, it := range m["items"].([]any) {
				delete(it.(map[string]any), "subscale")
			}
		}), "tiers[0].orange", "below yellow"},
		{"a critical rule on a missing item is rejected", mut(func(m map[string]any) { at(m, "critical", 0)["item"] = "10" }), "critical[0].item", `no item "10"`},
		{"a critical minimum at the lowest answer is rejected", mut(func(m map[string]any) { at(m, "critical", 0)["min"] = 0 }), "critical[0].min", "above the lowest answer"},
		{"a critical minimum above the scale is rejected", mut(func(m map[string]any) { at(m, "critical", 0)["min"] = 4 }), "critical[0].min", "at most 3"},
		{"a critical rule without a reason is rejected", mut(func(m map[string]any) { delete(at(m, "critical", 0), "reason") }), "critical[0].reason", "zh-CN"},
		{"a negative minimum time is rejected", mut(func(m map[string]any) { m["min_seconds_per_item"] = -1 }), "min_seconds_per_item", "between"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in, err := Load(c.data(t))
			if err == nil {
				t.Fatalf("Load succeeded (%s), want an error at %q", in.Code, c.path)
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T) is not a *LoadError", err, err)
			}
			if le.Path != c.path || !strings.Contains(le.Reason, c.reason) {
				t.Errorf("got %q / %q, want path %q and a reason containing %q", le.Path, le.Reason, c.path, c.reason)
			}
		})
	}
}

func TestLoadErrorMessageNamesThePath(t *testing.T) {
	_, err := Load(mutate(t, func(m map[string]any) { at(m, "items", 3)["id"] = "3" }))
	if got, want := err.Error(), `screening: items[3].id: duplicate "3"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLoadAcceptsAnInstrumentWhoseRedIsNever(t *testing.T) {
	in, err := Load(mutate(t, func(m map[string]any) { at(m, "tiers", 1)["red"] = 13 }))
	if err != nil {
		t.Fatal(err)
	}
	r, err := in.Score([]int{3, 3, 0, 3}, 15) // 3+3+(3-0)+3 = 12, the maximum
	if err != nil {
		t.Fatal(err)
	}
	if r.ScoreTier != Orange {
		t.Errorf("the maximum score got %v, want orange when red is never", r.ScoreTier)
	}
}

func TestValidateCatchesAnInstrumentBuiltInGo(t *testing.T) {
	in, err := Load([]byte(baseJSON))
	if err != nil {
		t.Fatal(err)
	}
	bad := *in
	bad.Items = append([]Item(nil), in.Items...)
	bad.Items[0].ID = "2"
	var le *LoadError
	if err := bad.Validate(); !errors.As(err, &le) || le.Path != "items[1].id" {
		t.Errorf("Validate = %v, want a duplicate at items[1].id", err)
	}
}

func TestLoadRoundTripsThroughJSON(t *testing.T) {
	for _, in := range Builtin() {
		t.Run(in.Code+" encodes and loads back to the same instrument", func(t *testing.T) {
			a, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Load(a)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(again)
			if !bytes.Equal(a, b) {
				t.Errorf("round trip changed the instrument:\n%s\n%s", a, b)
			}
		})
	}
}

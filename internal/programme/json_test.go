package programme

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const oneTarget = `{
  "code": "c-cert",
  "plan": "2026–2030",
  "clause": "§2",
  "title": {"zh-CN": "班主任持C证", "en": "C certificates"},
  "population": {"subject": "staff", "posts": ["class_teacher"], "school_types": ["primary"]},
  "condition": {"kind": "cert_at_least", "level": "C"},
  "threshold": {"percent": 100},
  "start": "2026-01-01",
  "deadline": "2030-12-31"
}`

func TestLoadTargets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		doc    string
		path   string // "" when the document must load
		reason string
	}{
		{"a valid document loads", "[" + oneTarget + "]", "", ""},
		{"an empty array loads", "[]", "", ""},
		{"an unknown field is refused with its path", "[" + strings.Replace(oneTarget, `"level"`, `"levl"`, 1) + "]", "[0].condition.levl", "unknown field"},
		{"a key in the wrong case is refused", "[" + strings.Replace(oneTarget, `"code"`, `"Code"`, 1) + "]", "[0].Code", "unknown field"},
		{"a duplicate key is refused", "[" + strings.Replace(oneTarget, `"plan": "2026–2030",`, `"plan": "a", "plan": "b",`, 1) + "]", "[0].plan", "duplicate key"},
		{"null is refused", "[" + strings.Replace(oneTarget, `"level": "C"`, `"level": null`, 1) + "]", "[0].condition.level", "null"},
		{"a string for a number is refused", "[" + strings.Replace(oneTarget, `"percent": 100`, `"percent": "100"`, 1) + "]", "[0].threshold.percent", "must be a number"},
		{"a fraction where a whole number belongs is refused", "[" + strings.Replace(oneTarget, `"percent": 100`, `"count": 2.5`, 1) + "]", "[0].threshold.count", "whole number"},
		{"a date in another format is refused", "[" + strings.Replace(oneTarget, `"2030-12-31"`, `"31/12/2030"`, 1) + "]", "[0].deadline", "YYYY-MM-DD"},
		{"a validation error carries the index", "[" + oneTarget + "," + strings.Replace(strings.Replace(oneTarget, `"c-cert"`, `"x"`, 1), `100`, `101`, 1) + "]", "[1].threshold.percent", "at most 100"},
		{"a code used twice is refused", "[" + oneTarget + "," + oneTarget + "]", "[1].code", "duplicate code"},
		{"an object instead of an array is refused", oneTarget, "", "must be an array"},
		{"trailing data is refused", "[]  []", "", "unexpected data"},
		{"an empty document is refused", "", "", "empty document"},
		{"a truncated document is refused", "[" + oneTarget[:40], "[0].plan", "unexpected end"},
		{"invalid UTF-8 is refused", "[\"\xff\"]", "", "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ts, err := LoadTargets([]byte(c.doc))
			if c.path == "" && c.reason == "" {
				if err != nil {
					t.Fatalf("LoadTargets: %v", err)
				}
				for _, tg := range ts {
					if err := tg.Validate(); err != nil {
						t.Errorf("loaded target does not validate: %v", err)
					}
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("LoadTargets = %v; want a *FieldError", err)
			}
			if fe.Path != c.path || !strings.Contains(fe.Reason, c.reason) {
				t.Errorf("LoadTargets = %v; want %q: …%s…", err, c.path, c.reason)
			}
		})
	}
}

func TestTargetJSONRoundTrip(t *testing.T) {
	t.Parallel()
	t.Run("the shipped targets survive marshal and load unchanged", func(t *testing.T) {
		all := append(Plan2021(), HomeSchoolQuotas()...)
		doc, err := MarshalTargets(all)
		if err != nil {
			t.Fatal(err)
		}
		back, err := LoadTargets(doc)
		if err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		if !reflect.DeepEqual(all, back) {
			t.Errorf("round trip changed the targets:\n%s", doc)
		}
		if !bytes.Contains(doc, []byte(`"deadline": "2025-12-31"`)) || bytes.Contains(doc, []byte(`"deadline": ""`)) {
			t.Errorf("dates are not written as YYYY-MM-DD, or an open end is written:\n%s", doc)
		}
	})
	t.Run("json.Unmarshal into a Target is strict and validates", func(t *testing.T) {
		var tg Target
		if err := json.Unmarshal([]byte(oneTarget), &tg); err != nil || tg.Code != "c-cert" {
			t.Fatalf("Unmarshal = %v, %+v", err, tg)
		}
		bad := strings.Replace(oneTarget, `"percent": 100`, `"percent": 0`, 1)
		if err := json.Unmarshal([]byte(bad), &tg); err == nil || !strings.Contains(err.Error(), "threshold.percent") {
			t.Errorf("Unmarshal of a 0 %% threshold = %v", err)
		}
		extra := strings.Replace(oneTarget, `"plan"`, `"owner": "me", "plan"`, 1)
		if err := json.Unmarshal([]byte(extra), &tg); err == nil || !strings.Contains(err.Error(), "owner: unknown field") {
			t.Errorf("Unmarshal with an unknown field = %v", err)
		}
	})
}

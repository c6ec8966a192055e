package programme

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzLoadTargets: no input makes LoadTargets panic; every error is a
// *FieldError; every target it accepts validates, survives a JSON round
// trip unchanged and can be evaluated.
func FuzzLoadTargets(f *testing.F) {
	// Seeds are the shipped targets one by one with short texts: the
	// structure is what matters, and the fuzzer minimises every new input,
	// which on a 5 KB document would take the whole run.
	for _, tg := range append(Plan2021(), HomeSchoolQuotas()...) {
		tg.Plan, tg.Clause, tg.Title = "p", "c", Text{DefaultLang: "x"}
		doc, err := json.Marshal([]Target{tg})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc)
	}
	f.Add([]byte("[" + oneTarget + "]"))
	f.Add([]byte(`[{"code": "x", "code": "y"}]`))
	f.Add([]byte(`[{"title": {"zh-CN": null}}]`))
	f.Add([]byte(`[1, "a", {"a": "b"}]`))
	facts := syntheticCity(100, 3)
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := LoadTargets(data)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FieldError", err, err)
			}
			return
		}
		for _, tg := range ts {
			if err := tg.Validate(); err != nil {
				t.Fatalf("loaded target %q does not validate: %v", tg.Code, err)
			}
		}
		doc, err := MarshalTargets(ts)
		if err != nil {
			t.Fatal(err)
		}
		again, err := LoadTargets(doc)
		if err != nil {
			t.Fatalf("re-loading accepted targets: %v\n%s", err, doc)
		}
		if doc2, _ := MarshalTargets(again); !bytes.Equal(doc, doc2) {
			t.Fatalf("round trip changed the targets:\n%s\n%s", doc, doc2)
		}
		r := EvaluateAll(ts, facts, day(2025, 5, 20))
		for _, tg := range ts {
			res := r.City[tg.Code]
			if res.Met > res.Population || res.Actual < 0 || res.Unit == UnitPercent && res.Actual > 100 {
				t.Fatalf("%s: impossible result %+v", tg.Code, res)
			}
		}
	})
}

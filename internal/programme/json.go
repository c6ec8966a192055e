package programme

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"

	"huhang/internal/model"
	"huhang/internal/strictjson"
)

// The JSON form of a target. Dates are "YYYY-MM-DD"; a recurring target
// without an end omits "deadline".
//
//	{
//	  "code": "c-cert-class-teachers",
//	  "plan": "2021–2025",
//	  "clause": "…",
//	  "title": {"zh-CN": "…", "en": "…"},
//	  "population": {"subject": "staff", "posts": ["class_teacher"], "school_types": ["primary"]},
//	  "condition": {"kind": "cert_at_least", "level": "C"},
//	  "threshold": {"percent": 100},
//	  "start": "2021-09-01",
//	  "deadline": "2025-12-31"
//	}
type targetJSON struct {
	Code       string         `json:"code"`
	Plan       string         `json:"plan"`
	Clause     string         `json:"clause"`
	Title      Text           `json:"title"`
	Population populationJSON `json:"population"`
	Condition  conditionJSON  `json:"condition"`
	Threshold  thresholdJSON  `json:"threshold"`
	Recurring  string         `json:"recurring,omitempty"`
	Start      string         `json:"start"`
	Deadline   string         `json:"deadline,omitempty"`
}

type populationJSON struct {
	Subject     string             `json:"subject"`
	Posts       []model.Post       `json:"posts,omitempty"`
	SchoolTypes []model.SchoolType `json:"school_types,omitempty"`
}

type conditionJSON struct {
	Kind          string   `json:"kind"`
	Level         string   `json:"level,omitempty"`
	Hours         float64  `json:"hours,omitempty"`
	ActivityTypes []string `json:"activity_types,omitempty"`
	Min           int      `json:"min,omitempty"`
}

type thresholdJSON struct {
	Percent float64 `json:"percent,omitempty"`
	Count   int     `json:"count,omitempty"`
}

// Limits on a document of targets.
const (
	// MaxLoadBytes bounds a document LoadTargets accepts.
	MaxLoadBytes = 1 << 20
	maxTargets   = 500
)

// LoadTargets parses and validates a JSON array of targets. The JSON must
// match the structure exactly: unknown or duplicate keys, keys in the wrong
// case, nulls, wrong types and fractions where whole numbers belong are all
// errors, because a mistyped field silently ignored would change which
// schools are told they are behind. Codes must be unique in the document.
// Every error is a *FieldError whose Path names the field, e.g.
// "[1].condition.levl: unknown field".
func LoadTargets(data []byte) ([]Target, error) {
	if len(data) > MaxLoadBytes {
		return nil, fieldErr("", "larger than %d bytes (1 MiB)", MaxLoadBytes)
	}
	if !utf8.Valid(data) {
		return nil, fieldErr("", "not valid UTF-8")
	}
	if err := checkShape(data, reflect.TypeFor[[]targetJSON]()); err != nil {
		return nil, err
	}
	var wire []targetJSON
	if err := json.Unmarshal(data, &wire); err != nil {
		return nil, fieldErr("", "%v", err) // checkShape has rejected all encoding/json would
	}
	if len(wire) > maxTargets {
		return nil, fieldErr("", "at most %d targets, have %d", maxTargets, len(wire))
	}
	out := make([]Target, len(wire))
	codes := make(map[string]int, len(wire))
	for i, w := range wire {
		prefix := "[" + strconv.Itoa(i) + "]"
		t, err := w.target()
		if err != nil {
			return nil, prefixed(prefix, err)
		}
		if j, dup := codes[t.Code]; dup {
			return nil, fieldErr(prefix+".code", "duplicate code %q (also [%d])", t.Code, j)
		}
		codes[t.Code] = i
		out[i] = t
	}
	return out, nil
}

// UnmarshalJSON decodes one target with the same strictness as LoadTargets
// and validates it, so that a target read from an API body or a database
// column is known to be good.
func (t *Target) UnmarshalJSON(data []byte) error {
	if err := checkShape(data, reflect.TypeFor[targetJSON]()); err != nil {
		return err
	}
	var w targetJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return fieldErr("", "%v", err)
	}
	got, err := w.target()
	if err != nil {
		return err
	}
	*t = got
	return nil
}

// MarshalJSON encodes a target in the form LoadTargets reads.
func (t Target) MarshalJSON() ([]byte, error) {
	w := targetJSON{
		Code: t.Code, Plan: t.Plan, Clause: t.Clause, Title: t.Title,
		Population: populationJSON(t.Population),
		Condition:  conditionJSON(t.Condition),
		Threshold:  thresholdJSON(t.Threshold),
		Recurring:  t.Recurring,
	}
	if !t.Start.IsZero() {
		w.Start = t.Start.Format(dateLayout)
	}
	if !t.Deadline.IsZero() {
		w.Deadline = t.Deadline.Format(dateLayout)
	}
	return json.Marshal(w)
}

// MarshalTargets encodes targets as a document LoadTargets reads back,
// indented for review.
func MarshalTargets(ts []Target) ([]byte, error) {
	if ts == nil {
		ts = []Target{}
	}
	return json.MarshalIndent(ts, "", "  ")
}

func (w targetJSON) target() (Target, error) {
	t := Target{
		Code: w.Code, Plan: w.Plan, Clause: w.Clause, Title: w.Title,
		Population: Population(w.Population),
		Condition:  Condition(w.Condition),
		Threshold:  Threshold(w.Threshold),
		Recurring:  w.Recurring,
	}
	var err error
	if t.Start, err = parseDate("start", w.Start); err != nil {
		return Target{}, err
	}
	if t.Deadline, err = parseDate("deadline", w.Deadline); err != nil {
		return Target{}, err
	}
	if err := t.Validate(); err != nil {
		return Target{}, err
	}
	return t, nil
}

// parseDate reads "YYYY-MM-DD"; "" is the zero time, which Validate judges.
func parseDate(path, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(dateLayout, s)
	if err != nil || d.Year() < 2000 || d.Year() > 2100 {
		return time.Time{}, fieldErr(path, "must be a date YYYY-MM-DD between 2000 and 2100, not %q", truncate(s))
	}
	return d, nil
}

func prefixed(prefix string, err error) error {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return fieldErr(prefix, "%v", err)
	}
	path := prefix
	if fe.Path != "" {
		if fe.Path[0] == '[' {
			path += fe.Path
		} else {
			path += "." + fe.Path
		}
	}
	return &FieldError{Path: path, Reason: fe.Reason}
}

// checkShape checks the document's shape against t before the real decode,
// naming the exact path of an unknown field, a duplicate key, a null or a
// wrong type (see strictjson).
func checkShape(data []byte, t reflect.Type) error {
	return strictjson.Check(data, t, "the document", func(path, format string, args ...any) error {
		return fieldErr(path, format, args...)
	})
}

func quote(s string) string { return strictjson.Quote(s) }

package screening

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Option is one answer on an instrument's scale.
type Option struct {
	Value int  `json:"value"`
	Label Text `json:"label"`
}

// Item is one question.
type Item struct {
	// ID names the item within its instrument ("1", "2", …); critical rules
	// and stored answers refer to it, so it must never change once used.
	ID   string `json:"id"`
	Text Text   `json:"text"`
	// Reverse items are positively worded ("I was happy"): they are scored
	// as (max+min − value) so that a higher score always means the same
	// thing.
	Reverse  bool   `json:"reverse,omitempty"`
	Subscale string `json:"subscale,omitempty"` // a Subscale code, or ""
}

// Subscale groups items whose sum is reported on its own (PSC-17's
// internalising, attention and externalising scores).
type Subscale struct {
	Code string `json:"code"`
	Name Text   `json:"name"`
	// CutOff is the published screening cut-off of the subscale; 0 means
	// none. A subscale at or beyond its cut-off (≥, or ≤ for a lower_worse
	// instrument) is positive and lifts the result to at least Yellow,
	// because instruments such as the PSC-17 count a positive subscale as a
	// positive screen even when the total is below its own cut-off.
	CutOff int `json:"cut_off,omitempty"`
}

// Band is one severity band of the total score: it applies to scores ≥ Min
// up to the next band's Min. Bands describe the score in the instrument's
// published terms ("moderate"); tiers, not bands, decide what happens next.
type Band struct {
	Min   int    `json:"min"`
	Code  string `json:"code"`
	Label Text   `json:"label"`
}

// TierRule holds the tier thresholds for one age band. Cut-offs for the same
// instrument differ between children, adolescents and adults, so each age
// band carries its own.
//
// For a "higher_worse" instrument a score ≥ Red is red, else ≥ Orange is
// orange, else ≥ Yellow is yellow. For "lower_worse" (WHO-5) the comparisons
// are ≤. Red may be set one step beyond the reachable scores (max+1, or
// min−1 for lower_worse) to mean that the score alone never makes red: a
// wellbeing index or a parent checklist without a risk item should not by
// itself trigger a 24-hour response.
type TierRule struct {
	MinAge int `json:"min_age"`
	MaxAge int `json:"max_age"`
	Yellow int `json:"yellow"`
	Orange int `json:"orange"`
	Red    int `json:"red"`
	// Source says where these thresholds come from, so that a reviewer can
	// check them and a bureau knows which ones are local choices.
	Source string `json:"source,omitempty"`
}

// Critical marks an answer that needs a person at once, whatever the total:
// the raw answer (before any reverse scoring) ≥ Min on Item.
type Critical struct {
	Item   string `json:"item"`
	Min    int    `json:"min"`
	Reason Text   `json:"reason"`
}

// Directions of an instrument's score.
const (
	HigherWorse = "higher_worse" // symptom scales: more is worse
	LowerWorse  = "lower_worse"  // wellbeing scales (WHO-5): less is worse
)

// Licences an instrument may be shipped or imported under.
const (
	LicenceFree         = "free"
	LicencePublicDomain = "public-domain"
	LicenceLicensed     = "licensed" // a bureau holds a licence; never shipped here
)

// Respondents: who fills the instrument in.
const (
	RespondentPupil  = "pupil"
	RespondentParent = "parent"
)

// Instrument is one screening questionnaire with its scoring rules. Loaded
// instruments are shared (see [Builtin], [Registry]) and must be treated as
// read-only.
type Instrument struct {
	Code string `json:"code"` // "phq9", "phqa", "gad7", "cesdc", "who5", "psc17"
	Name Text   `json:"name"`
	// Version is the version of this file, not of the published
	// instrument: bump it when wording or cut-offs change, so that a stored
	// result says which rules scored it.
	Version      string     `json:"version"`
	Licence      string     `json:"licence"`    // LicenceFree, LicencePublicDomain or LicenceLicensed
	Source       string     `json:"source"`     // citation of the published instrument
	Respondent   string     `json:"respondent"` // RespondentPupil or RespondentParent
	MinAge       int        `json:"min_age"`
	MaxAge       int        `json:"max_age"`
	Instructions Text       `json:"instructions"`
	Options      []Option   `json:"options"` // the same answer scale for every item, values increasing
	Items        []Item     `json:"items"`
	Subscales    []Subscale `json:"subscales,omitempty"`
	Direction    string     `json:"direction"` // HigherWorse (the default) or LowerWorse
	Bands        []Band     `json:"bands"`
	Tiers        []TierRule `json:"tiers"` // at least one; age bands must not overlap
	Critical     []Critical `json:"critical,omitempty"`
	// MinSecondsPerItem is the fastest plausible answering speed; 0 means
	// DefaultMinSecondsPerItem. See [CheckValidity].
	MinSecondsPerItem float64 `json:"min_seconds_per_item,omitempty"`
	// Notes tell reviewers what a reader of the JSON needs to know that
	// fits nowhere else: adaptations, omitted parts, local choices.
	Notes Text `json:"notes,omitempty"`
}

// DefaultMinSecondsPerItem is deliberately lenient: nobody reads a question
// and picks an answer in under a second, so a submission faster than that is
// near-certain evidence of clicking through, and a false flag stays rare.
const DefaultMinSecondsPerItem = 1.0

// Limits on an instrument, so that one imported file cannot make scoring
// overflow or a page unusable. The largest shipped instrument has 20 items
// and 6 options.
const (
	MaxLoadBytes   = 1 << 20
	maxItems       = 200
	maxOptions     = 11
	maxOptionValue = 100
	maxAge         = 120
	maxSecondsItem = 600
)

// NoAnswer in an answer vector marks an item the respondent skipped. Option
// values are never negative, so it cannot collide with a real answer.
const NoAnswer = -1

// LoadError says what is wrong with an instrument and where. Path names the
// field in the JSON document ("items[3].id", "tiers[0].red"); it is "" when
// the problem is the document as a whole (too large, not JSON).
type LoadError struct {
	Path   string
	Reason string
}

// Error returns "screening: <path>: <reason>", or "screening: <reason>"
// for the document as a whole.
func (e *LoadError) Error() string {
	if e.Path == "" {
		return "screening: " + e.Reason
	}
	return "screening: " + e.Path + ": " + e.Reason
}

func loadErr(path, format string, args ...any) *LoadError {
	return &LoadError{Path: path, Reason: fmt.Sprintf(format, args...)}
}

// Load parses and validates one instrument. The JSON must match the
// structure exactly: unknown or duplicate keys, nulls, wrong types and
// fractional numbers where integers belong are all errors, because a typo in
// a cut-off field silently ignored would change which children are followed
// up. Every error is a *LoadError.
func Load(data []byte) (*Instrument, error) {
	if len(data) > MaxLoadBytes {
		return nil, loadErr("", "larger than %d bytes (1 MiB)", MaxLoadBytes)
	}
	if !utf8.Valid(data) {
		return nil, loadErr("", "not valid UTF-8")
	}
	if err := checkShape(data); err != nil {
		return nil, err
	}
	var in Instrument
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		// checkShape has already rejected everything encoding/json would;
		// this is a backstop, not a path.
		return nil, loadErr("", "%v", err)
	}
	if in.Direction == "" {
		in.Direction = HigherWorse
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return &in, nil
}

// Validate checks every rule Load checks on an instrument built in Go. The
// error is a *LoadError for the first problem in document order.
func (in *Instrument) Validate() error {
	if err := in.validateHead(); err != nil {
		return err
	}
	if err := in.validateScale(); err != nil {
		return err
	}
	if err := in.validateBands(); err != nil {
		return err
	}
	if err := in.validateTiers(); err != nil {
		return err
	}
	if err := in.validateCritical(); err != nil {
		return err
	}
	if s := in.MinSecondsPerItem; math.IsNaN(s) || s < 0 || s > maxSecondsItem {
		return loadErr("min_seconds_per_item", "must be between 0 and %d", maxSecondsItem)
	}
	if len(in.Notes) > 0 {
		if err := checkText("notes", in.Notes, false); err != nil {
			return err
		}
	}
	return nil
}

func (in *Instrument) validateHead() error {
	if !validCode(in.Code) {
		return loadErr("code", "must be 1–32 of a–z, 0–9, _ starting with a letter, not %q", in.Code)
	}
	if err := checkText("name", in.Name, true); err != nil {
		return err
	}
	if strings.TrimSpace(in.Version) == "" {
		return loadErr("version", "required")
	}
	switch in.Licence {
	case LicenceFree, LicencePublicDomain, LicenceLicensed:
	default:
		return loadErr("licence", "must be %q, %q or %q, not %q", LicenceFree, LicencePublicDomain, LicenceLicensed, in.Licence)
	}
	if strings.TrimSpace(in.Source) == "" {
		return loadErr("source", "required: cite the published instrument")
	}
	switch in.Respondent {
	case RespondentPupil, RespondentParent:
	default:
		return loadErr("respondent", "must be %q or %q, not %q", RespondentPupil, RespondentParent, in.Respondent)
	}
	if in.MinAge < 0 || in.MinAge > maxAge {
		return loadErr("min_age", "must be between 0 and %d", maxAge)
	}
	if in.MaxAge < in.MinAge || in.MaxAge > maxAge {
		return loadErr("max_age", "must be between min_age (%d) and %d", in.MinAge, maxAge)
	}
	return checkText("instructions", in.Instructions, true)
}

func (in *Instrument) validateScale() error {
	switch in.Direction {
	case "", HigherWorse, LowerWorse:
	default:
		return loadErr("direction", "must be %q or %q, not %q", HigherWorse, LowerWorse, in.Direction)
	}
	if len(in.Options) < 2 || len(in.Options) > maxOptions {
		return loadErr("options", "need 2 to %d options, have %d", maxOptions, len(in.Options))
	}
	for i, o := range in.Options {
		p := "options[" + strconv.Itoa(i) + "]"
		if o.Value < 0 || o.Value > maxOptionValue {
			return loadErr(p+".value", "must be between 0 and %d", maxOptionValue)
		}
		if i > 0 && o.Value <= in.Options[i-1].Value {
			return loadErr(p+".value", "%d is not greater than the previous option's %d", o.Value, in.Options[i-1].Value)
		}
		if err := checkText(p+".label", o.Label, true); err != nil {
			return err
		}
	}
	subs := make(map[string]int, len(in.Subscales))
	for i, s := range in.Subscales {
		p := "subscales[" + strconv.Itoa(i) + "]"
		if !validCode(s.Code) {
			return loadErr(p+".code", "must be 1–32 of a–z, 0–9, _ starting with a letter, not %q", s.Code)
		}
		if _, dup := subs[s.Code]; dup {
			return loadErr(p+".code", "duplicate %q", s.Code)
		}
		subs[s.Code] = 0
		if err := checkText(p+".name", s.Name, true); err != nil {
			return err
		}
	}
	if len(in.Items) == 0 {
		return loadErr("items", "at least one item is required")
	}
	if len(in.Items) > maxItems {
		return loadErr("items", "at most %d items, have %d", maxItems, len(in.Items))
	}
	ids := make(map[string]bool, len(in.Items))
	for i, it := range in.Items {
		p := "items[" + strconv.Itoa(i) + "]"
		if !validItemID(it.ID) {
			return loadErr(p+".id", "must be 1–16 of A–Z, a–z, 0–9, '.', '_', '-', not %q", it.ID)
		}
		if ids[it.ID] {
			return loadErr(p+".id", "duplicate %q", it.ID)
		}
		ids[it.ID] = true
		if err := checkText(p+".text", it.Text, true); err != nil {
			return err
		}
		if it.Subscale != "" {
			if _, ok := subs[it.Subscale]; !ok {
				return loadErr(p+".subscale", "no subscale %q", it.Subscale)
			}
			subs[it.Subscale]++
		}
	}
	lo, hi := in.optionRange()
	for i, s := range in.Subscales {
		p := "subscales[" + strconv.Itoa(i) + "]"
		n := subs[s.Code]
		if n == 0 {
			return loadErr(p, "no item belongs to subscale %q", s.Code)
		}
		if s.CutOff == 0 {
			continue
		}
		// A cut-off every score reaches would make every respondent
		// positive; one no score reaches is a typo.
		lowest, highest := n*lo+1, n*hi
		if in.lowerWorse() {
			lowest, highest = n*lo, n*hi-1
		}
		if s.CutOff < lowest || s.CutOff > highest {
			return loadErr(p+".cut_off", "%d must be between %d and %d (0 for none)", s.CutOff, lowest, highest)
		}
	}
	return nil
}

func (in *Instrument) validateBands() error {
	lo, hi := in.Range()
	if len(in.Bands) == 0 {
		return loadErr("bands", "at least one band is required")
	}
	codes := make(map[string]bool, len(in.Bands))
	for i, b := range in.Bands {
		p := "bands[" + strconv.Itoa(i) + "]"
		switch {
		case i == 0 && b.Min != lo:
			return loadErr(p+".min", "the first band must start at the lowest score %d, not %d", lo, b.Min)
		case i > 0 && b.Min <= in.Bands[i-1].Min:
			return loadErr(p+".min", "%d is not greater than the previous band's %d", b.Min, in.Bands[i-1].Min)
		case b.Min > hi:
			return loadErr(p+".min", "%d is above the highest score %d", b.Min, hi)
		}
		if !validCode(b.Code) {
			return loadErr(p+".code", "must be 1–32 of a–z, 0–9, _ starting with a letter, not %q", b.Code)
		}
		if codes[b.Code] {
			return loadErr(p+".code", "duplicate %q", b.Code)
		}
		codes[b.Code] = true
		if err := checkText(p+".label", b.Label, true); err != nil {
			return err
		}
	}
	return nil
}

func (in *Instrument) validateTiers() error {
	if len(in.Tiers) == 0 {
		return loadErr("tiers", "at least one age band is required")
	}
	lo, hi := in.Range()
	for i, r := range in.Tiers {
		p := "tiers[" + strconv.Itoa(i) + "]"
		if r.MinAge < 0 || r.MinAge > maxAge {
			return loadErr(p+".min_age", "must be between 0 and %d", maxAge)
		}
		if r.MaxAge < r.MinAge || r.MaxAge > maxAge {
			return loadErr(p+".max_age", "must be between min_age (%d) and %d", r.MinAge, maxAge)
		}
		for j, o := range in.Tiers[:i] {
			if r.MinAge <= o.MaxAge && o.MinAge <= r.MaxAge {
				return loadErr(p, "ages %d–%d overlap tiers[%d] (%d–%d)", r.MinAge, r.MaxAge, j, o.MinAge, o.MaxAge)
			}
		}
		if in.lowerWorse() {
			// Worse is lower: hi > yellow > orange > red ≥ lo−1.
			switch {
			case r.Yellow >= hi || r.Yellow < lo:
				return loadErr(p+".yellow", "%d must be at least %d and below the highest score %d, so that green is reachable", r.Yellow, lo, hi)
			case r.Orange >= r.Yellow:
				return loadErr(p+".orange", "%d must be below yellow (%d) for a lower_worse instrument", r.Orange, r.Yellow)
			case r.Red >= r.Orange:
				return loadErr(p+".red", "%d must be below orange (%d) for a lower_worse instrument", r.Red, r.Orange)
			case r.Red < lo-1:
				return loadErr(p+".red", "%d is below %d (one below the lowest score means never red)", r.Red, lo-1)
			}
			continue
		}
		switch {
		case r.Yellow <= lo || r.Yellow > hi:
			return loadErr(p+".yellow", "%d must be above the lowest score %d, so that green is reachable, and at most %d", r.Yellow, lo, hi)
		case r.Orange <= r.Yellow:
			return loadErr(p+".orange", "%d must be above yellow (%d)", r.Orange, r.Yellow)
		case r.Red <= r.Orange:
			return loadErr(p+".red", "%d must be above orange (%d)", r.Red, r.Orange)
		case r.Red > hi+1:
			return loadErr(p+".red", "%d is above %d (one above the highest score means never red)", r.Red, hi+1)
		}
	}
	return nil
}

func (in *Instrument) validateCritical() error {
	lo, hi := in.optionRange()
	seen := make(map[string]bool, len(in.Critical))
	for i, c := range in.Critical {
		p := "critical[" + strconv.Itoa(i) + "]"
		if in.itemIndex(c.Item) < 0 {
			return loadErr(p+".item", "no item %q", c.Item)
		}
		if seen[c.Item] {
			return loadErr(p+".item", "duplicate %q", c.Item)
		}
		seen[c.Item] = true
		// Min at the lowest option would make every answer a crisis.
		if c.Min <= lo || c.Min > hi {
			return loadErr(p+".min", "%d must be above the lowest answer %d and at most %d", c.Min, lo, hi)
		}
		if err := checkText(p+".reason", c.Reason, true); err != nil {
			return err
		}
	}
	return nil
}

// checkText requires a non-empty zh-CN text when required, and no empty text
// or malformed tag in any language.
func checkText(path string, t Text, required bool) error {
	if required && strings.TrimSpace(t[DefaultLang]) == "" {
		return loadErr(path, "a %q text is required", DefaultLang)
	}
	// Sorted, so that the same document always reports the same error.
	for _, k := range slices.Sorted(maps.Keys(t)) {
		s := t[k]
		if !validLangTag(k) {
			return loadErr(path, "bad language tag %q", k)
		}
		if strings.TrimSpace(s) == "" {
			return loadErr(path+"["+strconv.Quote(k)+"]", "empty text")
		}
	}
	return nil
}

func validCode(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func validItemID(s string) bool {
	if len(s) == 0 || len(s) > 16 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func validLangTag(s string) bool {
	if len(s) < 2 || len(s) > 35 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// optionRange is the lowest and highest answer value.
func (in *Instrument) optionRange() (lo, hi int) {
	if len(in.Options) == 0 {
		return 0, 0
	}
	return in.Options[0].Value, in.Options[len(in.Options)-1].Value
}

// Range returns the lowest and highest possible total score.
func (in *Instrument) Range() (lo, hi int) {
	l, h := in.optionRange()
	return len(in.Items) * l, len(in.Items) * h
}

func (in *Instrument) lowerWorse() bool { return in.Direction == LowerWorse }

func (in *Instrument) minSecondsPerItem() float64 {
	if in.MinSecondsPerItem > 0 {
		return in.MinSecondsPerItem
	}
	return DefaultMinSecondsPerItem
}

func (in *Instrument) itemIndex(id string) int {
	for i, it := range in.Items {
		if it.ID == id {
			return i
		}
	}
	return -1
}

func (in *Instrument) isOption(v int) bool {
	for _, o := range in.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

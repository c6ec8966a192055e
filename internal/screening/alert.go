package screening

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Severity is how urgent an alert is; it picks the deadline.
type Severity string

// Severities, from most to least urgent.
const (
	SevCritical Severity = "critical" // a critical answer (thoughts of self-harm)
	SevHigh     Severity = "high"     // tier Red
	SevMedium   Severity = "medium"   // tier Orange
)

// Valid reports whether s is one of the three severities.
func (s Severity) Valid() bool {
	return s == SevCritical || s == SevHigh || s == SevMedium
}

// Deadline is how long the responsible level has to acknowledge an alert:
// either a number of hours (for urgent alerts, which do not wait for a
// school day) or a number of school days. Exactly one is set.
type Deadline struct {
	Hours      int `json:"hours,omitempty"`
	SchoolDays int `json:"school_days,omitempty"`
}

func (d Deadline) valid() bool {
	return (d.Hours > 0 && d.Hours <= maxDeadlineHours && d.SchoolDays == 0) ||
		(d.SchoolDays > 0 && d.SchoolDays <= maxDeadlineSchoolDays && d.Hours == 0)
}

// nominalHours compares deadlines of either kind: a school day is at least
// a day.
func (d Deadline) nominalHours() int { return d.Hours + 24*d.SchoolDays }

const (
	maxDeadlineHours      = 30 * 24
	maxDeadlineSchoolDays = 30
)

// Policy holds the deadlines for each severity and the time zone school days
// are counted in.
type Policy struct {
	Critical, Red, Orange Deadline
	// Location is where "end of the school day" is measured; nil means
	// Asia/Shanghai, the only zone the platform serves.
	Location *time.Location
}

// shanghai is Asia/Shanghai, or a fixed +08:00 zone when the system has no
// tzdata; China has had no daylight saving since 1991, so the two agree for
// every date an alert can have.
var shanghai = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
})

// DefaultPolicy is the platform's default: a critical answer within 2
// hours, because thoughts of self-harm cannot wait for tomorrow; tier Red
// within 24 hours; tier Orange within 3 school days, time for the counsellor
// to see the pupil in school. Times are Asia/Shanghai.
func DefaultPolicy() Policy {
	return Policy{
		Critical: Deadline{Hours: 2},
		Red:      Deadline{Hours: 24},
		Orange:   Deadline{SchoolDays: 3},
		Location: shanghai(),
	}
}

// Validate checks that each deadline sets exactly one of hours (1–720) and
// school days (1–30), and that a more severe alert never gets longer than a
// less severe one.
func (p Policy) Validate() error {
	named := []struct {
		name string
		d    Deadline
	}{{"critical", p.Critical}, {"red", p.Red}, {"orange", p.Orange}}
	for _, n := range named {
		if !n.d.valid() {
			return fmt.Errorf("screening: policy: %s: set exactly one of hours (1–%d) or school_days (1–%d)", n.name, maxDeadlineHours, maxDeadlineSchoolDays)
		}
	}
	for i := 1; i < len(named); i++ {
		if named[i-1].d.nominalHours() > named[i].d.nominalHours() {
			return fmt.Errorf("screening: policy: %s deadline is longer than %s", named[i-1].name, named[i].name)
		}
	}
	return nil
}

// AlertFor says whether an assessment needs an alert and how urgent: a
// critical answer is SevCritical, tier Red SevHigh, tier Orange SevMedium.
// Yellow and green are followed up in the normal course (ok is false).
func (p Policy) AlertFor(a Assessment) (sev Severity, ok bool) {
	switch {
	case a.Critical:
		return SevCritical, true
	case a.Tier >= Red:
		return SevHigh, true
	case a.Tier == Orange:
		return SevMedium, true
	}
	return "", false
}

// deadline returns the deadline for sev. An unknown severity gets the
// critical deadline, and a deadline that is malformed (neither or both of
// hours and school days, or out of range) the default one:
// a misconfiguration must make an alert earlier, never later or never.
func (p Policy) deadline(sev Severity) Deadline {
	var d, def Deadline
	switch sev {
	case SevHigh:
		d, def = p.Red, DefaultPolicy().Red
	case SevMedium:
		d, def = p.Orange, DefaultPolicy().Orange
	default:
		d, def = p.Critical, DefaultPolicy().Critical
	}
	if !d.valid() {
		return def
	}
	return d
}

func (p Policy) location() *time.Location {
	if p.Location != nil {
		return p.Location
	}
	return shanghai()
}

// DueAt returns when an alert of severity sev raised (or escalated) at from
// must be acknowledged: from plus the deadline's hours, or the end of the
// Nth school day after from (23:59:59 local time). Monday to Friday are
// school days; the day of from itself never counts, so an alert raised
// Friday 16:00 with 3 school days is due Wednesday 23:59:59. Public holidays
// are not known here; counting them as school days errs towards an earlier
// deadline, the safe side.
func (p Policy) DueAt(sev Severity, from time.Time) time.Time {
	d := p.deadline(sev)
	loc := p.location()
	if d.Hours > 0 {
		return from.Add(time.Duration(d.Hours) * time.Hour).In(loc)
	}
	t := from.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, loc) // noon: safe from any DST edge
	for n := 0; n < d.SchoolDays; {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 59, 0, loc)
}

// Level is the organisation responsible for an alert. Alerts start at the
// school and climb when a deadline passes unacknowledged.
type Level int

// Levels, from the pupil's school up.
const (
	LevelSchool Level = iota
	LevelDistrict
	LevelCity
)

var levelNames = [...]string{"school", "district", "city"}

// String returns "school", "district" or "city".
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// ParseLevel is the inverse of String.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if n == s {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("screening: unknown level %q", s)
}

// MarshalText writes the level's name.
func (l Level) MarshalText() ([]byte, error) {
	if l < LevelSchool || l > LevelCity {
		return nil, fmt.Errorf("screening: invalid level %d", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText reads a level's name.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// State is where an alert is in its life.
type State string

// States. The zero State ("") is an alert not yet raised.
const (
	StateOpen         State = "open"         // raised, nobody has looked
	StateSeen         State = "seen"         // someone opened it; the clock still runs
	StateAcknowledged State = "acknowledged" // someone took responsibility; the clock stops
	StateClosed       State = "closed"       // finished, with a written outcome
)

// Action is something done to an alert; each is recorded in the alert's
// history by the store.
type Action string

// Actions.
const (
	ActRaise       Action = "raised"
	ActSee         Action = "seen"
	ActAcknowledge Action = "acknowledged"
	ActNote        Action = "action_taken" // a step taken (call home, referral); needs an acknowledged alert
	ActEscalate    Action = "escalated"
	ActClose       Action = "closed"
)

// Alert is the state of one alert. The store keeps it with the history of
// actions that led here.
type Alert struct {
	State    State     `json:"state"`
	Level    Level     `json:"level"`
	Severity Severity  `json:"severity"`
	RaisedAt time.Time `json:"raised_at"`
	DueAt    time.Time `json:"due_at"` // when the current level must have acknowledged it
}

// Errors from Apply.
var (
	// ErrTransition: the action is not allowed in the alert's state.
	ErrTransition = errors.New("screening: action not allowed in this state")
	// ErrOutcome: an alert cannot be closed without saying what happened.
	ErrOutcome = errors.New("screening: closing an alert needs an outcome")
	// ErrSeverity: an alert is raised with an unknown severity.
	ErrSeverity = errors.New("screening: unknown severity")
)

// Raise returns a new open alert at school level, due by the policy's
// deadline from now.
func Raise(sev Severity, now time.Time, p Policy) (Alert, error) {
	return Apply(Alert{Severity: sev}, ActRaise, now, "", p)
}

// Apply is the alert state machine: it returns the alert after act, or the
// alert unchanged and an error wrapping ErrTransition for a forbidden step.
//
//	raised        only on an alert not yet raised (State ""); needs a valid Severity
//	seen          only from open
//	acknowledged  from open or seen
//	action_taken  only when acknowledged; the state stays acknowledged
//	escalated     from open or seen, below city level: one level up, open again
//	              (the new level has not seen it) and a fresh deadline from now
//	closed        from any raised, non-closed state, with a non-empty outcome
//	              (ErrOutcome otherwise)
//
// Nothing is allowed after closed: a closed alert is a record, and new
// concern about the same pupil is a new alert.
func Apply(a Alert, act Action, now time.Time, outcome string, p Policy) (Alert, error) {
	forbidden := func() (Alert, error) {
		state := a.State
		if state == "" {
			state = "not raised"
		}
		return a, fmt.Errorf("%w: %q on a %s alert", ErrTransition, act, state)
	}
	if a.State == StateClosed {
		return forbidden()
	}
	switch act {
	case ActRaise:
		if a.State != "" {
			return forbidden()
		}
		if !a.Severity.Valid() {
			return a, fmt.Errorf("%w %q", ErrSeverity, a.Severity)
		}
		return Alert{State: StateOpen, Level: LevelSchool, Severity: a.Severity, RaisedAt: now, DueAt: p.DueAt(a.Severity, now)}, nil
	case ActSee:
		if a.State != StateOpen {
			return forbidden()
		}
		a.State = StateSeen
	case ActAcknowledge:
		if a.State != StateOpen && a.State != StateSeen {
			return forbidden()
		}
		a.State = StateAcknowledged
	case ActNote:
		if a.State != StateAcknowledged {
			return forbidden()
		}
	case ActEscalate:
		if (a.State != StateOpen && a.State != StateSeen) || a.Level >= LevelCity || a.Level < LevelSchool {
			return forbidden()
		}
		a = escalate(a, now, p)
	case ActClose:
		if a.State != StateOpen && a.State != StateSeen && a.State != StateAcknowledged {
			return forbidden()
		}
		if strings.TrimSpace(outcome) == "" {
			return a, ErrOutcome
		}
		a.State = StateClosed
	default:
		return forbidden()
	}
	return a, nil
}

// Escalate moves an alert up one level when its deadline has passed and
// nobody has acknowledged it: state open or seen, now ≥ DueAt, and below
// city level. The new level gets a fresh deadline from now. ok is false,
// and the alert unchanged, otherwise. A scheduler calls it on every open
// alert; calling it again at the new deadline climbs again, up to the city.
func Escalate(a Alert, now time.Time, p Policy) (Alert, bool) {
	if a.State != StateOpen && a.State != StateSeen {
		return a, false
	}
	if a.Level < LevelSchool || a.Level >= LevelCity || now.Before(a.DueAt) {
		return a, false
	}
	return escalate(a, now, p), true
}

func escalate(a Alert, now time.Time, p Policy) Alert {
	a.Level++
	a.State = StateOpen
	a.DueAt = p.DueAt(a.Severity, now)
	return a
}

package programme

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"huhang/internal/model"
	"huhang/internal/strictjson"
)

// Target is one quantified target of a plan, as data: a population, a
// condition each member must meet, a threshold the population must reach,
// and the period it applies to. A Target is a plain value; build one in Go
// or load it with [LoadTargets], and check it with [Target.Validate] before
// storing or evaluating it.
type Target struct {
	// Code identifies the target for good: results, snapshots and the UI
	// refer to it. 1–64 of a–z, 0–9, '-', '_', starting with a letter.
	Code string
	// Plan is the plan the target belongs to, e.g. "2021–2025"; the UI
	// groups targets by it.
	Plan string
	// Clause says where in the plan the target comes from, so that a
	// reader can check the number against the text.
	Clause     string
	Title      Text
	Population Population
	Condition  Condition
	Threshold  Threshold
	// Recurring is "" for a one-off target with a fixed deadline,
	// [EverySchoolYear] or [EverySemester] for a target that starts afresh
	// each period (see [Target.Window]).
	Recurring string
	// Start is when the plan period began; the linear-progress rule
	// measures elapsed time from it. Deadline is the inclusive last day.
	// For a recurring target they bound the span in which the target is in
	// force (every period overlapping it), and a zero Deadline means the
	// target stays in force until the bureau retires it.
	Start    time.Time
	Deadline time.Time
}

// Population says who a target counts.
type Population struct {
	// Subject is what the target counts: SubjectStaff, SubjectSchool or
	// SubjectPupil.
	Subject string
	// Posts are the staff posts in the population; a person holding any of
	// them is in it, once. Staff targets only, and required for them.
	Posts []model.Post
	// SchoolTypes restricts the population to schools of these types;
	// empty means every type.
	SchoolTypes []model.SchoolType
}

// Subjects of a population.
const (
	SubjectStaff  = "staff"  // members are staff ([Person])
	SubjectSchool = "school" // members are schools ([School]); a quota each school must meet
	SubjectPupil  = "pupil"  // members are pupils, counted per school ([TermFacts])
)

// Condition is what one member of the population must meet.
type Condition struct {
	// Kind is one of the Cond* constants.
	Kind string
	// Level is the certificate level for CondCertAtLeast and
	// CondCountHolders: LevelA, LevelB or LevelC.
	Level string
	// Hours is the minimum of credited hours for CondHoursThisYear.
	Hours float64
	// ActivityTypes and Min, for CondActivities: the school holds at least
	// Min activities, counting every type listed, in the semester.
	ActivityTypes []string
	Min           int
}

// Condition kinds. Staff targets use the first four, school targets
// CondActivities, pupil targets CondVisits.
const (
	// CondCertAtLeast: holds a certificate of Level or higher (A ≥ B ≥ C),
	// issued on or before the date judged.
	CondCertAtLeast = "cert_at_least"
	// CondPrincipalTraining: completed the principals' mental-health
	// training on or before the date judged.
	CondPrincipalTraining = "principal_training"
	// CondHoursThisYear: at least Hours credited in the school year of the
	// date judged (recurring every school year).
	CondHoursThisYear = "hours_this_year"
	// CondCountHolders: like CondCertAtLeast, but the threshold is an
	// absolute number of holders in the whole population (Threshold.Count).
	CondCountHolders = "count_holders"
	// CondActivities: the school held at least Min activities of
	// ActivityTypes in the semester (recurring every semester).
	CondActivities = "activities_per_semester"
	// CondVisits: the pupil's family was visited at least once in the
	// semester, in person, by phone or by WeChat (recurring every semester).
	CondVisits = "visits_per_semester"
)

// Certificate levels of the school psychological counsellor qualification
// (学校心理辅导员ABC三级资格). A is the highest: an A holder counts for
// a B or C target, a B holder for a C target.
const (
	LevelA = "A"
	LevelB = "B"
	LevelC = "C"
)

// levelRank orders the levels; 0 for anything else.
func levelRank(level string) int {
	switch level {
	case LevelA:
		return 3
	case LevelB:
		return 2
	case LevelC:
		return 1
	}
	return 0
}

// Parent-school activity types (家长学校活动), as the store records them.
const (
	ActGuidance        = "guidance"          // 家庭教育指导
	ActPractice        = "practice"          // 家庭教育实践活动
	ActParentChild     = "parent_child"      // 亲子实践活动
	ActMHMeeting       = "mh_parent_meeting" // 心理健康专题家长会
	ActOpenDay         = "open_day"          // 家长开放日
	ActExpertLecture   = "expert_lecture"    // 专家讲座
	ActWomenFederation = "womens_federation" // 妇联家庭教育讲座
)

// ActivityTypes lists every parent-school activity type in display order.
var ActivityTypes = []string{ActGuidance, ActPractice, ActParentChild, ActMHMeeting,
	ActOpenDay, ActExpertLecture, ActWomenFederation}

// Recurrence periods.
const (
	EverySchoolYear = "school_year" // 1 August – 31 July, as model.SchoolYearOf counts
	EverySemester   = "semester"    // a term of the [Calendar]
)

// Threshold is what the population must reach: a percentage of its members
// meeting the condition, or (CondCountHolders only) an absolute count.
type Threshold struct {
	Percent float64 // above 0, at most 100
	Count   int     // at least 1, for CondCountHolders; 0 otherwise
}

// Limits that keep a target definition sane and its page readable.
const (
	maxCodeLen    = 64
	maxLabelLen   = 200 // runes, for Plan and Clause
	maxTextLen    = 500 // runes, per language
	maxHours      = 2000
	maxActivities = 100
)

// FieldError says which field of a target definition is wrong and why. Path
// is a JSON path: "condition.level" from Validate, "[2].condition.level"
// from LoadTargets; "" for the document as a whole.
type FieldError struct {
	Path   string
	Reason string
}

// Error returns "programme: <path>: <reason>".
func (e *FieldError) Error() string {
	if e.Path == "" {
		return "programme: " + e.Reason
	}
	return "programme: " + e.Path + ": " + e.Reason
}

func fieldErr(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Reason: fmt.Sprintf(format, args...)}
}

// kindSubject maps each condition kind to the subject it applies to, and
// kindPeriod to the recurrence it requires.
var (
	kindSubject = map[string]string{
		CondCertAtLeast: SubjectStaff, CondPrincipalTraining: SubjectStaff,
		CondHoursThisYear: SubjectStaff, CondCountHolders: SubjectStaff,
		CondActivities: SubjectSchool, CondVisits: SubjectPupil,
	}
	kindPeriod = map[string]string{
		CondHoursThisYear: EverySchoolYear, CondActivities: EverySemester, CondVisits: EverySemester,
	}
)

// Validate checks everything LoadTargets checks on a target built in Go. The
// error is a *FieldError naming the first wrong field.
func (t Target) Validate() error {
	if !validCode(t.Code) {
		return fieldErr("code", "must be 1–%d of a–z, 0–9, '-', '_' starting with a letter, not %q", maxCodeLen, truncate(t.Code))
	}
	if err := checkLabel("plan", t.Plan); err != nil {
		return err
	}
	if err := checkLabel("clause", t.Clause); err != nil {
		return err
	}
	if err := checkText("title", t.Title); err != nil {
		return err
	}
	if err := t.validatePopulation(); err != nil {
		return err
	}
	if err := t.validateCondition(); err != nil {
		return err
	}
	if err := t.validateThreshold(); err != nil {
		return err
	}
	return t.validatePeriod()
}

func (t Target) validatePopulation() error {
	p := t.Population
	switch p.Subject {
	case SubjectStaff:
		if len(p.Posts) == 0 {
			return fieldErr("population.posts", "a staff target needs at least one post")
		}
	case SubjectSchool, SubjectPupil:
		if len(p.Posts) > 0 {
			return fieldErr("population.posts", "only staff targets have posts")
		}
	default:
		return fieldErr("population.subject", "must be %q, %q or %q, not %q", SubjectStaff, SubjectSchool, SubjectPupil, truncate(p.Subject))
	}
	for i, post := range p.Posts {
		path := fmt.Sprintf("population.posts[%d]", i)
		if !post.Valid() {
			return fieldErr(path, "unknown post %q", truncate(string(post)))
		}
		if slices.Contains(p.Posts[:i], post) {
			return fieldErr(path, "duplicate post %q", post)
		}
	}
	for i, st := range p.SchoolTypes {
		path := fmt.Sprintf("population.school_types[%d]", i)
		if !st.Valid() {
			return fieldErr(path, "unknown school type %q", truncate(string(st)))
		}
		if slices.Contains(p.SchoolTypes[:i], st) {
			return fieldErr(path, "duplicate school type %q", st)
		}
	}
	return nil
}

func (t Target) validateCondition() error {
	c := t.Condition
	subject, ok := kindSubject[c.Kind]
	if !ok {
		return fieldErr("condition.kind", "unknown kind %q; must be one of %s, %s, %s, %s, %s, %s", truncate(c.Kind),
			CondCertAtLeast, CondPrincipalTraining, CondHoursThisYear, CondCountHolders, CondActivities, CondVisits)
	}
	if subject != t.Population.Subject {
		return fieldErr("condition.kind", "%s applies to a %s population, not %s", c.Kind, subject, t.Population.Subject)
	}
	needsLevel := c.Kind == CondCertAtLeast || c.Kind == CondCountHolders
	switch {
	case needsLevel && levelRank(c.Level) == 0:
		return fieldErr("condition.level", "must be %q, %q or %q, not %q", LevelA, LevelB, LevelC, truncate(c.Level))
	case !needsLevel && c.Level != "":
		return fieldErr("condition.level", "only %s and %s have a level", CondCertAtLeast, CondCountHolders)
	}
	if c.Kind == CondHoursThisYear {
		if math.IsNaN(c.Hours) || c.Hours <= 0 || c.Hours > maxHours {
			return fieldErr("condition.hours", "must be above 0 and at most %d", maxHours)
		}
	} else if c.Hours != 0 {
		return fieldErr("condition.hours", "only %s has hours", CondHoursThisYear)
	}
	if c.Kind != CondActivities {
		if len(c.ActivityTypes) > 0 {
			return fieldErr("condition.activity_types", "only %s has activity types", CondActivities)
		}
		if c.Min != 0 {
			return fieldErr("condition.min", "only %s has a minimum", CondActivities)
		}
		return nil
	}
	if len(c.ActivityTypes) == 0 {
		return fieldErr("condition.activity_types", "at least one activity type is required")
	}
	for i, a := range c.ActivityTypes {
		path := fmt.Sprintf("condition.activity_types[%d]", i)
		if !slices.Contains(ActivityTypes, a) {
			return fieldErr(path, "unknown activity type %q", truncate(a))
		}
		if slices.Contains(c.ActivityTypes[:i], a) {
			return fieldErr(path, "duplicate activity type %q", a)
		}
	}
	if c.Min < 1 || c.Min > maxActivities {
		return fieldErr("condition.min", "must be between 1 and %d", maxActivities)
	}
	return nil
}

func (t Target) validateThreshold() error {
	th := t.Threshold
	if t.Condition.Kind == CondCountHolders {
		if th.Count < 1 {
			return fieldErr("threshold.count", "must be at least 1")
		}
		if th.Percent != 0 {
			return fieldErr("threshold.percent", "a %s target has a count, not a percentage", CondCountHolders)
		}
		return nil
	}
	if th.Count != 0 {
		return fieldErr("threshold.count", "only %s targets have a count", CondCountHolders)
	}
	if math.IsNaN(th.Percent) || th.Percent <= 0 || th.Percent > 100 {
		return fieldErr("threshold.percent", "must be above 0 and at most 100, not %g", th.Percent)
	}
	return nil
}

func (t Target) validatePeriod() error {
	want := kindPeriod[t.Condition.Kind]
	if t.Recurring != want {
		if want == "" {
			return fieldErr("recurring", "%s is a one-off target: leave recurring empty, not %q", t.Condition.Kind, truncate(t.Recurring))
		}
		return fieldErr("recurring", "%s recurs every %s: must be %q, not %q", t.Condition.Kind, want, want, truncate(t.Recurring))
	}
	if t.Start.IsZero() {
		return fieldErr("start", "required")
	}
	if t.Deadline.IsZero() {
		if t.Recurring == "" {
			return fieldErr("deadline", "required for a one-off target")
		}
		return nil
	}
	if dateKey(t.Deadline) < dateKey(t.Start) {
		return fieldErr("deadline", "%s is before start %s", t.Deadline.Format(dateLayout), t.Start.Format(dateLayout))
	}
	return nil
}

func validCode(s string) bool {
	if s == "" || len(s) > maxCodeLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func checkLabel(path, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fieldErr(path, "required")
	case !utf8.ValidString(s):
		return fieldErr(path, "not valid UTF-8")
	case utf8.RuneCountInString(s) > maxLabelLen:
		return fieldErr(path, "longer than %d characters", maxLabelLen)
	}
	return nil
}

// truncate shortens a value quoted in an error, so that a hostile
// definition cannot flood a log line.
func truncate(s string) string { return strictjson.Truncate(s) }

// clone returns t with its own copies of every slice and map, so that a
// caller changing the shipped targets cannot change them for anyone else.
func (t Target) clone() Target {
	t.Title = maps.Clone(t.Title)
	t.Population.Posts = slices.Clone(t.Population.Posts)
	t.Population.SchoolTypes = slices.Clone(t.Population.SchoolTypes)
	t.Condition.ActivityTypes = slices.Clone(t.Condition.ActivityTypes)
	return t
}

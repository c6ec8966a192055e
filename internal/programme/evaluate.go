package programme

import (
	"math"
	"time"

	"huhang/internal/model"
)

// Person is what the store knows about one member of staff, as of the date
// evaluated: no name, only the facts the targets need. Each person appears
// once in [Facts.Staff], with every post they hold.
type Person struct {
	ID         int64
	SchoolID   int64 // 0: not attached to a school (counted for the district and city only)
	DistrictID int64 // 0: counted for the city only
	SchoolType model.SchoolType
	// Posts are all the person's current posts. A person with two posts is
	// one member of a population, in it if any post is listed.
	Posts []model.Post
	Certs []Cert
	// PrincipalTrained is the date the principals' mental-health training
	// was completed; zero if it was not.
	PrincipalTrained time.Time
	// Hours are the continuing-education hours credited to the person,
	// keyed by the start year of the school year (model.SchoolYearOf of the
	// session date). They belong to the person, not to a school: hours
	// earned before a move count at the new school.
	Hours map[int]float64
}

// Cert is one school psychological counsellor certificate.
type Cert struct {
	Level  string // LevelA, LevelB or LevelC; any other level is ignored
	Issued time.Time
}

// School is what the store knows about one school for the school and pupil
// targets: its type and, per term, what it did.
type School struct {
	ID         int64
	DistrictID int64
	Type       model.SchoolType
	Terms      map[Term]TermFacts
}

// TermFacts are one school's figures for one term, counted by the store up
// to the date evaluated.
type TermFacts struct {
	// Activities counts the parent-school activities held, by type
	// (ActGuidance, …).
	Activities map[string]int
	// Pupils is the number of pupils on the school's roll; Visited how many
	// of them had their family visited at least once in the term (a pupil
	// who moved class counts once, at their current class). Visited is
	// capped at Pupils.
	Pupils  int
	Visited int
}

// Facts are everything a set of targets is judged on. Populations are "as
// of the date evaluated": the store passes each person's current school and
// posts and each school's current type, so a class teacher who moved school
// mid-year counts at the new school, with all their certificates and hours.
// Staff targets read Staff; school and pupil targets read Schools, so pass
// every school there, including those that have done nothing yet.
type Facts struct {
	Staff    []Person
	Schools  []School
	Calendar Calendar // the published semester dates; nil for the standard calendar
}

// Unit says what Result.Actual and Result.Goal measure.
type Unit string

// Units.
const (
	UnitPercent Unit = "percent" // 0–100, the share of the population meeting the condition
	UnitCount   Unit = "count"   // a number: holders, or activities held by one school
)

// Status is how a result stands against its target.
type Status string

// Statuses.
const (
	StatusMet     Status = "met"      // the goal is reached
	StatusOnTrack Status = "on_track" // not yet, but progress would reach it by the deadline
	StatusAtRisk  Status = "at_risk"  // not yet, and progress would not reach it in time
	StatusMissed  Status = "missed"   // the deadline has passed without reaching it
	// StatusNotApplicable: nobody is in the population here; or the target
	// is not in force at the date evaluated; or (CondCountHolders) the
	// absolute count is the city's, and a district or school only
	// contributes to it.
	StatusNotApplicable Status = "not_applicable"
)

// Result is a target judged over one population: the city, a district or a
// school.
type Result struct {
	Target string `json:"target"`
	// At is the date evaluated. Start and Deadline are the window judged:
	// the plan period for a one-off target, the school year or term
	// containing At for a recurring one. When At is past a one-off
	// target's deadline, conditions are checked as of the deadline: the
	// verdict is final and a certificate issued later does not turn
	// "missed" into "met".
	At       time.Time `json:"at"`
	Start    time.Time `json:"start"`
	Deadline time.Time `json:"deadline"`
	Unit     Unit      `json:"unit"`
	// Goal is what Actual must reach: the threshold percentage, the count
	// of holders, or, for a school target judged at one school, the number
	// of activities required.
	Goal float64 `json:"goal"`
	// Population is the number of members judged (staff, schools or
	// pupils), Met how many of them meet the condition. For a school
	// target judged at one school, Population is 1 and Actual is the
	// number of activities held.
	Population int     `json:"population"`
	Met        int     `json:"met"`
	Actual     float64 `json:"actual"`
	Status     Status  `json:"status"`
	// Projected and Trend are set by WithHistory: the trend of the
	// snapshots extrapolated to the deadline, which then decided Status.
	Projected float64 `json:"projected,omitempty"`
	Trend     bool    `json:"trend,omitempty"`
	// MissingIDs are the members not meeting the condition, in input
	// order: staff IDs for a staff target, school IDs for a school target,
	// none for a pupil target (the facts are counts). They are named only
	// to the school, its district and the city.
	MissingIDs []int64 `json:"missing_ids,omitempty"`
}

// Rollup holds every target judged for the city, each district and each
// school, keyed by target code and then by district or school ID. Every
// district and school found in the facts has a result for every target
// (StatusNotApplicable where the target does not concern it).
type Rollup struct {
	City      map[string]Result
	Districts map[int64]map[string]Result
	Schools   map[int64]map[string]Result
}

// Evaluate judges one target over the whole of f at the date at: who is in
// the population, who meets the condition (certificates and training
// completed on or before the date judged, hours of the school year
// containing it, activities and visits of the term containing it), and how
// the figure stands. Status here follows the linear-progress rule; with
// snapshots, see [Result.WithHistory]. t must be valid (see
// [Target.Validate]); an invalid target is judged not applicable.
func Evaluate(t Target, f Facts, at time.Time) Result {
	ev := newEvaluator(f, false)
	return ev.run(t, at, nil)
}

// EvaluateAll judges every target for the city, each district and each
// school in one pass over the facts per target. The city's result for a
// target equals Evaluate's. Target codes must be unique.
func EvaluateAll(targets []Target, f Facts, at time.Time) Rollup {
	ev := newEvaluator(f, true)
	r := Rollup{
		City:      make(map[string]Result, len(targets)),
		Districts: make(map[int64]map[string]Result, len(ev.districtIDs)),
		Schools:   make(map[int64]map[string]Result, len(ev.schoolIDs)),
	}
	for _, id := range ev.districtIDs {
		r.Districts[id] = make(map[string]Result, len(targets))
	}
	for _, id := range ev.schoolIDs {
		r.Schools[id] = make(map[string]Result, len(targets))
	}
	for _, t := range targets {
		r.City[t.Code] = ev.run(t, at, &r)
	}
	return r
}

// Window returns the period a target is judged over at the date at, and
// whether the target is in force then. A one-off target's window is its
// Start to Deadline, always in force. A recurring target's window is the
// school year (1 August – 31 July) or the term of cal containing at; it is
// in force if that window overlaps the target's Start … Deadline (a zero
// Deadline: from Start on).
func (t Target) Window(at time.Time, cal Calendar) (start, end time.Time, inForce bool) {
	switch t.Recurring {
	case EverySchoolYear:
		start, end = schoolYearPeriod(model.SchoolYearOf(at))
	case EverySemester:
		p := cal.Period(cal.TermOf(at))
		start, end = civil(p.Start), civil(p.End)
	default:
		return civil(t.Start), civil(t.Deadline), true
	}
	inForce = dateKey(end) >= dateKey(t.Start) && (t.Deadline.IsZero() || dateKey(start) <= dateKey(t.Deadline))
	return start, end, inForce
}

// tally accumulates one population.
type tally struct {
	pop, met int
	held     float64 // activities held: a school target at one school
	missing  []int64
}

func (y *tally) add(met bool, id int64) {
	y.pop++
	if met {
		y.met++
	} else {
		y.missing = append(y.missing, id)
	}
}

// evaluator holds what every target needs from the facts, computed once:
// dense indexes of schools and districts and each person's posts and school
// type as bit masks, so the per-target loops do no map look-ups.
type evaluator struct {
	f      Facts
	levels bool

	schoolIDs, districtIDs     []int64
	staffSchool, staffDist     []int32 // -1: none
	staffPosts, staffType      []uint32
	schoolIndex, schoolDist    []int32 // for each f.Schools entry
	schoolType                 []uint32
	schoolTally, districtTally []tally // scratch, reset per target
}

func newEvaluator(f Facts, levels bool) *evaluator {
	ev := &evaluator{f: f, levels: levels}
	ev.staffPosts = make([]uint32, len(f.Staff))
	ev.staffType = make([]uint32, len(f.Staff))
	for i, p := range f.Staff {
		for _, post := range p.Posts {
			ev.staffPosts[i] |= postBit(post)
		}
		ev.staffType[i] = typeBit(p.SchoolType)
	}
	ev.schoolType = make([]uint32, len(f.Schools))
	for i, s := range f.Schools {
		ev.schoolType[i] = typeBit(s.Type)
	}
	if !levels {
		return ev
	}
	schools := make(map[int64]int32, len(f.Schools))
	districts := make(map[int64]int32, 16)
	index := func(m map[int64]int32, ids *[]int64, id int64) int32 {
		if id == 0 {
			return -1
		}
		i, ok := m[id]
		if !ok {
			i = int32(len(*ids))
			m[id] = i
			*ids = append(*ids, id)
		}
		return i
	}
	ev.schoolIndex = make([]int32, len(f.Schools))
	ev.schoolDist = make([]int32, len(f.Schools))
	for i, s := range f.Schools {
		ev.schoolIndex[i] = index(schools, &ev.schoolIDs, s.ID)
		ev.schoolDist[i] = index(districts, &ev.districtIDs, s.DistrictID)
	}
	ev.staffSchool = make([]int32, len(f.Staff))
	ev.staffDist = make([]int32, len(f.Staff))
	for i, p := range f.Staff {
		ev.staffSchool[i] = index(schools, &ev.schoolIDs, p.SchoolID)
		ev.staffDist[i] = index(districts, &ev.districtIDs, p.DistrictID)
	}
	ev.schoolTally = make([]tally, len(ev.schoolIDs))
	ev.districtTally = make([]tally, len(ev.districtIDs))
	return ev
}

func postBit(p model.Post) uint32 {
	for i, k := range model.Posts {
		if k == p {
			return 1 << i
		}
	}
	return 0
}

func typeBit(t model.SchoolType) uint32 {
	for i, k := range model.SchoolTypes {
		if k == t {
			return 1 << i
		}
	}
	return 0
}

// frame is what one target's judgement needs besides the tallies.
type frame struct {
	t               Target
	at              time.Time
	start, deadline time.Time
	inForce         bool
	passed          bool    // at is after the deadline
	elapsed         float64 // share of the window gone by, 0–1
}

// run judges t; with r non-nil it also fills r's districts and schools.
func (ev *evaluator) run(t Target, at time.Time, r *Rollup) Result {
	fr := frame{t: t, at: civil(at)}
	fr.start, fr.deadline, fr.inForce = t.Window(at, ev.f.Calendar)
	fr.passed = dateKey(at) > dateKey(fr.deadline)
	fr.elapsed = elapsedShare(at, fr.start, fr.deadline)
	if t.Validate() != nil {
		fr.inForce = false // judged not applicable everywhere
	}
	// One-off targets are judged as of the deadline once it has passed.
	asOf := dateKey(at)
	if t.Recurring == "" && fr.passed {
		asOf = dateKey(fr.deadline)
	}
	for i := range ev.schoolTally {
		ev.schoolTally[i] = tally{}
	}
	for i := range ev.districtTally {
		ev.districtTally[i] = tally{}
	}
	var city tally
	switch t.Population.Subject {
	case SubjectStaff:
		city = ev.staff(t, asOf, model.SchoolYearOf(at))
	case SubjectSchool:
		city = ev.schools(t, ev.f.Calendar.TermOf(at), r, fr)
	case SubjectPupil:
		city = ev.pupils(t, ev.f.Calendar.TermOf(at))
	}
	unit, goal := UnitPercent, t.Threshold.Percent
	if t.Condition.Kind == CondCountHolders {
		unit, goal = UnitCount, float64(t.Threshold.Count)
	}
	if r != nil {
		// An absolute count is the city's: districts and schools only
		// contribute to it.
		sub := unit != UnitCount
		for i, id := range ev.districtIDs {
			r.Districts[id][t.Code] = fr.result(ev.districtTally[i], unit, goal, sub)
		}
		if t.Population.Subject != SubjectSchool { // schools() filled its own
			for i, id := range ev.schoolIDs {
				r.Schools[id][t.Code] = fr.result(ev.schoolTally[i], unit, goal, sub)
			}
		}
	}
	return fr.result(city, unit, goal, true)
}

func (ev *evaluator) staff(t Target, asOf, year int) tally {
	var postMask, typeMask uint32
	for _, p := range t.Population.Posts {
		postMask |= postBit(p)
	}
	for _, st := range t.Population.SchoolTypes {
		typeMask |= typeBit(st)
	}
	c := t.Condition
	need := levelRank(c.Level)
	var city tally
	for i := range ev.f.Staff {
		if ev.staffPosts[i]&postMask == 0 || typeMask != 0 && ev.staffType[i]&typeMask == 0 {
			continue
		}
		p := &ev.f.Staff[i]
		var ok bool
		switch c.Kind {
		case CondCertAtLeast, CondCountHolders:
			ok = holds(p.Certs, need, asOf)
		case CondPrincipalTraining:
			ok = !p.PrincipalTrained.IsZero() && dateKey(p.PrincipalTrained) <= asOf
		case CondHoursThisYear:
			ok = p.Hours[year]+hoursSlack >= c.Hours
		}
		city.add(ok, p.ID)
		if ev.levels {
			if s := ev.staffSchool[i]; s >= 0 {
				ev.schoolTally[s].add(ok, p.ID)
			}
			if d := ev.staffDist[i]; d >= 0 {
				ev.districtTally[d].add(ok, p.ID)
			}
		}
	}
	return city
}

// hoursSlack absorbs the rounding of hours summed from sessions (2.7 + 2.7
// + 2.6 is not exactly 8 in floating point).
const hoursSlack = 1e-6

// holds reports whether certs include one of rank need or higher issued on
// or before asOf (yyyymmdd).
func holds(certs []Cert, need, asOf int) bool {
	for _, c := range certs {
		if levelRank(c.Level) >= need && dateKey(c.Issued) <= asOf {
			return true
		}
	}
	return false
}

// schools judges a school target: each school meets it or not; a school's
// own result counts its activities against the quota.
func (ev *evaluator) schools(t Target, term Term, r *Rollup, fr frame) tally {
	typeMask := typesMask(t.Population.SchoolTypes)
	c := t.Condition
	var city tally
	for i := range ev.f.Schools {
		s := &ev.f.Schools[i]
		if typeMask != 0 && ev.schoolType[i]&typeMask == 0 {
			continue
		}
		held := 0
		acts := s.Terms[term].Activities
		for _, a := range c.ActivityTypes {
			held += max(acts[a], 0)
		}
		ok := held >= c.Min
		city.add(ok, s.ID)
		if !ev.levels {
			continue
		}
		if si := ev.schoolIndex[i]; si >= 0 {
			y := &ev.schoolTally[si]
			y.add(ok, s.ID)
			y.held += float64(held)
		}
		if d := ev.schoolDist[i]; d >= 0 {
			ev.districtTally[d].add(ok, s.ID)
		}
	}
	if r != nil {
		for i, id := range ev.schoolIDs {
			y := ev.schoolTally[i]
			res := fr.result(y, UnitCount, float64(c.Min), true)
			if fr.inForce && y.pop > 0 {
				res.Actual = y.held
				res.Status = fr.status(UnitCount, float64(c.Min), y.held)
			}
			r.Schools[id][t.Code] = res
		}
	}
	return city
}

// pupils judges a pupil target from each school's counts.
func (ev *evaluator) pupils(t Target, term Term) tally {
	typeMask := typesMask(t.Population.SchoolTypes)
	var city tally
	for i := range ev.f.Schools {
		if typeMask != 0 && ev.schoolType[i]&typeMask == 0 {
			continue
		}
		tf := ev.f.Schools[i].Terms[term]
		pop := max(tf.Pupils, 0)
		met := min(max(tf.Visited, 0), pop)
		city.pop += pop
		city.met += met
		if !ev.levels {
			continue
		}
		if si := ev.schoolIndex[i]; si >= 0 {
			ev.schoolTally[si].pop += pop
			ev.schoolTally[si].met += met
		}
		if d := ev.schoolDist[i]; d >= 0 {
			ev.districtTally[d].pop += pop
			ev.districtTally[d].met += met
		}
	}
	return city
}

func typesMask(types []model.SchoolType) uint32 {
	var m uint32
	for _, st := range types {
		m |= typeBit(st)
	}
	return m
}

// result turns a tally into a Result; judged false leaves the status
// not applicable whatever the figures.
func (fr frame) result(y tally, unit Unit, goal float64, judged bool) Result {
	res := Result{
		Target: fr.t.Code, At: fr.at, Start: fr.start, Deadline: fr.deadline,
		Unit: unit, Goal: goal, Population: y.pop, Met: y.met,
		Status: StatusNotApplicable, MissingIDs: y.missing,
	}
	if unit == UnitCount {
		res.Actual = float64(y.met)
	} else if y.pop > 0 {
		res.Actual = 100 * float64(y.met) / float64(y.pop)
	}
	if judged && fr.inForce && y.pop > 0 {
		res.Status = fr.status(unit, goal, res.Actual)
	}
	return res
}

// slack absorbs floating-point rounding when a figure is compared with a
// goal: 100 × 3 / 5 must reach 60.
const slack = 1e-9

// status applies the rule without history: met if actual reaches the goal;
// missed once the deadline has passed; otherwise on track if actual keeps
// pace with a steady progress from Start to the deadline.
//
// For a percentage the pace is linear: goal × elapsed share. A count is a
// small whole number (2 guidance sessions a term), and a linear pace would
// put every school at risk the day a term opens; so the k-th of n is due
// once k/(n+1) of the window has gone by, which leaves the last stretch
// free as a margin: a single parent meeting is due by mid-term, the second
// of two sessions by two-thirds.
func (fr frame) status(unit Unit, goal, actual float64) Status {
	switch {
	case actual+slack >= goal:
		return StatusMet
	case fr.passed:
		return StatusMissed
	}
	pace := goal * fr.elapsed
	if unit == UnitCount {
		pace = math.Min(goal, math.Floor(fr.elapsed*(goal+1)+slack))
	}
	if actual+slack >= pace {
		return StatusOnTrack
	}
	return StatusAtRisk
}

// elapsedShare is the share of the window's days gone by before at: 0 on
// the first day, (n−1)/n on the last, clamped to 0–1.
func elapsedShare(at, start, end time.Time) float64 {
	days := dayNumber(end) - dayNumber(start) + 1
	if days <= 0 {
		return 1
	}
	gone := dayNumber(at) - dayNumber(start)
	return math.Min(1, math.Max(0, float64(gone)/float64(days)))
}

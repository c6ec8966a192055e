// Package demo generates a synthetic city shaped like Panzhihua (攀枝花,
// 510400) for `huhang demo`: partner agencies, the five districts and
// counties, about 300 schools of every type, their classes, staff, and about
// 180,000 students with their guardians and key-student categories.
//
// Everything is synthetic. District populations are used only as proportions;
// school names are built from place-name words and ordinals; people's names
// are drawn from lists of common surnames and given-name characters; ID
// numbers are well-formed (GB 11643 check character) but made up; rates and
// sizes are plausible, not official statistics.
//
// Generation is deterministic: the same Config yields the same records, IDs
// included, in the same order. Records are streamed to a Sink, so the whole
// city is never held in memory here.
package demo

import (
	"errors"
	"fmt"
	"math"
	"time"

	"huhang/internal/model"
)

// DefaultStartYear is the school year used when Config.StartYear is zero.
const DefaultStartYear = 2026

// Config selects the synthetic city to generate.
type Config struct {
	// Seed drives every random choice; the same seed gives the same city.
	Seed uint64
	// Scale sizes the city: 1.0 is the full city (~300 schools, ~180,000
	// students); tests use e.g. 0.01. Must be in (0, 20].
	Scale float64
	// StartYear is the start of the current school year, e.g. 2026 for
	// 2026–2027; birth dates derive from it. Zero means DefaultStartYear.
	StartYear int
}

// Sink receives the generated records. Generate calls it in this order: all
// agencies, all districts, then for each school the School, its Classes, its
// Staff and its Students. IDs are sequential per record type from 1 and are
// meant to be stored as given. A Sink may keep the values it is handed.
type Sink interface {
	Agency(model.Agency) error
	District(model.District) error
	School(model.School) error
	// Class is called with SchoolYearID 0: the loader fills it.
	Class(model.Class) error
	// Staff carries the member's posts; class-teacher posts carry ClassID.
	Staff(model.Staff) error
	// Student carries the plaintext IDNumber (empty for about 5 %),
	// Categories and one or two Guardians with their IDs.
	Student(model.Student) error
}

// Summary counts what Generate emitted.
type Summary struct {
	Agencies      int
	Districts     int
	Schools       int
	Classes       int
	Staff         int
	Students      int
	Guardians     int
	SchoolsByType map[model.SchoolType]int
	// Categories counts students per key-student category.
	Categories map[model.Category]int
}

// Generate builds the synthetic city described by cfg and streams it to
// sink. It stops at the first error the sink returns.
func Generate(cfg Config, sink Sink) (Summary, error) {
	if sink == nil {
		return Summary{}, errors.New("demo: nil sink")
	}
	if !(cfg.Scale > 0 && cfg.Scale <= 20) { // also rejects NaN
		return Summary{}, fmt.Errorf("demo: scale %v out of range (0, 20]", cfg.Scale)
	}
	if cfg.StartYear == 0 {
		cfg.StartYear = DefaultStartYear
	}
	if cfg.StartYear < 1950 || cfg.StartYear > 9000 {
		return Summary{}, fmt.Errorf("demo: start year %d out of range", cfg.StartYear)
	}
	g := newGenerator(cfg)
	if err := g.run(sink); err != nil {
		return g.summary(), err
	}
	return g.summary(), nil
}

// generator holds the state of one run.
type generator struct {
	r     *rng
	plans []schoolPlan

	// Calendar: day i is base+i days; ymd[i] is its YYYYMMDD.
	base   time.Time
	days   []time.Time
	ymd    [][8]byte
	window [16]dayWindow // birth window per grade+2, grades -2 … 13

	idSeq []uint16 // ID sequences used, by (district, day, sex)
	lSeq  []uint16 // local student-number sequences used, by (district, day)

	// Running IDs, which double as counts.
	schoolID, classID, staffID, studentID, guardianID int64
	byType                                            map[model.SchoolType]int
	cats                                              [numCategories]int
	agencies, districts                               int

	buf       []byte
	guardians []model.Guardian // slab the students' Guardians are cut from
	classes   []classInfo
}

// dayWindow is a range of day indexes [start, start+n).
type dayWindow struct{ start, n int }

// classInfo is an emitted class, remembered while its school is generated.
type classInfo struct {
	id    int64
	grade int
	size  int
}

// Category indexes into categoryOrder.
const (
	ciPoor = iota
	ciLeftBehind
	ciSingleParent
	ciMigrant
	ciOrphan
	ciDisabled
	numCategories
)

// categoryOrder names the categories by their index above; catBits holds
// each one's bit in a model.CategorySet.
var (
	categoryOrder = [numCategories]model.Category{ciPoor: model.CatPoor, ciLeftBehind: model.CatLeftBehind,
		ciSingleParent: model.CatSingleParent, ciMigrant: model.CatMigrant, ciOrphan: model.CatOrphan,
		ciDisabled: model.CatDisabled}
	catBits [numCategories]model.CategorySet
)

func init() {
	for i, c := range categoryOrder {
		catBits[i] = model.CategorySet(0).With(c)
	}
}

func newGenerator(cfg Config) *generator {
	g := &generator{
		r:      newRNG(cfg.Seed),
		byType: map[model.SchoolType]int{},
		buf:    make([]byte, 0, 64),
	}
	y := cfg.StartYear
	g.base = time.Date(y-21, time.January, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC)
	n := int(end.Sub(g.base).Hours()/24 + 0.5)
	g.days = make([]time.Time, n)
	g.ymd = make([][8]byte, n)
	for i := range n {
		t := g.base.AddDate(0, 0, i)
		g.days[i] = t
		yy, mm, dd := t.Date()
		b := appendDigits(g.ymd[i][:0], uint64(yy), 4)
		b = appendDigits(b, uint64(mm), 2)
		appendDigits(b, uint64(dd), 2)
	}
	for grade := -2; grade <= 13; grade++ {
		from := time.Date(y-6-grade, time.September, 1, 0, 0, 0, 0, time.UTC)
		to := time.Date(y-5-grade, time.September, 1, 0, 0, 0, 0, time.UTC)
		g.window[grade+2] = dayWindow{start: g.dayIndex(from), n: g.dayIndex(to) - g.dayIndex(from)}
	}
	g.idSeq = make([]uint16, len(districts)*n*2)
	g.lSeq = make([]uint16, len(districts)*n)
	g.plans = planSchools(g.r, cfg.Scale)
	return g
}

func (g *generator) dayIndex(t time.Time) int {
	return int(math.Round(t.Sub(g.base).Hours() / 24))
}

func (g *generator) summary() Summary {
	s := Summary{
		Agencies:      g.agencies,
		Districts:     g.districts,
		Schools:       int(g.schoolID),
		Classes:       int(g.classID),
		Staff:         int(g.staffID),
		Students:      int(g.studentID),
		Guardians:     int(g.guardianID),
		SchoolsByType: map[model.SchoolType]int{},
		Categories:    map[model.Category]int{},
	}
	for t, n := range g.byType {
		s.SchoolsByType[t] = n
	}
	for i, c := range categoryOrder {
		if g.cats[i] > 0 {
			s.Categories[c] = g.cats[i]
		}
	}
	return s
}

func (g *generator) run(sink Sink) error {
	for i, a := range agencies {
		a.ID = int64(i + 1)
		if err := sink.Agency(a); err != nil {
			return fmt.Errorf("demo: agency %d: %w", a.ID, err)
		}
		g.agencies++
	}
	for i, ds := range districts {
		d := model.District{ID: int64(i + 1), Code: ds.code, Name: ds.name, Kind: ds.kind}
		if err := sink.District(d); err != nil {
			return fmt.Errorf("demo: district %s: %w", ds.code, err)
		}
		g.districts++
	}
	for i := range g.plans {
		if err := g.school(sink, &g.plans[i]); err != nil {
			return err
		}
	}
	return nil
}

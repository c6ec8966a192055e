package demo

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"huhang/internal/model"
)

func TestChineseNumerals(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{1, "一"}, {2, "二"}, {10, "十"}, {12, "十二"}, {20, "二十"}, {23, "二十三"}, {99, "九十九"}, {100, "100"}, {0, "0"},
	}
	for _, tt := range tests {
		if got := cnNumber(tt.n); got != tt.want {
			t.Errorf("cnNumber(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestIDCheckCharFollowsGB11643(t *testing.T) {
	tests := []struct {
		first17 string
		want    byte
	}{
		{"11010519491231002", 'X'}, // the standard's own example
		{"44052418800101001", '4'},
		{"00000000000000000", '1'},
		{"1101051949123100", 0},  // too short
		{"1101051949123100A", 0}, // not a digit
	}
	for _, tt := range tests {
		if got := idCheckChar([]byte(tt.first17)); got != tt.want {
			t.Errorf("idCheckChar(%q) = %q, want %q", tt.first17, got, tt.want)
		}
	}
}

func TestGenerateRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		sink Sink
	}{
		{"zero scale", Config{Seed: 1}, discard{}},
		{"negative scale", Config{Seed: 1, Scale: -1}, discard{}},
		{"huge scale", Config{Seed: 1, Scale: 100}, discard{}},
		{"ancient start year", Config{Seed: 1, Scale: 0.01, StartYear: 1900}, discard{}},
		{"nil sink", Config{Seed: 1, Scale: 0.01}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Generate(tt.cfg, tt.sink); err == nil {
				t.Error("Generate succeeded, want an error")
			}
		})
	}
}

func TestGenerateStopsAtTheFirstSinkError(t *testing.T) {
	boom := errors.New("boom")
	s := &failingSink{after: 100, err: boom}
	sum, err := Generate(Config{Seed: 1, Scale: 0.02, StartYear: 2026}, s)
	if !errors.Is(err, boom) {
		t.Fatalf("Generate error = %v, want %v", err, boom)
	}
	if s.students != 101 || sum.Students != 100 {
		t.Errorf("sink saw %d students and summary says %d, want 101 tries and 100 emitted", s.students, sum.Students)
	}
}

func TestSameSeedGivesTheSameCity(t *testing.T) {
	run := func(seed uint64) string {
		h := &hashSink{h: sha256.New()}
		if _, err := Generate(Config{Seed: seed, Scale: 0.05, StartYear: 2026}, h); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x", h.h.Sum(nil))
	}
	a, b, c := run(1), run(1), run(2)
	if a != b {
		t.Errorf("two runs with seed 1 differ: %s vs %s", a, b)
	}
	if a == c {
		t.Errorf("seeds 1 and 2 gave the same city %s", a)
	}
}

func TestZeroStartYearMeansTheDefault(t *testing.T) {
	hashOf := func(year int) string {
		h := &hashSink{h: sha256.New()}
		if _, err := Generate(Config{Seed: 5, Scale: 0.01, StartYear: year}, h); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x", h.h.Sum(nil))
	}
	if hashOf(0) != hashOf(DefaultStartYear) {
		t.Error("StartYear 0 and DefaultStartYear give different cities")
	}
	if hashOf(2030) == hashOf(DefaultStartYear) {
		t.Error("the start year changes nothing")
	}
}

func TestSmallCitiesStillCoverEveryDistrict(t *testing.T) {
	tests := []struct {
		scale     float64
		wantTypes bool
	}{
		{0.001, false}, {0.01, false}, {0.05, true}, {0.2, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("scale ", tt.scale), func(t *testing.T) {
			c := newChecker(2026)
			sum, err := Generate(Config{Seed: 7, Scale: tt.scale, StartYear: 2026}, c)
			if err != nil {
				t.Fatal(err)
			}
			c.finish()
			for rule, probs := range c.problems {
				t.Errorf("%s: %d problems, e.g. %s", rule, c.counts[rule], strings.Join(probs, "; "))
			}
			for _, ds := range districts {
				if c.studentsByDistrict[ds.code] == 0 {
					t.Errorf("district %s has no students", ds.name)
				}
			}
			if tt.wantTypes {
				for _, ty := range model.SchoolTypes {
					if sum.SchoolsByType[ty] == 0 {
						t.Errorf("no %s school", ty)
					}
				}
			}
		})
	}
}

func TestCheckerCatchesBrokenRecords(t *testing.T) {
	tests := []struct {
		name   string
		rule   string
		mutate func(*model.Student)
	}{
		{"a wrong check char", ruleIDNumber, func(s *model.Student) { s.IDNumber = s.IDNumber[:17] + "Y"; s.StudentNo = "G" + s.IDNumber }},
		{"a gender that contradicts the ID number", ruleIDNumber, func(s *model.Student) {
			if s.Gender == model.Male {
				s.Gender = model.Female
			} else {
				s.Gender = model.Male
			}
		}},
		{"a birth date off the ID number and the grade", ruleBirthDate, func(s *model.Student) { s.BirthDate = s.BirthDate.AddDate(-3, 0, 0) }},
		{"a class from another school", ruleClassSchool, func(s *model.Student) { s.ClassID = 1 }},
		{"a repeated student number", ruleStudentNo, func(s *model.Student) { s.StudentNo, s.IDNumber = "L5104029999999999999", "" }},
		{"no guardian", ruleGuardians, func(s *model.Student) { s.Guardians = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(2026)
			m := &mutatingSink{checker: c, mutate: tt.mutate}
			if _, err := Generate(Config{Seed: 3, Scale: 0.02, StartYear: 2026}, m); err != nil {
				t.Fatal(err)
			}
			c.finish()
			if c.counts[tt.rule] == 0 {
				t.Errorf("rule %q did not fire", tt.rule)
			}
		})
	}
}

// mutatingSink passes records to a checker, breaking every 50th student
// that has an ID number.
type mutatingSink struct {
	*checker
	mutate func(*model.Student)
	n      int
}

func (m *mutatingSink) Student(s model.Student) error {
	m.n++
	if s.IDNumber != "" && m.n%50 == 0 {
		m.mutate(&s)
	}
	return m.checker.Student(s)
}

// fullCity generates the full city for seed 1 once, through a checker.
var fullCity = sync.OnceValues(func() (*checker, error) {
	c := newChecker(2026)
	sum, err := Generate(Config{Seed: 1, Scale: 1, StartYear: 2026}, c)
	c.sum = sum
	c.finish()
	return c, err
})

func TestFullCity(t *testing.T) {
	if testing.Short() {
		t.Skip("full city skipped in -short mode")
	}
	c, err := fullCity()
	if err != nil {
		t.Fatal(err)
	}
	sum := c.sum
	t.Logf("summary: %+v", sum)

	t.Run("has 150,000–200,000 students in 250–350 schools", func(t *testing.T) {
		if sum.Students < 150000 || sum.Students > 200000 {
			t.Errorf("students = %d", sum.Students)
		}
		if sum.Schools < 250 || sum.Schools > 350 {
			t.Errorf("schools = %d", sum.Schools)
		}
	})
	t.Run("has every school type and every district", func(t *testing.T) {
		for _, ty := range model.SchoolTypes {
			if sum.SchoolsByType[ty] == 0 {
				t.Errorf("no %s school", ty)
			}
		}
		for _, ds := range districts {
			if c.studentsByDistrict[ds.code] == 0 {
				t.Errorf("district %s has no students", ds.name)
			}
		}
		if sum.Districts != 5 || sum.Agencies != 4 {
			t.Errorf("districts = %d, agencies = %d", sum.Districts, sum.Agencies)
		}
	})
	t.Run("spreads students by population share", func(t *testing.T) {
		totalPop := 0
		for _, ds := range districts {
			totalPop += ds.pop
		}
		for _, ds := range districts {
			want := float64(ds.pop) / float64(totalPop)
			got := float64(c.studentsByDistrict[ds.code]) / float64(sum.Students)
			if got < want-0.02 || got > want+0.02 {
				t.Errorf("%s has %.3f of the students, population share %.3f", ds.name, got, want)
			}
		}
	})
	t.Run("summary counts what was emitted", func(t *testing.T) {
		type counts struct{ agencies, districts, schools, classes, staff, students, guardians int }
		got := counts{c.n["agency"], c.n["district"], c.n["school"], c.n["class"], c.n["staff"], c.n["student"], c.n["guardian"]}
		want := counts{sum.Agencies, sum.Districts, sum.Schools, sum.Classes, sum.Staff, sum.Students, sum.Guardians}
		if got != want {
			t.Errorf("emitted %+v, summary %+v", got, want)
		}
		for ty, n := range sum.SchoolsByType {
			if c.schoolsByType[ty] != n {
				t.Errorf("%s: emitted %d, summary %d", ty, c.schoolsByType[ty], n)
			}
		}
		for cat, n := range sum.Categories {
			if c.categories[cat] != n {
				t.Errorf("%s: emitted %d, summary %d", cat, c.categories[cat], n)
			}
		}
	})
	t.Run("left-behind rate in counties is over twice the urban rate", func(t *testing.T) {
		county := c.rate(model.KindCounty, model.CatLeftBehind)
		urban := c.rate(model.KindDistrict, model.CatLeftBehind)
		t.Logf("left-behind: county %.3f, urban %.3f", county, urban)
		if county <= 2*urban {
			t.Errorf("county rate %.3f is not over twice the urban rate %.3f", county, urban)
		}
	})
	t.Run("category and ID rates are plausible", func(t *testing.T) {
		tests := []struct {
			cat    model.Category
			lo, hi float64
		}{
			{model.CatLeftBehind, 0.08, 0.15},
			{model.CatPoor, 0.04, 0.08},
			{model.CatSingleParent, 0.06, 0.10},
			{model.CatMigrant, 0.02, 0.06},
			{model.CatOrphan, 0.001, 0.006},
			{model.CatDisabled, 0.008, 0.02},
		}
		for _, tt := range tests {
			r := float64(sum.Categories[tt.cat]) / float64(sum.Students)
			if r < tt.lo || r > tt.hi {
				t.Errorf("%s rate %.4f outside [%v, %v]", tt.cat, r, tt.lo, tt.hi)
			}
		}
		noID := float64(c.noID) / float64(sum.Students)
		if noID < 0.03 || noID > 0.07 {
			t.Errorf("share without ID number %.3f, want about 5 %%", noID)
		}
		male := float64(c.male) / float64(sum.Students)
		if male < 0.505 || male > 0.525 {
			t.Errorf("male share %.3f, want about 51.5 %%", male)
		}
	})
	// Each rule the checker enforces on every record, as its own subtest.
	for _, rule := range rules {
		t.Run(rule, func(t *testing.T) {
			if n := c.counts[rule]; n > 0 {
				t.Errorf("%d violations, e.g. %s", n, strings.Join(c.problems[rule], "; "))
			}
		})
	}
}

// Rules the checker enforces.
const (
	ruleOrder        = "records come in order: agencies, districts, then each school with its classes, staff and students"
	ruleIDs          = "IDs are sequential per record type from 1"
	ruleClassSize    = "class sizes are within the norms"
	ruleIDNumber     = "every ID number is well-formed and agrees with birth date, gender and district"
	ruleStudentNo    = "student numbers are unique and well-formed"
	ruleClassSchool  = "every student's class belongs to its school and district"
	ruleBirthDate    = "birth dates fit the grade"
	ruleClassTeacher = "every class has exactly one class teacher"
	ruleStaff        = "every school has a principal, a moral cadre and a psychology teacher"
	ruleGuardians    = "every student has one or two plausible guardians"
	ruleSpecial      = "special-school pupils are all disabled"
	ruleNames        = "names are one surname and one or two given characters"
	ruleSchools      = "school codes and names are unique"
)

var rules = []string{ruleOrder, ruleIDs, ruleClassSize, ruleIDNumber, ruleStudentNo, ruleClassSchool,
	ruleBirthDate, ruleClassTeacher, ruleStaff, ruleGuardians, ruleSpecial, ruleNames, ruleSchools}

// checker is a Sink that checks every record as it arrives and keeps only
// what later checks need.
type checker struct {
	startYear int
	sum       Summary
	problems  map[string][]string
	counts    map[string]int
	n         map[string]int // records per type, doubling as the last ID

	stage       int // 0 agencies, 1 districts, 2 school, 3 classes, 4 staff, 5 students
	school      model.School
	districtOf  map[int64]model.District
	schoolCodes map[string]bool
	schoolType  map[int64]model.SchoolType
	schoolNames map[string]bool
	classes     map[int64]model.Class
	classSize   map[int64]int
	classTeach  map[int64]int
	posts       map[model.Post]int // posts in the current school
	studentNos  map[string]bool

	schoolsByType      map[model.SchoolType]int
	categories         map[model.Category]int
	studentsByDistrict map[string]int
	kindStudents       map[model.DistrictKind]int
	kindCats           map[model.DistrictKind]map[model.Category]int
	noID, male         int
}

func newChecker(startYear int) *checker {
	return &checker{
		startYear: startYear, problems: map[string][]string{}, counts: map[string]int{}, n: map[string]int{},
		districtOf: map[int64]model.District{}, schoolType: map[int64]model.SchoolType{}, schoolCodes: map[string]bool{}, schoolNames: map[string]bool{},
		classes: map[int64]model.Class{}, classSize: map[int64]int{}, classTeach: map[int64]int{},
		studentNos: map[string]bool{}, schoolsByType: map[model.SchoolType]int{}, categories: map[model.Category]int{},
		studentsByDistrict: map[string]int{}, kindStudents: map[model.DistrictKind]int{},
		kindCats: map[model.DistrictKind]map[model.Category]int{model.KindCounty: {}, model.KindDistrict: {}},
	}
}

func (c *checker) fail(rule, format string, args ...any) {
	c.counts[rule]++
	if len(c.problems[rule]) < 3 {
		c.problems[rule] = append(c.problems[rule], fmt.Sprintf(format, args...))
	}
}

// next checks that id is the next ID of kind and counts it.
func (c *checker) next(kind string, id int64) {
	c.n[kind]++
	if id != int64(c.n[kind]) {
		c.fail(ruleIDs, "%s ID %d, want %d", kind, id, c.n[kind])
	}
}

// enter moves to stage s, which must not go backwards (except to a new school).
func (c *checker) enter(s int, what string) {
	if s < c.stage && s != 2 || (s == 2 && c.stage < 1) {
		c.fail(ruleOrder, "%s after stage %d", what, c.stage)
	}
	c.stage = s
}

func (c *checker) Agency(a model.Agency) error {
	c.enter(0, "agency")
	c.next("agency", a.ID)
	if !a.Kind.Valid() || a.Name == "" {
		c.fail(ruleOrder, "bad agency %+v", a)
	}
	return nil
}

func (c *checker) District(d model.District) error {
	c.enter(1, "district")
	c.next("district", d.ID)
	c.districtOf[d.ID] = d
	return nil
}

func (c *checker) School(s model.School) error {
	c.endSchool()
	c.enter(2, "school")
	c.next("school", s.ID)
	c.school = s
	c.schoolType[s.ID] = s.Type
	c.posts = map[model.Post]int{}
	c.schoolsByType[s.Type]++
	d, ok := c.districtOf[s.DistrictID]
	if !ok {
		c.fail(ruleOrder, "school %s in unknown district %d", s.Name, s.DistrictID)
	}
	if len(s.Code) != 10 || !strings.HasPrefix(s.Code, d.Code) || c.schoolCodes[s.Code] {
		c.fail(ruleSchools, "school code %q (district %s)", s.Code, d.Code)
	}
	if c.schoolNames[s.Name] || !strings.Contains(s.Name, "学") && !strings.Contains(s.Name, "幼儿园") {
		c.fail(ruleSchools, "school name %q", s.Name)
	}
	c.schoolCodes[s.Code], c.schoolNames[s.Name] = true, true
	return nil
}

func (c *checker) Class(k model.Class) error {
	c.enter(3, "class")
	c.next("class", k.ID)
	if k.SchoolID != c.school.ID || k.DistrictID != c.school.DistrictID || k.SchoolYearID != 0 {
		c.fail(ruleOrder, "class %d of school %d/%d emitted in school %d", k.ID, k.SchoolID, k.DistrictID, c.school.ID)
	}
	if !c.school.Type.TeachesGrade(k.Grade) || k.Name != model.ClassName(k.Grade, k.Number) {
		c.fail(ruleOrder, "class %q grade %d in a %s school", k.Name, k.Grade, c.school.Type)
	}
	c.classes[k.ID] = k
	return nil
}

func (c *checker) Staff(s model.Staff) error {
	c.enter(4, "staff")
	c.next("staff", s.ID)
	if s.SchoolID != c.school.ID || s.DistrictID != c.school.DistrictID || !s.Active || !s.Gender.Valid() {
		c.fail(ruleOrder, "staff %+v in school %d", s, c.school.ID)
	}
	c.checkName(s.Name)
	if !validPhone(s.Phone) {
		c.fail(ruleStaff, "staff phone %q", s.Phone)
	}
	if len(s.Posts) == 0 {
		c.fail(ruleStaff, "staff %d has no post", s.ID)
	}
	for _, p := range s.Posts {
		c.posts[p.Post]++
		if !p.Post.Valid() || p.Post.NeedsClass() != (p.ClassID != 0) {
			c.fail(ruleStaff, "post %+v", p)
		}
		if p.Post == model.PostClassTeacher {
			k, ok := c.classes[p.ClassID]
			if !ok || k.SchoolID != s.SchoolID {
				c.fail(ruleClassTeacher, "class teacher %d of class %d outside school %d", s.ID, p.ClassID, s.SchoolID)
			}
			c.classTeach[p.ClassID]++
		}
	}
	return nil
}

func (c *checker) Student(s model.Student) error {
	c.enter(5, "student")
	c.next("student", s.ID)
	d := c.districtOf[s.DistrictID]
	k, ok := c.classes[s.ClassID]
	if s.SchoolID != c.school.ID || !ok || k.SchoolID != s.SchoolID || k.DistrictID != s.DistrictID || s.DistrictID != c.school.DistrictID {
		c.fail(ruleClassSchool, "student %d in class %d (school %d), school %d", s.ID, s.ClassID, k.SchoolID, s.SchoolID)
	}
	c.classSize[s.ClassID]++
	c.studentsByDistrict[d.Code]++
	c.kindStudents[d.Kind]++
	if s.Gender == model.Male {
		c.male++
	}
	if s.Status != model.Enrolled || !s.Gender.Valid() {
		c.fail(ruleOrder, "student %d status %q gender %q", s.ID, s.Status, s.Gender)
	}
	for _, cat := range s.Categories.List() {
		c.categories[cat]++
		c.kindCats[d.Kind][cat]++
	}
	c.checkName(s.Name)

	// Birth date: the grade's cohort (Sep 1 … Aug 31), or the one before.
	y := c.startYear - 6 - k.Grade
	from := time.Date(y-1, time.September, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(y+1, time.September, 1, 0, 0, 0, 0, time.UTC)
	if s.BirthDate.Before(from) || !s.BirthDate.Before(to) || s.BirthDate.Location() != time.UTC {
		c.fail(ruleBirthDate, "grade %d pupil born %s", k.Grade, s.BirthDate)
	}
	if k.Grade <= 0 && s.BirthDate.Before(time.Date(y, time.September, 1, 0, 0, 0, 0, time.UTC)) {
		c.fail(ruleBirthDate, "kindergarten grade %d pupil born %s", k.Grade, s.BirthDate)
	}

	// ID number and student number.
	ymd := s.BirthDate.Format("20060102")
	if s.IDNumber == "" {
		c.noID++
		if len(s.StudentNo) != 19 || s.StudentNo[:15] != "L"+d.Code+ymd || !allDigits(s.StudentNo[15:]) {
			c.fail(ruleStudentNo, "local student number %q (district %s, born %s)", s.StudentNo, d.Code, ymd)
		}
	} else {
		id := s.IDNumber
		switch {
		case len(id) != 18 || !allDigits(id[:17]):
			c.fail(ruleIDNumber, "ID number %q is not 17 digits and a check char", id)
		case idCheckChar([]byte(id[:17])) != id[17]:
			c.fail(ruleIDNumber, "ID number %q has a bad check char", id)
		case id[:6] != d.Code:
			c.fail(ruleIDNumber, "ID number %q outside district %s", id, d.Code)
		case id[6:14] != ymd:
			c.fail(ruleIDNumber, "ID number %q, born %s", id, ymd)
		case (id[16]-'0')%2 == 1 != (s.Gender == model.Male):
			c.fail(ruleIDNumber, "ID number %q for gender %s", id, s.Gender)
		}
		if s.StudentNo != "G"+id {
			c.fail(ruleStudentNo, "student number %q for ID %q", s.StudentNo, id)
		}
	}
	if c.studentNos[s.StudentNo] {
		c.fail(ruleStudentNo, "student number %q repeats", s.StudentNo)
	}
	c.studentNos[s.StudentNo] = true

	if c.school.Type == model.Special && !s.Categories.Has(model.CatDisabled) {
		c.fail(ruleSpecial, "student %d of %s is not disabled", s.ID, c.school.Name)
	}

	// Guardians.
	if len(s.Guardians) < 1 || len(s.Guardians) > 2 {
		c.fail(ruleGuardians, "student %d has %d guardians", s.ID, len(s.Guardians))
	}
	grand := false
	for _, g := range s.Guardians {
		c.next("guardian", g.ID)
		c.checkName(g.Name)
		if !g.Relation.Valid() || !validPhone(g.Phone) {
			c.fail(ruleGuardians, "guardian %+v", g)
		}
		if (g.Relation == model.RelFather || g.Relation == model.RelGrandfather) && !sameSurname(g.Name, s.Name) {
			c.fail(ruleGuardians, "%s %s of %s has another surname", g.Relation, g.Name, s.Name)
		}
		grand = grand || g.Relation == model.RelGrandfather || g.Relation == model.RelGrandmother
	}
	if s.Categories.Has(model.CatLeftBehind) && !grand {
		c.fail(ruleGuardians, "left-behind student %d has no grandparent guardian", s.ID)
	}
	return nil
}

// endSchool checks the school just finished.
func (c *checker) endSchool() {
	if c.school.ID == 0 {
		return
	}
	for _, p := range []model.Post{model.PostPrincipal, model.PostMoralCadre} {
		if c.posts[p] != 1 {
			c.fail(ruleStaff, "%s has %d %s", c.school.Name, c.posts[p], p)
		}
	}
	if c.posts[model.PostPsychFullTime]+c.posts[model.PostPsychPartTime] == 0 {
		c.fail(ruleStaff, "%s has no psychology teacher", c.school.Name)
	}
}

// finish runs the checks that need every record.
func (c *checker) finish() {
	c.endSchool()
	for id, k := range c.classes {
		if n := c.classTeach[id]; n != 1 {
			c.fail(ruleClassTeacher, "class %d (%s) has %d class teachers", id, k.Name, n)
		}
		lo, hi := 12, 45
		switch t := c.schoolType[k.SchoolID]; {
		case t == model.Special:
			lo, hi = 8, 12
		case k.Grade <= 0:
			lo, hi = 25, 35
		case k.Grade >= 7:
			lo, hi = 20, 50
		}
		if n := c.classSize[id]; n < lo || n > hi {
			c.fail(ruleClassSize, "class %s of a %s school has %d pupils, want %d–%d", k.Name, c.schoolType[k.SchoolID], n, lo, hi)
		}
	}
}

func (c *checker) rate(kind model.DistrictKind, cat model.Category) float64 {
	return float64(c.kindCats[kind][cat]) / float64(c.kindStudents[kind])
}

func (c *checker) checkName(name string) {
	n := utf8.RuneCountInString(name)
	if n < 2 || n > 4 {
		c.fail(ruleNames, "name %q", name)
	}
}

// sameSurname reports whether two names start with the same surname.
func sameSurname(a, b string) bool {
	for _, s := range surnames {
		if strings.HasPrefix(a, s.name) && strings.HasPrefix(b, s.name) {
			return true
		}
	}
	return false
}

func validPhone(p string) bool {
	return len(p) == 11 && p[0] == '1' && strings.IndexByte("35789", p[1]) >= 0 && allDigits(p)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// discard is a Sink that drops everything.
type discard struct{}

func (discard) Agency(model.Agency) error     { return nil }
func (discard) District(model.District) error { return nil }
func (discard) School(model.School) error     { return nil }
func (discard) Class(model.Class) error       { return nil }
func (discard) Staff(model.Staff) error       { return nil }
func (discard) Student(model.Student) error   { return nil }

// hashSink hashes every record it is handed, in order.
type hashSink struct{ h hash.Hash }

func (s *hashSink) put(kind string, v any) error {
	fmt.Fprintf(s.h, "%s %+v\n", kind, v)
	return nil
}
func (s *hashSink) Agency(v model.Agency) error     { return s.put("agency", v) }
func (s *hashSink) District(v model.District) error { return s.put("district", v) }
func (s *hashSink) School(v model.School) error     { return s.put("school", v) }
func (s *hashSink) Class(v model.Class) error       { return s.put("class", v) }
func (s *hashSink) Staff(v model.Staff) error       { return s.put("staff", v) }
func (s *hashSink) Student(v model.Student) error {
	// %+v leaves out nothing: IDNumber, Categories and Guardians included.
	return s.put("student", v)
}

// failingSink fails on the student after the first `after`.
type failingSink struct {
	discard
	after, students int
	err             error
}

func (s *failingSink) Student(model.Student) error {
	s.students++
	if s.students > s.after {
		return s.err
	}
	return nil
}

func BenchmarkGenerate(b *testing.B) {
	var sum Summary
	for b.Loop() {
		var err error
		sum, err = Generate(Config{Seed: 1, Scale: 1, StartYear: 2026}, discard{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sum.Students), "students")
}

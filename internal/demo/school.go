package demo

import (
	"fmt"
	"math"

	"huhang/internal/model"
)

// classNorms returns the hard lower and upper bounds of a class's size and
// the size schools aim for, by school type, grade and rurality (urban
// classes fuller, rural ones smaller).
func classNorms(t model.SchoolType, grade int, rurality float64) (lo, hi, target int) {
	switch {
	case t == model.Special:
		return 8, 12, 10
	case grade <= 0:
		return 25, 35, int(math.Round(32 - 4*rurality))
	case grade <= 6:
		return 12, 45, int(math.Round(42 - 10*rurality))
	default:
		return 20, 50, int(math.Round(48 - 4*rurality))
	}
}

// school emits one school with its classes, staff and students.
func (g *generator) school(sink Sink, p *schoolPlan) error {
	ds := &districts[p.district]
	did := int64(p.district + 1)
	g.schoolID++
	sid := g.schoolID
	s := model.School{ID: sid, DistrictID: did, Code: p.code, Name: p.name, Type: p.typ, Address: p.address}
	if err := sink.School(s); err != nil {
		g.schoolID-- // the summary counts only what the sink took
		return fmt.Errorf("demo: school %s: %w", p.code, err)
	}
	g.byType[p.typ]++

	// Classes: each grade gets its share of the budget (±10 %), split into
	// as many classes as the target size suggests, within the norms.
	grades := p.typ.Grades()
	g.classes = g.classes[:0]
	pupils := 0
	for _, grade := range grades {
		lo, hi, target := classNorms(p.typ, grade, ds.rurality)
		n := max(1, int(math.Round(float64(p.pupils)/float64(len(grades))*(0.9+0.2*g.r.float()))))
		k := max(1, int(math.Round(float64(n)/float64(target))))
		if p.maxStreams > 0 {
			k = min(k, p.maxStreams)
		}
		for n > k*hi && (p.maxStreams == 0 || k < p.maxStreams) {
			k++
		}
		n = min(n, k*hi)
		for j := range k {
			size := n / k
			if j < n%k {
				size++
			}
			size = min(hi, max(lo, size+g.r.intn(5)-2))
			g.classID++
			c := model.Class{ID: g.classID, SchoolID: sid, DistrictID: did, Grade: grade, Number: j + 1, Name: model.ClassName(grade, j+1)}
			if err := sink.Class(c); err != nil {
				g.classID--
				return fmt.Errorf("demo: class %d: %w", c.ID, err)
			}
			g.classes = append(g.classes, classInfo{id: c.ID, grade: grade, size: size})
			pupils += size
		}
	}

	if err := g.staff(sink, p, sid, did, pupils); err != nil {
		return err
	}

	county := ds.kind == model.KindCounty
	for _, c := range g.classes {
		for range c.size {
			if err := g.student(sink, p, sid, did, c, county); err != nil {
				return err
			}
		}
	}
	return nil
}

// staff emits the school's staff: a principal, psychology teachers, a moral
// education cadre, a Youth League cadre where there is a League, a
// counsellor in larger schools, a class teacher per class and further subject
// teachers.
func (g *generator) staff(sink Sink, p *schoolPlan, sid, did int64, pupils int) error {
	female := 0.55
	if p.typ == model.Kindergarten || p.typ == model.Primary {
		female = 0.70
	}
	emit := func(posts ...model.StaffPost) error {
		gender := model.Male
		if g.r.chance(female) {
			gender = model.Female
		}
		g.staffID++
		name, phone := g.nameAndPhone(g.r.pickSurname(), gender, 0.65)
		st := model.Staff{ID: g.staffID, SchoolID: sid, DistrictID: did, Name: name, Gender: gender,
			Phone: phone, Active: true, Posts: posts}
		if err := sink.Staff(st); err != nil {
			g.staffID--
			return fmt.Errorf("demo: staff %d: %w", st.ID, err)
		}
		return nil
	}
	post := func(p model.Post) model.StaffPost { return model.StaffPost{Post: p} }

	if err := emit(post(model.PostPrincipal)); err != nil {
		return err
	}
	if pupils >= 1000 {
		n := 1
		if pupils >= 2500 {
			n = 2
		}
		for range n {
			if err := emit(post(model.PostPsychFullTime)); err != nil {
				return err
			}
		}
	} else if err := emit(post(model.PostPsychPartTime), post(model.PostSubjectTeacher)); err != nil {
		return err
	}
	if err := emit(post(model.PostMoralCadre)); err != nil {
		return err
	}
	switch p.typ {
	case model.Junior, model.Senior, model.TwelveYear, model.Vocational, model.NineYear:
		if err := emit(post(model.PostLeagueCadre), post(model.PostSubjectTeacher)); err != nil {
			return err
		}
	}
	if len(g.classes) >= 18 {
		if err := emit(post(model.PostCounsellor)); err != nil {
			return err
		}
	}
	for _, c := range g.classes {
		if err := emit(model.StaffPost{Post: model.PostClassTeacher, ClassID: c.id}, post(model.PostSubjectTeacher)); err != nil {
			return err
		}
	}
	for range int(math.Round(float64(len(g.classes)) / 1.2)) {
		if err := emit(post(model.PostSubjectTeacher)); err != nil {
			return err
		}
	}
	return nil
}

// nameAndPhone makes a person's name from surname plus a given name and a
// mobile number, built in one allocation.
func (g *generator) nameAndPhone(surname string, gender model.Gender, twoProb float64) (name, phone string) {
	b := append(g.buf[:0], surname...)
	b = g.r.appendGiven(b, gender, twoProb)
	n := len(b)
	b = g.r.appendPhone(b)
	g.buf = b
	s := string(b)
	return s[:n], s[n:]
}

// student emits one pupil of class c.
func (g *generator) student(sink Sink, p *schoolPlan, sid, did int64, c classInfo, county bool) error {
	r := g.r
	d := p.district
	male := r.chance(maleRate)
	gender, sex := model.Female, 0
	if male {
		gender, sex = model.Male, 1
	}

	// Birth date: within the grade's cohort, a few a year older.
	w := g.window[c.grade+2]
	held := 0.01
	switch {
	case c.grade <= 0:
		held = 0
	case p.typ == model.Special:
		held = 0.15
	case county:
		held = 0.03
	}
	if held > 0 && r.chance(held) {
		w = g.window[c.grade+3]
	}
	day := w.start + r.intn(w.n)

	// Categories.
	rates := &urbanRates
	if county {
		rates = &countyRates
	}
	var cs model.CategorySet
	orphan := r.chance(orphanRate)
	var migrant, left, single bool
	if !orphan {
		if r.chance(rates.migrant) {
			migrant = true
		} else if r.chance(rates.leftBehind / (1 - rates.migrant)) {
			left = true
		}
		single = r.chance(singleParentRate)
	}
	poor := r.chance(rates.poor) || (orphan && r.chance(0.5))
	disabled := p.typ == model.Special || r.chance(disabledRate)
	for i, on := range [...]bool{ciPoor: poor, ciLeftBehind: left, ciSingleParent: single,
		ciMigrant: migrant, ciOrphan: orphan, ciDisabled: disabled} {
		if on {
			cs |= catBits[i]
			g.cats[i]++
		}
	}

	// Student number, ID number and name share one allocation:
	// "G"+ID (or "L"+…) followed by the name.
	code := districts[d].code
	ymd := &g.ymd[day]
	b := g.buf[:0]
	noID := noIDRate
	if migrant {
		noID += migrantNoIDRate
	}
	hasID := !r.chance(noID)
	if hasID {
		slot := (d*len(g.days)+day)*2 + sex
		k := int(g.idSeq[slot])
		if k < 499 {
			g.idSeq[slot]++
			// A permutation of 0…498 so sequences look scattered, not 001, 003, …
			m := (k*37 + (day*131+d*17)%499) % 499
			seq := 2*m + 2 - sex // odd for male, even (never 000) for female
			b = append(b, 'G')
			b = append(b, code...)
			b = append(b, ymd[:]...)
			b = appendDigits(b, uint64(seq), 3)
			b = append(b, idCheckChar(b[1:18]))
		} else {
			hasID = false
		}
	}
	if !hasID {
		slot := d*len(g.days) + day
		k := int(g.lSeq[slot])
		if k >= 10000 {
			return fmt.Errorf("demo: too many students born on one day in %s", code)
		}
		g.lSeq[slot]++
		m := (k*7919 + day*53 + d*1009) % 10000
		b = append(b, 'L')
		b = append(b, code...)
		b = append(b, ymd[:]...)
		b = appendDigits(b, uint64(m), 4)
	}
	nno := len(b)
	sur := r.pickSurname()
	b = append(b, sur...)
	b = r.appendGiven(b, gender, 0.85)
	g.buf = b
	str := string(b)
	st := model.Student{
		SchoolID:   sid,
		DistrictID: did,
		ClassID:    c.id,
		StudentNo:  str[:nno],
		Name:       str[nno:],
		Gender:     gender,
		BirthDate:  g.days[day],
		Status:     model.Enrolled,
		Categories: cs,
	}
	if hasID {
		st.IDNumber = str[1:nno]
	}

	// Guardians.
	var gs [2]model.Guardian
	n := 0
	add := func(rel model.Relation, surname string) {
		gs[n] = g.guardian(rel, surname)
		n++
	}
	switch {
	case orphan:
		switch {
		case r.chance(0.35):
			add(model.RelGrandfather, sur)
		case r.chance(0.55):
			add(model.RelGrandmother, r.pickSurname())
		default:
			add(model.RelOther, r.pickSurname())
		}
	case left:
		if r.chance(0.55) {
			add(model.RelGrandmother, r.pickSurname())
		} else {
			add(model.RelGrandfather, sur)
		}
		if r.chance(0.5) { // a parent working away
			if r.chance(0.6) {
				add(model.RelFather, sur)
			} else {
				add(model.RelMother, r.pickSurname())
			}
		}
	case single:
		if r.chance(0.7) {
			add(model.RelMother, r.pickSurname())
		} else {
			add(model.RelFather, sur)
		}
	default:
		switch x := r.float(); {
		case x < 0.45:
			add(model.RelMother, r.pickSurname())
			add(model.RelFather, sur)
		case x < 0.80:
			add(model.RelFather, sur)
			add(model.RelMother, r.pickSurname())
		case x < 0.92:
			add(model.RelMother, r.pickSurname())
		default:
			add(model.RelFather, sur)
		}
	}
	if len(g.guardians)+n > cap(g.guardians) {
		g.guardians = make([]model.Guardian, 0, 4096)
	}
	start := len(g.guardians)
	g.guardians = append(g.guardians, gs[:n]...)
	st.Guardians = g.guardians[start : start+n : start+n]

	g.studentID++
	st.ID = g.studentID
	if err := sink.Student(st); err != nil {
		g.studentID--
		g.guardianID -= int64(n)
		return fmt.Errorf("demo: student %d: %w", st.ID, err)
	}
	return nil
}

// guardian makes one guardian with the next guardian ID.
func (g *generator) guardian(rel model.Relation, surname string) model.Guardian {
	gender := model.Female
	switch rel {
	case model.RelFather, model.RelGrandfather:
		gender = model.Male
	case model.RelOther:
		if g.r.chance(0.5) {
			gender = model.Male
		}
	}
	g.guardianID++
	name, phone := g.nameAndPhone(surname, gender, 0.6)
	return model.Guardian{ID: g.guardianID, Name: name, Relation: rel, Phone: phone}
}

package importer

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"huhang/internal/model"
	"huhang/internal/privacy"
)

// Age rules. A child starts primary school in the September after turning
// six, so a pupil in grade g (kindergarten -2…0, primary 1…6, secondary
// 7…12) is normally 5+g full years old on 1 September: 3 in 小班, 6 in 一年级,
// 12 in 初一. Repeating, early and late starters and children returning
// from illness make ±2 years ordinary; beyond that a row is more likely a
// typo in the birth date or the grade.
const (
	ageAtGradeZero = 5
	ageTolerance   = 2
	// The store accepts pupils aged 2 to 25 (by calendar year).
	minPupilAge = 2
	maxPupilAge = 25
)

// student validates the current row as a student. ok is false for an
// example row from the template, which is skipped.
func (rd *reader) student() (StudentRow, bool) {
	s := StudentRow{Row: rd.row}

	// Student number.
	if v, ok := rd.cell(fStudentNo); ok {
		no := normalizeStudentNo(v)
		name, _ := rd.cell(fName)
		switch {
		case no == "":
			rd.problem(fStudentNo, keyRequired)
		case exampleStudents[no] != "" && exampleStudents[no] == NormalizeName(name):
			rd.notice(fStudentNo, keyExampleRow)
			return s, false
		case !model.ValidStudentNo(no):
			rd.problem(fStudentNo, keyStudentNo)
		default:
			s.StudentNo = no
		}
	}

	// Name.
	if v, ok := rd.cell(fName); ok {
		s.Name = rd.personName(fName, v)
	}

	// ID number. A valid one also supplies gender and birth date when
	// those cells are empty or their columns absent.
	idValid := false
	if v, ok := rd.cell(fID); ok && v != "" {
		if id, ok := rd.idNumber(v); ok {
			s.IDNumber, idValid = id, true
		}
	}
	idFromNo := false
	if s.StudentNo != "" && s.StudentNo[0] == 'G' {
		switch {
		case idValid && s.IDNumber != s.StudentNo[1:]:
			rd.problem(fStudentNo, keyStudentNoIDDiffer)
		case !idValid && s.IDNumber == "" && !rd.idCellFilled():
			s.IDNumber, idValid, idFromNo = s.StudentNo[1:], true, true
		}
	}

	// Gender.
	genderCell, _ := rd.cell(fGender)
	switch {
	case genderCell != "":
		if g, ok := NormalizeGender(genderCell); !ok {
			rd.problem(fGender, keyGender)
		} else {
			s.Gender = g
			if idValid && genderFromID(s.IDNumber) != g {
				rd.problem(fGender, keyIDGenderMismatch)
			}
		}
	case idValid:
		s.Gender = genderFromID(s.IDNumber)
	case !rd.idCellFilled():
		// Nothing to derive the gender from. (When the ID number is
		// filled in but invalid, that is reported and is the real gap.)
		rd.problem(fGender, keyRequired)
	}

	// Birth date.
	var birth time.Time
	birthCell, _ := rd.cell(fBirth)
	switch {
	case birthCell != "":
		t, ok := parseDate(birthCell, rd.date1904)
		if !ok {
			rd.problem(fBirth, keyDate)
			break
		}
		birth = t
		if idValid {
			if b, err := privacy.IDBirthDate(s.IDNumber); err == nil && !b.Equal(t) {
				rd.problem(fBirth, keyIDBirthMismatch)
			}
		}
	case idValid:
		birth, _ = privacy.IDBirthDate(s.IDNumber)
	case !rd.idCellFilled():
		rd.problem(fBirth, keyRequired)
	}
	if !birth.IsZero() {
		if age := rd.today.Year() - birth.Year(); age < minPupilAge || age > maxPupilAge {
			rd.problem(fBirth, keyBirthRange)
		} else {
			s.BirthDate = birth.Format(dateLayout)
		}
	}

	// Grade and class.
	gradeField := rd.gradeAndClass(&s.Grade, &s.HasGrade, &s.ClassNo, fGrade, fClass)
	if s.HasGrade && s.BirthDate != "" {
		want := ageAtGradeZero + s.Grade
		if age := ageOn(birth, rd.schoolYear); age < want-ageTolerance || age > want+ageTolerance {
			rd.problem(gradeField, keyAgeForGrade)
		}
	}

	s.SchoolCode = rd.schoolCode()
	s.Categories = rd.categories()
	s.Guardians = rd.guardians()

	// Duplicates within the file: the second and later rows are reported,
	// naming the first, which is the one a person will look at. A row
	// that repeats a student number usually repeats its ID number too;
	// one report says it.
	dupNo := false
	if s.StudentNo != "" {
		first, dup := rd.seenNo[s.StudentNo]
		if dup {
			rd.problem(fStudentNo, keyDupStudentNo, first)
		} else {
			rd.seenNo[s.StudentNo] = rd.row
		}
		dupNo = dup
	}
	if idValid {
		if first, dup := rd.seenID[s.IDNumber]; !dup {
			rd.seenID[s.IDNumber] = rd.row
		} else if !dupNo {
			col := fID
			if idFromNo {
				col = fStudentNo
			}
			rd.problem(col, keyDupID, first)
		}
	}
	return s, true
}

// idCellFilled reports whether the current row has something in the ID
// number column, valid or not.
func (rd *reader) idCellFilled() bool {
	i := rd.cols.idx[fID]
	return i >= 0 && i < len(rd.cells) && rd.cells[i] != ""
}

// idNumber normalises and validates an ID number cell, reporting the most
// specific problem.
func (rd *reader) idNumber(v string) (string, bool) {
	if looksScientific(compact(v)) {
		rd.problem(fID, keyIDAsNumber)
		return "", false
	}
	id := normalizeIDNumber(v)
	if err := privacy.ValidateIDNumber(id); err != nil {
		rd.problem(fID, idProblemKey(err))
		return "", false
	}
	return id, true
}

func idProblemKey(err error) string {
	switch {
	case errors.Is(err, privacy.ErrIDCheckDigit):
		return keyIDCheckDigit
	case errors.Is(err, privacy.ErrIDBirthDate):
		return keyIDBirthDate
	case errors.Is(err, privacy.ErrIDArea):
		return keyIDArea
	case errors.Is(err, privacy.ErrIDLength):
		return keyIDLength
	}
	return keyIDDigits
}

// ageOn returns a person's age in full years on 1 September of startYear.
func ageOn(birth time.Time, startYear int) int {
	age := startYear - birth.Year()
	if birth.Month() > time.September || birth.Month() == time.September && birth.Day() > 1 {
		age--
	}
	return age
}

// personName validates a required name cell.
func (rd *reader) personName(f field, v string) string {
	name := NormalizeName(v)
	switch {
	case name == "":
		rd.problem(f, keyRequired)
	case !model.ValidPersonName(name):
		rd.problem(f, keyName)
	default:
		return name
	}
	return ""
}

// gradeAndClass reads the grade column and the class column, which may
// name the grade too ("初二(3)班"). It returns the field that supplied the
// grade, for problems about it.
func (rd *reader) gradeAndClass(grade *int, hasGrade *bool, classNo *int, gradeF, classF field) field {
	src := gradeF
	if v, ok := rd.cell(gradeF); ok && v != "" {
		if g, ok := NormalizeGrade(v); ok {
			*grade, *hasGrade = g, true
		} else {
			rd.problem(gradeF, keyGrade)
		}
	}
	v, ok := rd.cell(classF)
	if !ok || v == "" {
		return src
	}
	g, hasG, n, ok := NormalizeClass(v)
	if !ok {
		n, ok = classFromCode(v, *grade, *hasGrade)
	}
	switch {
	case !ok:
		rd.problem(classF, keyClass)
	case hasG && *hasGrade && g != *grade:
		rd.problem(classF, keyGradeClass)
	default:
		*classNo = n
		if hasG && !*hasGrade {
			*grade, *hasGrade, src = g, true, classF
		}
	}
	return src
}

// classFromCode reads the numeric class codes many schools use, grade
// followed by a two-digit class ("703" is grade 7, class 3), but only when
// the grade column confirms the leading digits: on its own "703" could as
// well be a class numbered 703.
func classFromCode(v string, grade int, hasGrade bool) (int, bool) {
	v = strings.TrimSuffix(strings.TrimSuffix(compact(v), "班级"), "班")
	if !hasGrade || grade < 1 || !allDigits(v) {
		return 0, false
	}
	prefix := strconv.Itoa(grade)
	if len(v) != len(prefix)+2 || !strings.HasPrefix(v, prefix) {
		return 0, false
	}
	n, _ := strconv.Atoi(v[len(prefix):])
	return n, n >= 1
}

// schoolCode reads the optional school code of district-level imports: a
// code of letters, digits and dashes, at most 30 characters.
func (rd *reader) schoolCode() string {
	v, ok := rd.cell(fSchoolCode)
	if !ok || v == "" {
		return ""
	}
	code := strings.ToUpper(compact(v))
	if len(code) > 30 || strings.IndexFunc(code, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r == '-' || r == '_')
	}) >= 0 {
		rd.problem(fSchoolCode, keySchoolCode)
		return ""
	}
	return code
}

// categories combines the category-words column and the yes/no columns.
func (rd *reader) categories() []model.Category {
	var set model.CategorySet
	if v, ok := rd.cell(fCategories); ok && v != "" {
		cats, ok := ParseCategories(v)
		if !ok {
			rd.problem(fCategories, keyCategory)
		}
		for _, c := range cats {
			set = set.With(c)
		}
	}
	for f := fCatPoor; f <= fCatDisabled; f++ {
		v, ok := rd.cell(f)
		if !ok {
			continue
		}
		yes, ok := ParseYesNo(v)
		if !ok {
			rd.problem(f, keyYesNo)
		} else if yes {
			set = set.With(yesNoCategory[f])
		}
	}
	return set.List()
}

// guardians reads up to two guardians. A guardian with nothing filled in
// is skipped; one with a name or a phone needs both, because the store
// keeps a guardian only as a name with a number to call.
func (rd *reader) guardians() []model.Guardian {
	var out []model.Guardian
	for _, set := range guardianSets {
		name, okN := rd.cell(set[0])
		rel, _ := rd.cell(set[1])
		phone, okP := rd.cell(set[2])
		if !rd.cols.has(set[0]) || !rd.cols.has(set[2]) || (name == "" && phone == "" && okN && okP) {
			continue
		}
		g := model.Guardian{Relation: ParseRelation(rel)}
		good := okN && okP
		if okN {
			if g.Name = rd.personName(set[0], name); g.Name == "" {
				good = false
			}
		}
		if okP {
			switch p, valid := NormalizePhone(phone); {
			case phone == "":
				rd.problem(set[2], keyRequired)
				good = false
			case !valid:
				rd.problem(set[2], keyPhone)
				good = false
			default:
				g.Phone = p
			}
		}
		if good {
			out = append(out, g)
		}
	}
	return out
}

// staff validates the current row as a staff member. ok is false for an
// example row from the template, which is skipped.
func (rd *reader) staff() (StaffRow, bool) {
	s := StaffRow{Row: rd.row}
	name, okName := rd.cell(fName)
	phone, okPhone := rd.cell(fPhone)
	if okName && okPhone && exampleStaff[NormalizeName(name)+"|"+compact(phone)] {
		rd.notice(fName, keyExampleRow)
		return s, false
	}
	if okName {
		s.Name = rd.personName(fName, name)
	}
	if v, ok := rd.cell(fGender); ok {
		if v == "" {
			rd.problem(fGender, keyRequired)
		} else if g, ok := NormalizeGender(v); !ok {
			rd.problem(fGender, keyGender)
		} else {
			s.Gender = g
		}
	}
	if okPhone && phone != "" {
		if p, ok := NormalizePhone(phone); ok {
			s.Phone = p
		} else {
			rd.problem(fPhone, keyPhone)
		}
	}
	s.SchoolCode = rd.schoolCode()
	if v, ok := rd.cell(fPosts); ok {
		posts, pok := ParsePosts(v)
		switch {
		case v == "":
			rd.problem(fPosts, keyRequired)
		case !pok:
			rd.problem(fPosts, keyPost)
		default:
			s.Posts = posts
		}
	}

	// The class: a class teacher's own class wins over the classes taught.
	classF := fTeachClass
	if v, ok := rd.cell(fHomeroomClass); ok && v != "" {
		classF = fHomeroomClass
	}
	isClassTeacher := false
	for _, p := range s.Posts {
		isClassTeacher = isClassTeacher || p.NeedsClass()
	}
	if v, ok := rd.cell(classF); ok && v != "" {
		first, more := firstClass(v)
		if more {
			rd.notice(classF, keyClassFirstOnly)
		}
		grade, hasGrade, classNo := 0, false, 0
		bad := rd.rowBad
		rd.rowBad = false
		rd.cells[rd.cols.idx[classF]] = first
		rd.gradeAndClass(&grade, &hasGrade, &classNo, fGrade, classF)
		classBad := rd.rowBad
		rd.rowBad = bad || classBad
		switch {
		case classBad:
		case !hasGrade:
			rd.problem(classF, keyClassNoGrade)
		default:
			s.ClassGrade, s.ClassNo, s.HasClass = grade, classNo, true
		}
	} else if isClassTeacher {
		if rd.cols.has(fHomeroomClass) || !rd.cols.has(fTeachClass) {
			classF = fHomeroomClass
		}
		rd.problem(classF, keyClassRequired)
	}
	return s, true
}

// firstClass splits a cell listing several classes ("初二(3)班、初二(4)班")
// and returns the first and whether there were more.
func firstClass(v string) (string, bool) {
	parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune("、,，;；/|\\", r) })
	if len(parts) == 0 {
		return v, false
	}
	return strings.TrimSpace(parts[0]), len(parts) > 1
}

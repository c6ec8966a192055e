// Package model holds Huhang's plain domain types: the city's tree (districts,
// schools, classes), the people in it (staff, students, guardians), partner
// agencies and accounts, together with the vocabularies they use. It does no
// I/O; validation that needs nothing but the value itself lives here too.
package model

import "time"

// DistrictKind tells an urban district (区) from a county (县).
type DistrictKind string

// District kinds.
const (
	KindDistrict DistrictKind = "district"
	KindCounty   DistrictKind = "county"
)

// SchoolType is the kind of school, as the bureau classifies them.
type SchoolType string

// School types.
const (
	Kindergarten SchoolType = "kindergarten"
	Primary      SchoolType = "primary"
	Junior       SchoolType = "junior"
	Senior       SchoolType = "senior"
	NineYear     SchoolType = "nine_year"
	TwelveYear   SchoolType = "twelve_year"
	Special      SchoolType = "special"
	Vocational   SchoolType = "vocational"
)

// SchoolTypes lists every school type in display order.
var SchoolTypes = []SchoolType{Kindergarten, Primary, Junior, Senior, NineYear, TwelveYear, Special, Vocational}

// Valid reports whether t is a known school type.
func (t SchoolType) Valid() bool {
	for _, k := range SchoolTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Grades returns the grade levels a school of type t teaches. Kindergarten
// years are -2 (小班), -1 (中班) and 0 (大班); 1–6 are primary, 7–9 junior
// secondary and 10–12 senior secondary (vocational schools use 10–12 too).
func (t SchoolType) Grades() []int {
	switch t {
	case Kindergarten:
		return []int{-2, -1, 0}
	case Primary:
		return seq(1, 6)
	case Junior:
		return seq(7, 9)
	case Senior, Vocational:
		return seq(10, 12)
	case NineYear, Special:
		return seq(1, 9)
	case TwelveYear:
		return seq(1, 12)
	}
	return nil
}

// TeachesGrade reports whether grade belongs to school type t.
func (t SchoolType) TeachesGrade(grade int) bool {
	for _, g := range t.Grades() {
		if g == grade {
			return true
		}
	}
	return false
}

func seq(from, to int) []int {
	out := make([]int, 0, to-from+1)
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// Post is a staff member's job at a school. A person may hold several.
type Post string

// Posts.
const (
	PostPrincipal      Post = "principal"
	PostPsychFullTime  Post = "psych_fulltime"
	PostPsychPartTime  Post = "psych_parttime"
	PostClassTeacher   Post = "class_teacher"
	PostSubjectTeacher Post = "subject_teacher"
	PostMoralCadre     Post = "moral_cadre"
	PostLeagueCadre    Post = "league_cadre"
	PostCounsellor     Post = "counsellor"
)

// Posts lists every post in display order.
var Posts = []Post{PostPrincipal, PostPsychFullTime, PostPsychPartTime, PostClassTeacher,
	PostSubjectTeacher, PostMoralCadre, PostLeagueCadre, PostCounsellor}

// Valid reports whether p is a known post.
func (p Post) Valid() bool {
	for _, k := range Posts {
		if k == p {
			return true
		}
	}
	return false
}

// NeedsClass reports whether the post is tied to one class.
func (p Post) NeedsClass() bool { return p == PostClassTeacher }

// Category is a key-student category (重点学生类别). Categories are family and
// circumstance facts, data class D2.
type Category string

// Key-student categories.
const (
	CatPoor         Category = "poor"
	CatLeftBehind   Category = "left_behind"
	CatSingleParent Category = "single_parent"
	CatMigrant      Category = "migrant"
	CatOrphan       Category = "orphan"
	CatDisabled     Category = "disabled"
)

// Categories lists every category; its order fixes each one's bit in a
// Categories set, so never reorder it, only append.
var Categories = []Category{CatPoor, CatLeftBehind, CatSingleParent, CatMigrant, CatOrphan, CatDisabled}

// CategorySet is a set of categories stored as a bit mask.
type CategorySet uint32

// Has reports whether c is in the set.
func (s CategorySet) Has(c Category) bool {
	for i, k := range Categories {
		if k == c {
			return s&(1<<i) != 0
		}
	}
	return false
}

// With returns the set with c added; unknown categories are ignored.
func (s CategorySet) With(c Category) CategorySet {
	for i, k := range Categories {
		if k == c {
			return s | 1<<i
		}
	}
	return s
}

// List returns the categories in the set in canonical order.
func (s CategorySet) List() []Category {
	var out []Category
	for i, k := range Categories {
		if s&(1<<i) != 0 {
			out = append(out, k)
		}
	}
	return out
}

// ParseCategory reports whether name is a known category.
func ParseCategory(name string) (Category, bool) {
	for _, k := range Categories {
		if string(k) == name {
			return k, true
		}
	}
	return "", false
}

// Gender of a person as recorded on the roster.
type Gender string

// Genders.
const (
	Male   Gender = "M"
	Female Gender = "F"
)

// Valid reports whether g is M or F.
func (g Gender) Valid() bool { return g == Male || g == Female }

// Relation of a guardian to a student.
type Relation string

// Relations.
const (
	RelFather      Relation = "father"
	RelMother      Relation = "mother"
	RelGrandfather Relation = "grandfather"
	RelGrandmother Relation = "grandmother"
	RelOther       Relation = "other"
)

// Relations lists every relation.
var Relations = []Relation{RelFather, RelMother, RelGrandfather, RelGrandmother, RelOther}

// Valid reports whether r is a known relation.
func (r Relation) Valid() bool {
	for _, k := range Relations {
		if k == r {
			return true
		}
	}
	return false
}

// StudentStatus is where a student stands on the roster.
type StudentStatus string

// Student statuses.
const (
	Enrolled    StudentStatus = "enrolled"
	Graduated   StudentStatus = "graduated"
	Transferred StudentStatus = "transferred_out"
)

// AgencyKind is a partner agency's kind.
type AgencyKind string

// Partner agency kinds.
const (
	Agency12355        AgencyKind = "youth_league_12355"
	AgencyHealthCentre AgencyKind = "health_diagnosis_centre"
	AgencyWomen        AgencyKind = "womens_federation"
	AgencyCivil        AgencyKind = "civil_affairs"
)

// AgencyKinds lists every agency kind.
var AgencyKinds = []AgencyKind{Agency12355, AgencyHealthCentre, AgencyWomen, AgencyCivil}

// Valid reports whether k is a known agency kind.
func (k AgencyKind) Valid() bool {
	for _, a := range AgencyKinds {
		if a == k {
			return true
		}
	}
	return false
}

// District is an urban district or county of the city.
type District struct {
	ID   int64        `json:"id"`
	Code string       `json:"code"`
	Name string       `json:"name"`
	Kind DistrictKind `json:"kind"`
}

// School is one school or kindergarten.
type School struct {
	ID         int64      `json:"id"`
	DistrictID int64      `json:"district_id"`
	Code       string     `json:"code"`
	Name       string     `json:"name"`
	Type       SchoolType `json:"type"`
	Address    string     `json:"address,omitempty"`
}

// SchoolYear is a school year, e.g. 2026–2027, with its two semesters.
type SchoolYear struct {
	ID        int64     `json:"id"`
	StartYear int       `json:"start_year"`
	Semesters [2]Period `json:"semesters"`
}

// Period is a closed range of calendar dates.
type Period struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Class is one class of one grade in one school year.
type Class struct {
	ID           int64  `json:"id"`
	SchoolID     int64  `json:"school_id"`
	DistrictID   int64  `json:"district_id"`
	SchoolYearID int64  `json:"school_year_id"`
	Grade        int    `json:"grade"`
	Number       int    `json:"number"`
	Name         string `json:"name"`
}

// Staff is a member of school staff with their posts.
type Staff struct {
	ID         int64       `json:"id"`
	SchoolID   int64       `json:"school_id"`
	DistrictID int64       `json:"district_id"`
	Name       string      `json:"name"`
	Gender     Gender      `json:"gender"`
	Phone      string      `json:"phone,omitempty"`
	Active     bool        `json:"active"`
	Posts      []StaffPost `json:"posts"`
}

// StaffPost is one post held by a staff member; ClassID is set for a class
// teacher (and for a subject teacher's class team).
type StaffPost struct {
	Post    Post  `json:"post"`
	ClassID int64 `json:"class_id,omitempty"`
}

// Guardian is a student's parent or other guardian.
type Guardian struct {
	ID       int64    `json:"id,omitempty"`
	Name     string   `json:"name"`
	Relation Relation `json:"relation"`
	Phone    string   `json:"phone"`
}

// Student is a pupil on a school's roster.
type Student struct {
	ID         int64         `json:"id"`
	SchoolID   int64         `json:"school_id"`
	DistrictID int64         `json:"district_id"`
	ClassID    int64         `json:"class_id"`
	StudentNo  string        `json:"student_no"`
	Name       string        `json:"name"`
	Gender     Gender        `json:"gender"`
	BirthDate  time.Time     `json:"birth_date"`
	Status     StudentStatus `json:"status"`
	// IDNumber is the resident ID number in plaintext, present only after
	// decryption for a caller allowed to see it, and only in memory.
	IDNumber   string      `json:"-"`
	Categories CategorySet `json:"-"`
	Guardians  []Guardian  `json:"-"`
}

// Agency is a partner agency.
type Agency struct {
	ID   int64      `json:"id"`
	Kind AgencyKind `json:"kind"`
	Name string     `json:"name"`
}

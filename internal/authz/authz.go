// Package authz encodes who may see what: the roles, the data classes and the
// access table of ACCESS.md as data, and the org-tree scope each of a user's
// assignments grants. Routes declare the Need they require; the store turns a
// Scope into a predicate inside its SQL. Access is deny by default: a role,
// class or level missing from the table grants nothing.
package authz

import (
	"slices"
)

// Role is what an assignment lets a user do.
type Role string

// Roles, as in ACCESS.md.
const (
	SysAdmin         Role = "sysadmin"
	Auditor          Role = "auditor"
	CityOfficial     Role = "city_official"
	DistrictOfficial Role = "district_official"
	Principal        Role = "principal"
	SchoolAdmin      Role = "school_admin"
	PsychTeacher     Role = "psych_teacher"
	ClassTeacher     Role = "class_teacher"
	Teacher          Role = "teacher"
	AgencyUser       Role = "agency_user"
)

// Roles lists every role in display order.
var Roles = []Role{SysAdmin, Auditor, CityOfficial, DistrictOfficial, Principal, SchoolAdmin,
	PsychTeacher, ClassTeacher, Teacher, AgencyUser}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Binding is the kind of node a role is bound to.
type Binding string

// Bindings.
const (
	BindSystem   Binding = "system"
	BindCity     Binding = "city"
	BindDistrict Binding = "district"
	BindSchool   Binding = "school"
	BindClass    Binding = "class"
	BindAgency   Binding = "agency"
)

// BindingOf tells which node an assignment of role r names.
func BindingOf(r Role) Binding {
	switch r {
	case SysAdmin:
		return BindSystem
	case Auditor, CityOfficial:
		return BindCity
	case DistrictOfficial:
		return BindDistrict
	case Principal, SchoolAdmin, PsychTeacher:
		return BindSchool
	case ClassTeacher, Teacher:
		return BindClass
	case AgencyUser:
		return BindAgency
	}
	return ""
}

// SeesSensitive reports whether the role reads named children's sensitive
// data (D2–D5); the operator can require a second factor for these roles.
func SeesSensitive(r Role) bool {
	for c := D2; c <= D5; c++ {
		if Table[r][c] >= Limited {
			return true
		}
	}
	return false
}

// DataClass is a class of data from ACCESS.md.
type DataClass int

// Data classes.
const (
	D0 DataClass = iota // structure and aggregates (small counts suppressed)
	D1                  // roster identity: name, gender, class, student number
	D2                  // contact and family: guardians, phones, ID number, key-student categories
	D3                  // attention flag and risk tier
	D4                  // screening answers and scores
	D5                  // case records, counselling notes, referral details
	D6                  // staff training and certificates (and the staff roster)
	D7                  // audit log
	numClasses
)

// Level is how much of a data class a role gets. Levels are ordered: a
// route needing Read is satisfied by Write, never by Aggregate.
type Level int

// Levels.
const (
	None      Level = iota
	Addressed       // only records explicitly addressed to the role (lists, referrals, escalations)
	Own             // only the user's own record
	Aggregate       // counts and aggregates, never a named record
	Limited         // a named record, but only some fields (names only, flag only, ids only, status only)
	Read
	Write
)

// Table is the access table of ACCESS.md: role × data class → level, within
// the node the role's assignment names. Change it with a reason in the commit;
// the access-matrix test reads it.
var Table = map[Role][numClasses]Level{
	//                 D0         D1         D2         D3         D4         D5         D6     D7
	SysAdmin:         {Limited, None, None, None, None, None, None, None}, // D0 "R structure": names and ids of the tree (to assign accounts), no counts
	Auditor:          {Read, None, None, None, None, None, None, Read},    // D1 "ids only": the ids in audit entries, no roster
	CityOfficial:     {Write, Addressed, Addressed, Aggregate, Aggregate, Addressed, Read, None},
	DistrictOfficial: {Write, Addressed, Addressed, Aggregate, Aggregate, Addressed, Read, None},
	Principal:        {Read, Read, Read, Read, None, Limited, Read, None},
	SchoolAdmin:      {Read, Write, Write, None, None, None, Write, None},
	PsychTeacher:     {Read, Read, Read, Write, Read, Write, Own, None},
	ClassTeacher:     {Read, Read, Read, Limited, None, Limited, Own, None},
	Teacher:          {Read, Limited, None, None, None, None, Own, None},
	AgencyUser:       {None, Addressed, Addressed, None, None, Addressed, None, None},
}

// LevelOf returns the table's level for role r on class c.
func LevelOf(r Role, c DataClass) Level {
	if c < 0 || c >= numClasses {
		return None
	}
	return Table[r][c]
}

// Assignment binds a role to one node of the tree (or to an agency).
type Assignment struct {
	ID         int64 `json:"id,omitempty"`
	Role       Role  `json:"role"`
	DistrictID int64 `json:"district_id,omitempty"`
	SchoolID   int64 `json:"school_id,omitempty"`
	ClassID    int64 `json:"class_id,omitempty"`
	AgencyID   int64 `json:"agency_id,omitempty"`
}

// Subject is a signed-in user with the assignments that decide what they see.
type Subject struct {
	UserID      int64
	Username    string
	Assignments []Assignment
}

// Need is what a route requires: at least Level on Class somewhere in the
// caller's assignments. The handler then asks for the Scope of the same need
// so the store restricts rows to it.
type Need struct {
	Class DataClass
	Level Level
}

// Can reports whether any assignment grants at least n.Level on n.Class.
func (s Subject) Can(n Need) bool {
	for _, a := range s.Assignments {
		if LevelOf(a.Role, n.Class) >= n.Level {
			return true
		}
	}
	return false
}

// Has reports whether the subject holds role r in any assignment.
func (s Subject) Has(r Role) bool {
	for _, a := range s.Assignments {
		if a.Role == r {
			return true
		}
	}
	return false
}

// Roles returns the distinct roles the subject holds, in table order.
func (s Subject) Roles() []Role {
	var out []Role
	for _, r := range Roles {
		if s.Has(r) {
			out = append(out, r)
		}
	}
	return out
}

// Scope is a set of org-tree nodes. A record is in scope when its district,
// school or class is listed, or when City is set. The zero Scope is empty:
// deny by default.
type Scope struct {
	City      bool
	Districts []int64
	Schools   []int64
	Classes   []int64
}

// Empty reports whether the scope admits nothing.
func (s Scope) Empty() bool {
	return !s.City && len(s.Districts) == 0 && len(s.Schools) == 0 && len(s.Classes) == 0
}

// Scope returns the union of the nodes of every assignment that grants at
// least n.Level on n.Class. Agency and system bindings give no tree nodes.
func (s Subject) Scope(n Need) Scope {
	var sc Scope
	for _, a := range s.Assignments {
		if LevelOf(a.Role, n.Class) < n.Level {
			continue
		}
		switch BindingOf(a.Role) {
		case BindCity, BindSystem:
			sc.City = true
		case BindDistrict:
			sc.Districts = appendUnique(sc.Districts, a.DistrictID)
		case BindSchool:
			sc.Schools = appendUnique(sc.Schools, a.SchoolID)
		case BindClass:
			sc.Classes = appendUnique(sc.Classes, a.ClassID)
		}
	}
	return sc
}

// Covers reports whether a record at (district, school, class) is in scope;
// pass 0 for levels the record has not got (a school has no class).
func (sc Scope) Covers(districtID, schoolID, classID int64) bool {
	if sc.City {
		return true
	}
	if districtID != 0 && slices.Contains(sc.Districts, districtID) {
		return true
	}
	if schoolID != 0 && slices.Contains(sc.Schools, schoolID) {
		return true
	}
	return classID != 0 && slices.Contains(sc.Classes, classID)
}

func appendUnique(xs []int64, x int64) []int64 {
	if x == 0 || slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// fullNameRoles work with named pupils every day and see full names in
// lists; every other role sees masked names (张*明) until it opens one
// record, which is an audited read.
var fullNameRoles = map[Role]bool{ClassTeacher: true, Teacher: true, SchoolAdmin: true, PsychTeacher: true}

// FullNamesIn returns the nodes where the subject's lists show full names.
func (s Subject) FullNamesIn() Scope {
	var sc Scope
	for _, a := range s.Assignments {
		if !fullNameRoles[a.Role] || LevelOf(a.Role, D1) < Limited {
			continue
		}
		switch BindingOf(a.Role) {
		case BindSchool:
			sc.Schools = appendUnique(sc.Schools, a.SchoolID)
		case BindClass:
			sc.Classes = appendUnique(sc.Classes, a.ClassID)
		}
	}
	return sc
}

// At binds role r to the node with the given id, putting the id in the
// field the role's binding names (ignored for city and system roles).
func At(r Role, node int64) Assignment {
	a := Assignment{Role: r}
	switch BindingOf(r) {
	case BindDistrict:
		a.DistrictID = node
	case BindSchool:
		a.SchoolID = node
	case BindClass:
		a.ClassID = node
	case BindAgency:
		a.AgencyID = node
	}
	return a
}

package web_test

// The access matrix (SECURITY-TESTS T1.1, T1.2): every route the server
// registers, requested by every demo role, by an account with no
// assignment and anonymously, aimed at records in the caller's own part of
// the tree and at records elsewhere. The expected outcome comes from the
// declarative tables below — ACCESS.md's table as this test reads it, and
// one row per route — never from the code under test. A route without a
// row fails the test, so no route can be added without saying who may use
// it.

import (
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/seed"
	"huhang/internal/store"
)

// Levels, short.
const (
	lN  = authz.None
	lAd = authz.Addressed
	lOw = authz.Own
	lAg = authz.Aggregate
	lL  = authz.Limited
	lR  = authz.Read
	lW  = authz.Write
)

// accessTable is ACCESS.md's table (role × D0…D7), written out here so the
// matrix does not take its expectations from the code it tests.
var accessTable = map[authz.Role][8]authz.Level{
	//                  D0  D1   D2   D3   D4   D5   D6   D7
	authz.SysAdmin:         {lL, lN, lN, lN, lN, lN, lN, lN}, // "R structure": names and ids, no counts
	authz.Auditor:          {lR, lN, lN, lN, lN, lN, lN, lR},
	authz.CityOfficial:     {lW, lAd, lAd, lAg, lAg, lAd, lR, lN},
	authz.DistrictOfficial: {lW, lAd, lAd, lAg, lAg, lAd, lR, lN},
	authz.Principal:        {lR, lR, lR, lR, lN, lL, lR, lN},
	authz.SchoolAdmin:      {lR, lW, lW, lN, lN, lN, lW, lN},
	authz.PsychTeacher:     {lR, lR, lR, lW, lR, lW, lOw, lN},
	authz.ClassTeacher:     {lR, lR, lR, lL, lN, lL, lOw, lN},
	authz.Teacher:          {lR, lL, lN, lN, lN, lN, lOw, lN},
	authz.AgencyUser:       {lN, lAd, lAd, lN, lN, lAd, lN, lN},
}

// bindingOf is the node each role's assignment names (ACCESS.md, "scope it
// binds to"; the subject teacher is bound to a class team).
var bindingOf = map[authz.Role]authz.Binding{
	authz.SysAdmin: authz.BindSystem, authz.Auditor: authz.BindCity, authz.CityOfficial: authz.BindCity,
	authz.DistrictOfficial: authz.BindDistrict, authz.Principal: authz.BindSchool, authz.SchoolAdmin: authz.BindSchool,
	authz.PsychTeacher: authz.BindSchool, authz.ClassTeacher: authz.BindClass, authz.Teacher: authz.BindClass,
	authz.AgencyUser: authz.BindAgency,
}

var levelNames = []string{"none", "addressed", "own", "aggregate", "limited", "read", "write"}

// TestAccessTableAsDocumented pins the code's access table to the one this
// file reads from ACCESS.md: a change to either must be made to both.
func TestAccessTableAsDocumented(t *testing.T) {
	for _, r := range authz.Roles {
		want, ok := accessTable[r]
		if !ok {
			t.Errorf("role %s is not in the test's access table", r)
			continue
		}
		for c := authz.D0; c <= authz.D7; c++ {
			if got := authz.LevelOf(r, c); got != want[c] {
				t.Errorf("%s on D%d: code says %s, ACCESS.md says %s", r, c, levelNames[got], levelNames[want[c]])
			}
		}
		if got := authz.BindingOf(r); got != bindingOf[r] {
			t.Errorf("%s binds to %s, ACCESS.md says %s", r, got, bindingOf[r])
		}
	}
	if len(accessTable) != len(authz.Roles) {
		t.Errorf("the test's table has %d roles, the code %d", len(accessTable), len(authz.Roles))
	}
}

// ---- the route table's expectations -------------------------------------

// node is what a route's id (or target) refers to.
type node int

const (
	nNone     node = iota // nothing in the tree
	nTree                 // the city overview: city and district roles
	nCityWide             // city-wide structure: city roles only
	nDistrict
	nSchool
	nClass
	nStudent
	nStaff
	nUser   // an account (administration): the test's own throwaway account
	nToken  // an API token: the caller's own, or another account's
	nAsg    // an assignment: the throwaway account's own, or another account's
	nImport // a roster import of a school (fixtureImport)
	// Screening (addScreeningFixtures). A campaign is in a caller's scope
	// when one of its classes is: the position's campaign covers only the
	// position's school (the demo school's: the classes of its positions).
	nCampaign      // a campaign: own (the demo school's), sibling, other
	nCampaignClass // a class of a campaign: own, classmate, sibling, other
	nParticipant   // a pupil of a campaign's class who has submitted
	nAlert         // an alert of a school, at the level it was escalated to (alertPositions)
	// nAgencyList is an assistance list of a school's position as the
	// agency side reaches it: the demo school's is sent to the demo agency
	// (the agency user's own), the sibling's and the other district's to
	// another agency (heldRecords).
	nAgencyList
)

// alertPositions are the alerts the matrix aims at: a school's position,
// "@" and the level the alert was escalated to (none: the school's own).
var alertPositions = []string{"own", "own@district", "own@city", "sibling@district", "other@district", "other@city"}

// splitPos splits an alert position into its place and level.
func splitPos(pos string) (string, int) {
	base, level, _ := strings.Cut(pos, "@")
	switch level {
	case "district":
		return base, alertAtDistrict
	case "city":
		return base, alertAtCity
	}
	return base, alertAtSchool
}

// alertLevelSeenBy is the level from which an alert of a school in their
// area reaches an official (ACCESS.md D3 "A + escalated alerts"): district
// officials once it is escalated to the district, city officials once it
// is escalated to the city.
var alertLevelSeenBy = map[authz.Binding]int{authz.BindDistrict: alertAtDistrict, authz.BindCity: alertAtCity}

// alertVisible says whether the caller may see the alert at pos: the
// school's own roles that read D3 in full see its alerts at any level;
// officials see those of their area escalated to their level; a class
// teacher has the attention flag only, never the alert.
func alertVisible(c caller, pos string) bool {
	base, level := splitPos(pos)
	d3 := accessTable[c.role][authz.D3]
	switch b := bindingOf[c.role]; b {
	case authz.BindSchool:
		return d3 >= lR && base == "own"
	case authz.BindDistrict:
		return d3 >= lAg && level >= alertLevelSeenBy[b] && base != "other"
	case authz.BindCity:
		return d3 >= lAg && level >= alertLevelSeenBy[b]
	}
	return false
}

// positionsFor lists the positions a route is tried at.
func positionsFor(n node) []string {
	switch n {
	case nDistrict, nToken, nAsg:
		return []string{"own", "other"}
	case nSchool, nStaff, nImport, nCampaign, nAgencyList:
		return []string{"own", "sibling", "other"}
	case nClass, nStudent, nCampaignClass, nParticipant:
		return []string{"own", "classmate", "sibling", "other"}
	case nAlert:
		return alertPositions
	}
	return []string{"own"}
}

// routeSpec is one route's row: what it is aimed at and what it answers.
type routeSpec struct {
	access string // the access the route must declare
	// path has placeholders {district} {school} {class} {student} {staff}
	// {import} {user} {token} {asg} {campaign} {part} {alert} {session}
	// {cert}, and {evidence} {assistlist} {assistdraft} (heldRecords).
	path   string
	node   node
	ok     int  // status when the caller may, in scope (with an empty body for writes)
	okAnon int  // public routes: status for an anonymous caller, when different
	list   bool // a list or search: a filter out of scope answers 200 with nothing from there
	create bool // the target is a parent named in the body: out of scope is refused as 400 (field err.out_of_scope) or 404
	form   bool // writes take a form (else JSON)
	fresh  bool // ends the session: use a login of its own
	// classBoundList: a class-bound role may list its own classes of any
	// school; the answer is 200 (empty when the school is not theirs).
	classBoundList bool
	// bad is a well-formed body aimed at the position, sent whenever the
	// request must be refused, so a refusal cannot be mere validation.
	// Update bodies repeat the record's current values, so even a wrongful
	// acceptance changes nothing.
	bad func(fx *fixtures, p *position) string
	// body is sent in every case (read-only POSTs).
	body func(fx *fixtures, p *position) string
	// multipart: writes take multipart/form-data (uploads), with the
	// boundary matrixBoundary.
	multipart bool
	// schoolLevel: the route needs the right at school level or wider; a
	// class-bound role answers 404 even for its own class (exports,
	// SECURITY-TESTS T7.6: class teachers cannot export).
	schoolLevel bool
	// xlsx: the route answers a workbook of this kind ("students",
	// "key_students" or "staff"), opened and checked when it is allowed.
	xlsx string
	// ownRecord: the route is about the caller's own staff record; an
	// account the seed does not link to one (linkedAccounts) answers 404.
	ownRecord bool
	// scopeNeed: the access that puts a position inside the caller's
	// scope, when it is more than the route's (a certificate for someone
	// else needs D6 write; the route admits anyone with a record of their
	// own). Without it every position is out of scope.
	scopeNeed string
	// freshCampaign: the route ends a campaign (closing it), so each
	// request aims at a new campaign over the position's class, made for
	// it through the store; {campaign} names that one.
	freshCampaign bool
}

// moreRouteSpecs holds the rows of feature areas kept in their own test
// files (each adds its function in an init).
var moreRouteSpecs []func() map[string]routeSpec

func routeSpecs() map[string]routeSpec {
	specs := baseRouteSpecs()
	for _, more := range moreRouteSpecs {
		for k, v := range more() {
			if _, dup := specs[k]; dup {
				panic("route spec twice: " + k)
			}
			specs[k] = v
		}
	}
	return specs
}

func baseRouteSpecs() map[string]routeSpec {
	return map[string]routeSpec{
		// Operations.
		"GET /healthz": {access: "public", path: "/healthz", ok: 200},
		"GET /readyz":  {access: "public", path: "/readyz", ok: 200},
		"GET /metrics": {access: "role:sysadmin", path: "/metrics", ok: 200},

		// Signing in and out; one's own account.
		"GET /login":             {access: "public", path: "/login", ok: 303, okAnon: 200},
		"POST /login":            {access: "public", path: "/login", form: true, ok: 401}, // empty credentials
		"GET /login/mfa":         {access: "signed-in", path: "/login/mfa", ok: 303},      // no TOTP yet: enrol first
		"POST /login/mfa":        {access: "signed-in", path: "/login/mfa", form: true, ok: 401},
		"POST /logout":           {access: "signed-in", path: "/logout", form: true, ok: 303, fresh: true},
		"POST /lang":             {access: "public", path: "/lang", form: true, ok: 303},
		"GET /account":           {access: "signed-in", path: "/account", ok: 200},
		"GET /account/mfa":       {access: "signed-in", path: "/account/mfa", ok: 200},
		"POST /account/mfa":      {access: "signed-in", path: "/account/mfa", form: true, ok: 400},
		"POST /account/password": {access: "signed-in", path: "/account/password", form: true, ok: 400},
		"POST /account/tokens":   {access: "signed-in", path: "/account/tokens", form: true, ok: 400},
		"POST /account/tokens/{id}/revoke": {access: "signed-in", path: "/account/tokens/{token}/revoke", node: nToken,
			form: true, ok: 303},

		// The tree.
		"GET /{$}":                {access: "signed-in", path: "/", ok: 200},
		"GET /tree":               {access: "D0:read", path: "/tree", node: nTree, ok: 200},
		"GET /districts/{id}":     {access: "D0:read", path: "/districts/{district}", node: nDistrict, ok: 200},
		"GET /schools/new":        {access: "D0:write", path: "/schools/new", ok: 200},
		"POST /schools":           {access: "D0:write", path: "/schools", node: nDistrict, create: true, form: true, ok: 400, bad: newSchoolForm},
		"GET /schools/{id}":       {access: "D0:read", path: "/schools/{school}", node: nSchool, ok: 200},
		"GET /schools/{id}/edit":  {access: "D0:write", path: "/schools/{school}/edit", node: nSchool, ok: 200},
		"POST /schools/{id}":      {access: "D0:write", path: "/schools/{school}", node: nSchool, form: true, ok: 400, bad: sameSchoolForm},
		"POST /classes":           {access: "D1:write", path: "/classes", node: nSchool, create: true, form: true, ok: 400, bad: newClassForm},
		"GET /classes/{id}":       {access: "D0:read", path: "/classes/{class}", node: nClass, ok: 200},
		"GET /students":           {access: "D1:limited", path: "/students?class={class}", node: nClass, list: true, ok: 200},
		"GET /students/new":       {access: "D1:write", path: "/students/new?class={class}", node: nClass, ok: 200},
		"POST /students":          {access: "D1:write", path: "/students", node: nClass, create: true, form: true, ok: 400, bad: newStudentForm},
		"GET /students/{id}":      {access: "D1:read", path: "/students/{student}", node: nStudent, ok: 200},
		"GET /students/{id}/edit": {access: "D1:write", path: "/students/{student}/edit", node: nStudent, ok: 200},
		"POST /students/{id}":     {access: "D1:write", path: "/students/{student}", node: nStudent, form: true, ok: 400, bad: sameStudentForm},
		"POST /students/{id}/move": {access: "D1:write", path: "/students/{student}/move", node: nStudent, form: true, ok: 400,
			bad: func(fx *fixtures, p *position) string {
				return url.Values{"kind": {"class"}, "class_id": {itoa(p.student0.ClassID)}}.Encode()
			}},
		// Roster imports (school data administrators) and exports.
		"GET /imports":               {access: "D1:write", path: "/imports", ok: 200},
		"GET /imports/template.xlsx": {access: "D1:write", path: "/imports/template.xlsx", ok: 200},
		"POST /imports": {access: "D1:write", path: "/imports", node: nSchool, create: true, multipart: true, ok: 400,
			bad: uploadBody},
		"GET /imports/{id}":               {access: "D1:write", path: "/imports/{import}", node: nImport, ok: 200},
		"GET /imports/{id}/problems.xlsx": {access: "D1:write", path: "/imports/{import}/problems.xlsx", node: nImport, ok: 200},
		"POST /imports/{id}/commit":       {access: "D1:write", path: "/imports/{import}/commit", node: nImport, form: true, ok: 400},
		"GET /classes/{id}/students.xlsx": {access: "D1:read", path: "/classes/{class}/students.xlsx", node: nClass, ok: 200,
			schoolLevel: true, xlsx: "students"},
		"GET /schools/{id}/students.xlsx": {access: "D1:read", path: "/schools/{school}/students.xlsx", node: nSchool, ok: 200,
			schoolLevel: true, xlsx: "students"},
		"GET /schools/{id}/key-students.xlsx": {access: "D2:read", path: "/schools/{school}/key-students.xlsx", node: nSchool,
			ok: 200, schoolLevel: true, xlsx: "key_students"},
		"GET /schools/{id}/staff.xlsx": {access: "D6:read", path: "/schools/{school}/staff.xlsx", node: nSchool, ok: 200, xlsx: "staff"},

		"GET /schools/{id}/staff": {access: "D6:read", path: "/schools/{school}/staff", node: nSchool, ok: 200},
		"GET /staff/new":          {access: "D6:write", path: "/staff/new?school={school}", node: nSchool, ok: 200},
		"POST /staff":             {access: "D6:write", path: "/staff", node: nSchool, create: true, form: true, ok: 400, bad: newStaffForm},
		"GET /staff/{id}":         {access: "D6:read", path: "/staff/{staff}", node: nStaff, ok: 200},
		"GET /staff/{id}/edit":    {access: "D6:write", path: "/staff/{staff}/edit", node: nStaff, ok: 200},
		"POST /staff/{id}":        {access: "D6:write", path: "/staff/{staff}", node: nStaff, form: true, ok: 400, bad: sameStaffForm},

		// Administration and audit.
		"GET /admin/users":                {access: "role:sysadmin", path: "/admin/users", ok: 200},
		"GET /admin/nodes":                {access: "role:sysadmin", path: "/admin/nodes", ok: 200},
		"POST /admin/users":               {access: "role:sysadmin", path: "/admin/users", form: true, ok: 400, bad: newUserForm},
		"GET /admin/users/{id}":           {access: "role:sysadmin", path: "/admin/users/{user}", node: nUser, ok: 200},
		"POST /admin/users/{id}/disable":  {access: "role:sysadmin", path: "/admin/users/{user}/disable", node: nUser, form: true, ok: 303},
		"POST /admin/users/{id}/enable":   {access: "role:sysadmin", path: "/admin/users/{user}/enable", node: nUser, form: true, ok: 303},
		"POST /admin/users/{id}/password": {access: "role:sysadmin", path: "/admin/users/{user}/password", node: nUser, form: true, ok: 200},
		"POST /admin/users/{id}/assignments": {access: "role:sysadmin", path: "/admin/users/{user}/assignments", node: nUser,
			form: true, ok: 400, bad: func(fx *fixtures, p *position) string {
				return url.Values{"role": {"principal"}, "node_id": {itoa(p.school)}}.Encode()
			}},
		"POST /admin/users/{id}/assignments/{aid}/delete": {access: "role:sysadmin", path: "/admin/users/{user}/assignments/{asg}/delete",
			node: nAsg, form: true, ok: 303},
		"GET /audit": {access: "D7:read", path: "/audit", ok: 200},

		// Screening: pupils answer with a code, no account. The matrix sends
		// the code of a pupil who has already submitted: 409 for everyone,
		// nothing written, and no wrong-code budget spent (30 a minute per
		// address, shared by every test); unknown codes are tried, a few
		// times only, in TestPupilRoutesWithUnknownOrUsedCode.
		"GET /s":  {access: "public", path: "/s", ok: 200},
		"POST /s": {access: "public", path: "/s", form: true, ok: 409, body: usedCodeForm},
		"POST /s/answer": {access: "public", path: "/s/answer", form: true, ok: 409,
			body: func(fx *fixtures, p *position) string {
				return url.Values{"code": {fx.own.usedCode}, "step": {"0"}, "submit": {"1"}}.Encode()
			}},

		// Screening campaigns: the list and a campaign's figures are D3
		// aggregates (a class teacher's with tiers blanked); officials and
		// the psychology teacher create and close; consent and code slips
		// are D3 limited (a class teacher's own class); named results need
		// D3 in full (principal, psychology teacher), answers D4 (the
		// psychology teacher).
		"GET /screening":             {access: "D3:aggregate", path: "/screening", ok: 200},
		"GET /screening/new":         {access: "D0:write|D3:write", path: "/screening/new", ok: 200},
		"POST /screening":            {access: "D0:write|D3:write", path: "/screening", node: nSchool, create: true, form: true, ok: 400, bad: newCampaignForm},
		"GET /screening/trend":       {access: "D3:aggregate", path: "/screening/trend", ok: 200},
		"GET /screening/instruments": {access: "D3:aggregate", path: "/screening/instruments", ok: 200},
		// An empty definition: refused as invalid, nothing loaded.
		"POST /screening/instruments": {access: "role:city_official", path: "/screening/instruments", form: true, ok: 400},
		"GET /screening/{id}":         {access: "D3:aggregate", path: "/screening/{campaign}", node: nCampaign, ok: 200},
		"POST /screening/{id}/close": {access: "D0:write|D3:write", path: "/screening/{campaign}/close", node: nCampaign, form: true, ok: 303,
			freshCampaign: true},
		// Tier aggregates: school level or wider, never a class-bound role.
		"GET /screening/{id}/report.xlsx": {access: "D3:aggregate", path: "/screening/{campaign}/report.xlsx", node: nCampaign, ok: 200,
			schoolLevel: true},
		"GET /screening/{id}/classes/{cid}": {access: "D3:limited", path: "/screening/{campaign}/classes/{class}", node: nCampaignClass, ok: 200},
		// The pupil has submitted, so even an accepted consent changes nothing.
		"POST /screening/{id}/classes/{cid}/consent": {access: "D3:limited", path: "/screening/{campaign}/classes/{class}/consent",
			node: nParticipant, form: true, ok: 200, body: sameConsentForm},
		"GET /screening/{id}/classes/{cid}/codes": {access: "D3:limited", path: "/screening/{campaign}/classes/{class}/codes",
			node: nCampaignClass, ok: 200},
		// A pupil who has submitted keeps their code: 409 when allowed.
		"POST /screening/{id}/classes/{cid}/participants/{pid}/reissue": {access: "D3:limited",
			path: "/screening/{campaign}/classes/{class}/participants/{part}/reissue", node: nParticipant, form: true, ok: 409},
		"GET /screening/{id}/results":      {access: "D3:read", path: "/screening/{campaign}/results", node: nCampaign, ok: 200},
		"GET /screening/{id}/results.xlsx": {access: "D3:read", path: "/screening/{campaign}/results.xlsx", node: nCampaign, ok: 200},
		"GET /screening/{id}/participants/{pid}": {access: "D4:read", path: "/screening/{campaign}/participants/{part}", node: nParticipant,
			ok: 200},

		// Alerts. The fixture's alerts are closed, so every step is refused
		// by the state machine (409) where the caller may act, and 404
		// elsewhere; the well-formed step is sent every time.
		"GET /alerts":      {access: "D3:aggregate", path: "/alerts?state=all", ok: 200},
		"GET /alerts/{id}": {access: "D3:aggregate", path: "/alerts/{alert}", node: nAlert, ok: 200},
		"POST /alerts/{id}/acknowledge": {access: "D3:aggregate", path: "/alerts/{alert}/acknowledge", node: nAlert, form: true, ok: 409,
			body: func(*fixtures, *position) string { return "" }},
		"POST /alerts/{id}/notes": {access: "D3:aggregate", path: "/alerts/{alert}/notes", node: nAlert, form: true, ok: 409,
			body: func(*fixtures, *position) string {
				return url.Values{"note": {"矩阵测试：已电话联系家长"}}.Encode()
			}},
		"POST /alerts/{id}/close": {access: "D3:aggregate", path: "/alerts/{alert}/close", node: nAlert, form: true, ok: 409,
			body: func(*fixtures, *position) string { return url.Values{"outcome": {"other"}}.Encode() }},

		// JSON API.
		"GET /api/v1/openapi.json":   {access: "public", path: "/api/v1/openapi.json", ok: 200},
		"GET /api/v1/me":             {access: "signed-in", path: "/api/v1/me", ok: 200},
		"GET /api/v1/districts":      {access: "D0:read", path: "/api/v1/districts", list: true, ok: 200},
		"GET /api/v1/districts/{id}": {access: "D0:read", path: "/api/v1/districts/{district}", node: nDistrict, ok: 200},
		"GET /api/v1/schools":        {access: "D0:read", path: "/api/v1/schools?district_id={district}", node: nDistrict, list: true, ok: 200},
		"POST /api/v1/schools":       {access: "D0:write", path: "/api/v1/schools", node: nDistrict, create: true, ok: 400, bad: newSchoolJSON},
		"GET /api/v1/schools/{id}":   {access: "D0:read", path: "/api/v1/schools/{school}", node: nSchool, ok: 200},
		"PATCH /api/v1/schools/{id}": {access: "D0:write", path: "/api/v1/schools/{school}", node: nSchool, ok: 400, bad: sameSchoolJSON},
		"GET /api/v1/schools/{id}/classes": {access: "D0:read", path: "/api/v1/schools/{school}/classes", node: nSchool, ok: 200,
			classBoundList: true},
		"POST /api/v1/classes":     {access: "D1:write", path: "/api/v1/classes", node: nSchool, create: true, ok: 400, bad: newClassJSON},
		"GET /api/v1/classes/{id}": {access: "D0:read", path: "/api/v1/classes/{class}", node: nClass, ok: 200},
		"GET /api/v1/students":     {access: "D1:limited", path: "/api/v1/students?class_id={class}", node: nClass, list: true, ok: 200},
		"POST /api/v1/students":    {access: "D1:write", path: "/api/v1/students", node: nClass, create: true, ok: 400, bad: newStudentJSON},
		"POST /api/v1/students/lookup": {access: "D1:read", path: "/api/v1/students/lookup", node: nStudent, ok: 200,
			body: func(fx *fixtures, p *position) string { return fmt.Sprintf(`{"id_number":%q}`, p.idNumber) }},
		"GET /api/v1/students/{id}": {access: "D1:read", path: "/api/v1/students/{student}", node: nStudent, ok: 200},
		"PATCH /api/v1/students/{id}": {access: "D1:write", path: "/api/v1/students/{student}", node: nStudent, ok: 400,
			bad: func(fx *fixtures, p *position) string { return fmt.Sprintf(`{"name":%q}`, p.student0.Name) }},
		"POST /api/v1/students/{id}/move": {access: "D1:write", path: "/api/v1/students/{student}/move", node: nStudent, ok: 400,
			bad: func(fx *fixtures, p *position) string {
				return fmt.Sprintf(`{"kind":"class","class_id":%d}`, p.student0.ClassID)
			}},
		"GET /api/v1/staff":        {access: "D6:read", path: "/api/v1/staff?school_id={school}", node: nSchool, list: true, ok: 200},
		"POST /api/v1/staff":       {access: "D6:write", path: "/api/v1/staff", node: nSchool, create: true, ok: 400, bad: newStaffJSON},
		"GET /api/v1/staff/{id}":   {access: "D6:read", path: "/api/v1/staff/{staff}", node: nStaff, ok: 200},
		"PATCH /api/v1/staff/{id}": {access: "D6:write", path: "/api/v1/staff/{staff}", node: nStaff, ok: 400, bad: sameStaffJSON},
		"GET /api/v1/agencies":     {access: "D0:read", path: "/api/v1/agencies", ok: 200},
		"POST /api/v1/agencies": {access: "D0:write", path: "/api/v1/agencies", node: nCityWide, ok: 400,
			bad: func(*fixtures, *position) string { return `{"kind":"civil_affairs","name":"测试机构"}` }},
		"POST /api/v1/districts": {access: "D0:write", path: "/api/v1/districts", node: nCityWide, ok: 400,
			bad: func(*fixtures, *position) string {
				return `{"code":"519901","name":"矩阵测试区","kind":"district"}`
			}},
		"POST /districts": {access: "D0:write", path: "/districts", node: nCityWide, form: true, ok: 400,
			bad: func(*fixtures, *position) string {
				return url.Values{"code": {"519902"}, "name": {"矩阵测试县"}, "kind": {"county"}}.Encode()
			}},
		"GET /api/v1/school-years": {access: "D0:read", path: "/api/v1/school-years", ok: 200},
		"GET /api/v1/imports":      {access: "D1:write", path: "/api/v1/imports", ok: 200},
		"POST /api/v1/imports": {access: "D1:write", path: "/api/v1/imports", node: nSchool, create: true, multipart: true, ok: 400,
			bad: uploadBody},
		"GET /api/v1/imports/{id}":           {access: "D1:write", path: "/api/v1/imports/{import}", node: nImport, ok: 200},
		"POST /api/v1/imports/{id}/commit":   {access: "D1:write", path: "/api/v1/imports/{import}/commit", node: nImport, ok: 400},
		"GET /api/v1/screening/instruments":  {access: "D3:aggregate", path: "/api/v1/screening/instruments", ok: 200},
		"POST /api/v1/screening/instruments": {access: "role:city_official", path: "/api/v1/screening/instruments", ok: 400},
		"GET /api/v1/screening/campaigns":    {access: "D3:aggregate", path: "/api/v1/screening/campaigns", ok: 200},
		"POST /api/v1/screening/campaigns": {access: "D0:write|D3:write", path: "/api/v1/screening/campaigns", node: nSchool, create: true,
			ok: 400, bad: newCampaignJSON},
		"GET /api/v1/screening/campaigns/{id}": {access: "D3:aggregate", path: "/api/v1/screening/campaigns/{campaign}", node: nCampaign, ok: 200},
		"POST /api/v1/screening/campaigns/{id}/consent": {access: "D3:limited", path: "/api/v1/screening/campaigns/{campaign}/consent",
			node: nParticipant, ok: 200, body: sameConsentJSON},
		"GET /api/v1/screening/campaigns/{id}/results": {access: "D3:read", path: "/api/v1/screening/campaigns/{campaign}/results",
			node: nCampaign, ok: 200},
		"POST /api/v1/screening/submissions": {access: "public", path: "/api/v1/screening/submissions", ok: 409,
			body: func(fx *fixtures, p *position) string {
				return fmt.Sprintf(`{"code":%q,"answers":{"phqa":[0,0,0,0,0,0,0,0,0],"gad7":[0,0,0,0,0,0,0]},"duration_ms":300000}`, fx.own.usedCode)
			}},
		"GET /api/v1/alerts":      {access: "D3:aggregate", path: "/api/v1/alerts?state=all", ok: 200},
		"GET /api/v1/alerts/{id}": {access: "D3:aggregate", path: "/api/v1/alerts/{alert}", node: nAlert, ok: 200},
		"POST /api/v1/alerts/{id}/acknowledge": {access: "D3:aggregate", path: "/api/v1/alerts/{alert}/acknowledge", node: nAlert, ok: 409,
			body: func(*fixtures, *position) string { return `{}` }},
		"POST /api/v1/alerts/{id}/notes": {access: "D3:aggregate", path: "/api/v1/alerts/{alert}/notes", node: nAlert, ok: 409,
			body: func(*fixtures, *position) string { return `{"note":"矩阵测试：已电话联系家长"}` }},
		"POST /api/v1/alerts/{id}/close": {access: "D3:aggregate", path: "/api/v1/alerts/{alert}/close", node: nAlert, ok: 409,
			body: func(*fixtures, *position) string { return `{"outcome":"other"}` }},
		"GET /api/v1/users":               {access: "role:sysadmin", path: "/api/v1/users", ok: 200},
		"POST /api/v1/users":              {access: "role:sysadmin", path: "/api/v1/users", ok: 400, bad: newUserJSON},
		"POST /api/v1/users/{id}/disable": {access: "role:sysadmin", path: "/api/v1/users/{user}/disable", node: nUser, ok: 200},
		"GET /api/v1/audit":               {access: "D7:read", path: "/api/v1/audit", ok: 200},

		// Plan targets and training (D6; courses and sessions are D0).
		"GET /plan":                {access: "D6:read", path: "/plan?school={school}", node: nSchool, ok: 200},
		"GET /plan.xlsx":           {access: "D6:read", path: "/plan.xlsx?school={school}", node: nSchool, ok: 200},
		"GET /plan/targets":        {access: "role:city_official", path: "/plan/targets", ok: 200},
		"POST /plan/targets":       {access: "role:city_official", path: "/plan/targets", form: true, ok: 400},
		"GET /plan/targets/{code}": {access: "D6:read", path: "/plan/targets/c-cert-class-teachers?school={school}", node: nSchool, ok: 200},
		"GET /plan/targets/{code}/gaps.xlsx": {access: "D6:read", path: "/plan/targets/c-cert-class-teachers/gaps.xlsx?school={school}",
			node: nSchool, ok: 200},
		"GET /training": {access: "D0:read", path: "/training", ok: 200},
		"POST /training/courses": {access: "D0:write", path: "/training/courses", form: true, ok: 400,
			bad: func(*fixtures, *position) string {
				return url.Values{"title": {"矩阵测试新课程"}, "level": {"C"}, "hours": {"8"}, "mode": {"offline"}}.Encode()
			}},
		"POST /training/sessions":     {access: "D0:write|D6:write", path: "/training/sessions", form: true, ok: 400},
		"GET /training/sessions/{id}": {access: "D0:read", path: "/training/sessions/{session}", ok: 200},
		"POST /training/sessions/{id}/attendance": {access: "D0:write|D6:write", path: "/training/sessions/{session}/attendance",
			node: nStaff, create: true, form: true, ok: 400,
			bad: func(fx *fixtures, p *position) string {
				return url.Values{"row_staff_0": {itoa(p.staff)}, "row_hours_0": {"0"}}.Encode()
			}},
		"POST /training/sessions/{id}/attendance/upload": {access: "D0:write|D6:write", path: "/training/sessions/{session}/attendance/upload",
			node: nStaff, create: true, multipart: true, ok: 400, bad: attendanceSheetBody},
		// One's own record: the accounts the seed links to a staff record
		// read it and submit their certificates (an empty form is refused);
		// any other account has no record: 404.
		"GET /me/training": {access: "signed-in", path: "/me/training", ownRecord: true, ok: 200},
		"POST /me/training/certificates": {access: "signed-in", path: "/me/training/certificates", ownRecord: true, form: true, ok: 400,
			bad: func(*fixtures, *position) string {
				return url.Values{"kind": {"C"}, "number": {"MATRIX-ME-1"}, "issuer": {"矩阵测试"}, "issued_on": {"2024-01-01"}}.Encode()
			}},
		"GET /staff/{id}/training": {access: "D6:read", path: "/staff/{staff}/training", node: nStaff, ok: 200},
		"POST /staff/{id}/certificates": {access: "D6:write", path: "/staff/{staff}/certificates", node: nStaff, form: true, ok: 400,
			bad: func(fx *fixtures, p *position) string {
				return url.Values{"kind": {"C"}, "number": {"MATRIX-NEW-" + itoa(p.staff)}, "issuer": {"矩阵测试"}, "issued_on": {"2024-01-01"}}.Encode()
			}},
		"GET /certificates": {access: "D6:read", path: "/certificates?school={school}&status=", node: nSchool, ok: 200},
		// Reviews: the fixture certificates are confirmed already, so no
		// review changes them: 404 for everyone (a submitted one is
		// reviewed in TestCertificateReviewedByTheSchoolOnly).
		"POST /certificates/{id}/confirm": {access: "D6:read", path: "/certificates/{cert}/confirm", node: nStaff, form: true, ok: 404},
		// The fixture certificates carry no evidence file: 404 for everyone
		// (a file's download is tested in plan_access_test.go).
		"GET /certificates/{id}/evidence": {access: "D6:own", path: "/certificates/{cert}/evidence", node: nStaff, ok: 404},
		"POST /certificates/{id}/reject":  {access: "D6:read", path: "/certificates/{cert}/reject", node: nStaff, form: true, ok: 404},
		"GET /api/v1/plan/progress":       {access: "D6:read", path: "/api/v1/plan/progress?school_id={school}", node: nSchool, ok: 200},
		"GET /api/v1/plan/targets":        {access: "D0:read", path: "/api/v1/plan/targets", ok: 200},
		"POST /api/v1/plan/targets":       {access: "role:city_official", path: "/api/v1/plan/targets", ok: 400},
		"GET /api/v1/plan/targets/{code}/gaps": {access: "D6:read", path: "/api/v1/plan/targets/c-cert-class-teachers/gaps?school_id={school}",
			node: nSchool, ok: 200},
		"GET /api/v1/training/courses": {access: "D0:read", path: "/api/v1/training/courses", ok: 200},
		"POST /api/v1/training/courses": {access: "D0:write", path: "/api/v1/training/courses", ok: 400,
			bad: func(*fixtures, *position) string {
				return `{"title":"矩阵测试新课程","level":"C","hours":8,"mode":"offline"}`
			}},
		"GET /api/v1/training/sessions":                 {access: "D0:read", path: "/api/v1/training/sessions", ok: 200},
		"POST /api/v1/training/sessions":                {access: "D0:write|D6:write", path: "/api/v1/training/sessions", ok: 400},
		"GET /api/v1/training/sessions/{id}/attendance": {access: "D6:read", path: "/api/v1/training/sessions/{session}/attendance", ok: 200},
		"POST /api/v1/training/sessions/{id}/attendance": {access: "D0:write|D6:write", path: "/api/v1/training/sessions/{session}/attendance",
			node: nStaff, create: true, ok: 400,
			bad: func(fx *fixtures, p *position) string {
				return fmt.Sprintf(`{"items":[{"staff_id":%d,"passed":false,"hours":0}]}`, p.staff)
			}},
		"GET /api/v1/me/training":  {access: "signed-in", path: "/api/v1/me/training", ownRecord: true, ok: 200},
		"GET /api/v1/certificates": {access: "D6:read", path: "/api/v1/certificates?school_id={school}", node: nSchool, list: true, ok: 200},
		// Anyone with a record submits their own; for someone else's (the
		// position's staff member) the caller needs D6 write there.
		"POST /api/v1/certificates": {access: "D6:own", path: "/api/v1/certificates", node: nStaff, create: true, ok: 400, scopeNeed: "D6:write",
			bad: func(fx *fixtures, p *position) string {
				return fmt.Sprintf(`{"staff_id":%d,"kind":"C","number":"MATRIX-API-%d","issuer":"矩阵测试","issued_on":"2024-01-01"}`, p.staff, p.staff)
			}},
		"POST /api/v1/certificates/{id}/confirm": {access: "D6:read", path: "/api/v1/certificates/{cert}/confirm", node: nStaff, ok: 404},
		"POST /api/v1/certificates/{id}/reject":  {access: "D6:read", path: "/api/v1/certificates/{cert}/reject", node: nStaff, ok: 404},
	}
}

// ---- well-formed bodies aimed at a position --------------------------------

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func newSchoolForm(fx *fixtures, p *position) string {
	return url.Values{"district_id": {itoa(p.district)}, "code": {"TEST-M-01"}, "name": {"矩阵测试学校"}, "type": {"primary"}}.Encode()
}

func newSchoolJSON(fx *fixtures, p *position) string {
	return fmt.Sprintf(`{"district_id":%d,"code":"TEST-M-02","name":"矩阵测试学校","type":"primary"}`, p.district)
}

func sameSchoolForm(fx *fixtures, p *position) string {
	s := p.school0
	return url.Values{"district_id": {itoa(s.DistrictID)}, "code": {s.Code}, "name": {s.Name}, "type": {string(s.Type)},
		"address": {s.Address}}.Encode()
}

func sameSchoolJSON(fx *fixtures, p *position) string {
	s := p.school0
	b, _ := json.Marshal(map[string]any{"district_id": s.DistrictID, "code": s.Code, "name": s.Name, "type": s.Type, "address": s.Address})
	return string(b)
}

func newClassForm(fx *fixtures, p *position) string {
	return url.Values{"school_id": {itoa(p.school)}, "start_year": {"2026"}, "grade": {"1"}, "number": {"42"}}.Encode()
}

func newClassJSON(fx *fixtures, p *position) string {
	return fmt.Sprintf(`{"school_id":%d,"start_year":2026,"grade":1,"number":42}`, p.school)
}

func newStudentForm(fx *fixtures, p *position) string {
	return url.Values{"class_id": {itoa(p.class)}, "student_no": {"L510403201605017777"}, "name": {"矩阵测试学生"},
		"gender": {"M"}, "birth_date": {"2016-05-01"}}.Encode()
}

func newStudentJSON(fx *fixtures, p *position) string {
	return fmt.Sprintf(`{"class_id":%d,"student_no":"L510403201605017778","name":"矩阵测试学生","gender":"M","birth_date":"2016-05-01"}`, p.class)
}

func sameStudentForm(fx *fixtures, p *position) string {
	d := p.student0
	v := url.Values{"class_id": {itoa(d.ClassID)}, "student_no": {d.StudentNo}, "name": {d.Name}, "gender": {string(d.Gender)},
		"birth_date": {d.BirthDate}, "id_number": {p.idNumber}}
	if d.Contact != nil {
		for _, c := range d.Contact.Categories {
			v.Add("categories", string(c))
		}
		for _, g := range d.Contact.Guardians {
			v.Add("guardian_name", g.Name)
			v.Add("guardian_relation", string(g.Relation))
			v.Add("guardian_phone", g.Phone)
		}
	}
	return v.Encode()
}

func newStaffForm(fx *fixtures, p *position) string {
	return url.Values{"school_id": {itoa(p.school)}, "name": {"矩阵测试教师"}, "gender": {"F"}, "posts": {"subject_teacher"}}.Encode()
}

func newStaffJSON(fx *fixtures, p *position) string {
	return fmt.Sprintf(`{"school_id":%d,"name":"矩阵测试教师","gender":"F","posts":[{"post":"subject_teacher"}]}`, p.school)
}

func sameStaffForm(fx *fixtures, p *position) string {
	s := p.staff0
	v := url.Values{"school_id": {itoa(s.SchoolID)}, "name": {s.Name}, "gender": {string(s.Gender)}, "phone": {s.Phone}}
	for _, x := range s.Posts {
		v.Add("posts", string(x.Post))
		if x.ClassID != 0 {
			v.Set("class_id", itoa(x.ClassID))
		}
	}
	return v.Encode()
}

func sameStaffJSON(fx *fixtures, p *position) string {
	s := p.staff0
	posts := []map[string]any{}
	for _, x := range s.Posts {
		m := map[string]any{"post": x.Post}
		if x.ClassID != 0 {
			m["class_id"] = x.ClassID
		}
		posts = append(posts, m)
	}
	b, _ := json.Marshal(map[string]any{"school_id": s.SchoolID, "name": s.Name, "gender": s.Gender, "phone": s.Phone, "posts": posts})
	return string(b)
}

// usedCodeForm types the code of a pupil who has already submitted.
func usedCodeForm(fx *fixtures, p *position) string {
	return url.Values{"code": {fx.own.usedCode}}.Encode()
}

// newCampaignForm and newCampaignJSON create a campaign over the
// position's school (well formed: refused only for its scope).
func newCampaignForm(fx *fixtures, p *position) string {
	now := time.Now()
	return url.Values{"name": {"矩阵测试新普查"}, "instruments": {"phqa"}, "opens_at": {now.Format("2006-01-02T15:04")},
		"closes_at": {now.Add(7 * 24 * time.Hour).Format("2006-01-02T15:04")}, "school_ids": {itoa(p.school)}}.Encode()
}

func newCampaignJSON(fx *fixtures, p *position) string {
	now := time.Now().UTC().Truncate(time.Second)
	return fmt.Sprintf(`{"name":"矩阵测试新普查","instruments":["phqa"],"opens_at":%q,"closes_at":%q,"school_ids":[%d]}`,
		now.Format(time.RFC3339), now.Add(7*24*time.Hour).Format(time.RFC3339), p.school)
}

// sameConsentForm and sameConsentJSON repeat the consent the position's
// participant has (given; and they have submitted, which keeps it).
func sameConsentForm(fx *fixtures, p *position) string {
	return url.Values{"method": {"paper"}, "consent_" + itoa(p.part): {"given"}}.Encode()
}

func sameConsentJSON(fx *fixtures, p *position) string {
	return fmt.Sprintf(`{"items":[{"participant_id":%d,"status":"given","method":"paper"}]}`, p.part)
}

// matrixBoundary separates the parts of the matrix's uploads.
const matrixBoundary = "huhang-matrix-boundary-7d1f"

// uploadBody is a well-formed roster upload for the position's school: a
// one-row file, valid but for a class no school has, so even a wrongful
// acceptance could never be committed.
func uploadBody(fx *fixtures, p *position) string {
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	mw.SetBoundary(matrixBoundary)
	mw.WriteField("kind", "students")
	mw.WriteField("school_id", itoa(p.school))
	fw, _ := mw.CreateFormFile("file", "矩阵测试名单.csv")
	fmt.Fprintf(fw, "学籍号,姓名,性别,出生日期,身份证号,年级,班级\r\nL%s,矩阵上传学生,女,2016-06-01,,一年级,99班\r\n",
		"519988201606010001")
	mw.Close()
	return b.String()
}

// attendanceSheetBody is an attendance sheet for the position's staff,
// sent for recording (confirm=1): a fail with no hours, valid, so a
// refusal cannot be mere validation.
func attendanceSheetBody(fx *fixtures, p *position) string {
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	mw.SetBoundary(matrixBoundary)
	mw.WriteField("confirm", "1")
	fw, _ := mw.CreateFormFile("file", "矩阵测试考勤表.csv")
	fmt.Fprintf(fw, "工号,是否合格,学时\r\n%d,不合格,0\r\n", p.staff)
	mw.Close()
	return b.String()
}

func newUserForm(*fixtures, *position) string {
	return url.Values{"username": {"matrix-made"}, "display_name": {"矩阵测试账号"}, "password": {"Matrix-Test-Only-Passw0rd"}}.Encode()
}

func newUserJSON(*fixtures, *position) string {
	return `{"username":"matrix-made-api","display_name":"矩阵测试账号","password":"Matrix-Test-Only-Passw0rd","assignments":[]}`
}

// ---- expectations -------------------------------------------------------------

// caller is one column of the matrix.
type caller struct {
	name     string     // username, or "anonymous"
	role     authz.Role // "" for the anonymous and the unassigned caller
	anon     bool
	password string
}

// allows reports whether a declared access admits the caller, reading the
// test's own table; an access string it does not know fails the test.
func allows(t *testing.T, c caller, access string) bool {
	if alts := strings.Split(access, "|"); len(alts) > 1 {
		// Any of the needs admits (anyNeed in the route table).
		return slices.ContainsFunc(alts, func(a string) bool { return allows(t, c, a) })
	}
	switch {
	case access == "public":
		return true
	case access == "signed-in":
		return !c.anon
	case strings.HasPrefix(access, "role:"):
		return !c.anon && string(c.role) == strings.TrimPrefix(access, "role:")
	case len(access) > 3 && access[0] == 'D' && access[2] == ':':
		class := int(access[1] - '0')
		level := slices.Index(levelNames, access[3:])
		if class < 0 || class > 7 || level < 0 {
			t.Fatalf("unknown access %q", access)
		}
		if c.anon || c.role == "" {
			return false
		}
		return accessTable[c.role][class] >= authz.Level(level)
	}
	t.Fatalf("unknown access %q: teach the matrix what it means", access)
	return false
}

// covers reports whether the caller's assignment reaches the record at pos.
func covers(c caller, n node, pos string) bool {
	switch n {
	case nNone, nUser:
		return true
	case nToken, nAsg:
		return pos == "own"
	}
	b := bindingOf[c.role]
	if c.role == "" {
		return false
	}
	if n == nAlert {
		return alertVisible(c, pos)
	}
	if n == nAgencyList {
		return b == authz.BindAgency && pos == "own"
	}
	switch n {
	case nTree:
		return b == authz.BindCity || b == authz.BindSystem || b == authz.BindDistrict
	case nCityWide:
		return b == authz.BindCity || b == authz.BindSystem
	}
	switch b {
	case authz.BindSystem, authz.BindCity:
		return true
	case authz.BindDistrict:
		return pos != "other"
	case authz.BindSchool:
		return n != nDistrict && (pos == "own" || pos == "classmate")
	case authz.BindClass:
		return slices.Contains([]node{nClass, nStudent, nCampaign, nCampaignClass, nParticipant}, n) && pos == "own"
	}
	return false
}

// expectation is what one request must answer.
type expectation struct {
	status  []int
	refused bool   // the request must be refused (send the well-formed body)
	loc     string // required Location for 303s to the login page
	why     string
}

func expect(t *testing.T, c caller, rs routeSpec, access string, api bool, pos string) expectation {
	if c.anon {
		switch {
		case access == "public":
			st := rs.ok
			if rs.okAnon != 0 {
				st = rs.okAnon
			}
			return expectation{status: []int{st}, why: "public"}
		case api:
			return expectation{status: []int{401}, refused: true, why: "anonymous API call"}
		default:
			return expectation{status: []int{303}, refused: true, loc: "/login", why: "anonymous page"}
		}
	}
	if !allows(t, c, access) {
		return expectation{status: []int{404}, refused: true, why: "the role may not use " + access}
	}
	if rs.schoolLevel && bindingOf[c.role] == authz.BindClass {
		return expectation{status: []int{404}, refused: true, why: "a class-bound role may not export (T7.6)"}
	}
	if rs.ownRecord && !slices.Contains(linkedAccounts, c.name) {
		return expectation{status: []int{404}, refused: true, why: "the account has no staff record of its own"}
	}
	if covers(c, rs.node, pos) && (rs.scopeNeed == "" || allows(t, c, rs.scopeNeed)) {
		return expectation{status: []int{rs.ok}, why: "allowed, in scope"}
	}
	switch {
	case rs.list:
		return expectation{status: []int{200}, why: "a list filtered to a place out of scope: empty"}
	case rs.classBoundList && bindingOf[c.role] == authz.BindClass:
		return expectation{status: []int{200}, why: "a class-bound role lists its own classes only"}
	case rs.create:
		return expectation{status: []int{400, 404}, refused: true, why: "creating under a parent out of scope"}
	}
	return expectation{status: []int{404}, refused: true, why: "out of scope"}
}

// linkedAccounts are the demo accounts the seed links to their staff
// records (seed: loadTraining), so /me/training has a record to show;
// TestAccessMatrix checks the seed still links exactly these.
var linkedAccounts = []string{"principal", "psych", "classteacher", "teacher"}

// ---- the matrix -----------------------------------------------------------------

func TestAccessMatrix(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		specs := routeSpecs()
		routes := e.srv.Routes()
		e.makeHeldRecords(t)

		// Every route has a row, every row a route, and each route declares
		// the access its row expects.
		seen := map[string]bool{}
		for _, ri := range routes {
			key := ri.Method + " " + ri.Pattern
			seen[key] = true
			rs, ok := specs[key]
			if !ok {
				t.Errorf("route %s (access %s) has no row in the access matrix: add one to routeSpecs", key, ri.Access)
				continue
			}
			if rs.access != ri.Access {
				t.Errorf("route %s declares access %s; the matrix expects %s", key, ri.Access, rs.access)
			}
		}
		for key := range specs {
			if !seen[key] {
				t.Errorf("matrix row %s has no route: remove it or restore the route", key)
			}
		}

		for name, uid := range e.fx.users {
			staff, err := e.st.StaffIDOf(ctx, uid)
			must(t, err)
			if linked := slices.Contains(linkedAccounts, name); linked != (staff != 0) {
				t.Errorf("account %s: linked to staff record %d; the matrix expects linked=%v (linkedAccounts)", name, staff, linked)
			}
		}

		// The administration routes aim at a throwaway account with one
		// assignment and a token.
		_, targetID, _ := e.newUser(t, "matrix-target", authz.At(authz.Teacher, e.fx.targets.TeamClass))
		asgs, err := e.st.Assignments(ctx, targetID)
		must(t, err)
		teacherAsg, err := e.st.Assignments(ctx, e.fx.users["teacher"])
		must(t, err)
		newToken := func(uid int64) int64 {
			_, hash := auth.NewToken()
			id, err := e.st.CreateToken(ctx, store.SystemActor, uid, "matrix", hash, time.Now().Add(time.Hour))
			must(t, err)
			return id
		}
		targetToken := newToken(targetID)

		callers := []caller{{name: "anonymous", anon: true}}
		for _, a := range seed.Accounts {
			if _, ok := accessTable[a.Role]; !ok {
				t.Fatalf("demo account %s has role %s, which the matrix does not know", a.Username, a.Role)
			}
			callers = append(callers, caller{name: a.Username, role: a.Role, password: seed.DemoPassword})
		}
		callers = append(callers, caller{name: noAssignUser, password: seed.DemoPassword})

		for _, c := range callers {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				var cl *client
				ownToken := targetToken
				if c.anon {
					cl = newClient(t, e.ts.URL)
				} else {
					cl = e.as(t, c.name)
					ownToken = newToken(e.fx.users[c.name])
				}
				posOf := func(name string) *position {
					name, _ = splitPos(name)
					switch name {
					case "classmate":
						return e.fx.classmate
					case "sibling":
						return e.fx.sibling
					case "other":
						return e.fx.other
					}
					if c.role == authz.Teacher {
						return e.fx.ownTeam
					}
					return e.fx.own
				}
				requests := 0
				for _, ri := range routes {
					rs, ok := specs[ri.Method+" "+ri.Pattern]
					if !ok {
						continue
					}
					for _, pos := range positionsFor(rs.node) {
						p := posOf(pos)
						path := rs.path
						if rs.freshCampaign {
							path = strings.ReplaceAll(path, "{campaign}", itoa(e.throwawayCampaign(t, p.class)))
						}
						path = strings.ReplaceAll(expandPath(path, p, pos), "{user}", itoa(targetID))
						switch {
						case pos == "own":
							path = strings.ReplaceAll(path, "{token}", itoa(ownToken))
							path = strings.ReplaceAll(path, "{asg}", itoa(asgs[0].ID))
						default:
							path = strings.ReplaceAll(path, "{token}", itoa(targetToken))
							path = strings.ReplaceAll(path, "{asg}", itoa(teacherAsg[0].ID))
						}
						want := expect(t, c, rs, ri.Access, ri.API, pos)
						var body []byte
						switch {
						case rs.body != nil:
							body = []byte(rs.body(e.fx, p))
						case want.refused && rs.bad != nil:
							body = []byte(rs.bad(e.fx, p))
						}
						ctype := ""
						if ri.Method != "GET" {
							ctype = "application/json"
							if rs.form {
								ctype = "application/x-www-form-urlencoded"
							}
							if rs.multipart {
								ctype = "multipart/form-data; boundary=" + matrixBoundary
							}
						}
						rc := cl
						if rs.fresh && !c.anon {
							rc = e.fresh(t, c.name, c.password)
						}
						r := rc.do(ri.Method, path, body, ctype, nil)
						requests++
						checkHeaders(t, r)
						where := fmt.Sprintf("%s as %s at %s (%s)", r, c.name, pos, want.why)
						if !slices.Contains(want.status, r.status) {
							if r.status == http.StatusForbidden {
								t.Errorf("%s: 403 reveals that the record exists; want %v", where, want.status)
							} else {
								t.Errorf("%s: want %v", where, want.status)
							}
							continue
						}
						if want.loc != "" {
							if got := r.header.Get("Location"); got != want.loc {
								t.Errorf("%s: redirects to %q, want %q", where, got, want.loc)
							}
						}
						if ri.API && r.status >= 400 {
							er := errorShape(t, r)
							if want.refused && rs.create && r.status == 400 && !slices.ContainsFunc(er.Details, func(d errDetail) bool { return d.Code == "err.out_of_scope" }) {
								t.Errorf("%s: a create under a parent out of scope must be refused for its scope (err.out_of_scope), got %+v", where, er.Details)
							}
						}
						if leak := leaked(c, e.fx, r.body); leak != "" {
							t.Errorf("%s: the response holds %q, which the caller may not see", where, leak)
						}
						if rs.xlsx != "" && r.status == http.StatusOK {
							checkExport(t, where, c, e.fx, rs, pos, p, r)
						}
					}
				}
				t.Logf("%d requests", requests)
			})
		}
	})
}

// expandPath fills a row's path with the records of position p; pos names
// the alert's level ("own@city") for alert routes.
func expandPath(path string, p *position, pos string) string {
	_, level := splitPos(pos)
	h := heldOf(p)
	return strings.NewReplacer(
		"{district}", itoa(p.district), "{school}", itoa(p.school), "{class}", itoa(p.class),
		"{student}", itoa(p.student), "{staff}", itoa(p.staff), "{import}", itoa(p.imp),
		"{session}", itoa(p.session), "{cert}", itoa(p.cert),
		"{campaign}", itoa(p.campaign), "{part}", itoa(p.part), "{alert}", itoa(p.alerts[level]),
		"{evidence}", h.evidence, "{assistlist}", h.assistList, "{assistdraft}", h.assistDraft,
	).Replace(path)
}

// heldRecords are records of a position's school that the shared fixtures
// (env_test.go) do not hold, made through the store by the matrix itself,
// once per environment, before its first request — as it makes its own
// tokens and throwaway campaigns. The positions of the demo school share
// the demo school's. Every field is an id as the path carries it.
type heldRecords struct {
	// evidence is an evidence file of a parent-school activity of the
	// school (hsHeldRecords).
	evidence string
	// assistList is a sent assistance list of the school, and assistDraft
	// a draft one with no pupils: the demo school's list goes to the demo
	// agency, the other schools' to another agency, so the demo agency
	// user reaches the demo school's only (assistHeldRecords).
	assistList, assistDraft string
}

var (
	heldMu   sync.Mutex
	heldMade = map[*env]bool{}
	held     = map[*position]heldRecords{}
)

// noHeldRecords is what the placeholders name where the matrix has not
// made its records (another test expanding a path): ids no record has, so
// such a request is answered 404, as before the records existed.
var noHeldRecords = heldRecords{evidence: hsNoRecord, assistList: noList, assistDraft: noList}

// heldOf returns the records the matrix made for p.
func heldOf(p *position) heldRecords {
	heldMu.Lock()
	defer heldMu.Unlock()
	if h, ok := held[p]; ok {
		return h
	}
	return noHeldRecords
}

// makeHeldRecords makes the environment's heldRecords, once: one set per
// school (the demo school's, the sibling's, the other district's), shared
// by the positions at that school.
func (e *env) makeHeldRecords(t *testing.T) {
	t.Helper()
	heldMu.Lock()
	defer heldMu.Unlock()
	if heldMade[e] {
		return
	}
	ctx := context.Background()
	fx := e.fx
	for _, p := range []*position{fx.own, fx.sibling, fx.other} {
		var h heldRecords
		var err error
		if h.evidence, err = hsHeldRecords(ctx, e.st, p); err != nil {
			t.Fatalf("home-school records of %s: %v", p.name, err)
		}
		if h.assistList, h.assistDraft, err = assistHeldRecords(ctx, e.st, fx, p); err != nil {
			t.Fatalf("assistance lists of %s: %v", p.name, err)
		}
		held[p] = h
	}
	held[fx.ownTeam], held[fx.classmate] = held[fx.own], held[fx.own]
	heldMade[e] = true
}

// throwawayCampaign creates, through the store, an open campaign over one
// class, for a request that closes it.
func (e *env) throwawayCampaign(t testing.TB, class int64) int64 {
	t.Helper()
	now := time.Now()
	id, err := e.st.CreateCampaign(context.Background(), store.SystemActor, city, store.CampaignInput{
		Name: fmt.Sprintf("矩阵测试待关闭普查 %d", now.UnixNano()), Instruments: []string{"phqa"},
		OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(24 * time.Hour), ClassIDs: []int64{class}},
		func(code string) bool { return code == "phqa" })
	must(t, err)
	return id
}

// leaked returns a name in body that the caller must not receive: any
// pupil's name for a role without the roster, and every name of a place
// its assignment does not reach.
func leaked(c caller, fx *fixtures, body []byte) string {
	roster := !c.anon && c.role != "" && accessTable[c.role][authz.D1] >= authz.Limited
	all := []*position{fx.own, fx.ownTeam, fx.classmate, fx.sibling, fx.other}
	if !roster {
		for _, p := range all {
			if n := containsAny(body, p.students); n != "" {
				return n
			}
		}
	}
	for _, p := range []*position{fx.classmate, fx.sibling, fx.other} {
		if covers(c, nStudent, p.name) {
			continue
		}
		for _, names := range [][]string{p.students, p.staffNames, p.structure} {
			if n := containsAny(body, names); n != "" {
				return n
			}
		}
	}
	return ""
}

package web

import (
	"huhang/internal/authz"
	"huhang/internal/store"
)

// routeTable is every route with the access it needs, in one place. The
// access-matrix test walks this table; a route missing from it does not
// exist. Handlers read rows only within the scope of the same need.
func (s *Server) routeTable() []route {
	D := func(c authz.DataClass, l authz.Level) access { return need(c, l) }
	const (
		R = authz.Read
		W = authz.Write
		L = authz.Limited
	)
	return []route{
		// Operations.
		{method: "GET", pattern: "/healthz", access: access{kind: public}, h: s.healthz},
		{method: "GET", pattern: "/readyz", access: access{kind: public}, h: s.readyz},
		{method: "GET", pattern: "/metrics", access: role(authz.SysAdmin), h: s.metricsHandler},

		// Signing in and out; one's own account.
		{method: "GET", pattern: "/login", access: access{kind: public}, h: s.loginPage},
		{method: "POST", pattern: "/login", access: access{kind: public}, h: s.loginSubmit},
		{method: "GET", pattern: "/login/mfa", access: access{kind: signedIn}, h: s.mfaPage},
		{method: "POST", pattern: "/login/mfa", access: access{kind: signedIn}, h: s.mfaSubmit},
		{method: "POST", pattern: "/logout", access: access{kind: signedIn}, h: s.logout},
		{method: "POST", pattern: "/lang", access: access{kind: public}, h: s.setLang},
		{method: "GET", pattern: "/account", access: access{kind: signedIn}, h: s.accountPage},
		{method: "POST", pattern: "/account/password", access: access{kind: signedIn}, h: s.accountPassword},
		{method: "GET", pattern: "/account/mfa", access: access{kind: signedIn}, h: s.mfaSetupPage},
		{method: "POST", pattern: "/account/mfa", access: access{kind: signedIn}, h: s.mfaSetupSubmit},
		{method: "POST", pattern: "/account/tokens", access: access{kind: signedIn}, h: s.tokenCreate},
		{method: "POST", pattern: "/account/tokens/{id}/revoke", access: access{kind: signedIn}, h: s.tokenRevoke},

		// The tree, drill-down from the city to a class (D0).
		{method: "GET", pattern: "/{$}", access: access{kind: signedIn}, h: s.home},
		{method: "GET", pattern: "/tree", access: D(authz.D0, R), h: s.treePage},
		{method: "POST", pattern: "/districts", access: D(authz.D0, W), h: s.districtCreate},
		{method: "GET", pattern: "/districts/{id}", access: D(authz.D0, R), h: s.districtPage},
		{method: "GET", pattern: "/schools/new", access: D(authz.D0, W), h: s.schoolNewPage},
		{method: "POST", pattern: "/schools", access: D(authz.D0, W), h: s.schoolCreate},
		{method: "GET", pattern: "/schools/{id}", access: D(authz.D0, R), h: s.schoolPage},
		{method: "GET", pattern: "/schools/{id}/edit", access: D(authz.D0, W), h: s.schoolEditPage},
		{method: "POST", pattern: "/schools/{id}", access: D(authz.D0, W), h: s.schoolUpdate},
		{method: "POST", pattern: "/classes", access: D(authz.D1, W), h: s.classCreate},
		{method: "GET", pattern: "/classes/{id}", access: D(authz.D0, R), h: s.classPage},

		// People.
		{method: "GET", pattern: "/students", access: D(authz.D1, L), h: s.studentsPage},
		{method: "GET", pattern: "/students/new", access: D(authz.D1, W), h: s.studentNewPage},
		{method: "POST", pattern: "/students", access: D(authz.D1, W), h: s.studentCreate},
		{method: "GET", pattern: "/students/{id}", access: D(authz.D1, R), h: s.studentPage},
		{method: "GET", pattern: "/students/{id}/edit", access: D(authz.D1, W), h: s.studentEditPage},
		{method: "POST", pattern: "/students/{id}", access: D(authz.D1, W), h: s.studentUpdate},
		{method: "POST", pattern: "/students/{id}/move", access: D(authz.D1, W), h: s.studentMove},
		{method: "GET", pattern: "/schools/{id}/staff", access: D(authz.D6, R), h: s.staffListPage},
		{method: "GET", pattern: "/staff/new", access: D(authz.D6, W), h: s.staffNewPage},
		{method: "POST", pattern: "/staff", access: D(authz.D6, W), h: s.staffCreate},
		{method: "GET", pattern: "/staff/{id}", access: D(authz.D6, R), h: s.staffPage},
		{method: "GET", pattern: "/staff/{id}/edit", access: D(authz.D6, W), h: s.staffEditPage},
		{method: "POST", pattern: "/staff/{id}", access: D(authz.D6, W), h: s.staffUpdate},

		// Roster imports and exports.
		{method: "GET", pattern: "/imports", access: D(authz.D1, W), h: s.importsPage},
		{method: "POST", pattern: "/imports", access: D(authz.D1, W), h: s.importCreate},
		{method: "GET", pattern: "/imports/template.xlsx", access: D(authz.D1, W), h: s.importTemplate},
		{method: "GET", pattern: "/imports/{id}", access: D(authz.D1, W), h: s.importPage},
		{method: "POST", pattern: "/imports/{id}/commit", access: D(authz.D1, W), h: s.importCommit},
		{method: "GET", pattern: "/imports/{id}/problems.xlsx", access: D(authz.D1, W), h: s.importErrors},
		{method: "GET", pattern: "/classes/{id}/students.xlsx", access: D(authz.D1, R), h: s.exportClassStudents},
		{method: "GET", pattern: "/schools/{id}/students.xlsx", access: D(authz.D1, R), h: s.exportSchoolStudents},
		{method: "GET", pattern: "/schools/{id}/key-students.xlsx", access: D(authz.D2, R), h: s.exportKeyStudents},
		{method: "GET", pattern: "/schools/{id}/staff.xlsx", access: D(authz.D6, R), h: s.exportStaff},

		// Administration (accounts only, never children's data) and audit.
		{method: "GET", pattern: "/admin/users", access: role(authz.SysAdmin), h: s.usersPage},
		{method: "POST", pattern: "/admin/users", access: role(authz.SysAdmin), h: s.userCreate},
		{method: "GET", pattern: "/admin/nodes", access: role(authz.SysAdmin), h: s.nodesPage},
		{method: "GET", pattern: "/admin/users/{id}", access: role(authz.SysAdmin), h: s.userPage},
		{method: "POST", pattern: "/admin/users/{id}/disable", access: role(authz.SysAdmin), h: s.userDisable},
		{method: "POST", pattern: "/admin/users/{id}/enable", access: role(authz.SysAdmin), h: s.userEnable},
		{method: "POST", pattern: "/admin/users/{id}/password", access: role(authz.SysAdmin), h: s.userResetPassword},
		{method: "POST", pattern: "/admin/users/{id}/assignments", access: role(authz.SysAdmin), h: s.userAssign},
		{method: "POST", pattern: "/admin/users/{id}/assignments/{aid}/delete", access: role(authz.SysAdmin), h: s.userUnassign},
		{method: "GET", pattern: "/audit", access: D(authz.D7, R), h: s.auditPage},

		// JSON API.
		{method: "GET", pattern: "/api/v1/openapi.json", access: access{kind: public}, api: true, h: s.openAPI,
			doc: &apiDoc{summary: "This OpenAPI document"}},
		{method: "GET", pattern: "/api/v1/me", access: access{kind: signedIn}, api: true, h: s.apiMe,
			doc: &apiDoc{summary: "The caller's account and assignments", resp: meResponse{}}},
		{method: "GET", pattern: "/api/v1/districts", access: D(authz.D0, R), api: true, h: s.apiDistricts,
			doc: &apiDoc{summary: "Districts in scope with aggregates", resp: listOf[districtJSON]{}}},
		{method: "POST", pattern: "/api/v1/districts", access: D(authz.D0, W), api: true, h: s.apiDistrictCreate,
			doc: &apiDoc{summary: "Add a district or county (city officials)", req: store.DistrictInput{}, resp: idResponse{}, status: 201}},
		{method: "GET", pattern: "/api/v1/districts/{id}", access: D(authz.D0, R), api: true, h: s.apiDistrict,
			doc: &apiDoc{summary: "One district", resp: districtJSON{}}},
		{method: "GET", pattern: "/api/v1/schools", access: D(authz.D0, R), api: true, h: s.apiSchools,
			doc: &apiDoc{summary: "Schools in scope", query: []string{"district_id", "type", "q", "offset", "limit"}, resp: listOf[schoolJSON]{}}},
		{method: "POST", pattern: "/api/v1/schools", access: D(authz.D0, W), api: true, h: s.apiSchoolCreate,
			doc: &apiDoc{summary: "Create a school", req: schoolInputJSON{}, resp: idResponse{}, status: 201}},
		{method: "GET", pattern: "/api/v1/schools/{id}", access: D(authz.D0, R), api: true, h: s.apiSchool,
			doc: &apiDoc{summary: "One school", resp: schoolJSON{}}},
		{method: "PATCH", pattern: "/api/v1/schools/{id}", access: D(authz.D0, W), api: true, h: s.apiSchoolUpdate,
			doc: &apiDoc{summary: "Change a school", req: schoolInputJSON{}, resp: okResponse{}}},
		{method: "GET", pattern: "/api/v1/schools/{id}/classes", access: D(authz.D0, R), api: true, h: s.apiClasses,
			doc: &apiDoc{summary: "Classes of a school", resp: listOf[classJSON]{}}},
		{method: "POST", pattern: "/api/v1/classes", access: D(authz.D1, W), api: true, h: s.apiClassCreate,
			doc: &apiDoc{summary: "Create a class", req: classInputJSON{}, resp: idResponse{}, status: 201}},
		{method: "GET", pattern: "/api/v1/classes/{id}", access: D(authz.D0, R), api: true, h: s.apiClass,
			doc: &apiDoc{summary: "One class with aggregates", resp: classJSON{}}},
		{method: "GET", pattern: "/api/v1/students", access: D(authz.D1, L), api: true, h: s.apiStudents,
			doc: &apiDoc{summary: "Students in scope (names masked where the role does not need them)", query: []string{"school_id", "class_id", "q", "status", "offset", "limit"}, resp: listOf[studentJSON]{}}},
		{method: "POST", pattern: "/api/v1/students", access: D(authz.D1, W), api: true, h: s.apiStudentCreate,
			doc: &apiDoc{summary: "Create a student", req: studentInputJSON{}, resp: idResponse{}, status: 201}},
		{method: "POST", pattern: "/api/v1/students/lookup", access: D(authz.D1, R), api: true, h: s.apiStudentLookup,
			doc: &apiDoc{summary: "Find a student by resident ID number (sent in the body, never the URL)", req: lookupRequest{}, resp: idResponse{}}},
		{method: "GET", pattern: "/api/v1/students/{id}", access: D(authz.D1, R), api: true, h: s.apiStudent,
			doc: &apiDoc{summary: "One student; contact details only for roles allowed D2", query: []string{"unmask"}, resp: studentDetailJSON{}}},
		{method: "PATCH", pattern: "/api/v1/students/{id}", access: D(authz.D1, W), api: true, h: s.apiStudentUpdate,
			doc: &apiDoc{summary: "Change a student", req: studentInputJSON{}, resp: okResponse{}}},
		{method: "POST", pattern: "/api/v1/students/{id}/move", access: D(authz.D1, W), api: true, h: s.apiStudentMove,
			doc: &apiDoc{summary: "Change class, transfer or graduate", req: moveInputJSON{}, resp: okResponse{}}},
		{method: "GET", pattern: "/api/v1/staff", access: D(authz.D6, R), api: true, h: s.apiStaffList,
			doc: &apiDoc{summary: "Staff in scope", query: []string{"school_id", "post", "q", "offset", "limit"}, resp: listOf[staffJSON]{}}},
		{method: "POST", pattern: "/api/v1/staff", access: D(authz.D6, W), api: true, h: s.apiStaffCreate,
			doc: &apiDoc{summary: "Create a staff member", req: staffInputJSON{}, resp: idResponse{}, status: 201}},
		{method: "GET", pattern: "/api/v1/staff/{id}", access: D(authz.D6, R), api: true, h: s.apiStaff,
			doc: &apiDoc{summary: "One staff member", resp: staffJSON{}}},
		{method: "PATCH", pattern: "/api/v1/staff/{id}", access: D(authz.D6, W), api: true, h: s.apiStaffUpdate,
			doc: &apiDoc{summary: "Change a staff member", req: staffInputJSON{}, resp: okResponse{}}},
		{method: "GET", pattern: "/api/v1/agencies", access: D(authz.D0, R), api: true, h: s.apiAgencies,
			doc: &apiDoc{summary: "Partner agencies", resp: listOf[agencyJSON]{}}},
		{method: "POST", pattern: "/api/v1/agencies", access: D(authz.D0, W), api: true, h: s.apiAgencyCreate,
			doc: &apiDoc{summary: "Add a partner agency (city officials)", req: agencyJSON{}, resp: idResponse{}, status: 201}},
		{method: "GET", pattern: "/api/v1/school-years", access: D(authz.D0, R), api: true, h: s.apiSchoolYears,
			doc: &apiDoc{summary: "School years and their semester dates", resp: listOf[schoolYearJSON]{}}},
		{method: "GET", pattern: "/api/v1/imports", access: D(authz.D1, W), api: true, h: s.apiImports,
			doc: &apiDoc{summary: "Roster imports of schools in scope", resp: listOf[store.Import]{}}},
		{method: "POST", pattern: "/api/v1/imports", access: D(authz.D1, W), api: true, h: s.apiImportCreate,
			doc: &apiDoc{summary: "Upload a roster (multipart/form-data: kind=students|staff, school_id, file); the preview starts at once", resp: idResponse{}, status: 202}},
		{method: "GET", pattern: "/api/v1/imports/{id}", access: D(authz.D1, W), api: true, h: s.apiImport,
			doc: &apiDoc{summary: "An import's progress, figures and every problem with its row and column", resp: importJSON{}}},
		{method: "POST", pattern: "/api/v1/imports/{id}/commit", access: D(authz.D1, W), api: true, h: s.apiImportCommit,
			doc: &apiDoc{summary: "Commit a previewed import without errors (all or nothing)", resp: idResponse{}, status: 202}},
		{method: "GET", pattern: "/api/v1/users", access: role(authz.SysAdmin), api: true, h: s.apiUsers,
			doc: &apiDoc{summary: "Accounts (administrators)", query: []string{"q", "offset", "limit"}, resp: listOf[userJSON]{}}},
		{method: "POST", pattern: "/api/v1/users", access: role(authz.SysAdmin), api: true, h: s.apiUserCreate,
			doc: &apiDoc{summary: "Create an account", req: userInputJSON{}, resp: idResponse{}, status: 201}},
		{method: "POST", pattern: "/api/v1/users/{id}/disable", access: role(authz.SysAdmin), api: true, h: s.apiUserDisable,
			doc: &apiDoc{summary: "Disable an account and end its sessions", resp: okResponse{}}},
		{method: "GET", pattern: "/api/v1/audit", access: D(authz.D7, R), api: true, h: s.apiAudit,
			doc: &apiDoc{summary: "Search the audit log (auditors)", query: []string{"actor_id", "action", "object_type", "object_id", "before_seq", "limit"}, resp: listOf[auditJSON]{}}},
	}
}

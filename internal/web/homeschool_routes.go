package web

import (
	"huhang/internal/authz"
	"huhang/internal/store"
)

// homeSchoolRoutes are the routes of parent-school activities, home visits,
// visit coverage, concerns and the home–school reports. Visits need D2
// read (the roster's family data of the class: class teachers, the
// school's psychology teacher, principal and data officer): recording a
// visit is the class team's own duty, not an edit of the roster. Concerns
// are case material: D5 write, the psychology teacher.
func (s *Server) homeSchoolRoutes() []route {
	D := func(c authz.DataClass, l authz.Level) access { return need(c, l) }
	recorders := anyNeed(activityRecorders[0], activityRecorders[1:]...)
	const R, W = authz.Read, authz.Write
	return []route{
		{method: "GET", pattern: "/home-school", access: D(authz.D0, R), h: s.hsPage},
		{method: "GET", pattern: "/home-school/report", access: D(authz.D0, R), h: s.hsReportPage},
		{method: "GET", pattern: "/home-school/report.xlsx", access: D(authz.D0, R), h: s.hsReportExport},
		{method: "GET", pattern: "/home-school/activities", access: D(authz.D0, R), h: s.activitiesPage},
		{method: "POST", pattern: "/home-school/activities", access: recorders, h: s.activityCreate},
		{method: "POST", pattern: "/home-school/activities/{id}/delete", access: recorders, h: s.activityDelete},
		{method: "POST", pattern: "/home-school/activities/{id}/evidence", access: recorders, h: s.evidenceUpload},
		{method: "GET", pattern: "/home-school/evidence/{id}", access: recorders, h: s.evidenceDownload},
		{method: "GET", pattern: "/classes/{id}/visits", access: D(authz.D2, R), h: s.classVisitsPage},
		{method: "POST", pattern: "/classes/{id}/visits", access: D(authz.D2, R), h: s.classVisitCreate},
		{method: "GET", pattern: "/students/{id}/visits", access: D(authz.D2, R), h: s.studentVisitsPage},
		{method: "POST", pattern: "/visits/{id}/concern", access: D(authz.D2, R), h: s.visitConcernPass},
		{method: "GET", pattern: "/concerns", access: D(authz.D5, W), h: s.concernsPage},
		{method: "POST", pattern: "/concerns/{id}/take", access: D(authz.D5, W), h: s.concernStep("take")},
		{method: "POST", pattern: "/concerns/{id}/close", access: D(authz.D5, W), h: s.concernStep("close")},

		{method: "GET", pattern: "/api/v1/home-school/progress", access: D(authz.D0, R), api: true, h: s.apiHSProgress,
			doc: &apiDoc{summary: "Parent-school quotas and visit coverage of a term judged at a node (the caller's widest, a district or a school) and its children, with the lagging ones",
				query: []string{"district_id", "school_id", "term"}, resp: hsProgressJSON{}}},
		{method: "GET", pattern: "/api/v1/home-school/coverage", access: D(authz.D0, R), api: true, h: s.apiHSCoverage,
			doc: &apiDoc{summary: "Home-visit coverage of a term per district, school or class (pupils counted at their current class)",
				query: []string{"by", "district_id", "school_id", "term"}, resp: listOf[coverageRowJSON]{}}},
		{method: "GET", pattern: "/api/v1/home-school/activities", access: D(authz.D0, R), api: true, h: s.apiActivities,
			doc: &apiDoc{summary: "Parent-school activities of schools in scope", query: []string{"school_id", "district_id", "term", "kind", "offset", "limit"},
				resp: listOf[store.Activity]{}}},
		{method: "POST", pattern: "/api/v1/home-school/activities", access: recorders, api: true, h: s.apiActivityCreate,
			doc: &apiDoc{summary: "Record a parent-school activity (a date in the future or a holiday, grades the school has not got, or the same activity twice are refused)",
				req: store.ActivityInput{}, resp: idResponse{}, status: 201}},
		{method: "DELETE", pattern: "/api/v1/home-school/activities/{id}", access: recorders, api: true, h: s.apiActivityDelete,
			doc: &apiDoc{summary: "Remove an activity entered by mistake", resp: okResponse{}}},
		{method: "GET", pattern: "/api/v1/classes/{id}/visits", access: D(authz.D2, R), api: true, h: s.apiClassVisits,
			doc: &apiDoc{summary: "A class's visit sheet for the current term: its team, who has and has not been visited, coverage by mode",
				resp: store.ClassVisitSheet{}}},
		{method: "POST", pattern: "/api/v1/home-visits", access: D(authz.D2, R), api: true, h: s.apiVisitCreate,
			doc: &apiDoc{summary: "Record a home visit (visitors must be on the pupil's class team; the date inside a term and not in the future); pass_concern hands its concerns to the psychology teacher",
				req: store.VisitInput{}, resp: store.VisitResult{}, status: 201}},
		{method: "GET", pattern: "/api/v1/students/{id}/visits", access: D(authz.D2, R), api: true, h: s.apiStudentVisits,
			doc: &apiDoc{summary: "A pupil's home visits with findings and notes (audited)", resp: listOf[store.Visit]{}}},
		{method: "POST", pattern: "/api/v1/home-visits/{id}/concern", access: D(authz.D2, R), api: true, h: s.apiConcernPass,
			doc: &apiDoc{summary: "Pass the concerns of an earlier visit to the school's psychology teacher", req: concernPassJSON{}, resp: idResponse{}, status: 201}},
		{method: "GET", pattern: "/api/v1/concerns", access: D(authz.D5, W), api: true, h: s.apiConcerns,
			doc: &apiDoc{summary: "Concerns passed from home visits (the psychology teacher's inbox)", query: []string{"state"}, resp: listOf[store.Concern]{}}},
		{method: "POST", pattern: "/api/v1/concerns/{id}/take", access: D(authz.D5, W), api: true, h: s.apiConcernStep("take"),
			doc: &apiDoc{summary: "Take up an open concern", req: concernStepJSON{}, resp: okResponse{}}},
		{method: "POST", pattern: "/api/v1/concerns/{id}/close", access: D(authz.D5, W), api: true, h: s.apiConcernStep("close"),
			doc: &apiDoc{summary: "Close a concern with an outcome (talked, counselling, referred, no_action)", req: concernStepJSON{}, resp: okResponse{}}},
		{method: "GET", pattern: "/api/v1/home-school/reminders", access: access{kind: signedIn}, api: true, h: s.apiReminders,
			doc: &apiDoc{summary: "The caller's home–school reminders: unvisited pupils, overdue key-pupil follow-ups, concerns waiting, quotas behind", resp: listOf[reminderJSON]{}}},
	}
}

package web

import (
	"huhang/internal/authz"
	"huhang/internal/store"
)

// assistRoutes are the routes of the key-pupil register (issue 6 part 3)
// and of assistance lists sent to partner agencies (part 4).
//
// Key pupils are D2 (key-student categories): the register needs D2 read
// (a school's principal, psychology teacher and data officer; a class
// teacher their own classes), a pupil's categories D2 write (the school's
// data officer). The follow-up cadence is structure: anyone with D0 reads
// it, city officials set it.
//
// An assistance list discloses D2 data of named pupils outside the school,
// so building and sending one is D2 write: the school's data officer. The
// principal and the psychology teacher hold D2 read: they read the school's
// lists and the agencies' answers, they do not send. District and city
// officials hold D2 only "addressed": they see their schools' lists as
// counts (D0 aggregates, /assist/summary), never a named pupil. Agency users
// reach only the lists sent to their agency (role agency_user, the agency
// of their assignment), in the agency's minimal shape.
func (s *Server) assistRoutes() []route {
	D := func(c authz.DataClass, l authz.Level) access { return need(c, l) }
	const R, W = authz.Read, authz.Write
	agency := role(authz.AgencyUser)
	city := role(authz.CityOfficial)
	return []route{
		// Key pupils.
		{method: "GET", pattern: "/key-pupils", access: D(authz.D2, R), h: s.keyPupilsPage},
		{method: "GET", pattern: "/key-pupils/cadence", access: D(authz.D0, R), h: s.cadencePage},
		{method: "POST", pattern: "/key-pupils/cadence", access: city, h: s.cadenceSave},
		{method: "GET", pattern: "/students/{id}/key-categories", access: D(authz.D2, W), h: s.keyCategoriesPage},
		{method: "POST", pattern: "/students/{id}/key-categories", access: D(authz.D2, W), h: s.keyCategoriesSave},

		// Assistance lists: the school's side.
		{method: "GET", pattern: "/assist", access: D(authz.D2, R), h: s.assistListsPage},
		{method: "POST", pattern: "/assist", access: D(authz.D2, W), h: s.assistCreate},
		{method: "GET", pattern: "/assist/summary", access: D(authz.D0, R), h: s.assistSummaryPage},
		{method: "GET", pattern: "/assist/{id}", access: D(authz.D2, R), h: s.assistListPage},
		{method: "POST", pattern: "/assist/{id}", access: D(authz.D2, W), h: s.assistUpdate},
		{method: "POST", pattern: "/assist/{id}/items", access: D(authz.D2, W), h: s.assistAddItems},
		{method: "POST", pattern: "/assist/{id}/items/{item}/delete", access: D(authz.D2, W), h: s.assistRemoveItem},
		{method: "POST", pattern: "/assist/{id}/send", access: D(authz.D2, W), h: s.assistSend},
		{method: "POST", pattern: "/assist/{id}/close", access: D(authz.D2, W), h: s.assistClose},
		{method: "GET", pattern: "/assist/{id}/list.xlsx", access: D(authz.D2, W), h: s.assistExport},
		{method: "POST", pattern: "/assist/{id}/answers", access: D(authz.D2, W), h: s.assistImport},
		// The agency's side.
		{method: "GET", pattern: "/agency/assist", access: agency, h: s.agencyInboxPage},
		{method: "GET", pattern: "/agency/assist/{id}", access: agency, h: s.agencyListPage},
		{method: "POST", pattern: "/agency/assist/{id}/answers", access: agency, h: s.agencyAnswer},

		// JSON API.
		{method: "GET", pattern: "/api/v1/key-pupils", access: D(authz.D2, R), api: true, h: s.apiKeyPupils,
			doc: &apiDoc{summary: "The key-pupil register in scope: each pupil's categories with their date and source, last follow-up, cadence, due date and days overdue (names masked where the role does not need them; audited)",
				query: []string{"school_id", "class_id", "category", "overdue", "offset", "limit"}, resp: listOf[keyPupilJSON]{}}},
		{method: "PATCH", pattern: "/api/v1/students/{id}/key-categories", access: D(authz.D2, W), api: true, h: s.apiKeyCategories,
			doc: &apiDoc{summary: "Replace a pupil's key-student categories, each with an optional date and source (an unknown category or source, a date in the future: refused, nothing stored)",
				req: keyCategoriesRequest{}, resp: okResponse{}}},
		{method: "GET", pattern: "/api/v1/key-cadence", access: D(authz.D0, R), api: true, h: s.apiKeyCadence,
			doc: &apiDoc{summary: "The follow-up cadence per key-pupil category (days between two follow-ups)", resp: listOf[cadenceJSON]{}}},
		{method: "PUT", pattern: "/api/v1/key-cadence", access: city, api: true, h: s.apiKeyCadenceSet,
			doc: &apiDoc{summary: "Set the cadence of some categories (1–365 days; city officials)", req: cadenceRequest{}, resp: okResponse{}}},

		{method: "GET", pattern: "/api/v1/assist/lists", access: D(authz.D2, R), api: true, h: s.apiAssistLists,
			doc: &apiDoc{summary: "Assistance lists of the caller's schools with their answer figures", query: []string{"school_id"}, resp: listOf[assistListJSON]{}}},
		{method: "POST", pattern: "/api/v1/assist/lists", access: D(authz.D2, W), api: true, h: s.apiAssistCreate,
			doc: &apiDoc{summary: "Start a draft list of a school for a partner agency (civil affairs, 12355, Women's Federation)",
				req: store.AssistListInput{}, resp: idResponse{}, status: 201}},
		{method: "GET", pattern: "/api/v1/assist/lists/{id}", access: D(authz.D2, R), api: true, h: s.apiAssistList,
			doc: &apiDoc{summary: "One list with its pupils and the agency's answers (names masked where the role does not need them; audited)", resp: assistDetailJSON{}}},
		{method: "PATCH", pattern: "/api/v1/assist/lists/{id}", access: D(authz.D2, W), api: true, h: s.apiAssistUpdate,
			doc: &apiDoc{summary: "Change a draft list's title and agency", req: assistListPatchJSON{}, resp: okResponse{}}},
		{method: "GET", pattern: "/api/v1/assist/lists/{id}/suggestions", access: D(authz.D2, W), api: true, h: s.apiAssistSuggestions,
			doc: &apiDoc{summary: "Pupils of the school in difficulty (poor, left-behind, single-parent, orphan) not yet on the draft list (audited)", resp: listOf[suggestionJSON]{}}},
		{method: "POST", pattern: "/api/v1/assist/lists/{id}/items", access: D(authz.D2, W), api: true, h: s.apiAssistAddItems,
			doc: &apiDoc{summary: "Put pupils on a draft list, all or nothing (a pupil of another school, a category the pupil does not hold, an unknown help code: refused with the item named)",
				req: assistItemsRequest{}, resp: recordedResponse{}, status: 201}},
		{method: "DELETE", pattern: "/api/v1/assist/lists/{id}/items/{item}", access: D(authz.D2, W), api: true, h: s.apiAssistRemoveItem,
			doc: &apiDoc{summary: "Take a pupil off a draft list", resp: okResponse{}}},
		{method: "POST", pattern: "/api/v1/assist/lists/{id}/send", access: D(authz.D2, W), api: true, h: s.apiAssistSend,
			doc: &apiDoc{summary: "Send a draft list to its agency (it is not edited afterwards)", resp: okResponse{}}},
		{method: "POST", pattern: "/api/v1/assist/lists/{id}/close", access: D(authz.D2, W), api: true, h: s.apiAssistClose,
			doc: &apiDoc{summary: "Close a sent list: no answer changes any more", resp: okResponse{}}},
		{method: "POST", pattern: "/api/v1/assist/lists/{id}/answers", access: D(authz.D2, W), api: true, h: s.apiAssistImport,
			doc: &apiDoc{summary: "Import an agency's answers from the filled workbook (multipart/form-data: file), all or nothing; every bad row named with its row and column",
				resp: recordedResponse{}}},
		{method: "GET", pattern: "/api/v1/assist/stats", access: D(authz.D0, R), api: true, h: s.apiAssistStats,
			doc: &apiDoc{summary: "Pupils listed and the agencies' answers per school for lists sent in a period (default: this school year; counts of 1–4 withheld as null)",
				query: []string{"from", "to"}, resp: listOf[assistStatJSON]{}}},
		{method: "GET", pattern: "/api/v1/agency/assist/lists", access: agency, api: true, h: s.apiAgencyLists,
			doc: &apiDoc{summary: "The lists sent to the caller's agency", resp: listOf[agencyListJSON]{}}},
		{method: "GET", pattern: "/api/v1/agency/assist/lists/{id}", access: agency, api: true, h: s.apiAgencyList,
			doc: &apiDoc{summary: "One list sent to the caller's agency, with only what the agency needs of each pupil (audited)", resp: agencyDetailJSON{}}},
		{method: "POST", pattern: "/api/v1/agency/assist/lists/{id}/answers", access: agency, api: true, h: s.apiAgencyAnswer,
			doc: &apiDoc{summary: "Answer pupils of a sent list: received, assisted or declined with a note (all or nothing)",
				req: answersRequest{}, resp: recordedResponse{}}},
	}
}

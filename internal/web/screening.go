package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"huhang/internal/authz"
	"huhang/internal/export"
	"huhang/internal/privacy"
	"huhang/internal/report"
	"huhang/internal/screening"
	"huhang/internal/store"
)

// Screening campaigns for staff: creating a campaign, guardians' consent
// and the code sheets per class, live completion and tiers (aggregates,
// protected), the named results for the school's psychology teacher and
// principal, and the instruments.

// registryHolder keeps the instrument registry, replaced whole when a
// bureau loads a licensed instrument.
type registryHolder struct {
	p atomic.Pointer[screening.Registry]
}

func (s *Server) registry() *screening.Registry { return s.instruments.p.Load() }

// LoadInstruments builds the registry from the shipped instruments and
// those stored in the database; a stored one that no longer validates is
// logged and skipped, never fatal.
func (s *Server) LoadInstruments(ctx context.Context) error {
	bodies, err := s.store.Instruments(ctx)
	if err != nil {
		return err
	}
	var extra []*screening.Instrument
	for code, b := range bodies {
		in, err := screening.Load(b)
		if err != nil {
			s.log.Warn("stored instrument does not load", "code", code, "err", err)
			continue
		}
		extra = append(extra, in)
	}
	reg, err := screening.NewRegistry(extra...)
	if err != nil {
		return err
	}
	s.instruments.p.Store(reg)
	return nil
}

// seesTiers reports whether the caller may see tier counts (D3 aggregates
// or more); a class teacher sees the attention flag only.
func seesTiers(c *reqCtx) bool {
	for _, a := range c.sub.Assignments {
		if l := authz.LevelOf(a.Role, authz.D3); l == authz.Aggregate || l >= authz.Read {
			return true
		}
	}
	return false
}

// canCreateCampaign: officials for their district or the city, the
// psychology teacher for their school.
var campaignCreators = []authz.Need{{Class: authz.D0, Level: authz.Write}, {Class: authz.D3, Level: authz.Write}}

func (c *reqCtx) campaignScope() authz.Scope {
	var sc authz.Scope
	for _, n := range campaignCreators {
		x := c.sub.Scope(n)
		sc.City = sc.City || x.City
		sc.Districts = append(sc.Districts, x.Districts...)
		sc.Schools = append(sc.Schools, x.Schools...)
	}
	return sc
}

// alertScope is which alerts the caller sees: their school's (D3 read),
// and those escalated to their district or the city.
func (c *reqCtx) alertScope() store.AlertScope {
	as := store.AlertScope{Direct: c.scope(authz.D3, authz.Read)}
	as.Direct.Classes = nil // no class-bound role reads D3 in full
	for _, a := range c.sub.Assignments {
		switch a.Role {
		case authz.DistrictOfficial:
			as.EscalatedDistricts = append(as.EscalatedDistricts, a.DistrictID)
		case authz.CityOfficial:
			as.EscalatedCity = true
		}
	}
	return as
}

type campaignRow struct {
	store.Campaign
	Total store.ScreeningCounts
	Open  bool
}

func (s *Server) screeningPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sc := c.scope(authz.D3, authz.Aggregate)
	camps, err := s.store.ListCampaigns(r.Context(), sc)
	if err != nil {
		return err
	}
	rows := make([]campaignRow, 0, len(camps))
	for _, cp := range camps {
		total, _, err := s.store.ScreeningBreakdown(r.Context(), sc, cp.ID, store.ByDistrict, 0, 0)
		if err != nil {
			return err
		}
		rows = append(rows, campaignRow{Campaign: cp, Total: total, Open: cp.OpenAt(s.now())})
	}
	return s.html(w, c, "screening.html", "scr.title", nil, map[string]any{
		"Campaigns": rows, "CanCreate": !c.campaignScope().Empty(), "Tiers": seesTiers(c),
	})
}

func (s *Server) campaignNewPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.campaignForm(w, r, c, http.StatusOK, store.CampaignInput{
		OpensAt: s.now().Truncate(time.Hour), ClosesAt: s.now().Truncate(time.Hour).Add(14 * 24 * time.Hour),
		Instruments: []string{"phqa", "gad7"}, Grades: []int{4, 5, 6, 7, 8, 9, 10, 11, 12},
	}, nil)
}

func (s *Server) campaignForm(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, in store.CampaignInput, problems []fieldProblem) error {
	sc := c.campaignScope()
	schools, _, err := s.store.ListSchools(r.Context(), sc, store.SchoolFilter{Limit: 500})
	if err != nil {
		return err
	}
	chosen := map[int64]bool{}
	for _, id := range in.SchoolIDs {
		chosen[id] = true
	}
	grades := map[int]bool{}
	for _, g := range in.Grades {
		grades[g] = true
	}
	ins := map[string]bool{}
	for _, code := range in.Instruments {
		ins[code] = true
	}
	w.WriteHeader(status)
	return s.html(w, c, "campaign_new.html", "scr.new", []crumb{{s.cat.T(c.locale, "scr.title"), "/screening"}, {s.cat.T(c.locale, "scr.new"), ""}},
		map[string]any{"In": in, "Schools": schools, "Chosen": chosen, "Grades": grades, "Instruments": s.registry().All(),
			"ChosenIns": ins, "Problems": problems, "Opens": in.OpensAt.In(s.zone()).Format("2006-01-02T15:04"),
			"Closes": in.ClosesAt.In(s.zone()).Format("2006-01-02T15:04"), "GradeList": []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}})
}

// zone is the programme's local time (Asia/Shanghai).
func (s *Server) zone() *time.Location {
	if s.policy.Location != nil {
		return s.policy.Location
	}
	return time.UTC
}

func (s *Server) campaignCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	in := store.CampaignInput{Name: r.PostFormValue("name"), Instruments: r.PostForm["instruments"]}
	in.OpensAt, _ = time.ParseInLocation("2006-01-02T15:04", r.PostFormValue("opens_at"), s.zone())
	in.ClosesAt, _ = time.ParseInLocation("2006-01-02T15:04", r.PostFormValue("closes_at"), s.zone())
	for _, v := range r.PostForm["school_ids"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.SchoolIDs = append(in.SchoolIDs, id)
		}
	}
	for _, v := range r.PostForm["grades"] {
		if g, err := strconv.Atoi(v); err == nil {
			in.Grades = append(in.Grades, g)
		}
	}
	id, err := s.createCampaign(r, c, in)
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		var ps []fieldProblem
		for _, f := range ve.Fields {
			ps = append(ps, fieldProblem{Field: f.Field, Code: f.Key, Message: s.cat.T(c.locale, f.Key)})
		}
		return s.campaignForm(w, r, c, http.StatusBadRequest, in, ps)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/screening/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// createCampaign sets the owning node from the caller and creates it.
func (s *Server) createCampaign(r *http.Request, c *reqCtx, in store.CampaignInput) (int64, error) {
	sc := c.campaignScope()
	if !sc.City {
		if len(sc.Districts) > 0 {
			in.DistrictID = sc.Districts[0]
		} else if len(sc.Schools) > 0 {
			in.SchoolID = sc.Schools[0]
		}
	}
	reg := s.registry()
	return s.store.CreateCampaign(r.Context(), c.actor(r), sc, in, func(code string) bool { _, ok := reg.Get(code); return ok })
}

// breakdownLevel decides how a campaign page splits its figures for the
// caller and the node asked for.
func breakdownLevel(sc authz.Scope, districtID, schoolID int64) string {
	switch {
	case schoolID != 0:
		return store.ByClass
	case districtID != 0:
		return store.BySchool
	case sc.City:
		return store.ByDistrict
	case len(sc.Districts) > 0:
		return store.BySchool
	}
	return store.ByClass
}

func queryID(r *http.Request, name string) int64 {
	id, _ := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	return max(id, 0)
}

func (s *Server) campaignPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	sc := c.scope(authz.D3, authz.Aggregate)
	cp, err := s.store.GetCampaign(ctx, sc, id)
	if err != nil {
		return err
	}
	districtID, schoolID := queryID(r, "district"), queryID(r, "school")
	by := breakdownLevel(sc, districtID, schoolID)
	total, rows, err := s.store.ScreeningBreakdown(ctx, sc, id, by, districtID, schoolID)
	if err != nil {
		return err
	}
	_, grades, err := s.store.ScreeningBreakdown(ctx, sc, id, store.ByGrade, districtID, schoolID)
	if err != nil {
		return err
	}
	data := map[string]any{"Campaign": cp, "Total": total, "Rows": rows, "By": by, "Grades": grades, "Tiers": seesTiers(c),
		"DistrictID": districtID, "SchoolID": schoolID, "Open": cp.OpenAt(s.now()), "Names": s.instrumentNames(cp, c.locale),
		"CanResults": c.sub.Can(authz.Need{Class: authz.D3, Level: authz.Read}), "CanClose": !c.campaignScope().Empty() && cp.Status == "open",
		"CanExport": canExportAggregates(c),
	}
	as := c.alertScope()
	if !as.Empty() {
		ages, err := s.store.AlertAges(ctx, as, s.now())
		if err != nil {
			return err
		}
		data["AlertAges"] = ages
	}
	crumbs := []crumb{{s.cat.T(c.locale, "scr.title"), "/screening"}, {cp.Name, ""}}
	return s.html(w, c, "campaign.html", "scr.campaign", crumbs, data)
}

func (s *Server) instrumentNames(cp store.Campaign, locale string) []string {
	reg := s.registry()
	var out []string
	for _, code := range cp.Instruments {
		if in, ok := reg.Get(code); ok {
			out = append(out, in.Name.In(locale))
		} else {
			out = append(out, code)
		}
	}
	return out
}

func (s *Server) campaignClose(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.CloseCampaign(r.Context(), c.actor(r), c.campaignScope(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/screening/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// rosterView is a participant row with the name as the caller may see it.
type rosterView struct {
	store.RosterEntry
	Shown string
}

// classRoster loads the campaign and class named in the path and the
// class's participants (with their codes when codes is set), within the
// caller's D3 "limited" scope.
func (s *Server) classRoster(r *http.Request, c *reqCtx, codes bool) (store.Campaign, store.ClassSummary, []store.RosterEntry, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return store.Campaign{}, store.ClassSummary{}, nil, err
	}
	cid, err := pathID(r, "cid")
	if err != nil {
		return store.Campaign{}, store.ClassSummary{}, nil, err
	}
	ctx := r.Context()
	sc := c.scope(authz.D3, authz.Limited)
	cp, err := s.store.GetCampaign(ctx, sc, id)
	if err != nil {
		return cp, store.ClassSummary{}, nil, err
	}
	cl, err := s.store.GetClass(ctx, sc, cid)
	if err != nil {
		return cp, cl, nil, err
	}
	roster, err := s.store.CampaignClassRoster(ctx, c.actor(r), sc, id, cid, codes)
	return cp, cl, roster, err
}

func (s *Server) campaignClassPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.campaignClass(w, r, c, "")
}

func (s *Server) campaignClass(w http.ResponseWriter, r *http.Request, c *reqCtx, flash string) error {
	cp, cl, roster, err := s.classRoster(r, c, false)
	if err != nil {
		return err
	}
	full := c.sub.FullNamesIn().Covers(cl.DistrictID, cl.SchoolID, cl.ID)
	views := make([]rosterView, len(roster))
	for i, e := range roster {
		views[i] = rosterView{RosterEntry: e, Shown: e.Name}
		if !full {
			views[i].Shown = privacy.MaskName(e.Name)
		}
	}
	crumbs := []crumb{{s.cat.T(c.locale, "scr.title"), "/screening"}, {cp.Name, "/screening/" + strconv.FormatInt(cp.ID, 10)}, {cl.Name, ""}}
	return s.html(w, c, "campaign_class.html", "scr.class", crumbs, map[string]any{"Campaign": cp, "Class": cl, "Roster": views,
		"Flash": flash, "Open": cp.Status == "open"})
}

func (s *Server) consentSubmit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cid, err := pathID(r, "cid")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	method := r.PostFormValue("method")
	var items []store.ConsentInput
	for k, v := range r.PostForm {
		pid, ok := strings.CutPrefix(k, "consent_")
		if !ok || len(v) != 1 {
			continue
		}
		n, err := strconv.ParseInt(pid, 10, 64)
		if err != nil {
			continue
		}
		items = append(items, store.ConsentInput{ParticipantID: n, Status: v[0], Method: method})
	}
	sc := c.scope(authz.D3, authz.Limited)
	if _, err := s.store.GetClass(r.Context(), sc, cid); err != nil {
		return err
	}
	n, err := s.store.SetConsent(r.Context(), c.actor(r), sc, id, items)
	if err != nil {
		return err
	}
	return s.campaignClass(w, r, c, s.cat.T(c.locale, "scr.consent_saved", n))
}

func (s *Server) codesPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	cp, cl, roster, err := s.classRoster(r, c, true)
	if err != nil {
		return err
	}
	var sheet []store.RosterEntry
	for _, e := range roster {
		// Only pupils who may answer get a slip: no consent, no code.
		if e.Consent == store.ConsentGiven && e.State != store.PartSubmitted {
			e.Code = e.Code[:5] + "-" + e.Code[5:]
			sheet = append(sheet, e)
		}
	}
	return s.html(w, c, "codes.html", "scr.codes", nil, map[string]any{"Campaign": cp, "Class": cl, "Sheet": sheet,
		"Skipped": len(roster) - len(sheet), "URL": "/s", "Closes": cp.ClosesAt.In(s.zone()).Format("2006-01-02 15:04")})
}

func (s *Server) reissueCode(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	pid, err := pathID(r, "pid")
	if err != nil {
		return err
	}
	code, err := s.store.ReissueCode(r.Context(), c.actor(r), c.scope(authz.D3, authz.Limited), pid)
	if err != nil {
		return err
	}
	return s.campaignClass(w, r, c, s.cat.T(c.locale, "scr.reissued", code[:5]+"-"+code[5:]))
}

// resultView is a result row as a page or the API shows it.
type resultView struct {
	store.ResultRow
	Shown     string             `json:"name"`
	Masked    bool               `json:"masked"`
	TierName  string             `json:"tier_name,omitempty"`
	Scores    []screening.Result `json:"scores,omitempty"`
	Flagged   bool               `json:"-"`
	Submitted bool               `json:"submitted"`
}

// storedDetail is what a submission's sealed detail holds.
type storedDetail struct {
	Answers    map[string][]int     `json:"answers"`
	Assessment screening.Assessment `json:"assessment"`
}

func (s *Server) results(r *http.Request, c *reqCtx, id int64) ([]resultView, store.Campaign, error) {
	ctx := r.Context()
	sc := c.scope(authz.D3, authz.Read)
	sc.Classes = nil
	cp, err := s.store.GetCampaign(ctx, sc, id)
	if err != nil {
		return nil, cp, err
	}
	d4 := c.scope(authz.D4, authz.Read)
	f := store.ResultFilter{SchoolID: queryID(r, "school"), ClassID: queryID(r, "class"), WithDetail: !d4.Empty()}
	if f.SchoolID == 0 {
		f.SchoolID = queryID(r, "school_id")
	}
	if f.ClassID == 0 {
		f.ClassID = queryID(r, "class_id")
	}
	if t, err := strconv.Atoi(r.URL.Query().Get("min_tier")); err == nil {
		f.MinTier = t
	}
	rows, err := s.store.ScreeningResults(ctx, c.actor(r), sc, id, f)
	if err != nil {
		return nil, cp, err
	}
	full := c.sub.FullNamesIn()
	out := make([]resultView, len(rows))
	for i, x := range rows {
		v := resultView{ResultRow: x, Shown: x.Name, Submitted: x.Tier >= 0, Flagged: len(x.Flags) > 0}
		if !full.Covers(x.DistrictID, x.SchoolID, x.ClassID) {
			v.Shown, v.Masked = privacy.MaskName(x.Name), true
		}
		if x.Tier >= 0 {
			v.TierName = screening.Tier(x.Tier).String()
		}
		if len(x.Detail) > 0 && d4.Covers(x.DistrictID, x.SchoolID, x.ClassID) {
			var d storedDetail
			if json.Unmarshal(x.Detail, &d) == nil {
				v.Scores = d.Assessment.Results
			}
		}
		v.Detail = nil
		out[i] = v
	}
	return out, cp, nil
}

func (s *Server) resultsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rows, cp, err := s.results(r, c, id)
	if err != nil {
		return err
	}
	crumbs := []crumb{{s.cat.T(c.locale, "scr.title"), "/screening"}, {cp.Name, "/screening/" + strconv.FormatInt(id, 10)}, {s.cat.T(c.locale, "scr.results"), ""}}
	return s.html(w, c, "results.html", "scr.results", crumbs, map[string]any{"Campaign": cp, "Rows": rows,
		"Scores": c.sub.Can(authz.Need{Class: authz.D4, Level: authz.Read}), "Query": r.URL.Query().Encode()})
}

func (s *Server) participantPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pid, err := pathID(r, "pid")
	if err != nil {
		return err
	}
	ctx := r.Context()
	sc := c.scope(authz.D4, authz.Read)
	cp, err := s.store.GetCampaign(ctx, sc, id)
	if err != nil {
		return err
	}
	row, err := s.store.SubmissionDetail(ctx, c.actor(r), sc, pid)
	if err != nil {
		return err
	}
	var d storedDetail
	if err := json.Unmarshal(row.Detail, &d); err != nil {
		return fmt.Errorf("web: submission %d detail: %w", pid, err)
	}
	type answered struct {
		N      int
		Text   string
		Answer string
		Value  int
		Crit   bool
	}
	type block struct {
		Name   string
		Result screening.Result
		Items  []answered
	}
	reg := s.registry()
	var blocks []block
	for _, res := range d.Assessment.Results {
		in, ok := reg.Get(res.Instrument)
		if !ok {
			continue
		}
		b := block{Name: in.Name.In(c.locale), Result: res}
		ans := d.Answers[res.Instrument]
		for i, it := range in.Items {
			a := answered{N: i + 1, Text: it.Text.In(c.locale), Value: screening.NoAnswer}
			if i < len(ans) {
				a.Value = ans[i]
				for _, o := range in.Options {
					if o.Value == ans[i] {
						a.Answer = o.Label.In(c.locale)
					}
				}
			}
			for _, ci := range res.Critical {
				if ci == it.ID {
					a.Crit = true
				}
			}
			b.Items = append(b.Items, a)
		}
		blocks = append(blocks, b)
	}
	crumbs := []crumb{{s.cat.T(c.locale, "scr.title"), "/screening"}, {cp.Name, "/screening/" + strconv.FormatInt(id, 10)},
		{s.cat.T(c.locale, "scr.results"), "/screening/" + strconv.FormatInt(id, 10) + "/results"}, {row.Name, ""}}
	return s.html(w, c, "participant.html", "scr.answers", crumbs, map[string]any{"Campaign": cp, "Row": row,
		"Blocks": blocks, "Assessment": d.Assessment, "Tier": screening.Tier(row.Tier).String()})
}

func (s *Server) trendPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sc := c.scope(authz.D3, authz.Aggregate)
	districtID, schoolID := queryID(r, "district"), queryID(r, "school")
	trend, err := s.store.ScreeningTrend(r.Context(), sc, districtID, schoolID)
	if err != nil {
		return err
	}
	cohorts, err := s.store.ScreeningCohorts(r.Context(), sc, districtID, schoolID)
	if err != nil {
		return err
	}
	return s.html(w, c, "trend.html", "scr.trend", []crumb{{s.cat.T(c.locale, "scr.title"), "/screening"}, {s.cat.T(c.locale, "scr.trend"), ""}},
		map[string]any{"Trend": trend, "Cohorts": cohorts, "Tiers": seesTiers(c)})
}

// ---- instruments ----------------------------------------------------------------

func (s *Server) instrumentsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.instrumentsView(w, c, http.StatusOK, "", nil)
}

func (s *Server) instrumentsView(w http.ResponseWriter, c *reqCtx, status int, flash string, problem error) error {
	data := map[string]any{"Instruments": s.registry().All(), "CanLoad": c.sub.Has(authz.CityOfficial), "Flash": flash}
	if problem != nil {
		data["Problem"] = problem.Error()
	}
	w.WriteHeader(status)
	return s.html(w, c, "instruments.html", "scr.instruments", []crumb{{s.cat.T(c.locale, "scr.title"), "/screening"},
		{s.cat.T(c.locale, "scr.instruments"), ""}}, data)
}

// maxInstrumentBytes bounds an uploaded instrument definition.
const maxInstrumentBytes = 1 << 20

func (s *Server) instrumentUpload(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	body, err := readInstrumentBody(r)
	if err != nil {
		return err
	}
	in, err := s.addInstrument(r, c, body)
	if err != nil {
		var le *screening.LoadError
		if errors.As(err, &le) || errors.Is(err, store.ErrConflict) {
			return s.instrumentsView(w, c, http.StatusBadRequest, "", instrumentProblem(s, c, err))
		}
		return err
	}
	return s.instrumentsView(w, c, http.StatusOK, s.cat.T(c.locale, "scr.instrument_loaded", in.Name.In(c.locale)), nil)
}

func instrumentProblem(s *Server, c *reqCtx, err error) error {
	var le *screening.LoadError
	if errors.As(err, &le) {
		return fmt.Errorf("%s %s: %s", s.cat.T(c.locale, "scr.instrument_invalid"), le.Path, le.Reason)
	}
	return errors.New(s.cat.T(c.locale, "scr.instrument_taken"))
}

func readInstrumentBody(r *http.Request) ([]byte, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(maxInstrumentBytes); err != nil {
			return nil, errBadRequest
		}
		if f, _, err := r.FormFile("file"); err == nil {
			defer f.Close()
			return io.ReadAll(io.LimitReader(f, maxInstrumentBytes+1))
		}
		return []byte(r.FormValue("json")), nil
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return io.ReadAll(io.LimitReader(r.Body, maxInstrumentBytes+1))
	}
	if err := r.ParseForm(); err != nil {
		return nil, errBadRequest
	}
	return []byte(r.PostFormValue("json")), nil
}

// addInstrument validates a licensed instrument, refuses a taken code, and
// stores it; the registry is rebuilt.
func (s *Server) addInstrument(r *http.Request, c *reqCtx, body []byte) (*screening.Instrument, error) {
	in, err := screening.Load(body)
	if err != nil {
		return nil, err
	}
	if _, taken := s.registry().Get(in.Code); taken {
		return nil, fmt.Errorf("%w: instrument %s", store.ErrConflict, in.Code)
	}
	if err := s.store.SaveInstrument(r.Context(), c.actor(r), in.Code, body); err != nil {
		return nil, err
	}
	return in, s.LoadInstruments(r.Context())
}

// ---- exports ---------------------------------------------------------------------

// canExportAggregates: roles that see tier aggregates at school level or
// wider (a class teacher sees flags only, and class-bound roles never
// export).
func canExportAggregates(c *reqCtx) bool {
	sc := c.scope(authz.D3, authz.Aggregate)
	sc.Classes = nil
	return !sc.Empty() && seesTiers(c)
}

func (s *Server) exportCampaign(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if !canExportAggregates(c) {
		return errNotFound
	}
	sc := c.scope(authz.D3, authz.Aggregate)
	sc.Classes = nil // class-bound roles do not export
	cp, err := s.store.GetCampaign(r.Context(), sc, id)
	if err != nil {
		return err
	}
	districtID, schoolID := queryID(r, "district"), queryID(r, "school")
	by := breakdownLevel(sc, districtID, schoolID)
	total, rows, err := s.store.ScreeningBreakdown(r.Context(), sc, id, by, districtID, schoolID)
	if err != nil {
		return err
	}
	t := func(k string) string { return s.cat.T(c.locale, k) }
	cols := []export.Column{{Header: t("scr.by_" + by)}, {Header: t("scr.participants")}, {Header: t("scr.consent_given")}, {Header: t("scr.consent_refused")},
		{Header: t("scr.submitted")}, {Header: t("tier.green")}, {Header: t("tier.yellow")}, {Header: t("tier.orange")}, {Header: t("tier.red")},
		{Header: t("scr.critical")}, {Header: t("scr.flagged")}}
	sheet, err := export.New(cp.Name, cols, s.watermark(c)+" · "+t("scr.suppressed_note"))
	if err != nil {
		return err
	}
	row := func(name string, k store.ScreeningCounts) error {
		return sheet.Row(name, k.Participants, k.ConsentGiven, k.ConsentRefused, k.Submitted, report.Suppress(k.Green), report.Suppress(k.Yellow),
			report.Suppress(k.Orange), report.Suppress(k.Red), report.Suppress(k.Critical), report.Suppress(k.Flagged))
	}
	for _, x := range rows {
		name := x.Name
		if by == store.ByGrade {
			name = strconv.FormatInt(x.ID, 10)
		}
		if err := row(name, x.Counts); err != nil {
			return err
		}
	}
	if err := row(t("scr.total"), total); err != nil {
		return err
	}
	if err := s.store.AuditExport(r.Context(), c.actor(r), "screening.report_exported", "campaign", id, schoolID, districtID, len(rows)); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sheet.Write(&buf); err != nil {
		return err
	}
	sendXLSX(w, buf.Bytes(), cp.Name, s.now().Format("2006-01-02"))
	return nil
}

func (s *Server) exportResults(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rows, cp, err := s.results(r, c, id)
	if err != nil {
		return err
	}
	t := func(k string) string { return s.cat.T(c.locale, k) }
	scores := c.sub.Can(authz.Need{Class: authz.D4, Level: authz.Read})
	cols := []export.Column{{Header: t("class.name")}, {Header: t("student.name")}, {Header: t("scr.consent")}, {Header: t("scr.tier")}, {Header: t("scr.critical")}, {Header: t("scr.flags")}}
	if scores {
		cols = append(cols, export.Column{Header: t("scr.scores")})
	}
	sheet, err := export.New(cp.Name, cols, s.watermark(c))
	if err != nil {
		return err
	}
	for _, x := range rows {
		tier := ""
		if x.Submitted {
			tier = t("tier." + x.TierName)
		}
		crit := ""
		if x.Critical {
			crit = "!"
		}
		vals := []any{x.ClassName, x.Shown, t("consent." + x.Consent), tier, crit, strings.Join(x.Flags, ",")}
		if scores {
			var parts []string
			for _, sc := range x.Scores {
				parts = append(parts, fmt.Sprintf("%s=%d", sc.Instrument, sc.Score))
			}
			vals = append(vals, strings.Join(parts, " "))
		}
		if err := sheet.Row(vals...); err != nil {
			return err
		}
	}
	if err := s.store.AuditExport(r.Context(), c.actor(r), "screening.results_exported", "campaign", id, queryID(r, "school"), 0, len(rows)); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sheet.Write(&buf); err != nil {
		return err
	}
	sendXLSX(w, buf.Bytes(), cp.Name, t("scr.results"), s.now().Format("2006-01-02"))
	return nil
}

package web

import (
	"errors"
	"net/http"
	"time"

	"huhang/internal/authz"
	"huhang/internal/screening"
	"huhang/internal/store"
)

// The screening API: instruments, campaigns with their live figures,
// consent, results and (in pupil.go) submissions.

type instrumentJSON struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Version    string `json:"version"`
	Licence    string `json:"licence"`
	Source     string `json:"source"`
	Respondent string `json:"respondent"`
	Items      int    `json:"items"`
	MinAge     int    `json:"min_age"`
	MaxAge     int    `json:"max_age"`
	Critical   int    `json:"critical_items"`
}

func (s *Server) apiInstruments(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var out []instrumentJSON
	for _, in := range s.registry().All() {
		out = append(out, instrumentJSON{Code: in.Code, Name: in.Name.In(c.locale), Version: in.Version, Licence: in.Licence, Source: in.Source,
			Respondent: in.Respondent, Items: len(in.Items), MinAge: in.MinAge, MaxAge: in.MaxAge, Critical: len(in.Critical)})
	}
	writeJSON(w, 200, listOf[instrumentJSON]{Items: out, Total: len(out)})
	return nil
}

func (s *Server) apiInstrumentCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	body, err := readInstrumentBody(r)
	if err != nil {
		return err
	}
	if len(body) > maxInstrumentBytes {
		return &http.MaxBytesError{Limit: maxInstrumentBytes}
	}
	in, err := s.addInstrument(r, c, body)
	if err != nil {
		var le *screening.LoadError
		if errors.As(err, &le) {
			field := le.Path
			if field == "" {
				field = "body" // the document as a whole (empty, not JSON, too large)
			}
			return &store.FieldError{Field: field, Key: "scr.instrument_invalid"}
		}
		return err
	}
	writeJSON(w, http.StatusCreated, codeResponse{Code: in.Code})
	return nil
}

type codeResponse struct {
	Code string `json:"code"`
}

type campaignJSON struct {
	store.Campaign
	Total store.ScreeningCounts `json:"total"`
}

type campaignDetailJSON struct {
	campaignJSON
	By   string               `json:"by"`
	Rows []store.ScreeningRow `json:"rows"`
}

// tierless blanks the tier cells for callers who see the flag only.
func tierless(k store.ScreeningCounts) store.ScreeningCounts {
	k.Green, k.Yellow, k.Orange, k.Red, k.Critical, k.Flagged = 0, 0, 0, 0, 0, 0
	return k
}

func (s *Server) apiCampaigns(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sc := c.scope(authz.D3, authz.Aggregate)
	camps, err := s.store.ListCampaigns(r.Context(), sc)
	if err != nil {
		return err
	}
	tiers := seesTiers(c)
	out := make([]campaignJSON, 0, len(camps))
	for _, cp := range camps {
		total, _, err := s.store.ScreeningBreakdown(r.Context(), sc, cp.ID, store.ByDistrict, 0, 0)
		if err != nil {
			return err
		}
		if !tiers {
			total = tierless(total)
		}
		out = append(out, campaignJSON{Campaign: cp, Total: total})
	}
	writeJSON(w, 200, listOf[campaignJSON]{Items: out, Total: len(out)})
	return nil
}

type campaignInputJSON struct {
	Name        string    `json:"name"`
	Instruments []string  `json:"instruments"`
	OpensAt     time.Time `json:"opens_at"`
	ClosesAt    time.Time `json:"closes_at"`
	SchoolIDs   []int64   `json:"school_ids,omitempty"`
	Grades      []int     `json:"grades,omitempty"`
	ClassIDs    []int64   `json:"class_ids,omitempty"`
}

func (s *Server) apiCampaignCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in campaignInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.createCampaign(r, c, store.CampaignInput{Name: in.Name, Instruments: in.Instruments, OpensAt: in.OpensAt, ClosesAt: in.ClosesAt,
		SchoolIDs: in.SchoolIDs, Grades: in.Grades, ClassIDs: in.ClassIDs})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

func (s *Server) apiCampaign(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc := c.scope(authz.D3, authz.Aggregate)
	cp, err := s.store.GetCampaign(r.Context(), sc, id)
	if err != nil {
		return err
	}
	districtID, schoolID := queryID(r, "district_id"), queryID(r, "school_id")
	by := r.URL.Query().Get("by")
	if by == "" {
		by = breakdownLevel(sc, districtID, schoolID)
	}
	total, rows, err := s.store.ScreeningBreakdown(r.Context(), sc, id, by, districtID, schoolID)
	if err != nil {
		return err
	}
	if !seesTiers(c) {
		total = tierless(total)
		for i := range rows {
			rows[i].Counts = tierless(rows[i].Counts)
		}
	}
	writeJSON(w, 200, campaignDetailJSON{campaignJSON: campaignJSON{Campaign: cp, Total: total}, By: by, Rows: rows})
	return nil
}

type consentRequest struct {
	Items []store.ConsentInput `json:"items"`
}

type changedResponse struct {
	Changed int `json:"changed"`
}

func (s *Server) apiConsent(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in consentRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Items) == 0 || len(in.Items) > 2000 {
		return &store.FieldError{Field: "items", Key: "scr.err_consent_items"}
	}
	n, err := s.store.SetConsent(r.Context(), c.actor(r), c.scope(authz.D3, authz.Limited), id, in.Items)
	if err != nil {
		return err
	}
	writeJSON(w, 200, changedResponse{Changed: n})
	return nil
}

func (s *Server) apiResults(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rows, _, err := s.results(r, c, id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, listOf[resultView]{Items: rows, Total: len(rows)})
	return nil
}

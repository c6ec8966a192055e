package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"huhang/internal/privacy"
	"huhang/internal/screening"
	"huhang/internal/store"
)

// The alert inbox: every alert the caller's role addresses (their school's,
// or those escalated to their district or the city), the most urgent first,
// and each alert's page with its history and the next steps: acknowledge,
// record an action, close with an outcome. Opening an open alert records
// that it was seen.

// alertView is an alert as the inbox shows it.
type alertView struct {
	store.Alert
	Shown   string `json:"student_name"`
	Direct  bool   `json:"-"`
	Overdue bool   `json:"overdue"`
	Level   string `json:"level_name"`
}

func (s *Server) alertView(c *reqCtx, as store.AlertScope, a store.Alert) alertView {
	v := alertView{Alert: a, Direct: as.SeesDirect(a.DistrictID, a.SchoolID, a.ClassID), Level: screening.Level(a.Level).String()}
	// The school sees the name (it must act); an official who sees the
	// alert because it was escalated sees it masked: enough to ring the
	// school, not to know the child.
	v.Shown = privacy.MaskName(a.StudentName)
	if v.Direct {
		v.Shown = a.StudentName
	} else {
		// Which item was answered is screening data (D4); an official who
		// sees the alert by escalation gets its severity only.
		v.Reason = ""
	}
	v.Overdue = a.State != "closed" && a.State != "acknowledged" && s.now().After(a.DueAt)
	return v
}

func (s *Server) alertsList(r *http.Request, c *reqCtx) ([]alertView, store.AlertScope, error) {
	as := c.alertScope()
	f := store.AlertFilter{UserID: c.user.ID}
	switch r.URL.Query().Get("state") {
	case "closed":
		f.Closed = true
	case "all":
	default:
		f.Active = true
	}
	list, err := s.store.ListAlerts(r.Context(), as, f)
	if err != nil {
		return nil, as, err
	}
	out := make([]alertView, len(list))
	for i, a := range list {
		out[i] = s.alertView(c, as, a)
	}
	return out, as, nil
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	list, as, err := s.alertsList(r, c)
	if err != nil {
		return err
	}
	ages, err := s.store.AlertAges(r.Context(), as, s.now())
	if err != nil {
		return err
	}
	state := r.URL.Query().Get("state")
	if state == "" {
		state = "active"
	}
	return s.html(w, c, "alerts.html", "alert.inbox", nil, map[string]any{"Alerts": list, "Ages": ages, "State": state,
		"Buckets": store.AlertAgeBuckets, "Levels": []int{store.LevelSchool, store.LevelDistrict, store.LevelCity}})
}

// coreToAlert and back: the store's view and the state machine's.
func coreToAlert(a store.AlertCore) screening.Alert {
	return screening.Alert{State: screening.State(a.State), Level: screening.Level(a.Level), Severity: screening.Severity(a.Severity),
		RaisedAt: a.RaisedAt, DueAt: a.DueAt}
}

func alertToCore(a screening.Alert, outcome string) store.AlertCore {
	return store.AlertCore{State: string(a.State), Level: int(a.Level), Severity: string(a.Severity), RaisedAt: a.RaisedAt, DueAt: a.DueAt, Outcome: outcome}
}

// act applies one step through the state machine inside the store's
// transaction.
func (s *Server) act(r *http.Request, c *reqCtx, id int64, action screening.Action, note, outcome string) (store.AlertCore, error) {
	if action == screening.ActClose && !slices.Contains(store.AlertOutcomes, outcome) {
		return store.AlertCore{}, &store.FieldError{Field: "outcome", Key: "alert.err_outcome"}
	}
	if action == screening.ActNote && note == "" {
		return store.AlertCore{}, &store.FieldError{Field: "note", Key: "alert.err_note"}
	}
	if len([]rune(note)) > 2000 {
		return store.AlertCore{}, &store.FieldError{Field: "note", Key: "alert.err_note_long"}
	}
	now := s.now()
	return s.store.ActOnAlert(r.Context(), c.actor(r), c.alertScope(), id, string(action), note, func(cur store.AlertCore) (store.AlertCore, error) {
		next, err := screening.Apply(coreToAlert(cur), action, now, outcome, s.policy)
		if err != nil {
			return cur, &codedError{status: http.StatusConflict, code: "alert_step", key: "alert.err_step", field: "action"}
		}
		if action != screening.ActClose {
			outcome = cur.Outcome
		}
		return alertToCore(next, outcome), nil
	})
}

func (s *Server) alertPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	as := c.alertScope()
	a, _, err := s.store.GetAlert(r.Context(), as, id, false)
	if err != nil {
		return err
	}
	if a.State == "open" {
		// Opening it is the "seen" step, recorded once.
		if _, err := s.act(r, c, id, screening.ActSee, "", ""); err != nil {
			var ce *codedError
			if !errors.As(err, &ce) {
				return err
			}
		}
	}
	v := s.alertView(c, as, a)
	a, events, err := s.store.GetAlert(r.Context(), as, id, v.Direct)
	if err != nil {
		return err
	}
	v = s.alertView(c, as, a)
	crumbs := []crumb{{s.cat.T(c.locale, "alert.inbox"), "/alerts"}, {s.cat.T(c.locale, "alert.one", a.ID), ""}}
	return s.html(w, c, "alert.html", "alert.title", crumbs, map[string]any{"A": v, "Events": events, "Outcomes": store.AlertOutcomes,
		"Flash": r.URL.Query().Get("done")})
}

func (s *Server) alertStep(action screening.Action) func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return errBadRequest
		}
		if _, err := s.act(r, c, id, action, r.PostFormValue("note"), r.PostFormValue("outcome")); err != nil {
			return err
		}
		http.Redirect(w, r, "/alerts/"+strconv.FormatInt(id, 10)+"?done="+string(action), http.StatusSeeOther)
		return nil
	}
}

// ---- API --------------------------------------------------------------------------

type alertDetailJSON struct {
	Alert   alertView          `json:"alert"`
	History []store.AlertEvent `json:"history"`
}

func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	list, _, err := s.alertsList(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, 200, listOf[alertView]{Items: list, Total: len(list)})
	return nil
}

func (s *Server) apiAlert(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	as := c.alertScope()
	a, _, err := s.store.GetAlert(r.Context(), as, id, false)
	if err != nil {
		return err
	}
	direct := as.SeesDirect(a.DistrictID, a.SchoolID, a.ClassID)
	a, evs, err := s.store.GetAlert(r.Context(), as, id, direct)
	if err != nil {
		return err
	}
	writeJSON(w, 200, alertDetailJSON{Alert: s.alertView(c, as, a), History: evs})
	return nil
}

type alertStepJSON struct {
	Note    string `json:"note,omitempty"`
	Outcome string `json:"outcome,omitempty"`
}

type alertStateJSON struct {
	State string `json:"state"`
	Level string `json:"level"`
	Due   string `json:"due_at"`
}

func (s *Server) apiAlertStep(action screening.Action) func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in alertStepJSON
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		next, err := s.act(r, c, id, action, in.Note, in.Outcome)
		if err != nil {
			return err
		}
		writeJSON(w, 200, alertStateJSON{State: next.State, Level: screening.Level(next.Level).String(), Due: next.DueAt.UTC().Format("2006-01-02T15:04:05Z")})
		return nil
	}
}

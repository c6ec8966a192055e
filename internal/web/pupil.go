package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"huhang/internal/screening"
	"huhang/internal/store"
)

// The pupils' side of screening: no accounts. A pupil types the one-time
// code from the class sheet, answers one instrument per page (each page
// saves the answers so far, so a pupil can stop and go on with the same
// code), reviews and submits once. The same submission is open to tablet
// apps as POST /api/v1/screening/submissions. Pages carry the code in a
// hidden field (never in a URL, where logs and history would keep it).

// codedError is a refusal with its own status, code and message key.
type codedError struct {
	status int
	code   string
	key    string
	field  string
}

func (e *codedError) Error() string { return e.code }

var (
	errCodeUnknown = &codedError{http.StatusNotFound, "code_unknown", "pupil.err_code_unknown", "code"}
	errCodeUsed    = &codedError{http.StatusConflict, "code_used", "pupil.err_code_used", "code"}
	errNoConsent   = &codedError{http.StatusConflict, "no_consent", "pupil.err_no_consent", "code"}
	errNotOpen     = &codedError{http.StatusConflict, "campaign_not_open", "pupil.err_not_open", "code"}
)

// codeFailuresPerMinute bounds wrong codes per address: codes are 10
// characters from 31, so guessing is hopeless, and this keeps it so.
const codeFailuresPerMinute = 30

// participantFor resolves a typed code to a participant who may answer
// now, counting failures per client address.
func (s *Server) participantFor(r *http.Request, code string) (store.Participant, error) {
	return s.participantBy(r, code, s.store.ParticipantByCode)
}

// participantBy resolves a code with lookup (the pages read drafts; the
// submission API uses the store's in-memory lookup).
func (s *Server) participantBy(r *http.Request, code string, lookup func(context.Context, string) (store.Participant, error)) (store.Participant, error) {
	ip := clientIP(r)
	now := s.now()
	if s.codeLimiter.Exhausted(ip, now) {
		return store.Participant{}, &tooMany{retryAfter: 60}
	}
	p, err := lookup(r.Context(), code)
	if errors.Is(err, store.ErrNotFound) {
		s.codeLimiter.Allow(ip, now)
		return p, errCodeUnknown
	}
	if err != nil {
		return p, err
	}
	switch {
	case p.State == store.PartSubmitted:
		return p, errCodeUsed
	case p.Consent != store.ConsentGiven:
		return p, errNoConsent
	case !p.Campaign.OpenAt(now):
		return p, errNotOpen
	}
	return p, nil
}

// instrumentsOf returns a campaign's instruments in answering order.
func (s *Server) instrumentsOf(c store.Campaign) ([]*screening.Instrument, error) {
	reg := s.registry()
	out := make([]*screening.Instrument, 0, len(c.Instruments))
	for _, code := range c.Instruments {
		in, ok := reg.Get(code)
		if !ok {
			return nil, fmt.Errorf("web: campaign %d uses unknown instrument %q", c.ID, code)
		}
		out = append(out, in)
	}
	return out, nil
}

// pupilPage renders a pupil page (their own plain layout).
func (s *Server) pupilPage(w http.ResponseWriter, c *reqCtx, status int, name string, data map[string]any) error {
	p := &page{ctx: c, cat: s.cat, s: s, Title: s.cat.T(c.locale, "pupil.title"), Data: data}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	return s.tpl.render(w, name, p)
}

func (s *Server) pupilStart(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.pupilPage(w, c, 200, "pupil_code.html", nil)
}

// pupilError shows a refusal on the code page, in words a child reads.
func (s *Server) pupilError(w http.ResponseWriter, c *reqCtx, err error) error {
	var ce *codedError
	var tm *tooMany
	switch {
	case errors.As(err, &ce):
		return s.pupilPage(w, c, ce.status, "pupil_code.html", map[string]any{"Error": s.cat.T(c.locale, ce.key)})
	case errors.As(err, &tm):
		w.Header().Set("Retry-After", strconv.Itoa(tm.retryAfter))
		return s.pupilPage(w, c, http.StatusTooManyRequests, "pupil_code.html", map[string]any{"Error": s.cat.T(c.locale, "pupil.err_too_many")})
	}
	return err
}

// pupilEnter checks a code and shows the first page not yet answered.
func (s *Server) pupilEnter(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	p, err := s.participantFor(r, r.PostFormValue("code"))
	if err != nil {
		return s.pupilError(w, c, err)
	}
	if p.StartedAt.IsZero() {
		// Starting the clock: answering far too fast is a validity flag.
		if err := s.store.SaveDraft(r.Context(), pupilActor(r, c), p, map[string][]int{}); err != nil {
			return err
		}
	}
	ins, err := s.instrumentsOf(p.Campaign)
	if err != nil {
		return err
	}
	return s.pupilForm(w, c, 200, store.NormalizeCode(r.PostFormValue("code")), p, ins, firstUnanswered(ins, p.Draft), nil)
}

func pupilActor(r *http.Request, c *reqCtx) store.Actor {
	return store.Actor{Role: "pupil", IP: clientIP(r), RequestID: c.reqID}
}

// firstUnanswered is the index of the first instrument without a complete
// draft (len(ins): all answered, show the review).
func firstUnanswered(ins []*screening.Instrument, draft map[string][]int) int {
	for i, in := range ins {
		a := draft[in.Code]
		if len(a) != len(in.Items) {
			return i
		}
		for _, v := range a {
			if v == screening.NoAnswer {
				return i
			}
		}
	}
	return len(ins)
}

// pupilItem is one question as the form shows it.
type pupilItem struct {
	N       int
	Name    string
	Text    string
	Options []pupilOption
	Missing bool
}

type pupilOption struct {
	Value   int
	Label   string
	Checked bool
}

func (s *Server) pupilForm(w http.ResponseWriter, c *reqCtx, status int, code string, p store.Participant,
	ins []*screening.Instrument, step int, missing map[int]bool) error {
	data := map[string]any{"Code": code, "Step": step, "Steps": len(ins), "StepNo": step + 1}
	if step >= len(ins) {
		data["Review"] = true
		return s.pupilPage(w, c, status, "pupil_form.html", data)
	}
	in := ins[step]
	answers := p.Draft[in.Code]
	var items []pupilItem
	for i, it := range in.Items {
		pi := pupilItem{N: i + 1, Name: fmt.Sprintf("q%d", i+1), Text: it.Text.In(c.locale), Missing: missing[i+1]}
		for _, o := range in.Options {
			pi.Options = append(pi.Options, pupilOption{Value: o.Value, Label: o.Label.In(c.locale),
				Checked: i < len(answers) && answers[i] == o.Value})
		}
		items = append(items, pi)
	}
	data["Instrument"] = in.Name.In(c.locale)
	data["InstrumentCode"] = in.Code
	data["Instructions"] = in.Instructions.In(c.locale)
	data["Parent"] = in.Respondent == "parent"
	data["Items"] = items
	data["Missing"] = len(missing) > 0
	return s.pupilPage(w, c, status, "pupil_form.html", data)
}

// pupilAnswer saves one page of answers and shows the next page; on the
// review page it submits.
func (s *Server) pupilAnswer(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	code := store.NormalizeCode(r.PostFormValue("code"))
	p, err := s.participantFor(r, code)
	if err != nil {
		return s.pupilError(w, c, err)
	}
	ins, err := s.instrumentsOf(p.Campaign)
	if err != nil {
		return err
	}
	if p.Draft == nil {
		p.Draft = map[string][]int{}
	}
	step, _ := strconv.Atoi(r.PostFormValue("step"))
	if r.PostFormValue("submit") == "1" {
		return s.pupilSubmit(w, r, c, code, p, ins)
	}
	if step < 0 || step >= len(ins) {
		return s.pupilForm(w, c, 200, code, p, ins, firstUnanswered(ins, p.Draft), nil)
	}
	in := ins[step]
	answers := make([]int, len(in.Items))
	missing := map[int]bool{}
	for i := range in.Items {
		answers[i] = screening.NoAnswer
		v, err := strconv.Atoi(r.PostFormValue(fmt.Sprintf("q%d", i+1)))
		if err != nil || !validOption(in, v) {
			missing[i+1] = true
			continue
		}
		answers[i] = v
	}
	p.Draft[in.Code] = answers
	if err := s.store.SaveDraft(r.Context(), pupilActor(r, c), p, p.Draft); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return s.pupilError(w, c, errCodeUsed)
		}
		return err
	}
	if r.PostFormValue("back") == "1" && step > 0 {
		return s.pupilForm(w, c, 200, code, p, ins, step-1, nil)
	}
	if len(missing) > 0 {
		return s.pupilForm(w, c, http.StatusUnprocessableEntity, code, p, ins, step, missing)
	}
	return s.pupilForm(w, c, 200, code, p, ins, firstUnanswered(ins, p.Draft), nil)
}

func validOption(in *screening.Instrument, v int) bool {
	for _, o := range in.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

func (s *Server) pupilSubmit(w http.ResponseWriter, r *http.Request, c *reqCtx, code string, p store.Participant, ins []*screening.Instrument) error {
	if step := firstUnanswered(ins, p.Draft); step < len(ins) {
		return s.pupilForm(w, c, http.StatusUnprocessableEntity, code, p, ins, step, nil)
	}
	answers := make([][]int, len(ins))
	for i, in := range ins {
		answers[i] = p.Draft[in.Code]
	}
	dur := s.now().Sub(p.StartedAt)
	if _, err := s.submit(r, c, p, ins, answers, dur); err != nil {
		switch {
		case errors.Is(err, store.ErrNoConsent):
			return s.pupilError(w, c, errNoConsent)
		case errors.Is(err, store.ErrConflict):
			return s.pupilError(w, c, errCodeUsed)
		}
		return err
	}
	return s.pupilPage(w, c, 200, "pupil_done.html", nil)
}

// submit assesses answers and stores them with their alert, durably,
// before it returns.
func (s *Server) submit(r *http.Request, c *reqCtx, p store.Participant, ins []*screening.Instrument, answers [][]int, dur time.Duration) (store.SubmitResult, error) {
	a, err := screening.Assess(ins, answers, p.Age, dur)
	if err != nil {
		var ae *screening.AnswerError
		if errors.As(err, &ae) {
			return store.SubmitResult{}, &store.FieldError{Field: fmt.Sprintf("answers.%s[%d]", ae.Instrument, ae.Item-1), Key: "pupil.err_answer_" + ae.Reason}
		}
		return store.SubmitResult{}, err
	}
	detail, err := json.Marshal(struct {
		Answers    map[string][]int     `json:"answers"`
		Assessment screening.Assessment `json:"assessment"`
	}{answersByCode(ins, answers), a})
	if err != nil {
		return store.SubmitResult{}, err
	}
	sub := &store.Submission{Participant: p, Detail: detail, Tier: int(a.Tier), Critical: a.Critical, Duration: dur,
		IP: clientIP(r), RequestID: c.reqID}
	for _, f := range a.Flags {
		sub.Flags = append(sub.Flags, string(f))
	}
	for _, rs := range a.Reasons {
		sub.Reasons = append(sub.Reasons, reasonCode(rs))
	}
	if sev, ok := s.policy.AlertFor(a); ok {
		sub.Alert = &store.AlertSpec{Severity: string(sev), Reason: firstReason(a), DueAt: s.policy.DueAt(sev, s.now())}
	}
	return s.store.Submit(r.Context(), sub)
}

func answersByCode(ins []*screening.Instrument, answers [][]int) map[string][]int {
	m := make(map[string][]int, len(ins))
	for i, in := range ins {
		m[in.Code] = answers[i]
	}
	return m
}

// reasonCode is a reason as stored: "critical_item:phq9:9" or
// "tier:gad7:orange". Codes only: never an answer's text.
func reasonCode(r screening.Reason) string {
	if r.Code == screening.ReasonCritical {
		return r.Code + ":" + r.Instrument + ":" + r.Item
	}
	return r.Code + ":" + r.Instrument + ":" + r.Tier.String()
}

func firstReason(a screening.Assessment) string {
	if len(a.Reasons) == 0 {
		return "tier:" + a.Tier.String()
	}
	return reasonCode(a.Reasons[0])
}

// submissionJSON is the body of POST /api/v1/screening/submissions.
type submissionJSON struct {
	Code       string           `json:"code"`
	Answers    map[string][]int `json:"answers"`
	DurationMS int64            `json:"duration_ms,omitempty"`
}

type submissionResponse struct {
	Status string `json:"status"`
}

// maxSubmissionBytes bounds a submission body: six instruments of at most
// a few dozen items fit in a few kilobytes.
const maxSubmissionBytes = 16 << 10

// apiSubmit accepts one pupil's answers by code (no account: the code is
// the credential, good for one submission).
func (s *Server) apiSubmit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxSubmissionBytes)
	var in submissionJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ins, answers, p, err := s.checkSubmission(r, &in)
	if err != nil {
		return err
	}
	dur := time.Duration(in.DurationMS) * time.Millisecond
	if in.DurationMS == 0 && !p.StartedAt.IsZero() {
		dur = s.now().Sub(p.StartedAt)
	}
	if _, err := s.submit(r, c, p, ins, answers, dur); err != nil {
		switch {
		case errors.Is(err, store.ErrNoConsent):
			return errNoConsent
		case errors.Is(err, store.ErrConflict):
			return errCodeUsed
		}
		return err
	}
	writeJSON(w, http.StatusCreated, submissionResponse{Status: "received"})
	return nil
}

// checkSubmission validates a decoded submission against its campaign
// before anything is written: the code, the instruments named, the
// duration.
func (s *Server) checkSubmission(r *http.Request, in *submissionJSON) ([]*screening.Instrument, [][]int, store.Participant, error) {
	var v store.ValidationError
	if store.NormalizeCode(in.Code) == "" {
		v.Add("code", "pupil.err_code_format")
	}
	if len(in.Answers) == 0 {
		v.Add("answers", "pupil.err_answers_missing")
	}
	if in.DurationMS < 0 || in.DurationMS > 24*3600*1000 {
		v.Add("duration_ms", "pupil.err_duration")
	}
	if err := v.Err(); err != nil {
		return nil, nil, store.Participant{}, err
	}
	p, err := s.participantBy(r, in.Code, s.store.ParticipantForSubmit)
	if err != nil {
		return nil, nil, p, err
	}
	ins, err := s.instrumentsOf(p.Campaign)
	if err != nil {
		return nil, nil, p, err
	}
	answers := make([][]int, len(ins))
	for i, x := range ins {
		a, ok := in.Answers[x.Code]
		if !ok {
			v.Add("answers."+x.Code, "pupil.err_answers_missing")
			continue
		}
		answers[i] = a
	}
	for code := range in.Answers {
		if !slices.Contains(p.Campaign.Instruments, code) {
			field := "answers"
			if len(code) <= 20 && store.NormalizeCode(code) == "" && strings.Trim(code, "abcdefghijklmnopqrstuvwxyz0123456789_-") == "" {
				field += "." + code // a plausible instrument code; anything else is not echoed
			}
			v.Add(field, "pupil.err_instrument_not_in_campaign")
		}
	}
	return ins, answers, p, v.Err()
}

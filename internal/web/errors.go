package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"huhang/internal/store"
)

// Errors of the web layer itself; store errors are mapped beside them.
var (
	errNotFound        = errors.New("not found")
	errUnauthenticated = errors.New("unauthenticated")
	errMFARequired     = errors.New("second factor required")
	errCSRF            = errors.New("cross-origin request refused")
	errBadRequest      = errors.New("bad request")
)

// tooMany is a rate-limit refusal with its wait.
type tooMany struct{ retryAfter int }

func (e *tooMany) Error() string { return "too many requests" }

// apiError is the one error shape of the API.
type apiError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details []fieldProblem `json:"details,omitempty"`
	// RequestID lets an operator find the log line; it carries nothing else.
	RequestID string `json:"request_id"`
}

type fieldProblem struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// classify maps any error to a status, a code and a message key: the one
// place that decides what a failure looks like from outside.
func classify(err error) (status int, code, key string) {
	var ve *store.ValidationError
	var fe *store.FieldError
	var tm *tooMany
	var ce *codedError
	switch {
	case errors.As(err, &ce):
		return ce.status, ce.code, ce.key
	case errors.As(err, &ve), errors.As(err, &fe):
		return http.StatusBadRequest, "invalid", "error.invalid"
	case errors.Is(err, errBadRequest), errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest, "invalid", "error.invalid"
	case errors.Is(err, errNotFound), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not_found", "error.not_found"
	case errors.Is(err, errUnauthenticated):
		return http.StatusUnauthorized, "unauthenticated", "error.unauthenticated"
	case errors.Is(err, errMFARequired):
		return http.StatusForbidden, "mfa_required", "error.mfa_required"
	case errors.Is(err, errCSRF):
		return http.StatusForbidden, "forbidden", "error.csrf"
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, "conflict", "error.conflict"
	case errors.As(err, &tm):
		return http.StatusTooManyRequests, "rate_limited", "error.rate_limited"
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, "too_large", "error.too_large"
	}
	return http.StatusInternalServerError, "internal", "error.internal"
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.failCtx(w, r, &reqCtx{reqID: requestID(r), locale: s.localeOf(r), path: r.URL.Path}, err)
}

func (s *Server) localeOf(r *http.Request) string {
	ck, _ := r.Cookie(cookieLang)
	v := ""
	if ck != nil {
		v = ck.Value
	}
	return matchLocale(v, r)
}

// failCtx answers an error in the caller's language: JSON for the API, a
// page otherwise. Internal details are logged once and never shown.
func (s *Server) failCtx(w http.ResponseWriter, r *http.Request, c *reqCtx, err error) {
	status, code, key := classify(err)
	if status == http.StatusInternalServerError {
		s.log.Error("internal error", "request_id", c.reqID, "route", r.Pattern, "err", err)
	}
	var tm *tooMany
	if errors.As(err, &tm) {
		w.Header().Set("Retry-After", strconv.Itoa(tm.retryAfter))
	}
	if status == http.StatusUnauthorized && !isAPI(r.URL.Path) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	msg := s.cat.T(c.locale, key)
	var details []fieldProblem
	var ve *store.ValidationError
	var fe *store.FieldError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			details = append(details, fieldProblem{Field: f.Field, Code: f.Key, Message: s.cat.T(c.locale, f.Key)})
		}
	} else if errors.As(err, &fe) {
		details = append(details, fieldProblem{Field: fe.Field, Code: fe.Key, Message: s.cat.T(c.locale, fe.Key)})
	}
	if isAPI(r.URL.Path) {
		writeJSON(w, status, apiError{Code: code, Message: msg, Details: details, RequestID: c.reqID})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	s.tpl.render(w, "error.html", &page{ctx: c, cat: s.cat, s: s, Title: s.cat.T(c.locale, "error.title"),
		Data: map[string]any{"Status": status, "Message": msg, "Details": details, "RequestID": c.reqID}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// refusedFields returns the refused fields of a store validation error (one
// or many); ok is false for any other error.
func refusedFields(err error) ([]store.FieldError, bool) {
	var ve *store.ValidationError
	var fe *store.FieldError
	switch {
	case errors.As(err, &ve):
		return ve.Fields, true
	case errors.As(err, &fe):
		return []store.FieldError{*fe}, true
	}
	return nil, false
}

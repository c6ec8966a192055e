package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/i18n"
	"huhang/internal/store"
)

// Request limits: bodies beyond these are refused before any parsing.
const (
	maxBodyBytes = 1 << 20 // JSON and forms
)

type ctxKey int

const reqIDKey ctxKey = 1

// reqCtx is what a handler knows about the caller.
type reqCtx struct {
	reqID    string
	path     string // the request path, for "back" links (never the query: it may hold names)
	locale   string
	user     *store.User
	sub      *authz.Subject
	session  []byte // hash of the session token, nil for API tokens
	mfaDone  bool   // this session has passed its second factor
	viaToken bool
}

// actor turns the caller into an audit actor; role names the roles held.
func (c *reqCtx) actor(r *http.Request) store.Actor {
	a := store.Actor{IP: clientIP(r), RequestID: c.reqID}
	if c.user != nil {
		a.UserID = c.user.ID
		var roles []string
		for _, x := range c.sub.Roles() {
			roles = append(roles, string(x))
		}
		a.Role = strings.Join(roles, "+")
	}
	return a
}

// statusWriter records the status for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// withRequest gives every request an id, the security headers, a panic
// guard, a body limit, a log line (method, route, status, duration — never
// query strings, which could hold names) and metrics.
func (s *Server) withRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		r = r.WithContext(context.WithValue(r.Context(), reqIDKey, id))
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		limit := int64(maxBodyBytes)
		if r.Method == http.MethodPost && (r.URL.Path == "/imports" || r.URL.Path == "/api/v1/imports") {
			limit = maxUploadBytes + 1<<20 // the file plus the form around it
		}
		if r.Method == http.MethodPost && isCertificateUpload(r.URL.Path) {
			limit = maxEvidenceBytes + 1<<20 // a scanned certificate plus its form
		}
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/home-school/activities/") && strings.HasSuffix(r.URL.Path, "/evidence") {
			limit = 8<<20 + 1<<20 // an activity's photo or file plus its form
		}
		if r.Method == http.MethodPost && isAttendanceUpload(r.URL.Path) {
			limit = maxSheetBytes + 1<<20 // an attendance sheet plus its form
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				s.fail(sw, r, errors.New("panic"))
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.metrics.observe(route, sw.status, d)
			s.log.Info("request", "request_id", id, "method", r.Method, "route", route, "status", sw.status,
				"ms", float64(d.Microseconds())/1000)
		}()
		next.ServeHTTP(sw, r)
	})
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clientIP is the peer address; Huhang does not trust forwarding headers
// unless a deployment puts it behind its own proxy (documented).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Session cookie names. The __Host- prefix pins the cookie to this host,
// path / and HTTPS; plain-HTTP deployments (InsecureCookies) cannot use it.
const (
	cookieSecure   = "__Host-huhang_session"
	cookieInsecure = "huhang_session"
	cookieLang     = "huhang_lang"
)

func (s *Server) cookieName() string {
	if s.cfg.InsecureCookies {
		return cookieInsecure
	}
	return cookieSecure
}

// wrap resolves the caller, enforces the route's access and maps errors.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &reqCtx{reqID: requestID(r), path: r.URL.Path}
		langCookie := ""
		if ck, err := r.Cookie(cookieLang); err == nil {
			langCookie = ck.Value
		}
		c.locale = i18n.Match(langCookie, r)
		if err := s.authenticate(w, r, c); err != nil {
			s.fail(w, r, err)
			return
		}
		if c.user != nil && langCookie == "" {
			c.locale = i18n.Match(c.user.Locale, r)
		}
		if rt.access.kind != public {
			if c.user == nil {
				s.fail(w, r, errUnauthenticated)
				return
			}
			if c.session != nil && s.mfaPending(c) && !strings.HasPrefix(rt.pattern, "/login/mfa") && rt.pattern != "/logout" &&
				!strings.HasPrefix(rt.pattern, "/account/mfa") {
				if rt.api {
					s.fail(w, r, errMFARequired)
				} else {
					http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
				}
				return
			}
		}
		if !rt.access.allows(c.sub) {
			s.failCtx(w, r, c, errNotFound)
			return
		}
		if err := rt.h(w, r, c); err != nil {
			s.failCtx(w, r, c, err)
		}
	})
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(reqIDKey).(string)
	return id
}

// mfaPending reports whether this session must still pass a second factor:
// always when the account has TOTP on, and when the operator requires it
// for roles that see sensitive data, until the account enrols.
func (s *Server) mfaPending(c *reqCtx) bool {
	if c.viaToken || c.user == nil || c.mfaDone {
		return false
	}
	if c.user.TOTPEnabled {
		return true
	}
	return s.mfaRequiredFor(c.sub)
}

func (s *Server) mfaRequiredFor(sub *authz.Subject) bool {
	if !s.cfg.RequireMFA || sub == nil {
		return false
	}
	for _, r := range sub.Roles() {
		if authz.SeesSensitive(r) {
			return true
		}
	}
	return false
}

// authenticate reads a bearer token or the session cookie. A missing or
// dead credential leaves the caller anonymous; it is not an error.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		uid, err := s.store.UserIDByToken(ctx, auth.HashToken(strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))))
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errUnauthenticated
			}
			return err
		}
		c.viaToken = true
		return s.loadUser(ctx, c, uid)
	}
	ck, err := r.Cookie(s.cookieName())
	if err != nil || ck.Value == "" {
		return nil
	}
	hash := auth.HashToken(ck.Value)
	sess, err := s.store.SessionByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		s.clearSessionCookie(w)
		return nil
	} else if err != nil {
		return err
	}
	now := s.now()
	if now.Sub(sess.LastSeenAt) > s.cfg.IdleTimeout || now.Sub(sess.CreatedAt) > s.cfg.AbsoluteTimeout {
		s.store.DeleteSession(ctx, hash)
		s.clearSessionCookie(w)
		return nil
	}
	// Touch at most once a minute: the idle clock needs no finer grain and
	// a write per request would make every page view contend for the writer.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.store.TouchSession(ctx, hash); err != nil {
			return err
		}
	}
	c.session = hash
	c.mfaDone = sess.MFADone
	return s.loadUser(ctx, c, sess.UserID)
}

func (s *Server) loadUser(ctx context.Context, c *reqCtx, uid int64) error {
	u, err := s.store.UserByID(ctx, uid)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	if u.Disabled {
		return nil
	}
	c.user = &u
	c.sub = &authz.Subject{UserID: u.ID, Username: u.Username, Assignments: u.Assignments}
	return nil
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: token, Path: "/", HttpOnly: true,
		Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: int(s.cfg.AbsoluteTimeout.Seconds())})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// isCertificateUpload reports whether path takes a certificate with its
// evidence file.
// isAttendanceUpload reports the attendance-sheet upload of a session.
func isAttendanceUpload(path string) bool {
	return strings.HasPrefix(path, "/training/sessions/") && strings.HasSuffix(path, "/attendance/upload")
}

func isCertificateUpload(path string) bool {
	return path == "/me/training/certificates" || path == "/api/v1/certificates" ||
		(strings.HasPrefix(path, "/staff/") && strings.HasSuffix(path, "/certificates"))
}

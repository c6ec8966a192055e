// Package web serves Huhang's pages and its JSON API (/api/v1) from one
// route table. Each route declares the access it needs beside it; a request
// that does not meet it answers 404 (existence is not revealed), and
// handlers ask the store for rows within the caller's scope only.
package web

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/i18n"
	"huhang/internal/importer"
	"huhang/internal/screening"
	"huhang/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config tunes the server's security behaviour.
type Config struct {
	IdleTimeout     time.Duration // session idle timeout (default 15 min)
	AbsoluteTimeout time.Duration // session absolute lifetime (default 8 h)
	RequireMFA      bool          // roles that see named children's sensitive data must use TOTP
	InsecureCookies bool          // drop the Secure flag (plain-HTTP deployments only; never in production)
	MaxFailures     int           // failed logins before lockout (default 5)
	LockFor         time.Duration // lockout length (default 15 min)
	LoginPerMinute  int           // login attempts per client IP per minute (default 10)
	SyntheticData   bool          // label pages as showing synthetic demo data
	Version         string
	// AlertPolicy sets acknowledgement deadlines (default screening.DefaultPolicy).
	AlertPolicy *screening.Policy
}

// Server holds what handlers need.
type Server struct {
	cfg     Config
	store   *store.Store
	cat     *i18n.Catalog
	log     *slog.Logger
	tpl     *templates
	lockout *auth.Lockout
	limiter *auth.RateLimiter
	metrics *metrics
	routes  []route
	mux     *http.ServeMux
	jobs    jobs
	now     func() time.Time

	instruments registryHolder
	policy      screening.Policy
	codeLimiter *auth.RateLimiter
}

// New builds the server and its route table.
func New(cfg Config, st *store.Store, log *slog.Logger) (*Server, error) {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 15 * time.Minute
	}
	if cfg.AbsoluteTimeout <= 0 {
		cfg.AbsoluteTimeout = 8 * time.Hour
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.LockFor <= 0 {
		cfg.LockFor = 15 * time.Minute
	}
	if cfg.LoginPerMinute <= 0 {
		cfg.LoginPerMinute = 10
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	cat.AddMessages(importer.Messages)
	s := &Server{
		cfg: cfg, store: st, cat: cat, log: log,
		lockout: auth.NewLockout(cfg.MaxFailures, 15*time.Minute, cfg.LockFor),
		limiter: auth.NewRateLimiter(cfg.LoginPerMinute),
		metrics: newMetrics(),
		now:     time.Now,
		policy:  screening.DefaultPolicy(),

		codeLimiter: auth.NewRateLimiter(codeFailuresPerMinute),
	}
	if cfg.AlertPolicy != nil {
		if err := cfg.AlertPolicy.Validate(); err != nil {
			return nil, err
		}
		s.policy = *cfg.AlertPolicy
	}
	if err := s.LoadInstruments(context.Background()); err != nil {
		return nil, err
	}
	if s.tpl, err = loadTemplates(cat); err != nil {
		return nil, err
	}
	s.routes = s.routeTable()
	s.mux = http.NewServeMux()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.pattern, s.wrap(rt))
	}
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
	// Unknown paths answer through wrap too, so a signed-in user's 404 is
	// in their language and layout.
	s.mux.Handle("/", s.wrap(route{pattern: "/", access: access{kind: public},
		h: func(http.ResponseWriter, *http.Request, *reqCtx) error { return errNotFound }}))
	return s, nil
}

// Handler returns the whole HTTP handler with its middleware.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errCSRF)
	}))
	return s.withRequest(cop.Handler(s.mux))
}

// Routes exposes the route table (tests and the OpenAPI document).
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, 0, len(s.routes))
	for _, r := range s.routes {
		out = append(out, RouteInfo{Method: r.method, Pattern: r.pattern, Access: r.access.String(), API: r.api})
	}
	return out
}

// RouteInfo describes one route for tests.
type RouteInfo struct {
	Method, Pattern, Access string
	API                     bool
}

// SetClock replaces the server's clock (tests).
func (s *Server) SetClock(now func() time.Time) { s.now = now }

// StartJanitor removes expired sessions every few minutes until ctx ends.
func (s *Server) StartJanitor(ctx context.Context) {
	go func() {
		t := time.NewTicker(5 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				now := s.now()
				if n, err := s.store.DeleteExpiredSessions(ctx, now.Add(-s.cfg.IdleTimeout), now.Add(-s.cfg.AbsoluteTimeout)); err != nil {
					s.log.Warn("session cleanup failed", "err", err)
				} else if n > 0 {
					s.log.Info("expired sessions removed", "count", n)
				}
			}
		}
	}()
}

// accessKind is how a route is guarded.
type accessKind int

const (
	public   accessKind = iota // anyone, signed in or not
	signedIn                   // any signed-in account (own profile)
	data                       // a data-class need from the access table
	roleOnly                   // one role (administration, audit)
)

// access is a route's declared requirement.
type access struct {
	kind accessKind
	need authz.Need
	role authz.Role
	// alt are further needs, any of which also admits (a data route that
	// two roles reach through different classes).
	alt []authz.Need
}

func (a access) String() string {
	switch a.kind {
	case public:
		return "public"
	case signedIn:
		return "signed-in"
	case roleOnly:
		return "role:" + string(a.role)
	}
	out := "D" + string(rune('0'+a.need.Class)) + ":" + levelName(a.need.Level)
	for _, n := range a.alt {
		out += "|D" + string(rune('0'+n.Class)) + ":" + levelName(n.Level)
	}
	return out
}

func levelName(l authz.Level) string {
	return [...]string{"none", "addressed", "own", "aggregate", "limited", "read", "write"}[l]
}

// allows reports whether subject meets the route's requirement.
func (a access) allows(sub *authz.Subject) bool {
	switch a.kind {
	case public:
		return true
	case signedIn:
		return sub != nil
	case roleOnly:
		return sub != nil && sub.Has(a.role)
	case data:
		if sub == nil {
			return false
		}
		if sub.Can(a.need) {
			return true
		}
		for _, n := range a.alt {
			if sub.Can(n) {
				return true
			}
		}
	}
	return false
}

func need(c authz.DataClass, l authz.Level) access {
	return access{kind: data, need: authz.Need{Class: c, Level: l}}
}

func role(r authz.Role) access { return access{kind: roleOnly, role: r} }

// anyNeed admits a caller meeting any of the needs.
func anyNeed(first authz.Need, more ...authz.Need) access {
	return access{kind: data, need: first, alt: more}
}

// route is one entry of the route table.
type route struct {
	method  string
	pattern string
	access  access
	api     bool
	h       func(w http.ResponseWriter, r *http.Request, c *reqCtx) error
	doc     *apiDoc // API routes: what the OpenAPI document says
}

func isAPI(path string) bool { return strings.HasPrefix(path, "/api/") }

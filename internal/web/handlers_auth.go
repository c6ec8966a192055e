package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"huhang/internal/audit"
	"huhang/internal/auth"
	"huhang/internal/i18n"
	"huhang/internal/store"
)

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if c.user != nil && !s.mfaPending(c) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.html(w, c, "login.html", "login.title", nil, map[string]any{"Error": ""})
}

// loginSubmit checks a password. Unknown user, wrong password and locked
// account all get the same answer after the same work (a dummy argon2id
// verification for unknown users), so the form reveals nothing about which
// accounts exist.
func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	now := s.now()
	ip := clientIP(r)
	if ok, retry := s.limiter.Allow(ip, now); !ok {
		return &tooMany{retryAfter: int(retry.Seconds() + 0.999)}
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	username := store.NormalizeUsername(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	ctx := r.Context()
	key := username
	_, locked := s.lockout.Locked(key, now)
	u, err := s.store.UserByUsername(ctx, username)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	good := false
	if found && !u.Disabled {
		good, _ = auth.VerifyPassword(password, u.PasswordHash)
	} else {
		auth.DummyVerify(password)
	}
	a := store.Actor{IP: ip, RequestID: c.reqID}
	if !good || locked {
		s.lockout.Fail(key, now)
		var uid int64
		if found {
			uid = u.ID
		}
		// Failed logins are audited with the account id when it exists;
		// the typed name is never stored (it may be a mistyped password).
		if err := s.store.Audit(ctx, a, audit.ActLoginFailed, "user", uid, "denied", ""); err != nil {
			return err
		}
		w.WriteHeader(http.StatusUnauthorized)
		return s.html(w, c, "login.html", "login.title", nil, map[string]any{"Error": s.cat.T(c.locale, "login.failed"), "Username": username})
	}
	s.lockout.Succeed(key)
	token, hash := auth.NewToken()
	c.user = &u
	if err := s.store.CreateSession(ctx, hash, u.ID, false); err != nil {
		return err
	}
	a.UserID = u.ID
	if err := s.store.RecordLogin(ctx, a, u.ID); err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	c.session = hash
	c.sub = subjectOf(&u)
	if s.mfaPending(c) {
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if c.session != nil {
		if err := s.store.DeleteSession(r.Context(), c.session); err != nil {
			return err
		}
		s.store.Audit(r.Context(), c.actor(r), audit.ActLogout, "user", c.user.ID, "ok", "")
	}
	s.clearSessionCookie(w)
	w.Header().Set("Clear-Site-Data", `"cookies", "storage"`)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// setLang stores the language choice in a cookie (and on the account).
func (s *Server) setLang(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	lang := i18n.Match(r.PostFormValue("lang"), nil)
	http.SetCookie(w, &http.Cookie{Name: cookieLang, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode})
	if c.user != nil {
		if err := s.store.SetLocale(r.Context(), c.user.ID, lang); err != nil {
			return err
		}
	}
	http.Redirect(w, r, localPath(r.PostFormValue("back")), http.StatusSeeOther)
	return nil
}

func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if !c.user.TOTPEnabled {
		// Required but not enrolled yet: enrol first.
		http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
		return nil
	}
	return s.html(w, c, "mfa.html", "mfa.title", nil, map[string]any{})
}

// mfaSubmit checks a TOTP code (or a recovery code) for this session.
func (s *Server) mfaSubmit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	now := s.now()
	if ok, retry := s.limiter.Allow("mfa:"+clientIP(r), now); !ok {
		return &tooMany{retryAfter: int(retry.Seconds() + 0.999)}
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	ctx := r.Context()
	code := r.PostFormValue("code")
	ok, err := s.checkSecondFactor(ctx, c.user, code, now)
	if err != nil {
		return err
	}
	if !ok {
		s.lockout.Fail(c.user.Username, now)
		s.store.Audit(ctx, c.actor(r), audit.ActLoginFailed, "user", c.user.ID, "denied", "factor=totp")
		w.WriteHeader(http.StatusUnauthorized)
		return s.html(w, c, "mfa.html", "mfa.title", nil, map[string]any{"Error": s.cat.T(c.locale, "mfa.failed")})
	}
	if err := s.store.CompleteSessionMFA(ctx, c.session); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// checkSecondFactor accepts a current TOTP code once, or an unused
// recovery code.
func (s *Server) checkSecondFactor(ctx context.Context, u *store.User, code string, now time.Time) (bool, error) {
	if !u.TOTPEnabled {
		return false, nil
	}
	secret, err := s.store.Keyring().Open(u.TOTPSecret, totpAAD(u.ID))
	if err != nil {
		return false, err
	}
	if step, ok := auth.VerifyTOTP(secret, code, now, u.TOTPLastStep); ok {
		return s.store.UseTOTPStep(ctx, u.ID, step)
	}
	if i := auth.MatchRecoveryCode(code, u.RecoveryCodes); i >= 0 {
		return s.store.UseRecoveryCode(ctx, u.ID, u.RecoveryCodes[i])
	}
	return false, nil
}

func totpAAD(userID int64) string { return "users.totp_secret|" + strconv.FormatInt(userID, 10) }

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	tokens, err := s.store.ListTokens(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	return s.html(w, c, "account.html", "account.title", nil, map[string]any{
		"Tokens": tokens, "Assignments": s.describeAssignments(r.Context(), c.user.Assignments, c.locale),
		"Message": r.URL.Query().Get("done"),
	})
}

func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	ok, _ := auth.VerifyPassword(r.PostFormValue("current"), c.user.PasswordHash)
	if !ok {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "current", Key: "err.current_password"}}}
	}
	next := r.PostFormValue("new")
	if err := auth.CheckPasswordPolicy(next, c.user.Username); err != nil {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "new", Key: passwordKey(err)}}}
	}
	hash, err := auth.HashPassword(next, auth.DefaultParams)
	if err != nil {
		return err
	}
	// Changing the password ends every session, this one included.
	if err := s.store.SetPassword(r.Context(), c.actor(r), c.user.ID, hash); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func passwordKey(err error) string {
	switch {
	case errors.Is(err, auth.ErrPasswordTooShort):
		return "err.password_short"
	case errors.Is(err, auth.ErrPasswordTooLong):
		return "err.password_long"
	case errors.Is(err, auth.ErrPasswordHasUsername):
		return "err.password_username"
	}
	return "err.password_common"
}

// mfaSetupPage shows a fresh secret to enrol; the secret travels sealed in
// a hidden field, so nothing is stored until the user proves a code.
func (s *Server) mfaSetupPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	secret := auth.NewTOTPSecret()
	sealed, err := s.store.Keyring().Seal(secret, totpAAD(c.user.ID))
	if err != nil {
		return err
	}
	return s.html(w, c, "mfa_setup.html", "mfa.setup_title", nil, map[string]any{
		"Secret": auth.EncodeSecret(secret), "URI": auth.TOTPURI("Huhang", c.user.Username, secret),
		"Sealed": encodeB64(sealed), "Enabled": c.user.TOTPEnabled,
	})
}

func (s *Server) mfaSetupSubmit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	sealed, err := decodeB64(r.PostFormValue("sealed"))
	if err != nil {
		return errBadRequest
	}
	secret, err := s.store.Keyring().Open(sealed, totpAAD(c.user.ID))
	if err != nil {
		return errBadRequest
	}
	step, ok := auth.VerifyTOTP(secret, r.PostFormValue("code"), s.now(), 0)
	if !ok {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "code", Key: "mfa.failed"}}}
	}
	plain, hashed := auth.NewRecoveryCodes(10)
	if err := s.store.EnableTOTP(r.Context(), c.actor(r), c.user.ID, sealed, step, hashed); err != nil {
		return err
	}
	if c.session != nil {
		if err := s.store.CompleteSessionMFA(r.Context(), c.session); err != nil {
			return err
		}
	}
	return s.html(w, c, "mfa_done.html", "mfa.setup_title", nil, map[string]any{"Codes": plain})
}

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	days, _ := strconv.Atoi(r.PostFormValue("days"))
	if days <= 0 || days > 365 {
		days = 90
	}
	plain, hash := auth.NewToken()
	if _, err := s.store.CreateToken(r.Context(), c.actor(r), c.user.ID, r.PostFormValue("name"), hash, s.now().AddDate(0, 0, days)); err != nil {
		return err
	}
	// The token is shown once, now; only its hash is kept.
	return s.html(w, c, "token_done.html", "account.token_created", nil, map[string]any{"Token": plain})
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.RevokeToken(r.Context(), c.actor(r), c.user.ID, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

// localPath returns p if it is a path on this site, else "/". Browsers
// read "\\" as "/" and drop tabs and newlines, so "/\\evil" or "/\t/evil"
// would leave the site; only plain path characters pass.
func localPath(p string) string {
	if len(p) == 0 || p[0] != '/' || len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
		return "/"
	}
	for _, r := range p {
		if r < 0x21 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	return p
}

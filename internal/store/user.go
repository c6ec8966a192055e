package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"huhang/internal/audit"
	"huhang/internal/authz"
)

// User is an account. PasswordHash and TOTPSecret never leave the server.
type User struct {
	ID            int64              `json:"id"`
	Username      string             `json:"username"`
	DisplayName   string             `json:"display_name"`
	Locale        string             `json:"locale"`
	Disabled      bool               `json:"disabled"`
	TOTPEnabled   bool               `json:"totp_enabled"`
	CreatedAt     time.Time          `json:"created_at"`
	LastLoginAt   time.Time          `json:"last_login_at"`
	Assignments   []authz.Assignment `json:"assignments"`
	PasswordHash  string             `json:"-"`
	TOTPSecret    []byte             `json:"-"` // sealed
	TOTPLastStep  int64              `json:"-"`
	RecoveryCodes []string           `json:"-"` // hashed
}

const userCols = "id, username, display_name, locale, disabled, totp_enabled, created_at, last_login_at, password_hash, totp_secret, totp_last_step, recovery_codes"

func scanUser(r interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, last int64
	var codes string
	err := r.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Locale, &u.Disabled, &u.TOTPEnabled, &created, &last,
		&u.PasswordHash, &u.TOTPSecret, &u.TOTPLastStep, &codes)
	u.CreatedAt, u.LastLoginAt = fromMS(created), fromMS(last)
	if codes != "" {
		u.RecoveryCodes = strings.Split(codes, ",")
	}
	return u, err
}

// UserByUsername finds an account by its (case-insensitive) name.
func (s *Store) UserByUsername(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.readRow(ctx, s.q("SELECT "+userCols+" FROM users WHERE username = ?"), NormalizeUsername(username)))
	if err != nil {
		return u, mapErr(err)
	}
	u.Assignments, err = s.Assignments(ctx, u.ID)
	return u, err
}

// UserByID finds an account by id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.readRow(ctx, s.q("SELECT "+userCols+" FROM users WHERE id = ?"), id))
	if err != nil {
		return u, mapErr(err)
	}
	u.Assignments, err = s.Assignments(ctx, u.ID)
	return u, err
}

// NormalizeUsername lower-cases and trims a user name.
func NormalizeUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

// ValidUsername allows 3–40 lower-case letters, digits, dot, dash, underscore.
func ValidUsername(u string) bool {
	if len(u) < 3 || len(u) > 40 {
		return false
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ListUsers returns accounts ordered by name (administration; no child data).
func (s *Store) ListUsers(ctx context.Context, query string, offset, limit int) ([]User, int, error) {
	cond, args := "1=1", []any{}
	if q := strings.TrimSpace(query); q != "" {
		cond, args = "(username LIKE ? OR display_name LIKE ?)", []any{likeArg(q), likeArg(q)}
	}
	var total int
	if err := s.readRow(ctx, s.q("SELECT COUNT(*) FROM users WHERE "+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count users: %w", err)
	}
	limit, offset = page(limit, offset)
	rows, err := s.readRows(ctx, s.q("SELECT "+userCols+" FROM users WHERE "+cond+" ORDER BY username LIMIT ? OFFSET ?"), append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list users: %w", err)
	}
	var out []User
	var ids []string
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, u)
		ids = append(ids, strconv.FormatInt(u.ID, 10))
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, total, err
	}
	// One query for the page's assignments, not one per user.
	arows, err := s.read.QueryContext(ctx, `SELECT user_id, id, role, COALESCE(district_id, 0), COALESCE(school_id, 0),
		COALESCE(class_id, 0), COALESCE(agency_id, 0) FROM assignments WHERE user_id IN (`+strings.Join(ids, ",")+`) ORDER BY id`)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list assignments: %w", err)
	}
	defer arows.Close()
	byUser := map[int64][]authz.Assignment{}
	for arows.Next() {
		var uid int64
		var x authz.Assignment
		if err := arows.Scan(&uid, &x.ID, &x.Role, &x.DistrictID, &x.SchoolID, &x.ClassID, &x.AgencyID); err != nil {
			return nil, 0, err
		}
		byUser[uid] = append(byUser[uid], x)
	}
	for i := range out {
		out[i].Assignments = byUser[out[i].ID]
		if out[i].Assignments == nil {
			out[i].Assignments = []authz.Assignment{}
		}
	}
	return out, total, arows.Err()
}

// CountUsers returns how many accounts exist (first-start bootstrap).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.readRow(ctx, "SELECT COUNT(*) FROM users").Scan(&n)
	return n, err
}

// NewUser is an account to create; PasswordHash is already hashed.
type NewUser struct {
	Username     string
	DisplayName  string
	PasswordHash string
	Locale       string
	Assignments  []authz.Assignment
}

// CreateUser adds an account with its assignments.
func (s *Store) CreateUser(ctx context.Context, a Actor, in NewUser) (int64, error) {
	in.Username = NormalizeUsername(in.Username)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	var v ValidationError
	if !ValidUsername(in.Username) {
		v.Add("username", "err.username")
	}
	if in.DisplayName == "" || len([]rune(in.DisplayName)) > 50 {
		v.Add("display_name", "err.name_length")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO users (username, display_name, password_hash, locale, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`), in.Username, in.DisplayName, in.PasswordHash, in.Locale, msNow(s)).Scan(&id)
		if errors.Is(mapErr(err), ErrConflict) {
			return &ValidationError{Fields: []FieldError{{"username", "err.username_taken"}}}
		} else if err != nil {
			return mapErr(err)
		}
		if err := s.appendAudit(ctx, tx, a.entry(audit.ActUserCreated, "user", id, 0, 0)); err != nil {
			return err
		}
		for _, asg := range in.Assignments {
			if err := s.addAssignment(ctx, tx, a, id, asg); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// Assignments returns a user's role assignments.
func (s *Store) Assignments(ctx context.Context, userID int64) ([]authz.Assignment, error) {
	rows, err := s.readRows(ctx, s.q(`SELECT id, role, COALESCE(district_id, 0), COALESCE(school_id, 0),
		COALESCE(class_id, 0), COALESCE(agency_id, 0) FROM assignments WHERE user_id = ? ORDER BY id`), userID)
	if err != nil {
		return nil, fmt.Errorf("store: assignments of %d: %w", userID, err)
	}
	defer rows.Close()
	out := []authz.Assignment{}
	for rows.Next() {
		var x authz.Assignment
		if err := rows.Scan(&x.ID, &x.Role, &x.DistrictID, &x.SchoolID, &x.ClassID, &x.AgencyID); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// AddAssignment grants a role at a node.
func (s *Store) AddAssignment(ctx context.Context, a Actor, userID int64, asg authz.Assignment) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.addAssignment(ctx, tx, a, userID, asg) })
}

// addAssignment checks that the node matches the role's binding and fills
// the parent nodes (a class assignment also names its school and district)
// so scope checks never need a join.
func (s *Store) addAssignment(ctx context.Context, tx *sql.Tx, a Actor, userID int64, asg authz.Assignment) error {
	bad := func(field, key string) error { return &ValidationError{Fields: []FieldError{{field, key}}} }
	if !asg.Role.Valid() {
		return bad("role", "err.role")
	}
	var n authz.Assignment
	n.Role = asg.Role
	switch authz.BindingOf(asg.Role) {
	case authz.BindSystem, authz.BindCity:
	case authz.BindDistrict:
		if err := tx.QueryRowContext(ctx, s.q("SELECT id FROM districts WHERE id = ?"), asg.DistrictID).Scan(&n.DistrictID); err != nil {
			return bad("district_id", "err.required")
		}
	case authz.BindSchool:
		if err := tx.QueryRowContext(ctx, s.q("SELECT id, district_id FROM schools WHERE id = ?"), asg.SchoolID).Scan(&n.SchoolID, &n.DistrictID); err != nil {
			return bad("school_id", "err.required")
		}
	case authz.BindClass:
		if err := tx.QueryRowContext(ctx, s.q("SELECT id, school_id, district_id FROM classes WHERE id = ?"), asg.ClassID).Scan(&n.ClassID, &n.SchoolID, &n.DistrictID); err != nil {
			return bad("class_id", "err.required")
		}
	case authz.BindAgency:
		if err := tx.QueryRowContext(ctx, s.q("SELECT id FROM agencies WHERE id = ?"), asg.AgencyID).Scan(&n.AgencyID); err != nil {
			return bad("agency_id", "err.required")
		}
	}
	// Separation of duties: the system administrator and the auditor are
	// never the same account, and neither holds a role that sees children.
	cur, err := s.assignmentsTx(ctx, tx, userID)
	if err != nil {
		return err
	}
	for _, c := range cur {
		if c.Role == n.Role && c.DistrictID == n.DistrictID && c.SchoolID == n.SchoolID && c.ClassID == n.ClassID && c.AgencyID == n.AgencyID {
			return nil
		}
		admin := func(r authz.Role) bool { return r == authz.SysAdmin || r == authz.Auditor }
		if (admin(c.Role) || admin(n.Role)) && c.Role != n.Role {
			return bad("role", "err.separation_of_duties")
		}
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.q(`INSERT INTO assignments (user_id, role, district_id, school_id, class_id, agency_id)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), userID, string(n.Role), nullID(n.DistrictID), nullID(n.SchoolID),
		nullID(n.ClassID), nullID(n.AgencyID)).Scan(&id)
	if err != nil {
		return mapErr(err)
	}
	e := a.entry(audit.ActAssignGranted, "user", userID, n.SchoolID, n.DistrictID)
	e.Detail = "role=" + string(n.Role) + " assignment=" + strconv.FormatInt(id, 10)
	return s.appendAudit(ctx, tx, e)
}

func (s *Store) assignmentsTx(ctx context.Context, tx *sql.Tx, userID int64) ([]authz.Assignment, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT role, COALESCE(district_id, 0), COALESCE(school_id, 0), COALESCE(class_id, 0),
		COALESCE(agency_id, 0) FROM assignments WHERE user_id = ?`), userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []authz.Assignment
	for rows.Next() {
		var x authz.Assignment
		if err := rows.Scan(&x.Role, &x.DistrictID, &x.SchoolID, &x.ClassID, &x.AgencyID); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// RemoveAssignment revokes one assignment and ends the user's sessions, so
// the narrower access applies from the next request.
func (s *Store) RemoveAssignment(ctx context.Context, a Actor, userID, assignmentID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.execOne(ctx, tx, s.q("DELETE FROM assignments WHERE id = ? AND user_id = ?"), assignmentID, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM sessions WHERE user_id = ?"), userID); err != nil {
			return err
		}
		e := a.entry(audit.ActAssignRevoked, "user", userID, 0, 0)
		e.Detail = "assignment=" + strconv.FormatInt(assignmentID, 10)
		return s.appendAudit(ctx, tx, e)
	})
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// SetPassword stores a new password hash and ends every session of the user.
func (s *Store) SetPassword(ctx context.Context, a Actor, userID int64, hash string) error {
	return s.userChange(ctx, a, userID, audit.ActPasswordSet, "UPDATE users SET password_hash = ? WHERE id = ?", hash, userID)
}

// SetDisabled disables or re-enables an account; disabling ends its
// sessions and revokes its API tokens (re-enabling restores the account,
// not the tokens).
func (s *Store) SetDisabled(ctx context.Context, a Actor, userID int64, disabled bool) error {
	act := audit.ActUserDisabled
	if !disabled {
		act = audit.ActUserUpdated
	}
	return s.userChange(ctx, a, userID, act, "UPDATE users SET disabled = ? WHERE id = ?", b2i(disabled), userID)
}

// SetLocale stores the user's language.
func (s *Store) SetLocale(ctx context.Context, userID int64, locale string) error {
	_, err := s.write.ExecContext(ctx, s.q("UPDATE users SET locale = ? WHERE id = ?"), locale, userID)
	return mapErr(err)
}

func (s *Store) userChange(ctx context.Context, a Actor, userID int64, action, query string, args ...any) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.execOne(ctx, tx, s.q(query), args...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM sessions WHERE user_id = ?"), userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE api_tokens SET revoked = 1 WHERE user_id = ? AND ? = 1"), userID, b2i(action == audit.ActUserDisabled)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a.entry(action, "user", userID, 0, 0))
	})
}

// RecordLogin notes a successful login and audits it.
func (s *Store) RecordLogin(ctx context.Context, a Actor, userID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q("UPDATE users SET last_login_at = ? WHERE id = ?"), msNow(s), userID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a.entry(audit.ActLogin, "user", userID, 0, 0))
	})
}

// EnableTOTP stores a sealed TOTP secret and hashed recovery codes once the
// user has proved a code (step), and marks the factor on.
func (s *Store) EnableTOTP(ctx context.Context, a Actor, userID int64, sealedSecret []byte, step int64, recoveryHashes []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q("UPDATE users SET totp_secret = ?, totp_enabled = 1, totp_last_step = ?, recovery_codes = ? WHERE id = ?"),
			sealedSecret, step, strings.Join(recoveryHashes, ","), userID)
		if err != nil {
			return mapErr(err)
		}
		return s.appendAudit(ctx, tx, a.entry(audit.ActMFAEnabled, "user", userID, 0, 0))
	})
}

// UseTOTPStep records that a code of step was used. It succeeds only if
// step is newer than the last used one, so two requests racing with the
// same code cannot both pass.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.write.ExecContext(ctx, s.q("UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?"), step, userID, step)
	if err != nil {
		return false, mapErr(err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UseRecoveryCode removes the recovery code hash at index i, if it is still
// there.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error) {
	used := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var codes string
		if err := tx.QueryRowContext(ctx, s.q("SELECT recovery_codes FROM users WHERE id = ?"), userID).Scan(&codes); err != nil {
			return mapErr(err)
		}
		var keep []string
		for _, c := range strings.Split(codes, ",") {
			if c == hash && !used {
				used = true
				continue
			}
			if c != "" {
				keep = append(keep, c)
			}
		}
		if !used {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.q("UPDATE users SET recovery_codes = ? WHERE id = ?"), strings.Join(keep, ","), userID)
		return err
	})
	return used, err
}

// Session is a signed-in browser.
type Session struct {
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	MFADone    bool
}

// CreateSession stores a new session under the hash of its token.
func (s *Store) CreateSession(ctx context.Context, tokenHash []byte, userID int64, mfaDone bool) error {
	now := msNow(s)
	_, err := s.write.ExecContext(ctx, s.q("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, mfa_done) VALUES (?, ?, ?, ?, ?)"),
		tokenHash, userID, now, now, b2i(mfaDone))
	return mapErr(err)
}

// SessionByHash returns a session.
func (s *Store) SessionByHash(ctx context.Context, tokenHash []byte) (Session, error) {
	var x Session
	var c, l int64
	err := s.readRow(ctx, s.q("SELECT user_id, created_at, last_seen_at, mfa_done FROM sessions WHERE token_hash = ?"), tokenHash).
		Scan(&x.UserID, &c, &l, &x.MFADone)
	x.CreatedAt, x.LastSeenAt = fromMS(c), fromMS(l)
	return x, mapErr(err)
}

// TouchSession moves a session's idle clock forward.
func (s *Store) TouchSession(ctx context.Context, tokenHash []byte) error {
	_, err := s.write.ExecContext(ctx, s.q("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?"), msNow(s), tokenHash)
	return mapErr(err)
}

// CompleteSessionMFA marks a session's second factor as done.
func (s *Store) CompleteSessionMFA(ctx context.Context, tokenHash []byte) error {
	_, err := s.write.ExecContext(ctx, s.q("UPDATE sessions SET mfa_done = 1 WHERE token_hash = ?"), tokenHash)
	return mapErr(err)
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	_, err := s.write.ExecContext(ctx, s.q("DELETE FROM sessions WHERE token_hash = ?"), tokenHash)
	return mapErr(err)
}

// DeleteExpiredSessions removes sessions idle since before idleCutoff or
// created before absCutoff.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idleCutoff, absCutoff time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, s.q("DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?"), ms(idleCutoff), ms(absCutoff))
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}

// APIToken is a script's credential (only its hash is stored).
type APIToken struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	Revoked    bool      `json:"revoked"`
}

// CreateToken stores an API token for userID.
func (s *Store) CreateToken(ctx context.Context, a Actor, userID int64, name string, hash []byte, expires time.Time) (int64, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 60 {
		return 0, &ValidationError{Fields: []FieldError{{"name", "err.name_length"}}}
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q("INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id"),
			userID, name, hash, msNow(s), ms(expires)).Scan(&id)
		if err != nil {
			return mapErr(err)
		}
		return s.appendAudit(ctx, tx, a.entry(audit.ActTokenCreated, "api_token", id, 0, 0))
	})
	return id, err
}

// UserIDByToken resolves a live API token.
func (s *Store) UserIDByToken(ctx context.Context, hash []byte) (int64, error) {
	var id, tokenID, exp int64
	err := s.readRow(ctx, s.q(`SELECT t.user_id, t.id, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.revoked = 0 AND u.disabled = 0`), hash).Scan(&id, &tokenID, &exp)
	if err != nil {
		return 0, mapErr(err)
	}
	if s.now().UnixMilli() >= exp {
		return 0, ErrNotFound
	}
	return id, nil
}

// ListTokens returns a user's tokens.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]APIToken, error) {
	rows, err := s.readRows(ctx, s.q("SELECT id, user_id, name, created_at, expires_at, last_used_at, revoked FROM api_tokens WHERE user_id = ? ORDER BY id DESC"), userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var c, e, l int64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &c, &e, &l, &t.Revoked); err != nil {
			return nil, err
		}
		t.CreatedAt, t.ExpiresAt, t.LastUsedAt = fromMS(c), fromMS(e), fromMS(l)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of a user's tokens.
func (s *Store) RevokeToken(ctx context.Context, a Actor, userID, tokenID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.execOne(ctx, tx, s.q("UPDATE api_tokens SET revoked = 1 WHERE id = ? AND user_id = ?"), tokenID, userID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a.entry(audit.ActTokenRevoked, "api_token", tokenID, 0, 0))
	})
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"huhang/internal/audit"
)

// Actor is who causes a change or a read, for the audit log.
type Actor struct {
	UserID    int64
	Role      string // the role that granted the access; "system" for the CLI
	IP        string
	RequestID string
}

// SystemActor is the actor of command-line and start-up work.
var SystemActor = Actor{Role: "system", IP: "local"}

// initAuditHead creates the chain head on first start.
func (s *Store) initAuditHead(ctx context.Context, alg audit.Algorithm) error {
	if alg == "" {
		alg = audit.SHA256
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var stored string
		// ON CONFLICT: two servers starting on a new database both try.
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO audit_head (id, seq, hash, algorithm) VALUES (1, 0, ?, ?) ON CONFLICT (id) DO NOTHING"),
			audit.Genesis, string(alg)); err != nil {
			return fmt.Errorf("store: create audit head: %w", err)
		}
		err := tx.QueryRowContext(ctx, "SELECT algorithm FROM audit_head WHERE id = 1").Scan(&stored)
		if err != nil {
			return fmt.Errorf("store: read audit head: %w", err)
		}
		s.auditAlg, err = audit.ParseAlgorithm(stored)
		if s.auditAlg != alg {
			s.log.Warn("audit log keeps the hash algorithm it was created with", "stored", stored, "configured", string(alg))
		}
		return err
	})
}

// AuditAlgorithm is the chain's hash algorithm.
func (s *Store) AuditAlgorithm() audit.Algorithm { return s.auditAlg }

// appendAudit links e to the chain and inserts it inside tx, so the entry
// commits or rolls back with the change it records. Locking the head row
// serialises appenders on PostgreSQL.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, e audit.Entry) error {
	return s.appendAuditMany(ctx, tx, []audit.Entry{e})
}

// appendAuditMany links entries to the chain in order and inserts them
// with multi-row statements: the head is read and advanced once, which is
// what lets a 200,000-pupil import audit every pupil cheaply.
func (s *Store) appendAuditMany(ctx context.Context, tx *sql.Tx, es []audit.Entry) error {
	if len(es) == 0 {
		return nil
	}
	var seq int64
	var prev []byte
	err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1"+s.dialect.lockForUpdate()).Scan(&seq, &prev)
	if err != nil {
		return fmt.Errorf("store: audit head: %w", err)
	}
	now := s.now()
	const cols = 15
	const perInsert = 1000 // 15,000 parameters: under both engines' limits
	for start := 0; start < len(es); start += perInsert {
		batch := es[start:min(start+perInsert, len(es))]
		args := make([]any, 0, len(batch)*cols)
		for i := range batch {
			e := &batch[i]
			seq++
			e.Seq = seq
			if e.At.IsZero() {
				e.At = now
			}
			e.At = e.At.Truncate(time.Millisecond)
			if e.Outcome == "" {
				e.Outcome = "ok"
			}
			s.auditAlg.Link(prev, e)
			prev = e.Hash
			args = append(args, e.Seq, e.At.UnixMilli(), e.ActorID, e.ActorRole, e.IP, e.RequestID, e.Action,
				e.ObjectType, e.ObjectID, e.SchoolID, e.DistrictID, e.Outcome, e.Detail, e.PrevHash, e.Hash)
		}
		q := `INSERT INTO audit_log (seq, at, actor_id, actor_role, ip, request_id, action,
		object_type, object_id, school_id, district_id, outcome, detail, prev_hash, hash) VALUES ` + placeholders(len(batch), cols)
		if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
			return fmt.Errorf("store: append audit entries: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"), seq, prev); err != nil {
		return fmt.Errorf("store: advance audit head: %w", err)
	}
	return nil
}

// placeholders is "(?, …), (?, …)" for rows × cols parameters.
func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	var b strings.Builder
	b.Grow(rows * (len(one) + 2))
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}

// entry starts an audit entry for actor.
func (a Actor) entry(action, objectType string, objectID, schoolID, districtID int64) audit.Entry {
	return audit.Entry{ActorID: a.UserID, ActorRole: a.Role, IP: a.IP, RequestID: a.RequestID,
		Action: action, ObjectType: objectType, ObjectID: objectID, SchoolID: schoolID, DistrictID: districtID}
}

// Audit appends one entry on its own (logins, failed logins, searches).
func (s *Store) Audit(ctx context.Context, a Actor, action, objectType string, objectID int64, outcome, detail string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		e := a.entry(action, objectType, objectID, 0, 0)
		e.Outcome, e.Detail = outcome, detail
		return s.appendAudit(ctx, tx, e)
	})
}

// VerifyAudit walks the whole chain in seq order and returns how many
// entries verified; the error names the first bad seq.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	// One snapshot for the head and the rows: appends committed meanwhile
	// must not look like a cut or a forged tail.
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect.name() == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	} else {
		opts = nil // the read pool is query_only already
	}
	tx, err := s.read.BeginTx(ctx, opts)
	if err != nil {
		return 0, fmt.Errorf("store: verify audit: %w", err)
	}
	defer tx.Rollback()
	var headSeq int64
	var headHash []byte
	if err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&headSeq, &headHash); err != nil {
		return 0, fmt.Errorf("store: read audit head: %w", err)
	}
	v := audit.NewVerifier(s.auditAlg)
	rows, err := tx.QueryContext(ctx, `SELECT seq, at, actor_id, actor_role, ip, request_id, action, object_type,
		object_id, school_id, district_id, outcome, detail, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("store: read audit log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return v.Count(), err
		}
		if err := v.Next(e); err != nil {
			return v.Count(), err
		}
	}
	if err := rows.Err(); err != nil {
		return v.Count(), fmt.Errorf("store: read audit log: %w", err)
	}
	return v.Count(), v.Finish(headSeq, headHash)
}

func scanAudit(rows interface{ Scan(...any) error }) (audit.Entry, error) {
	var e audit.Entry
	var at int64
	err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.ActorRole, &e.IP, &e.RequestID, &e.Action, &e.ObjectType,
		&e.ObjectID, &e.SchoolID, &e.DistrictID, &e.Outcome, &e.Detail, &e.PrevHash, &e.Hash)
	e.At = fromMS(at)
	return e, err
}

// AuditFilter narrows an audit search. Zero values match everything.
type AuditFilter struct {
	ActorID    int64
	Action     string // exact action or a prefix ending in "."
	ObjectType string
	ObjectID   int64
	From, To   time.Time
	BeforeSeq  int64 // keyset pagination: entries with seq < BeforeSeq
	Limit      int
}

// SearchAudit returns entries newest first.
func (s *Store) SearchAudit(ctx context.Context, f AuditFilter) ([]audit.Entry, error) {
	var where []string
	var args []any
	if f.ActorID != 0 {
		where, args = append(where, "actor_id = ?"), append(args, f.ActorID)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where, args = append(where, "action LIKE ?"), append(args, strings.NewReplacer("%", "", "_", "").Replace(f.Action)+"%")
		} else {
			where, args = append(where, "action = ?"), append(args, f.Action)
		}
	}
	if f.ObjectType != "" {
		where, args = append(where, "object_type = ?"), append(args, f.ObjectType)
	}
	if f.ObjectID != 0 {
		where, args = append(where, "object_id = ?"), append(args, f.ObjectID)
	}
	if !f.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, f.To.UnixMilli())
	}
	if f.BeforeSeq > 0 {
		where, args = append(where, "seq < ?"), append(args, f.BeforeSeq)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := `SELECT seq, at, actor_id, actor_role, ip, request_id, action, object_type, object_id, school_id,
		district_id, outcome, detail, prev_hash, hash FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.read.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: search audit: %w", err)
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("store: search audit: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditExport records that a list left the system as a file: what, whose,
// how many rows (never which names).
func (s *Store) AuditExport(ctx context.Context, a Actor, action, objectType string, objectID, schoolID, districtID int64, rows int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		e := a.entry(action, objectType, objectID, schoolID, districtID)
		e.Detail = fmt.Sprintf("rows=%d", rows)
		return s.appendAudit(ctx, tx, e)
	})
}

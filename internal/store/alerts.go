package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"huhang/internal/audit"
	"huhang/internal/authz"
)

// Alerts: raised with their submission (ingest.go), addressed first to the
// school's psychology teachers and principal, escalated school → district →
// city while unacknowledged, and never deleted — only closed with an
// outcome. Every step is an alert_events row, an audit entry and, for
// raising and escalating, notifications to the addressed users.

// Alert levels (as in package screening).
const (
	LevelSchool   = 0
	LevelDistrict = 1
	LevelCity     = 2
)

// AlertOutcomes are the outcomes an alert can be closed with.
var AlertOutcomes = []string{"guardian_contacted", "counselling", "referred", "hospital", "no_risk_found", "other"}

// AlertScope says which alerts a user sees: every alert of the schools (or
// classes) in Direct, and alerts escalated to a district in
// EscalatedDistricts or to the city when EscalatedCity.
type AlertScope struct {
	Direct             authz.Scope
	EscalatedDistricts []int64
	EscalatedCity      bool
}

// Empty reports whether the scope admits no alert.
func (as AlertScope) Empty() bool {
	return as.Direct.Empty() && len(as.EscalatedDistricts) == 0 && !as.EscalatedCity
}

// SeesDirect reports whether the alert at (district, school, class) is
// visible through Direct (names and history) rather than by escalation.
func (as AlertScope) SeesDirect(districtID, schoolID, classID int64) bool {
	return as.Direct.Covers(districtID, schoolID, classID)
}

func (as AlertScope) pred(prefix string) string {
	var parts []string
	if !as.Direct.Empty() {
		parts = append(parts, scopePred(as.Direct, prefix+"district_id", prefix+"school_id", prefix+"class_id"))
	}
	if len(as.EscalatedDistricts) > 0 {
		parts = append(parts, fmt.Sprintf("(%slevel >= %d AND %sdistrict_id IN (%s))", prefix, LevelDistrict, prefix, int64List(as.EscalatedDistricts)))
	}
	if as.EscalatedCity {
		parts = append(parts, fmt.Sprintf("%slevel >= %d", prefix, LevelCity))
	}
	if len(parts) == 0 {
		return "1=0"
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// AlertCore is the part of an alert the state machine works on.
type AlertCore struct {
	State    string
	Level    int
	Severity string
	RaisedAt time.Time
	DueAt    time.Time
	Outcome  string
}

// Alert is an alert as the pages show it.
type Alert struct {
	ID             int64     `json:"id"`
	CampaignID     int64     `json:"campaign_id"`
	StudentID      int64     `json:"student_id"`
	DistrictID     int64     `json:"district_id"`
	SchoolID       int64     `json:"school_id"`
	ClassID        int64     `json:"class_id"`
	StudentName    string    `json:"-"` // the web layer decides whether and how to show it
	SchoolName     string    `json:"school_name"`
	ClassName      string    `json:"class_name"`
	Severity       string    `json:"severity"`
	Reason         string    `json:"reason,omitempty"`
	Level          int       `json:"level"`
	State          string    `json:"state"`
	RaisedAt       time.Time `json:"raised_at"`
	DueAt          time.Time `json:"due_at"`
	SeenAt         time.Time `json:"seen_at"`
	AcknowledgedAt time.Time `json:"acknowledged_at"`
	ClosedAt       time.Time `json:"closed_at"`
	Outcome        string    `json:"outcome,omitempty"`
	Unread         bool      `json:"unread"`
}

// Core returns the state-machine view of a.
func (a Alert) Core() AlertCore {
	return AlertCore{State: a.State, Level: a.Level, Severity: a.Severity, RaisedAt: a.RaisedAt, DueAt: a.DueAt, Outcome: a.Outcome}
}

// AlertEvent is one step in an alert's history.
type AlertEvent struct {
	At        time.Time `json:"at"`
	ActorID   int64     `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"`
	Level     int       `json:"level"`
	Note      string    `json:"note,omitempty"`
}

const alertCols = `a.id, a.campaign_id, a.student_id, a.district_id, a.school_id, a.class_id, st.name, sc.name, cl.name,
	a.severity, a.reason, a.level, a.state, a.raised_at, a.due_at, a.seen_at, a.acknowledged_at, a.closed_at, a.outcome`

const alertFrom = ` FROM alerts a JOIN students st ON st.id = a.student_id JOIN schools sc ON sc.id = a.school_id
	JOIN classes cl ON cl.id = a.class_id`

func scanAlert(r interface{ Scan(...any) error }, extra ...any) (Alert, error) {
	var a Alert
	var raised, due, seen, ack, closed int64
	dest := []any{&a.ID, &a.CampaignID, &a.StudentID, &a.DistrictID, &a.SchoolID, &a.ClassID, &a.StudentName, &a.SchoolName, &a.ClassName,
		&a.Severity, &a.Reason, &a.Level, &a.State, &raised, &due, &seen, &ack, &closed, &a.Outcome}
	err := r.Scan(append(dest, extra...)...)
	a.RaisedAt, a.DueAt, a.SeenAt, a.AcknowledgedAt, a.ClosedAt = fromMS(raised), fromMS(due), fromMS(seen), fromMS(ack), fromMS(closed)
	return a, err
}

// AlertFilter narrows an alert list.
type AlertFilter struct {
	// Active lists alerts not closed; Closed only closed ones; neither: all.
	Active, Closed bool
	SchoolID       int64
	MinLevel       int
	Limit          int
	// UserID marks alerts with an unread inbox notification for this user.
	UserID int64
}

// ListAlerts returns the alerts the scope admits, the most urgent first.
func (s *Store) ListAlerts(ctx context.Context, as AlertScope, f AlertFilter) ([]Alert, error) {
	where := []string{as.pred("a.")}
	var args []any
	if f.Active {
		where = append(where, "a.state <> 'closed'")
	}
	if f.Closed {
		where = append(where, "a.state = 'closed'")
	}
	if f.SchoolID != 0 {
		where, args = append(where, "a.school_id = ?"), append(args, f.SchoolID)
	}
	if f.MinLevel > 0 {
		where, args = append(where, "a.level >= ?"), append(args, f.MinLevel)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 200
	}
	unread := "0"
	if f.UserID != 0 {
		unread = "(SELECT COUNT(*) FROM notifications n WHERE n.alert_id = a.id AND n.user_id = " + strconv.FormatInt(f.UserID, 10) +
			" AND n.channel = 'inbox' AND n.status = 'pending')"
	}
	args = append(args, f.Limit)
	rows, err := s.readRows(ctx, s.q(`SELECT `+alertCols+`, `+unread+alertFrom+` WHERE `+strings.Join(where, " AND ")+`
		ORDER BY CASE a.state WHEN 'closed' THEN 1 ELSE 0 END, CASE a.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 ELSE 2 END,
		a.due_at, a.id LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var n int
		a, err := scanAlert(rows, &n)
		if err != nil {
			return nil, fmt.Errorf("store: list alerts: %w", err)
		}
		a.Unread = n > 0
		out = append(out, a)
	}
	return out, rows.Err()
}

// GetAlert returns one alert in scope with its history; notes are opened
// only when withNotes (direct viewers at the school).
func (s *Store) GetAlert(ctx context.Context, as AlertScope, id int64, withNotes bool) (Alert, []AlertEvent, error) {
	a, err := scanAlert(s.readRow(ctx, s.q(`SELECT `+alertCols+alertFrom+` WHERE a.id = ? AND `+as.pred("a.")), id))
	if err != nil {
		return Alert{}, nil, mapErr(err)
	}
	rows, err := s.readRows(ctx, s.q(`SELECT e.at, e.actor_id, COALESCE(u.display_name, ''), e.action, e.level, e.note, e.id
		FROM alert_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.alert_id = ? ORDER BY e.id`), id)
	if err != nil {
		return Alert{}, nil, fmt.Errorf("store: alert history: %w", err)
	}
	defer rows.Close()
	var evs []AlertEvent
	for rows.Next() {
		var e AlertEvent
		var at, eid int64
		var note []byte
		if err := rows.Scan(&at, &e.ActorID, &e.ActorName, &e.Action, &e.Level, &note, &eid); err != nil {
			return Alert{}, nil, err
		}
		e.At = fromMS(at)
		if withNotes && len(note) > 0 {
			plain, err := s.keys.Open(note, noteAAD(id))
			if err != nil {
				return Alert{}, nil, fmt.Errorf("store: open alert note %d: %w", eid, err)
			}
			e.Note = string(plain)
		}
		evs = append(evs, e)
	}
	return a, evs, rows.Err()
}

func noteAAD(alertID int64) string { return "alert_events.note:" + strconv.FormatInt(alertID, 10) }

// ErrTransition is returned (wrapped) when a step is not allowed in the
// alert's state; the web layer maps it to a conflict.
var ErrTransition = fmt.Errorf("%w: alert step not allowed", ErrConflict)

// ActOnAlert applies one step (seen, acknowledged, action_taken, closed) to
// an alert in scope. apply is the state machine: it gets the alert's core
// and returns the next, or an error. note is sealed into the history.
func (s *Store) ActOnAlert(ctx context.Context, a Actor, as AlertScope, id int64, action, note string,
	apply func(AlertCore) (AlertCore, error)) (AlertCore, error) {
	var next AlertCore
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var cur AlertCore
		var raised, due int64
		var schoolID, districtID int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT state, level, severity, raised_at, due_at, outcome, school_id, district_id FROM alerts a
			WHERE id = ? AND `+as.pred("a.")+s.dialect.lockForUpdate()), id).
			Scan(&cur.State, &cur.Level, &cur.Severity, &raised, &due, &cur.Outcome, &schoolID, &districtID)
		if err != nil {
			return mapErr(err)
		}
		cur.RaisedAt, cur.DueAt = fromMS(raised), fromMS(due)
		next, err = apply(cur)
		if err != nil {
			return err
		}
		now := ms(s.now())
		set := "state = ?, level = ?, due_at = ?, outcome = ?"
		args := []any{next.State, next.Level, ms(next.DueAt), next.Outcome}
		switch action {
		case "seen":
			set += ", seen_at = CASE WHEN seen_at = 0 THEN ? ELSE seen_at END"
			args = append(args, now)
		case "acknowledged":
			set += ", acknowledged_at = ?, seen_at = CASE WHEN seen_at = 0 THEN ? ELSE seen_at END"
			args = append(args, now, now)
		case "closed":
			set += ", closed_at = ?"
			args = append(args, now)
		}
		args = append(args, id)
		if _, err := tx.ExecContext(ctx, s.q("UPDATE alerts SET "+set+" WHERE id = ?"), args...); err != nil {
			return mapErr(err)
		}
		var sealed []byte
		if note = strings.TrimSpace(note); note != "" {
			if sealed, err = s.keys.Seal([]byte(note), noteAAD(id)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_events (alert_id, at, actor_id, action, level, note) VALUES (?, ?, ?, ?, ?, ?)`),
			id, now, a.UserID, action, next.Level, sealed); err != nil {
			return mapErr(err)
		}
		// The actor has now read what was addressed to them.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE notifications SET status = 'read' WHERE alert_id = ? AND user_id = ? AND channel = 'inbox' AND status = 'pending'`),
			id, a.UserID); err != nil {
			return err
		}
		e := a.entry(alertAuditAction(action), "alert", id, schoolID, districtID)
		if next.Outcome != "" && action == "closed" {
			e.Detail = "outcome=" + next.Outcome
		}
		return s.appendAudit(ctx, tx, e)
	})
	return next, err
}

func alertAuditAction(action string) string {
	switch action {
	case "seen":
		return audit.ActAlertSeen
	case "acknowledged":
		return audit.ActAlertAck
	case "action_taken":
		return audit.ActAlertAction
	case "closed":
		return audit.ActAlertClosed
	case "escalated":
		return audit.ActAlertEscalated
	}
	return "alert." + action
}

type alertRef struct {
	id, schoolID, districtID int64
	level                    int
}

// alertRaisedRows writes the "raised" history rows and the notifications
// of newly raised alerts.
func (s *Store) alertRaisedRows(ctx context.Context, tx *sql.Tx, refs []alertRef, nowMS int64) error {
	return s.alertStepRows(ctx, tx, refs, "raised", nowMS)
}

// alertStepRows writes one history row per alert and notifies the users
// the alert's level addresses, on every configured channel.
func (s *Store) alertStepRows(ctx context.Context, tx *sql.Tx, refs []alertRef, action string, nowMS int64) error {
	const evCols = 5
	ev := make([]any, 0, len(refs)*evCols)
	for _, r := range refs {
		ev = append(ev, r.id, nowMS, 0, action, r.level)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_events (alert_id, at, actor_id, action, level) VALUES `+placeholders(len(refs), evCols)), ev...); err != nil {
		return fmt.Errorf("store: alert history: %w", err)
	}
	recipients := map[[2]int64][]int64{}
	const nCols = 6
	var nv []any
	rows := 0
	for _, r := range refs {
		node := r.schoolID
		if r.level == LevelDistrict {
			node = r.districtID
		} else if r.level >= LevelCity {
			node = 0
		}
		key := [2]int64{int64(r.level), node}
		users, ok := recipients[key]
		if !ok {
			var err error
			if users, err = s.alertRecipients(ctx, tx, r.level, node); err != nil {
				return err
			}
			recipients[key] = users
		}
		for _, u := range users {
			nv = append(nv, r.id, "inbox", u, r.level, "pending", nowMS)
			rows++
			if slices.Contains(s.channels, "sms") {
				nv = append(nv, r.id, "sms", u, r.level, "pending", nowMS)
				rows++
			}
		}
		if slices.Contains(s.channels, "webhook") {
			nv = append(nv, r.id, "webhook", 0, r.level, "pending", nowMS)
			rows++
		}
	}
	for start := 0; start < rows; start += 1000 {
		n := min(1000, rows-start)
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO notifications (alert_id, channel, user_id, level, status, created_at) VALUES `+
			placeholders(n, nCols)), nv[start*nCols:(start+n)*nCols]...); err != nil {
			return fmt.Errorf("store: notifications: %w", err)
		}
	}
	return nil
}

// alertRecipients are the active users an alert at level addresses: the
// school's psychology teachers and principal; the district's officials;
// the city's officials.
func (s *Store) alertRecipients(ctx context.Context, tx *sql.Tx, level int, node int64) ([]int64, error) {
	var q string
	var args []any
	switch level {
	case LevelSchool:
		q, args = `a.school_id = ? AND a.role IN ('psych_teacher', 'principal')`, []any{node}
	case LevelDistrict:
		q, args = `a.district_id = ? AND a.role = 'district_official'`, []any{node}
	default:
		q = `a.role = 'city_official'`
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT DISTINCT a.user_id FROM assignments a JOIN users u ON u.id = a.user_id
		WHERE u.disabled = 0 AND `+q+` ORDER BY a.user_id`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: alert recipients: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SetNotifyChannels sets the channels besides the inbox that new alert
// steps queue messages for ("webhook", "sms").
func (s *Store) SetNotifyChannels(channels []string) { s.channels = slices.Clone(channels) }

// EscalateDue escalates every alert whose acknowledgement is overdue, one
// level per call at most. step is the state machine's escalation: it says
// whether the alert escalates and returns it with its new level and due
// time. Returns how many escalated.
func (s *Store) EscalateDue(ctx context.Context, now time.Time, step func(AlertCore, time.Time) (AlertCore, bool)) (int, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT id FROM alerts WHERE state IN ('open', 'seen') AND due_at <= ? AND level < ? ORDER BY due_at LIMIT 500`),
		ms(now), LevelCity)
	if err != nil {
		return 0, fmt.Errorf("store: due alerts: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var cur AlertCore
			var raised, due, schoolID, districtID int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT state, level, severity, raised_at, due_at, outcome, school_id, district_id FROM alerts
				WHERE id = ?`+s.dialect.lockForUpdate()), id).Scan(&cur.State, &cur.Level, &cur.Severity, &raised, &due, &cur.Outcome, &schoolID, &districtID)
			if err != nil {
				return mapErr(err)
			}
			cur.RaisedAt, cur.DueAt = fromMS(raised), fromMS(due)
			next, ok := step(cur, now)
			if !ok {
				return nil
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE alerts SET level = ?, due_at = ?, state = ? WHERE id = ?`), next.Level, ms(next.DueAt), next.State, id); err != nil {
				return err
			}
			if err := s.alertStepRows(ctx, tx, []alertRef{{id: id, schoolID: schoolID, districtID: districtID, level: next.Level}}, "escalated", ms(now)); err != nil {
				return err
			}
			e := SystemActor.entry(audit.ActAlertEscalated, "alert", id, schoolID, districtID)
			e.Detail = "level=" + strconv.Itoa(next.Level)
			n++
			return s.appendAudit(ctx, tx, e)
		})
		if err != nil {
			return n, fmt.Errorf("store: escalate alert %d: %w", id, err)
		}
	}
	return n, nil
}

// Notification is one message for a channel other than the inbox. It
// carries ids and levels only: a message never names a child.
type Notification struct {
	ID         int64
	AlertID    int64
	Channel    string
	UserID     int64
	Level      int
	Attempts   int
	Severity   string
	SchoolID   int64
	DistrictID int64
}

// PendingNotifications returns up to limit unsent channel messages.
func (s *Store) PendingNotifications(ctx context.Context, limit int) ([]Notification, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT n.id, n.alert_id, n.channel, n.user_id, n.level, n.attempts, a.severity, a.school_id, a.district_id
		FROM notifications n JOIN alerts a ON a.id = n.alert_id WHERE n.status = 'pending' AND n.channel <> 'inbox' ORDER BY n.id LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("store: pending notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		if err := rows.Scan(&n.ID, &n.AlertID, &n.Channel, &n.UserID, &n.Level, &n.Attempts, &n.Severity, &n.SchoolID, &n.DistrictID); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkNotification records a send attempt: sent, or failed (kept pending
// until maxAttempts, then failed).
func (s *Store) MarkNotification(ctx context.Context, id int64, sendErr error, maxAttempts int) error {
	now := ms(s.now())
	var err error
	if sendErr == nil {
		_, err = s.write.ExecContext(ctx, s.q(`UPDATE notifications SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`), now, id)
	} else {
		msg := sendErr.Error()
		if len(msg) > 200 {
			msg = msg[:200]
		}
		_, err = s.write.ExecContext(ctx, s.q(`UPDATE notifications SET attempts = attempts + 1, last_error = ?,
			status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END WHERE id = ?`), msg, maxAttempts, id)
	}
	if err != nil {
		return fmt.Errorf("store: mark notification %d: %w", id, err)
	}
	return nil
}

// NotificationCounts returns how many notifications are in each channel
// and status (operations page, metrics, tests).
func (s *Store) NotificationCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT channel, status, COUNT(*) FROM notifications GROUP BY channel, status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ch, st string
		var n int
		if err := rows.Scan(&ch, &st, &n); err != nil {
			return nil, err
		}
		out[ch+"/"+st] = n
	}
	return out, rows.Err()
}

// UnreadAlerts counts the user's unread inbox notifications of alerts still
// visible to them.
func (s *Store) UnreadAlerts(ctx context.Context, userID int64, as AlertScope) (int, error) {
	if as.Empty() {
		return 0, nil
	}
	var n int
	err := s.readRow(ctx, s.q(`SELECT COUNT(DISTINCT n.alert_id) FROM notifications n JOIN alerts a ON a.id = n.alert_id
		WHERE n.user_id = ? AND n.channel = 'inbox' AND n.status = 'pending' AND a.state <> 'closed' AND `+as.pred("a.")), userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: unread alerts: %w", err)
	}
	return n, nil
}

// AttentionFlags returns which of the given pupils need attention: an
// alert not yet closed, or a submission in the last year at orange or red.
// It is the only screening fact a class teacher sees (D3 "flag only").
func (s *Store) AttentionFlags(ctx context.Context, sc authz.Scope, studentIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(studentIDs) == 0 || sc.Empty() {
		return out, nil
	}
	since := ms(s.now().AddDate(-1, 0, 0))
	for start := 0; start < len(studentIDs); start += 500 {
		chunk := studentIDs[start:min(start+500, len(studentIDs))]
		list := int64List(chunk)
		rows, err := s.read.QueryContext(ctx, s.q(`SELECT student_id FROM alerts WHERE state <> 'closed' AND student_id IN (`+list+`) AND `+
			scopePred(sc, "district_id", "school_id", "class_id")+`
			UNION SELECT p.student_id FROM screening_participants p JOIN screening_submissions sub ON sub.participant_id = p.id
			WHERE sub.tier >= 2 AND sub.submitted_at >= ? AND p.student_id IN (`+list+`) AND `+
			scopePred(sc, "sub.district_id", "sub.school_id", "sub.class_id")), since)
		if err != nil {
			return nil, fmt.Errorf("store: attention flags: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CampaignAlerts lists a campaign's alerts (ids, nodes, times) in id order,
// for the demo city's history and operators' tools.
func (s *Store) CampaignAlerts(ctx context.Context, campaignID int64) ([]Alert, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT id, school_id, district_id, class_id, state, level, raised_at FROM alerts WHERE campaign_id = ? ORDER BY id`), campaignID)
	if err != nil {
		return nil, fmt.Errorf("store: campaign alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var raised int64
		if err := rows.Scan(&a.ID, &a.SchoolID, &a.DistrictID, &a.ClassID, &a.State, &a.Level, &raised); err != nil {
			return nil, err
		}
		a.RaisedAt = fromMS(raised)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SettleAlerts records, in one transaction, that alerts were acknowledged
// at ackAt and (when outcome returns non-empty) closed at closeAt: the
// demo city's history of schools answering their alerts. Alerts not open
// or seen are left alone. Each step is an event and an audit entry, as
// when a person takes it.
func (s *Store) SettleAlerts(ctx context.Context, a Actor, ids []int64, ackAt func(int64) time.Time, outcome func(int64) string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var events []any
		var entries []audit.Entry
		nev := 0
		for start := 0; start < len(ids); start += 500 {
			chunk := ids[start:min(start+500, len(ids))]
			rows, err := tx.QueryContext(ctx, `SELECT id, level, school_id, district_id FROM alerts WHERE state IN ('open', 'seen') AND id IN (`+int64List(chunk)+`)`)
			if err != nil {
				return fmt.Errorf("store: settle alerts: %w", err)
			}
			type ref struct {
				id, school, district int64
				level                int
			}
			var refs []ref
			for rows.Next() {
				var r ref
				if err := rows.Scan(&r.id, &r.level, &r.school, &r.district); err != nil {
					rows.Close()
					return err
				}
				refs = append(refs, r)
			}
			rows.Close()
			for _, r := range refs {
				at := ms(ackAt(r.id))
				out := outcome(r.id)
				state, closed := "acknowledged", int64(0)
				if out != "" {
					state, closed = "closed", at+3600_000
				}
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE alerts SET state = ?, seen_at = ?, acknowledged_at = ?, closed_at = ?, outcome = ? WHERE id = ?`),
					state, at, at, closed, out, r.id); err != nil {
					return err
				}
				events = append(events, r.id, at, a.UserID, "acknowledged", r.level)
				entries = append(entries, a.entry(audit.ActAlertAck, "alert", r.id, r.school, r.district))
				nev++
				if out != "" {
					events = append(events, r.id, closed, a.UserID, "closed", r.level)
					e := a.entry(audit.ActAlertClosed, "alert", r.id, r.school, r.district)
					e.Detail = "outcome=" + out
					entries = append(entries, e)
					nev++
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE notifications SET status = 'read' WHERE channel = 'inbox' AND status = 'pending' AND alert_id IN (`+int64List(chunk)+`)`); err != nil {
				return err
			}
		}
		for start := 0; start < nev; start += 1000 {
			n := min(1000, nev-start)
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_events (alert_id, at, actor_id, action, level) VALUES `+placeholders(n, 5)), events[start*5:(start+n)*5]...); err != nil {
				return fmt.Errorf("store: settle alerts: %w", err)
			}
		}
		return s.appendAuditMany(ctx, tx, entries)
	})
}

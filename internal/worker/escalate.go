package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"huhang/internal/screening"
	"huhang/internal/store"
)

// DefaultEscalateInterval is how often the Escalator looks for overdue
// alerts. Deadlines are hours or school days, so half a minute late is
// well within them.
const DefaultEscalateInterval = 30 * time.Second

// Escalator moves alerts nobody acknowledged in time one level up (school →
// district → city) every Interval. The rule is screening.Escalate; the
// store finds the overdue alerts, locks each, and records the escalation,
// its history row, audit entry and notifications in one transaction.
type Escalator struct {
	Store *store.Store
	// Policy gives each level its deadline. Its zero value behaves as
	// screening.DefaultPolicy (an unset deadline falls back to the default).
	Policy screening.Policy
	// Interval between rounds; 0 means DefaultEscalateInterval.
	Interval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives ids and counts; nil means slog.Default().
	Logger *slog.Logger
}

// RunOnce escalates every alert overdue now, one level at most, and
// returns how many escalated.
func (e *Escalator) RunOnce(ctx context.Context) (int, error) {
	now := time.Now()
	if e.Now != nil {
		now = e.Now()
	}
	n, err := e.Store.EscalateDue(ctx, now, func(cur store.AlertCore, at time.Time) (store.AlertCore, bool) {
		next, ok := screening.Escalate(toScreening(cur), at, e.Policy)
		if !ok {
			return cur, false
		}
		return fromScreening(cur, next), true
	})
	if err != nil {
		return n, fmt.Errorf("worker: escalate: %w", err)
	}
	// Housekeeping on the same beat: drafts of pupils who have submitted
	// are dropped (the submission holds the answers).
	if _, err := e.Store.ClearSubmittedDrafts(ctx); err != nil {
		return n, fmt.Errorf("worker: clear drafts: %w", err)
	}
	return n, nil
}

// Run escalates every Interval until ctx is done.
func (e *Escalator) Run(ctx context.Context) {
	log := e.Logger
	if log == nil {
		log = slog.Default()
	}
	interval := e.Interval
	if interval <= 0 {
		interval = DefaultEscalateInterval
	}
	every(ctx, interval, func() {
		n, err := e.RunOnce(ctx)
		if n > 0 {
			log.Info("alerts escalated", "count", n)
		}
		if err != nil && ctx.Err() == nil {
			log.Error("alert escalation failed", "escalated", n, "err", err)
		}
	})
}

func toScreening(c store.AlertCore) screening.Alert {
	return screening.Alert{
		State:    screening.State(c.State),
		Level:    screening.Level(c.Level),
		Severity: screening.Severity(c.Severity),
		RaisedAt: c.RaisedAt,
		DueAt:    c.DueAt,
	}
}

// fromScreening carries the state machine's result back onto the store's
// view, keeping what the state machine does not know (the outcome).
func fromScreening(cur store.AlertCore, a screening.Alert) store.AlertCore {
	cur.State = string(a.State)
	cur.Level = int(a.Level)
	cur.Severity = string(a.Severity)
	cur.RaisedAt = a.RaisedAt
	cur.DueAt = a.DueAt
	return cur
}

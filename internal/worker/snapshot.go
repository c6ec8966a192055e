package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"huhang/internal/store"
)

// Snapshotter records, once a day, every target's standing at the city,
// each district and each school: the history behind the trends and the
// on-track forecasts.
type Snapshotter struct {
	Store    *store.Store
	Interval time.Duration // how often to check whether today's is taken (default 1 h)
	Now      func() time.Time
	Logger   *slog.Logger

	last string
}

// RunOnce takes today's snapshot unless this process already did.
func (s *Snapshotter) RunOnce(ctx context.Context) error {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	day := now.Format("2006-01-02")
	if s.last == day {
		return nil
	}
	_, rollup, err := s.Store.Progress(ctx, now)
	if err != nil {
		return fmt.Errorf("worker: snapshot: %w", err)
	}
	if err := s.Store.SaveSnapshots(ctx, now, rollup); err != nil {
		return fmt.Errorf("worker: snapshot: %w", err)
	}
	s.last = day
	if s.Logger != nil {
		s.Logger.Info("target snapshot taken", "day", day, "districts", len(rollup.Districts), "schools", len(rollup.Schools))
	}
	return nil
}

// Run takes a snapshot now and then whenever the day changes, until ctx ends.
func (s *Snapshotter) Run(ctx context.Context) {
	interval := s.Interval
	if interval <= 0 {
		interval = time.Hour
	}
	every(ctx, interval, func() {
		if err := s.RunOnce(ctx); err != nil && ctx.Err() == nil && s.Logger != nil {
			s.Logger.Warn("target snapshot failed", "err", err)
		}
	})
}

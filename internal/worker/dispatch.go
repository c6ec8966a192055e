package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"huhang/internal/store"
)

// Dispatcher defaults.
const (
	DefaultDispatchInterval = 5 * time.Second
	DefaultMaxAttempts      = 5
	// dispatchBatch is how many pending messages one round reads.
	dispatchBatch = 100
)

// Dispatcher delivers the store's notification outbox: every Interval it
// reads the pending messages, sends each through the channel its row
// names and records the attempt. A failed message stays pending and is
// tried again next round until MaxAttempts, then it is marked failed (the
// in-app inbox, which needs no delivery, still has it).
type Dispatcher struct {
	Store    *store.Store
	Channels []Channel
	// Interval between rounds; 0 means DefaultDispatchInterval.
	Interval time.Duration
	// MaxAttempts before a message is given up; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// Logger receives ids, counts and errors; nil means slog.Default().
	Logger *slog.Logger
}

// RunOnce runs one round. sent and failed count this round's deliveries
// and failed attempts (including messages for a channel that is not
// configured, which are marked failed at once). err is for the round as a
// whole: the outbox could not be read, or an attempt could not be recorded.
//
// Each channel's messages are sent in order by their own goroutine, so a
// slow webhook does not hold up text messages. After a failure the
// channel's remaining messages wait for the next round: when the receiver
// is down, one attempt per round finds out, instead of every message
// spending an attempt (and up to WebhookTimeout) on it.
func (d *Dispatcher) RunOnce(ctx context.Context) (sent, failed int, err error) {
	pending, err := d.Store.PendingNotifications(ctx, dispatchBatch)
	if err != nil {
		return 0, 0, fmt.Errorf("worker: dispatch: %w", err)
	}
	byName := make(map[string]Channel, len(d.Channels))
	for _, c := range d.Channels {
		byName[c.Name()] = c
	}
	groups := map[string][]store.Notification{}
	var order []string
	for _, n := range pending {
		if _, ok := groups[n.Channel]; !ok {
			order = append(order, n.Channel)
		}
		groups[n.Channel] = append(groups[n.Channel], n)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, name := range order {
		wg.Go(func() {
			s, f, err := d.sendChannel(ctx, byName[name], name, groups[name])
			mu.Lock()
			defer mu.Unlock()
			sent, failed = sent+s, failed+f
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return sent, failed, errs[0]
	}
	return sent, failed, nil
}

// sendChannel delivers one channel's share of a round. ch is nil when no
// channel of that name is configured.
func (d *Dispatcher) sendChannel(ctx context.Context, ch Channel, name string, ns []store.Notification) (sent, failed int, err error) {
	log := d.logger()
	for _, n := range ns {
		if ctx.Err() != nil {
			return sent, failed, nil
		}
		maxAttempts := d.maxAttempts()
		var sendErr error
		if ch == nil {
			// Configuration, not the network: retrying cannot help.
			sendErr = fmt.Errorf("channel %q is not configured on this server", name)
			maxAttempts = 1
		} else {
			sendErr = ch.Send(ctx, MessageFor(n))
			if sendErr != nil && ctx.Err() != nil {
				// Shutting down: the attempt was cut short, not refused.
				return sent, failed, nil
			}
		}
		// A context of its own: the attempt happened and must be recorded
		// even when shutdown cancels ctx meanwhile.
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err := d.Store.MarkNotification(mctx, n.ID, sendErr, maxAttempts)
		cancel()
		if err != nil {
			return sent, failed, fmt.Errorf("worker: dispatch: %w", err)
		}
		if sendErr == nil {
			sent++
			continue
		}
		failed++
		giveUp := n.Attempts+1 >= maxAttempts
		log.Warn("notification not delivered", "notification_id", n.ID, "alert_id", n.AlertID, "channel", name,
			"attempt", n.Attempts+1, "gave_up", giveUp, "err", sendErr)
		if ch != nil {
			return sent, failed, nil
		}
	}
	return sent, failed, nil
}

// Run delivers every Interval until ctx is done.
func (d *Dispatcher) Run(ctx context.Context) {
	log := d.logger()
	every(ctx, d.interval(), func() {
		sent, failed, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("notification round failed", "sent", sent, "failed", failed, "err", err)
			return
		}
		if sent > 0 || failed > 0 {
			log.Info("notifications dispatched", "sent", sent, "failed", failed)
		}
	})
}

func (d *Dispatcher) interval() time.Duration {
	if d.Interval > 0 {
		return d.Interval
	}
	return DefaultDispatchInterval
}

func (d *Dispatcher) maxAttempts() int {
	if d.MaxAttempts > 0 {
		return d.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}

// every calls fn at once and then every interval until ctx is done; a
// round that overruns the interval delays the next rather than stacking.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

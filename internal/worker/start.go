package worker

import (
	"context"
	"sync"
)

// Start runs the escalator and the dispatcher (either may be nil), and any
// further jobs (the target snapshotter), in their
// own goroutines until ctx is done or stop is called. stop cancels them and
// returns once both have finished their current round; it is safe to call
// more than once.
func Start(ctx context.Context, e *Escalator, d *Dispatcher, more ...interface{ Run(context.Context) }) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if e != nil {
		wg.Go(func() { e.Run(ctx) })
	}
	if d != nil {
		wg.Go(func() { d.Run(ctx) })
	}
	for _, m := range more {
		wg.Go(func() { m.Run(ctx) })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

package auth

import (
	"sync"
	"time"
)

// rateWindow is the length of the sliding window RateLimiter counts in.
const rateWindow = time.Minute

// maxRateSlots bounds the total number of timestamps a RateLimiter stores
// (8 bytes each, so 80 MB), because each key keeps one per allowed request.
const maxRateSlots = 10_000_000

// RateLimiter allows at most perMinute requests per key (a client IP
// address) in any sliding 60-second window. It is in-memory and safe for
// concurrent use.
//
// It keeps the time of each allowed request in the window, which makes the
// limit exact (a token bucket would let up to twice the limit through in a
// minute straddling a refill) at the cost of 8 bytes per allowed request;
// that is cheap for the small limits login endpoints use. Refused requests
// are not recorded, so a client that keeps hammering recovers as soon as its
// old requests leave the window.
type RateLimiter struct {
	mu        sync.Mutex
	perMinute int
	keys      keyTable[*rateEntry]
}

// rateEntry is a ring buffer of the Unix-nanosecond times of the requests a
// key made within the window. Plain integers rather than time.Time keep it
// at a third of the size.
type rateEntry struct {
	times []int64
	head  int // index of the oldest time
	n     int // number of times in the window
}

// NewRateLimiter returns a RateLimiter allowing perMinute requests per key
// per minute. It panics if perMinute is not positive, as that is a
// programming error.
func NewRateLimiter(perMinute int) *RateLimiter {
	if perMinute < 1 {
		panic("auth: NewRateLimiter perMinute must be positive")
	}
	// Keep total memory bounded for large limits too: fewer keys when each
	// key may hold more timestamps.
	maxKeys := min(DefaultMaxKeys, max(1000, maxRateSlots/perMinute))
	r := &RateLimiter{perMinute: perMinute}
	r.keys = newKeyTable(maxKeys, rateEntryStale, r.full)
	return r
}

// Allow records a request for key at now and reports whether it is within
// the limit. When it is not, retryAfter is how long until a request would
// be allowed, rounded up to whole seconds and at least one second, ready for
// a Retry-After header.
func (r *RateLimiter) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys.tick(now)
	e, found := r.keys.m[key]
	if !found {
		r.keys.makeRoom(now)
		e = &rateEntry{times: make([]int64, r.perMinute)}
		r.keys.m[key] = e
	}
	t := now.UnixNano()
	e.expire(t)
	if e.n < r.perMinute {
		e.times[(e.head+e.n)%len(e.times)] = t
		e.n++
		return true, 0
	}
	wait := time.Duration(e.times[e.head] + int64(rateWindow) - t)
	secs := (wait + time.Second - 1) / time.Second
	return false, max(secs, 1) * time.Second
}

// expire drops times that are a full window or more before t.
func (e *rateEntry) expire(t int64) {
	for e.n > 0 && t-e.times[e.head] >= int64(rateWindow) {
		e.head = (e.head + 1) % len(e.times)
		e.n--
	}
}

// rateEntryStale reports whether every recorded request has left the window.
func rateEntryStale(e *rateEntry, now time.Time) bool {
	e.expire(now.UnixNano())
	return e.n == 0
}

// full reports whether e is currently being refused. Such entries are
// evicted last, so that flooding the table is not a way to reset a limit.
func (r *RateLimiter) full(e *rateEntry, now time.Time) bool {
	e.expire(now.UnixNano())
	return e.n >= r.perMinute
}

// size returns the number of tracked keys, for tests.
func (r *RateLimiter) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys.m)
}

// Exhausted reports, without recording a request, whether key is being
// refused at now (for limits that count only failures: a caller who has
// used up its failures is refused before it may try again).
func (r *RateLimiter) Exhausted(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, found := r.keys.m[key]
	return found && r.full(e, now)
}

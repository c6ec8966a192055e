package auth

import (
	"sync"
	"time"
)

// Lockout locks a key (a lower-cased username) after too many failed logins
// within a window. It is in-memory and safe for concurrent use.
//
// Callers pass the key whether or not the account exists, so that an
// attacker gets the same answers for real and unknown accounts. The state
// is per process and lost on restart, which is acceptable for slowing down
// online guessing; the rate limiter per client address is the other half of
// that defence.
type Lockout struct {
	mu          sync.Mutex
	maxFailures int
	window      time.Duration
	lockFor     time.Duration
	keys        keyTable[*lockEntry]
}

// lockEntry is the state of one key.
type lockEntry struct {
	failures    []time.Time // failures within the window, oldest first
	lockedUntil time.Time   // zero or in the past when not locked
}

// NewLockout returns a Lockout that locks a key for lockFor once it has
// maxFailures failures within window (Huhang uses 5, 15 min, 15 min). It
// panics if any argument is not positive, as that is a programming error.
func NewLockout(maxFailures int, window, lockFor time.Duration) *Lockout {
	if maxFailures < 1 || window <= 0 || lockFor <= 0 {
		panic("auth: NewLockout arguments must be positive")
	}
	l := &Lockout{maxFailures: maxFailures, window: window, lockFor: lockFor}
	l.keys = newKeyTable(DefaultMaxKeys, l.stale, (*lockEntry).locked)
	return l
}

// Locked reports whether key is locked at now and, if so, until when.
// Callers check it before verifying a password, so a locked account gets no
// password guesses at all.
func (l *Lockout) Locked(key string, now time.Time) (until time.Time, locked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys.tick(now)
	e, ok := l.keys.m[key]
	if !ok || !e.locked(now) {
		return time.Time{}, false
	}
	return e.lockedUntil, true
}

// Fail records a failed login for key at now and reports whether the key is
// locked afterwards: true when this failure reached the limit, and also when
// the key was already locked. Failures while locked do not extend the lock,
// so an attacker cannot keep an account locked for longer than lockFor
// beyond their last countable failure.
func (l *Lockout) Fail(key string, now time.Time) (lockedNow bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys.tick(now)
	e, ok := l.keys.m[key]
	if !ok {
		l.keys.makeRoom(now)
		e = &lockEntry{}
		l.keys.m[key] = e
	}
	if e.locked(now) {
		return true
	}
	e.failures = l.recent(e.failures, now)
	e.failures = append(e.failures, now)
	if len(e.failures) >= l.maxFailures {
		e.lockedUntil = now.Add(l.lockFor)
		// The lock replaces the failure history: once it expires the
		// user starts again with a full set of attempts.
		e.failures = nil
		return true
	}
	return false
}

// Succeed forgets all failures for key after a successful login. Callers
// only verify passwords for keys that are not Locked, so this never lifts an
// active lock in practice.
func (l *Lockout) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys.m, key)
}

// recent drops failures that are window or more before now, reusing the
// slice's storage.
func (l *Lockout) recent(failures []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(failures) && now.Sub(failures[i]) >= l.window {
		i++
	}
	return append(failures[:0], failures[i:]...)
}

// locked reports whether e is locked at now.
func (e *lockEntry) locked(now time.Time) bool {
	return now.Before(e.lockedUntil)
}

// stale reports whether e is neither locked nor holds any failure that still
// counts at now.
func (l *Lockout) stale(e *lockEntry, now time.Time) bool {
	if e.locked(now) {
		return false
	}
	return len(e.failures) == 0 || now.Sub(e.failures[len(e.failures)-1]) >= l.window
}

// size returns the number of tracked keys, for tests.
func (l *Lockout) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys.m)
}

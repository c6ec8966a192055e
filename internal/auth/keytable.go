package auth

import "time"

// DefaultMaxKeys is the most keys a Lockout or RateLimiter tracks at once.
// Keys come from attackers (usernames, IP addresses), so without a cap a
// flood of distinct keys would grow memory without bound.
const DefaultMaxKeys = 100_000

// sweepEvery is how many calls pass between full sweeps of stale entries.
// A sweep is O(keys), so this amortises it to a small constant per call
// while keeping memory close to the set of keys seen within one window.
const sweepEvery = 4096

// keyTable is a string-keyed map with a hard size cap and periodic removal
// of stale entries, shared by Lockout and RateLimiter. It is not safe for
// concurrent use; its owners guard it with their mutex.
type keyTable[V any] struct {
	m       map[string]V
	maxKeys int
	calls   int
	// stale reports whether an entry carries no state that still matters
	// at now, so removing it changes no answer.
	stale func(v V, now time.Time) bool
	// valuable reports whether an entry should survive forced eviction if
	// at all possible (for example an active lock, which an attacker would
	// otherwise lift by flooding the table with new keys).
	valuable func(v V, now time.Time) bool
}

func newKeyTable[V any](maxKeys int, stale, valuable func(V, time.Time) bool) keyTable[V] {
	return keyTable[V]{m: make(map[string]V), maxKeys: maxKeys, stale: stale, valuable: valuable}
}

// tick counts a call and sweeps stale entries every sweepEvery calls.
func (t *keyTable[V]) tick(now time.Time) {
	t.calls++
	if t.calls >= sweepEvery {
		t.calls = 0
		t.sweep(now)
	}
}

// sweep removes every stale entry.
func (t *keyTable[V]) sweep(now time.Time) {
	for k, v := range t.m {
		if t.stale(v, now) {
			delete(t.m, k)
		}
	}
}

// makeRoom must be called before inserting a new key. When the table is
// full it sweeps, and if that frees too little it evicts live entries down
// to 90% of the cap, the unvaluable ones first. Evicting a whole 10% at once
// keeps a sustained flood from paying for an O(keys) sweep on every insert.
// Map iteration order is randomised, so an attacker cannot choose which
// entries are evicted.
func (t *keyTable[V]) makeRoom(now time.Time) {
	if len(t.m) < t.maxKeys {
		return
	}
	t.sweep(now)
	target := t.maxKeys - t.maxKeys/10
	if target >= t.maxKeys {
		target = t.maxKeys - 1
	}
	for pass := 0; pass < 2 && len(t.m) > target; pass++ {
		for k, v := range t.m {
			if len(t.m) <= target {
				break
			}
			if pass == 0 && t.valuable(v, now) {
				continue
			}
			delete(t.m, k)
		}
	}
}

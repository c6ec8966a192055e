package auth

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRateLimiter(t *testing.T) {
	t.Run("ten requests a minute pass and the eleventh is refused with Retry-After", func(t *testing.T) {
		r := NewRateLimiter(10)
		for i := range 10 {
			if ok, _ := r.Allow("10.0.0.1", t0.Add(time.Duration(i)*time.Second)); !ok {
				t.Fatalf("request %d refused", i+1)
			}
		}
		ok, retry := r.Allow("10.0.0.1", t0.Add(10*time.Second))
		if ok {
			t.Fatal("eleventh request allowed")
		}
		// The first request (at t0) leaves the window at t0+60s, 50 s away.
		if retry != 50*time.Second {
			t.Errorf("retryAfter = %v; want 50s", retry)
		}
	})

	t.Run("retryAfter is rounded up to whole seconds and is at least one second", func(t *testing.T) {
		r := NewRateLimiter(1)
		r.Allow("ip", t0)
		_, retry := r.Allow("ip", t0.Add(59*time.Second+900*time.Millisecond))
		if retry != time.Second {
			t.Errorf("retryAfter = %v; want 1s", retry)
		}
		_, retry = r.Allow("ip", t0.Add(30*time.Second+time.Millisecond))
		if retry != 30*time.Second {
			t.Errorf("retryAfter = %v; want 30s (29.999s rounded up)", retry)
		}
	})

	t.Run("a client recovers a minute after its burst", func(t *testing.T) {
		r := NewRateLimiter(10)
		for range 10 {
			r.Allow("ip", t0)
		}
		if ok, _ := r.Allow("ip", t0.Add(59*time.Second)); ok {
			t.Fatal("allowed before the minute was up")
		}
		for i := range 10 {
			if ok, _ := r.Allow("ip", t0.Add(time.Minute)); !ok {
				t.Fatalf("request %d after a minute refused", i+1)
			}
		}
		if ok, _ := r.Allow("ip", t0.Add(time.Minute)); ok {
			t.Error("the limit did not apply to the second minute")
		}
	})

	t.Run("the window slides rather than resetting on minute boundaries", func(t *testing.T) {
		r := NewRateLimiter(10)
		for i := range 10 {
			r.Allow("ip", t0.Add(time.Duration(i)*6*time.Second)) // 0s, 6s, … 54s
		}
		if ok, _ := r.Allow("ip", t0.Add(59*time.Second)); ok {
			t.Error("eleventh request within 60 s allowed")
		}
		if ok, _ := r.Allow("ip", t0.Add(60*time.Second)); !ok {
			t.Error("request after the oldest aged out refused")
		}
		if ok, retry := r.Allow("ip", t0.Add(61*time.Second)); ok || retry != 5*time.Second {
			t.Errorf("Allow = %v, %v; want refused with 5s", ok, retry)
		}
	})

	t.Run("refused requests do not extend the wait", func(t *testing.T) {
		r := NewRateLimiter(2)
		r.Allow("ip", t0)
		r.Allow("ip", t0)
		for s := 1; s < 60; s++ {
			r.Allow("ip", t0.Add(time.Duration(s)*time.Second))
		}
		if ok, _ := r.Allow("ip", t0.Add(time.Minute)); !ok {
			t.Error("hammering while refused delayed recovery")
		}
	})

	t.Run("keys are limited independently", func(t *testing.T) {
		r := NewRateLimiter(1)
		r.Allow("a", t0)
		if ok, _ := r.Allow("b", t0); !ok {
			t.Error("b refused because of a")
		}
	})

	t.Run("a non-positive limit panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		NewRateLimiter(0)
	})
}

func TestRateLimiterMemoryIsBounded(t *testing.T) {
	t.Run("a flood of 200,000 distinct addresses stays within the cap", func(t *testing.T) {
		r := NewRateLimiter(10)
		for i := range 200_000 {
			r.Allow(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), t0.Add(time.Duration(i)*time.Microsecond))
		}
		if n := r.size(); n > DefaultMaxKeys {
			t.Errorf("size = %d; want <= %d", n, DefaultMaxKeys)
		}
	})

	t.Run("a client being refused keeps its limit through a flood", func(t *testing.T) {
		r := NewRateLimiter(3)
		for range 3 {
			r.Allow("attacker", t0)
		}
		for i := range 200_000 {
			r.Allow(fmt.Sprint("spoof-", i), t0.Add(time.Second))
		}
		if ok, _ := r.Allow("attacker", t0.Add(2*time.Second)); ok {
			t.Error("the flood reset the attacker's limit")
		}
	})

	t.Run("stale keys are swept after a minute", func(t *testing.T) {
		r := NewRateLimiter(10)
		for i := range 50_000 {
			r.Allow(fmt.Sprint("ip-", i), t0)
		}
		for range sweepEvery {
			r.Allow("late", t0.Add(time.Minute))
		}
		if n := r.size(); n != 1 {
			t.Errorf("size after sweep = %d; want 1", n)
		}
	})

	t.Run("large limits get fewer keys so total memory stays bounded", func(t *testing.T) {
		r := NewRateLimiter(1000)
		if r.keys.maxKeys*1000 > maxRateSlots {
			t.Errorf("maxKeys %d allows more than %d slots", r.keys.maxKeys, maxRateSlots)
		}
	})
}

func TestRateLimiterConcurrentUse(t *testing.T) {
	t.Run("concurrent requests from one client never exceed the limit", func(t *testing.T) {
		r := NewRateLimiter(10)
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				if ok, _ := r.Allow("ip", t0); ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != 10 {
			t.Errorf("allowed %d; want 10", n)
		}
	})
}

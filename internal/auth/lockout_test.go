package auth

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// t0 is the fake clock's starting point.
var t0 = time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)

func newTestLockout() *Lockout {
	return NewLockout(5, 15*time.Minute, 15*time.Minute)
}

func TestLockout(t *testing.T) {
	t.Run("an unknown key is not locked", func(t *testing.T) {
		if _, locked := newTestLockout().Locked("nobody", t0); locked {
			t.Error("fresh key locked")
		}
	})

	t.Run("the fifth failure within the window locks and the fourth does not", func(t *testing.T) {
		l := newTestLockout()
		for i := range 4 {
			if l.Fail("zhangsan", t0.Add(time.Duration(i)*time.Minute)) {
				t.Fatalf("locked after %d failures", i+1)
			}
		}
		if _, locked := l.Locked("zhangsan", t0.Add(4*time.Minute)); locked {
			t.Fatal("locked before the fifth failure")
		}
		fifth := t0.Add(4 * time.Minute)
		if !l.Fail("zhangsan", fifth) {
			t.Fatal("fifth failure did not lock")
		}
		until, locked := l.Locked("zhangsan", fifth.Add(time.Second))
		if !locked || !until.Equal(fifth.Add(15*time.Minute)) {
			t.Errorf("Locked = %v, %v; want true until %v", until, locked, fifth.Add(15*time.Minute))
		}
	})

	t.Run("five failures spread over more than the window do not lock", func(t *testing.T) {
		l := newTestLockout()
		for i := range 5 {
			// 0, 4, 8, 12, 16 minutes: the first has aged out by the fifth.
			if l.Fail("lisi", t0.Add(time.Duration(i)*4*time.Minute)) {
				t.Fatalf("locked at failure %d", i+1)
			}
		}
		if _, locked := l.Locked("lisi", t0.Add(16*time.Minute)); locked {
			t.Error("locked by failures spread over 16 minutes")
		}
	})

	t.Run("a failure exactly one window old no longer counts", func(t *testing.T) {
		l := newTestLockout()
		for range 4 {
			l.Fail("k", t0)
		}
		if l.Fail("k", t0.Add(15*time.Minute)) {
			t.Error("failures exactly 15 minutes old still counted")
		}
	})

	t.Run("the lock lifts after lockFor", func(t *testing.T) {
		l := newTestLockout()
		for range 5 {
			l.Fail("wangwu", t0)
		}
		if _, locked := l.Locked("wangwu", t0.Add(15*time.Minute-time.Nanosecond)); !locked {
			t.Error("unlocked a nanosecond early")
		}
		if _, locked := l.Locked("wangwu", t0.Add(15*time.Minute)); locked {
			t.Error("still locked after 15 minutes")
		}
		if l.Fail("wangwu", t0.Add(15*time.Minute)) {
			t.Error("the first failure after the lock locked again")
		}
	})

	t.Run("failures while locked neither extend the lock nor report unlocked", func(t *testing.T) {
		l := newTestLockout()
		for range 5 {
			l.Fail("k", t0)
		}
		if !l.Fail("k", t0.Add(10*time.Minute)) {
			t.Error("Fail while locked reported not locked")
		}
		if until, _ := l.Locked("k", t0.Add(10*time.Minute)); !until.Equal(t0.Add(15 * time.Minute)) {
			t.Errorf("lock extended to %v", until)
		}
	})

	t.Run("a success forgets earlier failures", func(t *testing.T) {
		l := newTestLockout()
		for range 4 {
			l.Fail("zhaoliu", t0)
		}
		l.Succeed("zhaoliu")
		for i := range 4 {
			if l.Fail("zhaoliu", t0.Add(time.Minute)) {
				t.Fatalf("locked after %d failures following a success", i+1)
			}
		}
	})

	t.Run("keys are independent", func(t *testing.T) {
		l := newTestLockout()
		for range 5 {
			l.Fail("a", t0)
		}
		if _, locked := l.Locked("b", t0); locked {
			t.Error("locking a also locked b")
		}
	})

	t.Run("non-positive arguments panic", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		NewLockout(0, time.Minute, time.Minute)
	})
}

func TestLockoutMemoryIsBounded(t *testing.T) {
	t.Run("a flood of 200,000 distinct usernames stays within the cap", func(t *testing.T) {
		l := newTestLockout()
		for i := range 200_000 {
			l.Fail(fmt.Sprintf("user-%d", i), t0.Add(time.Duration(i)*time.Millisecond))
			if i%50_000 == 0 && l.size() > DefaultMaxKeys {
				t.Fatalf("size %d exceeds cap after %d keys", l.size(), i+1)
			}
		}
		if n := l.size(); n > DefaultMaxKeys {
			t.Errorf("size = %d; want <= %d", n, DefaultMaxKeys)
		}
	})

	t.Run("locked keys survive a flood that forces eviction", func(t *testing.T) {
		l := newTestLockout()
		for range 5 {
			l.Fail("victim", t0)
		}
		for i := range 200_000 {
			l.Fail(fmt.Sprintf("junk-%d", i), t0.Add(time.Second))
		}
		if _, locked := l.Locked("victim", t0.Add(2*time.Second)); !locked {
			t.Error("the flood lifted an active lock")
		}
	})

	t.Run("stale keys are swept once their window has passed", func(t *testing.T) {
		l := newTestLockout()
		for i := range 50_000 {
			l.Fail(fmt.Sprintf("user-%d", i), t0)
		}
		later := t0.Add(16 * time.Minute)
		for range sweepEvery {
			l.Locked("someone", later)
		}
		if n := l.size(); n != 0 {
			t.Errorf("size after sweep = %d; want 0", n)
		}
	})
}

func TestLockoutConcurrentUse(t *testing.T) {
	t.Run("concurrent failures on one key lock it at exactly the fifth", func(t *testing.T) {
		l := newTestLockout()
		var notLocked atomic.Int64
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				if !l.Fail("shared", t0) {
					notLocked.Add(1)
				}
				l.Fail(fmt.Sprint("other-", i), t0)
				l.Locked("shared", t0)
			})
		}
		wg.Wait()
		if n := notLocked.Load(); n != 4 {
			t.Errorf("%d failures reported unlocked; want exactly 4", n)
		}
		if _, locked := l.Locked("shared", t0); !locked {
			t.Error("not locked after 50 concurrent failures")
		}
	})
}

package ratelimits

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiterFixedWindowPerKey(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLimiter(func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("join|10.0.0.1", 3, 10*time.Second); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	now = now.Add(4 * time.Second)
	ok, wait := l.allow("join|10.0.0.1", 3, 10*time.Second)
	if ok || wait != 6*time.Second {
		t.Fatalf("4th request: ok=%v wait=%v, want refused with 6s left", ok, wait)
	}
	if ok, _ := l.allow("join|10.0.0.2", 3, 10*time.Second); !ok {
		t.Fatal("another client was refused")
	}
	now = now.Add(6 * time.Second)
	if ok, _ := l.allow("join|10.0.0.1", 3, 10*time.Second); !ok {
		t.Fatal("refused after the window ended")
	}
}

func TestLimiterSweepsExpiredWindows(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLimiter(func() time.Time { return now })
	for i := 0; i < minSweep; i++ {
		l.allow(fmt.Sprintf("k|%d", i), 1, time.Second)
	}
	now = now.Add(2 * time.Second)
	l.allow("fresh", 1, time.Second)
	if n := len(l.windows); n != 1 {
		t.Fatalf("%d windows kept after a sweep, want 1", n)
	}
}

package ratelimits

import (
	"sync"
	"time"
)

// limiter counts requests per key (rule + client IP) in fixed windows, like PocketBase's own
// limiter, whose type is not exported. Expired windows are swept when the map has doubled, so a
// flood of distinct IPs costs memory only until their windows end.
type limiter struct {
	mu      sync.Mutex
	windows map[string]window
	sweepAt int
	now     func() time.Time
}

type window struct {
	end  time.Time
	used int
}

const minSweep = 1024

func newLimiter(now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	return &limiter{windows: map[string]window{}, sweepAt: minSweep, now: now}
}

// allow consumes one request of key's window; when the window is used up it returns false and
// how long until it resets.
func (l *limiter) allow(key string, max int, length time.Duration) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, ok := l.windows[key]
	if !ok || !now.Before(w.end) {
		if !ok && len(l.windows) >= l.sweepAt {
			l.sweep(now)
		}
		w = window{end: now.Add(length)}
	}
	if w.used >= max {
		return false, w.end.Sub(now)
	}
	w.used++
	l.windows[key] = w
	return true, 0
}

func (l *limiter) sweep(now time.Time) {
	for k, w := range l.windows {
		if !now.Before(w.end) {
			delete(l.windows, k)
		}
	}
	l.sweepAt = max(minSweep, 2*len(l.windows))
}

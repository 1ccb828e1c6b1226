package relaycontrol

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Target is one relay's control endpoint.
type Target struct {
	// RelayID names the relay in logs.
	RelayID string
	URL     string
}

// Fanout sends every message to every relay: PocketBase does not know which relay holds a studio's
// room (placement only remembers it for a while, and a room can move when its relay restarts), and
// a relay without the room ignores the message. Each relay has its own Pusher — its own queue,
// order and retry — so one relay that is down delays nobody else's pushes.
type Fanout struct {
	pushers []*Pusher
	now     func() time.Time
}

// NewFanout starts one Pusher per target, with base's secret, logger, timeouts and clock.
func NewFanout(base Options, targets []Target) (*Fanout, error) {
	if len(targets) == 0 {
		return nil, errors.New("relay control needs at least one relay")
	}
	f := &Fanout{now: base.Now}
	if f.now == nil {
		f.now = time.Now
	}
	for _, t := range targets {
		opts := base
		opts.URL = t.URL
		if base.Logger != nil {
			opts.Logger = base.Logger.With("relay", t.RelayID)
		}
		p, err := NewPusher(opts)
		if err != nil {
			f.Close(context.Background())
			return nil, err
		}
		f.pushers = append(f.pushers, p)
	}
	return f, nil
}

// Push queues m for every relay, stamped once so every relay gets the same body.
func (f *Fanout) Push(m Message) {
	if m.At.IsZero() {
		m.At = f.now()
	}
	for _, p := range f.pushers {
		p.Push(m)
	}
}

// Close closes every Pusher in parallel within ctx. Safe to call more than once.
func (f *Fanout) Close(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range f.pushers {
		wg.Add(1)
		go func(p *Pusher) {
			defer wg.Done()
			p.Close(ctx)
		}(p)
	}
	wg.Wait()
}

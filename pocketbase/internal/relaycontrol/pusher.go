package relaycontrol

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Defaults for Options: one attempt plus one retry of 2 s each stays inside the 5 s within which a
// change must reach a live room.
const (
	DefaultTimeout    = 2 * time.Second
	DefaultRetryDelay = 250 * time.Millisecond
	DefaultQueueSize  = 256
)

// Options configure a Pusher; URL and Secret are required.
type Options struct {
	URL    string
	Secret []byte
	Logger *slog.Logger
	// Timeout bounds each attempt; RetryDelay is the pause before the single retry.
	Timeout    time.Duration
	RetryDelay time.Duration
	// QueueSize is how many pushes may wait; beyond it new ones are dropped (and logged).
	QueueSize int
	// Now is injectable for tests; nil means time.Now.
	Now func() time.Time
}

// Pusher sends Messages to the relay from one goroutine, in the order they were pushed (a role
// change followed by a removal must not arrive the other way round). Push never blocks and never
// fails the caller: the request that changed the database has already succeeded.
type Pusher struct {
	opts   Options
	client *http.Client
	queue  chan Message
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	closed bool
}

// NewPusher validates opts and starts the sending goroutine; Close stops it.
func NewPusher(opts Options) (*Pusher, error) {
	if opts.URL == "" || len(opts.Secret) == 0 {
		return nil, errors.New("relay control needs a URL and the ticket secret")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = DefaultRetryDelay
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pusher{
		opts: opts,
		// No proxy and no redirects: the control endpoint is the relay itself, and a signed POST
		// has no business being forwarded anywhere else.
		client: &http.Client{
			Transport:     &http.Transport{Proxy: nil, MaxIdleConns: 2, IdleConnTimeout: 30 * time.Second},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		queue:  make(chan Message, opts.QueueSize),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go p.run()
	return p, nil
}

// Push queues m without waiting, stamping m.At with the current time when it is zero. After Close,
// or with a full queue, m is dropped and logged.
func (p *Pusher) Push(m Message) {
	if m.At.IsZero() {
		m.At = p.opts.Now()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.opts.Logger.Warn("relay control push dropped: shutting down", "kind", m.Kind)
		return
	}
	select {
	case p.queue <- m:
	default:
		p.opts.Logger.Warn("relay control push dropped: queue full", "kind", m.Kind, "queue", cap(p.queue))
	}
}

// Close stops accepting pushes, sends what is queued until ctx ends, then abandons the rest.
// Safe to call more than once.
func (p *Pusher) Close(ctx context.Context) {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.queue)
	}
	p.mu.Unlock()
	select {
	case <-p.done:
	case <-ctx.Done():
		p.cancel()
		<-p.done
	}
	p.cancel()
}

func (p *Pusher) run() {
	defer close(p.done)
	for m := range p.queue {
		if p.ctx.Err() != nil {
			continue // abandoned by Close: drain without sending
		}
		p.deliver(m)
	}
}

// deliver makes one attempt and, when it may help, one retry. Logs carry the kind and the failure,
// never user or studio ids.
func (p *Pusher) deliver(m Message) {
	body, err := m.Body()
	if err != nil {
		p.opts.Logger.Error("relay control push not encoded", "kind", m.Kind, "error", err)
		return
	}
	for attempt := 1; ; attempt++ {
		retry, err := p.send(body)
		if err == nil {
			return
		}
		if !retry || attempt == 2 {
			p.opts.Logger.Warn("relay control push failed", "kind", m.Kind, "attempts", attempt, "error", err)
			return
		}
		select {
		case <-time.After(p.opts.RetryDelay):
		case <-p.ctx.Done():
			return
		}
	}
}

// send POSTs body once. retry says whether another attempt could succeed (network errors,
// timeouts, 5xx, 408, 429), as opposed to a refusal (a wrong secret or body).
func (p *Pusher) send(body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(p.ctx, p.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.opts.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", AuthScheme+" "+Signature(p.opts.Secret, body))
	res, err := p.client.Do(req)
	if err != nil {
		return true, err
	}
	defer res.Body.Close()
	// Read a little of the answer so the connection can be reused for the next push.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, MaxBytes))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return false, nil
	case res.StatusCode >= 500 || res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooManyRequests:
		return true, fmt.Errorf("relay answered HTTP %d", res.StatusCode)
	default:
		return false, fmt.Errorf("relay refused the push with HTTP %d", res.StatusCode)
	}
}

package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"bandmesh/pocketbase/internal/placement"
)

// DefaultLiveTTL is how long one round of relay answers serves every directory request: "playing
// now" may lag a few seconds, and a busy directory asks each relay at most once per TTL.
const DefaultLiveTTL = 5 * time.Second

// maxRoomsBody bounds a relay's GET /rooms answer (about 40 bytes a room: 25,000 rooms).
const maxRoomsBody = 1 << 20

// Live answers "how many play in this studio's room now" from the relays' signed GET /rooms
// (every live room's seats in one answer), cached for TTL. It is safe for concurrent use.
type Live struct {
	relays  []placement.Relay
	secret  []byte
	client  *http.Client
	ttl     time.Duration
	timeout time.Duration
	logger  *slog.Logger
	now     func() time.Time

	// mu is held across a refresh, so concurrent directory loads wait for one round of requests.
	mu       sync.Mutex
	at       time.Time
	seats    map[string]int
	complete bool
}

// LiveOptions configure Live; zero values take the defaults.
type LiveOptions struct {
	Relays  []placement.Relay
	Secret  []byte
	Client  *http.Client
	TTL     time.Duration
	Timeout time.Duration
	Logger  *slog.Logger
	Now     func() time.Time
}

// NewLive makes a Live over the configured relays.
func NewLive(opts LiveOptions) *Live {
	l := &Live{relays: opts.Relays, secret: opts.Secret, client: opts.Client, ttl: opts.TTL,
		timeout: opts.Timeout, logger: opts.Logger, now: opts.Now}
	if l.client == nil {
		l.client = &http.Client{
			Transport:     &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if l.ttl <= 0 {
		l.ttl = DefaultLiveTTL
	}
	if l.timeout <= 0 {
		l.timeout = placement.DefaultProbeTimeout
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

// Playing returns, per studio id, the players in its room now, or nil for "unknown": a studio
// not live on any relay that answered while some relay did not answer may be live on that one.
// Rooms never span relays, so a room found on an answering relay is its whole count.
func (l *Live) Playing(ctx context.Context, studioIDs []string) map[string]*int {
	seats, complete := l.snapshot(ctx)
	out := make(map[string]*int, len(studioIDs))
	for _, id := range studioIDs {
		if n, ok := seats[id]; ok {
			out[id] = &n
		} else if complete {
			zero := 0
			out[id] = &zero
		} else {
			out[id] = nil
		}
	}
	return out
}

func (l *Live) snapshot(ctx context.Context) (map[string]int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seats != nil && l.now().Sub(l.at) < l.ttl {
		return l.seats, l.complete
	}
	l.seats, l.complete = l.ask(ctx)
	l.at = l.now()
	return l.seats, l.complete
}

// ask queries every relay at once; complete is false when any of them failed.
func (l *Live) ask(ctx context.Context) (map[string]int, bool) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	answers := make([]map[string]int, len(l.relays))
	errs := make([]error, len(l.relays))
	var wg sync.WaitGroup
	for i, r := range l.relays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], errs[i] = l.rooms(ctx, r)
		}()
	}
	wg.Wait()
	seats := map[string]int{}
	complete := true
	for i, r := range l.relays {
		if errs[i] != nil {
			complete = false
			l.logger.Warn("directory: relay did not say which rooms are live", "relay", r.ID, "error", errs[i])
			continue
		}
		for id, n := range answers[i] {
			seats[id] += n
		}
	}
	return seats, complete
}

func (l *Live) rooms(ctx context.Context, r placement.Relay) (map[string]int, error) {
	if r.BaseURL == "" {
		return nil, fmt.Errorf("relay %q has no HTTP base URL", r.ID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.BaseURL+"/rooms", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	placement.SignQuery(req, l.secret, time.Now())
	res, err := l.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxRoomsBody))
		return nil, fmt.Errorf("GET /rooms answered HTTP %d", res.StatusCode)
	}
	var body struct {
		OK    bool           `json:"ok"`
		Rooms map[string]int `json:"rooms"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxRoomsBody)).Decode(&body); err != nil {
		return nil, fmt.Errorf("GET /rooms: %w", err)
	}
	if !body.OK || body.Rooms == nil {
		return nil, fmt.Errorf("GET /rooms: no rooms in the answer")
	}
	return body.Rooms, nil
}

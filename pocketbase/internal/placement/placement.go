// Package placement picks the relay a studio's room runs on when PocketBase issues a ticket. Rooms
// never span relays (as in LiveKit): every ticket of one studio names the same relay while its room
// is live, and a new room goes to the least-loaded relay that answers.
//
// Order for one ticket:
//  1. a relay that reports the studio's room live (GET <base>/rooms/<studio>) — the room is there;
//  2. else the relay this studio was placed on recently (remembered for about a ticket's lifetime),
//     so players who fetch tickets before the first one connects land together;
//  3. else the reachable relay with the lowest load (GET <base>/load).
//
// All relays are asked at once with a short timeout; a relay that does not answer is skipped, and
// when none answers Place fails with ErrNoRelay. With one relay nothing is asked.
//
// Both queries are signed with the ticket secret (src/lib/protocol/relay-control.ts): the relay
// answers them only to whoever holds it, since they say whether a band is live.
package placement

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// The signed-query constants of src/lib/protocol/relay-control.ts; keep them equal.
const (
	QueryContext    = "bandmesh-relay-query\n"
	QueryTimeHeader = "X-Bandmesh-Time"
	AuthScheme      = "Bandmesh-HMAC"
)

// SignQuery sets the headers that let the relay answer a GET /load or /rooms/<studio>: the time
// and HMAC-SHA256 over context, method, path and that time, keyed with the ticket secret.
func SignQuery(req *http.Request, secret []byte, now time.Time) {
	stamp := strconv.FormatInt(now.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(QueryContext + req.Method + "\n" + req.URL.EscapedPath() + "\n" + stamp))
	req.Header.Set(QueryTimeHeader, stamp)
	req.Header.Set("Authorization", AuthScheme+" "+hex.EncodeToString(mac.Sum(nil)))
}

// Defaults for Options.
const (
	DefaultProbeTimeout = 1500 * time.Millisecond
	DefaultRemember     = 5 * time.Minute
	// DefaultELUWeight turns event-loop utilisation above DefaultELUFloor into peers: a relay whose
	// loop is fully busy weighs like one with 20 more peers.
	DefaultELUWeight = 40.0
	// DefaultELUFloor: below half busy a relay has headroom, and the noise of a few handshakes in
	// the last second must not steer rooms at random; above it the loop's load counts.
	DefaultELUFloor = 0.5
	// DefaultPendingWindow is how long a fresh placement counts as one expected peer on its relay:
	// the relay cannot count players who have a ticket but have not connected yet, and without this
	// a burst of new rooms would all land on whichever relay was idlest a moment ago.
	DefaultPendingWindow = 15 * time.Second
	// maxBody bounds what is read from a relay's answer.
	maxBody = 64 << 10
)

// ErrNoRelay means no relay answered: the room cannot be placed anywhere right now.
var ErrNoRelay = errors.New("no relay is reachable")

// Relay is one relay PocketBase hands tickets out for.
type Relay struct {
	// ID is the relay's BANDMESH_RELAY_ID (the ticket's relay claim).
	ID string
	// WSURL is the signaling URL clients connect to.
	WSURL string
	// BaseURL is the http(s) base of /load and /rooms/<studio>, without a trailing slash.
	BaseURL string
}

// Options configure a Placer; Relays must not be empty.
type Options struct {
	Relays []Relay
	// Secret is the ticket secret the relays share; it signs the probes. Required with more than
	// one relay.
	Secret []byte
	// Client makes the probes; nil means a client without proxy or redirects.
	Client *http.Client
	// ProbeTimeout bounds one round of probes (all relays in parallel).
	ProbeTimeout time.Duration
	// Remember is how long a placement is reused for a studio whose room is not live yet.
	Remember      time.Duration
	ELUWeight     float64
	PendingWindow time.Duration
	Logger        *slog.Logger
	// Now is injectable for tests; nil means time.Now.
	Now func() time.Time
}

// Load is what a relay's GET /load reports (the fields placement uses).
type Load struct {
	OK       bool    `json:"ok"`
	RelayID  string  `json:"relayId"`
	Rooms    int     `json:"rooms"`
	Peers    int     `json:"peers"`
	SFUPeers int     `json:"sfuPeers"`
	ELU      float64 `json:"elu"`
}

// RoomState is what a relay's GET /rooms/<studio> reports.
type RoomState struct {
	Live  bool `json:"live"`
	Peers int  `json:"peers"`
}

// Decision is a placement and why it was made (for logs and tests).
type Decision struct {
	Relay Relay
	// Reason is "single", "live", "remembered" or "load".
	Reason string
}

type remembered struct {
	relayID string
	at      time.Time
	// seq orders decisions (Placer.seq when it was made).
	seq uint64
	// fresh: a new room placed by load, not yet counted by its relay (see DefaultPendingWindow).
	fresh bool
}

// Placer places rooms. It is safe for concurrent use.
type Placer struct {
	opts   Options
	client *http.Client
	byID   map[string]Relay

	mu sync.Mutex
	// placed remembers the last placement per studio; locks serialises placements of one studio,
	// so two players starting together wait for one decision instead of racing to two relays.
	placed map[string]remembered
	locks  map[string]*studioLock
	// seq counts decisions; a caller that queued behind the studio's lock and finds a decision
	// newer than its arrival takes that one instead of asking the relays again.
	seq uint64
}

type studioLock struct {
	mu    sync.Mutex
	users int
}

// New validates opts.
func New(opts Options) (*Placer, error) {
	if len(opts.Relays) == 0 {
		return nil, errors.New("placement needs at least one relay")
	}
	byID := make(map[string]Relay, len(opts.Relays))
	for _, r := range opts.Relays {
		if r.ID == "" || r.WSURL == "" {
			return nil, fmt.Errorf("relay %q has no id or WebSocket URL", r.ID)
		}
		if _, dup := byID[r.ID]; dup {
			return nil, fmt.Errorf("relay id %q is listed twice", r.ID)
		}
		if len(opts.Relays) > 1 && r.BaseURL == "" {
			return nil, fmt.Errorf("relay %q has no HTTP base URL to ask for its load", r.ID)
		}
		byID[r.ID] = r
	}
	if len(opts.Relays) > 1 && len(opts.Secret) == 0 {
		return nil, errors.New("placement needs the ticket secret to sign its queries to the relays")
	}
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = DefaultProbeTimeout
	}
	if opts.Remember <= 0 {
		opts.Remember = DefaultRemember
	}
	if opts.ELUWeight <= 0 {
		opts.ELUWeight = DefaultELUWeight
	}
	if opts.PendingWindow <= 0 {
		opts.PendingWindow = DefaultPendingWindow
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	client := opts.Client
	if client == nil {
		// No proxy and no redirects: the relays are our own processes, addressed directly.
		client = &http.Client{
			Transport:     &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Placer{
		opts: opts, client: client, byID: byID,
		placed: map[string]remembered{}, locks: map[string]*studioLock{},
	}, nil
}

// Single reports whether there is only one relay (tickets then carry no relay claim).
func (p *Placer) Single() bool { return len(p.opts.Relays) == 1 }

// Place chooses the relay for studioID's room.
func (p *Placer) Place(ctx context.Context, studioID string) (Decision, error) {
	if p.Single() {
		return Decision{Relay: p.opts.Relays[0], Reason: "single"}, nil
	}
	arrived := p.currentSeq()
	unlock := p.lock(studioID)
	defer unlock()

	// A burst of tickets for one studio (a band arriving together) waits for one round of probes,
	// not one per ticket behind the lock; a later ticket asks again (is the room live by now?).
	if prev, ok := p.decidedSince(studioID, arrived); ok {
		return Decision{Relay: p.byID[prev], Reason: "remembered"}, nil
	}
	probes := p.probe(ctx, studioID)
	now := p.opts.Now()

	// 1. Where the room is live. Two relays claiming it (a relay that came back while players
	// moved on) is resolved towards the bigger room, so the split heals as players reconnect.
	var live *probe
	for i := range probes {
		pr := &probes[i]
		if pr.err == nil && pr.room.Live && (live == nil || pr.room.Peers > live.room.Peers) {
			live = pr
		}
	}
	if live != nil {
		p.remember(studioID, live.relay.ID, now, false)
		return Decision{Relay: live.relay, Reason: "live"}, nil
	}

	// 2. Where it was placed recently, if that relay still answers.
	if prev, ok := p.recall(studioID, now, p.opts.Remember); ok {
		for _, pr := range probes {
			if pr.relay.ID == prev && pr.err == nil {
				p.decided(studioID)
				return Decision{Relay: pr.relay, Reason: "remembered"}, nil
			}
		}
	}

	// 3. The least loaded relay that answered; ties go to the earlier relay in the list.
	pending := p.pending(now)
	var best *probe
	var bestScore float64
	for i := range probes {
		pr := &probes[i]
		if pr.err != nil {
			continue
		}
		score := p.score(pr.load, pending[pr.relay.ID])
		if best == nil || score < bestScore {
			best, bestScore = pr, score
		}
	}
	if best == nil {
		for _, pr := range probes {
			p.opts.Logger.Warn("relay not reachable for placement", "relay", pr.relay.ID, "error", pr.err)
		}
		return Decision{}, ErrNoRelay
	}
	p.remember(studioID, best.relay.ID, now, true)
	return Decision{Relay: best.relay, Reason: "load"}, nil
}

// score is the relay's load in peers: every connected peer counts once, a peer whose audio goes
// through the SFU once more (the relay forwards its frames), event-loop utilisation above the floor
// is weighed in to see load the counts miss, and rooms placed moments ago count as one expected
// peer each.
func (p *Placer) score(l Load, pending int) float64 {
	return float64(l.Peers+l.SFUPeers+pending) + p.opts.ELUWeight*max(0, l.ELU-DefaultELUFloor)
}

type probe struct {
	relay Relay
	load  Load
	room  RoomState
	err   error
}

// probe asks every relay for its load and for the studio's room, all at once.
func (p *Placer) probe(ctx context.Context, studioID string) []probe {
	ctx, cancel := context.WithTimeout(ctx, p.opts.ProbeTimeout)
	defer cancel()
	out := make([]probe, len(p.opts.Relays))
	var wg sync.WaitGroup
	for i, r := range p.opts.Relays {
		out[i].relay = r
		wg.Add(2)
		go func(pr *probe) {
			defer wg.Done()
			var err error
			if err = p.getJSON(ctx, pr.relay.BaseURL+"/load", &pr.load); err == nil && pr.load.RelayID != pr.relay.ID {
				// A relay running with another BANDMESH_RELAY_ID would refuse every ticket naming
				// it (wrong-relay): never place a room there.
				err = fmt.Errorf("the relay at %s says its id is %q, BANDMESH_RELAYS says %q", pr.relay.BaseURL, pr.load.RelayID, pr.relay.ID)
			} else if err == nil && !pr.load.OK {
				err = errors.New("the relay reports it is not ok")
			}
			if err != nil {
				pr.err = err
			}
		}(&out[i])
		go func(pr *probe) {
			defer wg.Done()
			var room RoomState
			// A relay that cannot answer for the room holds no live room we know of; its load
			// probe decides whether it is reachable.
			if err := p.getJSON(ctx, pr.relay.BaseURL+"/rooms/"+url.PathEscape(studioID), &room); err == nil {
				pr.room = room
			}
		}(&out[i])
	}
	wg.Wait()
	// A relay whose load probe failed cannot be trusted with its room answer either.
	for i := range out {
		if out[i].err != nil {
			out[i].room = RoomState{}
		}
	}
	return out
}

func (p *Placer) getJSON(ctx context.Context, target string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	// Real time, not opts.Now: the relay checks it against its own clock.
	SignQuery(req, p.opts.Secret, time.Now())
	res, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxBody))
		return fmt.Errorf("GET %s answered HTTP %d", target, res.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxBody)).Decode(into); err != nil {
		return fmt.Errorf("GET %s: %w", target, err)
	}
	return nil
}

// lock takes the studio's placement lock and returns its release.
func (p *Placer) lock(studioID string) func() {
	p.mu.Lock()
	l := p.locks[studioID]
	if l == nil {
		l = &studioLock{}
		p.locks[studioID] = l
	}
	l.users++
	p.mu.Unlock()

	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		p.mu.Lock()
		if l.users--; l.users == 0 {
			delete(p.locks, studioID)
		}
		p.mu.Unlock()
	}
}

func (p *Placer) remember(studioID, relayID string, now time.Time, fresh bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	p.placed[studioID] = remembered{relayID: relayID, at: now, fresh: fresh, seq: p.seq}
	// Forget old placements as new ones come in, so memory follows the rooms started recently.
	for id, r := range p.placed {
		if now.Sub(r.at) > p.opts.Remember {
			delete(p.placed, id)
		}
	}
}

// decided marks studioID's remembered placement as decided again now (for tickets queued behind
// this one), keeping when it was made.
func (p *Placer) decided(studioID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.placed[studioID]; ok {
		p.seq++
		r.seq = p.seq
		p.placed[studioID] = r
	}
}

func (p *Placer) currentSeq() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seq
}

// decidedSince returns the relay of a decision for studioID made after seq.
func (p *Placer) decidedSince(studioID string, seq uint64) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.placed[studioID]
	if !ok || r.seq <= seq {
		return "", false
	}
	return r.relayID, true
}

// recall returns the relay studioID was placed on within the last maxAge.
func (p *Placer) recall(studioID string, now time.Time, maxAge time.Duration) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.placed[studioID]
	if !ok || now.Sub(r.at) > maxAge {
		return "", false
	}
	return r.relayID, true
}

// pending counts, per relay, the new rooms placed within the pending window.
func (p *Placer) pending(now time.Time) map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for _, r := range p.placed {
		if r.fresh && now.Sub(r.at) <= p.opts.PendingWindow {
			out[r.relayID]++
		}
	}
	return out
}

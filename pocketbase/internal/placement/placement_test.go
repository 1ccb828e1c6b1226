package placement

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testSecret is the ticket secret the fake relays and the placers share.
var testSecret = []byte("query-secret-0123456789abcdef0123456789")

// fakeRelay answers /load and /rooms/<studio> like the relay's HTTP surface
// (relay/src/signaling/http-health.ts), from state the test sets, and like it refuses (401) a
// query not signed with its secret (relay/src/control/query-auth.ts).
type fakeRelay struct {
	t      *testing.T
	id     string
	secret []byte
	server *httptest.Server
	// refused counts queries answered 401.
	refused atomic.Int32

	mu       sync.Mutex
	load     Load
	live     map[string]int // studio → peers
	delay    time.Duration
	block    chan struct{} // when set, /load waits for it to close
	loadHits atomic.Int32
	roomHits atomic.Int32
}

func newFakeRelay(t *testing.T, id string) *fakeRelay {
	f := &fakeRelay{t: t, id: id, secret: testSecret, load: Load{OK: true, RelayID: id}, live: map[string]int{}}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

// signedByUs checks the query signature the way the relay does, written out independently of
// SignQuery: HMAC-SHA256 over "bandmesh-relay-query\n" + method + "\n" + path + "\n" + time, time
// within 60 s.
func (f *fakeRelay) signedByUs(r *http.Request) bool {
	stamp := r.Header.Get("x-bandmesh-time")
	sent, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bandmesh-HMAC ")
	seconds, err := strconv.ParseInt(stamp, 10, 64)
	if !ok || err != nil || time.Since(time.Unix(seconds, 0)).Abs() > 60*time.Second {
		return false
	}
	f.mu.Lock()
	secret := f.secret
	f.mu.Unlock()
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("bandmesh-relay-query\n" + r.Method + "\n" + r.URL.Path + "\n" + stamp))
	got, err := hex.DecodeString(sent)
	return err == nil && hmac.Equal(got, mac.Sum(nil))
}

func (f *fakeRelay) serve(w http.ResponseWriter, r *http.Request) {
	if !f.signedByUs(r) {
		f.refused.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"ok":false,"error":"bad-signature"}`))
		return
	}
	f.mu.Lock()
	delay, block, load := f.delay, f.block, f.load
	peers, live := f.live[strings.TrimPrefix(r.URL.Path, "/rooms/")]
	f.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/load":
		f.loadHits.Add(1)
		if block != nil {
			<-block
		}
		_ = json.NewEncoder(w).Encode(load)
	case strings.HasPrefix(r.URL.Path, "/rooms/"):
		f.roomHits.Add(1)
		_ = json.NewEncoder(w).Encode(RoomState{Live: live, Peers: peers})
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeRelay) set(change func(f *fakeRelay)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeRelay) relay() Relay {
	return Relay{ID: f.id, WSURL: "ws://" + f.server.Listener.Addr().String() + "/signal", BaseURL: f.server.URL}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newPlacer(t *testing.T, c *clock, relays ...*fakeRelay) *Placer {
	t.Helper()
	opts := Options{ProbeTimeout: 500 * time.Millisecond, Secret: testSecret}
	if c != nil {
		opts.Now = c.Now
	}
	for _, f := range relays {
		opts.Relays = append(opts.Relays, f.relay())
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// holdLoad makes f's /load requests wait until the returned release is called (at the latest when
// the test ends, so a failing test does not leave handlers blocked and hang the server's Close).
func holdLoad(t *testing.T, f *fakeRelay) (release func()) {
	ch := make(chan struct{})
	f.set(func(f *fakeRelay) { f.block = ch })
	release = sync.OnceFunc(func() { close(ch) })
	t.Cleanup(release)
	return release
}

// placeAsync places from another goroutine, reporting errors with t.Error (t.Fatal must stay on
// the test's goroutine).
func placeAsync(t *testing.T, p *Placer, studio string, out chan<- Decision) {
	go func() {
		d, err := p.Place(context.Background(), studio)
		if err != nil {
			t.Error(err)
		}
		out <- d
	}()
}

func mustPlace(t *testing.T, p *Placer, studio string) Decision {
	t.Helper()
	d, err := p.Place(context.Background(), studio)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSingleRelayAsksNothing(t *testing.T) {
	a := newFakeRelay(t, "relay-1")
	p := newPlacer(t, nil, a)
	d := mustPlace(t, p, "studio1")
	if d.Relay.ID != "relay-1" || d.Reason != "single" || !p.Single() {
		t.Fatalf("%+v", d)
	}
	if a.loadHits.Load() != 0 || a.roomHits.Load() != 0 {
		t.Fatalf("one relay was asked: %d /load, %d /rooms", a.loadHits.Load(), a.roomHits.Load())
	}
}

func TestLowestLoadWins(t *testing.T) {
	a, b, c := newFakeRelay(t, "a"), newFakeRelay(t, "b"), newFakeRelay(t, "c")
	a.set(func(f *fakeRelay) { f.load.Peers = 10 })
	b.set(func(f *fakeRelay) { f.load.Peers = 3 })
	c.set(func(f *fakeRelay) { f.load.Peers = 5 })
	p := newPlacer(t, nil, a, b, c)
	if d := mustPlace(t, p, "s1"); d.Relay.ID != "b" || d.Reason != "load" {
		t.Fatalf("%+v", d)
	}
	// Every relay was asked about the room and its load.
	for _, f := range []*fakeRelay{a, b, c} {
		if f.loadHits.Load() != 1 || f.roomHits.Load() != 1 {
			t.Fatalf("%s: %d /load, %d /rooms", f.id, f.loadHits.Load(), f.roomHits.Load())
		}
	}
}

func TestSFUPeersAndEventLoopWeigh(t *testing.T) {
	a, b := newFakeRelay(t, "a"), newFakeRelay(t, "b")
	// a: 6 peers, all on the SFU → 12; b: 10 mesh peers → 10.
	a.set(func(f *fakeRelay) { f.load.Peers, f.load.SFUPeers = 6, 6 })
	b.set(func(f *fakeRelay) { f.load.Peers = 10 })
	p := newPlacer(t, nil, a, b)
	if d := mustPlace(t, p, "s1"); d.Relay.ID != "b" {
		t.Fatalf("SFU peers should weigh more: %+v", d)
	}
	// Half busy or less does not count: b stays at 10 (+1 pending for s1) against a's 12.
	b.set(func(f *fakeRelay) { f.load.ELU = 0.5 })
	if d := mustPlace(t, p, "s2"); d.Relay.ID != "b" {
		t.Fatalf("an event loop at 50 %% should not weigh: %+v", d)
	}
	// b's loop busy at 80 % adds 0.3 × 40 = 12 → 24 (+2 pending) against a's 12.
	b.set(func(f *fakeRelay) { f.load.ELU = 0.8 })
	if d := mustPlace(t, p, "s3"); d.Relay.ID != "a" {
		t.Fatalf("a busy event loop should weigh: %+v", d)
	}
}

func TestNewRoomsCountUntilTheirRelaySeesThem(t *testing.T) {
	a, b := newFakeRelay(t, "a"), newFakeRelay(t, "b")
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	p := newPlacer(t, c, a, b)
	// Both idle: new rooms alternate instead of all going to the first relay.
	var got []string
	for _, s := range []string{"s1", "s2", "s3", "s4"} {
		got = append(got, mustPlace(t, p, s).Relay.ID)
	}
	if strings.Join(got, ",") != "a,b,a,b" {
		t.Fatalf("placements %v", got)
	}
	// After the pending window, only what the relays report counts again.
	c.Advance(DefaultPendingWindow + time.Second)
	if d := mustPlace(t, p, "s5"); d.Relay.ID != "a" {
		t.Fatalf("%+v", d)
	}
}

func TestLiveRoomWinsOverLoad(t *testing.T) {
	a, b := newFakeRelay(t, "a"), newFakeRelay(t, "b")
	a.set(func(f *fakeRelay) { f.load.Peers = 40; f.live["s1"] = 3 })
	p := newPlacer(t, nil, a, b)
	if d := mustPlace(t, p, "s1"); d.Relay.ID != "a" || d.Reason != "live" {
		t.Fatalf("%+v", d)
	}
	if d := mustPlace(t, p, "s2"); d.Relay.ID != "b" {
		t.Fatalf("%+v", d)
	}
}

func TestTwoLiveRoomsPickTheBigger(t *testing.T) {
	a, b := newFakeRelay(t, "a"), newFakeRelay(t, "b")
	a.set(func(f *fakeRelay) { f.live["s1"] = 1 })
	b.set(func(f *fakeRelay) { f.live["s1"] = 4; f.load.Peers = 30 })
	p := newPlacer(t, nil, a, b)
	if d := mustPlace(t, p, "s1"); d.Relay.ID != "b" || d.Reason != "live" {
		t.Fatalf("%+v", d)
	}
}

func TestRememberedUntilItExpires(t *testing.T) {
	a, b := newFakeRelay(t, "a"), newFakeRelay(t, "b")
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	p := newPlacer(t, c, a, b)
	if d := mustPlace(t, p, "s1"); d.Relay.ID != "a" {
		t.Fatalf("%+v", d)
	}
	// a gets busy before anyone connects to s1: the next ticket of s1 still goes to a.
	a.set(func(f *fakeRelay) { f.load.Peers = 50 })
	c.Advance(DefaultRemember - time.Second)
	if d := mustPlace(t, p, "s1"); d.Relay.ID != "a" || d.Reason != "remembered" {
		t.Fatalf("%+v", d)
	}
	c.Advance(2 * time.Second)
	if d := mustPlace(t, p, "s1"); d.Relay.ID != "b" || d.Reason != "load" {
		t.Fatalf("after the memory expired: %+v", d)
	}
}

func TestABurstOfTicketsAsksTheRelaysOnce(t *testing.T) {
	a, b := newFakeRelay(t, "a"), newFakeRelay(t, "b")
	release := holdLoad(t, a)
	p := newPlacer(t, nil, a, b)
	results := make(chan Decision, 10)
	placeAsync(t, p, "s1", results)
	waitFor(t, func() bool { return a.loadHits.Load() == 1 })
	// Nine more tickets of the same studio arrive while the first is being placed.
	for i := 0; i < 9; i++ {
		placeAsync(t, p, "s1", results)
	}
	waitFor(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.locks["s1"] != nil && p.locks["s1"].users == 10
	})
	a.set(func(f *fakeRelay) { f.block = nil })
	release()
	for i := 0; i < 10; i++ {
		if d := <-results; d.Relay.ID != "a" {
			t.Fatalf("ticket %d: %+v", i, d)
		}
	}
	if a.loadHits.Load() != 1 || b.loadHits.Load() != 1 {
		t.Fatalf("relays asked %d and %d times", a.loadHits.Load(), b.loadHits.Load())
	}
	// A ticket fetched afterwards asks again (is the room live somewhere now?).
	mustPlace(t, p, "s1")
	if a.loadHits.Load() != 2 || a.roomHits.Load() != 2 {
		t.Fatalf("relay a asked %d/%d times", a.loadHits.Load(), a.roomHits.Load())
	}
}

func TestRememberedRelayThatDiedIsNotUsed(t *testing.T) {
	a, b := newFakeRelay(t, "a"), newFakeRelay(t, "b")
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	p := newPlacer(t, c, a, b)
	if d := mustPlace(t, p, "s1"); d.Relay.ID != "a" {
		t.Fatalf("%+v", d)
	}
	a.server.Close()
	if d := mustPlace(t, p, "s1"); d.Relay.ID != "b" || d.Reason != "load" {
		t.Fatalf("%+v", d)
	}
}

func TestUnreachableSlowAndMisnamedRelaysAreSkipped(t *testing.T) {
	dead, slow, misnamed, notOK, good :=
		newFakeRelay(t, "dead"), newFakeRelay(t, "slow"), newFakeRelay(t, "misnamed"), newFakeRelay(t, "not-ok"), newFakeRelay(t, "good")
	dead.server.Close()
	slow.set(func(f *fakeRelay) { f.delay = 2 * time.Second })
	misnamed.set(func(f *fakeRelay) { f.load.RelayID = "someone-else" })
	notOK.set(func(f *fakeRelay) { f.load.OK = false })
	good.set(func(f *fakeRelay) { f.load.Peers = 60 })
	p := newPlacer(t, nil, dead, slow, misnamed, notOK, good)
	if d := mustPlace(t, p, "s1"); d.Relay.ID != "good" {
		t.Fatalf("%+v", d)
	}
}

func TestLiveAnswerOfAnUnreachableRelayIsIgnored(t *testing.T) {
	// The room probe answers but the load probe does not: the relay is not trusted with the room.
	a, b := newFakeRelay(t, "a"), newFakeRelay(t, "b")
	a.set(func(f *fakeRelay) { f.live["s1"] = 2; f.load.RelayID = "wrong" })
	p := newPlacer(t, nil, a, b)
	if d := mustPlace(t, p, "s1"); d.Relay.ID != "b" {
		t.Fatalf("%+v", d)
	}
}

func TestNoRelayReachable(t *testing.T) {
	a, b := newFakeRelay(t, "a"), newFakeRelay(t, "b")
	a.server.Close()
	b.server.Close()
	p := newPlacer(t, nil, a, b)
	if _, err := p.Place(context.Background(), "s1"); !errors.Is(err, ErrNoRelay) {
		t.Fatalf("got %v", err)
	}
}

func TestConcurrentFirstTicketsLandTogether(t *testing.T) {
	a, b := newFakeRelay(t, "a"), newFakeRelay(t, "b")
	// The first /load of a is held (it answers the load a had when asked: idle); meanwhile a gets
	// busy, so a second placement deciding on its own would pick b.
	release := holdLoad(t, a)
	p := newPlacer(t, nil, a, b)
	results := make(chan Decision, 2)
	placeAsync(t, p, "s1", results)
	waitFor(t, func() bool { return a.loadHits.Load() == 1 })
	placeAsync(t, p, "s1", results)
	// The second placement waits for the first instead of asking the relays itself.
	time.Sleep(100 * time.Millisecond)
	if hits := a.loadHits.Load(); hits != 1 {
		t.Fatalf("a second placement of the same studio ran concurrently (%d /load requests)", hits)
	}
	a.set(func(f *fakeRelay) { f.block = nil; f.load.Peers = 50 })
	b.set(func(f *fakeRelay) { f.load.Peers = 5 })
	release()
	first, second := <-results, <-results
	if first.Relay.ID != "a" || second.Relay.ID != "a" {
		t.Fatalf("one studio placed on %s and %s", first.Relay.ID, second.Relay.ID)
	}
	// Other studios are not held up by one studio's placement.
	if d := mustPlace(t, p, "s2"); d.Relay.ID == "" {
		t.Fatal("no placement")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.locks) != 0 {
		t.Fatalf("%d studio locks left behind", len(p.locks))
	}
}

func TestOtherStudiosAreNotHeldUp(t *testing.T) {
	a, b := newFakeRelay(t, "a"), newFakeRelay(t, "b")
	holdLoad(t, a)
	p := newPlacer(t, nil, a, b)
	held := make(chan struct{})
	go func() {
		defer close(held)
		_, _ = p.Place(context.Background(), "held")
	}()
	waitFor(t, func() bool { return a.loadHits.Load() == 1 })
	a.set(func(f *fakeRelay) { f.block = nil })
	// s2 runs its own probes while "held" still waits for its answer (until the probe timeout).
	if d := mustPlace(t, p, "s2"); d.Relay.ID == "" {
		t.Fatal("no placement")
	}
	select {
	case <-held:
		t.Fatal("a placement of another studio waited for the held one")
	default:
	}
}

func TestNewValidates(t *testing.T) {
	cases := map[string][]Relay{
		"none":      nil,
		"no id":     {{WSURL: "ws://a"}},
		"duplicate": {{ID: "a", WSURL: "ws://a", BaseURL: "http://a"}, {ID: "a", WSURL: "ws://b", BaseURL: "http://b"}},
		"no base":   {{ID: "a", WSURL: "ws://a", BaseURL: "http://a"}, {ID: "b", WSURL: "ws://b"}},
	}
	for name, relays := range cases {
		if _, err := New(Options{Relays: relays, Secret: testSecret}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	two := []Relay{{ID: "a", WSURL: "ws://a", BaseURL: "http://a"}, {ID: "b", WSURL: "ws://b", BaseURL: "http://b"}}
	if _, err := New(Options{Relays: two}); err == nil {
		t.Error("several relays without a secret to sign the probes: accepted")
	}
}

// The relay refuses unsigned /load and /rooms queries (they say whether a band is live): the
// placer signs both, and a relay holding another secret is treated as unreachable.
func TestProbesAreSigned(t *testing.T) {
	a, b := newFakeRelay(t, "relay-1"), newFakeRelay(t, "relay-2")
	a.set(func(f *fakeRelay) { f.live["studio1"] = 2 })
	p := newPlacer(t, nil, a, b)
	if d := mustPlace(t, p, "studio1"); d.Relay.ID != "relay-1" || d.Reason != "live" {
		t.Fatalf("got %+v, want relay-1 (live)", d)
	}
	if a.refused.Load()+b.refused.Load() != 0 || a.roomHits.Load() != 1 || a.loadHits.Load() != 1 {
		t.Fatalf("refused %d/%d, room hits %d, load hits %d", a.refused.Load(), b.refused.Load(), a.roomHits.Load(), a.loadHits.Load())
	}
	a.set(func(f *fakeRelay) { f.secret = []byte("another-secret-0123456789abcdef") })
	if d := mustPlace(t, p, "studio2"); d.Relay.ID != "relay-2" {
		t.Fatalf("got %+v, want relay-2 (relay-1 refuses our signature)", d)
	}
	if a.refused.Load() != 2 {
		t.Fatalf("relay-1 refused %d queries, want 2", a.refused.Load())
	}
}

// The same vector as relay/src/signaling/http-health.test.ts: Go and TypeScript sign alike.
func TestSignQueryMatchesTheRelay(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "http://relay.invalid/rooms/band1", nil)
	SignQuery(req, testSecret, time.Unix(1_800_000_000, 0))
	if got := req.Header.Get("x-bandmesh-time"); got != "1800000000" {
		t.Errorf("time header %q", got)
	}
	want := "Bandmesh-HMAC af0a34f1186e0a647d378e51cf787a9a010eb62f14ddefe970b9ef956f9a387d"
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("authorization %q, want %q", got, want)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

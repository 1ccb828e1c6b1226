package relaycontrol

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

var fixedNow = func() time.Time { return time.Unix(1_700_000_000, 0) }

// received is one request the fake relay saw.
type received struct {
	method, path, contentType, auth string
	body                            []byte
}

// fakeRelay records requests and answers with statuses[i] (the last one repeats), after delay.
type fakeRelay struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	statuses []int
	delay    time.Duration
}

func newFakeRelay(t *testing.T, statuses ...int) *fakeRelay {
	t.Helper()
	if len(statuses) == 0 {
		statuses = []int{http.StatusNoContent}
	}
	f := &fakeRelay{statuses: statuses}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, received{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), body})
		status := f.statuses[min(len(f.got), len(f.statuses))-1]
		delay := f.delay
		f.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeRelay) requests() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.got...)
}

// logBuffer captures what the pusher logs.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newPusher(t *testing.T, url string, logs io.Writer, tweak func(*Options)) *Pusher {
	t.Helper()
	opts := Options{URL: url, Secret: secret, Now: fixedNow, RetryDelay: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if tweak != nil {
		tweak(&opts)
	}
	p, err := NewPusher(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func flush(p *Pusher) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.Close(ctx)
}

// Computed independently in Node: createHmac('sha256', secret).update(context + body).digest('hex').
func TestSignatureMatchesNodeVector(t *testing.T) {
	body := []byte(`{"v":1,"kind":"membership","studio":"s456","user":"u123","role":null,"iat":1700000000}`)
	const want = "9acde44ffb29a9f22a2f9a5d66dc1ff39207c478790e63dcb7e53611e2d96f0c"
	if got := Signature(secret, body); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestBodiesAndSignatureOnTheWire(t *testing.T) {
	relay := newFakeRelay(t)
	p := newPusher(t, relay.URL+Path, io.Discard, nil)
	p.Push(MembershipChanged("s456", "u123", "engineer"))
	p.Push(MembershipRevoked("s456", "u123"))
	p.Push(StudioDeleted("s456"))
	p.Push(MembershipChanged("s456", "u123", "member").WithRec(false))
	p.Push(RecordingPolicyChanged("s456", "engineers"))
	flush(p)

	want := []string{
		`{"v":1,"kind":"membership","studio":"s456","user":"u123","role":"engineer","iat":1700000000}`,
		`{"v":1,"kind":"membership","studio":"s456","user":"u123","role":null,"iat":1700000000}`,
		`{"v":1,"kind":"studio-deleted","studio":"s456","iat":1700000000}`,
		`{"v":1,"kind":"membership","studio":"s456","user":"u123","role":"member","iat":1700000000,"rec":false}`,
		`{"v":1,"kind":"recording-policy","studio":"s456","policy":"engineers","iat":1700000000}`,
	}
	got := relay.requests()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d", len(got), len(want))
	}
	for i, r := range got {
		if string(r.body) != want[i] {
			t.Errorf("body %d: %s\nwant    %s", i, r.body, want[i])
		}
		if r.method != http.MethodPost || r.path != "/control" || r.contentType != "application/json" {
			t.Errorf("request %d: %s %s %s", i, r.method, r.path, r.contentType)
		}
		// An independent computation of the header, from the contract's text.
		h := hmac.New(sha256.New, secret)
		h.Write([]byte("bandmesh-relay-control\n" + want[i]))
		if wantAuth := "Bandmesh-HMAC " + hex.EncodeToString(h.Sum(nil)); r.auth != wantAuth {
			t.Errorf("auth %d: %q, want %q", i, r.auth, wantAuth)
		}
	}
}

func TestRetriesOnceAfterAServerError(t *testing.T) {
	relay := newFakeRelay(t, http.StatusServiceUnavailable, http.StatusNoContent)
	var logs logBuffer
	p := newPusher(t, relay.URL+Path, &logs, nil)
	p.Push(StudioDeleted("s1"))
	flush(p)
	if n := len(relay.requests()); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	if strings.Contains(logs.String(), "failed") {
		t.Fatalf("a push that succeeded on retry was logged as failed: %s", logs.String())
	}
}

func TestGivesUpAfterOneRetryAndLogsWithoutIDs(t *testing.T) {
	relay := newFakeRelay(t, http.StatusInternalServerError)
	var logs logBuffer
	p := newPusher(t, relay.URL+Path, &logs, nil)
	p.Push(MembershipRevoked("studio4567", "user12345"))
	flush(p)
	if n := len(relay.requests()); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	out := logs.String()
	if !strings.Contains(out, "relay control push failed") || !strings.Contains(out, "HTTP 500") {
		t.Fatalf("log: %s", out)
	}
	if strings.Contains(out, "studio4567") || strings.Contains(out, "user12345") {
		t.Fatalf("log names the studio or user: %s", out)
	}
}

func TestDoesNotRetryARefusal(t *testing.T) {
	relay := newFakeRelay(t, http.StatusUnauthorized)
	var logs logBuffer
	p := newPusher(t, relay.URL+Path, &logs, nil)
	p.Push(StudioDeleted("s1"))
	flush(p)
	if n := len(relay.requests()); n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
	if !strings.Contains(logs.String(), "refused the push with HTTP 401") {
		t.Fatalf("log: %s", logs.String())
	}
}

func TestTimesOutEachAttempt(t *testing.T) {
	relay := newFakeRelay(t)
	relay.delay = 5 * time.Second
	var logs logBuffer
	p := newPusher(t, relay.URL+Path, &logs, func(o *Options) { o.Timeout = 100 * time.Millisecond })
	start := time.Now()
	p.Push(StudioDeleted("s1"))
	flush(p)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("two timed-out attempts took %v", elapsed)
	}
	if n := len(relay.requests()); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	if !strings.Contains(logs.String(), "deadline exceeded") {
		t.Fatalf("log: %s", logs.String())
	}
}

func TestPushNeverBlocks(t *testing.T) {
	relay := newFakeRelay(t)
	relay.delay = 5 * time.Second
	var logs logBuffer
	p := newPusher(t, relay.URL+Path, &logs, func(o *Options) { o.QueueSize = 2 })
	start := time.Now()
	for i := 0; i < 50; i++ {
		p.Push(StudioDeleted("s1"))
	}
	if elapsed := time.Since(start); elapsed > 100*time.Millisecond {
		t.Fatalf("50 pushes to a hanging relay took %v", elapsed)
	}
	if !strings.Contains(logs.String(), "queue full") {
		t.Fatalf("overflow not logged: %s", logs.String())
	}
	// Close gives up on the hanging relay when its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	closing := time.Now()
	p.Close(ctx)
	if elapsed := time.Since(closing); elapsed > time.Second {
		t.Fatalf("Close took %v", elapsed)
	}
	p.Push(StudioDeleted("s1")) // after Close: dropped, no panic
	p.Close(context.Background())
}

func TestUnreachableRelay(t *testing.T) {
	relay := newFakeRelay(t)
	url := relay.URL + Path
	relay.Close() // nothing listens there any more: connection refused
	var logs logBuffer
	p := newPusher(t, url, &logs, nil)
	p.Push(StudioDeleted("s1"))
	flush(p)
	if !strings.Contains(logs.String(), "attempts=2") {
		t.Fatalf("log: %s", logs.String())
	}
}

func TestNewPusherNeedsURLAndSecret(t *testing.T) {
	if _, err := NewPusher(Options{Secret: secret}); err == nil {
		t.Fatal("no URL accepted")
	}
	if _, err := NewPusher(Options{URL: "http://127.0.0.1:1/control"}); err == nil {
		t.Fatal("no secret accepted")
	}
}

// The relay spares connections whose ticket is newer than the change, so iat is when the change
// was pushed, never when a (retried) request went out.
func TestIatIsTheChangeTimeEvenOnRetry(t *testing.T) {
	relay := newFakeRelay(t, http.StatusServiceUnavailable, http.StatusNoContent)
	var mu sync.Mutex
	clock := int64(1_700_000_000)
	p := newPusher(t, relay.URL+Path, io.Discard, func(o *Options) {
		o.Now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock += 100
			return time.Unix(clock, 0)
		}
	})
	p.Push(StudioDeleted("s1"))
	flush(p)
	got := relay.requests()
	want := `{"v":1,"kind":"studio-deleted","studio":"s1","iat":1700000100}`
	if len(got) != 2 || string(got[0].body) != want || string(got[1].body) != want {
		t.Fatalf("bodies %q, want twice %s", got, want)
	}
}

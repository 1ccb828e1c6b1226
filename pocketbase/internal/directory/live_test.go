package directory

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"bandmesh/pocketbase/internal/placement"
)

func relayServer(t *testing.T, body string, asked *atomic.Int32) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		if r.URL.Path != "/rooms" || r.Header.Get("Authorization") == "" || r.Header.Get(placement.QueryTimeHeader) == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestPlayingSumsRelaysAndCachesOneRound(t *testing.T) {
	var a, b atomic.Int32
	r1 := relayServer(t, `{"ok":true,"rooms":{"s1":3}}`, &a)
	r2 := relayServer(t, `{"ok":true,"rooms":{"s2":1}}`, &b)
	now := time.Unix(1000, 0)
	live := NewLive(LiveOptions{
		Relays: []placement.Relay{{ID: "r1", BaseURL: r1.URL}, {ID: "r2", BaseURL: r2.URL}},
		Secret: []byte("s"), Now: func() time.Time { return now },
	})
	for range 3 {
		got := live.Playing(context.Background(), []string{"s1", "s2", "s3"})
		if *got["s1"] != 3 || *got["s2"] != 1 || got["s3"] == nil || *got["s3"] != 0 {
			t.Fatalf("got %v", got)
		}
	}
	if a.Load() != 1 || b.Load() != 1 {
		t.Fatalf("each relay should be asked once per TTL, asked %d and %d", a.Load(), b.Load())
	}
	now = now.Add(DefaultLiveTTL)
	live.Playing(context.Background(), []string{"s1"})
	if a.Load() != 2 {
		t.Fatalf("not asked again after the TTL: %d", a.Load())
	}
}

func TestPlayingIsUnknownWhenARelayDoesNotAnswer(t *testing.T) {
	var a, b atomic.Int32
	r1 := relayServer(t, `{"ok":true,"rooms":{"s1":2}}`, &a)
	broken := relayServer(t, `not json`, &b)
	live := NewLive(LiveOptions{
		Relays: []placement.Relay{{ID: "r1", BaseURL: r1.URL}, {ID: "r2", BaseURL: broken.URL}},
		Secret: []byte("s"),
	})
	got := live.Playing(context.Background(), []string{"s1", "s2"})
	if got["s1"] == nil || *got["s1"] != 2 {
		t.Fatalf("a room found on an answering relay is known: %v", got["s1"])
	}
	if got["s2"] != nil {
		t.Fatalf("a room not found while a relay is silent must be unknown, got %d", *got["s2"])
	}
}

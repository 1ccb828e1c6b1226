package relaycontrol

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func newFanout(t *testing.T, logs io.Writer, targets ...Target) *Fanout {
	t.Helper()
	f, err := NewFanout(Options{Secret: secret, Now: fixedNow, RetryDelay: 10 * time.Millisecond,
		Timeout: 500 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil))}, targets)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

func TestFanoutReachesEveryRelayInOrder(t *testing.T) {
	a, b := newFakeRelay(t), newFakeRelay(t)
	f := newFanout(t, io.Discard, Target{"a", a.URL + Path}, Target{"b", b.URL + Path})
	f.Push(MembershipChanged("s1", "u1", "engineer"))
	f.Push(MembershipRevoked("s1", "u1"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f.Close(ctx)
	for name, relay := range map[string]*fakeRelay{"a": a, "b": b} {
		got := relay.requests()
		if len(got) != 2 || !strings.Contains(string(got[0].body), `"role":"engineer"`) ||
			!strings.Contains(string(got[1].body), `"role":null`) {
			t.Fatalf("relay %s got %d requests: %+v", name, len(got), got)
		}
	}
}

func TestFanoutOneRelayDownDelaysNoOther(t *testing.T) {
	down := newFakeRelay(t)
	down.Close()
	slow := newFakeRelay(t)
	slow.delay = 300 * time.Millisecond
	up := newFakeRelay(t)
	var logs logBuffer
	f := newFanout(t, &logs, Target{"down", down.URL + Path}, Target{"slow", slow.URL + Path}, Target{"up", up.URL + Path})
	f.Push(StudioDeleted("s1"))
	// The healthy relay has its push while the slow one is still answering.
	deadline := time.Now().Add(5 * time.Second)
	for len(up.requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the healthy relay never got the push")
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f.Close(ctx)
	if len(slow.requests()) != 1 {
		t.Fatalf("slow relay got %d pushes", len(slow.requests()))
	}
	if !strings.Contains(logs.String(), "relay=down") || strings.Contains(logs.String(), "relay=up") {
		t.Fatalf("logs: %s", logs.String())
	}
}

func TestFanoutNeedsARelay(t *testing.T) {
	if _, err := NewFanout(Options{Secret: secret}, nil); err == nil {
		t.Fatal("accepted no relays")
	}
	if _, err := NewFanout(Options{Secret: secret}, []Target{{"a", ""}}); err == nil {
		t.Fatal("accepted a relay without a URL")
	}
}

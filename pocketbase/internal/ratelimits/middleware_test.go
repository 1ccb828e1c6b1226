package ratelimits

import (
	"errors"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tools/router"
)

func TestNativeWaitReadsTheRuleFromPocketBasesError(t *testing.T) {
	err := router.NewTooManyRequestsError("", errors.New(`triggered rate limit rule: {"label":"*:auth","audience":"","duration":60,"maxRequests":30}`))
	if got := nativeWait(err); got != time.Minute {
		t.Fatalf("nativeWait = %v, want 1m", got)
	}
	for _, raw := range []any{nil, "text", errors.New("something else"), errors.New("triggered rate limit rule: {not json")} {
		if got := nativeWait(router.NewTooManyRequestsError("", raw)); got != 0 {
			t.Errorf("nativeWait(%v) = %v, want 0", raw, got)
		}
	}
}

func TestWaitText(t *testing.T) {
	for seconds, want := range map[int]string{1: "a second", 42: "42 seconds", 89: "89 seconds", 90: "2 minutes", 300: "5 minutes"} {
		if got := waitText(seconds); got != want {
			t.Errorf("waitText(%d) = %q, want %q", seconds, got, want)
		}
	}
}

func TestExcluded(t *testing.T) {
	list := []string{"10.0.0.0/8", "192.0.2.7"}
	for ip, want := range map[string]bool{"10.1.2.3": true, "192.0.2.7": true, "192.0.2.8": false, "": false, "nonsense": false} {
		if got := excluded(list, ip); got != want {
			t.Errorf("excluded(%q) = %v, want %v", ip, got, want)
		}
	}
}

func TestStudioRoutesAreMatchedExactly(t *testing.T) {
	for path, want := range map[string]bool{
		"/api/bandmesh/studios/band/join":    true,
		"/api/bandmesh/studios/band/ticket":  true,
		"/api/bandmesh/studios/band/preview": true,
		"/api/bandmesh/studios/band/join/x":  false,
		"/api/bandmesh/studios/a/b/join":     false,
		"/api/bandmesh/studios/band/members": false,
		"/api/bandmesh/uploads/x":            false,
	} {
		if got := studioRoute.MatchString(path); got != want {
			t.Errorf("%s matched %v, want %v", path, got, want)
		}
	}
}

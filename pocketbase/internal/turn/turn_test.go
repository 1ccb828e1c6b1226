package turn

import (
	"testing"
	"time"
)

func TestCredentialsMatchCoturnScheme(t *testing.T) {
	// Expected value computed independently with Node's crypto.createHmac('sha1', 'north').
	user, cred := Credentials("north", "user1", time.Unix(1_700_003_600, 0))
	if user != "1700003600:user1" || cred != "E1us5CqdMW9Be/PF1OVW8CrlOwA=" {
		t.Fatalf("%q %q", user, cred)
	}
}

func TestIceServers(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	got := IceServers(Options{URLs: []string{"turn:a:3478", "turns:a:5349"}, Secret: "north", TTL: time.Hour}, "user1", now)
	if len(got) != 1 || len(got[0].URLs) != 2 {
		t.Fatalf("%+v", got)
	}
	if got[0].Username != "1700003600:user1" || got[0].Credential != "E1us5CqdMW9Be/PF1OVW8CrlOwA=" {
		t.Fatalf("%+v", got[0])
	}
}

func TestNoTURNMeansNoServers(t *testing.T) {
	got := IceServers(Options{}, "user1", time.Now())
	if got == nil || len(got) != 0 {
		t.Fatalf("want an empty, non-nil list (JSON []), got %#v", got)
	}
}

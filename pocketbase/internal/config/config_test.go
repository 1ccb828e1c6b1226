package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RelayURL != DefaultRelayURL || cfg.RelayOrigin != "ws://127.0.0.1:8091" {
		t.Fatalf("relay: %q %q", cfg.RelayURL, cfg.RelayOrigin)
	}
	if cfg.TURN.Enabled() {
		t.Fatal("TURN must be off by default")
	}
}

func TestRelayOriginDropsPath(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{"BANDMESH_RELAY_URL": "wss://jam.example.org/relay"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RelayOrigin != "wss://jam.example.org" {
		t.Fatalf("origin %q", cfg.RelayOrigin)
	}
}

func TestRejectsHttpRelay(t *testing.T) {
	if _, err := FromEnv(env(map[string]string{"BANDMESH_RELAY_URL": "http://x"})); err == nil {
		t.Fatal("expected an error")
	}
}

func TestTURNNeedsBoth(t *testing.T) {
	_, err := FromEnv(env(map[string]string{"BANDMESH_TURN_URLS": "turn:a:3478"}))
	if err == nil || !strings.Contains(err.Error(), "BANDMESH_TURN_SECRET") {
		t.Fatalf("got %v", err)
	}
	_, err = FromEnv(env(map[string]string{"BANDMESH_TURN_SECRET": "s"}))
	if err == nil || !strings.Contains(err.Error(), "BANDMESH_TURN_URLS") {
		t.Fatalf("got %v", err)
	}
}

func TestTURNParsed(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{
		"BANDMESH_TURN_URLS":        " turn:a:3478?transport=udp , turns:a:5349 ,",
		"BANDMESH_TURN_SECRET":      "s3cret",
		"BANDMESH_TURN_TTL_SECONDS": "120",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.TURN.URLs) != 2 || cfg.TURN.URLs[1] != "turns:a:5349" || cfg.TURN.TTL != 2*time.Minute {
		t.Fatalf("%+v", cfg.TURN)
	}
}

func TestTURNRejectsBadTTL(t *testing.T) {
	_, err := FromEnv(env(map[string]string{
		"BANDMESH_TURN_URLS": "turn:a", "BANDMESH_TURN_SECRET": "s", "BANDMESH_TURN_TTL_SECONDS": "soon",
	}))
	if err == nil {
		t.Fatal("expected an error")
	}
}

func TestRelayControlURLDerived(t *testing.T) {
	cases := map[string]string{
		"":                                   "http://127.0.0.1:8091/control",
		"ws://127.0.0.1:9000/signal":         "http://127.0.0.1:9000/control",
		"wss://jam.example.org/relay/signal": "https://jam.example.org/relay/control",
		"wss://jam.example.org":              "https://jam.example.org/control",
		"ws://[::1]:8091/":                   "http://[::1]:8091/control",
	}
	for relay, want := range cases {
		cfg, err := FromEnv(env(map[string]string{"BANDMESH_RELAY_URL": relay}))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.RelayControlURL != want {
			t.Errorf("relay %q: control %q, want %q", relay, cfg.RelayControlURL, want)
		}
	}
}

func TestRelayControlURLFromEnv(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{
		"BANDMESH_RELAY_URL":         "wss://jam.example.org/signal",
		"BANDMESH_RELAY_CONTROL_URL": " http://10.0.0.5:8091/control ",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RelayControlURL != "http://10.0.0.5:8091/control" {
		t.Fatalf("control %q", cfg.RelayControlURL)
	}
}

func TestRelayControlURLRejected(t *testing.T) {
	for _, raw := range []string{
		"ws://127.0.0.1:8091/control",
		"127.0.0.1:8091/control",
		"ftp://relay/control",
		"http:///control",
		"http://user:pw@relay/control",
		"http://relay/control#x",
	} {
		_, err := FromEnv(env(map[string]string{"BANDMESH_RELAY_CONTROL_URL": raw}))
		if err == nil || !strings.Contains(err.Error(), "BANDMESH_RELAY_CONTROL_URL") {
			t.Errorf("%q: got %v", raw, err)
		}
	}
}

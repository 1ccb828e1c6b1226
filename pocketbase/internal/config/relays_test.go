package config

import (
	"strings"
	"testing"
)

func TestSingleRelayIsRelay1(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{
		"BANDMESH_RELAY_URL":         "wss://jam.example.org/relay/signal",
		"BANDMESH_RELAY_CONTROL_URL": "http://10.0.0.5:8091/control",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Relay{
		ID: DefaultRelayID, WSURL: "wss://jam.example.org/relay/signal", Origin: "wss://jam.example.org",
		BaseURL: "https://jam.example.org/relay", ControlURL: "http://10.0.0.5:8091/control",
	}
	if len(cfg.Relays) != 1 || cfg.Relays[0] != want {
		t.Fatalf("relays %+v", cfg.Relays)
	}
	if cfg.RelayURL != want.WSURL || cfg.RelayControlURL != want.ControlURL || cfg.RelayOrigin != want.Origin {
		t.Fatalf("first relay not mirrored: %+v", cfg)
	}
}

func TestRelaysParsed(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{
		"BANDMESH_RELAYS": " relay-a=ws://127.0.0.1:9001/signal|http://127.0.0.1:9001/ ," +
			"relay-b=wss://r2.example.org/signal|https://10.0.0.2:8443/relay, relay-c=wss://r3.example.org/x/signal,",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []Relay{
		{ID: "relay-a", WSURL: "ws://127.0.0.1:9001/signal", Origin: "ws://127.0.0.1:9001",
			BaseURL: "http://127.0.0.1:9001", ControlURL: "http://127.0.0.1:9001/control"},
		{ID: "relay-b", WSURL: "wss://r2.example.org/signal", Origin: "wss://r2.example.org",
			BaseURL: "https://10.0.0.2:8443/relay", ControlURL: "https://10.0.0.2:8443/relay/control"},
		{ID: "relay-c", WSURL: "wss://r3.example.org/x/signal", Origin: "wss://r3.example.org",
			BaseURL: "https://r3.example.org/x", ControlURL: "https://r3.example.org/x/control"},
	}
	if len(cfg.Relays) != len(want) {
		t.Fatalf("relays %+v", cfg.Relays)
	}
	for i := range want {
		if cfg.Relays[i] != want[i] {
			t.Errorf("relay %d: %+v, want %+v", i, cfg.Relays[i], want[i])
		}
	}
	if cfg.RelayURL != want[0].WSURL {
		t.Fatalf("RelayURL %q", cfg.RelayURL)
	}
}

func TestRelaysRejected(t *testing.T) {
	cases := map[string]string{
		"no equals":       "ws://127.0.0.1:9001/signal",
		"bad id":          "Relay_1=ws://127.0.0.1:9001/signal",
		"empty id":        "=ws://127.0.0.1:9001/signal",
		"http ws url":     "r1=http://127.0.0.1:9001/signal",
		"ws http url":     "r1=ws://127.0.0.1:9001/signal|ws://127.0.0.1:9001",
		"user in http":    "r1=ws://127.0.0.1:9001/signal|http://u:p@127.0.0.1:9001",
		"query in http":   "r1=ws://127.0.0.1:9001/signal|http://127.0.0.1:9001/?x=1",
		"duplicate id":    "r1=ws://127.0.0.1:9001/signal,r1=ws://127.0.0.1:9002/signal",
		"only separators": " , ,",
	}
	for name, list := range cases {
		_, err := FromEnv(env(map[string]string{"BANDMESH_RELAYS": list}))
		if err == nil || !strings.Contains(err.Error(), "BANDMESH_RELAYS") {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestRelaysReportsEveryBadEntry(t *testing.T) {
	_, err := FromEnv(env(map[string]string{"BANDMESH_RELAYS": "x=http://a,ok=ws://b/signal,Y=ws://c"}))
	if err == nil || !strings.Contains(err.Error(), "entry 1") || !strings.Contains(err.Error(), "entry 3") ||
		strings.Contains(err.Error(), "entry 2") {
		t.Fatalf("got %v", err)
	}
}

func TestRelaysAndSingleRelayExcludeEachOther(t *testing.T) {
	for _, single := range []string{"BANDMESH_RELAY_URL", "BANDMESH_RELAY_CONTROL_URL"} {
		_, err := FromEnv(env(map[string]string{
			"BANDMESH_RELAYS": "r1=ws://127.0.0.1:9001/signal",
			single:            "ws://127.0.0.1:9001/signal",
		}))
		if err == nil || !strings.Contains(err.Error(), single) {
			t.Errorf("%s: got %v", single, err)
		}
	}
}

func TestRoomLimit(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil || cfg.RoomLimit != 24 {
		t.Fatalf("default: %d %v", cfg.RoomLimit, err)
	}
	for raw, want := range map[string]int{"1": 1, " 6 ": 6, "64": 64} {
		cfg, err := FromEnv(env(map[string]string{"BANDMESH_ROOM_LIMIT": raw}))
		if err != nil || cfg.RoomLimit != want {
			t.Errorf("%q: %d %v", raw, cfg.RoomLimit, err)
		}
	}
	for _, raw := range []string{"0", "65", "-1", "six", "6.5"} {
		_, err := FromEnv(env(map[string]string{"BANDMESH_ROOM_LIMIT": raw}))
		if err == nil || !strings.Contains(err.Error(), "BANDMESH_ROOM_LIMIT") {
			t.Errorf("%q: got %v", raw, err)
		}
	}
}

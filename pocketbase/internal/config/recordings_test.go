package config

import (
	"strings"
	"testing"
	"time"
)

func TestRecordingsDefaults(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Recordings{Enabled: true, MaxBytes: 2 << 30, StaleAfter: 24 * time.Hour}
	if cfg.Recordings != want {
		t.Fatalf("got %+v, want %+v", cfg.Recordings, want)
	}
}

func TestRecordingsParsed(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{
		"BANDMESH_RECORDINGS":            " OFF ",
		"BANDMESH_RECORDING_MAX_BYTES":   "1048576",
		"BANDMESH_RECORDING_STALE_HOURS": "2",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Recordings{Enabled: false, MaxBytes: 1 << 20, StaleAfter: 2 * time.Hour}
	if cfg.Recordings != want {
		t.Fatalf("got %+v, want %+v", cfg.Recordings, want)
	}
}

func TestRecordingsRefusals(t *testing.T) {
	for name, value := range map[string]string{
		"BANDMESH_RECORDINGS":            "maybe",
		"BANDMESH_RECORDING_MAX_BYTES":   "2GB",
		"BANDMESH_RECORDING_STALE_HOURS": "0",
	} {
		_, err := FromEnv(env(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("%s=%s: got %v", name, value, err)
		}
	}
	for _, small := range []string{"1048575", "-1", "1099511627777"} {
		if _, err := FromEnv(env(map[string]string{"BANDMESH_RECORDING_MAX_BYTES": small})); err == nil {
			t.Fatalf("BANDMESH_RECORDING_MAX_BYTES=%s accepted", small)
		}
	}
}

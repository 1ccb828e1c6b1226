package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeSecret(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bandmesh-turn.secret")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTURNSecretFromFile(t *testing.T) {
	path := writeSecret(t, "  0123456789abcdef0123456789abcdef\n")
	cfg, err := FromEnv(env(map[string]string{
		"BANDMESH_TURN_URLS":        "turn:127.0.0.1:3478?transport=udp",
		"BANDMESH_TURN_SECRET_FILE": path,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.TURN.Enabled() || cfg.TURN.Secret != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("%+v", cfg.TURN)
	}
}

func TestTURNSecretFileProblemsRefuseToStart(t *testing.T) {
	urls := "turn:127.0.0.1:3478"
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"missing file": {
			map[string]string{"BANDMESH_TURN_URLS": urls, "BANDMESH_TURN_SECRET_FILE": filepath.Join(t.TempDir(), "nope")},
			"BANDMESH_TURN_SECRET_FILE",
		},
		"empty file": {
			map[string]string{"BANDMESH_TURN_URLS": urls, "BANDMESH_TURN_SECRET_FILE": writeSecret(t, " \n")},
			"is empty",
		},
		"two words": {
			map[string]string{"BANDMESH_TURN_URLS": urls, "BANDMESH_TURN_SECRET_FILE": writeSecret(t, "one\ntwo")},
			"one word",
		},
		"both sources": {
			map[string]string{
				"BANDMESH_TURN_URLS": urls, "BANDMESH_TURN_SECRET": "s",
				"BANDMESH_TURN_SECRET_FILE": writeSecret(t, "s"),
			},
			"both set",
		},
		"file without URLs": {
			map[string]string{"BANDMESH_TURN_SECRET_FILE": writeSecret(t, "s")},
			"BANDMESH_TURN_URLS is not",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := FromEnv(env(c.env))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error containing %q, got %v", c.want, err)
			}
		})
	}
}

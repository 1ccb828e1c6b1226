package secrets

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGeneratesFileOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", DefaultFileName)

	first, src, err := TicketSecret(Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	if src != SourceGenerated {
		t.Fatalf("source %q", src)
	}
	if b, err := hex.DecodeString(string(first)); err != nil || len(b) != 32 {
		t.Fatalf("want 32 random bytes as hex, got %q", first)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", info.Mode().Perm())
	}

	second, src, err := TicketSecret(Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	if src != SourceFile || string(second) != string(first) {
		t.Fatalf("second read changed the secret: %q %q", src, second)
	}
}

func TestEnvWinsAndIsNotDecoded(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFileName)
	v := strings.Repeat("ab", 16)
	got, src, err := TicketSecret(Options{EnvValue: " " + v + "\n", File: path})
	if err != nil {
		t.Fatal(err)
	}
	if src != SourceEnv || string(got) != v {
		t.Fatalf("%q %q", src, got)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("an env secret must not create the file")
	}
}

func TestRejectsShortSecrets(t *testing.T) {
	if _, _, err := TicketSecret(Options{EnvValue: "short"}); err == nil {
		t.Fatal("short env secret accepted")
	}
	path := filepath.Join(t.TempDir(), DefaultFileName)
	if err := os.WriteFile(path, []byte("tooshort\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := TicketSecret(Options{File: path}); err == nil {
		t.Fatal("short file secret accepted")
	}
}

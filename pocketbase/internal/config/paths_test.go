package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHasMigrations(t *testing.T) {
	dir := t.TempDir()
	if hasMigrations(dir) {
		t.Fatal("empty dir has no migrations")
	}
	if err := os.Mkdir(filepath.Join(dir, "pb_migrations"), 0o755); err != nil {
		t.Fatal(err)
	}
	if !hasMigrations(dir) {
		t.Fatal("pb_migrations not found")
	}
}

// The test binary lives in a build cache dir without pb_migrations: like `go run`, it falls back to
// the working directory (the package dir) — whatever the temp dir, so a checkout under /tmp works.
func TestExeDirFallsBackToWorkingDir(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got := ExeDir(); got != wd {
		t.Fatalf("ExeDir() = %q, want the working dir %q", got, wd)
	}
}

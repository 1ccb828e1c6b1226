package config

import (
	"os"
	"path/filepath"
)

// ExeDir is the directory holding pb_hooks and pb_migrations: the running executable's directory
// (pocketbase/ for the repo build), so they are found whatever --dir or working directory is used.
// When the executable has no pb_migrations beside it (as under `go run`, whose binary lives in a temp
// dir), the working directory is used instead. (PocketBase's own "is this go run?" guess looks at
// whether the binary is under the temp dir, which is also true of a checkout in /tmp.)
func ExeDir() string {
	if dir := executableDir(); hasMigrations(dir) {
		return dir
	}
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return "."
}

func executableDir() string {
	exe, err := os.Executable()
	if err != nil {
		return filepath.Dir(os.Args[0])
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Dir(exe)
}

func hasMigrations(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, "pb_migrations"))
	return err == nil && info.IsDir()
}

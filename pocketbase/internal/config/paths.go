package config

import (
	"os"
	"path/filepath"

	"github.com/pocketbase/pocketbase/tools/osutils"
)

// ExeDir is the directory holding the running executable (pocketbase/ for the repo build), so
// that pb_hooks, pb_migrations and the SPA are found no matter which --dir or working directory
// is used. Under `go run` the binary lives in a temp dir, so the working directory is used instead.
func ExeDir() string {
	if osutils.IsProbablyGoRun() {
		if wd, err := os.Getwd(); err == nil {
			return wd
		}
		return "."
	}
	exe, err := os.Executable()
	if err != nil {
		return filepath.Dir(os.Args[0])
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Dir(exe)
}

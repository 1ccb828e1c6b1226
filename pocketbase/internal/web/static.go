package web

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"time"
)

// IndexFile is the SPA fallback page (adapter-static `fallback: 'index.html'`).
const IndexFile = "index.html"

// StaticOptions configure the SPA handler.
type StaticOptions struct {
	// Dir is the built SPA (BANDMESH_PUBLIC_DIR, default <repo>/build).
	Dir string
	// ConnectOrigins go into the CSP's connect-src (the relay).
	ConnectOrigins []string
}

// Static serves Dir with an index.html fallback for client-side routes. It reads the HTML once at
// construction to hash the inline scripts into the CSP, so a rebuilt SPA needs a restart.
type Static struct {
	fsys    fs.FS
	missing string
	csp     string
	index   []byte
	modTime time.Time
}

// NewStatic prepares the handler. A missing Dir is not an error: the handler then explains how to
// build the app, so `pocketbase serve` works before `npm run build`.
func NewStatic(opts StaticOptions) (*Static, error) {
	s := &Static{}
	info, err := os.Stat(opts.Dir)
	if err != nil || !info.IsDir() {
		s.missing = opts.Dir
		s.csp = BuildCSP(CSPOptions{ConnectOrigins: opts.ConnectOrigins})
		return s, nil
	}
	s.fsys = os.DirFS(opts.Dir)

	hashes, err := htmlScriptHashes(s.fsys)
	if err != nil {
		return nil, fmt.Errorf("scanning %s for inline scripts: %w", opts.Dir, err)
	}
	s.csp = BuildCSP(CSPOptions{ScriptHashes: hashes, ConnectOrigins: opts.ConnectOrigins})

	if b, err := fs.ReadFile(s.fsys, IndexFile); err == nil {
		s.index = b
		if st, err := fs.Stat(s.fsys, IndexFile); err == nil {
			s.modTime = st.ModTime()
		}
	}
	return s, nil
}

// CSP is the policy sent with every static response.
func (s *Static) CSP() string { return s.csp }

// htmlScriptHashes hashes the inline scripts of every page, not only the fallback, so prerendered
// pages work under the same policy.
func htmlScriptHashes(fsys fs.FS) ([]string, error) {
	var all []string
	seen := map[string]bool{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p == "_app" {
			return fs.SkipDir // hashed JS/CSS assets only
		}
		if d.IsDir() || !strings.HasSuffix(p, ".html") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		for _, h := range InlineScriptHashes(b) {
			if !seen[h] {
				seen[h] = true
				all = append(all, h)
			}
		}
		return nil
	})
	return all, err
}

func (s *Static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	setStaticHeaders(h, r, s.csp)

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		return
	}

	if s.fsys == nil {
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "Bandmesh's web app has not been built yet (%s does not exist).\nRun `npm run build` in the repository, then reload this page.\n", s.missing)
		return
	}

	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if f, ok := s.lookup(name); ok {
		defer f.file.Close()
		if strings.HasPrefix(name, "_app/immutable/") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		http.ServeContent(w, r, f.name, f.modTime, f.file)
		return
	}

	// A missing build asset must stay a 404: answering HTML for a JS module would hide a stale
	// deployment behind a MIME-type error.
	if strings.HasPrefix(name, "_app/") || s.index == nil {
		h.Set("Cache-Control", "no-cache")
		http.Error(w, "Not found.", http.StatusNotFound)
		return
	}

	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, IndexFile, s.modTime, bytes.NewReader(s.index))
}

type found struct {
	file    io.ReadSeekCloser
	name    string
	modTime time.Time
}

// lookup resolves name like adapter-static lays pages out: the file, name/index.html, name.html.
func (s *Static) lookup(name string) (found, bool) {
	if name == "" {
		name = "."
	}
	candidates := []string{name, path.Join(name, IndexFile), name + ".html"}
	for _, c := range candidates {
		if !fs.ValidPath(c) {
			continue
		}
		st, err := fs.Stat(s.fsys, c)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		f, err := s.fsys.Open(c)
		if err != nil {
			continue
		}
		rs, ok := f.(io.ReadSeekCloser)
		if !ok {
			f.Close()
			continue
		}
		return found{file: rs, name: path.Base(c), modTime: st.ModTime()}, true
	}
	return found{}, false
}

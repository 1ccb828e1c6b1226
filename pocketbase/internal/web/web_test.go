package web

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const bootstrap = "\n\t\t\t{ __sveltekit_x = {}; import('./_app/start.js'); }\n\t\t"

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func TestInlineScriptHashes(t *testing.T) {
	html := `<head><script src="/a.js"></script><SCRIPT type="module">` + bootstrap + `</SCRIPT>
<script>` + bootstrap + `</script><script>x()</script></head>`
	got := InlineScriptHashes([]byte(html))
	if len(got) != 2 || got[0] != sha(bootstrap) || got[1] != sha("x()") {
		t.Fatalf("%v", got)
	}
}

func TestBuildCSP(t *testing.T) {
	csp := BuildCSP(CSPOptions{ScriptHashes: []string{"'sha256-b'", "'sha256-a'"}, ConnectOrigins: []string{"wss://relay.example"}})
	for _, want := range []string{
		"default-src 'self'",
		"script-src 'self' 'wasm-unsafe-eval' 'sha256-a' 'sha256-b';",
		"connect-src 'self' wss://relay.example;",
		"img-src 'self' data: blob:",
		"style-src 'self' 'unsafe-inline'",
		"worker-src 'self' blob:",
		"media-src 'self' blob:",
		"frame-ancestors 'none'",
		"object-src 'none'",
		"base-uri 'self'",
	} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "'unsafe-eval'") || strings.Contains(csp, "'unsafe-inline' 'sha") ||
		strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
		t.Errorf("CSP too lax: %q", csp)
	}
}

func newSite(t *testing.T) *Static {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.html", "<html><script>"+bootstrap+"</script>SPA</html>")
	write("about.html", "<html>about</html>")
	write("_app/immutable/entry/app.123.js", "export {}")
	write("favicon.png", "png")
	s, err := NewStatic(StaticOptions{Dir: dir, ConnectOrigins: []string{"ws://127.0.0.1:8091"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(h http.Handler, target string, mod func(*http.Request)) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if mod != nil {
		mod(req)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestStaticFallbackAndHeaders(t *testing.T) {
	s := newSite(t)

	rec := get(s, "/some/client/route", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "SPA") {
		t.Fatalf("fallback: %d %q", rec.Code, rec.Body.String())
	}
	h := rec.Header()
	if !strings.Contains(h.Get("Content-Security-Policy"), sha(bootstrap)) {
		t.Errorf("CSP lacks the bootstrap hash: %q", h.Get("Content-Security-Policy"))
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "connect-src 'self' ws://127.0.0.1:8091") {
		t.Errorf("CSP lacks the relay: %q", h.Get("Content-Security-Policy"))
	}
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Cross-Origin-Resource-Policy": "same-origin"} {
		if h.Get(k) != v {
			t.Errorf("%s = %q", k, h.Get(k))
		}
	}
	if h.Get("Cross-Origin-Embedder-Policy") != "" || h.Get("Strict-Transport-Security") != "" {
		t.Errorf("COEP/HSTS where they do not belong: %v", h)
	}
}

func TestStudioPagesAreIsolated(t *testing.T) {
	rec := get(newSite(t), "/s/my-band", nil)
	if rec.Header().Get("Cross-Origin-Opener-Policy") != "same-origin" || rec.Header().Get("Cross-Origin-Embedder-Policy") != "require-corp" {
		t.Fatalf("%v", rec.Header())
	}
	if IsStudioPath("/settings") || !IsStudioPath("/s") {
		t.Fatal("IsStudioPath")
	}
}

func TestAppAssetsCarryCOEPForWorkers(t *testing.T) {
	h := http.Header{}
	setStaticHeaders(h, httptest.NewRequest("GET", "/_app/immutable/workers/audio-net.worker-x.js", nil), "csp")
	if h.Get("Cross-Origin-Embedder-Policy") != "require-corp" || h.Get("Cross-Origin-Opener-Policy") != "" {
		t.Fatalf("worker script headers: %v", h)
	}
	if !IsAppAsset("/_app/x.js") || IsAppAsset("/s/_app") {
		t.Fatal("IsAppAsset")
	}
}

func TestFilesPagesAndCaching(t *testing.T) {
	s := newSite(t)
	if rec := get(s, "/about", nil); !strings.Contains(rec.Body.String(), "about") {
		t.Errorf("prerendered page: %q", rec.Body.String())
	}
	rec := get(s, "/_app/immutable/entry/app.123.js", nil)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("immutable asset: %d %v", rec.Code, rec.Header())
	}
	if rec := get(s, "/favicon.png", nil); strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("mutable file cached forever")
	}
	if rec := get(s, "/_app/immutable/missing.js", nil); rec.Code != 404 {
		t.Errorf("missing asset: %d", rec.Code)
	}
	if rec := get(s, "/../../etc/passwd", nil); strings.Contains(rec.Body.String(), "root:") {
		t.Errorf("path traversal")
	}
}

func TestHSTSOnlyOverHTTPS(t *testing.T) {
	s := newSite(t)
	rec := get(s, "/", func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") })
	if rec.Header().Get("Strict-Transport-Security") != HSTSValue {
		t.Fatalf("%v", rec.Header())
	}
}

func TestMissingBuildExplainsItself(t *testing.T) {
	s, err := NewStatic(StaticOptions{Dir: filepath.Join(t.TempDir(), "nope")})
	if err != nil {
		t.Fatal(err)
	}
	rec := get(s, "/", nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "npm run build") {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Fatal("headers missing on the placeholder page")
	}
}

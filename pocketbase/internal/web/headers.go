package web

import (
	"net/http"
	"strings"
)

// HSTSValue is sent only over HTTPS: over plain HTTP browsers ignore it, and sending it on a
// developer's http://127.0.0.1 would be wrong anyway.
const HSTSValue = "max-age=31536000; includeSubDomains"

// IsHTTPS reports whether the client reached us over TLS, directly or through a proxy that says so.
func IsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	proto := r.Header.Get("X-Forwarded-Proto")
	if i := strings.IndexByte(proto, ','); i >= 0 {
		proto = proto[:i]
	}
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// SetCommonHeaders applies to every response, PocketBase's API and admin UI included.
func SetCommonHeaders(h http.Header, r *http.Request) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if IsHTTPS(r) {
		h.Set("Strict-Transport-Security", HSTSValue)
	}
}

// SetAPIHeaders adds to SetCommonHeaders for /api/ responses.
func SetAPIHeaders(h http.Header) {
	h.Set("Content-Security-Policy", APICSP)
}

// IsStudioPath tells the pages that need cross-origin isolation (SharedArrayBuffer for the audio
// engine's shared-memory meters and ring buffers).
func IsStudioPath(p string) bool {
	return p == "/s" || strings.HasPrefix(p, "/s/")
}

func setStaticHeaders(h http.Header, r *http.Request, csp string) {
	SetCommonHeaders(h, r)
	h.Set("Content-Security-Policy", csp)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if IsStudioPath(r.URL.Path) {
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
	} else if IsAppAsset(r.URL.Path) {
		// A dedicated Worker started by a cross-origin-isolated page must itself be served with COEP,
		// or the browser refuses to run it (the studio's audio Worker lives here). On other
		// responses of this kind the header has no effect.
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
	}
}

// IsAppAsset tells the SPA's bundled files (scripts, workers, worklets, styles).
func IsAppAsset(p string) bool {
	return strings.HasPrefix(p, "/_app/")
}

// Package web serves the built SvelteKit SPA and sets the security headers of every response.
package web

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"sort"
	"strings"
)

// scriptTag matches one <script> element; SvelteKit's SPA fallback bootstraps with exactly such an
// inline block, which a strict CSP only lets run when its hash is listed.
var scriptTag = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script\s*>`)
var srcAttr = regexp.MustCompile(`(?i)\bsrc\s*=`)

// InlineScriptHashes returns the CSP source expressions ('sha256-…') of the inline scripts in html,
// in document order without duplicates. The hash covers the exact bytes between the tags.
func InlineScriptHashes(html []byte) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range scriptTag.FindAllSubmatch(html, -1) {
		if srcAttr.Match(m[1]) {
			continue
		}
		sum := sha256.Sum256(m[2])
		h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

// CSPOptions are the variable parts of the app's Content-Security-Policy.
type CSPOptions struct {
	// ScriptHashes are 'sha256-…' expressions allowed in script-src.
	ScriptHashes []string
	// ConnectOrigins are extra connect-src origins, e.g. the relay's ws(s)://host:port.
	ConnectOrigins []string
}

// BuildCSP returns the policy for the SPA's pages and files. 'unsafe-inline' styles are allowed
// because Svelte transitions write inline style attributes; scripts are never unsafe-inline and
// never eval'd. 'wasm-unsafe-eval' lets WebAssembly compile (the audio Worker's Opus codec is libopus
// in WebAssembly); it allows no JavaScript eval.
func BuildCSP(opts CSPOptions) string {
	hashes := append([]string(nil), opts.ScriptHashes...)
	sort.Strings(hashes)
	directives := []string{
		"default-src 'self'",
		join("script-src", append([]string{"'self'", "'wasm-unsafe-eval'"}, hashes...)),
		join("connect-src", append([]string{"'self'"}, opts.ConnectOrigins...)),
		"img-src 'self' data: blob:",
		"style-src 'self' 'unsafe-inline'",
		"worker-src 'self' blob:",
		"media-src 'self' blob:",
		"frame-ancestors 'none'",
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
	}
	return strings.Join(directives, "; ")
}

// APICSP suits JSON and file responses: nothing in them may load or run anything.
const APICSP = "default-src 'none'; frame-ancestors 'none'; sandbox"

func join(name string, sources []string) string {
	return name + " " + strings.Join(sources, " ")
}

// Package ratelimits turns PocketBase's per-IP rate limits on with Bandmesh's rules (issue 10):
// sign-in, sign-up and the e-mail-sending requests through PocketBase's own limiter, and the
// studio routes (join, ticket, preview) through a small limiter of ours, because PocketBase's
// labels cannot name one route under a path parameter. All rules live in settings.RateLimits,
// so the admin UI shows them; BANDMESH_RATE_LIMITS and BANDMESH_RATE_LIMIT_RULES set them at each start.
package ratelimits

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// Rule is one named rule: Name is what BANDMESH_RATE_LIMIT_RULES calls it, Label what PocketBase does.
type Rule struct {
	Name        string
	Label       string
	MaxRequests int
	Seconds     int64
}

// Labels of the studio routes' rules, checked by Middleware (plain tags: PocketBase never matches them itself).
const (
	LabelJoin    = "bandmesh_join"
	LabelTicket  = "bandmesh_ticket"
	LabelPreview = "bandmesh_preview"
	// LabelEmailInvitations: each request may send up to 10 mails, so its budget is small.
	LabelEmailInvitations = "bandmesh_email_invitations"
)

// Defaults are per client IP. They leave room for a band signing up together behind one NAT and for
// a studio page re-fetching its ticket on every reconnect, while making password guessing, mass
// sign-ups and mail bombing slow. PocketBase's own "*:auth" tag covers password, OAuth2 and OTP sign-in.
func Defaults() []Rule {
	return []Rule{
		{Name: "auth", Label: "*:auth", MaxRequests: 30, Seconds: 60},
		{Name: "signup", Label: "users:create", MaxRequests: 20, Seconds: 60},
		{Name: "password-reset", Label: "*:requestPasswordReset", MaxRequests: 5, Seconds: 300},
		{Name: "verification", Label: "*:requestVerification", MaxRequests: 5, Seconds: 300},
		{Name: "email-change", Label: "*:requestEmailChange", MaxRequests: 5, Seconds: 300},
		{Name: "join", Label: LabelJoin, MaxRequests: 30, Seconds: 60},
		{Name: "ticket", Label: LabelTicket, MaxRequests: 60, Seconds: 60},
		{Name: "preview", Label: LabelPreview, MaxRequests: 120, Seconds: 60},
		{Name: "invitations", Label: "/api/bandmesh/invitations/", MaxRequests: 60, Seconds: 60},
		{Name: "directory", Label: "GET /api/bandmesh/directory", MaxRequests: 120, Seconds: 60},
		{Name: "email-invitations", Label: LabelEmailInvitations, MaxRequests: 10, Seconds: 600},
	}
}

// Config is what the environment asks for.
type Config struct {
	Enabled bool
	Rules   []Rule
	// ProxyHeader is BANDMESH_TRUSTED_PROXY_HEADER: the header a reverse proxy in front of PocketBase
	// puts the client's address in (e.g. X-Forwarded-For), so each player gets their own buckets.
	// Empty leaves Settings → Trusted proxy as it is.
	ProxyHeader string
}

var headerName = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// FromEnv reads BANDMESH_RATE_LIMITS (on|off, default on), BANDMESH_RATE_LIMIT_RULES
// ("join=10/60,auth=20/60": name=requests/seconds, overriding the defaults one by one) and
// BANDMESH_TRUSTED_PROXY_HEADER.
func FromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{Enabled: true, Rules: Defaults()}
	switch v := strings.ToLower(strings.TrimSpace(getenv("BANDMESH_RATE_LIMITS"))); v {
	case "", "on":
	case "off":
		cfg.Enabled = false
	default:
		return cfg, fmt.Errorf("BANDMESH_RATE_LIMITS is %q: use on or off", v)
	}
	cfg.ProxyHeader = strings.TrimSpace(getenv("BANDMESH_TRUSTED_PROXY_HEADER"))
	if cfg.ProxyHeader != "" && !headerName.MatchString(cfg.ProxyHeader) {
		return cfg, fmt.Errorf("BANDMESH_TRUSTED_PROXY_HEADER is %q: give one header name, e.g. X-Forwarded-For", cfg.ProxyHeader)
	}
	raw := strings.TrimSpace(getenv("BANDMESH_RATE_LIMIT_RULES"))
	if raw == "" {
		return cfg, nil
	}
	for _, item := range strings.Split(raw, ",") {
		if err := override(cfg.Rules, strings.TrimSpace(item)); err != nil {
			return cfg, fmt.Errorf("BANDMESH_RATE_LIMIT_RULES: %w", err)
		}
	}
	return cfg, nil
}

func override(rules []Rule, item string) error {
	name, value, ok := strings.Cut(item, "=")
	reqText, secText, ok2 := strings.Cut(value, "/")
	if !ok || !ok2 {
		return fmt.Errorf("%q is not name=requests/seconds (e.g. join=10/60)", item)
	}
	requests, err1 := strconv.Atoi(strings.TrimSpace(reqText))
	seconds, err2 := strconv.ParseInt(strings.TrimSpace(secText), 10, 64)
	if err1 != nil || err2 != nil || requests < 1 || seconds < 1 || seconds > 86400 {
		return fmt.Errorf("%q: requests and seconds must be whole numbers ≥ 1 (seconds at most 86400)", item)
	}
	name = strings.TrimSpace(name)
	for i := range rules {
		if rules[i].Name == name {
			rules[i].MaxRequests, rules[i].Seconds = requests, seconds
			return nil
		}
	}
	return fmt.Errorf("no rule named %q (rules: %s)", name, strings.Join(names(rules), ", "))
}

func names(rules []Rule) []string {
	out := make([]string, 0, len(rules))
	for _, r := range rules {
		out = append(out, r.Name)
	}
	sort.Strings(out)
	return out
}

// Apply writes cfg into the app's settings and saves them. The env is the source of truth: rules
// edited in the admin UI are replaced at the next start; excluded IPs set there are kept.
func Apply(app core.App, cfg Config) error {
	settings := app.Settings()
	rules := make([]core.RateLimitRule, 0, len(cfg.Rules))
	for _, r := range cfg.Rules {
		rules = append(rules, core.RateLimitRule{Label: r.Label, MaxRequests: r.MaxRequests, Duration: r.Seconds})
	}
	settings.RateLimits.Enabled = cfg.Enabled
	settings.RateLimits.Rules = rules
	if cfg.ProxyHeader != "" {
		// The proxy overwrites the header with the one address it saw: read that one, not the leftmost.
		settings.TrustedProxy.Headers = []string{cfg.ProxyHeader}
		settings.TrustedProxy.UseLeftmostIP = false
	}
	return app.Save(settings)
}

package ratelimits

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Register applies cfg to the settings and binds Middleware; call it from OnServe.
func Register(se *core.ServeEvent, cfg Config) error {
	if err := Apply(se.App, cfg); err != nil {
		return fmt.Errorf("rate limits: %w", err)
	}
	se.Router.Bind(Middleware(nil))
	return nil
}

// MiddlewareID names the handler in PocketBase's router.
const MiddlewareID = "bandmeshRateLimits"

// studioRoute matches the studio routes whose limits PocketBase cannot express itself.
var studioRoute = regexp.MustCompile(`^/api/bandmesh/studios/[^/]+/(join|ticket|preview|email-invitations)$`)

var routeLabels = map[string]string{
	http.MethodPost + " join":              LabelJoin,
	http.MethodPost + " ticket":            LabelTicket,
	http.MethodGet + " preview":            LabelPreview,
	http.MethodPost + " email-invitations": LabelEmailInvitations,
}

// Middleware limits the studio routes and rewrites every 429 (PocketBase's too) into a sentence a
// person can act on, with Retry-After. It runs after the auth token is loaded (so superusers and
// the rules' audience are known) and around PocketBase's own limiter (so it sees its errors).
func Middleware(now func() time.Time) *hook.Handler[*core.RequestEvent] {
	l := newLimiter(now)
	return &hook.Handler[*core.RequestEvent]{
		Id:       MiddlewareID,
		Priority: apis.DefaultRateLimitMiddlewarePriority - 1,
		Func: func(e *core.RequestEvent) error {
			if wait, limited := checkStudioRoute(e, l); limited {
				return tooMany(e, wait, "", nil)
			}
			err := e.Next()
			var apiErr *router.ApiError
			if errors.As(err, &apiErr) && apiErr.Status == http.StatusTooManyRequests {
				// PocketBase does not say when its window ends: its length is an upper bound.
				return tooMany(e, nativeWait(apiErr), "up to ", apiErr.RawData())
			}
			return err
		},
	}
}

func checkStudioRoute(e *core.RequestEvent, l *limiter) (time.Duration, bool) {
	m := studioRoute.FindStringSubmatch(e.Request.URL.Path)
	if m == nil {
		return 0, false
	}
	label, ok := routeLabels[e.Request.Method+" "+m[1]]
	settings := e.App.Settings().RateLimits
	if !ok || !settings.Enabled || e.HasSuperuserAuth() || excluded(settings.ExcludedIPs, e.RealIP()) {
		return 0, false
	}
	audience := []string{core.RateLimitRuleAudienceAll, core.RateLimitRuleAudienceGuest}
	if e.Auth != nil {
		audience = []string{core.RateLimitRuleAudienceAll, core.RateLimitRuleAudienceAuth}
	}
	rule, found := settings.FindRateLimitRule([]string{label}, audience...)
	ip := e.RealIP()
	if !found || ip == "" {
		return 0, false
	}
	// The rule's numbers are part of the key, so a rule changed in the admin UI starts afresh.
	key := fmt.Sprintf("%s%s/%d/%d|%s", rule.Label, rule.Audience, rule.MaxRequests, rule.Duration, ip)
	allowed, wait := l.allow(key, rule.MaxRequests, rule.DurationTime())
	return wait, !allowed
}

func excluded(list []string, ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, item := range list {
		if prefix, err := netip.ParsePrefix(item); err == nil && prefix.Contains(addr) {
			return true
		}
		if a, err := netip.ParseAddr(item); err == nil && a == addr {
			return true
		}
	}
	return false
}

// nativeWait reads the rule's window from PocketBase's error ("triggered rate limit rule: {json}");
// the whole window is an upper bound of the wait. Zero when the text is not what we expect.
func nativeWait(apiErr *router.ApiError) time.Duration {
	raw, ok := apiErr.RawData().(error)
	if !ok {
		return 0
	}
	_, jsonText, found := strings.Cut(raw.Error(), "triggered rate limit rule: ")
	var rule core.RateLimitRule
	if !found || json.Unmarshal([]byte(jsonText), &rule) != nil {
		return 0
	}
	return rule.DurationTime()
}

// raw keeps PocketBase's own reason (the rule) for the request log.
func tooMany(e *core.RequestEvent, wait time.Duration, bound string, raw any) error {
	e.Response.Header().Set("Cache-Control", "no-store")
	if wait <= 0 {
		return e.TooManyRequestsError("Too many requests from your network in a short time. Please wait a minute and try again.", raw)
	}
	seconds := int(math.Ceil(wait.Seconds()))
	e.Response.Header().Set("Retry-After", strconv.Itoa(seconds))
	return e.TooManyRequestsError(fmt.Sprintf(
		"Too many requests from your network in a short time. Please wait %s%s and try again.", bound, waitText(seconds)), raw)
}

func waitText(seconds int) string {
	switch {
	case seconds == 1:
		return "a second"
	case seconds < 90:
		return strconv.Itoa(seconds) + " seconds"
	default:
		return strconv.Itoa((seconds+59)/60) + " minutes"
	}
}

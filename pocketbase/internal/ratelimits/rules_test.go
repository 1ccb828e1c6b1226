package ratelimits

import (
	"strings"
	"testing"
)

func env(values map[string]string) func(string) string {
	return func(k string) string { return values[k] }
}

func TestFromEnvDefaultsAreOn(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil || !cfg.Enabled {
		t.Fatalf("want enabled defaults, got %+v %v", cfg, err)
	}
	labels := map[string]bool{}
	for _, r := range cfg.Rules {
		labels[r.Label] = true
	}
	for _, want := range []string{"*:auth", "users:create", "*:requestPasswordReset", "*:requestVerification",
		LabelJoin, LabelTicket, LabelPreview, "/api/bandmesh/invitations/"} {
		if !labels[want] {
			t.Errorf("default rules lack %q", want)
		}
	}
}

func TestFromEnvOffAndOverrides(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{"BANDMESH_RATE_LIMITS": "OFF", "BANDMESH_RATE_LIMIT_RULES": "join=3/10, auth=7/60"}))
	if err != nil || cfg.Enabled {
		t.Fatalf("want disabled, got %+v %v", cfg, err)
	}
	for _, r := range cfg.Rules {
		if r.Name == "join" && (r.MaxRequests != 3 || r.Seconds != 10) {
			t.Errorf("join = %+v", r)
		}
		if r.Name == "auth" && (r.MaxRequests != 7 || r.Seconds != 60) {
			t.Errorf("auth = %+v", r)
		}
	}
	if Defaults()[0].MaxRequests == 7 {
		t.Error("overrides leaked into Defaults")
	}
}

func TestFromEnvRefusesNonsenseWithASentence(t *testing.T) {
	for value, want := range map[string]string{
		"BANDMESH_RATE_LIMITS=maybe":             "use on or off",
		"BANDMESH_RATE_LIMIT_RULES=join":         "name=requests/seconds",
		"BANDMESH_RATE_LIMIT_RULES=join=0/60":    "whole numbers",
		"BANDMESH_RATE_LIMIT_RULES=join=5/-1":    "whole numbers",
		"BANDMESH_RATE_LIMIT_RULES=join=5/1e9":   "whole numbers",
		"BANDMESH_RATE_LIMIT_RULES=logins=5/60":  `no rule named "logins"`,
		"BANDMESH_TRUSTED_PROXY_HEADER=X-A, X-B": "give one header name",
	} {
		k, v, _ := strings.Cut(value, "=")
		_, err := FromEnv(env(map[string]string{k: v}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want error with %q, got %v", value, want, err)
		}
	}
}

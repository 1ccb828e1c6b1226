package logretention

import (
	"strings"
	"testing"
)

func env(values map[string]string) func(string) string {
	return func(k string) string { return values[k] }
}

func TestDefaultsKeepSevenDaysWithIP(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil || cfg.MaxDays != 7 || !cfg.LogIP {
		t.Fatalf("got %+v %v", cfg, err)
	}
}

func TestLongerRetentionOnlyWithoutIP(t *testing.T) {
	if _, err := FromEnv(env(map[string]string{"BANDMESH_LOG_MAX_DAYS": "8"})); err == nil ||
		!strings.Contains(err.Error(), "kept at most 7 days (or set BANDMESH_LOG_IP=off)") {
		t.Fatalf("8 days with IPs: %v", err)
	}
	cfg, err := FromEnv(env(map[string]string{"BANDMESH_LOG_MAX_DAYS": "30", "BANDMESH_LOG_IP": "off"}))
	if err != nil || cfg.MaxDays != 30 || cfg.LogIP {
		t.Fatalf("30 days without IPs: %+v %v", cfg, err)
	}
	cfg, err = FromEnv(env(map[string]string{"BANDMESH_LOG_MAX_DAYS": "0"}))
	if err != nil || cfg.MaxDays != 0 {
		t.Fatalf("0 days: %+v %v", cfg, err)
	}
}

func TestRefusesNonsense(t *testing.T) {
	for k, v := range map[string]string{"BANDMESH_LOG_MAX_DAYS": "-1", "BANDMESH_LOG_IP": "sometimes"} {
		if _, err := FromEnv(env(map[string]string{k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
	if _, err := FromEnv(env(map[string]string{"BANDMESH_LOG_MAX_DAYS": "1000", "BANDMESH_LOG_IP": "off"})); err == nil {
		t.Error("1000 days accepted")
	}
}

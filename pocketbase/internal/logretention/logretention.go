// Package logretention bounds how long PocketBase keeps its request logs (issue 10): a log line
// holds the client's IP address, which is personal data, so such logs live at most MaxDaysWithIP days.
// The bound holds for the environment at start and for edits through the settings API (admin UI).
package logretention

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// MaxDaysWithIP is the longest retention of request logs that record IP addresses.
const MaxDaysWithIP = 7

// maxDaysWithoutIP bounds retention when no IP is logged (the logs still name paths and users).
const maxDaysWithoutIP = 365

// Config is BANDMESH_LOG_MAX_DAYS (default 7; 0 keeps no request logs) and BANDMESH_LOG_IP (on|off).
type Config struct {
	MaxDays int
	LogIP   bool
}

// FromEnv reads and checks the two variables.
func FromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{MaxDays: MaxDaysWithIP, LogIP: true}
	switch v := strings.ToLower(strings.TrimSpace(getenv("BANDMESH_LOG_IP"))); v {
	case "", "on":
	case "off":
		cfg.LogIP = false
	default:
		return cfg, fmt.Errorf("BANDMESH_LOG_IP is %q: use on or off", v)
	}
	if raw := strings.TrimSpace(getenv("BANDMESH_LOG_MAX_DAYS")); raw != "" {
		days, err := strconv.Atoi(raw)
		if err != nil || days < 0 || days > maxDaysWithoutIP {
			return cfg, fmt.Errorf("BANDMESH_LOG_MAX_DAYS is %q: use a whole number of days from 0 to %d", raw, maxDaysWithoutIP)
		}
		cfg.MaxDays = days
	}
	if err := check(cfg.MaxDays, cfg.LogIP); err != nil {
		return cfg, fmt.Errorf("BANDMESH_LOG_MAX_DAYS is %d: %w", cfg.MaxDays, err)
	}
	return cfg, nil
}

func check(days int, logIP bool) error {
	if logIP && days > MaxDaysWithIP {
		return fmt.Errorf("request logs hold IP addresses, so they are kept at most %d days (or set BANDMESH_LOG_IP=off)", MaxDaysWithIP)
	}
	return nil
}

// Register writes cfg into the settings at start and refuses later settings edits that would keep
// IP-bearing logs longer. Call it from OnServe.
func Register(se *core.ServeEvent, cfg Config) error {
	settings := se.App.Settings()
	settings.Logs.MaxDays = cfg.MaxDays
	settings.Logs.LogIP = cfg.LogIP
	if err := se.App.Save(settings); err != nil {
		return fmt.Errorf("log retention: %w", err)
	}
	se.App.OnSettingsUpdateRequest().BindFunc(func(e *core.SettingsUpdateRequestEvent) error {
		logs := e.NewSettings.Logs
		if check(logs.MaxDays, logs.LogIP) != nil {
			return e.BadRequestError(fmt.Sprintf(
				"Request logs record IP addresses, so Bandmesh keeps them at most %d days. Lower \"Max days retention\" to %d or less, or turn off IP logging.",
				MaxDaysWithIP, MaxDaysWithIP), nil)
		}
		return e.Next()
	})
	return nil
}

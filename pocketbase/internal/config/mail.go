package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// Mail is how PocketBase sends mail (verification, password reset, email change) and whether an
// unverified address may create studios and get TURN credentials: the BANDMESH_SMTP_*, BANDMESH_MAIL_*,
// BANDMESH_APP_URL and BANDMESH_REQUIRE_VERIFIED variables.
type Mail struct {
	// SMTPHost is empty when mail is left to PocketBase's own settings (dashboard, or none).
	SMTPHost string
	SMTPPort int
	Username string
	Password string
	// TLS is implicit TLS (usually port 465); without it PocketBase still upgrades with STARTTLS when
	// the server offers it.
	TLS      bool
	From     string
	FromName string
	// AppURL is where the links in mail point (PocketBase's meta.appURL); empty leaves the setting.
	AppURL string
	// RequireVerified keeps unverified users from creating studios and from getting TURN credentials.
	RequireVerified bool
}

func mailFromEnv(getenv func(string) string) (Mail, error) {
	m := Mail{SMTPPort: 587, FromName: "Bandmesh", RequireVerified: true}
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }

	switch raw := strings.ToLower(get("BANDMESH_REQUIRE_VERIFIED")); raw {
	case "", "true", "on", "1":
	case "false", "off", "0":
		m.RequireVerified = false
	default:
		return m, fmt.Errorf("BANDMESH_REQUIRE_VERIFIED=%q must be true or false", raw)
	}
	if raw := get("BANDMESH_APP_URL"); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return m, fmt.Errorf("BANDMESH_APP_URL=%q must be the app's public http(s) address, e.g. https://jam.example.org", raw)
		}
		m.AppURL = strings.TrimRight(raw, "/")
	}

	m.SMTPHost = get("BANDMESH_SMTP_HOST")
	if m.SMTPHost == "" {
		for _, name := range []string{"BANDMESH_SMTP_PORT", "BANDMESH_SMTP_USERNAME", "BANDMESH_SMTP_PASSWORD", "BANDMESH_SMTP_TLS"} {
			if get(name) != "" {
				return m, fmt.Errorf("%s is set but BANDMESH_SMTP_HOST is not: set the SMTP server's host too", name)
			}
		}
	} else {
		if strings.ContainsAny(m.SMTPHost, " /:@") {
			return m, fmt.Errorf("BANDMESH_SMTP_HOST=%q must be a host name or address only (the port goes in BANDMESH_SMTP_PORT)", m.SMTPHost)
		}
		if raw := get("BANDMESH_SMTP_PORT"); raw != "" {
			p, err := strconv.Atoi(raw)
			if err != nil || p < 1 || p > 65535 {
				return m, fmt.Errorf("BANDMESH_SMTP_PORT=%q must be a port number from 1 to 65535", raw)
			}
			m.SMTPPort = p
		}
		switch raw := strings.ToLower(get("BANDMESH_SMTP_TLS")); raw {
		case "", "false", "off", "0":
		case "true", "on", "1":
			m.TLS = true
		default:
			return m, fmt.Errorf("BANDMESH_SMTP_TLS=%q must be true (implicit TLS, usually port 465) or false (STARTTLS when offered)", raw)
		}
		m.Username = get("BANDMESH_SMTP_USERNAME")
		m.Password = getenv("BANDMESH_SMTP_PASSWORD")
		m.From = get("BANDMESH_MAIL_FROM")
		if m.From == "" {
			return m, fmt.Errorf("BANDMESH_SMTP_HOST is set but BANDMESH_MAIL_FROM is not: name the sender address your SMTP server accepts, e.g. jam@example.org")
		}
	}
	if raw := get("BANDMESH_MAIL_FROM"); raw != "" {
		// A dot in the domain, as PocketBase's own settings check demands (it refuses user@localhost).
		if a, err := mail.ParseAddress(raw); err != nil || a.Address != raw || !strings.Contains(raw[strings.LastIndex(raw, "@")+1:], ".") {
			return m, fmt.Errorf("BANDMESH_MAIL_FROM=%q must be a bare address with a dotted domain, e.g. jam@example.org (the name goes in BANDMESH_MAIL_FROM_NAME)", raw)
		}
		m.From = raw
	}
	if raw := get("BANDMESH_MAIL_FROM_NAME"); raw != "" {
		if len(raw) > 255 || strings.ContainsAny(raw, "\r\n") {
			return m, fmt.Errorf("BANDMESH_MAIL_FROM_NAME must be one line of at most 255 characters")
		}
		m.FromName = raw
	}
	return m, nil
}

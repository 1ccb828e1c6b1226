// Package mail applies Bandmesh's mail environment (BANDMESH_SMTP_*, BANDMESH_MAIL_*, BANDMESH_APP_URL) to
// PocketBase's settings at start, and keeps users whose address is not verified from creating studios
// when BANDMESH_REQUIRE_VERIFIED is on (the ticket route withholds TURN from them: internal/studioapi).
package mail

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"

	"bandmesh/pocketbase/internal/config"
)

// ApplySettings writes the configured SMTP server, sender and app URL into PocketBase's settings and
// saves them when anything changed. The environment wins over the dashboard for what it sets: a
// restart with new variables is how an operator changes them. What the environment leaves unset stays
// as the dashboard has it.
func ApplySettings(app core.App, m config.Mail) error {
	s := app.Settings()
	meta, smtp := s.Meta, s.SMTP
	if m.AppURL != "" {
		s.Meta.AppURL = m.AppURL
	}
	if m.SMTPHost != "" {
		s.SMTP.Enabled = true
		s.SMTP.Host = m.SMTPHost
		s.SMTP.Port = m.SMTPPort
		s.SMTP.Username = m.Username
		s.SMTP.Password = m.Password
		s.SMTP.TLS = m.TLS
		s.Meta.SenderAddress = m.From
		s.Meta.SenderName = m.FromName
	}
	if s.Meta == meta && s.SMTP == smtp {
		return nil
	}
	if err := app.Save(s); err != nil {
		return fmt.Errorf("PocketBase refused the mail settings from BANDMESH_SMTP_*, BANDMESH_MAIL_* and BANDMESH_APP_URL: %w", err)
	}
	return nil
}

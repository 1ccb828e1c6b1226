package mail

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/jsvm"

	// The system migrations (_collections, users, …), as the pocketbase package imports them.
	_ "github.com/pocketbase/pocketbase/migrations"

	"bandmesh/pocketbase/internal/config"
)

// newApp is a real PocketBase app with the committed migrations and hooks on a temp data dir.
func newApp(t *testing.T) core.App {
	t.Helper()
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir()})
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	jsvm.MustRegister(app, jsvm.Config{
		MigrationsDir: filepath.Join(root, "pb_migrations"),
		HooksDir:      filepath.Join(root, "pb_hooks"),
		HooksPoolSize: 1,
	})
	if err := app.Bootstrap(); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if err := app.RunAllMigrations(); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	t.Cleanup(func() { _ = app.ResetBootstrapState() })
	return app
}

func TestApplySettingsWritesTheEnvironmentAndSavesIt(t *testing.T) {
	app := newApp(t)
	err := ApplySettings(app, config.Mail{SMTPHost: "127.0.0.1", SMTPPort: 2525, Username: "u", Password: "p",
		From: "jam@example.org", FromName: "Our Jam", AppURL: "https://jam.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	// Saved, not only in memory: a reload from the database sees the same values.
	if err := app.ReloadSettings(); err != nil {
		t.Fatal(err)
	}
	s := app.Settings()
	if !s.SMTP.Enabled || s.SMTP.Host != "127.0.0.1" || s.SMTP.Port != 2525 || s.SMTP.Username != "u" || s.SMTP.Password != "p" {
		t.Fatalf("smtp = %+v", s.SMTP)
	}
	if s.Meta.AppURL != "https://jam.example.org" || s.Meta.SenderAddress != "jam@example.org" || s.Meta.SenderName != "Our Jam" {
		t.Fatalf("meta = %+v", s.Meta)
	}
}

func TestApplySettingsLeavesWhatTheEnvironmentDoesNotSet(t *testing.T) {
	app := newApp(t)
	s := app.Settings()
	s.SMTP.Enabled, s.SMTP.Host, s.SMTP.Port = true, "dashboard.example.org", 25
	s.Meta.SenderAddress = "dash@example.org"
	if err := app.Save(s); err != nil {
		t.Fatal(err)
	}
	if err := ApplySettings(app, config.Mail{SMTPPort: 587, FromName: "Bandmesh", RequireVerified: true}); err != nil {
		t.Fatal(err)
	}
	if got := app.Settings(); got.SMTP.Host != "dashboard.example.org" || got.Meta.SenderAddress != "dash@example.org" {
		t.Fatalf("the dashboard's settings changed: %+v %+v", got.SMTP, got.Meta)
	}
}

func TestTemplatesLinkToTheAppPages(t *testing.T) {
	app := newApp(t)
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	for path, tpl := range map[string]core.EmailTemplate{
		"/auth/verify?token={TOKEN}":       users.VerificationTemplate,
		"/auth/reset?token={TOKEN}":        users.ResetPasswordTemplate,
		"/auth/email-change?token={TOKEN}": users.ConfirmEmailChangeTemplate,
	} {
		if !strings.Contains(tpl.Body, "{APP_URL}"+path) || strings.Contains(tpl.Body, "/_/") {
			t.Errorf("template for %s: %q", path, tpl.Body)
		}
	}
	if app.Settings().Meta.AppName != "Bandmesh" {
		t.Errorf("appName = %q", app.Settings().Meta.AppName)
	}
}

func TestMayUseStudios(t *testing.T) {
	app := newApp(t)
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	u := core.NewRecord(users)
	if MayUseStudios(true, u) {
		t.Error("an unverified user may use studios with the rule on")
	}
	if !MayUseStudios(false, u) {
		t.Error("the rule off still refuses")
	}
	u.SetVerified(true)
	if !MayUseStudios(true, u) {
		t.Error("a verified user is refused")
	}
	supers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		t.Fatal(err)
	}
	if !MayUseStudios(true, core.NewRecord(supers)) {
		t.Error("a superuser is refused")
	}
}

package config

import (
	"strings"
	"testing"
)

func TestMailDefaults(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Mail{SMTPPort: 587, FromName: "Bandmesh", RequireVerified: true}
	if cfg.Mail != want {
		t.Fatalf("got %+v, want %+v", cfg.Mail, want)
	}
}

func TestMailParsed(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{
		"BANDMESH_SMTP_HOST":        "smtp.example.org",
		"BANDMESH_SMTP_PORT":        "465",
		"BANDMESH_SMTP_USERNAME":    "jam",
		"BANDMESH_SMTP_PASSWORD":    " secret with spaces ",
		"BANDMESH_SMTP_TLS":         "true",
		"BANDMESH_MAIL_FROM":        "jam@example.org",
		"BANDMESH_MAIL_FROM_NAME":   "Our Jam",
		"BANDMESH_APP_URL":          "https://jam.example.org/",
		"BANDMESH_REQUIRE_VERIFIED": "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Mail{SMTPHost: "smtp.example.org", SMTPPort: 465, Username: "jam", Password: " secret with spaces ", TLS: true,
		From: "jam@example.org", FromName: "Our Jam", AppURL: "https://jam.example.org", RequireVerified: false}
	if cfg.Mail != want {
		t.Fatalf("got %+v, want %+v", cfg.Mail, want)
	}
}

func TestMailRefusals(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"BANDMESH_REQUIRE_VERIFIED": "maybe"}, "BANDMESH_REQUIRE_VERIFIED"},
		{map[string]string{"BANDMESH_APP_URL": "jam.example.org"}, "BANDMESH_APP_URL"},
		{map[string]string{"BANDMESH_APP_URL": "https://user:pw@jam.example.org"}, "BANDMESH_APP_URL"},
		{map[string]string{"BANDMESH_SMTP_PORT": "25"}, "BANDMESH_SMTP_HOST is not"},
		{map[string]string{"BANDMESH_SMTP_HOST": "smtp.example.org"}, "BANDMESH_MAIL_FROM is not"},
		{map[string]string{"BANDMESH_SMTP_HOST": "smtp.example.org:25", "BANDMESH_MAIL_FROM": "a@b.org"}, "BANDMESH_SMTP_PORT"},
		{map[string]string{"BANDMESH_SMTP_HOST": "h", "BANDMESH_SMTP_PORT": "0", "BANDMESH_MAIL_FROM": "a@b.org"}, "BANDMESH_SMTP_PORT"},
		{map[string]string{"BANDMESH_SMTP_HOST": "h", "BANDMESH_SMTP_TLS": "yes please", "BANDMESH_MAIL_FROM": "a@b.org"}, "BANDMESH_SMTP_TLS"},
		{map[string]string{"BANDMESH_SMTP_HOST": "h", "BANDMESH_MAIL_FROM": "Jam <a@b.org>"}, "bare address"},
		{map[string]string{"BANDMESH_SMTP_HOST": "h", "BANDMESH_MAIL_FROM": "jam@localhost"}, "dotted domain"},
		{map[string]string{"BANDMESH_MAIL_FROM_NAME": "a\nBcc: x@y.org"}, "one line"},
	}
	for _, c := range cases {
		_, err := FromEnv(env(c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error naming %q", c.env, err, c.want)
		}
	}
}

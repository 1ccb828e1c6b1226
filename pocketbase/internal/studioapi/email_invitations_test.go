package studioapi

import (
	"strings"
	"testing"
	"time"
)

func TestNormalizeEmails(t *testing.T) {
	got, msg := normalizeEmails([]string{" Ada@Example.org ", "ada@example.org", "bo@example.org"})
	if msg != "" || strings.Join(got, ",") != "ada@example.org,bo@example.org" {
		t.Fatalf("got %v %q", got, msg)
	}
	for _, bad := range [][]string{
		{}, {"a@b.org\r\nBcc: x@y.org"}, {"Name <a@b.org>"}, {"a@b"}, {"@b.org"}, {strings.Repeat("a", 250) + "@b.org"},
		strings.Split(strings.Repeat("a@b.org,", 11), ",")[:11],
	} {
		if got, msg := normalizeEmails(bad); msg == "" {
			t.Errorf("%q accepted as %v", bad, got)
		}
	}
}

func TestInviteMailKeepsNamesOutOfHeadersAndMarkup(t *testing.T) {
	m := renderInviteMail("Band\r\nBcc: x@y.org", "<b>Eve</b>", RoleMember, "https://jam.example/invite?token=T&x=1",
		time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC))
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject %q", m.Subject)
	}
	if strings.Contains(m.HTML, "<b>Eve") || !strings.Contains(m.HTML, "&lt;b&gt;Eve") {
		t.Errorf("html %q", m.HTML)
	}
	if !strings.Contains(m.Text, "https://jam.example/invite?token=T&x=1") || !strings.Contains(m.Text, "2 January 2030") {
		t.Errorf("text %q", m.Text)
	}
}

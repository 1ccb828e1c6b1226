package studioapi

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// The invitation mail's words, all in one place so a translation replaces this file's strings only.
// Studio and inviter names are the users' own text: they are HTML-escaped in the HTML part and
// stripped of control characters everywhere (a name cannot add a header or a line to the subject).

// inviteMail is one rendered invitation.
type inviteMail struct {
	Subject, Text, HTML string
}

func renderInviteMail(studioName, inviterName, role, link string, expires time.Time) inviteMail {
	studio, inviter := oneLine(studioName), oneLine(inviterName)
	if inviter == "" {
		inviter = "A member"
	}
	as := "a member"
	if role == RoleEngineer {
		as = "an engineer (you can set everyone's monitor mix)"
	}
	until := expires.UTC().Format("2 January 2006, 15:04 UTC")
	text := fmt.Sprintf("%s invites you to play in the studio \"%s\" on Bandmesh, as %s.\n\n"+
		"Open this link to accept:\n%s\n\n"+
		"The invitation works once, for this email address only, until %s. "+
		"If you have no Bandmesh account yet, create one with this address and confirm it when we ask.\n\n"+
		"If you did not expect this, ignore this mail: nothing happens unless you accept.\n",
		inviter, studio, as, link, until)
	body := fmt.Sprintf("<p>%s invites you to play in the studio <strong>%s</strong> on Bandmesh, as %s.</p>"+
		"<p><a href=\"%s\">Accept the invitation</a></p>"+
		"<p>The invitation works once, for this email address only, until %s. "+
		"If you have no Bandmesh account yet, create one with this address and confirm it when we ask.</p>"+
		"<p>If you did not expect this, ignore this mail: nothing happens unless you accept.</p>",
		html.EscapeString(inviter), html.EscapeString(studio), html.EscapeString(as), html.EscapeString(link),
		html.EscapeString(until))
	return inviteMail{Subject: fmt.Sprintf("%s invites you to %s on Bandmesh", inviter, studio), Text: text, HTML: body}
}

// oneLine drops control characters (CR and LF among them) and trims.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s))
}

package studioapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Invitations by email (issue 10): each address gets its own single-use invitation bound to it, and
// the link travels only in the mail (the inviter never sees the token). Accepting needs a signed-in
// user whose verified address is that one (acceptInvitation). The answer is the same whether or not
// an address has an account, so inviting cannot probe who uses Bandmesh.
const (
	// MaxEmailsPerRequest bounds one request; MaxOpenEmailInvitations a studio's pending mails.
	MaxEmailsPerRequest     = 10
	MaxOpenEmailInvitations = 50
	EmailInvitationHours    = 24 * 7
	maxEmailLength          = 254

	CodeInvalidEmail         = "invalid-email"
	CodeMailUnavailable      = "mail-unavailable"
	CodeMailFailed           = "mail-failed"
	CodeInvitationOtherEmail = "invitation-other-email"
	CodeInvitationUnverified = "invitation-unverified"
)

// emailPattern is the shape PocketBase's email field accepts (HTML's), checked here first so a bad
// address gets a sentence instead of a failed save.
var emailPattern = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_` + "`" + `{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)

// errRollback undoes a transaction whose refusal was decided inside it.
var errRollback = errors.New("rolled back")

// EmailInvitationRequest is the body of POST /api/bandmesh/studios/{slug}/email-invitations.
type EmailInvitationRequest struct {
	Emails []string `json:"emails"`
	Role   string   `json:"role"`
}

// EmailInvitationsResponse lists the invitations created (without tokens: those are in the mails).
type EmailInvitationsResponse struct {
	Invitations []InvitationResponse `json:"invitations"`
}

// normalizeEmails validates and lower-cases the addresses, dropping repeats; the message says which
// address is wrong (quoted, so a CR or LF shows as \r or \n).
func normalizeEmails(raw []string) ([]string, string) {
	if len(raw) == 0 {
		return nil, "Enter at least one email address."
	}
	if len(raw) > MaxEmailsPerRequest {
		return nil, fmt.Sprintf("Invite at most %d addresses at once.", MaxEmailsPerRequest)
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		s := strings.ToLower(strings.TrimSpace(r))
		parsed, err := mail.ParseAddress(s)
		if len(s) > maxEmailLength || !emailPattern.MatchString(s) || err != nil || parsed.Address != s {
			return nil, fmt.Sprintf("%q is not an email address: check it for typos.", truncate(r, 80))
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// inviteRefusal says why a member with role may not invite someone as invited, or "".
func inviteRefusal(role, invited string) string {
	switch {
	case role == RoleMember:
		return "Only the studio's owner and its engineers can invite people."
	case role == RoleEngineer && invited != RoleMember:
		return "Engineers can invite members; only the owner can invite engineers."
	}
	return ""
}

func (a *api) createEmailInvitations(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	studio, m, err := a.visibleStudio(e, user)
	if err != nil || studio == nil {
		return err
	}
	if m == nil {
		return fail(e, http.StatusForbidden, CodeNotMember, "Only members of this studio can invite people to it.")
	}
	var body EmailInvitationRequest
	if err := e.BindBody(&body); err != nil {
		return fail(e, http.StatusBadRequest, CodeInvalidInvitation, "The invitation could not be read: send emails (a list of addresses) and role.")
	}
	if body.Role != RoleEngineer && body.Role != RoleMember {
		return fail(e, http.StatusBadRequest, CodeInvalidInvitation, "An invitation makes someone an engineer or a member.")
	}
	if msg := inviteRefusal(m.GetString("role"), body.Role); msg != "" {
		return fail(e, http.StatusForbidden, CodeCannotInvite, msg)
	}
	emails, msg := normalizeEmails(body.Emails)
	if msg != "" {
		return fail(e, http.StatusBadRequest, CodeInvalidEmail, msg)
	}
	settings := e.App.Settings()
	if !settings.SMTP.Enabled || settings.Meta.SenderAddress == "" {
		return fail(e, http.StatusServiceUnavailable, CodeMailUnavailable,
			"This server does not send mail, so it cannot invite by email: create an invitation link instead.")
	}

	now := a.opts.Now().UTC()
	expires := now.Add(EmailInvitationHours * time.Hour)
	tokens := map[string]string{}
	created := make([]*core.Record, 0, len(emails))
	tooMany := false
	// Replacing an address's open invitation, counting and inserting in one transaction: one open
	// invitation per address, and concurrent requests cannot pass the studio's cap together.
	txErr := e.App.RunInTransaction(func(tx core.App) error {
		nowText := types.NowDateTime().String()
		for _, addr := range emails {
			if _, err := tx.DB().NewQuery("UPDATE invitations SET revoked = TRUE WHERE studio = {:studio} AND email = {:email} AND revoked = FALSE").
				Bind(dbx.Params{"studio": studio.Id, "email": addr}).Execute(); err != nil {
				return err
			}
		}
		open, err := tx.CountRecords(invitationsCollection, dbx.NewExp(
			"studio = {:studio} AND email != '' AND revoked = FALSE AND expires > {:now} AND uses < maxUses",
			dbx.Params{"studio": studio.Id, "now": nowText}))
		if err != nil {
			return err
		}
		if int(open)+len(emails) > MaxOpenEmailInvitations {
			tooMany = true
			return errRollback
		}
		col, err := tx.FindCachedCollectionByNameOrId(invitationsCollection)
		if err != nil {
			return err
		}
		exp, err := types.ParseDateTime(expires)
		if err != nil {
			return err
		}
		for _, addr := range emails {
			token, hash, err := newToken()
			if err != nil {
				return err
			}
			inv := core.NewRecord(col)
			inv.Set("studio", studio.Id)
			inv.Set("role", body.Role)
			inv.Set("tokenHash", hash)
			inv.Set("expires", exp)
			inv.Set("maxUses", 1)
			inv.Set("uses", 0)
			inv.Set("createdBy", user.Id)
			inv.Set("email", addr)
			if err := tx.Save(inv); err != nil {
				return err
			}
			tokens[inv.Id] = token
			created = append(created, inv)
		}
		return nil
	})
	if tooMany {
		return fail(e, http.StatusTooManyRequests, CodeTooManyInvitations, fmt.Sprintf(
			"This studio can have at most %d invitations waiting in people's mail: revoke some first.", MaxOpenEmailInvitations))
	}
	if txErr != nil {
		return internal(e, txErr)
	}

	// Sent after the commit, one mail per address (no Cc: invitees do not see each other). A mail
	// the server refused revokes its invitation, so the list never shows one nobody received.
	appURL := strings.TrimRight(settings.Meta.AppURL, "/")
	from := mail.Address{Name: settings.Meta.SenderName, Address: settings.Meta.SenderAddress}
	client := e.App.NewMailClient()
	out := make([]InvitationResponse, 0, len(created))
	var failed []string
	for _, inv := range created {
		addr := inv.GetString("email")
		text := renderInviteMail(studio.GetString("name"), user.GetString("name"), inv.GetString("role"),
			appURL+"/invite?token="+tokens[inv.Id], expires)
		err := client.Send(&mailer.Message{From: from, To: []mail.Address{{Address: addr}},
			Subject: text.Subject, Text: text.Text, HTML: text.HTML})
		if err != nil {
			e.App.Logger().Warn("invitation mail not sent", "invitation", inv.Id, "error", err)
			failed = append(failed, addr)
			inv.Set("revoked", true)
			if err := e.App.Save(inv); err != nil {
				return internal(e, err)
			}
			continue
		}
		out = append(out, toResponse(inv, ""))
	}
	if len(failed) > 0 {
		return fail(e, http.StatusBadGateway, CodeMailFailed, fmt.Sprintf(
			"The mail server did not take the invitation to %s, so it was withdrawn; %d other(s) were sent. Try again later.",
			strings.Join(failed, ", "), len(out)))
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusCreated, EmailInvitationsResponse{Invitations: out})
}

// emailMismatch says why user may not accept an invitation bound to an address, or "".
func emailMismatch(inv, user *core.Record) (code, message string) {
	bound := inv.GetString("email")
	if bound == "" {
		return "", ""
	}
	if !strings.EqualFold(user.Email(), bound) {
		return CodeInvitationOtherEmail, "This invitation was sent to another email address. Log in with the account that uses the address it was sent to, or ask whoever sent it to invite yours."
	}
	if !user.Verified() {
		return CodeInvitationUnverified, "Confirm your email address first: open the link in the mail we sent you when you signed up (the banner at the top can send it again), then accept."
	}
	return "", ""
}

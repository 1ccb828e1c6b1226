package studioapi

import (
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Invitation links (issue 10). The token is 32 bytes from crypto/rand (unpadded base64url, 43
// characters) and is returned once, at creation; only its SHA-256 is stored, so a leaked database
// or a curious superuser cannot use a link. Acceptance checks and counts in one transaction, so a
// single-use link admits one person however many accept it at once.
const (
	invitationsCollection = "invitations"

	RoleEngineer = "engineer"

	// MaxInvitationUses and MaxInvitationHours bound what a link may grant (and the schema agrees).
	MaxInvitationUses  = 100
	MaxInvitationHours = 24 * 30
	// MaxOpenInvitations per studio: more are refused, so a studio's list stays reviewable.
	MaxOpenInvitations = 50

	CodeInvalidInvitation  = "invalid-invitation"
	CodeInvitationNotFound = "invitation-not-found"
	CodeInvitationExpired  = "invitation-expired"
	CodeInvitationUsedUp   = "invitation-used-up"
	CodeInvitationRevoked  = "invitation-revoked"
	CodeCannotInvite       = "cannot-invite"
	CodeTooManyInvitations = "too-many-invitations"
)

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// NewInvitationRequest is the body of POST /api/bandmesh/studios/{slug}/invitations.
type NewInvitationRequest struct {
	Role           string `json:"role"`
	MaxUses        int    `json:"maxUses"`
	ExpiresInHours int    `json:"expiresInHours"`
}

// InvitationResponse describes an invitation; Token only in the answer that created it.
type InvitationResponse struct {
	ID       string `json:"id"`
	Token    string `json:"token,omitempty"`
	Role     string `json:"role"`
	MaxUses  int    `json:"maxUses"`
	Uses     int    `json:"uses"`
	Expires  string `json:"expires"`
	Revoked  bool   `json:"revoked"`
	StudioID string `json:"studio"`
	// Email is the address an invitation by mail is bound to (empty for links).
	Email string `json:"email,omitempty"`
}

// InvitationPreview is what a token's holder sees before accepting.
type InvitationPreview struct {
	StudioName string `json:"studioName"`
	Role       string `json:"role"`
	InvitedBy  string `json:"invitedBy"`
	IsMember   bool   `json:"isMember"`
	// Email is the address the invitation was mailed to: only that verified account may accept.
	Email string `json:"email,omitempty"`
}

type tokenBody struct {
	Token string `json:"token"`
}

func newToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func toResponse(inv *core.Record, token string) InvitationResponse {
	return InvitationResponse{
		ID: inv.Id, Token: token, Role: inv.GetString("role"), MaxUses: inv.GetInt("maxUses"),
		Uses: inv.GetInt("uses"), Expires: inv.GetDateTime("expires").String(), Revoked: inv.GetBool("revoked"),
		StudioID: inv.GetString("studio"), Email: inv.GetString("email"),
	}
}

func (a *api) createInvitation(e *core.RequestEvent) error {
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
	var body NewInvitationRequest
	if err := e.BindBody(&body); err != nil {
		return fail(e, http.StatusBadRequest, CodeInvalidInvitation, "The invitation could not be read: send role, maxUses and expiresInHours.")
	}
	if body.Role != RoleEngineer && body.Role != RoleMember {
		return fail(e, http.StatusBadRequest, CodeInvalidInvitation, "An invitation makes someone an engineer or a member.")
	}
	if body.MaxUses < 1 || body.MaxUses > MaxInvitationUses {
		return fail(e, http.StatusBadRequest, CodeInvalidInvitation,
			fmt.Sprintf("A link can be used from 1 to %d times.", MaxInvitationUses))
	}
	if body.ExpiresInHours < 1 || body.ExpiresInHours > MaxInvitationHours {
		return fail(e, http.StatusBadRequest, CodeInvalidInvitation,
			fmt.Sprintf("A link can stay valid from 1 hour to %d days.", MaxInvitationHours/24))
	}
	// The owner invites engineers and members; an engineer invites members (only the owner decides
	// who is an engineer); a member invites nobody.
	switch role := m.GetString("role"); {
	case role == RoleMember:
		return fail(e, http.StatusForbidden, CodeCannotInvite, "Only the studio's owner and its engineers can invite people.")
	case role == RoleEngineer && body.Role != RoleMember:
		return fail(e, http.StatusForbidden, CodeCannotInvite, "Engineers can invite members; only the owner can invite engineers.")
	}

	now := a.opts.Now().UTC()
	token, hash, err := newToken()
	if err != nil {
		return internal(e, err)
	}
	expires, err := types.ParseDateTime(now.Add(time.Duration(body.ExpiresInHours) * time.Hour))
	if err != nil {
		return internal(e, err)
	}
	var inv *core.Record
	tooMany := false
	// Counting and inserting in one transaction: concurrent creates cannot pass the limit together.
	txErr := e.App.RunInTransaction(func(tx core.App) error {
		open, err := tx.CountRecords(invitationsCollection, dbx.NewExp(
			"studio = {:studio} AND email = '' AND revoked = FALSE AND expires > {:now} AND uses < maxUses",
			dbx.Params{"studio": studio.Id, "now": types.NowDateTime().String()}))
		if err != nil {
			return err
		}
		if open >= MaxOpenInvitations {
			tooMany = true
			return nil
		}
		col, err := tx.FindCachedCollectionByNameOrId(invitationsCollection)
		if err != nil {
			return err
		}
		inv = core.NewRecord(col)
		inv.Set("studio", studio.Id)
		inv.Set("role", body.Role)
		inv.Set("tokenHash", hash)
		inv.Set("expires", expires)
		inv.Set("maxUses", body.MaxUses)
		inv.Set("uses", 0)
		inv.Set("createdBy", user.Id)
		return tx.Save(inv)
	})
	if txErr != nil {
		return internal(e, txErr)
	}
	if tooMany {
		return fail(e, http.StatusTooManyRequests, CodeTooManyInvitations,
			fmt.Sprintf("This studio already has %d open invitation links: revoke some first.", MaxOpenInvitations))
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusCreated, toResponse(inv, token))
}

// findInvitation resolves a token to its invitation and studio, or writes the refusal and returns
// nil. Forged, malformed and unknown tokens get one answer.
func (a *api) findInvitation(e *core.RequestEvent, app core.App, token string) (*core.Record, *core.Record, error) {
	if !tokenPattern.MatchString(token) {
		return nil, nil, invitationNotFound(e)
	}
	inv, err := app.FindFirstRecordByData(invitationsCollection, "tokenHash", hashToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, invitationNotFound(e)
	} else if err != nil {
		return nil, nil, internal(e, err)
	}
	studio, err := app.FindRecordById(studiosCollection, inv.GetString("studio"))
	if err != nil {
		return nil, nil, internal(e, err)
	}
	return inv, studio, nil
}

// unusable says why an invitation can no longer admit anyone, or "" when it can.
func (a *api) unusable(inv *core.Record) (code, message string) {
	switch {
	case inv.GetBool("revoked"):
		return CodeInvitationRevoked, "This invitation link was withdrawn. Ask whoever sent it for a new one."
	case !inv.GetDateTime("expires").Time().After(a.opts.Now()):
		return CodeInvitationExpired, "This invitation link has expired. Ask whoever sent it for a new one."
	case inv.GetInt("uses") >= inv.GetInt("maxUses"):
		return CodeInvitationUsedUp, "This invitation link has been used as often as it allows. Ask whoever sent it for a new one."
	}
	return "", ""
}

func invitationNotFound(e *core.RequestEvent) error {
	return fail(e, http.StatusNotFound, CodeInvitationNotFound,
		"This invitation link is not valid. Check that you copied all of it, or ask whoever sent it for a new one.")
}

func (a *api) readToken(e *core.RequestEvent) (string, bool) {
	var body tokenBody
	if err := e.BindBody(&body); err != nil {
		return "", false
	}
	return body.Token, true
}

func (a *api) previewInvitation(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	token, ok := a.readToken(e)
	if !ok {
		return invitationNotFound(e)
	}
	inv, studio, err := a.findInvitation(e, e.App, token)
	if err != nil || inv == nil {
		return err
	}
	m, err := findMembership(e.App, studio.Id, user.Id)
	if err != nil {
		return internal(e, err)
	}
	if code, message := a.unusable(inv); code != "" && m == nil {
		return fail(e, http.StatusGone, code, message)
	}
	invitedBy := ""
	if creator, err := e.App.FindRecordById(usersCollection, inv.GetString("createdBy")); err == nil {
		invitedBy = creator.GetString("name")
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, InvitationPreview{
		StudioName: studio.GetString("name"), Role: inv.GetString("role"), InvitedBy: invitedBy, IsMember: m != nil,
		Email: inv.GetString("email"),
	})
}

func (a *api) acceptInvitation(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	token, ok := a.readToken(e)
	if !ok {
		return invitationNotFound(e)
	}
	var studio, m *core.Record
	joined := false
	// refused is set when a response was already written inside the transaction.
	refused := false
	txErr := e.App.RunInTransaction(func(tx core.App) error {
		inv, s, err := a.findInvitation(e, tx, token)
		if err != nil || inv == nil {
			refused = true
			return err
		}
		studio = s
		if m, err = findMembership(tx, s.Id, user.Id); err != nil {
			return err
		}
		// Already a member: nothing to do, and the link keeps its uses (accepting twice is harmless).
		if m != nil {
			return nil
		}
		if code, message := a.unusable(inv); code != "" {
			refused = true
			return fail(e, http.StatusGone, code, message)
		}
		if code, message := emailMismatch(inv, user); code != "" {
			refused = true
			return fail(e, http.StatusForbidden, code, message)
		}
		col, err := tx.FindCachedCollectionByNameOrId(membershipsCollection)
		if err != nil {
			return err
		}
		m = core.NewRecord(col)
		m.Set("studio", s.Id)
		m.Set("user", user.Id)
		m.Set("role", inv.GetString("role"))
		if err := tx.Save(m); err != nil {
			return err
		}
		inv.Set("uses", inv.GetInt("uses")+1)
		joined = true
		return tx.Save(inv)
	})
	if refused {
		return txErr
	}
	if txErr != nil {
		return internal(e, txErr)
	}
	p, err := buildPreview(e.App, studio, m)
	if err != nil {
		return internal(e, err)
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, JoinResponse{Preview: p, Joined: joined})
}

// revokeInvitation withdraws a link: the studio's owner may revoke any, an engineer their own.
// Anyone else gets the answer of an id that does not exist.
func (a *api) revokeInvitation(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	inv, err := e.App.FindRecordById(invitationsCollection, e.Request.PathValue("id"))
	if errors.Is(err, sql.ErrNoRows) {
		return invitationNotFound(e)
	} else if err != nil {
		return internal(e, err)
	}
	studio, err := e.App.FindRecordById(studiosCollection, inv.GetString("studio"))
	if err != nil {
		return internal(e, err)
	}
	if studio.GetString("owner") != user.Id && inv.GetString("createdBy") != user.Id {
		return invitationNotFound(e)
	}
	inv.Set("revoked", true)
	if err := e.App.Save(inv); err != nil {
		return internal(e, err)
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, toResponse(inv, ""))
}

package studioapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"bandmesh/pocketbase/internal/mail"
	"bandmesh/pocketbase/internal/placement"
	"bandmesh/pocketbase/internal/tickets"
	"bandmesh/pocketbase/internal/turn"
)

// Options are the routes' dependencies, created by main's composition root.
type Options struct {
	TicketSecret []byte
	// Placer picks the relay of each studio's room (one relay: always that one, no requests).
	Placer Placer
	// RoomLimit is BANDMESH_ROOM_LIMIT; a ticket's maxPlayers is min(studio.maxPlayers, RoomLimit).
	RoomLimit int
	TURN      turn.Options
	// RequireVerified withholds TURN credentials from users whose address is not verified
	// (BANDMESH_REQUIRE_VERIFIED); the ticket then says why in TurnWithheld.
	RequireVerified bool
	// Now is injectable for tests; nil means time.Now.
	Now func() time.Time
}

// Placer is *placement.Placer; an interface so route tests can place without relays.
type Placer interface {
	Place(ctx context.Context, studioID string) (placement.Decision, error)
	Single() bool
}

// placementTimeout bounds the whole placement of one ticket, lock wait included.
const placementTimeout = 3 * time.Second

type api struct{ opts Options }

// Register mounts the routes on r.
func Register(r *router.Router[*core.RequestEvent], opts Options) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &api{opts: opts}
	g := r.Group("/api/bandmesh/studios/{slug}")
	g.POST("/ticket", a.ticket)
	g.GET("/preview", a.preview)
	g.POST("/join", a.join)
	g.POST("/invitations", a.createInvitation)
	g.POST("/email-invitations", a.createEmailInvitations)
	inv := r.Group("/api/bandmesh/invitations")
	inv.POST("/preview", a.previewInvitation)
	inv.POST("/accept", a.acceptInvitation)
	inv.POST("/{id}/revoke", a.revokeInvitation)
}

// TicketResponse is TicketResponse in src/lib/protocol/ticket.ts.
type TicketResponse struct {
	Ticket     string           `json:"ticket"`
	RelayURL   string           `json:"relayUrl"`
	IceServers []turn.IceServer `json:"iceServers"`
	ExpiresAt  int64            `json:"expiresAt"`
	Role       string           `json:"role"`
	StudioID   string           `json:"studioId"`
	MaxPlayers int              `json:"maxPlayers"`
	// Rec is the ticket's rec claim: may this member record (at mint time).
	Rec bool `json:"rec"`
	// TurnWithheld says why IceServers is empty although TURN is configured (absent otherwise).
	TurnWithheld *Error `json:"turnWithheld,omitempty"`
}

func (a *api) ticket(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	studio, err := findStudio(e.App, e.Request.PathValue("slug"))
	if err != nil {
		return internal(e, err)
	}
	if studio == nil {
		return notFound(e)
	}
	m, err := findMembership(e.App, studio.Id, user.Id)
	if err != nil {
		return internal(e, err)
	}
	if m == nil && !isOpen(studio) {
		return notFound(e)
	}
	if m == nil {
		return fail(e, http.StatusForbidden, CodeNotMember, "You are not a member of this studio yet: join it first.")
	}

	ctx, cancel := context.WithTimeout(e.Request.Context(), placementTimeout)
	defer cancel()
	placed, err := a.opts.Placer.Place(ctx, studio.Id)
	if errors.Is(err, placement.ErrNoRelay) || errors.Is(err, context.DeadlineExceeded) {
		return noRelay(e, err)
	} else if err != nil {
		return internal(e, err)
	}
	// One relay: no claim, so the relay accepts the ticket whatever its BANDMESH_RELAY_ID.
	relayClaim := ""
	if !a.opts.Placer.Single() {
		relayClaim = placed.Relay.ID
	}

	now := a.opts.Now()
	name, instrument := profileOf(user)
	claims, err := tickets.NewClaims(tickets.Params{
		UserID: user.Id, StudioID: studio.Id, Slug: studio.GetString("slug"), Role: m.GetString("role"),
		StudioMaxPlayers: studio.GetInt("maxPlayers"), RoomLimit: a.opts.RoomLimit, Relay: relayClaim,
		Name: name, Instrument: instrument, RecordingAllowed: studio.GetString("recordingAllowed"), Now: now,
	})
	if err != nil {
		return internal(e, err)
	}
	token, err := tickets.Sign(a.opts.TicketSecret, claims)
	if err != nil {
		return internal(e, err)
	}
	// An unverified account still plays over direct links, but TURN (a relay of anyone's packets,
	// paid for by the host) needs an address someone answered mail at.
	iceServers, withheld := []turn.IceServer{}, (*Error)(nil)
	if mail.MayUseStudios(a.opts.RequireVerified, user) {
		iceServers = turn.IceServers(a.opts.TURN, user.Id, now)
	} else if len(a.opts.TURN.URLs) > 0 {
		withheld = &Error{Code: mail.CodeEmailNotVerified, Message: "Verify your email address to connect through this server's TURN relay: " +
			"until then, players behind strict firewalls may not hear you. Open the link we sent you."}
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, TicketResponse{
		Ticket:       token,
		RelayURL:     placed.Relay.WSURL,
		IceServers:   iceServers,
		ExpiresAt:    claims.Exp,
		Role:         claims.Role,
		StudioID:     studio.Id,
		MaxPlayers:   claims.MaxPlayers,
		Rec:          claims.Rec,
		TurnWithheld: withheld,
	})
}

// Preview is what someone holding a studio link may see before joining.
type Preview struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Slug        string  `json:"slug"`
	Visibility  string  `json:"visibility"`
	Description string  `json:"description"`
	IsMember    bool    `json:"isMember"`
	Role        *string `json:"role"`
	MemberCount int64   `json:"memberCount"`
}

// JoinResponse is the preview after joining, and whether this request created the membership.
type JoinResponse struct {
	Preview
	Joined bool `json:"joined"`
}

func (a *api) preview(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	studio, m, err := a.visibleStudio(e, user)
	if err != nil || studio == nil {
		return err
	}
	p, err := buildPreview(e.App, studio, m)
	if err != nil {
		return internal(e, err)
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, p)
}

func (a *api) join(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	studio, m, err := a.visibleStudio(e, user)
	if err != nil || studio == nil {
		return err
	}

	joined := false
	if m == nil {
		m, joined, err = addMember(e.App, studio, user)
		if err != nil {
			return internal(e, err)
		}
	}
	p, err := buildPreview(e.App, studio, m)
	if err != nil {
		return internal(e, err)
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, JoinResponse{Preview: p, Joined: joined})
}

// visibleStudio resolves the slug for a user who may see it (a member, or anyone when the studio
// is unlisted/public); a private studio is not found for anyone else. On any other outcome it has
// already written the response and returns nil.
func (a *api) visibleStudio(e *core.RequestEvent, user *core.Record) (*core.Record, *core.Record, error) {
	studio, err := findStudio(e.App, e.Request.PathValue("slug"))
	if err != nil {
		return nil, nil, internal(e, err)
	}
	if studio == nil {
		return nil, nil, notFound(e)
	}
	m, err := findMembership(e.App, studio.Id, user.Id)
	if err != nil {
		return nil, nil, internal(e, err)
	}
	if m == nil && !isOpen(studio) {
		return nil, nil, notFound(e)
	}
	return studio, m, nil
}

// addMember creates a 'member' membership. Two concurrent joins race on the (studio,user) unique
// index; the loser finds the winner's row, so joining stays idempotent.
func addMember(app core.App, studio, user *core.Record) (*core.Record, bool, error) {
	col, err := app.FindCachedCollectionByNameOrId(membershipsCollection)
	if err != nil {
		return nil, false, err
	}
	rec := core.NewRecord(col)
	rec.Set("studio", studio.Id)
	rec.Set("user", user.Id)
	rec.Set("role", RoleMember)
	saveErr := app.Save(rec)
	if saveErr == nil {
		return rec, true, nil
	}
	existing, err := findMembership(app, studio.Id, user.Id)
	if err != nil || existing == nil {
		return nil, false, saveErr
	}
	return existing, false, nil
}

func buildPreview(app core.App, studio, m *core.Record) (Preview, error) {
	count, err := app.CountRecords(membershipsCollection, dbx.HashExp{"studio": studio.Id})
	if err != nil {
		return Preview{}, err
	}
	p := Preview{
		ID:          studio.Id,
		Name:        studio.GetString("name"),
		Slug:        studio.GetString("slug"),
		Visibility:  studio.GetString("visibility"),
		Description: studio.GetString("description"),
		IsMember:    m != nil,
		MemberCount: count,
	}
	if m != nil {
		role := m.GetString("role")
		p.Role = &role
	}
	return p, nil
}

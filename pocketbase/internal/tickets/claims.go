package tickets

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
	"unicode/utf16"
)

// MaxProfileText is MAX_PROFILE_TEXT in src/lib/protocol/attested.ts: the longest name or
// instrument a ticket carries, in UTF-16 code units (JavaScript's string length), because that is
// what the relay and the browsers measure.
const MaxProfileText = 80

// MaxJTILength is the relay's MAX_JTI_LENGTH: it accepts any non-empty jti up to this length (the
// jti only has to be unique). NewJTI makes 22 characters.
const MaxJTILength = 64

// Roles a ticket may carry: StudioRole in src/lib/protocol/ticket.ts.
var roles = map[string]bool{"owner": true, "engineer": true, "member": true}

// Params is what the ticket route knows when it mints a ticket.
type Params struct {
	UserID, StudioID, Slug, Role string
	// StudioMaxPlayers is the studio's own maxPlayers field and RoomLimit the server's
	// (BANDMESH_ROOM_LIMIT; 0 means RoomMaxPlayers); the claim is ClampMaxPlayers of both.
	StudioMaxPlayers, RoomLimit int
	// Relay is the id of the relay the room is placed on; "" leaves the claim out.
	Relay string
	// Name and Instrument come from the user's profile; both are clipped to MaxProfileText.
	Name, Instrument string
	// RecordingAllowed is the studio's recordingAllowed field; the rec claim is MayRecord of it and Role.
	RecordingAllowed string
	Now              time.Time
}

// NewClaims fills every claim, with a fresh random jti and the validity window starting at Now.
func NewClaims(p Params) (Claims, error) {
	jti, err := NewJTI()
	if err != nil {
		return Claims{}, err
	}
	iat := p.Now.Unix()
	return Claims{
		V: Version, Aud: Audience, Sub: p.UserID, Studio: p.StudioID, Slug: p.Slug, Role: p.Role,
		JTI: jti, Name: ClipProfileText(p.Name), Instrument: ClipProfileText(p.Instrument),
		MaxPlayers: ClampMaxPlayers(p.StudioMaxPlayers, p.RoomLimit), Relay: p.Relay,
		Rec: MayRecord(p.RecordingAllowed, p.Role),
		Iat: iat, Exp: iat + int64(TTL/time.Second),
	}, nil
}

// The studio setting "recording allowed" (RecordingPolicy in src/lib/protocol/ticket.ts).
const (
	RecordingEveryone  = "everyone"
	RecordingEngineers = "engineers"
	RecordingNobody    = "nobody"
)

// MayRecord is recordingAllowedFor in src/lib/protocol/ticket.ts: "engineers" means the owner and
// the engineers, "nobody" nobody, and "everyone" (or an empty or unknown value: the field's
// default) every member.
func MayRecord(policy, role string) bool {
	switch policy {
	case RecordingNobody:
		return false
	case RecordingEngineers:
		return role == "owner" || role == "engineer"
	}
	return roles[role]
}

// NewJTI returns 128 bits from crypto/rand as unpadded base64url: unique per ticket, so the relay
// can hold one live connection per ticket.
func NewJTI() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("no randomness for a ticket id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// ClampMaxPlayers turns a studio's maxPlayers field into the ticket claim: min(n, roomLimit), where
// a roomLimit outside [1, RoomPlayersCap] means RoomMaxPlayers, and a missing or nonsensical n
// (below 1) means the room limit.
func ClampMaxPlayers(n, roomLimit int) int {
	if roomLimit < 1 || roomLimit > RoomPlayersCap {
		roomLimit = RoomMaxPlayers
	}
	if n < 1 || n > roomLimit {
		return roomLimit
	}
	return n
}

// ClipProfileText shortens s to at most MaxProfileText UTF-16 code units without splitting a
// character: PocketBase limits fields in runes, and 80 runes outside the BMP are 160 units, which
// the relay would refuse.
func ClipProfileText(s string) string {
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > MaxProfileText {
			return s[:i]
		}
	}
	return s
}

func profileTextLen(s string) int {
	units := 0
	for _, r := range s {
		units += utf16.RuneLen(r)
	}
	return units
}

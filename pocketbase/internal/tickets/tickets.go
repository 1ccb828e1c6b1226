// Package tickets mints the room tickets the relay verifies offline: compact JWTs signed with
// HS256, claims as TicketClaims in src/lib/protocol/ticket.ts.
package tickets

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

const (
	Audience = "bandmesh-relay"
	// Version 2 added jti, name and instrument; the relay accepts version 2 only.
	Version = 2
	// TTL is how long a ticket opens a studio topic. The protocol caps it at MaxTTL.
	TTL    = 300 * time.Second
	MaxTTL = 600 * time.Second
	// RoomMaxPlayers is ROOM_MAX_PLAYERS in src/lib/protocol/ticket.ts: the default room limit
	// (BANDMESH_ROOM_LIMIT), the most players one room holds.
	RoomMaxPlayers = 24
	// RoomPlayersCap is ROOM_PLAYERS_CAP: the largest maxPlayers claim and the largest room limit
	// either server accepts. Keep both equal to ticket.ts; the relay refuses larger claims.
	RoomPlayersCap = 64
	// MaxRelayIDLength bounds the relay claim, like the relay's BANDMESH_RELAY_ID rule.
	MaxRelayIDLength = 32
)

// Claims mirror TicketClaims; the field order is the wire order.
type Claims struct {
	V      int    `json:"v"`
	Aud    string `json:"aud"`
	Sub    string `json:"sub"`
	Studio string `json:"studio"`
	Slug   string `json:"slug"`
	Role   string `json:"role"`
	// JTI is unique per ticket (NewJTI): one ticket holds one live connection at the relay.
	JTI string `json:"jti"`
	// Name and Instrument are the user's display name and first instrument, at most MaxProfileText
	// UTF-16 code units each, "" when the profile has none.
	Name       string `json:"name"`
	Instrument string `json:"instrument"`
	// MaxPlayers is how many connections the relay admits to the studio's topic, 1..RoomPlayersCap.
	MaxPlayers int `json:"maxPlayers"`
	// Relay is the id of the relay the room is pinned to (several relays); "" leaves the claim
	// out and any relay accepts the ticket (one relay).
	Relay string `json:"relay,omitempty"`
	// Rec says whether this participant may record (MayRecord of the studio's recordingAllowed and
	// the member's role, at mint time). Omitted when false: the relay reads an absent claim as false,
	// and tickets that may not record stay byte-for-byte what they were before the claim existed.
	Rec bool  `json:"rec,omitempty"`
	Iat int64 `json:"iat"`
	Exp int64 `json:"exp"`
}

// header is fixed: the relay accepts HS256 only, so nothing else is ever produced.
var header = b64([]byte(`{"alg":"HS256","typ":"JWT"}`))

// Sign returns the compact JWT for claims.
func Sign(secret []byte, c Claims) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("empty ticket secret")
	}
	if err := checkClaims(c); err != nil {
		return "", err
	}
	// Encoded like JSON.stringify (no HTML escaping of <, > and &), so a ticket computed in Node
	// for the same claims is byte-for-byte the same.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return "", err
	}
	payload := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	signingInput := header + "." + b64(payload)
	return signingInput + "." + b64(mac(secret, signingInput)), nil
}

// Verify checks signature, header, audience, version (2 only), role, jti, profile text lengths,
// lifetime, player limit and expiry. PocketBase never needs it at runtime; it documents what the
// relay must do and backs the tests. A ticket without the maxPlayers claim gets RoomMaxPlayers
// (the claim is optional in TicketClaims; the relay then uses its own room limit).
func Verify(secret []byte, token string, now time.Time) (Claims, error) {
	var c Claims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, errors.New("not a compact JWT")
	}
	if parts[0] != header {
		return c, errors.New("unexpected header")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return c, errors.New("bad signature encoding")
	}
	if subtle.ConstantTimeCompare(sig, mac(secret, parts[0]+"."+parts[1])) != 1 {
		return c, errors.New("bad signature")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, errors.New("bad payload encoding")
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return c, fmt.Errorf("bad payload: %w", err)
	}
	var limit struct {
		MaxPlayers *int `json:"maxPlayers"`
	}
	if err := json.Unmarshal(payload, &limit); err != nil {
		return c, fmt.Errorf("bad payload: %w", err)
	}
	if c.V != Version || c.Aud != Audience {
		return c, errors.New("wrong version or audience")
	}
	if limit.MaxPlayers == nil {
		c.MaxPlayers = RoomMaxPlayers
	}
	if err := checkClaims(c); err != nil {
		return c, err
	}
	if now.Unix() >= c.Exp {
		return c, errors.New("expired")
	}
	return c, nil
}

// checkClaims holds the rules both Sign and Verify apply to the claims themselves.
func checkClaims(c Claims) error {
	switch {
	case c.Sub == "" || c.Studio == "":
		return errors.New("ticket without a user or a studio")
	case !roles[c.Role]:
		return fmt.Errorf("ticket role %q is not owner, engineer or member", c.Role)
	case c.JTI == "" || profileTextLen(c.JTI) > MaxJTILength:
		return fmt.Errorf("ticket jti is missing or longer than %d characters", MaxJTILength)
	case profileTextLen(c.Name) > MaxProfileText || profileTextLen(c.Instrument) > MaxProfileText:
		return fmt.Errorf("ticket name or instrument is longer than %d characters", MaxProfileText)
	case c.Exp <= c.Iat || time.Duration(c.Exp-c.Iat)*time.Second > MaxTTL:
		return fmt.Errorf("ticket lifetime %ds is outside (0, %ds]", c.Exp-c.Iat, int64(MaxTTL/time.Second))
	case c.MaxPlayers < 1 || c.MaxPlayers > RoomPlayersCap:
		return fmt.Errorf("ticket maxPlayers %d is outside [1, %d]", c.MaxPlayers, RoomPlayersCap)
	case !validRelayID(c.Relay):
		return fmt.Errorf("ticket relay %q is not a relay id (1–%d of a–z, 0–9 and '-')", c.Relay, MaxRelayIDLength)
	}
	return nil
}

func mac(secret []byte, signingInput string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(signingInput))
	return h.Sum(nil)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// validRelayID accepts "" (no claim) and the relay's BANDMESH_RELAY_ID shape.
func validRelayID(id string) bool {
	if id == "" {
		return true
	}
	if len(id) > MaxRelayIDLength || id[0] == '-' {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

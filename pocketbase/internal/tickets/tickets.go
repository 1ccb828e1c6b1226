// Package tickets mints the room tickets the relay verifies offline: compact JWTs signed with
// HS256, claims as TicketClaims in src/lib/protocol/ticket.ts.
package tickets

import (
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
	Version  = 1
	// TTL is how long a ticket opens a studio topic. The protocol caps it at MaxTTL.
	TTL    = 300 * time.Second
	MaxTTL = 600 * time.Second
	// MeshMaxPlayers is MESH_MAX_PLAYERS in src/lib/protocol/ticket.ts: the most players one
	// studio's full mesh carries. Keep the two equal; the relay refuses larger maxPlayers claims.
	MeshMaxPlayers = 6
)

// Claims mirror TicketClaims; the field order is the wire order.
type Claims struct {
	V      int    `json:"v"`
	Aud    string `json:"aud"`
	Sub    string `json:"sub"`
	Studio string `json:"studio"`
	Slug   string `json:"slug"`
	Role   string `json:"role"`
	// MaxPlayers is how many connections the relay admits to the studio's topic, 1..MeshMaxPlayers.
	MaxPlayers int   `json:"maxPlayers"`
	Iat        int64 `json:"iat"`
	Exp        int64 `json:"exp"`
}

// NewClaims fills the fixed fields, the player limit (studioMaxPlayers clamped by ClampMaxPlayers)
// and the validity window starting at now.
func NewClaims(userID, studioID, slug, role string, studioMaxPlayers int, now time.Time) Claims {
	iat := now.Unix()
	return Claims{
		V: Version, Aud: Audience, Sub: userID, Studio: studioID, Slug: slug, Role: role,
		MaxPlayers: ClampMaxPlayers(studioMaxPlayers),
		Iat:        iat, Exp: iat + int64(TTL/time.Second),
	}
}

// ClampMaxPlayers turns a studio's maxPlayers field into the ticket claim: min(n, MeshMaxPlayers).
// A missing or nonsensical value (below 1) means the mesh limit.
func ClampMaxPlayers(n int) int {
	if n < 1 || n > MeshMaxPlayers {
		return MeshMaxPlayers
	}
	return n
}

// header is fixed: the relay accepts HS256 only, so nothing else is ever produced.
var header = b64([]byte(`{"alg":"HS256","typ":"JWT"}`))

// Sign returns the compact JWT for claims.
func Sign(secret []byte, c Claims) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("empty ticket secret")
	}
	if c.Exp <= c.Iat || time.Duration(c.Exp-c.Iat)*time.Second > MaxTTL {
		return "", fmt.Errorf("ticket lifetime %ds is outside (0, %ds]", c.Exp-c.Iat, int64(MaxTTL/time.Second))
	}
	if c.MaxPlayers < 1 || c.MaxPlayers > MeshMaxPlayers {
		return "", fmt.Errorf("ticket maxPlayers %d is outside [1, %d]", c.MaxPlayers, MeshMaxPlayers)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signingInput := header + "." + b64(payload)
	return signingInput + "." + b64(mac(secret, signingInput)), nil
}

// Verify checks signature, header, audience, version, player limit and expiry. PocketBase never
// needs it at runtime; it documents what the relay must do and backs the tests. A ticket without
// the maxPlayers claim (minted before it existed) gets MeshMaxPlayers.
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
	switch {
	case limit.MaxPlayers == nil:
		c.MaxPlayers = MeshMaxPlayers
	case *limit.MaxPlayers < 1 || *limit.MaxPlayers > MeshMaxPlayers:
		return c, errors.New("maxPlayers out of range")
	}
	if now.Unix() >= c.Exp {
		return c, errors.New("expired")
	}
	return c, nil
}

func mac(secret []byte, signingInput string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(signingInput))
	return h.Sum(nil)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

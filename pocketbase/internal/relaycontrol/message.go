// Package relaycontrol pushes membership changes and studio deletions from PocketBase to the relay,
// so a live room learns within seconds that someone was removed, changed role or that the studio
// is gone (RelayControl in src/lib/protocol/relay-control.ts is the contract; ADR 0008).
package relaycontrol

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// The wire constants of src/lib/protocol/relay-control.ts; keep them equal.
const (
	Path       = "/control"
	Version    = 1
	Context    = "bandmesh-relay-control\n"
	AuthScheme = "Bandmesh-HMAC"
	MaxBytes   = 4096
)

const (
	KindMembership      = "membership"
	KindStudioDeleted   = "studio-deleted"
	KindRecordingPolicy = "recording-policy"
)

// Message is one change to push. Role is nil when the user is no longer a member. At is when the
// change was committed (Pusher.Push stamps it when zero) and becomes the body's iat: the relay
// leaves alone connections whose ticket is newer than the change, so the iat must be the change's
// time, not the (possibly retried) send's.
type Message struct {
	Kind   string
	Studio string
	User   string
	Role   *string
	// Rec (membership only) says whether the user may record with Role; nil leaves it out.
	Rec *bool
	// Policy is the studio's recordingAllowed (recording-policy only).
	Policy string
	At     time.Time
}

// MembershipChanged says user now has role in studio.
func MembershipChanged(studio, user, role string) Message {
	return Message{Kind: KindMembership, Studio: studio, User: user, Role: &role}
}

// MembershipRevoked says user is no longer a member of studio (role: null on the wire).
func MembershipRevoked(studio, user string) Message {
	return Message{Kind: KindMembership, Studio: studio, User: user}
}

// WithRec adds whether the member may record with the new role (the relay stops a recorder that may not).
func (m Message) WithRec(rec bool) Message {
	m.Rec = &rec
	return m
}

// RecordingPolicyChanged says studio's "recording allowed" setting is now policy; the relay
// recomputes who may record in the live room from each seat's role.
func RecordingPolicyChanged(studio, policy string) Message {
	return Message{Kind: KindRecordingPolicy, Studio: studio, Policy: policy}
}

// StudioDeleted says studio is gone; the relay closes its room.
func StudioDeleted(studio string) Message {
	return Message{Kind: KindStudioDeleted, Studio: studio}
}

// The bodies, fields in the contract's order.
type membershipBody struct {
	V      int     `json:"v"`
	Kind   string  `json:"kind"`
	Studio string  `json:"studio"`
	User   string  `json:"user"`
	Role   *string `json:"role"`
	Iat    int64   `json:"iat"`
	Rec    *bool   `json:"rec,omitempty"`
}

type recordingPolicyBody struct {
	V      int    `json:"v"`
	Kind   string `json:"kind"`
	Studio string `json:"studio"`
	Policy string `json:"policy"`
	Iat    int64  `json:"iat"`
}

type studioDeletedBody struct {
	V      int    `json:"v"`
	Kind   string `json:"kind"`
	Studio string `json:"studio"`
	Iat    int64  `json:"iat"`
}

// Body is the JSON the relay receives, with iat = At in Unix seconds (the relay refuses bodies more
// than RELAY_CONTROL_MAX_AGE_SECONDS away from its clock).
func (m Message) Body() ([]byte, error) {
	now := m.At
	var v any
	switch m.Kind {
	case KindStudioDeleted:
		v = studioDeletedBody{V: Version, Kind: m.Kind, Studio: m.Studio, Iat: now.Unix()}
	case KindRecordingPolicy:
		v = recordingPolicyBody{V: Version, Kind: m.Kind, Studio: m.Studio, Policy: m.Policy, Iat: now.Unix()}
	default:
		v = membershipBody{V: Version, Kind: m.Kind, Studio: m.Studio, User: m.User, Role: m.Role, Iat: now.Unix(), Rec: m.Rec}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Signature is the hex HMAC-SHA256, keyed with the room-ticket secret, over Context followed by the
// raw body bytes: the context keeps a control signature from ever being a valid ticket signature.
func Signature(secret, body []byte) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(Context))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

package tickets

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// A fixed vector computed independently in Node (JSON.stringify of the claims in TicketClaims
// order, crypto.createHmac('sha256', secret)), so a change in encoding or claim order shows up here
// and not first at the relay. The name pins UTF-8 and that <, & and > are not HTML-escaped.
const vector = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
	"eyJ2IjoyLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJqdGkiOiJBQUVDQXdRRkJnY0lDUW9MREEwT0R3IiwibmFtZSI6Ilpvw6sgPCY-IM6pIiwiaW5zdHJ1bWVudCI6ImNlbGxvIiwibWF4UGxheWVycyI6NCwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDAzMDB9." +
	"Q0zmIR4LAUvq4S8a1ToOjJ-pOxvPbj8xlDrwToPHZk0"

// vectorClaims are the claims of vector; the jti is the bytes 0..15 in base64url.
var vectorClaims = Claims{
	V: 2, Aud: Audience, Sub: "u123", Studio: "s456", Slug: "my-band", Role: "owner",
	JTI: "AAECAwQFBgcICQoLDA0ODw", Name: "Zoë <&> Ω", Instrument: "cello",
	MaxPlayers: 4, Iat: 1_700_000_000, Exp: 1_700_000_300,
}

// v1Vector is a valid version-1 ticket (no jti, name or instrument); version 2 refuses it.
const v1Vector = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
	"eyJ2IjoxLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJtYXhQbGF5ZXJzIjo0LCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDMwMH0." +
	"N-sEhU542saDJBTH-U2fBmGHNk-hZ_JqsWzKjLmBPDI"

func params(now time.Time) Params {
	return Params{UserID: "u", StudioID: "s", Slug: "slug", Role: "member", StudioMaxPlayers: 2,
		Name: "Ada", Instrument: "cello", Now: now}
}

func mustClaims(t *testing.T, p Params) Claims {
	t.Helper()
	c, err := NewClaims(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func payloadKeys(t *testing.T, token string) []string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	var keys []string
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	for dec.More() {
		key, _ := dec.Token()
		keys = append(keys, key.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestSignMatchesVector(t *testing.T) {
	got, err := Sign(secret, vectorClaims)
	if err != nil {
		t.Fatal(err)
	}
	if got != vector {
		t.Fatalf("got  %s\nwant %s", got, vector)
	}
	c, err := Verify(secret, vector, time.Unix(1_700_000_100, 0))
	if err != nil || c != vectorClaims {
		t.Fatalf("verify: %v %+v", err, c)
	}
}

// relayVector is the v2 vector relay/src/auth/ticket-verifier.test.ts pins (POCKETBASE_VECTOR):
// PocketBase must mint exactly those bytes for those claims.
const relayVector = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
	"eyJ2IjoyLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJqdGkiOiJqNzg5IiwibmFtZSI6IkFkYSIsImluc3RydW1lbnQiOiJiYXNzIiwibWF4UGxheWVycyI6NCwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDAzMDB9." +
	"tCccfG1XdfHGH2TqzORVF1_hCSqjsHIeyLwc6BCcRJk"

func TestSignMatchesRelayVector(t *testing.T) {
	c := Claims{V: 2, Aud: Audience, Sub: "u123", Studio: "s456", Slug: "my-band", Role: "owner",
		JTI: "j789", Name: "Ada", Instrument: "bass", MaxPlayers: 4, Iat: 1_700_000_000, Exp: 1_700_000_300}
	got, err := Sign(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	if got != relayVector {
		t.Fatalf("got  %s\nwant %s", got, relayVector)
	}
}

// relayClaimVector is POCKETBASE_RELAY_VECTOR in relay/src/auth/ticket-verifier.test.ts: a ticket
// pinned to relay-2, the relay claim between maxPlayers and iat.
const relayClaimVector = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
	"eyJ2IjoyLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJqdGkiOiJqNzg5IiwibmFtZSI6IkFkYSIsImluc3RydW1lbnQiOiJiYXNzIiwibWF4UGxheWVycyI6MjQsInJlbGF5IjoicmVsYXktMiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAwMzAwfQ." +
	"pYQflPv8Xg3p0nhPp6knyO4wQZ5Gghp6demehp7UHSo"

func TestSignMatchesRelayClaimVector(t *testing.T) {
	c := Claims{V: 2, Aud: Audience, Sub: "u123", Studio: "s456", Slug: "my-band", Role: "owner",
		JTI: "j789", Name: "Ada", Instrument: "bass", MaxPlayers: 24, Relay: "relay-2",
		Iat: 1_700_000_000, Exp: 1_700_000_300}
	got, err := Sign(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	if got != relayClaimVector {
		t.Fatalf("got  %s\nwant %s", got, relayClaimVector)
	}
}

func TestClaimOrderIsTicketClaims(t *testing.T) {
	tok, err := Sign(secret, mustClaims(t, params(time.Unix(1_700_000_000, 0))))
	if err != nil {
		t.Fatal(err)
	}
	// A member of a studio that lets everyone record (the default): rec sits between maxPlayers and iat.
	want := "v aud sub studio slug role jti name instrument maxPlayers rec iat exp"
	if got := strings.Join(payloadKeys(t, tok), " "); got != want {
		t.Fatalf("claims %q, want %q", got, want)
	}
}

func TestVersion1IsRefused(t *testing.T) {
	if _, err := Verify(secret, v1Vector, time.Unix(1_700_000_100, 0)); err == nil {
		t.Fatal("a version-1 ticket verified")
	}
	c := vectorClaims
	c.V = 1
	tok, err := Sign(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(secret, tok, time.Unix(1_700_000_100, 0)); err == nil {
		t.Fatal("v:1 with v2 claims verified")
	}
}

func TestEveryTicketHasItsOwnJTI(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		c := mustClaims(t, params(now))
		if len(c.JTI) != 22 || strings.Trim(c.JTI, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("jti %q is not 16 bytes of base64url", c.JTI)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(c.JTI)
		if len(raw) != 16 {
			t.Fatalf("jti %q decodes to %d bytes", c.JTI, len(raw))
		}
		if seen[c.JTI] {
			t.Fatalf("jti %q repeated after %d tickets", c.JTI, i)
		}
		seen[c.JTI] = true
	}
}

func TestProfileGoesIntoTheClaims(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tok, err := Sign(secret, mustClaims(t, params(now)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Verify(secret, tok, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Ada" || c.Instrument != "cello" || c.Sub != "u" || c.Role != "member" {
		t.Fatalf("%+v", c)
	}
	p := params(now)
	p.Instrument = ""
	if c := mustClaims(t, p); c.Instrument != "" {
		t.Fatalf("instrument %q", c.Instrument)
	}
}

func TestClipProfileTextCountsUTF16Units(t *testing.T) {
	ascii := strings.Repeat("a", 100)
	if got := ClipProfileText(ascii); got != ascii[:80] {
		t.Fatalf("ascii clipped to %d", len(got))
	}
	// 🎸 is one rune but two UTF-16 units (JavaScript length 2): 41 of them are 82 units.
	guitars := strings.Repeat("🎸", 41)
	if got := ClipProfileText(guitars); got != strings.Repeat("🎸", 40) {
		t.Fatalf("clipped to %d runes", len([]rune(got)))
	}
	// Never splits a surrogate pair: 79 units + one astral character would be 81.
	mixed := strings.Repeat("a", 79) + "🎸"
	if got := ClipProfileText(mixed); got != strings.Repeat("a", 79) {
		t.Fatalf("got %q", got)
	}
	if got := ClipProfileText("Zoë"); got != "Zoë" {
		t.Fatalf("got %q", got)
	}
	p := params(time.Unix(0, 0))
	p.Name = guitars
	if c := mustClaims(t, p); c.Name != strings.Repeat("🎸", 40) {
		t.Fatalf("NewClaims did not clip the name: %q", c.Name)
	}
}

func TestHeaderLifetimeAndSecret(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tok, err := Sign(secret, mustClaims(t, params(now)))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if string(h) != `{"alg":"HS256","typ":"JWT"}` {
		t.Fatalf("header %s", h)
	}
	c, err := Verify(secret, tok, now.Add(299*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if c.Exp-c.Iat != 300 || c.Aud != Audience || c.V != 2 || c.MaxPlayers != 2 {
		t.Fatalf("%+v", c)
	}
	if _, err := Verify(secret, tok, now.Add(300*time.Second)); err == nil {
		t.Fatal("expired ticket verified")
	}
	if _, err := Verify([]byte("another-secret-another-secret-xx"), tok, now); err == nil {
		t.Fatal("ticket verified with the wrong secret")
	}
}

func TestSignRefusesBadClaims(t *testing.T) {
	base := mustClaims(t, params(time.Unix(1_700_000_000, 0)))
	cases := map[string]func(c *Claims){
		"no jti":          func(c *Claims) { c.JTI = "" },
		"long jti":        func(c *Claims) { c.JTI = strings.Repeat("j", MaxJTILength+1) },
		"long name":       func(c *Claims) { c.Name = strings.Repeat("n", 81) },
		"long instrument": func(c *Claims) { c.Instrument = strings.Repeat("🎻", 41) },
		"unknown role":    func(c *Claims) { c.Role = "admin" },
		"no user":         func(c *Claims) { c.Sub = "" },
		"maxPlayers 0":    func(c *Claims) { c.MaxPlayers = 0 },
		"maxPlayers 65":   func(c *Claims) { c.MaxPlayers = RoomPlayersCap + 1 },
		"relay uppercase": func(c *Claims) { c.Relay = "Relay-1" },
		"relay dash":      func(c *Claims) { c.Relay = "-r" },
		"relay long":      func(c *Claims) { c.Relay = strings.Repeat("r", MaxRelayIDLength+1) },
		"lifetime 601 s":  func(c *Claims) { c.Exp = c.Iat + 601 },
	}
	for name, mutate := range cases {
		c := base
		mutate(&c)
		if _, err := Sign(secret, c); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
}

func TestVerifyRefusesBadClaimsSignedCorrectly(t *testing.T) {
	// A ticket signed with the right secret but without a jti (e.g. a hand-made one) is refused:
	// the relay must not admit a connection it cannot bind to a unique ticket.
	payload := `{"v":2,"aud":"bandmesh-relay","sub":"u","studio":"s","slug":"x","role":"member","name":"","instrument":"","maxPlayers":2,"iat":1700000000,"exp":1700000300}`
	input := header + "." + b64([]byte(payload))
	tok := input + "." + b64(mac(secret, input))
	if _, err := Verify(secret, tok, time.Unix(1_700_000_000, 0)); err == nil ||
		!strings.Contains(err.Error(), "jti") {
		t.Fatalf("got %v", err)
	}
}

func TestClampMaxPlayers(t *testing.T) {
	// The claim is min(studio.maxPlayers, room limit); a missing studio value means the room limit,
	// and a room limit outside [1, RoomPlayersCap] (0: not configured) means RoomMaxPlayers.
	cases := []struct{ studio, limit, want int }{
		{2, 0, 2}, {6, 0, 6}, {7, 0, 7}, {24, 0, 24}, {25, 0, 24}, {64, 0, 24}, {0, 0, 24}, {-3, 0, 24},
		{7, 6, 6}, {5, 6, 5}, {0, 6, 6}, {64, 64, 64}, {65, 64, 64}, {40, 65, 24}, {1, 1, 1}, {9, 1, 1},
	}
	for _, tc := range cases {
		if got := ClampMaxPlayers(tc.studio, tc.limit); got != tc.want {
			t.Errorf("ClampMaxPlayers(%d, %d) = %d, want %d", tc.studio, tc.limit, got, tc.want)
		}
		p := params(time.Unix(0, 0))
		p.StudioMaxPlayers, p.RoomLimit = tc.studio, tc.limit
		if got := mustClaims(t, p).MaxPlayers; got != tc.want {
			t.Errorf("NewClaims(maxPlayers %d, limit %d).MaxPlayers = %d, want %d", tc.studio, tc.limit, got, tc.want)
		}
	}
}

func TestRelayClaimIsWrittenOnlyWhenSet(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	p := params(now)
	p.Relay = "relay-2"
	p.RecordingAllowed = RecordingNobody // no rec claim, so only relay is added
	tok, err := Sign(secret, mustClaims(t, p))
	if err != nil {
		t.Fatal(err)
	}
	want := "v aud sub studio slug role jti name instrument maxPlayers relay iat exp"
	if got := strings.Join(payloadKeys(t, tok), " "); got != want {
		t.Fatalf("claims %q, want %q", got, want)
	}
	c, err := Verify(secret, tok, now)
	if err != nil || c.Relay != "relay-2" {
		t.Fatalf("verify: %v %+v", err, c)
	}
	// Without a relay (one relay) the claim is left out, so the bytes match older tickets.
	tok, err = Sign(secret, mustClaims(t, params(now)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(payloadKeys(t, tok), " "), "relay") {
		t.Fatal("a ticket without a relay carries the relay claim")
	}
}

func TestMaxPlayersUpToTheCap(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := mustClaims(t, params(now))
	c.MaxPlayers = RoomPlayersCap
	tok, err := Sign(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Verify(secret, tok, now); err != nil || got.MaxPlayers != RoomPlayersCap {
		t.Fatalf("verify: %v %+v", err, got)
	}
}

// recClaimVector is POCKETBASE_REC_VECTOR in relay/src/auth/ticket-verifier.test.ts: a ticket that
// may record, the rec claim between maxPlayers (or relay) and iat.
const recClaimVector = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
	"eyJ2IjoyLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJqdGkiOiJqNzg5IiwibmFtZSI6IkFkYSIsImluc3RydW1lbnQiOiJiYXNzIiwibWF4UGxheWVycyI6NCwicmVjIjp0cnVlLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDMwMH0." +
	"xAcdYVJpkoRvxot330X21p8sLQ3B1CIuuMKjboCWlmU"

func TestSignMatchesRecClaimVector(t *testing.T) {
	c := Claims{V: 2, Aud: Audience, Sub: "u123", Studio: "s456", Slug: "my-band", Role: "owner",
		JTI: "j789", Name: "Ada", Instrument: "bass", MaxPlayers: 4, Rec: true,
		Iat: 1_700_000_000, Exp: 1_700_000_300}
	got, err := Sign(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	if got != recClaimVector {
		t.Fatalf("got  %s\nwant %s", got, recClaimVector)
	}
}

func TestRecClaimFollowsTheStudioSettingAndTheRole(t *testing.T) {
	cases := []struct {
		policy, role string
		want         bool
	}{
		{"", "member", true}, {"everyone", "member", true}, {"everyone", "owner", true},
		{"engineers", "owner", true}, {"engineers", "engineer", true}, {"engineers", "member", false},
		{"nobody", "owner", false}, {"nobody", "engineer", false}, {"nobody", "member", false},
		{"everyone", "admin", false},
	}
	for _, c := range cases {
		if got := MayRecord(c.policy, c.role); got != c.want {
			t.Errorf("MayRecord(%q, %q) = %v, want %v", c.policy, c.role, got, c.want)
		}
	}
	p := params(time.Unix(1_700_000_000, 0))
	p.RecordingAllowed = RecordingNobody
	tok, err := Sign(secret, mustClaims(t, p))
	if err != nil {
		t.Fatal(err)
	}
	// A ticket that may not record has no rec claim at all (the relay reads absent as false).
	for _, k := range payloadKeys(t, tok) {
		if k == "rec" {
			t.Fatalf("rec claim present in %s", tok)
		}
	}
	c, err := Verify(secret, tok, time.Unix(1_700_000_001, 0))
	if err != nil || c.Rec {
		t.Fatalf("verified rec %v, err %v", c.Rec, err)
	}
}

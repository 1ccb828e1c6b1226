package tickets

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// A fixed vector computed independently (Node: crypto.createHmac('sha256', secret)), so a change
// in encoding or claim order shows up here and not first at the relay. The relay's verifier test
// (relay/src/auth/ticket-verifier.test.ts) pins the same string.
const vector = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
	"eyJ2IjoxLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJtYXhQbGF5ZXJzIjo0LCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDMwMH0." +
	"N-sEhU542saDJBTH-U2fBmGHNk-hZ_JqsWzKjLmBPDI"

// legacyVector is what PocketBase minted before the maxPlayers claim existed; it still verifies,
// with the mesh limit.
const legacyVector = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
	"eyJ2IjoxLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDMwMH0." +
	"X5DG_HPGz8ZYUN7ObGrDNAr3fHmQ2u8q-inFzyVbAog"

func TestSignMatchesVector(t *testing.T) {
	c := NewClaims("u123", "s456", "my-band", "owner", 4, time.Unix(1_700_000_000, 0))
	got, err := Sign(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	if got != vector {
		t.Fatalf("got  %s\nwant %s", got, vector)
	}
}

func TestLegacyTicketGetsMeshLimit(t *testing.T) {
	c, err := Verify(secret, legacyVector, time.Unix(1_700_000_100, 0))
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxPlayers != MeshMaxPlayers || c.Sub != "u123" {
		t.Fatalf("%+v", c)
	}
}

func TestHeaderAndClaims(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tok, err := Sign(secret, NewClaims("u", "s", "slug", "member", 2, now))
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
	if c.Exp-c.Iat != 300 || c.Aud != Audience || c.V != 1 || c.Role != "member" || c.MaxPlayers != 2 {
		t.Fatalf("%+v", c)
	}
	if _, err := Verify(secret, tok, now.Add(300*time.Second)); err == nil {
		t.Fatal("expired ticket verified")
	}
	if _, err := Verify([]byte("another-secret-another-secret-xx"), tok, now); err == nil {
		t.Fatal("ticket verified with the wrong secret")
	}
}

func TestClampMaxPlayers(t *testing.T) {
	for in, want := range map[int]int{2: 2, 5: 5, 6: 6, 7: 6, 16: 6, 1: 1, 0: 6, -3: 6} {
		if got := ClampMaxPlayers(in); got != want {
			t.Errorf("ClampMaxPlayers(%d) = %d, want %d", in, got, want)
		}
		if got := NewClaims("u", "s", "slug", "member", in, time.Unix(0, 0)).MaxPlayers; got != want {
			t.Errorf("NewClaims(maxPlayers %d).MaxPlayers = %d, want %d", in, got, want)
		}
	}
}

func TestRejectsOutOfRangeMaxPlayers(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, n := range []int{0, -1, MeshMaxPlayers + 1} {
		c := NewClaims("u", "s", "slug", "member", 2, now)
		c.MaxPlayers = n
		if _, err := Sign(secret, c); err == nil {
			t.Errorf("maxPlayers %d signed", n)
		}
	}
}

func TestRejectsLongLifetime(t *testing.T) {
	c := NewClaims("u", "s", "slug", "member", 6, time.Unix(0, 0))
	c.Exp = c.Iat + 601
	if _, err := Sign(secret, c); err == nil {
		t.Fatal("lifetime over 600s accepted")
	}
}

package tickets

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// A fixed vector computed independently (Node: crypto.createHmac('sha256', secret)), so a change
// in encoding or claim order shows up here and not first at the relay.
const vector = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
	"eyJ2IjoxLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDMwMH0." +
	"X5DG_HPGz8ZYUN7ObGrDNAr3fHmQ2u8q-inFzyVbAog"

func TestSignMatchesVector(t *testing.T) {
	c := NewClaims("u123", "s456", "my-band", "owner", time.Unix(1_700_000_000, 0))
	got, err := Sign(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	if got != vector {
		t.Fatalf("got  %s\nwant %s", got, vector)
	}
}

func TestHeaderAndClaims(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tok, err := Sign(secret, NewClaims("u", "s", "slug", "member", now))
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
	if c.Exp-c.Iat != 300 || c.Aud != Audience || c.V != 1 || c.Role != "member" {
		t.Fatalf("%+v", c)
	}
	if _, err := Verify(secret, tok, now.Add(300*time.Second)); err == nil {
		t.Fatal("expired ticket verified")
	}
	if _, err := Verify([]byte("another-secret-another-secret-xx"), tok, now); err == nil {
		t.Fatal("ticket verified with the wrong secret")
	}
}

func TestRejectsLongLifetime(t *testing.T) {
	c := NewClaims("u", "s", "slug", "member", time.Unix(0, 0))
	c.Exp = c.Iat + 601
	if _, err := Sign(secret, c); err == nil {
		t.Fatal("lifetime over 600s accepted")
	}
}

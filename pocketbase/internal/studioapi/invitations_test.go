package studioapi

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestNewTokenIsRandomURLSafeAndStoredOnlyAsItsHash(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		token, hash, err := newToken()
		if err != nil {
			t.Fatal(err)
		}
		if !tokenPattern.MatchString(token) {
			t.Fatalf("token %q is not 43 base64url characters", token)
		}
		sum := sha256.Sum256([]byte(token))
		if hash != hex.EncodeToString(sum[:]) || hash == token {
			t.Fatalf("hash %q is not the SHA-256 of the token", hash)
		}
		if seen[token] {
			t.Fatalf("token %q repeated", token)
		}
		seen[token] = true
	}
}

func TestTokenPatternRefusesWhatNewTokenNeverMakes(t *testing.T) {
	for _, bad := range []string{"", "short", "A" + string(make([]byte, 42)), "+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if tokenPattern.MatchString(bad) {
			t.Errorf("pattern accepted %q", bad)
		}
	}
}

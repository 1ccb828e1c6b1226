// Package turn mints short-lived TURN credentials with coturn's REST scheme
// (use-auth-secret / static-auth-secret): username "<expiryUnix>:<userId>",
// credential base64(HMAC-SHA1(secret, username)).
package turn

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"time"
)

// IceServer is the JSON shape of RTCIceServer (RTCIceServerLike in the protocol module).
type IceServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Options is coturn's side of the configuration.
type Options struct {
	URLs   []string
	Secret string
	TTL    time.Duration
}

// IceServers returns the ICE servers for userID: none when TURN is not configured (Bandmesh
// never hands out public STUN servers, which would leak players' addresses to a third party).
func IceServers(opts Options, userID string, now time.Time) []IceServer {
	if len(opts.URLs) == 0 || opts.Secret == "" {
		return []IceServer{}
	}
	username, credential := Credentials(opts.Secret, userID, now.Add(opts.TTL))
	urls := append([]string(nil), opts.URLs...)
	return []IceServer{{URLs: urls, Username: username, Credential: credential}}
}

// Credentials is the TURN REST pair valid until expiry.
func Credentials(secret, userID string, expiry time.Time) (username, credential string) {
	username = strconv.FormatInt(expiry.Unix(), 10) + ":" + userID
	h := hmac.New(sha1.New, []byte(secret))
	h.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(h.Sum(nil))
}

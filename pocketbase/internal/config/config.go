// Package config reads Bandmesh's environment variables once, at start, and validates them so
// that a misconfigured server refuses to start with a sentence instead of failing later.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultRelayURL is where `npm start` runs the relay on a developer machine.
const DefaultRelayURL = "ws://127.0.0.1:8091"

// DefaultTURNTTL is how long TURN REST credentials stay valid when BANDMESH_TURN_TTL_SECONDS is unset.
const DefaultTURNTTL = time.Hour

// Config is everything Bandmesh adds to PocketBase's own flags.
type Config struct {
	// RelayURL is the public WebSocket URL of the (first) relay.
	RelayURL string
	// RelayOrigin is RelayURL's scheme://host[:port], allowed in the CSP's connect-src.
	RelayOrigin string
	// RelayControlURL is where membership changes are pushed (POST, http or https):
	// BANDMESH_RELAY_CONTROL_URL, else derived from RelayURL by RelayControlURLFrom.
	RelayControlURL string
	// TicketSecret is BANDMESH_TICKET_SECRET; empty means "use TicketSecretFile".
	TicketSecret string
	// TicketSecretFile is BANDMESH_TICKET_SECRET_FILE; empty means "<dataDir>/bandmesh-ticket.secret".
	TicketSecretFile string
	// PublicDir is BANDMESH_PUBLIC_DIR; empty means the default next to the executable.
	PublicDir string
	// Relays are BANDMESH_RELAYS, or the one relay of BANDMESH_RELAY_URL (id DefaultRelayID);
	// RelayURL, RelayOrigin and RelayControlURL above are the first one's.
	Relays []Relay
	// RoomLimit is BANDMESH_ROOM_LIMIT: the most players a ticket admits to one room.
	RoomLimit int
	TURN      TURN
	// Recordings are the upload limits of recordings.go.
	Recordings Recordings
	// Mail is SMTP and the verified-address rule: mail.go.
	Mail Mail
}

// TURN holds coturn's REST-auth settings; Enabled is false when neither URLs nor secret is set.
type TURN struct {
	URLs []string
	// Secret is coturn's static-auth-secret: BANDMESH_TURN_SECRET, or the trimmed contents of
	// BANDMESH_TURN_SECRET_FILE (read once, at start).
	Secret string
	TTL    time.Duration
}

// Enabled reports whether TURN credentials should be minted.
func (t TURN) Enabled() bool { return len(t.URLs) > 0 }

// FromEnv builds a Config from getenv (os.Getenv in production, a map in tests).
func FromEnv(getenv func(string) string) (Config, error) {
	var cfg Config
	var errs []error

	// Relays and the room limit: relays.go.
	relays, err := relaysFromEnv(getenv)
	if err != nil {
		errs = append(errs, err)
	} else {
		cfg.Relays = relays
		cfg.RelayURL, cfg.RelayOrigin, cfg.RelayControlURL = relays[0].WSURL, relays[0].Origin, relays[0].ControlURL
	}
	if cfg.RoomLimit, err = roomLimitFromEnv(getenv); err != nil {
		errs = append(errs, err)
	}

	cfg.TicketSecret = strings.TrimSpace(getenv("BANDMESH_TICKET_SECRET"))
	cfg.TicketSecretFile = strings.TrimSpace(getenv("BANDMESH_TICKET_SECRET_FILE"))
	cfg.PublicDir = strings.TrimSpace(getenv("BANDMESH_PUBLIC_DIR"))

	turn, err := turnFromEnv(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.TURN = turn

	if cfg.Recordings, err = recordingsFromEnv(getenv); err != nil {
		errs = append(errs, err)
	}
	if cfg.Mail, err = mailFromEnv(getenv); err != nil {
		errs = append(errs, err)
	}

	return cfg, errors.Join(errs...)
}

func wsOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return "", errors.New("must start with ws:// or wss://")
	}
	if u.Host == "" {
		return "", errors.New("has no host")
	}
	return u.Scheme + "://" + u.Host, nil
}

// RelayControlURLFrom derives the control endpoint from the relay's (valid) WebSocket URL: ws → http,
// wss → https, same host, and the last path segment replaced by "control", so both
// ws://host:8091/signal and a proxied wss://example.org/relay/signal find the relay's /control
// (…/relay/control behind the proxy).
func RelayControlURLFrom(relayURL string) string {
	u, err := url.Parse(relayURL)
	if err != nil {
		return ""
	}
	scheme := "http"
	if u.Scheme == "wss" {
		scheme = "https"
	}
	dir := u.Path[:strings.LastIndex(u.Path, "/")+1]
	if dir == "" {
		dir = "/"
	}
	return (&url.URL{Scheme: scheme, Host: u.Host, Path: dir + "control"}).String()
}

// checkControlURL accepts absolute http(s) URLs with a host and nothing a POST would drop or leak
// (user info, a fragment).
func checkControlURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must start with http:// or https:// (the relay's control endpoint, e.g. http://127.0.0.1:8091/control)")
	case u.Host == "":
		return errors.New("has no host")
	case u.User != nil:
		return errors.New("must not carry a user name or password: pushes are signed with the ticket secret")
	case u.Fragment != "":
		return errors.New("must not have a #fragment")
	}
	return nil
}

func turnFromEnv(getenv func(string) string) (TURN, error) {
	t := TURN{TTL: DefaultTURNTTL, Secret: strings.TrimSpace(getenv("BANDMESH_TURN_SECRET"))}
	if file := strings.TrimSpace(getenv("BANDMESH_TURN_SECRET_FILE")); file != "" {
		// Two sources of one secret would leave it unclear which one coturn was given.
		if t.Secret != "" {
			return t, errors.New("BANDMESH_TURN_SECRET and BANDMESH_TURN_SECRET_FILE are both set: set one")
		}
		secret, err := readTURNSecretFile(file)
		if err != nil {
			return t, err
		}
		t.Secret = secret
	}
	for _, part := range strings.Split(getenv("BANDMESH_TURN_URLS"), ",") {
		if part = strings.TrimSpace(part); part != "" {
			t.URLs = append(t.URLs, part)
		}
	}

	// Half a TURN configuration would silently leave players behind strict NATs without relay
	// candidates, so it is an error rather than "TURN off".
	if len(t.URLs) > 0 && t.Secret == "" {
		return t, errors.New("BANDMESH_TURN_URLS is set but BANDMESH_TURN_SECRET(_FILE) is not: set both (coturn's static-auth-secret) or neither")
	}
	if len(t.URLs) == 0 && t.Secret != "" {
		return t, errors.New("BANDMESH_TURN_SECRET(_FILE) is set but BANDMESH_TURN_URLS is not: set both (e.g. turn:turn.example.org:3478) or neither")
	}
	for _, u := range t.URLs {
		if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			return t, fmt.Errorf("BANDMESH_TURN_URLS entry %q must start with turn: or turns:", u)
		}
	}

	if raw := strings.TrimSpace(getenv("BANDMESH_TURN_TTL_SECONDS")); raw != "" {
		secs, err := strconv.Atoi(raw)
		if err != nil || secs < 60 || secs > 86400 {
			return t, fmt.Errorf("BANDMESH_TURN_TTL_SECONDS=%q must be a whole number of seconds between 60 and 86400", raw)
		}
		t.TTL = time.Duration(secs) * time.Second
	}
	return t, nil
}

// readTURNSecretFile returns the file's trimmed contents: one word (coturn's static-auth-secret line
// cannot hold spaces), never empty. The file is the same one coturn's configuration is written from.
func readTURNSecretFile(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("BANDMESH_TURN_SECRET_FILE: %w", err)
	}
	secret := strings.TrimSpace(string(raw))
	if secret == "" {
		return "", fmt.Errorf("BANDMESH_TURN_SECRET_FILE %s is empty", path)
	}
	if strings.ContainsAny(secret, " \t\r\n") {
		return "", fmt.Errorf("BANDMESH_TURN_SECRET_FILE %s must hold one word (coturn's static-auth-secret), not several lines or words", path)
	}
	return secret, nil
}

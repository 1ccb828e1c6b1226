package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"bandmesh/pocketbase/internal/tickets"
)

// DefaultRelayID names the relay of a single-relay setup (BANDMESH_RELAY_URL): the relay's own
// default BANDMESH_RELAY_ID.
const DefaultRelayID = "relay-1"

// MaxRelays bounds BANDMESH_RELAYS: placement asks every relay for its load on each new room.
const MaxRelays = 64

// relayIDPattern is the relay's BANDMESH_RELAY_ID rule (relay/src/config.ts).
var relayIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// Relay is one relay process PocketBase hands tickets out for.
type Relay struct {
	// ID is the relay's BANDMESH_RELAY_ID; multi-relay tickets name it in their relay claim.
	ID string
	// WSURL is the public WebSocket URL of its signaling endpoint, handed to clients.
	WSURL string
	// Origin is WSURL's scheme://host[:port], allowed in the CSP's connect-src.
	Origin string
	// BaseURL is the http(s) base of its /load and /rooms/<studio> endpoints (no trailing slash).
	BaseURL string
	// ControlURL is where membership changes are pushed (POST).
	ControlURL string
}

// relaysFromEnv reads BANDMESH_RELAYS, or the single relay of BANDMESH_RELAY_URL and
// BANDMESH_RELAY_CONTROL_URL when it is unset. Mixing both forms is an error: one of them would be
// silently ignored.
func relaysFromEnv(getenv func(string) string) ([]Relay, error) {
	list := strings.TrimSpace(getenv("BANDMESH_RELAYS"))
	if list == "" {
		r, err := singleRelayFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		return []Relay{r}, nil
	}
	for _, single := range []string{"BANDMESH_RELAY_URL", "BANDMESH_RELAY_CONTROL_URL"} {
		if strings.TrimSpace(getenv(single)) != "" {
			return nil, fmt.Errorf("BANDMESH_RELAYS and %s are both set: list every relay in BANDMESH_RELAYS and unset %s", single, single)
		}
	}
	return ParseRelays(list)
}

func singleRelayFromEnv(getenv func(string) string) (Relay, error) {
	var errs []error
	r := Relay{ID: DefaultRelayID, WSURL: strings.TrimSpace(getenv("BANDMESH_RELAY_URL"))}
	if r.WSURL == "" {
		r.WSURL = DefaultRelayURL
	}
	origin, err := wsOrigin(r.WSURL)
	if err != nil {
		errs = append(errs, fmt.Errorf("BANDMESH_RELAY_URL=%q: %w", r.WSURL, err))
	}
	r.Origin = origin
	if err == nil {
		r.BaseURL = RelayBaseURLFrom(r.WSURL)
	}

	r.ControlURL = strings.TrimSpace(getenv("BANDMESH_RELAY_CONTROL_URL"))
	if r.ControlURL != "" {
		if err := checkControlURL(r.ControlURL); err != nil {
			errs = append(errs, fmt.Errorf("BANDMESH_RELAY_CONTROL_URL=%q: %w", r.ControlURL, err))
		}
	} else if err == nil {
		r.ControlURL = RelayControlURLFrom(r.WSURL)
	}
	return r, errors.Join(errs...)
}

// ParseRelays reads a BANDMESH_RELAYS value: comma-separated `id=wsUrl|httpUrl` entries, where
// httpUrl is the base of the relay's /control, /load and /rooms endpoints and may be left out
// (`id=wsUrl`: derived from wsUrl like RelayControlURLFrom). Every problem is reported, each
// naming its entry.
func ParseRelays(list string) ([]Relay, error) {
	var relays []Relay
	var errs []error
	seen := map[string]bool{}
	for i, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		where := "BANDMESH_RELAYS entry " + strconv.Itoa(i+1) + " " + strconv.Quote(entry)
		r, err := parseRelay(entry)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		if seen[r.ID] {
			errs = append(errs, fmt.Errorf("%s: the id %q is listed twice; every relay needs its own BANDMESH_RELAY_ID", where, r.ID))
			continue
		}
		seen[r.ID] = true
		relays = append(relays, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	switch {
	case len(relays) == 0:
		return nil, errors.New("BANDMESH_RELAYS is set but lists no relay: use id=ws://host:port/signal|http://host:port entries, or unset it")
	case len(relays) > MaxRelays:
		return nil, fmt.Errorf("BANDMESH_RELAYS lists %d relays; at most %d are supported", len(relays), MaxRelays)
	}
	return relays, nil
}

func parseRelay(entry string) (Relay, error) {
	id, urls, ok := strings.Cut(entry, "=")
	if !ok {
		return Relay{}, errors.New("expected id=wsUrl|httpUrl, e.g. relay-2=wss://r2.example.org/signal|http://10.0.0.2:8091")
	}
	id = strings.TrimSpace(id)
	if !relayIDPattern.MatchString(id) {
		return Relay{}, fmt.Errorf("the id %q must be 1–32 of a–z, 0–9 and '-', starting with a letter or digit (the relay's BANDMESH_RELAY_ID)", id)
	}
	wsURL, httpURL, _ := strings.Cut(urls, "|")
	r := Relay{ID: id, WSURL: strings.TrimSpace(wsURL)}
	origin, err := wsOrigin(r.WSURL)
	if err != nil {
		return Relay{}, fmt.Errorf("WebSocket URL %q: %w", r.WSURL, err)
	}
	r.Origin = origin
	base := strings.TrimRight(strings.TrimSpace(httpURL), "/")
	if base == "" {
		base = RelayBaseURLFrom(r.WSURL)
	} else if err := checkBaseURL(base); err != nil {
		return Relay{}, fmt.Errorf("HTTP URL %q: %w", base, err)
	}
	r.BaseURL = base
	r.ControlURL = base + "/control"
	return r, nil
}

// RelayBaseURLFrom derives the relay's HTTP base from its (valid) WebSocket URL: the control URL
// RelayControlURLFrom derives, without the trailing /control.
func RelayBaseURLFrom(relayURL string) string {
	return strings.TrimSuffix(RelayControlURLFrom(relayURL), "/control")
}

// checkBaseURL is checkControlURL plus no query: endpoint paths are appended to it.
func checkBaseURL(raw string) error {
	if err := checkControlURL(raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	if u.RawQuery != "" || u.ForceQuery {
		return errors.New("must not have a ?query: /control, /load and /rooms are appended to it")
	}
	return nil
}

// roomLimitFromEnv reads BANDMESH_ROOM_LIMIT: the most players a ticket admits to one room,
// whatever the studio's own maxPlayers says. The relay has its own BANDMESH_ROOM_LIMIT and
// enforces the smaller of the two.
func roomLimitFromEnv(getenv func(string) string) (int, error) {
	raw := strings.TrimSpace(getenv("BANDMESH_ROOM_LIMIT"))
	if raw == "" {
		return tickets.RoomMaxPlayers, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > tickets.RoomPlayersCap {
		return tickets.RoomMaxPlayers, fmt.Errorf("BANDMESH_ROOM_LIMIT=%q must be a whole number of players from 1 to %d", raw, tickets.RoomPlayersCap)
	}
	return n, nil
}

// Package directory is the public studio directory (issue 10): GET /api/bandmesh/directory lists
// public studios only, searchable by name/description, genre and instrument, a page at a time, with
// each studio's member count and how many play in its room now (asked of the relays, cached).
package directory

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Input bounds: a search longer than a studio name plus some is not a search.
const (
	MaxQueryLength      = 80
	MaxInstrumentLength = 40
	DefaultPerPage      = 20
	MaxPerPage          = 50
	// MaxPage keeps OFFSET small enough for SQLite to skip cheaply; nobody pages this far by hand.
	MaxPage = 10000
)

// Params is a validated directory query.
type Params struct {
	Q          string
	Genre      string
	Instrument string
	Page       int
	PerPage    int
}

// ParseParams reads and bounds the query string; genres are the select field's values. The error's
// text is for people (it becomes a 400's message).
func ParseParams(v url.Values, genres []string) (Params, error) {
	p := Params{
		Q:          strings.TrimSpace(v.Get("q")),
		Genre:      strings.TrimSpace(v.Get("genre")),
		Instrument: strings.TrimSpace(v.Get("instrument")),
		Page:       1,
		PerPage:    DefaultPerPage,
	}
	if !utf8.ValidString(p.Q) || utf8.RuneCountInString(p.Q) > MaxQueryLength {
		return p, fmt.Errorf("Search for at most %d characters.", MaxQueryLength)
	}
	if !utf8.ValidString(p.Instrument) || utf8.RuneCountInString(p.Instrument) > MaxInstrumentLength {
		return p, fmt.Errorf("An instrument is at most %d characters.", MaxInstrumentLength)
	}
	if p.Genre != "" && !contains(genres, p.Genre) {
		return p, fmt.Errorf("There is no genre %q. Pick one of: %s.", clip(p.Genre, 40), strings.Join(genres, ", "))
	}
	var err error
	if p.Page, err = intParam(v.Get("page"), 1, 1, MaxPage, "page"); err != nil {
		return p, err
	}
	if p.PerPage, err = intParam(v.Get("perPage"), DefaultPerPage, 1, MaxPerPage, "perPage"); err != nil {
		return p, err
	}
	return p, nil
}

func intParam(raw string, def, lo, hi int, name string) (int, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be a whole number from %d to %d.", name, lo, hi)
	}
	return n, nil
}

// LikePattern turns text into a LIKE pattern matching it anywhere, with the wildcards escaped
// (ESCAPE '\'), so a % or _ typed in the search box matches itself.
func LikePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(text) + "%"
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// Package studioapi holds Bandmesh's own routes under /api/bandmesh/: room tickets, studio
// previews and joining. Access decisions mirror the collections' API rules (see docs/pocketbase.md).
package studioapi

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
)

// Stable error codes; the app switches on them, people read the message.
const (
	CodeUnauthorized = "unauthorized"
	CodeNotFound     = "not-found"
	CodeNotMember    = "not-member"
	CodeInternal     = "internal"
	// CodeNoRelay: no relay answered when the room was to be placed (503).
	CodeNoRelay = "no-relay"
)

// Error is every error body of these routes.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func fail(e *core.RequestEvent, status int, code, message string) error {
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(status, Error{Code: code, Message: message})
}

func unauthorized(e *core.RequestEvent) error {
	return fail(e, http.StatusUnauthorized, CodeUnauthorized, "Sign in with your Bandmesh account to continue.")
}

// notFound is also the answer for a private studio you are not in, word for word: a stranger
// cannot tell whether a private studio exists at an address.
func notFound(e *core.RequestEvent) error {
	return fail(e, http.StatusNotFound, CodeNotFound,
		"There is no studio you can open at this address. Check the link; a private studio needs an invitation from its owner.")
}

func internal(e *core.RequestEvent, err error) error {
	e.App.Logger().Error("bandmesh route failed", "path", e.Request.URL.Path, "error", err)
	return fail(e, http.StatusInternalServerError, CodeInternal, "Something went wrong on the server. Please try again in a moment.")
}

func noRelay(e *core.RequestEvent, err error) error {
	e.App.Logger().Warn("bandmesh ticket refused: no relay reachable", "error", err)
	return fail(e, http.StatusServiceUnavailable, CodeNoRelay,
		"No audio relay is reachable right now, so the studio cannot open. Please try again in a minute.")
}

// Package account holds the routes of a person's rights over their own data (issue 10):
// GET /api/bandmesh/me/export (everything the server keeps about them, as JSON) and
// POST /api/bandmesh/me/delete (the account and what only they own, after their password).
package account

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Collection names shared with pb_migrations/.
const (
	usersCollection         = "users"
	studiosCollection       = "studios"
	membershipsCollection   = "memberships"
	recordingsCollection    = "recordings"
	uploadsCollection       = "recording_uploads"
	backingTracksCollection = "backing_tracks"
)

// Stable error codes; the app switches on them, people read the message.
const (
	CodeUnauthorized  = "unauthorized"
	CodeWrongPassword = "wrong-password"
	CodeInvalid       = "invalid-request"
	CodeInternal      = "internal"
)

// Error is every error body of these routes.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Register mounts the routes on r.
func Register(r *router.Router[*core.RequestEvent]) {
	g := r.Group("/api/bandmesh/me")
	g.GET("/export", exportRoute)
	g.POST("/delete", deleteRoute)
}

// requireUser is the signed-in account; a superuser token does not count (it is nobody's data).
func requireUser(e *core.RequestEvent) *core.Record {
	if e.Auth == nil || e.Auth.Collection().Name != usersCollection {
		return nil
	}
	return e.Auth
}

func fail(e *core.RequestEvent, status int, code, message string) error {
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(status, Error{Code: code, Message: message})
}

func unauthorized(e *core.RequestEvent) error {
	return fail(e, http.StatusUnauthorized, CodeUnauthorized, "Sign in with your Bandmesh account to continue.")
}

func internal(e *core.RequestEvent, err error) error {
	e.App.Logger().Error("bandmesh account route failed", "path", e.Request.URL.Path, "error", err)
	return fail(e, http.StatusInternalServerError, CodeInternal, "Something went wrong on the server. Please try again in a moment.")
}

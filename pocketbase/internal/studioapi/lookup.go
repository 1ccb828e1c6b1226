package studioapi

import (
	"database/sql"
	"errors"
	"regexp"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Collection and field names shared with pb_migrations/.
const (
	usersCollection       = "users"
	studiosCollection     = "studios"
	membershipsCollection = "memberships"

	VisibilityPrivate  = "private"
	VisibilityUnlisted = "unlisted"
	VisibilityPublic   = "public"

	RoleOwner  = "owner"
	RoleMember = "member"
)

// slugPattern is the studios.slug field's pattern; anything else cannot exist, so it is a 404
// without a query.
var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)

// requireUser returns the signed-in Bandmesh user, or nil (superusers are not studio members).
func requireUser(e *core.RequestEvent) *core.Record {
	if e.Auth == nil || e.Auth.Collection().Name != usersCollection {
		return nil
	}
	return e.Auth
}

func findStudio(app core.App, slug string) (*core.Record, error) {
	if !slugPattern.MatchString(slug) {
		return nil, nil
	}
	rec, err := app.FindFirstRecordByData(studiosCollection, "slug", slug)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return rec, err
}

func findMembership(app core.App, studioID, userID string) (*core.Record, error) {
	rec, err := app.FindFirstRecordByFilter(membershipsCollection,
		"studio = {:studio} && user = {:user}", dbx.Params{"studio": studioID, "user": userID})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return rec, err
}

func isOpen(studio *core.Record) bool {
	v := studio.GetString("visibility")
	return v == VisibilityUnlisted || v == VisibilityPublic
}

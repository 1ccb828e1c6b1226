package relaycontrol

import (
	"database/sql"
	"errors"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"bandmesh/pocketbase/internal/tickets"
)

// Collection names shared with pb_migrations/.
const (
	studiosCollection     = "studios"
	membershipsCollection = "memberships"
)

// Sink receives the messages the hooks produce; *Pusher is the real one.
type Sink interface{ Push(Message) }

// Bind registers the hooks that turn committed membership and studio changes into pushes. They run
// in PocketBase's "after success" hooks, i.e. after the change (and the transaction around it) is
// committed, so a rolled-back change is never announced, and they only queue: the request that made
// the change neither waits for the relay nor fails with it.
//
// Deleting a user deletes their memberships by cascade, and PocketBase fires these hooks for
// cascaded deletes too (after the outer transaction commits), so each of their studios hears
// role: null. Memberships deleted because their studio was deleted are skipped: the studio-deleted
// push closes that room with the right reason, and a racing membership-revoked would not.
func Bind(app core.App, sink Sink) {
	app.OnRecordAfterUpdateSuccess(membershipsCollection).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "bandmeshRelayControlMembershipUpdate",
		Func: func(e *core.RecordEvent) error {
			membershipUpdated(e.App, sink, e.Record)
			return e.Next()
		},
	})
	app.OnRecordAfterDeleteSuccess(membershipsCollection).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "bandmeshRelayControlMembershipDelete",
		Func: func(e *core.RecordEvent) error {
			membershipGone(e.App, sink, e.Record.GetString("studio"), e.Record.GetString("user"))
			return e.Next()
		},
	})
	app.OnRecordAfterUpdateSuccess(studiosCollection).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "bandmeshRelayControlRecordingPolicy",
		Func: func(e *core.RecordEvent) error {
			studioUpdated(sink, e.Record)
			return e.Next()
		},
	})
	app.OnRecordAfterDeleteSuccess(studiosCollection).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "bandmeshRelayControlStudioDelete",
		Func: func(e *core.RecordEvent) error {
			sink.Push(StudioDeleted(e.Record.Id))
			return e.Next()
		},
	})
}

// membershipUpdated pushes the new role when it changed. A membership moved to another studio or
// user (only a superuser can) is a removal of the old pair plus a role for the new one.
func membershipUpdated(app core.App, sink Sink, rec *core.Record) {
	old := rec.Original()
	studio, user, role := rec.GetString("studio"), rec.GetString("user"), rec.GetString("role")
	oldStudio, oldUser := old.GetString("studio"), old.GetString("user")
	moved := oldStudio != studio || oldUser != user
	if moved && oldStudio != "" && oldUser != "" {
		membershipGone(app, sink, oldStudio, oldUser)
	}
	if moved || old.GetString("role") != role {
		m := MembershipChanged(studio, user, role)
		// Whether the new role may record under the studio's setting; if the studio cannot be read,
		// rec is left out and the relay decides from the setting it last heard, if any.
		if s, err := app.FindRecordById(studiosCollection, studio); err == nil {
			m = m.WithRec(tickets.MayRecord(s.GetString(recordingField), role))
		}
		sink.Push(m)
	}
}

// recordingField is the studio's "recording allowed" setting (pb_migrations).
const recordingField = "recordingAllowed"

// studioUpdated pushes the studio's recording setting when it changed, so a recorder it no longer
// allows is stopped in the live room (tickets carry the setting only at mint time).
func studioUpdated(sink Sink, rec *core.Record) {
	policy := rec.GetString(recordingField)
	if policy == rec.Original().GetString(recordingField) {
		return
	}
	if policy == "" {
		policy = tickets.RecordingEveryone
	}
	sink.Push(RecordingPolicyChanged(rec.Id, policy))
}

func membershipGone(app core.App, sink Sink, studio, user string) {
	if studioGone(app, studio) {
		return
	}
	sink.Push(MembershipRevoked(studio, user))
}

// studioGone is true only when the studio certainly no longer exists; on a lookup error the
// removal is pushed anyway (revoking too much is safer than too little).
func studioGone(app core.App, id string) bool {
	_, err := app.FindRecordById(studiosCollection, id)
	return errors.Is(err, sql.ErrNoRows)
}

package account

import (
	"database/sql"
	"errors"
	"net/http"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Deleted is the answer of POST /api/bandmesh/me/delete.
type Deleted struct {
	Deleted bool `json:"deleted"`
	// HandedOver are the studios that now belong to their oldest engineer.
	HandedOver []HandOver `json:"handedOver"`
	// StudiosDeleted counts owned studios without an engineer, deleted with everything in them.
	StudiosDeleted int `json:"studiosDeleted"`
}

// HandOver names a studio and its new owner's user id (a member of it, so no one new learns it).
type HandOver struct {
	Studio string `json:"studio"`
	Name   string `json:"name"`
	Owner  string `json:"owner"`
}

type deleteBody struct {
	Password string `json:"password"`
}

// deleteRoute needs the password again: a token left in a shared browser must not be enough to
// erase an account and its studios for good.
func deleteRoute(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	var body deleteBody
	if err := e.BindBody(&body); err != nil || body.Password == "" {
		return fail(e, http.StatusBadRequest, CodeInvalid, "Type your password to confirm that you want to delete your account.")
	}
	if len(body.Password) > 1024 || !user.ValidatePassword(body.Password) {
		return fail(e, http.StatusBadRequest, CodeWrongPassword, "That password is not right, so your account has not been deleted.")
	}
	result, err := DeleteAccount(e.App, user.Id)
	if err != nil {
		return internal(e, err)
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, result)
}

// DeleteAccount deletes the user in one transaction. Each studio they own goes to its oldest
// engineer (who becomes owner, studio and membership alike) or, without one, is deleted. Deleting
// the user then removes by cascade their memberships, their uploaded takes and unfinished uploads;
// PocketBase removes the records' files (avatar, takes) after the commit, the recordings hooks
// remove upload parts, and the relaycontrol hooks tell live rooms (role changes, revocations,
// deleted studios) once it has committed.
func DeleteAccount(app core.App, userID string) (*Deleted, error) {
	result := &Deleted{Deleted: true, HandedOver: []HandOver{}}
	err := app.RunInTransaction(func(tx core.App) error {
		user, err := tx.FindRecordById(usersCollection, userID)
		if err != nil {
			return err
		}
		owned, err := tx.FindAllRecords(studiosCollection, dbx.HashExp{"owner": userID})
		if err != nil {
			return err
		}
		for _, studio := range owned {
			heir, err := oldestEngineer(tx, studio.Id)
			if err != nil {
				return err
			}
			if heir == nil {
				if err := tx.Delete(studio); err != nil {
					return err
				}
				result.StudiosDeleted++
				continue
			}
			studio.Set("owner", heir.GetString("user"))
			if err := tx.Save(studio); err != nil {
				return err
			}
			heir.Set("role", "owner")
			if err := tx.Save(heir); err != nil {
				return err
			}
			result.HandedOver = append(result.HandedOver,
				HandOver{Studio: studio.Id, Name: studio.GetString("name"), Owner: heir.GetString("user")})
		}
		return tx.Delete(user)
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

// oldestEngineer is the engineer whose membership is the oldest, or nil. Ties within PocketBase's
// millisecond timestamps go to the row inserted first (SQLite's rowid), never to a random id.
func oldestEngineer(app core.App, studioID string) (*core.Record, error) {
	rec := &core.Record{}
	err := app.RecordQuery(membershipsCollection).
		AndWhere(dbx.HashExp{"studio": studioID, "role": "engineer"}).
		OrderBy("created ASC", "rowid ASC").
		Limit(1).
		One(rec)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

package recordings

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// CleanupCron runs the stale-upload sweep every hour (at minute 17, away from other :00 jobs).
const CleanupCron = "17 * * * *"

// Bind registers the record hooks that keep parts in step with upload rows, and the hourly sweep.
// Deleting a studio or an account deletes its upload rows by cascade; PocketBase runs the after-
// delete hooks for cascaded deletes too, so their parts go as well (recordings' own files are
// PocketBase's: removed with the record). A member who leaves or is removed loses their unfinished
// uploads to that studio.
func Bind(app core.App, s *Service) {
	app.OnRecordAfterDeleteSuccess(UploadsCollection).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "bandmeshRecordingUploadParts",
		Func: func(e *core.RecordEvent) error {
			if err := s.removeParts(e.Record.Id); err != nil {
				e.App.Logger().Warn("recording upload parts not removed (the hourly sweep retries)", "error", err)
			}
			return e.Next()
		},
	})
	app.OnRecordAfterDeleteSuccess(membershipsCollection).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "bandmeshRecordingUploadsOfFormerMember",
		Func: func(e *core.RecordEvent) error {
			uploads, err := e.App.FindAllRecords(UploadsCollection, dbx.HashExp{
				"studio": e.Record.GetString("studio"), "uploader": e.Record.GetString("user"),
			})
			for _, u := range uploads {
				if err == nil {
					err = e.App.Delete(u)
				}
			}
			if err != nil {
				e.App.Logger().Warn("a former member's unfinished uploads were not removed (the sweep will)", "error", err)
			}
			return e.Next()
		},
	})
	app.Cron().MustAdd("bandmeshRecordingUploadsCleanup", CleanupCron, func() {
		if n, err := s.CleanStale(); err != nil {
			app.Logger().Warn("recording upload sweep", "removed", n, "error", err)
		} else if n > 0 {
			app.Logger().Info("recording upload sweep", "removed", n)
		}
	})
}

// SyncFileLimit makes the recordings.file field's maxSize equal BANDMESH_RECORDING_MAX_BYTES, so
// PocketBase's own validation agrees with the upload routes (it checks the file again on save).
func SyncFileLimit(app core.App, maxBytes int64) error {
	col, err := app.FindCollectionByNameOrId(RecordingsCollection)
	if err != nil {
		return err
	}
	field, ok := col.Fields.GetByName("file").(*core.FileField)
	if !ok {
		return fmt.Errorf("recordings.file is not a file field")
	}
	if field.MaxSize == maxBytes {
		return nil
	}
	field.MaxSize = maxBytes
	return app.Save(col)
}

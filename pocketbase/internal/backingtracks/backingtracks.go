// Package backingtracks guards the `backing_tracks` collection (issue 11): audio files a studio's
// members upload to play together. The collection's rules admit members; these hooks add what a rule
// cannot say: the uploader is always the signed-in user, the file is WAV, MP3, Ogg (Vorbis/Opus) or
// FLAC judged by its bytes, at most MaxBytes, at most MaxPerStudio tracks per studio, and only the
// uploader, an engineer or the owner deletes. Every refusal is {code, message} with a sentence.
package backingtracks

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

const (
	Collection = "backing_tracks"
	// MaxBytes is the largest track: about five minutes of 44.1 kHz stereo WAV, far more as MP3/Ogg.
	MaxBytes int64 = 50 << 20
	// MaxPerStudio bounds one studio's storage at MaxPerStudio × MaxBytes.
	MaxPerStudio = 20
	// multipartSlack is what a form around one file adds (boundaries, title, studio).
	multipartSlack = 64 << 10
)

// Stable codes; the app switches on them, people read the message.
const (
	CodeTooLarge     = "track-too-large"
	CodeNotAudio     = "not-audio"
	CodeMissingFile  = "track-file-missing"
	CodeTooMany      = "too-many-tracks"
	CodeCannotDelete = "cannot-delete-track"
)

type problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func refuse(e *core.RequestEvent, status int, code, message string) error {
	return e.JSON(status, problem{Code: code, Message: message})
}

func tooLarge(e *core.RequestEvent, size int64) error {
	message := fmt.Sprintf("That file is %s; the limit for a backing track is %s.", megabytes(size), megabytes(MaxBytes))
	if megabytes(size) == megabytes(MaxBytes) {
		message = fmt.Sprintf("That file is just over %s, the limit for a backing track.", megabytes(MaxBytes))
	}
	return refuse(e, http.StatusRequestEntityTooLarge, CodeTooLarge, message)
}

// megabytes rounds the way people read sizes in a file manager ("72 MB").
func megabytes(n int64) string {
	mb := float64(n) / (1 << 20)
	if mb < 10 {
		return strings.TrimSuffix(fmt.Sprintf("%.1f", mb), ".0") + " MB"
	}
	return fmt.Sprintf("%.0f MB", mb)
}

// Bind registers the create and delete guards on the app.
func Bind(app core.App) {
	app.OnRecordCreateRequest(Collection).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id:   "bandmeshBackingTrackCreate",
		Func: guardCreate,
	})
	app.OnRecordDeleteRequest(Collection).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id:   "bandmeshBackingTrackDelete",
		Func: guardDelete,
	})
}

// guardCreate runs after PocketBase checked the create rule (membership), before validation and save.
func guardCreate(e *core.RecordRequestEvent) error {
	if e.Auth == nil {
		return e.UnauthorizedError("Sign in to upload a backing track.", nil)
	}
	if !e.HasSuperuserAuth() {
		// Whatever the body said: the uploader is whoever signed the request.
		e.Record.Set("uploader", e.Auth.Id)
	}
	files := e.Record.GetUnsavedFiles("file")
	if len(files) != 1 {
		return refuse(e.RequestEvent, http.StatusBadRequest, CodeMissingFile, "Choose one audio file to upload.")
	}
	f := files[0]
	if f.Size > MaxBytes {
		return tooLarge(e.RequestEvent, f.Size)
	}
	info, ok, err := sniffFile(f)
	if err != nil {
		return e.InternalServerError("The uploaded file could not be read.", err)
	}
	if !ok {
		return refuse(e.RequestEvent, http.StatusBadRequest, CodeNotAudio,
			"That is not a WAV, MP3, Ogg (Vorbis or Opus) or FLAC file, so it cannot be a backing track.")
	}
	count, err := e.App.CountRecords(Collection, dbx.HashExp{"studio": e.Record.GetString("studio")})
	if err != nil {
		return e.InternalServerError("", err)
	}
	if count >= MaxPerStudio {
		return refuse(e.RequestEvent, http.StatusConflict, CodeTooMany,
			fmt.Sprintf("This studio already keeps %d backing tracks, the most it can hold. Delete one to upload another.", MaxPerStudio))
	}
	// Facts about the file come from the file, never from the form.
	e.Record.Set("format", string(info.Format))
	e.Record.Set("sampleRate", info.SampleRate)
	e.Record.Set("durationMs", info.DurationMs)
	return e.Next()
}

func sniffFile(f *filesystem.File) (Info, bool, error) {
	r, err := f.Reader.Open()
	if err != nil {
		return Info{}, false, err
	}
	defer r.Close()
	info, ok := Sniff(r)
	return info, ok, nil
}

// guardDelete runs after the delete rule admitted a member: the uploader, an engineer or the owner
// may delete; any other member gets a sentence instead of a silent refusal.
func guardDelete(e *core.RecordRequestEvent) error {
	if e.HasSuperuserAuth() || e.Auth == nil || e.Record.GetString("uploader") == e.Auth.Id {
		return e.Next()
	}
	m, err := e.App.FindFirstRecordByFilter("memberships", "studio = {:studio} && user = {:user}",
		dbx.Params{"studio": e.Record.GetString("studio"), "user": e.Auth.Id})
	if err == nil {
		if role := m.GetString("role"); role == "owner" || role == "engineer" {
			return e.Next()
		}
	}
	return refuse(e.RequestEvent, http.StatusForbidden, CodeCannotDelete,
		"Only the person who uploaded this track, an engineer or the studio's owner can delete it.")
}

// Register refuses an oversize upload by its Content-Length before the body is read, with the same
// sentence as the file check (PocketBase's own body limit would answer "Request entity too large").
func Register(r *router.Router[*core.RequestEvent]) {
	path := "/api/collections/" + Collection + "/records"
	r.Bind(&hook.Handler[*core.RequestEvent]{
		Id:       "bandmeshBackingTrackBodyLimit",
		Priority: apis.DefaultBodyLimitMiddlewarePriority - 1,
		Func: func(e *core.RequestEvent) error {
			if e.Request.Method == http.MethodPost && e.Request.URL.Path == path &&
				e.Request.ContentLength > MaxBytes+multipartSlack {
				e.Response.Header().Set("Connection", "close")
				return tooLarge(e, e.Request.ContentLength)
			}
			return e.Next()
		},
	})
}

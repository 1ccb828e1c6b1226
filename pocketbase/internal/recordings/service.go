package recordings

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"bandmesh/pocketbase/internal/tickets"
)

// Collection names shared with pb_migrations/1795344520_create_recordings.js.
const (
	RecordingsCollection  = "recordings"
	UploadsCollection     = "recording_uploads"
	usersCollection       = "users"
	studiosCollection     = "studios"
	membershipsCollection = "memberships"
)

// Defaults of Options.
const (
	// DefaultChunkSize is small enough for a progress bar that moves on a slow uplink and for a
	// lost chunk to cost little, and far below PocketBase's 32 MiB request body limit.
	DefaultChunkSize int64 = 4 << 20
	// DefaultMaxOpenUploads bounds the unfinished uploads one account may hold, so nobody reserves
	// the disk with uploads they never finish.
	DefaultMaxOpenUploads = 4
)

// Options configure the Service; zero values take the defaults.
type Options struct {
	// Enabled is BANDMESH_RECORDINGS != off.
	Enabled bool
	// MaxBytes is BANDMESH_RECORDING_MAX_BYTES.
	MaxBytes int64
	// StaleAfter is BANDMESH_RECORDING_STALE_HOURS: unfinished uploads untouched for longer are removed.
	StaleAfter     time.Duration
	ChunkSize      int64
	MaxOpenUploads int
	// Now is injectable for tests.
	Now func() time.Time
	// FreeBytes reports the free space where parts are written (statfs); injectable for tests.
	FreeBytes func(path string) (int64, error)
}

// DiskReserve is left free when an upload is accepted: the parts, then the stored copy, must not
// fill the disk the database lives on.
const DiskReserve int64 = 512 << 20

// Service is the upload logic, independent of HTTP (routes.go adapts it).
type Service struct {
	app   core.App
	opts  Options
	parts parts
	locks keyedMutex
}

// Upload is the state of an unfinished upload, as the routes return it.
type Upload struct {
	ID        string `json:"uploadId"`
	ChunkSize int64  `json:"chunkSize"`
	Size      int64  `json:"size"`
	Received  int64  `json:"received"`
}

// New makes the service for app; its parts live under app.DataDir().
func New(app core.App, opts Options) *Service {
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 2 << 30
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 24 * time.Hour
	}
	if opts.MaxOpenUploads <= 0 {
		opts.MaxOpenUploads = DefaultMaxOpenUploads
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FreeBytes == nil {
		opts.FreeBytes = freeBytes
	}
	return &Service{app: app, opts: opts, parts: parts{root: filepath.Join(app.DataDir(), PartsDirName)}}
}

// Limits is what the app shows before an upload (GET /api/bandmesh/recordings/limits).
type Limits struct {
	Enabled   bool  `json:"enabled"`
	MaxBytes  int64 `json:"maxBytes"`
	ChunkSize int64 `json:"chunkSize"`
}

func (s *Service) Limits() Limits {
	return Limits{Enabled: s.opts.Enabled, MaxBytes: s.opts.MaxBytes, ChunkSize: s.opts.ChunkSize}
}

// Start begins an upload, or resumes the user's unfinished upload of the same take and kind to the
// same studio when it is of the same file (size, name and checksum); a different file replaces it.
func (s *Service) Start(user *core.Record, p StartParams) (Upload, error) {
	if !s.opts.Enabled {
		return Upload{}, errDisabled
	}
	if prob := p.normalize(); prob != nil {
		return Upload{}, prob
	}
	if p.Size > s.opts.MaxBytes {
		return Upload{}, tooLarge(p.Size, s.opts.MaxBytes)
	}
	if err := s.requireMayRecord(p.Studio, user.Id); err != nil {
		return Upload{}, err
	}
	if done, err := s.findRecording(p.Studio, user.Id, p.TakeID, p.Kind, p.Size); err != nil {
		return Upload{}, err
	} else if done != nil {
		prob := problem(http.StatusConflict, CodeAlreadyUploaded, "This take is already uploaded to this studio.")
		prob.RecordID = done.Id
		return Upload{}, prob
	}

	existing, err := s.findUpload("studio = {:studio} && uploader = {:user} && takeId = {:take} && kind = {:kind}",
		dbx.Params{"studio": p.Studio, "user": user.Id, "take": p.TakeID, "kind": p.Kind})
	if err != nil {
		return Upload{}, err
	}
	if existing != nil {
		unlock := s.locks.lock(existing.Id)
		defer unlock()
		if existing.GetInt("size") == int(p.Size) && existing.GetString("fileName") == p.FileName &&
			existing.GetString("sha256") == p.SHA256 {
			existing.Set("name", p.Name)
			existing.Set("durationFrames", p.DurationFrames)
			if err := s.app.Save(existing); err != nil {
				return Upload{}, err
			}
			if err := s.parts.create(existing.Id, p.FileName); err != nil {
				return Upload{}, err
			}
			return s.view(existing), nil
		}
		if err := s.app.Delete(existing); err != nil {
			return Upload{}, err
		}
	}

	open, err := s.app.CountRecords(UploadsCollection, dbx.HashExp{"uploader": user.Id})
	if err != nil {
		return Upload{}, err
	}
	if open >= int64(s.opts.MaxOpenUploads) {
		return Upload{}, problem(http.StatusTooManyRequests, CodeTooManyUploads,
			fmt.Sprintf("You have %d unfinished uploads. Finish or cancel one of them first.", open))
	}

	if err := s.requireSpace(p.Size); err != nil {
		return Upload{}, err
	}

	col, err := s.app.FindCachedCollectionByNameOrId(UploadsCollection)
	if err != nil {
		return Upload{}, err
	}
	rec := core.NewRecord(col)
	rec.Set("studio", p.Studio)
	rec.Set("uploader", user.Id)
	rec.Set("takeId", p.TakeID)
	rec.Set("kind", p.Kind)
	rec.Set("name", p.Name)
	rec.Set("durationFrames", p.DurationFrames)
	rec.Set("size", p.Size)
	rec.Set("received", 0)
	rec.Set("fileName", p.FileName)
	rec.Set("sha256", p.SHA256)
	if err := s.app.Save(rec); err != nil {
		return Upload{}, err
	}
	if err := s.parts.create(rec.Id, p.FileName); err != nil {
		_ = s.app.Delete(rec)
		return Upload{}, err
	}
	return s.view(rec), nil
}

// requireSpace refuses an upload the disk cannot hold twice (the parts, then the stored copy, when
// storage is local) plus DiskReserve. Unknown free space (another platform, a statfs error) passes.
func (s *Service) requireSpace(size int64) error {
	if err := os.MkdirAll(s.parts.root, 0o700); err != nil {
		return err
	}
	free, err := s.opts.FreeBytes(s.parts.root)
	if err != nil || free >= 2*size+DiskReserve {
		return nil
	}
	return problem(http.StatusInsufficientStorage, CodeServerFull,
		"The server has no room for this take right now. Try again later, or ask whoever runs this Bandmesh server.")
}

// Status is the user's unfinished upload, for resume: where to continue.
func (s *Service) Status(user *core.Record, uploadID string) (Upload, error) {
	rec, err := s.ownUpload(user, uploadID)
	if err != nil {
		return Upload{}, err
	}
	return s.view(rec), nil
}

// WriteChunk stores body at offset. offset must be what the server has received (else 409 with the
// expected offset); a chunk that the server already holds entirely is accepted again without being
// written (a retry after a lost response). The body may hold at most ChunkSize bytes and must not
// go past the declared size.
func (s *Service) WriteChunk(user *core.Record, uploadID string, offset int64, body io.Reader) (Upload, error) {
	if !s.opts.Enabled {
		return Upload{}, errDisabled
	}
	unlock := s.locks.lock(uploadID)
	defer unlock()
	rec, err := s.ownUpload(user, uploadID)
	if err != nil {
		return Upload{}, err
	}
	if err := s.requireMember(rec.GetString("studio"), user.Id); err != nil {
		return Upload{}, err
	}
	received, size := int64(rec.GetInt("received")), int64(rec.GetInt("size"))
	if offset > received || offset < 0 {
		return Upload{}, wrongOffset(received)
	}
	if offset < received {
		// A re-sent chunk: fine when the server already has all of it.
		n, err := io.Copy(io.Discard, io.LimitReader(body, s.opts.ChunkSize+1))
		if err != nil {
			return Upload{}, problem(http.StatusBadRequest, CodeInterruptedRequest, "The chunk did not arrive whole; send it again.")
		}
		if n > s.opts.ChunkSize {
			return Upload{}, s.chunkTooLarge()
		}
		if offset+n > received {
			return Upload{}, wrongOffset(received)
		}
		return s.view(rec), nil
	}

	limit := min(s.opts.ChunkSize, size-received)
	n, err := s.parts.write(rec.Id, rec.GetString("fileName"), offset, limit, body)
	switch {
	case errors.Is(err, errOverLimit) && limit < s.opts.ChunkSize:
		return Upload{}, problem(http.StatusRequestEntityTooLarge, CodeTooLarge,
			fmt.Sprintf("This chunk goes past the %s the upload was started with.", HumanBytes(size)))
	case errors.Is(err, errOverLimit):
		return Upload{}, s.chunkTooLarge()
	case errors.Is(err, os.ErrNotExist):
		return Upload{}, errUploadNotFound
	case err != nil:
		// Mostly a connection dropped mid-chunk: nothing of it was kept.
		s.app.Logger().Debug("recording chunk not stored", "error", err)
		return Upload{}, problem(http.StatusBadRequest, CodeInterruptedRequest, "The chunk did not arrive whole; send it again.")
	case n == 0 && received < size:
		return Upload{}, invalid("The chunk is empty.")
	}
	rec.Set("received", received+n)
	if err := s.app.Save(rec); err != nil {
		return Upload{}, err
	}
	return s.view(rec), nil
}

func (s *Service) chunkTooLarge() *Problem {
	return problem(http.StatusRequestEntityTooLarge, CodeChunkTooLarge,
		fmt.Sprintf("A chunk may hold at most %s.", HumanBytes(s.opts.ChunkSize)))
}

// Complete turns a fully received upload into a `recordings` record: the part file goes into the
// record's file field through PocketBase's filesystem (streamed, local or S3), then the upload and
// its parts are removed.
func (s *Service) Complete(user *core.Record, uploadID string) (*core.Record, error) {
	if !s.opts.Enabled {
		return nil, errDisabled
	}
	unlock := s.locks.lock(uploadID)
	defer unlock()
	rec, err := s.ownUpload(user, uploadID)
	if err != nil {
		return nil, err
	}
	if err := s.requireMember(rec.GetString("studio"), user.Id); err != nil {
		return nil, err
	}
	received, size := int64(rec.GetInt("received")), int64(rec.GetInt("size"))
	fileName := rec.GetString("fileName")
	partPath := s.parts.file(rec.Id, fileName)
	if received != size {
		prob := problem(http.StatusConflict, CodeIncomplete,
			fmt.Sprintf("The server has %s of %s: send the rest before finishing.", HumanBytes(received), HumanBytes(size)))
		prob.Expected = &received
		return nil, prob
	}
	info, err := os.Stat(partPath)
	if err != nil || info.Size() != size {
		// The parts and the row disagree (a disk problem): nothing of it can be trusted.
		_ = s.app.Delete(rec)
		return nil, problem(http.StatusConflict, CodeUploadNotFound,
			"The uploaded part was lost on the server. Start the upload again.")
	}
	if want := rec.GetString("sha256"); want != "" {
		got, err := s.parts.checksum(rec.Id, fileName, size)
		if err != nil {
			return nil, err
		}
		if got != want {
			_ = s.app.Delete(rec)
			return nil, problem(http.StatusUnprocessableEntity, CodeChecksumMismatch,
				"The uploaded file differs from the one on your computer (its checksum does not match). Upload it again.")
		}
	}

	file, err := filesystem.NewFileFromPath(partPath)
	if err != nil {
		return nil, err
	}
	col, err := s.app.FindCachedCollectionByNameOrId(RecordingsCollection)
	if err != nil {
		return nil, err
	}
	out := core.NewRecord(col)
	out.Set("studio", rec.GetString("studio"))
	out.Set("uploader", user.Id)
	out.Set("name", rec.GetString("name"))
	out.Set("kind", rec.GetString("kind"))
	out.Set("takeId", rec.GetString("takeId"))
	out.Set("durationFrames", rec.GetInt("durationFrames"))
	out.Set("bytes", size)
	out.Set("file", file)
	// Not in a transaction: the file is copied into storage before the insert, and a multi-GB copy
	// must not hold SQLite's write lock. A failed delete below leaves parts the stale sweep removes.
	if err := s.app.Save(out); err != nil {
		return nil, err
	}
	if err := s.app.Delete(rec); err != nil {
		s.app.Logger().Warn("recording upload row not removed after complete", "error", err)
	}
	return out, nil
}

// Abandon removes the user's unfinished upload and its parts.
func (s *Service) Abandon(user *core.Record, uploadID string) error {
	unlock := s.locks.lock(uploadID)
	defer unlock()
	rec, err := s.ownUpload(user, uploadID)
	if err != nil {
		return err
	}
	return s.app.Delete(rec)
}

// CleanStale removes unfinished uploads untouched for StaleAfter, and part directories no upload
// row owns (left by a crash between the two). It returns how many uploads it removed.
func (s *Service) CleanStale() (int, error) {
	cutoff := s.opts.Now().Add(-s.opts.StaleAfter).UTC().Format("2006-01-02 15:04:05.000Z")
	stale, err := s.app.FindRecordsByFilter(UploadsCollection, "updated < {:cutoff}", "", 0, 0,
		dbx.Params{"cutoff": cutoff})
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, rec := range stale {
		unlock := s.locks.lock(rec.Id)
		if err := s.app.Delete(rec); err != nil {
			errs = append(errs, err)
		} else {
			removed++
		}
		unlock()
	}
	entries, err := os.ReadDir(s.parts.root)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	for _, entry := range entries {
		if !entry.IsDir() || !idPattern.MatchString(entry.Name()) {
			continue
		}
		info, err := entry.Info()
		// A directory made moments ago may belong to an upload being created right now.
		if err != nil || s.opts.Now().Sub(info.ModTime()) < time.Minute {
			continue
		}
		if _, err := s.app.FindRecordById(UploadsCollection, entry.Name()); errors.Is(err, sql.ErrNoRows) {
			errs = append(errs, s.parts.remove(entry.Name()))
		}
	}
	return removed, errors.Join(errs...)
}

// removeParts is called when an upload row is deleted in any way (complete, abandon, stale sweep,
// cascade from its studio or its uploader's account).
func (s *Service) removeParts(uploadID string) error { return s.parts.remove(uploadID) }

// PartsDir is where unfinished uploads are stored.
func (s *Service) PartsDir() string { return s.parts.root }

func (s *Service) view(rec *core.Record) Upload {
	return Upload{ID: rec.Id, ChunkSize: s.opts.ChunkSize, Size: int64(rec.GetInt("size")), Received: int64(rec.GetInt("received"))}
}

// ownUpload finds the upload only when user started it; anyone else's is "not found".
func (s *Service) ownUpload(user *core.Record, uploadID string) (*core.Record, error) {
	if !idPattern.MatchString(uploadID) {
		return nil, errUploadNotFound
	}
	rec, err := s.findUpload("id = {:id} && uploader = {:user}", dbx.Params{"id": uploadID, "user": user.Id})
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, errUploadNotFound
	}
	return rec, nil
}

func (s *Service) findUpload(filter string, params dbx.Params) (*core.Record, error) {
	rec, err := s.app.FindFirstRecordByFilter(UploadsCollection, filter, params)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return rec, err
}

func (s *Service) findRecording(studio, user, takeID, kind string, size int64) (*core.Record, error) {
	rec, err := s.app.FindFirstRecordByFilter(RecordingsCollection,
		"studio = {:studio} && uploader = {:user} && takeId = {:take} && kind = {:kind} && bytes = {:bytes}",
		dbx.Params{"studio": studio, "user": user, "take": takeID, "kind": kind, "bytes": size})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return rec, err
}

// requireMayRecord: requireMember, and the studio's recordingAllowed lets the member's role record
// (403 otherwise): an owner who forbids recording forbids storing recordings in the studio too.
func (s *Service) requireMayRecord(studioID, userID string) error {
	if err := s.requireMember(studioID, userID); err != nil {
		return err
	}
	studio, err := s.app.FindRecordById(studiosCollection, studioID)
	if err != nil {
		return err
	}
	m, err := s.app.FindFirstRecordByFilter(membershipsCollection, "studio = {:studio} && user = {:user}",
		dbx.Params{"studio": studioID, "user": userID})
	if err != nil {
		return err
	}
	if !tickets.MayRecord(studio.GetString("recordingAllowed"), m.GetString("role")) {
		return errNotAllowed
	}
	return nil
}

// requireMember: the studio exists (404) and user is a member of it (403).
func (s *Service) requireMember(studioID, userID string) error {
	if _, err := s.app.FindRecordById(studiosCollection, studioID); errors.Is(err, sql.ErrNoRows) {
		return errStudioNotFound
	} else if err != nil {
		return err
	}
	_, err := s.app.FindFirstRecordByFilter(membershipsCollection, "studio = {:studio} && user = {:user}",
		dbx.Params{"studio": studioID, "user": userID})
	if errors.Is(err, sql.ErrNoRows) {
		return errNotMember
	}
	return err
}

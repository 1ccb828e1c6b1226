package recordings

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	// The system migrations (_collections, users, …), as the pocketbase package imports them.
	_ "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/plugins/jsvm"
)

const testChunk = 16

// fixture is a real PocketBase app with the committed migrations and hooks, the upload service
// bound to it, a studio with its owner and a member, and an outsider.
type fixture struct {
	app                     core.App
	svc                     *Service
	owner, member, outsider *core.Record
	studio                  *core.Record
	now                     time.Time
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir()})
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	jsvm.MustRegister(app, jsvm.Config{
		MigrationsDir: filepath.Join(root, "pb_migrations"),
		HooksDir:      filepath.Join(root, "pb_hooks"),
		HooksPoolSize: 1,
	})
	if err := app.Bootstrap(); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if err := app.RunAllMigrations(); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	t.Cleanup(func() { _ = app.ResetBootstrapState() })

	f := &fixture{app: app, now: time.Now()}
	opts.Enabled = !opts.Enabled // zero value = enabled in these tests
	if opts.ChunkSize == 0 {
		opts.ChunkSize = testChunk
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = 1024
	}
	opts.Now = func() time.Time { return f.now }
	f.svc = New(app, opts)
	if err := SyncFileLimit(app, opts.MaxBytes); err != nil {
		t.Fatal(err)
	}
	Bind(app, f.svc)
	f.owner = f.user(t, "owner")
	f.member = f.user(t, "member")
	f.outsider = f.user(t, "outsider")
	f.studio = f.newStudio(t, f.owner, "the-band")
	f.join(t, f.studio, f.member)
	return f
}

func (f *fixture) user(t *testing.T, name string) *core.Record {
	t.Helper()
	col, _ := f.app.FindCollectionByNameOrId("users")
	u := core.NewRecord(col)
	u.SetEmail(name + "@bandmesh.test")
	u.SetPassword("correct-horse-battery")
	u.Set("name", name)
	if err := f.app.Save(u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) newStudio(t *testing.T, owner *core.Record, slug string) *core.Record {
	t.Helper()
	col, _ := f.app.FindCollectionByNameOrId("studios")
	s := core.NewRecord(col)
	s.Set("name", slug)
	s.Set("slug", slug)
	s.Set("owner", owner.Id)
	if err := f.app.Save(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) join(t *testing.T, studio, user *core.Record) *core.Record {
	t.Helper()
	col, _ := f.app.FindCollectionByNameOrId("memberships")
	m := core.NewRecord(col)
	m.Set("studio", studio.Id)
	m.Set("user", user.Id)
	m.Set("role", "member")
	if err := f.app.Save(m); err != nil {
		t.Fatal(err)
	}
	return m
}

func params(studio string, size int) StartParams {
	return StartParams{Studio: studio, TakeID: "take-1", Kind: KindStems, Name: "Tuesday jam",
		DurationFrames: 48000, Size: int64(size), FileName: "Tuesday jam.zip"}
}

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// expectProblem fails unless err is a Problem with this status and code.
func expectProblem(t *testing.T, err error, status int, code string) *Problem {
	t.Helper()
	var p *Problem
	if !errors.As(err, &p) || p.Status != status || p.Code != code {
		t.Fatalf("want %d %s, got %v", status, code, err)
	}
	if p.Message == "" {
		t.Fatal("a refusal needs a message for people")
	}
	return p
}

// sendAll uploads data from up's offset in ChunkSize pieces.
func (f *fixture) sendAll(t *testing.T, user *core.Record, up Upload, data []byte) Upload {
	t.Helper()
	for up.Received < int64(len(data)) {
		end := min(up.Received+up.ChunkSize, int64(len(data)))
		var err error
		up, err = f.svc.WriteChunk(user, up.ID, up.Received, bytes.NewReader(data[up.Received:end]))
		if err != nil {
			t.Fatal(err)
		}
	}
	return up
}

func storedFile(t *testing.T, app core.App, rec *core.Record) string {
	t.Helper()
	return filepath.Join(app.DataDir(), "storage", rec.Collection().Id, rec.Id, rec.GetString("file"))
}

func TestChunkedUploadBecomesARecording(t *testing.T) {
	f := newFixture(t, Options{})
	data := payload(3*testChunk + 5)
	up, err := f.svc.Start(f.member, params(f.studio.Id, len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if up.Received != 0 || up.ChunkSize != testChunk || up.Size != int64(len(data)) {
		t.Fatalf("start: %+v", up)
	}
	up = f.sendAll(t, f.member, up, data)
	rec, err := f.svc.Complete(f.member, up.ID)
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]any{
		"studio": f.studio.Id, "uploader": f.member.Id, "name": "Tuesday jam", "kind": "stems", "takeId": "take-1",
	} {
		if got := rec.GetString(field); got != want {
			t.Fatalf("%s = %q, want %q", field, got, want)
		}
	}
	if rec.GetInt("bytes") != len(data) || rec.GetInt("durationFrames") != 48000 {
		t.Fatalf("bytes %d, frames %d", rec.GetInt("bytes"), rec.GetInt("durationFrames"))
	}
	stored, err := os.ReadFile(storedFile(t, f.app, rec))
	if err != nil || !bytes.Equal(stored, data) {
		t.Fatalf("stored file differs (%v)", err)
	}
	if _, err := os.Stat(f.svc.parts.dir(up.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("parts left behind: %v", err)
	}
	if _, err := f.svc.Status(f.member, up.ID); err == nil {
		t.Fatal("the upload should be gone after complete")
	}

	// The same take again is not stored twice.
	_, err = f.svc.Start(f.member, params(f.studio.Id, len(data)))
	if p := expectProblem(t, err, http.StatusConflict, CodeAlreadyUploaded); p.RecordID != rec.Id {
		t.Fatalf("recordId %q", p.RecordID)
	}
}

// failingReader delivers n bytes, then fails as a dropped connection does.
type failingReader struct {
	data []byte
	n    int
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := copy(p, r.data[:min(len(r.data), r.n, len(p))])
	r.data, r.n = r.data[k:], r.n-k
	return k, nil
}

func TestOffsetsResumeAndRetries(t *testing.T) {
	f := newFixture(t, Options{})
	data := payload(2*testChunk + 3)
	up, err := f.svc.Start(f.member, params(f.studio.Id, len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if up, err = f.svc.WriteChunk(f.member, up.ID, 0, bytes.NewReader(data[:testChunk])); err != nil || up.Received != testChunk {
		t.Fatalf("%+v %v", up, err)
	}

	// Ahead of what the server has, or a chunk straddling it: 409 with the offset to continue at.
	_, err = f.svc.WriteChunk(f.member, up.ID, 2*testChunk, bytes.NewReader(data[2*testChunk:]))
	if p := expectProblem(t, err, http.StatusConflict, CodeWrongOffset); *p.Expected != testChunk {
		t.Fatalf("expected %d", *p.Expected)
	}
	_, err = f.svc.WriteChunk(f.member, up.ID, 4, bytes.NewReader(data[4:4+testChunk]))
	expectProblem(t, err, http.StatusConflict, CodeWrongOffset)

	// The first chunk re-sent (its answer was lost): accepted, nothing changes.
	if up, err = f.svc.WriteChunk(f.member, up.ID, 0, bytes.NewReader(data[:testChunk])); err != nil || up.Received != testChunk {
		t.Fatalf("re-sent chunk: %+v %v", up, err)
	}

	// A connection that drops mid-chunk stores nothing of it.
	_, err = f.svc.WriteChunk(f.member, up.ID, testChunk, &failingReader{data: data[testChunk : 2*testChunk], n: 7})
	expectProblem(t, err, http.StatusBadRequest, CodeInterruptedRequest)
	st, err := f.svc.Status(f.member, up.ID)
	if err != nil || st.Received != testChunk {
		t.Fatalf("after a dropped chunk: %+v %v", st, err)
	}
	info, _ := os.Stat(f.svc.parts.file(up.ID, "Tuesday_jam.zip"))
	if info.Size() != testChunk {
		t.Fatalf("part file holds %d bytes, want %d", info.Size(), testChunk)
	}

	// Starting again with the same file resumes the same upload where it stopped.
	again, err := f.svc.Start(f.member, params(f.studio.Id, len(data)))
	if err != nil || again.ID != up.ID || again.Received != testChunk {
		t.Fatalf("resume: %+v %v", again, err)
	}
	_, err = f.svc.Complete(f.member, up.ID)
	if p := expectProblem(t, err, http.StatusConflict, CodeIncomplete); *p.Expected != testChunk {
		t.Fatalf("expected %d", *p.Expected)
	}
	up = f.sendAll(t, f.member, again, data)
	rec, err := f.svc.Complete(f.member, up.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := os.ReadFile(storedFile(t, f.app, rec))
	if !bytes.Equal(stored, data) {
		t.Fatal("resumed upload differs from the original")
	}
}

func TestADifferentFileReplacesTheUnfinishedUpload(t *testing.T) {
	f := newFixture(t, Options{})
	first, _ := f.svc.Start(f.member, params(f.studio.Id, 40))
	f.sendAll(t, f.member, Upload{ID: first.ID, ChunkSize: testChunk}, payload(testChunk))
	second, err := f.svc.Start(f.member, params(f.studio.Id, 41))
	if err != nil || second.ID == first.ID || second.Received != 0 {
		t.Fatalf("%+v %v", second, err)
	}
	if _, err := os.Stat(f.svc.parts.dir(first.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the replaced upload's parts are still there")
	}
}

func TestLimits(t *testing.T) {
	f := newFixture(t, Options{MaxBytes: 100})
	_, err := f.svc.Start(f.member, params(f.studio.Id, 101))
	expectProblem(t, err, http.StatusRequestEntityTooLarge, CodeTooLarge)

	up, err := f.svc.Start(f.member, params(f.studio.Id, 20))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.WriteChunk(f.member, up.ID, 0, bytes.NewReader(payload(testChunk+1)))
	expectProblem(t, err, http.StatusRequestEntityTooLarge, CodeChunkTooLarge)
	up = f.sendAll(t, f.member, up, payload(testChunk))
	// 4 bytes are left of the declared 20: five go past it.
	_, err = f.svc.WriteChunk(f.member, up.ID, testChunk, bytes.NewReader(payload(5)))
	expectProblem(t, err, http.StatusRequestEntityTooLarge, CodeTooLarge)
	if st, _ := f.svc.Status(f.member, up.ID); st.Received != testChunk {
		t.Fatalf("refused chunks changed the upload: %+v", st)
	}

	// At most DefaultMaxOpenUploads unfinished uploads per account.
	for i := range DefaultMaxOpenUploads - 1 {
		p := params(f.studio.Id, 10)
		p.TakeID = "other-" + string(rune('a'+i))
		if _, err := f.svc.Start(f.member, p); err != nil {
			t.Fatal(err)
		}
	}
	p := params(f.studio.Id, 10)
	p.TakeID = "one-too-many"
	_, err = f.svc.Start(f.member, p)
	expectProblem(t, err, http.StatusTooManyRequests, CodeTooManyUploads)
}

func TestFullDisk(t *testing.T) {
	free := int64(DiskReserve + 2*100)
	f := newFixture(t, Options{FreeBytes: func(string) (int64, error) { return free, nil }})
	if _, err := f.svc.Start(f.member, params(f.studio.Id, 100)); err != nil {
		t.Fatal(err)
	}
	p := params(f.studio.Id, 101)
	p.TakeID = "too-big-for-the-disk"
	_, err := f.svc.Start(f.member, p)
	expectProblem(t, err, http.StatusInsufficientStorage, CodeServerFull)
}

func TestInvalidStarts(t *testing.T) {
	f := newFixture(t, Options{})
	for name, edit := range map[string]func(*StartParams){
		"no studio":       func(p *StartParams) { p.Studio = "" },
		"odd take id":     func(p *StartParams) { p.TakeID = "../etc" },
		"odd kind":        func(p *StartParams) { p.Kind = "video" },
		"empty name":      func(p *StartParams) { p.Name = "  " },
		"empty file":      func(p *StartParams) { p.Size = 0 },
		"stems not a zip": func(p *StartParams) { p.FileName = "x.wav" },
		"an exe":          func(p *StartParams) { p.Kind = KindMix; p.FileName = "x.exe" },
		"bad checksum":    func(p *StartParams) { p.SHA256 = "ABC" },
	} {
		p := params(f.studio.Id, 10)
		edit(&p)
		_, err := f.svc.Start(f.member, p)
		var prob *Problem
		if !errors.As(err, &prob) || prob.Status != http.StatusBadRequest {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// A path in the file name keeps only a safe base name.
	p := params(f.studio.Id, 10)
	p.Kind, p.FileName = KindMix, `..\..\mix ä.opus`
	up, err := f.svc.Start(f.member, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.svc.parts.file(up.ID, "mix_.opus")); err != nil {
		t.Fatalf("part file name: %v", err)
	}
}

func TestOnlyMembersAndOnlyTheirOwnUploads(t *testing.T) {
	f := newFixture(t, Options{})
	_, err := f.svc.Start(f.outsider, params(f.studio.Id, 10))
	expectProblem(t, err, http.StatusForbidden, CodeNotMember)
	_, err = f.svc.Start(f.member, params("aaaaaaaaaaaaaaa", 10))
	expectProblem(t, err, http.StatusNotFound, CodeNotFound)

	up, err := f.svc.Start(f.member, params(f.studio.Id, 10))
	if err != nil {
		t.Fatal(err)
	}
	// Someone else's upload does not exist for them, the owner included.
	for _, other := range []*core.Record{f.outsider, f.owner} {
		_, err = f.svc.Status(other, up.ID)
		expectProblem(t, err, http.StatusNotFound, CodeUploadNotFound)
		_, err = f.svc.WriteChunk(other, up.ID, 0, bytes.NewReader(payload(10)))
		expectProblem(t, err, http.StatusNotFound, CodeUploadNotFound)
		_, err = f.svc.Complete(other, up.ID)
		expectProblem(t, err, http.StatusNotFound, CodeUploadNotFound)
		expectProblem(t, f.svc.Abandon(other, up.ID), http.StatusNotFound, CodeUploadNotFound)
	}
	if err := f.svc.Abandon(f.member, up.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.svc.parts.dir(up.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("abandoned parts left behind")
	}
}

func TestDisabled(t *testing.T) {
	f := newFixture(t, Options{Enabled: true}) // inverted by newFixture: off
	_, err := f.svc.Start(f.member, params(f.studio.Id, 10))
	expectProblem(t, err, http.StatusForbidden, CodeDisabled)
	_, err = f.svc.WriteChunk(f.member, "aaaaaaaaaaaaaaa", 0, bytes.NewReader(nil))
	expectProblem(t, err, http.StatusForbidden, CodeDisabled)
	if f.svc.Limits().Enabled {
		t.Fatal("limits say enabled")
	}
}

func TestChecksum(t *testing.T) {
	f := newFixture(t, Options{})
	data := payload(20)
	sum := sha256.Sum256(data)
	p := params(f.studio.Id, len(data))
	p.SHA256 = hex.EncodeToString(sum[:])
	up, _ := f.svc.Start(f.member, p)
	f.sendAll(t, f.member, up, data)
	if _, err := f.svc.Complete(f.member, up.ID); err != nil {
		t.Fatal(err)
	}

	p.TakeID = "take-2"
	up, _ = f.svc.Start(f.member, p)
	bad := payload(20)
	bad[19] ^= 1
	f.sendAll(t, f.member, up, bad)
	_, err := f.svc.Complete(f.member, up.ID)
	expectProblem(t, err, http.StatusUnprocessableEntity, CodeChecksumMismatch)
}

func TestStaleUploadsAndOrphanPartsAreSwept(t *testing.T) {
	f := newFixture(t, Options{StaleAfter: time.Hour})
	old, _ := f.svc.Start(f.member, params(f.studio.Id, 10))
	p := params(f.studio.Id, 10)
	p.TakeID = "fresh"
	f.now = f.now.Add(30 * time.Minute)
	fresh, _ := f.svc.Start(f.member, p)
	if _, err := f.svc.WriteChunk(f.member, fresh.ID, 0, bytes.NewReader(payload(4))); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(f.svc.PartsDir(), "zzzzzzzzzzzzzzz")
	if err := os.MkdirAll(orphan, 0o700); err != nil {
		t.Fatal(err)
	}

	// The rows' updated times are the real clock's; move the sweep's clock past the first only.
	f.now = time.Now().Add(time.Hour + time.Second)
	if _, err := f.app.DB().NewQuery("UPDATE recording_uploads SET updated = {:t} WHERE id = {:id}").
		Bind(map[string]any{"t": time.Now().Add(-time.Minute).UTC().Format("2006-01-02 15:04:05.000Z"), "id": old.ID}).
		Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.DB().NewQuery("UPDATE recording_uploads SET updated = {:t} WHERE id = {:id}").
		Bind(map[string]any{"t": time.Now().Add(time.Minute).UTC().Format("2006-01-02 15:04:05.000Z"), "id": fresh.ID}).
		Execute(); err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.CleanStale()
	if err != nil || n != 1 {
		t.Fatalf("removed %d, %v", n, err)
	}
	if _, err := f.svc.Status(f.member, old.ID); err == nil {
		t.Fatal("the stale upload survived")
	}
	if st, err := f.svc.Status(f.member, fresh.ID); err != nil || st.Received != 4 {
		t.Fatalf("the fresh upload went: %+v %v", st, err)
	}
	for _, dir := range []string{f.svc.parts.dir(old.ID), orphan} {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s left behind", dir)
		}
	}
}

// completed uploads one finished recording and one unfinished upload for user.
func (f *fixture) completed(t *testing.T, user *core.Record, studio *core.Record) (*core.Record, Upload) {
	t.Helper()
	data := payload(20)
	p := params(studio.Id, len(data))
	up, err := f.svc.Start(user, p)
	if err != nil {
		t.Fatal(err)
	}
	f.sendAll(t, user, up, data)
	rec, err := f.svc.Complete(user, up.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.TakeID = "unfinished"
	open, err := f.svc.Start(user, p)
	if err != nil {
		t.Fatal(err)
	}
	f.sendAll(t, user, Upload{ID: open.ID, ChunkSize: testChunk}, data[:testChunk])
	return rec, open
}

func (f *fixture) assertGone(t *testing.T, rec *core.Record, path string, open Upload) {
	t.Helper()
	if _, err := f.app.FindRecordById(RecordingsCollection, rec.Id); err == nil {
		t.Fatal("the recording is still there")
	}
	// PocketBase removes a deleted record's files in the background, just after the delete.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("its file is still there: %v", err)
		}
	}
	if _, err := f.app.FindRecordById(UploadsCollection, open.ID); err == nil {
		t.Fatal("the unfinished upload is still there")
	}
	if _, err := os.Stat(f.svc.parts.dir(open.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("its parts are still there")
	}
}

func TestStudioDeletionRemovesRecordingsAndParts(t *testing.T) {
	f := newFixture(t, Options{})
	rec, open := f.completed(t, f.member, f.studio)
	path := storedFile(t, f.app, rec)
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if err := f.app.Delete(f.studio); err != nil {
		t.Fatal(err)
	}
	f.assertGone(t, rec, path, open)
}

func TestAccountDeletionRemovesRecordingsAndParts(t *testing.T) {
	f := newFixture(t, Options{})
	rec, open := f.completed(t, f.member, f.studio)
	path := storedFile(t, f.app, rec)
	if err := f.app.Delete(f.member); err != nil {
		t.Fatal(err)
	}
	f.assertGone(t, rec, path, open)
}

func TestLeavingTheStudioDropsUnfinishedUploads(t *testing.T) {
	f := newFixture(t, Options{})
	other := f.newStudio(t, f.owner, "other-band")
	m := f.join(t, other, f.member)
	up, _ := f.svc.Start(f.member, params(f.studio.Id, 10))
	upOther, _ := f.svc.Start(f.member, params(other.Id, 10))
	if err := f.app.Delete(m); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Status(f.member, upOther.ID); err == nil {
		t.Fatal("the upload to the studio left is still there")
	}
	if _, err := f.svc.Status(f.member, up.ID); err != nil {
		t.Fatalf("the other studio's upload went too: %v", err)
	}
}

func TestSyncFileLimit(t *testing.T) {
	f := newFixture(t, Options{MaxBytes: 5 << 20})
	col, _ := f.app.FindCollectionByNameOrId(RecordingsCollection)
	if got := col.Fields.GetByName("file").(*core.FileField).MaxSize; got != 5<<20 {
		t.Fatalf("maxSize %d", got)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{
		512: "512 bytes", 2 << 30: "2 GB", 24<<20 + 1: "24 MB", 24<<20 + 60<<10: "24.1 MB", 1536 << 20: "1.5 GB", 100 << 20: "100 MB", 3 << 10: "3 KB",
	} {
		if got := HumanBytes(n); got != want {
			t.Fatalf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestUploadsFollowTheStudiosRecordingPolicy(t *testing.T) {
	f := newFixture(t, Options{})
	for policy, allowed := range map[string]bool{"everyone": true, "engineers": false, "nobody": false} {
		f.studio.Set("recordingAllowed", policy)
		if err := f.app.Save(f.studio); err != nil {
			t.Fatal(err)
		}
		up, err := f.svc.Start(f.member, params(f.studio.Id, 10))
		if !allowed {
			expectProblem(t, err, http.StatusForbidden, CodeNotAllowed)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", policy, err)
		}
		if err := f.svc.Abandon(f.member, up.ID); err != nil {
			t.Fatal(err)
		}
	}
}

package recordings

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// PartsDirName is the directory under PocketBase's data dir holding unfinished uploads, one
// directory per upload id with one file (the upload's fileName) in it.
const PartsDirName = "bandmesh_uploads"

type parts struct{ root string }

func (p parts) dir(uploadID string) string { return filepath.Join(p.root, uploadID) }

func (p parts) file(uploadID, fileName string) string {
	return filepath.Join(p.root, uploadID, fileName)
}

// create makes the upload's empty part file (or leaves an existing one alone: resume).
func (p parts) create(uploadID, fileName string) error {
	if err := os.MkdirAll(p.dir(uploadID), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(p.file(uploadID, fileName), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func (p parts) remove(uploadID string) error {
	if !idPattern.MatchString(uploadID) {
		return errors.New("recordings: refusing to remove a part dir with an odd name")
	}
	return os.RemoveAll(p.dir(uploadID))
}

// errOverLimit: the body held more than the bytes allowed at this offset.
var errOverLimit = errors.New("chunk over its limit")

// write copies at most limit bytes of body to the part file at offset, streaming (a chunk is never
// held whole in memory), and syncs them. On any failure — a dropped connection, a body over limit —
// the file is cut back to offset, so what the upload row says was received is what the file holds.
func (p parts) write(uploadID, fileName string, offset, limit int64, body io.Reader) (int64, error) {
	f, err := os.OpenFile(p.file(uploadID, fileName), os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	if err == nil && n > limit {
		err = errOverLimit
	}
	if err == nil {
		// Whatever follows (a stale tail from an attempt cut short) goes.
		err = f.Truncate(offset + n)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		_ = f.Truncate(offset)
		return 0, err
	}
	return n, nil
}

// checksum is the lowercase hex SHA-256 of the part file's first size bytes.
func (p parts) checksum(uploadID, fileName string, size int64) (string, error) {
	f, err := os.Open(p.file(uploadID, fileName))
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(h, f, size); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// keyedMutex serialises requests on one upload (two PUTs of one chunk, a PUT racing complete).
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedEntry
}

type keyedEntry struct {
	sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedEntry{}
	}
	e := k.locks[key]
	if e == nil {
		e = &keyedEntry{}
		k.locks[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.Lock()
	return func() {
		e.Unlock()
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

package recordings

import (
	"path"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Kinds of upload: the mix as heard, or the zip of every stem.
const (
	KindMix   = "mix"
	KindStems = "stems"
)

// StartParams is the body of POST /api/bandmesh/uploads.
type StartParams struct {
	Studio         string `json:"studio"`
	TakeID         string `json:"takeId"`
	Kind           string `json:"kind"`
	Name           string `json:"name"`
	DurationFrames int64  `json:"durationFrames"`
	Size           int64  `json:"size"`
	// FileName is the exported file's name; its extension says what it is (.zip, .wav, .ogg, .opus).
	// Optional: "<takeId>.zip" for stems, "<takeId>.wav" for a mix.
	FileName string `json:"fileName"`
	// SHA256 (lowercase hex) is checked on complete when given.
	SHA256 string `json:"sha256"`
}

var (
	idPattern      = regexp.MustCompile(`^[a-z0-9]{15}$`)
	takeIDPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	sha256Pattern  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	unsafeFileChar = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
)

// allowedExtensions: what the export Worker writes. A stems upload is always a zip (many files).
var allowedExtensions = map[string]bool{".zip": true, ".wav": true, ".ogg": true, ".opus": true}

const maxNameRunes = 120

// normalize checks p and fills defaults; the message of an error names the field for people.
func (p *StartParams) normalize() *Problem {
	p.Name = strings.TrimSpace(p.Name)
	switch {
	case !idPattern.MatchString(p.Studio):
		return invalid("Choose the studio to upload to.")
	case !takeIDPattern.MatchString(p.TakeID):
		return invalid("The take id must be 1–64 letters, digits, '-' or '_'.")
	case p.Kind != KindMix && p.Kind != KindStems:
		return invalid("Upload either the mix or the stems.")
	case p.Name == "" || utf8.RuneCountInString(p.Name) > maxNameRunes || !utf8.ValidString(p.Name):
		return invalid("Give the take a name of 1–120 characters.")
	case p.DurationFrames < 0:
		return invalid("The take's duration cannot be negative.")
	case p.Size <= 0:
		return invalid("This file is empty: there is nothing to upload.")
	case p.SHA256 != "" && !sha256Pattern.MatchString(p.SHA256):
		return invalid("The checksum must be a SHA-256 in lowercase hex.")
	}
	name, prob := cleanFileName(p.FileName, p.TakeID, p.Kind)
	if prob != nil {
		return prob
	}
	p.FileName = name
	return nil
}

// cleanFileName keeps a safe base name (it becomes the part file's name on disk and the stored
// file's original name) and checks the extension against the kind.
func cleanFileName(raw, takeID, kind string) (string, *Problem) {
	name := path.Base(strings.ReplaceAll(strings.TrimSpace(raw), "\\", "/"))
	if raw == "" || name == "." || name == "/" {
		name = takeID + ".zip"
		if kind == KindMix {
			name = takeID + ".wav"
		}
	}
	name = strings.Trim(unsafeFileChar.ReplaceAllString(name, "_"), "._")
	ext := strings.ToLower(path.Ext(name))
	if !allowedExtensions[ext] {
		return "", invalid("Upload a .zip, .wav, .ogg or .opus file exported from a take.")
	}
	if kind == KindStems && ext != ".zip" {
		return "", invalid("Stems are uploaded as the .zip the export makes.")
	}
	base := strings.TrimSuffix(name, path.Ext(name))
	if base == "" {
		base = takeID
	}
	if len(base) > 80 {
		base = base[:80]
	}
	return base + ext, nil
}

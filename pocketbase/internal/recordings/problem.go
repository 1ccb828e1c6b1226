// Package recordings is the optional upload of a take to PocketBase (issue 9): chunked, resumable
// uploads into the server-only `recording_uploads` collection with their bytes in
// <dataDir>/bandmesh_uploads, turned into a `recordings` record (file field, PocketBase's filesystem)
// when complete. Access mirrors the collections' rules: only a signed-in member of the studio uploads,
// only the uploader sees their unfinished upload. See docs/pocketbase.md.
package recordings

import (
	"fmt"
	"net/http"
	"strings"
)

// Stable error codes of the upload routes; the app switches on them, people read the message.
const (
	CodeUnauthorized       = "unauthorized"
	CodeDisabled           = "recordings-disabled"
	CodeInvalid            = "invalid-upload"
	CodeTooLarge           = "recording-too-large"
	CodeChunkTooLarge      = "chunk-too-large"
	CodeNotMember          = "not-member"
	CodeNotAllowed         = "recording-not-allowed"
	CodeNotFound           = "not-found"
	CodeUploadNotFound     = "upload-not-found"
	CodeWrongOffset        = "wrong-offset"
	CodeIncomplete         = "upload-incomplete"
	CodeAlreadyUploaded    = "already-uploaded"
	CodeTooManyUploads     = "too-many-uploads"
	CodeChecksumMismatch   = "checksum-mismatch"
	CodeInterruptedRequest = "chunk-interrupted"
	CodeServerFull         = "server-full"
	CodeInternal           = "internal"
)

// Problem is a refusal with its HTTP status; it is also the JSON error body.
type Problem struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Expected is the offset the server expects next (wrong-offset, upload-incomplete).
	Expected *int64 `json:"expected,omitempty"`
	// RecordID is the recording that already holds this take (already-uploaded).
	RecordID string `json:"recordId,omitempty"`
}

func (p *Problem) Error() string { return p.Code + ": " + p.Message }

func problem(status int, code, message string) *Problem {
	return &Problem{Status: status, Code: code, Message: message}
}

func invalid(message string) *Problem { return problem(http.StatusBadRequest, CodeInvalid, message) }

var (
	errDisabled = problem(http.StatusForbidden, CodeDisabled,
		"This Bandmesh server does not store recordings: its operator has turned uploads off. Your takes stay on your computer; export them to share.")
	errNotMember = problem(http.StatusForbidden, CodeNotMember,
		"Only members of this studio can upload takes to it.")
	errNotAllowed = problem(http.StatusForbidden, CodeNotAllowed,
		"This studio's owner does not allow you to record here, so takes cannot be uploaded to it. Your takes stay on your computer.")
	errStudioNotFound = problem(http.StatusNotFound, CodeNotFound,
		"This studio no longer exists.")
	errUploadNotFound = problem(http.StatusNotFound, CodeUploadNotFound,
		"This upload is no longer on the server (finished, cancelled, or cleaned up after a long pause). Start the upload again.")
)

func wrongOffset(expected int64) *Problem {
	p := problem(http.StatusConflict, CodeWrongOffset,
		fmt.Sprintf("The server expected the upload to continue at byte %d.", expected))
	p.Expected = &expected
	return p
}

func tooLarge(size, limit int64) *Problem {
	return problem(http.StatusRequestEntityTooLarge, CodeTooLarge,
		fmt.Sprintf("This take is %s, and this server accepts uploads of up to %s. Export only the mix, or as Ogg Opus, to make it smaller.",
			HumanBytes(size), HumanBytes(limit)))
}

// HumanBytes writes a size for people: 2 GiB as "2 GB" (binary units, the way file managers round).
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	value, suffix := float64(n), ""
	for _, s := range []string{"KB", "MB", "GB", "TB"} {
		value /= unit
		suffix = s
		if value < unit {
			break
		}
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", value), ".0") + " " + suffix
}

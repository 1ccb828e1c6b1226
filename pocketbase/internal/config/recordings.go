package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Recording upload limits (issue 9: optional upload of a take, by consent).
const (
	// DefaultRecordingMaxBytes is 2 GiB: about 2 h of a 4-player WAV-24 stems zip at 48 kHz mono.
	DefaultRecordingMaxBytes int64 = 2 << 30
	// MinRecordingMaxBytes keeps the limit above one chunk, so a limit typo (a unit forgotten) is an error.
	MinRecordingMaxBytes int64 = 1 << 20
	// MaxRecordingMaxBytes is the file field's own ceiling (PocketBase: up to 2^53-1 bytes); 1 TiB is plenty.
	MaxRecordingMaxBytes int64 = 1 << 40
	// DefaultRecordingStaleAfter is how long an unfinished upload may sit untouched before its parts go.
	DefaultRecordingStaleAfter = 24 * time.Hour
)

// Recordings is the upload configuration: BANDMESH_RECORDINGS, BANDMESH_RECORDING_MAX_BYTES,
// BANDMESH_RECORDING_STALE_HOURS.
type Recordings struct {
	// Enabled is false with BANDMESH_RECORDINGS=off: every upload route answers 403 recordings-disabled.
	// Recordings uploaded earlier stay listable, playable and deletable.
	Enabled bool
	// MaxBytes is the largest file one upload may hold.
	MaxBytes int64
	// StaleAfter is how long an unfinished upload is kept after its last chunk.
	StaleAfter time.Duration
}

func recordingsFromEnv(getenv func(string) string) (Recordings, error) {
	r := Recordings{Enabled: true, MaxBytes: DefaultRecordingMaxBytes, StaleAfter: DefaultRecordingStaleAfter}
	switch raw := strings.ToLower(strings.TrimSpace(getenv("BANDMESH_RECORDINGS"))); raw {
	case "", "on":
	case "off":
		r.Enabled = false
	default:
		return r, fmt.Errorf("BANDMESH_RECORDINGS=%q must be on or off", raw)
	}
	if raw := strings.TrimSpace(getenv("BANDMESH_RECORDING_MAX_BYTES")); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < MinRecordingMaxBytes || n > MaxRecordingMaxBytes {
			return r, fmt.Errorf("BANDMESH_RECORDING_MAX_BYTES=%q must be a whole number of bytes from %d (1 MiB) to %d (1 TiB), e.g. 2147483648 for 2 GiB",
				raw, MinRecordingMaxBytes, MaxRecordingMaxBytes)
		}
		r.MaxBytes = n
	}
	if raw := strings.TrimSpace(getenv("BANDMESH_RECORDING_STALE_HOURS")); raw != "" {
		h, err := strconv.Atoi(raw)
		if err != nil || h < 1 || h > 24*30 {
			return r, fmt.Errorf("BANDMESH_RECORDING_STALE_HOURS=%q must be a whole number of hours from 1 to 720", raw)
		}
		r.StaleAfter = time.Duration(h) * time.Hour
	}
	return r, nil
}

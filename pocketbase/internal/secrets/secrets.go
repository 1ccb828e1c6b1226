// Package secrets resolves the ticket-signing secret shared by PocketBase and the relay.
package secrets

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MinLength is the shortest accepted secret, in characters. 32 hex characters carry 128 bits.
const MinLength = 32

// DefaultFileName is created inside PocketBase's data dir when no secret is configured.
const DefaultFileName = "bandmesh-ticket.secret"

// Source tells where a Ticket secret came from, for the startup log.
type Source string

const (
	SourceEnv       Source = "BANDMESH_TICKET_SECRET"
	SourceFile      Source = "file"
	SourceGenerated Source = "generated"
)

// Options selects the secret: EnvValue wins, else the file at File is read, or created when missing.
type Options struct {
	EnvValue string
	File     string
}

// TicketSecret returns the HMAC key: the UTF-8 bytes of the secret text, trimmed of surrounding
// whitespace. A hex secret is NOT hex-decoded; the relay must use the same bytes.
func TicketSecret(opts Options) ([]byte, Source, error) {
	if v := strings.TrimSpace(opts.EnvValue); v != "" {
		if len(v) < MinLength {
			return nil, "", fmt.Errorf("BANDMESH_TICKET_SECRET is %d characters long; use at least %d (e.g. `openssl rand -hex 32`)", len(v), MinLength)
		}
		return []byte(v), SourceEnv, nil
	}
	if opts.File == "" {
		return nil, "", errors.New("no ticket secret file path given")
	}

	raw, err := os.ReadFile(opts.File)
	if err == nil {
		v := strings.TrimSpace(string(raw))
		if len(v) < MinLength {
			return nil, "", fmt.Errorf("ticket secret file %s holds %d characters; it needs at least %d (delete it to have a new one generated)", opts.File, len(v), MinLength)
		}
		return []byte(v), SourceFile, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("reading ticket secret file: %w", err)
	}

	v, err := generate(opts.File)
	if err != nil {
		return nil, "", err
	}
	return []byte(v), SourceGenerated, nil
}

func generate(path string) (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	v := hex.EncodeToString(buf)

	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("creating the ticket secret's directory: %w", err)
	}
	// O_EXCL: if the relay or a second PocketBase raced us to it, keep theirs so both agree.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return TicketSecretFromFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("creating ticket secret file: %w", err)
	}
	if _, err := f.WriteString(v + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("writing ticket secret file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing ticket secret file: %w", err)
	}
	return v, nil
}

// TicketSecretFromFile reads an existing secret file (trimmed).
func TicketSecretFromFile(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(raw)), nil
}

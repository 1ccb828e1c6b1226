package account

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Export is the answer of GET /api/bandmesh/me/export: every row that holds the person's data,
// and nothing about anyone else beyond the names of the studios they belong to (never another
// member's email, name or id).
type Export struct {
	Format            string           `json:"format"`
	ExportedAt        string           `json:"exportedAt"`
	Account           map[string]any   `json:"account"`
	StudiosOwned      []map[string]any `json:"studiosOwned"`
	Memberships       []map[string]any `json:"memberships"`
	Recordings        []map[string]any `json:"recordings"`
	UnfinishedUploads []map[string]any `json:"unfinishedUploads"`
	BackingTracks     []map[string]any `json:"backingTracks"`
	NotOnThisServer   string           `json:"notOnThisServer"`
}

// ExportFormat names the shape, so a later change can be told apart.
const ExportFormat = "bandmesh-export-1"

func exportRoute(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	out, err := BuildExport(e.App, user)
	if err != nil {
		return internal(e, err)
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	e.Response.Header().Set("Content-Disposition",
		fmt.Sprintf(`attachment; filename="bandmesh-data-%s.json"`, time.Now().UTC().Format("2006-01-02")))
	return e.JSON(200, out)
}

// BuildExport gathers the person's data straight from the tables (API rules do not apply here:
// the caller has checked that user is the signed-in account).
func BuildExport(app core.App, user *core.Record) (*Export, error) {
	out := &Export{
		Format:     ExportFormat,
		ExportedAt: time.Now().UTC().Format(time.RFC3339),
		Account: map[string]any{
			"id": user.Id, "email": user.Email(), "verified": user.Verified(),
			"name": user.GetString("name"), "instruments": user.Get("instruments"),
			"city": user.GetString("city"), "country": user.GetString("country"),
			"skill": user.GetString("skill"), "preferences": user.Get("preferences"),
			"avatar":  user.GetString("avatar"),
			"created": user.GetString("created"), "updated": user.GetString("updated"),
		},
		NotOnThisServer: "Takes you recorded and did not upload are kept only in the browser you recorded them in " +
			"(its private storage); they are not on this server, so they are not in this file. Export them from " +
			"the studio page of that browser.",
	}

	owned, err := app.FindAllRecords(studiosCollection, dbx.HashExp{"owner": user.Id})
	if err != nil {
		return nil, err
	}
	out.StudiosOwned = pick(owned, "name", "slug", "visibility", "maxPlayers", "description", "recordingAllowed", "created", "updated")

	memberships, err := app.FindAllRecords(membershipsCollection, dbx.HashExp{"user": user.Id})
	if err != nil {
		return nil, err
	}
	out.Memberships = make([]map[string]any, 0, len(memberships))
	for _, m := range memberships {
		entry := map[string]any{"id": m.Id, "studio": m.GetString("studio"), "role": m.GetString("role"), "joined": m.GetString("created")}
		if s, err := app.FindRecordById(studiosCollection, m.GetString("studio")); err == nil {
			entry["studioName"], entry["studioSlug"] = s.GetString("name"), s.GetString("slug")
		}
		out.Memberships = append(out.Memberships, entry)
	}

	recordings, err := app.FindAllRecords(recordingsCollection, dbx.HashExp{"uploader": user.Id})
	if err != nil {
		return nil, err
	}
	out.Recordings = pick(recordings, "studio", "name", "kind", "takeId", "durationFrames", "bytes", "file", "created")

	uploads, err := app.FindAllRecords(uploadsCollection, dbx.HashExp{"uploader": user.Id})
	if err != nil {
		return nil, err
	}
	out.UnfinishedUploads = pick(uploads, "studio", "takeId", "kind", "name", "size", "received", "created", "updated")

	tracks, err := app.FindAllRecords(backingTracksCollection, dbx.HashExp{"uploader": user.Id})
	if err != nil {
		return nil, err
	}
	out.BackingTracks = pick(tracks, "studio", "title", "format", "sampleRate", "durationMs", "file", "created")
	return out, nil
}

func pick(records []*core.Record, fields ...string) []map[string]any {
	rows := make([]map[string]any, 0, len(records))
	for _, r := range records {
		row := map[string]any{"id": r.Id}
		for _, f := range fields {
			row[f] = r.Get(f)
		}
		rows = append(rows, row)
	}
	return rows
}

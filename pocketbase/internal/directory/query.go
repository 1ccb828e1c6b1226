package directory

import (
	"encoding/json"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Studio is one directory entry: what a public studio's card shows, and nothing about its members
// but how many there are.
type Studio struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Slug        string   `json:"slug"`
	Description string   `json:"description"`
	Genre       string   `json:"genre"`
	Instruments []string `json:"instruments"`
	MemberCount int      `json:"memberCount"`
	// IsMember: the asking user is in it (the card says "Open" rather than "Join").
	IsMember bool `json:"isMember"`
	// PlayingNow is null when no relay could say ("unknown", not 0).
	PlayingNow *int `json:"playingNow"`
}

type row struct {
	ID          string `db:"id"`
	Name        string `db:"name"`
	Slug        string `db:"slug"`
	Description string `db:"description"`
	Genre       string `db:"genre"`
	Instruments string `db:"instruments"`
	MemberCount int    `db:"memberCount"`
	SortName    string `db:"sortName"`
	IsMember    bool   `db:"isMember"`
}

// where is the filter every query shares. visibility = 'public' is fixed here, never taken from the
// request: unlisted and private studios cannot be listed whatever is asked. Every value is bound.
func where(p Params) dbx.Expression {
	conds := []dbx.Expression{dbx.NewExp("s.visibility = 'public'")}
	if p.Q != "" {
		conds = append(conds, dbx.NewExp(`(s.name LIKE {:q} ESCAPE '\' OR s.description LIKE {:q} ESCAPE '\')`,
			dbx.Params{"q": LikePattern(p.Q)}))
	}
	if p.Genre != "" {
		conds = append(conds, dbx.NewExp("s.genre = {:genre}", dbx.Params{"genre": p.Genre}))
	}
	if p.Instrument != "" {
		conds = append(conds, dbx.NewExp(`EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(s.instruments)
			AND json_type(s.instruments) = 'array' THEN s.instruments ELSE '[]' END) j
			WHERE j.value LIKE {:instrument} ESCAPE '\')`, dbx.Params{"instrument": LikePattern(p.Instrument)}))
	}
	return dbx.And(conds...)
}

// Find returns one page of matching public studios (by name, then id: a stable order) and how
// many match in all; userID is who asks (for isMember).
func Find(app core.App, p Params, userID string) ([]Studio, int, error) {
	var total int
	err := app.DB().Select("COUNT(*)").From("studios s").Where(where(p)).Row(&total)
	if err != nil {
		return nil, 0, err
	}
	var rows []row
	err = app.DB().
		Select("s.id", "s.name", "s.slug", "s.description", "s.genre",
			// A studio that never set instruments holds NULL there.
			"COALESCE(s.instruments, '') AS instruments",
			"(SELECT COUNT(*) FROM memberships m WHERE m.studio = s.id) AS memberCount",
			// dbx quotes ORDER BY terms, so the case-folded name is a column to sort by.
			"LOWER(s.name) AS sortName",
			"EXISTS (SELECT 1 FROM memberships me WHERE me.studio = s.id AND me.user = {:me}) AS isMember").
		From("studios s").
		Where(where(p)).
		OrderBy("sortName ASC", "s.id ASC").
		Limit(int64(p.PerPage)).
		Offset(int64((p.Page - 1) * p.PerPage)).
		Bind(dbx.Params{"me": userID}).
		All(&rows)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Studio, 0, len(rows))
	for _, r := range rows {
		var instruments []string
		if json.Unmarshal([]byte(r.Instruments), &instruments) != nil || instruments == nil {
			instruments = []string{}
		}
		out = append(out, Studio{ID: r.ID, Name: r.Name, Slug: r.Slug, Description: r.Description,
			Genre: r.Genre, Instruments: instruments, MemberCount: r.MemberCount, IsMember: r.IsMember})
	}
	return out, total, nil
}

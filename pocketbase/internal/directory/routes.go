package directory

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Path is the directory route; its rate limit rule (ratelimits "directory") names it.
const Path = "/api/bandmesh/directory"

// Page is the route's answer.
type Page struct {
	Items      []Studio `json:"items"`
	Page       int      `json:"page"`
	PerPage    int      `json:"perPage"`
	TotalItems int      `json:"totalItems"`
	TotalPages int      `json:"totalPages"`
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Register mounts GET Path. Signed-in users only: the studios collection already shows public
// studios to signed-in users only, and who is playing now is not for anonymous scrapers.
func Register(r *router.Router[*core.RequestEvent], live *Live) {
	r.GET(Path, func(e *core.RequestEvent) error { return list(e, live) })
}

func list(e *core.RequestEvent, live *Live) error {
	e.Response.Header().Set("Cache-Control", "no-store")
	if e.Auth == nil || e.Auth.Collection().Name != "users" {
		return e.JSON(http.StatusUnauthorized, apiError{"unauthorized", "Sign in with your Bandmesh account to browse studios."})
	}
	genres, err := genreValues(e.App)
	if err != nil {
		return failInternal(e, err)
	}
	p, err := ParseParams(e.Request.URL.Query(), genres)
	if err != nil {
		return e.JSON(http.StatusBadRequest, apiError{"bad-query", err.Error()})
	}
	items, total, err := Find(e.App, p, e.Auth.Id)
	if err != nil {
		return failInternal(e, err)
	}
	ids := make([]string, len(items))
	for i, s := range items {
		ids[i] = s.ID
	}
	if len(ids) > 0 {
		playing := live.Playing(e.Request.Context(), ids)
		for i := range items {
			items[i].PlayingNow = playing[items[i].ID]
		}
	}
	return e.JSON(http.StatusOK, Page{
		Items: items, Page: p.Page, PerPage: p.PerPage, TotalItems: total,
		TotalPages: (total + p.PerPage - 1) / p.PerPage,
	})
}

// genreValues reads the allowed genres from the studios.genre select field (the migration owns them).
func genreValues(app core.App) ([]string, error) {
	col, err := app.FindCachedCollectionByNameOrId("studios")
	if err != nil {
		return nil, err
	}
	if f, ok := col.Fields.GetByName("genre").(*core.SelectField); ok {
		return f.Values, nil
	}
	return nil, nil
}

func failInternal(e *core.RequestEvent, err error) error {
	e.App.Logger().Error("bandmesh directory failed", "error", err)
	return e.JSON(http.StatusInternalServerError, apiError{"internal", "Something went wrong on the server. Please try again in a moment."})
}

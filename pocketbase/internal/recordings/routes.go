package recordings

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// maxStartBody bounds the JSON of POST /uploads (a name, a few ids and numbers).
const maxStartBody = 16 << 10

// Register mounts the upload routes:
//
//	GET    /api/bandmesh/recordings/limits        → Limits
//	POST   /api/bandmesh/uploads                  StartParams → Upload (201 new, 200 resumed)
//	GET    /api/bandmesh/uploads/{id}             → Upload
//	PUT    /api/bandmesh/uploads/{id}?offset=N    raw chunk → Upload
//	POST   /api/bandmesh/uploads/{id}/complete    → the recordings record
//	DELETE /api/bandmesh/uploads/{id}             → 204
func Register(r *router.Router[*core.RequestEvent], s *Service) {
	h := handlers{s}
	r.GET("/api/bandmesh/recordings/limits", h.limits)
	g := r.Group("/api/bandmesh/uploads")
	g.POST("", h.start)
	g.GET("/{id}", h.status)
	g.PUT("/{id}", h.chunk)
	g.POST("/{id}/complete", h.complete)
	g.DELETE("/{id}", h.abandon)
}

type handlers struct{ s *Service }

func (h handlers) limits(e *core.RequestEvent) error {
	if requireUser(e) == nil {
		return unauthorized(e)
	}
	return respond(e, http.StatusOK, h.s.Limits())
}

func (h handlers) start(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	var p StartParams
	dec := json.NewDecoder(io.LimitReader(e.Request.Body, maxStartBody))
	if err := dec.Decode(&p); err != nil {
		return fail(e, invalid("The upload request is not valid JSON."))
	}
	// A resumed upload keeps its place: 200 with what the server has; a new one is 201.
	up, err := h.s.Start(user, p)
	if err != nil {
		return fail(e, err)
	}
	status := http.StatusCreated
	if up.Received > 0 {
		status = http.StatusOK
	}
	return respond(e, status, up)
}

func (h handlers) status(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	up, err := h.s.Status(user, e.Request.PathValue("id"))
	if err != nil {
		return fail(e, err)
	}
	return respond(e, http.StatusOK, up)
}

func (h handlers) chunk(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	offset, err := strconv.ParseInt(e.Request.URL.Query().Get("offset"), 10, 64)
	if err != nil || offset < 0 {
		return fail(e, invalid("Say where this chunk goes: ?offset=<bytes already sent>."))
	}
	up, err := h.s.WriteChunk(user, e.Request.PathValue("id"), offset, e.Request.Body)
	if err != nil {
		return fail(e, err)
	}
	return respond(e, http.StatusOK, up)
}

func (h handlers) complete(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	rec, err := h.s.Complete(user, e.Request.PathValue("id"))
	if err != nil {
		return fail(e, err)
	}
	if err := apis.EnrichRecord(e, rec); err != nil {
		return fail(e, err)
	}
	return respond(e, http.StatusOK, rec)
}

func (h handlers) abandon(e *core.RequestEvent) error {
	user := requireUser(e)
	if user == nil {
		return unauthorized(e)
	}
	if err := h.s.Abandon(user, e.Request.PathValue("id")); err != nil {
		return fail(e, err)
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.NoContent(http.StatusNoContent)
}

// requireUser is the signed-in Bandmesh user, or nil (a superuser is nobody's studio member).
func requireUser(e *core.RequestEvent) *core.Record {
	if e.Auth == nil || e.Auth.Collection().Name != usersCollection {
		return nil
	}
	return e.Auth
}

func respond(e *core.RequestEvent, status int, body any) error {
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(status, body)
}

func unauthorized(e *core.RequestEvent) error {
	return fail(e, problem(http.StatusUnauthorized, CodeUnauthorized, "Sign in with your Bandmesh account to continue."))
}

// fail writes a Problem as it is, anything else as a logged 500.
func fail(e *core.RequestEvent, err error) error {
	var p *Problem
	if !errors.As(err, &p) {
		e.App.Logger().Error("bandmesh upload route failed", "path", e.Request.URL.Path, "error", err)
		p = problem(http.StatusInternalServerError, CodeInternal, "Something went wrong on the server. Please try again in a moment.")
	}
	return respond(e, p.Status, p)
}

package mail

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Policy is what the app needs to word its pages truthfully: whether this server asks for a verified
// address before studios and TURN. Public: it is the same for everyone and says nothing about anyone.
type Policy struct {
	RequireVerified bool `json:"requireVerified"`
}

// RegisterRoutes mounts GET /api/bandmesh/mail-policy.
func RegisterRoutes(r *router.Router[*core.RequestEvent], requireVerified bool) {
	r.GET("/api/bandmesh/mail-policy", func(e *core.RequestEvent) error {
		return e.JSON(http.StatusOK, Policy{RequireVerified: requireVerified})
	})
}

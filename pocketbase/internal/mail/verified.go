package mail

import (
	"github.com/pocketbase/pocketbase/core"
)

// CodeEmailNotVerified is the stable code of the ticket route's note for an unverified address.
const CodeEmailNotVerified = "email-not-verified"

// NotVerifiedMessage is what a person reads when a studio or TURN is refused for that reason.
const NotVerifiedMessage = "Verify your email address first: open the link we sent you (the banner at the top can send it again). Creating a studio needs a verified address."

// MayUseStudios reports whether user may create studios and get TURN credentials: always when the
// rule is off; otherwise only with a verified address. Superusers are not users records and pass.
func MayUseStudios(requireVerified bool, user *core.Record) bool {
	if !requireVerified || user == nil || user.IsSuperuser() {
		return true
	}
	return user.Verified()
}

// BindRequireVerified refuses studio creation through the API for users whose address is not
// verified, in a request hook: the create rule in the migration cannot read the environment, and the
// check must not depend on what the client claims (e.Auth is the server's own record of the user).
func BindRequireVerified(app core.App, requireVerified bool) {
	if !requireVerified {
		return
	}
	app.OnRecordCreateRequest("studios").BindFunc(func(e *core.RecordRequestEvent) error {
		if !MayUseStudios(true, e.Auth) {
			return e.ForbiddenError(NotVerifiedMessage, nil)
		}
		return e.Next()
	})
}

package studioapi

import (
	"encoding/json"

	"github.com/pocketbase/pocketbase/core"
)

// profileOf returns the display name and first instrument a ticket carries for user. The
// instruments field is a JSON list (pb_hooks/lib/users.js checks it on write); anything else, or an
// empty list, means no instrument rather than an error, since it only labels the player.
func profileOf(user *core.Record) (name, instrument string) {
	return user.GetString("name"), firstInstrument(user.GetString("instruments"))
}

func firstInstrument(raw string) string {
	var list []json.RawMessage
	if json.Unmarshal([]byte(raw), &list) != nil || len(list) == 0 {
		return ""
	}
	var first string
	if json.Unmarshal(list[0], &first) != nil {
		return ""
	}
	return first
}

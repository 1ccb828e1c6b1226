package studioapi

import "testing"

// The pattern must stay identical to the studios.slug field's (pb_migrations/*_create_studios.js):
// a slug the route rejects without a query must be one the collection could never hold.
func TestSlugPattern(t *testing.T) {
	for _, ok := range []string{"abc", "my-band", "a1-b2-c3", "x0" + "0123456789012345678901234567890123456" + "9"} {
		if !slugPattern.MatchString(ok) {
			t.Errorf("%q should be a valid slug", ok)
		}
	}
	for _, bad := range []string{"ab", "-ab", "ab-", "My-Band", "a_b", "a b", "../x", "a\nb"} {
		if slugPattern.MatchString(bad) {
			t.Errorf("%q should be rejected", bad)
		}
	}
}

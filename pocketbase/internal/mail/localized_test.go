package mail

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

func TestRecordLanguageTrustsOnlyTheKnownValues(t *testing.T) {
	app := newApp(t)
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		`{"language":"fr"}`:        "fr",
		`{"language":"en"}`:        "en",
		`{"language":"FR"}`:        "en",
		`{"language":["fr"]}`:      "en",
		`{"language":"<script>"}`:  "en",
		`{"theme":"dark"}`:         "en",
		`null`:                     "en",
		`"fr"`:                     "en",
		`{"language":{"fr":true}}`: "en",
	}
	for prefs, want := range cases {
		record := core.NewRecord(users)
		record.Set("preferences", prefs)
		if got := RecordLanguage(record); got != want {
			t.Errorf("preferences %s: language %q, want %q", prefs, got, want)
		}
	}
}

func TestInLayoutWrapsTheBodyInPocketBasesLayout(t *testing.T) {
	body, err := inLayout("<p>Bonjour</p>")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "<p>Bonjour</p>") || !strings.Contains(body, "<html") {
		t.Fatalf("body = %s", body)
	}
}

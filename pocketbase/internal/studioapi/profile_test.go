package studioapi

import "testing"

func TestFirstInstrument(t *testing.T) {
	cases := map[string]string{
		`["guitar","vocals"]`: "guitar",
		`["Zoë's 🎻"]`:         "Zoë's 🎻",
		`[]`:                  "",
		``:                    "",
		`null`:                "",
		`"guitar"`:            "",
		`[3,"bass"]`:          "",
		`{"a":1}`:             "",
		`[`:                   "",
	}
	for raw, want := range cases {
		if got := firstInstrument(raw); got != want {
			t.Errorf("firstInstrument(%q) = %q, want %q", raw, got, want)
		}
	}
}

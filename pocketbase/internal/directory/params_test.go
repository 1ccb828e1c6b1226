package directory

import (
	"net/url"
	"strings"
	"testing"
)

var genres = []string{"rock", "jazz"}

func TestParseParamsDefaultsAndBounds(t *testing.T) {
	p, err := ParseParams(url.Values{}, genres)
	if err != nil || p.Page != 1 || p.PerPage != DefaultPerPage {
		t.Fatalf("defaults: %+v %v", p, err)
	}
	p, err = ParseParams(url.Values{"q": {"  funk  "}, "genre": {"jazz"}, "page": {"3"}, "perPage": {"50"}}, genres)
	if err != nil || p.Q != "funk" || p.Genre != "jazz" || p.Page != 3 || p.PerPage != 50 {
		t.Fatalf("valid: %+v %v", p, err)
	}
	bad := []url.Values{
		{"perPage": {"-1"}}, {"perPage": {"0"}}, {"perPage": {"51"}}, {"page": {"0"}},
		{"page": {"99999999999999999999"}}, {"page": {"10001"}}, {"page": {"1e3"}},
		{"genre": {"polka"}}, {"genre": {"' OR 1=1 --"}},
		{"q": {strings.Repeat("a", MaxQueryLength+1)}}, {"instrument": {strings.Repeat("b", MaxInstrumentLength+1)}},
		{"q": {"\xff\xfe"}},
	}
	for _, v := range bad {
		if _, err := ParseParams(v, genres); err == nil {
			t.Errorf("accepted %v", v)
		}
	}
}

func TestLikePatternEscapesWildcards(t *testing.T) {
	if got := LikePattern(`50%_off\`); got != `%50\%\_off\\%` {
		t.Fatalf("got %q", got)
	}
}

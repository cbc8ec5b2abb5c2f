package urlpath_test

import (
	"net/url"
	"testing"

	"github.com/fugue-run/fugue/internal/urlpath"
)

func TestSegment(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		".": "%2E", "..": "%2E%2E", "...": "...", "a.b": "a.b", "wf1": "wf1",
		"a/b": "a%2Fb", "a b": "a%20b", "?#": "%3F%23", "": "",
	} {
		got := urlpath.Segment(in)
		if got != want {
			t.Errorf("Segment(%q) = %q, want %q", in, got, want)
		}
		if back, err := url.PathUnescape(got); err != nil || back != in {
			t.Errorf("Segment(%q) = %q unescapes to %q, %v", in, got, back, err)
		}
	}
}

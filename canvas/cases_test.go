package canvas

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/fugue-run/fugue/value"
)

type conformanceCase struct {
	name    string
	canvas  any
	refused bool
}

// loadCases reads testdata/cases.jsonl, a copy of the shared conformance
// cases (shared/conformance/cases.jsonl).
func loadCases(t *testing.T) []conformanceCase {
	t.Helper()
	data, err := os.ReadFile("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []conformanceCase
	d := value.NewDecoder(bytes.NewReader(data))
	for {
		v, err := d.Decode()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		m := v.(map[string]any)
		_, refused := m["expect"].(map[string]any)["http_status"]
		out = append(out, conformanceCase{name: m["name"].(string), canvas: m["canvas"], refused: refused})
	}
	if len(out) == 0 {
		t.Fatal("no cases")
	}
	return out
}

// TestConformanceCasesRoundTrip: every accepted case canvas emits exactly
// the JSON it came from (same keys, same types), and re-parses equal.
func TestConformanceCasesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range loadCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			raw, err := value.MarshalJSON(c.canvas)
			if err != nil {
				t.Fatal(err)
			}
			s, err := ParseJSON(raw, Limits{})
			if c.refused {
				if err == nil {
					t.Fatal("accepted a canvas the case refuses")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Value(); !value.Equal(any(got), c.canvas) {
				g, _ := value.MarshalJSON(got)
				t.Fatalf("Emit(Parse(case)) differs:\n got %s\nwant %s", g, raw)
			}
			b, err := s.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, raw) {
				t.Fatalf("MarshalJSON differs:\n got %s\nwant %s", b, raw)
			}
			s2, err := ParseJSON(b, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !s.Equal(s2) {
				t.Fatal("Parse(Emit(s)) != s")
			}
			s3, err := FromValue(c.canvas, Limits{})
			if err != nil || !s.Equal(s3) {
				t.Fatalf("FromValue differs from ParseJSON: %v", err)
			}
		})
	}
}

func TestConformanceRefusal(t *testing.T) {
	t.Parallel()
	for _, c := range loadCases(t) {
		if !c.refused {
			continue
		}
		_, err := FromValue(c.canvas, Limits{})
		if err == nil || err.Error() != "kwargs.body: chord without a body" {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

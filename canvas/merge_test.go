package canvas

import (
	"testing"

	"github.com/fugue-run/fugue/value"
)

func TestMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		sig        *Signature
		args       []any
		kwargs     map[string]any
		opts       *Options
		wantArgs   []any
		wantKwargs map[string]any
		wantOpts   Options
	}{
		{
			// Celery's docs: add.s(2) applied with 4 runs add(4, 2).
			name: "args prepended", sig: S("tasks.add", 2),
			args: []any{int64(4)}, wantArgs: []any{int64(4), int64(2)},
		},
		{
			name: "kwargs new wins", sig: S("tasks.echo").WithKwargs(map[string]any{"a": 1, "b": 2}),
			kwargs: map[string]any{"b": int64(3), "c": int64(4)}, wantKwargs: map[string]any{"a": int64(1), "b": int64(3), "c": int64(4)},
		},
		{
			name: "immutable ignores args and kwargs, merges options", sig: SI("tasks.add", 2, 2).Set(Options{Queue: "a", Countdown: 1}),
			args: []any{int64(4)}, kwargs: map[string]any{"x": int64(1)}, opts: &Options{Queue: "b"},
			wantArgs: []any{int64(2), int64(2)}, wantOpts: Options{Queue: "b", Countdown: int64(1)},
		},
		{
			name: "options new wins", sig: S("t").Set(Options{TaskID: "old", Priority: 1, Extra: map[string]any{"x": 1, "y": 1}}),
			opts:     &Options{TaskID: "new", Extra: map[string]any{"y": int64(2)}},
			wantOpts: Options{TaskID: "new", Priority: int64(1), Extra: map[string]any{"x": int64(1), "y": int64(2)}},
		},
		{
			name: "nothing to merge", sig: S("t", "a"), wantArgs: []any{"a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := tt.sig.Clone()
			got := tt.sig.Merge(tt.args, tt.kwargs, tt.opts)
			if !value.Equal(got.Args, tt.wantArgs) {
				t.Errorf("args %#v, want %#v", got.Args, tt.wantArgs)
			}
			if !value.Equal(got.Kwargs, tt.wantKwargs) {
				t.Errorf("kwargs %#v, want %#v", got.Kwargs, tt.wantKwargs)
			}
			if !got.Options.equal(tt.wantOpts) {
				t.Errorf("options %#v, want %#v", got.Options, tt.wantOpts)
			}
			if !tt.sig.Equal(before) {
				t.Error("Merge changed its receiver")
			}
		})
	}
}

func TestOptionsMerge(t *testing.T) {
	t.Parallel()
	cb1, cb2 := S("cb1"), S("cb2")
	a := Options{TaskID: "a", Queue: "qa", Link: []*Signature{cb1}, MaxRetries: int64(3), Countdown: int64(1), Extra: map[string]any{"k": "a"}}
	b := Options{Queue: "qb", Link: []*Signature{cb2}, SingleLink: true, MaxRetriesUnlimited: true, Expires: "2024-01-01"}
	m := a.Merge(b)
	want := Options{TaskID: "a", Queue: "qb", Link: []*Signature{cb2}, MaxRetriesUnlimited: true, Countdown: int64(1), Expires: "2024-01-01", Extra: map[string]any{"k": "a"}}
	if !m.equal(want) || !m.SingleLink {
		t.Fatalf("got %#v", m)
	}
	if a.Queue != "qa" || a.Link[0] != cb1 || a.MaxRetries != int64(3) {
		t.Fatal("Merge changed its receiver")
	}
	m.Extra["k"] = "changed"
	if a.Extra["k"] != "a" {
		t.Fatal("Merge shares Extra")
	}
	// MaxRetries replaces unlimited too.
	if m2 := b.Merge(Options{MaxRetries: int64(0)}); m2.MaxRetriesUnlimited || m2.MaxRetries != int64(0) {
		t.Fatalf("max retries: %#v", m2)
	}
	if m3 := a.Merge(Options{}); !m3.equal(a) {
		t.Fatal("merging nothing changed the options")
	}
}

package canvas

import (
	"testing"

	"github.com/fugue-run/fugue/value"
)

func TestChunksGroup(t *testing.T) {
	t.Parallel()
	pairs := func(n int) [][]int {
		out := make([][]int, n)
		for i := range out {
			out[i] = []int{i, i}
		}
		return out
	}
	tests := []struct {
		items, n int
		sizes    []int
	}{
		{10, 3, []int{3, 3, 3, 1}},
		{10, 5, []int{5, 5}},
		{10, 10, []int{10}},
		{3, 10, []int{3}},
		{1, 1, []int{1}},
		{0, 4, nil},
	}
	for _, tt := range tests {
		ch := Chunks(S("tasks.add"), pairs(tt.items), tt.n).Set(Options{TaskID: "c1"})
		g := ch.Group()
		if err := g.Validate(Limits{}); err != nil {
			t.Fatalf("%d/%d: %v", tt.items, tt.n, err)
		}
		if g.Kind != KindGroup || g.Options.TaskID != "c1" || len(g.Tasks) != len(tt.sizes) {
			t.Fatalf("%d/%d: group %#v", tt.items, tt.n, g)
		}
		next := int64(0)
		for i, part := range g.Tasks {
			if part.Kind != KindStarmap || part.Task != "celery.starmap" || !part.Immutable || part.Inner.Task != "tasks.add" || len(part.It) != tt.sizes[i] {
				t.Fatalf("%d/%d: part %d: %#v", tt.items, tt.n, i, part)
			}
			for _, e := range part.It {
				if !value.Equal(e, []any{next, next}) {
					t.Fatalf("%d/%d: part %d holds %#v, want [%d %d]", tt.items, tt.n, i, e, next, next)
				}
				next++
			}
			if part.Inner == ch.Inner {
				t.Fatal("parts share the inner signature")
			}
		}
	}
}

func TestSkew(t *testing.T) {
	t.Parallel()
	countdowns := func(g *Signature) []any {
		var out []any
		for _, m := range g.Tasks {
			out = append(out, m.Options.Countdown)
		}
		return out
	}
	g := Group(S("a"), S("b"), S("c"), S("d")).Skew(1, 0, 1)
	if got := countdowns(g); !value.Equal(got, []any{1.0, 2.0, 3.0, 4.0}) {
		t.Fatalf("no stop: %v", got)
	}
	// Celery: fxrange(1.0, 2.0, 0.5, repeatlast=True) gives 1.0, 1.5, 2.0, 2.0, ...
	g = Group(S("a"), S("b"), S("c"), S("d"), S("e")).Skew(1, 2, 0.5)
	if got := countdowns(g); !value.Equal(got, []any{1.0, 1.5, 2.0, 2.0, 2.0}) {
		t.Fatalf("stop: %v", got)
	}
	if err := g.Validate(Limits{}); err != nil {
		t.Fatal(err)
	}
}

package canvas

import (
	"errors"
	"math"
	"testing"

	"github.com/fugue-run/fugue/value"
)

func TestBuildersNormalize(t *testing.T) {
	t.Parallel()
	s := S("tasks.add", 1, int32(2), 1.5, float32(0.25), []string{"a"}, map[string]int{"k": 1}, nil)
	want := []any{int64(1), int64(2), 1.5, 0.25, []any{"a"}, map[string]any{"k": int64(1)}, nil}
	if !value.Equal(s.Args, want) {
		t.Fatalf("args %#v", s.Args)
	}
	if err := s.Validate(Limits{}); err != nil {
		t.Fatal(err)
	}
	m := Map(S("tasks.double"), []int{1, 2})
	if !m.Immutable || m.Kind != KindMap || !value.Equal(m.It, []any{int64(1), int64(2)}) {
		t.Fatalf("map %#v", m)
	}
	sm := Starmap(S("tasks.add"), [][]int{{1, 2}})
	if !value.Equal(sm.It, []any{[]any{int64(1), int64(2)}}) {
		t.Fatalf("starmap %#v", sm.It)
	}
	s.Set(Options{Countdown: 10, MaxRetries: uint8(2), TimeLimit: float32(1.5), Extra: map[string]any{"shadow": "x"}})
	if s.Options.Countdown != int64(10) || s.Options.MaxRetries != int64(2) || s.Options.TimeLimit != 1.5 {
		t.Fatalf("options %#v", s.Options)
	}
}

func TestBuilderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sig  *Signature
		want string
	}{
		{"bad arg", Chain(S("a"), S("b", 1, struct{}{})), "kwargs.tasks[1].args[1]: unsupported type struct {}"},
		{"bad kwarg", S("a").WithKwargs(map[string]any{"f": func() {}}), "kwargs.f: unsupported type func()"},
		{"bad option", S("a").Set(Options{Countdown: "soon"}), "options.countdown: expected a number"},
		{"bad option type", S("a").Set(Options{Priority: complex(1, 1)}), "options.priority: unsupported type complex128"},
		{"map it not a list", Map(S("a"), 3), "kwargs.it: expected a list"},
		{"starmap element", Starmap(S("a"), []int{1}), "kwargs.it[0]: expected a list"},
		{"chunks n", Chunks(S("a"), [][]int{}, 0), "kwargs.n: must be at least 1"},
		{"chord without body", Chord(Group(S("a")), nil), "kwargs.body: chord without a body"},
		{"chord without header", Chord(nil, S("b")), "kwargs.header: missing"},
		{"nil member", Group(S("a"), nil), "kwargs.tasks[1]: nil signature"},
		{"nil link", S("a").Link(nil), "options.link[0]: nil signature"},
		{"empty task", S(""), "task: must not be empty"},
		{"reserved task", S("celery.chain"), "task: reserved for a chain"},
		{"skew on a task", S("a").Skew(1, 0, 1), "canvas: Skew: not a group"},
		{"group of a task", S("a").Group(), "canvas: Group: not a chunks"},
		{"skew out of range", Group(S("a")).Skew(-3e9, 0, 1), "kwargs.tasks[0].options.countdown: out of range: below -2147483648"},
		{"deep", Chain(Chain(Chain(S("a")))), "kwargs.tasks[0].kwargs.tasks[0].kwargs.tasks[0]: nesting depth 4 exceeds the limit of 3"},
		{"body on a chain", &Signature{Kind: KindChain, Task: "celery.chain", Body: S("a")}, "kwargs.body: only a chord has a body"},
		{"members on a task", &Signature{Task: "a", Tasks: []*Signature{S("b")}}, "kwargs.tasks: a task has no members"},
		{"inner on a group", &Signature{Kind: KindGroup, Task: "celery.group", Inner: S("b")}, "kwargs.task: only a map, starmap or chunks has an inner task"},
		{"n on a map", &Signature{Kind: KindMap, Task: "celery.map", Inner: S("b"), N: 2}, "kwargs.n: only a chunks has a chunk size"},
		{"reserved kwargs", Group(S("a")).WithKwargs(map[string]any{"tasks": 1}), "kwargs.tasks: reserved for the structure of a group"},
		{"known option in Extra", S("a").Set(Options{Extra: map[string]any{"queue": "q"}}), "options.queue: set in Extra; use its Options field"},
		{"both max retries", &Signature{Task: "a", Options: Options{MaxRetries: int64(1), MaxRetriesUnlimited: true}}, "options.max_retries: both MaxRetries and MaxRetriesUnlimited are set"},
		{"unknown kind", &Signature{Kind: 42, Task: "a"}, "subtask_type: unknown kind 42"},
		{"non-value arg", &Signature{Task: "a", Args: []any{1}}, "args[0]: unsupported type int"},
		{"header group with members", &Signature{Kind: KindChord, Task: "celery.chord", Body: S("b"), HeaderGroup: Group(S("a"))}, "kwargs.header.kwargs.tasks: the header's members belong in the chord's Tasks"},
		{"bad eta", S("a").Set(Options{ETA: "now"}), `options.eta: invalid ISO 8601 time "now"`},
		{"task_id NUL", Group(S("a").Set(Options{TaskID: "x\x00"})), `kwargs.tasks[0].options.task_id: must not contain a NUL character (\u0000)`},
		{"infinite countdown", S("a").Set(Options{Countdown: math.Inf(1)}), "options.countdown: must be a finite number, not Infinity"},
		{"NaN time limit", S("a").Set(Options{TimeLimit: math.NaN()}), "options.time_limit: must be a finite number, not NaN"},
		{"NaN arg", S("a", math.NaN(), math.Inf(-1)).Set(Options{Expires: math.Inf(-1)}), "options.expires: must be a finite number, not -Infinity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.sig.Validate(Limits{MaxDepth: 3})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Validate: %v, want %s", err, tt.want)
			}
			if tt.name == "deep" {
				if !errors.Is(err, ErrLimit) {
					t.Fatal("depth error does not wrap ErrLimit")
				}
				return
			}
			if _, err := tt.sig.MarshalJSON(); err == nil || err.Error() != tt.want {
				t.Fatalf("MarshalJSON: %v, want %s", err, tt.want)
			}
		})
	}
}

func TestValidateNodes(t *testing.T) {
	t.Parallel()
	g := Group(S("a"), S("b").Link(S("c")))
	if err := g.Validate(Limits{MaxNodes: 4}); err != nil {
		t.Fatal(err)
	}
	err := g.Validate(Limits{MaxNodes: 3})
	if err == nil || err.Error() != "kwargs.tasks[1].options.link[0]: signature count exceeds the limit of 3" {
		t.Fatalf("got %v", err)
	}
}

func TestChordBuilder(t *testing.T) {
	t.Parallel()
	a, b, body := S("a"), S("b"), S("tasks.xsum")
	c := Chord(Group(a, b), body)
	if c.HeaderGroup != nil || len(c.Tasks) != 2 || c.Tasks[0] != a || c.Body != body {
		t.Fatalf("plain group header: %#v", c)
	}
	c = Chord(Group(a, b).Set(Options{TaskID: "g"}), body)
	if c.HeaderGroup == nil || c.HeaderGroup.Options.TaskID != "g" || len(c.HeaderGroup.Tasks) != 0 || len(c.Tasks) != 2 {
		t.Fatalf("group header with options: %#v", c)
	}
	if err := c.Validate(Limits{}); err != nil {
		t.Fatal(err)
	}
	c = Chord(Chain(a, b), body)
	if len(c.Tasks) != 1 || c.Tasks[0].Kind != KindChain {
		t.Fatalf("chain header: %#v", c)
	}
}

func TestCloneIsDeep(t *testing.T) {
	t.Parallel()
	s := Chord(Group(S("a", []int{1}).Link(S("cb")), S("b")).Set(Options{Queue: "g"}), S("body").WithKwargs(map[string]any{"k": []int{1}}))
	s.Set(Options{Extra: map[string]any{"x": []any{int64(1)}}})
	c := s.Clone()
	if !s.Equal(c) {
		t.Fatal("clone differs")
	}
	c.Tasks[0].Args[0].([]any)[0] = int64(9)
	c.Tasks[0].Options.Link[0].Task = "changed"
	c.HeaderGroup.Options.Queue = "changed"
	c.Body.Kwargs["k"].([]any)[0] = int64(9)
	c.Options.Extra["x"].([]any)[0] = int64(9)
	want := Chord(Group(S("a", []int{1}).Link(S("cb")), S("b")).Set(Options{Queue: "g"}), S("body").WithKwargs(map[string]any{"k": []int{1}}))
	want.Set(Options{Extra: map[string]any{"x": []any{int64(1)}}})
	if !s.Equal(want) {
		t.Fatal("changing the clone changed the original")
	}
}

func TestEqualIsStrict(t *testing.T) {
	t.Parallel()
	if S("a", 4).Equal(S("a", 4.0)) {
		t.Fatal("int 4 equals float 4.0")
	}
	if !S("a").Equal(&Signature{Task: "a", Args: []any{}, Kwargs: map[string]any{}}) {
		t.Fatal("nil and empty args differ")
	}
	one := S("a").Link(S("cb"))
	single := one.Clone()
	single.Options.SingleLink = true
	if !one.Equal(single) {
		t.Fatal("SingleLink counts for Equal")
	}
	if S("a").Set(Options{Countdown: 1}).Equal(S("a").Set(Options{Countdown: 1.0})) {
		t.Fatal("option number types ignored")
	}
}

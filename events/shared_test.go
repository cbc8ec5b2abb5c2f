package events

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/fugue-run/fugue/value"
)

// sharedMember is the i'th plain member of the canvases below.
func sharedMember(i int) any {
	return map[string]any{
		"task": "tasks.add", "args": []any{int64(i), int64(i)}, "kwargs": map[string]any{},
		"options": map[string]any{"queue": "q"}, "subtask_type": nil, "immutable": i%2 == 0,
	}
}

// sharedList is n members, each made by member.
func sharedList(n int, member func(int) any) []any {
	l := make([]any, n)
	for i := range l {
		l[i] = member(i)
	}
	return l
}

func sharedGroup(tasks []any) map[string]any {
	return map[string]any{"task": "celery.group", "subtask_type": "group", "kwargs": map[string]any{"tasks": tasks}}
}

// sharedCanvases are canvases with lists of members long and short, where
// DecodeShared leaves them lazy and where it does not, and how many
// *value.Lazy each has at its top (not counting those inside them).
func sharedCanvases() []struct {
	name  string
	c     map[string]any
	lazy  int
	lists int // lists of lazy members, at any depth
} {
	n := lazyMin
	deep := any(int64(1))
	for range MaxDepth - 8 {
		deep = []any{deep}
	}
	return []struct {
		name  string
		c     map[string]any
		lazy  int
		lists int
	}{
		{"group", sharedGroup(sharedList(n, sharedMember)), n, 1},
		{"short group", sharedGroup(sharedList(n-1, sharedMember)), 0, 0},
		{"chord", map[string]any{"task": "celery.chord", "kwargs": map[string]any{
			"header": sharedList(n+5, sharedMember), "body": sharedGroup(sharedList(n, sharedMember))}}, 2*n + 5, 2},
		{"chord with a header group", map[string]any{"task": "celery.chord", "kwargs": map[string]any{
			"header": sharedGroup(sharedList(n, sharedMember)), "body": map[string]any{"task": "tasks.tsum"}}}, n, 1},
		{"groups in a group", sharedGroup(sharedList(n, func(i int) any {
			if i%20 == 0 {
				return sharedGroup(sharedList(n+i, sharedMember))
			}
			return sharedMember(i)
		})), n, 5},
		{"members not dicts", sharedGroup(sharedList(n, func(i int) any {
			if i%7 == 0 {
				return []any{"not", "a", "signature", int64(i)}
			}
			return sharedMember(i)
		})), n - 10, 1},
		{"a task's kwargs", map[string]any{"task": "tasks.echo", "kwargs": map[string]any{
			"tasks": sharedList(n, sharedMember), "other": map[string]any{"kwargs": map[string]any{"tasks": sharedList(n, sharedMember)}}}}, n, 1},
		{"members in args", map[string]any{"task": "tasks.echo", "args": []any{map[string]any{"kwargs": map[string]any{"tasks": sharedList(n, sharedMember)}}}}, 0, 0},
		{"a member nested deep", sharedGroup(sharedList(n, func(i int) any {
			if i == 3 {
				return map[string]any{"task": "tasks.echo", "args": []any{deep}}
			}
			return sharedMember(i)
		})), n, 1},
	}
}

// countLazy counts the *value.Lazy in v, and in what they decode to when
// deep.
func countLazy(t *testing.T, v any, deep bool) (top, lists int) {
	t.Helper()
	switch x := v.(type) {
	case *value.Lazy:
		if !deep {
			return 1, 0
		}
		m, err := x.Decode()
		if err != nil {
			t.Fatal(err)
		}
		_, l := countLazy(t, m, true)
		return 1, l
	case []any:
		found := false
		for _, e := range x {
			n, l := countLazy(t, e, deep)
			top, lists = top+n, lists+l
			if _, ok := e.(*value.Lazy); ok {
				found = true
			}
		}
		if found {
			lists++
		}
	case map[string]any:
		for _, e := range x {
			n, l := countLazy(t, e, deep)
			top, lists = top+n, lists+l
		}
	}
	return top, lists
}

// TestDecodeSharedAlike checks that DecodeShared leaves the long lists of
// members lazy, and only those, and that the event it gives, its members
// decoded, is Decode's.
func TestDecodeSharedAlike(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	for _, tc := range sharedCanvases() {
		t.Run(tc.name, func(t *testing.T) {
			b := encode(t, c, &Event{ID: "s", Workflow: "w", Time: 7, Body: &WorkflowSubmitted{Canvas: tc.c}})
			want, err := c.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.DecodeShared(b)
			if err != nil {
				t.Fatal(err)
			}
			checkCanvasAvro(t, c, got.Body.(*WorkflowSubmitted).CanvasAvro, want.Body.(*WorkflowSubmitted).Canvas)
			canvas := got.Body.(*WorkflowSubmitted).Canvas
			top, _ := countLazy(t, canvas, false)
			_, lists := countLazy(t, canvas, true)
			if top != tc.lazy || lists != tc.lists {
				t.Fatalf("%d lazy members in %d lists, want %d in %d", top, lists, tc.lazy, tc.lists)
			}
			// Decoded twice: a member decodes afresh each time it is read.
			for range 2 {
				m, err := value.Materialize(value.Clone(canvas))
				if err != nil {
					t.Fatal(err)
				}
				got.Body = &WorkflowSubmitted{Canvas: m.(map[string]any)}
				if !reflect.DeepEqual(got, want) {
					t.Fatal("DecodeShared, its members decoded, differs from Decode")
				}
			}
		})
	}
}

// TestDecodeSharedErrors checks that DecodeShared fails where Decode
// fails, with the same error, on every truncation of a canvas with lazy
// members and on a byte changed at every position of it, and that where
// both succeed their events are alike.
func TestDecodeSharedErrors(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	n := lazyMin
	small := func(i int) any { return map[string]any{"task": "t", "args": []any{int64(i)}} }
	canvas := sharedGroup(sharedList(n, func(i int) any {
		if i == n-2 {
			return sharedGroup(sharedList(n, small))
		}
		return small(i)
	}))
	b := encode(t, c, &Event{ID: "s", Workflow: "w", Body: &WorkflowSubmitted{Canvas: canvas}})
	check := func(t *testing.T, b []byte) {
		t.Helper()
		e, err := c.Decode(b)
		checkShared(t, c, b, e, err)
	}
	for i := range len(b) {
		check(t, b[:i])
		for _, x := range []byte{0x01, 0xff} {
			c := append([]byte(nil), b...)
			c[i] ^= x
			check(t, c)
		}
	}
}

// TestDecodeSharedTooDeep: a lazy member nested past MaxDepth fails
// DecodeShared as it fails Decode.
func TestDecodeSharedTooDeep(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	deep := any(int64(1))
	for range MaxDepth {
		deep = []any{deep}
	}
	canvas := sharedGroup(sharedList(lazyMin, func(i int) any {
		if i == 5 {
			return map[string]any{"task": "tasks.echo", "args": []any{deep}}
		}
		return sharedMember(i)
	}))
	// Encode refuses it; written by hand, as another producer might.
	b := append([]byte(nil), c.event.header[:]...)
	b = appendString(appendString(appendString(b, "s"), "w"), "")
	b = appendString(appendLong(b, 0), "")
	b = appendString(appendLong(b, bodyWorkflowSubmitted), "celery.group")
	b = appendLong(b, 0) // args
	b, err := appendDict(b, canvas["kwargs"].(map[string]any), -50)
	if err != nil {
		t.Fatal(err)
	}
	b = appendBool(appendLong(appendLong(b, 0), 0), false) // options, subtask_type, immutable
	if _, err := c.Encode(&Event{ID: "s", Workflow: "w", Body: &WorkflowSubmitted{Canvas: canvas}}); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("Encode: %v, want ErrTooDeep: the test checks nothing", err)
	}
	_, wantErr := c.Decode(b)
	_, err = c.DecodeShared(b)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || !errors.Is(wantErr, ErrTooDeep) {
		t.Fatalf("DecodeShared: %v, Decode: %v", err, wantErr)
	}
}

// TestDecodeSharedMembersDoNotEmit: a member DecodeShared left lazy has no
// JSON text for value.Lazy.Emit, which fails instead of giving nothing,
// and says it is not JSON (appendLazy decodes such a member instead).
func TestDecodeSharedMembersDoNotEmit(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	b := encode(t, c, &Event{ID: "s", Workflow: "w", Body: &WorkflowSubmitted{Canvas: sharedGroup(sharedList(lazyMin, sharedMember))}})
	ev, err := c.DecodeShared(b)
	if err != nil {
		t.Fatal(err)
	}
	l, ok := ev.Body.(*WorkflowSubmitted).Canvas["kwargs"].(map[string]any)["tasks"].([]any)[0].(*value.Lazy)
	if !ok {
		t.Fatal("the first member is not lazy")
	}
	if l.JSON() {
		t.Error("a member of an Avro record reads as JSON text")
	}
	if err := l.Emit(new(lazySink)); err == nil {
		t.Error("Emit of a member of an Avro record did not fail")
	}
}

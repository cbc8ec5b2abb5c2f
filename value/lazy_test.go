package value

import (
	"errors"
	"strings"
	"testing"
)

// checkLazy checks DecodeCanvasJSON against DecodeJSON on data: the same
// error, or a tree that CheckLazy takes and that Materialize makes equal
// to DecodeJSON's, with a *Lazy nowhere but in a list of signatures.
func checkLazy(t *testing.T, data []byte) {
	t.Helper()
	want, werr := DecodeJSON(data)
	got, gerr := DecodeCanvasJSON(data)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("DecodeCanvasJSON(%q) error %v, DecodeJSON %v", data, gerr, werr)
	}
	if werr != nil {
		return
	}
	if err := CheckLazy(got); err != nil {
		t.Fatalf("CheckLazy(DecodeCanvasJSON(%q)): %v", data, err)
	}
	lazyOnlyAsMembers(t, got, placeOther)
	m, err := Materialize(got)
	if err != nil {
		t.Fatalf("Materialize(DecodeCanvasJSON(%q)): %v", data, err)
	}
	if !sameValue(m, want) {
		t.Fatalf("DecodeCanvasJSON(%q) materialized to\n%#v\nDecodeJSON gave\n%#v", data, m, want)
	}
	if err := Check(m); err != nil {
		t.Fatalf("Materialize left a tree Check refuses: %v", err)
	}
}

// lazyOnlyAsMembers fails unless every *Lazy in v is an element of a list
// under "tasks" or "header" in a dict under "kwargs", and every dict
// there is one, with the Depth of the dict it decodes to.
func lazyOnlyAsMembers(t *testing.T, v any, at place) {
	t.Helper()
	switch x := v.(type) {
	case *Lazy:
		t.Fatalf("a *Lazy outside a list of signatures")
	case []any:
		for _, e := range x {
			if at != placeMembers {
				lazyOnlyAsMembers(t, e, placeOther)
				continue
			}
			switch y := e.(type) {
			case map[string]any:
				t.Fatalf("a member dict was decoded: %v", y)
			case *Lazy:
				m, err := y.Decode()
				if err != nil {
					t.Fatal(err)
				}
				if d := depthOf(m); d != y.Depth() {
					t.Fatalf("Depth %d, the dict nests %d deep: %v", y.Depth(), d, m)
				}
				var b treeSink
				if err := y.Emit(&b); err != nil {
					t.Fatal(err)
				}
				fresh, err := y.Decode()
				if err != nil {
					t.Fatal(err)
				}
				want, err := Materialize(fresh) // in place: not m, which is read below
				if err != nil {
					t.Fatal(err)
				}
				if len(b.stack) != 1 || !sameValue(b.stack[0], want) {
					t.Fatalf("Emit gave %#v, Decode %#v", b.stack, want)
				}
				lazyOnlyAsMembers(t, m, placeOther)
			default:
				lazyOnlyAsMembers(t, e, placeOther)
			}
		}
	case map[string]any:
		for k, e := range x {
			next := placeOther
			switch {
			case k == "kwargs":
				next = placeKwargs
			case at == placeKwargs && (k == "tasks" || k == "header"):
				next = placeMembers
			}
			lazyOnlyAsMembers(t, e, next)
		}
	}
}

// depthOf is how deeply the lists and dicts of v nest, v at 1.
func depthOf(v any) int {
	d := 0
	switch x := v.(type) {
	case *Lazy:
		m, err := x.Decode()
		if err != nil {
			panic(err)
		}
		return depthOf(m)
	case []any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
	case map[string]any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
	default:
		return 0
	}
	return d + 1
}

var lazyCases = []string{
	`{"task": "celery.chord", "kwargs": {"header": [{"task": "add", "args": [1, {"a": [2]}]}, 3, [{"x": 1}], {}], "body": {"task": "tsum"}}}`,
	`{"task": "celery.chain", "kwargs": {"tasks": [{"task": "a"}, {"task": "celery.group", "kwargs": {"tasks": [{"task": "b", "kwargs": {"tasks": [{"deep": {"er": [[{}]]}}]}}]}}]}}`,
	`{"task": "celery.chord", "kwargs": {"header": {"task": "celery.group", "kwargs": {"tasks": [{"task": "a", "args": [-1e400, 1e-400, NaN]}]}}, "body": {"task": "b"}}}`,
	`{"task": "t", "args": [{"kwargs": {"tasks": [{"x": "\u00e9\ud800"}]}}], "options": {"tasks": [{"a": 1}], "link": [{"task": "l"}]}}`,
	`{"kwargs": {"tasks": [{"a": 1}, {"a": 1}], "header": [  { "k" : "v" , "k" : "w" } ]}, "kwargs": {"tasks": [{"last": true}]}}`,
	`[{"kwargs": {"tasks": [{}]}}]`, `{"kwargs": {"tasks": {}}}`, `{"kwargs": {"tasks": [1, "a", null]}}`,
	`{"kwargs": {"tasks": [{"a": 9223372036854775808}]}}`,
	`{"kwargs": {"tasks": [{"a": 1e-400}]}}`,
	`{"kwargs": {"tasks": [{"a": 1}]`, `{"kwargs": {"tasks": [{"a" 1}]}}`, `{"kwargs": {"tasks": [{"a": "\x"}]}}`,
	`{"kwargs": {"tasks": [{"a": 01}]}}`, `{"kwargs": {"tasks": [{"a": [1,]}]}}`, `{"kwargs": {"tasks": [{}]}} x`,
	"{\"kwargs\": {\"tasks\": [{\"a\": \"\x01\"}]}}",
	`"s"`, `7`, ``, `{}`,
}

func TestDecodeCanvasJSON(t *testing.T) {
	for _, c := range lazyCases {
		checkLazy(t, []byte(c))
	}
	deep := `{"kwargs": {"tasks": [` + strings.Repeat("[", fastMaxDepth-3) + strings.Repeat("]", fastMaxDepth-3) + `]}}`
	checkLazy(t, []byte(deep))
	tooDeep := `{"kwargs": {"tasks": [{"a": ` + strings.Repeat("[", fastMaxDepth) + strings.Repeat("]", fastMaxDepth) + `}]}}`
	checkLazy(t, []byte(tooDeep))
}

func TestDecodeCanvasJSONLeavesMembersLazy(t *testing.T) {
	v, err := DecodeCanvasJSON([]byte(`{"task": "celery.group", "kwargs": {"tasks": [{"task": "a", "args": [[1]]}, {"task": "b"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	tasks := v.(map[string]any)["kwargs"].(map[string]any)["tasks"].([]any)
	l, ok := tasks[0].(*Lazy)
	if !ok {
		t.Fatalf("member 0 is %T, want *Lazy", tasks[0])
	}
	if l.Depth() != 3 {
		t.Fatalf("Depth %d, want 3", l.Depth())
	}
	a, err := l.Decode()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := l.Decode()
	a["task"] = "changed"
	if b["task"] != "a" {
		t.Fatal("two Decodes share a dict")
	}
	if err := Check(v); err == nil {
		t.Fatal("Check took a tree that holds a *Lazy")
	}
	if _, err := Normalize(v); err == nil {
		t.Fatal("Normalize took a tree that holds a *Lazy")
	}
}

func TestLazyDecodeFailsWhenItsDocumentChanged(t *testing.T) {
	data := []byte(`{"kwargs": {"tasks": [{"task": "a"}]}}`)
	v, err := DecodeCanvasJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	copy(data[len(`{"kwargs": {"tasks": [`):], "]")
	l := v.(map[string]any)["kwargs"].(map[string]any)["tasks"].([]any)[0].(*Lazy)
	if _, err := l.Decode(); !errors.Is(err, errLazy) {
		t.Fatalf("Decode of a changed document: %v, want errLazy", err)
	}
	if _, err := Materialize(v); !errors.Is(err, errLazy) {
		t.Fatalf("Materialize of a changed document: %v, want errLazy", err)
	}
}

func FuzzDecodeCanvasJSON(f *testing.F) {
	for _, s := range lazyCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLazy(t, data)
	})
}

// treeSink builds the value a Sink is given.
type treeSink struct {
	stack []any // values, and the keys of the dicts being built
	open  []int // where each open list or dict starts in stack
}

func (b *treeSink) Null()           { b.stack = append(b.stack, nil) }
func (b *treeSink) Bool(v bool)     { b.stack = append(b.stack, v) }
func (b *treeSink) Int(v int64)     { b.stack = append(b.stack, v) }
func (b *treeSink) Float(v float64) { b.stack = append(b.stack, v) }
func (b *treeSink) String(v []byte) { b.stack = append(b.stack, string(v)) }
func (b *treeSink) Key(v []byte)    { b.stack = append(b.stack, string(v)) }
func (b *treeSink) BeginList()      { b.open = append(b.open, len(b.stack)) }
func (b *treeSink) BeginDict()      { b.open = append(b.open, len(b.stack)) }
func (b *treeSink) pop() (at int) {
	at, b.open = b.open[len(b.open)-1], b.open[:len(b.open)-1]
	return at
}
func (b *treeSink) EndList(n int) {
	at := b.pop()
	if len(b.stack)-at != n {
		panic("EndList: wrong count")
	}
	l := append([]any{}, b.stack[at:]...)
	b.stack = append(b.stack[:at], l)
}
func (b *treeSink) EndDict(n int) {
	at := b.pop()
	if len(b.stack)-at != 2*n {
		panic("EndDict: wrong count")
	}
	m := map[string]any{}
	for i := at; i < len(b.stack); i += 2 {
		m[b.stack[i].(string)] = b.stack[i+1]
	}
	b.stack = append(b.stack[:at], m)
}

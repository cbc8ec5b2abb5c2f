package projector

import (
	"reflect"
	"testing"

	"github.com/fugue-run/fugue/canvas"
)

// notPassed lists the fields of canvas.Options that a composite keeps for
// itself, and why. Every other field passes down (inherit.go).
var notPassed = map[string]string{
	"TaskID":          "names the composite itself",
	"Link":            "a composite's callbacks run once, for the whole (spec/canvas-json.md)",
	"LinkError":       "a composite's errbacks run once, for the whole (spec/canvas-json.md)",
	"SingleLink":      "wire form of Link only",
	"SingleLinkError": "wire form of LinkError only",
}

// setField sets field i of o to a value its accessor accepts.
func setField(t *testing.T, o *canvas.Options, i int) {
	t.Helper()
	f := reflect.TypeFor[canvas.Options]().Field(i)
	v := reflect.ValueOf(o).Elem().Field(i)
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
		if f.Name == "ETA" {
			v.SetString("2030-01-01T00:00:00Z")
		}
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Interface:
		v.Set(reflect.ValueOf(int64(1)))
	case reflect.Map:
		v.Set(reflect.ValueOf(map[string]any{"k": int64(1)}))
	case reflect.Slice:
		v.Set(reflect.ValueOf([]*canvas.Signature{canvas.S("tasks.log")}))
	default:
		t.Fatalf("Options.%s: a %s field; teach setField, and what lists the fields of canvas.Options by hand (Merge, planOptions, inherit.go), about it", f.Name, v.Kind())
	}
}

// TestPassedOptionsCoverEveryOption sets each field of canvas.Options in
// turn on a group and checks that the group's member chain gets it, unless
// notPassed says why not; and that structuralOptions keeps exactly the
// fields that are not passed. A field added to canvas.Options fails here
// until it is passed (Options.Merge) or listed in notPassed.
func TestPassedOptionsCoverEveryOption(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[canvas.Options]()
	for name := range notPassed {
		if _, ok := typ.FieldByName(name); !ok {
			t.Errorf("notPassed lists %s, which canvas.Options no longer has", name)
		}
	}
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		var o canvas.Options
		setField(t, &o, i)
		if name == "TaskID" {
			o.TaskID = "the-group"
		}
		g := canvas.Group(canvas.Chain(canvas.S("tasks.a"))).Set(o)
		p, err := Compile("w", g)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		member := *p.Node(1) // the chain
		if member.Kind != ChainNode {
			t.Fatalf("%s: node 1 is %v, want the chain", name, member.Kind)
		}
		got := reflect.ValueOf(member.Options).Elem().Field(i)
		want := reflect.ValueOf(&o).Elem().Field(i)
		_, kept := notPassed[name]
		switch {
		case kept && !got.IsZero():
			t.Errorf("%s passed down to the member: %v", name, got)
		case !kept && !reflect.DeepEqual(got.Interface(), want.Interface()):
			t.Errorf("%s not passed down: the member got %v, want %v (pass it, or list it in notPassed)", name, got, want)
		}
		s := structuralOptions(o)
		if sv := reflect.ValueOf(&s).Elem().Field(i); kept == sv.IsZero() {
			t.Errorf("structuralOptions with %s set: kept %v; it must keep exactly the fields in notPassed", name, sv)
		}
	}
}

// TestMembersShareWhatIsPassed checks that members without options of
// their own share the options their group passes, rather than copy them
// once each, and that a member's own options are not changed.
func TestMembersShareWhatIsPassed(t *testing.T) {
	t.Parallel()
	own := canvas.S("tasks.b").Set(canvas.Options{Queue: "own", Priority: int64(1)})
	g := canvas.Group(canvas.S("tasks.a"), own, canvas.S("tasks.c")).Set(canvas.Options{TaskID: "g", Queue: "q"})
	p, err := Compile("w", g)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := p.Node(1).Options, p.Node(2).Options, p.Node(3).Options
	if a != c || a.Queue != "q" || a.TaskID != "" {
		t.Errorf("members without options: %p %+v and %p %+v, want one shared value with queue q and no task_id", a, a, c, c)
	}
	if b == a || b.Queue != "q" || b.Priority != int64(1) {
		t.Errorf("member with options: %+v, want queue q (the group's wins) and its own priority", b)
	}
	if own.Options.Queue != "own" {
		t.Errorf("the member's own options changed: %+v", own.Options)
	}
	if p.Node(0).Options.TaskID != "g" {
		t.Errorf("the group lost its task_id: %+v", p.Node(0).Options)
	}
	if !reflect.DeepEqual(*noOptions, canvas.Options{}) {
		t.Errorf("noOptions was modified: %+v", noOptions)
	}
}

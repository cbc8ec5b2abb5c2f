package canvas

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/value"
)

// unbulk parses, in place, every list s and the signatures below it keep
// in bulk, so that s compares with Equal as the tree TakeValue parses. It
// returns EachTask's first error.
func unbulk(s *Signature) error {
	if s == nil {
		return nil
	}
	if s.bulk != nil {
		var all []*Signature
		if err := s.EachTask(func(_ int, m *Signature) error {
			all = append(all, m)
			return nil
		}); err != nil {
			return err
		}
		s.Tasks = all
	}
	for _, l := range [][]*Signature{s.Tasks, s.Options.Link, s.Options.LinkError, {s.Body, s.Inner, s.HeaderGroup}} {
		for _, m := range l {
			if err := unbulk(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseAsProjector parses v as projector's Fold does: with ParseBulk, its
// lists in bulk parsed (unbulk), and on any error with TakeValue, on the
// same tree. It reports how many lists ParseBulk kept in bulk, and whether
// it fell back.
func parseAsProjector(v any, lim Limits) (s *Signature, err error, bulks int, whole bool) {
	s, err = ParseBulk(v, lim)
	if err == nil {
		bulks = countBulk(s)
		err = unbulk(s)
	}
	if err != nil {
		s, err = TakeValue(v, lim)
		whole = true
	}
	return s, err, bulks, whole
}

// plainTasks returns n plain task dicts as JSON, the one at bad replaced
// by odd when bad >= 0.
func plainTasks(n, bad int, odd string) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == bad {
			b.WriteString(odd)
			continue
		}
		fmt.Fprintf(&b, `{"task": "tasks.add", "args": [%d, %d], "kwargs": {}, "options": {"queue": "q"}, "subtask_type": null, "immutable": %v}`, i, i, i%2 == 0)
	}
	return b.String()
}

// TestParseBulk checks that ParseBulk keeps long lists of lazy members in
// bulk, and only those, that EachTask refuses a member that is not a plain
// task, and that parsed as projector's Fold parses (parseAsProjector) a
// canvas gives TakeValue's signature, or TakeValue's error.
func TestParseBulk(t *testing.T) {
	t.Parallel()
	group := func(tasks string) string {
		return `{"task": "celery.group", "subtask_type": "group", "kwargs": {"tasks": [` + tasks + `]}}`
	}
	chord := func(header string) string {
		return `{"task": "celery.chord", "subtask_type": "chord", "kwargs": {"header": ` + header + `, "body": {"task": "tasks.tsum"}}}`
	}
	n := bulkMin
	cases := []struct {
		name  string
		json  string
		bulks int  // lists kept in bulk
		whole bool // parsed whole after all
	}{
		{"group", group(plainTasks(n, -1, "")), 1, false},
		{"short group", group(plainTasks(n-1, -1, "")), 0, false},
		{"chord", chord("[" + plainTasks(n, -1, "") + "]"), 1, false},
		{"chord with a header group", chord(`{"task": "celery.group", "kwargs": {"tasks": [` + plainTasks(n, -1, "") + `]}, "options": {"task_id": "g"}}`), 1, false},
		{"chain", `{"task": "celery.chain", "kwargs": {"tasks": [` + plainTasks(n, -1, "") + `]}}`, 0, false},
		{"group in a group", group(plainTasks(2, 1, group(plainTasks(n, -1, "")))), 1, false},
		{"a member with a task_id", group(plainTasks(n, n-1, `{"task": "t", "options": {"task_id": "x"}}`)), 1, true},
		{"a member with a countdown", group(plainTasks(n, 3, `{"task": "t", "options": {"countdown": 5}}`)), 1, true},
		{"a member with a link", group(plainTasks(n, 3, `{"task": "t", "options": {"link": [{"task": "l"}]}}`)), 1, true},
		{"a member a group", group(plainTasks(n, 3, group(`{"task": "t"}`))), 1, true},
		{"a map member", group(plainTasks(n, 3, `{"task": "celery.map", "kwargs": {"task": "t", "it": [1]}}`)), 1, true},
		{"a bad member", group(plainTasks(n, 50, `{"task": "t", "args": {}}`)), 1, true},
		{"a bad member before a bad body", `{"task": "celery.chord", "kwargs": {"header": [` + plainTasks(n, 50, `{"task": ""}`) + `], "body": {"task": 5}}}`, 0, true},
		{"a member not a dict", group(plainTasks(n, 7, `[1]`)), 0, true},
		{"too many nodes", group(plainTasks(n, -1, "")), 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lim := Limits{}
			if c.name == "too many nodes" {
				lim.MaxNodes = n
			}
			decode := func(lazy bool) any {
				decode := value.DecodeJSON
				if lazy {
					decode = value.DecodeCanvasJSON
				}
				v, err := decode([]byte(c.json))
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			want, wantErr := TakeValue(decode(false), lim)
			got, err, bulks, whole := parseAsProjector(decode(true), lim)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("parsed as Fold does: error %v, TakeValue: %v", err, wantErr)
			}
			if bulks != c.bulks || whole != c.whole {
				t.Fatalf("%d lists kept in bulk, parsed whole after: %v; want %d, %v", bulks, whole, c.bulks, c.whole)
			}
			if err == nil && !got.Equal(want) {
				t.Fatalf("parsed as Fold does:\n%v\nTakeValue\n%v", got, want)
			}
		})
	}
}

// countBulk counts the lists kept in bulk in s and below it.
func countBulk(s *Signature) int {
	if s == nil {
		return 0
	}
	n := 0
	if s.bulk != nil {
		n++
	}
	for _, l := range [][]*Signature{s.Tasks, s.Options.Link, s.Options.LinkError, {s.Body, s.Inner, s.HeaderGroup}} {
		for _, m := range l {
			n += countBulk(m)
		}
	}
	return n
}

// TestEachTaskOnce checks that a bulk list is handed out once, and that
// MoveTasks moves it.
func TestEachTaskOnce(t *testing.T) {
	t.Parallel()
	v, err := value.DecodeCanvasJSON([]byte(`{"task": "celery.group", "kwargs": {"tasks": [` + plainTasks(bulkMin, -1, "") + `]}}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseBulk(v, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var to Signature
	s.MoveTasks(&to)
	if s.NumTasks() != 0 || to.NumTasks() != bulkMin || to.InBulk() != bulkMin {
		t.Fatalf("after MoveTasks: %d and %d (%d in bulk)", s.NumTasks(), to.NumTasks(), to.InBulk())
	}
	seen := 0
	if err := to.EachTask(func(k int, m *Signature) error {
		if k != seen || m.Task != "tasks.add" || m.Args[0] != int64(k) {
			t.Fatalf("member %d: %v", k, m)
		}
		seen++
		return nil
	}); err != nil || seen != bulkMin {
		t.Fatalf("EachTask: %v after %d members", err, seen)
	}
	if to.NumTasks() != 0 {
		t.Fatalf("%d members left after EachTask", to.NumTasks())
	}
}

// TestBulky checks that Bulky finds a long list of lazy members wherever
// events.Codec.DecodeShared leaves one, and nowhere else.
func TestBulky(t *testing.T) {
	t.Parallel()
	c, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	plain := func(n int) []*Signature {
		sigs := make([]*Signature, n)
		for i := range sigs {
			sigs[i] = S("tasks.add", int64(i), int64(i))
		}
		return sigs
	}
	b := S("tasks.tsum")
	cases := []struct {
		name string
		sig  *Signature
		want bool
	}{
		{"group", Group(plain(bulkMin)...), true},
		{"short group", Group(plain(bulkMin - 1)...), false},
		{"chord", Chord(Group(plain(bulkMin)...), b), true},
		{"chord with a header group", Chord(Group(plain(bulkMin)...).Set(Options{TaskID: "h"}), b), true},
		{"chord into a group", Chord(Group(plain(2)...), Group(plain(bulkMin)...)), true},
		{"group in a short group", Group(b, Group(plain(bulkMin)...)), true},
		{"chain", Chain(plain(bulkMin)...), true},
		{"a task's link", b.Link(Group(plain(bulkMin)...)), false},
		{"short lists", Chord(Group(plain(3)...), Chain(plain(5)...)), false},
	}
	for _, tc := range cases {
		rec, err := c.Encode(&events.Event{ID: "s", Workflow: "w", Body: &events.WorkflowSubmitted{Canvas: tc.sig.Value()}})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := c.DecodeShared(rec)
		if err != nil {
			t.Fatal(err)
		}
		if got := Bulky(ev.Body.(*events.WorkflowSubmitted).Canvas); got != tc.want {
			t.Errorf("%s: Bulky = %v, want %v", tc.name, got, tc.want)
		}
		if Bulky(tc.sig.Value()) {
			t.Errorf("%s: Bulky of a tree without *value.Lazy", tc.name)
		}
	}
}

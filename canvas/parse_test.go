package canvas

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fugue-run/fugue/value"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	add := `{"task": "tasks.add", "args": [1, 1]}`
	tests := []struct {
		name, in, want string
	}{
		{"not a dict", `[1]`, "canvas: expected a dict"},
		{"bad JSON", `{"task": }`, "canvas: invalid JSON at byte 10: invalid character '}' looking for beginning of value"},
		{"trailing", `{"task": "t"} {}`, "canvas: invalid JSON: data after the value at byte 14"},
		{"int overflow", `{"task": "t", "args": [1, 99999999999999999999]}`, "args[1]: integer 99999999999999999999 overflows int64"},
		{"task missing", `{"args": []}`, "task: missing"},
		{"task null", `{"task": null}`, "task: missing"},
		{"task not a string", `{"task": 5}`, "task: expected a string"},
		{"task empty", `{"task": ""}`, "task: must not be empty"},
		{"unknown subtask_type", `{"task": "t", "subtask_type": "foo"}`, `subtask_type: unknown "foo"`},
		{"subtask_type type", `{"task": "t", "subtask_type": 1}`, "subtask_type: expected a string or null"},
		{"args not a list", `{"task": "t", "args": {}}`, "args: expected a list"},
		{"kwargs not a dict", `{"task": "t", "kwargs": []}`, "kwargs: expected a dict"},
		{"options not a dict", `{"task": "t", "options": "x"}`, "options: expected a dict"},
		{"immutable not a bool", `{"task": "t", "immutable": 1}`, "immutable: expected a bool"},
		{"nested args", `{"task": "celery.chain", "subtask_type": "chain", "kwargs": {"tasks": [` + add + `, ` + add + `, {"task": "t", "args": "x"}]}}`, "kwargs.tasks[2].args: expected a list"},
		{"chain without tasks", `{"task": "celery.chain", "subtask_type": "chain"}`, "kwargs.tasks: missing"},
		{"chain tasks not a list", `{"task": "celery.chain", "kwargs": {"tasks": {}}}`, "kwargs.tasks: expected a list"},
		{"group member not a dict", `{"task": "celery.group", "kwargs": {"tasks": [1]}}`, "kwargs.tasks[0]: expected a dict"},
		{"chord without body", `{"task": "celery.chord", "subtask_type": "chord", "kwargs": {"header": [` + add + `], "kwargs": {}}}`, "kwargs.body: chord without a body"},
		{"chord null body", `{"task": "celery.chord", "kwargs": {"header": [], "body": null}}`, "kwargs.body: chord without a body"},
		{"chord without header", `{"task": "celery.chord", "kwargs": {"body": ` + add + `}}`, "kwargs.header: missing"},
		{"chord header a task", `{"task": "celery.chord", "kwargs": {"header": ` + add + `, "body": ` + add + `}}`, "kwargs.header: expected a group or a list of signatures"},
		{"chord header scalar", `{"task": "celery.chord", "kwargs": {"header": 3, "body": ` + add + `}}`, "kwargs.header: expected a group or a list of signatures"},
		{"chord group header member", `{"task": "celery.chord", "kwargs": {"header": {"task": "celery.group", "kwargs": {"tasks": [{"args": []}]}}, "body": ` + add + `}}`, "kwargs.header.kwargs.tasks[0].task: missing"},
		{"chord list header member", `{"task": "celery.chord", "kwargs": {"header": [` + add + `, {"task": 1}], "body": ` + add + `}}`, "kwargs.header[1].task: expected a string"},
		{"chord kwargs", `{"task": "celery.chord", "kwargs": {"header": [], "body": ` + add + `, "kwargs": []}}`, "kwargs.kwargs: expected a dict"},
		{"chord body", `{"task": "celery.chord", "kwargs": {"header": [], "body": {"task": "t", "options": {"time_limit": -1}}}}`, "kwargs.body.options.time_limit: must be at least 0"},
		{"map without task", `{"task": "celery.map", "kwargs": {"it": []}}`, "kwargs.task: missing"},
		{"map task type", `{"task": "celery.map", "kwargs": {"task": 1, "it": []}}`, "kwargs.task: expected a signature"},
		{"map task reserved", `{"task": "celery.map", "kwargs": {"task": "celery.group", "it": []}}`, "kwargs.task: reserved for a group"},
		{"map without it", `{"task": "celery.map", "kwargs": {"task": ` + add + `}}`, "kwargs.it: missing"},
		{"map it not a list", `{"task": "celery.map", "kwargs": {"task": ` + add + `, "it": 3}}`, "kwargs.it: expected a list"},
		{"starmap element", `{"task": "celery.starmap", "kwargs": {"task": ` + add + `, "it": [[1], 2]}}`, "kwargs.it[1]: expected a list"},
		{"chunks element", `{"task": "celery.chunks", "kwargs": {"task": ` + add + `, "it": [[1], "x"], "n": 1}}`, "kwargs.it[1]: expected a list"},
		{"chunks without n", `{"task": "celery.chunks", "kwargs": {"task": ` + add + `, "it": []}}`, "kwargs.n: missing"},
		{"chunks n zero", `{"task": "celery.chunks", "subtask_type": "chunks", "kwargs": {"task": ` + add + `, "it": [], "n": 0}}`, "kwargs.n: must be at least 1"},
		{"chunks n float", `{"task": "celery.chunks", "kwargs": {"task": ` + add + `, "it": [], "n": 2.0}}`, "kwargs.n: expected an integer"},
		{"countdown type", `{"task": "t", "options": {"countdown": "1"}}`, "options.countdown: expected a number"},
		{"countdown out of range", `{"task": "t", "options": {"countdown": -2147483648.5}}`, "options.countdown: out of range: below -2147483648"},
		// Python's json reads them; Celery's apply_async then raises
		// (timedelta(seconds=inf): OverflowError, nan: ValueError).
		{"countdown infinite", `{"task": "t", "options": {"countdown": Infinity}}`, "options.countdown: must be a finite number, not Infinity"},
		{"countdown past the float range", `{"task": "t", "options": {"countdown": 1e999}}`, "options.countdown: must be a finite number, not Infinity"},
		{"expires NaN", `{"task": "t", "options": {"expires": NaN}}`, "options.expires: must be a finite number, not NaN"},
		{"time_limit -Infinity", `{"task": "t", "options": {"time_limit": -Infinity}}`, "options.time_limit: must be a finite number, not -Infinity"},
		{"soft_time_limit Infinity", `{"task": "t", "options": {"soft_time_limit": Infinity}}`, "options.soft_time_limit: must be a finite number, not Infinity"},
		{"retry_backoff NaN", `{"task": "t", "options": {"retry_backoff": NaN}}`, "options.retry_backoff: must be a finite number, not NaN"},
		{"retry_backoff_max Infinity", `{"task": "t", "options": {"retry_backoff_max": Infinity}}`, "options.retry_backoff_max: must be a finite number, not Infinity"},
		{"eta type", `{"task": "t", "options": {"eta": 5}}`, "options.eta: expected an ISO 8601 time"},
		{"eta invalid", `{"task": "t", "options": {"eta": "tomorrow"}}`, `options.eta: invalid ISO 8601 time "tomorrow"`},
		{"eta kombu invalid", `{"task": "t", "options": {"eta": {"__type__": "datetime", "__value__": "x"}}}`, `options.eta: invalid ISO 8601 time "x"`},
		{"expires type", `{"task": "t", "options": {"expires": true}}`, "options.expires: expected a number or an ISO 8601 time"},
		{"expires invalid", `{"task": "t", "options": {"expires": "2024-13-01T00:00:00"}}`, `options.expires: invalid ISO 8601 time "2024-13-01T00:00:00"`},
		{"expires out of range", `{"task": "t", "options": {"expires": -2147483649}}`, "options.expires: out of range: below -2147483648"},
		{"expires float out of range", `{"task": "t", "options": {"expires": -3e9}}`, "options.expires: out of range: below -2147483648"},
		{"max_retries type", `{"task": "t", "options": {"max_retries": 1.0}}`, "options.max_retries: expected an integer or null"},
		{"max_retries negative", `{"task": "t", "options": {"max_retries": -1}}`, "options.max_retries: must be at least 0"},
		{"retry_backoff type", `{"task": "t", "options": {"retry_backoff": "x"}}`, "options.retry_backoff: expected a bool or a number"},
		{"retry_backoff_max type", `{"task": "t", "options": {"retry_backoff_max": true}}`, "options.retry_backoff_max: expected a number"},
		{"retry_backoff_max negative", `{"task": "t", "options": {"retry_backoff_max": -1}}`, "options.retry_backoff_max: must be at least 0"},
		{"retry_jitter type", `{"task": "t", "options": {"retry_jitter": 0}}`, "options.retry_jitter: expected a bool"},
		{"time_limit type", `{"task": "t", "options": {"time_limit": []}}`, "options.time_limit: expected a number"},
		{"soft_time_limit negative", `{"task": "t", "options": {"soft_time_limit": -1}}`, "options.soft_time_limit: must be at least 0"},
		{"priority type", `{"task": "t", "options": {"priority": 1.5}}`, "options.priority: expected an integer"},
		{"priority range", `{"task": "t", "options": {"priority": 256}}`, "options.priority: must be between 0 and 255"},
		{"queue type", `{"task": "t", "options": {"queue": 1}}`, "options.queue: expected a string"},
		{"task_id type", `{"task": "t", "options": {"task_id": 1}}`, "options.task_id: expected a string"},
		{"task_id NUL", `{"task": "t", "options": {"task_id": "a\u0000b"}}`, `options.task_id: must not contain a NUL character (\u0000)`},
		{"link type", `{"task": "t", "options": {"link": "x"}}`, "options.link: expected a signature or a list of signatures"},
		{"link single", `{"task": "t", "options": {"link": {"args": []}}}`, "options.link.task: missing"},
		{"link list", `{"task": "t", "options": {"link_error": [` + add + `, {"task": "e", "args": 1}]}}`, "options.link_error[1].args: expected a list"},
		{"too large", `{"task": "` + strings.Repeat("x", 100) + `"}`, "canvas: 112 bytes exceeds the limit of 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseJSON([]byte(tt.in), Limits{MaxBytes: 100 + lim(tt.name)})
			if err == nil {
				t.Fatalf("accepted: %#v", s)
			}
			if err.Error() != tt.want {
				t.Fatalf("error\n got %s\nwant %s", err, tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("not an *Error: %T", err)
			}
		})
	}
}

// lim gives the "too large" case its limit; others get plenty.
func lim(name string) int {
	if name == "too large" {
		return 0
	}
	return 1 << 20
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	nest := func(depth int) string {
		s := `{"task": "t"}`
		for range depth - 1 {
			s = `{"task": "celery.chain", "kwargs": {"tasks": [` + s + `]}}`
		}
		return s
	}
	if _, err := ParseJSON([]byte(nest(3)), Limits{MaxDepth: 3}); err != nil {
		t.Fatalf("depth 3 refused: %v", err)
	}
	_, err := ParseJSON([]byte(nest(4)), Limits{MaxDepth: 3})
	if err == nil || err.Error() != "kwargs.tasks[0].kwargs.tasks[0].kwargs.tasks[0]: nesting depth 4 exceeds the limit of 3" || !errors.Is(err, ErrLimit) {
		t.Fatalf("depth error: %v", err)
	}
	_, err = ParseJSON([]byte(nest(65)), Limits{})
	if err == nil || !strings.HasSuffix(err.Error(), "nesting depth 65 exceeds the limit of 64") {
		t.Fatalf("default depth: %v", err)
	}
	group := `{"task": "celery.group", "kwargs": {"tasks": [{"task": "a"}, {"task": "b", "options": {"link": {"task": "c"}}}]}}`
	if _, err := ParseJSON([]byte(group), Limits{MaxNodes: 4}); err != nil {
		t.Fatalf("4 nodes refused: %v", err)
	}
	_, err = ParseJSON([]byte(group), Limits{MaxNodes: 3})
	if err == nil || err.Error() != "kwargs.tasks[1].options.link: signature count exceeds the limit of 3" || !errors.Is(err, ErrLimit) {
		t.Fatalf("nodes error: %v", err)
	}
	big := make([]byte, 20000000)
	_, err = ParseJSON(big, Limits{})
	if err == nil || err.Error() != "canvas: 20000000 bytes exceeds the limit of 16777216" || !errors.Is(err, ErrLimit) {
		t.Fatalf("bytes error: %v", err)
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	s, err := ParseJSON([]byte(`{"task": "tasks.add", "chord_size": 3, "whatever": [1]}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Signature{Kind: KindTask, Task: "tasks.add"}
	if !s.Equal(want) {
		t.Fatalf("got %#v", s)
	}
	got := s.Value()
	wantV := map[string]any{"task": "tasks.add", "args": []any{}, "kwargs": map[string]any{}, "options": map[string]any{}, "subtask_type": nil, "immutable": false}
	if !value.Equal(any(got), any(wantV)) {
		t.Fatalf("Value() = %#v", got)
	}
}

func TestParseKinds(t *testing.T) {
	t.Parallel()
	add := `{"task": "tasks.add"}`
	tests := []struct {
		in   string
		kind Kind
	}{
		{`{"task": "celery.chain", "kwargs": {"tasks": []}}`, KindChain},
		{`{"task": "x", "subtask_type": "chain", "kwargs": {"tasks": []}}`, KindChain},
		{`{"task": "celery.group", "subtask_type": "", "kwargs": {"tasks": []}}`, KindGroup},
		{`{"task": "celery.chord", "kwargs": {"header": [], "body": ` + add + `}}`, KindChord},
		{`{"task": "celery.map", "kwargs": {"task": ` + add + `, "it": []}}`, KindMap},
		{`{"task": "x", "subtask_type": "xmap", "kwargs": {"task": ` + add + `, "it": []}}`, KindMap},
		{`{"task": "celery.starmap", "subtask_type": "xstarmap", "kwargs": {"task": ` + add + `, "it": []}}`, KindStarmap},
		{`{"task": "celery.chunks", "kwargs": {"task": ` + add + `, "it": [], "n": 3}}`, KindChunks},
		{`{"task": "celery.add"}`, KindTask},
	}
	for _, tt := range tests {
		s, err := ParseJSON([]byte(tt.in), Limits{})
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if s.Kind != tt.kind {
			t.Errorf("%s: kind %v, want %v", tt.in, s.Kind, tt.kind)
		}
		b, err := s.MarshalJSON()
		if err != nil {
			t.Errorf("%s: MarshalJSON: %v", tt.in, err)
			continue
		}
		s2, err := ParseJSON(b, Limits{})
		if err != nil || !s.Equal(s2) {
			t.Errorf("%s: round trip via %s: %v", tt.in, b, err)
		}
	}
}

func TestParseStructure(t *testing.T) {
	t.Parallel()
	in := `{"task": "celery.chord", "subtask_type": "chord", "args": [1],
	  "kwargs": {"header": {"task": "celery.group", "subtask_type": "group", "args": [], "kwargs": {"tasks": [
	      {"task": "tasks.add", "args": [1, 2.0]}, {"task": "tasks.add", "args": [3, 4]}]},
	    "options": {"task_id": "g1"}, "immutable": false},
	    "body": {"task": "tasks.xsum", "immutable": true},
	    "kwargs": {"k": 1}, "ignored": true},
	  "options": {"task_id": "c1", "countdown": 1.5, "expires": 10, "max_retries": null, "priority": 3,
	    "link": {"task": "tasks.cb"}, "link_error": [{"task": "tasks.eb"}], "custom": {"a": [1]}}}`
	s, err := ParseJSON([]byte(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != KindChord || len(s.Tasks) != 2 || s.HeaderGroup == nil || s.HeaderGroup.Options.TaskID != "g1" || len(s.HeaderGroup.Tasks) != 0 {
		t.Fatalf("header: %#v", s)
	}
	if !value.Equal(s.Tasks[0].Args, []any{int64(1), 2.0}) {
		t.Fatalf("args types: %#v", s.Tasks[0].Args)
	}
	if s.Body.Task != "tasks.xsum" || !s.Body.Immutable {
		t.Fatalf("body: %#v", s.Body)
	}
	if !value.Equal(s.Kwargs, map[string]any{"k": int64(1)}) || !value.Equal(s.Args, []any{int64(1)}) {
		t.Fatalf("kwargs/args: %#v %#v", s.Kwargs, s.Args)
	}
	o := s.Options
	if o.TaskID != "c1" || o.Countdown != 1.5 || o.Expires != int64(10) || !o.MaxRetriesUnlimited || o.MaxRetries != nil || o.Priority != int64(3) {
		t.Fatalf("options: %#v", o)
	}
	if len(o.Link) != 1 || !o.SingleLink || o.Link[0].Task != "tasks.cb" || len(o.LinkError) != 1 || o.SingleLinkError {
		t.Fatalf("links: %#v", o)
	}
	if !value.Equal(o.Extra, map[string]any{"custom": map[string]any{"a": []any{int64(1)}}}) {
		t.Fatalf("extra: %#v", o.Extra)
	}
	// Emitting keeps the forms: a group header, a single link, a list
	// errback, max_retries null; the unknown chord kwargs key is gone.
	got, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"args":[1],"immutable":false,"kwargs":{"body":{"args":[],"immutable":true,"kwargs":{},"options":{},"subtask_type":null,"task":"tasks.xsum"},` +
		`"header":{"args":[],"immutable":false,"kwargs":{"tasks":[{"args":[1,2.0],"immutable":false,"kwargs":{},"options":{},"subtask_type":null,"task":"tasks.add"},` +
		`{"args":[3,4],"immutable":false,"kwargs":{},"options":{},"subtask_type":null,"task":"tasks.add"}]},"options":{"task_id":"g1"},"subtask_type":"group","task":"celery.group"},` +
		`"kwargs":{"k":1}},"options":{"countdown":1.5,"custom":{"a":[1]},"expires":10,` +
		`"link":{"args":[],"immutable":false,"kwargs":{},"options":{},"subtask_type":null,"task":"tasks.cb"},` +
		`"link_error":[{"args":[],"immutable":false,"kwargs":{},"options":{},"subtask_type":null,"task":"tasks.eb"}],` +
		`"max_retries":null,"priority":3,"task_id":"c1"},"subtask_type":"chord","task":"celery.chord"}`
	if string(got) != want {
		t.Fatalf("MarshalJSON\n got %s\nwant %s", got, want)
	}
}

func TestParseLenient(t *testing.T) {
	t.Parallel()
	in := `{"task": "celery.map", "args": null, "kwargs": {"task": "tasks.double", "it": [1, 2], "extra": 1},
	  "options": {"queue": null, "countdown": null, "eta": {"__type__": "datetime", "__value__": "2024-05-01T10:00:00+02:00"},
	    "expires": "2024-05-01 12:00:00", "link": null}, "immutable": null}`
	s, err := ParseJSON([]byte(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Inner == nil || s.Inner.Task != "tasks.double" || s.Inner.Kind != KindTask {
		t.Fatalf("inner: %#v", s.Inner)
	}
	if s.Options.Queue != "" || s.Options.Countdown != nil || s.Options.Link != nil || s.Options.ETA != "2024-05-01T10:00:00+02:00" {
		t.Fatalf("options: %#v", s.Options)
	}
	if !value.Equal(s.Kwargs, map[string]any{"extra": int64(1)}) {
		t.Fatalf("kwargs: %#v", s.Kwargs)
	}
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"args":[],"immutable":false,"kwargs":{"extra":1,"it":[1,2],"task":{"args":[],"immutable":false,"kwargs":{},"options":{},"subtask_type":null,"task":"tasks.double"}},` +
		`"options":{"eta":"2024-05-01T10:00:00+02:00","expires":"2024-05-01 12:00:00"},"subtask_type":null,"task":"celery.map"}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestFromValueNormalizes(t *testing.T) {
	t.Parallel()
	in := map[string]any{"task": "tasks.add", "args": []int{1, 2}, "options": map[string]any{"countdown": 3}}
	s, err := FromValue(in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !value.Equal(s.Args, []any{int64(1), int64(2)}) || s.Options.Countdown != int64(3) {
		t.Fatalf("got %#v", s)
	}
	_, err = FromValue(map[string]any{"task": "t", "args": []any{make(chan int)}}, Limits{})
	if err == nil || err.Error() != "args[0]: unsupported type chan int" {
		t.Fatalf("error: %v", err)
	}
}

// TestParseRetryBackoffOptions: retry_backoff_max and retry_jitter are
// typed options, which round-trip.
func TestParseRetryBackoffOptions(t *testing.T) {
	t.Parallel()
	in := `{"task": "t", "options": {"retry_backoff": 0.5, "retry_backoff_max": 30, "retry_jitter": false}}`
	s, err := ParseJSON([]byte(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	o := s.Options
	if o.RetryBackoff != 0.5 || o.RetryBackoffMax != int64(30) || o.RetryJitter != false || o.Extra != nil {
		t.Fatalf("options: %#v", o)
	}
	if got, ok := o.RetryBackoffSeconds(5, nil); !ok || got != 30 {
		t.Errorf("backoff: %d %t, want 30", got, ok)
	}
	out, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseJSON(out, Limits{})
	if err != nil || !back.Equal(s) {
		t.Fatalf("round trip %s: %v", out, err)
	}
	if err := s.Validate(Limits{}); err != nil {
		t.Fatal(err)
	}
	bad := *s
	bad.Options.RetryJitter = "yes"
	if err := bad.Validate(Limits{}); err == nil || !strings.Contains(err.Error(), "options.retry_jitter: expected a bool") {
		t.Fatalf("Validate: %v", err)
	}
}

// A negative countdown is an eta in the past to Celery (now+countdown):
// the task runs at once. Parse and Validate accept it down to Celery's
// INT_MIN, and it round-trips.
func TestNegativeCountdown(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"task": "t", "options": {"countdown": -5}}`,
		`{"task": "t", "options": {"countdown": -0.5}}`,
		`{"task": "t", "options": {"countdown": -2147483648}}`,
	} {
		s, err := ParseJSON([]byte(in), Limits{})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if err := s.Validate(Limits{}); err != nil {
			t.Fatalf("%s: Validate: %v", in, err)
		}
		if cd, ok := s.Options.CountdownSeconds(); !ok || cd >= 0 {
			t.Fatalf("%s: countdown %v %v", in, cd, ok)
		}
	}
	if err := Group(S("a"), S("b")).Skew(-2, 0, 1).Validate(Limits{}); err != nil {
		t.Fatalf("negative skew: %v", err)
	}
}

// TestTakeValue: TakeValue parses every canvas as FromOwnedValue does, with
// the same signature or the same error, and leaves none of the dicts of a
// list of signatures in the tree it took.
func TestTakeValue(t *testing.T) {
	t.Parallel()
	a, b, c := S("tasks.add", 1, 2), S("tasks.add", 3, 4), S("tasks.echo", "x")
	built := map[string]*Signature{
		"chord of a group":   Chord(Group(a, b, c), S("tasks.tsum")),
		"chain into a group": Chain(a, Group(b, Chain(c, S("tasks.echo")))),
	}
	type tc struct {
		name string
		json []byte
	}
	var cases []tc
	for name, s := range built {
		data, err := s.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, tc{name, data})
	}
	for _, cc := range loadCases(t) {
		data, err := value.MarshalJSON(cc.canvas)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, tc{cc.name, data})
	}
	cases = append(cases, tc{"bad third member", []byte(`{"task": "celery.group", "subtask_type": "group",
		"kwargs": {"tasks": [{"task": "a"}, {"task": "b"}, {"task": 3}]}}`)})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			decode := func() any {
				v, err := value.DecodeJSON(c.json)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			want, wantErr := FromOwnedValue(decode(), Limits{})
			v := decode()
			if _, ok := built[c.name]; ok && listedSignatures(v) == 0 {
				t.Fatal("the canvas has no list of signatures: the test checks nothing")
			}
			got, err := TakeValue(v, Limits{})
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("TakeValue: error %v, FromOwnedValue: %v", err, wantErr)
			}
			if err != nil {
				return
			}
			if !got.Equal(want) {
				t.Fatalf("TakeValue gave %v, FromOwnedValue %v", got, want)
			}
			if n := listedSignatures(v); n != 0 {
				t.Errorf("%d dicts of lists of signatures left in the tree", n)
			}
		})
	}
}

// listedSignatures counts the dicts left in the lists of signatures of a
// canvas tree: a chain's or group's tasks, a chord's header list.
func listedSignatures(v any) int {
	d, _ := v.(map[string]any)
	kw, ok := d["kwargs"].(map[string]any)
	if !ok {
		return 0
	}
	n := 0
	for _, key := range []string{"tasks", "header"} {
		switch l := kw[key].(type) {
		case []any:
			for _, e := range l {
				if e != nil {
					n++
				}
			}
		case map[string]any:
			n += listedSignatures(l)
		}
	}
	for _, key := range []string{"body", "task"} {
		n += listedSignatures(kw[key])
	}
	return n
}

// TestInspect: Inspect refuses every canvas FromOwnedValue refuses, with
// its error, finds the root's task_id, and asks for the whole canvas
// exactly when a signature below the root gives a task_id or a date
// CheckDates refuses.
func TestInspect(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	named := func(s *Signature, id string) *Signature { s.Options.TaskID = id; return s }
	counted := func(s *Signature, c any) *Signature { s.Options.Countdown = c; return s }
	add := func() *Signature { return S("tasks.add", 1, 2) }
	headerGroup := Chord(Group(add()), S("tasks.tsum"))
	headerGroup.HeaderGroup = named(Group(), "g")
	linked := add()
	linked.Options.Link = []*Signature{named(S("tasks.echo"), "l")}
	inner := Map(named(S("tasks.echo"), "m"), []any{1, 2})
	expires := Chord(Group(add()), S("tasks.tsum"))
	expires.Body.Options.Expires = int64(300_000_000_000)
	for name, c := range map[string]struct {
		sig   *Signature
		whole bool
	}{
		"chord":                       {Chord(Group(add(), add()), S("tasks.tsum")), false},
		"root task_id":                {named(Chord(Group(add()), S("tasks.tsum")), "root"), false},
		"member task_id":              {Group(add(), named(add(), "x")), true},
		"deep member task_id":         {Chain(add(), Group(add(), Chain(add(), named(add(), "x")))), true},
		"header group task_id":        {headerGroup, true},
		"link task_id":                {linked, true},
		"map task task_id":            {inner, true},
		"countdown in range":          {Group(counted(add(), int64(10)), counted(add(), 0.5)), false},
		"countdown out of range":      {Chain(add(), counted(add(), 1e20)), true},
		"root countdown out of range": {counted(Group(add()), int64(300_000_000_000)), true},
		"body expires out of range":   {expires, true},
	} {
		t.Run(name, func(t *testing.T) {
			data, err := c.sig.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			for _, decode := range []func([]byte) (any, error){value.DecodeJSON, value.DecodeCanvasJSON} {
				v, err := decode(data)
				if err != nil {
					t.Fatal(err)
				}
				in, err := Inspect(v, Limits{}, now)
				if err != nil {
					t.Fatal(err)
				}
				if in.TaskID != c.sig.Options.TaskID || in.Whole != c.whole {
					t.Fatalf("Inspect = %+v, want task_id %q, whole %v", in, c.sig.Options.TaskID, c.whole)
				}
			}
			if !c.whole && c.sig.CheckDates(now) != nil {
				t.Fatal("CheckDates refuses a canvas Inspect did not ask to parse whole")
			}
		})
	}

	for _, cc := range loadCases(t) {
		data, err := value.MarshalJSON(cc.canvas)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range [][]byte{data, []byte(`{"task": "celery.group", "kwargs": {"tasks": [{"task": "a"}, {"task": 3}]}}`)} {
			v, _ := value.DecodeJSON(raw)
			_, wantErr := FromOwnedValue(v, Limits{})
			for _, decode := range []func([]byte) (any, error){value.DecodeJSON, value.DecodeCanvasJSON} {
				v, _ = decode(raw)
				_, err := Inspect(v, Limits{}, now)
				if fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Errorf("%s: Inspect: error %v, FromOwnedValue: %v", cc.name, err, wantErr)
				}
			}
		}
	}
}

// TestInspectLazy checks that Inspect reads a tree from
// value.DecodeCanvasJSON without changing it, and that the parsers that
// keep what they parse refuse one: its members are not values yet.
func TestInspectLazy(t *testing.T) {
	t.Parallel()
	data := []byte(`{"task": "celery.chord", "kwargs": {"header": [{"task": "a"}, {"task": "b", "options": {"task_id": "x"}}], "body": {"task": "c"}}}`)
	v, err := value.DecodeCanvasJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	in, err := Inspect(v, Limits{}, time.Now())
	if err != nil || !in.Whole {
		t.Fatalf("Inspect = %+v, %v; want Whole for a member's task_id", in, err)
	}
	for i, m := range v.(map[string]any)["kwargs"].(map[string]any)["header"].([]any) {
		if _, ok := m.(*value.Lazy); !ok {
			t.Fatalf("Inspect changed member %d to %T", i, m)
		}
	}
	if _, err := FromOwnedValue(v, Limits{}); err == nil || !strings.Contains(err.Error(), "*value.Lazy") {
		t.Errorf("FromOwnedValue took a tree with *value.Lazy members: %v", err)
	}
	// TakeValue decodes them, as it parses them.
	got, err := TakeValue(v, Limits{})
	want, werr := ParseJSON(data, Limits{})
	if err != nil || werr != nil || !got.Equal(want) {
		t.Errorf("TakeValue of a tree with *value.Lazy members: %v, %v; ParseJSON: %v, %v", got, err, want, werr)
	}
}

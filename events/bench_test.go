package events

import "testing"

// benchEvents are typical hot-path events: a TaskSucceeded of about 200
// bytes and a TaskDispatched with a few arguments.
func benchEvents() map[string]*Event {
	return map[string]*Event{
		"TaskSucceeded": {
			ID:       "wf-7d3c1e0a-2f4b-4c55-9a1e-6b8f0c2d4e11.t12.succeeded.0",
			Workflow: "wf-7d3c1e0a-2f4b-4c55-9a1e-6b8f0c2d4e11",
			Task:     "wf-7d3c1e0a-2f4b-4c55-9a1e-6b8f0c2d4e11.t12",
			Time:     1767225600123456,
			Producer: "worker/host-1",
			Body: &TaskSucceeded{Attempt: 0, Result: map[string]any{
				"sum":   int64(42),
				"ratio": 0.75,
				"tags":  []any{"a", "b"},
			}},
		},
		"TaskDispatched": {
			ID:       "wf-7d3c1e0a-2f4b-4c55-9a1e-6b8f0c2d4e11.t13.dispatched.0",
			Workflow: "wf-7d3c1e0a-2f4b-4c55-9a1e-6b8f0c2d4e11",
			Task:     "wf-7d3c1e0a-2f4b-4c55-9a1e-6b8f0c2d4e11.t13",
			Time:     1767225600123999,
			Producer: "engine",
			Body: &TaskDispatched{
				Name:       "tasks.add",
				Args:       []any{int64(42), int64(8)},
				Kwargs:     map[string]any{"scale": 1.5},
				Queue:      "celery",
				ParentID:   "wf-7d3c1e0a-2f4b-4c55-9a1e-6b8f0c2d4e11.t12",
				MaxRetries: 3,
			},
		},
	}
}

func newBenchCodec(b *testing.B) *Codec {
	b.Helper()
	c, err := NewCodec()
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkEncode(b *testing.B) {
	c := newBenchCodec(b)
	for _, name := range []string{"TaskSucceeded", "TaskDispatched"} {
		e := benchEvents()[name]
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = c.AppendEncode(buf[:0], e); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	c := newBenchCodec(b)
	events := benchEvents()
	header := make([]any, 10_000)
	for i := range header {
		header[i] = map[string]any{"task": "tasks.add", "args": []any{int64(i), int64(i)}, "kwargs": map[string]any{}, "options": map[string]any{}, "subtask_type": nil, "immutable": false}
	}
	events["WorkflowSubmitted-chord-10000"] = &Event{ID: "s", Workflow: "w", Body: &WorkflowSubmitted{Canvas: map[string]any{
		"task": "celery.chord", "kwargs": map[string]any{"header": header, "body": map[string]any{"task": "tasks.tsum"}}}}}
	for _, name := range []string{"TaskSucceeded", "TaskDispatched", "WorkflowSubmitted-chord-10000"} {
		rec, err := c.Encode(events[name])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(rec)))
			for b.Loop() {
				if _, err := c.Decode(rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRoundTrip is one Encode (into a fresh buffer) and one Decode,
// on one core and on all of them.
func BenchmarkRoundTrip(b *testing.B) {
	c := newBenchCodec(b)
	for _, name := range []string{"TaskSucceeded", "TaskDispatched"} {
		e := benchEvents()[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				roundTrip(b, c, e)
			}
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					roundTrip(b, c, e)
				}
			})
		})
	}
}

func roundTrip(b *testing.B, c *Codec, e *Event) {
	rec, err := c.Encode(e)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Decode(rec); err != nil {
		b.Fatal(err)
	}
}

package engine_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/demo"
	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/worker"
)

// badMaxNodes is the canvas limit of the engine under bad input.
const badMaxNodes = 8

// startBadStack runs an engine whose metrics go to reg and whose canvases
// may hold at most badMaxNodes signatures, and one worker with the demo
// tasks and tasks that misbehave.
func startBadStack(t *testing.T, brokers []string, reg prometheus.Registerer) *stack {
	t.Helper()
	prefix := kafkatest.Name(t, "fugue") + "."
	eng, err := engine.New(engine.Config{
		Brokers: brokers, Prefix: prefix, DataDir: t.TempDir(), Logger: logger(t), Registerer: reg,
		Fold:           projector.Config{Limits: canvas.Limits{MaxNodes: badMaxNodes}},
		MaxRecordBytes: 1_000_000, // a chord of three 400 KiB results goes over
	})
	if err != nil {
		t.Fatal(err)
	}
	tasks := worker.NewRegistry()
	demo.Register(tasks)
	tasks.Register("test.panic", func(context.Context, *worker.Request) (any, error) { panic("boom in the task") })
	tasks.Register("test.unencodable", func(context.Context, *worker.Request) (any, error) { return make(chan int), nil })
	tasks.Register("test.huge", func(context.Context, *worker.Request) (any, error) {
		return strings.Repeat("x", topic.MaxMessageBytes+1), nil
	})
	tasks.Register("test.big", func(context.Context, *worker.Request) (any, error) { return strings.Repeat("x", 400<<10), nil })
	w, err := worker.New(tasks, worker.Config{Brokers: brokers, Prefix: prefix, Concurrency: 2, Logger: logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &stack{eng: eng, prefix: prefix, cancel: cancel, errs: make(chan error, 2)}
	for _, f := range []func(context.Context) error{eng.Run, w.Run} {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				s.errs <- err
			}
		}()
	}
	t.Cleanup(func() {
		cancel()
		s.wg.Wait()
		eng.Close()
	})
	return s
}

// TestBadInput writes records to the events topic that the engine cannot
// take, and canvases it must refuse, between two good workflows on the
// real broker. Records that are not Avro, have an unknown schema, are
// truncated, carry a key that is not their workflow id or no workflow id
// at all go to the dead-letter topic unchanged, with the reason, source
// and component in headers, and are counted; so does a task message the
// worker cannot decode. A chord without a body and a canvas over the
// configured limit fail their workflow (InvalidCanvas) with a
// WorkflowRejected event naming the fault and dispatch nothing. Tasks that
// panic, return what cannot be encoded, or return more than Kafka takes
// fail with the message. The engine and the worker carry on throughout.
func TestBadInput(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	reg := prometheus.NewRegistry()
	s := startBadStack(t, brokers, reg)
	names := topic.Names{Prefix: s.prefix}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	codec, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	cl := kafkatest.Client(t, kgo.RequiredAcks(kgo.AllISRAcks()))
	add := func(a, b int) map[string]any {
		return map[string]any{"task": "tasks.add", "args": []any{int64(a), int64(b)}}
	}
	single := func(name string) map[string]any { return map[string]any{"task": name} }

	// A good workflow first: the engine is up and its topics exist.
	mustDo(t, s.eng.Submit(ctx, "before", add(1, 2)))
	if v := s.wait(t, "before", time.Minute); v.State != "SUCCESS" {
		t.Fatalf("before: %+v", v)
	}

	encode := func(ev events.Event) []byte {
		t.Helper()
		if ev.Time == 0 {
			ev.Time = time.Now().UnixMicro()
		}
		b, err := codec.Encode(&ev)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	submitted := func(wf string, c map[string]any) []byte {
		return encode(events.Event{ID: events.SubmittedID(wf), Workflow: wf, Producer: "test", Body: &events.WorkflowSubmitted{Canvas: c}})
	}
	unknownSchema := submitted("wf-b", add(1, 1))
	binary.LittleEndian.PutUint64(unknownSchema[2:10], codec.Fingerprint()^0xdeadbeef)
	valid := submitted("wf-c", add(1, 1))
	bad := []struct {
		name       string
		key, value []byte
		reason     string
	}{
		{"not Avro", []byte("wf-a"), []byte(`{"this": "is JSON"}`), "decode: events: not an Avro single-object encoding"},
		{"unknown schema", []byte("wf-b"), unknownSchema, "decode: events: unknown writer schema"},
		{"truncated", []byte("wf-c"), valid[:len(valid)/2], "truncated record"},
		{"wrong key", []byte("not-wf-d"), submitted("wf-d", add(1, 1)), `record key "not-wf-d" is not the workflow id "wf-d"`},
		{"no workflow id", nil, encode(events.Event{ID: "orphan:started:0", Task: "orphan", Producer: "test", Body: &events.TaskStarted{}}), "projector: bad event"},
		// The store separates ids with NUL: its countdown timer would fail
		// every commit, and stop the engine for good.
		{"NUL in the workflow id", []byte("wf\x00g"), submitted("wf\x00g", map[string]any{"task": "tasks.add", "args": []any{int64(1), int64(1)}, "options": map[string]any{"countdown": int64(1)}}), "NUL character in its workflow id"},
	}
	produced := map[string]*kgo.Record{} // by value
	for _, b := range bad {
		r := &kgo.Record{Topic: names.Events(), Key: b.key, Value: b.value}
		mustDo(t, cl.ProduceSync(ctx, r).FirstErr())
		produced[string(b.value)] = r
	}
	// A task message no worker can decode.
	garbageTask := &kgo.Record{Topic: names.Tasks(""), Key: []byte("t-garbage"), Value: []byte("\xc3\x01garbage")}
	mustDo(t, cl.ProduceSync(ctx, garbageTask).FirstErr())

	// Canvases a stream producer may write but the engine must refuse.
	chordNoBody := map[string]any{"task": "celery.chord", "subtask_type": "chord", "kwargs": map[string]any{"header": []any{add(1, 1), add(2, 2)}}}
	var members []any
	for i := range badMaxNodes + 2 {
		members = append(members, add(i, i))
	}
	oversized := map[string]any{"task": "celery.group", "subtask_type": "group", "kwargs": map[string]any{"tasks": members}}
	nulTaskID := map[string]any{"task": "celery.group", "subtask_type": "group", "kwargs": map[string]any{"tasks": []any{
		map[string]any{"task": "tasks.add", "args": []any{int64(1), int64(1)}, "options": map[string]any{"task_id": "t\x00h", "countdown": int64(1)}}}}}
	refused := map[string]string{
		"wf-e": "chord without a body",
		"wf-f": fmt.Sprintf("exceeds the limit of %d", badMaxNodes),
		"wf-h": "kwargs.tasks[0].options.task_id: must not contain a NUL character",
	}
	for wf, c := range map[string]map[string]any{"wf-e": chordNoBody, "wf-f": oversized, "wf-h": nulTaskID} {
		mustDo(t, cl.ProduceSync(ctx, &kgo.Record{Topic: names.Events(), Key: []byte(wf), Value: submitted(wf, c)}).FirstErr())
	}

	// Tasks that misbehave, then a good workflow after everything.
	mustDo(t, s.eng.Submit(ctx, "panics", single("test.panic")))
	mustDo(t, s.eng.Submit(ctx, "unencodable", single("test.unencodable")))
	mustDo(t, s.eng.Submit(ctx, "huge", single("test.huge")))
	mustDo(t, s.eng.Submit(ctx, "after", add(20, 22)))

	if v := s.wait(t, "after", time.Minute); v.State != "SUCCESS" || fmt.Sprint(v.Result) != "42" {
		t.Errorf("after: state %s result %v, want SUCCESS 42", v.State, v.Result)
	}
	for wf, want := range map[string]struct{ typ, msg string }{
		"panics":      {"Panic", "boom in the task"},
		"unencodable": {"EncodeError", "result is not encodable"},
		"huge":        {"EncodeError", "outcome not reportable"},
	} {
		v := s.wait(t, wf, time.Minute)
		if len(v.Tasks) == 1 && v.Tasks[0].Error != nil {
			t.Logf("%s: %s: %s", wf, v.Tasks[0].Error.Type, v.Tasks[0].Error.Message)
		}
		if v.State != "FAILURE" || len(v.Tasks) != 1 || v.Tasks[0].Error == nil {
			t.Errorf("%s: %+v, want FAILURE with one failed task", wf, v)
			continue
		}
		if e := v.Tasks[0].Error; e.Type != want.typ || !strings.Contains(e.Message, want.msg) {
			t.Errorf("%s: task error %s %q, want %s containing %q", wf, e.Type, e.Message, want.typ, want.msg)
		}
	}
	for wf, reason := range refused {
		v := s.wait(t, wf, time.Minute)
		if v.State != "FAILURE" || v.Error == nil || v.Error.Type != "InvalidCanvas" || !strings.Contains(v.Error.Message, reason) {
			t.Errorf("%s: %+v (error %+v), want FAILURE InvalidCanvas containing %q", wf, v, v.Error, reason)
		}
		if len(v.Tasks) != 0 {
			t.Errorf("%s: refused workflow has tasks %+v", wf, v.Tasks)
		}
	}
	// The record with the wrong key was not applied.
	if w, err := s.eng.State().Workflow("wf-d"); err != nil || w != nil {
		t.Errorf("wf-d (wrong key) was applied: %+v, %v", w, err)
	}

	// The dead letters: every bad record unchanged, with the reason.
	dl := readTopicCommitted(t, ctx, names.DeadLetter(), func(rs []*kgo.Record) bool { return len(rs) >= len(bad)+1 })
	seen := map[string]bool{}
	for _, r := range dl {
		h := recordHeaders(r)
		if h[topic.HeaderComponent] == "worker" {
			if string(r.Value) != string(garbageTask.Value) || !strings.HasPrefix(h[topic.HeaderSource], garbageTask.Topic+"/") {
				t.Errorf("worker dead letter %q %v, want the garbage task message", r.Value, h)
			}
			seen["worker"] = true
			continue
		}
		orig, ok := produced[string(r.Value)]
		if !ok {
			t.Errorf("unexpected dead letter %q (headers %v)", r.Value, h)
			continue
		}
		if string(r.Key) != string(orig.Key) {
			t.Errorf("dead letter key %q, want %q", r.Key, orig.Key)
		}
		if src := fmt.Sprintf("%s/%d/%d", orig.Topic, orig.Partition, orig.Offset); h[topic.HeaderSource] != src {
			t.Errorf("%s = %q, want %q", topic.HeaderSource, h[topic.HeaderSource], src)
		}
		if h[topic.HeaderComponent] != "engine" {
			t.Errorf("%s = %q, want engine", topic.HeaderComponent, h[topic.HeaderComponent])
		}
		seen[string(r.Value)] = true
		for _, b := range bad {
			if string(b.value) == string(r.Value) && !strings.Contains(h[topic.HeaderError], b.reason) {
				t.Errorf("%s: %s = %q, want %q", b.name, topic.HeaderError, h[topic.HeaderError], b.reason)
			}
		}
	}
	for _, b := range bad {
		if !seen[string(b.value)] {
			t.Errorf("%s: not on the dead-letter topic", b.name)
		}
	}
	if !seen["worker"] {
		t.Error("the undecodable task message is not on the dead-letter topic")
	}
	if len(dl) != len(bad)+1 {
		t.Errorf("%d dead letters, want %d", len(dl), len(bad)+1)
	}
	if got := counterValue(t, reg, "fugue_engine_deadletter_total", ""); got != float64(len(bad)) {
		t.Errorf("fugue_engine_deadletter_total = %v, want %d", got, len(bad))
	}

	// The log: each refused workflow has its WorkflowRejected with the
	// reason and no dispatch; only the good workflows' four tasks went out.
	evs := readTopicCommitted(t, ctx, names.Events(), func(rs []*kgo.Record) bool {
		n := 0
		for _, r := range rs {
			if ev, err := codec.Decode(r.Value); err == nil {
				if _, ok := ev.Body.(*events.WorkflowRejected); ok {
					n++
				}
			}
		}
		return n >= len(refused)
	})
	for _, r := range evs {
		ev, err := codec.Decode(r.Value)
		if err != nil {
			continue // the bad records themselves
		}
		reason, isRefused := refused[ev.Workflow]
		switch b := ev.Body.(type) {
		case *events.WorkflowRejected:
			if !isRefused || !strings.Contains(b.Reason, reason) {
				t.Errorf("%s rejected: %q", ev.Workflow, b.Reason)
			}
			t.Logf("%s rejected: %s", ev.Workflow, b.Reason)
		case *events.TaskDispatched:
			if isRefused {
				t.Errorf("%s was refused but dispatched %s", ev.Workflow, ev.Task)
			}
		}
	}
	if got := counterValue(t, reg, "fugue_engine_tasks_total", "dispatched"); got != 5 {
		t.Errorf("fugue_engine_tasks_total{state=dispatched} = %v, want 5 (before, panics, unencodable, huge, after)", got)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readTopicCommitted reads topic from the start, read_committed, until done
// says it has enough or ctx ends.
func readTopicCommitted(t *testing.T, ctx context.Context, topicName string, done func([]*kgo.Record) bool) []*kgo.Record {
	t.Helper()
	cl := kafkatest.Client(t, kgo.ConsumeTopics(topicName), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	var out []*kgo.Record
	for !done(out) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s: %v (have %d records)", topicName, ctx.Err(), len(out))
		}
		out = append(out, fs.Records()...)
	}
	return out
}

func recordHeaders(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, kv := range r.Headers {
		h[kv.Key] = string(kv.Value)
	}
	return h
}

// counterValue returns the value of a counter in reg; label is the value of
// its only label, or "" for a counter without labels.
func counterValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label == "" && len(m.GetLabel()) == 0 || len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == label {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestOversizedChordBody submits a chord whose header results together
// exceed the broker's largest message (1 MB by default): the body's task
// message cannot be produced. The engine must fail the body (or the
// workflow) with the limit named and carry on. Before, Kafka refused the
// oversized TaskDispatched with MESSAGE_TOO_LARGE, the transaction
// aborted and the same batch was consumed again, for ever.
func TestOversizedChordBody(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	s := startBadStack(t, brokers, prometheus.NewRegistry())
	ctx := context.Background()
	big := map[string]any{"task": "test.big"} // 400 KiB each
	c := map[string]any{"task": "celery.chord", "subtask_type": "chord", "kwargs": map[string]any{
		"header": []any{big, big, big}, "body": map[string]any{"task": "tasks.identity"}}}
	mustDo(t, s.eng.Submit(ctx, "bigchord", c))
	mustDo(t, s.eng.Submit(ctx, "after", map[string]any{"task": "tasks.add", "args": []any{int64(1), int64(2)}}))
	if v := s.wait(t, "bigchord", time.Minute); v.State != "FAILURE" || v.Error == nil || !strings.Contains(v.Error.Message, "over the limit of 1000000") {
		t.Errorf("bigchord: %s %+v, want FAILURE naming the message limit", v.State, v.Error)
	}
	if v := s.wait(t, "after", time.Minute); v.State != "SUCCESS" {
		t.Errorf("after: %s, want SUCCESS", v.State)
	}
}

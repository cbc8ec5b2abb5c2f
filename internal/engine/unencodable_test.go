package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/demo"
	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/worker"
)

// nested returns a value n levels deep: lists, or dicts keyed key when key
// is not "".
func nested(n int, key string) any {
	var v any
	for range n {
		if key == "" {
			v = []any{v}
		} else {
			v = map[string]any{key: v}
		}
	}
	return v
}

// TestUnencodableOutputs: a value within the events' nesting limit
// (events.MaxDepth) grows a level each time it is passed on: a chain step
// gets it inside its args, a chord body gets the list of the header's
// results, a group's result is the list of its members'. A task message
// that no longer encodes fails its task with EncodeError, naming a short
// path, and a completion goes without its result (the state keeps it);
// the engine carries on, before and after a restart. Before, the output
// that did not encode stopped the engine, which met the same event again
// at every restart.
func TestUnencodableOutputs(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	prefix := kafkatest.Name(t, "fugue") + "."
	names := topic.Names{Prefix: prefix}

	tasks := worker.NewRegistry()
	demo.Register(tasks)
	tasks.Register("test.nest", func(_ context.Context, req *worker.Request) (any, error) {
		n, _ := req.Args[0].(int64)
		key, _ := req.Kwargs["key"].(string)
		return nested(int(n), key), nil
	})
	w, err := worker.New(tasks, worker.Config{Brokers: brokers, Prefix: prefix, Concurrency: 4, Logger: logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithCancel(context.Background())
	wdone := make(chan error, 1)
	go func() { wdone <- w.Run(wctx) }()
	t.Cleanup(func() {
		wcancel()
		if err := <-wdone; err != nil {
			t.Errorf("worker: %v", err)
		}
	})

	// start runs an engine on dir; its stop waits for it to end.
	type running struct {
		eng  *engine.Engine
		reg  *prometheus.Registry
		errs chan error
		stop func()
	}
	start := func(dir string) *running {
		reg := prometheus.NewRegistry()
		eng, err := engine.New(engine.Config{Brokers: brokers, Prefix: prefix, DataDir: dir, Logger: logger(t), Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		r := &running{eng: eng, reg: reg, errs: make(chan error, 1)}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := eng.Run(ctx); err != nil {
				r.errs <- err
			}
		}()
		stopped := false
		r.stop = func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			<-done
			select {
			case err := <-r.errs:
				t.Errorf("engine: %v", err)
			default:
			}
			eng.Close()
		}
		t.Cleanup(r.stop)
		return r
	}
	wait := func(r *running, id string) *projector.WorkflowView {
		t.Helper()
		return waitReady(t, r.eng, r.errs, id, time.Now().Add(time.Minute))
	}

	nest := func(n int, key string) map[string]any {
		c := map[string]any{"task": "test.nest", "args": []any{int64(n)}}
		if key != "" {
			c["kwargs"] = map[string]any{"key": key}
		}
		return c
	}
	identity := map[string]any{"task": "tasks.identity"}
	add := func(a, b int) map[string]any {
		return map[string]any{"task": "tasks.add", "args": []any{int64(a), int64(b)}}
	}
	composite := func(kind string, kwargs map[string]any) map[string]any {
		return map[string]any{"task": "celery." + kind, "subtask_type": kind, "kwargs": kwargs}
	}
	// A key of three-byte runes: a path cut inside one would not encode.
	const key = "€€€€€€€"
	canvases := map[string]map[string]any{
		// The chain step's args hold the previous result: 513 levels.
		"chain": composite("chain", map[string]any{"tasks": []any{nest(events.MaxDepth, ""), identity}}),
		// The body's args hold the list of the header's results.
		"chord": composite("chord", map[string]any{"header": []any{nest(events.MaxDepth-1, key), nest(events.MaxDepth-1, key)}, "body": identity}),
		// The group's result is the list of its members' results.
		"group": composite("group", map[string]any{"tasks": []any{nest(events.MaxDepth, ""), nest(events.MaxDepth, "")}}),
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	first := start(dir)
	for id, c := range canvases {
		mustDo(t, first.eng.Submit(ctx, id, c))
	}
	mustDo(t, first.eng.Submit(ctx, "after", add(1, 2)))
	if v := wait(first, "after"); v.State != "SUCCESS" || fmt.Sprint(v.Result) != "3" {
		t.Errorf("after: %s %v, want SUCCESS 3", v.State, v.Result)
	}
	views := map[string]*projector.WorkflowView{}
	for _, id := range []string{"chain", "chord"} {
		v := wait(first, id)
		views[id] = v
		var failed *projector.TaskView
		for _, tv := range v.Tasks {
			if tv.Error != nil {
				failed = tv
			}
		}
		if v.State != "FAILURE" || failed == nil || failed.Name != "tasks.identity" {
			t.Errorf("%s: %s %+v, want FAILURE of tasks.identity", id, v.State, v.Error)
			continue
		}
		e := failed.Error
		t.Logf("%s: %s: %s", id, e.Type, e.Message)
		if e.Type != "EncodeError" || !strings.Contains(e.Message, "args[0]") ||
			!strings.Contains(e.Message, fmt.Sprintf("nests deeper than %d levels", events.MaxDepth)) || len(e.Message) > 300 {
			t.Errorf("%s: task error %s %q, want a short EncodeError naming args[0] and the limit", id, e.Type, e.Message)
		}
	}
	v := wait(first, "group")
	views["group"] = v
	if res, ok := v.Result.([]any); v.State != "SUCCESS" || !ok || len(res) != 2 {
		t.Errorf("group: %s %.40v, want SUCCESS with the two results", v.State, v.Result)
	}
	if got := counterValue(t, first.reg, "fugue_engine_unencodable_outputs_total", ""); got != 3 {
		t.Errorf("fugue_engine_unencodable_outputs_total = %v, want 3", got)
	}

	// The completion went out without its result.
	codec, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	readTopicCommitted(t, ctx, names.Events(), func(rs []*kgo.Record) bool {
		for _, r := range rs {
			ev, err := codec.Decode(r.Value)
			if err != nil || ev.Workflow != "group" {
				continue
			}
			if c, ok := ev.Body.(*events.WorkflowCompleted); ok {
				if c.State != "SUCCESS" || c.Result != nil {
					t.Errorf("group's completion: %s %.40v, want SUCCESS without its result", c.State, c.Result)
				}
				return true
			}
		}
		return false
	})

	// A canvas whose own values nest past the limit is refused whole by
	// the API, with a short path.
	srv := httptest.NewServer(api.NewHandler(first.eng, api.Config{Logger: logger(t)}))
	defer srv.Close()
	deep, err := json.Marshal(composite("chain", map[string]any{"tasks": []any{identity, map[string]any{"task": "tasks.identity", "args": []any{nested(events.MaxDepth, "")}}}}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(srv.URL+"/v1/workflows", "application/json", bytes.NewReader(deep))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if want := "kwargs.tasks[1].args[0][0][0]"; res.StatusCode != http.StatusBadRequest || !bytes.Contains(body, []byte(want)) || len(body) > 300 {
		t.Errorf("a canvas nested past the limit: %d %.400s, want 400 naming %s…", res.StatusCode, body, want)
	}

	// Restarted on the same store, the engine carries on.
	first.stop()
	second := start(dir)
	mustDo(t, second.eng.Submit(ctx, "after-restart", add(20, 22)))
	if v := wait(second, "after-restart"); v.State != "SUCCESS" || fmt.Sprint(v.Result) != "42" {
		t.Errorf("after-restart: %s %v, want SUCCESS 42", v.State, v.Result)
	}
	for id, want := range views {
		if v := wait(second, id); !reflect.DeepEqual(v, want) {
			t.Errorf("%s after the restart: %s %+v, want %s %+v", id, v.State, v.Error, want.State, want.Error)
		}
	}

	// An engine on a new store folds the log to the same state: the
	// failures that replaced the task messages are in it.
	second.stop()
	third := start(t.TempDir())
	mustDo(t, third.eng.Submit(ctx, "after-replay", add(2, 3)))
	if v := wait(third, "after-replay"); v.State != "SUCCESS" || fmt.Sprint(v.Result) != "5" {
		t.Errorf("after-replay: %s %v, want SUCCESS 5", v.State, v.Result)
	}
	for id, want := range views {
		if v := wait(third, id); !reflect.DeepEqual(v, want) {
			t.Errorf("%s on a new store: %s %+v, want %s %+v", id, v.State, v.Error, want.State, want.Error)
		}
	}
}

package worker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/demo"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/worker"
)

func demoRegistry() *worker.Registry {
	reg := worker.NewRegistry()
	demo.Register(reg)
	return reg
}

func call(name string, args ...any) *events.TaskDispatched {
	return &events.TaskDispatched{Name: name, Args: args, Queue: topic.DefaultQueue, MaxRetries: -2}
}

// ofTask returns the ids of the events about task, in log order.
func ofTask(evs []*events.Event, task string) []string {
	var ids []string
	for _, ev := range evs {
		if ev.Task == task {
			ids = append(ids, ev.ID)
		}
	}
	return ids
}

func byID(evs []*events.Event) map[string]*events.Event {
	m := map[string]*events.Event{}
	for _, ev := range evs {
		m[ev.ID] = ev
	}
	return m
}

// TestReport runs task messages that end every way a message can and
// checks the events reported for each, their ids, bodies and order, the
// committed offset and the metrics.
func TestReport(t *testing.T) {
	t.Parallel()
	forEachBroker(t, 1, func(t *testing.T, e *env) {
		prom := prometheus.NewRegistry()
		reg := demoRegistry()
		busy := errors.New("busy")
		reg.Register("test.autoretry", func(context.Context, *worker.Request) (any, error) { return nil, busy },
			worker.AutoretryForErrors(busy), worker.RetryBackoff(2*time.Second, 0), worker.RetryJitter(false))
		reg.Register("test.big", func(context.Context, *worker.Request) (any, error) {
			return strings.Repeat("x", topic.MaxMessageBytes+1), nil // beyond the topics' limit
		})
		e.run(reg, e.config(func(c *worker.Config) { c.Registerer = prom }))
		ident := fmt.Sprintf("testhost-%d", os.Getpid())

		expired := call("tasks.add", int64(1), int64(2))
		expired.Attempt = 2
		expired.Expires = time.Now().Add(-time.Minute).UnixMicro()
		notYet := call("tasks.add", int64(2), int64(3))
		notYet.Expires = time.Now().Add(time.Hour).UnixMicro()
		retried := call("tasks.retry_once")
		retried.Attempt = 1
		cases := []struct {
			task string
			msg  *events.TaskDispatched
			want []string
			body events.Body // of the last event
		}{
			{"add", notYet, []string{"add:started:0", "add:succeeded:0"},
				&events.TaskSucceeded{Result: int64(5)}},
			{"fail", call("tasks.fail"), []string{"fail:started:0", "fail:failed:0"},
				&events.TaskFailed{Error: events.Failure{Type: "ExpectedException", Message: "Task expected to fail"}}},
			{"retry", call("tasks.retry_once"), []string{"retry:started:0", "retry:retrying:0"},
				&events.TaskRetrying{Countdown: 0.1, Error: events.Failure{Type: "Retry", Message: "Retry in 0.1s"}, Explicit: true}},
			{"autoretry", call("test.autoretry"), []string{"autoretry:started:0", "autoretry:retrying:0"},
				&events.TaskRetrying{Countdown: 2, Error: events.Failure{Type: "Error", Message: "busy"}}},
			{"retried", retried, []string{"retried:started:1", "retried:succeeded:1"},
				&events.TaskSucceeded{Attempt: 1, Result: int64(1)}},
			{"progress", call("tasks.progress", int64(2)),
				[]string{"progress:started:0", "progress:progress:0.1", "progress:progress:0.2", "progress:succeeded:0"},
				&events.TaskSucceeded{Result: int64(2)}},
			{"nope", call("tasks.nope"), []string{"nope:started:0", "nope:failed:0"},
				&events.TaskFailed{Error: events.Failure{Type: "NotRegistered", Message: "'tasks.nope'"}}},
			{"expired", expired, []string{"expired:expired"},
				&events.TaskRevoked{Reason: "expired", Attempt: 2}},
			{"big", call("test.big"), []string{"big:started:0", "big:failed:0"}, nil},
		}
		var last []string
		for _, c := range cases {
			e.dispatch(0, "wf-"+c.task, c.task, c.msg)
			last = append(last, c.want[len(c.want)-1])
		}
		evs := e.reader(e.names.Events()).waitIDs(last...)
		e.waitCommitted(e.names.Prefix+"workers", 0, int64(len(cases)))

		ids := byID(evs)
		for _, c := range cases {
			if got := ofTask(evs, c.task); !slices.Equal(got, c.want) {
				t.Errorf("%s: events %q, want %q", c.task, got, c.want)
				continue
			}
			for _, id := range c.want {
				ev := ids[id]
				if ev.Workflow != "wf-"+c.task || ev.Producer != "worker/"+ident || ev.Time == 0 {
					t.Errorf("%s: envelope %+v", id, ev)
				}
			}
			if got := ids[c.want[len(c.want)-1]].Body; c.body != nil && !reflect.DeepEqual(got, c.body) {
				t.Errorf("%s: %#v, want %#v", c.task, got, c.body)
			}
			if st, ok := ids[c.want[0]].Body.(*events.TaskStarted); ok && (st.Worker != ident || st.Attempt != c.msg.Attempt) {
				t.Errorf("%s: started %+v", c.task, st)
			}
		}
		if f := ids["big:failed:0"].Body.(*events.TaskFailed).Error; f.Type != "EncodeError" || !strings.Contains(f.Message, "MESSAGE_TOO_LARGE") {
			t.Errorf("too large a result: %+v, want an EncodeError", f)
		}
		want := &events.TaskProgress{Seq: 2, State: "PROGRESS", Meta: map[string]any{"step": int64(2), "total": int64(2)}}
		if got := ids["progress:progress:0.2"].Body; !reflect.DeepEqual(got, want) {
			t.Errorf("progress: %#v, want %#v", got, want)
		}

		for state, n := range map[string]float64{"succeeded": 3, "failed": 3, "retrying": 2, "expired": 1} {
			if got := metric(t, prom, "fugue_worker_tasks_total", "state", state); got != n {
				t.Errorf("fugue_worker_tasks_total{state=%q} = %v, want %v", state, got, n)
			}
		}
		if got := metric(t, prom, "fugue_worker_task_outcomes_total", "name", "unregistered", "state", "failed"); got != 1 {
			t.Errorf("outcomes of unregistered tasks = %v, want 1", got)
		}
		if got := metric(t, prom, "fugue_worker_task_outcomes_total", "name", "tasks.add", "state", "succeeded"); got != 1 {
			t.Errorf("tasks.add succeeded = %v, want 1", got)
		}
		if got := metric(t, prom, "fugue_worker_task_duration_seconds"); got != 8 {
			t.Errorf("durations observed = %v, want 8", got)
		}
		if got := metric(t, prom, "fugue_worker_tasks_in_flight"); got != 0 {
			t.Errorf("in flight = %v, want 0", got)
		}
	})
}

// TestDeadLetter sends records that are not task messages: they go to the
// dead-letter topic unchanged, with why and where from in headers, and
// the worker carries on.
func TestDeadLetter(t *testing.T) {
	t.Parallel()
	forEachBroker(t, 1, func(t *testing.T, e *env) {
		prom := prometheus.NewRegistry()
		e.run(demoRegistry(), e.config(func(c *worker.Config) { c.Registerer = prom }))
		garbage := &kgo.Record{Topic: e.tasks(), Key: []byte("k1"), Value: []byte("not avro"),
			Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("abc")}}}
		notATask := &kgo.Record{Topic: e.tasks(), Key: []byte("k2"), Value: e.encode(&events.Event{
			ID: "x:started:0", Workflow: "x", Task: "x", Body: &events.TaskStarted{}})}
		e.produce(garbage, notATask)
		e.dispatch(0, "wf", "ok", call("tasks.add", int64(1), int64(1)))

		e.reader(e.names.Events()).waitIDs("ok:succeeded:0")
		dl := e.reader(e.names.DeadLetter()).waitRecords("2 dead letters", func(r []*kgo.Record) bool { return len(r) >= 2 })
		for i, want := range []*kgo.Record{garbage, notATask} {
			got := dl[i]
			if !bytes.Equal(got.Key, want.Key) || !bytes.Equal(got.Value, want.Value) {
				t.Errorf("dead letter %d: key %q value %q, want %q %q", i, got.Key, got.Value, want.Key, want.Value)
			}
			h := map[string]string{}
			for _, x := range got.Headers {
				h[x.Key] = string(x.Value)
			}
			src := fmt.Sprintf("%s/0/%d", e.tasks(), i)
			if h[topic.HeaderSource] != src || h[topic.HeaderComponent] != "worker" || h[topic.HeaderError] == "" {
				t.Errorf("dead letter %d headers %q, want source %s, component worker and an error", i, h, src)
			}
			if i == 0 && h["trace"] != "abc" {
				t.Errorf("dead letter lost the record's own header: %q", h)
			}
			if i == 1 && !strings.Contains(h[topic.HeaderError], "TaskStarted") {
				t.Errorf("dead letter error %q does not name the event type", h[topic.HeaderError])
			}
		}
		e.waitCommitted(e.names.Prefix+"workers", 0, 3)
		if got := metric(t, prom, "fugue_worker_deadletter_total"); got != 2 {
			t.Errorf("fugue_worker_deadletter_total = %v, want 2", got)
		}
	})
}

// TestRevokeRunning revokes a running task through the control topic: its
// context is cancelled and it fails with TaskRevokedError; a message of it
// that arrives later is dropped without a trace.
func TestRevokeRunning(t *testing.T) {
	t.Parallel()
	forEachBroker(t, 1, func(t *testing.T, e *env) {
		reg := demoRegistry()
		reg.Register("test.block", func(ctx context.Context, _ *worker.Request) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
		prom := prometheus.NewRegistry()
		e.run(reg, e.config(func(c *worker.Config) { c.Concurrency = 1; c.Registerer = prom }))
		events_ := e.reader(e.names.Events())

		e.dispatch(0, "wf", "blk", call("test.block"))
		events_.waitIDs("blk:started:0")
		e.revoke("wf", "blk")
		evs := events_.waitIDs("blk:failed:0")
		want := &events.TaskFailed{Error: events.Failure{Type: "TaskRevokedError", Message: "revoked"}}
		if got := byID(evs)["blk:failed:0"].Body; !reflect.DeepEqual(got, want) {
			t.Errorf("revoked task: %#v, want %#v", got, want)
		}

		// A later message of the revoked task is dropped; the next runs.
		again := call("test.block")
		again.Attempt = 1
		e.dispatch(0, "wf", "blk", again)
		e.dispatch(0, "wf", "after", call("tasks.add", int64(1), int64(2)))
		evs = events_.waitIDs("after:succeeded:0")
		if got, want := ofTask(evs, "blk"), []string{"blk:started:0", "blk:failed:0"}; !slices.Equal(got, want) {
			t.Errorf("revoked task's events %q, want %q", got, want)
		}
		e.waitCommitted(e.names.Prefix+"workers", 0, 3)
		if got := metric(t, prom, "fugue_worker_revoked_total"); got != 2 {
			t.Errorf("fugue_worker_revoked_total = %v, want 2", got)
		}
		if got := metric(t, prom, "fugue_worker_tasks_total", "state", "dropped"); got != 1 {
			t.Errorf("dropped = %v, want 1", got)
		}
	})
}

// TestWatermarkAndRedelivery runs a slow task at a low offset among fast
// ones with concurrency 4: the committed offset stays at the slow one.
// The worker then stops as if it crashed, abandoning the slow task; a new
// worker runs again everything from the committed offset on.
func TestWatermarkAndRedelivery(t *testing.T) {
	t.Parallel()
	forEachBroker(t, 1, func(t *testing.T, e *env) {
		var runs atomic.Int32
		reg := demoRegistry()
		reg.Register("test.slow", func(ctx context.Context, _ *worker.Request) (any, error) {
			if runs.Add(1) == 1 {
				<-ctx.Done() // the first run never finishes by itself
				return nil, ctx.Err()
			}
			return "done", nil
		})
		group := e.names.Prefix + "workers"
		first := e.run(reg, e.config(nil))
		e.dispatch(0, "wf", "a0", call("tasks.add", int64(0), int64(0)))
		e.dispatch(0, "wf", "slow", call("test.slow"))
		fast := []string{"a2", "a3", "a4", "a5"}
		for _, id := range fast {
			e.dispatch(0, "wf", id, call("tasks.add", int64(1), int64(1)))
		}
		events_ := e.reader(e.names.Events())
		events_.waitIDs("a0:succeeded:0", "slow:started:0", "a2:succeeded:0", "a3:succeeded:0", "a4:succeeded:0", "a5:succeeded:0")
		e.waitCommitted(group, 0, 1)
		if err := first.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := e.committed(group, 0); got != 1 {
			t.Fatalf("committed offset %d after the stop, want 1: the slow task at offset 1 did not finish", got)
		}

		e.run(reg, e.config(nil))
		e.waitCommitted(group, 0, 6)
		// The commit of offset 6 says the slow task's events were
		// acknowledged, not that this reader has fetched them yet, and
		// its outcome is sent after the fast tasks': wait for its three
		// events too.
		evs := events_.waitEvents("the fast tasks again, and the slow task's second run", func(evs []*events.Event) bool {
			for _, id := range fast {
				if len(ofTask(evs, id)) < 4 {
					return false
				}
			}
			return len(ofTask(evs, "slow")) >= 3
		})
		if got, want := ofTask(evs, "slow"), []string{"slow:started:0", "slow:started:0", "slow:succeeded:0"}; !slices.Equal(got, want) {
			t.Errorf("slow task: %q, want %q", got, want)
		}
		if got := ofTask(evs, "a0"); len(got) != 2 {
			t.Errorf("a0, committed before the stop, ran again: %q", got)
		}
		if n := runs.Load(); n != 2 {
			t.Errorf("slow task ran %d times, want 2", n)
		}
	})
}

// gateRegistry is the demo tasks plus test.gate, which returns "released"
// once release is closed (or fails when its context ends).
func gateRegistry(release <-chan struct{}) *worker.Registry {
	reg := demoRegistry()
	reg.Register("test.gate", func(ctx context.Context, _ *worker.Request) (any, error) {
		select {
		case <-release:
			return "released", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	return reg
}

// TestStopDrains stops a worker while a task runs: Run waits for it,
// reports it and commits it.
func TestStopDrains(t *testing.T) {
	t.Parallel()
	forEachBroker(t, 1, func(t *testing.T, e *env) {
		release := make(chan struct{})
		reg := gateRegistry(release)
		logs := newLogWatch(t.Output(), "worker: stopping")
		r := e.run(reg, e.config(func(c *worker.Config) {
			c.DrainTimeout = waitTimeout
			c.Logger = slog.New(logs)
		}))
		events_ := e.reader(e.names.Events())
		e.dispatch(0, "wf", "g", call("test.gate"))
		events_.waitIDs("g:started:0")
		r.cancel()
		logs.wait(t, "worker: stopping")
		close(release)
		if err := r.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := e.committed(e.names.Prefix+"workers", 0); got != 1 {
			t.Errorf("committed %d after a drained stop, want 1", got)
		}
		evs := events_.waitIDs("g:succeeded:0")
		if got := byID(evs)["g:succeeded:0"].Body.(*events.TaskSucceeded).Result; got != "released" {
			t.Errorf("result %v", got)
		}
	})
}

// TestStartedAfter checks that a task that ends within StartedAfter is
// reported without a TaskStarted, and that one still running after it is
// reported STARTED while it runs (the gate opens only once the test has
// read its TaskStarted from the events topic), before its outcome.
func TestStartedAfter(t *testing.T) {
	t.Parallel()
	forEachBroker(t, 1, func(t *testing.T, e *env) {
		release := make(chan struct{})
		reg := gateRegistry(release)
		events_ := e.reader(e.names.Events())

		// A fast task, with a delay no run of it can reach. The stop
		// drains, so that the task is committed (its event can be read
		// before its producer has the acknowledgement) and the second
		// worker does not run it again.
		r := e.run(reg, e.config(func(c *worker.Config) { c.StartedAfter, c.DrainTimeout = time.Hour, waitTimeout }))
		e.dispatch(0, "wf", "fast", call("tasks.add", int64(1), int64(2)))
		events_.waitIDs("fast:succeeded:0")
		if err := r.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}

		// A task that runs until its TaskStarted is on the log.
		e.run(reg, e.config(func(c *worker.Config) { c.StartedAfter = time.Millisecond }))
		e.dispatch(0, "wf", "slow", call("test.gate"))
		events_.waitIDs("slow:started:0")
		close(release)
		evs := events_.waitIDs("slow:succeeded:0")
		if got, want := ofTask(evs, "fast"), []string{"fast:succeeded:0"}; !slices.Equal(got, want) {
			t.Errorf("fast task: events %q, want %q", got, want)
		}
		if got, want := ofTask(evs, "slow"), []string{"slow:started:0", "slow:succeeded:0"}; !slices.Equal(got, want) {
			t.Errorf("slow task: events %q, want %q", got, want)
		}
	})
}

// TestRateLimit runs three messages of a task limited to 5 a second: they
// start at least 200ms apart.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	forEachBroker(t, 1, func(t *testing.T, e *env) {
		reg := worker.NewRegistry()
		reg.Register("test.limited", func(context.Context, *worker.Request) (any, error) { return nil, nil }, worker.RateLimit("5/s"))
		e.run(reg, e.config(nil))
		for _, id := range []string{"r1", "r2", "r3"} {
			e.dispatch(0, "wf", id, call("test.limited"))
		}
		evs := e.reader(e.names.Events()).waitIDs("r1:succeeded:0", "r2:succeeded:0", "r3:succeeded:0")
		var starts []int64
		for _, ev := range evs {
			if _, ok := ev.Body.(*events.TaskStarted); ok {
				starts = append(starts, ev.Time)
			}
		}
		slices.Sort(starts)
		// The first starts at once, the third 400ms after the first
		// was let through; allow for the first's own reporting delay.
		if d := time.Duration(starts[2]-starts[0]) * time.Microsecond; d < 300*time.Millisecond {
			t.Errorf("three starts within %v; the limit allows one per 200ms", d)
		}
	})
}

// TestRebalance starts a second worker in the group while the first runs
// a task on each partition: the first waits for its task on the partition
// it loses and commits it before the second takes over, so nothing runs
// twice, and the second then runs what comes to that partition.
func TestRebalance(t *testing.T) {
	t.Parallel()
	forEachBroker(t, 2, func(t *testing.T, e *env) {
		release := make(chan struct{})
		reg := gateRegistry(release)
		logsA := newLogWatch(t.Output(), "worker: partitions revoked")
		e.run(reg, e.config(func(c *worker.Config) {
			c.Hostname, c.DrainTimeout, c.Logger = "A", waitTimeout, slog.New(logsA)
		}))
		events_ := e.reader(e.names.Events())
		e.dispatch(0, "wf0", "g0", call("test.gate"))
		e.dispatch(1, "wf1", "g1", call("test.gate"))
		events_.waitIDs("g0:started:0", "g1:started:0")

		e.run(reg, e.config(func(c *worker.Config) { c.Hostname, c.DrainTimeout = "B", waitTimeout }))
		logsA.wait(t, "worker: partitions revoked") // A is draining
		close(release)
		events_.waitIDs("g0:succeeded:0", "g1:succeeded:0")
		e.dispatch(0, "wf0", "x0", call("tasks.add", int64(1), int64(0)))
		e.dispatch(1, "wf1", "x1", call("tasks.add", int64(1), int64(1)))
		group := e.names.Prefix + "workers"
		e.waitCommitted(group, 0, 2)
		e.waitCommitted(group, 1, 2)
		evs := events_.waitEvents("every event", func(evs []*events.Event) bool {
			return len(evs) >= 8 // started and succeeded of g0, g1, x0, x1
		})
		for _, g := range []string{"g0", "g1"} {
			if got, want := ofTask(evs, g), []string{g + ":started:0", g + ":succeeded:0"}; !slices.Equal(got, want) {
				t.Errorf("%s: %q, want %q: it ran again after the rebalance", g, got, want)
			}
		}
		workers := map[string]bool{}
		for _, ev := range evs {
			if st, ok := ev.Body.(*events.TaskStarted); ok && (ev.Task == "x0" || ev.Task == "x1") {
				workers[strings.SplitN(st.Worker, "-", 2)[0]] = true
			}
		}
		if !workers["A"] || !workers["B"] {
			t.Errorf("x0 and x1 ran on %v, want one on each worker", workers)
		}
		if len(evs) != 8 {
			t.Errorf("%d events, want 8", len(evs))
		}
	})
}

// TestReportRefused deletes the events topic under a running worker: the
// worker cannot report the next task, so Run stops with an error and the
// task's offset stays uncommitted.
func TestReportRefused(t *testing.T) {
	t.Parallel()
	forEachBroker(t, 1, func(t *testing.T, e *env) {
		// The caller's options reach the worker's clients: fail at once.
		r := e.run(demoRegistry(), e.config(nil), kgo.UnknownTopicRetries(0))
		r.failed = true
		e.dispatch(0, "wf", "ok", call("tasks.add", int64(1), int64(1)))
		e.reader(e.names.Events()).waitIDs("ok:succeeded:0")
		group := e.names.Prefix + "workers"
		e.waitCommitted(group, 0, 1)

		e.deleteTopic(e.names.Events())
		e.dispatch(0, "wf", "lost", call("tasks.add", int64(1), int64(1)))
		err := r.wait()
		if err == nil || !strings.Contains(err.Error(), "lost:started:0") {
			t.Fatalf("Run = %v, want the error of reporting lost:started:0", err)
		}
		if got := e.committed(group, 0); got != 1 {
			t.Errorf("committed %d, want 1: the unreported task must stay uncommitted", got)
		}
	})
}

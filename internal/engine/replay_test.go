package engine_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/conformance"
	"github.com/fugue-run/fugue/internal/demo"
	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/worker"
)

// envInt reads a positive integer from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// liveWorkflow is one submitted workflow and what it must end as.
type liveWorkflow struct {
	id     string
	c      *conformance.Case // nil for a revoked workflow
	start  time.Time
	revoke bool
}

// mixedWorkflows builds n workflows from the conformance cases (every
// case that is not refused, cycled, ids made unique per copy), one in ten
// a revoked chain of a slow task.
func mixedWorkflows(t *testing.T, n int, run string) []liveWorkflow {
	t.Helper()
	cases, err := conformance.Load("../harness/testdata/*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var usable []*conformance.Case
	for i := range cases {
		if _, refused := cases[i].Refused(); !refused {
			usable = append(usable, &cases[i])
		}
	}
	out := make([]liveWorkflow, 0, n)
	for i := range n {
		id := fmt.Sprintf("%s-%05d", run, i)
		if i%10 == 9 {
			out = append(out, liveWorkflow{id: id, revoke: true})
			continue
		}
		src := usable[i%len(usable)]
		c := src.Copy(id)
		if o, ok := c.Canvas["options"].(map[string]any); ok {
			if tid, ok := o["task_id"].(string); ok && tid != "" {
				id = tid
			}
		}
		out = append(out, liveWorkflow{id: id, c: c})
	}
	return out
}

// revokedCanvas is chain(sleep(5), add(1, 2)): revoked while it sleeps.
func revokedCanvas(id string) map[string]any {
	sig := func(name string, args ...any) map[string]any {
		return map[string]any{"task": name, "args": args, "kwargs": map[string]any{}, "options": map[string]any{},
			"subtask_type": nil, "immutable": false}
	}
	return map[string]any{"task": "celery.chain", "args": []any{}, "options": map[string]any{"task_id": id},
		"subtask_type": "chain", "immutable": false,
		"kwargs": map[string]any{"tasks": []any{sig("tasks.sleep", int64(5)), sig("tasks.add", int64(1), int64(2))}}}
}

// TestReplayMatchesLive runs FUGUE_REPLAY_WORKFLOWS (default 200) mixed
// workflows — chains, groups, chords, links, errbacks, retries, failures,
// revokes — through an engine and two workers on the real broker, stops
// them, replays the events topic from offset 0 into a fresh directory and
// checks that the replayed state hash equals the live one.
func TestReplayMatchesLive(t *testing.T) {
	replayMatchesLive(t, envInt(t, "FUGUE_REPLAY_WORKFLOWS", 200), 0)
}

// TestAbortedTransactionsLeaveNoTrace is TestReplayMatchesLive with the
// engine aborting every other transaction it would commit, the first
// (which sends the first tasks) included. Workers read
// task messages uncommitted, so they take, run and report tasks whose
// messages then abort; the engine, rewound, folds the same batches again
// and sends the same messages. The workflows must still be right, the
// state the same as the log's replay, each task attempt dispatched once
// on the log, and the workers must have skipped messages sent again.
func TestAbortedTransactionsLeaveNoTrace(t *testing.T) {
	if got := replayMatchesLive(t, envInt(t, "FUGUE_ABORT_WORKFLOWS", 60), 2); got == 0 {
		t.Errorf("no worker skipped a task message sent again after an abort")
	} else {
		t.Logf("workers skipped %v task messages sent again", got)
	}
}

// replayMatchesLive runs n mixed workflows, aborting every abortEvery'th
// transaction when abortEvery > 0, checks them, and compares the live
// state's hash with a replay's. It returns how many task messages the
// workers skipped as sent again.
func replayMatchesLive(t *testing.T, n int, abortEvery int64) (repeated float64) {
	brokers := kafkatest.Brokers(t)
	prefix := kafkatest.Name(t, "replay") + "."
	reg := prometheus.NewRegistry()
	eng, err := engine.New(engine.Config{Brokers: brokers, Prefix: prefix, DataDir: t.TempDir(), Logger: logger(t), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if abortEvery > 0 {
		engine.AbortEvery(eng, abortEvery)
	}
	var wregs []*prometheus.Registry
	errs := make(chan error, 4)
	var engWG, wrkWG sync.WaitGroup
	engCtx, stopEngine := context.WithCancel(context.Background())
	wrkCtx, stopWorkers := context.WithCancel(context.Background())
	defer stopEngine()
	defer stopWorkers()
	run := func(ctx context.Context, wg *sync.WaitGroup, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errs <- err
			}
		}()
	}
	run(engCtx, &engWG, eng.Run)
	for range 2 {
		reg := worker.NewRegistry()
		demo.Register(reg)
		wreg := prometheus.NewRegistry()
		wregs = append(wregs, wreg)
		w, err := worker.New(reg, worker.Config{Brokers: brokers, Prefix: prefix, Concurrency: 16, Logger: logger(t), Registerer: wreg})
		if err != nil {
			t.Fatal(err)
		}
		run(wrkCtx, &wrkWG, w.Run)
	}

	ctx := context.Background()
	wfs := mixedWorkflows(t, n, "rp")
	t0 := time.Now()
	for i := range wfs {
		wf := &wfs[i]
		wf.start = time.Now()
		if wf.revoke {
			if err := eng.Submit(ctx, wf.id, revokedCanvas(wf.id)); err != nil {
				t.Fatal(err)
			}
			if err := eng.Revoke(ctx, wf.id, ""); err != nil {
				t.Fatal(err)
			}
			continue
		}
		times := 1
		if wf.c.SubmitTwice() {
			times = 2
		}
		for range times {
			if err := eng.Submit(ctx, wf.id, wf.c.Canvas); err != nil {
				t.Fatal(err)
			}
		}
	}
	deadline := time.Now().Add(time.Duration(60+n/5) * time.Second)
	for i := range wfs {
		wf := &wfs[i]
		v := waitReady(t, eng, errs, wf.id, deadline)
		if wf.revoke {
			if v.State != "REVOKED" {
				t.Errorf("%s: revoked workflow is %s", wf.id, v.State)
			}
			continue
		}
		m, err := conformance.ViewValue(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, why := range conformance.Check(wf.c, m, time.Since(wf.start).Seconds()) {
			t.Errorf("%s (%s): %s", wf.id, wf.c.Name, why)
		}
	}
	t.Logf("%d workflows ready in %s", n, time.Since(t0).Round(time.Millisecond))

	// Stop the workers, let the engine fold everything on the log, stop it.
	stopWorkers()
	wrkWG.Wait()
	waitFolded(t, eng, brokers, prefix, errs)
	stopEngine()
	engWG.Wait()
	live, err := eng.Store().Hash()
	if err != nil {
		t.Fatal(err)
	}

	rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	res, err := engine.Replay(rctx, logger(t), brokers, prefix, t.TempDir(), projector.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rate := float64(res.Records) / res.Took.Seconds()
	t.Logf("replay: %d workflows, %d records in %s (%.0f records/s)", n, res.Records, res.Took.Round(time.Millisecond), rate)
	if res.Hash != live {
		t.Fatalf("replayed hash %x != live hash %x", res.Hash, live)
	}
	if abortEvery > 0 {
		aborted := counterValue(t, reg, "fugue_engine_transactions_total", "aborted")
		t.Logf("%v transactions aborted", aborted)
		if aborted == 0 {
			t.Errorf("no transaction aborted")
		}
		dispatchedOnce(t, prefix)
	}
	for _, r := range wregs {
		repeated += counterValue(t, r, "fugue_worker_repeated_messages_total", "")
	}
	return repeated
}

// dispatchedOnce checks that the committed events topic holds each task
// attempt's TaskDispatched once.
func dispatchedOnce(t *testing.T, prefix string) {
	t.Helper()
	evTopic := topic.Names{Prefix: prefix}.Events()
	adm := kadm.NewClient(kafkatest.Client(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, evTopic)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	cur := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { cur[o.Partition] = o.Offset })
	last := lastDataOffsets(t, ctx, kafkatest.Brokers(t), evTopic, cur)
	recs := readTopicCommitted(t, ctx, evTopic, func(rs []*kgo.Record) bool {
		got := map[int32]int64{}
		for _, r := range rs {
			got[r.Partition] = max(got[r.Partition], r.Offset)
		}
		for p, off := range last {
			if g, ok := got[p]; !ok || g < off {
				return false
			}
		}
		return true
	})
	seen := map[string]int{}
	for _, r := range recs {
		ev, err := codec.Decode(r.Value)
		if err != nil {
			t.Fatalf("%s/%d/%d: %v", r.Topic, r.Partition, r.Offset, err)
		}
		if d, ok := ev.Body.(*events.TaskDispatched); ok {
			seen[fmt.Sprintf("%s#%d", ev.Task, d.Attempt)]++
		}
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("task %s dispatched %d times on %s", k, c, evTopic)
		}
	}
	t.Logf("%d task attempts dispatched on %s", len(seen), evTopic)
}

// waitReady waits until workflow id is ready, or fails the test at the
// deadline.
func waitReady(t *testing.T, eng *engine.Engine, errs <-chan error, id string, deadline time.Time) *projector.WorkflowView {
	t.Helper()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		changed := eng.Changed()
		w, err := eng.State().Workflow(id)
		if err != nil {
			t.Fatal(err)
		}
		if w != nil && w.Ready() {
			v, err := projector.Describe(eng.State(), id)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		select {
		case <-changed:
		case err := <-errs:
			t.Fatalf("engine or worker failed: %v", err)
		case <-timer.C:
			t.Fatalf("workflow %s not ready at the deadline (%+v)", id, w)
		}
	}
}

// waitFolded waits until the engine has applied the last data record of
// every events partition and the log stopped growing (the engine's own
// outputs are folded too).
func waitFolded(t *testing.T, eng *engine.Engine, brokers []string, prefix string, errs <-chan error) {
	t.Helper()
	evTopic := topic.Names{Prefix: prefix}.Events()
	adm := kadm.NewClient(kafkatest.Client(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var prev map[int32]int64
	for {
		ends, err := adm.ListEndOffsets(ctx, evTopic)
		if err != nil {
			t.Fatal(err)
		}
		cur := map[int32]int64{}
		ends.Each(func(o kadm.ListedOffset) { cur[o.Partition] = o.Offset })
		last := lastDataOffsets(t, ctx, brokers, evTopic, cur)
		for {
			behind := false
			for p, off := range last {
				applied, known, err := eng.Store().Applied(evTopic, p)
				if err != nil {
					t.Fatal(err)
				}
				if !known || applied < off {
					behind = true
				}
			}
			if !behind {
				break
			}
			select {
			case <-eng.Changed():
			case err := <-errs:
				t.Fatalf("engine failed: %v", err)
			case <-ctx.Done():
				t.Fatalf("engine did not fold the log up to %v", last)
			}
		}
		if fmt.Sprint(cur) == fmt.Sprint(prev) {
			return
		}
		prev = cur
	}
}

// lastDataOffsets returns the offset of the last committed data record
// below ends[p] of every partition that has one.
func lastDataOffsets(t *testing.T, ctx context.Context, brokers []string, evTopic string, ends map[int32]int64) map[int32]int64 {
	t.Helper()
	start := map[int32]kgo.Offset{}
	for p, end := range ends {
		if end > 0 {
			start[p] = kgo.NewOffset().At(max(0, end-500))
		}
	}
	last := map[int32]int64{}
	if len(start) == 0 {
		return last
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{evTopic: start}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	open := len(start)
	seen := map[int32]bool{}
	for open > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatal(err)
		}
		if err := fetches.Err0(); err != nil {
			t.Fatal(err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if r.Offset >= ends[r.Partition] || seen[r.Partition] {
				return
			}
			if !r.Attrs.IsControl() {
				last[r.Partition] = r.Offset
			}
			if r.Offset == ends[r.Partition]-1 {
				seen[r.Partition] = true
				open--
			}
		})
	}
	return last
}

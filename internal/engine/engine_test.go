package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/internal/conformance"
	"github.com/fugue-run/fugue/internal/demo"
	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/statestore"
	"github.com/fugue-run/fugue/worker"
)

// stack is an engine and workers on one broker under one topic prefix.
type stack struct {
	eng    *engine.Engine
	prefix string
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   chan error
}

func logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return nil
}

// startStack runs an engine and n workers with the demo tasks.
func startStack(t testing.TB, brokers []string, workers int) *stack {
	t.Helper()
	return startStackWith(t, brokers, workers, nil)
}

// startStackWith is startStack with the engine's Config changed by mod,
// and opts given to the engine and the workers.
func startStackWith(t testing.TB, brokers []string, workers int, mod func(*engine.Config), opts ...kgo.Opt) *stack {
	t.Helper()
	prefix := kafkatest.Name(t, "fugue") + "."
	cfg := engine.Config{Brokers: brokers, Prefix: prefix, DataDir: t.TempDir(), Logger: logger(t)}
	if mod != nil {
		mod(&cfg)
	}
	eng, err := engine.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &stack{eng: eng, prefix: prefix, cancel: cancel, errs: make(chan error, workers+1)}
	run := func(f func(context.Context) error) {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				s.errs <- err
			}
		}()
	}
	run(eng.Run)
	for range workers {
		reg := worker.NewRegistry()
		demo.Register(reg)
		w, err := worker.New(reg, worker.Config{Brokers: brokers, Prefix: prefix, Concurrency: 4, Partitions: cfg.Topics.Partitions, Logger: logger(t)}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		run(w.Run)
	}
	t.Cleanup(func() {
		cancel()
		s.wg.Wait()
		eng.Close()
	})
	return s
}

// wait waits until workflow id is ready, or fails the test at the deadline.
func (s *stack) wait(t *testing.T, id string, d time.Duration) *projector.WorkflowView {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		changed := s.eng.Changed()
		w, err := s.eng.State().Workflow(id)
		if err != nil {
			t.Fatal(err)
		}
		if w != nil && w.Ready() {
			v, err := projector.Describe(s.eng.State(), id)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		select {
		case <-changed:
		case err := <-s.errs:
			t.Fatalf("engine or worker failed: %v", err)
		case <-deadline.C:
			t.Fatalf("workflow %s not ready after %s (%+v)", id, d, w)
		}
	}
}

// TestConformanceOnKafka runs every conformance case through an engine and
// two workers on the real broker.
func TestConformanceOnKafka(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	cases, err := conformance.Load("../harness/testdata/*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	s := startStack(t, brokers, 2)
	ctx := context.Background()
	type sub struct {
		c     *conformance.Case
		id    string
		start time.Time
	}
	var subs []sub
	for i := range cases {
		c := &cases[i]
		if _, refused := c.Refused(); refused {
			continue // the API's business: tested in internal/api
		}
		id := fmt.Sprintf("case-%03d", i)
		if opts, ok := c.Canvas["options"].(map[string]any); ok {
			if tid, ok := opts["task_id"].(string); ok && tid != "" {
				id = tid
			}
		}
		n := 1
		if c.SubmitTwice() {
			n = 2
		}
		start := time.Now()
		for range n {
			if err := s.eng.Submit(ctx, id, c.Canvas); err != nil {
				t.Fatal(err)
			}
		}
		subs = append(subs, sub{c, id, start})
	}
	for _, sb := range subs {
		v := s.wait(t, sb.id, 60*time.Second)
		wf, err := conformance.ViewValue(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, why := range conformance.Check(sb.c, wf, time.Since(sb.start).Seconds()) {
			t.Errorf("%s: %s", sb.c.Name, why)
		}
	}
}

// TestSubmitOverRecordLimit: a canvas whose record would be over Kafka's
// limit is refused with canvas.ErrLimit (the API's 413), not sent.
func TestSubmitOverRecordLimit(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	eng, err := engine.New(engine.Config{Brokers: brokers, Prefix: kafkatest.Name(t, "fugue") + ".", DataDir: t.TempDir(), MaxRecordBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	big := map[string]any{"task": "tasks.identity", "args": []any{strings.Repeat("x", 2000)}}
	err = eng.Submit(context.Background(), "too-big", big)
	if !errors.Is(err, canvas.ErrLimit) || !strings.Contains(err.Error(), "limit of 1000") {
		t.Fatalf("Submit = %v, want canvas.ErrLimit naming the limit", err)
	}
}

// TestStoreOfARecreatedTopicIsRefused runs an engine, deletes its events
// topic and starts an engine on the same store again. The new topic's
// offsets start from 0, below the store's applied offsets: without the
// topic's id in the store, the engine would skip the new topic's records
// as already applied and lose them without a word. It must refuse to run
// and say why.
func TestStoreOfARecreatedTopicIsRefused(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	cfg := engine.Config{Brokers: brokers, Prefix: kafkatest.Name(t, "fugue") + ".", DataDir: t.TempDir(), Logger: logger(t)}
	evTopic := cfg.Prefix + "events"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- eng.Run(runCtx) }()
	if err := eng.Submit(ctx, "wf", canvas.S("tasks.add", 1, 2).Value()); err != nil {
		t.Fatal(err)
	}
	for {
		changed := eng.Changed()
		if w, err := projector.Header(eng.State(), "wf"); err != nil || w != nil {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		select {
		case <-changed:
		case err := <-done:
			t.Fatalf("engine stopped: %v", err)
		case <-ctx.Done():
			t.Fatal("the submission was not folded")
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}

	kafkatest.DeleteTopic(t, evTopic)

	eng, err = engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	err = eng.Run(ctx)
	if !errors.Is(err, statestore.ErrOtherTopic) || !strings.Contains(err.Error(), evTopic) {
		t.Fatalf("Run on the store of the deleted topic: %v, want %v naming %s", err, statestore.ErrOtherTopic, evTopic)
	}
}

// TestStoreAheadOfItsTopicIsRefused starts an engine on a store that
// applied offsets its events topic does not reach, and that recorded no
// topic id (as a store made by an older build): the engine must refuse
// it rather than skip the topic's records up to that offset.
func TestStoreAheadOfItsTopicIsRefused(t *testing.T) {
	t.Parallel()
	cfg := engine.Config{Brokers: kafkatest.Brokers(t), Prefix: kafkatest.Name(t, "fugue") + ".", DataDir: t.TempDir(), Logger: logger(t)}
	evTopic := cfg.Prefix + "events"
	store, err := statestore.Open(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	txn := store.Begin()
	txn.SetApplied(evTopic, 3, 500)
	if err := errors.Join(txn.Commit(), store.Close()); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = eng.Run(ctx)
	if !errors.Is(err, statestore.ErrOtherTopic) || !strings.Contains(err.Error(), "applied offset 500 of "+evTopic+" partition 3") {
		t.Fatalf("Run on a store ahead of its topic: %v, want %v naming the offset", err, statestore.ErrOtherTopic)
	}
}

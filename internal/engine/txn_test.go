package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/kafkatest"
)

// TestTransactionsOnlyForOutputs runs a chain of n adds. Each step sends
// one output (the next dispatch, then the WorkflowCompleted), so n+1
// batches need a transaction; the engine's own events coming back, which
// send nothing, must not cost one each (they did: 2n+1). Once the engine
// is idle, the offsets of those batches are committed all the same: the
// group's committed offsets reach the end of the events topic.
func TestTransactionsOnlyForOutputs(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	reg := prometheus.NewRegistry()
	s := startStackWith(t, brokers, 1, func(c *engine.Config) { c.Registerer = reg })
	const n = 20
	steps := []any{sig("tasks.add", int64(0), int64(1))}
	for range n - 1 {
		steps = append(steps, sig("tasks.add", int64(1)))
	}
	chain := map[string]any{"task": "celery.chain", "args": []any{}, "options": map[string]any{},
		"subtask_type": "chain", "immutable": false, "kwargs": map[string]any{"tasks": steps}}
	if err := s.eng.Submit(context.Background(), "chain", chain); err != nil {
		t.Fatal(err)
	}
	v := s.wait(t, "chain", 60*time.Second)
	if v.State != "SUCCESS" || fmt.Sprint(v.Result) != fmt.Sprint(n) {
		t.Fatalf("chain: %s %v, want SUCCESS %d", v.State, v.Result, n)
	}

	adm, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ac := kadm.NewClient(adm)
	ctx := context.Background()
	events := s.prefix + "events"
	ends, err := ac.ListEndOffsets(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		offs, err := ac.FetchOffsets(ctx, s.prefix+"engine")
		if err != nil {
			t.Fatal(err)
		}
		behind := 0
		ends.Each(func(o kadm.ListedOffset) {
			c, ok := offs.Lookup(events, o.Partition)
			// The end offset counts the transaction markers, which a
			// committed offset past the last record may or may not.
			if o.Offset > 0 && (!ok || c.At < o.Offset-1) {
				behind++
			}
		})
		if behind == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d partitions of %s not committed to their end 30s after the chain finished", behind, events)
		}
		time.Sleep(100 * time.Millisecond) // polling the broker's committed offsets
	}
	// n+1 with outputs; the idle commit (one or two, depending on how
	// the batches fell) besides.
	if got := counterValue(t, reg, "fugue_engine_transactions_total", "committed"); got > n+3 {
		t.Errorf("%v transactions committed for a chain of %d, want at most %d", got, n, n+3)
	}
}

// sig is a signature of task name with args, in Celery's JSON form.
func sig(name string, args ...any) map[string]any {
	return map[string]any{"task": name, "args": args, "kwargs": map[string]any{}, "options": map[string]any{},
		"subtask_type": nil, "immutable": false}
}

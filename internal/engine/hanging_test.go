package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fugue-run/fugue/internal/kafkatest"
)

// TestStaleTxnsOnlyStale: on a healthy engine busy with transactions,
// staleTxns reaches Kafka's admin APIs without error and finds nothing (a
// transaction open in the coordinator's epoch, or whose markers are on
// their way, is never stale), and the engine remembers how its
// transactions ended.
func TestStaleTxnsOnlyStale(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	e, err := New(Config{Brokers: brokers, Prefix: kafkatest.Name(t, "fugue") + ".", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		e.Close()
	})

	// Submissions fold into transactions that commit offsets and
	// dispatch tasks (no worker runs them).
	sctx, scancel := context.WithTimeout(ctx, time.Minute)
	defer scancel()
	submit := func(i int) {
		t.Helper()
		id := fmt.Sprintf("w%d", i)
		c := map[string]any{"task": "tasks.add", "args": []any{int64(i), int64(1)}}
		if err := e.Submit(sctx, id, c); err != nil {
			t.Fatal(err)
		}
	}
	submit(0)
	for {
		if w, err := e.State().Workflow("w0"); err != nil {
			t.Fatal(err)
		} else if w != nil {
			break
		}
		select {
		case <-sctx.Done():
			t.Fatal("the first workflow was never folded")
		case <-e.Changed():
		}
	}
	for i := 1; i <= 50; i++ {
		submit(i)
		if i%10 != 0 {
			continue
		}
		stale, err := e.staleTxns(sctx)
		if err != nil {
			t.Fatalf("staleTxns: %v", err)
		}
		if len(stale) > 0 {
			t.Fatalf("staleTxns found %+v on a healthy engine", stale)
		}
	}
	e.ended.mu.Lock()
	n := len(e.ended.order)
	e.ended.mu.Unlock()
	if n == 0 {
		t.Fatal("the engine remembered the end of no transaction")
	}
}

func TestEndedRemembersTheLast(t *testing.T) {
	var n ended
	for ep := range int16(endedMemory + 10) {
		n.add(ep, ep%2 == 0)
	}
	if _, known := n.outcome(9); known {
		t.Error("epoch 9 is still remembered past the memory")
	}
	for _, ep := range []int16{10, 11, endedMemory + 9} {
		if c, known := n.outcome(ep); !known || c != (ep%2 == 0) {
			t.Errorf("epoch %d: committed %v known %v", ep, c, known)
		}
	}
	n.add(11, true) // again: updated, not added twice
	if c, _ := n.outcome(11); !c || len(n.order) != endedMemory {
		t.Errorf("re-adding epoch 11: committed %v, %d remembered", c, len(n.order))
	}
}

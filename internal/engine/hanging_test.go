package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fugue-run/fugue/internal/kafkatest"
)

// TestStaleTxnsOnlyStale: on a healthy engine busy with transactions,
// staleTxns reaches Kafka's admin APIs without error and finds nothing to
// abort (a transaction that is open in the coordinator's epoch, or whose
// markers are on their way, is never stale).
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
	var epoch int16
	for i := 1; i <= 50; i++ {
		submit(i)
		if i%10 != 0 {
			continue
		}
		stale, ep, err := e.staleTxns(sctx)
		if err != nil {
			t.Fatalf("staleTxns: %v", err)
		}
		if len(stale) > 0 {
			t.Fatalf("staleTxns found %v on a healthy engine (coordinator epoch %d)", stale, ep)
		}
		epoch = max(epoch, ep)
	}
	if epoch == 0 {
		t.Fatal("staleTxns never saw the engine's transactional id")
	}
}

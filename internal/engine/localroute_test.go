package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/topic"
)

// TestLocalRouter: an engine alone in its group answers for a workflow
// once it is in its group and caught up, and says why not before.
func TestLocalRouter(t *testing.T) {
	t.Parallel()
	eng, err := engine.New(engine.Config{
		Brokers: kafkatest.Brokers(t), Prefix: kafkatest.Name(t, "fugue") + ".", DataDir: t.TempDir(),
		Logger: logger(t), Topics: topic.Spec{Partitions: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	r := eng.LocalRouter()

	// Not running: not in its group.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	_, err = r.Route(ctx, api.RouteQuery{Workflow: "w1"})
	cancel()
	if err == nil || !strings.Contains(err.Error(), "has not joined its group yet") {
		t.Fatalf("Route before Run = %v, want an error saying the engine is not in its group", err)
	}

	rctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- eng.Run(rctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	ctx, cancel = context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, wf := range []string{"w1", "w2", "w3", "w4"} {
		rt, err := r.Route(ctx, api.RouteQuery{Workflow: wf})
		if err != nil || !rt.Local || rt.Partition != topic.Partition(wf, 3) {
			t.Fatalf("Route(%s) = %+v, %v; want Local on partition %d", wf, rt, err, topic.Partition(wf, 3))
		}
	}
	if peers, err := r.Peers(ctx); err != nil || len(peers) != 0 {
		t.Fatalf("Peers = %v, %v; want none", peers, err)
	}
	if got := eng.Partitions(); len(got) != 3 {
		t.Errorf("Partitions = %v, want all 3", got)
	}
}

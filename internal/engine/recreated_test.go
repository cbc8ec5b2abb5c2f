package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/statestore"
)

// TestTopicRecreatedUnderARunningEngine deletes the events topic under a
// running engine and makes it anew: the engine must stop with
// statestore.ErrOtherTopic, as it refuses such a store at start, rather
// than fold the new topic's records against offsets of the old one.
func TestTopicRecreatedUnderARunningEngine(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	cfg := engine.Config{Brokers: brokers, Prefix: kafkatest.Name(t, "fugue") + ".", DataDir: t.TempDir(), Logger: logger(t)}
	evTopic := cfg.Prefix + "events"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	folded := func(wf string) {
		t.Helper()
		for {
			changed := eng.Changed()
			if w, err := projector.Header(eng.State(), wf); err != nil || w != nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			select {
			case <-changed:
			case err := <-done:
				t.Fatalf("engine stopped: %v", err)
			case <-ctx.Done():
				t.Fatalf("%s was not folded", wf)
			}
		}
	}
	for _, wf := range []string{"wf1", "wf2", "wf3"} {
		if err := eng.Submit(ctx, wf, canvas.S("tasks.add", 1, 2).Value()); err != nil {
			t.Fatal(err)
		}
		folded(wf)
	}

	adm := kadm.NewClient(kafkatest.Client(t))
	partitions := kafkatest.DeleteTopic(t, evTopic)
	if _, err := adm.CreateTopic(ctx, partitions, 1, nil, evTopic); err != nil {
		t.Fatal(err)
	}
	// Submissions meanwhile: records the new topic may hold at offsets
	// the old one had reached (they fail while the engine's producer
	// knows the old topic's id).
	for i := range 5 {
		wf := "new" + string(rune('a'+i))
		if err := eng.Submit(ctx, wf, canvas.S("tasks.add", 1, 2).Value()); err != nil {
			t.Logf("submit %s: %v", wf, err)
		}
	}
	select {
	case err := <-done:
		if !errors.Is(err, statestore.ErrOtherTopic) || !strings.Contains(err.Error(), evTopic) {
			t.Fatalf("Run: %v, want %v naming %s", err, statestore.ErrOtherTopic, evTopic)
		}
	case <-ctx.Done():
		w, _ := projector.Header(eng.State(), "newa")
		t.Fatalf("the engine ran on; newa folded: %v", w != nil)
	}
}

package worker_test

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/worker"
)

// TestUncommittedMessage sends a task message in a transaction that stays
// open while the worker runs it: a worker reads task messages
// uncommitted, so that a chain step does not wait for the engine's
// commit. The transaction then aborts and the message is sent again, as
// the engine sends it after an abort: the worker skips it, having taken
// that task attempt from the partition before, and commits past it, while
// the task's next attempt runs.
func TestUncommittedMessage(t *testing.T) {
	t.Parallel()
	forEachBroker(t, 1, func(t *testing.T, e *env) {
		prom := prometheus.NewRegistry()
		group := e.names.Prefix + "workers"
		e.run(demoRegistry(), e.config(func(c *worker.Config) { c.Registerer = prom }))
		evs := e.reader(e.names.Events())

		txn, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
			kgo.TransactionalID(e.names.Prefix+"engine-"+rand.Text()[:8]))
		if err != nil {
			t.Fatal(err)
		}
		defer txn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		first := call("tasks.add", int64(1), int64(2))
		ev := &events.Event{ID: events.DispatchedID("u", 0), Workflow: "wf", Task: "u", Producer: "engine", Body: first}
		if err := txn.ProduceSync(ctx, &kgo.Record{Topic: e.tasks(), Key: []byte("u"), Value: e.encode(ev)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		evs.waitIDs("u:succeeded:0") // run before its transaction ended
		if err := txn.EndTransaction(ctx, kgo.TryAbort); err != nil {
			t.Fatal(err)
		}

		e.dispatch(0, "wf", "u", first) // sent again
		next := call("tasks.add", int64(2), int64(3))
		next.Attempt = 1
		last := e.dispatch(0, "wf", "u", next)
		// The abort's marker lands before or after the messages sent
		// since (the coordinator writes it once EndTransaction returned),
		// so wait for the offset past the last message, not a count.
		e.waitCommitted(group, 0, last+1)
		got := slices.DeleteFunc(ofTask(evs.waitIDs("u:succeeded:1"), "u"), func(id string) bool {
			return !strings.Contains(id, ":succeeded:")
		})
		if want := []string{"u:succeeded:0", "u:succeeded:1"}; !slices.Equal(got, want) {
			t.Errorf("events of u: %q, want %q (the message sent again must not run)", got, want)
		}
		if n := metric(t, prom, "fugue_worker_repeated_messages_total"); n != 1 {
			t.Errorf("fugue_worker_repeated_messages_total = %v, want 1", n)
		}
	})
}

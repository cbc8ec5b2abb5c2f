package engine_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/topic"
)

// runEngine runs an engine until the returned stop is called.
func runEngine(t *testing.T, cfg engine.Config) (eng *engine.Engine, stop func()) {
	t.Helper()
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine: %v", err)
		}
		eng.Close()
	}
	t.Cleanup(stop)
	return eng, stop
}

// holdsAll waits until eng holds every one of n partitions, caught up, and
// returns how long that took; it fails the test after d.
func holdsAll(t *testing.T, eng *engine.Engine, n int, d time.Duration) time.Duration {
	t.Helper()
	t0 := time.Now()
	for len(eng.Partitions()) < n {
		if time.Since(t0) > d {
			t.Fatalf("the engine holds %v of %d partitions after %s", eng.Partitions(), n, d)
		}
		time.Sleep(50 * time.Millisecond) // polling the engine's holdings
	}
	return time.Since(t0)
}

// members lists the instance ids of the group's members.
func members(t *testing.T, adm *kadm.Client, group string) []string {
	t.Helper()
	gs, err := adm.DescribeGroups(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range gs {
		if g.Err != nil {
			t.Fatal(g.Err)
		}
		for _, m := range g.Members {
			id := "(dynamic)"
			if m.InstanceID != nil {
				id = *m.InstanceID
			}
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// TestRestartedEngineTakesItsPlace: an engine is a static member of its
// group (its instance id), so an engine restarted on the same data after
// a crash takes its partitions back at once instead of waiting for the
// dead member's session to time out (45 s; bug 8 in docs/RELIABILITY.md),
// and an engine that stops leaves the group, so another engine takes its
// partitions at once too.
func TestRestartedEngineTakesItsPlace(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	const parts = 4
	prefix := kafkatest.Name(t, "fugue") + "."
	cfg := engine.Config{
		Brokers: brokers, Prefix: prefix, DataDir: t.TempDir(), Logger: logger(t),
		Topics: topic.Spec{Partitions: parts},
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	group := prefix + "engine"
	// Well under the session timeout a member left behind would hold its
	// partitions for.
	const soon = 20 * time.Second

	// A stops as a crashed engine would: it stays in the group.
	crashed := cfg
	crashed.StayInGroup = true
	a, stopA := runEngine(t, crashed)
	holdsAll(t, a, parts, time.Minute)
	stopA()
	if got := members(t, adm, group); len(got) != 1 {
		t.Fatalf("members after A stopped without leaving: %v, want A's", got)
	}

	// B runs on A's data: same instance id.
	b, stopB := runEngine(t, cfg)
	took := holdsAll(t, b, parts, soon)
	t.Logf("the restarted engine held every partition %s after it started", took.Round(time.Millisecond))
	if got := members(t, adm, group); len(got) != 1 || got[0] == "(dynamic)" {
		t.Fatalf("members once the restarted engine holds its partitions: %v, want its static member alone", got)
	}
	if err := b.Submit(context.Background(), "after-restart", sig("tasks.add", int64(1), int64(2))); err != nil {
		t.Fatal(err)
	}
	deadline := time.NewTimer(soon)
	defer deadline.Stop()
	for {
		changed := b.Changed()
		w, err := b.State().Workflow("after-restart")
		if err != nil {
			t.Fatal(err)
		}
		if w != nil {
			break
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("the restarted engine did not fold a submission within %s", soon)
		}
	}

	// B stops and leaves: C, another engine, takes every partition at once.
	stopB()
	if got := members(t, adm, group); len(got) != 0 {
		t.Fatalf("members after B stopped: %v, want none", got)
	}
	other := cfg
	other.DataDir = t.TempDir()
	c, _ := runEngine(t, other)
	took = holdsAll(t, c, parts, soon)
	t.Logf("another engine held every partition %s after it started", took.Round(time.Millisecond))
}

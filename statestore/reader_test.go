package statestore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
)

func TestReaderSeesCommittedOnly(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	f := projector.New(projector.Config{})
	r := s.Reader()
	txn := s.Begin()
	if _, err := f.Fold(txn, submitEvent("w1", chord(3)), nil); err != nil {
		t.Fatal(err)
	}
	if w, err := r.Workflow("w1"); err != nil || w != nil {
		t.Fatalf("reader sees an uncommitted workflow: %v %v", w, err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	w, err := r.Workflow("w1")
	if err != nil || w == nil || w.Plan == nil {
		t.Fatalf("reader after commit: %+v %v", w, err)
	}
	if h, err := r.WorkflowHeader("w1"); err != nil || h == nil || h.Plan != nil || h.Canvas != nil || h.Status != w.Status || h.Submitted != w.Submitted {
		t.Fatalf("header after commit: %+v %v, workflow %+v", h, err, w)
	}
	if h, err := r.WorkflowHeader("w2"); err != nil || h != nil {
		t.Fatalf("header of an unknown workflow: %+v %v", h, err)
	}
	snap := s.Snapshot()
	defer snap.Close()

	// Complete a header member in a new txn: the reader sees the old node
	// until the commit, the snapshot for ever.
	txn = s.Begin()
	ev := events.Event{ID: events.SucceededID("w1.2", 0), Workflow: "w1", Task: "w1.2", Time: harness.Epoch + 1, Body: &events.TaskSucceeded{Result: int64(0)}}
	if _, err := f.Fold(txn, &ev, nil); err != nil {
		t.Fatal(err)
	}
	status := func(r *Reader) projector.Status {
		t.Helper()
		w, err := r.Workflow("w1")
		if err != nil {
			t.Fatal(err)
		}
		n, err := projector.ReadNode(r, w, 2)
		if err != nil {
			t.Fatal(err)
		}
		return n.Status
	}
	if st := status(r); st != projector.Pending {
		t.Fatalf("reader sees %v before commit", st)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if st := status(r); st != projector.Success {
		t.Fatalf("reader sees %v after commit", st)
	}
	if st := status(snap); st != projector.Pending {
		t.Fatalf("snapshot sees %v after a later commit", st)
	}
	if err := r.PutWorkflow(w); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("PutWorkflow on a reader: %v", err)
	}
	if err := r.PutNode(w, 0, &projector.Node{}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("PutNode on a reader: %v", err)
	}
	if err := r.ClaimTask("t", "w"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("ClaimTask on a reader: %v", err)
	}
}

// TestReaderDuringTxn reads and hashes while the log is folded and
// committed, for the race detector; every snapshot must describe a state
// the fold went through.
func TestReaderDuringTxn(t *testing.T) {
	t.Parallel()
	var sigs []map[string]any
	for range 8 {
		sigs = append(sigs, chord(50).Value())
	}
	h := record(t, harness.Chaos{}, sigs...)
	// A tiny plan cache makes readers and the writer compile and evict
	// concurrently.
	s, _ := setup(t, WithPlanCacheSize(2))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := readAll(s, g); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	newFolder(s, 25).fold(t, h.Log, 0)
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	mem, _ := memFold(t, h.Log)
	if got, want := mustHash(t, s), mem.Hash(); got != want {
		t.Fatalf("hash %x, memory %x", got, want)
	}
}

func readAll(s *Store, g int) error {
	var r *Reader
	if g%2 == 0 {
		r = s.Snapshot()
		defer r.Close()
	} else {
		r = s.Reader()
	}
	for i := range 8 {
		id := fmt.Sprintf("wf%02d", i)
		v, err := projector.Describe(r, id)
		if err != nil {
			return err
		}
		if v != nil && g%2 == 0 && v.State == "SUCCESS" && len(v.Tasks) != 51 {
			return fmt.Errorf("%s: a consistent snapshot shows SUCCESS with %d tasks", id, len(v.Tasks))
		}
	}
	if _, err := s.Hash(); err != nil {
		return err
	}
	if _, _, err := s.Applied(testTopic, 0); err != nil {
		return err
	}
	return s.Timers(func(Timer) bool { return true })
}

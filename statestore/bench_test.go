package statestore

import (
	"fmt"
	"testing"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
)

// BenchmarkFoldChord folds the log of a chord of 100,000 header tasks into
// a fresh store, committing every 1,000 events as the engine does (the
// applied offset and the timers in each commit).
func BenchmarkFoldChord(b *testing.B) {
	const n, every = 100_000, 1000
	log := record(b, harness.Chaos{}, chord(n).Value()).Log
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s, _ := setup(b)
		f := newFolder(s, every)
		f.owned = true
		l := handedOver(log)
		b.StartTimer()
		f.fold(b, l, 0)
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(len(log)*b.N)/sec, "events/s")
	b.ReportMetric(float64(len(log)), "events/op")
}

// BenchmarkChordMemberCompletion folds one header member's completion in
// its own Txn and commits it, against a store holding a chord of n
// members: the cost must not grow with n.
func BenchmarkChordMemberCompletion(b *testing.B) {
	for _, n := range []int{1000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("header=%d", n), func(b *testing.B) {
			f := projector.New(projector.Config{})
			fresh := func() *Store {
				s, _ := setup(b)
				txn := s.Begin()
				if _, err := f.Fold(txn, submitEvent("wf", chord(n)), nil); err != nil {
					b.Fatal(err)
				}
				if err := txn.Commit(); err != nil {
					b.Fatal(err)
				}
				return s
			}
			s := fresh()
			var out []events.Event
			next := 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if next == n-1 { // keep the body from firing: start again
					b.StopTimer()
					s.Close()
					s, next = fresh(), 0
					b.StartTimer()
				}
				task := fmt.Sprintf("wf.%d", next+2)
				ev := events.Event{ID: events.SucceededID(task, 0), Workflow: "wf", Task: task, Time: harness.Epoch + 1,
					Body: &events.TaskSucceeded{Result: int64(next)}}
				txn := s.Begin()
				var err error
				if out, err = f.Fold(txn, &ev, out[:0]); err != nil || len(out) != 1 {
					b.Fatalf("fold: %v, %d outputs", err, len(out))
				}
				txn.SetApplied(testTopic, 0, int64(next))
				if err := txn.Commit(); err != nil {
					b.Fatal(err)
				}
				next++
			}
		})
	}
}

// TestChordCompletionWritesConstant checks that a header member's
// completion reads and writes the same records whatever the header size.
func TestChordCompletionWritesConstant(t *testing.T) {
	t.Parallel()
	touched := func(n int) (reads, writes int) {
		s, _ := setup(t)
		f := projector.New(projector.Config{})
		txn := s.Begin()
		if _, err := f.Fold(txn, submitEvent("wf", chord(n)), nil); err != nil {
			t.Fatal(err)
		}
		if err := txn.Commit(); err != nil {
			t.Fatal(err)
		}
		task := fmt.Sprintf("wf.%d", 2+n/2)
		ev := events.Event{ID: events.SucceededID(task, 0), Workflow: "wf", Task: task, Time: harness.Epoch + 1, Body: &events.TaskSucceeded{Result: int64(1)}}
		txn = s.Begin()
		defer txn.Discard()
		if out, err := f.Fold(txn, &ev, nil); err != nil || len(out) != 1 {
			t.Fatalf("fold: %v, %v", err, out)
		}
		return len(txn.st.wfs) + len(txn.st.nodes), len(txn.st.dirtyW) + len(txn.st.dirtyN)
	}
	r10, w10 := touched(10)
	r10k, w10k := touched(10_000)
	if r10 != r10k || w10 != w10k || w10 > 3 {
		t.Fatalf("a completion read %d and wrote %d records with 10 members, %d and %d with 10,000", r10, w10, r10k, w10k)
	}
}

// BenchmarkDescribeTask reads one header member of a finished chord of
// 10,000 as GET /v1/tasks/{id} does, from a store that keeps the child
// index and from one made before it (which reads every node of the
// workflow to find the task's children). Both compile the workflow's
// canvas once: a finished workflow's plan is not cached.
func BenchmarkDescribeTask(b *testing.B) {
	const n = 10_000
	log := record(b, harness.Chaos{}, chord(n).Value()).Log
	for _, indexed := range []bool{true, false} {
		b.Run(fmt.Sprintf("indexed=%v", indexed), func(b *testing.B) {
			s, dir := setup(b)
			if !indexed {
				if err := s.db.Delete(keyChildIndex, nil); err != nil {
					b.Fatal(err)
				}
				s.Close()
				var err error
				if s, err = Open(dir); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { s.Close() })
			}
			newFolder(s, 1000).fold(b, log, 0)
			r := s.Reader()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				task := fmt.Sprintf("wf00.%d", 2+i%n)
				t, _, err := projector.DescribeTask(r, task)
				if err != nil || t == nil {
					b.Fatalf("%s: %v %v", task, t, err)
				}
			}
		})
	}
}

// BenchmarkSubmitFrozenChord folds the submission of a chord of 100,000
// header tasks into a store and commits it, with every task given a
// task_id as Celery's freeze gives them ("named") and without ("plain"):
// each given id is checked against the other workflows
// (projector.CheckIDs) and claimed.
func BenchmarkSubmitFrozenChord(b *testing.B) {
	const n = 100_000
	for _, named := range []bool{false, true} {
		sig := chord(n)
		if named {
			for i, m := range sig.Tasks {
				m.Options.TaskID = fmt.Sprintf("3ab26176-bd13-58d1-b2b4-%012d", i)
			}
			sig.Body.Options.TaskID = "3ab26176-bd13-58d1-b2b4-body"
		}
		b.Run(fmt.Sprintf("named=%t", named), func(b *testing.B) {
			f := projector.New(projector.Config{})
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				s, _ := setup(b)
				ev := submitEvent("wf", sig)
				b.StartTimer()
				txn := s.Begin()
				if err := f.FoldEach(txn, ev, func(*events.Event) {}); err != nil {
					b.Fatal(err)
				}
				if err := txn.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSubmitChord decodes the record of a chord of 100,000 header
// tasks submitted, as the engine does (events.Codec.DecodeShared, whose
// members Fold decodes one at a time), or decoded whole (Decode), and
// folds it into a store, handing the event over as the engine does, and
// commits it.
func BenchmarkSubmitChord(b *testing.B) {
	const n = 100_000
	c, err := events.NewCodec()
	if err != nil {
		b.Fatal(err)
	}
	rec, err := c.Encode(submitEvent("wf", chord(n)))
	if err != nil {
		b.Fatal(err)
	}
	for _, shared := range []bool{false, true} {
		b.Run(fmt.Sprintf("shared=%t", shared), func(b *testing.B) {
			decode := c.Decode
			if shared {
				decode = c.DecodeShared
			}
			f := projector.New(projector.Config{})
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				s, _ := setup(b)
				b.StartTimer()
				ev, err := decode(rec)
				if err != nil {
					b.Fatal(err)
				}
				txn := s.Begin()
				if err := f.FoldEachTaking(txn, ev, func(*events.Event) {}); err != nil {
					b.Fatal(err)
				}
				if err := txn.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHash hashes a store that folded a chord of 100,000 header
// tasks: what `engine serve` spends on the state hash it logs as it stops.
func BenchmarkHash(b *testing.B) {
	const n, every = 100_000, 1000
	log := record(b, harness.Chaos{}, chord(n).Value()).Log
	s, _ := setup(b)
	newFolder(s, every).fold(b, log, 0)
	b.ResetTimer()
	for range b.N {
		if _, err := s.Hash(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds()*float64(b.N), "tasks/s")
}

// TestChordEndKeepsNoMembers checks that the completion that ends a chord
// reads its header members' results without keeping them in the Txn: it
// holds as many nodes with 10 members as with 1,000, and the body is sent
// every result.
func TestChordEndKeepsNoMembers(t *testing.T) {
	t.Parallel()
	held := func(n int) int {
		s, _ := setup(t)
		f := projector.New(projector.Config{})
		txn := s.Begin()
		if _, err := f.Fold(txn, submitEvent("wf", chord(n)), nil); err != nil {
			t.Fatal(err)
		}
		succeeded := func(k int) *events.Event {
			task := fmt.Sprintf("wf.%d", k+2)
			return &events.Event{ID: events.SucceededID(task, 0), Workflow: "wf", Task: task, Time: harness.Epoch + 1,
				Body: &events.TaskSucceeded{Result: int64(k)}}
		}
		for k := range n - 1 {
			if _, err := f.Fold(txn, succeeded(k), nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := txn.Commit(); err != nil {
			t.Fatal(err)
		}
		txn = s.Begin()
		defer txn.Discard()
		out, err := f.Fold(txn, succeeded(n-1), nil)
		if err != nil {
			t.Fatal(err)
		}
		var body *events.TaskDispatched
		for _, o := range out {
			if d, ok := o.Body.(*events.TaskDispatched); ok {
				body = d
			}
		}
		if body == nil || len(body.Args) != 1 || len(body.Args[0].([]any)) != n {
			t.Fatalf("header of %d: the body was not sent every result: %v", n, out)
		}
		return len(txn.st.nodes)
	}
	if h10, h1000 := held(10), held(1000); h10 != h1000 {
		t.Fatalf("the chord's end held %d nodes with 10 members, %d with 1,000", h10, h1000)
	}
}

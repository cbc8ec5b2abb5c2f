package projector_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
)

// recordLog runs sig in the harness and returns the log it recorded: the
// submission, every worker report and every event Fold emitted.
func recordLog(tb testing.TB, sig *canvas.Signature) []events.Event {
	tb.Helper()
	h := harness.New(projector.Config{}, harness.Chaos{})
	h.Submit("wf", sig.Value())
	if err := h.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	v, err := h.Workflow("wf")
	if err != nil || v.State != "SUCCESS" {
		tb.Fatalf("workflow: %v %+v", err, v)
	}
	return h.Log
}

func benchChain(n int) *canvas.Signature {
	sigs := []*canvas.Signature{canvas.S("tasks.add", int64(0), int64(1))}
	for range n - 1 {
		sigs = append(sigs, canvas.S("tasks.add", int64(1)))
	}
	return canvas.Chain(sigs...)
}

func benchMembers(n int) []*canvas.Signature {
	sigs := make([]*canvas.Signature, n)
	for i := range sigs {
		sigs[i] = canvas.S("tasks.add", int64(i), int64(i))
	}
	return sigs
}

// BenchmarkFold folds recorded logs into a fresh in-memory state. events/s
// counts every event of the log (Fold's own outputs, which come back as
// no-ops, included); input-events/s counts only the submission, the
// workers' reports and timers: the events that drive the state.
func BenchmarkFold(b *testing.B) {
	cases := []struct {
		name string
		sig  *canvas.Signature
	}{
		{"chain=10000", benchChain(10000)},
		{"group=100000", canvas.Group(benchMembers(100000)...)},
		{"chord=100000", canvas.Chord(canvas.Group(benchMembers(100000)...), canvas.S("tasks.tsum"))},
	}
	for _, c := range cases {
		log := recordLog(b, c.sig)
		inputs := 0
		for i := range log {
			if log[i].Producer != projector.Producer {
				inputs++
			}
		}
		b.Run(c.name, func(b *testing.B) {
			f := projector.New(projector.Config{})
			var out []events.Event
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				st := projector.NewMemState()
				for i := range log {
					var err error
					if out, err = f.Fold(st, &log[i], out[:0]); err != nil {
						b.Fatal(err)
					}
				}
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(len(log)*b.N)/sec, "events/s")
			b.ReportMetric(float64(inputs*b.N)/sec, "input-events/s")
			b.ReportMetric(float64(b.N*len(log)), "events")
		})
	}
}

// BenchmarkChordCompletion measures one header member's completion in a
// chord of n members: the cost must not grow with n.
func BenchmarkChordCompletion(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("header=%d", n), func(b *testing.B) {
			f := projector.New(projector.Config{})
			sig := canvas.Chord(canvas.Group(benchMembers(n)...), canvas.S("tasks.tsum"))
			var out []events.Event
			fresh := func() *projector.MemState {
				st := projector.NewMemState()
				ev := events.Event{ID: "s", Workflow: "wf", Time: 1, Body: &events.WorkflowSubmitted{Canvas: sig.Value()}}
				if _, err := f.Fold(st, &ev, nil); err != nil {
					b.Fatal(err)
				}
				return st
			}
			st := fresh()
			// Header members are nodes 2..n+1 (chord 0, header group 1).
			next := 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if next == n-1 { // keep the body from firing: start again
					b.StopTimer()
					st, next = fresh(), 0
					b.StartTimer()
				}
				task := fmt.Sprintf("wf.%d", next+2)
				ev := events.Event{ID: events.SucceededID(task, 0), Workflow: "wf", Task: task, Time: 2,
					Body: &events.TaskSucceeded{Result: int64(next)}}
				var err error
				if out, err = f.Fold(st, &ev, out[:0]); err != nil || len(out) != 1 {
					b.Fatalf("fold: %v, %d outputs", err, len(out))
				}
				next++
			}
		})
	}
}

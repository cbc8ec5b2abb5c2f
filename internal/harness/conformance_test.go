package harness_test

import (
	"context"
	"testing"
	"time"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/internal/conformance"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
)

// loadCases reads every case file in testdata: the public conformance cases
// (a copy of ../shared/conformance/cases.jsonl) and Fugue's own.
func loadCases(t *testing.T) []conformance.Case {
	t.Helper()
	cases, err := conformance.Load("testdata/*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestConformance runs every case in the in-process harness and checks it
// as ../shared/conformance/run.py does, on the workflow's HTTP JSON.
func TestConformance(t *testing.T) {
	t.Parallel()
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			runCase(t, &c)
		})
	}
}

func runCase(t *testing.T, c *conformance.Case) {
	h := harness.New(projector.Config{}, harness.Chaos{})
	if status, refused := c.Refused(); refused {
		// The API refuses a canvas that does not parse, or whose
		// countdown or expires is past datetime.max, with 400 before
		// anything is appended; the engine refuses it whole too if it
		// arrives from a stream producer.
		sig, err := canvas.FromValue(c.Canvas, canvas.Limits{})
		if err == nil {
			err = sig.CheckDates(time.UnixMicro(harness.Epoch))
		}
		if status == 400 && err == nil {
			t.Fatalf("canvas accepted, want it refused")
		}
		h.Submit("wf", c.Canvas)
		if err := h.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		v, _ := h.Workflow("wf")
		if v == nil || v.State != "FAILURE" || v.Error == nil || v.Error.Type != "InvalidCanvas" || len(v.Tasks) != 0 {
			t.Fatalf("engine did not refuse the canvas whole: %+v", v)
		}
		return
	}
	h.Submit("wf", c.Canvas)
	if c.SubmitTwice() {
		h.Submit("wf", c.Canvas)
	}
	if err := h.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w, _ := h.State.Workflow("wf"); w == nil || !w.Ready() {
		t.Fatalf("workflow not ready: %+v", w)
	}
	v, err := h.Workflow("wf")
	if err != nil {
		t.Fatal(err)
	}
	wf, err := conformance.ViewValue(v)
	if err != nil {
		t.Fatal(err)
	}
	took := float64(h.Now()-harness.Epoch) / 1e6
	for _, why := range conformance.Check(c, wf, took) {
		t.Error(why)
	}
}

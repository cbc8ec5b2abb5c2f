package harness_test

import (
	"bufio"
	"errors"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/value"
)

// A conformance case, in the form of ../shared/conformance/cases.jsonl.
type confCase struct {
	Name   string         `json:"name"`
	Canvas map[string]any `json:"-"`
	Expect struct {
		State         *string         `json:"state"`
		Result        json.RawMessage `json:"result"`
		ErrorType     *string         `json:"error_type"`
		ErrorContains *string         `json:"error_contains"`
		HTTPStatus    *int            `json:"http_status"`
		Task          map[string]any  `json:"-"`
		Retries       *int32          `json:"retries"`
		SubmitTwice   bool            `json:"submit_twice"`
		MinSeconds    *float64        `json:"min_seconds"`
	} `json:"expect"`
}

// loadCases reads JSONL case files: every file in testdata named
// *.jsonl, the public conformance cases among them.
func loadCases(t *testing.T) []confCase {
	t.Helper()
	files, err := filepath.Glob("testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files: %v", err)
	}
	var cases []confCase
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			var c confCase
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			raw, err := value.DecodeJSON([]byte(line))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			m := raw.(map[string]any)
			c.Canvas, _ = m["canvas"].(map[string]any)
			c.Expect.Task, _ = m["expect"].(map[string]any)["task"].(map[string]any)
			cases = append(cases, c)
		}
		if err := errors.Join(sc.Err(), fh.Close()); err != nil {
			t.Fatal(err)
		}
	}
	return cases
}

// TestConformance runs every conformance case in the in-process harness and
// checks it as ../shared/conformance/run.py does, type-strictly.
func TestConformance(t *testing.T) {
	t.Parallel()
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			runCase(t, c)
		})
	}
}

func runCase(t *testing.T, c confCase) {
	exp := &c.Expect
	if exp.HTTPStatus != nil {
		// The API refuses a canvas that does not parse with 400 before
		// anything is appended; the engine refuses it too if it arrives
		// from a stream producer.
		_, err := canvas.FromValue(c.Canvas, canvas.Limits{})
		if *exp.HTTPStatus == 400 && err == nil {
			t.Fatalf("canvas accepted, want it refused")
		}
		h := harness.New(projector.Config{}, harness.Chaos{})
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
	h := harness.New(projector.Config{}, harness.Chaos{})
	h.Submit("wf", c.Canvas)
	if exp.SubmitTwice {
		h.Submit("wf", c.Canvas)
	}
	if err := h.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	v, err := h.Workflow("wf")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := h.State.Workflow("wf")
	if !w.Ready() {
		t.Fatalf("workflow not ready: %+v", v)
	}
	if exp.State != nil && v.State != *exp.State {
		t.Errorf("state %s, want %s (error %+v)", v.State, *exp.State, v.Error)
	}
	if exp.Result != nil {
		want, err := value.DecodeJSON(exp.Result)
		if err != nil {
			t.Fatal(err)
		}
		if !value.Equal(v.Result, want) {
			t.Errorf("result %#v, want %#v", v.Result, want)
		}
	}
	if exp.ErrorType != nil && (v.Error == nil || v.Error.Type != *exp.ErrorType) {
		t.Errorf("error %+v, want type %s", v.Error, *exp.ErrorType)
	}
	if exp.ErrorContains != nil {
		js, _ := json.Marshal(v.Error)
		if !strings.Contains(string(js), *exp.ErrorContains) {
			t.Errorf("error %s lacks %q", js, *exp.ErrorContains)
		}
	}
	if exp.Task != nil && !hasTask(v, exp.Task) {
		t.Errorf("no task like %v among %s", exp.Task, describeTasks(v))
	}
	if exp.Retries != nil {
		found := false
		for _, tk := range v.Tasks {
			found = found || tk.Retries == *exp.Retries
		}
		if !found {
			t.Errorf("no task with retries == %d", *exp.Retries)
		}
	}
	if exp.SubmitTwice && len(v.Tasks) != 1 {
		t.Errorf("%d tasks after submitting the same task_id twice", len(v.Tasks))
	}
	if exp.MinSeconds != nil {
		took := float64(h.Now()-harness.Epoch) / 1e6
		if took < *exp.MinSeconds {
			t.Errorf("took %.2fs of harness time, want at least %.2fs", took, *exp.MinSeconds)
		}
	}
}

func hasTask(v *projector.WorkflowView, want map[string]any) bool {
	for _, tk := range v.Tasks {
		ok := true
		if n, has := want["name"]; has && n != tk.Name {
			ok = false
		}
		if s, has := want["state"]; has && s != tk.State {
			ok = false
		}
		if a, has := want["args"]; has && !value.Equal(a, tk.Args) {
			ok = false
		}
		if r, has := want["result"]; has && !value.Equal(r, tk.Result) {
			ok = false
		}
		if ok {
			return true
		}
	}
	return false
}

func describeTasks(v *projector.WorkflowView) string {
	var b strings.Builder
	for _, tk := range v.Tasks {
		js, _ := value.MarshalJSON(tk.Args)
		rs, _ := value.MarshalJSON(tk.Result)
		b.WriteString(tk.Name + string(js) + "=" + string(rs) + " " + tk.State + "; ")
	}
	return b.String()
}

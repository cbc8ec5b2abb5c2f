package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fugue-run/fugue/internal/conformance"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/value"
)

// e2e is `engine serve` and two `worker` processes on the real broker.
type e2e struct {
	base    string
	brokers []string
	prefix  string
}

// buildBinaries builds cmd/engine and cmd/worker into a temporary folder.
func buildBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "../../cmd/engine", "../../cmd/worker")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// start runs a process until the test ends; its output goes to the test
// log when the test fails.
func start(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	var log bytes.Buffer
	cmd.Stderr = &log
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(name), tail(log.String(), 3000))
		}
	})
	return cmd
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// startServing starts an `engine serve` command made by start and returns
// the base URL it prints once ready ("fugue ready URL").
func startServing(t *testing.T, eng *exec.Cmd) string {
	t.Helper()
	out, err := eng.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	base := readyURL(t, out)
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return base
}

func startE2E(t *testing.T) *e2e {
	brokers := kafkatest.Brokers(t)
	bin := buildBinaries(t)
	prefix := kafkatest.Name(t, "e2e") + "."
	b := strings.Join(brokers, ",")
	eng := start(t, filepath.Join(bin, "engine"), "serve", "--brokers", b, "--http", "127.0.0.1:0",
		"--data", t.TempDir(), "--prefix", prefix, "--log-level", "info")
	base := startServing(t, eng)
	for i := range 2 {
		w := start(t, filepath.Join(bin, "worker"), "--brokers", b, "--prefix", prefix,
			"--concurrency", "4", "--hostname", fmt.Sprintf("e2e-%d", i))
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
	}
	return &e2e{base: base, brokers: brokers, prefix: prefix}
}

func (e *e2e) do(t *testing.T, method, path string, body []byte) (int, any) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return resp.StatusCode, string(data)
	}
	v, err := value.DecodeJSON(data)
	if err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, data)
	}
	return resp.StatusCode, v
}

// TestEndToEnd runs every conformance case against `engine serve` and two
// `worker` processes on the real broker, over HTTP, as run.py does against
// `engine dev`; then checks /metrics and a submission from a Python
// producer that uses no Fugue code.
func TestEndToEnd(t *testing.T) {
	e := startE2E(t)
	cases, err := conformance.Load("../../internal/harness/testdata/*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	type sub struct {
		c     *conformance.Case
		id    string
		start time.Time
	}
	var subs []sub
	for i := range cases {
		c := &cases[i]
		body, err := value.MarshalJSON(c.Canvas)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		status, resp := e.do(t, "POST", "/v1/workflows", body)
		if want, refused := c.Refused(); refused {
			if int64(status) != want {
				t.Errorf("%s: HTTP %d %v, want %d", c.Name, status, resp, want)
			}
			continue
		}
		id, _ := resp.(map[string]any)["id"].(string)
		if status != 201 || id == "" {
			t.Fatalf("%s: submit: HTTP %d %v", c.Name, status, resp)
		}
		if c.SubmitTwice() {
			if status, resp := e.do(t, "POST", "/v1/workflows", body); status != 201 || resp.(map[string]any)["id"] != id {
				t.Errorf("%s: second submit: HTTP %d %v", c.Name, status, resp)
			}
		}
		subs = append(subs, sub{c, id, start})
	}
	for _, s := range subs {
		status, wf := e.do(t, "GET", "/v1/workflows/"+s.id+"?wait=60s", nil)
		m, _ := wf.(map[string]any)
		if status != 200 || m == nil {
			t.Errorf("%s: get: HTTP %d %v", s.c.Name, status, wf)
			continue
		}
		for _, why := range conformance.Check(s.c, m, time.Since(s.start).Seconds()) {
			t.Errorf("%s: %s", s.c.Name, why)
		}
	}

	t.Run("metrics", func(t *testing.T) {
		status, body := e.do(t, "GET", "/metrics", nil)
		text, _ := body.(string)
		if status != 200 {
			t.Fatalf("GET /metrics: HTTP %d", status)
		}
		for _, name := range []string{
			"fugue_projector_events_folded_total{type=\"task_succeeded\"}",
			"fugue_engine_tasks_total{state=\"dispatched\"}",
			"fugue_engine_workflows_completed_total{state=\"SUCCESS\"}",
			"fugue_engine_workflow_duration_seconds_bucket",
			"fugue_engine_consumer_lag{partition=",
			"fugue_engine_chords_waiting",
			"fugue_engine_transactions_total{result=\"committed\"}",
		} {
			if !strings.Contains(text, name) {
				t.Errorf("/metrics lacks %s", name)
			}
		}
	})

	t.Run("python producer", func(t *testing.T) {
		python := os.Getenv("FUGUE_PYTHON")
		if python == "" {
			t.Skip("FUGUE_PYTHON is unset: point it at a Python with fastavro and confluent-kafka (.ci/run makes one)")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, python, "../../examples/python/submit.py",
			"--brokers", strings.Join(e.brokers, ","), "--schema", "../../schemas/v1/event.avsc",
			"--prefix", e.prefix, "--id", "from-python", "../../examples/canvases/chain.json")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("submit.py: %v\n%s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != "from-python" {
			t.Fatalf("submit.py printed %q", got)
		}
		// The engine folds it; wait until it shows up and is ready.
		deadline := time.Now().Add(60 * time.Second)
		for {
			status, wf := e.do(t, "GET", "/v1/workflows/from-python?wait=30s", nil)
			if status == 200 {
				m := wf.(map[string]any)
				if m["state"] != "SUCCESS" || !value.Equal(m["result"], int64(640)) {
					t.Fatalf("workflow from Python: %v", m)
				}
				return
			}
			if status != 404 || time.Now().After(deadline) {
				t.Fatalf("workflow from Python: HTTP %d %v", status, wf)
			}
			waitChange(t, e)
		}
	})
}

// waitChange pauses between polls of a workflow the engine has not folded
// yet (the API answers 404 at once for an unknown id): polling a condition
// with a deadline.
func waitChange(t *testing.T, _ *e2e) {
	t.Helper()
	<-time.After(100 * time.Millisecond)
}

package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDevRestartRunsAtOnce restarts `engine dev` on the same --data a few
// times and runs a task after each start. On the development broker a
// fetch that waited through a transaction's commit was not always woken
// after a restart, and the first task then ran ~5 s late (the fetch's
// default long poll); engine dev now polls it every 250 ms. The bound
// below is half that 5 s: far above what a task takes, below the wait.
func TestDevRestartRunsAtOnce(t *testing.T) {
	data := t.TempDir()
	for i := range 4 {
		ctx, cancel := context.WithCancel(t.Context())
		out, w := io.Pipe()
		done := make(chan error, 1)
		go func() {
			done <- runDev(ctx, []string{"--http", "127.0.0.1:0", "--data", data, "--log-level", "warn"},
				func(string) string { return "" }, w, io.Discard)
			w.Close()
		}()
		base := readyURL(t, out)
		go func() { _, _ = io.Copy(io.Discard, out) }()

		e := &e2e{base: base}
		start := time.Now()
		code, created := e.do(t, "POST", "/v1/workflows", []byte(`{"task": "tasks.add", "args": [1, 2]}`))
		id, _ := created.(map[string]any)["id"].(string)
		if code != http.StatusCreated || id == "" {
			t.Fatalf("start %d: POST /v1/workflows: %d %v", i, code, created)
		}
		code, got := e.do(t, "GET", "/v1/workflows/"+id+"?wait=30s", nil)
		took := time.Since(start)
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Fatalf("start %d: engine dev: %v", i, err)
		}
		wf, _ := got.(map[string]any)
		if code != http.StatusOK || wf["state"] != "SUCCESS" || wf["result"] != int64(3) {
			t.Fatalf("start %d: GET the workflow: %d %v, want SUCCESS 3", i, code, got)
		}
		if took > 2500*time.Millisecond {
			t.Errorf("start %d: the task ran %v after its submission", i, took)
		}
	}
}

// readyURL returns the URL of the "fugue ready URL" line that engine dev
// and engine serve print once they serve requests. The caller keeps
// draining out.
func readyURL(t *testing.T, out io.Reader) string {
	t.Helper()
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "fugue ready "); ok {
				line <- u
				return
			}
		}
		close(line)
	}()
	select {
	case u, ok := <-line:
		if !ok {
			t.Fatal("the engine ended before it was ready")
		}
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("the engine never printed 'fugue ready'")
	}
	return ""
}

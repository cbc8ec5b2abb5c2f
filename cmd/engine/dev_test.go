package main

import (
	"bufio"
	"context"
	"encoding/json"
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

		start := time.Now()
		id := post(t, base+"/v1/workflows", `{"task": "tasks.add", "args": [1, 2]}`)
		var wf struct {
			State  string
			Result any
		}
		getJSON(t, base+"/v1/workflows/"+id+"?wait=30s", &wf)
		took := time.Since(start)
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Fatalf("start %d: engine dev: %v", i, err)
		}
		if wf.State != "SUCCESS" || wf.Result != 3.0 {
			t.Fatalf("start %d: workflow %s %v, want SUCCESS 3", i, wf.State, wf.Result)
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

func post(t *testing.T, url, body string) string {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var created struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&created); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %v", url, res.StatusCode, err)
	}
	return created.ID
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
}

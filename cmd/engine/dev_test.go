package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/fugue-run/fugue/internal/syncbuf"
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
		base, stop := startDev(t, data)
		e := &e2e{base: base}
		start := time.Now()
		code, created := e.do(t, "POST", "/v1/workflows", []byte(`{"task": "tasks.add", "args": [1, 2]}`))
		id, _ := created.(map[string]any)["id"].(string)
		if code != http.StatusCreated || id == "" {
			t.Fatalf("start %d: POST /v1/workflows: %d %v", i, code, created)
		}
		code, got := e.do(t, "GET", "/v1/workflows/"+id+"?wait=30s", nil)
		took := time.Since(start)
		if stop(); t.Failed() {
			t.Fatalf("start %d: engine dev failed", i)
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

// startDev runs engine dev on data until the test ends or stop is called,
// and returns its URL once it is ready.
func startDev(t *testing.T, data string) (base string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runDev(ctx, []string{"--http", "127.0.0.1:0", "--data", data, "--log-level", "warn"},
			func(string) string { return "" }, w, io.Discard)
		w.Close()
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Errorf("engine dev: %v", err)
		}
	}
	t.Cleanup(stop)
	base = readyURL(t, out)
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return base, stop
}

// TestDevRestartAnswersKnownWorkflows restarts engine dev on a log whose
// state it must rebuild (its state directory is gone) and asks about what
// it knew at once: the API answered from the state being rebuilt, 404 for
// known workflows and tasks, and a revoke sent then was lost. It now
// waits until the engine has caught up with the workflow's partition.
func TestDevRestartAnswersKnownWorkflows(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	base, stop := startDev(t, data)
	e := &e2e{base: base}
	const chain = `{"task": "celery.chain", "kwargs": {"tasks": [
		{"task": "tasks.add", "args": [1, 2], "options": {"task_id": "t1"}},
		{"task": "tasks.add", "args": [3], "options": {"task_id": "t2"}}]}, "options": {"task_id": "w1"}}`
	if code, got := e.do(t, "POST", "/v1/workflows", []byte(chain)); code != http.StatusCreated {
		t.Fatalf("POST /v1/workflows: %d %v", code, got)
	}
	if code, got := e.do(t, "GET", "/v1/workflows/w1?wait=30s", nil); code != http.StatusOK || got.(map[string]any)["state"] != "SUCCESS" {
		t.Fatalf("GET w1: %d %v", code, got)
	}
	stop()
	if err := os.RemoveAll(filepath.Join(data, "state")); err != nil {
		t.Fatal(err)
	}

	base, _ = startDev(t, data)
	e = &e2e{base: base}
	for _, c := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/v1/workflows/w1", http.StatusOK},
		{"GET", "/v1/tasks/t2", http.StatusOK},
		{"POST", "/v1/tasks/t1/revoke", http.StatusAccepted},
		{"POST", "/v1/workflows/w1/revoke", http.StatusAccepted},
		{"GET", "/v1/workflows/nope", http.StatusNotFound},
	} {
		if code, got := e.do(t, c.method, c.path, nil); code != c.code {
			t.Errorf("%s %s after the restart: %d %v, want %d", c.method, c.path, code, got, c.code)
		}
	}
	if _, got := e.do(t, "GET", "/v1/workflows/w1", nil); got.(map[string]any)["result"] != int64(6) {
		t.Errorf("w1 after the restart: %v, want result 6", got)
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

// TestDevReadsTheEnvironment: engine dev takes FUGUE_TOKEN (it served an
// open API), and FUGUE_KAFKA_* without --brokers does not keep it from
// its development broker, whose address it logs for clients of its own
// (stream producers).
func TestDevReadsTheEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{"FUGUE_TOKEN": "s3cret", "FUGUE_KAFKA_USER": "someone", "FUGUE_KAFKA_PASSWORD": "pw"}
	ctx, cancel := context.WithCancel(t.Context())
	out, w := io.Pipe()
	var stderr syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- runDev(ctx, []string{"--http", "127.0.0.1:0", "--data", t.TempDir(), "--log-level", "info"},
			func(k string) string { return env[k] }, w, &stderr)
		w.Close()
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Errorf("engine dev: %v", err)
		}
	}()
	base := readyURL(t, out)
	go func() { _, _ = io.Copy(io.Discard, out) }()

	for _, c := range []struct {
		auth string
		want int
	}{{"", http.StatusUnauthorized}, {"Bearer s3cret", http.StatusNotFound}} {
		req, err := http.NewRequestWithContext(ctx, "GET", base+"/v1/workflows/nope", nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("GET with Authorization %q: %d, want %d", c.auth, res.StatusCode, c.want)
		}
	}
	m := regexp.MustCompile(`engine dev: development broker listening.* brokers=([0-9.:]+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no address of the development broker in the log:\n%s", stderr.String())
	}
	conn, err := net.Dial("tcp", m[1])
	if err != nil {
		t.Fatalf("the logged broker address: %v", err)
	}
	conn.Close()
}

// TestStoppedEngineLogsTheStateHashReplayPrints: the README says engine
// replay prints the live engine's state hash, but nothing showed that
// hash. The engine now logs it when it stops, and replay of the same log
// prints it.
func TestStoppedEngineLogsTheStateHashReplayPrints(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	brokers := strings.Join(c.ListenAddrs(), ",")
	noEnv := func(string) string { return "" }

	ctx, cancel := context.WithCancel(t.Context())
	out, w := io.Pipe()
	var stderr syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- runDev(ctx, []string{"--brokers", brokers, "--http", "127.0.0.1:0", "--data", t.TempDir(), "--log-level", "info", "--partitions", "2"},
			noEnv, w, &stderr)
		w.Close()
	}()
	base := readyURL(t, out)
	go func() { _, _ = io.Copy(io.Discard, out) }()
	e := &e2e{base: base}
	const chain = `{"task": "celery.chain", "kwargs": {"tasks": [{"task": "tasks.add", "args": [1, 2]}, {"task": "tasks.mul", "args": [3]}]}, "options": {"task_id": "w1"}}`
	if code, got := e.do(t, "POST", "/v1/workflows", []byte(chain)); code != http.StatusCreated {
		t.Fatalf("POST /v1/workflows: %d %v", code, got)
	}
	if code, got := e.do(t, "GET", "/v1/workflows/w1?wait=30s", nil); code != http.StatusOK || got.(map[string]any)["result"] != int64(9) {
		t.Fatalf("GET w1: %d %v, want result 9", code, got)
	}
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Fatalf("engine dev: %v", err)
	}
	m := regexp.MustCompile(`msg="engine: stopped" state_hash=([0-9a-f]{64})`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no state hash in the log of the stopped engine:\n%s", stderr.String())
	}
	var replayed bytes.Buffer
	if err := runReplay(t.Context(), []string{"--brokers", brokers, "--data", t.TempDir()}, noEnv, &replayed, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(replayed.String()); got != m[1] {
		t.Errorf("engine replay printed %s, the engine logged %s", got, m[1])
	}
}

// TestReplayOfNoTopicSaysSo: a --prefix that names no topic gives the
// hash of no state, and now says why; it printed that hash and nothing
// else, as if the log were replayed.
func TestReplayOfNoTopicSaysSo(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	var stdout, stderr bytes.Buffer
	args := []string{"--brokers", strings.Join(c.ListenAddrs(), ","), "--data", t.TempDir(), "--prefix", "nope."}
	if err := runReplay(t.Context(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	const want = `engine replay: the events topic nope.events has no records (is --prefix "nope." right?)`
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stdout %q, stderr %q; want stderr to say %q", stdout.String(), stderr.String(), want)
	}
}

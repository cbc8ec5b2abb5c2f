//go:build fault

package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/conformance"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/syncbuf"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/value"
)

// binDir holds the engine and worker binaries TestMain built.
var binDir string

// keepDir receives the full stderr (goroutine dumps included) of the
// processes of a failed test, one directory per test. $FUGUE_FAULT_LOGS
// names it, else it is a new temporary directory, removed when no test
// failed.
var keepDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fugue-faulttest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "../../cmd/engine", "../../cmd/worker")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	binDir = dir
	keepDir = os.Getenv("FUGUE_FAULT_LOGS")
	made := keepDir == ""
	if made {
		if keepDir, err = os.MkdirTemp("", "fugue-faulttest-logs-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	if kept, _ := os.ReadDir(keepDir); len(kept) > 0 {
		fmt.Fprintf(os.Stderr, "faulttest: logs of the failed tests' processes kept in %s\n", keepDir)
	} else if made {
		os.Remove(keepDir)
	}
	os.Exit(code)
}

// stallAfter bounds every wait for progress: no workflow became ready, or
// known, for this long. Healthy runs make progress every few seconds, and
// within about a minute after a kill (the dead member's session timeout is
// 45 s); a stalled engine is reported while it is still stalled, with the
// goroutine dumps of the processes (see startProc), instead of at the
// test's deadline minutes later.
const stallAfter = 2 * time.Minute

// waitUntil is the earlier of the deadline and stallAfter from now.
func waitUntil(deadline time.Time) time.Time {
	if s := time.Now().Add(stallAfter); s.Before(deadline) {
		return s
	}
	return deadline
}

// logFile is where a failed test keeps a file of one of its processes.
func logFile(t *testing.T, name string) (string, error) {
	dir := filepath.Join(keepDir, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}

// sizes are the loads of the tests: small for CI, large by hand.
type sizes struct {
	chord     int // header members of the worker-kill chord
	workflows int // workflows of the engine-kill, broker-restart and two-engine runs
}

func loadSizes(t *testing.T) sizes {
	t.Helper()
	s := sizes{chord: 1000, workflows: 100}
	if os.Getenv("FUGUE_FAULT_SCALE") == "large" {
		s = sizes{chord: 10000, workflows: 1000}
	}
	for name, p := range map[string]*int{"FUGUE_FAULT_CHORD": &s.chord, "FUGUE_FAULT_WORKFLOWS": &s.workflows} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				t.Fatalf("%s=%q: want a positive integer", name, v)
			}
			*p = n
		}
	}
	return s
}

// proc is a running engine or worker process.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *syncbuf.Buffer
	done chan struct{}
	base string // the engine's HTTP address
}

// startProc starts a binary from binDir; when the test ends it is
// interrupted (killed if it does not stop). If the test failed, a process
// still running gets SIGQUIT first, so that Go dumps its goroutines (where
// a stalled engine waits), and its whole stderr is kept (see keepLog).
func startProc(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(filepath.Join(binDir, bin), args...), log: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "GOTRACEBACK=all")
	p.cmd.Stderr = p.log
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "fugue ready "); ok {
				ready <- addr
			}
		}
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !t.Failed() {
			p.stop()
			return
		}
		p.quit()
		p.keepLog(t)
	})
	if bin == "engine" {
		select {
		case p.base = <-ready:
		case <-p.done:
			t.Fatalf("%s exited before 'fugue ready': %s", name, p.log.String())
		case <-time.After(90 * time.Second):
			t.Fatalf("%s never printed 'fugue ready'", name)
		}
	}
	return p
}

// stop interrupts the process and waits for it, killing it after 20 s.
func (p *proc) stop() { p.signal(os.Interrupt) }

// quit sends SIGQUIT to a running process, on which the Go runtime writes
// every goroutine's stack to stderr and exits; it is killed if it has not
// exited after 20 s.
func (p *proc) quit() { p.signal(syscall.SIGQUIT) }

// signal sends sig to a running process and waits for it to exit, killing
// it after 20 s.
func (p *proc) signal(sig os.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// maxDumpLog bounds the goroutine dump copied into the test log (the
// file keeps all of it).
const maxDumpLog = 128 << 10

// keepLog writes the process's whole stderr to a file of the test's keep
// directory and copies into the test log the tail of what it logged and
// the goroutine dump SIGQUIT made, if any.
func (p *proc) keepLog(t *testing.T) {
	s := p.log.String()
	where := ""
	if path, err := logFile(t, p.name+".stderr"); err != nil {
		where = err.Error()
	} else if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		where = err.Error()
	} else {
		where = path
	}
	logged, dump, dumped := strings.Cut(s, "SIGQUIT: quit")
	if len(logged) > 4000 {
		logged = logged[len(logged)-4000:]
	}
	t.Logf("%s stderr (all of it in %s), tail:\n%s", p.name, where, logged)
	if dumped {
		if len(dump) > maxDumpLog {
			dump = dump[:maxDumpLog] + "\n[… cut; all of it in the file]"
		}
		t.Logf("%s goroutines at SIGQUIT:\nSIGQUIT: quit%s", p.name, dump)
	}
}

// alive fails the test if the process exited by itself.
func (p *proc) alive(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		t.Errorf("%s exited by itself: %v", p.name, p.cmd.ProcessState)
	default:
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill %s: %v", p.name, err)
	}
	<-p.done
	t.Logf("killed %s (SIGKILL)", p.name)
}

// cluster is a broker address and a topic prefix unique to the test.
type cluster struct {
	brokers string
	prefix  string
}

func newCluster(t *testing.T, brokers []string) *cluster {
	return &cluster{brokers: strings.Join(brokers, ","), prefix: kafkatest.Name(t, "fault") + "."}
}

func (c *cluster) engine(t *testing.T, name, data string) *proc {
	t.Helper()
	return startProc(t, name, "engine", "serve", "--brokers", c.brokers, "--prefix", c.prefix,
		"--http", "127.0.0.1:0", "--data", data, "--log-level", "info")
}

func (c *cluster) worker(t *testing.T, name string, concurrency int) *proc {
	t.Helper()
	return startProc(t, name, "worker", "--brokers", c.brokers, "--prefix", c.prefix,
		"--concurrency", strconv.Itoa(concurrency), "--hostname", name, "--drain-timeout", "5s")
}

// httpClient bounds each request: the longest the API holds one is the
// submit wait (10 s) or a ?wait=5s; an engine that does not answer in a
// minute has stalled, and the test should fail (and dump) rather than hang.
var httpClient = &http.Client{Timeout: time.Minute}

// httpDo sends a request; err is a transport error (the engine may be
// down).
func httpDo(method, url string, body []byte) (int, map[string]any, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	v, err := value.DecodeJSON(data)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: %w: %.200s", method, url, err, data)
	}
	m, _ := v.(map[string]any)
	return resp.StatusCode, m, nil
}

// submit posts a canvas and returns the workflow id.
func submit(t *testing.T, base string, canvas map[string]any) string {
	t.Helper()
	id, err := trySubmit(base, canvas)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// trySubmit posts a canvas. A 503 (Kafka did not take the event: the
// engine is still creating its topics, or the broker is restarting) is
// retried for up to a minute, as a client would.
func trySubmit(base string, canvas map[string]any) (string, error) {
	body, err := value.MarshalJSON(canvas)
	if err != nil {
		return "", err
	}
	for deadline := time.Now().Add(time.Minute); ; {
		status, m, err := httpDo("POST", base+"/v1/workflows", body)
		id, _ := m["id"].(string)
		if err == nil && status == 201 && id != "" {
			return id, nil
		}
		if err != nil || status != 503 || time.Now().After(deadline) {
			return "", fmt.Errorf("submit: HTTP %d %v %v", status, m, err)
		}
		<-time.After(500 * time.Millisecond) // Kafka not ready yet
	}
}

func ready(state any) bool { return state == "SUCCESS" || state == "FAILURE" || state == "REVOKED" }

// waitWorkflow polls GET /v1/workflows/{id} on the engine base() names
// (it may change as engines restart) until the workflow is ready, or fails
// the test at the deadline. Transport errors and 404 (an engine that has
// not caught up yet) are retried.
func waitWorkflow(t *testing.T, base func() string, id string, deadline time.Time) map[string]any {
	t.Helper()
	m, last := pollWorkflow(base, id, deadline)
	if m == nil {
		t.Fatalf("workflow %s not ready at the deadline (last: %v)", id, last)
	}
	return m
}

// pollWorkflow is waitWorkflow without the test: nil and the last answer
// at the deadline.
func pollWorkflow(base func() string, id string, deadline time.Time) (map[string]any, any) {
	var last any
	for time.Now().Before(deadline) {
		status, m, err := httpDo("GET", base()+"/v1/workflows/"+id+"?wait=5s", nil)
		switch {
		case err == nil && status == 200 && ready(m["state"]):
			return m, nil
		case err == nil && status == 200, err == nil && status == 404:
			last = fmt.Sprintf("HTTP %d, state %v", status, m["state"])
			if status == 404 {
				<-time.After(100 * time.Millisecond) // 404 answers at once
			}
		default:
			last = err
			<-time.After(200 * time.Millisecond) // the engine is restarting
		}
	}
	return nil, last
}

// waitKnown polls until the engine base() names has folded workflow id
// (GET answers 200), or fails the test at the deadline or after
// stallAfter.
func waitKnown(t *testing.T, base func() string, id string, deadline time.Time) {
	t.Helper()
	t0 := time.Now()
	until := waitUntil(deadline)
	for time.Now().Before(until) {
		if status, _, err := httpDo("GET", base()+"/v1/workflows/"+id, nil); err == nil && status == 200 {
			return
		}
		<-time.After(50 * time.Millisecond) // 404 answers at once
	}
	t.Fatalf("workflow %s still unknown after %s", id, time.Since(t0).Round(time.Second))
}

// logRecord is one committed record of a topic.
type logRecord struct {
	topic string
	part  int32
	off   int64
	ev    *events.Event
}

// readTopic returns every committed record of a topic from offset 0 up to
// its end offsets as they are now, decoded as events.
func readTopic(t *testing.T, brokers []string, name string) []logRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admCl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	ends, err := kadm.NewClient(admCl).ListEndOffsets(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	end := map[int32]int64{}
	start := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			end[o.Partition] = o.Offset
			start[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if len(start) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{name: start}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	codec, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	var out []logRecord
	open := len(end)
	for open > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if err := fetches.Err0(); err != nil {
			t.Fatal(err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			e, ok := end[r.Partition]
			if !ok || r.Offset >= e {
				return
			}
			if r.Offset == e-1 {
				delete(end, r.Partition)
				open--
			}
			if r.Attrs.IsControl() {
				return
			}
			ev, err := codec.Decode(r.Value)
			if err != nil {
				t.Errorf("%s/%d/%d: not an event: %v", name, r.Partition, r.Offset, err)
				return
			}
			out = append(out, logRecord{topic: name, part: r.Partition, off: r.Offset, ev: ev})
		})
	}
	return out
}

// dispatchCheck counts TaskDispatched records on the events topic and task
// messages on the tasks topic: each event id, and each task id and
// attempt, must appear exactly once on each. It returns the dispatches by
// task id (last attempt) for further checks.
func dispatchCheck(t *testing.T, brokers []string, prefix string) map[string]*events.TaskDispatched {
	t.Helper()
	names := topic.Names{Prefix: prefix}
	// Task messages first: every one read then has its event on the
	// events topic by the time that is read.
	tasks := readTopic(t, brokers, names.Tasks(""))
	evs := readTopic(t, brokers, names.Events())
	byID := map[string]int{}
	byAttempt := map[string]int{}
	out := map[string]*events.TaskDispatched{}
	callbacks := 0
	for _, r := range evs {
		d, ok := r.ev.Body.(*events.TaskDispatched)
		if !ok {
			continue
		}
		byID[r.ev.ID]++
		byAttempt[fmt.Sprintf("%s#%d", r.ev.Task, d.Attempt)]++
		out[r.ev.Task] = d
		if d.ParentID != "" {
			callbacks++
		}
	}
	msgs := map[string]int{}
	for _, r := range tasks {
		if d, ok := r.ev.Body.(*events.TaskDispatched); ok {
			msgs[fmt.Sprintf("%s#%d", r.ev.Task, d.Attempt)]++
		}
	}
	bad := 0
	for id, n := range byID {
		if n != 1 {
			bad++
			if bad <= 20 {
				t.Errorf("TaskDispatched event %s is on %s %d times", id, names.Events(), n)
			}
		}
	}
	for k, n := range byAttempt {
		if n != 1 {
			bad++
			if bad <= 20 {
				t.Errorf("task %s dispatched %d times on %s", k, n, names.Events())
			}
		}
		if m := msgs[k]; m != 1 {
			bad++
			if bad <= 20 {
				t.Errorf("task %s has %d messages on %s", k, m, names.Tasks(""))
			}
		}
	}
	for k, n := range msgs {
		if byAttempt[k] == 0 {
			t.Errorf("task message %s (%d) has no TaskDispatched event", k, n)
		}
	}
	t.Logf("log: %d events, %d TaskDispatched (%d with a parent task), %d task messages",
		len(evs), len(byID), callbacks, len(tasks))
	return out
}

// sig is a Celery signature in its JSON form.
func sig(name string, args ...any) map[string]any {
	if args == nil {
		args = []any{}
	}
	return map[string]any{"task": name, "args": args, "kwargs": map[string]any{}, "options": map[string]any{},
		"subtask_type": nil, "immutable": false}
}

func chain(tasks ...any) map[string]any {
	return map[string]any{"task": "celery.chain", "args": []any{}, "kwargs": map[string]any{"tasks": tasks},
		"options": map[string]any{}, "subtask_type": "chain", "immutable": false}
}

func chord(header []any, body map[string]any) map[string]any {
	return map[string]any{"task": "celery.chord", "args": []any{}, "kwargs": map[string]any{"header": header, "body": body, "kwargs": map[string]any{}},
		"options": map[string]any{}, "subtask_type": "chord", "immutable": false}
}

// work is one workflow of a mixed run and what it must end as.
type work struct {
	id     string
	c      *conformance.Case
	start  time.Time
	revoke bool
}

// mixed returns n canvases cycled from the conformance cases (refused ones
// left out; the task ids a case names made unique per copy), with, every
// 10th, a chord of 8 × sleep(1) into tsum (slow enough to be cut by a
// fault), and every 20th a chain of sleep(90) and add to be revoked. The
// sleep outlasts the revoke loop (60 s): while a fault hides a new
// workflow from every engine's API, the revoke waits, and the sleep must
// not finish first (the chain would then fail on its own).
func mixed(t *testing.T, n int, run string) []work {
	t.Helper()
	cases, err := conformance.Load("../harness/testdata/*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var usable []*conformance.Case
	for i := range cases {
		if _, refused := cases[i].Refused(); !refused {
			usable = append(usable, &cases[i])
		}
	}
	slow := &conformance.Case{Name: "slow chord", Expect: map[string]any{"state": "SUCCESS", "result": int64(8)}}
	out := make([]work, 0, n)
	for i := range n {
		suffix := fmt.Sprintf("%s-%05d", run, i)
		switch {
		case i%20 == 19:
			out = append(out, work{c: &conformance.Case{Name: "revoked", Canvas: chain(sig("tasks.sleep", int64(90)), sig("tasks.add", int64(1), int64(2))),
				Expect: map[string]any{"state": "REVOKED"}}, revoke: true})
			continue
		case i%10 == 9:
			header := make([]any, 8)
			for j := range header {
				header[j] = sig("tasks.sleep", int64(1))
			}
			c := *slow
			c.Canvas = chord(header, sig("tasks.tsum"))
			out = append(out, work{c: &c})
			continue
		}
		src := usable[i%len(usable)]
		out = append(out, work{c: src.Copy(suffix)})
	}
	return out
}

// submitWork submits one workflow (twice when the case says so; revoking
// it at once when it is to be revoked, through the first of revokers that
// answers).
func submitWork(t *testing.T, base string, w *work, revokers ...string) {
	t.Helper()
	if err := trySubmitWork(base, w, revokers...); err != nil {
		t.Fatal(err)
	}
}

func trySubmitWork(base string, w *work, revokers ...string) error {
	w.start = time.Now()
	id, err := trySubmit(base, w.c.Canvas)
	if err != nil {
		return err
	}
	w.id = id
	if w.c.SubmitTwice() {
		id, err := trySubmit(base, w.c.Canvas)
		if err != nil {
			return err
		}
		if id != w.id {
			return fmt.Errorf("%s: second submission got id %s, want %s", w.c.Name, id, w.id)
		}
	}
	if !w.revoke {
		return nil
	}
	if len(revokers) == 0 {
		revokers = []string{base}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, b := range revokers {
			status, m, err := httpDo("POST", b+"/v1/workflows/"+w.id+"/revoke", nil)
			if err == nil && status < 300 {
				return nil
			}
			// 404: not folded by its owner yet; 503: no engine answers
			// for its partition now (a rebalance), retry.
			if err != nil || status != 404 && status != 503 || time.Now().After(deadline) {
				return fmt.Errorf("revoke %s: HTTP %d %v %v", w.id, status, m, err)
			}
		}
		<-time.After(100 * time.Millisecond)
	}
}

// submitParallel submits ws through bases (round robin), up to 64 at once.
func submitParallel(t *testing.T, ws []work, bases ...string) {
	t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	errs := make(chan error, len(ws))
	for i := range ws {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := trySubmitWork(bases[i%len(bases)], &ws[i], bases...); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// checkWork waits for every workflow and checks it against its case. It
// fails at the deadline, or when no workflow became ready for stallAfter.
func checkWork(t *testing.T, base func() string, ws []work, deadline time.Time) {
	t.Helper()
	failed := 0
	for i := range ws {
		w := &ws[i]
		t0 := time.Now()
		m, last := pollWorkflow(base, w.id, waitUntil(deadline))
		if m == nil {
			t.Fatalf("workflow %s (%s, %d of %d) not ready after %s (last: %v)",
				w.id, w.c.Name, i+1, len(ws), time.Since(t0).Round(time.Second), last)
		}
		for _, why := range conformance.Check(w.c, m, time.Since(w.start).Seconds()) {
			failed++
			if failed <= 30 {
				t.Errorf("%s (%s): %s", w.id, w.c.Name, why)
			}
		}
	}
}

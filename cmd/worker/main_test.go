package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/topic"
)

const waitTimeout = 60 * time.Second

func noEnv(string) string { return "" }

func TestHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(t.Context(), []string{"--help"}, noEnv, io.Discard, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run --help = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"usage: worker --brokers", "-queues", "-concurrency", "-prefix", "-metrics", "-partitions", "-drain-timeout"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--nope"},
		{"--brokers", "x:1", "extra"},
		{},
		{"--brokers", " , "},
	} {
		if err := run(t.Context(), args, noEnv, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("run %q = %v, want a usage error", args, err)
		}
	}
	for _, args := range [][]string{
		{"--brokers", "x:1", "--log-format", "xml"},
		{"--brokers", "x:1", "--log-level", "loud"},
		{"--brokers", "x:1", "--partitions", "0"},
		{"--brokers", "x:1", "--concurrency", "-1"},
	} {
		if err := run(t.Context(), args, noEnv, io.Discard, io.Discard); err == nil || errors.Is(err, errUsage) {
			t.Errorf("run %q = %v, want an error", args, err)
		}
	}
}

// TestExitCode: -h exits 0, bad usage 2 after run said what is wrong,
// an error 1 with "worker: " once (the worker package's errors say it
// themselves: they read "worker: worker: ..."). No --brokers is bad
// usage, as for engine serve (it exited 1). --concurrency 0 is the number
// of CPUs, as in Celery; a negative one is refused with what and where.
func TestExitCode(t *testing.T) {
	t.Parallel()
	const noBrokers = "worker: --brokers (or FUGUE_BROKERS) is required\n"
	for _, c := range []struct {
		args   []string
		env    map[string]string
		code   int
		says   string // what run prints, among the rest
		stderr string // what exitCode prints
	}{
		{[]string{"-h"}, nil, 0, "usage: worker", ""},
		{[]string{"--help"}, nil, 0, "usage: worker", ""},
		{[]string{"--nope"}, nil, 2, "flag provided but not defined: -nope\n", ""},
		{[]string{"--brokers", "x:1", "extra"}, nil, 2, `worker: unexpected arguments ["extra"]` + "\n", ""},
		{nil, nil, 2, noBrokers, ""},
		{[]string{"--brokers", ""}, map[string]string{"FUGUE_BROKERS": "x:1"}, 2, noBrokers, ""},
		{nil, map[string]string{"FUGUE_BROKERS": " , "}, 2, noBrokers, ""},
		{[]string{"--brokers", "x:1", "--concurrency", "-1"}, nil, 1, "", "worker: --concurrency: -1 is negative (0: the number of CPUs)\n"},
		{[]string{"--brokers", "x:1", "--queues", "a,a"}, nil, 1, "", "worker: queue a named twice\n"},
	} {
		var said, stderr bytes.Buffer
		code := exitCode(&stderr, run(t.Context(), c.args, func(k string) string { return c.env[k] }, io.Discard, &said))
		if code != c.code || !strings.Contains(said.String(), c.says) || stderr.String() != c.stderr {
			t.Errorf("%q %v: exit %d, run said %q, then %q; want %d, %q among it, then %q",
				c.args, c.env, code, said.String(), stderr.String(), c.code, c.says, c.stderr)
		}
	}
}

// TestRun runs the command, submits a task message and reads its result
// back, on kfake and on the real broker.
func TestRun(t *testing.T) {
	t.Parallel()
	t.Run("kfake", func(t *testing.T) {
		t.Parallel()
		c, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		testRun(t, c.ListenAddrs())
	})
	t.Run("kafka", func(t *testing.T) {
		t.Parallel()
		testRun(t, kafkatest.Brokers(t))
	})
}

func testRun(t *testing.T, brokers []string) {
	prefix := "fugue-test-cmd-" + strings.ToLower(rand.Text()[:8]) + "."
	names := topic.Names{Prefix: prefix}
	stderr := &lines{want: regexp.MustCompile(`http://([^ "]+)/metrics`), found: make(chan string, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--queues", "celery,other", "--concurrency", "2", "--partitions", "1",
			"--prefix", prefix, "--metrics", "127.0.0.1:0", "--log-format", "json"},
			func(k string) string {
				if k == "FUGUE_BROKERS" {
					return strings.Join(brokers, ",")
				}
				return ""
			}, io.Discard, stderr)
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Error("run did not return after its context was cancelled")
		}
		adm, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
		if err == nil {
			_, _ = kadm.NewClient(adm).DeleteTopics(context.Background(),
				names.Tasks("celery"), names.Tasks("other"), names.Events(), names.Control(), names.DeadLetter())
			adm.Close()
		}
	}()
	var metricsAddr string
	select {
	case metricsAddr = <-stderr.found:
	case err := <-done:
		t.Fatalf("run returned early: %v\n%s", err, stderr.String())
	case <-time.After(waitTimeout):
		t.Fatal("no metrics address logged")
	}

	codec, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(names.Events()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	msg, err := codec.Encode(&events.Event{ID: "t1:dispatched:0", Workflow: "wf", Task: "t1", Producer: "test",
		Body: &events.TaskDispatched{Name: "tasks.mul", Args: []any{int64(64), int64(10)}, Queue: "other", MaxRetries: 3}})
	if err != nil {
		t.Fatal(err)
	}
	pctx, pcancel := context.WithTimeout(context.Background(), waitTimeout)
	defer pcancel()
	// Create the topic rather than wait for the worker to: both may.
	if err := topic.Ensure(pctx, kadm.NewClient(cl), topic.Spec{Partitions: 1}, names.Tasks("other")); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(pctx, &kgo.Record{Topic: names.Tasks("other"), Key: []byte("t1"), Value: msg}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	var result any
	for result == nil {
		fs := cl.PollFetches(pctx)
		if pctx.Err() != nil {
			t.Fatalf("no result: %v", pctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) {
			ev, err := codec.Decode(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			if b, ok := ev.Body.(*events.TaskSucceeded); ok && ev.ID == "t1:succeeded:0" {
				result = b.Result
			}
		})
	}
	if result != int64(640) {
		t.Errorf("tasks.mul(64, 10) = %v, want 640", result)
	}

	// The task is counted just after its events are acknowledged: wait
	// for the count.
	want := `fugue_worker_tasks_total{state="succeeded"} 1`
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		body := get(t, "http://"+metricsAddr+"/metrics")
		if strings.Contains(body, want) {
			if !strings.Contains(body, "go_goroutines") {
				t.Error("/metrics lacks the Go collector")
			}
			break
		}
		select {
		case <-tick.C:
		case <-pctx.Done():
			t.Fatalf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if !strings.Contains(stderr.String(), `"msg":"worker: running"`) {
		t.Errorf("no JSON log line for the start:\n%s", stderr.String())
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// lines is a stderr that sends the first submatch of want once seen.
type lines struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	want  *regexp.Regexp
	found chan string
	sent  bool
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if !l.sent {
		if m := l.want.FindSubmatch(l.buf.Bytes()); m != nil {
			l.sent = true
			l.found <- string(m[1])
		}
	}
	return len(p), nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

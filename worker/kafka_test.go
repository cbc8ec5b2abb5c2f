package worker_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/worker"
)

// waitTimeout bounds every wait for something the worker does.
const waitTimeout = 60 * time.Second

// forEachBroker runs f against an in-process kfake cluster and, when
// KAFKA_BROKERS names one, against the real broker: one suite, two
// backends.
func forEachBroker(t *testing.T, partitions int32, f func(t *testing.T, e *env)) {
	t.Run("kfake", func(t *testing.T) {
		t.Parallel()
		c, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		f(t, newEnv(t, c.ListenAddrs(), partitions))
	})
	t.Run("kafka", func(t *testing.T) {
		t.Parallel()
		f(t, newEnv(t, kafkatest.Brokers(t), partitions))
	})
}

// env is one test's topics (under a prefix of its own) on one cluster.
type env struct {
	t          *testing.T
	brokers    []string
	partitions int32
	names      topic.Names
	codec      *events.Codec
	cl         *kgo.Client // produces to chosen partitions
	adm        *kadm.Client
}

var unsafe = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

func newEnv(t *testing.T, brokers []string, partitions int32) *env {
	t.Helper()
	name := unsafe.ReplaceAllString(t.Name(), "_")
	if len(name) > 80 {
		name = name[:80]
	}
	prefix := "fugue-test-" + name + "-" + strings.ToLower(rand.Text()[:8]) + "."
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	codec, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, brokers: brokers, partitions: partitions, names: topic.Names{Prefix: prefix}, codec: codec, cl: cl, adm: kadm.NewClient(cl)}
	all := []string{e.tasks(), e.names.Events(), e.names.Control(), e.names.DeadLetter()}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := topic.Ensure(ctx, e.adm, topic.Spec{Partitions: partitions}, all...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if _, err := e.adm.DeleteTopics(ctx, all...); err != nil {
			t.Logf("delete topics: %v", err)
		}
	})
	return e
}

// tasks is the tasks topic of the default queue.
func (e *env) tasks() string { return e.names.Tasks("") }

// config returns a worker config for the env's topics; change it with mod.
func (e *env) config(mod func(*worker.Config)) worker.Config {
	cfg := worker.Config{
		Brokers:      e.brokers,
		Prefix:       e.names.Prefix,
		Partitions:   e.partitions,
		Concurrency:  4,
		DrainTimeout: -1,
		StartedAfter: -1, // every TaskStarted at once; TestStartedAfter tests the delay
		Hostname:     "testhost",
		Logger:       slog.New(slog.NewTextHandler(e.t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	return cfg
}

// runner is a Worker running in the background.
type runner struct {
	cancel context.CancelFunc
	exited chan struct{}
	err    error // what Run returned, once exited is closed
	failed bool  // the test expects Run to fail
}

// run starts a worker and stops it when the test ends.
func (e *env) run(reg *worker.Registry, cfg worker.Config, opts ...kgo.Opt) *runner {
	e.t.Helper()
	w, err := worker.New(reg, cfg, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{cancel: cancel, exited: make(chan struct{})}
	go func() {
		r.err = w.Run(ctx)
		close(r.exited)
	}()
	e.t.Cleanup(func() {
		if err := r.stop(); err != nil && !r.failed {
			e.t.Errorf("Run: %v", err)
		}
	})
	return r
}

// stop cancels the worker's context and returns what Run returned.
func (r *runner) stop() error {
	r.cancel()
	return r.wait()
}

// wait waits for Run to return by itself and returns what it returned.
func (r *runner) wait() error {
	select {
	case <-r.exited:
		return r.err
	case <-time.After(waitTimeout):
		return fmt.Errorf("Run did not return within %v", waitTimeout)
	}
}

// dispatch produces a task message for task of workflow wf to partition
// part of the tasks topic, as the engine does, and returns its offset.
func (e *env) dispatch(part int32, wf, task string, d *events.TaskDispatched) (offset int64) {
	e.t.Helper()
	ev := &events.Event{ID: events.DispatchedID(task, d.Attempt), Workflow: wf, Task: task, Time: time.Now().UnixMicro(), Producer: "engine", Body: d}
	rec := &kgo.Record{Topic: e.tasks(), Partition: part, Key: []byte(task), Value: e.encode(ev)}
	e.produce(rec)
	return rec.Offset
}

func (e *env) encode(ev *events.Event) []byte {
	e.t.Helper()
	b, err := e.codec.Encode(ev)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) produce(recs ...*kgo.Record) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := e.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		e.t.Fatalf("produce: %v", err)
	}
}

// revoke puts a TaskRevoked for task on the control topic, as the engine
// does.
func (e *env) revoke(wf, task string) {
	e.t.Helper()
	ev := &events.Event{ID: events.RevokedID(task, "revoked"), Workflow: wf, Task: task, Time: time.Now().UnixMicro(), Producer: "engine", Body: &events.TaskRevoked{Reason: "revoked"}}
	e.produce(&kgo.Record{Topic: e.names.Control(), Key: []byte(task), Value: e.encode(ev)})
}

// reader reads a topic from its start.
type reader struct {
	e    *env
	cl   *kgo.Client
	recs []*kgo.Record
}

func (e *env) reader(topic string) *reader {
	e.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(cl.Close)
	return &reader{e: e, cl: cl}
}

// waitRecords reads until cond holds for what was read, or fails the test.
func (r *reader) waitRecords(what string, cond func([]*kgo.Record) bool) []*kgo.Record {
	r.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for !cond(r.recs) {
		fs := r.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			r.e.t.Fatalf("waited %v for %s; read %d records", waitTimeout, what, len(r.recs))
		}
		fs.EachRecord(func(rec *kgo.Record) { r.recs = append(r.recs, rec) })
	}
	return r.recs
}

// waitEvents reads events until cond holds for them, or fails the test.
func (r *reader) waitEvents(what string, cond func([]*events.Event) bool) []*events.Event {
	r.e.t.Helper()
	var evs []*events.Event
	r.waitRecords(what, func(recs []*kgo.Record) bool {
		for _, rec := range recs[len(evs):] {
			ev, err := r.e.codec.Decode(rec.Value)
			if err != nil {
				r.e.t.Fatalf("event at %d does not decode: %v", rec.Offset, err)
			}
			if string(rec.Key) != ev.Workflow {
				r.e.t.Errorf("event %s has key %q, want its workflow %q", ev.ID, rec.Key, ev.Workflow)
			}
			evs = append(evs, ev)
		}
		return cond(evs)
	})
	return evs
}

// waitIDs reads events until every one of ids was read.
func (r *reader) waitIDs(ids ...string) []*events.Event {
	r.e.t.Helper()
	return r.waitEvents(strings.Join(ids, ", "), func(evs []*events.Event) bool {
		seen := map[string]bool{}
		for _, ev := range evs {
			seen[ev.ID] = true
		}
		for _, id := range ids {
			if !seen[id] {
				return false
			}
		}
		return true
	})
}

// deleteTopic deletes a topic and waits until the broker's metadata no
// longer has it. A deletion is answered once the controller has it; a
// broker applies it a moment later, and a produce in between still lands.
func (e *env) deleteTopic(name string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	resp, err := e.adm.DeleteTopics(ctx, name)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		e.t.Fatalf("delete topic %s: %v", name, err)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		td, err := e.adm.ListTopics(ctx, name)
		if err == nil && errors.Is(td[name].Err, kerr.UnknownTopicOrPartition) {
			return
		}
		select {
		case <-ctx.Done():
			e.t.Fatalf("topic %s still in the metadata after its deletion (last error %v)", name, err)
		case <-tick.C:
		}
	}
}

// committed returns the group's committed offset of a tasks partition, -1
// for none.
func (e *env) committed(group string, part int32) int64 {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	offs, err := e.adm.FetchOffsets(ctx, group)
	if err != nil {
		e.t.Fatalf("fetch offsets: %v", err)
	}
	o, ok := offs.Lookup(e.tasks(), part)
	if !ok {
		return -1
	}
	return o.At
}

// waitCommitted waits until the group committed want on a partition.
func (e *env) waitCommitted(group string, part int32, want int64) {
	e.t.Helper()
	deadline := time.After(waitTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		got := e.committed(group, part)
		if got == want {
			return
		}
		select {
		case <-deadline:
			e.t.Fatalf("partition %d: committed offset %d, want %d", part, got, want)
		case <-tick.C:
		}
	}
}

// metric returns the value of a counter or gauge of reg with the given
// label pairs (name, value, ...), 0 when it has none yet.
func metric(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

// logWatch is a slog handler that passes records on and signals when
// one of the messages it watches for was logged.
type logWatch struct {
	slog.Handler
	sig *logSignals
}

type logSignals struct {
	mu   sync.Mutex
	want map[string]chan struct{}
}

func newLogWatch(w io.Writer, msgs ...string) logWatch {
	sig := &logSignals{want: map[string]chan struct{}{}}
	for _, m := range msgs {
		sig.want[m] = make(chan struct{})
	}
	return logWatch{slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}), sig}
}

func (l logWatch) Handle(ctx context.Context, r slog.Record) error {
	l.sig.mu.Lock()
	if ch, ok := l.sig.want[r.Message]; ok {
		select {
		case <-ch:
		default:
			close(ch)
		}
	}
	l.sig.mu.Unlock()
	return l.Handler.Handle(ctx, r)
}

func (l logWatch) WithAttrs(as []slog.Attr) slog.Handler {
	return logWatch{l.Handler.WithAttrs(as), l.sig}
}

func (l logWatch) WithGroup(name string) slog.Handler {
	return logWatch{l.Handler.WithGroup(name), l.sig}
}

// wait waits until msg was logged.
func (l logWatch) wait(t *testing.T, msg string) {
	t.Helper()
	select {
	case <-l.sig.want[msg]:
	case <-time.After(waitTimeout):
		t.Fatalf("waited %v for the log message %q", waitTimeout, msg)
	}
}

package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/kafkaopt"
	"github.com/fugue-run/fugue/internal/topic"
)

// Worker runs the tasks of a Registry from Kafka: it takes task messages
// from the tasks topics of its queues in a consumer group, runs them with
// Execute, reports their events on the events topic and commits a
// message's offset only once its events are acknowledged (acks late). The
// package doc describes the protocol.
type Worker struct {
	reg      *Registry
	cfg      Config
	opts     []kgo.Opt
	names    topic.Names
	codec    *events.Codec
	limits   limiters
	metrics  *metrics
	log      *slog.Logger
	ident    string // "<hostname>-<pid>", TaskStarted.Worker
	producer string // "worker/<ident>", Event.Producer
	running  atomic.Bool
}

// ErrRunning is returned by Run when the Worker is running already.
var ErrRunning = errors.New("worker: already running")

// New returns a Worker for the tasks of reg, which must all be registered
// by now: their rate limits are read here (New fails on one that does not
// parse). opts are added to every Kafka client the worker makes, after
// its own, so they can set TLS, SASL, timeouts and the like; they must not
// change what is consumed or how offsets are committed.
func New(reg *Registry, cfg Config, opts ...kgo.Opt) (*Worker, error) {
	if reg == nil {
		return nil, errors.New("worker: nil Registry")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	codec, err := events.NewCodec()
	if err != nil {
		return nil, err
	}
	limits, err := newLimiters(reg)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer, reg.Names())
	if err != nil {
		return nil, err
	}
	ident := cfg.identity()
	return &Worker{
		reg: reg, cfg: cfg, opts: opts, names: topic.Names{Prefix: cfg.Prefix},
		codec: codec, limits: limits, metrics: m, log: cfg.Logger,
		ident: ident, producer: "worker/" + ident,
	}, nil
}

// Run creates the topics the worker uses when they are missing, then
// runs tasks until ctx is done. On the way out it lets running tasks
// finish for up to Config.DrainTimeout, commits what finished, abandons
// the rest uncommitted (they run again, here or on another worker) and
// returns nil. It returns an error when it cannot start, or when Kafka
// refuses an event it must report (the worker then stops as above). Run
// may be called again once it returned.
func (w *Worker) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer w.running.Store(false)
	retry := time.NewTimer(0)
	defer retry.Stop()
	<-retry.C
	for {
		s, err := w.start(ctx)
		if err == nil {
			return s.run(ctx)
		}
		if ctx.Err() != nil {
			return nil
		}
		// Kafka may be down or restarting: keep trying, unless Kafka
		// said no in a way that retrying cannot change, or its
		// certificate is not one we trust.
		if kafkaopt.Permanent(err) {
			return err
		}
		w.log.Warn("worker: cannot start yet; retrying", "err", err)
		retry.Reset(time.Second)
		select {
		case <-ctx.Done():
			return nil
		case <-retry.C:
		}
	}
}

// clientOpts returns the options of a client: the seeds, extra, then the
// caller's.
func (w *Worker) clientOpts(extra ...kgo.Opt) []kgo.Opt {
	var o []kgo.Opt
	if len(w.cfg.Brokers) > 0 {
		o = append(o, kgo.SeedBrokers(w.cfg.Brokers...))
	}
	// No linger: a task's outcome is on the critical path of the next
	// task, and records that arrive while a request is in flight are
	// still batched. MetadataMinAge as the engine's (engine.go,
	// metadataMinAge): a report produced to a partition whose broker does
	// not lead it yet would otherwise wait 5 s for the next metadata.
	o = append(o, kgo.ClientID("fugue-worker"), kgo.ProducerBatchMaxBytes(topic.MaxMessageBytes), kgo.ProducerLinger(0),
		kgo.MetadataMinAge(100*time.Millisecond))
	o = append(o, extra...)
	return append(o, w.opts...)
}

// tasksTopics returns the tasks topics of the worker's queues.
func (w *Worker) tasksTopics() []string {
	ts := make([]string, len(w.cfg.Queues))
	for i, q := range w.cfg.Queues {
		ts[i] = w.names.Tasks(q)
	}
	return ts
}

// start makes sure the topics exist, finds the end of the control topic
// and makes the session's clients.
func (w *Worker) start(ctx context.Context) (*session, error) {
	adm, err := kgo.NewClient(w.clientOpts()...)
	if err != nil {
		return nil, fmt.Errorf("worker: kafka client: %w", err)
	}
	defer adm.Close()
	admin := kadm.NewClient(adm)
	tasks := w.tasksTopics()
	all := append(tasks[:len(tasks):len(tasks)], w.names.Events(), w.names.Control(), w.names.DeadLetter())
	spec := topic.Spec{Partitions: w.cfg.Partitions, Replication: w.cfg.Replication}
	if err := topic.Ensure(ctx, admin, spec, all...); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	ctlAt, err := controlOffsets(ctx, admin, w.names.Control())
	if err != nil {
		return nil, err
	}

	s := newSession(w)
	// The engine writes task messages in transactions; by default they
	// are read before the commit (Config.ReadCommitted, partition.take).
	isolation := kgo.ReadUncommitted()
	if w.cfg.ReadCommitted {
		isolation = kgo.ReadCommitted()
	}
	s.cl, err = kgo.NewClient(w.clientOpts(
		kgo.ConsumerGroup(w.cfg.Group),
		kgo.ConsumeTopics(tasks...),
		kgo.ConsumeStartOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(isolation),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsRevoked(s.onRevoked),
		kgo.OnPartitionsLost(s.onLost),
		kgo.RequiredAcks(kgo.AllISRAcks()),
	)...)
	if err != nil {
		return nil, fmt.Errorf("worker: kafka client: %w", err)
	}
	s.ctl, err = kgo.NewClient(w.clientOpts(
		kgo.ConsumePartitions(ctlAt),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)...)
	if err != nil {
		s.cl.Close()
		return nil, fmt.Errorf("worker: kafka client: %w", err)
	}
	return s, nil
}

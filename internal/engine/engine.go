// Package engine runs the projector on Kafka: it consumes the events topic
// in a consumer group, folds each record into the Pebble state store, and
// produces Fold's outputs (events, task messages, revokes) inside the same
// Kafka transaction that commits the consumed offsets. It also runs the
// timer service and serves the API backend.
//
// # Exactly once
//
// One transaction covers one or more polled batches (Config.CommitInterval,
// openTxn): outputs are produced and the consumed offsets committed
// atomically (GroupTransactSession, read_committed). Task messages go out
// while it is open and workers read them uncommitted; events-topic records
// go at its end. Only after Kafka committed does the state store commit
// the batches' state together with the last applied offset of each
// partition, without fsync: Kafka is the durable log. After a crash, or when
// a partition arrives from another engine, the store may be behind the
// group's committed offset; the engine then folds the missing records with
// outputs suppressed (they were produced already) before it resumes. An
// aborted transaction discards its batches' state changes and the session
// rewinds to the committed offsets; folding them again sends the same
// task messages.
//
// # Several engines
//
// Engines in one group split the partitions of the events topic; each
// keeps the state of its own. The engine is the API's Router (route.go):
// it answers for a workflow whose partition it holds and has caught up
// with, and names the owner of any other from the group's own assignment
// (a DescribeGroups, cached for a second), reached at the URL the owner's
// group member carries in its client id (Config.Advertise). An engine
// alone in its group (engine dev) gives the API its LocalRouter instead,
// which waits for the partition to be caught up here and never describes
// the group.
package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/statestore"
)

// maxBuffered is the most records the engine's Kafka clients hold before
// Kafka has them: a fold that sends more waits for room (franz-go's
// default, 50,000, held ~20 MB of a chord of 100,000's task messages,
// their request and its compression at once).
const maxBuffered = 8192

// DefaultCommitInterval is Config.CommitInterval's default.
const DefaultCommitInterval = 100 * time.Millisecond

// Config configures an Engine. The zero value of each field means its
// default.
type Config struct {
	// Brokers are the seed brokers (required).
	Brokers []string
	// Prefix is the topic prefix (default topic.DefaultPrefix).
	Prefix string
	// Topics says how to create topics (default 8 partitions, replication 1).
	Topics topic.Spec
	// DataDir is where the state store lives (required).
	DataDir string
	// Group is the engines' consumer group (default "<prefix>engine").
	Group string
	// InstanceID names this engine; its transactional id derives from it.
	// It must stay the same across restarts of one engine, so that a
	// restarted engine fences its predecessor and aborts the transaction
	// a crash left open at once, instead of letting it block readers
	// until it times out. Default: made up once and kept in DataDir.
	//
	// It is also the engine's static member id in the group
	// (group.instance.id): an engine that restarts after a crash, or a
	// session the engine makes anew after a broker restart, takes its
	// predecessor's place and partitions at once, instead of waiting for
	// the old member's session to time out (45 s).
	InstanceID string
	// StayInGroup makes a stopping engine keep its place in the group, as
	// a crashed one does, until its session times out (45 s): restarted
	// within that time with the same InstanceID, it takes its partitions
	// back without a rebalance (a rolling restart); not restarted, its
	// partitions wait that long for another engine. Default false: a
	// stopping engine leaves the group, and the others take its
	// partitions at once.
	StayInGroup bool
	// Fold configures the projector.
	Fold projector.Config
	// Routes maps task names to queues, for tasks whose options name none
	// (default: every task goes to topic.DefaultQueue).
	Routes map[string]string
	// MaxBatch caps the records folded in one transaction (default 5000):
	// it ends once it has folded them, before CommitInterval.
	MaxBatch int
	// CommitInterval is how long a Kafka transaction stays open for more
	// batches once it has begun (default DefaultCommitInterval); it ends
	// sooner when no record comes for 5 ms. Negative: one transaction per
	// polled batch. Task messages go out at once and workers read them
	// uncommitted, so it does not delay a task; it is how late the state
	// and the events topic may show a batch, and how much is folded again
	// after a crash. See openTxn.
	CommitInterval time.Duration
	// MaxRecordBytes is the largest record the engine produces (default
	// topic.MaxMessageBytes less room for the batch header, the limit set
	// on the topics Fugue creates). A task message over it fails its task
	// with MessageTooLarge.
	MaxRecordBytes int
	// Advertise is the base URL at which the other engines of the group
	// reach this engine's HTTP API ("http://10.0.0.7:8080"), to forward it
	// the requests about workflows on its partitions. It travels in the
	// client id of the engine's group member. Default "": none; the other
	// engines then answer 503 for this engine's partitions.
	Advertise string
	// Logger receives the engine's logs (default: discarded).
	Logger *slog.Logger
	// Registerer receives the engine's metrics (default: none).
	Registerer prometheus.Registerer
	// Store are options for the state store.
	Store []statestore.Option
}

func (c *Config) defaults() error {
	if len(c.Brokers) == 0 {
		return errors.New("engine: no brokers")
	}
	if c.DataDir == "" {
		return errors.New("engine: no data directory")
	}
	if c.Prefix == "" {
		c.Prefix = topic.DefaultPrefix
	}
	if c.Group == "" {
		c.Group = c.Prefix + "engine"
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 5000
	}
	if c.CommitInterval == 0 {
		c.CommitInterval = DefaultCommitInterval
	}
	if c.MaxRecordBytes <= 0 {
		c.MaxRecordBytes = topic.MaxMessageBytes - 64<<10
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Advertise != "" {
		u, err := url.Parse(c.Advertise)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("engine: advertise: %q is not an http(s) base URL such as http://10.0.0.7:8080", c.Advertise)
		}
		c.Advertise = strings.TrimRight(c.Advertise, "/")
	}
	return nil
}

// metadataMinAge is the MetadataMinAge of every Kafka client the engine
// makes (franz-go's default is 5 s), as the worker's admin client has it.
// kgo asks for metadata again no sooner than that after the last time,
// and two things wait for that ask:
//
//   - a produce that fails with a retriable error (a broker that does not
//     yet lead a partition of a topic created a moment ago, which it
//     already names as the leader in its metadata) holds the partition's
//     records until the next metadata. Right after the metadata that the
//     first produce to a topic fetched, that is 5 s: a submission or a
//     dispatch stalled for 5 s.
//   - kadm's lookups (ListTopics, ListEndOffsets) answer from metadata
//     cached for that long, a topic unknown when it was last asked for
//     included: start and the group views could not see the topics
//     Run had just created for 5 s.
//
// 100 ms is about the Java client's retry.backoff.ms; the cost is a
// metadata request per retry, not one per produce.
const metadataMinAge = 100 * time.Millisecond

// Engine is one engine process: projector runner, timer service and API
// backend.
type Engine struct {
	cfg   Config
	names topic.Names
	kopts []kgo.Opt
	store *statestore.Store
	// topicID is the id of the events topic the store is bound to (start),
	// zero when the broker gives none.
	topicID [16]byte
	codec   *events.Codec
	folder  *projector.Folder
	log     *slog.Logger
	m       *metrics

	// producer is a plain idempotent client for submissions, revokes and
	// timer firings, which are not part of a consume-transform-produce.
	producer *kgo.Client
	adm      *kadm.Client

	// held are the partitions this engine holds; views are its views of
	// the group; parts is the events topic's partition count (0: unknown
	// yet). They route API requests (route.go).
	held  *holdings
	views views
	parts atomic.Int32

	mu      sync.Mutex
	changed chan struct{}
	// queues maps each queue whose tasks topic exists to that topic's
	// name; evTopic is the events topic's. Both are made once: outputs
	// go to them by the hundred thousand.
	queues  map[string]string
	evTopic string
	// slab is where the fold loop encodes its outputs (slab.go).
	slab slab
	// timerWake is signalled when new timers were committed.
	timerWake chan struct{}
	// ended is how the last transactions ended (hanging.go).
	ended ended
	// abortEnd, when set, is asked before each commit whether to abort
	// instead (tests of what an aborted transaction leaves behind).
	abortEnd func() bool
}

// New opens the state store and connects to Kafka. opts are passed to every
// Kafka client the engine makes (TLS, SASL, ...).
func New(cfg Config, opts ...kgo.Opt) (*Engine, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	codec, err := events.NewCodec()
	if err != nil {
		return nil, err
	}
	store, err := statestore.Open(cfg.DataDir, append([]statestore.Option{statestore.WithLogger(cfg.Logger), statestore.WithLimits(cfg.Fold.Limits)}, cfg.Store...)...)
	if err != nil {
		return nil, err
	}
	if cfg.InstanceID == "" {
		if cfg.InstanceID, err = instanceID(cfg.DataDir); err != nil {
			store.Close()
			return nil, err
		}
	}
	// No linger (franz-go's default is 10 ms): every dispatch is on a
	// workflow's critical path. At most maxBuffered records wait to be
	// sent: a chord of 100,000 sends 200,000 as it is folded. opts come
	// last, so that they win.
	base := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...), kgo.ProducerBatchMaxBytes(topic.MaxMessageBytes), kgo.ProducerLinger(0),
		kgo.MetadataMinAge(metadataMinAge), kgo.MaxBufferedRecords(maxBuffered),
	}, opts...)
	producer, err := kgo.NewClient(append(base, kgo.RequiredAcks(kgo.AllISRAcks()))...)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("engine: kafka client: %w", err)
	}
	e := &Engine{
		cfg: cfg, names: topic.Names{Prefix: cfg.Prefix}, evTopic: topic.Names{Prefix: cfg.Prefix}.Events(), kopts: base, store: store, codec: codec,
		folder: projector.New(cfg.Fold), log: cfg.Logger,
		producer: producer, adm: kadm.NewClient(producer), held: newHoldings(),
		changed: make(chan struct{}), queues: map[string]string{}, timerWake: make(chan struct{}, 1),
	}
	e.m = newMetrics(cfg.Registerer, func() float64 { return float64(len(e.held.caughtUpList())) })
	return e, nil
}

// Close releases the store and the clients. Run must have returned.
func (e *Engine) Close() error {
	e.producer.Close()
	return e.store.Close()
}

// Store is the engine's state store (for replay and tests).
func (e *Engine) Store() *statestore.Store { return e.store }

// Run ensures the topics exist and runs the projector and the timer
// service until ctx is done or one fails, and beside them the watch for
// transactions Kafka left open (hanging.go). While Kafka cannot be
// reached or has not caught up with the topics, Run waits and tries
// again (start).
func (e *Engine) Run(ctx context.Context) error {
	if err := e.start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	e.queues[topic.DefaultQueue] = e.names.Tasks(topic.DefaultQueue)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := e.runTimers(ctx); err != nil && ctx.Err() == nil {
			cancel(err)
		}
	}()
	wg.Go(func() { e.watchHanging(ctx) })
	wg.Go(func() {
		if err := e.watchTopic(ctx, topicWatchEvery); err != nil {
			cancel(err)
		}
	})
	err := e.runProjector(ctx)
	cancel(err)
	wg.Wait()
	if err == nil || errors.Is(err, context.Canceled) && ctx.Err() != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause
		}
		return nil
	}
	return err
}

// State is a read-only view of the committed state (api.Backend).
func (e *Engine) State() projector.State { return e.store.Reader() }

// Changed returns a channel closed the next time committed state changes.
func (e *Engine) Changed() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.changed
}

func (e *Engine) notifyChanged() {
	e.mu.Lock()
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
}

// Submit appends a WorkflowSubmitted (api.Backend).
func (e *Engine) Submit(ctx context.Context, id string, canvas map[string]any) error {
	return e.append(ctx, events.Event{
		ID: events.SubmittedID(id), Workflow: id, Producer: "api",
		Body: &events.WorkflowSubmitted{Canvas: canvas},
	})
}

// Revoke appends a RevokeRequested for a workflow or one of its tasks
// (api.Backend).
func (e *Engine) Revoke(ctx context.Context, workflow, task string) error {
	target := workflow
	if task != "" {
		target = task
	}
	return e.append(ctx, events.Event{
		ID: events.RevokeID(target), Workflow: workflow, Task: task, Producer: "api",
		Body: &events.RevokeRequested{},
	})
}

// append produces one event outside any transaction and waits for Kafka.
func (e *Engine) append(ctx context.Context, ev events.Event) error {
	if ev.Time == 0 {
		ev.Time = now()
	}
	b, err := e.codec.Encode(&ev)
	if err != nil {
		return fmt.Errorf("engine: encode %s: %w", ev.ID, err)
	}
	if len(b) > e.cfg.MaxRecordBytes {
		return fmt.Errorf("%w: the event is %d bytes, over the Kafka record limit of %d", canvas.ErrLimit, len(b), e.cfg.MaxRecordBytes)
	}
	rec := &kgo.Record{Topic: e.names.Events(), Key: []byte(ev.Workflow), Value: b}
	if err := e.producer.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("engine: append %s: %w", ev.ID, err)
	}
	return nil
}

// instanceID returns the engine's instance id kept in dir, making one up
// (host name and a random suffix) the first time.
func instanceID(dir string) (string, error) {
	path := filepath.Join(dir, "instance-id")
	if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("engine: instance id: %w", err)
	}
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := host + "-" + hex.EncodeToString(b[:])
	if err := os.WriteFile(path, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("engine: instance id: %w", err)
	}
	return id, nil
}

package worker

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fugue-run/fugue/internal/topic"
)

// Config configures a Worker. The zero value of every field means its
// default.
type Config struct {
	// Brokers are the seed brokers, "host:port". Default kgo's
	// (127.0.0.1:9092), unless New's options set kgo.SeedBrokers.
	Brokers []string
	// Prefix is put before every topic name. Default "fugue.".
	Prefix string
	// Queues are the queues to take tasks from, one tasks topic each.
	// Default ["celery"].
	Queues []string
	// Concurrency is how many tasks run at once. Default runtime.NumCPU().
	Concurrency int
	// Group is the consumer group of the tasks topics. Default
	// Prefix+"workers".
	Group string
	// Partitions and Replication are used for topics the worker creates
	// when they are missing (tasks topics of its queues, events,
	// control, deadletter). Defaults 8 and 1; the control topic always
	// gets one partition.
	Partitions  int32
	Replication int16
	// DrainTimeout is how long running tasks may take to finish when
	// their partitions are taken away by a rebalance or the worker stops;
	// past it they are abandoned: cancelled, nothing more is reported for
	// them and their offsets stay uncommitted, so that they run again.
	// Keep it below the group's rebalance timeout (kgo default 60s).
	// Default 20s; negative abandons at once.
	DrainTimeout time.Duration
	// RevokedMemory is how many revoked task ids the worker remembers, so
	// that a task message that arrives after its revoke is dropped.
	// Default 100,000.
	RevokedMemory int
	// Logger receives the worker's logs. Default: discarded.
	Logger *slog.Logger
	// Registerer registers the worker's metrics (see the package doc).
	// Default nil: no metrics.
	Registerer prometheus.Registerer
	// Hostname names the worker in events: the producer is
	// "worker/<Hostname>-<pid>". Default os.Hostname().
	Hostname string
	// StartedAfter is how long a task runs before the worker reports it
	// started (TaskStarted, state STARTED). A task that ends sooner, or
	// reports progress, is reported at once; one that ends within it has
	// no TaskStarted, as in Celery without task_track_started. Each
	// TaskStarted costs the engine a transaction, which for short tasks
	// costs more than the task. Default 10ms; negative reports every
	// start at once.
	StartedAfter time.Duration
	// ReadCommitted makes the worker read task messages only once the
	// engine's transaction that sent them has committed. By default it
	// reads them as soon as they are written, which is what lets a chain
	// step start before the engine commits (engine Config.CommitInterval
	// holds a transaction open for up to 100 ms). A message of a
	// transaction that then aborts may run; the engine sends the same
	// message again, and the worker skips it when it took the first from
	// the same partition (the task runs once more otherwise, as after a
	// crash: at least once, never lost).
	ReadCommitted bool
}

// Defaults of Config.
const (
	DefaultDrainTimeout  = 20 * time.Second
	DefaultRevokedMemory = 100_000
	DefaultStartedAfter  = 10 * time.Millisecond
)

// withDefaults returns c with its defaults filled in, or an error for a
// setting that cannot work.
func (c Config) withDefaults() (Config, error) {
	if c.Prefix == "" {
		c.Prefix = topic.DefaultPrefix
	}
	if len(c.Queues) == 0 {
		c.Queues = []string{topic.DefaultQueue}
	}
	seen := map[string]bool{}
	for _, q := range c.Queues {
		if q == "" {
			return c, errors.New("worker: empty queue name")
		}
		if seen[q] {
			return c, fmt.Errorf("worker: queue %s named twice", q)
		}
		seen[q] = true
	}
	if c.Concurrency < 0 {
		return c, fmt.Errorf("worker: concurrency %d is negative", c.Concurrency)
	}
	if c.Concurrency == 0 {
		c.Concurrency = runtime.NumCPU()
	}
	if c.Group == "" {
		c.Group = c.Prefix + "workers"
	}
	if c.Partitions < 0 || c.Replication < 0 {
		return c, errors.New("worker: negative partitions or replication")
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.DrainTimeout < 0 {
		c.DrainTimeout = 0
	}
	if c.RevokedMemory < 0 {
		return c, fmt.Errorf("worker: revoked memory %d is negative", c.RevokedMemory)
	}
	if c.RevokedMemory == 0 {
		c.RevokedMemory = DefaultRevokedMemory
	}
	if c.StartedAfter == 0 {
		c.StartedAfter = DefaultStartedAfter
	}
	if c.StartedAfter < 0 {
		c.StartedAfter = 0
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			h = "unknown"
		}
		c.Hostname = h
	}
	return c, nil
}

// identity is "<hostname>-<pid>", the worker's name in TaskStarted.
func (c Config) identity() string { return c.Hostname + "-" + strconv.Itoa(os.Getpid()) }

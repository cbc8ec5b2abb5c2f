package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/statestore"
)

// ReplayResult is what a replay rebuilt.
type ReplayResult struct {
	// Hash is the state hash of the rebuilt store.
	Hash [32]byte
	// Records is how many records were folded; Took how long it took.
	Records int64
	Took    time.Duration
}

// replayNodeCache is how many nodes of running workflows a replay keeps in
// memory between its transactions (statestore.WithNodeCacheSize): a
// chord of 250,000 tasks, about 40 MB plus the nodes' values.
const replayNodeCache = 250_000

// Replay rebuilds the state from offset 0 of every partition of the events
// topic into a fresh store at dir, up to the end of the log as it is when
// the replay starts (the last stable offset), and returns its hash. Fold's
// outputs are discarded: they are on the log already. One goroutine
// fetches and decodes a poll while another folds and commits the one
// before, in one Txn a poll; nodes stay in memory between transactions
// (replayNodeCache), and records of the types Fold ignores
// (projector.Inert) are counted without being decoded.
//
// Where the log ends is read from Kafka with retries: an error that may
// go away by itself (a broker restarting, a partition without a leader
// for a moment) is logged to log at warn and tried again, up to
// replayStartTries times, waits from 100 ms doubling to 5 s; others end
// the replay at once. log nil discards the logs.
//
// Commits are not synced one by one (statestore's durability); closing
// the store at the end syncs them. A replay that is interrupted, by a
// crash or by ctx, leaves a partial store in dir, which a replay refuses:
// start again in an empty directory.
func Replay(ctx context.Context, log *slog.Logger, brokers []string, prefix, dir string, fold projector.Config, opts ...kgo.Opt) (ReplayResult, error) {
	var res ReplayResult
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if prefix == "" {
		prefix = topic.DefaultPrefix
	}
	evTopic := topic.Names{Prefix: prefix}.Events()
	store, err := statestore.Open(dir, statestore.WithLimits(fold.Limits), statestore.WithNodeCacheSize(replayNodeCache))
	if err != nil {
		return res, err
	}
	defer store.Close()
	if empty, err := store.Empty(); err != nil || !empty {
		return res, errors.Join(err, fmt.Errorf("engine: replay needs a fresh data directory; %s holds a state", dir))
	}
	base := append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)
	admCl, err := kgo.NewClient(base...)
	if err != nil {
		return res, err
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	var (
		t       topicState
		noTopic bool
	)
	err = retryTransient(ctx, log, startWait, startMaxWait, replayStartTries, "look up topic "+evTopic, func(ctx context.Context) (err error) {
		t, err = lookUpTopic(ctx, adm, evTopic)
		noTopic = errors.Is(err, errNoTopic) // nothing to replay, nor to bind to
		if noTopic {
			return nil
		}
		return err
	})
	if err != nil {
		return res, err
	}
	var last map[int32]int64
	if !noTopic {
		if err := bindTopic(store, evTopic, t); err != nil {
			return res, err
		}
		err = retryTransient(ctx, log, startWait, startMaxWait, replayStartTries, "list the end offsets of "+evTopic, func(ctx context.Context) (err error) {
			last, err = replayEnds(ctx, admCl, evTopic)
			return err
		})
		if err != nil {
			return res, err
		}
	}
	t0 := time.Now()
	if len(last) > 0 {
		start := map[int32]kgo.Offset{}
		for p := range last {
			start[p] = kgo.NewOffset().AtStart()
		}
		cl, err := kgo.NewClient(append(base,
			kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{evTopic: start}),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.KeepControlRecords(),
		)...)
		if err != nil {
			return res, err
		}
		defer cl.Close()
		rp, err := newReplayer(store, evTopic, last, fold)
		if err != nil {
			return res, err
		}
		err = rp.run(ctx, cl)
		res.Records = rp.records
		if err != nil {
			return res, err
		}
	}
	res.Took = time.Since(t0)
	res.Hash, err = store.Hash()
	return res, err
}

// replayStartTries bounds the tries of each step of a replay's start
// (retryTransient): about 20 s of waits in all.
const replayStartTries = 10

// replayEnds returns, for every partition of evTopic that holds records,
// the offset of the last record below its last stable offset: with
// control records kept, that record is always seen. A partition whose
// end cannot be listed is an error, not a partition without records.
func replayEnds(ctx context.Context, cl *kgo.Client, evTopic string) (map[int32]int64, error) {
	ends, err := kadm.NewClient(cl).ListCommittedOffsets(ctx, evTopic)
	if err != nil {
		return nil, fmt.Errorf("engine: list end offsets of %s: %w", evTopic, err)
	}
	last := map[int32]int64{}
	var errs []error
	ends.Each(func(o kadm.ListedOffset) {
		switch {
		case o.Err != nil:
			errs = append(errs, fmt.Errorf("engine: list the end offset of %s partition %d: %w", evTopic, o.Partition, o.Err))
		case o.Offset > 0:
			last[o.Partition] = o.Offset - 1
		}
	})
	return last, errors.Join(errs...)
}

// replayer folds the events topic into a store in two stages that run at
// the same time: one goroutine fetches and decodes a poll's records while
// another folds the previous poll's events and commits them, one Txn per
// poll, up to the last offset of each partition.
type replayer struct {
	store  *statestore.Store
	codec  *events.Codec
	folder *projector.Folder
	topic  string
	// last holds the partitions still open and where they end; the
	// decoding stage owns it.
	last map[int32]int64
	// records belongs to the folding stage.
	records int64
}

// discard takes Fold's outputs during a replay: they are on the log
// already. Fold is given each event to take apart (FoldEachTaking): the
// batch that holds it is cleared once folded.
func discard(*events.Event) {}

// fetchSource is what a replay polls: a *kgo.Client consuming the events
// topic, read_committed, with control records kept.
type fetchSource interface {
	PollRecords(ctx context.Context, maxPollRecords int) kgo.Fetches
}

var _ fetchSource = (*kgo.Client)(nil)

// replayBatch is one poll's records, decoded, in the order they are
// folded, and the offset each partition is applied up to with them.
type replayBatch struct {
	evs     []*events.Event
	applied []appliedOffset
	// inert counts the records passed over as projector.Inert.
	inert int64
}

type appliedOffset struct {
	partition int32
	offset    int64
}

// replayPoll is how many records a replay fetches, decodes, folds and
// commits at a time.
const replayPoll = 10000

func newReplayer(store *statestore.Store, evTopic string, last map[int32]int64, fold projector.Config) (*replayer, error) {
	codec, err := events.NewCodec()
	if err != nil {
		return nil, err
	}
	return &replayer{store: store, codec: codec, folder: projector.New(fold), topic: evTopic, last: last}, nil
}

// run folds src up to the end of every partition in rp.last.
func (rp *replayer) run(ctx context.Context, src fetchSource) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// One batch decoded ahead of the one folding: the two stages overlap
	// and at most three polls' events are in memory.
	batches := make(chan *replayBatch, 1)
	free := make(chan *replayBatch, 3)
	decoded := make(chan error, 1)
	go func() {
		defer close(batches)
		decoded <- rp.decodeAll(ctx, src, batches, free)
	}()
	var ferr error
	for b := range batches {
		if ferr == nil {
			if ferr = rp.fold(b); ferr != nil {
				cancel() // and drain: the decoder stops at its next send
			}
		}
		clear(b.evs)
		b.evs, b.applied, b.inert = b.evs[:0], b.applied[:0], 0
		select {
		case free <- b:
		default:
		}
	}
	if err := <-decoded; ferr == nil {
		return err
	}
	return ferr
}

// decodeAll polls src and sends each poll's decoded events to batches
// until every partition is read to its end, reusing the batches on free.
func (rp *replayer) decodeAll(ctx context.Context, src fetchSource, batches chan<- *replayBatch, free <-chan *replayBatch) error {
	for len(rp.last) > 0 {
		fetches := src.PollRecords(ctx, replayPoll)
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fetches.Err(); err != nil {
			return fmt.Errorf("engine: replay: %w", err)
		}
		var b *replayBatch
		select {
		case b = <-free:
		default:
			b = &replayBatch{evs: make([]*events.Event, 0, replayPoll)}
		}
		rp.decode(fetches, b)
		select {
		case batches <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// decode decodes the records of fetches that are up to their partition's
// end into b, skipping what the live engine set aside and passing over
// the events Fold would not change anything for (projector.Inert).
func (rp *replayer) decode(fetches kgo.Fetches, b *replayBatch) {
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		end, open := rp.last[p.Partition]
		if !open {
			return
		}
		applied := int64(-1)
		for _, r := range p.Records {
			if r.Offset > end {
				break
			}
			applied = r.Offset
			if r.Attrs.IsControl() {
				continue
			}
			// Fold's own outputs, two records in three of a typical log,
			// would change nothing: they are counted, not decoded.
			if wf, kind, ok := rp.codec.Peek(r.Value); ok && projector.Inert(kind) {
				if string(wf) == string(r.Key) {
					b.inert++
				}
				continue
			}
			ev, err := rp.codec.DecodeShared(r.Value)
			if err != nil || string(r.Key) != ev.Workflow {
				continue // set aside by the live engine
			}
			b.evs = append(b.evs, ev)
		}
		if applied >= 0 {
			b.applied = append(b.applied, appliedOffset{p.Partition, applied})
		}
		if applied == end {
			delete(rp.last, p.Partition)
		}
	})
}

// fold folds b's events in one Txn and commits them with the applied
// offsets they cover.
func (rp *replayer) fold(b *replayBatch) error {
	rp.records += b.inert
	txn := rp.store.Begin()
	for _, ev := range b.evs {
		if err := rp.folder.FoldEachTaking(txn, ev, discard); err != nil && !errors.Is(err, projector.ErrBadEvent) {
			txn.Discard()
			return err
		}
		rp.records++
	}
	for _, a := range b.applied {
		txn.SetApplied(rp.topic, a.partition, a.offset)
	}
	return txn.Commit()
}

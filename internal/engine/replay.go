package engine

import (
	"context"
	"errors"
	"fmt"
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
// outputs are discarded: they are on the log already.
func Replay(ctx context.Context, brokers []string, prefix, dir string, fold projector.Config, opts ...kgo.Opt) (ReplayResult, error) {
	var res ReplayResult
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
	last, err := replayEnds(ctx, admCl, evTopic)
	if err != nil {
		return res, err
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
		for !rp.done() {
			fetches := cl.PollRecords(ctx, 10000)
			if err := ctx.Err(); err != nil {
				return res, err
			}
			if err := fetches.Err(); err != nil {
				return res, fmt.Errorf("engine: replay: %w", err)
			}
			if err := rp.apply(fetches); err != nil {
				return res, err
			}
		}
		res.Records = rp.records
	}
	res.Took = time.Since(t0)
	res.Hash, err = store.Hash()
	return res, err
}

// replayEnds returns, for every partition of evTopic that holds records,
// the offset of the last record below its last stable offset: with
// control records kept, that record is always seen.
func replayEnds(ctx context.Context, cl *kgo.Client, evTopic string) (map[int32]int64, error) {
	ends, err := kadm.NewClient(cl).ListCommittedOffsets(ctx, evTopic)
	if err != nil {
		return nil, fmt.Errorf("engine: list end offsets of %s: %w", evTopic, err)
	}
	last := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			last[o.Partition] = o.Offset - 1
		}
	})
	return last, nil
}

// replayer folds fetched records of the events topic into a store, one
// Txn per fetch, up to the last offset of each partition.
type replayer struct {
	store   *statestore.Store
	codec   *events.Codec
	folder  *projector.Folder
	topic   string
	last    map[int32]int64 // partitions still open, and where they end
	out     []events.Event
	records int64
}

func newReplayer(store *statestore.Store, evTopic string, last map[int32]int64, fold projector.Config) (*replayer, error) {
	codec, err := events.NewCodec()
	if err != nil {
		return nil, err
	}
	return &replayer{store: store, codec: codec, folder: projector.New(fold), topic: evTopic, last: last}, nil
}

// done reports whether every partition was folded up to its end.
func (rp *replayer) done() bool { return len(rp.last) == 0 }

// apply folds the records of fetches and commits them with the applied
// offsets they cover.
func (rp *replayer) apply(fetches kgo.Fetches) error {
	txn := rp.store.Begin()
	var ferr error
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		end, open := rp.last[p.Partition]
		if !open || ferr != nil {
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
			ev, err := rp.codec.Decode(r.Value)
			if err != nil || string(r.Key) != ev.Workflow {
				continue // set aside by the live engine
			}
			if rp.out, err = rp.folder.Fold(txn, ev, rp.out[:0]); err != nil && !errors.Is(err, projector.ErrBadEvent) {
				ferr = err
				return
			}
			rp.records++
		}
		if applied >= 0 {
			txn.SetApplied(rp.topic, p.Partition, applied)
		}
		if applied == end {
			delete(rp.last, p.Partition)
		}
	})
	if ferr != nil {
		txn.Discard()
		return ferr
	}
	return txn.Commit()
}

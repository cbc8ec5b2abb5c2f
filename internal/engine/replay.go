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
	store, err := statestore.Open(dir, statestore.WithLimits(fold.Limits))
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
	ends, err := kadm.NewClient(admCl).ListCommittedOffsets(ctx, evTopic)
	if err != nil {
		return res, fmt.Errorf("engine: list end offsets of %s: %w", evTopic, err)
	}
	// Each partition is read through its last stable offset; with control
	// records kept, the record just below it is always seen.
	last := map[int32]int64{}
	start := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			last[o.Partition] = o.Offset - 1
			start[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	t0 := time.Now()
	if len(last) > 0 {
		cl, err := kgo.NewClient(append(base,
			kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{evTopic: start}),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.KeepControlRecords(),
		)...)
		if err != nil {
			return res, err
		}
		defer cl.Close()
		codec, err := events.NewCodec()
		if err != nil {
			return res, err
		}
		folder := projector.New(fold)
		var out []events.Event
		for len(last) > 0 {
			fetches := cl.PollRecords(ctx, 10000)
			if err := ctx.Err(); err != nil {
				return res, err
			}
			if err := fetches.Err(); err != nil {
				return res, fmt.Errorf("engine: replay: %w", err)
			}
			txn := store.Begin()
			var ferr error
			fetches.EachPartition(func(p kgo.FetchTopicPartition) {
				end, open := last[p.Partition]
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
					ev, err := codec.Decode(r.Value)
					if err != nil || string(r.Key) != ev.Workflow {
						continue // set aside by the live engine
					}
					if out, err = folder.Fold(txn, ev, out[:0]); err != nil && !errors.Is(err, projector.ErrBadEvent) {
						ferr = err
						return
					}
					res.Records++
				}
				if applied >= 0 {
					txn.SetApplied(evTopic, p.Partition, applied)
				}
				if applied == end {
					delete(last, p.Partition)
				}
			})
			if ferr != nil {
				txn.Discard()
				return res, ferr
			}
			if err := txn.Commit(); err != nil {
				return res, err
			}
		}
	}
	res.Took = time.Since(t0)
	res.Hash, err = store.Hash()
	return res, err
}

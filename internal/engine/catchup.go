package engine

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// catchUp brings the store up to the group's committed offset for
// partitions this engine just gained: after a crash between the Kafka and
// the store commits, or when the partition was another engine's. The
// missing records are folded with outputs suppressed: they were produced
// by the transaction that committed those offsets.
//
// The record at committed offset-1 is always visible to a read_committed
// consumer (the engine consumed it under read_committed), so reaching it
// ends the catch-up.
//
// A partition whose committed offset cannot be read is not passed over:
// the session would then consume it from that offset on a store that
// lacks what lies before. Kafka errors that may go away by themselves
// restart the session (restartIfTransient), whose assignment catches up
// again; the others stop the engine.
func (e *Engine) catchUp(ctx context.Context, partitions []int32) error {
	evTopic := e.names.Events()
	// Stable offsets, as the session asks for (RequireStableFetchOffsets):
	// while the previous owner's transaction that commits offsets is still
	// open, an unstable read would give the offset before it, catch up to
	// there, and leave out what lies between it and the offset the session
	// then starts at. Kafka answers UNSTABLE_OFFSET_COMMIT meanwhile, which
	// restarts the session.
	committed, err := e.adm.FetchOffsets(kadm.RequireStable(ctx), e.cfg.Group)
	if err != nil {
		return restartIfTransient(fmt.Errorf("engine: fetch committed offsets: %w", err))
	}
	for _, p := range partitions {
		c, ok := committed.Lookup(evTopic, p)
		if ok && c.Err != nil {
			return restartIfTransient(fmt.Errorf("engine: committed offset of %s partition %d: %w", evTopic, p, c.Err))
		}
		if !ok || c.At <= 0 {
			continue // nothing committed: nothing to catch up
		}
		applied, known, err := e.store.Applied(evTopic, p)
		if err != nil {
			return err
		}
		start := int64(0)
		if known {
			start = applied + 1
		}
		if start >= c.At {
			continue
		}
		if err := e.replayPartition(ctx, p, start, c.At-1); err != nil {
			return err
		}
	}
	return nil
}

// restartIfTransient wraps err, which a request to Kafka returned while
// catching up, in errRestart when it may go away by itself (transient: a
// broker restarting or moving a partition, a coordinator not ready, a
// connection lost, a topic id the metadata does not know yet), so that
// the runner makes a new session and catches up again, logging why at
// warn each time. What retrying cannot mend (kafkaopt.Permanent: rights
// the engine lacks, a Kafka error that is not retriable, records the
// broker lost) is returned as it is and stops the engine. nil stays nil.
func restartIfTransient(err error) error {
	if err == nil || !transient(err) {
		return err
	}
	return fmt.Errorf("%w: %w", errRestart, err)
}

// replayPartition folds the records of one events partition from offset
// from through offset to, with outputs suppressed.
func (e *Engine) replayPartition(ctx context.Context, p int32, from, to int64) error {
	evTopic := e.names.Events()
	e.log.Info("engine: catching up", "partition", p, "from", from, "to", to)
	cl, err := kgo.NewClient(append(e.kopts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{evTopic: {p: kgo.NewOffset().At(from)}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	n := 0
	for {
		fetches := cl.PollRecords(ctx, e.cfg.MaxBatch)
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fetches.Err0(); err != nil {
			return restartIfTransient(fmt.Errorf("engine: catch up partition %d: %w", p, err))
		}
		if err := e.checkFetches(fetches); err != nil {
			return err
		}
		txn := e.store.Begin()
		last, done := int64(-1), false
		fetches.EachRecord(func(r *kgo.Record) {
			if done || err != nil || r.Offset > to {
				done = true
				return
			}
			_, err = e.apply(txn, r, nil)
			last = r.Offset
			n++
			done = r.Offset == to
		})
		if err != nil {
			txn.Discard()
			return err
		}
		if last >= 0 {
			txn.SetApplied(evTopic, p, last)
		}
		if err := txn.Commit(); err != nil {
			return err
		}
		if done {
			e.log.Info("engine: caught up", "partition", p, "records", n)
			e.notifyChanged()
			e.wakeTimers()
			return nil
		}
	}
}

package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// Kafka can leave one of the engine's transactions open on the group's
// partition of __consumer_offsets: seen with Kafka 4.4 (transaction
// version 2) when the broker stopped while the engine ended a
// transaction. The coordinator then reports the transaction complete,
// but its marker never reached __consumer_offsets, so the offsets it
// committed stay pending for ever. The engine's consumer group fetches
// its offsets with require_stable (KIP-447), which answers
// UNSTABLE_OFFSET_COMMIT while they are pending: after the next
// rebalance the group session never starts fetching and the projector
// folds nothing, without an error (bug 7 in docs/RELIABILITY.md).
//
// watchHanging finds such a transaction and aborts it on that partition,
// as `kafka-transactions.sh abort` would. Aborting is safe for the
// engine: the outputs of the transaction are on other partitions, which
// got their markers; losing its offset commit only rewinds the group to
// the offsets committed before, and the records the store applied
// already are skipped when they are consumed again.

// hangingEvery is how often watchHanging looks.
const hangingEvery = 20 * time.Second

// offsetsTopic is Kafka's internal topic of committed offsets.
const offsetsTopic = "__consumer_offsets"

// openTxn is a transaction of the engine open on offsetsTopic.
type openTxn struct {
	partition int32
	epoch     int16
	start     int64
}

// watchHanging looks every hangingEvery for transactions Kafka left open,
// until ctx is done.
func (e *Engine) watchHanging(ctx context.Context) {
	t := time.NewTicker(hangingEvery)
	defer t.Stop()
	var open map[openTxn]bool
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		open = e.abortHanging(ctx, open)
	}
}

// abortHanging aborts the transactions staleTxns finds, when it found
// them the time before too (in prev). It returns those it found now.
func (e *Engine) abortHanging(ctx context.Context, prev map[openTxn]bool) map[openTxn]bool {
	ctx, cancel := context.WithTimeout(ctx, hangingEvery)
	defer cancel()
	stale, coordEpoch, err := e.staleTxns(ctx)
	if err != nil {
		e.log.Debug("engine: cannot look for transactions Kafka left open", "err", err)
		return nil
	}
	open := map[openTxn]bool{}
	for o, p := range stale {
		open[o] = true
		log := e.log.With("topic", offsetsTopic, "partition", p.Partition, "start_offset", p.CurrentTxnStartOffset,
			"producer_id", p.ProducerID, "producer_epoch", p.ProducerEpoch, "coordinator_epoch", coordEpoch)
		if !prev[o] {
			log.Warn("engine: Kafka left a transaction open that blocks the group's offsets; aborting it if it stays open")
			continue
		}
		var one kadm.TopicsSet
		one.Add(offsetsTopic, p.Partition)
		res, err := e.adm.WriteTxnMarkers(ctx, kadm.TxnMarkers{
			ProducerID: p.ProducerID, ProducerEpoch: p.ProducerEpoch, CoordinatorEpoch: p.CoordinatorEpoch, Topics: one,
		})
		if err == nil {
			res.EachPartition(func(r kadm.TxnMarkersPartitionResponse) {
				if r.Err != nil {
					err = r.Err
				}
			})
		}
		if err != nil {
			log.Error("engine: cannot abort the transaction Kafka left open; abort it with "+
				fmt.Sprintf("kafka-transactions.sh abort --topic %s --partition %d --start-offset %d", offsetsTopic, p.Partition, p.CurrentTxnStartOffset),
				"err", err)
			continue
		}
		log.Warn("engine: aborted a transaction Kafka left open")
	}
	return open
}

// staleTxns returns the engine's transactions open on offsetsTopic in an
// epoch its coordinator has left behind, and the coordinator's epoch.
func (e *Engine) staleTxns(ctx context.Context) (map[openTxn]kadm.DescribedProducer, int16, error) {
	// The coordinator first. With transaction version 2 the producer
	// epoch grows with every transaction, and the coordinator leaves the
	// Prepare states for a later epoch only once every marker of the
	// transaction before is written: an open transaction in an older
	// epoch will never get one. (With version 1 the epoch stays the same,
	// and nothing is found here.)
	id := e.txnID()
	txns, err := e.adm.DescribeTransactions(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	txn, ok := txns[id]
	switch {
	case !ok:
		return nil, 0, nil // no transaction yet
	case txn.Err != nil:
		return nil, 0, txn.Err
	}
	switch txn.State {
	case "Empty", "Ongoing", "CompleteCommit", "CompleteAbort":
	default:
		return nil, txn.ProducerEpoch, nil // markers may be on their way
	}
	topics, err := e.adm.ListTopicsWithInternal(ctx, offsetsTopic)
	if err != nil {
		return nil, 0, err
	}
	var parts kadm.TopicsSet
	parts.Add(offsetsTopic, topics[offsetsTopic].Partitions.Numbers()...)
	if len(parts[offsetsTopic]) == 0 {
		return nil, 0, fmt.Errorf("engine: no partitions of %s: %w", offsetsTopic, topics[offsetsTopic].Err)
	}
	producers, err := e.adm.DescribeProducers(ctx, parts)
	if err != nil {
		return nil, 0, err
	}
	stale := map[openTxn]kadm.DescribedProducer{}
	producers.EachProducer(func(p kadm.DescribedProducer) {
		if p.ProducerID == txn.ProducerID && p.CurrentTxnStartOffset >= 0 && p.ProducerEpoch < txn.ProducerEpoch {
			stale[openTxn{partition: p.Partition, epoch: p.ProducerEpoch, start: p.CurrentTxnStartOffset}] = p
		}
	})
	return stale, txn.ProducerEpoch, nil
}

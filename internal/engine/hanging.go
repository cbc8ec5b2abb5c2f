package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// Kafka can leave one of the engine's transactions open after telling
// the engine how it ended: seen with Kafka 4.4 (transaction version 2)
// when the broker stopped just after a commit. The coordinator then
// reports the transactional id complete in a later epoch, but the
// transaction's markers never reached some of its partitions, so they
// stay open for ever. On the group's partition of __consumer_offsets its
// offset commit stays pending: the group fetches its offsets with
// require_stable (KIP-447), which answers UNSTABLE_OFFSET_COMMIT, so
// after the next rebalance the session never starts fetching and the
// projector folds nothing, without an error (bug 7 in
// docs/RELIABILITY.md). On a partition of the events or a tasks topic the
// last stable offset stops at it, and read_committed readers (this
// engine, the workers) see nothing after it.
//
// watchHanging finds such transactions and writes the markers Kafka owes:
// the outcome Kafka acknowledged to this engine when it ended the
// transaction, which the engine's state follows (committed: the state
// kept the batch; aborted: it dropped it and consumes it again). A
// transaction whose end this engine did not see acknowledged is left to
// an operator, with the command in the log.

// hangingEvery is how often watchHanging looks.
const hangingEvery = 20 * time.Second

// offsetsTopic is Kafka's internal topic of committed offsets.
const offsetsTopic = "__consumer_offsets"

// endedMemory is how many transaction outcomes the engine remembers.
const endedMemory = 256

// ended remembers how the engine's last transactions ended, by producer
// epoch (transaction version 2 gives each transaction its own).
type ended struct {
	mu        sync.Mutex
	committed map[int16]bool
	order     []int16
}

// add records that the transaction of epoch ended as Kafka acknowledged.
func (n *ended) add(epoch int16, committed bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.committed == nil {
		n.committed = map[int16]bool{}
	}
	if _, ok := n.committed[epoch]; !ok {
		n.order = append(n.order, epoch)
		if len(n.order) > endedMemory {
			delete(n.committed, n.order[0])
			n.order = n.order[1:]
		}
	}
	n.committed[epoch] = committed
}

// outcome says how the transaction of epoch ended, if known.
func (n *ended) outcome(epoch int16) (committed, known bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	committed, known = n.committed[epoch]
	return committed, known
}

// staleTxn is a transaction of the engine open on some partitions in an
// epoch its coordinator has left behind.
type staleTxn struct {
	producerID int64
	epoch      int16
	parts      []kadm.DescribedProducer // where it is open
}

// watchHanging looks every hangingEvery for transactions Kafka left open,
// until ctx is done.
func (e *Engine) watchHanging(ctx context.Context) {
	t := time.NewTicker(hangingEvery)
	defer t.Stop()
	var seen map[string]bool
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		seen = e.endHanging(ctx, seen)
	}
}

// endHanging writes the markers of the stale transactions it found the
// time before too, in the same partitions and offsets (seen). It returns
// those it found now.
func (e *Engine) endHanging(ctx context.Context, seen map[string]bool) map[string]bool {
	ctx, cancel := context.WithTimeout(ctx, hangingEvery)
	defer cancel()
	stale, err := e.staleTxns(ctx)
	if err != nil {
		e.log.Debug("engine: cannot look for transactions Kafka left open", "err", err)
		return nil
	}
	now := map[string]bool{}
	for _, s := range stale {
		var where []string
		set := kadm.TopicsSet{}
		for _, p := range s.parts {
			where = append(where, fmt.Sprintf("%s/%d@%d", p.Topic, p.Partition, p.CurrentTxnStartOffset))
			set.Add(p.Topic, p.Partition)
		}
		key := fmt.Sprint(s.producerID, s.epoch, where)
		now[key] = true
		committed, known := e.ended.outcome(s.epoch)
		log := e.log.With("producer_id", s.producerID, "producer_epoch", s.epoch, "open", strings.Join(where, " "), "committed", committed)
		switch {
		case !known:
			log.Error("engine: Kafka left a transaction open whose end this engine did not see; end it by hand, e.g. kafka-transactions.sh abort --topic T --partition P --start-offset O, once you know how it ended")
			continue
		case !seen[key]:
			log.Warn("engine: Kafka left a transaction open after it ended; writing its markers if it stays open")
			continue
		}
		res, err := e.adm.WriteTxnMarkers(ctx, kadm.TxnMarkers{
			ProducerID: s.producerID, ProducerEpoch: s.epoch, Commit: committed,
			CoordinatorEpoch: s.parts[0].CoordinatorEpoch, Topics: set,
		})
		if err == nil {
			res.EachPartition(func(r kadm.TxnMarkersPartitionResponse) {
				if r.Err != nil {
					err = fmt.Errorf("%s/%d: %w", r.Topic, r.Partition, r.Err)
				}
			})
		}
		if err != nil {
			log.Error("engine: cannot write the markers of a transaction Kafka left open", "err", err)
			continue
		}
		log.Warn("engine: wrote the markers of a transaction Kafka left open")
	}
	return now
}

// staleTxns returns the engine's transactions open on its topics or on
// offsetsTopic in an epoch its coordinator has left behind.
func (e *Engine) staleTxns(ctx context.Context) ([]staleTxn, error) {
	// The coordinator first. With transaction version 2 the producer
	// epoch grows with every transaction, and the coordinator leaves the
	// Prepare states for a later epoch only once it has written every
	// marker of the transaction before: an open transaction in an older
	// epoch will never get one. (With version 1 the epoch stays the same,
	// and nothing is found here.)
	id := e.txnID()
	txns, err := e.adm.DescribeTransactions(ctx, id)
	if err != nil {
		return nil, err
	}
	txn, ok := txns[id]
	switch {
	case !ok:
		return nil, nil // no transaction yet
	case txn.Err != nil:
		return nil, txn.Err
	}
	switch txn.State {
	case "Empty", "Ongoing", "CompleteCommit", "CompleteAbort":
	default:
		return nil, nil // markers may be on their way
	}
	topics, err := e.adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return nil, err
	}
	parts := kadm.TopicsSet{}
	for name, t := range topics {
		if name == offsetsTopic || strings.HasPrefix(name, e.cfg.Prefix) {
			parts.Add(name, t.Partitions.Numbers()...)
		}
	}
	producers, err := e.adm.DescribeProducers(ctx, parts)
	if err != nil {
		return nil, err
	}
	var stale []staleTxn
	producers.EachProducer(func(p kadm.DescribedProducer) {
		if p.ProducerID != txn.ProducerID || p.CurrentTxnStartOffset < 0 || p.ProducerEpoch >= txn.ProducerEpoch {
			return
		}
		i := slices.IndexFunc(stale, func(s staleTxn) bool { return s.epoch == p.ProducerEpoch })
		if i < 0 {
			stale = append(stale, staleTxn{producerID: p.ProducerID, epoch: p.ProducerEpoch})
			i = len(stale) - 1
		}
		stale[i].parts = append(stale[i].parts, p)
	})
	for _, s := range stale {
		slices.SortFunc(s.parts, func(a, b kadm.DescribedProducer) int {
			return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
		})
	}
	return stale, nil
}

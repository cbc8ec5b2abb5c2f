package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/statestore"
)

// maxDeferred is the most events-topic records a transaction holds back
// (openTxn.produce); past it they go out at once, and the transaction
// ends with its batch.
const maxDeferred = 4096

// commitIdle ends an open transaction early: when no record came for
// this long, the next is further off than a commit takes.
const commitIdle = 5 * time.Millisecond

// openTxn is one Kafka transaction of the engine and the state it
// carries. It may span several polled batches: it begins with the first
// output and stays open for Config.CommitInterval, or until no record
// came for commitIdle, so that a chain's steps share one transaction
// instead of waiting for one each.
//
// What keeps that fast is where the outputs go while it is open. Task and
// control messages are produced at once: workers read the tasks topics
// read_uncommitted and start a task before its transaction ends. The
// events-topic records (TaskDispatched and the rest) are held back until
// the end: a record of an open transaction on an events partition would
// hold that partition's last stable offset, and the engine, reading
// read_committed, would not see a worker's report until the commit. So a
// hop of a chain is a worker's report, the fold, and a task message, not
// a transaction.
//
// Should the transaction abort, nothing of it is lost or doubled: the
// store's changes are discarded, the session rewinds to the committed
// offsets, and Fold, being deterministic, sends the same task messages
// again. A worker may have run a task from the aborted message; its
// report is on the log after the record that led to the task, so the
// engine folds the dispatch again before the report, and a second report
// of the same attempt is folded as a duplicate. Workers skip a message
// whose task and attempt they already took from the same partition.
type openTxn struct {
	e       *Engine
	sess    *kgo.GroupTransactSession
	events  string // the events topic
	txn     *statestore.Txn
	ctx     context.Context
	cancel  context.CancelFunc
	promise *kgo.FirstErrPromise

	begun    bool // a Kafka transaction is open (an output was produced)
	beginErr error
	// deadline is when the transaction is to end: CommitInterval after
	// it began.
	deadline time.Time
	// epoch is the transaction's, to know how it ended should Kafka
	// leave it open (hanging.go).
	epoch    int16
	epochErr error
	// deferred are the events-topic records held back until the end;
	// flushed says they went out early (maxDeferred), and the
	// transaction ends with its batch.
	deferred []*kgo.Record
	flushed  bool

	folded int  // records folded
	timers bool // timers scheduled
}

func (e *Engine) newOpenTxn(ctx context.Context, sess *kgo.GroupTransactSession) *openTxn {
	// A transaction that cannot finish in txnTimeout (Kafka gone quiet
	// mid-transaction) ends in error and the session is made anew,
	// instead of waiting for ever.
	txCtx, cancel := context.WithTimeout(ctx, txnTimeout)
	return &openTxn{
		e: e, sess: sess, events: e.names.Events(), txn: e.store.Begin(),
		ctx: txCtx, cancel: cancel, promise: kgo.AbortingFirstErrPromise(sess.Client()),
	}
}

// produce sends one output in the transaction, beginning it first.
func (o *openTxn) produce(r *kgo.Record) {
	if o.beginErr != nil {
		return
	}
	if !o.begun {
		if o.beginErr = o.sess.Begin(); o.beginErr != nil {
			o.promise.Promise()(r, o.beginErr)
			return
		}
		o.begun = true
		o.deadline = time.Now().Add(o.e.cfg.CommitInterval)
		_, o.epoch, o.epochErr = o.sess.Client().ProducerID(o.ctx)
	}
	if r.Topic == o.events && !o.flushed {
		if r.Timestamp.IsZero() {
			r.Timestamp = time.Now() // when it was decided, not sent
		}
		o.deferred = append(o.deferred, r)
		if len(o.deferred) >= maxDeferred {
			o.flush()
			o.flushed = true
		}
		return
	}
	o.sess.Produce(o.ctx, r, o.promise.Promise())
}

func (o *openTxn) flush() {
	for i, r := range o.deferred {
		o.sess.Produce(o.ctx, r, o.promise.Promise())
		o.deferred[i] = nil
	}
	o.deferred = o.deferred[:0]
}

// end sends the deferred records and ends the transaction: a commit if
// every produce succeeded, else an abort, after which the session
// rewinds to the committed offsets and the batches are consumed again.
// The store commits after Kafka did; should it fail, Kafka has the
// outputs and the store catches up from the log on restart.
func (o *openTxn) end(ctx context.Context) (bool, error) {
	e := o.e
	defer o.cancel()
	o.flush()
	try := o.promise.Err() == nil && (e.abortEnd == nil || !e.abortEnd())
	committed, endErr := o.sess.End(o.ctx, kgo.TransactionEndTry(try))
	if endErr == nil && o.epochErr == nil {
		e.ended.add(o.epoch, committed)
	}
	if !committed {
		o.txn.Discard()
		e.m.txns.WithLabelValues("aborted").Inc()
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if endErr != nil {
			return false, fmt.Errorf("%w: end: %v", errRestart, endErr)
		}
		if err := o.promise.Err(); err != nil {
			e.log.Warn("engine: transaction aborted; its batches will be consumed again", "err", err)
		} else if !try {
			e.log.Info("engine: transaction aborted (Engine.abortEnd); its batches will be consumed again")
		} else {
			// franz-go aborts, without an error, a transaction during
			// which the group took partitions away or rebalanced: what
			// it consumed may belong to another engine now.
			e.log.Info("engine: transaction aborted: the group rebalanced while it ran; its batches will be consumed again")
		}
		return false, nil
	}
	e.m.txns.WithLabelValues("committed").Inc()
	if err := o.txn.Commit(); err != nil {
		return false, fmt.Errorf("engine: commit state: %w", err)
	}
	return true, nil
}

// abandon discards the transaction's state and aborts it in Kafka, when
// the loop stops in the middle of one (a fold error, the engine
// stopping). The next owner of its partitions folds its batches again.
func (o *openTxn) abandon() {
	defer o.cancel()
	o.txn.Discard()
	o.deferred = nil
	if !o.begun {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), abandonTimeout)
	defer cancel()
	if committed, err := o.sess.End(ctx, kgo.TryAbort); err == nil && o.epochErr == nil {
		o.e.ended.add(o.epoch, committed)
	}
	o.e.m.txns.WithLabelValues("aborted").Inc()
}

// abandonTimeout bounds the abort of an abandoned transaction.
const abandonTimeout = 10 * time.Second

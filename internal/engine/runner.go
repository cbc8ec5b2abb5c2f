package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/statestore"
)

func now() int64 { return time.Now().UnixMicro() }

// producer sends one record; nil while catching up, when outputs were
// produced before and must not be again.
type producer func(*kgo.Record)

// errRestart says the transactional session must be made anew: franz-go
// retries what can be retried inside a transaction's End, so an error from
// it (a broker that restarted, a fenced producer) leaves the session
// unusable.
var errRestart = errors.New("engine: restart the transactional session")

// runProjector runs the consume -> fold -> produce loop, making a new
// session whenever the old one cannot go on. Nothing is lost in between:
// the aborted batch is consumed again from the committed offsets, and the
// new session's assignment catches the store up.
func (e *Engine) runProjector(ctx context.Context) error {
	if !e.cfg.StayInGroup {
		defer e.leaveGroup()
	}
	retry := time.NewTimer(0)
	defer retry.Stop()
	<-retry.C
	var delay time.Duration
	for {
		began := time.Now()
		err := e.runSession(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, errRestart) {
			return err
		}
		delay = restartDelay(delay, time.Since(began))
		e.log.Warn("engine: restarting the transactional session", "err", err, "in", delay)
		retry.Reset(delay)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-retry.C:
		}
	}
}

// The waits before a new session: the first after a session that ran
// for restartHealthy or longer, doubling while sessions keep failing
// sooner, up to restartMaxDelay. An error that does not pass (a topic id
// the broker keeps not knowing) then costs a warning and a session every
// restartMaxDelay, not every second, and a broker back from a restart
// is met within restartMaxDelay.
const (
	restartMinDelay = time.Second
	restartMaxDelay = 16 * time.Second
	restartHealthy  = time.Minute
)

// restartDelay is the wait before the next session, given the wait before
// the one that failed (0 for the first) and how long it ran.
func restartDelay(prev, ran time.Duration) time.Duration {
	if prev == 0 || ran >= restartHealthy {
		return restartMinDelay
	}
	return min(2*prev, restartMaxDelay)
}

// leaveTimeout bounds the LeaveGroup of a stopping engine.
const leaveTimeout = 5 * time.Second

// leaveGroup takes the engine's static member out of the group, so that
// the other engines take its partitions now rather than once its session
// times out: a static member's client does not leave on close (kgo.InstanceID).
// A broker that cannot be reached only costs that wait.
func (e *Engine) leaveGroup() {
	ctx, cancel := context.WithTimeout(context.Background(), leaveTimeout)
	defer cancel()
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = e.cfg.Group
	m := kmsg.NewLeaveGroupRequestMember()
	m.InstanceID = &e.cfg.InstanceID
	req.Members = append(req.Members, m)
	resp, err := req.RequestWith(ctx, e.producer)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
		for _, m := range resp.Members {
			err = errors.Join(err, kerr.ErrorForCode(m.ErrorCode))
		}
	}
	switch {
	case errors.Is(err, kerr.UnknownMemberID):
		// Not in the group (never joined, or its session had ended).
	case err != nil:
		e.log.Warn("engine: could not leave the group; its partitions wait for the session timeout", "group", e.cfg.Group, "instance", e.cfg.InstanceID, "err", err)
	default:
		e.log.Info("engine: left the group", "group", e.cfg.Group, "instance", e.cfg.InstanceID)
	}
}

// txnID is the engine's transactional id.
func (e *Engine) txnID() string { return e.cfg.Prefix + "engine-" + e.cfg.InstanceID }

// txnTimeout bounds one transaction, from its first produce to its end.
const txnTimeout = time.Minute

// pollWait bounds one poll, so that partitions gained in a rebalance are
// caught up (and their timers armed) even when no record arrives.
const pollWait = time.Second

// runSession is one transactional session's consume -> fold -> produce loop.
func (e *Engine) runSession(ctx context.Context) error {
	var (
		mu       sync.Mutex
		assigned []int32
		// endPoll ends the poll under way, so that partitions just
		// assigned are caught up (and answered for) at once rather
		// than when the poll times out.
		endPoll context.CancelFunc
		// revoked says the session reported a revocation since the last
		// End: it reports no other until its next End, so the loop ends
		// one soon after, even when it has nothing to send (idleEnd).
		revoked atomic.Bool
	)
	evTopic := e.names.Events()
	lose := func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
		e.held.revoke(m[evTopic])
		revoked.Store(true)
	}
	sess, err := kgo.NewGroupTransactSession(append(e.kopts,
		kgo.TransactionalID(e.txnID()),
		// The member's client id carries the URL other engines forward
		// this engine's requests to (owners.go).
		kgo.ClientID(memberClientID(e.cfg.Advertise)),
		kgo.ConsumerGroup(e.cfg.Group),
		// A static member: the next session, or the engine restarted on
		// the same data, replaces this one at once (Config.InstanceID).
		kgo.InstanceID(e.cfg.InstanceID),
		kgo.ConsumeTopics(evTopic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(func(_ context.Context, cl *kgo.Client, m map[string][]int32) {
			member, _ := cl.GroupMetadata()
			e.held.assign(member, m[evTopic])
			mu.Lock()
			assigned = append(assigned, m[evTopic]...)
			if endPoll != nil {
				endPoll()
			}
			mu.Unlock()
		}),
		kgo.OnPartitionsRevoked(lose),
		kgo.OnPartitionsLost(lose),
	)...)
	if err != nil {
		return fmt.Errorf("engine: transactional session: %w", err)
	}
	defer sess.Close()
	defer e.held.reset()
	e.log.Info("engine: projector started", "group", e.cfg.Group, "topic", evTopic, "instance", e.cfg.InstanceID)

	unsent := false   // offsets consumed, not yet committed to Kafka
	var open *openTxn // the transaction the loop folds into; nil between them
	defer func() {
		if open != nil { // stopping: the next owner folds its batches again
			open.abandon()
		}
	}()
	// end ends the open transaction: it commits, or aborts and the session
	// rewinds to the committed offsets.
	end := func() error {
		o := open
		open = nil
		revoked.Store(false) // End lets the session report the next one
		committed, err := o.end(ctx)
		if err != nil {
			return err
		}
		if committed {
			unsent = false
			e.finished(o.folded, o.timers)
		}
		return nil
	}
	for {
		wait := pollWait
		if open != nil {
			wait = time.Until(open.deadline)
			if wait <= 0 || revoked.Load() {
				if err := end(); err != nil {
					return err
				}
				continue
			}
			// Nothing coming back this soon: what the transaction
			// waits for is slower than a commit, and a lone task's
			// state should not wait for the interval.
			wait = min(wait, commitIdle)
		}
		pctx, cancel := context.WithTimeout(ctx, wait)
		mu.Lock()
		if endPoll = cancel; len(assigned) > 0 {
			cancel()
		}
		mu.Unlock()
		room := e.cfg.MaxBatch
		if open != nil {
			room -= open.folded
		}
		fetches := sess.PollRecords(pctx, room)
		mu.Lock()
		endPoll = nil
		mu.Unlock()
		cancel()
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return ctx.Err()
		}
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				e.log.Warn("engine: fetch error", "topic", t, "partition", p, "err", err)
			}
		})
		mu.Lock()
		gained := assigned
		assigned = nil
		mu.Unlock()
		if len(gained) > 0 {
			// The group changed: end what was folded under the old
			// assignment before catching up under the new one.
			if open != nil {
				if err := end(); err != nil {
					return err
				}
			}
			if err := e.catchUp(ctx, gained); err != nil {
				return err
			}
			e.held.caughtUp(gained)
		}
		if fetches.NumRecords() == 0 {
			switch {
			case open != nil:
				if err := end(); err != nil { // idle for commitIdle
					return err
				}
			case unsent:
				// Idle: commit the offsets of the batches that sent
				// nothing, so that the group's lag reads 0. The End
				// also lets the session report the next revocation.
				if err := e.commitOffsets(ctx, sess); err != nil {
					return err
				}
				unsent = false
				revoked.Store(false)
			case revoked.Swap(false):
				if err := idleEnd(ctx, sess); err != nil {
					return err
				}
			}
			continue
		}
		// The transaction begins with the first output. A batch without
		// one (the engine's own events coming back, a TaskStarted) needs
		// none: when no transaction is open, its state goes to the store
		// with its offsets, and its Kafka offsets are committed with the
		// next transaction. Should the engine stop before that, the
		// records are consumed again and skipped as applied (or, on
		// another engine, folded again to the same state): nothing was
		// sent, so nothing can be sent twice.
		if err := e.checkFetches(fetches); err != nil {
			return err
		}
		if open == nil {
			open = e.newOpenTxn(ctx, sess)
		}
		var foldErr error
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if foldErr != nil || len(p.Records) == 0 {
				return
			}
			applied, known, err := e.store.Applied(p.Topic, p.Partition)
			if err != nil {
				foldErr = err
				return
			}
			last := int64(-1)
			for _, r := range p.Records {
				if known && r.Offset <= applied {
					continue // applied before a crash; its outputs went out
				}
				var t bool
				if t, foldErr = e.apply(open.txn, r, open.produce); foldErr != nil {
					return
				}
				open.timers = open.timers || t
				last = r.Offset
				open.folded++
			}
			if last >= 0 {
				open.txn.SetApplied(p.Topic, p.Partition, last)
			}
			e.m.lag.WithLabelValues(strconv.Itoa(int(p.Partition))).Set(float64(p.HighWatermark - p.Records[len(p.Records)-1].Offset - 1))
		})
		if err := open.beginErr; err != nil {
			open.abandon()
			open = nil
			return fmt.Errorf("%w: begin: %v", errRestart, err)
		}
		if !open.begun {
			o := open
			open = nil
			o.cancel()
			if foldErr != nil {
				o.txn.Discard()
				return foldErr
			}
			if err := o.txn.Commit(); err != nil {
				return fmt.Errorf("engine: commit state: %w", err)
			}
			unsent = true
			e.finished(o.folded, o.timers)
			if revoked.Swap(false) {
				// The session reports no revocation until its next End:
				// commit now rather than when the loop is idle.
				if err := e.commitOffsets(ctx, sess); err != nil {
					return err
				}
				unsent = false
			}
			continue
		}
		if foldErr != nil {
			open.abandon()
			open = nil
			return foldErr
		}
		// MaxBatch records end it too: what a transaction holds until it
		// ends (the nodes it changed, their batch) grows with them.
		if e.cfg.CommitInterval <= 0 || open.flushed || open.promise.Err() != nil || open.folded >= e.cfg.MaxBatch {
			if err := end(); err != nil {
				return err
			}
		}
	}
}

// finished tells the readers of the state that a batch was folded.
func (e *Engine) finished(folded int, timers bool) {
	e.m.batch.Observe(float64(folded))
	e.notifyChanged()
	if timers {
		e.wakeTimers()
	}
}

// commitOffsets commits the consumed offsets in a transaction of their
// own.
func (e *Engine) commitOffsets(ctx context.Context, sess *kgo.GroupTransactSession) error {
	if err := sess.Begin(); err != nil {
		return fmt.Errorf("%w: begin: %v", errRestart, err)
	}
	_, epoch, epochErr := sess.Client().ProducerID(ctx)
	txCtx, cancel := context.WithTimeout(ctx, txnTimeout)
	defer cancel()
	committed, err := sess.End(txCtx, kgo.TryCommit)
	if err == nil && epochErr == nil {
		e.ended.add(epoch, committed) // its offset commit can be left open too
	}
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return fmt.Errorf("%w: end: %v", errRestart, err)
	case committed:
		e.m.txns.WithLabelValues("committed").Inc()
	default:
		e.m.txns.WithLabelValues("aborted").Inc()
	}
	return nil
}

// idleEnd ends an empty transaction. franz-go's session calls
// OnPartitionsRevoked once between two Ends and swallows later
// revocations; when the loop is idle no End comes, and a partition
// revoked then would stay in the holdings, answered here from a store
// that no longer follows it. An empty transaction produces nothing and
// commits nothing; its abort rewinds the session to the committed
// offsets, where an idle session with nothing unsent already is.
func idleEnd(ctx context.Context, sess *kgo.GroupTransactSession) error {
	if err := sess.Begin(); err != nil {
		return fmt.Errorf("%w: begin: %v", errRestart, err)
	}
	txCtx, cancel := context.WithTimeout(ctx, txnTimeout)
	defer cancel()
	if _, err := sess.End(txCtx, kgo.TryAbort); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: end: %v", errRestart, err)
	}
	return nil
}

// apply folds one record. produce is nil while catching up. It reports
// whether timers were scheduled.
func (e *Engine) apply(txn *statestore.Txn, r *kgo.Record, produce producer) (bool, error) {
	ev, err := e.codec.DecodeShared(r.Value)
	if err != nil {
		e.deadLetter(r, produce, "decode: "+err.Error())
		return false, nil
	}
	if string(r.Key) != ev.Workflow {
		e.deadLetter(r, produce, fmt.Sprintf("record key %q is not the workflow id %q", r.Key, ev.Workflow))
		return false, nil
	}
	e.observeInput(ev)
	o := outputs{e: e, txn: txn, produce: produce}
	if b, ok := ev.Body.(*events.TimerScheduled); ok {
		txn.PutTimer(timerOf(ev, b))
		o.timers = true
	}
	// ev is handed over to Fold, which takes a submission's canvas tree
	// apart as it parses it once the store has encoded it. Each output is
	// sent on as Fold decides it: the records hold all that is needed, and
	// a large canvas's 100,000 dispatches are never all in memory at once.
	id := ev.ID
	err = e.folder.FoldEachTaking(txn, ev, o.send)
	if errors.Is(err, projector.ErrBadEvent) { // before any output
		e.deadLetter(r, produce, err.Error())
		return o.timers, nil
	}
	if err != nil {
		return o.timers, fmt.Errorf("engine: fold %s at %s/%d/%d: %w", id, r.Topic, r.Partition, r.Offset, err)
	}
	return o.timers, o.err
}

// timerOf is the timer that ev, a TimerScheduled b, asks for. Its due time
// may lie before 1970 (Fold schedules one for an expires in the past,
// which Celery allows down to 2147483648 seconds back or as an ISO time of
// any year, and a stream producer may write one): the store keeps such a
// timer as due at 1970, at once.
func timerOf(ev *events.Event, b *events.TimerScheduled) statestore.Timer {
	return statestore.Timer{Due: b.Due, Workflow: ev.Workflow, Task: ev.Task, Name: b.Timer}
}

// outputs sends on the outputs of one Fold (apply).
type outputs struct {
	e       *Engine
	txn     *statestore.Txn
	produce producer
	// key is the outputs' workflow id, shared by their records.
	key    []byte
	timers bool
	// err is the first error; the outputs after it are dropped, and the
	// transaction aborts.
	err error
}

func (s *outputs) send(o *events.Event) {
	if s.err != nil {
		return
	}
	e := s.e
	e.observe(s.txn, o)
	if b, ok := o.Body.(*events.TimerScheduled); ok {
		s.txn.PutTimer(timerOf(o, b))
		s.timers = true
	}
	if s.produce == nil {
		return
	}
	val, err := e.record(o)
	if err != nil {
		s.err = err
		return
	}
	if string(s.key) != o.Workflow {
		s.key = []byte(o.Workflow)
	}
	s.produce(&kgo.Record{Topic: e.evTopic, Key: s.key, Value: val})
	switch b := o.Body.(type) {
	case *events.TaskDispatched:
		t, err := e.tasksTopic(b)
		if err != nil {
			s.err = err
			return
		}
		s.produce(&kgo.Record{Topic: t, Key: []byte(o.Task), Value: val})
	case *events.TaskRevoked:
		s.produce(&kgo.Record{Topic: e.names.Control(), Key: []byte(o.Task), Value: val})
	}
}

// tasksTopic returns the topic of a dispatched task's queue, creating it
// the first time.
func (e *Engine) tasksTopic(d *events.TaskDispatched) (string, error) {
	q := d.Queue
	if q == "" {
		q = e.cfg.Routes[d.Name]
	}
	if q == "" {
		q = topic.DefaultQueue
	}
	if t, ok := e.queues[q]; ok {
		return t, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t := e.names.Tasks(q)
	if err := topic.Ensure(ctx, e.adm, e.cfg.Topics, t); err != nil {
		return "", err
	}
	e.queues[q] = t
	return t, nil
}

// deadLetter sets a record aside, unchanged, with why in its headers.
func (e *Engine) deadLetter(r *kgo.Record, produce producer, reason string) {
	e.m.deadLetters.Inc()
	if produce == nil {
		return // set aside when it was first consumed
	}
	e.log.Warn("engine: record set aside", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "reason", reason)
	produce(&kgo.Record{
		Topic: e.names.DeadLetter(), Key: r.Key, Value: r.Value,
		Headers: []kgo.RecordHeader{
			{Key: topic.HeaderError, Value: []byte(reason)},
			{Key: topic.HeaderSource, Value: fmt.Appendf(nil, "%s/%d/%d", r.Topic, r.Partition, r.Offset)},
			{Key: topic.HeaderComponent, Value: []byte("engine")},
		},
	})
}

// record encodes output o. An output that cannot go out as it is, because
// it does not encode (a value nested past events.MaxDepth: a value grows a
// level each time it is passed on, as a chain step's first argument or in
// a chord body's list of header results) or its record would exceed
// MaxRecordBytes (which Kafka would refuse, and so abort every transaction
// that holds it), would stop the engine, which would meet it again at
// every restart. So a task message that does not go out is not sent: the
// task fails instead, with an event that says why and is folded like a
// worker's report, so a replay reaches the same state. A completion drops
// its result from the event (the state keeps it). A task message's o
// becomes the failure that goes out in its place.
func (e *Engine) record(o *events.Event) ([]byte, error) {
	val, err := e.slab.encode(e.codec, o)
	var ee *events.EncodeError
	switch {
	case errors.As(err, &ee):
		e.m.unencodable.Inc()
		// The path from the body's field (args[0][0]...), shortened: a
		// value past the limit has one of 1.5 KB or more.
		field := ee.Path
		if rest, ok := strings.CutPrefix(field, "Event.body."); ok {
			if _, f, ok := strings.Cut(rest, "."); ok { // past the body's type
				field = f
			}
		}
		why := events.CutPath(field, events.ShortPath) + ": " + ee.Err.Error()
		e.log.Warn("engine: output does not encode; replacing it", "event", o.ID, "err", why)
		return e.replace(o, "EncodeError", "does not encode: "+why)
	case err != nil:
		return nil, fmt.Errorf("engine: encode %s: %w", o.ID, err)
	case len(val) > e.cfg.MaxRecordBytes:
		e.m.oversized.Inc()
		limit := e.cfg.MaxRecordBytes
		e.log.Warn("engine: output too large; replacing it", "event", o.ID, "bytes", len(val), "limit", limit)
		return e.replace(o, "MessageTooLarge", fmt.Sprintf("is %d bytes, over the limit of %d", len(val), limit))
	}
	return val, nil
}

// replace returns the record that goes out in place of output o, which
// cannot go out as it is: a task message fails its task with a failure of
// type typ ("the task message of <name> " + why), a completion goes
// without its result. Any other output is an error that stops the engine.
func (e *Engine) replace(o *events.Event, typ, why string) ([]byte, error) {
	var repl events.Event
	switch b := o.Body.(type) {
	case *events.TaskDispatched:
		repl = events.Event{
			ID: events.FailedID(o.Task, b.Attempt), Workflow: o.Workflow, Task: o.Task, Time: o.Time, Producer: projector.Producer,
			Body: &events.TaskFailed{Attempt: b.Attempt, Error: events.Failure{
				Type:    typ,
				Message: "the task message of " + b.Name + " " + why,
			}},
		}
	case *events.WorkflowCompleted:
		if b.Result == nil {
			return nil, fmt.Errorf("engine: output %s %s, even without its result", o.ID, why)
		}
		c := *b
		c.Result = nil
		repl = *o
		repl.Body = &c
	default:
		return nil, fmt.Errorf("engine: output %s %s", o.ID, why)
	}
	// The replacement holds no value, and why is valid UTF-8 (CutPath):
	// it encodes, unless something else in the output did not.
	val, err := e.codec.Encode(&repl)
	if err != nil {
		return nil, fmt.Errorf("engine: encode %s: %w", repl.ID, err)
	}
	if len(val) > e.cfg.MaxRecordBytes {
		return nil, fmt.Errorf("engine: output %s %s, and its replacement is %d bytes, over the limit of %d", o.ID, why, len(val), e.cfg.MaxRecordBytes)
	}
	if _, ok := o.Body.(*events.TaskDispatched); ok {
		// Only the failure goes out: neither the event nor the message.
		*o = repl
	}
	return val, nil
}

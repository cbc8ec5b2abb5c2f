package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
)

// closeTimeout bounds how long a stopping worker waits for the events of
// finished tasks to be acknowledged.
const closeTimeout = 10 * time.Second

// errAbandoned cancels a task the worker gives up on (it stops, or the
// task's partition went to another worker): nothing is reported for it
// and its offset stays uncommitted, so it runs again.
var errAbandoned = errors.New("worker: task abandoned")

// session is one Run: its clients and what is in flight.
type session struct {
	w   *Worker
	log *slog.Logger
	cl  *kgo.Client // the group consumer of the tasks topics, and the producer
	ctl *kgo.Client // the control topic reader

	jobs chan *job
	// base is the parent of every task's context; abandonAll cancels it.
	base       context.Context
	abandonAll context.CancelCauseFunc
	// prodCtx is the context of every produce; cancelled last.
	prodCtx    context.Context
	cancelProd context.CancelFunc
	cancelMain context.CancelFunc
	closing    atomic.Bool

	mu      sync.Mutex
	parts   map[topicPartition]*partition
	running map[string][]*attempt // by task id
	revoked *recentSet[string]

	commitMu sync.Mutex // serialises commits
	commitCh chan struct{}

	errMu sync.Mutex
	err   error
}

// job is a task message to run.
type job struct {
	rec *kgo.Record
	ev  *events.Event
	d   *events.TaskDispatched
	p   *partition
}

// attempt is a task message being run.
type attempt struct {
	task   string
	cancel context.CancelCauseFunc
}

func newSession(w *Worker) *session {
	s := &session{
		w:        w,
		log:      w.log,
		jobs:     make(chan *job),
		parts:    map[topicPartition]*partition{},
		running:  map[string][]*attempt{},
		revoked:  newRecentSet[string](w.cfg.RevokedMemory),
		commitCh: make(chan struct{}, 1),
	}
	s.base, s.abandonAll = context.WithCancelCause(context.Background())
	s.prodCtx, s.cancelProd = context.WithCancel(context.Background())
	return s
}

// run runs the session until ctx is done or a fatal error, then stops it.
func (s *session) run(ctx context.Context) error {
	main, cancel := context.WithCancel(ctx)
	defer cancel()
	s.cancelMain = cancel

	var polling, executors, background sync.WaitGroup
	polling.Go(func() { s.poll(main) })
	for range s.w.cfg.Concurrency {
		executors.Go(func() {
			for j := range s.jobs {
				s.handle(j)
			}
		})
	}
	bg, stopBg := context.WithCancel(context.Background())
	defer stopBg()
	background.Go(func() { s.readControl(bg) })
	background.Go(func() { s.committer(bg) })
	s.log.Info("worker: running", "queues", s.w.cfg.Queues, "group", s.w.cfg.Group,
		"concurrency", s.w.cfg.Concurrency, "producer", s.w.producer)

	<-main.Done()
	s.log.Info("worker: stopping")
	polling.Wait()
	close(s.jobs)
	// Let what runs finish (bounded), commit what finished, abandon the rest.
	ps := s.take(nil)
	s.drain(ps)
	s.commit(ps, false)
	s.abandonAll(errAbandoned)

	done := make(chan struct{})
	go func() { executors.Wait(); close(done) }()
	t := time.NewTimer(closeTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("worker: events still unacknowledged at close", "timeout", closeTimeout)
	}
	stopBg()
	background.Wait()
	flush, cancelFlush := context.WithTimeout(context.Background(), closeTimeout)
	_ = s.cl.Flush(flush) // what is left belongs to abandoned tasks
	cancelFlush()
	s.closing.Store(true)
	s.cancelProd()
	s.cl.CloseAllowingRebalance()
	s.ctl.Close()
	<-done
	s.log.Info("worker: stopped")
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// fatal stops the session with err, the error Run returns.
func (s *session) fatal(err error) {
	if s.closing.Load() {
		s.log.Debug("worker: error while closing", "err", err)
		return
	}
	s.errMu.Lock()
	if s.err == nil {
		s.err = err
		s.log.Error("worker: stopping on error", "err", err)
	}
	s.errMu.Unlock()
	s.cancelMain()
}

// poll takes records from the tasks topics and hands them to the
// executors, until ctx is done. Rebalances wait while a polled batch is
// registered with its partitions (BlockRebalanceOnPoll), so that every
// record is registered with the partition ownership it came from.
func (s *session) poll(ctx context.Context) {
	for {
		fs := s.cl.PollRecords(ctx, s.w.cfg.Concurrency)
		if ctx.Err() != nil || fs.IsClientClosed() {
			s.cl.AllowRebalance()
			return
		}
		failed := false
		fs.EachError(func(t string, p int32, err error) {
			failed = true
			s.log.Warn("worker: fetch failed", "topic", t, "partition", p, "err", err)
		})
		var batch []*job
		fs.EachRecord(func(rec *kgo.Record) {
			if j := s.accept(rec); j != nil {
				batch = append(batch, j)
			}
		})
		s.cl.AllowRebalance()
		if failed && fs.NumRecords() == 0 {
			if !pause(ctx, time.Second) { // do not spin on an error that repeats
				return
			}
		}
		for _, j := range batch {
			select {
			case s.jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}
}

// pause waits for d or until ctx is done; false when ctx is done.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// accept registers a polled record with its partition and returns its job,
// or nil when it is not a task message (it goes to the dead-letter topic).
func (s *session) accept(rec *kgo.Record) *job {
	tp := topicPartition{rec.Topic, rec.Partition}
	s.mu.Lock()
	p := s.parts[tp]
	if p == nil {
		p = newPartition(tp)
		s.parts[tp] = p
	}
	s.mu.Unlock()
	if !p.add(rec) {
		s.log.Debug("worker: record polled twice", "source", source(rec))
		return nil
	}
	ev, err := s.w.codec.Decode(rec.Value)
	var d *events.TaskDispatched
	if err == nil {
		var ok bool
		switch d, ok = ev.Body.(*events.TaskDispatched); {
		case !ok:
			err = fmt.Errorf("worker: a %T event is not a task message", ev.Body)
		case ev.Task == "":
			err = fmt.Errorf("worker: task message %s has no task id", ev.ID)
		}
	}
	if err != nil {
		s.deadLetter(p, rec, err)
		return nil
	}
	if !p.take(ev.Task, d.Attempt) {
		s.log.Debug("worker: task message taken before; skipped", "task", ev.Task, "attempt", d.Attempt, "source", source(rec))
		s.w.metrics.repeated.Inc()
		if p.begin() {
			p.end(rec.Offset, true)
		}
		return nil
	}
	return &job{rec: rec, ev: ev, d: d, p: p}
}

// handle runs a job, unless its partition is gone. Its record ends (see
// partition.end) once it is done with: dropped, or its events
// acknowledged. The executor does not wait for the acknowledgement: it
// takes the next task while Kafka writes the last one's outcome, so that
// the records of many tasks share a produce request.
func (s *session) handle(j *job) {
	if !j.p.begin() {
		return
	}
	s.execute(j, func(finished bool) {
		j.p.end(j.rec.Offset, finished)
		if finished {
			s.kickCommit()
		}
	})
}

// execute runs one task message as harness.runNext does and calls end
// once, with whether it is done with: dropped, or its events acknowledged.
func (s *session) execute(j *job, end func(finished bool)) {
	ev, d := j.ev, j.d
	m := s.w.metrics
	ctx, cancel := context.WithCancelCause(s.base)
	defer cancel(nil)
	a := &attempt{task: ev.Task, cancel: cancel}
	// The logger with the task's attributes is made only on the paths
	// that log: formatting them for every task message was 6% of a busy
	// worker's CPU.
	log := func() *slog.Logger { return s.log.With("task", ev.Task, "name", d.Name, "attempt", d.Attempt) }
	if !s.track(a, j.p) {
		log().Info("worker: revoked task dropped")
		m.outcome(d.Name, stateDropped)
		m.revoked.Inc()
		end(true)
		return
	}
	defer s.untrack(a, j.p)

	if err := s.w.limits.wait(ctx, d.Name); err != nil {
		if errors.Is(err, errAbandoned) {
			end(false)
			return
		}
		log().Info("worker: task revoked while waiting for its rate limit; dropped")
		m.outcome(d.Name, stateDropped)
		end(true)
		return
	}
	rep := s.newReport(ev, d.Attempt)
	if d.Expires != 0 && time.Now().UnixMicro() > d.Expires {
		rep.produce(events.RevokedID(ev.Task, ReasonExpired), &events.TaskRevoked{Reason: ReasonExpired, Attempt: d.Attempt}, nil)
		if err := rep.wait(); err != nil {
			s.fatal(err)
			end(false)
			return
		}
		log().Info("worker: task expired")
		m.outcome(d.Name, stateExpired)
		end(true)
		return
	}
	req, err := NewRequest(ev)
	if err != nil { // cannot happen: accept checked the body
		s.fatal(err)
		end(false)
		return
	}
	rep.start(s.w.cfg.StartedAfter)
	m.inFlight.Inc()
	start := time.Now()
	out := Execute(ctx, s.w.reg, req, rep)
	m.inFlight.Dec()
	m.duration.Observe(time.Since(start).Seconds())
	if errors.Is(context.Cause(ctx), errAbandoned) {
		rep.stop()
		log().Info("worker: task abandoned; it will run again")
		end(false)
		return
	}
	rep.finish(out, func(state string, err error) {
		if err != nil {
			s.fatal(err)
			end(false)
			return
		}
		m.outcome(d.Name, state)
		if s.log.Enabled(s.base, slog.LevelDebug) {
			log().Debug("worker: task done", "outcome", out.String())
		}
		end(true)
	})
}

// newReport returns the report of one task message.
func (s *session) newReport(msg *events.Event, attempt int32) *report {
	return &report{s: s, ctx: s.prodCtx, msg: msg, attempt: attempt}
}

// track registers a running attempt so that a revoke or an abandon can
// cancel it; false when its task is revoked already.
func (s *session) track(a *attempt, p *partition) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revoked.has(a.task) {
		return false
	}
	s.running[a.task] = append(s.running[a.task], a)
	p.mu.Lock()
	p.attempts[a] = struct{}{}
	if p.abandoned {
		a.cancel(errAbandoned)
	}
	p.mu.Unlock()
	return true
}

func (s *session) untrack(a *attempt, p *partition) {
	s.mu.Lock()
	as := s.running[a.task]
	for i, x := range as {
		if x == a {
			as = append(as[:i], as[i+1:]...)
			break
		}
	}
	if len(as) == 0 {
		delete(s.running, a.task)
	} else {
		s.running[a.task] = as
	}
	s.mu.Unlock()
	p.mu.Lock()
	delete(p.attempts, a)
	p.mu.Unlock()
}

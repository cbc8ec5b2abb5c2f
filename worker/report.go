package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/topic"
)

// report produces the events of one task message on the events topic,
// keyed by workflow id, in the order they are sent, and waits for Kafka to
// acknowledge them. It is the Reporter of the attempt: each UpdateState
// becomes a TaskProgress with the next Seq.
type report struct {
	s       *session
	ctx     context.Context
	msg     *events.Event
	attempt int32

	wg  sync.WaitGroup
	mu  sync.Mutex
	seq int32 // the last progress Seq sent
	err error // the first failure of a record that must land

	// The TaskStarted of the attempt: sent by timer (see start) unless
	// the attempt ended first. Sent under startMu, so that it can only
	// precede the outcome on the log.
	startMu    sync.Mutex
	startTimer *time.Timer
	startDone  bool // sent, or the attempt ended first: none is to be sent
}

// start reports the attempt started after delay (at once when 0), unless
// it ends before that (stop, finish).
func (r *report) start(delay time.Duration) {
	if delay <= 0 {
		r.sendStarted()
		return
	}
	r.startMu.Lock()
	r.startTimer = time.AfterFunc(delay, r.sendStarted)
	r.startMu.Unlock()
}

func (r *report) sendStarted() {
	r.startMu.Lock()
	defer r.startMu.Unlock()
	if r.startDone {
		return
	}
	r.startDone = true
	r.produce(events.StartedID(r.msg.Task, r.attempt), &events.TaskStarted{Attempt: r.attempt, Worker: r.s.w.ident}, nil)
}

// stop ends the attempt's start: a TaskStarted not sent yet never is.
func (r *report) stop() {
	r.startMu.Lock()
	defer r.startMu.Unlock()
	r.startDone = true
	if r.startTimer != nil {
		r.startTimer.Stop()
	}
}

// record encodes an event about the message's task.
func (r *report) record(id string, body events.Body) (*kgo.Record, error) {
	ev := events.Event{
		ID: id, Workflow: r.msg.Workflow, Task: r.msg.Task,
		Time: time.Now().UnixMicro(), Producer: r.s.w.producer, Body: body,
	}
	v, err := r.s.w.codec.Encode(&ev)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errEncode, id, err)
	}
	return &kgo.Record{Topic: r.s.w.names.Events(), Key: []byte(r.msg.Workflow), Value: v}, nil
}

// produce sends an event; done, when not nil, gets the result of its
// delivery. Without done a failure is kept for wait.
func (r *report) produce(id string, body events.Body, done func(error)) {
	rec, err := r.record(id, body)
	if err != nil {
		r.fail(done, err)
		return
	}
	r.wg.Add(1)
	r.s.cl.Produce(r.ctx, rec, func(_ *kgo.Record, err error) {
		defer r.wg.Done()
		if err != nil {
			err = fmt.Errorf("worker: produce %s: %w", id, err)
		}
		r.fail(done, err)
	})
}

func (r *report) fail(done func(error), err error) {
	if done != nil {
		done(err)
		return
	}
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

// wait waits for every event sent to be acknowledged and returns the
// first failure.
func (r *report) wait() error {
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Report sends a TaskProgress. It fails only when the event cannot be
// encoded; a progress event Kafka refuses is logged, not fatal: progress
// is advisory, the outcome is not.
func (r *report) Report(state string, meta any) error {
	r.mu.Lock()
	r.seq++
	seq := r.seq
	r.mu.Unlock()
	id := events.ProgressID(r.msg.Task, r.attempt, seq)
	body := &events.TaskProgress{Attempt: r.attempt, Seq: seq, State: state, Meta: meta}
	if _, err := r.record(id, body); err != nil {
		return err
	}
	r.produce(id, body, func(err error) {
		if err != nil {
			r.s.log.Warn("worker: progress not reported", "task", r.msg.Task, "err", err)
		}
	})
	return nil
}

// finish sends the event of an outcome and, once everything sent is
// acknowledged, calls done with the state the message ended in (in
// another goroutine; finish does not wait). An outcome Kafka refuses as
// too large (or that does not encode) is reported as a TaskFailed with
// EncodeError instead.
func (r *report) finish(out Outcome, done func(state string, err error)) {
	r.stop()
	id, body, state := outcomeEvent(r.msg.Task, r.attempt, out)
	var outErr error
	r.produce(id, body, func(err error) { outErr = err })
	go func() {
		if err := r.wait(); err != nil {
			done(state, err)
			return
		}
		if outErr == nil {
			done(state, nil)
			return
		}
		if !errors.Is(outErr, kerr.MessageTooLarge) && !errors.Is(outErr, errEncode) {
			done(state, outErr)
			return
		}
		r.s.log.Warn("worker: outcome replaced by a failure", "task", r.msg.Task, "err", outErr)
		f := &events.TaskFailed{Attempt: r.attempt, Error: events.Failure{Type: "EncodeError", Message: "outcome not reportable: " + outErr.Error()}}
		r.produce(events.FailedID(r.msg.Task, r.attempt), f, nil)
		done(stateFailed, r.wait())
	}()
}

// errEncode marks an event that does not encode.
var errEncode = errors.New("worker: event does not encode")

// outcomeEvent maps an outcome onto its event, as harness.runNext does.
func outcomeEvent(task string, attempt int32, out Outcome) (string, events.Body, string) {
	switch out.Kind {
	case Retrying:
		return events.RetryingID(task, attempt), &events.TaskRetrying{Attempt: attempt, Countdown: out.Countdown, Error: out.Failure, Explicit: out.Explicit}, stateRetrying
	case Failed:
		return events.FailedID(task, attempt), &events.TaskFailed{Attempt: attempt, Error: out.Failure}, stateFailed
	}
	return events.SucceededID(task, attempt), &events.TaskSucceeded{Attempt: attempt, Result: out.Result}, stateSucceeded
}

// deadLetter sets a record of p that is not a task message aside on the
// dead-letter topic, unchanged, with why in its headers. The record counts
// as finished once the dead letter is acknowledged.
func (s *session) deadLetter(p *partition, rec *kgo.Record, why error) {
	if !p.begin() {
		return
	}
	hs := make([]kgo.RecordHeader, 0, len(rec.Headers)+3)
	hs = append(hs, rec.Headers...)
	hs = append(hs,
		kgo.RecordHeader{Key: topic.HeaderError, Value: []byte(why.Error())},
		kgo.RecordHeader{Key: topic.HeaderSource, Value: []byte(source(rec))},
		kgo.RecordHeader{Key: topic.HeaderComponent, Value: []byte("worker")},
	)
	dl := &kgo.Record{Topic: s.w.names.DeadLetter(), Key: rec.Key, Value: rec.Value, Headers: hs, Timestamp: rec.Timestamp}
	s.log.Warn("worker: record set aside on the dead-letter topic", "source", source(rec), "err", why)
	s.cl.Produce(s.prodCtx, dl, func(_ *kgo.Record, err error) {
		if err != nil {
			s.fatal(fmt.Errorf("worker: dead letter for %s: %w", source(rec), err))
			p.end(rec.Offset, false)
			return
		}
		s.w.metrics.deadLetter.Inc()
		p.end(rec.Offset, true)
		s.kickCommit()
	})
}

// source is "<topic>/<partition>/<offset>" of a record.
func source(rec *kgo.Record) string {
	return rec.Topic + "/" + strconv.Itoa(int(rec.Partition)) + "/" + strconv.FormatInt(rec.Offset, 10)
}

package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/events"
)

// ReasonRevoked is the reason a task revoked through the control topic is
// cancelled with, unless its TaskRevoked names another.
const ReasonRevoked = "revoked"

// ReasonExpired is the reason of the TaskRevoked a worker reports for a
// task message past its Expires.
const ReasonExpired = "expired"

// controlOffsets returns the end offset of every partition of the control
// topic: where a worker starts reading it.
//
// A topic created a moment ago may not be known to every broker yet
// (UNKNOWN_TOPIC_OR_PARTITION is retriable), and a broker may be
// restarting: everything but a non-retriable Kafka error is retried for up
// to 30 seconds.
func controlOffsets(ctx context.Context, adm *kadm.Client, control string) (map[string]map[int32]kgo.Offset, error) {
	var (
		ends kadm.ListedOffsets
		err  error
	)
	retry := time.NewTimer(0)
	defer retry.Stop()
	for deadline := time.Now().Add(30 * time.Second); ; {
		ends, err = adm.ListEndOffsets(ctx, control)
		if err == nil {
			err = ends.Error()
		}
		var ke *kerr.Error
		if err == nil || (errors.As(err, &ke) && !ke.Retriable) || time.Now().After(deadline) {
			break // done, or an answer retrying cannot change
		}
		retry.Reset(200 * time.Millisecond)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-retry.C:
		}
	}
	if err != nil {
		return nil, fmt.Errorf("worker: end of %s: %w", control, err)
	}
	at := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) { at[o.Partition] = kgo.NewOffset().At(o.Offset) })
	if len(at) == 0 {
		return nil, fmt.Errorf("worker: topic %s has no partitions", control)
	}
	return map[string]map[int32]kgo.Offset{control: at}, nil
}

// readControl reads the control topic until ctx is done and acts on every
// TaskRevoked on it.
func (s *session) readControl(ctx context.Context) {
	for {
		fs := s.ctl.PollFetches(ctx)
		if ctx.Err() != nil {
			return
		}
		failed := false
		fs.EachError(func(t string, p int32, err error) {
			failed = true
			s.log.Warn("worker: reading the control topic", "topic", t, "partition", p, "err", err)
		})
		if failed && fs.NumRecords() == 0 && !pause(ctx, time.Second) {
			return
		}
		fs.EachRecord(func(rec *kgo.Record) {
			ev, err := s.w.codec.Decode(rec.Value)
			if err != nil {
				s.log.Warn("worker: control record does not decode", "source", source(rec), "err", err)
				return
			}
			b, ok := ev.Body.(*events.TaskRevoked)
			if !ok || ev.Task == "" {
				s.log.Debug("worker: control record ignored", "source", source(rec), "type", fmt.Sprintf("%T", ev.Body))
				return
			}
			reason := b.Reason
			if reason == "" {
				reason = ReasonRevoked
			}
			s.revoke(ev.Task, reason)
		})
	}
}

// revoke remembers that task is revoked, so that its messages are dropped
// from now on, and cancels its running attempts with Revoked(reason).
func (s *session) revoke(task, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked.add(task)
	for _, a := range s.running[task] {
		s.log.Info("worker: revoking running task", "task", task, "reason", reason)
		s.w.metrics.revoked.Inc()
		a.cancel(Revoked(reason))
	}
}

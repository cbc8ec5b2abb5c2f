package worker

import (
	"context"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// commitTimeout bounds one offset commit; commitEvery is how often the
// committer retries one that failed or was left over; commitGap is the
// least time between two commits asked for (kickCommit), so that a worker
// running thousands of tasks a second commits a few times a second, not
// once a task. A commit only bounds what runs again after a crash
// (acks-late); revokes and stops commit at once.
const (
	commitTimeout = 10 * time.Second
	commitEvery   = time.Second
	commitGap     = 50 * time.Millisecond
)

type topicPartition struct {
	topic string
	part  int32
}

// partition is what a session knows of one tasks partition it owns, for
// one ownership: a partition taken away and given back is a new one.
type partition struct {
	tp topicPartition

	mu        sync.Mutex
	wm        watermark
	committed int64 // the last offset committed, -1 for none
	// gone is set when the partition is revoked or lost, or the worker
	// stops: nothing more of it starts.
	gone bool
	// active counts the records started and not ended: running task
	// attempts, dead letters being produced.
	active   int
	drained  chan struct{} // closed once gone and nothing is active
	attempts map[*attempt]struct{}
	// abandoned is set once the running attempts were cancelled: an
	// attempt registered later is cancelled at once.
	abandoned bool
	// taken are the task attempts whose messages were taken from the
	// partition in this ownership, the last takenMemory of them.
	taken *recentSet[taskAttempt]
}

// takenMemory is how many task attempts a partition remembers (take).
const takenMemory = 4096

type taskAttempt struct {
	task    string
	attempt int32
}

func newPartition(tp topicPartition) *partition {
	return &partition{tp: tp, committed: -1, drained: make(chan struct{}), attempts: map[*attempt]struct{}{},
		taken: newRecentSet[taskAttempt](takenMemory)}
}

// add records that offset was polled.
func (p *partition) add(rec *kgo.Record) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.wm.Add(rec.Offset, rec.LeaderEpoch)
}

// take records that the message of a task attempt was taken from the
// partition; false when one was taken before. The engine sends a message
// twice when the transaction that first sent it aborted (a worker reads
// uncommitted messages, Config.ReadCommitted): the first, taken here, is
// run or running, and should it not finish, the partition's ownership
// ends without its offset committed, and both messages come back.
func (p *partition) take(task string, attempt int32) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.taken.add(taskAttempt{task, attempt})
}

// begin starts work on a record; false when the partition is gone.
func (p *partition) begin() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone {
		return false
	}
	p.active++
	return true
}

// end ends work on the record at offset; finished says that it is done
// with for good (its outcome is on the log), so it may be committed.
func (p *partition) end(offset int64, finished bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if finished {
		p.wm.Done(offset)
	}
	p.active--
	if p.gone && p.active == 0 {
		p.closeDrained()
	}
}

// retire marks the partition gone: nothing more of it starts, and drained
// is closed once nothing of it is active.
func (p *partition) retire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.gone {
		p.gone = true
		if p.active == 0 {
			p.closeDrained()
		}
	}
}

func (p *partition) closeDrained() {
	select {
	case <-p.drained:
	default:
		close(p.drained)
	}
}

// abandon cancels the running attempts of the partition: their outcome
// will not be reported, and they stay uncommitted.
func (p *partition) abandon() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.abandoned = true
	for a := range p.attempts {
		a.cancel(errAbandoned)
	}
}

// toCommit returns the offset to commit, if it moved since the last
// commit. With live set, a gone partition has nothing to commit: only
// the session that took it away commits it.
func (p *partition) toCommit(live bool) (kgo.EpochOffset, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if live && p.gone {
		return kgo.EpochOffset{}, false
	}
	off, epoch, ok := p.wm.Committable()
	if !ok || off <= p.committed {
		return kgo.EpochOffset{}, false
	}
	return kgo.EpochOffset{Epoch: epoch, Offset: off}, true
}

func (p *partition) setCommitted(off int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.committed = max(p.committed, off)
}

// commit commits the watermarks of ps that moved; with live set it skips
// the ones gone. Commits are serialised, so that a late commit of the
// committer can never follow, and rewind, the final commit of a revoked
// partition.
func (s *session) commit(ps []*partition, live bool) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	offsets := map[string]map[int32]kgo.EpochOffset{}
	byTP := map[topicPartition]*partition{}
	want := map[topicPartition]int64{}
	for _, p := range ps {
		eo, ok := p.toCommit(live)
		if !ok {
			continue
		}
		if offsets[p.tp.topic] == nil {
			offsets[p.tp.topic] = map[int32]kgo.EpochOffset{}
		}
		offsets[p.tp.topic][p.tp.part] = eo
		byTP[p.tp], want[p.tp] = p, eo.Offset
	}
	if len(byTP) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	s.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			s.w.metrics.commits.WithLabelValues("error").Inc()
			s.log.Warn("worker: commit failed", "err", err)
			return
		}
		for _, t := range resp.Topics {
			for _, pr := range t.Partitions {
				tp := topicPartition{t.Topic, pr.Partition}
				if err := kerr.ErrorForCode(pr.ErrorCode); err != nil {
					s.w.metrics.commits.WithLabelValues("error").Inc()
					s.log.Warn("worker: commit failed", "topic", tp.topic, "partition", tp.part, "err", err)
					continue
				}
				if p := byTP[tp]; p != nil {
					p.setCommitted(want[tp])
					s.w.metrics.commits.WithLabelValues("ok").Inc()
					s.log.Debug("worker: committed", "topic", tp.topic, "partition", tp.part, "offset", want[tp])
				}
			}
		}
	})
}

// committer commits what finished, when asked (kickCommit, at most once
// a commitGap) and every commitEvery, until ctx is done.
func (s *session) committer(ctx context.Context) {
	t := time.NewTicker(commitEvery)
	defer t.Stop()
	gap := time.NewTimer(0)
	defer gap.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.commitCh:
			select { // kicks that come sooner wait for the gap
			case <-ctx.Done():
				return
			case <-gap.C:
			}
		case <-t.C:
		}
		s.commit(s.owned(), true)
		gap.Reset(commitGap)
	}
}

// kickCommit asks the committer to commit soon.
func (s *session) kickCommit() {
	select {
	case s.commitCh <- struct{}{}:
	default:
	}
}

// owned returns the partitions the session owns now.
func (s *session) owned() []*partition {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := make([]*partition, 0, len(s.parts))
	for _, p := range s.parts {
		ps = append(ps, p)
	}
	return ps
}

// take removes the named partitions (all with nil) from the session and
// retires them.
func (s *session) take(tps map[string][]int32) []*partition {
	s.mu.Lock()
	var ps []*partition
	for tp, p := range s.parts {
		if tps == nil || contains(tps[tp.topic], tp.part) {
			ps = append(ps, p)
			delete(s.parts, tp)
		}
	}
	s.mu.Unlock()
	for _, p := range ps {
		p.retire()
	}
	return ps
}

func contains(ps []int32, p int32) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

// drain waits, at most DrainTimeout, for the running work of ps to end,
// then abandons what still runs.
func (s *session) drain(ps []*partition) {
	t := time.NewTimer(s.w.cfg.DrainTimeout)
	defer t.Stop()
	for i, p := range ps {
		select {
		case <-p.drained:
		case <-t.C:
			for _, p := range ps[i:] {
				p.abandon()
			}
			s.log.Warn("worker: abandoned running tasks past the drain timeout", "timeout", s.w.cfg.DrainTimeout)
			return
		}
	}
}

// onRevoked is the group's OnPartitionsRevoked: the partitions go to
// another member. Wait (bounded) for their running tasks, then commit
// their watermarks before the rebalance goes on.
func (s *session) onRevoked(_ context.Context, _ *kgo.Client, revoked map[string][]int32) {
	ps := s.take(revoked)
	if len(ps) == 0 {
		return
	}
	s.log.Info("worker: partitions revoked", "partitions", len(ps))
	s.drain(ps)
	s.commit(ps, false)
}

// onLost is the group's OnPartitionsLost: the session is gone, so commits
// would fail. Abandon what runs.
func (s *session) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	ps := s.take(lost)
	if len(ps) == 0 {
		return
	}
	s.log.Warn("worker: partitions lost", "partitions", len(ps))
	for _, p := range ps {
		p.abandon()
	}
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/syncbuf"
	"github.com/fugue-run/fugue/internal/topic"
)

func TestRestartIfTransient(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, c := range []struct {
		err     error
		restart bool
	}{
		{kerr.NotCoordinator, true},
		{kerr.CoordinatorNotAvailable, true},
		{kerr.UnknownTopicID, true},
		{kerr.UnstableOffsetCommit, true},
		{dial, true},
		{io.EOF, true},
		{context.DeadlineExceeded, true},
		{kerr.UnknownServerError, false},
		{&kadm.AuthError{Err: kerr.GroupAuthorizationFailed}, false},
		{&kgo.ErrDataLoss{Topic: "t", Partition: 0, ConsumedTo: 9, ResetTo: 4}, false},
		{kgo.ErrClientClosed, false},
	} {
		err := restartIfTransient(fmt.Errorf("engine: catch up partition 0: %w", c.err))
		if got := errors.Is(err, errRestart); got != c.restart {
			t.Errorf("restartIfTransient(%v) = %v, restart %v; want %v", c.err, err, got, c.restart)
		}
		if !errors.Is(err, c.err) {
			t.Errorf("restartIfTransient(%v) = %v, which lost the cause", c.err, err)
		}
	}
	if err := restartIfTransient(nil); err != nil {
		t.Errorf("restartIfTransient(nil) = %v", err)
	}
}

// TestCatchUpRestartsOnTransientErrors: a committed offset that cannot be
// read for a reason that may pass (a topic id the broker does not know
// yet, a commit still in a transaction) restarts the session instead of
// passing the partition over, and the next session catches the store up.
func TestCatchUpRestartsOnTransientErrors(t *testing.T) {
	t.Parallel()
	for _, code := range []*kerr.Error{kerr.UnknownTopicID, kerr.UnstableOffsetCommit} {
		t.Run(code.Message, func(t *testing.T) {
			t.Parallel()
			const n = 3
			c, e, logs := catchUpOnKfake(t, n)
			seen := failCommittedOffset(t, c, e, code.Code)
			r := runEngine(t, e)
			waitCaughtUp(t, e, r, logs)
			checkHolds(t, e, n, "the partition was passed over", logs)
			if got := seen.Load(); got != 1 {
				t.Errorf("%d committed offsets failed, want 1", got)
			}
			for _, want := range []string{`level=WARN msg="engine: restarting the transactional session"`, "partition 0", code.Message} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("logs lack %q:\n%s", want, logs)
				}
			}
		})
	}
}

// TestCatchUpStopsOnPermanentPartitionErrors: a committed offset that
// cannot be read for a reason retrying does not mend stops the engine
// with that reason; the partition is not taken as caught up.
func TestCatchUpStopsOnPermanentPartitionErrors(t *testing.T) {
	t.Parallel()
	c, e, logs := catchUpOnKfake(t, 3)
	failCommittedOffset(t, c, e, kerr.UnknownServerError.Code)
	r := runEngine(t, e)
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		changed := e.held.wait()
		if e.held.all(1) {
			t.Fatalf("partition 0 caught up although its committed offset could not be read\n%s", logs)
		}
		select {
		case <-r.done:
			if !errors.Is(r.err, kerr.UnknownServerError) || errors.Is(r.err, errRestart) || !strings.Contains(r.err.Error(), "partition 0") {
				t.Fatalf("Run returned %v, want UNKNOWN_SERVER_ERROR for partition 0 and no restart", r.err)
			}
			return
		case <-changed:
		case <-deadline.C:
			t.Fatalf("Run still going after 30s\n%s", logs)
		}
	}
}

// catchUpOnKfake returns an engine, not running yet, on a kfake cluster
// whose events topic (one partition) holds n submissions that the
// engine's group has committed, with a store that has folded none of
// them: the engine must catch them up when it gains the partition. Its
// logs go to the buffer returned.
func catchUpOnKfake(t *testing.T, n int) (*kfake.Cluster, *Engine, *syncbuf.Buffer) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	logs := new(syncbuf.Buffer)
	e, err := New(Config{Brokers: c.ListenAddrs(), DataDir: t.TempDir(), Topics: topic.Spec{Partitions: 1}, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	evTopic := e.names.Events()
	appendSubmissions(t, c.ListenAddrs(), evTopic, 1, 0, n)
	var offsets kadm.Offsets
	offsets.AddOffset(evTopic, 0, int64(n), -1)
	resp, err := e.adm.CommitOffsets(t.Context(), e.cfg.Group, offsets)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatal(err)
	}
	return c, e, logs
}

// submission is the id of the ith workflow appendSubmissions appends.
func submission(i int) string { return fmt.Sprintf("wf%d", i) }

// appendSubmissions makes evTopic with parts partitions, if it is not
// there yet, and appends the submissions from through to-1 of a tasks.add
// to it, the ith on partition i%parts.
func appendSubmissions(t *testing.T, brokers []string, evTopic string, parts, from, to int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := topic.Ensure(t.Context(), kadm.NewClient(cl), topic.Spec{Partitions: int32(parts)}, evTopic); err != nil {
		t.Fatal(err)
	}
	codec, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		id := submission(i)
		b, err := codec.Encode(&events.Event{
			ID: events.SubmittedID(id), Workflow: id, Producer: "api", Time: now(),
			Body: &events.WorkflowSubmitted{Canvas: map[string]any{"task": "tasks.add", "args": []any{int64(i), int64(1)}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		r := &kgo.Record{Topic: evTopic, Partition: int32(i % parts), Key: []byte(id), Value: b}
		if err := cl.ProduceSync(t.Context(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// failCommittedOffset makes c answer catchUp's next fetch of the group's
// committed offsets with code on partition 0 of the events topic and no
// offset, as Kafka answers for a partition whose offset it cannot read,
// and counts the fetches it answered. The session's own fetch, which names
// the partitions it was assigned, is left alone.
func failCommittedOffset(t *testing.T, c *kfake.Cluster, e *Engine, code int16) *atomic.Int32 {
	t.Helper()
	evTopic := e.names.Events()
	topics, err := e.adm.ListTopics(t.Context(), evTopic)
	if err != nil {
		t.Fatal(err)
	}
	id := topics[evTopic].ID // kgo asks kfake with version 10, which names topics by id
	var seen atomic.Int32
	c.ControlKey(int16(kmsg.OffsetFetch), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		req := kreq.(*kmsg.OffsetFetchRequest)
		if !allTopics(req) {
			return nil, nil, false
		}
		seen.Add(1)
		resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
		resp.Version = req.Version
		if req.Version < 8 {
			sp := kmsg.NewOffsetFetchResponseTopicPartition()
			sp.Partition, sp.Offset, sp.ErrorCode = 0, -1, code
			st := kmsg.NewOffsetFetchResponseTopic()
			st.Topic, st.Partitions = evTopic, append(st.Partitions, sp)
			resp.Topics = append(resp.Topics, st)
			return resp, nil, true
		}
		sp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
		sp.Partition, sp.Offset, sp.ErrorCode = 0, -1, code
		st := kmsg.NewOffsetFetchResponseGroupTopic()
		st.Topic, st.TopicID, st.Partitions = evTopic, id, append(st.Partitions, sp)
		g := kmsg.NewOffsetFetchResponseGroup()
		g.Group, g.Topics = req.Groups[0].Group, append(g.Topics, st)
		resp.Groups = append(resp.Groups, g)
		return resp, nil, true
	})
	return &seen
}

// allTopics says whether req asks for the offsets of every topic, as
// catchUp's kadm.FetchOffsets does; the session's consumer names the
// partitions it was assigned.
func allTopics(req *kmsg.OffsetFetchRequest) bool {
	if req.Version < 8 {
		return req.Topics == nil
	}
	return len(req.Groups) == 1 && req.Groups[0].Topics == nil
}

// TestCatchUpWaitsForPendingOffsetCommits: the group's committed offset
// is being moved by a transaction still open (the previous owner's last
// one) when the engine gains the partition. Catch-up must not stop at the
// offset before it: the session starts at the offset the transaction
// commits, and the records between would never reach the store.
func TestCatchUpWaitsForPendingOffsetCommits(t *testing.T) {
	t.Parallel()
	const committed, n = 3, 5
	c, e, logs := catchUpOnKfake(t, committed)
	evTopic := e.names.Events()
	appendSubmissions(t, c.ListenAddrs(), evTopic, 1, committed, n)

	// A transaction of another producer commits offset n for the
	// engine's group and stays open.
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := t.Context()
	txnID := "previous-owner"
	initReq := kmsg.NewInitProducerIDRequest()
	initReq.TransactionalID, initReq.TransactionTimeoutMillis = &txnID, 60000
	initResp, err := initReq.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(initResp.ErrorCode)
	}
	if err != nil {
		t.Fatal(err)
	}
	pid, epoch := initResp.ProducerID, initResp.ProducerEpoch
	addReq := kmsg.NewAddOffsetsToTxnRequest()
	addReq.TransactionalID, addReq.ProducerID, addReq.ProducerEpoch, addReq.Group = txnID, pid, epoch, e.cfg.Group
	addResp, err := addReq.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(addResp.ErrorCode)
	}
	if err != nil {
		t.Fatal(err)
	}
	commitReq := kmsg.NewTxnOffsetCommitRequest()
	commitReq.TransactionalID, commitReq.Group, commitReq.ProducerID, commitReq.ProducerEpoch, commitReq.Generation = txnID, e.cfg.Group, pid, epoch, -1
	tp := kmsg.NewTxnOffsetCommitRequestTopic()
	tp.Topic, tp.TopicID = evTopic, c.TopicInfo(evTopic).TopicID
	pp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	pp.Partition, pp.Offset = 0, n
	tp.Partitions = append(tp.Partitions, pp)
	commitReq.Topics = append(commitReq.Topics, tp)
	commitResp, err := commitReq.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range commitResp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				t.Fatal(err)
			}
		}
	}

	// End the transaction once catch-up has asked for the committed
	// offsets: kfake answers that request before it reads the EndTxn.
	asked := make(chan struct{})
	var once atomic.Bool
	c.ControlKey(int16(kmsg.OffsetFetch), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if allTopics(kreq.(*kmsg.OffsetFetchRequest)) && once.CompareAndSwap(false, true) {
			close(asked)
		}
		return nil, nil, false
	})
	r := runEngine(t, e)
	select {
	case <-asked:
	case <-r.done:
		t.Fatalf("Run returned %v\n%s", r.err, logs)
	}
	endReq := kmsg.NewEndTxnRequest()
	endReq.TransactionalID, endReq.ProducerID, endReq.ProducerEpoch, endReq.Commit = txnID, pid, epoch, true
	endResp, err := endReq.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(endResp.ErrorCode)
	}
	if err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, e, r, logs)
	checkHolds(t, e, n, "catch-up read the offset before the open transaction", logs)
}

// checkHolds fails the test unless e's store has applied partition 0 of
// the events topic up to the nth record and holds the n workflows
// appendSubmissions appended; why says what a shortfall means.
func checkHolds(t *testing.T, e *Engine, n int, why string, logs *syncbuf.Buffer) {
	t.Helper()
	if applied, known, err := e.store.Applied(e.names.Events(), 0); err != nil || !known || applied != int64(n-1) {
		t.Fatalf("the store applied partition 0 up to %d (known %v, err %v), want %d: %s\n%s", applied, known, err, n-1, why, logs)
	}
	for i := range n {
		if w, err := e.State().Workflow(submission(i)); err != nil || w == nil {
			t.Errorf("workflow %s not in the store (err %v)", submission(i), err)
		}
	}
}

// runEngine runs e until the test ends, then closes it.
func runEngine(t *testing.T, e *Engine) *run {
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = e.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
		e.Close()
	})
	return r
}

// waitCaughtUp waits until e holds partition 0 caught up; it fails the
// test if Run returns first or after 30 s.
func waitCaughtUp(t *testing.T, e *Engine, r *run, logs *syncbuf.Buffer) {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		changed := e.held.wait()
		if e.held.all(1) {
			return
		}
		select {
		case <-r.done:
			t.Fatalf("Run returned %v\n%s", r.err, logs)
		case <-changed:
		case <-deadline.C:
			t.Fatalf("partition 0 not caught up after 30s\n%s", logs)
		}
	}
}

// TestRestartDelay: sessions that keep failing are made anew less and
// less often, up to restartMaxDelay; one that ran long enough starts the
// waits over.
func TestRestartDelay(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	d := time.Duration(0)
	for range 7 {
		d = restartDelay(d, time.Millisecond)
		got = append(got, d)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 16 * time.Second, 16 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("waits after sessions that failed at once: %v, want %v", got, want)
	}
	if d := restartDelay(16*time.Second, restartHealthy); d != time.Second {
		t.Errorf("wait after a session that ran %v: %v, want 1s", restartHealthy, d)
	}
	if d := restartDelay(4*time.Second, restartHealthy-time.Millisecond); d != 8*time.Second {
		t.Errorf("wait after a short session that followed a 4s wait: %v, want 8s", d)
	}
}

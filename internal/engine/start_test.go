package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/syncbuf"
	"github.com/fugue-run/fugue/internal/topic"
)

func TestTransient(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("%w: fugue.events", errNoTopic), true},
		{fmt.Errorf("engine: read the id of topic x: %w", dial), true},
		{fmt.Errorf("engine: read the end offsets of x: %w", context.DeadlineExceeded), true},
		{fmt.Errorf("engine: read the end offsets of x: %w", kerr.LeaderNotAvailable), true},
		{fmt.Errorf("engine: read the end offsets of x: %w", kerr.NotLeaderForPartition), true},
		{fmt.Errorf("engine: read the id of topic x: %w", kerr.UnknownServerError), false},
		{errors.Join(fmt.Errorf("topic: create a: %w", kerr.RequestTimedOut), fmt.Errorf("topic: create b: %w", dial)), true},
		{fmt.Errorf("topic: create a: %w", kerr.TopicAuthorizationFailed), false},
		{fmt.Errorf("topic: create a: %w", kerr.ClusterAuthorizationFailed), false},
		{fmt.Errorf("topic: create a: %w", kerr.SaslAuthenticationFailed), false},
		{fmt.Errorf("topic: create a: %w", kerr.InvalidPartitions), false},
		{fmt.Errorf("topic: create a: %w", kerr.InvalidReplicationFactor), false},
		{fmt.Errorf("topic: create a: %w", kerr.PolicyViolation), false},
		{fmt.Errorf("engine: read the id of topic x: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), false},
		{fmt.Errorf("engine: read the id of topic x: %w", kgo.ErrClientClosed), false},
		{fmt.Errorf("engine: catch up partition 0: %w", &kgo.ErrDataLoss{Topic: "x", ConsumedTo: 9, ResetTo: 4}), false},
	} {
		if got := transient(c.err); got != c.want {
			t.Errorf("transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestRetryTransient(t *testing.T) {
	t.Parallel()
	// fails fails with errs, one a try, then succeeds.
	fails := func(errs ...error) (func(context.Context) error, *int) {
		tries := new(int)
		return func(context.Context) error {
			*tries++
			if *tries <= len(errs) {
				return errs[*tries-1]
			}
			return nil
		}, tries
	}
	t.Run("transient", func(t *testing.T) {
		t.Parallel()
		var logs syncbuf.Buffer
		try, tries := fails(kerr.LeaderNotAvailable, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, errNoTopic)
		err := retryTransient(t.Context(), slog.New(slog.NewTextHandler(&logs, nil)), time.Microsecond, time.Millisecond, 0, "do it", try)
		if err != nil || *tries != 4 {
			t.Fatalf("returned %v after %d tries, want nil after 4", err, *tries)
		}
		for _, want := range []string{
			`level=WARN msg="engine: cannot do it yet; retrying" err="LEADER_NOT_AVAILABLE`, "attempt=1 retry_in=1µs",
			"connection refused", "attempt=2 retry_in=2µs",
			`level=INFO msg="engine: cannot do it yet; retrying" err="engine: no such topic" attempt=3 retry_in=4µs`,
		} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("logs lack %q:\n%s", want, logs.String())
			}
		}
	})
	t.Run("permanent", func(t *testing.T) {
		t.Parallel()
		try, tries := fails(kerr.LeaderNotAvailable, kerr.TopicAuthorizationFailed)
		err := retryTransient(t.Context(), slog.New(slog.DiscardHandler), time.Microsecond, time.Millisecond, 0, "do it", try)
		if !errors.Is(err, kerr.TopicAuthorizationFailed) || *tries != 2 {
			t.Fatalf("returned %v after %d tries, want TOPIC_AUTHORIZATION_FAILED after 2", err, *tries)
		}
	})
	t.Run("bounded tries", func(t *testing.T) {
		t.Parallel()
		try, tries := fails(kerr.LeaderNotAvailable, kerr.LeaderNotAvailable, kerr.LeaderNotAvailable)
		err := retryTransient(t.Context(), slog.New(slog.DiscardHandler), time.Microsecond, time.Millisecond, 2, "do it", try)
		if !errors.Is(err, kerr.LeaderNotAvailable) || !strings.Contains(err.Error(), "cannot do it after 2 tries") || *tries != 2 {
			t.Fatalf("returned %v after %d tries, want LEADER_NOT_AVAILABLE after 2", err, *tries)
		}
	})
	t.Run("until ctx is done", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		tries := 0
		err := retryTransient(ctx, slog.New(slog.DiscardHandler), time.Microsecond, time.Millisecond, 0, "do it", func(context.Context) error {
			if tries++; tries == 3 {
				cancel()
			}
			return kerr.RequestTimedOut
		})
		if !errors.Is(err, context.Canceled) || tries != 3 {
			t.Fatalf("returned %v after %d tries, want context.Canceled after 3", err, tries)
		}
	})
	t.Run("the wait is bounded", func(t *testing.T) {
		t.Parallel()
		var logs syncbuf.Buffer
		try, _ := fails(errNoTopic, errNoTopic, errNoTopic, errNoTopic)
		if err := retryTransient(t.Context(), slog.New(slog.NewTextHandler(&logs, nil)), time.Microsecond, 3*time.Microsecond, 0, "do it", try); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "attempt=4 retry_in=3µs") {
			t.Errorf("the fourth wait is not the most, 3µs:\n%s", logs.String())
		}
	})
}

// failListOffsets makes c answer the first n ListOffsets requests with
// code on every partition, and counts those it answered.
func failListOffsets(c *kfake.Cluster, n int32, code int16) *atomic.Int32 {
	var seen atomic.Int32
	c.ControlKey(int16(kmsg.ListOffsets), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if seen.Add(1) == n {
			c.DropControl()
		}
		resp := listOffsetsAnswer(kreq.(*kmsg.ListOffsetsRequest), func(int32) (int64, int16) { return -1, code })
		return resp, nil, true
	})
	return &seen
}

// listOffsetsAnswer answers req, partition by partition, with the offset
// or the error code that answer gives for it.
func listOffsetsAnswer(req *kmsg.ListOffsetsRequest, answer func(p int32) (offset int64, code int16)) *kmsg.ListOffsetsResponse {
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	resp.Version = req.Version
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.Offset, sp.ErrorCode = answer(rp.Partition)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

// run is an engine's Run under way.
type run struct {
	done chan struct{} // closed when Run returned
	err  error         // what it returned
}

// runOnKfake runs an engine on a kfake cluster that fails its first n
// ListOffsets requests with code, until the test ends.
func runOnKfake(t *testing.T, n int32, code int16) (*Engine, *atomic.Int32, *run) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	seen := failListOffsets(c, n, code)
	e, err := New(Config{Brokers: c.ListenAddrs(), DataDir: t.TempDir(), Topics: topic.Spec{Partitions: 2}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return e, seen, runEngine(t, e)
}

// testLogger logs to stderr with -v.
func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

// TestStartRetriesTransientErrors: a broker that cannot yet say where the
// events topic ends (LEADER_NOT_AVAILABLE, as right after the topic was
// created) does not end Run: the engine asks again, and then serves its
// partitions.
func TestStartRetriesTransientErrors(t *testing.T) {
	t.Parallel()
	e, seen, r := runOnKfake(t, 2, kerr.LeaderNotAvailable.Code)
	deadline := time.Now().Add(30 * time.Second)
	for len(e.Partitions()) < 2 {
		select {
		case <-r.done:
			t.Fatalf("Run returned %v", r.err)
		case <-time.After(10 * time.Millisecond): // poll the holdings
		}
		if time.Now().After(deadline) {
			t.Fatalf("the engine holds %v after 30s, want both partitions", e.Partitions())
		}
	}
	if n := seen.Load(); n != 2 {
		t.Errorf("%d ListOffsets failed, want 2", n)
	}
}

// TestStartStopsOnPermanentErrors: what retrying cannot mend ends Run at
// once: rights the engine lacks (on kfake), a replication factor the
// cluster cannot give (on the real broker).
func TestStartStopsOnPermanentErrors(t *testing.T) {
	t.Parallel()
	t.Run("kfake", func(t *testing.T) {
		t.Parallel()
		_, seen, r := runOnKfake(t, 1, kerr.TopicAuthorizationFailed.Code)
		select {
		case <-r.done:
			if !errors.Is(r.err, kerr.TopicAuthorizationFailed) {
				t.Errorf("Run returned %v, want TOPIC_AUTHORIZATION_FAILED", r.err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Run still going after 30s")
		}
		if n := seen.Load(); n != 1 {
			t.Errorf("the broker saw %d ListOffsets, want 1", n)
		}
	})
	t.Run("kafka", func(t *testing.T) {
		t.Parallel()
		e, err := New(Config{Brokers: kafkatest.Brokers(t), Prefix: kafkatest.Name(t, "fugue") + ".", DataDir: t.TempDir(),
			Topics: topic.Spec{Partitions: 1, Replication: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if err := e.Run(ctx); ctx.Err() != nil || !errors.Is(err, kerr.InvalidReplicationFactor) {
			t.Errorf("Run returned %v (context: %v), want INVALID_REPLICATION_FACTOR at once", err, ctx.Err())
		}
	})
}

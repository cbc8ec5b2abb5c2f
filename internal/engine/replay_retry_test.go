package engine

import (
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fugue-run/fugue/internal/syncbuf"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/projector"
)

// TestReplayRetriesTransientErrors: a broker that cannot say at once
// where the log ends, for one partition or for all, does not end a
// replay, nor take a partition out of it: Replay asks again, says so,
// and folds every record.
func TestReplayRetriesTransientErrors(t *testing.T) {
	t.Parallel()
	const n = 10 // submissions, over two partitions
	for name, fail := range map[string]func(*kfake.Cluster) *atomic.Int32{
		// lookUpTopic's listing of the end offsets, twice.
		"every partition": func(c *kfake.Cluster) *atomic.Int32 {
			return failListOffsets(c, 2, kerr.LeaderNotAvailable.Code)
		},
		// replayEnds' listing of the last stable offsets, once.
		"one partition": func(c *kfake.Cluster) *atomic.Int32 {
			return failStableEnd(c, 1, map[int32]int64{0: n / 2, 1: n / 2}, kerr.LeaderNotAvailable.Code)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := replayOnKfake(t, n)
			seen := fail(c)
			var logs syncbuf.Buffer
			res, err := Replay(t.Context(), slog.New(slog.NewTextHandler(&logs, nil)), c.ListenAddrs(), "", t.TempDir(), projector.Config{})
			if err != nil {
				t.Fatalf("Replay: %v\n%s", err, logs.String())
			}
			if res.Records != n {
				t.Errorf("replayed %d records, want %d\n%s", res.Records, n, logs.String())
			}
			if seen.Load() == 0 {
				t.Error("no listing failed")
			}
			if want := `level=WARN msg="engine: cannot `; !strings.Contains(logs.String(), want) {
				t.Errorf("logs lack %q:\n%s", want, logs.String())
			}
			again, err := Replay(t.Context(), nil, c.ListenAddrs(), "", t.TempDir(), projector.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Hash != again.Hash {
				t.Errorf("hash %x after the failures, %x without", res.Hash, again.Hash)
			}
		})
	}
}

// TestReplayStopsOnPermanentErrors: what retrying cannot mend ends a
// replay at once.
func TestReplayStopsOnPermanentErrors(t *testing.T) {
	t.Parallel()
	c := replayOnKfake(t, 2)
	seen := failListOffsets(c, 1, kerr.TopicAuthorizationFailed.Code)
	_, err := Replay(t.Context(), nil, c.ListenAddrs(), "", t.TempDir(), projector.Config{})
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("Replay returned %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	if got := seen.Load(); got != 1 {
		t.Errorf("the broker saw %d ListOffsets, want 1", got)
	}
}

// replayOnKfake returns a kfake cluster whose events topic (default
// prefix) holds n submissions over two partitions.
func replayOnKfake(t *testing.T, n int) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	appendSubmissions(t, c.ListenAddrs(), topic.Names{Prefix: topic.DefaultPrefix}.Events(), 2, 0, n)
	return c
}

// failStableEnd makes c answer the next listing of the last stable
// offsets (read_committed, latest: replayEnds') with code on partition
// bad and with ends on the others, and counts the listings it answered.
func failStableEnd(c *kfake.Cluster, bad int32, ends map[int32]int64, code int16) *atomic.Int32 {
	var seen atomic.Int32
	c.ControlKey(int16(kmsg.ListOffsets), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		req := kreq.(*kmsg.ListOffsetsRequest)
		if req.IsolationLevel != 1 || len(req.Topics) == 0 || len(req.Topics[0].Partitions) == 0 || req.Topics[0].Partitions[0].Timestamp != -1 {
			return nil, nil, false
		}
		seen.Add(1)
		resp := listOffsetsAnswer(req, func(p int32) (int64, int16) {
			if p == bad {
				return -1, code
			}
			return ends[p], 0
		})
		return resp, nil, true
	})
	return &seen
}

package engine

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/statestore"
)

const replayerTopic = "t.events"

// logFetches runs a chord and a chain in the harness and returns its log
// as polls of at most per records over two partitions, as a client would
// fetch them (with a record that does not decode), and the last offset of
// each partition. (Control records are left to TestReplayMatchesLive,
// which replays a transactional log.)
func logFetches(t *testing.T, per int) (*harness.Harness, []kgo.Fetches, map[int32]int64) {
	t.Helper()
	h := harness.New(projector.Config{}, harness.Chaos{})
	hdr := make([]*canvas.Signature, 50)
	for i := range hdr {
		hdr[i] = canvas.S("tasks.add", i, i)
	}
	h.Submit("wf-chord", canvas.Chord(canvas.Group(hdr...), canvas.S("tasks.tsum")).Value())
	h.Submit("wf-chain", canvas.Chain(canvas.S("tasks.add", 1, 1), canvas.S("tasks.add", 2)).Value())
	if err := h.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	codec, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	parts := map[int32][]*kgo.Record{}
	add := func(r *kgo.Record) {
		r.Topic, r.Offset = replayerTopic, int64(len(parts[r.Partition]))
		parts[r.Partition] = append(parts[r.Partition], r)
	}
	for i := range h.Log {
		v, err := codec.Encode(&h.Log[i])
		if err != nil {
			t.Fatal(err)
		}
		p := topic.Partition(h.Log[i].Workflow, 2)
		add(&kgo.Record{Key: []byte(h.Log[i].Workflow), Value: v, Partition: p})
		if i == 3 {
			add(&kgo.Record{Key: []byte("x"), Value: []byte("not avro"), Partition: p})
		}
	}
	last := map[int32]int64{}
	var polls []kgo.Fetches
	for p, rs := range parts {
		last[p] = int64(len(rs) - 1)
	}
	// Interleave the partitions, per records a poll.
	next := map[int32]int{}
	for {
		var fetch kgo.FetchTopic
		fetch.Topic = replayerTopic
		n := 0
		for _, p := range []int32{0, 1} {
			rs := parts[p][next[p]:]
			k := min(len(rs), per/2)
			if k == 0 {
				continue
			}
			fetch.Partitions = append(fetch.Partitions, kgo.FetchPartition{Partition: p, Records: rs[:k]})
			next[p] += k
			n += k
		}
		if n == 0 {
			break
		}
		polls = append(polls, kgo.Fetches{{Topics: []kgo.FetchTopic{fetch}}})
	}
	return h, polls, last
}

type polls struct {
	fetches []kgo.Fetches
	err     error
}

func (p *polls) PollRecords(context.Context, int) kgo.Fetches {
	if len(p.fetches) == 0 {
		return kgo.NewErrFetch(p.err)
	}
	f := p.fetches[0]
	p.fetches = p.fetches[1:]
	return f
}

func openReplayer(t *testing.T, last map[int32]int64) (*statestore.Store, *replayer) {
	t.Helper()
	s, err := statestore.Open(filepath.Join(t.TempDir(), "state"), statestore.WithNodeCacheSize(replayNodeCache))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rp, err := newReplayer(s, replayerTopic, last, projector.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s, rp
}

// TestReplayerFoldsTheLog folds a log fetched in polls of several sizes:
// the state is the harness's, every partition is applied to its end, and
// the records that do not decode are skipped.
func TestReplayerFoldsTheLog(t *testing.T) {
	t.Parallel()
	for _, per := range []int{2, 7, 100000} {
		h, fetches, last := logFetches(t, per)
		s, rp := openReplayer(t, clonedEnds(last))
		if err := rp.run(context.Background(), &polls{fetches: fetches, err: errors.New("polled past the end")}); err != nil {
			t.Fatalf("per=%d: %v", per, err)
		}
		if rp.records != int64(len(h.Log)) {
			t.Errorf("per=%d: folded %d records, the log has %d events", per, rp.records, len(h.Log))
		}
		got, err := s.Hash()
		if err != nil {
			t.Fatal(err)
		}
		if want := h.State.Hash(); got != want {
			t.Errorf("per=%d: hash %x, harness %x", per, got, want)
		}
		for p, end := range last {
			if off, ok, err := s.Applied(replayerTopic, p); err != nil || !ok || off != end {
				t.Errorf("per=%d: partition %d applied %d %v %v, want %d", per, p, off, ok, err, end)
			}
		}
	}
}

// TestReplayerStops checks that a fetch error and a cancelled context end
// a replay with that error, and that nothing is left running.
func TestReplayerStops(t *testing.T) {
	t.Parallel()
	_, fetches, last := logFetches(t, 10)
	boom := errors.New("broker gone")
	_, rp := openReplayer(t, clonedEnds(last))
	if err := rp.run(context.Background(), &polls{fetches: fetches[:3], err: boom}); !errors.Is(err, boom) {
		t.Fatalf("a fetch error ended the replay with %v", err)
	}
	if rp.records == 0 {
		t.Error("the polls before the error were not folded")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, rp = openReplayer(t, clonedEnds(last))
	if err := rp.run(ctx, &polls{fetches: fetches, err: boom}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled replay ended with %v", err)
	}
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/statestore"
)

// EnvBenchReplayPrefix names the topic prefix of an existing log for
// BenchmarkReplay, such as "fugue." after `make bench` or a fuguebench
// run on the same broker. Unset, the benchmark writes its own log.
const EnvBenchReplayPrefix = "FUGUE_BENCH_REPLAY_PREFIX"

// BenchmarkReplay measures replay over a log shaped like the one `make
// bench` leaves (a group and a chord of 10,000, a chain of 1,000, 1,000
// small workflows and a chord of 100,000, as the harness runs them; or
// the log under FUGUE_BENCH_REPLAY_PREFIX), in events/s:
//
//   - broker: Replay as `engine replay` runs it, fetching from the broker
//     (events/s over the whole call, which hashes the store at the end;
//     fold-events/s over ReplayResult.Took, the figure the command prints);
//   - fold: the decode, fold and commit of the same records, fetched once
//     into memory beforehand, so that its profile is Fugue's alone.
//
// Besides events/s, each reports the process's CPU time per event, which
// another load on the machine disturbs far less than the wall clock.
func BenchmarkReplay(b *testing.B) {
	brokers := kafkatest.Brokers(b)
	prefix := os.Getenv(EnvBenchReplayPrefix)
	if prefix == "" {
		prefix = kafkatest.Name(b, "replay-bench") + "."
		writeBenchLog(b, brokers, prefix)
	}
	evTopic := topic.Names{Prefix: prefix}.Events()

	b.Run("broker", func(b *testing.B) {
		var records int64
		var took time.Duration
		cpu0 := processCPU()
		for b.Loop() {
			res, err := Replay(context.Background(), nil, brokers, prefix, b.TempDir(), projector.Config{})
			if err != nil {
				b.Fatal(err)
			}
			records += res.Records
			took += res.Took
		}
		reportReplay(b, records, processCPU()-cpu0)
		// What `engine replay` prints: the fold alone, without opening the
		// store before and hashing it after.
		b.ReportMetric(float64(records)/took.Seconds(), "fold-events/s")
	})

	b.Run("fold", func(b *testing.B) {
		last, batches := fetchAll(b, brokers, evTopic)
		var records int64
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			store, err := statestore.Open(b.TempDir(), statestore.WithNodeCacheSize(replayNodeCache))
			if err != nil {
				b.Fatal(err)
			}
			rp, err := newReplayer(store, evTopic, clonedEnds(last), projector.Config{})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			cpu0 := processCPU()
			if err := rp.run(context.Background(), &captured{fetches: batches}); err != nil {
				b.Fatal(err)
			}
			cpu += processCPU() - cpu0
			records += rp.records
			b.StopTimer()
			if err := store.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		reportReplay(b, records, cpu)
	})
}

// reportReplay reports events/s and, where the platform measures it, the
// CPU time the process spent per event: on a shared machine the wall clock
// swings with the other load, the CPU time much less.
func reportReplay(b *testing.B, records int64, cpu time.Duration) {
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "events/s")
	if cpu > 0 && records > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(records), "cpu-ns/event")
	}
}

// captured hands out fetches polled before, in order.
type captured struct {
	fetches []kgo.Fetches
	next    int
}

func (c *captured) PollRecords(context.Context, int) kgo.Fetches {
	if c.next == len(c.fetches) {
		return kgo.NewErrFetch(errors.New("replay: the captured fetches end before the log"))
	}
	c.next++
	return c.fetches[c.next-1]
}

func clonedEnds(m map[int32]int64) map[int32]int64 {
	out := make(map[int32]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fetchAll reads evTopic to its end as Replay does and returns the end of
// each partition and every poll's fetches.
func fetchAll(b *testing.B, brokers []string, evTopic string) (map[int32]int64, []kgo.Fetches) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	last, err := replayEnds(ctx, kafkatest.Client(b), evTopic)
	if err != nil {
		b.Fatal(err)
	}
	start := map[int32]kgo.Offset{}
	for p := range last {
		start[p] = kgo.NewOffset().AtStart()
	}
	cl := kafkatest.Client(b,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{evTopic: start}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
	open := clonedEnds(last)
	var batches []kgo.Fetches
	for len(open) > 0 {
		fetches := cl.PollRecords(ctx, 10000)
		if err := fetches.Err(); err != nil {
			b.Fatal(err)
		}
		batches = append(batches, fetches)
		fetches.EachRecord(func(r *kgo.Record) {
			if end, ok := open[r.Partition]; ok && r.Offset >= end {
				delete(open, r.Partition)
			}
		})
	}
	return last, batches
}

// writeBenchLog runs the benchmark's workloads in the harness and writes
// the log it folded to the events topic under prefix, keyed and
// partitioned as the engine writes it.
func writeBenchLog(b *testing.B, brokers []string, prefix string) {
	b.Helper()
	h := harness.New(projector.Config{}, harness.Chaos{})
	adds := func(n int, args func(i int) []any) []*canvas.Signature {
		sigs := make([]*canvas.Signature, n)
		for i := range sigs {
			sigs[i] = canvas.S("tasks.add", args(i)...)
		}
		return sigs
	}
	pair := func(i int) []any { return []any{i, i} }
	h.Submit("group", canvas.Group(adds(10_000, pair)...).Value())
	h.Submit("chord", canvas.Chord(canvas.Group(adds(10_000, pair)...), canvas.S("tasks.tsum")).Value())
	chain := adds(1000, func(int) []any { return []any{1} })
	chain[0] = canvas.S("tasks.add", 0, 1)
	h.Submit("chain", canvas.Chain(chain...).Value())
	for i := range 1000 {
		small := canvas.Chain(canvas.S("tasks.add", 1, 1), canvas.S("tasks.add", 1), canvas.S("tasks.add", 1),
			canvas.Chord(canvas.Group(adds(10, func(i int) []any { return []any{i} })...), canvas.S("tasks.tsum")))
		h.Submit(fmt.Sprintf("small-%04d", i), small.Value())
	}
	h.Submit("bigchord", canvas.Chord(canvas.Group(adds(100_000, pair)...), canvas.S("tasks.tsum")).Value())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := h.Run(ctx); err != nil {
		b.Fatal(err)
	}

	evTopic := topic.Names{Prefix: prefix}.Events()
	adm := kadm.NewClient(kafkatest.Client(b))
	if err := topic.Ensure(ctx, adm, topic.Spec{}, evTopic); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := adm.DeleteTopic(ctx, evTopic); err != nil {
			b.Logf("delete topic %s: %v", evTopic, err)
		}
	})
	codec, err := events.NewCodec()
	if err != nil {
		b.Fatal(err)
	}
	cl := kafkatest.Client(b, kgo.DefaultProduceTopic(evTopic), kgo.ProducerBatchMaxBytes(topic.MaxMessageBytes),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	errs := make(chan error, 1)
	for i := range h.Log {
		v, err := codec.Encode(&h.Log[i])
		if err != nil {
			b.Fatal(err)
		}
		cl.Produce(ctx, &kgo.Record{Key: []byte(h.Log[i].Workflow), Value: v}, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	b.Logf("wrote %d events to %s", len(h.Log), evTopic)
}

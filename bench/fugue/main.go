// Command fuguebench drives the Fugue side of `make bench` (bench/run.sh):
//
//	fuguebench ceiling --brokers B [--n N] [--size BYTES]
//	fuguebench run --brokers B --server URL --workload group|chord|chain|many --n N
//
// Each prints one JSON object on stdout. Benchmark tooling only.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/client"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/topic"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: fuguebench ceiling|run [flags]")
		os.Exit(2)
	}
	var (
		res any
		err error
	)
	ctx := context.Background()
	switch os.Args[1] {
	case "ceiling":
		res, err = ceiling(ctx, os.Args[2:])
	case "run":
		res, err = runWorkload(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fuguebench:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

// ceiling produces N records of SIZE bytes to a fresh 8-partition topic
// (as many partitions as Fugue's events topic) with franz-go's defaults
// (idempotent, acks=all), then consumes them all from the start.
func ceiling(ctx context.Context, args []string) (any, error) {
	fs := flag.NewFlagSet("ceiling", flag.ExitOnError)
	brokers := fs.String("brokers", "", "")
	n := fs.Int("n", 1_000_000, "records")
	size := fs.Int("size", 200, "record value bytes")
	parts := fs.Int("partitions", 8, "")
	_ = fs.Parse(args)
	seeds := strings.Split(*brokers, ",")
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	name := fmt.Sprintf("bench.ceiling.%d", time.Now().UnixNano())
	if _, err := adm.CreateTopic(ctx, int32(*parts), 1, nil, name); err != nil {
		return nil, err
	}
	val := make([]byte, *size)
	for i := range val {
		val[i] = byte('a' + i%26)
	}
	var failed atomic.Value
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range *n {
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Topic: name, Key: fmt.Appendf(nil, "wf-%d", i%4096), Value: val}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Store(err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	prod := time.Since(t0)
	if e := failed.Load(); e != nil {
		return nil, e.(error)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(name),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(64<<20))
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	t1 := time.Now()
	got := 0
	for got < *n {
		fetches := cons.PollFetches(ctx)
		if errs := fetches.Errors(); len(errs) > 0 {
			return nil, errs[0].Err
		}
		got += fetches.NumRecords()
	}
	consumed := time.Since(t1)
	_, _ = adm.DeleteTopics(ctx, name)
	return map[string]any{
		"records": *n, "size": *size, "partitions": *parts,
		"produce_rps": float64(*n) / prod.Seconds(), "consume_rps": float64(*n) / consumed.Seconds(),
		"produce_s": prod.Seconds(), "consume_s": consumed.Seconds(),
	}, nil
}

// workload builds the canvas of a workload and its expected result.
func workload(kind string, n int) (*canvas.Signature, any, int) {
	switch kind {
	case "group":
		sigs := make([]*canvas.Signature, n)
		for i := range sigs {
			sigs[i] = canvas.S("tasks.add", i, i)
		}
		return canvas.Group(sigs...), nil, n
	case "chord":
		sigs := make([]*canvas.Signature, n)
		for i := range sigs {
			sigs[i] = canvas.S("tasks.add", i, i)
		}
		return canvas.Chord(canvas.Group(sigs...), canvas.S("tasks.tsum")), int64(n * (n - 1)), n + 1
	case "chain":
		sigs := make([]*canvas.Signature, n)
		sigs[0] = canvas.S("tasks.add", 0, 1)
		for i := 1; i < n; i++ {
			sigs[i] = canvas.S("tasks.add", 1)
		}
		return canvas.Chain(sigs...), int64(n), n
	case "small": // chain of 3 into a chord of 10: result 85
		hdr := make([]*canvas.Signature, 10)
		for i := range hdr {
			hdr[i] = canvas.S("tasks.add", i)
		}
		return canvas.Chain(canvas.S("tasks.add", 1, 1), canvas.S("tasks.add", 1), canvas.S("tasks.add", 1),
			canvas.Chord(canvas.Group(hdr...), canvas.S("tasks.tsum"))), int64(85), 14
	}
	panic("unknown workload " + kind)
}

func endOffsets(ctx context.Context, adm *kadm.Client, topics ...string) (map[string]map[int32]int64, int64, error) {
	eo, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, 0, err
	}
	out := map[string]map[int32]int64{}
	var sum int64
	eo.Each(func(o kadm.ListedOffset) {
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.Offset
		sum += o.Offset
	})
	return out, sum, eo.Error()
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	i := int(p * float64(len(xs)-1))
	return xs[i]
}

func runWorkload(ctx context.Context, args []string) (any, error) {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	brokers := fs.String("brokers", "", "")
	server := fs.String("server", "", "")
	kind := fs.String("workload", "group", "group, chord, chain or many")
	n := fs.Int("n", 1000, "size (tasks of the group/chord/chain; workflows for many)")
	timeout := fs.Duration("timeout", 10*time.Minute, "")
	_ = fs.Parse(args)
	seeds := strings.Split(*brokers, ",")
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	names := topic.Names{Prefix: topic.DefaultPrefix}
	evT, taskT := names.Events(), names.Tasks(topic.DefaultQueue)
	// The engine and the workers create their topics as they start.
	var before map[string]map[int32]int64
	var sum0 int64
	for try := 0; ; try++ {
		before, sum0, err = endOffsets(ctx, adm, evT, taskT)
		if err == nil || try == 300 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	c := client.New(*server)
	var (
		wfIDs   []string
		submit  = map[string]time.Time{}
		expect  any
		ntasks  int
		mu      sync.Mutex
		wfLat   []float64
		failure error
	)
	t0 := time.Now()
	if *kind == "many" {
		sig, exp, per := workload("small", 0)
		expect, ntasks = exp, per**n
		body, err := json.Marshal(sig)
		if err != nil {
			return nil, err
		}
		var wg sync.WaitGroup
		ids := make(chan int, *n)
		for i := range *n {
			ids <- i
		}
		close(ids)
		for range 64 {
			wg.Go(func() {
				for range ids {
					st := time.Now()
					r, err := c.SubmitJSON(ctx, body)
					if err == nil {
						var res any
						res, err = r.Get(ctx, *timeout)
						if err == nil && fmt.Sprint(res) != fmt.Sprint(expect) {
							err = fmt.Errorf("workflow %s: result %v, want %v", r.ID, res, expect)
						}
					}
					mu.Lock()
					if err != nil && failure == nil {
						failure = err
					}
					if r != nil {
						wfIDs = append(wfIDs, r.ID)
						submit[r.ID] = st
					}
					wfLat = append(wfLat, float64(time.Since(st).Microseconds())/1000)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	} else {
		sig, exp, nt := workload(*kind, *n)
		expect, ntasks = exp, nt
		r, err := c.Submit(ctx, sig)
		if err != nil {
			return nil, err
		}
		// Get reads the workflow's header alone, as Celery's
		// AsyncResult.get reads the result alone: the whole workflow of a
		// chord of 100,000 is a 15 MB answer to render and decode.
		res, err := r.Get(ctx, *timeout)
		if err != nil {
			return nil, fmt.Errorf("workflow %s: %w", r.ID, err)
		}
		if expect != nil && fmt.Sprint(res) != fmt.Sprint(expect) {
			return nil, fmt.Errorf("workflow %s: result %v, want %v", r.ID, res, expect)
		}
		wfIDs = []string{r.ID}
		submit[r.ID] = t0
		wfLat = []float64{float64(time.Since(t0).Microseconds()) / 1000}
	}
	wall := time.Since(t0)
	if failure != nil {
		return nil, failure
	}
	// Let the last events (WorkflowCompleted follows the final task) land.
	time.Sleep(200 * time.Millisecond)
	after, sum1, err := endOffsets(ctx, adm, evT, taskT)
	if err != nil {
		return nil, err
	}
	evCount := int64(0)
	for p, o := range after[evT] {
		evCount += o - before[evT][p]
	}
	// Read this workload's events back for latencies.
	parts := map[string]map[int32]kgo.Offset{evT: {}}
	for p, o := range before[evT] {
		parts[evT][p] = kgo.NewOffset().At(o)
	}
	rd, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumePartitions(parts),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxBytes(64<<20))
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	codec, err := events.NewCodec()
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range wfIDs {
		want[id] = true
	}
	// dispatchedTS is the Kafka timestamp of the TaskDispatched record (when
	// the engine produced it; milliseconds): the event's own Time is the
	// "now" Fold was given, the time of the event that caused the dispatch.
	type taskTimes struct{ dispatched, dispatchedTS, started, succeeded int64 }
	tasks := map[string]*taskTimes{}
	var dispatchSeq []string // tasks in dispatch order (chain: one partition)
	submittedEv := map[string]int64{}
	completedEv := map[string]int64{}
	remaining := map[int32]int64{}
	decoded := 0
	for p, o := range after[evT] {
		if o > before[evT][p] {
			remaining[p] = o
		}
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// A partition is read when its last offset came back; one whose last
	// offset is a transaction marker never does, so 1.5 s without records
	// also ends the read.
	idle, seen := time.Now(), false
	for len(remaining) > 0 && (!seen || time.Since(idle) < 1500*time.Millisecond) {
		pctx, pcancel := context.WithTimeout(rctx, 500*time.Millisecond)
		fetches := rd.PollFetches(pctx)
		pcancel()
		if rctx.Err() != nil {
			return nil, fmt.Errorf("reading events back: %w", rctx.Err())
		}
		if fetches.NumRecords() > 0 {
			idle, seen = time.Now(), true
		}
		fetches.EachRecord(func(rec *kgo.Record) {
			if end, ok := remaining[rec.Partition]; ok && rec.Offset+1 >= end {
				delete(remaining, rec.Partition)
			}
			if !want[string(rec.Key)] {
				return
			}
			ev, err := codec.Decode(rec.Value)
			if err != nil {
				return
			}
			decoded++
			switch ev.Body.(type) {
			case *events.WorkflowSubmitted:
				submittedEv[ev.Workflow] = ev.Time
			case *events.WorkflowCompleted:
				completedEv[ev.Workflow] = ev.Time
			case *events.TaskDispatched:
				t := tasks[ev.Task]
				if t == nil {
					t = &taskTimes{}
					tasks[ev.Task] = t
				}
				if t.dispatched == 0 {
					dispatchSeq = append(dispatchSeq, ev.Task)
					t.dispatched = ev.Time
					t.dispatchedTS = rec.Timestamp.UnixMicro()
				}
			case *events.TaskStarted:
				if t := tasks[ev.Task]; t != nil && t.started == 0 {
					t.started = ev.Time
				}
			case *events.TaskSucceeded:
				t := tasks[ev.Task]
				if t == nil {
					t = &taskTimes{}
					tasks[ev.Task] = t
				}
				t.succeeded = ev.Time
			}
		})
	}
	// Per-task end to end: workflow submitted (event time) to task succeeded.
	var e2e, run []float64
	for _, t := range tasks {
		if t.succeeded == 0 {
			continue
		}
		if t.dispatched != 0 {
			run = append(run, float64(t.succeeded-t.dispatched)/1000)
		}
	}
	if *kind != "many" {
		sub := submittedEv[wfIDs[0]]
		for _, t := range tasks {
			if t.succeeded != 0 && sub != 0 {
				e2e = append(e2e, float64(t.succeeded-sub)/1000)
			}
		}
	}
	var wfEv []float64
	for id, done := range completedEv {
		if s := submittedEv[id]; s != 0 {
			wfEv = append(wfEv, float64(done-s)/1000)
		}
	}
	out := map[string]any{
		"system": "fugue", "workload": *kind, "n": *n, "tasks": ntasks, "workflows": len(wfIDs),
		"wall_s": wall.Seconds(), "tasks_per_s": float64(ntasks) / wall.Seconds(),
		// events: decoded records of these workflows; events_offsets also
		// counts transaction markers (and anything else on the topic).
		"events": decoded, "events_per_task": float64(decoded) / float64(ntasks), "events_offsets": evCount,
		"kafka_records": sum1 - sum0, "kafka_rps": float64(sum1-sum0) / wall.Seconds(),
		"task_e2e_p50_ms": pct(e2e, .5), "task_e2e_p99_ms": pct(e2e, .99),
		"task_run_p50_ms": pct(run, .5), "task_run_p99_ms": pct(run, .99),
		"wf_client_p50_ms": pct(wfLat, .5), "wf_client_p99_ms": pct(wfLat, .99),
		"wf_events_p50_ms": pct(wfEv, .5), "wf_events_p99_ms": pct(wfEv, .99),
		"tasks_seen": len(tasks),
	}
	if *kind == "chain" {
		// A hop, TaskDispatched to the next TaskDispatched (event times, so
		// in effect one TaskSucceeded to the next), in two legs:
		// succeeded → the next TaskDispatched decided (worker produce,
		// engine fetch, fold; its Kafka timestamp, which the engine sets
		// when Fold decides it, ms), decided → that task succeeded (the
		// task message's produce, worker fetch, the task; a hop that
		// waits for a transaction's end shows here). A short task has no
		// TaskStarted (worker --started-after), so there is no leg at it.
		var hops, toDone, toNext []float64
		ms := func(a, b int64) float64 { return float64(b-a) / 1000 }
		// In the order the engine decided them: the events topic has a
		// transaction's TaskDispatched records after the reports that
		// came in while it was open (engine Config.CommitInterval).
		slices.SortStableFunc(dispatchSeq, func(a, b string) int { return cmp.Compare(tasks[a].dispatched, tasks[b].dispatched) })
		for i := 1; i < len(dispatchSeq); i++ {
			a, b := tasks[dispatchSeq[i-1]], tasks[dispatchSeq[i]]
			hops = append(hops, ms(a.dispatched, b.dispatched))
			if a.succeeded != 0 && b.succeeded != 0 {
				toNext = append(toNext, ms(a.succeeded, b.dispatchedTS))
				toDone = append(toDone, ms(b.dispatchedTS, b.succeeded))
			}
		}
		out["hop_p50_ms"], out["hop_p99_ms"], out["hops"] = pct(hops, .5), pct(hops, .99), len(hops)
		out["hop_dispatch_to_success_p50_ms"] = pct(toDone, .5)
		out["hop_success_to_next_dispatch_p50_ms"] = pct(toNext, .5)
	}
	return out, nil
}

package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/projector"
)

// BenchmarkChordPeakHeap submits a chord of n tasks.add header tasks into
// tasks.tsum through the HTTP API of an engine on the real broker, waits
// until the engine has folded it (its n dispatches are committed) and
// reads its header over HTTP (?tasks=false), as `make bench`'s client
// does against engine serve when it waits with Get. It
// reports the peak of the Go heap (live and not yet swept objects, sampled
// every 2 ms) and of the live heap (as the last GC found it) above what
// the process held before the submission: what the submission costs the
// API and the engine. No worker runs: in process, the workers' fetch
// buffers would count too, and they grow with how fast the engine
// dispatches. The peak heap follows the live heap but moves with the
// timing of the GC from run to run. The canvas body is built before the
// measurement starts; the answer is read and discarded.
//
// The API answers as soon as the canvas is appended (SubmitWait < 0), so
// the live peak is also reported in two parts: up to the answer (the API
// reading, checking and appending the canvas: api-live-MB) and after it,
// from the first GC that started after the answer (the engine folding it:
// engine-live-MB). The live heap is what the last GC found: with the
// default GOGC it lags the true peak by up to a cycle and moves from run
// to run; run with GOGC=5 for figures that follow it closely:
//
//	GOGC=5 go test -run x -bench ChordPeakHeap -benchtime 1x ./internal/engine
//
// With FUGUE_PEAK_HEAP_PROFILE=<file>, the heap profile at the engine's
// largest live heap is written to <file> (each time the peak grows by
// 1 MB): `go tool pprof -sample_index=inuse_space -top <file>` says what
// the peak is made of.
func BenchmarkChordPeakHeap(b *testing.B) {
	brokers := kafkatest.Brokers(b)
	for _, n := range []int{10_000, 100_000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			s := startStack(b, brokers, 0)
			srv := httptest.NewServer(api.NewHandler(s.eng, api.Config{SubmitWait: -1}))
			b.Cleanup(srv.Close)
			submit(b, srv.URL, chordJSON(b, 10), s, nil) // topics, groups, first assignment
			body := chordJSON(b, n)
			b.ResetTimer()
			for range b.N {
				runtime.GC()
				base, baseLive := heapObjects(), heapLive()
				sm := sampleHeap()
				submit(b, srv.URL, body, s, sm.mark)
				p := sm.stop()
				mb := func(v, base uint64) float64 { return (float64(v) - float64(base)) / (1 << 20) }
				b.ReportMetric(mb(p.heap, base), "peak-heap-MB")
				b.ReportMetric(mb(p.live, baseLive), "peak-live-MB")
				b.ReportMetric(mb(p.before, baseLive), "api-live-MB")
				b.ReportMetric(mb(p.after, baseLive), "engine-live-MB")
			}
		})
	}
}

// chordJSON is chord(group(add(i, i) for i < n), tsum()) in its wire form.
func chordJSON(b *testing.B, n int) []byte {
	sigs := make([]*canvas.Signature, n)
	for i := range sigs {
		sigs[i] = canvas.S("tasks.add", i, i)
	}
	data, err := json.Marshal(canvas.Chord(canvas.Group(sigs...), canvas.S("tasks.tsum")))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// submit posts a canvas, waits until the engine has folded it and reads
// the workflow's header. answered, when not nil, is called as the POST
// returns.
func submit(b *testing.B, url string, body []byte, s *stack, answered func()) {
	b.Helper()
	res, err := http.Post(url+"/v1/workflows", "application/json", bytes.NewReader(body))
	if answered != nil {
		answered()
	}
	if err != nil {
		b.Fatal(err)
	}
	var created struct{ ID string }
	err = json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusCreated {
		b.Fatalf("submit: %d %v", res.StatusCode, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for {
		changed := s.eng.Changed()
		w, err := projector.Header(s.eng.State(), created.ID)
		if err != nil {
			b.Fatal(err)
		}
		if w != nil {
			if w.Rejected != "" {
				b.Fatalf("workflow %s refused: %s", w.ID, w.Rejected)
			}
			break
		}
		select {
		case <-changed:
		case err := <-s.errs:
			b.Fatalf("engine failed: %v", err)
		case <-ctx.Done():
			b.Fatalf("workflow %s not folded", created.ID)
		}
	}
	res, err = http.Get(url + "/v1/workflows/" + created.ID + "?tasks=false")
	if err != nil {
		b.Fatal(err)
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("view: %d %v", res.StatusCode, err)
	}
}

// heapObjects returns the bytes of heap objects, live or not yet swept.
func heapObjects() uint64 {
	m := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(m)
	return m[0].Value.Uint64()
}

// heapLive returns the bytes of heap objects marked live by the last GC.
func heapLive() uint64 {
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(m)
	return m[0].Value.Uint64()
}

// gcCycles returns the number of GC cycles completed.
func gcCycles() uint64 {
	m := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(m)
	return m[0].Value.Uint64()
}

// heapSampler samples heapObjects and heapLive every 2 ms from sampleHeap
// until stop.
type heapSampler struct {
	wg     sync.WaitGroup
	done   chan struct{}
	marked atomic.Uint64 // 1 + the GC cycles completed at mark; 0: not marked
	// peaks, written by the sampling goroutine until stop
	p heapPeaks
	// profileFailed: a FUGUE_PEAK_HEAP_PROFILE that could not be written
	// was reported.
	profileFailed bool
}

// heapPeaks are the largest samples: of heapObjects (heap), of heapLive
// (live), and of heapLive before mark and from the first GC that started
// after it (before, after).
type heapPeaks struct {
	heap, live, before, after uint64
}

func sampleHeap() *heapSampler {
	sm := &heapSampler{done: make(chan struct{})}
	sm.wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			sm.sample()
			select {
			case <-sm.done:
				return
			case <-t.C:
			}
		}
	})
	return sm
}

func (sm *heapSampler) sample() {
	live := heapLive()
	sm.p.heap, sm.p.live = max(sm.p.heap, heapObjects()), max(sm.p.live, live)
	switch m := sm.marked.Load(); {
	case m == 0:
		sm.p.before = max(sm.p.before, live)
	case gcCycles() >= m+1: // a GC that started after the mark has ended
		if path := os.Getenv("FUGUE_PEAK_HEAP_PROFILE"); path != "" && live > sm.p.after+(1<<20) {
			sm.profile(path)
		}
		sm.p.after = max(sm.p.after, live)
	}
}

// profile writes the heap profile (as of the last GC) to path, for
// FUGUE_PEAK_HEAP_PROFILE. A profile that cannot be written is reported
// once, and the samples go on.
func (sm *heapSampler) profile(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil && !sm.profileFailed {
		sm.profileFailed = true
		fmt.Fprintln(os.Stderr, "heap profile:", err)
	}
}

// mark ends the first part of the samples.
func (sm *heapSampler) mark() { sm.marked.Store(gcCycles() + 1) }

// stop stops the sampling and returns the peaks.
func (sm *heapSampler) stop() heapPeaks {
	close(sm.done)
	sm.wg.Wait()
	sm.sample()
	return sm.p
}

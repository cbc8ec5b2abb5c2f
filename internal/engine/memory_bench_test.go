package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
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
func BenchmarkChordPeakHeap(b *testing.B) {
	brokers := kafkatest.Brokers(b)
	for _, n := range []int{10_000, 100_000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			s := startStack(b, brokers, 0)
			srv := httptest.NewServer(api.NewHandler(s.eng, api.Config{}))
			b.Cleanup(srv.Close)
			submit(b, srv.URL, chordJSON(b, 10), s) // topics, groups, first assignment
			body := chordJSON(b, n)
			b.ResetTimer()
			for range b.N {
				runtime.GC()
				base, baseLive := heapObjects(), heapLive()
				stop := sampleHeap()
				submit(b, srv.URL, body, s)
				peak, peakLive := stop()
				b.ReportMetric((float64(peak)-float64(base))/(1<<20), "peak-heap-MB")
				b.ReportMetric((float64(peakLive)-float64(baseLive))/(1<<20), "peak-live-MB")
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
// the workflow's header.
func submit(b *testing.B, url string, body []byte, s *stack) {
	b.Helper()
	res, err := http.Post(url+"/v1/workflows", "application/json", bytes.NewReader(body))
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

// sampleHeap samples heapObjects and heapLive until the function it
// returns is called, which returns the largest samples.
func sampleHeap() func() (uint64, uint64) {
	var (
		wg         sync.WaitGroup
		peak, live uint64
	)
	done := make(chan struct{})
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			peak, live = max(peak, heapObjects()), max(live, heapLive())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		return max(peak, heapObjects()), max(live, heapLive())
	}
}

package engine_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/demo"
	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/value"
	"github.com/fugue-run/fugue/worker"
)

// routed is an engine with its HTTP API routed between engines.
type routed struct {
	name string
	eng  *engine.Engine
	srv  *httptest.Server
	reg  *prometheus.Registry
	stop context.CancelFunc
	done chan struct{}
}

// group is engines in one consumer group and a worker, on one broker
// under one topic prefix.
type group struct {
	t       *testing.T
	brokers []string
	prefix  string
	parts   int32
	errs    chan error
	mu      sync.Mutex
	engines []*routed
}

// startGroup runs the named engines in one group and one worker with the
// demo tasks.
func startGroup(t *testing.T, names ...string) *group {
	t.Helper()
	g := &group{t: t, brokers: kafkatest.Brokers(t), prefix: kafkatest.Name(t, "fugue") + ".", parts: 8, errs: make(chan error, 16)}
	for _, name := range names {
		g.add(name)
	}
	reg := worker.NewRegistry()
	demo.Register(reg)
	w, err := worker.New(reg, worker.Config{Brokers: g.brokers, Prefix: g.prefix, Concurrency: 8, Logger: logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil && ctx.Err() == nil {
			g.errs <- err
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return g
}

// add starts an engine in the group: its API advertised at its own
// httptest server, routing on.
func (g *group) add(name string) *routed {
	t := g.t
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	reg := prometheus.NewRegistry()
	eng, err := engine.New(engine.Config{
		Brokers: g.brokers, Prefix: g.prefix, DataDir: t.TempDir(), Logger: logger(t),
		Topics: topic.Spec{Partitions: g.parts}, Advertise: "http://" + srv.Listener.Addr().String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = api.NewHandler(eng, api.Config{Router: eng, Registerer: reg, Logger: logger(t)})
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	r := &routed{name: name, eng: eng, srv: srv, reg: reg, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if err := eng.Run(ctx); err != nil && ctx.Err() == nil {
			g.errs <- fmt.Errorf("engine %s: %w", name, err)
		}
	}()
	t.Cleanup(func() {
		r.leave()
		srv.Close()
		eng.Close()
	})
	g.mu.Lock()
	g.engines = append(g.engines, r)
	g.mu.Unlock()
	return r
}

// leave stops the engine (it leaves the group); its API stays up.
func (r *routed) leave() {
	r.stop()
	<-r.done
}

// running returns the engines that have not left.
func (g *group) running() []*routed {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*routed
	for _, r := range g.engines {
		select {
		case <-r.done:
		default:
			out = append(out, r)
		}
	}
	return out
}

// settled waits until the engines hold every partition between them, each
// some, none twice.
func (g *group) settled(d time.Duration) {
	g.t.Helper()
	deadline := time.Now().Add(d)
	for {
		var all []int32
		each := true
		for _, r := range g.running() {
			ps := r.eng.Partitions()
			each = each && len(ps) > 0
			all = append(all, ps...)
		}
		slices.Sort(all)
		if each && len(all) == int(g.parts) && len(slices.Compact(all)) == int(g.parts) {
			return
		}
		select {
		case err := <-g.errs:
			g.t.Fatalf("engine or worker failed: %v", err)
		case <-time.After(50 * time.Millisecond): // poll the assignment
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("the engines never split the partitions: %v", all)
		}
	}
}

// owner returns the engine that holds workflow id's partition.
func (g *group) owner(id string) *routed {
	p := topic.Partition(id, g.parts)
	for _, r := range g.running() {
		if slices.Contains(r.eng.Partitions(), p) {
			return r
		}
	}
	g.t.Fatalf("no engine holds partition %d", p)
	return nil
}

// idsOn returns n workflow ids (made from prefix) on each engine's
// partitions, by engine.
func (g *group) idsOn(prefix string, n int) map[*routed][]string {
	out := map[*routed][]string{}
	short := func(r *routed) bool { return len(out[r]) < n }
	for i := 0; slices.ContainsFunc(g.engines, short); i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		if o := g.owner(id); len(out[o]) < n {
			out[o] = append(out[o], id)
		}
	}
	return out
}

// other returns an engine that is not r.
func (g *group) other(r *routed) *routed {
	for _, o := range g.engines {
		if o != r {
			return o
		}
	}
	return nil
}

type answer struct {
	code   int
	header http.Header
	body   string
}

func (r *routed) do(t *testing.T, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, r.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, strings.TrimSpace(string(b))}
}

// same sends a request through every engine and checks that they answer
// alike.
func (g *group) same(method, path string) answer {
	g.t.Helper()
	var first answer
	for i, r := range g.engines {
		a := r.do(g.t, method, path, "")
		if i == 0 {
			first = a
			continue
		}
		if a.code != first.code || a.body != first.body || a.header.Get("Fugue-Ready") != first.header.Get("Fugue-Ready") {
			g.t.Fatalf("%s %s:\n%s: %d %s\n%s: %d %s", method, path, g.engines[0].name, first.code, first.body, r.name, a.code, a.body)
		}
	}
	return first
}

// TestRoutingBetweenEngines runs two engines in one group on the real
// broker and checks that every route gives, through the engine that does
// not own a workflow's partition, the answer of the one that does.
func TestRoutingBetweenEngines(t *testing.T) {
	g := startGroup(t, "a", "b")
	g.settled(60 * time.Second)
	ids := g.idsOn("route", 3)

	for _, owner := range g.engines {
		via := g.other(owner)
		wf, sleeper, dup := ids[owner][0], ids[owner][1], ids[owner][2]

		// Submit through the other engine: the answer comes once the
		// owner folded it, not after the submit wait.
		start := time.Now()
		a := via.do(t, "POST", "/v1/workflows", `{"task": "celery.chain", "options": {"task_id": "`+wf+`"}, "kwargs": {"tasks": [
			{"task": "tasks.add", "args": [2, 2], "options": {"task_id": "`+wf+`.add"}}, {"task": "tasks.mul", "args": [8]}]}}`)
		if a.code != http.StatusCreated || a.body != `{"id":"`+wf+`"}` {
			t.Fatalf("submit %s through %s: %d %s", wf, via.name, a.code, a.body)
		}
		if d := time.Since(start); d >= api.DefaultSubmitWait {
			t.Errorf("submit %s through %s took %s: the wait for the fold did not reach the owner", wf, via.name, d)
		}
		// Known at once through both (the owner folded it before the 201).
		if a := owner.do(t, "GET", "/v1/workflows/"+wf, ""); a.code != http.StatusOK {
			t.Fatalf("GET %s through its owner %s right after the 201: %d %s", wf, owner.name, a.code, a.body)
		}
		a = via.do(t, "GET", "/v1/workflows/"+wf+"?wait=60s", "")
		if a.code != http.StatusOK || !strings.Contains(a.body, `"state":"SUCCESS","result":32`) || a.header.Get("Fugue-Ready") != "true" {
			t.Fatalf("GET %s through %s: %d %v %s", wf, via.name, a.code, a.header, a.body)
		}
		g.same("GET", "/v1/workflows/"+wf)
		g.same("GET", "/v1/tasks/"+wf+".add")
		g.same("GET", "/v1/tasks/"+wf+".add?wait=5s")

		// The same task_id in another workflow of that partition: refused
		// through the other engine as the owner refuses it.
		a = via.do(t, "POST", "/v1/workflows", `{"task": "tasks.add", "args": [1, 1], "options": {"task_id": "`+dup+`",
			"link": [{"task": "tasks.identity", "options": {"task_id": "`+wf+`.add"}}]}}`)
		if a.code != http.StatusBadRequest || !strings.Contains(a.body, `options.link[0].options.task_id: task_id \"`+wf+`.add\" is already used by workflow `+wf) {
			t.Errorf("duplicate task_id through %s: %d %s", via.name, a.code, a.body)
		}
		// Submitting the same id again answers as the first time.
		if a := via.do(t, "POST", "/v1/workflows", `{"task": "tasks.add", "args": [2, 2], "options": {"task_id": "`+wf+`"}}`); a.code != http.StatusCreated {
			t.Errorf("second submit %s: %d %s", wf, a.code, a.body)
		}

		// Revoke through the other engine, a task and then the workflow.
		a = via.do(t, "POST", "/v1/workflows", `{"task": "celery.chain", "options": {"task_id": "`+sleeper+`"}, "kwargs": {"tasks": [
			{"task": "tasks.sleep", "args": [60], "options": {"task_id": "`+sleeper+`.sleep"}}, {"task": "tasks.add", "args": [1]}]}}`)
		if a.code != http.StatusCreated {
			t.Fatalf("submit %s: %d %s", sleeper, a.code, a.body)
		}
		if a := via.do(t, "POST", "/v1/tasks/"+sleeper+".sleep/revoke", ""); a.code != http.StatusAccepted || a.body != `{"id":"`+sleeper+`.sleep"}` {
			t.Fatalf("revoke task through %s: %d %s", via.name, a.code, a.body)
		}
		if a := via.do(t, "POST", "/v1/workflows/"+sleeper+"/revoke", ""); a.code != http.StatusAccepted || a.body != `{"id":"`+sleeper+`"}` {
			t.Fatalf("revoke workflow through %s: %d %s", via.name, a.code, a.body)
		}
		a = via.do(t, "GET", "/v1/workflows/"+sleeper+"?wait=60s", "")
		if a.code != http.StatusOK || !strings.HasPrefix(a.body, `{"id":"`+sleeper+`","state":"REVOKED"`) {
			t.Fatalf("revoked %s through %s: %d %s", sleeper, via.name, a.code, a.body)
		}
		g.same("GET", "/v1/workflows/"+sleeper)
		g.same("GET", "/v1/tasks/"+sleeper+".sleep")

		// Unknown ids: 404 through both, from the owner.
		unknown := ids[owner][0] + "-unknown"
		for g.owner(unknown) != owner {
			unknown += "x"
		}
		if a := g.same("GET", "/v1/workflows/"+unknown); a.code != http.StatusNotFound {
			t.Errorf("unknown workflow: %d %s", a.code, a.body)
		}
		g.same("POST", "/v1/workflows/"+unknown+"/revoke")
	}
	if a := g.same("GET", "/v1/tasks/no-such-task"); a.code != http.StatusNotFound {
		t.Errorf("unknown task: %d %s", a.code, a.body)
	}
	g.same("POST", "/v1/tasks/no-such-task/revoke")

	// A canvas without a task_id, through each engine: wherever its new id
	// lands, the answer names it and both engines know it.
	for _, r := range g.engines {
		a := r.do(t, "POST", "/v1/workflows", `{"task": "tasks.add", "args": [20, 22]}`)
		v, err := value.DecodeJSON([]byte(a.body))
		id, _ := v.(map[string]any)["id"].(string)
		if a.code != http.StatusCreated || err != nil || id == "" {
			t.Fatalf("submit through %s: %d %s", r.name, a.code, a.body)
		}
		if a := g.other(r).do(t, "GET", "/v1/workflows/"+id+"?wait=60s", ""); a.code != http.StatusOK || !strings.Contains(a.body, `"result":42`) {
			t.Fatalf("GET %s: %d %s", id, a.code, a.body)
		}
		g.same("GET", "/v1/workflows/"+id)
	}

	for _, r := range g.engines {
		n := 0.0
		for _, route := range []string{"submit", "workflow", "task", "revoke_workflow", "revoke_task"} {
			n += counterValue(t, r.reg, "fugue_api_forwarded_total", route)
		}
		if n == 0 {
			t.Errorf("%s forwarded nothing, by its metrics", r.name)
		}
	}
}

// TestRoutingThroughARebalance: while an engine joins the group and
// another leaves it, every answer about a known workflow, through any
// engine, is the workflow (200) or a 503 that says to retry — never a 404
// from an engine that has not caught up with the partition.
func TestRoutingThroughARebalance(t *testing.T) {
	g := startGroup(t, "a", "b")
	g.settled(60 * time.Second)
	a := g.engines[0]
	var ids []string
	for i := range 24 {
		r := g.engines[i%2]
		a := r.do(t, "POST", "/v1/workflows", fmt.Sprintf(`{"task": "tasks.add", "args": [%d, 1], "options": {"task_id": "rb-%d"}}`, i, i))
		if a.code != http.StatusCreated {
			t.Fatalf("submit: %d %s", a.code, a.body)
		}
		ids = append(ids, fmt.Sprintf("rb-%d", i))
	}
	for i, id := range ids {
		if r := a.do(t, "GET", "/v1/workflows/"+id+"?wait=60s", ""); r.code != http.StatusOK || !strings.Contains(r.body, fmt.Sprintf(`"state":"SUCCESS","result":%d`, i+1)) {
			t.Fatalf("%s: %d %s", id, r.code, r.body)
		}
	}

	// check asks every engine about every workflow until stop is closed
	// and once more after; it reports answers that are neither the
	// workflow nor a 503 to retry, and counts the 503s.
	check := func(stop <-chan struct{}) (unroutable int) {
		for last := false; !last; {
			select {
			case <-stop:
				last = true
			default:
			}
			for _, r := range g.engines {
				for i, id := range ids {
					a := r.do(t, "GET", "/v1/workflows/"+id, "")
					switch {
					case a.code == http.StatusOK && strings.Contains(a.body, fmt.Sprintf(`"state":"SUCCESS","result":%d`, i+1)):
					case a.code == http.StatusServiceUnavailable && a.header.Get(api.HeaderUnroutable) != "" && a.header.Get("Retry-After") != "":
						unroutable++
					default:
						t.Errorf("GET %s through %s: %d %s", id, r.name, a.code, a.body)
					}
				}
			}
		}
		return unroutable
	}
	phase := func(what string, change func()) {
		t.Helper()
		stop := make(chan struct{})
		got := make(chan int, 1)
		go func() { got <- check(stop) }()
		change()
		g.settled(60 * time.Second)
		close(stop)
		t.Logf("%s: %d answers were 503 while the group rebalanced", what, <-got)
	}
	phase("c joins", func() { g.add("c") })
	phase("b leaves", func() { g.engines[1].leave() })
	// Settled: every engine, b's API included, answers for everything.
	if n := check(closed()); n != 0 {
		t.Errorf("%d answers were 503 after the group settled", n)
	}
}

func closed() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

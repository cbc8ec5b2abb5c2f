package statestore

import (
	"fmt"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
)

func TestPlanCacheLRU(t *testing.T) {
	t.Parallel()
	c := newPlanCache(2)
	p := func(n int) compiled { // a plan of n nodes
		sig := canvas.S("tasks.a")
		if n > 1 {
			tasks := make([]*canvas.Signature, n-1)
			for k := range tasks {
				tasks[k] = canvas.S("tasks.a")
			}
			sig = canvas.Chain(tasks...)
		}
		plan, err := projector.Compile("w", sig)
		if err != nil {
			t.Fatal(err)
		}
		return compiled{plan: plan}
	}
	c.add("a", p(1))
	c.add("b", p(2))
	if got := c.add("a", p(9)); got.plan.Len() != 1 {
		t.Fatal("add replaced a cached plan")
	}
	c.get("a") // b is now the least recently used
	c.add("c", p(3))
	if _, ok := c.get("b"); ok {
		t.Fatal("b was not evicted")
	}
	for id, n := range map[string]int{"a": 1, "c": 3} {
		if got, ok := c.get(id); !ok || got.plan.Len() != n {
			t.Fatalf("%s: %v %v", id, ok, got)
		}
	}
	if c.len() != 2 {
		t.Fatalf("%d plans cached, want 2", c.len())
	}
}

// TestPlanCacheEviction folds many workflows, interleaved, through a store
// that keeps one plan: every read compiles the plan again, and the state
// must come out the same.
func TestPlanCacheEviction(t *testing.T) {
	t.Parallel()
	var sigs []map[string]any
	for i := range 6 {
		// Different shapes, so that a plan used for the wrong workflow
		// would show.
		sigs = append(sigs, canvas.Chain(canvas.S("tasks.add", int64(i), int64(1)), chord(i+1), canvas.S("tasks.add", int64(1))).Value())
	}
	h := record(t, harness.Chaos{Seed: 3, Shuffle: true, Redeliver: 0.1}, sigs...)
	mem, _ := memFold(t, h.Log)
	for _, size := range []int{1, 3, 1000} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			t.Parallel()
			s, _ := setup(t, WithPlanCacheSize(size))
			newFolder(s, 3).fold(t, h.Log, 0)
			if got, want := mustHash(t, s), mem.Hash(); got != want {
				t.Fatalf("hash %x, memory %x", got, want)
			}
			// Every workflow completed: their plans are given back.
			if n := s.plans.len(); n != 0 {
				t.Fatalf("%d plans cached after every workflow completed, want 0", n)
			}
			// A workflow read twice in one txn keeps its pointer even when
			// its plan was evicted in between.
			txn := s.Begin()
			defer txn.Discard()
			a, _ := txn.Workflow("wf00")
			for i := 1; i < len(sigs); i++ {
				if _, err := txn.Workflow(fmt.Sprintf("wf%02d", i)); err != nil {
					t.Fatal(err)
				}
			}
			if b, _ := txn.Workflow("wf00"); a != b || !a.Completed {
				t.Fatal("workflow pointer changed within a txn")
			}
			// A transaction folds: it does not compile completed plans
			// again; a reader, for views, does.
			if a.Plan != nil || s.plans.len() != 0 {
				t.Fatalf("a txn compiled the plan of a completed workflow (%d cached)", s.plans.len())
			}
			rd := s.Reader()
			for i := range sigs {
				id := fmt.Sprintf("wf%02d", i)
				w, _ := rd.Workflow(id)
				m, _ := mem.Workflow(id)
				if w.Plan.Len() != m.Plan.Len() || w.Plan.ID(int32(w.Plan.Len()-1)) != m.Plan.ID(int32(m.Plan.Len()-1)) {
					t.Fatalf("%s: plan of %d nodes, memory %d", id, w.Plan.Len(), m.Plan.Len())
				}
			}
		})
	}
}

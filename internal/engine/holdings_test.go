package engine

import (
	"slices"
	"testing"
	"time"
)

func TestMemberClientID(t *testing.T) {
	t.Parallel()
	for _, url := range []string{"", "http://10.0.0.7:8080", "https://fugue.example/api"} {
		id := memberClientID(url)
		if got := advertised(id); got != url {
			t.Errorf("advertised(memberClientID(%q)) = %q (client id %q)", url, got, id)
		}
	}
	for _, other := range []string{"kgo", "fugue-engine", "fugue-engineX http://a", "rdkafka"} {
		if got := advertised(other); got != "" {
			t.Errorf("advertised(%q) = %q, want none", other, got)
		}
	}
}

func TestHoldings(t *testing.T) {
	t.Parallel()
	h := newHoldings()
	changed := h.wait()
	h.assign("m1", []int32{0, 1, 2})
	select {
	case <-changed:
	default:
		t.Fatal("assign did not announce a change")
	}
	if held, caught := h.of(1); !held || caught {
		t.Fatalf("after assign: held %v caught up %v", held, caught)
	}
	h.caughtUp([]int32{1, 2, 5}) // 5 is not held: stays unheld
	if got := h.caughtUpList(); !slices.Equal(got, []int32{1, 2}) {
		t.Fatalf("caught up %v", got)
	}
	if h.all(3) {
		t.Fatal("all(3) with partition 0 still catching up")
	}
	h.caughtUp([]int32{0})
	if !h.all(3) || h.all(4) {
		t.Fatalf("all(3) %v, all(4) %v; want true, false", h.all(3), h.all(4))
	}
	h.revoke([]int32{2})
	if held, _ := h.of(2); held {
		t.Fatal("revoked partition still held")
	}

	// A view taken after the assignment that gives partition 1 to another
	// member: a revocation nobody reported. One taken before: stale.
	before := time.Now().Add(-time.Hour)
	h.reconcile(before, map[int32]groupMember{0: {id: "m2"}})
	if held, _ := h.of(0); !held {
		t.Fatal("a view older than the assignment dropped a partition")
	}
	h.reconcile(time.Now(), map[int32]groupMember{0: {id: "m1"}, 1: {id: "m2"}})
	if held, _ := h.of(1); held {
		t.Fatal("a newer view giving partition 1 to another member left it held")
	}
	if held, _ := h.of(0); !held {
		t.Fatal("a view that confirms partition 0 dropped it")
	}
	h.reset()
	if h.self() != "" || len(h.caughtUpList()) != 0 {
		t.Fatal("reset kept something")
	}
}

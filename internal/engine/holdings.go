package engine

import (
	"slices"
	"sync"
	"time"
)

// holdings are the partitions of the events topic this engine's group
// member holds: assigned to it, and caught up (the store has their state
// up to the group's committed offset) or still catching up. The
// projector's session keeps them; Route and Peers read them.
type holdings struct {
	mu     sync.Mutex
	member string // this engine's group member id; "" while outside the group
	parts  map[int32]holding
	// changed is closed and replaced on every change.
	changed chan struct{}
}

type holding struct {
	caughtUp bool
	since    time.Time // when it was assigned
}

func newHoldings() *holdings {
	return &holdings{parts: map[int32]holding{}, changed: make(chan struct{})}
}

// notifyLocked announces a change; mu is held.
func (h *holdings) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// assign records partitions assigned to member, not caught up yet.
func (h *holdings) assign(member string, ps []int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.member = member
	now := time.Now()
	for _, p := range ps {
		h.parts[p] = holding{since: now}
	}
	h.notifyLocked()
}

// caughtUp marks partitions caught up, those still held.
func (h *holdings) caughtUp(ps []int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range ps {
		if c, ok := h.parts[p]; ok {
			c.caughtUp = true
			h.parts[p] = c
		}
	}
	h.notifyLocked()
}

// revoke forgets partitions.
func (h *holdings) revoke(ps []int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range ps {
		delete(h.parts, p)
	}
	h.notifyLocked()
}

// reset forgets everything: the session ended.
func (h *holdings) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.member = ""
	clear(h.parts)
	h.notifyLocked()
}

// reconcile forgets the partitions that a view of the group taken at
// taken gives to another member although they were assigned here before:
// a revocation the session did not report.
func (h *holdings) reconcile(taken time.Time, owners map[int32]groupMember) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.member == "" {
		return
	}
	dropped := false
	for p, c := range h.parts {
		if o, ok := owners[p]; ok && o.id != h.member && c.since.Before(taken) {
			delete(h.parts, p)
			dropped = true
		}
	}
	if dropped {
		h.notifyLocked()
	}
}

// of reports whether partition p is held, and caught up.
func (h *holdings) of(p int32) (held, caughtUp bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.parts[p]
	return ok, c.caughtUp
}

// all reports whether every partition below n is held and caught up.
func (h *holdings) all(n int32) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for p := range n {
		if !h.parts[p].caughtUp {
			return false
		}
	}
	return true
}

// self is this engine's group member id ("" while outside the group).
func (h *holdings) self() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.member
}

// wait returns a channel closed at the next change.
func (h *holdings) wait() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// caughtUpList returns the partitions held and caught up, in order.
func (h *holdings) caughtUpList() []int32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []int32
	for p, c := range h.parts {
		if c.caughtUp {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

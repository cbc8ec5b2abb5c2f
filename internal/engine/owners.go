package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// How the engines find each other: every engine's group member carries,
// in its client id, the base URL of its HTTP API (Config.Advertise), and a
// DescribeGroups of the engines' group says which member holds which
// partition of the events topic. That is the group coordinator's own
// assignment, so it is never out of date by more than the age of the view,
// and it needs nothing besides the group: no registry topic to keep in
// step with membership.

// clientIDPrefix starts the client id of an engine's group member; the
// advertised URL follows after a space.
const clientIDPrefix = "fugue-engine"

// memberClientID is the client id of the group member of an engine that
// advertises url ("": none).
func memberClientID(url string) string {
	if url == "" {
		return clientIDPrefix
	}
	return clientIDPrefix + " " + url
}

// advertised returns the URL in a member's client id ("" for none).
func advertised(clientID string) string {
	url, ok := strings.CutPrefix(clientID, clientIDPrefix+" ")
	if !ok {
		return ""
	}
	return url
}

const (
	// viewTTL is how long a view of the group answers requests before
	// the next one asks the broker again.
	viewTTL = time.Second
	// viewInterval is the least time between two DescribeGroups of one
	// engine, however many requests want a newer view (after a failed
	// forward, or while they wait for an owner).
	viewInterval = 250 * time.Millisecond
	// describeTimeout bounds one DescribeGroups (with its Metadata).
	describeTimeout = 10 * time.Second
)

// groupView is what a DescribeGroups of the engines' group said.
type groupView struct {
	taken time.Time // when the request was made
	parts int32     // partitions of the events topic
	state string    // the group's state (Stable, PreparingRebalance, ...)
	// owners are the members holding each partition; empty unless the
	// group is Stable (the coordinator shows assignments only then).
	owners map[int32]groupMember
	err    error
}

// groupMember is one engine in the group.
type groupMember struct {
	id, url, host string
}

// views shares views of the group between requests: one DescribeGroups at
// a time, at most one every viewInterval.
type views struct {
	mu   sync.Mutex
	cur  *groupView
	busy chan struct{} // closed when the DescribeGroups under way ends
	last time.Time     // when the last one began
}

// view returns a view of the group taken after after, asking the broker
// when the one it has is older.
func (e *Engine) view(ctx context.Context, after time.Time) (*groupView, error) {
	v := &e.views
	for {
		v.mu.Lock()
		if cur := v.cur; cur != nil && cur.taken.After(after) {
			v.mu.Unlock()
			return cur, cur.err
		}
		if busy := v.busy; busy != nil {
			v.mu.Unlock()
			select {
			case <-busy:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if wait := viewInterval - time.Since(v.last); wait > 0 {
			v.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
		busy, taken := make(chan struct{}), time.Now()
		v.busy, v.last = busy, taken
		v.mu.Unlock()

		gv := e.describeGroup(taken)
		if gv.err == nil {
			e.parts.Store(gv.parts)
			e.held.reconcile(gv.taken, gv.owners)
		}
		v.mu.Lock()
		v.cur, v.busy = gv, nil
		close(busy)
		v.mu.Unlock()
	}
}

// describeGroup asks the broker who holds which partition. It does not
// take a request's context: the answer serves every request waiting for
// it.
func (e *Engine) describeGroup(taken time.Time) *groupView {
	ctx, cancel := context.WithTimeout(context.Background(), describeTimeout)
	defer cancel()
	gv := &groupView{taken: taken, owners: map[int32]groupMember{}}
	evTopic := e.names.Events()
	topics, err := e.adm.ListTopics(ctx, evTopic)
	if err == nil {
		err = topics[evTopic].Err
	}
	if err != nil {
		gv.err = fmt.Errorf("the partitions of %s: %w", evTopic, err)
		return gv
	}
	gv.parts = int32(len(topics[evTopic].Partitions))
	groups, err := e.adm.DescribeGroups(ctx, e.cfg.Group)
	if err == nil {
		err = groups.Error()
	}
	if errors.Is(err, kerr.GroupIDNotFound) {
		gv.state = "Dead" // no engine joined yet
		return gv
	}
	if err != nil {
		gv.err = fmt.Errorf("describe group %s: %w", e.cfg.Group, err)
		return gv
	}
	g := groups[e.cfg.Group]
	gv.state = g.State
	if g.State != "Stable" {
		return gv
	}
	for _, m := range g.Members {
		ca, ok := m.Assigned.AsConsumer()
		if !ok {
			continue
		}
		for _, t := range ca.Topics {
			if t.Topic != evTopic {
				continue
			}
			for _, p := range t.Partitions {
				gv.owners[p] = groupMember{id: m.MemberID, url: advertised(m.ClientID), host: m.ClientHost}
			}
		}
	}
	return gv
}

// partitions returns the number of partitions of the events topic, asking
// the broker until ctx is done the first time.
func (e *Engine) partitions(ctx context.Context) (int32, error) {
	for {
		if n := e.parts.Load(); n > 0 {
			return n, nil
		}
		_, err := e.view(ctx, time.Now())
		if ctx.Err() != nil {
			if err == nil || errors.Is(err, ctx.Err()) {
				err = errors.New("the broker did not answer in time")
			}
			return 0, fmt.Errorf("the partitions of %s are unknown: %w", e.names.Events(), err)
		}
	}
}

// isSelf reports whether m is this engine.
func (e *Engine) isSelf(m groupMember) bool {
	if self := e.held.self(); self != "" && m.id == self {
		return true
	}
	return m.url != "" && m.url == e.cfg.Advertise
}

// whyUnowned says why no engine owns a partition in a view.
func whyUnowned(v *groupView) string {
	switch v.state {
	case "Stable":
		return "no engine holds it (the group is between the two steps of a rebalance)"
	case "Empty", "Dead", "":
		return "no engine is in the group"
	}
	return "the group is rebalancing (state " + v.state + ")"
}

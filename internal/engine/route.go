package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/topic"
)

var (
	_ api.Backend = (*Engine)(nil)
	_ api.Router  = (*Engine)(nil)
)

// routePoll is how often Route and Peers look at the group again while
// they wait for an owner (the views themselves are rate-limited by
// viewInterval).
const routePoll = viewInterval

// Route implements api.Router. A workflow is answered here when its
// partition is held and caught up here; else its owner is the member the
// group's assignment names, reached at the URL it advertises. Route waits,
// until ctx is done, while the partition is being assigned or caught up.
func (e *Engine) Route(ctx context.Context, q api.RouteQuery) (api.Route, error) {
	n, err := e.partitions(ctx)
	if err != nil {
		return api.Route{Partition: -1}, err
	}
	p := topic.Partition(q.Workflow, n)
	rt := api.Route{Partition: p}
	after := time.Now().Add(-viewTTL)
	if q.Failed != "" {
		after = time.Now()
	}
	why := "no view of the group yet"
	for {
		changed := e.held.wait()
		held, caughtUp := e.held.of(p)
		switch {
		case caughtUp:
			rt.Local = true
			return rt, nil
		case held:
			why = "this engine is catching up with it"
		case q.Forwarded:
			return rt, e.partitionError(p, "this engine does not hold it, yet another engine forwarded the request here: the group is rebalancing")
		default:
			v, err := e.view(ctx, after)
			switch {
			case err != nil && ctx.Err() != nil:
			case err != nil:
				why = "the group cannot be described: " + err.Error()
			default:
				url, reason, final := e.owner(v, p, "it is being assigned to this engine")
				switch {
				case final:
					return rt, e.partitionError(p, reason)
				case url != "":
					rt.Owner = url
					return rt, nil
				}
				why = reason
			}
		}
		after = time.Now()
		if !waitChange(ctx, changed) {
			return rt, e.partitionError(p, why)
		}
	}
}

// Peers implements api.Router: the URLs of the engines that hold the
// partitions this one does not. It waits, until ctx is done, while some
// partition is held by no engine that can be asked.
func (e *Engine) Peers(ctx context.Context) ([]string, error) {
	after := time.Now().Add(-viewTTL)
	for {
		changed := e.held.wait()
		urls, why, final := e.peers(ctx, after)
		if why == "" {
			return urls, nil
		}
		if final {
			return urls, errors.New(why)
		}
		after = time.Now()
		if !waitChange(ctx, changed) {
			return urls, errors.New(why)
		}
	}
}

// peers looks once: the URLs of the other engines, and why (if so) some
// partition cannot be asked, final when waiting will not help.
func (e *Engine) peers(ctx context.Context, after time.Time) (urls []string, why string, final bool) {
	if n := e.parts.Load(); n > 0 && e.held.all(n) {
		return nil, "", false // every partition is here
	}
	v, err := e.view(ctx, after)
	if err != nil {
		return nil, "the group cannot be described: " + err.Error(), false
	}
	for p := range v.parts {
		if _, caughtUp := e.held.of(p); caughtUp {
			continue
		}
		url, reason, final := e.owner(v, p, "this engine is catching up with it")
		switch {
		case final:
			return urls, e.partitionError(p, reason).Error(), true
		case url == "":
			why = e.partitionError(p, reason).Error()
		case !slices.Contains(urls, url):
			urls = append(urls, url)
		}
	}
	slices.Sort(urls)
	return urls, why, false
}

// owner says where view v has partition p served: the URL of its owner,
// or why it cannot be asked now (self: when it is this engine's), final
// when waiting will not help.
func (e *Engine) owner(v *groupView, p int32, self string) (url, why string, final bool) {
	o, ok := v.owners[p]
	switch {
	case !ok:
		return "", whyUnowned(v), false
	case e.isSelf(o):
		return "", self, false
	case o.url == "":
		return "", fmt.Sprintf("its owner, group member %s on %s, advertises no URL to reach its API at (engine serve --advertise)", o.id, o.host), true
	}
	return o.url, "", false
}

// Partitions returns the partitions of the events topic this engine holds
// and has caught up with, in order: those whose workflows it answers for.
func (e *Engine) Partitions() []int32 { return e.held.caughtUpList() }

// waitChange waits for a change of the holdings, routePoll, or ctx; it
// reports false when ctx is done.
func waitChange(ctx context.Context, changed <-chan struct{}) bool {
	t := time.NewTimer(routePoll)
	defer t.Stop()
	select {
	case <-changed:
	case <-t.C:
	case <-ctx.Done():
		return false
	}
	return true
}

// partitionError says why a partition cannot be served now.
func (e *Engine) partitionError(p int32, why string) error {
	return fmt.Errorf("partition %d of %s: %s", p, e.names.Events(), why)
}

package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/topic"
)

var _ api.Router = localRouter{}

// LocalRouter returns the api.Router of an engine that is alone in its
// group (engine dev): every workflow is answered here, once the engine is
// in its group and has caught up with the workflow's partition. Until
// then the API waits (up to api.Config.RouteWait): without a Router it
// answered from a state still being rebuilt after a restart, 404 for
// known workflows, and a revoke sent then was lost.
//
// Unlike the Engine itself (Route, Peers), it never describes the group,
// which on the development broker took seconds and held up the first
// request after a fresh start. A partition another engine holds is never
// answered here: the requests about it wait and end in 503.
func (e *Engine) LocalRouter() api.Router { return localRouter{e} }

type localRouter struct{ e *Engine }

// Route answers Local once partition of q.Workflow is held and caught up
// here; it waits until then or until ctx is done.
func (l localRouter) Route(ctx context.Context, q api.RouteQuery) (api.Route, error) {
	n, err := l.e.topicPartitions(ctx)
	if err != nil {
		return api.Route{Partition: -1}, err
	}
	p := topic.Partition(q.Workflow, n)
	for {
		changed := l.e.held.wait()
		if _, caughtUp := l.e.held.of(p); caughtUp {
			return api.Route{Partition: p, Local: true}, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return api.Route{Partition: p}, l.e.partitionError(p, l.e.why(p))
		}
	}
}

// Peers names no other engine; it waits until every partition is held and
// caught up here, or until ctx is done.
func (l localRouter) Peers(ctx context.Context) ([]string, error) {
	n, err := l.e.topicPartitions(ctx)
	if err != nil {
		return nil, err
	}
	for {
		changed := l.e.held.wait()
		if l.e.held.all(n) {
			return nil, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			for p := range n {
				if _, caughtUp := l.e.held.of(p); !caughtUp {
					return nil, l.e.partitionError(p, l.e.why(p))
				}
			}
			return nil, nil
		}
	}
}

// why says why partition p is not answered here (LocalRouter).
func (e *Engine) why(p int32) string {
	held, _ := e.held.of(p)
	switch {
	case held:
		return "this engine is catching up with it"
	case e.held.self() == "":
		return "this engine has not joined its group yet"
	}
	return "this engine does not hold it (is another engine in its group?)"
}

// topicPartitions returns the number of partitions of the events topic,
// from the topic's metadata (not the group's). It waits, until ctx is
// done, for the engine to join its group: the topic exists by then, and
// asking for it before, while Run creates it, held up Run by seconds on
// the development broker.
func (e *Engine) topicPartitions(ctx context.Context) (int32, error) {
	evTopic := e.names.Events()
	for {
		if n := e.parts.Load(); n > 0 {
			return n, nil
		}
		changed := e.held.wait()
		var err error
		if e.held.self() != "" {
			var topics kadm.TopicDetails
			topics, err = e.adm.ListTopics(ctx, evTopic)
			if err == nil {
				err = topics[evTopic].Err
			}
			if n := int32(len(topics[evTopic].Partitions)); err == nil && n > 0 {
				e.parts.CompareAndSwap(0, n)
				return n, nil
			}
		}
		if !waitChange(ctx, changed) {
			switch {
			case e.held.self() == "":
				err = errors.New("this engine has not joined its group yet")
			case err == nil || errors.Is(err, ctx.Err()):
				err = errors.New("the broker did not answer in time")
			}
			return 0, fmt.Errorf("the partitions of %s are unknown: %w", evTopic, err)
		}
	}
}

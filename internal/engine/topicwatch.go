package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/statestore"
)

// The events topic can be deleted, and made again, under a running
// engine. The store's applied offsets then point into a log that is gone:
// folding on would skip the new topic's records up to them as applied,
// and lose them without a word. start refuses such a store
// (bindTopic); a running engine stops with the same error
// (statestore.ErrOtherTopic) as soon as it sees the topic's new id: in a
// fetch, before its records are folded or skipped (checkFetchedTopic), and
// every topicWatchEvery (watchTopic), which is what finds it in an engine
// that fetches nothing meanwhile, whose appends fail with UNKNOWN_TOPIC_ID.

// topicWatchEvery is how often watchTopic asks for the events topic's id.
const topicWatchEvery = 10 * time.Second

// checkTopic asks the broker for the events topic's id and checks it
// against the one the store is bound to: statestore.ErrOtherTopic when it
// differs, errNoTopic when there is no such topic now, another error when
// the broker could not say.
func (e *Engine) checkTopic(ctx context.Context) error {
	evTopic := e.names.Events()
	id, err := lookUpTopicID(ctx, e.adm, evTopic)
	if err != nil {
		return err
	}
	return e.store.BindTopic(evTopic, id)
}

// watchTopic checks the events topic's id every every until ctx
// is done; it returns statestore.ErrOtherTopic, wrapped, once the topic
// is another, and logs at warn while there is none.
func (e *Engine) watchTopic(ctx context.Context, every time.Duration) error {
	tick := time.NewTicker(every)
	defer tick.Stop()
	missing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		err := e.checkTopic(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, statestore.ErrOtherTopic):
			return fmt.Errorf("engine: the events topic was made anew under the engine: %w", err)
		case errors.Is(err, errNoTopic):
			if !missing {
				e.log.Warn("engine: the events topic does not exist; nothing can be submitted or folded until it does", "topic", e.names.Events())
			}
			missing = true
		case err != nil:
			e.log.Debug("engine: could not check the events topic's id", "err", err)
		default:
			if missing {
				e.log.Info("engine: the events topic exists again", "topic", e.names.Events())
			}
			missing = false
		}
	}
}

// checkFetchedTopic checks the topic id a fetch carries (Kafka 3.1 and
// later send it) against the store's: records of a topic made anew must
// not be folded, nor skipped as applied.
func (e *Engine) checkFetchedTopic(ft *kgo.FetchTopic) error {
	if ft.TopicID == ([16]byte{}) || ft.TopicID == e.topicID || e.topicID == ([16]byte{}) {
		return nil
	}
	return fmt.Errorf("engine: fetched records of topic %s with id %s, but the store was built from its records under id %s "+
		"(was the topic deleted and made again?); move the store's directory aside and the engine rebuilds its state from the topic: %w",
		ft.Topic, kadm.TopicID(ft.TopicID), kadm.TopicID(e.topicID), statestore.ErrOtherTopic)
}

// checkFetches checks every topic of fetches (checkFetchedTopic).
func (e *Engine) checkFetches(fetches kgo.Fetches) error {
	var err error
	fetches.EachTopic(func(ft kgo.FetchTopic) {
		if err == nil {
			err = e.checkFetchedTopic(&ft)
		}
	})
	return err
}

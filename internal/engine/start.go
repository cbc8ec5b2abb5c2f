package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/internal/kafkaopt"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/statestore"
)

// How long start waits between two tries of a step that failed with a
// transient error: startWait at first, twice as long each time after, up
// to startMaxWait.
const (
	startWait    = 100 * time.Millisecond
	startMaxWait = 5 * time.Second
)

// start makes sure the topics exist and ties the store to the events
// topic. Kafka may not be up yet, be restarting or not have caught up
// with a topic it just created: start retries what fails for such a
// reason until ctx is done, and returns ctx.Err() then. It returns at
// once what retrying cannot mend (transient), and the store's refusal of
// the topic (bindTopic).
func (e *Engine) start(ctx context.Context) error {
	evTopic := e.names.Events()
	err := retryTransient(ctx, e.log, startWait, startMaxWait, 0, "create the topics", func(ctx context.Context) error {
		return topic.Ensure(ctx, e.adm, e.cfg.Topics, evTopic, e.names.Control(), e.names.DeadLetter(), e.names.Tasks(""))
	})
	if err != nil {
		return err
	}
	var t topicState
	err = retryTransient(ctx, e.log, startWait, startMaxWait, 0, "look up topic "+evTopic, func(ctx context.Context) (err error) {
		t, err = lookUpTopic(ctx, e.adm, evTopic)
		return err
	})
	if err != nil {
		return err
	}
	if err := bindTopic(e.store, evTopic, t); err != nil {
		return err
	}
	e.topicID = t.id
	return nil
}

// retryTransient calls try until it returns nil or an error that is not
// transient, which it returns, or until ctx is done, when it returns
// ctx.Err(). It waits wait after the first failure, twice that after the
// next, and so on up to maxWait, and logs each failure it retries. tries
// bounds the calls (0: no bound); the last one's error is returned.
func retryTransient(ctx context.Context, log *slog.Logger, wait, maxWait time.Duration, tries int, what string, try func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := try(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			return nil
		case !transient(err):
			return err
		case attempt == tries:
			return fmt.Errorf("engine: cannot %s after %d tries: %w", what, tries, err)
		}
		level := slog.LevelWarn
		if errors.Is(err, errNoTopic) {
			level = slog.LevelInfo // the usual answer right after the topic was created
		}
		log.Log(ctx, level, "engine: cannot "+what+" yet; retrying", "err", err, "attempt", attempt, "retry_in", wait)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		wait = min(2*wait, maxWait)
	}
}

// transient reports whether err, which a request to Kafka returned, may
// go away by itself: a broker that cannot be reached or does not answer
// in time (a dial error, a deadline), one that is starting or moving
// partitions (a retriable Kafka error such as LEADER_NOT_AVAILABLE), a
// topic created a moment ago that is not in the broker's metadata yet
// (errNoTopic). Not transient: what the settings or the cluster must
// change for (kafkaopt.Permanent: a failed SASL authentication, missing
// rights, partitions or a replication factor the cluster refuses, a
// broker certificate that is not trusted), a client that was closed, and
// records the broker lost (kgo.ErrDataLoss, from a fetch): they do not
// come back.
func transient(err error) bool {
	var lost *kgo.ErrDataLoss
	switch {
	case errors.Is(err, errNoTopic):
		return true
	case errors.Is(err, kgo.ErrClientClosed), kafkaopt.Permanent(err), errors.As(err, &lost):
		return false
	}
	return true
}

// errNoTopic is lookUpTopic's error when the broker knows no such topic.
var errNoTopic = errors.New("engine: no such topic")

// topicState is what the broker says of the events topic now.
type topicState struct {
	id   kadm.TopicID
	ends kadm.ListedOffsets // the end offset of each partition
}

// lookUpTopic asks the broker for the id of topic evTopic and the end of
// each of its partitions.
func lookUpTopic(ctx context.Context, adm *kadm.Client, evTopic string) (topicState, error) {
	id, err := lookUpTopicID(ctx, adm, evTopic)
	if err != nil {
		return topicState{}, err
	}
	ends, err := adm.ListEndOffsets(ctx, evTopic)
	if err == nil {
		err = ends.Error()
	}
	if errors.Is(err, kerr.UnknownTopicOrPartition) { // deleted since ListTopics
		return topicState{}, fmt.Errorf("%w: %s", errNoTopic, evTopic)
	}
	if err != nil {
		return topicState{}, fmt.Errorf("engine: read the end offsets of %s: %w", evTopic, err)
	}
	return topicState{id: id, ends: ends}, nil
}

// lookUpTopicID asks the broker for the id of topic evTopic.
func lookUpTopicID(ctx context.Context, adm *kadm.Client, evTopic string) (kadm.TopicID, error) {
	topics, err := adm.ListTopics(ctx, evTopic)
	if err == nil {
		err = topics[evTopic].Err
	}
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		return kadm.TopicID{}, fmt.Errorf("%w: %s", errNoTopic, evTopic)
	}
	if err != nil {
		return kadm.TopicID{}, fmt.Errorf("engine: read the id of topic %s: %w", evTopic, err)
	}
	return topics[evTopic].ID, nil
}

// bindTopic ties store to the events topic as the broker has it now
// (statestore.BindTopic): a store built from a topic that was since
// deleted and made again, or from another cluster's, is refused instead
// of skipping the new topic's records as applied.
func bindTopic(store *statestore.Store, evTopic string, t topicState) error {
	if err := store.BindTopic(evTopic, t.id); err != nil {
		return err
	}
	// A store that recorded no id yet (made by an older build) is still
	// caught when it applied offsets the topic does not reach: a folded
	// record lies below the end of its partition.
	var errs []error
	t.ends.Each(func(o kadm.ListedOffset) {
		applied, known, err := store.Applied(evTopic, o.Partition)
		switch {
		case err != nil:
			errs = append(errs, err)
		case known && applied >= o.Offset:
			errs = append(errs, fmt.Errorf("%w: it applied offset %d of %s partition %d, which ends at offset %d "+
				"(was the topic made anew, or did the broker lose records?); move the store's directory aside "+
				"and the engine rebuilds its state from the topic",
				statestore.ErrOtherTopic, applied, evTopic, o.Partition, o.Offset))
		}
	})
	return errors.Join(errs...)
}

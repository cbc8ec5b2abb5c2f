package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/statestore"
)

// TestWatchTopic starts an engine (topics made, store bound), then
// deletes its events topic: watchTopic waits while there is none, and
// returns statestore.ErrOtherTopic once the topic is made anew. An engine
// that folds nothing meanwhile learns of it only so.
func TestWatchTopic(t *testing.T) {
	t.Parallel()
	e, err := New(Config{Brokers: kafkatest.Brokers(t), Prefix: kafkatest.Name(t, "fugue") + ".", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.start(ctx); err != nil {
		t.Fatal(err)
	}
	if e.topicID == ([16]byte{}) {
		t.Fatal("start bound the store to no topic id")
	}
	evTopic := e.names.Events()
	adm := kadm.NewClient(kafkatest.Client(t))
	partitions := kafkatest.DeleteTopic(t, evTopic)
	// The engine's client may still know the topic for a moment.
	for err := e.checkTopic(ctx); !errors.Is(err, errNoTopic); err = e.checkTopic(ctx) {
		select {
		case <-ctx.Done():
			t.Fatalf("checkTopic with no topic: %v, want %v", err, errNoTopic)
		case <-time.After(50 * time.Millisecond):
		}
	}
	watched := make(chan error, 1)
	const every = 100 * time.Millisecond
	go func() { watched <- e.watchTopic(ctx, every) }()
	select {
	case err := <-watched:
		t.Fatalf("watchTopic returned while there is no topic: %v", err)
	case <-time.After(5 * every): // it looked a few times
	}
	if _, err := adm.CreateTopic(ctx, partitions, 1, nil, evTopic); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-watched:
		if !errors.Is(err, statestore.ErrOtherTopic) {
			t.Fatalf("watchTopic: %v, want %v", err, statestore.ErrOtherTopic)
		}
	case <-ctx.Done():
		t.Fatal("watchTopic did not see the topic made anew")
	}
}

// TestCheckFetchedTopic: a fetch of a topic under an id other than the
// store's is refused; one under the same id, or under none (a broker
// before Kafka 3.1), is not.
func TestCheckFetchedTopic(t *testing.T) {
	t.Parallel()
	e := &Engine{topicID: [16]byte{1, 2, 3}}
	for _, c := range []struct {
		id   [16]byte
		want error
	}{
		{[16]byte{1, 2, 3}, nil},
		{[16]byte{}, nil},
		{[16]byte{9}, statestore.ErrOtherTopic},
	} {
		err := e.checkFetches(kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "events", TopicID: c.id}}}})
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("fetch under id %x: %v, want %v", c.id, err, c.want)
		}
	}
}

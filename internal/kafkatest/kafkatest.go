// Package kafkatest holds test helpers for code that talks to a real Kafka
// broker: where the broker is, a client that is closed when the test ends,
// a uniquely named topic that is deleted when the test ends, and the
// deletion of a topic, waited for (DeleteTopic); and the
// broker's TLS and SASL test listeners with the settings that connect to
// them (SASL, TLS, MutualTLS, SASLTLS).
//
// The broker is the one scripts/kafka.sh starts (`make kafka-up`, or `make
// test`, which starts and stops it). Its address comes from KAFKA_BROKERS,
// its test listeners' from the KAFKA_SASL_*/KAFKA_TLS_* variables that
// kafka.sh exports with it; without them every test that asks for a broker
// or a listener is skipped, so `go test ./...` on a machine with only Go
// stays green.
package kafkatest

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// EnvBrokers is the environment variable that holds the comma-separated
// seed brokers of the test cluster.
const EnvBrokers = "KAFKA_BROKERS"

// setupTimeout bounds each admin call the helpers make.
const setupTimeout = 30 * time.Second

// Brokers returns the seed brokers named by KAFKA_BROKERS, or skips the test
// when it is unset or empty.
func Brokers(t testing.TB) []string {
	t.Helper()
	brokers := splitBrokers(os.Getenv(EnvBrokers))
	if len(brokers) == 0 {
		t.Skip("kafkatest: " + EnvBrokers + " is not set; start a broker with `make kafka-up` " +
			"and export the KAFKA_BROKERS line it prints, or run `make test`")
	}
	return brokers
}

func splitBrokers(s string) []string {
	var brokers []string
	for b := range strings.SplitSeq(s, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	return brokers
}

// Client returns a client seeded with Brokers(t) plus opts, closed when the
// test ends.
func Client(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(Brokers(t)...)}, opts...)...)
	if err != nil {
		t.Fatalf("kafkatest: new client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Topic creates a topic with the given number of partitions (replication
// factor 1) and a name unique to this test and run, and deletes it when the
// test ends.
func Topic(t testing.TB, partitions int32) string {
	t.Helper()
	adm := kadm.NewClient(Client(t))
	name := Name(t, "topic")
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	resp, err := adm.CreateTopic(ctx, partitions, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("kafkatest: create topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if _, err := adm.DeleteTopic(ctx, name); err != nil {
			t.Logf("kafkatest: delete topic %s: %v", name, err)
		}
	})
	return name
}

// DeleteTopic deletes topic and returns, once the broker no longer knows
// it (deletion completes in the background), the number of partitions it
// had; it fails the test when that takes longer than setupTimeout.
func DeleteTopic(t testing.TB, topic string) int32 {
	t.Helper()
	adm := kadm.NewClient(Client(t))
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	had, err := adm.ListTopics(ctx, topic)
	if err == nil {
		err = had[topic].Err
	}
	if err != nil {
		t.Fatalf("kafkatest: list topic %s: %v", topic, err)
	}
	if _, err := adm.DeleteTopic(ctx, topic); err != nil {
		t.Fatalf("kafkatest: delete topic %s: %v", topic, err)
	}
	for {
		topics, err := adm.ListTopics(ctx, topic)
		if err != nil {
			t.Fatalf("kafkatest: list topic %s: %v", topic, err)
		}
		if errors.Is(topics[topic].Err, kerr.UnknownTopicOrPartition) {
			return int32(len(had[topic].Partitions))
		}
		select {
		case <-ctx.Done():
			t.Fatalf("kafkatest: topic %s was not deleted in %v", topic, setupTimeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// Name returns a Kafka-safe name (topic, group, transactional id) made of
// kind, the test's name and a random suffix, unique across runs that share
// a broker.
func Name(t testing.TB, kind string) string {
	base := unsafeChars.ReplaceAllString(t.Name(), "_")
	if len(base) > 100 {
		base = base[:100]
	}
	return "fugue-" + kind + "-" + base + "-" + strings.ToLower(rand.Text()[:10])
}

package topic_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/topic"
)

// TestPartitionKnownValues pins Kafka's partitioning of a few keys (the
// Java client's Utils.toPositive(Utils.murmur2(key)) % n).
func TestPartitionKnownValues(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		key  string
		n    int32
		want int32
	}{
		// murmur2 values from Kafka's UtilsTest.testMurmur2 (seed 0x9747b28c):
		// "21" -> -973932308, "foobar" -> -790332482, "a-little-bit-long-string" -> -985981536.
		{"21", 1 << 20, int32((-973932308 & 0x7fffffff) % (1 << 20))},
		{"foobar", 1 << 20, int32((-790332482 & 0x7fffffff) % (1 << 20))},
		{"a-little-bit-long-string", 1 << 20, int32((-985981536 & 0x7fffffff) % (1 << 20))},
		{"anything", 1, 0},
	} {
		if got := topic.Partition(c.key, c.n); got != c.want {
			t.Errorf("Partition(%q, %d) = %d, want %d", c.key, c.n, got, c.want)
		}
	}
}

// TestPartitionMatchesProducers checks Partition against where a producer
// with franz-go's default partitioner (the engine's, the workers') puts
// keyed records on the real broker.
func TestPartitionMatchesProducers(t *testing.T) {
	t.Parallel()
	const parts = 8
	name := kafkatest.Topic(t, parts)
	cl := kafkatest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 64 {
		key := fmt.Sprintf("wf-%d", i)
		r, err := cl.ProduceSync(ctx, &kgo.Record{Topic: name, Key: []byte(key), Value: []byte("x")}).First()
		if err != nil {
			t.Fatal(err)
		}
		if want := topic.Partition(key, parts); r.Partition != want {
			t.Errorf("key %s went to partition %d, Partition says %d", key, r.Partition, want)
		}
	}
}

package topic

import "github.com/twmb/franz-go/pkg/kgo"

// Partition returns the partition, of a topic with n partitions, that a
// record keyed by key goes to: Kafka's own key partitioning (murmur2 of the
// key, sign bit cleared, modulo n), which the Java client uses and which
// franz-go's default partitioner, the one every Fugue producer uses, applies
// to keyed records. A producer in another language must partition the same
// way (librdkafka: partitioner=murmur2_random), or the events of one
// workflow land on two partitions. n must be positive.
func Partition(key string, n int32) int32 {
	p := kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: []byte(key)}, int(n))
	return int32(p)
}

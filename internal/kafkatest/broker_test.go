package kafkatest_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/internal/kafkatest"
)

// testTimeout bounds each smoke test end to end.
const testTimeout = 60 * time.Second

// TestProduceConsumeGroup produces 1,000 keyed records with acks=all and
// idempotence, reads them back with a consumer group, checks that every
// record arrives once and in produce order per partition and per key, and
// that the group's committed offsets reach the end of every partition.
func TestProduceConsumeGroup(t *testing.T) {
	t.Parallel()
	const n, partitions = 1000, 3
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	topic := kafkatest.Topic(t, partitions)

	producer := kafkatest.Client(t,
		kgo.RequiredAcks(kgo.AllISRAcks()), // the default; stated because the test is about it
		kgo.DefaultProduceTopic(topic),
	)
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Key: []byte("k" + strconv.Itoa(i%7)), Value: []byte(strconv.Itoa(i))}
	}
	if err := producer.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	group := kafkatest.Name(t, "group")
	consumer := kafkatest.Client(t,
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	)
	seen := make(map[int]bool, n)
	lastByKey := map[string]int{}
	lastOffset := map[int32]int64{}
	for len(seen) < n {
		fetches := consumer.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", len(seen), n, err)
		}
		fetches.EachError(func(topic string, p int32, err error) {
			t.Fatalf("fetch %s[%d]: %v", topic, p, err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			v, err := strconv.Atoi(string(r.Value))
			if err != nil {
				t.Fatalf("record value %q: %v", r.Value, err)
			}
			if seen[v] {
				t.Fatalf("record %d delivered twice", v)
			}
			seen[v] = true
			if last, ok := lastOffset[r.Partition]; ok && r.Offset <= last {
				t.Fatalf("partition %d: offset %d after %d", r.Partition, r.Offset, last)
			}
			lastOffset[r.Partition] = r.Offset
			if last, ok := lastByKey[string(r.Key)]; ok && v <= last {
				t.Fatalf("key %s: value %d after %d", r.Key, v, last)
			}
			lastByKey[string(r.Key)] = v
		})
	}
	if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}

	adm := kadm.NewClient(kafkatest.Client(t))
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets: %v", err)
	}
	var total int64
	ends.Each(func(end kadm.ListedOffset) {
		total += end.Offset
		got, ok := committed.Lookup(topic, end.Partition)
		if !ok || got.At != end.Offset {
			t.Errorf("partition %d: committed %+v, want offset %d", end.Partition, got, end.Offset)
		}
	})
	if total != n {
		t.Errorf("end offsets add up to %d, want %d", total, n)
	}
}

// TestTransactionReadCommitted aborts one transaction and commits another;
// a read_committed consumer sees exactly the committed records.
func TestTransactionReadCommitted(t *testing.T) {
	t.Parallel()
	const n = 5
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	topic := kafkatest.Topic(t, 1)

	producer := kafkatest.Client(t,
		kgo.TransactionalID(kafkatest.Name(t, "txn")),
		kgo.DefaultProduceTopic(topic),
	)
	transact := func(prefix string, commit kgo.TransactionEndTry) {
		t.Helper()
		if err := producer.BeginTransaction(); err != nil {
			t.Fatalf("%s: begin: %v", prefix, err)
		}
		recs := make([]*kgo.Record, n)
		for i := range recs {
			recs[i] = &kgo.Record{Value: fmt.Appendf(nil, "%s-%d", prefix, i)}
		}
		if err := producer.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("%s: produce: %v", prefix, err)
		}
		if err := producer.EndTransaction(ctx, commit); err != nil {
			t.Fatalf("%s: end: %v", prefix, err)
		}
	}
	transact("aborted", kgo.TryAbort)
	transact("committed", kgo.TryCommit)

	consumer := kafkatest.Client(t,
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)
	// The aborted records come first in the log, so once the committed ones
	// are read the aborted ones have been passed over.
	var got []string
	for len(got) < n {
		fetches := consumer.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d committed records: %v", len(got), n, err)
		}
		if err := fetches.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("fetch: %v", err)
		}
		fetches.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	for i, v := range got {
		if want := fmt.Sprintf("committed-%d", i); v != want {
			t.Errorf("record %d = %q, want %q (all: %q)", i, v, want, got)
		}
	}
}

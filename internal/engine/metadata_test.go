package engine

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestClientsRefreshMetadataSoon: every Kafka client the engine makes —
// the producer and admin client, and the transactional session and the
// catch-up readers, which are made from kopts — asks for metadata again
// within metadataMinAge, not franz-go's 5 s; an option the caller gives
// still wins.
func TestClientsRefreshMetadataSoon(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		opts []kgo.Opt
		want time.Duration
	}{
		{"default", nil, metadataMinAge},
		{"caller's", []kgo.Opt{kgo.MetadataMinAge(time.Second)}, time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := New(Config{Brokers: []string{"127.0.0.1:1"}, DataDir: t.TempDir()}, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if got := e.producer.OptValue(kgo.MetadataMinAge); got != c.want {
				t.Errorf("producer: MetadataMinAge %v, want %v", got, c.want)
			}
			cl, err := kgo.NewClient(e.kopts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			if got := cl.OptValue(kgo.MetadataMinAge); got != c.want {
				t.Errorf("a client made from kopts: MetadataMinAge %v, want %v", got, c.want)
			}
		})
	}
}

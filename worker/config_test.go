package worker

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Prefix != "fugue." || len(c.Queues) != 1 || c.Queues[0] != "celery" || c.Group != "fugue.workers" ||
		c.Concurrency != runtime.NumCPU() || c.DrainTimeout != DefaultDrainTimeout ||
		c.RevokedMemory != DefaultRevokedMemory || c.Logger == nil || c.Hostname == "" {
		t.Errorf("defaults: %+v", c)
	}
	c, err = Config{Prefix: "p.", DrainTimeout: -1}.withDefaults()
	if err != nil || c.Group != "p.workers" || c.DrainTimeout != 0 {
		t.Errorf("prefix p., no drain: %+v, %v", c, err)
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	reg := NewRegistry()
	for name, cfg := range map[string]Config{
		"empty queue":          {Queues: []string{"a", ""}},
		"queue twice":          {Queues: []string{"a", "a"}},
		"negative concurrency": {Concurrency: -1},
		"negative partitions":  {Partitions: -1},
		"negative memory":      {RevokedMemory: -1},
	} {
		if _, err := New(reg, cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New accepted a nil Registry")
	}
	bad := NewRegistry()
	bad.Register("t.x", func(context.Context, *Request) (any, error) { return nil, nil }, RateLimit("ten/s"))
	if _, err := New(bad, Config{}); err == nil {
		t.Error("New accepted rate limit ten/s")
	}
	prom := prometheus.NewRegistry()
	if _, err := New(reg, Config{Registerer: prom}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg, Config{Registerer: prom}); err == nil {
		t.Error("New registered the same metrics twice")
	}
}

// TestClientsAskForMetadataSoon checks that every client the worker makes
// asks for metadata again after 100 ms, not franz-go's 5 s (a report
// produced while its partition's leader settles would wait that long),
// and that the caller's options still win.
func TestClientsAskForMetadataSoon(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		opts []kgo.Opt
		want time.Duration
	}{
		{nil, 100 * time.Millisecond},
		{[]kgo.Opt{kgo.MetadataMinAge(time.Second)}, time.Second},
	} {
		w, err := New(NewRegistry(), Config{Brokers: []string{"127.0.0.1:1"}}, c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := kgo.NewClient(w.clientOpts()...)
		if err != nil {
			t.Fatal(err)
		}
		if got := cl.OptValue(kgo.MetadataMinAge); got != c.want {
			t.Errorf("MetadataMinAge %v, want %v", got, c.want)
		}
		cl.Close()
	}
}

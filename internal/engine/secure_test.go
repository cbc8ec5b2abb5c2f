package engine_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/fugue-run/fugue/internal/demo"
	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/kafkaopt"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/worker"
)

// refuseTimeout bounds an engine's or a worker's Run that must fail at
// once.
const refuseTimeout = 30 * time.Second

// TestSecuredListeners runs an engine and a worker over each of the test
// broker's TLS and SASL listeners (SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256
// and SCRAM-SHA-512, SSL, mutual TLS, SASL_SSL), with the options that
// kafkaopt.Config.Opts builds and nothing else, on a topic prefix of their
// own: the engine creates the topics, both join their groups, and a chain
// of two tasks.add runs to its result. Every Kafka client the two make
// (admin, transactional engine, producer, consumers) goes through the
// listener: the seeds are its address, and the broker answers with its
// listener's address only.
func TestSecuredListeners(t *testing.T) {
	t.Parallel()
	for _, l := range kafkatest.Listeners(t) {
		t.Run(l.String(), func(t *testing.T) {
			t.Parallel()
			opts, err := l.Config.Opts()
			if err != nil {
				t.Fatal(err)
			}
			s := startStackWith(t, l.Brokers, 1, func(c *engine.Config) { c.Topics.Partitions = 1 }, opts...)
			chain := map[string]any{"task": "celery.chain", "args": []any{}, "options": map[string]any{},
				"subtask_type": "chain", "immutable": false, "kwargs": map[string]any{"tasks": []any{
					sig("tasks.add", int64(2), int64(2)), sig("tasks.add", int64(8)),
				}}}
			if err := s.eng.Submit(t.Context(), "chain", chain); err != nil {
				t.Fatalf("submit over %s: %v", l, err)
			}
			v := s.wait(t, "chain", 60*time.Second)
			if v.State != "SUCCESS" || fmt.Sprint(v.Result) != "12" {
				t.Fatalf("chain over %s: %s %v, want SUCCESS 12", l, v.State, v.Result)
			}
		})
	}
}

// TestSecuredWrongPassword checks that an engine and a worker whose SASL
// password is wrong stop at start-up with the broker's
// SASL_AUTHENTICATION_FAILED, instead of retrying.
func TestSecuredWrongPassword(t *testing.T) {
	t.Parallel()
	for _, mech := range []string{kafkaopt.MechanismPlain, kafkaopt.MechanismSCRAMSHA512} {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			l := kafkatest.SASL(t, mech)
			l.Config.SASLPassword += "-wrong"
			checkRefused(t, l, func(t *testing.T, err error) {
				if !errors.Is(err, kerr.SaslAuthenticationFailed) || !strings.Contains(err.Error(), "SASL") {
					t.Errorf("error %q, want SASL_AUTHENTICATION_FAILED", err)
				}
			})
		})
	}
}

// TestSecuredWithoutCA checks that an engine and a worker that do not
// trust the CA of the broker's certificate stop at start-up with the
// verification error, instead of retrying: no CA means the system roots.
func TestSecuredWithoutCA(t *testing.T) {
	t.Parallel()
	l := kafkatest.TLS(t)
	l.Config = kafkaopt.Config{TLS: true}
	checkRefused(t, l, func(t *testing.T, err error) {
		var ua x509.UnknownAuthorityError
		if !errors.As(err, &ua) {
			t.Errorf("error %q, want x509's unknown authority", err)
		}
	})
}

// checkRefused runs an engine and a worker with l's settings, each until it
// returns or refuseTimeout passes, and checks the errors they return.
func checkRefused(t *testing.T, l kafkatest.Listener, check func(*testing.T, error)) {
	t.Helper()
	opts, err := l.Config.Opts()
	if err != nil {
		t.Fatal(err)
	}
	prefix := kafkatest.Name(t, "fugue") + "."
	eng, err := engine.New(engine.Config{Brokers: l.Brokers, Prefix: prefix, DataDir: t.TempDir(),
		Topics: topic.Spec{Partitions: 1}, Logger: logger(t)}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	reg := worker.NewRegistry()
	demo.Register(reg)
	w, err := worker.New(reg, worker.Config{Brokers: l.Brokers, Prefix: prefix, Partitions: 1, Logger: logger(t)}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for name, run := range map[string]func(context.Context) error{"engine": eng.Run, "worker": w.Run} {
		ctx, cancel := context.WithTimeout(t.Context(), refuseTimeout)
		start := time.Now()
		err := run(ctx)
		timedOut := ctx.Err() != nil
		cancel()
		switch {
		case timedOut:
			t.Errorf("%s over %s: still trying after %s (returned %v)", name, l, refuseTimeout, err)
		case err == nil:
			t.Errorf("%s over %s: Run returned nil, want an error", name, l)
		default:
			t.Logf("%s over %s: refused after %s: %v", name, l, time.Since(start).Round(time.Millisecond), err)
			check(t, err)
		}
	}
}

package kafkatest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/internal/kafkaopt"
	"github.com/fugue-run/fugue/internal/kafkatest"
)

// refuseTimeout bounds each connection that must fail: a refusal must come
// at once, not after franz-go's retries.
const refuseTimeout = 20 * time.Second

// TestSecuredListeners connects to each secured listener with the
// settings kafkaopt builds, creates a topic there, produces a record,
// reads it back and deletes the topic: the listener and the settings
// work, before Fugue is run over them (internal/engine).
func TestSecuredListeners(t *testing.T) {
	t.Parallel()
	for _, lis := range kafkatest.Listeners(t) {
		t.Run(lis.String(), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			adm := kadm.NewClient(lis.Client(t))
			name := kafkatest.Name(t, "topic")
			if _, err := adm.CreateTopic(ctx, 1, 1, nil, name); err != nil {
				t.Fatalf("create topic over %s: %v", lis.Name, err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), refuseTimeout)
				defer cancel()
				if _, err := adm.DeleteTopic(ctx, name); err != nil {
					t.Errorf("delete topic over %s: %v", lis.Name, err)
				}
			})
			cl := lis.Client(t, kgo.DefaultProduceTopic(name), kgo.ConsumeTopics(name))
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(lis.String())}).FirstErr(); err != nil {
				t.Fatalf("produce over %s: %v", lis.Name, err)
			}
			for {
				f := cl.PollFetches(ctx)
				if err := ctx.Err(); err != nil {
					t.Fatalf("consume over %s: %v", lis.Name, err)
				}
				if err := f.Err0(); err != nil {
					t.Fatalf("consume over %s: %v", lis.Name, err)
				}
				if recs := f.Records(); len(recs) > 0 {
					if got, want := string(recs[0].Value), lis.String(); got != want {
						t.Fatalf("read %q, want %q", got, want)
					}
					return
				}
			}
		})
	}
}

// TestSecuredListenersRefuse checks that each listener refuses a client
// with wrong or missing settings, at once and saying why: a wrong password
// fails SASL authentication, TLS without the CA fails verifying the
// broker's certificate, mutual TLS without a client certificate is cut
// off by the broker, and so is a client without SASL on a SASL listener.
// These also show the listeners really demand what they are named for.
func TestSecuredListenersRefuse(t *testing.T) {
	t.Parallel()
	wrongPassword := func(l kafkatest.Listener) kafkatest.Listener {
		l.Config.SASLPassword += "-wrong"
		return l
	}
	for _, tc := range []struct {
		name  string
		get   func(testing.TB) kafkatest.Listener
		check func(*testing.T, error)
	}{
		{"SASL_PLAINTEXT/PLAIN wrong password", func(t testing.TB) kafkatest.Listener {
			return wrongPassword(kafkatest.SASL(t, kafkaopt.MechanismPlain))
		}, saslFailed},
		{"SASL_PLAINTEXT/SCRAM-SHA-256 wrong password", func(t testing.TB) kafkatest.Listener {
			return wrongPassword(kafkatest.SASL(t, kafkaopt.MechanismSCRAMSHA256))
		}, saslFailed},
		{"SASL_PLAINTEXT/SCRAM-SHA-512 wrong password", func(t testing.TB) kafkatest.Listener {
			return wrongPassword(kafkatest.SASL(t, kafkaopt.MechanismSCRAMSHA512))
		}, saslFailed},
		{"SASL_SSL/SCRAM-SHA-256 wrong password", func(t testing.TB) kafkatest.Listener {
			return wrongPassword(kafkatest.SASLTLS(t, kafkaopt.MechanismSCRAMSHA256))
		}, saslFailed},
		{"SASL_PLAINTEXT unknown user", func(t testing.TB) kafkatest.Listener {
			l := kafkatest.SASL(t, kafkaopt.MechanismSCRAMSHA512)
			l.Config.SASLUser = "nobody"
			return l
		}, saslFailed},
		{"SSL without the CA", func(t testing.TB) kafkatest.Listener {
			l := kafkatest.TLS(t)
			l.Config = kafkaopt.Config{TLS: true} // the system roots, which do not know the test CA
			return l
		}, unknownAuthority},
		{"SASL_SSL without the CA", func(t testing.TB) kafkatest.Listener {
			l := kafkatest.SASLTLS(t, kafkaopt.MechanismPlain)
			l.Config.CAFile = ""
			return l
		}, unknownAuthority},
		{"MTLS without a client certificate", func(t testing.TB) kafkatest.Listener {
			l := kafkatest.MutualTLS(t)
			l.Config.CertFile, l.Config.KeyFile = "", ""
			return l
		}, func(t *testing.T, err error) {
			if !strings.Contains(err.Error(), "remote error: tls:") {
				t.Errorf("error %q, want the broker's TLS alert (remote error: tls: ...)", err)
			}
		}},
		{"SASL_PLAINTEXT without SASL", func(t testing.TB) kafkatest.Listener {
			l := kafkatest.SASL(t, kafkaopt.MechanismPlain)
			l.Config = kafkaopt.Config{}
			return l
		}, func(t *testing.T, err error) {
			var eof *kgo.ErrFirstReadEOF
			if !errors.As(err, &eof) || !strings.Contains(err.Error(), "SASL") {
				t.Errorf("error %q (%T), want kgo's first-read EOF asking whether SASL is missing", err, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), refuseTimeout)
			defer cancel()
			start := time.Now()
			err := tc.get(t).Client(t).Ping(ctx)
			if err == nil {
				t.Fatal("the broker let the client in")
			}
			if ctx.Err() != nil {
				t.Fatalf("no answer within %s: %v", refuseTimeout, err)
			}
			t.Logf("refused after %s: %v", time.Since(start).Round(time.Millisecond), err)
			tc.check(t, err)
		})
	}
}

// saslFailed checks that err is the broker's SASL_AUTHENTICATION_FAILED,
// which names SASL, and that the engine and the worker would give up on it
// (kafkaopt.Permanent).
func saslFailed(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, kerr.SaslAuthenticationFailed) || !strings.Contains(err.Error(), "SASL") {
		t.Errorf("error %q, want SASL_AUTHENTICATION_FAILED", err)
	}
	if !kafkaopt.Permanent(err) {
		t.Errorf("kafkaopt.Permanent(%q) = false, want true", err)
	}
}

// unknownAuthority checks that err is this client refusing the broker's
// certificate as signed by an unknown CA, and that the engine and the
// worker would give up on it (kafkaopt.Permanent).
func unknownAuthority(t *testing.T, err error) {
	t.Helper()
	var ce *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ce) || !errors.As(err, &ua) {
		t.Errorf("error %q (%T), want a certificate verification error: unknown authority", err, err)
	}
	if !kafkaopt.Permanent(err) {
		t.Errorf("kafkaopt.Permanent(%q) = false, want true", err)
	}
}

package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/fugue-run/fugue/internal/kafkaopt"
	"github.com/fugue-run/fugue/internal/kafkatest"
)

// TestBadKafkaFlags checks that bad --kafka-* settings stop the worker
// before it connects, with the reason.
func TestBadKafkaFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--brokers", "127.0.0.1:1", "--kafka-sasl", "OAUTHBEARER", "--kafka-user", "u"}, "unknown SASL mechanism"},
		{[]string{"--brokers", "127.0.0.1:1", "--kafka-sasl", "SCRAM-SHA-256"}, "needs a user"},
		{[]string{"--brokers", "127.0.0.1:1", "--kafka-cert", "/nonexistent.pem"}, "both a certificate file and a key file"},
	} {
		err := run(t.Context(), tc.args, noEnv, io.Discard, io.Discard)
		if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run %q = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// TestKafkaFlagsReachTheClient runs the worker against the broker's TLS
// and SASL test listeners with settings the broker refuses: the refusal
// it stops with shows that the flags (and the password from the
// environment) reached the Kafka client. The worker's working over those
// listeners is shown by internal/engine (TestSecuredListeners) and by
// cmd/engine's TestEndToEndSecured, which runs this binary over mutual TLS.
func TestKafkaFlagsReachTheClient(t *testing.T) {
	t.Parallel()
	sasl := kafkatest.SASL(t, kafkaopt.MechanismSCRAMSHA256)
	tls := kafkatest.TLS(t)
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"--kafka-password", []string{"--brokers", strings.Join(sasl.Brokers, ","), "--kafka-sasl", "SCRAM-SHA-256",
			"--kafka-user", sasl.Config.SASLUser, "--kafka-password", "wrong"}, nil, "SASL_AUTHENTICATION_FAILED"},
		{"FUGUE_KAFKA_PASSWORD", []string{"--brokers", strings.Join(sasl.Brokers, ","), "--kafka-sasl", "scram-sha-256"},
			map[string]string{kafkaopt.EnvUser: sasl.Config.SASLUser, kafkaopt.EnvPassword: "wrong"}, "SASL_AUTHENTICATION_FAILED"},
		{"--kafka-tls without --kafka-ca", []string{"--brokers", strings.Join(tls.Brokers, ","), "--kafka-tls"}, nil,
			"certificate signed by unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--prefix", kafkatest.Name(t, "w") + ".", "--partitions", "1", "--log-level", "error"}, tc.args...)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err := run(ctx, args, func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
			if ctx.Err() != nil {
				t.Fatalf("worker still running after 30s (returned %v)", err)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("worker %q = %v, want an error containing %q", args, err, tc.want)
			}
		})
	}
}

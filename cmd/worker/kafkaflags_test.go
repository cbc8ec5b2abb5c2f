package main

import (
	"errors"
	"io"
	"strings"
	"testing"
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

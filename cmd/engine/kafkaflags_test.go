package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fugue-run/fugue/internal/kafkaopt"
	"github.com/fugue-run/fugue/internal/kafkatest"
	"github.com/fugue-run/fugue/value"
)

// TestKafkaFlagsReachTheClient runs serve, dev and replay against the
// broker's TLS and SASL test listeners with settings the broker refuses:
// the refusal each stops with shows that its --kafka-* flags (and the
// password from the environment) reached the Kafka client.
// TestEndToEndSecured shows the binaries working over those listeners.
func TestKafkaFlagsReachTheClient(t *testing.T) {
	t.Parallel()
	sasl := kafkatest.SASL(t, kafkaopt.MechanismPlain)
	tls := kafkatest.TLS(t)
	saslArgs := []string{"--brokers", strings.Join(sasl.Brokers, ","), "--kafka-sasl", "PLAIN", "--kafka-user", sasl.Config.SASLUser}
	for _, tc := range []struct {
		name string
		f    func(context.Context, []string, func(string) string, io.Writer, io.Writer) error
		args []string
		env  map[string]string
		want string
	}{
		{"serve --kafka-password", runServe, append([]string{"--kafka-password", "wrong"}, saslArgs...), nil, "SASL_AUTHENTICATION_FAILED"},
		{"serve FUGUE_KAFKA_PASSWORD", runServe, saslArgs, map[string]string{kafkaopt.EnvPassword: "wrong"}, "SASL_AUTHENTICATION_FAILED"},
		{"serve --kafka-tls without --kafka-ca", runServe, []string{"--brokers", strings.Join(tls.Brokers, ","), "--kafka-tls"}, nil,
			"certificate signed by unknown authority"},
		{"dev --brokers", runDev, saslArgs, map[string]string{kafkaopt.EnvPassword: "wrong"}, "SASL_AUTHENTICATION_FAILED"},
		{"dev FUGUE_BROKERS FUGUE_KAFKA_USER", runDev, []string{"--kafka-sasl", "PLAIN"}, map[string]string{
			"FUGUE_BROKERS": strings.Join(sasl.Brokers, ","), kafkaopt.EnvUser: sasl.Config.SASLUser, kafkaopt.EnvPassword: "wrong",
		}, "SASL_AUTHENTICATION_FAILED"},
		{"replay", runReplay, saslArgs, map[string]string{kafkaopt.EnvPassword: "wrong"}, "SASL_AUTHENTICATION_FAILED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"--data", t.TempDir(), "--prefix", kafkatest.Name(t, "e") + "."}
			if !strings.HasPrefix(tc.name, "replay") {
				args = append(args, "--http", "127.0.0.1:0", "--partitions", "1", "--log-level", "error")
			}
			args = append(args, tc.args...)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err := tc.f(ctx, args, func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
			if ctx.Err() != nil {
				t.Fatalf("still running after 30s (returned %v)", err)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%q = %v, want an error containing %q", args, err, tc.want)
			}
		})
	}
}

// TestEndToEndSecured runs the binaries over the broker's secured
// listeners, configured by flags only: `engine serve` over SASL_SSL
// (SCRAM-SHA-512, the CA by --kafka-ca, the password from
// FUGUE_KAFKA_PASSWORD) and a `worker` over mutual TLS (--kafka-ca,
// --kafka-cert, --kafka-key). A chain of two tasks.add submitted over HTTP
// ends SUCCESS 12; then `engine replay` over SASL_PLAINTEXT (PLAIN, with
// --kafka-password) folds the same log.
func TestEndToEndSecured(t *testing.T) {
	t.Parallel()
	saslTLS := kafkatest.SASLTLS(t, kafkaopt.MechanismSCRAMSHA512)
	mtls := kafkatest.MutualTLS(t)
	sasl := kafkatest.SASL(t, kafkaopt.MechanismPlain)
	bin := buildBinaries(t)
	prefix := kafkatest.Name(t, "e2e") + "."

	eng := start(t, filepath.Join(bin, "engine"), "serve", "--brokers", strings.Join(saslTLS.Brokers, ","),
		"--kafka-ca", saslTLS.Config.CAFile, "--kafka-sasl", "SCRAM-SHA-512", "--kafka-user", saslTLS.Config.SASLUser,
		"--http", "127.0.0.1:0", "--data", t.TempDir(), "--prefix", prefix, "--partitions", "1")
	eng.Env = append(os.Environ(), kafkaopt.EnvPassword+"="+saslTLS.Config.SASLPassword)
	e := e2e{base: startServing(t, eng)}
	w := start(t, filepath.Join(bin, "worker"), "--brokers", strings.Join(mtls.Brokers, ","),
		"--kafka-ca", mtls.Config.CAFile, "--kafka-cert", mtls.Config.CertFile, "--kafka-key", mtls.Config.KeyFile,
		"--prefix", prefix, "--partitions", "1", "--concurrency", "2")
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}

	chain := `{"task": "celery.chain", "args": [], "kwargs": {"tasks": [
		{"task": "tasks.add", "args": [2, 2], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false},
		{"task": "tasks.add", "args": [8], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}]},
		"options": {}, "subtask_type": "chain", "immutable": false}`
	status, resp := e.do(t, "POST", "/v1/workflows", []byte(chain))
	id, _ := resp.(map[string]any)["id"].(string)
	if status != 201 || id == "" {
		t.Fatalf("submit: HTTP %d %v", status, resp)
	}
	status, wf := e.do(t, "GET", "/v1/workflows/"+id+"?wait=60s", nil)
	m, _ := wf.(map[string]any)
	if status != 200 || m["state"] != "SUCCESS" || !value.Equal(m["result"], int64(12)) {
		t.Fatalf("chain: HTTP %d %v, want SUCCESS 12", status, wf)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	replay := exec.CommandContext(ctx, filepath.Join(bin, "engine"), "replay", "--brokers", strings.Join(sasl.Brokers, ","),
		"--kafka-sasl", "PLAIN", "--kafka-user", sasl.Config.SASLUser, "--kafka-password", sasl.Config.SASLPassword,
		"--data", t.TempDir(), "--prefix", prefix)
	var stderr bytes.Buffer
	replay.Stderr = &stderr
	hash, err := replay.Output()
	if err != nil {
		t.Fatalf("engine replay: %v\n%s", err, stderr.String())
	}
	if len(strings.TrimSpace(string(hash))) != 64 || strings.Contains(stderr.String(), " 0 records") {
		t.Fatalf("engine replay printed %q; stderr %q", hash, stderr.String())
	}
	t.Logf("%s", strings.TrimSpace(stderr.String()))
}

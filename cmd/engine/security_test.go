package main

import (
	"context"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServerDefaultsToLoopback checks that serve and dev bind the HTTP API
// to 127.0.0.1 unless told otherwise.
func TestServerDefaultsToLoopback(t *testing.T) {
	t.Parallel()
	var f serverFlags
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	f.register(fs, func(string) string { return "" }, "d", "directory of the state store")
	if def := fs.Lookup("http").DefValue; !strings.HasPrefix(def, "127.0.0.1:") {
		t.Fatalf("--http defaults to %q, want 127.0.0.1:PORT", def)
	}
}

// TestBadKafkaFlags checks that bad --kafka-* settings (and the other
// settings checked before connecting) stop serve, dev and replay before
// they connect, with the reason.
func TestBadKafkaFlags(t *testing.T) {
	t.Parallel()
	env := func(string) string { return "" }
	for _, tc := range []struct {
		name string
		f    func(context.Context, []string, func(string) string, io.Writer, io.Writer) error
		args []string
		want string
	}{
		{"serve", runServe, []string{"--brokers", "127.0.0.1:1", "--kafka-sasl", "GSSAPI", "--kafka-user", "u"}, "unknown SASL mechanism"},
		{"serve", runServe, []string{"--brokers", "127.0.0.1:1", "--kafka-ca", "/nonexistent/ca.pem"}, "CA file"},
		{"serve", runServe, []string{"--brokers", "127.0.0.1:1", "--max-bytes", "0"}, "--max-bytes must be positive"},
		{"serve", runServe, []string{"--brokers", "127.0.0.1:1", "--commit-interval", "-1s"}, "--commit-interval: -1s is not between 0 and 10s"},
		{"serve", runServe, []string{"--brokers", "127.0.0.1:1", "--commit-interval", "1m"}, "--commit-interval: 1m0s is not between 0 and 10s"},
		{"serve", runServe, []string{"--brokers", "127.0.0.1:1", "--data", t.TempDir(), "--partitions", "0"}, "--partitions and --replication must be positive"},
		{"serve", runServe, []string{"--brokers", "127.0.0.1:1", "--data", t.TempDir(), "--replication", "0"}, "--partitions and --replication must be positive"},
		{"dev", runDev, []string{"--data", t.TempDir(), "--http", "127.0.0.1:0", "--partitions", "-1"}, "--partitions and --replication must be positive"},
		{"replay", runReplay, []string{"--brokers", "127.0.0.1:1", "--data", t.TempDir(), "--kafka-sasl", "PLAIN"}, "needs a user"},
		{"dev", runDev, []string{"--data", t.TempDir(), "--kafka-tls"}, "--kafka-tls needs --brokers"},
		{"dev", runDev, []string{"--data", t.TempDir(), "--brokers", "127.0.0.1:1", "--kafka-user", "u"}, "without a mechanism"},
	} {
		// A setting that is not refused runs the command: on the broker
		// that is not there (serve) or the development one (dev).
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		err := tc.f(ctx, tc.args, env, io.Discard, io.Discard)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q = %v, want an error containing %q", tc.name, tc.args, err, tc.want)
		}
	}
}

// TestDevRequiresToken runs engine dev on its development broker with
// --token and --max-bytes, and checks that the API refuses requests
// without the token, and bodies over the limit with 413 naming it.
func TestDevRequiresToken(t *testing.T) {
	t.Parallel()
	data := t.TempDir() // before the cleanup below, so removed after dev stopped
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runDev(ctx, []string{"--data", data, "--http", "127.0.0.1:0", "--token", "tok", "--max-bytes", "64", "--log-level", "error"},
			func(string) string { return "" }, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev: %v", err)
		}
	})
	ready := make(chan string, 1)
	go func() {
		buf := make([]byte, 256)
		n, _ := pr.Read(buf)
		ready <- strings.TrimSpace(strings.TrimPrefix(string(buf[:n]), "fugue ready "))
		_, _ = io.Copy(io.Discard, pr)
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("dev ended before it was ready: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("dev not ready after 60s")
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("dev serves on %q", base)
	}
	do := func(method, path, auth, body string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	get := func(auth string) int {
		code, _ := do("GET", "/v1/workflows/none", auth, "")
		return code
	}
	if code := get(""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	if code := get("Bearer wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", code)
	}
	if code := get("Bearer tok"); code != http.StatusNotFound {
		t.Errorf("right token, unknown workflow: %d, want 404", code)
	}
	big := `{"task": "tasks.identity", "args": ["` + strings.Repeat("x", 100) + `"]}`
	if code, body := do("POST", "/v1/workflows", "Bearer tok", big); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "limit of 64 bytes") {
		t.Errorf("body over --max-bytes: %d %s, want 413 naming the limit", code, body)
	}
}

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// runMain runs the engine command as main does, with no environment.
func runMain(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// TestServerCommandUsage: -h of dev, serve and replay prints the usage and
// exits 0 (it exited 2, as bad usage does); a bad flag or an argument is
// bad usage.
func TestServerCommandUsage(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"dev", "serve", "replay"} {
		for _, h := range []string{"-h", "--help"} {
			check(t, runMain(t, cmd, h), 0, "", "usage: engine "+cmd)
		}
		check(t, runMain(t, cmd, "--bogus"), 2, "", "flag provided but not defined: -bogus")
		check(t, runMain(t, cmd, "--data", t.TempDir(), "extra"), 2, "", `engine `+cmd+`: unexpected arguments ["extra"]`)
	}
}

// TestErrorsNameTheCommandOnce: an error reads "engine CMD: what", not
// "engine: engine: what" (the engine package's errors say "engine: ").
func TestErrorsNameTheCommandOnce(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--brokers", "127.0.0.1:1", "--http", "127.0.0.1:0", "--data", ""}, "engine serve: no data directory\n"},
		{[]string{"dev", "--http", "127.0.0.1:0", "--data", t.TempDir(), "--kafka-tls"}, "engine dev: --kafka-tls needs --brokers (the development broker speaks plaintext)\n"},
	} {
		got := runMain(t, c.args...)
		if got.code != 1 || got.stderr != c.want {
			t.Errorf("%q: exit %d, stderr %q; want 1, %q", c.args, got.code, got.stderr, c.want)
		}
	}
}

// TestHelpHidesTheToken: -h shows no FUGUE_TOKEN, which it printed as the
// default of --token.
func TestHelpHidesTheToken(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"dev", "serve", "submit", "status", "revoke"} {
		var out, errOut bytes.Buffer
		code := run(t.Context(), []string{cmd, "-h"}, func(k string) string {
			if k == "FUGUE_TOKEN" {
				return "s3cret"
			}
			return ""
		}, strings.NewReader(""), &out, &errOut)
		if code != 0 || !strings.Contains(errOut.String(), "-token") || strings.Contains(out.String()+errOut.String(), "s3cret") {
			t.Errorf("engine %s -h: exit %d\n%s", cmd, code, errOut.String())
		}
	}
}

// Command engine runs Fugue: the engine on Kafka (serve), the all-in-one
// development stack (dev), a state rebuild from the log (replay), and the
// client commands submit, status and revoke. See spec/interface.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `usage: engine <command> [flags]

commands:
  dev      engine, HTTP API and a worker with the demo tasks, on an
           in-process development broker (or --brokers)
  serve    the engine and its HTTP API on a Kafka cluster
  replay   rebuild the state from the log into a fresh directory and print
           its state hash
  submit   submit a canvas (JSON) and print the workflow
  status   print a workflow
  revoke   revoke a workflow or a task

Run 'engine <command> -h' for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command and returns the process exit status.
func run(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return exitCode(stderr, cmd, runDev(ctx, rest, env, stdout, stderr))
	case "serve":
		return exitCode(stderr, cmd, runServe(ctx, rest, env, stdout, stderr))
	case "replay":
		return exitCode(stderr, cmd, runReplay(ctx, rest, env, stdout, stderr))
	case "submit":
		return runSubmit(ctx, rest, env, stdin, stdout, stderr)
	case "status":
		return runStatus(ctx, rest, env, stdin, stdout, stderr)
	case "revoke":
		return runRevoke(ctx, rest, env, stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "engine: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// exitCode prints err, if any, as the error of "engine cmd" and returns
// the exit status: 0 after -h, 2 for bad usage, 1 for an error.
func exitCode(stderr io.Writer, cmd string, err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		// The engine's errors say "engine: " themselves, and some of
		// this command's "engine cmd: ": once is enough.
		prefix := "engine " + cmd + ": "
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), prefix), "engine: ")
		fmt.Fprintf(stderr, "%s%s\n", prefix, msg)
		return 1
	}
}

// parseCommandFlags parses the flags of dev, serve and replay: -h is
// flag.ErrHelp (exit 0); a bad flag or any argument is errUsage (exit 2).
func parseCommandFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return errUsage
	}
	return nil
}

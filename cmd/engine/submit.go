package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fugue-run/fugue/client"
)

// Exit statuses of engine submit (spec/interface.md).
const (
	exitSuccess  = 0 // the printed state is SUCCESS (or, without --wait, not final yet)
	exitFailure  = 1 // FAILURE or REVOKED; also any other error after the submission
	exitRefused  = 2 // the submission was refused, could not be made, or bad usage
	exitTimedOut = 3 // the wait ran out before the workflow was ready
)

const submitUsage = `usage: engine submit [--server URL] [--token TOKEN] [--wait[=DURATION]] FILE|-

Submits a canvas (its JSON wire form, spec/canvas-json.md) read from FILE,
or from stdin for -, and prints the workflow as JSON on one line.

With --wait it waits until the workflow is ready (its canvas and every
callback it fired finished); with --wait=DURATION (30s, 5m, or seconds) at
most that long (--wait=0 does not wait: exit 3 unless it is ready).

Exit status: 0 when the printed state is SUCCESS (or, without --wait, the
submission was accepted and the workflow has not failed yet), 1 for FAILURE
or REVOKED, 2 for a refused submission, 3 when the wait ran out.

flags:
`

// runSubmit is "engine submit".
func runSubmit(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) (exit int) {
	fs := flag.NewFlagSet("engine submit", flag.ContinueOnError)
	cf := addClientFlags(fs, env)
	var wait waitFlag
	fs.Var(&wait, "wait", "wait until the workflow is ready; --wait=DURATION caps the wait")
	pos, code, ok := parseFlags(fs, args, submitUsage, 1, stderr)
	if !ok {
		return code
	}
	c, err := cf.client()
	if err != nil {
		fmt.Fprintf(stderr, "engine submit: %v\n", err)
		return exitRefused
	}
	data, err := readCanvas(pos[0], stdin)
	if err != nil {
		fmt.Fprintf(stderr, "engine submit: %v\n", err)
		return exitRefused
	}
	res, err := c.SubmitJSON(ctx, data)
	if err != nil {
		fmt.Fprintf(stderr, "engine submit: %s\n", errorText(err))
		return exitRefused
	}
	var w *client.Workflow
	switch {
	case !wait.on:
		w, err = res.Workflow(ctx)
	case wait.max == 0:
		// --wait=0: no wait, but the exit status of one that ran out.
		if w, err = res.Workflow(ctx); err == nil && !w.Ready {
			err = client.ErrTimeout
		}
	default:
		w, err = res.Wait(ctx, max(wait.max, 0)) // 0: no limit
	}
	timedOut := errors.Is(err, client.ErrTimeout)
	if err != nil && !timedOut {
		fmt.Fprintf(stderr, "engine submit: workflow %s: %s\n", res.ID, errorText(err))
		return exitFailure
	}
	if code := printWorkflow(stdout, stderr, w); code != 0 {
		return code
	}
	switch {
	case timedOut:
		fmt.Fprintf(stderr, "engine submit: workflow %s: not ready after %s\n", w.ID, wait.max)
		return exitTimedOut
	case w.Error != nil && w.Error.Type == "InvalidCanvas":
		// The engine refused the canvas after the server accepted it
		// (a task_id taken meanwhile by another workflow).
		fmt.Fprintf(stderr, "engine submit: refused: %s\n", w.Error.Message)
		return exitRefused
	case w.Failed():
		return exitFailure
	}
	return exitSuccess
}

// printWorkflow prints w as the server's JSON, on one line.
func printWorkflow(stdout, stderr io.Writer, w *client.Workflow) int {
	b, err := w.MarshalJSON()
	if err != nil {
		fmt.Fprintf(stderr, "engine: workflow %s: %v\n", w.ID, err)
		return exitFailure
	}
	if _, err := stdout.Write(append(b, '\n')); err != nil {
		fmt.Fprintf(stderr, "engine: %v\n", err)
		return exitFailure
	}
	return 0
}

// readCanvas reads FILE, or stdin for "-".
func readCanvas(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return b, nil
	}
	return os.ReadFile(name)
}

// errorText is what a user needs of a client error: the server's own
// message for an HTTP error.
func errorText(err error) string {
	var se *client.StatusError
	if errors.As(err, &se) {
		return se.Message
	}
	return err.Error()
}

// clientFlags are the flags of the commands that talk to a server.
type clientFlags struct {
	server, token string
}

// defaultServer is where the client commands look without --server and
// FUGUE_SERVER.
const defaultServer = "http://127.0.0.1:8080"

func addClientFlags(fs *flag.FlagSet, env func(string) string) *clientFlags {
	cf := &clientFlags{}
	server := env("FUGUE_SERVER")
	if server == "" {
		server = defaultServer
	}
	fs.StringVar(&cf.server, "server", server, "the engine's HTTP API, `URL` (env FUGUE_SERVER)")
	cf.token = env("FUGUE_TOKEN")
	fs.Var(secretFlag{&cf.token}, "token", "bearer `TOKEN` for the API (env FUGUE_TOKEN)")
	return cf
}

// client returns the client of --server, or an error that says what is
// wrong with it (an empty --server read as "http:", a request "with no
// Host").
func (cf *clientFlags) client() (*client.Client, error) {
	server := cf.server
	if !strings.Contains(server, "://") {
		server = "http://" + server // host:port
	}
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--server: %q is not a URL such as http://127.0.0.1:8080", cf.server)
	}
	// No client timeout: long polls last up to a minute; ctx ends them.
	return client.New(server, client.WithToken(cf.token), client.WithHTTPClient(&http.Client{})), nil
}

// parseFlags parses args, flags and positional arguments in any order ("--"
// ends the flags), and wants exactly nargs positional arguments. When it
// returns ok false, the command exits with code: 0 after -h, 2 for bad
// usage.
func parseFlags(fs *flag.FlagSet, args []string, usage string, nargs int, stderr io.Writer) (pos []string, code int, ok bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0, false
			}
			return nil, exitRefused, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) != nargs {
		fmt.Fprintf(stderr, "%s: want %d argument(s), got %d\n", fs.Name(), nargs, len(pos))
		fs.Usage()
		return nil, exitRefused, false
	}
	return pos, 0, true
}

// waitFlag is --wait (no limit) or --wait=DURATION.
type waitFlag struct {
	on  bool
	max time.Duration // negative: no limit; 0: no wait
}

func (w *waitFlag) IsBoolFlag() bool { return true }

func (w *waitFlag) String() string {
	switch {
	case w == nil || !w.on:
		return ""
	case w.max < 0:
		return "true"
	}
	return w.max.String()
}

// Set takes "true" (the bare flag), "false", a duration (30s, 1m30s) or a
// number of seconds (--wait=1 is one second); 0 means no wait at all.
func (w *waitFlag) Set(s string) error {
	switch s {
	case "true":
		*w = waitFlag{on: true, max: -1}
		return nil
	case "false":
		*w = waitFlag{}
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(secs) || secs > (1<<62)/1e9 {
			return fmt.Errorf("want a duration such as 30s or 5m, or seconds")
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < 0 {
		return fmt.Errorf("a wait cannot be negative")
	}
	*w = waitFlag{on: true, max: d}
	return nil
}

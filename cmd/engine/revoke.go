package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/fugue-run/fugue/client"
	"github.com/fugue-run/fugue/value"
)

const revokeUsage = `usage: engine revoke [--server URL] [--token TOKEN] ID

Revokes workflow ID or, when no workflow has that id, the task ID (a
chain, group or chord can be named by its task_id too). Nothing revoked
runs any more; running tasks are cancelled. Prints {"id": ID, "revoked":
"workflow" or "task"} on one line.
Exit status 0, 1 when ID is unknown or the server cannot be reached, 2
for bad usage (a wrong flag, a --server that is no URL).

flags:
`

// runRevoke is "engine revoke".
func runRevoke(ctx context.Context, args []string, env func(string) string, _ io.Reader, stdout, stderr io.Writer) (exit int) {
	fs := flag.NewFlagSet("engine revoke", flag.ContinueOnError)
	cf := addClientFlags(fs, env)
	pos, code, ok := parseFlags(fs, args, revokeUsage, 1, stderr)
	if !ok {
		return code
	}
	id := pos[0]
	c, err := cf.client()
	if err != nil {
		fmt.Fprintf(stderr, "engine revoke: %v\n", err)
		return exitRefused
	}
	kind := "workflow"
	err = c.Revoke(ctx, id)
	if errors.Is(err, client.ErrNotFound) {
		kind = "task"
		err = c.RevokeTask(ctx, id)
	}
	switch {
	case errors.Is(err, client.ErrNotFound) && errorText(err) == "task "+id+" not found":
		fmt.Fprintf(stderr, "engine revoke: no workflow or task %s\n", id)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "engine revoke: %s\n", errorText(err))
		return 1
	}
	out, _ := value.AppendJSON(nil, map[string]any{"id": id, "revoked": kind}) // strings always encode
	fmt.Fprintf(stdout, "%s\n", out)
	return 0
}

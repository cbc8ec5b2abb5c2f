package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

const statusUsage = `usage: engine status [--server URL] [--token TOKEN] ID

Prints workflow ID as JSON on one line (the same JSON as engine submit).
Exit status 0, 1 when the workflow is unknown or the server cannot be
reached, 2 for bad usage (a wrong flag, a --server that is no URL).

flags:
`

// runStatus is "engine status".
func runStatus(ctx context.Context, args []string, env func(string) string, _ io.Reader, stdout, stderr io.Writer) (exit int) {
	fs := flag.NewFlagSet("engine status", flag.ContinueOnError)
	cf := addClientFlags(fs, env)
	pos, code, ok := parseFlags(fs, args, statusUsage, 1, stderr)
	if !ok {
		return code
	}
	id := pos[0]
	c, err := cf.client()
	if err != nil {
		fmt.Fprintf(stderr, "engine status: %v\n", err)
		return exitRefused
	}
	w, err := c.Workflow(ctx, id, 0)
	if err != nil {
		// The server's own words, also for a 404: "workflow ID not found",
		// or "no route for …" from a --server whose path is wrong.
		fmt.Fprintf(stderr, "engine status: %s\n", errorText(err))
		return 1
	}
	return printWorkflow(stdout, stderr, w)
}

// Package client is a Go client of Fugue's HTTP API (spec/interface.md),
// shaped after Celery's result API.
//
//	c := client.New("http://127.0.0.1:8080", client.WithToken(token))
//	res, err := c.Submit(ctx, canvas.Chain(canvas.S("tasks.add", 2, 2), canvas.S("tasks.mul", 8)))
//	v, err := res.Get(ctx, time.Minute) // int64(32)
//
// A workflow is one submitted canvas; its AsyncResult waits for it, reads
// its state and its tasks, and revokes it. Get returns the canvas's result,
// or a *TaskFailedError when it failed or was revoked. For a group or a
// chord, Group gives the members' results as Celery's GroupResult does.
//
// Values decode as Fugue keeps them: JSON integers as int64, other numbers
// as float64 (4.0 stays a float), arrays as []any and objects as
// map[string]any (package value).
//
// Waiting uses the server's long poll (?wait): no request is repeated
// while nothing changes.
//
// A 503 that carries Retry-After (with several engines: the group is
// rebalancing, or the engine that owns the workflow cannot be reached; the
// server did nothing) is asked again after it (at most 10 s each) until the
// context ends; the error then is the server's 503, a *StatusError. Other
// errors come back at once.
package client

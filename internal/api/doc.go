// Package api is Fugue's HTTP API (spec/interface.md) as an http.Handler.
// It talks to the engine through Backend, a small interface declared here,
// and shows workflows and tasks with projector.Describe.
//
// Routes:
//
//	POST /v1/workflows                 submit a canvas: 201 {"id": …}
//	GET  /v1/workflows/{id}?wait=D     a workflow; with wait, once it is ready or D passed
//	GET  /v1/tasks/{id}?wait=D         a task; with wait, once it is final (or its workflow is ready) or D passed
//	POST /v1/workflows/{id}/revoke     revoke a workflow: 202 {"id": …}
//	POST /v1/tasks/{id}/revoke         revoke a task: 202 {"id": …}
//	GET  /metrics                      Config.Metrics, when set
//	GET  /healthz                      200 {"status":"ok"}
//
// Every error is JSON: {"error": "…"}. Workflow and task answers carry the
// header Fugue-Ready ("true" or "false"): whether the workflow (for a task,
// the task) is ready, which the JSON alone cannot say while a finished
// canvas still waits for its callbacks.
//
// Values (args, kwargs, results, progress metadata) are written with
// value.AppendJSON, so that 4.0 stays a float on the wire.
//
// # Several engines
//
// When engines share the partitions of the events topic, each keeps the
// state of its own partitions only. With Config.Router any engine answers
// for any workflow, as the engine that owns its partition would:
//
//   - a request about a workflow (submit, get, revoke) goes to the engine
//     that owns the workflow's partition: answered here when that is this
//     engine, else forwarded there (method, path, query, body,
//     Authorization) with the header Fugue-Forwarded, and the owner's
//     answer copied back. A submission is validated here first; the owner
//     checks the id, appends and waits for the fold, so a refusal after
//     the fact is a 400 as on one engine.
//   - a task id does not name its partition: found here, its workflow
//     does; not found, every other engine is asked and the first that
//     knows it answers.
//   - a forwarded request is never forwarded again: the engine it reaches
//     answers for its own partitions or says 503, so that nothing loops
//     while the group rebalances.
//   - while no engine can answer for a partition (a rebalance, an owner
//     catching up) a request waits up to Config.RouteWait; then, or at
//     once for an owner that cannot be reached, the answer is 503 with
//     Retry-After and the header Fugue-Unroutable, naming the partition
//     and why. Nothing was revoked then; a 404 is only ever the answer of
//     the engine that serves the partition. A submission is not refused
//     for want of an engine: it is appended unchecked and answered 201,
//     and the owner's Fold checks the rest when it can (a known id
//     changes nothing; a task_id of another workflow is rejected with a
//     WorkflowRejected).
//
// # Metrics
//
// Recorded on Config.Registerer when set; the engine's own registry is
// served through Config.Metrics.
//
//	fugue_api_forwarded_total{route}    requests answered by another engine (route: submit, workflow, revoke_workflow, task, revoke_task)
//	fugue_api_unroutable_total{route}   requests answered 503 because no engine could answer for them
package api

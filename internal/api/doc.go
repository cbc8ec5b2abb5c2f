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
//	GET  /healthz                      200 ok
//
// Every error is JSON: {"error": "…"}. Workflow and task answers carry the
// header Fugue-Ready ("true" or "false"): whether the workflow (for a task,
// the task) is ready, which the JSON alone cannot say while a finished
// canvas still waits for its callbacks.
//
// Values (args, kwargs, results, progress metadata) are written with
// value.AppendJSON, so that 4.0 stays a float on the wire.
//
// The package records no metrics of its own; the engine's registry is
// served through Config.Metrics.
package api

// Package apitest runs the HTTP API over an in-process engine for tests:
// Backend is an api.Backend over internal/harness that folds and runs
// tasks on a goroutine of its own, as the real engine does, and publishes
// each committed state as an immutable snapshot. NewServer serves
// api.NewHandler over it with httptest.
//
// Gates are tasks that block until the test releases them, so that a test
// can look at a workflow that is running.
package apitest

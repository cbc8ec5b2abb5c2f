// Package projector folds the event log into workflow state: the pure state
// machine at the heart of Fugue.
//
// Fold(state, event) returns the events that must follow: task dispatches
// (which double as task messages), link firings, chord counter increments,
// timers, completions. Everything else — the Kafka loop that feeds it, the
// Pebble store behind State, the HTTP API that reads it — lives elsewhere
// and can be rebuilt by folding the log again.
//
// # Determinism rules
//
// Fold must give the same state and the same outputs, byte for byte, for
// the same state and event. So, inside Fold:
//
//   - no clock: "now" is the event's Time; timers are TimerScheduled
//     outputs that a timer service outside Fold answers with TimerFired;
//   - no randomness: the jitter of retry backoff is drawn from a hash of
//     the task id and the attempt;
//   - no I/O beyond the State it is given; no logging, no metrics;
//   - ids are minted from the workflow id and the node's position in the
//     compiled canvas ("<workflow>.<index>"; the root is the workflow id;
//     a task_id option wins, and a composite gives way to a node below it
//     that gives its task_id, as Celery's frozen chains and chords do);
//     whether a submission's ids are another workflow's is read from the
//     State (CheckIDs), never from anything else;
//   - event ids are derived from what they record (package events, ids.go);
//   - no map iteration order reaches an output or the state encoding.
//
// # Idempotence
//
// Kafka delivers at least once and workers run tasks at least once, so every
// event may arrive twice, late, or after a newer one. Fold's own outputs are
// applied when it decides them and are no-ops when they come back. A
// worker's report counts only for the current attempt of a task that has not
// finished; anything else changes nothing. A group or chord header counts a
// member once, when that member's node first becomes terminal, so a
// duplicate completion can never fire a chord body or a callback twice.
//
// # The compiled canvas
//
// A submitted canvas is normalised (see normalize.go for Celery's rules) and
// compiled into a Plan: nodes numbered in pre-order, callbacks (link,
// link_error) numbered after the tree as extra roots. The plan is derived
// from the stored canvas and never stored itself. A task message carries
// only its own call, so message size is O(task) whatever the nesting.
//
// One rule runs every canvas: start(node, input). A task prepends the input
// to its partial args (unless immutable) and is dispatched; a chain starts
// its first element with it and each element's result starts the next; a
// group starts every member with it (its plain task members are sent
// without a node record of their own: implied.go) and finishes, in member
// order, when all have; a chord starts its header group and then its body with the header's
// list. A composite's execution options are passed down to its members as
// the plan is compiled, by Celery's rules (inherit.go), so that only a
// task node's own options decide how it runs. A finished node tells its
// parent, fires its links or errbacks, and the workflow completes once its
// root and every callback it fired are done.
package projector

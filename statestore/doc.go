// Package statestore keeps the engine's state in Pebble: the projector's
// records, the last applied offset of every partition, and the pending
// timers. It decides nothing: the projector's Fold decides, through a Txn,
// which is a projector.State.
//
// # Key layout
//
// All keys are byte-ordered; projector/state.go documents the state
// records and projector/encode.go their encodings.
//
//	w/<wf>                              workflow header (projector.AppendWorkflow)
//	c/<wf>                              its canvas, written once: the Signature record its event carried
//	                                    (events.Codec.DecodeCanvas), or else projector.AppendCanvas
//	n/<wf>/<node u32 BE>                node state (projector.AppendNode); a zero node has no record,
//	                                    nor a task its group dispatched unwritten (projector.ReadNode)
//	t/<task id>                         the workflow that claimed a task_id
//	o/<topic>/<partition u32 BE>        last applied offset (int64 as u64 BE)
//	r/<due u64 BE>/<wf>\x00<task>\x00<name>  a pending timer, in due order (empty value)
//	k/<wf>/<parent u32 BE><child u32 BE>  node child was started by node parent's outcome (empty value)
//	m/version                           the store format ("3"; Open marks a "1" or "2" store "3"); Open refuses others
//	m/child-index                       the k/ records are complete (a store made since they exist)
//	m/topic/<topic>                     the id Kafka gave the topic the store folds (Store.BindTopic)
//
// The k/ records index the nodes' Parent, so that a task's view (GET
// /v1/tasks/{id}) finds its children without reading every node of its
// workflow (Reader.Children, projector.ChildIndex); the members a group
// dispatched unwritten are found through their group's record. Commit writes one when
// a node's Parent is set; a store made before them has no m/child-index,
// and its readers scan the workflow's nodes instead.
//
// The state hash (Store.Hash) covers c/, n/, t/ and w/ only, exactly as
// projector.MemState.Hash does (a canvas as projector.AppendCanvas encodes
// it, whichever way its record holds it), so a store and an in-memory fold
// of the same log hash alike. Plans are derived from the canvas and never stored:
// a Store keeps the most recently used ones in memory (WithPlanCacheSize).
//
// # Durability
//
// Kafka's events topic is the source of truth; this store is a cache of
// the fold of it. Txn.Commit writes a transaction's state changes and the
// applied offsets that they cover (Txn.SetApplied) in one atomic Pebble
// batch, without fsync (pebble.NoSync): a crash can lose the last commits
// but never tears one, so the store always holds the state of exactly the
// records up to its applied offsets. After a crash the engine reads
// Store.Applied and folds the log again from there, with outputs
// suppressed up to the offset Kafka committed. Close and Checkpoint flush
// and sync what was committed.
//
// Applied offsets only grow: a commit that would move one back fails with
// ErrOffsetRegressed and writes nothing.
//
// # Concurrency
//
// One Txn at a time writes a given partition's workflows and offsets
// (transactions on disjoint partitions may run in parallel). Readers
// (Store.Reader, Store.Snapshot) and the read methods of Store (Applied,
// Timers, WorkflowIDs, Hash, Checkpoint) see committed data only and are
// safe to use while a Txn runs.
//
// # Options
//
//   - WithLogger: where the store and Pebble log (Pebble's chatter at
//     debug level). Default: discarded.
//   - WithCacheSize: Pebble's block cache in bytes. Default 64 MiB.
//   - WithPlanCacheSize: compiled plans kept across transactions. Default
//     10,000.
//   - WithNodeCacheSize: committed nodes kept across transactions, so
//     that a transaction's first read of a node needs no Pebble read.
//     Default 0 (none); replay turns it on.
//   - WithLimits: the canvas limits a stored canvas is parsed with when its
//     plan is compiled again; must match the projector's. Default
//     canvas.DefaultLimits.
//
// Fixed Pebble settings: the newest on-disk format of the linked Pebble,
// 32 MiB memtables, reserved in the block cache on top of its
// WithCacheSize bytes (Pebble counts memtables against the cache), bloom
// filters of 10 bits per key on every level (Fold reads
// records by key).
package statestore

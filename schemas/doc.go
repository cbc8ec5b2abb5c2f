// Package schemas holds the Avro schemas of the records Fugue writes to
// Kafka, embedded from the .avsc files beside it, and nothing else: the
// encoding lives in package events.
//
// Each released version N has a directory vN with two self-contained
// schemas: event.avsc (the Event envelope with every event body, the
// Signature a WorkflowSubmitted carries, Value and Failure) and
// signature.avsc (Signature alone). Latest is the version Fugue writes;
// older versions stay as known writers whose records are resolved to the
// latest. Released files never change; schemas_test.go holds their
// fingerprints and fails if one does. README.md describes the wire format.
package schemas

// Package topic names Fugue's Kafka topics and record headers, and creates
// the topics. Every component that talks to Kafka takes its names from here.
//
//	<prefix>events          the log: every event, key = workflow id
//	<prefix>tasks.<queue>   task messages (TaskDispatched events), key = task id
//	<prefix>control         TaskRevoked events for running tasks, key = task id;
//	                        every worker reads all of it (no consumer group)
//	<prefix>deadletter      records that could not be decoded or applied,
//	                        as they were, with the reason in headers
package topic

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// DefaultQueue is the queue of a task whose options name none (Celery's
// default queue name).
const DefaultQueue = "celery"

// DefaultPrefix is the default topic prefix.
const DefaultPrefix = "fugue."

// Names are the topic names under one prefix.
type Names struct {
	Prefix string
}

// Events is the event log topic.
func (n Names) Events() string { return n.Prefix + "events" }

// Tasks is the topic of a queue ("" means DefaultQueue).
func (n Names) Tasks(queue string) string {
	if queue == "" {
		queue = DefaultQueue
	}
	return n.Prefix + "tasks." + queue
}

// Queue returns the queue of a tasks topic, or false.
func (n Names) Queue(topic string) (string, bool) {
	return strings.CutPrefix(topic, n.Prefix+"tasks.")
}

// Control is the control topic (revokes for running tasks).
func (n Names) Control() string { return n.Prefix + "control" }

// DeadLetter is the dead-letter topic.
func (n Names) DeadLetter() string { return n.Prefix + "deadletter" }

// Headers on dead-lettered records.
const (
	// HeaderError holds why the record was set aside.
	HeaderError = "fugue-error"
	// HeaderSource holds "<topic>/<partition>/<offset>" of the original.
	HeaderSource = "fugue-source"
	// HeaderComponent names what set it aside ("engine", "worker").
	HeaderComponent = "fugue-component"
)

// MaxMessageBytes is the record size limit Fugue sets on the topics it
// creates (Kafka's max.message.bytes) and the batch limit its producers
// use: 16 MiB, the size of the largest canvas the API accepts, so that a
// chord of 100,000 members can be submitted. Kafka's own default is 1 MiB.
const MaxMessageBytes = 16 << 20

// Spec says how to create topics.
type Spec struct {
	// Partitions of the events and tasks topics (default 8).
	Partitions int32
	// Replication factor (default 1; use 3 in production).
	Replication int16
	// MaxMessageBytes is the topics' max.message.bytes (default
	// MaxMessageBytes).
	MaxMessageBytes int32
}

// Ensure creates the given topics with spec, leaving existing ones alone.
// The control topic always gets one partition so that its order is total.
func Ensure(ctx context.Context, adm *kadm.Client, spec Spec, topics ...string) error {
	if spec.Partitions <= 0 {
		spec.Partitions = 8
	}
	if spec.Replication <= 0 {
		spec.Replication = 1
	}
	if spec.MaxMessageBytes <= 0 {
		spec.MaxMessageBytes = MaxMessageBytes
	}
	maxBytes := strconv.Itoa(int(spec.MaxMessageBytes))
	configs := map[string]*string{"max.message.bytes": &maxBytes}
	var errs []error
	for _, t := range topics {
		parts := spec.Partitions
		if strings.HasSuffix(t, "control") {
			parts = 1
		}
		resp, err := adm.CreateTopic(ctx, parts, spec.Replication, configs, t)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("topic: create %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

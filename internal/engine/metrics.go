package engine

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/projector"
)

// metrics are the engine's Prometheus metrics:
//
//	fugue_projector_events_folded_total{type}   events folded, by event type
//	fugue_engine_outputs_total{type}            events Fold emitted, by type
//	fugue_engine_tasks_total{state}             task outcomes reported (succeeded, failed, retrying) and dispatches
//	fugue_engine_workflows_completed_total{state}
//	fugue_engine_workflow_duration_seconds      submission to completion (event time)
//	fugue_engine_event_delay_seconds            a worker's report: from its own time to folding
//	fugue_engine_consumer_lag{partition}        records behind the end of the events topic
//	fugue_engine_chords_waiting                 chords whose header is counting (since start)
//	fugue_engine_transactions_total{result}     committed / aborted
//	fugue_engine_batch_size                     records folded per transaction
//	fugue_engine_deadletter_total               records set aside
//	fugue_engine_timers_fired_total
//	fugue_engine_oversized_outputs_total        outputs over MaxRecordBytes (a task message fails its task)
//	fugue_engine_unencodable_outputs_total      outputs that do not encode, a value nested past events.MaxDepth (a task message fails its task)
//	fugue_engine_partitions_held                partitions of the events topic held and caught up (the workflows this engine answers for)
type metrics struct {
	folded, outputs, tasks, completed, txns *prometheus.CounterVec
	lag                                     *prometheus.GaugeVec
	chords                                  prometheus.Gauge
	duration, batch, delay                  prometheus.Histogram
	deadLetters, timersFired, oversized     prometheus.Counter
	unencodable                             prometheus.Counter
}

// newMetrics makes the metrics and registers them on reg (nil: none);
// held counts the partitions held.
func newMetrics(reg prometheus.Registerer, held func() float64) *metrics {
	m := &metrics{
		folded:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fugue_projector_events_folded_total", Help: "Events folded into the state, by event type."}, []string{"type"}),
		outputs:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fugue_engine_outputs_total", Help: "Events the projector emitted, by event type."}, []string{"type"}),
		tasks:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fugue_engine_tasks_total", Help: "Tasks dispatched and task outcomes folded, by state."}, []string{"state"}),
		completed:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fugue_engine_workflows_completed_total", Help: "Workflows that became ready, by final state."}, []string{"state"}),
		txns:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fugue_engine_transactions_total", Help: "Kafka transactions, by result."}, []string{"result"}),
		lag:         prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "fugue_engine_consumer_lag", Help: "Records behind the end of the events topic, by partition."}, []string{"partition"}),
		chords:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "fugue_engine_chords_waiting", Help: "Chords whose header members are finishing (counted since the engine started)."}),
		duration:    prometheus.NewHistogram(prometheus.HistogramOpts{Name: "fugue_engine_workflow_duration_seconds", Help: "Time from submission to completion of a workflow.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 12)}),
		delay:       prometheus.NewHistogram(prometheus.HistogramOpts{Name: "fugue_engine_event_delay_seconds", Help: "Delay from a worker's report to its folding.", Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}),
		batch:       prometheus.NewHistogram(prometheus.HistogramOpts{Name: "fugue_engine_batch_size", Help: "Records folded per transaction.", Buckets: prometheus.ExponentialBuckets(1, 4, 8)}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{Name: "fugue_engine_deadletter_total", Help: "Records set aside on the dead-letter topic."}),
		oversized:   prometheus.NewCounter(prometheus.CounterOpts{Name: "fugue_engine_oversized_outputs_total", Help: "Outputs over the record size limit."}),
		unencodable: prometheus.NewCounter(prometheus.CounterOpts{Name: "fugue_engine_unencodable_outputs_total", Help: "Outputs that do not encode (a value nested too deep)."}),
		timersFired: prometheus.NewCounter(prometheus.CounterOpts{Name: "fugue_engine_timers_fired_total", Help: "Timers the timer service fired."}),
	}
	if reg != nil {
		reg.MustRegister(m.folded, m.outputs, m.tasks, m.completed, m.txns, m.lag, m.chords, m.duration, m.batch, m.delay, m.deadLetters, m.timersFired, m.oversized, m.unencodable,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fugue_engine_partitions_held", Help: "Partitions of the events topic this engine holds and has caught up with."}, held))
	}
	return m
}

// observeInput counts one folded event.
func (e *Engine) observeInput(ev *events.Event) {
	e.m.folded.WithLabelValues(eventType(ev.Body)).Inc()
	switch ev.Body.(type) {
	case *events.TaskSucceeded:
		e.m.tasks.WithLabelValues("succeeded").Inc()
	case *events.TaskFailed:
		e.m.tasks.WithLabelValues("failed").Inc()
	case *events.TaskRetrying:
		e.m.tasks.WithLabelValues("retrying").Inc()
	default:
		return
	}
	e.m.delay.Observe(float64(now()-ev.Time) / 1e6)
}

// observe counts one of Fold's outputs.
func (e *Engine) observe(st projector.State, o *events.Event) {
	m := e.m
	m.outputs.WithLabelValues(eventType(o.Body)).Inc()
	switch b := o.Body.(type) {
	case *events.TaskDispatched:
		m.tasks.WithLabelValues("dispatched").Inc()
	case *events.ChordCounterIncremented:
		if b.Count == 1 {
			m.chords.Inc()
		}
	case *events.ChordCompleted:
		m.chords.Dec()
	case *events.WorkflowCompleted:
		m.completed.WithLabelValues(b.State).Inc()
		if w, err := st.Workflow(o.Workflow); err == nil && w != nil {
			m.duration.Observe(float64(o.Time-w.Submitted) / 1e6)
		}
	}
}

func eventType(b events.Body) string {
	switch b.(type) {
	case *events.WorkflowSubmitted:
		return "workflow_submitted"
	case *events.WorkflowRejected:
		return "workflow_rejected"
	case *events.WorkflowCompleted:
		return "workflow_completed"
	case *events.TaskDispatched:
		return "task_dispatched"
	case *events.TaskStarted:
		return "task_started"
	case *events.TaskSucceeded:
		return "task_succeeded"
	case *events.TaskFailed:
		return "task_failed"
	case *events.TaskRetrying:
		return "task_retrying"
	case *events.TaskProgress:
		return "task_progress"
	case *events.TaskRevoked:
		return "task_revoked"
	case *events.RevokeRequested:
		return "revoke_requested"
	case *events.LinkFired:
		return "link_fired"
	case *events.ChordCounterIncremented:
		return "chord_counter_incremented"
	case *events.ChordCompleted:
		return "chord_completed"
	case *events.TimerScheduled:
		return "timer_scheduled"
	case *events.TimerFired:
		return "timer_fired"
	}
	return "unknown"
}

package worker

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Task states counted by fugue_worker_tasks_total.
const (
	stateSucceeded = "succeeded"
	stateFailed    = "failed"
	stateRetrying  = "retrying"
	stateExpired   = "expired"
	stateDropped   = "dropped" // revoked before it started: nothing reported
)

// otherName stands for task names nobody registered in the per-name
// counter, so that its label set stays bounded.
const otherName = "unregistered"

// metrics are a Worker's Prometheus collectors. They work unregistered
// when the Config has no Registerer.
type metrics struct {
	tasks      *prometheus.CounterVec // {state}
	byName     *prometheus.CounterVec // {name, state}; name registered or otherName
	duration   prometheus.Histogram
	inFlight   prometheus.Gauge
	deadLetter prometheus.Counter
	revoked    prometheus.Counter
	repeated   prometheus.Counter
	commits    *prometheus.CounterVec // {result}
	names      map[string]bool
}

func newMetrics(reg prometheus.Registerer, names []string) (*metrics, error) {
	m := &metrics{
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fugue_worker_tasks_total",
			Help: "Task messages handled, by how they ended: succeeded, failed, retrying, expired, dropped (revoked before they ran).",
		}, []string{"state"}),
		byName: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fugue_worker_task_outcomes_total",
			Help: "Task messages handled, by registered task name (\"unregistered\" for any other) and state.",
		}, []string{"name", "state"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "fugue_worker_task_duration_seconds",
			Help:    "How long task attempts ran, from start to outcome.",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 1800},
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "fugue_worker_tasks_in_flight",
			Help: "Task attempts running now.",
		}),
		deadLetter: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fugue_worker_deadletter_total",
			Help: "Task records that did not decode as a task message, set aside on the dead-letter topic.",
		}),
		repeated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fugue_worker_repeated_messages_total",
			Help: "Task messages skipped because the same task attempt was taken from the same partition before (an engine transaction that aborted sent it again).",
		}),
		revoked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fugue_worker_revoked_total",
			Help: "Revokes acted on: running tasks cancelled and revoked task messages dropped.",
		}),
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fugue_worker_commits_total",
			Help: "Offset commits of the tasks topics, by result (ok, error).",
		}, []string{"result"}),
		names: make(map[string]bool, len(names)),
	}
	for _, n := range names {
		m.names[n] = true
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.tasks, m.byName, m.duration, m.inFlight, m.deadLetter, m.revoked, m.repeated, m.commits} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(errors.New("worker: register metrics"), err)
	}
	return m, nil
}

// outcome counts one handled task message.
func (m *metrics) outcome(name, state string) {
	m.tasks.WithLabelValues(state).Inc()
	if !m.names[name] {
		name = otherName
	}
	m.byName.WithLabelValues(name, state).Inc()
}

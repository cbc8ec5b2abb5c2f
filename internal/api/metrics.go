package api

import "github.com/prometheus/client_golang/prometheus"

// metrics are the API's (see the package comment). Route names are a
// fixed set: submit, workflow, revoke_workflow, task, revoke_task.
type metrics struct {
	forwarded, unroutable *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fugue_api_forwarded_total",
			Help: "Requests answered by the engine that owns the workflow's partition, by route.",
		}, []string{"route"}),
		unroutable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fugue_api_unroutable_total",
			Help: "Requests answered 503 because no engine could answer for the workflow's partition, by route.",
		}, []string{"route"}),
	}
	if reg != nil {
		reg.MustRegister(m.forwarded, m.unroutable)
	}
	return m
}

package worker_test

import (
	"context"
	"log"
	"log/slog"
	"os"
	"os/signal"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fugue-run/fugue/worker"
)

// A worker for two queues, with its metrics on a registry of its own. Run
// returns once the process is interrupted and running tasks finished (or
// were abandoned, to run again elsewhere).
func ExampleWorker() {
	reg := worker.NewRegistry()
	reg.Register("tasks.resize", func(ctx context.Context, req *worker.Request) (any, error) {
		return "ok", nil
	}, worker.RateLimit("100/m"))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	w, err := worker.New(reg, worker.Config{
		Brokers:     []string{"127.0.0.1:9092"},
		Queues:      []string{"images", "celery"},
		Concurrency: 8,
		Logger:      slog.Default(),
		Registerer:  prometheus.NewRegistry(),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

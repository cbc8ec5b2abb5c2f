// Command worker runs Fugue's demo tasks (tasks.add, tasks.mul, ...; see
// spec/interface.md) from Kafka: it takes task messages from the tasks
// topics of its queues, runs them and reports their events on the events
// topic. Run several for more throughput: they share the work through one
// consumer group.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fugue-run/fugue/internal/demo"
	"github.com/fugue-run/fugue/internal/kafkaopt"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/worker"
)

const usage = `usage: worker --brokers HOST:PORT,... [flags]

Runs the demo tasks from the tasks topics of the given queues and reports
their events on the events topic. Creates the topics it uses when they are
missing. Stops on SIGINT or SIGTERM, letting running tasks finish for up
to --drain-timeout; a second signal ends it at once.

flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills the process
	}()
	code := exitCode(os.Stderr, run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	stop()
	os.Exit(code)
}

// exitCode prints err, if any, and returns the exit status: 0 after -h,
// 2 for bad usage, 1 for an error.
func exitCode(stderr io.Writer, err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	// The worker package's errors say "worker: " themselves.
	fmt.Fprintf(stderr, "worker: %s\n", strings.TrimPrefix(err.Error(), "worker: "))
	return 1
}

// errUsage is returned for bad flags, an argument or a required flag
// missing, after what is wrong was printed.
var errUsage = errors.New("usage")

// run parses the flags, then runs a worker until ctx is done.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	var (
		brokers     = fs.String("brokers", env("FUGUE_BROKERS"), "Kafka seed brokers, `HOST:PORT,...` (env FUGUE_BROKERS); required")
		queues      = fs.String("queues", topic.DefaultQueue, "queues to take tasks from, `a,b,...`")
		concurrency = fs.Int("concurrency", runtime.NumCPU(), "tasks run at once (0: the number of CPUs, as Celery's --concurrency 0)")
		prefix      = fs.String("prefix", topic.DefaultPrefix, "prefix of every topic name")
		group       = fs.String("group", "", "consumer group of the tasks topics (default PREFIX + \"workers\")")
		partitions  = fs.Int("partitions", 8, "partitions of the topics the worker creates when missing")
		replication = fs.Int("replication", 1, "replication factor of the topics the worker creates")
		metricsAddr = fs.String("metrics", "", "serve Prometheus metrics on `ADDR` at /metrics (default off)")
		drain       = fs.Duration("drain-timeout", worker.DefaultDrainTimeout, "how long running tasks may finish on stop or rebalance (0: abandon them at once)")
		started     = fs.Duration("started-after", worker.DefaultStartedAfter, "report a task STARTED once it has run this long (0: at once); shorter tasks go straight to their outcome")
		committed   = fs.Bool("read-committed", false, "take a task message only once the engine's transaction that sent it committed (slower chains; default: at once, and a message of an aborted transaction may run once more)")
		hostname    = fs.String("hostname", "", "name of the worker in events (default the host name)")
		logLevel    = fs.String("log-level", "info", "log level: debug, info, warn, error")
		logFormat   = fs.String("log-format", "text", "log format: text or json")
		kafka       = kafkaopt.Register(fs, env)
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker: unexpected arguments %q\n", fs.Args())
		return errUsage
	}
	log, err := logger(stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	if *concurrency < 0 {
		return fmt.Errorf("--concurrency: %d is negative (0: the number of CPUs)", *concurrency)
	}
	seeds := splitList(*brokers)
	if len(seeds) == 0 {
		// Bad usage, as engine serve has it: exit 2, not 1.
		fmt.Fprintln(stderr, "worker: --brokers (or FUGUE_BROKERS) is required")
		return errUsage
	}
	if *partitions < 1 || *partitions > 1<<20 || *replication < 1 || *replication > 1<<10 {
		return errors.New("--partitions and --replication must be positive")
	}
	if *drain <= 0 {
		*drain = -1 // abandon at once
	}
	if *started <= 0 {
		*started = -1 // report at once
	}

	kopts, err := kafka.Opts()
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	tasks := worker.NewRegistry()
	demo.Register(tasks)
	w, err := worker.New(tasks, worker.Config{
		Brokers:       seeds,
		Prefix:        *prefix,
		Queues:        splitList(*queues),
		Concurrency:   *concurrency,
		Group:         *group,
		Partitions:    int32(*partitions),
		Replication:   int16(*replication),
		DrainTimeout:  *drain,
		StartedAfter:  *started,
		ReadCommitted: *committed,
		Logger:        log,
		Registerer:    reg,
		Hostname:      *hostname,
	}, kopts...)
	if err != nil {
		return err
	}
	if *metricsAddr != "" {
		stop, err := serveMetrics(*metricsAddr, reg, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	return w.Run(ctx)
}

// serveMetrics serves reg on addr at /metrics until stop is called.
func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("worker: metrics server", "err", err)
		}
	}()
	log.Info("worker: serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

func logger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

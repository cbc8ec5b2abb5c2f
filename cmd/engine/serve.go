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
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/kafkaopt"
	"github.com/fugue-run/fugue/internal/topic"
	"github.com/fugue-run/fugue/projector"
)

var errUsage = errors.New("usage")

// serverFlags are the flags serve and dev share.
type serverFlags struct {
	brokers, http, data, prefix, token, logLevel, routes string
	// advertise is serve's --advertise (dev is one engine and has none).
	advertise   string
	partitions  int
	replication int
	// maxBytes bounds the request bodies the HTTP API accepts. The fold's
	// own limits (depth, signatures) stay at their defaults, so that
	// replay folds the log as the engine did.
	maxBytes int
	// commitInterval is --commit-interval (engine.Config.CommitInterval).
	commitInterval time.Duration
	// kafka holds the --kafka-* security flags (TLS, SASL).
	kafka *kafkaopt.Config
}

func (f *serverFlags) register(fs *flag.FlagSet, env func(string) string, dataDefault, dataUsage string) {
	fs.StringVar(&f.brokers, "brokers", env("FUGUE_BROKERS"), "Kafka seed brokers, HOST:PORT,... (env FUGUE_BROKERS)")
	fs.StringVar(&f.http, "http", "127.0.0.1:8080", "address of the HTTP API")
	fs.StringVar(&f.data, "data", dataDefault, dataUsage)
	fs.StringVar(&f.prefix, "prefix", topic.DefaultPrefix, "prefix of every topic name")
	f.token = env("FUGUE_TOKEN")
	fs.Var(secretFlag{&f.token}, "token", "require this bearer `TOKEN` on the HTTP API (env FUGUE_TOKEN)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&f.routes, "routes", "", "task routes, NAME=QUEUE,... for tasks whose options name no queue")
	fs.IntVar(&f.partitions, "partitions", 8, "partitions of the topics Fugue creates")
	fs.IntVar(&f.replication, "replication", 1, "replication factor of the topics Fugue creates")
	fs.IntVar(&f.maxBytes, "max-bytes", canvas.DefaultMaxBytes, "largest request body the HTTP API accepts, in bytes (larger: 413)")
	fs.DurationVar(&f.commitInterval, "commit-interval", engine.DefaultCommitInterval,
		"how long a Kafka transaction stays open for more batches (0: one per batch); the state and the events topic show a batch up to this much later (sooner once idle for 5 ms, or after 5,000 records); task messages go out at once")
	f.kafka = kafkaopt.Register(fs, env)
}

// secretFlag is a string flag whose value -h never shows (its default may
// come from the environment).
type secretFlag struct{ p *string }

func (s secretFlag) String() string { return "" }

func (s secretFlag) Set(v string) error {
	*s.p = v
	return nil
}

func (f *serverFlags) logger(stderr io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})), nil
}

// maxCommitInterval bounds --commit-interval well inside the transaction
// timeout.
const maxCommitInterval = 10 * time.Second

func (f *serverFlags) engineConfig(brokers []string, log *slog.Logger, reg prometheus.Registerer) (engine.Config, error) {
	routes := map[string]string{}
	for _, r := range splitList(f.routes) {
		name, queue, ok := strings.Cut(r, "=")
		if !ok || name == "" || queue == "" {
			return engine.Config{}, fmt.Errorf("--routes: %q is not NAME=QUEUE", r)
		}
		routes[name] = queue
	}
	if f.maxBytes <= 0 {
		return engine.Config{}, errors.New("--max-bytes must be positive")
	}
	// As the worker checks them: 0 or less was taken silently as the
	// default (8 partitions, replication 1), and values past Kafka's
	// int32 and int16 wrapped.
	if f.partitions < 1 || f.partitions > 1<<20 || f.replication < 1 || f.replication > 1<<10 {
		return engine.Config{}, errors.New("--partitions and --replication must be positive (at most 1048576 and 1024)")
	}
	interval := f.commitInterval
	switch {
	case interval < 0 || interval > maxCommitInterval:
		return engine.Config{}, fmt.Errorf("--commit-interval: %v is not between 0 and %v", interval, maxCommitInterval)
	case interval == 0:
		interval = -1 // one transaction per batch
	}
	return engine.Config{
		Brokers: brokers, Prefix: f.prefix, DataDir: f.data, Routes: routes,
		Topics:         topic.Spec{Partitions: int32(f.partitions), Replication: int16(f.replication)},
		Fold:           projector.Config{Limits: canvas.Limits{MaxBytes: f.maxBytes}},
		CommitInterval: interval,
		Logger:         log, Registerer: reg,
	}, nil
}

// advertiseURL is the base URL the engine advertises to its group: flag
// when set, else http:// and the address the API listens on, unless that
// is every interface (no default then).
func advertiseURL(flag string, addr net.Addr) (string, error) {
	if flag != "" {
		u, err := url.Parse(flag)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("--advertise: %q is not a base URL such as http://10.0.0.7:8080", flag)
		}
		return strings.TrimRight(flag, "/"), nil
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		return "", nil
	}
	return "http://" + tcp.String(), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// serveHTTP serves the API on ln until ctx is done, and calls ready once
// it accepts connections.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, ready func(net.Addr)) error {
	// Requests (long polls included) end with ctx.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready(ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func runServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("engine serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serverFlags
	f.register(fs, env, "fugue-data", "directory of the state store")
	fs.StringVar(&f.advertise, "advertise", env("FUGUE_ADVERTISE"), "base URL at which the other engines reach this one's HTTP API, http://HOST:PORT\n"+
		"(default http://ADDR of --http unless it listens on every interface; env FUGUE_ADVERTISE)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: engine serve --brokers HOST:PORT,... [--http ADDR] [--advertise URL] [--data DIR] [flags]\n\n"+
			"The engine and its HTTP API on a Kafka cluster. Engines that share a\n"+
			"--prefix form one consumer group and split the partitions of the\n"+
			"events topic; each keeps the state of its own. Any engine's API\n"+
			"answers for every workflow: it forwards a request to the engine that\n"+
			"owns the workflow's partition, at the URL that engine advertises.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseCommandFlags(fs, args, stderr); err != nil {
		return err
	}
	brokers := splitList(f.brokers)
	if len(brokers) == 0 {
		fmt.Fprintln(stderr, "engine serve: --brokers is required")
		return errUsage
	}
	log, err := f.logger(stderr)
	if err != nil {
		return err
	}
	kopts, err := f.kafka.Opts()
	if err != nil {
		return err
	}
	reg := newRegistry()
	cfg, err := f.engineConfig(brokers, log, reg)
	if err != nil {
		return err
	}
	return runStack(ctx, stack{cfg: cfg, kopts: kopts, flags: &f, reg: reg, log: log, stdout: stdout, route: true})
}

// stack is an engine with its HTTP API and, for dev, a worker and a broker.
type stack struct {
	cfg engine.Config
	// kopts are the Kafka security options (TLS, SASL) for every client.
	kopts  []kgo.Opt
	flags  *serverFlags
	reg    *prometheus.Registry
	log    *slog.Logger
	stdout io.Writer
	// extra runs beside the engine (the dev worker); nil for none.
	extra func(ctx context.Context) error
	// route: the engine may share its group with others, and its API
	// routes requests between them (serve). Else (dev, one engine) the
	// API answers here, once the engine has caught up with the partition
	// (Engine.LocalRouter).
	route bool
}

func runStack(ctx context.Context, s stack) error {
	// Listen first: the URL the engine advertises to its group may need
	// the port the system picked.
	ln, err := net.Listen("tcp", s.flags.http)
	if err != nil {
		return err
	}
	defer ln.Close()
	if s.route {
		if s.cfg.Advertise, err = advertiseURL(s.flags.advertise, ln.Addr()); err != nil {
			return err
		}
		if s.cfg.Advertise == "" {
			s.log.Warn("engine: --http listens on every interface and --advertise is unset: other engines in the group cannot forward requests here and answer 503 for this engine's partitions; set --advertise http://HOST:PORT")
		}
	}
	eng, err := engine.New(s.cfg, s.kopts...)
	if err != nil {
		return err
	}
	defer eng.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan error, 3)
	go func() { done <- eng.Run(ctx) }()
	n := 1
	if s.extra != nil {
		n++
		go func() { done <- s.extra(ctx) }()
	}
	acfg := api.Config{
		Limits: s.cfg.Fold.Limits, Token: s.flags.token, Logger: s.log,
		Metrics: promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}), Registerer: s.reg,
	}
	if s.route {
		acfg.Router = eng
	} else {
		acfg.Router = eng.LocalRouter()
	}
	h := api.NewHandler(eng, acfg)
	go func() {
		done <- serveHTTP(ctx, ln, h, func(a net.Addr) {
			s.log.Info("engine: serving HTTP", "addr", a.String(), "advertise", s.cfg.Advertise)
			fmt.Fprintf(s.stdout, "fugue ready http://%s\n", a)
		})
	}()
	n++
	var first error
	for range n {
		err := <-done
		if err != nil && !errors.Is(err, context.Canceled) && first == nil {
			first = err
		}
		cancel(err)
	}
	// What engine replay prints for the same log, once this engine has
	// folded all of it and held every partition: the one way to compare.
	if h, err := eng.Store().Hash(); err != nil {
		s.log.Warn("engine: stopped; no state hash", "err", err)
	} else {
		s.log.Info("engine: stopped", "state_hash", fmt.Sprintf("%x", h))
	}
	return first
}

// replayGCPercent is the garbage collector's GOGC during engine replay,
// unless GOGC is set.
const replayGCPercent = 200

func runReplay(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("engine replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokers := fs.String("brokers", env("FUGUE_BROKERS"), "Kafka seed brokers, HOST:PORT,... (env FUGUE_BROKERS)")
	data := fs.String("data", "", "a fresh directory for the rebuilt state (required)")
	prefix := fs.String("prefix", topic.DefaultPrefix, "prefix of every topic name")
	kafka := kafkaopt.Register(fs, env)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: engine replay --brokers HOST:PORT,... --data DIR\n\nRebuilds the state from offset 0 of the events topic into DIR and prints\nthe state hash on stdout; records folded and throughput go to stderr.\nDIR must hold no state: an interrupted replay leaves a partial one, so\nstart again in an empty directory. Unless GOGC is set, it runs with\nGOGC=200.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseCommandFlags(fs, args, stderr); err != nil {
		return err
	}
	if *brokers == "" || *data == "" {
		fmt.Fprintln(stderr, "engine replay: --brokers and --data are required")
		return errUsage
	}
	kopts, err := kafka.Opts()
	if err != nil {
		return err
	}
	if env("GOGC") == "" {
		// A replay allocates fast and keeps little for long: collecting
		// half as often took a tenth off its CPU time with no higher peak
		// RSS on the bench log. Set back when it ends (tests run it
		// in-process).
		defer debug.SetGCPercent(debug.SetGCPercent(replayGCPercent))
	}
	// Its logs are the retries of a Kafka that cannot answer yet.
	log := slog.New(slog.NewTextHandler(stderr, nil))
	res, err := engine.Replay(ctx, log, splitList(*brokers), *prefix, *data, projector.Config{}, kopts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%x\n", res.Hash)
	if res.Records == 0 {
		// The hash of no state: say so, for a --prefix that names no
		// topic of this cluster's.
		fmt.Fprintf(stderr, "engine replay: the events topic %s has no records (is --prefix %q right?)\n", topic.Names{Prefix: *prefix}.Events(), *prefix)
	}
	rate := 0.0
	if s := res.Took.Seconds(); s > 0 {
		rate = float64(res.Records) / s
	}
	fmt.Fprintf(stderr, "engine replay: %d records in %s (%.0f records/s)\n", res.Records, res.Took.Round(time.Millisecond), rate)
	return nil
}
